"""Incremental sync: include/exclude globs, --prune, SQL watermarks, redaction, and a killed ingest."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.cli.main import main
from assistant.connectors import connector_for
from assistant.core.errors import KnowledgeBaseError
from assistant.core.types import Document
from assistant.ingest.kb import KnowledgeBase
from tests.connectors.fixtures import make_pdf

ROOT = Path(__file__).resolve().parent.parent


def _ids(items):
    return sorted(i.id for i in items if not isinstance(i, Exception))


def _folder(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    (root / "drafts").mkdir(parents=True)
    (root / "a.md").write_text("# Asthma\n\nInhaled steroids reduce airway inflammation.\n")
    (root / "b.txt").write_text("Leases in this firm renew every twelve months unless terminated.\n")
    (root / "drafts" / "c.md").write_text("# Draft\n\nThis draft note is not final.\n")
    (root / "scan.pdf").write_bytes(make_pdf(["Discharge summary page one.", "Follow-up in two weeks."]))
    return root


def test_include_and_exclude_globs_filter_a_folder(tmp_path):
    root = _folder(tmp_path)
    assert _ids(connector_for(root).iter_documents()) == ["docs/a.md", "docs/b.txt", "docs/drafts/c.md", "docs/scan.pdf"]
    assert _ids(connector_for(root, include=["*.md"]).iter_documents()) == ["docs/a.md", "docs/drafts/c.md"]
    assert _ids(connector_for(root, include=["*.md"], exclude=["drafts/*"]).iter_documents()) == ["docs/a.md"]
    nothing = list(connector_for(root, include=["*.docx"]).iter_documents())
    assert len(nothing) == 1 and "no files found" in str(nothing[0]) and "*.docx" in str(nothing[0])


def test_globs_ignore_case_so_upper_case_extensions_are_found(tmp_path):
    root = _folder(tmp_path)
    (root / "SCAN2.PDF").write_bytes(make_pdf(["Second discharge summary."]))
    (root / "Drafts2").mkdir()
    (root / "Drafts2" / "D.MD").write_text("# Draft\n\nAnother draft note.\n")
    assert _ids(connector_for(root, include=["*.pdf"]).iter_documents()) == ["docs/SCAN2.PDF", "docs/scan.pdf"]
    assert "docs/Drafts2/D.MD" not in _ids(connector_for(root, exclude=["drafts2/*"]).iter_documents())


def test_ingest_of_a_missing_path_is_a_usage_error_that_creates_nothing(tmp_path):
    import subprocess
    import sys

    kb = tmp_path / "kb"
    done = subprocess.run([sys.executable, "-m", "assistant.cli", "ingest", str(tmp_path / "no-such-folder"), "--kb",
                           str(kb)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "found nothing at" in done.stderr and "no-such-folder" in done.stderr
    assert not kb.exists()


def test_files_a_folder_ingest_does_not_read_are_listed_under_skipped_with_the_reason(tmp_path, capsys):
    import json

    root = _folder(tmp_path)
    (root / "photo.PNG").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    (root / "budget.xlsx").write_bytes(b"PK\x03\x04" + bytes(64))
    code = main(["ingest", str(root), "--kb", str(tmp_path / "kb"), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["documents_added"] == 4 and report["errors"] == []
    reasons = {Path(s["source"]).name: s["reason"] for s in report["skipped"]}
    assert sorted(reasons) == ["budget.xlsx", "photo.PNG"]
    assert reasons["budget.xlsx"].startswith("skipped: unsupported file type .xlsx; expected one of")
    assert ".pdf" in reasons["photo.PNG"] and ".md" in reasons["photo.PNG"]


def test_prune_deletes_vanished_files_but_keeps_ones_that_fail_to_parse(new_kb, tmp_path):
    root = _folder(tmp_path)
    kb = new_kb()
    assert kb.ingest(connector_for(root).iter_documents()).documents_added == 4
    (root / "drafts" / "c.md").unlink()
    (root / "b.txt").write_bytes(b"\x00\x01binary now")  # unreadable today; its old content must stay
    report = kb.ingest(connector_for(root).iter_documents(), prune_scopes=[root])
    assert report.documents_pruned == 1 and len(report.errors) == 1 and report.documents_unchanged == 2
    ids = [d.id for d in kb.catalog.documents()]
    assert ids == ["docs/a.md", "docs/b.txt", "docs/scan.pdf"]
    assert len(kb.dense) == kb.stats()["chunks"]
    # Without --prune nothing is deleted, and pruning another folder never touches this one.
    (root / "a.md").unlink()
    assert kb.ingest(connector_for(root).iter_documents()).documents_pruned == 0
    assert kb.ingest([], prune_scopes=[tmp_path / "elsewhere"]).documents_pruned == 0
    assert kb.ingest([], prune_scopes=[root]).documents_pruned == 1


def test_sql_source_syncs_incrementally_and_prunes_deleted_rows(tmp_path, capsys):
    db = tmp_path / "notes.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE notes (note_id TEXT, body TEXT, ward TEXT, updated_at TEXT)")
        conn.executemany("INSERT INTO notes VALUES (?, ?, ?, ?)", [
            ("n1", "Patient education on insulin storage in the refrigerator.", "A", "2026-01-01T10:00:00"),
            ("n2", "Warfarin dosing requires regular INR monitoring.", "B", "2026-01-02T10:00:00"),
            ("n3", "Hand hygiene before and after every patient contact.", "A", "2026-01-03T10:00:00")])
    kb = tmp_path / "kb"
    args = ["ingest", "--kb", str(kb), "--sql-url", f"sqlite:///{db}", "--sql-query", "notes",
            "--sql-map", "id=note_id,text=body,updated=updated_at", "--sql-metadata", "ward", "--json"]
    assert main(args) == 0
    assert '"documents_added": 3' in capsys.readouterr().out
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE notes SET body = 'Warfarin dosing requires weekly INR checks.', "
                     "updated_at = '2026-02-01T09:00:00' WHERE note_id = 'n2'")
    assert main(args) == 0
    out = capsys.readouterr().out  # only the changed row was read: nothing reported unchanged
    assert '"documents_updated": 1' in out and '"documents_unchanged": 0' in out
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM notes WHERE note_id = 'n3'")
    assert main(args + ["--prune"]) == 0
    assert '"documents_pruned": 1' in capsys.readouterr().out
    opened = KnowledgeBase(kb)
    assert [d.id for d in opened.catalog.documents()] == ["notes:n1", "notes:n2"]
    chunk = next(iter(opened.catalog.chunks(opened.catalog.chunk_keys("notes:n2")).values()))
    assert "weekly INR" in chunk.text


def test_healthcare_documents_are_redacted_by_default_and_legal_ones_are_not(new_kb, tmp_path):
    kb = new_kb()
    note = Document(id="note-1", domain="healthcare", title="Clinic note",
                    text="Patient: John Smith, DOB: 03/14/1962, MRN: 00123456. Call 555-123-4567 about the "
                         "metformin 500 mg dose.")
    contract = Document(id="msa", domain="legal", text="Contact Mr. Daniel Reyes at 555-123-4567 for notices.")
    report = kb.ingest([note, contract])
    assert report.redactions == {"mrn": 1, "dob": 1, "phone": 1, "name": 1} or (
        set(report.redactions) == {"mrn", "dob", "phone", "name"}), report.redactions
    texts = {c.doc_id: c.text for c in kb.catalog.chunks(kb.catalog.chunk_keys()).values()}
    assert "John Smith" not in texts["note-1"] and "00123456" not in texts["note-1"]
    assert "[NAME]" in texts["note-1"] and "500 mg" in texts["note-1"]
    assert "Daniel Reyes" in texts["msa"]
    assert "[NAME]" not in repr(report.to_dict()) or "John" not in repr(report.to_dict())
    assert kb.ingest([note]).documents_unchanged == 1  # the hash is of the source, so re-reads are no-ops
    with pytest.raises(KnowledgeBaseError, match="created with redaction 'auto'"):
        KnowledgeBase(kb.path, redaction="off")
    off = KnowledgeBase(tmp_path / "plain", create=True, redaction="off", embedder=kb.embedder)
    off.ingest([note])
    assert "John Smith" in next(iter(off.catalog.chunks(off.catalog.chunk_keys()).values())).text


def _catalog_snapshot(path: Path):
    conn = sqlite3.connect(path / "catalog.sqlite")
    docs = conn.execute("SELECT id, content_hash, chunk_count FROM documents ORDER BY id").fetchall()
    chunks = conn.execute("SELECT id, doc_id, text, start, end, locator FROM chunks ORDER BY id").fetchall()
    fts = conn.execute("SELECT count(*) FROM chunks_fts").fetchone()[0] if _has(conn, "chunks_fts") else None
    conn.close()
    return docs, chunks, fts


def _has(conn, table):
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone() is not None


@pytest.mark.slow
def test_killed_ingest_reruns_to_the_same_catalog_as_an_uninterrupted_one(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(90):
        sentences = " ".join(f"Topic {i} fact {j}: the clinic reviews case {i * 7 + j} every {j + 2} weeks."
                             for j in range(40))
        (corpus / f"doc{i:03d}.txt").write_text(sentences)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "assistant.cli", "ingest", str(corpus), "--kb", str(tmp_path / "killed")]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    catalog = tmp_path / "killed" / "catalog.sqlite"
    committed = 0
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if catalog.exists():
            try:
                with sqlite3.connect(f"file:{catalog}?mode=ro", uri=True) as conn:
                    committed = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
            except sqlite3.OperationalError:
                committed = 0  # schema not created yet
            if committed:
                break
        time.sleep(0.05)
    assert proc.poll() is None, "the ingest finished before it could be killed; make the corpus larger"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = _catalog_snapshot(tmp_path / "killed")[0]
    assert 0 < len(partial) < 90, f"killed with {len(partial)} of 90 documents committed"

    assert subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True).returncode == 0
    clean = [sys.executable, "-m", "assistant.cli", "ingest", str(corpus), "--kb", str(tmp_path / "clean")]
    assert subprocess.run(clean, env=env, cwd=ROOT, capture_output=True).returncode == 0
    assert _catalog_snapshot(tmp_path / "killed") == _catalog_snapshot(tmp_path / "clean")
    resumed = KnowledgeBase(tmp_path / "killed")
    resumed.reconcile(save=False)
    assert resumed.dense.keys() == set(resumed.catalog.chunk_keys())  # no vector lost or duplicated
    assert len(resumed.catalog.sparse.keys()) == resumed.stats()["chunks"]


def test_the_shared_cuad_pdf_folder_is_found_whole_by_a_lower_case_glob():
    from assistant.connectors.files import SUPPORTED, walk_files
    from tests.conftest import shared_data

    folder = shared_data("cuad/full_contract_pdf")
    found = walk_files(folder, SUPPORTED, ["*.pdf"])
    assert len(found) == 15 and sum(p.suffix == ".PDF" for p in found) >= 5  # most end in upper-case .PDF
