"""The knowledge base's SQLite catalog: documents, chunks (with their embeddings) and content hashes.
It is the source of truth; the dense index can always be rebuilt from it."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from assistant.core.errors import KnowledgeBaseError
from assistant.core.types import Chunk, Document, Locator, SearchFilter
from assistant.indexes.fts5_sparse import FTS5SparseIndex

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    uri TEXT NOT NULL,
    domain TEXT NOT NULL,
    acl TEXT NOT NULL,
    metadata TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    length INTEGER NOT NULL,
    chunk_count INTEGER NOT NULL,
    ingested_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    key INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    text TEXT NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    locator TEXT NOT NULL,
    embedding BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS sync_state (
    key TEXT PRIMARY KEY,  -- one incremental source, e.g. a SQL query
    value TEXT NOT NULL  -- where the next sync resumes, e.g. the highest updated_at seen
);
"""


@dataclass(frozen=True)
class DocumentRecord:
    id: str
    title: str
    source: str
    domain: str
    content_hash: str
    chunk_count: int
    ingested_at: str
    acl: tuple[str, ...] = ()  # groups allowed to see it; empty means everyone
    date: str | None = None  # metadata["date"]: when the document itself is dated


class Catalog:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.conn = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.execute("PRAGMA busy_timeout=30000")
        except sqlite3.DatabaseError as exc:
            raise KnowledgeBaseError(f"catalog {self.path} is not a readable SQLite database ({exc})") from None
        self.sparse = FTS5SparseIndex(self.conn)
        # PRAGMA data_version only moves on other connections' commits; this counts our own.
        self._writes = 0
        self._allowed: dict[tuple, tuple[tuple[int, int], np.ndarray]] = {}

    def create(self) -> None:
        self.conn.executescript(_SCHEMA)
        self.sparse.create()

    def close(self) -> None:
        self.conn.close()

    # --- reads -------------------------------------------------------------------------------
    def content_hash(self, doc_id: str) -> str | None:
        row = self.conn.execute("SELECT content_hash FROM documents WHERE id = ?", (doc_id,)).fetchone()
        return row[0] if row else None

    def chunk_keys(self, doc_id: str | None = None) -> list[int]:
        if doc_id is None:
            return [r[0] for r in self.conn.execute("SELECT key FROM chunks")]
        return [r[0] for r in self.conn.execute("SELECT key FROM chunks WHERE doc_id = ?", (doc_id,))]

    def embeddings(self, keys: Sequence[int], dimension: int) -> np.ndarray:
        out = np.zeros((len(keys), dimension), dtype=np.float32)
        position = {k: i for i, k in enumerate(keys)}
        for batch in _batches(list(keys), 500):
            marks = ",".join("?" * len(batch))
            for key, blob in self.conn.execute(f"SELECT key, embedding FROM chunks WHERE key IN ({marks})", batch):
                out[position[key]] = np.frombuffer(blob, dtype=np.float32)
        return out

    def chunks(self, keys: Sequence[int]) -> dict[int, Chunk]:
        out: dict[int, Chunk] = {}
        for batch in _batches(list(keys), 500):
            marks = ",".join("?" * len(batch))
            rows = self.conn.execute(
                "SELECT c.key, c.id, c.doc_id, c.text, c.start, c.end, c.locator, d.title, d.domain, d.acl "
                f"FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE c.key IN ({marks})", batch)
            for key, cid, doc_id, text, start, end, locator, title, domain, acl in rows:
                out[key] = Chunk(id=cid, doc_id=doc_id, text=text, start=start, end=end,
                                 locator=Locator.from_dict(json.loads(locator)), title=title, domain=domain,
                                 acl=tuple(json.loads(acl)))
        return out

    def opening_keys(self, doc_ids: Sequence[str]) -> dict[str, int]:
        """Document id → key of its first chunk (lowest start offset): the title and preamble."""
        out: dict[str, int] = {}
        for batch in _batches(list(dict.fromkeys(doc_ids)), 500):
            marks = ",".join("?" * len(batch))
            # SQLite returns the bare `key` column from the row holding MIN(start).
            for doc_id, key, _ in self.conn.execute(
                    f"SELECT doc_id, key, MIN(start) FROM chunks WHERE doc_id IN ({marks}) GROUP BY doc_id", batch):
                out[doc_id] = key
        return out

    def allowed_keys(self, filters: SearchFilter | None) -> np.ndarray | None:
        """The sorted, read-only int64 chunk keys `filters` permits, or None when it restricts nothing.

        Resolved here, in SQL, because the catalog is the only place that knows every chunk's document
        metadata and ACL; the indexes then search within these keys before cutting k. Parsing every
        document's JSON costs ~1 µs, so results are cached per filter until the catalog changes."""
        if filters is None or filters.is_empty:
            return None
        key = _cache_key(filters)
        version = (self.conn.execute("PRAGMA data_version").fetchone()[0], self._writes)
        cached = self._allowed.get(key)
        if cached is not None and cached[0] == version:
            return cached[1]
        where, params = filter_condition(filters)
        # CROSS JOIN keeps documents as the outer loop: the JSON functions run once per document, and
        # each passing document's chunks come from the chunks_doc index.
        row = self.conn.execute(
            "SELECT json_group_array(c.key) FROM documents d CROSS JOIN chunks c ON c.doc_id = d.id "
            f"WHERE {where}", params).fetchone()
        keys = np.asarray(json.loads(row[0]), dtype=np.int64)
        keys.sort()
        keys.flags.writeable = False  # shared by every caller of the cache
        if len(self._allowed) >= ALLOWED_CACHE_SIZE:
            self._allowed.pop(next(iter(self._allowed)))
        self._allowed[key] = (version, keys)
        return keys

    def documents(self, filters: SearchFilter | None = None) -> list[DocumentRecord]:
        """Every document, or those `filters` permits (the same rule search applies, ACL included)."""
        where, params = filter_condition(filters) if filters is not None else ("1", [])
        rows = self.conn.execute(
            "SELECT id, title, source, domain, content_hash, chunk_count, ingested_at, acl, "
            f"CAST(json_extract(metadata, '$.date') AS TEXT) FROM documents d WHERE {where} ORDER BY id", params)
        return [DocumentRecord(*r[:7], acl=tuple(json.loads(r[7])), date=r[8]) for r in rows]

    def document(self, doc_id: str) -> DocumentRecord | None:
        found = self.documents(SearchFilter(doc_ids=(doc_id,)))
        return found[0] if found else None

    def counts(self, filters: SearchFilter | None = None) -> tuple[int, int]:
        """(documents, chunks), of all or of those `filters` permits (a caller's counts never include
        documents hidden from them)."""
        if filters is None:
            docs = self.conn.execute("SELECT count(*) FROM documents").fetchone()[0]
            chunks = self.conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
            return docs, chunks
        where, params = filter_condition(filters)
        docs, chunks = self.conn.execute(f"SELECT count(*), coalesce(sum(chunk_count), 0) FROM documents d "
                                         f"WHERE {where}", params).fetchone()
        return docs, chunks

    def sync_state(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    # --- writes ------------------------------------------------------------------------------
    def set_sync_state(self, key: str, value: str) -> None:
        self.conn.execute("INSERT INTO sync_state(key, value) VALUES (?, ?) "
                          "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))

    def replace_document(self, document: Document, content_hash: str, chunks: Sequence[Chunk],
                         vectors: np.ndarray) -> tuple[list[int], list[int]]:
        """Swap a document's row and chunks in one transaction. Returns (removed keys, added keys)."""
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            removed = self._delete(document.id)
            self.conn.execute(
                "INSERT INTO documents(id, title, source, uri, domain, acl, metadata, content_hash, length, "
                "chunk_count, ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (document.id, document.title, document.source, document.uri, document.domain,
                 json.dumps(list(document.acl)), json.dumps(document.metadata, default=str), content_hash,
                 len(document.text), len(chunks), now))
            added = []
            for ordinal, (chunk, vector) in enumerate(zip(chunks, vectors)):
                cur = self.conn.execute(
                    "INSERT INTO chunks(id, doc_id, ordinal, text, start, end, locator, embedding) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (chunk.id, chunk.doc_id, ordinal, chunk.text, chunk.start, chunk.end,
                     json.dumps(chunk.locator.to_dict()), np.asarray(vector, dtype=np.float32).tobytes()))
                added.append(int(cur.lastrowid))
            self.sparse.add((key, document.title, c.locator.label(), c.text) for key, c in zip(added, chunks))
            self.conn.execute("COMMIT")
            self._writes += 1
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return removed, added

    def delete_document(self, doc_id: str) -> list[int]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            removed = self._delete(doc_id)
            self.conn.execute("COMMIT")
            self._writes += 1
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return removed

    def _delete(self, doc_id: str) -> list[int]:
        keys = self.chunk_keys(doc_id)
        self.sparse.remove(keys)
        self.conn.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
        self.conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
        return keys


ALLOWED_CACHE_SIZE = 64  # distinct filters (≈ callers' group sets) whose permitted keys are kept
_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2}([T ]\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?)?)?)?")


def filter_condition(filters: SearchFilter) -> tuple[str, list[str | int]]:
    """A SQL condition over `documents d` that holds exactly for the documents `filters` permits."""
    terms: list[str] = ["1"]
    params: list[str | int] = []

    def one_of(expression: str, values: tuple[str, ...], fold: bool = False) -> None:
        terms.append(f"{expression} IN ({','.join('?' * len(values))})")
        params.extend(v.lower() if fold else v for v in values)

    if filters.domains:
        # Domains and document types are labels people type in varying case ("Legal", "PDF").
        one_of("lower(d.domain)", filters.domains, fold=True)
    if filters.doc_ids:
        one_of("d.id", filters.doc_ids)
    if filters.sources:
        exact = tuple(s for s in filters.sources if not s.endswith(("/", "*")))
        prefixes = [s[:-1] if s.endswith("*") else s for s in filters.sources if s.endswith(("/", "*"))]
        # substr, not LIKE: LIKE folds ASCII case and treats % and _ in paths as wildcards.
        options = [f"d.source IN ({','.join('?' * len(exact))})"] if exact else []
        options += ["substr(d.source, 1, ?) = ?"] * len(prefixes)
        terms.append("(" + " OR ".join(options) + ")")
        params.extend(exact)
        for prefix in prefixes:
            params.extend((len(prefix), prefix))
    if filters.doc_types:
        values = tuple(t.lower() for t in filters.doc_types)
        marks = ",".join("?" * len(values))
        terms.append(f"(lower(json_extract(d.metadata, '$.format')) IN ({marks}) "
                     f"OR lower(json_extract(d.metadata, '$.doc_type')) IN ({marks}))")
        params.extend(values + values)
    # A bound compares at its own precision: --until 2024-03 keeps 2024-03-31T10:00, --since 2024 keeps
    # 2024-01-05. Integer years in metadata are cast to text; an empty or missing date never passes.
    date = "NULLIF(CAST(json_extract(d.metadata, '$.date') AS TEXT), '')"
    for bound, op in ((filters.date_from, ">="), (filters.date_to, "<=")):
        if bound is not None:
            terms.append(f"substr({date}, 1, ?) {op} ?")
            params.extend((len(_check_date(bound)), bound))
    if filters.groups is not None:
        # An empty ACL is public; otherwise the caller must share a group with the document.
        groups = tuple(filters.groups)
        shared = (f" OR EXISTS (SELECT 1 FROM json_each(d.acl) g WHERE g.value IN ({','.join('?' * len(groups))}))"
                  if groups else "")
        terms.append(f"(json_array_length(d.acl) = 0{shared})")
        params.extend(groups)
    return " AND ".join(terms), params


def _cache_key(filters: SearchFilter) -> tuple:
    """The filter as a hashable key; also rejects a bare string where a tuple belongs, which would
    otherwise be read as its characters ("ab" → groups "a" and "b")."""
    key = []
    for name in ("domains", "sources", "doc_types", "doc_ids", "groups"):
        value = getattr(filters, name)
        if isinstance(value, str):
            raise KnowledgeBaseError(f"SearchFilter.{name} must be a tuple of strings, found the string {value!r}; "
                                     f"write {name}=({value!r},)")
        key.append(None if value is None else tuple(value))
    return (*key, filters.date_from, filters.date_to)


def _check_date(value: str) -> str:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise KnowledgeBaseError(f"date filter {value!r} is not an ISO date; expected YYYY, YYYY-MM, YYYY-MM-DD "
                                 "or YYYY-MM-DDTHH:MM[:SS], e.g. 2024-03-15")
    return value


def _batches(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
