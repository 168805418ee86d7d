"""The dense-index contract every backend (FAISS, Chroma embedded, Chroma server) fulfils.

Vectors are L2-normalised float32 rows keyed by the catalog's integer chunk keys; scores are inner
products (= cosine). The catalog (SQLite) stays the source of truth for documents, chunks, metadata and
ACLs: a filter is resolved there into the set of permitted keys, and `search(..., allowed=keys)`
must return only those keys — applied before the top-k is cut, so a filtered query still gets k hits
when k permitted ones exist. Deleting a document = deleting its chunk keys (the catalog knows them).
"""

from __future__ import annotations

from typing import Any, Protocol, Sequence, runtime_checkable

import numpy as np


@runtime_checkable
class VectorIndex(Protocol):
    dimension: int

    def upsert(self, keys: Sequence[int], vectors: np.ndarray) -> None:
        """Add vectors, replacing any already stored under the same keys."""

    def delete(self, keys: Sequence[int]) -> None:
        """Remove keys; unknown keys are ignored."""

    def search(self, vectors: np.ndarray, k: int,
               allowed: np.ndarray | None = None) -> list[list[tuple[int, float]]]:
        """Per query row, up to k (key, score) pairs, best first; only keys in `allowed` when given."""

    def keys(self) -> set[int]: ...

    def save(self) -> None:
        """Persist (atomically where the backend writes files); a reopened index holds the same vectors."""

    def stats(self) -> dict[str, Any]:
        """{"backend", "kind", "count", "dimension", ...} for `assistant stats` and benchmarks."""

    def __len__(self) -> int: ...


def upsert_rows(keys: Sequence[int], vectors: np.ndarray, dimension: int) -> tuple[np.ndarray, np.ndarray]:
    """Keys as int64 and vectors as contiguous float32 rows, checked, with a key repeated within one
    call kept once (its last row wins, as a sequence of upserts would leave it)."""
    ids = np.asarray(list(keys) if not isinstance(keys, np.ndarray) else keys, dtype=np.int64).reshape(-1)
    rows = np.ascontiguousarray(vectors, dtype=np.float32)
    if rows.ndim != 2 or rows.shape != (len(ids), dimension):
        raise ValueError(f"upsert: expected vectors of shape ({len(ids)}, {dimension}), found "
                         f"{rows.shape}; pass one {dimension}-d row per key")
    if len(ids) and ids.min() < 0:
        raise ValueError(f"upsert: expected non-negative keys, found {int(ids.min())}; -1 marks a deleted slot")
    _, last = np.unique(ids[::-1], return_index=True)
    if len(last) < len(ids):
        keep = np.sort(len(ids) - 1 - last)
        ids, rows = ids[keep], rows[keep]
    return ids, rows
