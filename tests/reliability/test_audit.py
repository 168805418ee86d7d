"""Audit log on real SQLite: one record per answer, append-only enforced by the database, readable by
`assistant audit`."""

import hashlib
import json
import sqlite3
import subprocess
import sys

import pytest

from assistant.core.types import (
    Answer,
    Chunk,
    Citation,
    Hit,
    QuarantinedHit,
    SentenceCheck,
)
from assistant.reliability.audit import SCHEMA_VERSION, AuditError, AuditLog


def _hit(i):
    return Hit(Chunk(f"chunk-{i}", f"doc-{i}", "text", 0, 4), 1.0)


def _answer(question="What is the dose for Jane Doe?", abstained=False):
    sentences = [] if abstained else [SentenceCheck("Take 500 mg [1].", (1,), 0.81, "supported"),
                                      SentenceCheck("Maybe more.", (), 0.2, "unsupported", "no source")]
    return Answer(question, "Take 500 mg [1].", [], sentences, abstained, 0.0 if abstained else 0.4,
                  timings={"total": 1.25}, adapter="med", model="SmolLM2",
                  quarantined=[QuarantinedHit(_hit(9), ("instruction override: 'x'",))],
                  abstain_reason="nothing survived verification" if abstained else "")


def test_records_hold_the_hash_not_the_question_and_read_back_newest_first(tmp_path):
    log = AuditLog(tmp_path / "audit.sqlite")
    first = log.record(_answer(), [_hit(1), _hit(2)], user="dr.who")
    second = log.record(_answer("Other?", abstained=True), [_hit(3)], user="clerk")
    assert second > first
    rows = log.read()
    assert [r.id for r in rows] == [second, first]
    r = rows[1]
    assert r.question_sha256 == hashlib.sha256(b"What is the dose for Jane Doe?").hexdigest()
    assert r.question is None and r.user == "dr.who" and r.model == "SmolLM2" and r.adapter == "med"
    assert r.retrieved == ["chunk-1", "chunk-2"] and r.quarantined == ["chunk-9"]
    assert [v["verdict"] for v in r.verdicts] == ["supported", "unsupported"] and r.verdicts[0]["citations"] == [1]
    assert r.latency_s == 1.25 and not r.abstained and r.time_utc.endswith("+00:00")
    assert rows[0].abstained and rows[0].abstain_reason == "nothing survived verification"
    raw = (tmp_path / "audit.sqlite").read_bytes() + (tmp_path / "audit.sqlite-wal").read_bytes()
    assert b"Jane Doe" not in raw  # neither the question nor sentence texts are stored
    assert [r.id for r in log.read(user="clerk")] == [second]
    assert log.read(since="2999-01-01") == [] and len(log.read(limit=1)) == 1
    log.close()


def test_questions_are_stored_only_when_asked_for(tmp_path):
    log = AuditLog(tmp_path / "a.sqlite", store_questions=True)
    log.record(_answer(), [])
    assert log.read()[0].question == "What is the dose for Jane Doe?"


@pytest.mark.parametrize("statement", ["UPDATE answers SET user = 'someone else'", "DELETE FROM answers",
                                       "UPDATE answers SET abstained = 1 WHERE id = 1"])
def test_update_and_delete_are_refused_by_sqlite_itself(tmp_path, statement):
    path = tmp_path / "audit.sqlite"
    AuditLog(path).record(_answer(), [_hit(1)], user="u")
    conn = sqlite3.connect(path)  # another tool, not this module
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute(statement)
    assert conn.execute("SELECT user, abstained FROM answers").fetchall() == [("u", 0)]
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_reading_a_missing_log_or_a_newer_schema_says_what_to_do(tmp_path):
    with pytest.raises(AuditError, match="no audit log at"):
        AuditLog(tmp_path / "none.sqlite").read()
    path = tmp_path / "new.sqlite"
    sqlite3.connect(path).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(AuditError, match="Upgrade the assistant"):
        AuditLog(path).read()


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "assistant.cli", "audit", *map(str, args)], capture_output=True,
                          text=True, timeout=300)


def test_audit_command_json_shape_filters_and_errors(tmp_path):
    kb = tmp_path / "kb"
    log = AuditLog(kb / "audit.sqlite")
    log.record(_answer(), [_hit(1)], user="alice")
    log.record(_answer("Another?"), [_hit(2)], user="bob")
    log.close()
    out = _cli("--kb", kb, "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) == {"path", "records"} and len(data["records"]) == 2
    assert set(data["records"][0]) == {"id", "time_utc", "user", "question_sha256", "question", "retrieved", "model",
                                       "adapter", "verdicts", "abstained", "abstain_reason", "quarantined",
                                       "escalated", "confidence", "latency_s"}
    assert [r["user"] for r in data["records"]] == ["bob", "alice"]
    only = json.loads(_cli("--kb", kb, "--json", "--user", "alice", "--since", "2020-01-01").stdout)["records"]
    assert [r["user"] for r in only] == ["alice"] and only[0]["retrieved"] == ["chunk-1"]
    assert len(json.loads(_cli("--kb", kb, "--json", "--limit", "1").stdout)["records"]) == 1
    text = _cli("--kb", kb)
    assert text.returncode == 0 and "user=alice" in text.stdout and "quarantined: chunk-9" in text.stdout
    bad = _cli("--kb", kb, "--since", "yesterday")
    assert bad.returncode == 2 and "--since expects" in bad.stderr
    missing = _cli("--kb", tmp_path / "empty-kb-dir-missing")
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def _cited_answer(audit_id):
    chunk = Chunk("chunk-1", "doc-1", "Take 500 mg twice daily.", 0, 24, title="Dosing")
    answer = _answer()
    answer.citations.append(Citation(1, chunk))
    answer.audit_id = audit_id
    return answer


def test_feedback_is_appended_beside_the_answer_and_exported_latest_first(tmp_path):
    path = tmp_path / "audit.sqlite"
    log = AuditLog(path)
    answer = _cited_answer(log.record(_answer(), [_hit(1)], user="nurse"))
    log.add_feedback(answer, -1, "wrong dose", user="nurse")
    log.add_feedback(answer, 1, "fine after all", user="nurse")
    log.add_feedback(answer, 0, "needs the source year", user="doctor")
    rows = log.feedback()
    assert [(r["user"], r["rating"], r["comment"]) for r in rows] == [("nurse", 1, "fine after all"),
                                                                     ("doctor", 0, "needs the source year")]
    assert rows[0]["question"] == "What is the dose for Jane Doe?" and rows[0]["answer"] == "Take 500 mg [1]."
    assert rows[0]["passages"] == [{"n": 1, "id": "chunk-1", "title": "Dosing", "text": "Take 500 mg twice daily."}]
    assert rows[0]["model"] == "SmolLM2" and rows[0]["adapter"] == "med"
    assert len(log.feedback(latest_only=False)) == 3
    with pytest.raises(AuditError, match="rating"):
        log.add_feedback(answer, 5)
    with pytest.raises(AuditError, match="audit_id is None"):
        log.add_feedback(_cited_answer(None), 1)
    log.close()
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        sqlite3.connect(path).execute("UPDATE feedback SET rating = 1")
    out = tmp_path / "feedback.jsonl"
    done = subprocess.run([sys.executable, "-m", "assistant.cli", "audit", "--kb", str(tmp_path), "--feedback",
                           str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "2 feedback records (1 up, 0 down)" in done.stdout
    exported = [json.loads(line) for line in out.read_text().splitlines()]
    assert [e["comment"] for e in exported] == ["fine after all", "needs the source year"]


def test_a_version_1_log_gains_the_feedback_table_and_keeps_its_records(tmp_path):
    path = tmp_path / "audit.sqlite"
    log = AuditLog(path)
    first = log.record(_answer(), [_hit(1)])
    log.close()
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE feedback")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    log = AuditLog(path)
    assert [r.id for r in log.read()] == [first]
    log.add_feedback(_cited_answer(first), 1)
    assert len(log.feedback()) == 1
    log.close()
