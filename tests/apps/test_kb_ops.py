"""The Knowledge base tab's operations on a real KB (real embedder): uploads get the uploader's ACL,
other groups never see them, bad input is reported and loses nothing."""

import zipfile

import pytest

from apps import kb_ops
from apps.uploads import MAX_ZIP_MEMBERS, PUBLIC, group_folder
from assistant.errors import AssistantError
from assistant.users import User

NURSE, LAWYER = User("nina", ("nurses",)), User("lou", ("legal",))


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_upload_is_visible_to_the_uploaders_group_only(new_kb, tmp_path):
    kb = new_kb()
    note = _write(tmp_path / "ward note.md", "# Ward 7 visiting\nVisiting hours on ward 7 end at 19:30 sharp.\n")
    report = kb_ops.upload(kb, [note], kb_ops.upload_acl(NURSE, None))
    assert report.documents_added == 1 and not report.errors
    [doc] = kb_ops.documents(kb, NURSE)
    assert doc.id == "uploads/nurses/ward note.md" and doc.acl == ("nurses",) and doc.chunk_count >= 1
    assert kb_ops.documents(kb, LAWYER) == []
    with pytest.raises(AssistantError, match="expected one in your document list"):
        kb_ops.delete(kb, doc.id, LAWYER)
    assert [d.id for d in kb.catalog.documents()] == [doc.id]


def test_upload_group_must_be_one_of_the_users(tmp_path):
    assert kb_ops.upload_acl(User("both", ("a", "b")), None) == ("a", "b")
    assert kb_ops.upload_acl(User("both", ("a", "b")), "b") == ("b",)
    assert kb_ops.upload_acl(None, None) == () and group_folder(()) == PUBLIC
    with pytest.raises(AssistantError, match="expected one of your groups"):
        kb_ops.upload_acl(NURSE, "legal")
    with pytest.raises(AssistantError, match="belongs to no group"):
        kb_ops.upload_acl(User("nobody", ()), None)


def test_zip_bad_files_and_a_corrupt_new_version_lose_nothing(new_kb, tmp_path):
    kb = new_kb()
    acl = ("nurses",)
    good = _write(tmp_path / "leaflet.txt", "Flu vaccine clinics run every Tuesday morning in the east wing.")
    assert kb_ops.upload(kb, [good], acl).documents_added == 1
    archive = tmp_path / "batch.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("sub/a.md", "# A\nThe pharmacy closes at six in the evening on weekdays.")
        z.writestr("../evil.md", "escape attempt")
        z.writestr("data.csv", "id,text\n1,x")
        z.writestr("__MACOSX/._a.md", "junk")
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    _write(tmp_path / "leaflet.txt", "")  # an empty new version of the already-ingested leaflet
    (tmp_path / "scan.txt").write_bytes(b"\x00\x01binary")
    report = kb_ops.upload(kb, [archive, broken, tmp_path / "leaflet.txt", tmp_path / "scan.txt"], acl)
    errors = {e["source"].rsplit("/", 1)[-1] if ".zip:" not in e["source"] else e["source"]: e["error"]
              for e in report.errors}
    assert report.documents_added == 1 and report.documents_updated == 0
    assert "leaves the zip" in errors["batch.zip:../evil.md"] and "unsupported file type .csv" in errors["batch.zip:data.csv"]
    assert "not a readable zip" in errors["broken.zip"]
    assert "empty" in errors["leaflet.txt"] and "binary" in errors["scan.txt"]
    ids = [d.id for d in kb_ops.documents(kb, NURSE)]
    assert ids == ["uploads/nurses/batch/sub/a.md", "uploads/nurses/leaflet.txt"]
    # the previous leaflet is back on disk, so a re-sync keeps the ingested version
    stored = kb.path / "uploads" / "nurses" / "leaflet.txt"
    assert "Tuesday" in stored.read_text() and not (kb.path / "uploads" / "nurses" / "scan.txt").exists()
    assert MAX_ZIP_MEMBERS > 100


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
