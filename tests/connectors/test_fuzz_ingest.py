"""Property: a folder of good documents plus any hostile files (random bytes, truncated fixtures, JSON of
the wrong types, huge fields, odd names, symlinks, nested archives) ingests without a crash, keeps every
good document, reports each bad input as a one-line error, and touches nothing outside the KB."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as run_settings
from hypothesis import strategies as st

from assistant.connectors import connector_for
from assistant.ingest.kb import KnowledgeBase
from tests.connectors.fixtures import make_docx, make_pdf

SENTENCE = "Patients with asthma should carry a reliever inhaler at all times and review it yearly."
GOOD_IDS = {"docs/good.txt", "docs/good.md", "docs/good.html", "docs/good.pdf", "docs/good.docx", "rec-1", "rec-2",
            "csv-1"}
SUFFIXES = [".txt", ".md", ".html", ".pdf", ".docx", ".jsonl", ".csv", ".json", ".xml", ".zip", ".xml.gz", ""]
FIELDS = ["id", "text", "title", "acl", "date", "doc_type", "domain", "uri", "source", "page_starts", "structure",
          "encoding", "user"]


def _write_good(docs: Path) -> dict[str, bytes]:
    """The good documents, and their bytes by suffix (the seeds hostile mutations start from)."""
    (docs / "good.txt").write_text(SENTENCE, encoding="utf-8")
    (docs / "good.md").write_text(f"# Asthma\n\n{SENTENCE}\n", encoding="utf-8")
    (docs / "good.html").write_text(f"<html><body><h1>Asthma</h1><p>{SENTENCE}</p></body></html>", encoding="utf-8")
    (docs / "good.pdf").write_bytes(make_pdf([SENTENCE]))
    make_docx(docs / "good.docx")
    (docs / "good.jsonl").write_text(json.dumps({"id": "rec-1", "text": SENTENCE, "acl": ["nurses"]}) + "\n"
                                     + json.dumps({"id": "rec-2", "text": SENTENCE, "year": 2020}) + "\n")
    (docs / "good.csv").write_text(f'id,text,ward\ncsv-1,"{SENTENCE}",B\n', encoding="utf-8")
    return {p.suffix: p.read_bytes() for p in docs.iterdir() if p.is_file()}


class Seeds(dict):
    def __repr__(self) -> str:  # hypothesis prints the arguments of a failing example; bytes would flood it
        return f"Seeds({sorted(self)})"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)
records = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6).map(
    lambda r: {**r, "id": f"h-{r['id']}"} if isinstance(r.get("id"), str) else r)  # never a good record's id
names = st.text(st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)), min_size=1,
                max_size=24).filter(lambda n: n not in (".", "..") and len(n.encode()) < 200)


@st.composite
def hostile_files(draw) -> list[tuple[str, object]]:
    """(kind, argument) pairs; `_plant` turns each into files under docs/hostile."""
    kinds = st.one_of(
        st.tuples(st.just("bytes"), st.tuples(st.sampled_from(SUFFIXES), st.binary(max_size=2048))),
        st.tuples(st.just("truncate"), st.tuples(st.sampled_from([".pdf", ".docx", ".jsonl", ".html", ".csv"]),
                                                 st.floats(0, 1))),
        st.tuples(st.just("records"), st.lists(records | json_values, min_size=1, max_size=4)),
        st.tuples(st.just("huge"), st.sampled_from(["title", "id", "user_field", "line", "csv_field"])),
        st.tuples(st.just("name"), names),
        st.tuples(st.just("link"), st.sampled_from(["sibling_file", "sibling_dir", "dangling", "loop", "kb"])),
        st.tuples(st.just("archive"), st.sampled_from(["zip_in_zip", "tar_gz", "docx_with_zip", "gz_xml"])),
    )
    return draw(st.lists(kinds, min_size=1, max_size=5))


def _plant(i: int, kind: str, arg, hostile: Path, seeds: dict[str, bytes], outside: Path, kb: Path) -> None:
    base = hostile / f"h{i}"
    if kind == "bytes":
        suffix, data = arg
        base.with_name(base.name + suffix).write_bytes(data)
    elif kind == "truncate":
        suffix, share = arg
        data = seeds[suffix]
        base.with_suffix(suffix).write_bytes(data[: int(len(data) * share)])
    elif kind == "records":
        base.with_suffix(".jsonl").write_text("\n".join(json.dumps(r) for r in arg) + "\n", encoding="utf-8")
    elif kind == "huge":
        big = "x" * 1_000_000
        record = {"id": "h-huge", "text": SENTENCE}
        if arg == "csv_field":  # over the csv module's 128 KB field limit
            base.with_suffix(".csv").write_text(f'id,text\nh-c,"{big}"\n', encoding="utf-8")
            return
        if arg == "line":
            record["text"] = SENTENCE + " word" * 2000
        else:
            record[{"title": "title", "id": "id", "user_field": "notes"}[arg]] = big
        base.with_suffix(".jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    elif kind == "name":
        (hostile / f"{i}-{arg}.txt").write_text(SENTENCE, encoding="utf-8")
    elif kind == "link":
        target = {"sibling_file": outside / "secret.txt", "sibling_dir": outside, "dangling": outside / "none",
                  "loop": base.with_suffix(".txt"), "kb": kb / "catalog.sqlite"}[arg]
        base.with_suffix(".txt").symlink_to(target)
    elif kind == "archive":
        inner = io.BytesIO()
        with zipfile.ZipFile(inner, "w") as z:
            z.writestr("inner.txt", SENTENCE)
        if arg == "zip_in_zip":
            with zipfile.ZipFile(base.with_suffix(".zip"), "w") as z:
                z.writestr("nested.zip", inner.getvalue())
        elif arg == "tar_gz":
            with tarfile.open(base.with_suffix(".tgz"), "w:gz") as t:
                info = tarfile.TarInfo("../../escape.txt")  # a path-traversal member: must never be unpacked
                info.size = len(SENTENCE)
                t.addfile(info, io.BytesIO(SENTENCE.encode()))
        elif arg == "docx_with_zip":
            shutil.copy(hostile.parent / "good.docx", base.with_suffix(".docx"))
            with zipfile.ZipFile(base.with_suffix(".docx"), "a") as z:
                z.writestr("word/nested.zip", inner.getvalue())
        else:
            base.with_name(base.name + ".xml.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")


def _snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> dict[str, bytes]:
    return Seeds(_write_good(tmp_path_factory.mktemp("seeds")))


@pytest.mark.slow  # ~1 s of CPU per example (a KB per folder); 20 examples
@run_settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(plan=hostile_files())
def test_hostile_folder_never_crashes_and_keeps_every_good_document(tmp_path_factory, settings, embedder, seeds,
                                                                   plan):
    root = tmp_path_factory.mktemp("fuzz")
    docs, outside, kb_path = root / "docs", root / "sibling", root / "kb"
    (docs / "hostile").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.txt").write_text("Sibling data that must never be read or changed.", encoding="utf-8")
    _write_good(docs)
    kb = KnowledgeBase(kb_path, settings, create=True, embedder=embedder)
    for i, (kind, arg) in enumerate(plan):
        _plant(i, kind, arg, docs / "hostile", seeds, outside, kb_path)
    before = _snapshot(outside)
    try:
        report = kb.ingest(connector_for(docs).iter_documents(), prune_scopes=[docs])
        ids = {r.id for r in kb.catalog.documents()}
        texts = " ".join(c.text for c in kb.catalog.chunks(kb.catalog.chunk_keys()).values())
    finally:
        kb.close()
    assert GOOD_IDS <= ids, report.errors
    assert "Sibling data" not in texts  # nothing outside the folder was read
    assert _snapshot(outside) == before and not (root / "escape.txt").exists()
    for entry in report.errors:
        assert set(entry) == {"source", "error"} and isinstance(entry["error"], str) and entry["error"]
        assert "Traceback" not in entry["error"] and "\n  File " not in entry["error"]


@pytest.mark.slow
def test_cli_over_a_hostile_folder_exits_1_without_a_traceback(tmp_path, seeds):
    docs, outside, kb = tmp_path / "docs", tmp_path / "sibling", tmp_path / "kb"
    (docs / "hostile").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.txt").write_text("Sibling data that must never be read or changed.", encoding="utf-8")
    _write_good(docs)
    plan = [("bytes", (".pdf", b"%PDF-1.4 junk")), ("truncate", (".docx", 0.5)),
            ("records", [{"id": "h-1", "text": "t", "acl": 5}, {"id": "h-2", "text": "t", "page_starts": "x"}]),
            ("huge", "csv_field"), ("name", "bidi\u202e"), ("link", "sibling_file"), ("archive", "zip_in_zip"),
            ("bytes", (".json", b"{broken")), ("bytes", (".xml", b"<a><b></a>"))]
    for i, (kind, arg) in enumerate(plan):
        _plant(i, kind, arg, docs / "hostile", seeds, outside, kb)
    before = _snapshot(outside)
    run = subprocess.run([sys.executable, "-m", "assistant.cli", "ingest", str(docs), "--kb", str(kb), "--json"],
                         capture_output=True, text=True, timeout=600, cwd=Path(__file__).resolve().parents[2],
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    summary = json.loads(run.stdout)
    assert summary["documents_added"] == len(GOOD_IDS) + 1  # the good ones, and h-2 (its field is user metadata)
    assert len(summary["errors"]) == 9 and _snapshot(outside) == before
