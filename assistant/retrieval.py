"""Hybrid retrieval: dense (FAISS) and sparse (FTS5 BM25) candidates, fused by weighted scores.

A `SearchFilter` (metadata and the caller's ACL groups) is resolved by the catalog into the permitted
chunk keys once per call; both indexes search only within them, before k is cut, so a filtered query
still returns k hits when k permitted chunks exist, and never a chunk outside them."""

from __future__ import annotations

import numpy as np

from .kb import KnowledgeBase
from .settings import RetrievalConfig
from .types import Hit, SearchFilter


class HybridRetriever:
    """fused = w · cosine + (1 − w) · BM25 / max BM25 over the candidates.

    Every candidate gets its exact cosine (from the stored embedding), so a passage found only by BM25
    is not penalised for missing from the dense top list. `relevance` on each hit is that cosine: the
    signal the pipeline uses to decide whether anything relevant was found at all."""

    def __init__(self, kb: KnowledgeBase, config: RetrievalConfig | None = None) -> None:
        self.kb = kb
        self.config = config or kb.settings.retrieval

    def search(self, query: str, k: int | None = None, filters: SearchFilter | None = None) -> list[Hit]:
        return self.search_many([query], k, filters)[0]

    def search_many(self, queries: list[str], k: int | None = None,
                    filters: SearchFilter | None = None) -> list[list[Hit]]:
        k = k or self.config.top_k
        self.kb.reconcile(save=False)
        allowed = self.kb.catalog.allowed_keys(filters)
        if allowed is not None and len(allowed) == 0:
            return [[] for _ in queries]  # nothing this caller may see: skip encoding altogether
        qvecs = self.kb.embedder.encode(queries)
        n = max(self.config.candidates, k)
        dense_lists = self.kb.dense.search(qvecs, n, allowed=allowed)
        sparse_lists = self.kb.catalog.sparse.search_many(queries, n, allowed)
        out = []
        for qvec, dense, sparse in zip(qvecs, dense_lists, sparse_lists):
            if allowed is not None:
                # The indexes already searched within `allowed`; checking again costs microseconds and
                # keeps a backend that ignores or approximates the restriction from leaking a chunk.
                dense, sparse = _within(dense, allowed), _within(sparse, allowed)
            hits = self._fuse(qvec, dense, sparse, k)
            if filters is not None and filters.groups is not None:
                # Last look at the ACL read together with the text: a document re-ingested with other
                # groups since `allowed` was computed has new keys, but this costs nothing to be sure.
                hits = [h for h in hits if visible(h.chunk.acl, filters.groups)]
            out.append(hits)
        return out

    def _fuse(self, qvec: np.ndarray, dense: list[tuple[int, float]], sparse: list[tuple[int, float]],
              k: int) -> list[Hit]:
        keys = list(dict.fromkeys([key for key, _ in dense] + [key for key, _ in sparse]))
        if not keys:
            return []
        cosine = self.kb.catalog.embeddings(keys, self.kb.dense.dimension) @ qvec
        bm25 = dict(sparse)
        top_bm25 = max(bm25.values(), default=0.0) or 1.0
        w = self.config.dense_weight
        scored = []
        for key, cos in zip(keys, cosine.tolist()):
            lexical = bm25.get(key, 0.0) / top_bm25
            scored.append((w * cos + (1 - w) * lexical, key, cos, lexical))
        scored.sort(reverse=True)
        top = scored[:k]
        chunks = self.kb.catalog.chunks([key for _, key, _, _ in top])
        return [Hit(chunk=chunks[key], score=score, relevance=cos, scores={"dense": cos, "bm25": lexical})
                for score, key, cos, lexical in top if key in chunks]


def visible(acl: tuple[str, ...], groups: tuple[str, ...]) -> bool:
    """Whether a caller in `groups` may see a chunk whose document has `acl` (empty = public)."""
    return not acl or not set(acl).isdisjoint(groups)


def _within(pairs: list[tuple[int, float]], allowed: np.ndarray) -> list[tuple[int, float]]:
    """The (key, score) pairs whose key is in the sorted array `allowed`."""
    if not pairs:
        return pairs
    keys = np.fromiter((key for key, _ in pairs), dtype=np.int64, count=len(pairs))
    at = np.minimum(np.searchsorted(allowed, keys), len(allowed) - 1)
    return [pair for pair, ok in zip(pairs, (allowed[at] == keys).tolist()) if ok]
