"""Exact inner-product FAISS index over normalised vectors, keyed by the catalog's integer chunk keys."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import faiss
import numpy as np

from assistant.errors import KnowledgeBaseError


class FaissDenseIndex:
    def __init__(self, path: Path, dimension: int) -> None:
        self.path = Path(path)
        self.dimension = dimension
        self._index: faiss.IndexIDMap2 | None = None

    @property
    def index(self) -> faiss.IndexIDMap2:
        if self._index is None:
            self._index = self._load()
        return self._index

    def _load(self) -> faiss.IndexIDMap2:
        if not self.path.exists():
            return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dimension))
        try:
            index = faiss.read_index(str(self.path))
        except RuntimeError as exc:
            raise KnowledgeBaseError(
                f"dense index {self.path} is unreadable ({exc}); delete it and reopen the knowledge base "
                "to rebuild it from the catalog") from None
        if index.d != self.dimension:
            raise KnowledgeBaseError(
                f"dense index {self.path} has dimension {index.d}, expected {self.dimension} from the manifest")
        return index

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def keys(self) -> set[int]:
        return set(faiss.vector_to_array(self.index.id_map).tolist())

    def add(self, keys: Sequence[int], vectors: np.ndarray) -> None:
        if len(keys):
            self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(keys, dtype=np.int64))

    def remove(self, keys: Sequence[int]) -> None:
        if len(keys):
            self.index.remove_ids(np.asarray(list(keys), dtype=np.int64))

    def search(self, vectors: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[list[tuple[int, float]]]:
        n = len(self) if allowed is None else min(len(self), len(allowed))
        if n == 0:
            return [[] for _ in range(len(vectors))]
        params = None
        if allowed is not None:
            # Pre-filter inside FAISS: only permitted ids are scored, so k permitted hits come back.
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64)))
        scores, ids = self.index.search(np.ascontiguousarray(vectors, dtype=np.float32), min(k, n), params=params)
        return [[(int(i), float(s)) for i, s in zip(row_ids, row_scores) if i >= 0]
                for row_ids, row_scores in zip(ids, scores)]

    def save(self) -> None:
        # Write beside and rename, so a crash mid-write never leaves a truncated index.
        tmp = self.path.with_suffix(".tmp")
        faiss.write_index(self.index, str(tmp))
        os.replace(tmp, self.path)
