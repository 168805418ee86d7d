"""The upload core both front ends call (`assistant.uploads`): where files are kept, zips unpacked
safely and within limits, and a corrupt new version of a file losing nothing. The page's and the API's
own tests only check that they reach it with the right ACL."""

import io
import zipfile

import pytest

from assistant.core.users import AccessDenied, User
from assistant.ingest.uploads import (
    TextDocument,
    UploadLimits,
    delete_visible,
    folder_acl,
    group_folder,
    ingest_files,
    ingest_texts,
    resync_folder,
    safe_name,
)

NURSES = ("nurses",)
NURSE, LAWYER = User("nina", NURSES), User("lou", ("lawyers",))
READER = User("rita", NURSES, editor_of=())  # reads the nurses' documents, may change none
NOTE = b"# Ward 7\nVisiting hours on ward 7 end at 19:30 sharp."


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buffer.getvalue()


def _errors(report) -> dict[str, str]:
    return {e["source"]: e["error"] for e in report.errors}


def test_names_and_group_folders():
    assert safe_name("../../etc/pass wd.md") == "pass wd.md" and safe_name("C:\\x\\.env") == "env"
    assert safe_name("...") == "upload" and safe_name("a" * 300 + ".md").endswith(".md")
    assert len(safe_name("a" * 300 + ".md")) == 120
    assert group_folder(("b", "a")) == "a+b" and folder_acl("a+b") == ("a", "b")
    assert group_folder(()) == "~public" and folder_acl("~public") == ()


def test_zip_members_that_escape_are_refused_and_litter_skipped(new_kb):
    kb = new_kb()
    archive = _zip({"sub/a.md": NOTE, "../evil.md": b"escape", "/abs.md": b"escape", "data.csv": b"id,text\n1,x",
                    "__MACOSX/._a.md": b"junk", ".DS_Store": b"junk"})
    report = ingest_files(kb, [("batch.zip", archive), ("broken.zip", b"PK\x03\x04 no zip")], NURSES, None)
    errors = _errors(report)
    assert report.documents_added == 1 and [d.id for d in kb.catalog.documents()] == ["uploads/nurses/batch/sub/a.md"]
    assert "leaves the zip" in errors["batch.zip:../evil.md"] and "leaves the zip" in errors["batch.zip:/abs.md"]
    assert "unsupported file type .csv" in errors["batch.zip:data.csv"] and "not a readable zip" in errors["broken.zip"]
    assert len(errors) == 4  # the OS litter is skipped silently
    assert not list(kb.path.parent.rglob("evil.md")) and not list(kb.path.rglob("abs.md"))


def test_limits_on_files_members_and_unpacked_bytes(new_kb):
    kb = new_kb()
    limits = UploadLimits(files=4, file_bytes=1_000, unpacked_bytes=1_500)
    report = ingest_files(kb, [("big.md", b"x" * 1_001), ("ok.md", NOTE),
                               ("many.zip", _zip({f"m{i}.md": NOTE for i in range(4)})),
                               ("bomb.zip", _zip({"a.md": b"a" * 900, "b.md": b"b" * 900})),  # compresses well
                               ("two.zip", _zip({"a.md": NOTE, "huge.md": b"h" * 1_001})),
                               ("three.md", NOTE), ("four.md", NOTE), ("five.md", NOTE)], NURSES, None, limits=limits)
    errors = _errors(report)
    assert "over the limit of 1,000 per file" in errors["big.md"]
    assert "zip holds 4 files, over the limit of 4" in errors["many.zip"]
    assert "over the limit of 1,500 per upload" in errors["bomb.zip"]
    assert "over the limit of 1,000" in errors["two.zip:huge.md"]
    assert "more than 4 files" in errors["five.md"] and len(errors) == 5
    assert sorted(d.id for d in kb.catalog.documents()) == ["uploads/nurses/four.md", "uploads/nurses/ok.md",
                                                            "uploads/nurses/three.md", "uploads/nurses/two/a.md"]


def test_a_failed_new_version_restores_the_previous_file(new_kb):
    kb = new_kb()
    assert ingest_files(kb, [("leaflet.txt", b"Flu clinics run every Tuesday morning.")], NURSES, None).documents_added == 1
    report = ingest_files(kb, [("leaflet.txt", b""), ("scan.txt", b"\x00\x01binary")], NURSES, None)
    errors = _errors(report)
    # sources are relative to the KB: an API caller never sees the server's paths
    assert "empty" in errors["uploads/nurses/leaflet.txt"] and "binary" in errors["uploads/nurses/scan.txt"]
    folder = kb.path / "uploads" / "nurses"
    assert "Tuesday" in (folder / "leaflet.txt").read_text() and not (folder / "scan.txt").exists()
    assert not list(folder.glob(".*"))  # no half-written .part files
    resynced = resync_folder(kb, folder.resolve(), None)  # the folder matches the KB: nothing to redo
    assert (resynced.documents_added, resynced.documents_updated, resynced.errors) == (0, 0, [])


def test_page_and_api_uploads_share_one_folder_and_one_resync(new_kb, tmp_path):
    from assistant.apps import kb_ops

    kb = new_kb()
    page_file = tmp_path / "page.md"
    page_file.write_bytes(NOTE)
    kb_ops.upload(kb, [page_file], NURSES)  # the page hands over paths
    ingest_files(kb, [("api.md", b"# API\nThe API note says the pharmacy opens at nine.")], NURSES, NURSE)
    folder = kb.path.resolve() / "uploads" / "nurses"
    assert sorted(p.name for p in folder.iterdir()) == ["api.md", "page.md"]
    assert kb_ops.sync_folders(kb, None) == [str(folder)]
    (folder / "api.md").unlink()
    report = resync_folder(kb, folder, None)
    assert report.documents_pruned == 1 and [d.id for d in kb.catalog.documents()] == ["uploads/nurses/page.md"]
    assert kb.catalog.documents()[0].acl == NURSES


def test_a_restricted_caller_cannot_replace_another_groups_document(new_kb):
    kb = new_kb()
    ingest_texts(kb, [TextDocument("For paralegals only.", id="uploads/nurses/x.md")], ("paralegals",), None)
    report = ingest_files(kb, [("x.md", NOTE)], NURSES, NURSE)
    assert "you may not change a document" in report.errors[0]["error"] and report.documents_updated == 0
    assert not (kb.path / "uploads" / "nurses" / "x.md").exists()  # the refused file is not left behind
    # A document she sees but may not change (it is pharmacy's too) is refused in the very same words as
    # the hidden one: no reply tells that a hidden id exists.
    ingest_texts(kb, [TextDocument("Shared with pharmacy.", id="uploads/nurses/y.md")], ("nurses", "pharmacy"), None)
    seen = ingest_files(kb, [("y.md", NOTE)], NURSES, NURSE)
    hidden, shown = report.errors[0]["error"], seen.errors[0]["error"]
    assert hidden.replace("x.md", "y.md") == shown and seen.documents_updated == 0


def test_text_records_of_a_signed_in_caller_live_in_their_groups_namespace(new_kb):
    kb = new_kb()
    ingest_texts(kb, [TextDocument("Paralegal memo: the lease renews in May.", id="notes/memo")], ("paralegals",), None)
    # A nurse naming the same id, or the hidden one, gets her own document: nothing is replaced or revealed.
    for given in ("notes/memo", "uploads/paralegals/x"):
        report = ingest_texts(kb, [TextDocument("Nurse memo: ward 7 opens at nine.", id=given)], NURSES, NURSE)
        assert report.documents_added == 1 and report.errors == []
    ids = {d.id: d.acl for d in kb.catalog.documents()}
    assert ids == {"notes/memo": ("paralegals",), "uploads/nurses/notes/memo": NURSES,
                   "uploads/nurses/paralegals/x": NURSES}
    again = ingest_texts(kb, [TextDocument("Nurse memo: ward 7 opens at ten.", id="uploads/nurses/notes/memo")],
                         NURSES, NURSE)
    assert again.documents_updated == 1  # the id she was given back names her own document


def test_roles_guard_every_change(new_kb, tmp_path):
    kb = new_kb()
    ingest_files(kb, [("ward.md", NOTE)], NURSES, NURSE)
    ingest_texts(kb, [TextDocument("Public leaflet: flu clinics on Tuesdays.", id="public/flu")], (), None)
    with pytest.raises(AccessDenied, match="may not add documents there"):
        ingest_files(kb, [("new.md", NOTE)], NURSES, READER)
    with pytest.raises(AccessDenied, match="read it but not delete it"):
        delete_visible(kb, "uploads/nurses/ward.md", READER)
    with pytest.raises(AccessDenied, match="only an admin"):
        delete_visible(kb, "public/flu", NURSE)  # shared public documents: no ordinary user deletes them
    with pytest.raises(AccessDenied, match="not change them"):
        resync_folder(kb, kb.path.resolve() / "uploads" / "nurses", READER)
    # A nurse naming the public document's id gets her own namespaced one: the public one is untouched.
    report = ingest_texts(kb, [TextDocument("Flu clinics are cancelled.", id="public/flu")], NURSES, NURSE)
    assert report.documents_added == 1 and kb.catalog.document("public/flu").acl == ()
    assert delete_visible(kb, "public/flu", User("ada", (), admin=True)).id == "public/flu"


@pytest.mark.parametrize("groups", [("../../outside",), ("..",), ("/tmp",), ("a/b",)])
def test_no_group_name_writes_outside_the_uploads_folder(new_kb, tmp_path, groups):
    kb = new_kb()
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(AccessDenied):
        ingest_files(kb, [("evil.md", NOTE)], groups, None)
    assert sorted(p.name for p in tmp_path.iterdir()) == before and not (kb.path / "uploads").exists()


def test_a_symlinked_upload_folder_is_not_followed_out_of_the_kb(new_kb, tmp_path):
    kb = new_kb()
    outside = tmp_path / "outside"
    outside.mkdir()
    (kb.path / "uploads").mkdir()
    (kb.path / "uploads" / "nurses").symlink_to(outside, target_is_directory=True)
    report = ingest_files(kb, [("evil.md", NOTE)], NURSES, None)
    assert "outside the uploads folder" in report.errors[0]["error"] and list(outside.iterdir()) == []


def test_delete_removes_an_uploaded_file_and_hides_others_documents(new_kb):
    kb = new_kb()
    ingest_files(kb, [("ward.md", NOTE)], NURSES, None)
    stored = kb.path.resolve() / "uploads" / "nurses" / "ward.md"
    assert delete_visible(kb, "uploads/nurses/ward.md", LAWYER) is None  # hidden reads as absent
    assert stored.is_file() and kb.catalog.document("uploads/nurses/ward.md") is not None
    assert delete_visible(kb, "uploads/nurses/ward.md", NURSE).id == "uploads/nurses/ward.md"
    assert not stored.exists() and kb.catalog.document("uploads/nurses/ward.md") is None
    # the file went with it, so re-syncing the folder does not bring the document back
    assert resync_folder(kb, stored.parent, NURSE).documents_added == 0 and kb.catalog.documents() == []
    assert delete_visible(kb, "uploads/nurses/ward.md", None) is None
