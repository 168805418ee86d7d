"""Hybrid retrieval: dense (FAISS) and sparse (FTS5 BM25) candidates, fused by weighted scores."""

from __future__ import annotations

import numpy as np

from .kb import KnowledgeBase
from .settings import RetrievalConfig
from .types import Hit


class HybridRetriever:
    """fused = w · cosine + (1 − w) · BM25 / max BM25 over the candidates.

    Every candidate gets its exact cosine (from the stored embedding), so a passage found only by BM25
    is not penalised for missing from the dense top list. `relevance` on each hit is that cosine: the
    signal the pipeline uses to decide whether anything relevant was found at all."""

    def __init__(self, kb: KnowledgeBase, config: RetrievalConfig | None = None) -> None:
        self.kb = kb
        self.config = config or kb.settings.retrieval

    def search(self, query: str, k: int | None = None) -> list[Hit]:
        return self.search_many([query], k)[0]

    def search_many(self, queries: list[str], k: int | None = None) -> list[list[Hit]]:
        k = k or self.config.top_k
        self.kb.reconcile(save=False)
        qvecs = self.kb.embedder.encode(queries)
        n = max(self.config.candidates, k)
        dense_lists = self.kb.dense.search(qvecs, n)
        return [self._fuse(qvec, dense, self.kb.catalog.sparse.search(q, n), k)
                for q, qvec, dense in zip(queries, qvecs, dense_lists)]

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
