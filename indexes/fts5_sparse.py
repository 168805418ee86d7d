"""BM25 over SQLite FTS5, living in the catalog database so that chunk rows and their sparse
entries change in the same transaction."""

from __future__ import annotations

import re
import sqlite3
from typing import Iterable, Sequence

from assistant.text import STOPWORDS

_TOKEN = re.compile(r"\w+", re.UNICODE)


class FTS5SparseIndex:
    table = "chunks_fts"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def create(self) -> None:
        self.conn.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {self.table} USING fts5("
            "title, section, text, tokenize='porter unicode61 remove_diacritics 2')")

    def add(self, rows: Iterable[tuple[int, str, str, str]]) -> None:
        """rows: (chunk key, document title, section label, chunk text)."""
        self.conn.executemany(f"INSERT INTO {self.table}(rowid, title, section, text) VALUES (?, ?, ?, ?)", rows)

    def remove(self, keys: Sequence[int]) -> None:
        self.conn.executemany(f"DELETE FROM {self.table} WHERE rowid = ?", [(k,) for k in keys])

    def keys(self) -> set[int]:
        return {r[0] for r in self.conn.execute(f"SELECT rowid FROM {self.table}")}

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """(chunk key, BM25 score ≥ 0, higher is better). Any word may match (OR), so messy
        questions still find passages; BM25 ranks those matching more and rarer words first."""
        expr = match_expression(query)
        if not expr:
            return []
        # Title and section matches count double: they name what a passage is about.
        rows = self.conn.execute(
            f"SELECT rowid, bm25({self.table}, 2.0, 2.0, 1.0) FROM {self.table} "
            f"WHERE {self.table} MATCH ? ORDER BY bm25({self.table}, 2.0, 2.0, 1.0) LIMIT ?", (expr, k))
        return [(int(key), -float(score)) for key, score in rows]


def match_expression(query: str) -> str:
    words = [w for w in _TOKEN.findall(query.lower()) if w not in STOPWORDS]
    seen = dict.fromkeys(words)  # dedupe, keep order
    # Quoting each word makes FTS5 treat it as a literal term, never as syntax (AND, NEAR, column:...).
    return " OR ".join(f'"{w}"' for w in seen)
