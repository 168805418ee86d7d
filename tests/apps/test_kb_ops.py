"""The Knowledge base tab's operations on a real KB (real embedder): uploads get the uploader's ACL,
other groups never see them, bad input is reported and loses nothing."""

import zipfile

import pytest

from assistant.apps import kb_ops
from assistant.core.errors import AssistantError
from assistant.core.users import User, upload_acl
from assistant.ingest.uploads import PUBLIC, group_folder

NURSE, LAWYER = User("nina", ("nurses",)), User("lou", ("legal",))


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_upload_is_visible_to_the_uploaders_group_only(new_kb, tmp_path):
    kb = new_kb()
    note = _write(tmp_path / "ward note.md", "# Ward 7 visiting\nVisiting hours on ward 7 end at 19:30 sharp.\n")
    report = kb_ops.upload(kb, [note], upload_acl(NURSE, None), user=NURSE)
    assert report.documents_added == 1 and not report.errors
    [doc] = kb_ops.documents(kb, NURSE)
    assert doc.id == "uploads/nurses/ward note.md" and doc.acl == ("nurses",) and doc.chunk_count >= 1
    assert kb_ops.documents(kb, LAWYER) == []
    with pytest.raises(AssistantError, match="expected one in your document list"):
        kb_ops.delete(kb, doc.id, LAWYER)
    assert [d.id for d in kb.catalog.documents()] == [doc.id]


def test_upload_group_must_be_one_of_the_users(tmp_path):
    """The page's group picker goes through the same rule as the API (assistant.users.upload_acl)."""
    assert upload_acl(User("both", ("a", "b")), None) == ("a", "b")
    assert upload_acl(User("both", ("a", "b")), ["b"]) == ("b",)
    assert upload_acl(None, None) == () and group_folder(()) == PUBLIC
    with pytest.raises(AssistantError, match="not yours to write"):
        upload_acl(NURSE, ["legal"])
    with pytest.raises(AssistantError, match="belongs to no group"):
        upload_acl(User("nobody", ()), None)


def test_upload_hands_paths_to_the_core_and_ticks_per_file(new_kb, tmp_path):
    """The page's glue only: temporary files by path, progress ticks, errors in the report (the zip,
    limit and restore rules themselves are tests/test_uploads.py's)."""
    kb = new_kb()
    archive = tmp_path / "batch.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("sub/a.md", "# A\nThe pharmacy closes at six in the evening on weekdays.")
        z.writestr("../evil.md", "escape attempt")
    ticks = []
    report = kb_ops.upload(kb, [archive, _write(tmp_path / "b.md", "# B\nThe lab opens at seven.")], ("nurses",),
                           lambda done, total: ticks.append((done, total)), user=NURSE)
    assert report.documents_added == 2 and ticks == [(1, 2), (2, 2)]
    assert [e["source"] for e in report.errors] == ["batch.zip:../evil.md"]
    assert [d.id for d in kb_ops.documents(kb, NURSE)] == ["uploads/nurses/b.md", "uploads/nurses/batch/sub/a.md"]
    with pytest.raises(AssistantError, match="nothing to ingest"):
        kb_ops.upload(kb, [], ("nurses",))


def test_delete_and_resync_an_uploads_folder(new_kb, tmp_path):
    kb = new_kb()
    files = [_write(tmp_path / f"n{i}.md", f"# Note {i}\nNote number {i} says the ward rounds start at {i} am.")
             for i in (1, 2)]
    kb_ops.upload(kb, files, ("nurses",))
    [folder] = kb_ops.sync_folders(kb, NURSE)
    assert folder.endswith("uploads/nurses") and kb_ops.sync_folders(kb, LAWYER) == []
    assert "uploaded file" in kb_ops.delete(kb, "uploads/nurses/n1.md", NURSE)
    (kb.path / "uploads" / "nurses" / "n2.md").unlink()
    _write(kb.path / "uploads" / "nurses" / "n3.md", "# Note 3\nNote three moves the handover to 8 pm.")
    report = kb_ops.resync(kb, folder, NURSE)
    assert (report.documents_added, report.documents_pruned) == (1, 1)
    [doc] = kb_ops.documents(kb, NURSE)
    assert doc.id == "uploads/nurses/n3.md" and doc.acl == ("nurses",)
    with pytest.raises(AssistantError, match="expected one of the folders"):
        kb_ops.resync(kb, str(tmp_path), NURSE)
