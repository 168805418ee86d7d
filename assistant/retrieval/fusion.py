"""Score fusion for hybrid retrieval: pure functions over (key → score) maps, no I/O.

Cosines and BM25 scores live on different scales, and the BM25 scale moves with query length and
corpus statistics, so each list is normalised over the query's candidates before a weighted sum.
Reciprocal-rank fusion (RRF) is here for comparison: it throws the score gaps away, and with one weak
retriever it can rank below the strong one alone. Chunks of one document support each other
(`aggregate_documents`); `mmr` trades relevance for diversity when a caller wants it.

`gather` is the one part that reads the knowledge base: it collects the `Evidence` `rank` scores.
`HybridRetriever` and bench/retrieval.py both go through gather → rank, so the benchmark measures
exactly what the retriever runs.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Hashable, Mapping, Sequence, TypeVar

import numpy as np

from assistant.retrieval.clause_topics import clause_topic
from assistant.retrieval.query import (
    TitleFocus,
    asks_about_document,
    title_focus,
    title_key,
)

K = TypeVar("K", bound=Hashable)

NORMALISATIONS = ("minmax", "zscore", "max", "none")
DOC_POOLS = ("max", "mean")
FUSIONS = ("weighted", "rrf")


def normalise(scores: Mapping[K, float], method: str) -> dict[K, float]:
    """Scores mapped onto a common scale over this query's candidates.

    minmax: (s − min) / (max − min), all equal → 1.0.  zscore: (s − mean) / std, all equal → 0.0.
    max: s / max (the old HybridRetriever's BM25 scaling), max ≤ 0 → 0.0.  none: unchanged."""
    if method not in NORMALISATIONS:
        raise ValueError(f"normalisation must be one of {NORMALISATIONS}, found {method!r}")
    if not scores or method == "none":
        return dict(scores)
    values = list(scores.values())
    if method == "minmax":
        low, high = min(values), max(values)
        if high - low <= 1e-12:
            return {key: 1.0 for key in scores}
        return {key: (s - low) / (high - low) for key, s in scores.items()}
    if method == "zscore":
        mean = sum(values) / len(values)
        std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
        if std <= 1e-12:
            return {key: 0.0 for key in scores}
        return {key: (s - mean) / std for key, s in scores.items()}
    top = max(values)
    if top <= 0:
        return {key: 0.0 for key in scores}
    return {key: s / top for key, s in scores.items()}


def fill_missing(scores: Mapping[K, float], keys: Sequence[K]) -> dict[K, float]:
    """`scores` extended to every key in `keys`; a key the retriever did not return gets the lowest
    score it did return (it ranked at best there), or 0.0 when it returned nothing."""
    floor = min(scores.values(), default=0.0)
    return {key: scores.get(key, floor) for key in keys}


def weighted_fusion(dense: Mapping[K, float], sparse: Mapping[K, float], weight: float,
                    method: str) -> dict[K, float]:
    """w · norm(dense) + (1 − w) · norm(sparse) over the union of keys, the missing side of a key
    filled by `fill_missing` before normalising (so it sits at the bottom of that retriever's scale)."""
    keys = list(dict.fromkeys([*dense, *sparse]))
    d = normalise(fill_missing(dense, keys), method)
    s = normalise(fill_missing(sparse, keys), method)
    return {key: weight * d[key] + (1.0 - weight) * s[key] for key in keys}


def rrf(rankings: Sequence[Sequence[K]], k: int = 60, weights: Sequence[float] | None = None) -> dict[K, float]:
    """Reciprocal-rank fusion: Σ weight / (k + rank), ranks from 1; a key absent from a ranking gets
    nothing from it."""
    weights = weights if weights is not None else [1.0] * len(rankings)
    fused: dict[K, float] = {}
    for ranking, w in zip(rankings, weights):
        for rank, key in enumerate(ranking, start=1):
            fused[key] = fused.get(key, 0.0) + w / (k + rank)
    return fused


def aggregate_documents(scores: Mapping[K, float], doc_of: Mapping[K, str], weight: float,
                        pool: str = "max") -> dict[K, float]:
    """score + weight · pool(scores of the *other* candidate chunks of the same document), the pool
    clamped at 0 so weak siblings never push a chunk down.

    A document with several matching passages is more likely about the question than one with a single
    lucky passage; counting only the others keeps a chunk from being boosted by itself."""
    if pool not in DOC_POOLS:
        raise ValueError(f"document pool must be one of {DOC_POOLS}, found {pool!r}")
    if weight == 0.0:
        return dict(scores)
    by_doc: dict[str, list[float]] = {}
    for key, s in scores.items():
        by_doc.setdefault(doc_of[key], []).append(s)
    ranked = {doc: sorted(values, reverse=True) for doc, values in by_doc.items()}
    out: dict[K, float] = {}
    for key, s in scores.items():
        values = ranked[doc_of[key]]
        if len(values) < 2:
            out[key] = s
            continue
        if pool == "max":
            # The best other chunk: the top one, unless this chunk is the top one.
            other = values[1] if s >= values[0] else values[0]
        else:
            other = (sum(values) - s) / (len(values) - 1)
        out[key] = s + weight * max(other, 0.0)
    return out


def mmr(ranked: Sequence[K], relevance: Mapping[K, float], vectors: Mapping[K, np.ndarray], k: int,
        lam: float) -> list[K]:
    """Maximal marginal relevance: repeatedly take the key maximising
    lam · relevance − (1 − lam) · max cosine to the keys already taken. lam = 1 keeps `ranked` as is.
    `relevance` should be on a 0..1-ish scale so it is comparable with cosines."""
    if lam >= 1.0:
        return list(ranked[:k])
    pool = list(ranked)
    chosen: list[K] = []
    similarity: dict[K, float] = {key: -1.0 for key in pool}  # best cosine to anything chosen so far
    while pool and len(chosen) < k:
        best = max(pool, key=lambda key: (lam * relevance[key] - (1.0 - lam) * max(similarity[key], 0.0)
                                          if chosen else relevance[key]))
        chosen.append(best)
        pool.remove(best)
        for key in pool:
            similarity[key] = max(similarity[key], float(np.dot(vectors[key], vectors[best])))
    return chosen


@dataclass(frozen=True)
class FusionParams:
    """The knobs `rank` reads; `RetrievalConfig` carries the same names (see `from_config`) with the
    tuned values. These defaults are plain weighted fusion with nothing else switched on."""

    fusion: str = "weighted"
    normalisation: str = "zscore"
    dense_weight: float = 0.5
    doc_weight: float = 0.0
    doc_pool: str = "max"
    rrf_k: int = 60
    mmr_lambda: float = 1.0
    title_weight: float = 0.0
    intent_weight: float = 0.0
    intent_bm25_weight: float = 0.0
    opening_weight: float = 0.0
    heading_weight: float = 0.0

    @classmethod
    def from_config(cls, config: object) -> "FusionParams":
        return cls(**{name: getattr(config, name) for name in cls.__dataclass_fields__ if hasattr(config, name)})

    @classmethod
    def collecting(cls, params: Sequence["FusionParams"]) -> "FusionParams":
        """Values that make `gather` collect every signal any of `params` scores (the per-domain
        values are only known once the candidates, and so their domain, are)."""
        return cls(title_weight=max(p.title_weight for p in params), intent_weight=max(p.intent_weight for p in params),
                   intent_bm25_weight=max(p.intent_bm25_weight for p in params),
                   opening_weight=max(p.opening_weight for p in params), mmr_lambda=min(p.mmr_lambda for p in params),
                   heading_weight=max(p.heading_weight for p in params))


@dataclass(frozen=True)
class Evidence:
    """Everything `rank` scores one query's candidates on (collected by `gather`).

    `cosines` holds the exact cosine of every key in either list (a key only BM25 found is not treated
    as dense-irrelevant); `doc_of` maps every key to its document. The title-focus fields are empty
    unless the question names a candidate's title: `title_of` (key → `query.title_key` of its
    title), `focus_titles` (the titles named), and for the rest of the question, when it asks
    something beyond the topic, its cosine (`intent_cosines`) and BM25 (`intent_bm25`) per key.
    `opening` holds the first chunk of each candidate document when the question asks about the
    document itself (`query.asks_about_document`); those keys are candidates even if neither list had them."""

    dense: Sequence[tuple[int, float]]
    sparse: Sequence[tuple[int, float]]
    cosines: Mapping[int, float]
    doc_of: Mapping[int, str]
    title_of: Mapping[int, str] = field(default_factory=dict)
    focus_titles: frozenset[str] = frozenset()
    intent_cosines: Mapping[int, float] = field(default_factory=dict)
    intent_bm25: Mapping[int, float] = field(default_factory=dict)
    vectors: Mapping[int, np.ndarray] = field(default_factory=dict)  # only needed for MMR
    opening: frozenset[int] = frozenset()
    heading: frozenset[int] = frozenset()  # candidates filed under the contract clause the question asks for
    domain: str = ""  # the domain most candidates belong to: picks the fusion values (config.for_domain)


@dataclass(frozen=True)
class Ranked:
    key: int
    score: float  # what the list is ordered by
    dense: float  # exact cosine to the (cleaned) query: the calibrated relevance signal
    bm25: float  # BM25 scaled by the query's best BM25 (1.0 = the best lexical match)


def rank(evidence: Evidence, params: FusionParams, k: int | None = None) -> list[Ranked]:
    """Candidates from both retrievers, fused, document-aggregated, optionally diversified; best first.

    fused = w·N(cosine) + (1 − w)·N(BM25)
            + intent_weight·N(intent cosine) + intent_bm25_weight·N(intent BM25)   [question has an intent]
            + title_weight                                                  [chunk's title is named]
            + opening_weight                     [question asks about the document; its first chunk]
            + heading_weight            [chunk's clause heading is the one the question asks for]
    with N the per-query normalisation, then `aggregate_documents`, then MMR when mmr_lambda < 1."""
    ev = evidence
    keys = list(dict.fromkeys([key for key, _ in ev.dense] + [key for key, _ in ev.sparse] + sorted(ev.opening)))
    if not keys:
        return []
    bm25 = dict(ev.sparse)
    top_bm25 = max(bm25.values(), default=0.0) or 1.0
    if params.fusion == "rrf":
        # weights 2w and 2(1 − w): w = 0.5 is the textbook unweighted RRF.
        fused = rrf([[key for key, _ in ev.dense], [key for key, _ in ev.sparse]], params.rrf_k,
                    [2 * params.dense_weight, 2 * (1 - params.dense_weight)])
    elif params.fusion == "weighted":
        fused = weighted_fusion({key: ev.cosines[key] for key in keys}, bm25, params.dense_weight,
                                params.normalisation)
        _add_title_focus(fused, keys, ev, params)
        for key in ev.opening:
            fused[key] += params.opening_weight
        for key in ev.heading:
            fused[key] += params.heading_weight
    else:
        raise ValueError(f"fusion must be one of {FUSIONS}, found {params.fusion!r}")
    fused = aggregate_documents(fused, ev.doc_of, params.doc_weight, params.doc_pool)
    # Ties (equal fused scores) fall back to the cosine, then the key, so the order is reproducible.
    order = sorted(keys, key=lambda key: (-fused[key], -ev.cosines[key], key))
    if params.mmr_lambda < 1.0:
        if not all(key in ev.vectors for key in order):
            raise ValueError("mmr_lambda < 1 needs every candidate's vector in Evidence.vectors")
        relevance = normalise({key: fused[key] for key in order}, "minmax")
        order = mmr(order, relevance, ev.vectors, k or len(order), params.mmr_lambda)
    ranked = [Ranked(key, fused[key], ev.cosines[key], bm25.get(key, 0.0) / top_bm25) for key in order]
    return ranked[:k] if k is not None else ranked


def _add_title_focus(fused: dict[int, float], keys: list[int], ev: Evidence, params: FusionParams) -> None:
    """Adds the title-focus terms of `rank` to `fused` in place."""
    if not ev.focus_titles:
        return
    if ev.intent_cosines and params.intent_weight:
        intent = normalise({key: ev.intent_cosines[key] for key in keys}, params.normalisation)
        for key in keys:
            fused[key] += params.intent_weight * intent[key]
    if ev.intent_cosines and params.intent_bm25_weight:
        # The intent search covered every candidate, so a key without a score did not match at all.
        lexical = normalise({key: ev.intent_bm25.get(key, 0.0) for key in keys}, params.normalisation)
        for key in keys:
            fused[key] += params.intent_bm25_weight * lexical[key]
    if params.title_weight:
        for key in keys:
            if ev.title_of.get(key) in ev.focus_titles:
                fused[key] += params.title_weight


def uses_title_focus(params: FusionParams) -> bool:
    return params.fusion == "weighted" and bool(params.title_weight or params.intent_weight
                                                 or params.intent_bm25_weight)


def gather(kb: Any, questions: Sequence[str], qvecs: np.ndarray, dense_lists: Sequence[Sequence[tuple[int, float]]],
           sparse_lists: Sequence[Sequence[tuple[int, float]]], params: FusionParams,
           allowed: np.ndarray | None = None) -> list[Evidence]:
    """The evidence for each question from its dense and BM25 candidate lists: exact cosines, document
    ids and titles from `kb.catalog`, and — for a question naming a candidate's title and asking
    something beyond it — the cosine of the rest of the question (one batched `kb.embedder.encode` for
    all such questions) and its BM25 over the candidates (one FTS query each, limited to them); for a
    question about the document itself, the opening chunk of each candidate document (within `allowed`,
    the sorted keys the caller may see, when given).

    `questions` are what the dense side embedded (the cleaned questions); `kb` is a KnowledgeBase
    (not imported: kb.py imports the retriever's neighbours, and this module stays a leaf)."""
    focus_on = uses_title_focus(params)
    staged = []
    for question, qvec, dense, sparse in zip(questions, qvecs, dense_lists, sparse_lists):
        keys = list(dict.fromkeys([key for key, _ in dense] + [key for key, _ in sparse]))
        chunks = kb.catalog.chunks(keys) if keys else {}
        opening: frozenset[int] = frozenset()
        if params.opening_weight and chunks and asks_about_document(question):
            first = list(kb.catalog.opening_keys(sorted({c.doc_id for c in chunks.values()})).values())
            opening = frozenset(key for key, ok in zip(first, permitted(first, allowed)) if ok)
            extra = [key for key in sorted(opening) if key not in chunks]
            chunks.update(kb.catalog.chunks(extra) if extra else {})
            keys += extra
        # A chunk deleted between the index search and this read is dropped from both lists.
        keys = [key for key in keys if key in chunks]
        dense = [(key, s) for key, s in dense if key in chunks]
        sparse = [(key, s) for key, s in sparse if key in chunks]
        vectors = kb.catalog.embeddings(keys, kb.dense.dimension)
        focus = (title_focus(question, {c.title for c in chunks.values()}) if focus_on
                 else TitleFocus(frozenset(), question, ()))
        topic = clause_topic(question) if params.heading_weight else None
        heading = frozenset(key for key in keys if topic.matches(chunks[key])) if topic else frozenset()
        staged.append((keys, dense, sparse, chunks, vectors, qvec, focus, opening & set(chunks), heading))
    asking = [i for i, stage in enumerate(staged) if stage[6].intent]
    intent_vecs = dict(zip(asking, kb.embedder.encode([staged[i][6].intent_text for i in asking]))) if asking else {}
    out = []
    for i, (keys, dense, sparse, chunks, vectors, qvec, focus, opening, heading) in enumerate(staged):
        intent_cos: dict[int, float] = {}
        intent_bm25: dict[int, float] = {}
        if i in intent_vecs:
            intent_cos = dict(zip(keys, (vectors @ intent_vecs[i]).tolist()))
            allowed = np.asarray(sorted(keys), dtype=np.int64)
            intent_bm25 = dict(kb.catalog.sparse.search(" ".join(focus.intent), len(keys), allowed))
        domains = Counter(chunks[key].domain for key, _ in [*dense, *sparse])
        out.append(Evidence(
            domain=domains.most_common(1)[0][0] if domains else "",
            dense=dense, sparse=sparse, cosines=dict(zip(keys, (vectors @ qvec).tolist())),
            doc_of={key: chunks[key].doc_id for key in keys},
            title_of={key: title_key(chunks[key].title) for key in keys} if focus.titles else {},
            focus_titles=focus.titles, intent_cosines=intent_cos, intent_bm25=intent_bm25,
            vectors=dict(zip(keys, vectors)) if params.mmr_lambda < 1.0 else {}, opening=frozenset(opening),
            heading=heading))
    return out


def permitted(keys: Sequence[int], allowed: np.ndarray | None) -> list[bool]:
    """For each key, whether it is in the sorted key array `allowed` (None permits everything)."""
    if allowed is None:
        return [True] * len(keys)
    if len(allowed) == 0 or len(keys) == 0:
        return [False] * len(keys)
    wanted = np.asarray(keys, dtype=np.int64)
    at = np.minimum(np.searchsorted(allowed, wanted), len(allowed) - 1)
    return (allowed[at] == wanted).tolist()
