"""BM25 over SQLite FTS5, living in the catalog database so that chunk rows and their sparse
entries change in the same transaction."""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Iterable, Sequence

import numpy as np

from assistant.core.text import STOPWORDS

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

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(chunk key, BM25 score ≥ 0, higher is better), only keys in `allowed` when given. Any word
        may match (OR), so messy questions still find passages; BM25 ranks those matching more and
        rarer words first."""
        return self.search_many([query], k, allowed)[0]

    def search_many(self, queries: Sequence[str], k: int,
                    allowed: np.ndarray | None = None) -> list[list[tuple[int, float]]]:
        """`search` per query, converting `allowed` for SQLite once for all of them."""
        if allowed is not None and len(allowed) == 0:
            return [[] for _ in queries]
        # Title and section matches count double: they name what a passage is about.
        rank = f"bm25({self.table}, 2.0, 2.0, 1.0)"
        sql = f"SELECT rowid, {rank} FROM {self.table} WHERE {self.table} MATCH ?"
        extra: tuple[str, ...] = ()
        if allowed is not None:
            # The permitted keys filter inside the query, before ORDER BY ... LIMIT, so k permitted
            # hits come back. One JSON parameter, not a temp table: no shared state on a connection
            # other threads use, and no limit on bound variables. The unary + keeps SQLite from
            # handing the IN list to FTS5 as rowid lookups, which runs the MATCH once per key.
            sql += " AND +rowid IN (SELECT value FROM json_each(?))"
            extra = (json.dumps(np.asarray(allowed, dtype=np.int64).tolist()),)
        sql += f" ORDER BY {rank} LIMIT ?"
        out = []
        for query in queries:
            expr = match_expression(query)
            rows = self.conn.execute(sql, (expr, *extra, k)).fetchall() if expr else []
            out.append([(int(key), -float(score)) for key, score in rows])
        return out


def match_expression(query: str) -> str:
    words = [w for w in _TOKEN.findall(query.lower()) if w not in STOPWORDS]
    seen = dict.fromkeys(words)  # dedupe, keep order
    # Quoting each word makes FTS5 treat it as a literal term, never as syntax (AND, NEAR, column:...).
    return " OR ".join(f'"{w}"' for w in seen)
