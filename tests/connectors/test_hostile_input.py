"""Issue 15: one bad input is one `errors` entry, never a lost batch. Real files on disk, a real KB."""

from __future__ import annotations

import json
import os

import pytest

from assistant.connectors import JsonlConnector, connector_for
from assistant.connectors.registry import guarded
from assistant.ingest.kb import KnowledgeBase
from tests.connectors.fixtures import make_docx, rewrite_docx_part

GOOD = "The clinic opens at eight in the morning on weekdays and closes at six."


def _ingest(kb: KnowledgeBase, path):
    report = kb.ingest(connector_for(path).iter_documents())
    ids = {r.id for r in kb.catalog.documents()}
    return report, ids


def _errors(report) -> dict[str, str]:
    return {os.path.basename(e["source"]): e["error"] for e in report.errors}


def test_bad_records_and_files_each_become_one_error_and_good_ones_are_kept(tmp_path, new_kb):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    records = [{"id": "ok-1", "text": GOOD},
               {"id": "acl-int", "text": GOOD, "acl": 5},
               {"id": "acl-bool", "text": GOOD, "acl": True},
               {"id": "acl-mixed", "text": GOOD, "acl": ["nurses", 7]},
               {"id": "title-obj", "text": GOOD, "title": {"a": 1}},
               {"id": "ok-2", "text": GOOD, "acl": "nurses, doctors"}]
    (folder / "records.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    (folder / "bad.json").write_text('{"resource": [1, 2', encoding="utf-8")
    (folder / "bad.xml").write_text("<PubmedArticle><unclosed>", encoding="utf-8")
    (folder / "bundle.zip").write_bytes(b"PK\x03\x04 truncated")
    (folder / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    broken = folder / "broken.docx"
    make_docx(broken)
    rewrite_docx_part(broken, lambda xml: xml[: len(xml) // 2])
    kb = new_kb()
    report, ids = _ingest(kb, folder)
    assert ids == {"docs/good.txt", "ok-1", "ok-2"}
    by_line = {e["source"].rsplit(":", 1)[1]: e["error"] for e in report.errors if ".jsonl:" in e["source"]}
    assert by_line == {
        "2": "record 'acl-int': acl: expected a list of group names or a comma-separated string, found int 5",
        "3": "record 'acl-bool': acl: expected a list of group names or a comma-separated string, found bool True",
        "4": "record 'acl-mixed': acl[1]: expected a group name (string), found int 7",
        "5": "record 'title-obj': title: expected a string, found dict {'a': 1}"}
    files = _errors(report)
    assert files["bad.json"].startswith("malformed JSON") and files["bad.xml"].startswith("malformed XML")
    assert "archives are not unpacked" in files["bundle.zip"]
    assert "XML is malformed or too large" in files["broken.docx"] and "Traceback" not in files["broken.docx"]
    assert "picture.png" not in files  # skipped with a reason, but not a failure
    png = [s["reason"] for s in report.skipped if s["source"].endswith("picture.png")]
    assert len(png) == 1 and png[0].startswith("skipped: unsupported file type .png")
    doctors = next(r for r in kb.catalog.documents() if r.id == "ok-2")
    assert doctors.acl == ("nurses", "doctors")


def test_user_fields_named_like_internal_keys_live_in_their_own_namespace(tmp_path, new_kb):
    path = tmp_path / "r.jsonl"
    lines = [{"id": "p", "text": GOOD, "page_starts": "not offsets", "date": "2024-02-01", "doc_type": "policy"},
             {"id": "s", "text": GOOD, "structure": [{"start": 0, "end": 999999}], "encoding": 5}]
    path.write_text("\n".join(json.dumps(r) for r in lines), encoding="utf-8")
    docs = list(JsonlConnector(path).iter_documents())
    assert docs[0].metadata == {"date": "2024-02-01", "doc_type": "policy", "user": {"page_starts": "not offsets"}}
    assert docs[1].metadata == {"user": {"structure": [{"start": 0, "end": 999999}], "encoding": 5}}
    kb = new_kb()
    report = kb.ingest(docs)
    assert report.errors == [] and report.documents_added == 2 and report.warnings == []
    stored = json.loads(kb.catalog.conn.execute("SELECT metadata FROM documents WHERE id = 'p'").fetchone()[0])
    assert stored["user"]["page_starts"] == "not offsets"


def test_a_record_date_of_the_wrong_type_names_the_field(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps({"id": "d", "text": GOOD, "date": [2024]}) + "\n", encoding="utf-8")
    (error,) = JsonlConnector(path).iter_documents()
    assert str(error) == ("record 'd': date: expected an ISO date string (YYYY, YYYY-MM or YYYY-MM-DD) or an "
                          "integer year, found list [2024]")


def test_symlink_out_of_the_folder_is_refused_and_nothing_outside_is_read(tmp_path, new_kb):
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "secret.txt").write_text("The vault code is 0000 and it must stay private.", encoding="utf-8")
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    (folder / "leak.txt").symlink_to(outside / "secret.txt")
    (folder / "sub" / "dir-link").symlink_to(outside, target_is_directory=True)
    (folder / "dangling.md").symlink_to(tmp_path / "nowhere.md")
    (folder / "inside.txt").symlink_to(folder / "good.txt")  # inside: its target is read under its own id
    kb = new_kb()
    report, ids = _ingest(kb, folder)
    assert ids == {"docs/good.txt"} and len(report.errors) == 3
    files = _errors(report)
    assert "points outside the ingested folder" in files["leak.txt"] and "copy the file" in files["leak.txt"]
    assert "points outside the ingested folder" in files["dir-link"]
    assert "leads to nothing readable" in files["dangling.md"]
    texts = " ".join(c.text for c in kb.catalog.chunks(kb.catalog.chunk_keys()).values())
    assert "vault" not in texts


@pytest.mark.parametrize("change, reason", [
    (lambda xml: xml.replace(b"<w:body>", b"<w:body>" + b"<w:p>" * 300 + b"</w:p>" * 300), "Excessive depth"),
    (lambda xml: xml.replace(b"The clinic opens", b"A" * (11 * 1024 * 1024) + b" The clinic opens"),
     "Text node too long"),
])
def test_docx_over_lxml_resource_limits_is_one_error(tmp_path, new_kb, change, reason):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    make_docx(folder / "huge.docx")
    rewrite_docx_part(folder / "huge.docx", change)
    report, ids = _ingest(new_kb(), folder)
    assert ids == {"docs/good.txt"}
    assert reason in _errors(report)["huge.docx"]


@pytest.mark.parametrize("name", ["note\u202etxt.exe.txt", "bell\x07.txt", "esc\x1b[31m.md", "iso\u2066.txt",
                                  "c1\x85.txt", "mark\u200f.txt"])
def test_file_names_with_control_or_bidi_characters_are_refused(tmp_path, new_kb, name):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    (folder / name).write_text(GOOD, encoding="utf-8")
    report, ids = _ingest(new_kb(), folder)
    assert ids == {"docs/good.txt"}
    (error,) = report.errors
    assert f"U+{ord(next(c for c in name if not c.isprintable())):04X}" in error["error"]
    assert "rename the file" in error["error"]


def test_record_ids_with_bidi_overrides_are_refused(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps({"id": "invoice\u202efdp.exe", "text": GOOD}) + "\n"
                    + json.dumps({"id": "fine", "text": GOOD}) + "\n", encoding="utf-8")
    error, doc = JsonlConnector(path).iter_documents()
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in str(error) and doc.id == "fine"


def test_a_connector_that_raises_mid_way_keeps_what_it_read(tmp_path, new_kb):
    from assistant.core.types import Document

    def flaky():
        yield Document(id="first", text=GOOD, source="flaky")
        raise RuntimeError("driver lost its connection")

    kb = new_kb()
    report = kb.ingest(flaky(), prune_scopes=["flaky"])
    assert {r.id for r in kb.catalog.documents()} == {"first"}
    assert report.errors[0] == {"source": "(source reader)", "error": "RuntimeError: driver lost its connection"}
    assert "--prune skipped" in report.errors[1]["error"] and report.documents_pruned == 0
    # Per source, inside a folder walk or across the command line's sources: the next source still runs.
    items = [*guarded(flaky, "flaky"), *guarded(lambda: iter([Document(id="next", text=GOOD)]), "other")]
    assert [getattr(i, "id", None) for i in items] == ["first", None, "next"]
    assert str(items[1]) == "RuntimeError: driver lost its connection" and items[1].source == "flaky"


def test_bad_internal_metadata_from_a_connector_is_an_error_for_that_document(new_kb):
    from assistant.core.types import Document

    docs = [Document(id="bad-pages", text=GOOD, metadata={"page_starts": "0,10"}),
            Document(id="bad-spans", text=GOOD, metadata={"structure": [{"start": 0, "end": 10 ** 6}]}),
            Document(id="good", text=GOOD)]
    kb = new_kb()
    report = kb.ingest(docs)
    assert {r.id for r in kb.catalog.documents()} == {"good"}
    assert report.errors[0]["error"] == ("FieldError: metadata['page_starts']: expected a list of integer "
                                         "character offsets, found str '0,10'")
    assert report.errors[1]["error"].startswith("ValueError: document 'bad-spans': structure span 0..1000000")
