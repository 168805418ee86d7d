"""Hybrid retrieval: dense (FAISS) and sparse (FTS5 BM25) candidates, fused by normalised, weighted
scores with query cleanup, title focus and document aggregation (assistant/retrieval/retriever/fusion.py), optionally
reranked by a local cross-encoder (assistant/retrieval/retriever/rerank.py).

A `SearchFilter` (metadata and the caller's ACL groups) is resolved by the catalog into the permitted
chunk keys once per call; both indexes search only within them, before k is cut, so a filtered query
still returns k hits when k permitted chunks exist, and never a chunk outside them."""

from __future__ import annotations

import numpy as np

from assistant.core.settings import FITTED_DOMAINS, RetrievalConfig
from assistant.core.types import Hit, SearchFilter
from assistant.core.users import visible
from assistant.ingest.kb import KnowledgeBase, embedding_text
from assistant.retrieval.fusion import FusionParams, gather, permitted, rank
from assistant.retrieval.query import FocusedQuery, focus_query
from assistant.retrieval.rerank import CrossEncoderReranker, rerank


class HybridRetriever:
    """Dense and BM25 candidates → `fusion.gather` → `fusion.rank` (weights fitted by
    bench/retrieval.py) → optional cross-encoder.

    Every candidate gets its exact cosine (from the stored embedding), so a passage found only by BM25
    is not penalised for missing from the dense top list. `relevance` on each hit is that cosine (to
    the cleaned question): the signal the pipeline uses to decide whether anything relevant was found."""

    def __init__(self, kb: KnowledgeBase, config: RetrievalConfig | None = None) -> None:
        self.kb = kb
        self.config = config or kb.settings.retrieval
        self.params = FusionParams.from_config(self.config)
        # Per-domain fusion values (settings.FITTED_DOMAINS and [retrieval.domains]), built once.
        self.domain_params = {domain: FusionParams.from_config(self.config.for_domain(domain))
                              for domain in {*FITTED_DOMAINS, *self.config.domains}}
        self.collect = FusionParams.collecting([self.params, *self.domain_params.values()])
        self.reranker = CrossEncoderReranker(self.config.reranker) if self.config.reranker else None

    def search(self, query: str, k: int | None = None, filters: SearchFilter | None = None) -> list[Hit]:
        return self.search_many([query], k, filters)[0]

    def search_many(self, queries: list[str], k: int | None = None,
                    filters: SearchFilter | None = None) -> list[list[Hit]]:
        """The KB lock (which ingests and deletes take) is held only while the indexes and the catalog are
        read: encoding the queries and reranking run outside it, so a search, a chat and an ingest do not
        wait on each other's model inference."""
        k = k or self.config.top_k
        with self.kb.lock:
            self.kb.reconcile(save=False)
            # Read once: a document an ingest adds meanwhile shows from the next search on, one it
            # removes has no chunk left to return, and the ACL is looked at again on the hits below.
            allowed = self.kb.catalog.allowed_keys(filters)
        if allowed is not None and len(allowed) == 0:
            return [[] for _ in queries]  # nothing this caller may see: skip encoding altogether
        focused = [focus_query(q) if self.config.query_cleanup else FocusedQuery(q, q, q) for q in queries]
        questions = [f.dense for f in focused]
        qvecs = self.kb.embedder.encode(questions)
        with self.kb.lock:  # not while an ingest or delete in another thread is changing the KB
            candidates = self._candidates(focused, questions, qvecs, k, allowed)
        out = []
        for question, (ranked, chunks) in zip(questions, candidates):
            if self.reranker is not None:
                texts = {key: embedding_text(chunk) for key, chunk in chunks.items()}
                ranked = rerank(question, [r for r in ranked if r.key in chunks], texts, self.reranker,
                                self.config.rerank_depth, self.config.rerank_weight, k)
            hits = [Hit(chunk=chunks[r.key], score=r.score, relevance=r.dense,
                        scores={"dense": r.dense, "bm25": r.bm25}) for r in ranked if r.key in chunks]
            if filters is not None and filters.groups is not None:
                # Last look at the ACL read together with the text: a document re-ingested with other
                # groups since `allowed` was computed has new keys, but this costs nothing to be sure.
                hits = [h for h in hits if visible(h.chunk.acl, filters.groups)]
            out.append(hits)
        return out

    def _candidates(self, focused: list[FocusedQuery], questions: list[str], qvecs: np.ndarray, k: int,
                    allowed: np.ndarray | None) -> list[tuple[list, dict]]:
        """Per query, the fused ranking (deep enough for the reranker) and its chunks, read under the lock."""
        n = max(self.config.candidates, k)
        dense_lists = self.kb.dense.search(qvecs, n, allowed=allowed)
        sparse_lists = self.kb.catalog.sparse.search_many([f.sparse for f in focused], n, allowed)
        if allowed is not None:
            # The indexes already searched within `allowed`; checking again costs microseconds and
            # keeps a backend that ignores or approximates the restriction from leaking a chunk.
            dense_lists = [_within(d, allowed) for d in dense_lists]
            sparse_lists = [_within(s, allowed) for s in sparse_lists]
        evidence = gather(self.kb, questions, qvecs, dense_lists, sparse_lists, self.collect, allowed)
        out = []
        for ev in evidence:
            depth = max(self.config.rerank_depth, k) if self.reranker else k
            ranked = rank(ev, self.params_for(ev.domain), k=depth)
            out.append((ranked, self.kb.catalog.chunks([r.key for r in ranked])))
        return out

    def params_for(self, domain: str) -> FusionParams:
        return self.domain_params.get(domain, self.params)


def _within(pairs: list[tuple[int, float]], allowed: np.ndarray) -> list[tuple[int, float]]:
    """The (key, score) pairs whose key is in the sorted array `allowed`."""
    return [pair for pair, ok in zip(pairs, permitted([key for key, _ in pairs], allowed)) if ok]
