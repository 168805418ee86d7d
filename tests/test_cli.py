"""The CLI as a user runs it: real processes, stable JSON, exit codes 0 / 1 / 2."""

import json
import subprocess
import sys

import pytest

from assistant.demo import CORPUS


def run(*args, input=None):
    return subprocess.run([sys.executable, "-m", "assistant.cli", *map(str, args)], capture_output=True, text=True,
                          input=input, timeout=600)


def test_ingest_json_summary_and_exit_codes(tmp_path):
    kb = tmp_path / "kb"
    good = run("ingest", CORPUS / "legal", "--kb", kb, "--domain", "legal", "--json")
    assert good.returncode == 0, good.stderr
    summary = json.loads(good.stdout)
    assert set(summary) == {"documents_added", "documents_updated", "documents_unchanged", "documents_pruned",
                            "chunks_added", "chunks_reused", "redactions", "seconds", "stages", "errors", "warnings",
                            "skipped"}
    assert summary["documents_added"] == 6 and summary["chunks_added"] > 6 and summary["errors"] == []
    assert "docs/s" in good.stderr and "chunks/s" in good.stderr  # progress bar goes to stderr

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.md").write_text("")
    (bad / "bin.txt").write_bytes(b"\x00\x01\x02")
    (bad / "rec.jsonl").write_text('{"id": "r1", "text": "Record one about leases."}\n{oops\n')
    # A typo'd path among good ones is a usage error before anything is read: nothing is ingested.
    typo = run("ingest", bad, tmp_path / "missing", CORPUS / "legal", "--kb", kb, "--domain", "legal", "--json")
    assert typo.returncode == 2 and "missing" in typo.stderr and typo.stdout == ""
    mixed = run("ingest", bad, CORPUS / "legal", "--kb", kb, "--domain", "legal", "--json")
    assert mixed.returncode == 1
    summary = json.loads(mixed.stdout)
    assert summary["documents_added"] == 1 and summary["documents_unchanged"] == 6
    reasons = " ".join(e["error"] for e in summary["errors"])
    assert len(summary["errors"]) == 3 and "empty" in reasons and "binary" in reasons and "malformed JSON" in reasons
    assert "Traceback" not in mixed.stderr

    usage = run("ingest", "--kb", kb)
    assert usage.returncode == 2 and "nothing to ingest" in usage.stderr


def test_user_mistakes_exit_2_without_traceback(tmp_path):
    missing = run("search", "anything", "--kb", tmp_path / "none")
    assert missing.returncode == 2 and "does not exist; build it first" in missing.stderr
    assert "Traceback" not in missing.stderr
    both = run("search", "q", "--queries", "x.jsonl", "--kb", tmp_path)
    assert both.returncode == 2 and "not both" in both.stderr
    bad_config = run("--config", tmp_path / "nope.toml", "search", "q", "--kb", tmp_path)
    assert bad_config.returncode == 2 and "config file" in bad_config.stderr


def test_search_json_and_batch(demo_kb_path, tmp_path):
    one = run("search", "security deposit for the apartment", "--kb", demo_kb_path, "-k", "3", "--json")
    assert one.returncode == 0, one.stderr
    hits = json.loads(one.stdout)["hits"]
    assert len(hits) == 3 and set(hits[0]) == {"chunk_id", "doc_id", "title", "text", "score", "locator"}
    assert hits[0]["doc_id"] == "legal/residential-lease.md"

    queries = tmp_path / "q.jsonl"
    queries.write_text('{"id": "a", "query": "lactic acidosis"}\n{"id": "b", "query": "governing law Delaware"}\n'
                       'not json\n')
    batch = run("search", "--queries", queries, "--kb", demo_kb_path, "-k", "2")
    lines = [json.loads(l) for l in batch.stdout.splitlines()]
    assert batch.returncode == 1 and ":3: skipped" in batch.stderr
    assert [l["id"] for l in lines] == ["a", "b"] and all(len(l["hits"]) == 2 for l in lines)
    assert lines[0]["hits"][0]["doc_id"] == "health/metformin.md"


@pytest.mark.slow
def test_ask_json_and_batch(demo_kb_path, tmp_path):
    one = run("ask", "How soon should flu antivirals be started?", "--kb", demo_kb_path, "--json")
    assert one.returncode == 0, one.stderr
    d = json.loads(one.stdout)
    assert {"answer", "abstained", "confidence", "citations", "sentences"} <= set(d)
    assert any(c["doc_id"] == "health/seasonal-influenza.md" for c in d["citations"])

    questions = tmp_path / "q.jsonl"
    questions.write_text('{"id": "x", "question": "What is a good sourdough recipe?"}\n')
    batch = run("ask", "--questions", questions, "--kb", demo_kb_path, "--user", "cli-user")
    (line,) = [json.loads(l) for l in batch.stdout.splitlines()]
    assert batch.returncode == 0 and line["id"] == "x" and line["abstained"] is True

    audit = run("audit", "--kb", demo_kb_path, "--user", "cli-user", "--json")
    assert audit.returncode == 0, audit.stderr
    (record,) = json.loads(audit.stdout)["records"]
    assert record["abstained"] is True and record["abstain_reason"] == line["abstain_reason"] != ""


def test_ingest_is_one_typed_request_for_the_cli_and_scripts(tmp_path, settings):
    import pytest

    from assistant.core.errors import AssistantError
    from assistant.ingest.sources import IngestRequest, run_ingest

    with pytest.raises(AssistantError, match="nothing to ingest"):
        IngestRequest(kb=tmp_path / "kb")
    with pytest.raises(AssistantError, match="redact: expected one of auto, on, off"):
        IngestRequest(kb=tmp_path / "kb", paths=("x",), redact="maybe")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "note.md").write_text("# Ward 7\n\nVisiting hours end at 19:30.", encoding="utf-8")
    report = run_ingest(IngestRequest(kb=tmp_path / "kb", paths=(tmp_path / "docs",), domain="healthcare"), settings)
    assert report.documents_added == 1 and report.errors == []
