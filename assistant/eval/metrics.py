"""Metric functions: pure, numpy only, one value per question unless named otherwise.

Rankings are lists of judged unit ids (documents, or gold evidence passages), best first, each id at
its first appearance only; relevance is {id: grade}, grade > 0 relevant (a set means grade 1)."""

from __future__ import annotations

import re
import string
from collections import Counter
from typing import Mapping, Sequence

import numpy as np

Relevance = Mapping[str, float] | frozenset[str] | set[str]


def _grades(relevance: Relevance) -> dict[str, float]:
    if isinstance(relevance, Mapping):
        return {k: float(v) for k, v in relevance.items() if float(v) > 0}
    return {k: 1.0 for k in relevance}


def ndcg(ranked: Sequence[str], relevance: Relevance, k: int = 10) -> float:
    """nDCG@k with linear gain (trec_eval's): DCG = sum grade / log2(rank + 1), over the ideal order."""
    grades = _grades(relevance)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    gains = np.array([grades.get(item, 0.0) for item in ranked[:k]])
    ideal = np.sort(np.fromiter(grades.values(), float))[::-1][:k]
    best = float(ideal @ discounts[:len(ideal)])
    return float(gains @ discounts[:len(gains)]) / best if best else 0.0


def recall(ranked: Sequence[str], relevance: Relevance, k: int = 10) -> float:
    grades = _grades(relevance)
    return len(grades.keys() & set(ranked[:k])) / len(grades) if grades else 0.0


def mrr(ranked: Sequence[str], relevance: Relevance) -> float:
    grades = _grades(relevance)
    return next((1.0 / rank for rank, item in enumerate(ranked, start=1) if item in grades), 0.0)


# --- answers against gold text (SQuAD's normalisation) -----------------------------------------------
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def normalise_answer(text: str) -> str:
    """Lower case, no punctuation, no articles, single spaces (SQuAD v1.1 evaluation script)."""
    return " ".join(_ARTICLES.sub(" ", text.lower().translate(_PUNCTUATION)).split())


def token_f1(prediction: str, gold: str) -> float:
    pred, ref = normalise_answer(prediction).split(), normalise_answer(gold).split()
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if not common:
        return 0.0
    precision, rec = common / len(pred), common / len(ref)
    return 2 * precision * rec / (precision + rec)


def exact_match(prediction: str, gold: str) -> float:
    return float(normalise_answer(prediction) == normalise_answer(gold))


# --- decisions over a whole set -----------------------------------------------------------------------
def abstention(abstained: Sequence[bool], answerable: Sequence[bool]) -> dict[str, float | None]:
    """Abstaining is the positive class, unanswerable the truth: precision = abstentions that were right
    to abstain; recall = unanswerable questions abstained on. None where the denominator is empty."""
    abst, unans = np.asarray(abstained, bool), ~np.asarray(answerable, bool)
    hit = int(np.sum(abst & unans))
    return {"abstention_precision": hit / int(abst.sum()) if abst.any() else None,
            "abstention_recall": hit / int(unans.sum()) if unans.any() else None}


def per_label(predicted: Sequence[str], gold: Sequence[str], labels: Sequence[str]) -> dict[str, dict[str, float]]:
    """Precision, recall, support (gold count) and predictions per label; precision is 0 for a label never
    predicted (scikit-learn's zero_division=0), so check `predicted` where that matters."""
    pred, ref = np.asarray(predicted, object), np.asarray(gold, object)
    out = {}
    for label in labels:
        tp = int(np.sum((pred == label) & (ref == label)))
        npred, support = int(np.sum(pred == label)), int(np.sum(ref == label))
        out[label] = {"precision": tp / npred if npred else 0.0, "recall": tp / support if support else 0.0,
                      "support": support, "predicted": npred}
    return out


def balanced_accuracy(predicted: Sequence[str], gold: Sequence[str]) -> float:
    """Mean recall over the labels present in `gold` (any number of labels; the binary supported-vs-not
    figure uses reliability.calibrate.balanced_accuracy, as bench/verify.py does)."""
    present = sorted(set(gold))
    scores = per_label(predicted, gold, present)
    return float(np.mean([scores[label]["recall"] for label in present])) if present else 0.0


def calibration_bins(scores: Sequence[float], positive: Sequence[bool], bins: int = 10) -> dict:
    """Reliability curve: per equal-width score bin, mean predicted score, observed positive rate and
    count; `ece` = count-weighted mean |observed − predicted| (expected calibration error)."""
    s, y = np.asarray(scores, float), np.asarray(positive, float)
    which = np.clip((s * bins).astype(int), 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    filled = counts > 0
    mean_score = np.bincount(which, weights=s, minlength=bins)[filled] / counts[filled]
    observed = np.bincount(which, weights=y, minlength=bins)[filled] / counts[filled]
    ece = float(np.sum(counts[filled] * np.abs(observed - mean_score)) / max(len(s), 1))
    return {"predicted": mean_score.tolist(), "observed": observed.tolist(), "count": counts[filled].tolist(),
            "ece": ece}
