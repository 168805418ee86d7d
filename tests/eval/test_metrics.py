"""Metric values on tiny cases computed by hand."""

import math

import pytest

from assistant.eval import metrics


def test_ndcg_with_graded_relevance():
    # Ranked: d2 (grade 1), x (0), d1 (grade 3). DCG = 1/log2(2) + 3/log2(4) = 1 + 1.5 = 2.5.
    # Ideal: d1, d2 → 3/log2(2) + 1/log2(3) = 3 + 0.63093 = 3.63093.
    value = metrics.ndcg(["d2", "x", "d1"], {"d1": 3, "d2": 1, "d0": 0}, k=10)
    assert value == pytest.approx(2.5 / (3 + 1 / math.log2(3)))
    assert metrics.ndcg(["d1", "d2"], {"d1": 3, "d2": 1}) == pytest.approx(1.0)
    # The cut at k: d1 falls outside the top 2.
    assert metrics.ndcg(["d2", "x", "d1"], {"d1": 3, "d2": 1}, k=2) == pytest.approx(1.0 / (3 + 1 / math.log2(3)))
    assert metrics.ndcg(["x"], {}) == 0.0


def test_binary_relevance_as_a_set_equals_grade_one():
    assert metrics.ndcg(["a", "b"], {"b"}) == pytest.approx(metrics.ndcg(["a", "b"], {"b": 1}))
    assert metrics.ndcg(["a", "b"], {"b"}) == pytest.approx(1 / math.log2(3))


def test_recall_at_k_and_mrr():
    ranked = ["x", "a", "y", "b"]
    assert metrics.recall(ranked, {"a", "b", "c"}, k=2) == pytest.approx(1 / 3)
    assert metrics.recall(ranked, {"a", "b", "c"}, k=4) == pytest.approx(2 / 3)
    assert metrics.recall(ranked, {"a": 0, "b": 2}, k=4) == pytest.approx(1.0)  # grade 0 is not relevant
    assert metrics.mrr(ranked, {"b", "a"}) == pytest.approx(0.5)
    assert metrics.mrr(ranked, {"z"}) == 0.0


def test_token_f1_and_exact_match_use_squad_normalisation():
    # "the cat sat" → "cat sat"; "A cat sat down." → "cat sat down": 2 common, P = 2/2, R = 2/3.
    assert metrics.token_f1("the cat sat", "A cat sat down.") == pytest.approx(2 * 1 * (2 / 3) / (1 + 2 / 3))
    assert metrics.token_f1("Within 45 days!", "within 45 days") == 1.0
    assert metrics.exact_match("Within 45 days!", "within 45 days") == 1.0
    assert metrics.token_f1("no overlap", "something else") == 0.0
    assert metrics.exact_match("45 days", "within 45 days") == 0.0


def test_abstention_precision_and_recall():
    abstained = [True, True, False, False, True]
    answerable = [False, True, False, True, False]
    # Unanswerable: items 0, 2, 4; abstained on 0 and 4 (right), 1 (wrong).
    scores = metrics.abstention(abstained, answerable)
    assert scores["abstention_precision"] == pytest.approx(2 / 3)
    assert scores["abstention_recall"] == pytest.approx(2 / 3)
    assert metrics.abstention([False], [True]) == {"abstention_precision": None, "abstention_recall": None}


def test_per_label_and_balanced_accuracy():
    predicted = ["s", "s", "n", "c"]
    gold = ["s", "n", "n", "n"]
    table = metrics.per_label(predicted, gold, ["s", "n", "c"])
    assert table["s"] == {"precision": 0.5, "recall": 1.0, "support": 1, "predicted": 2}
    assert table["n"]["recall"] == pytest.approx(1 / 3) and table["c"]["precision"] == 0.0
    assert metrics.balanced_accuracy(predicted, gold) == pytest.approx((1.0 + 1 / 3) / 2)


def test_calibration_bins_and_ece():
    curve = metrics.calibration_bins([0.05, 0.15, 0.95, 0.85], [False, True, True, True], bins=2)
    # Bin [0, .5): mean score 0.1, observed 0.5; bin [.5, 1]: 0.9, observed 1.0. ECE = (2·0.4 + 2·0.1)/4.
    assert curve["predicted"] == pytest.approx([0.1, 0.9]) and curve["observed"] == pytest.approx([0.5, 1.0])
    assert curve["count"] == [2, 2] and curve["ece"] == pytest.approx(0.25)
