"""The upload core both front ends call (`assistant.uploads`): where files are kept, zips unpacked
safely and within limits, and a corrupt new version of a file losing nothing. The page's and the API's
own tests only check that they reach it with the right ACL."""

import io
import zipfile

from assistant.uploads import (UploadLimits, delete_visible, folder_acl, group_folder, ingest_files, resync_folder,
                               safe_name)

NURSES = ("nurses",)
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
    from apps import kb_ops

    kb = new_kb()
    page_file = tmp_path / "page.md"
    page_file.write_bytes(NOTE)
    kb_ops.upload(kb, [page_file], NURSES)  # the page hands over paths
    ingest_files(kb, [("api.md", b"# API\nThe API note says the pharmacy opens at nine.")], NURSES, ("nurses",))
    folder = kb.path.resolve() / "uploads" / "nurses"
    assert sorted(p.name for p in folder.iterdir()) == ["api.md", "page.md"]
    assert kb_ops.sync_folders(kb, None) == [str(folder)]
    (folder / "api.md").unlink()
    report = resync_folder(kb, folder, None)
    assert report.documents_pruned == 1 and [d.id for d in kb.catalog.documents()] == ["uploads/nurses/page.md"]
    assert kb.catalog.documents()[0].acl == NURSES


def test_a_restricted_caller_cannot_replace_another_groups_document(new_kb):
    from assistant.uploads import TextDocument, ingest_texts

    kb = new_kb()
    ingest_texts(kb, [TextDocument("For paralegals only.", id="uploads/nurses/x.md")], ("paralegals",), None)
    report = ingest_files(kb, [("x.md", NOTE)], NURSES, NURSES)
    assert "belongs to groups you are not in" in report.errors[0]["error"] and report.documents_updated == 0
    assert not (kb.path / "uploads" / "nurses" / "x.md").exists()  # the refused file is not left behind


def test_delete_removes_an_uploaded_file_and_hides_others_documents(new_kb):
    kb = new_kb()
    ingest_files(kb, [("ward.md", NOTE)], NURSES, None)
    stored = kb.path.resolve() / "uploads" / "nurses" / "ward.md"
    assert delete_visible(kb, "uploads/nurses/ward.md", ("lawyers",)) is None  # hidden reads as absent
    assert stored.is_file() and kb.catalog.document("uploads/nurses/ward.md") is not None
    assert delete_visible(kb, "uploads/nurses/ward.md", NURSES).id == "uploads/nurses/ward.md"
    assert not stored.exists() and kb.catalog.document("uploads/nurses/ward.md") is None
    # the file went with it, so re-syncing the folder does not bring the document back
    assert resync_folder(kb, stored.parent, NURSES).documents_added == 0 and kb.catalog.documents() == []
    assert delete_visible(kb, "uploads/nurses/ward.md", None) is None
