"""assistant/retrieval/retriever/fusion.py on tiny cases whose results were worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.retrieval.fusion import (
    Evidence,
    FusionParams,
    Ranked,
    aggregate_documents,
    fill_missing,
    mmr,
    normalise,
    rank,
    rrf,
    weighted_fusion,
)


def test_minmax_maps_lowest_to_0_and_highest_to_1():
    assert normalise({"a": 1.0, "b": 3.0, "c": 2.0}, "minmax") == {"a": 0.0, "b": 1.0, "c": 0.5}


def test_zscore_uses_population_std():
    # mean 2, std sqrt(((1-2)^2 + (3-2)^2) / 2) = 1
    assert normalise({"a": 1.0, "b": 3.0}, "zscore") == {"a": -1.0, "b": 1.0}


def test_max_scaling_and_degenerate_lists():
    assert normalise({"a": 2.0, "b": 4.0}, "max") == {"a": 0.5, "b": 1.0}
    assert normalise({"a": 5.0, "b": 5.0}, "minmax") == {"a": 1.0, "b": 1.0}
    assert normalise({"a": 5.0, "b": 5.0}, "zscore") == {"a": 0.0, "b": 0.0}
    assert normalise({"a": -1.0}, "max") == {"a": 0.0}
    assert normalise({}, "zscore") == {}
    with pytest.raises(ValueError):
        normalise({"a": 1.0}, "softmax")


def test_missing_keys_get_the_lowest_returned_score():
    assert fill_missing({"a": 3.0, "b": 1.0}, ["a", "b", "c"]) == {"a": 3.0, "b": 1.0, "c": 1.0}
    assert fill_missing({}, ["a"]) == {"a": 0.0}


def test_weighted_fusion_by_hand():
    # dense filled: 4 -> 0.5, minmax -> 1: 1, 2: 0, 3: 0.5, 4: 0
    # sparse filled: 1, 3 -> 4, minmax -> 1: 0, 2: 1, 3: 0, 4: 0
    fused = weighted_fusion({1: 0.9, 2: 0.5, 3: 0.7}, {2: 10.0, 4: 4.0}, 0.6, "minmax")
    assert fused == pytest.approx({1: 0.6, 2: 0.4, 3: 0.3, 4: 0.0})


def test_rrf_by_hand():
    # a: 1/(1+1); b: 1/(1+2) + 1/(1+1); c: 1/(1+2)
    assert rrf([["a", "b"], ["b", "c"]], k=1) == pytest.approx({"a": 0.5, "b": 5 / 6, "c": 1 / 3})
    assert rrf([["a"], ["b"]], k=1, weights=[2.0, 1.0]) == pytest.approx({"a": 1.0, "b": 0.5})


def test_document_aggregation_max_pool_counts_only_other_chunks():
    scores = {1: 1.0, 2: 0.5, 3: 0.8, 4: -0.2}
    doc_of = {1: "A", 2: "A", 3: "B", 4: "B"}
    # 1: 1.0 + 0.5*0.5; 2: 0.5 + 0.5*1.0; 3: 0.8 + 0.5*max(-0.2, 0); 4: -0.2 + 0.5*0.8
    assert aggregate_documents(scores, doc_of, 0.5, "max") == pytest.approx({1: 1.25, 2: 1.0, 3: 0.8, 4: 0.2})


def test_document_aggregation_mean_pool_and_single_chunk_documents():
    scores = {1: 1.0, 2: 0.5, 3: 0.0, 9: 0.7}
    doc_of = {1: "A", 2: "A", 3: "A", 9: "B"}
    # 1: 1 + mean(0.5, 0); 2: 0.5 + mean(1, 0); 3: 0 + mean(1, 0.5); 9 has no sibling
    assert aggregate_documents(scores, doc_of, 1.0, "mean") == pytest.approx({1: 1.25, 2: 1.0, 3: 0.75, 9: 0.7})
    assert aggregate_documents(scores, doc_of, 0.0, "mean") == scores


def test_mmr_skips_a_near_duplicate():
    vectors = {"a": np.array([1.0, 0.0]), "b": np.array([1.0, 0.0]), "c": np.array([0.0, 1.0])}
    relevance = {"a": 1.0, "b": 0.9, "c": 0.5}
    # after a: b = 0.5*0.9 - 0.5*1 = -0.05, c = 0.5*0.5 - 0.5*0 = 0.25
    assert mmr(["a", "b", "c"], relevance, vectors, 3, 0.5) == ["a", "c", "b"]
    assert mmr(["a", "b", "c"], relevance, vectors, 2, 1.0) == ["a", "b"]


def test_rank_fuses_exact_cosines_with_bm25():
    cosines = {1: 0.9, 2: 0.5, 3: 0.7, 4: 0.5}
    params = FusionParams(normalisation="minmax", dense_weight=0.6)
    ev = Evidence([(1, 0.9), (3, 0.7)], [(2, 10.0), (4, 4.0)], cosines, {1: "a", 2: "b", 3: "c", 4: "d"})
    ranked = rank(ev, params)
    # cos minmax: 1, 0, .5, 0; bm25 (1, 3 filled with 4) minmax: 0, 1, 0, 0
    assert [r.key for r in ranked] == [1, 2, 3, 4]
    assert [r.score for r in ranked] == pytest.approx([0.6, 0.4, 0.3, 0.0])
    assert [r.bm25 for r in ranked] == pytest.approx([0.0, 1.0, 0.0, 0.4])
    assert [r.dense for r in ranked] == [0.9, 0.5, 0.7, 0.5]


def test_rank_document_aggregation_lifts_the_document_with_two_matches():
    cosines = {1: 0.6, 2: 0.6, 3: 0.7}
    doc_of = {1: "a", 2: "a", 3: "b"}
    params = FusionParams(normalisation="none", dense_weight=1.0, doc_weight=0.5)
    # 1, 2: 0.6 + 0.5*0.6 = 0.9 > 3: 0.7; the tie 1/2 is broken by key
    assert [r.key for r in rank(Evidence([(3, 0.7), (1, 0.6), (2, 0.6)], [], cosines, doc_of), params)] == [1, 2, 3]
    # Only candidates count: without chunk 2 among them, chunk 1 has no sibling to lift it.
    assert [r.key for r in rank(Evidence([(3, 0.7), (1, 0.6)], [], cosines, doc_of), params, k=1)] == [3]


def test_rank_rrf_mode_and_empty_input():
    params = FusionParams(fusion="rrf", rrf_k=1, dense_weight=0.5)
    ranked = rank(Evidence([(1, 0.9), (2, 0.8)], [(2, 3.0)], {1: 0.9, 2: 0.8}, {1: "a", 2: "b"}), params)
    # 1: 1/2; 2: 1/3 + 1/2
    assert [(r.key, round(r.score, 4)) for r in ranked] == [(2, 0.8333), (1, 0.5)]
    assert rank(Evidence([], [], {}, {}), params) == []


def test_title_focus_adds_the_intent_and_the_title_bonus():
    # Three chunks: 1 and 2 under the named title "gout", 3 elsewhere. Cosines alone favour 3.
    ev = Evidence(dense=[(3, 0.8), (1, 0.6), (2, 0.5)], sparse=[], cosines={1: 0.6, 2: 0.5, 3: 0.8},
                  doc_of={1: "a", 2: "b", 3: "c"}, title_of={1: "gout", 2: "gout", 3: "lupus"},
                  focus_titles=frozenset({"gout"}), intent_cosines={1: 0.1, 2: 0.4, 3: 0.2},
                  intent_bm25={2: 3.0})
    params = FusionParams(normalisation="minmax", dense_weight=1.0, title_weight=0.5, intent_weight=0.5,
                          intent_bm25_weight=0.25)
    # cos minmax: 1: 1/3, 2: 0, 3: 1; intent minmax: 1: 0, 2: 1, 3: 1/3; intent BM25 minmax: 2: 1, others 0
    # 1: 1/3 + 0 + 0 + 0.5 = 0.8333; 2: 0 + 0.5 + 0.25 + 0.5 = 1.25; 3: 1 + 1/6 = 1.1667
    ranked = rank(ev, params)
    assert [r.key for r in ranked] == [2, 3, 1]
    assert [r.score for r in ranked] == pytest.approx([1.25, 7 / 6, 5 / 6])
    # Without a named title none of it applies: plain cosine order.
    assert [r.key for r in rank(Evidence(ev.dense, [], ev.cosines, ev.doc_of), params)] == [3, 1, 2]


def test_mmr_through_rank_needs_vectors():
    ev = Evidence([(1, 0.9), (2, 0.85), (3, 0.5)], [], {1: 0.9, 2: 0.85, 3: 0.5}, {1: "a", 2: "b", 3: "c"},
                  vectors={1: np.array([1.0, 0.0]), 2: np.array([1.0, 0.0]), 3: np.array([0.0, 1.0])})
    params = FusionParams(normalisation="none", dense_weight=1.0, mmr_lambda=0.5)
    # relevance minmax: 1: 1, 2: 0.875, 3: 0; after 1: 2 -> 0.4375 - 0.5 < 0, 3 -> 0 - 0 = 0
    assert [r.key for r in rank(ev, params)] == [1, 3, 2]
    with pytest.raises(ValueError):
        rank(Evidence(ev.dense, [], ev.cosines, ev.doc_of), params)


class _LengthScorer:
    """Scores a passage by its length: enough to check the blending arithmetic without a model."""

    def scores(self, query, passages):
        return np.array([float(len(p)) for p in passages])


def test_rerank_blends_cross_encoder_and_fused_scores():
    from assistant.retrieval.rerank import rerank

    ranked = [Ranked(1, 3.0, 0.9, 1.0), Ranked(2, 2.0, 0.8, 0.5), Ranked(3, 1.0, 0.7, 0.0)]
    texts = {1: "x", 2: "xxx", 3: "xx"}
    # cross-encoder minmax: 1: 0, 2: 1, 3: 0.5; fused minmax: 1: 1, 2: 0.5, 3: 0
    # weight 0.5: 1: 0.5, 2: 0.75, 3: 0.25
    out = rerank("q", ranked, texts, _LengthScorer(), depth=3, weight=0.5, k=2)
    assert [(r.key, r.score) for r in out] == [(2, 0.75), (1, 0.5)]
    # depth 2 rescores only the first two: 1: 0, 2: 1 with weight 1
    assert [r.key for r in rerank("q", ranked, texts, _LengthScorer(), depth=2, weight=1.0, k=2)] == [2, 1]


def test_reranker_needs_a_local_directory(tmp_path):
    from assistant.core.errors import ModelNotFoundError
    from assistant.retrieval.rerank import CrossEncoderReranker

    with pytest.raises(ModelNotFoundError):
        CrossEncoderReranker(tmp_path / "absent")


def test_opening_passage_joins_the_candidates_with_its_bonus():
    # Key 9 (a document's first chunk) was in neither list; a question about the document brings it in.
    cosines = {1: 0.8, 2: 0.6, 9: 0.3}
    ev = Evidence([(1, 0.8), (2, 0.6)], [(1, 5.0)], cosines, {1: "a", 2: "a", 9: "a"}, opening=frozenset({9}))
    plain = rank(ev, FusionParams(normalisation="max", dense_weight=1.0))
    assert [r.key for r in plain] == [1, 2, 9]
    lifted = rank(ev, FusionParams(normalisation="max", dense_weight=1.0, opening_weight=0.8))
    # max-normalised cosines 1, .75, .375; + 0.8 for the opening chunk → 1.175
    assert [r.key for r in lifted] == [9, 1, 2]
    assert lifted[0].score == pytest.approx(0.375 + 0.8)


def test_collecting_params_switch_on_every_signal_any_domain_scores():
    a = FusionParams(title_weight=1.0, mmr_lambda=0.7)
    b = FusionParams(intent_weight=0.4, opening_weight=0.5)
    both = FusionParams.collecting([a, b])
    assert (both.title_weight, both.intent_weight, both.opening_weight, both.mmr_lambda) == (1.0, 0.4, 0.5, 0.7)


def test_permitted_checks_membership_in_the_sorted_allowed_keys():
    from assistant.retrieval.fusion import permitted

    allowed = np.array([2, 5, 9], dtype=np.int64)
    assert permitted([9, 1, 5, 10, 2], allowed) == [True, False, True, False, True]
    assert permitted([1, 2], None) == [True, True]
    assert permitted([1, 2], np.array([], dtype=np.int64)) == [False, False] and permitted([], allowed) == []


def test_a_clause_heading_the_question_asks_for_lifts_its_passage():
    cosines = {1: 0.8, 2: 0.6}
    ev = Evidence([(1, 0.8), (2, 0.6)], [], cosines, {1: "a", 2: "a"}, heading=frozenset({2}))
    plain = rank(ev, FusionParams(normalisation="max", dense_weight=1.0))
    lifted = rank(ev, FusionParams(normalisation="max", dense_weight=1.0, heading_weight=0.5))
    assert [r.key for r in plain] == [1, 2]
    # max-normalised cosines 1 and .75; + 0.5 for the heading → 1.25
    assert [r.key for r in lifted] == [2, 1] and lifted[0].score == pytest.approx(1.25)
