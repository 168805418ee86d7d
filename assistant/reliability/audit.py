"""Audit log: one append-only SQLite record per answer.

Hospitals and law firms must be able to show later who asked what, which passages the answer rested
on, which model wrote it and how each sentence was judged. The record holds the question's SHA-256,
not the question (questions carry patient and client details), unless `[reliability] audit_questions
= true`; sentence verdicts are stored without their text for the same reason.

Append-only is enforced by the database, not by this code: triggers refuse UPDATE and DELETE on the
records, so another tool opening the file cannot quietly rewrite history either. (Whoever can delete
the file can still delete it; keep it on storage with its own retention rules.) WAL mode lets readers
(`assistant audit`) run while answers are being written. `PRAGMA user_version` is the schema version.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

from assistant.core.errors import AssistantError
from assistant.core.types import Answer, Hit

SCHEMA_VERSION = 2  # 2: the feedback table
DEFAULT_NAME = "audit.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time_utc TEXT NOT NULL,
    user TEXT,
    question_sha256 TEXT NOT NULL,
    question TEXT,
    retrieved TEXT NOT NULL,
    model TEXT NOT NULL,
    adapter TEXT,
    verdicts TEXT NOT NULL,
    abstained INTEGER NOT NULL,
    abstain_reason TEXT NOT NULL,
    quarantined TEXT NOT NULL,
    escalated INTEGER NOT NULL,
    confidence REAL NOT NULL,
    latency_s REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS answers_time ON answers(time_utc);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    answer_id INTEGER NOT NULL REFERENCES answers(id),
    time_utc TEXT NOT NULL,
    user TEXT,
    rating INTEGER NOT NULL CHECK (rating IN (-1, 0, 1)),
    comment TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    passages TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_answer ON feedback(answer_id);
""" + "".join(f"""
CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table}
BEGIN SELECT RAISE(ABORT, 'audit log is append-only: {op} refused'); END;""" for table in ("answers", "feedback")
              for op in ("UPDATE", "DELETE"))
_JSON_COLUMNS = ("retrieved", "verdicts", "quarantined")
MAX_COMMENT = 4000


class AuditError(AssistantError):
    """The audit log could not be opened, written or read."""


@dataclass(frozen=True)
class AuditRecord:
    id: int
    time_utc: str
    user: str | None
    question_sha256: str
    question: str | None
    retrieved: list[str]
    model: str
    adapter: str | None
    verdicts: list[dict[str, Any]]
    abstained: bool
    abstain_reason: str
    quarantined: list[str]
    escalated: bool
    confidence: float
    latency_s: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def question_hash(question: str) -> str:
    return hashlib.sha256(question.encode("utf-8")).hexdigest()


class AuditLog:
    """Opened lazily on the first write or read; safe to share between threads (one connection, a lock)."""

    def __init__(self, path: str | Path, store_questions: bool = False) -> None:
        self.path = Path(path)
        self.store_questions = store_questions
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _connect(self, create: bool) -> sqlite3.Connection:
        if self._conn is None:
            if not create and not self.path.is_file():
                raise AuditError(f"no audit log at {self.path}; expected one once questions have been asked "
                                 f"of this knowledge base with [reliability] audit = true")
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA busy_timeout=5000")
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    raise AuditError(f"audit log {self.path} has schema version {version}; this version reads "
                                     f"up to {SCHEMA_VERSION}. Upgrade the assistant")
                conn.executescript(_SCHEMA)
                if version < SCHEMA_VERSION:
                    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            except sqlite3.Error as e:
                raise AuditError(f"audit log {self.path}: {e}; expected a writable SQLite file. Set "
                                 f"[reliability] audit_path to another location, or audit = false") from e
            self._conn = conn
        return self._conn

    def record(self, answer: Answer, retrieved: Sequence[Hit], user: str | None = None,
               latency_s: float | None = None) -> int:
        """Appends the answer's record; returns its id."""
        row = {
            "time_utc": _now(),
            "user": user,
            "question_sha256": question_hash(answer.question),
            "question": answer.question if self.store_questions else None,
            "retrieved": json.dumps([h.chunk.id for h in retrieved]),
            "model": answer.model,
            "adapter": answer.adapter,
            "verdicts": json.dumps([{"verdict": s.verdict, "support": s.support, "citations": list(s.citations),
                                     "note": s.note} for s in answer.sentences]),
            "abstained": int(answer.abstained),
            "abstain_reason": answer.abstain_reason,
            "quarantined": json.dumps([q.hit.chunk.id for q in answer.quarantined]),
            "escalated": int(answer.escalated),
            "confidence": float(answer.confidence),
            "latency_s": float(answer.timings.get("total", 0.0) if latency_s is None else latency_s),
        }
        sql = f"INSERT INTO answers ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})"
        with self._lock:
            try:
                return int(self._connect(create=True).execute(sql, tuple(row.values())).lastrowid)
            except sqlite3.Error as e:
                raise AuditError(f"audit log {self.path}: could not append a record ({e}); expected a writable "
                                 f"SQLite file. Set [reliability] audit_path elsewhere, or audit = false") from e

    def read(self, since: str | None = None, user: str | None = None, limit: int = 100) -> list[AuditRecord]:
        """Newest first. `since`: an ISO date or time (UTC); records at or after it."""
        where, params = [], []
        if since:
            where.append("time_utc >= ?")
            params.append(since)
        if user is not None:
            where.append("user = ?")
            params.append(user)
        sql = ("SELECT * FROM answers" + (" WHERE " + " AND ".join(where) if where else "")
               + " ORDER BY id DESC LIMIT ?")
        with self._lock:
            conn = self._connect(create=False)
            conn.row_factory = sqlite3.Row
            rows = conn.execute(sql, (*params, limit)).fetchall()
        return [_record(dict(r)) for r in rows]

    def add_feedback(self, answer: Answer, rating: int, comment: str = "", user: str | None = None) -> int:
        """Thumbs up (1) / down (-1) / comment only (0) on an answer already recorded (`answer.audit_id`).
        Unlike the answer record, feedback keeps the question, the answer shown and its passages' text:
        the person chose to send it, and it is the raw material for the next adapter. A later feedback
        on the same answer is appended, not overwritten; the export keeps the latest."""
        if answer.audit_id is None:
            raise AuditError("feedback needs an answer recorded in the audit log (answer.audit_id is None); "
                             "enable [reliability] audit")
        if rating not in (-1, 0, 1):
            raise AuditError(f"feedback rating: expected 1 (up), -1 (down) or 0 (comment only), found {rating!r}")
        if len(comment) > MAX_COMMENT:
            raise AuditError(f"feedback comment: expected at most {MAX_COMMENT} characters, found {len(comment)}")
        passages = [{"n": c.n, "id": c.chunk.id, "title": c.chunk.title, "text": c.chunk.text}
                    for c in answer.citations]
        row = (answer.audit_id, _now(), user, rating, comment, answer.question, answer.text, json.dumps(passages))
        with self._lock:
            try:
                return int(self._connect(create=True).execute(
                    "INSERT INTO feedback (answer_id, time_utc, user, rating, comment, question, answer, passages) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row).lastrowid)
            except sqlite3.Error as e:
                raise AuditError(f"audit log {self.path}: could not append feedback ({e}); expected a writable "
                                 f"SQLite file") from e

    def feedback(self, since: str | None = None, latest_only: bool = True) -> list[dict[str, Any]]:
        """Oldest first, each with the answer's model and adapter; `latest_only`: one per answer and user."""
        sql = ("SELECT f.*, a.model, a.adapter FROM feedback f JOIN answers a ON a.id = f.answer_id"
               + (" WHERE f.time_utc >= ?" if since else "") + " ORDER BY f.id")
        with self._lock:
            conn = self._connect(create=False)
            conn.row_factory = sqlite3.Row
            rows = [dict(r) for r in conn.execute(sql, (since,) if since else ()).fetchall()]
        for row in rows:
            row["passages"] = json.loads(row["passages"])
        if latest_only:
            rows = list({(r["answer_id"], r["user"]): r for r in rows}.values())
        return rows

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _record(row: dict[str, Any]) -> AuditRecord:
    for key in _JSON_COLUMNS:
        row[key] = json.loads(row[key])
    row["abstained"], row["escalated"] = bool(row["abstained"]), bool(row["escalated"])
    return AuditRecord(**row)
