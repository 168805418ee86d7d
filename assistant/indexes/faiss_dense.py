"""Inner-product FAISS index over normalised vectors, keyed by the catalog's integer chunk keys.

One file (`dense.faiss`), one of three layouts, chosen when the index is (re)built — on save, or on the
first upsert into an empty index — from `IndexConfig.kind`:

- flat: IndexIDMap2(IndexFlatIP). Exact; removes natively. `auto` uses it up to `exact_limit` vectors.
- hnsw: IndexIDMap2(IndexHNSWFlat). Approximate and fast at any size. HNSW cannot remove a node, so a
  deleted or replaced vector is tombstoned: its id_map entry becomes -1 (which is also how the file
  records it), a selector hides it at search time, and save rebuilds once tombstones pass a share.
- ivf: IndexIVFFlat holding the keys itself. Approximate; needs training data, so it stays flat until
  there are enough vectors, and is retrained once the collection has grown fourfold.

Approximate kinds refill: a query short of min(k, permitted) hits is retried wider, then scored exactly.
"""

from __future__ import annotations

import math
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

import faiss
import numpy as np
from faiss.contrib.inspect_tools import get_invlist

from assistant.core.errors import KnowledgeBaseError
from assistant.core.settings import IndexConfig
from assistant.indexes.base import upsert_rows

TOMBSTONE_SHARE = 0.2  # HNSW: rebuild on save once this share of stored vectors is dead
AUTO_HYSTERESIS = 0.9  # auto: back to flat only below 90% of exact_limit, so a KB near it does not flip
IVF_POINTS_PER_LIST = 39  # FAISS's minimum training points per centroid
IVF_TRAIN_PER_LIST = 64  # training sample per centroid: more barely moves recall and slows k-means down
# Scanning a permitted row costs ~1/8 of a graph step (100k HNSW, 10k permitted: scan 4.2 ms, efSearch 1024
# 3.7 ms), so a permitted set under 8 x efSearch is scored exactly: as fast, and it misses nothing.
HNSW_ROWS_PER_STEP = 8
HNSW_MAX_WIDEN = 32  # a filter keeping a share s searches with efSearch / s, up to this factor
SERIAL_QUERIES = 4  # up to this many queries, search on the calling thread alone (see _serial)


def _ivf_lists(count: int) -> int:
    return max(1, int(math.sqrt(count)))


@contextmanager
def _serial(active: bool) -> Iterator[None]:
    """FAISS parallelises a search over its queries; for one query the OpenMP team only waits, and on a
    busy 2-core machine that wait dominated (100k flat: 68 ms with 2 threads, 10 ms with 1). The
    setting is per calling thread in OpenMP, so concurrent searches and index builds keep theirs."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1 if active else before)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


class FaissDenseIndex:
    backend = "faiss"

    def __init__(self, path: Path, dimension: int, config: IndexConfig | None = None) -> None:
        self.path = Path(path)
        self.dimension = dimension
        self.config = config or IndexConfig()
        self._index: Any = None
        self._kind = "flat"
        self._mapped = False  # read with mmap: read-only, so a write reloads it into memory first
        self._dirty = False
        self._dead = 0  # hnsw tombstones
        self._pos: dict[int, int] | None = None  # hnsw: live key -> position, built on first need
        self._sorted: np.ndarray | None = None  # live keys, sorted; dropped on every write

    # --- loading -------------------------------------------------------------------------------
    @property
    def index(self) -> Any:
        if self._index is None:
            self._load(self.config.mmap)
        return self._index

    @property
    def kind(self) -> str:
        return self._kind if self.index is not None else ""

    def _load(self, mmap: bool) -> None:
        if not self.path.exists():
            first = "hnsw" if self.config.kind == "hnsw" else "flat"
            self._install(first, np.zeros(0, np.int64), np.zeros((0, self.dimension), np.float32))
            return
        flags = faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY if mmap else 0
        try:
            index = faiss.read_index(str(self.path), flags)
        except RuntimeError as exc:
            raise KnowledgeBaseError(
                f"dense index {self.path} is unreadable ({exc}); delete it and reopen the knowledge base "
                "to rebuild it from the catalog") from None
        if index.d != self.dimension:
            raise KnowledgeBaseError(
                f"dense index {self.path} has dimension {index.d}, expected {self.dimension} from the manifest")
        self._adopt(index)
        self._mapped = mmap

    def _adopt(self, index: Any) -> None:
        if isinstance(index, faiss.IndexIVFFlat):
            kind = "ivf"
        elif isinstance(index, faiss.IndexIDMap2):
            inner = faiss.downcast_index(index.index)
            flat = isinstance(inner, faiss.IndexFlat)
            kind = "hnsw" if isinstance(inner, faiss.IndexHNSWFlat) else "flat" if flat else ""
        else:
            kind = ""
        if not kind:
            raise KnowledgeBaseError(
                f"dense index {self.path} holds a {type(index).__name__}; expected a flat, HNSW or IVF "
                "index written by this program. Delete the file and reopen the KB to rebuild it")
        self._index, self._kind, self._pos, self._sorted = index, kind, None, None
        self._dead = int(np.count_nonzero(self._labels() < 0)) if kind == "hnsw" else 0

    def _writable(self) -> Any:
        if self._index is None or self._mapped:
            self._load(mmap=False)
            self._mapped = False
        self._sorted = None
        self._dirty = True
        return self._index

    # --- views into FAISS memory (valid until the next write) -------------------------------------
    def _labels(self) -> np.ndarray:
        """Position -> key for the IDMap2 kinds; a writable view, -1 = tombstone."""
        id_map = self._index.id_map
        return faiss.rev_swig_ptr(id_map.data(), id_map.size()) if id_map.size() else np.zeros(0, np.int64)

    def _vectors(self) -> np.ndarray:
        """All stored rows (tombstones included) of a flat or hnsw index."""
        inner = faiss.downcast_index(self._index.index)
        flat = faiss.downcast_index(inner.storage) if self._kind == "hnsw" else inner
        n = int(flat.ntotal)
        if n == 0:
            return np.zeros((0, self.dimension), np.float32)
        return faiss.rev_swig_ptr(flat.get_xb(), n * self.dimension).reshape(n, self.dimension)

    def _ivf_lists_content(self) -> tuple[np.ndarray, np.ndarray]:
        keys, rows = [np.zeros(0, np.int64)], [np.zeros((0, self.dimension), np.float32)]
        for lst in range(self._index.nlist):
            ids, codes = get_invlist(self._index.invlists, lst)  # copies, and releases mmapped lists
            keys.append(ids)
            rows.append(codes.view(np.float32).reshape(len(ids), self.dimension))
        return np.concatenate(keys), np.concatenate(rows)

    def export(self) -> tuple[np.ndarray, np.ndarray]:
        """(keys, vectors) of every live entry — what a rebuild, or a migration to another backend, starts from."""
        _ = self.index
        if self._kind == "ivf":
            return self._ivf_lists_content()
        labels, rows = self._labels(), self._vectors()
        live = labels >= 0
        return labels[live].copy(), np.ascontiguousarray(rows[live])

    # --- building --------------------------------------------------------------------------------
    def _install(self, kind: str, keys: np.ndarray, vectors: np.ndarray) -> None:
        d = self.dimension
        if kind == "ivf":
            nlist = _ivf_lists(len(keys))
            index = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, nlist, faiss.METRIC_INNER_PRODUCT)
            sample = vectors
            if len(vectors) > nlist * IVF_TRAIN_PER_LIST:
                pick = np.random.default_rng(0).choice(len(vectors), nlist * IVF_TRAIN_PER_LIST, replace=False)
                sample = vectors[np.sort(pick)]
            index.train(sample)
            index.nprobe = self.config.nprobe
        elif kind == "hnsw":
            inner = faiss.IndexHNSWFlat(d, self.config.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efSearch = self.config.ef_search
            index = faiss.IndexIDMap2(inner)
        else:
            index = faiss.IndexIDMap2(faiss.IndexFlatIP(d))
        if len(keys):
            index.add_with_ids(vectors, keys)
        self._index, self._kind, self._dead, self._pos, self._sorted = index, kind, 0, None, None

    def _target_kind(self, count: int) -> str:
        kind, limit = self.config.kind, self.config.exact_limit
        if kind == "auto":
            bar = limit * AUTO_HYSTERESIS if self._kind == "hnsw" else limit
            return "hnsw" if count > bar else "flat"
        if kind == "ivf":
            return "ivf" if count >= _ivf_lists(count) * IVF_POINTS_PER_LIST else "flat"
        return kind

    def _needs_rebuild(self) -> str:
        """The kind to rebuild into now, or "" to keep the current index."""
        count = len(self)
        target = self._target_kind(count)
        if target != self._kind:
            return target
        if self._kind == "hnsw" and self._dead > TOMBSTONE_SHARE * max(1, count + self._dead):
            return target
        if self._kind == "ivf" and _ivf_lists(count) >= 2 * self._index.nlist:
            return target  # the data has grown fourfold since training: lists are too long now
        return ""

    # --- writing ---------------------------------------------------------------------------------
    def upsert(self, keys: Sequence[int], vectors: np.ndarray) -> None:
        """Add vectors, replacing any already stored under the same keys (within a call, the last wins)."""
        ids, rows = upsert_rows(keys, vectors, self.dimension)
        if not len(ids):
            return
        self._writable()
        if self._index.ntotal == 0:
            # An empty index costs nothing to rebuild: pick the kind the incoming batch calls for now.
            self._install(self._target_kind(len(ids)), ids, rows)
            return
        self.delete(ids)
        start = int(self._index.ntotal)
        self._index.add_with_ids(rows, ids)
        if self._kind == "hnsw" and self._pos is not None:
            self._pos.update(zip(ids.tolist(), range(start, start + len(ids))))

    def delete(self, keys: Sequence[int]) -> None:
        """Remove keys; unknown keys are ignored."""
        ids = np.asarray(list(keys) if not isinstance(keys, np.ndarray) else keys, dtype=np.int64).reshape(-1)
        if not len(ids):
            return
        self._writable()
        if self._kind != "hnsw":
            self._index.remove_ids(ids)
            return
        positions, labels = self._positions(), self._labels()
        for key in ids.tolist():
            pos = positions.pop(key, None)
            if pos is not None:
                labels[pos] = -1
                self._dead += 1

    def _positions(self) -> dict[int, int]:
        if self._pos is None:
            labels = self._labels()
            live = np.flatnonzero(labels >= 0)
            self._pos = dict(zip(labels[live].tolist(), live.tolist()))
        return self._pos

    def save(self) -> None:
        """Rebuild when the kind or tombstones call for it, then write beside and rename, so a crash
        mid-write never leaves a truncated index. Nothing changed and nothing to rebuild: no write."""
        _ = self.index
        target = self._needs_rebuild()
        if target:
            keys, rows = self.export()
            self._install(target, keys, rows)
            self._mapped, self._dirty = False, True
        if not self._dirty and self.path.exists():
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        faiss.write_index(self._index, str(tmp))
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)
        self._dirty = False

    # --- reading ---------------------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self.index.ntotal) - self._dead

    def keys(self) -> set[int]:
        return set(self._live_keys().tolist())

    def _live_keys(self) -> np.ndarray:
        if self._sorted is None:
            _ = self.index
            if self._kind == "ivf":  # ids only: copying the lists' vectors too would double the memory
                invlists = faiss.downcast_InvertedLists(self._index.invlists)
                keys = np.concatenate([np.zeros(0, np.int64)] + [
                    faiss.rev_swig_ptr(invlists.get_ids(lst), invlists.list_size(lst)).copy()
                    for lst in range(self._index.nlist) if invlists.list_size(lst)])
            else:
                labels = self._labels()
                keys = labels[labels >= 0]
            self._sorted = np.sort(keys)
        return self._sorted

    def _present(self, allowed: np.ndarray) -> int:
        live = self._live_keys()
        if not len(live) or not len(allowed):
            return 0
        at = np.minimum(np.searchsorted(live, allowed), len(live) - 1)
        return int(np.count_nonzero(live[at] == allowed))

    def search(self, vectors: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[list[tuple[int, float]]]:
        """Per query row, up to k (key, score) pairs, best first; only keys in `allowed` when given —
        filtered inside FAISS, before the top-k is cut."""
        queries = np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32)
        if queries.shape[1] != self.dimension:
            raise ValueError(f"search: expected queries of dimension {self.dimension}, found {queries.shape[1]}; "
                             "embed them with the KB's embedding model")
        permitted = None if allowed is None else np.unique(np.asarray(allowed, dtype=np.int64))
        if k <= 0 or len(self) == 0 or (permitted is not None and not len(permitted)):
            return [[] for _ in range(len(queries))]
        with _serial(len(queries) <= SERIAL_QUERIES):
            if self._kind == "flat":  # exact: FAISS itself returns min(k, permitted) hits
                params = None if permitted is None else faiss.SearchParameters(sel=faiss.IDSelectorBatch(permitted))
                return self._rows(*self._index.search(queries, k, params=params))
            present = len(self) if permitted is None else self._present(permitted)
            if present == 0:
                return [[] for _ in range(len(queries))]
            if self._kind == "ivf":
                return self._search_ivf(queries, k, permitted, present)
            return self._search_hnsw(queries, k, permitted, present)

    @staticmethod
    def _rows(scores: np.ndarray, ids: np.ndarray) -> list[list[tuple[int, float]]]:
        return [[(int(i), float(s)) for i, s in zip(row_ids, row_scores) if i >= 0]
                for row_ids, row_scores in zip(ids, scores)]

    def _search_ivf(self, queries: np.ndarray, k: int, permitted: np.ndarray | None,
                    present: int) -> list[list[tuple[int, float]]]:
        selector = None if permitted is None else faiss.IDSelectorBatch(permitted)
        nlist = int(self._index.nlist)
        # A filter keeping a share s of the vectors: probing nprobe/s lists visits about as many permitted
        # vectors as an unfiltered query visits, so a selective filter does not cost recall.
        share, want = present / max(1, len(self)), min(k, present)
        rows = self._ivf_pass(queries, k, selector, min(nlist, math.ceil(self.config.nprobe / share)))
        short = [i for i, row in enumerate(rows) if len(row) < want]
        for i, row in zip(short, self._ivf_pass(queries[short], k, selector, nlist) if short else []):
            rows[i] = row  # permitted vectors sat in lists not probed; probing all makes IVFFlat exact
        return rows

    def _ivf_pass(self, queries: np.ndarray, k: int, selector: Any, nprobe: int) -> list[list[tuple[int, float]]]:
        params = faiss.SearchParametersIVF(nprobe=nprobe, sel=selector)
        return self._rows(*self._index.search(queries, k, params=params))

    def _search_hnsw(self, queries: np.ndarray, k: int, permitted: np.ndarray | None,
                     present: int) -> list[list[tuple[int, float]]]:
        labels = self._labels()
        share, want = present / max(1, len(self)), min(k, present)
        ef = max(math.ceil(self.config.ef_search * min(HNSW_MAX_WIDEN, 1.0 / share)), k)  # as IVF: widen by 1/s
        if permitted is not None and present <= HNSW_ROWS_PER_STEP * ef:
            return self._top_k(queries, k, self._permitted_positions(permitted), self._vectors(), labels)
        # Tombstones carry key -1 in the id map and the selector sees keys, so "not -1" hides them.
        dead = faiss.IDSelectorBatch(np.array([-1], np.int64))
        keep = faiss.IDSelectorBatch(permitted) if permitted is not None else faiss.IDSelectorNot(dead) \
            if self._dead else None
        rows: list[list[tuple[int, float]]] = []
        todo = list(range(len(queries)))
        for breadth in (ef, ef * 4):
            params = faiss.SearchParametersHNSW(efSearch=breadth, sel=keep)
            found = self._rows(*self._index.search(queries[todo], k, params=params))
            rows = rows or found
            for i, row in zip(todo, found):
                rows[i] = row if len(row) > len(rows[i]) else rows[i]
            todo = [i for i in todo if len(rows[i]) < want]
            if not todo:
                return rows
        # The graph walk did not reach enough permitted nodes: score the permitted set exactly.
        positions = self._permitted_positions(permitted) if permitted is not None else np.flatnonzero(labels >= 0)
        for i, row in zip(todo, self._top_k(queries[todo], k, positions, self._vectors(), labels)):
            rows[i] = row
        return rows

    def _permitted_positions(self, permitted: np.ndarray) -> np.ndarray:
        positions = self._positions()
        return np.fromiter((positions[key] for key in permitted.tolist() if key in positions), dtype=np.int64)

    @staticmethod
    def _top_k(queries: np.ndarray, k: int, positions: np.ndarray, rows: np.ndarray,
               labels: np.ndarray) -> list[list[tuple[int, float]]]:
        """Exact top-k over `rows[positions]` (live positions only). FAISS's scan, not a BLAS product:
        BLAS threads wake up slowly on a busy machine (a 10k-row product took 16 ms, the scan 1 ms)."""
        if not len(positions):
            return [[] for _ in range(len(queries))]
        subset = rows[positions] if len(positions) < len(rows) else rows  # all rows: no gather copy
        scores, at = faiss.knn(queries, subset, min(k, len(positions)), faiss.METRIC_INNER_PRODUCT)
        return [[(int(labels[positions[j]]), float(s)) for j, s in zip(row_at, row_scores) if j >= 0]
                for row_at, row_scores in zip(at, scores)]

    def stats(self) -> dict[str, Any]:
        index = self.index
        info: dict[str, Any] = {
            "backend": "faiss", "kind": self._kind, "configured_kind": self.config.kind, "count": len(self),
            "dimension": self.dimension, "file_bytes": self.path.stat().st_size if self.path.exists() else 0,
            "mmap": self._mapped, "path": str(self.path)}
        if self._kind == "hnsw":
            info.update(tombstones=self._dead, hnsw_m=self.config.hnsw_m, ef_search=self.config.ef_search)
        if self._kind == "ivf":
            info.update(nlist=int(index.nlist), nprobe=self.config.nprobe)
        return info
