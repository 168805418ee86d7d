"""`eval verify`: the verifier on labelled (claim, evidence, label) pairs — balanced accuracy (supported
vs not, as bench/verify.py reports it, and over the three labels), per-label precision/recall, and how
well P(supported) is calibrated (reliability curve, expected calibration error)."""

from __future__ import annotations

import time

import numpy as np

from assistant.eval import metrics
from assistant.eval.items import EvalItem
from assistant.eval.shared import verify_label
from assistant.eval.stats import Metric
from assistant.reliability.calibrate import balanced_accuracy
from assistant.reliability.datasets import LABELS, SUPPORTED
from assistant.reliability.verifier import Verifier

BATCH = 64


def evaluate(verifier: Verifier, items: list[EvalItem]) -> list[dict]:
    started = time.perf_counter()
    verdicts = verifier.score_pairs([i.question for i in items], [list(i.evidence) or [" "] for i in items])
    seconds = (time.perf_counter() - started) / max(len(items), 1)
    return [{"id": i.id, "gold": verify_label(i), "label": v.label, "score": v.score, "latency_s": seconds}
            for i, v in zip(items, verdicts)]


def _binary(rows: np.ndarray) -> float:
    """Supported vs not, by the same function bench/verify.py reports."""
    supported = LABELS.index(SUPPORTED)
    return balanced_accuracy(rows[:, 1] == supported, rows[:, 0] == supported)


def _three_way(rows: np.ndarray) -> float:
    return metrics.balanced_accuracy(list(rows[:, 0]), list(rows[:, 1]))


def _per_label(label: str, which: str):
    index = LABELS.index(label)

    def statistic(rows: np.ndarray) -> float:
        value = metrics.per_label(list(rows[:, 0]), list(rows[:, 1]), [index])[index]
        # Undefined, not 0, in a resample that drew no such prediction (precision) or gold label (recall).
        return value[which] if value["predicted" if which == "precision" else "support"] else float("nan")
    return statistic


def scores(records: list[dict]) -> dict[str, Metric]:
    rows = np.array([[LABELS.index(r["label"]), LABELS.index(r["gold"])] for r in records], float)
    out = {"balanced_accuracy": Metric(rows, _binary), "balanced_accuracy_3way": Metric(rows, _three_way)}
    for label in LABELS:
        if (rows[:, 1] == LABELS.index(label)).any():
            out[f"{label}_precision"] = Metric(rows, _per_label(label, "precision"))
            out[f"{label}_recall"] = Metric(rows, _per_label(label, "recall"))
    out["latency_s"] = Metric(np.array([r["latency_s"] for r in records], float))
    return out


def calibration(records: list[dict]) -> dict:
    """Reliability curve of P(supported) against the gold label, plus the scores by gold label."""
    scores_ = [r["score"] for r in records]
    curve = metrics.calibration_bins(scores_, [r["gold"] == SUPPORTED for r in records])
    curve["by_label"] = {label: [r["score"] for r in records if r["gold"] == label] for label in LABELS}
    curve["per_label"] = metrics.per_label([r["label"] for r in records], [r["gold"] for r in records], LABELS)
    return curve
