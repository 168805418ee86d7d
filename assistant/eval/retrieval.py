"""`eval retrieval`: does search rank the gold documents (or gold passages) first? nDCG@k, Recall@k, MRR
and search latency per question, for the hybrid retriever or BM25 / dense alone."""

from __future__ import annotations

import difflib
import time

import numpy as np

from assistant.core.types import Chunk, SearchFilter
from assistant.eval import metrics
from assistant.eval.items import EvalItem
from assistant.eval.stats import Metric
from assistant.ingest.kb import KnowledgeBase
from assistant.retrieval.retriever import HybridRetriever

MODES = ("hybrid", "bm25", "dense")


def relevance(item: EvalItem) -> dict[str, float]:
    """Graded document ids when given; else each gold passage is one relevant unit."""
    return item.relevance or {f"evidence:{j}": 1.0 for j in range(len(item.evidence))}


def holds(chunk_text: str, evidence: str) -> bool:
    """The chunk holds at least half the passage, or the passage fills half the chunk (a clause may be
    split over chunks, and a chunk may hold several clauses)."""
    a, b = " ".join(chunk_text.lower().split()), " ".join(evidence.lower().split())
    if not a or not b:
        return False
    if b in a or a in b:
        return True
    match = difflib.SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    return match.size >= 0.5 * min(len(a), len(b))


def judged(chunks: list[Chunk], item: EvalItem) -> list[str]:
    """The ranking as judged units, each at its first appearance (three chunks of one relevant document
    fill one rank, not three)."""
    if item.relevance:
        units = [c.doc_id for c in chunks]
    else:
        units = [next((f"evidence:{j}" for j, e in enumerate(item.evidence) if holds(c.text, e)), f"chunk:{c.id}")
                 for c in chunks]
    return list(dict.fromkeys(units))


class Searcher:
    """One retrieval configuration: the hybrid retriever, or BM25 / dense alone (as the bench's baselines)."""

    def __init__(self, kb: KnowledgeBase, mode: str = "hybrid") -> None:
        self.kb, self.mode = kb, mode
        self.hybrid = HybridRetriever(kb) if mode == "hybrid" else None
        kb.reconcile(save=False)
        kb.embedder.warm_up()  # model loading is not search latency

    def search(self, question: str, k: int, filters: SearchFilter | None) -> list[Chunk]:
        if self.hybrid is not None:
            return [h.chunk for h in self.hybrid.search(question, k, filters)]
        allowed = self.kb.catalog.allowed_keys(filters)
        if self.mode == "bm25":
            pairs = self.kb.catalog.sparse.search(question, k, allowed)
        else:
            pairs = self.kb.dense.search(self.kb.embedder.encode([question]), k, allowed=allowed)[0]
        chunks = self.kb.catalog.chunks([key for key, _ in pairs])
        return [chunks[key] for key, _ in pairs if key in chunks]


def evaluate(searcher: Searcher, items: list[EvalItem], k: int) -> list[dict]:
    out = []
    for item in items:
        filters = SearchFilter(doc_ids=item.scope) if item.scope else None
        started = time.perf_counter()
        chunks = searcher.search(item.question, k, filters)
        latency = time.perf_counter() - started
        ranked, gold = judged(chunks, item), relevance(item)
        out.append({"id": item.id, "ranked": ranked, f"ndcg@{k}": metrics.ndcg(ranked, gold, k),
                    f"recall@{k}": metrics.recall(ranked, gold, k), "mrr": metrics.mrr(ranked, gold),
                    "latency_s": latency})
    return out


def scores(records: list[dict], k: int) -> dict[str, Metric]:
    def column(name: str) -> np.ndarray:
        return np.array([r[name] for r in records], float)
    return {f"ndcg@{k}": Metric(column(f"ndcg@{k}")), f"recall@{k}": Metric(column(f"recall@{k}")),
            "mrr": Metric(column("mrr")), "latency_s": Metric(column("latency_s"))}
