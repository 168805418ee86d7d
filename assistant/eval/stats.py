"""Bootstrap intervals (percentile method, seeded): one system's mean, and the paired difference of two
systems run on the same questions — resampling questions, not scores, so the pairing is kept."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np

RESAMPLES = 2000
LEVEL = 0.95
Statistic = Callable[[np.ndarray], float]


@dataclass(frozen=True)
class Interval:
    value: float  # the statistic on the questions as they are
    low: float
    high: float
    n: int

    def to_dict(self) -> dict:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0


def _indices(n: int, resamples: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n, size=(resamples, n))


def _interval(value: float, draws: np.ndarray, n: int, level: float) -> Interval:
    tail = (1 - level) / 2 * 100
    # A resample may leave a set statistic undefined (no abstention drawn at all): those draws are skipped.
    low, high = np.nanpercentile(draws, [tail, 100 - tail]) if not np.isnan(draws).all() else (np.nan, np.nan)
    return Interval(float(value), float(low), float(high), n)


def _apply(statistic: Statistic | None, values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    if statistic is None:  # the mean, vectorised over all resamples at once
        return values[idx].mean(axis=1)
    return np.array([statistic(values[row]) for row in idx])


def bootstrap(values, statistic: Statistic | None = None, resamples: int = RESAMPLES, seed: int = 0,
              level: float = LEVEL) -> Interval:
    """Interval of `statistic` (default: the mean) over per-question `values` (rows may be vectors)."""
    values = np.asarray(values, float)
    if len(values) == 0:
        raise ValueError("bootstrap: expected at least one value, found none")
    value = float(values.mean()) if statistic is None else float(statistic(values))
    return _interval(value, _apply(statistic, values, _indices(len(values), resamples, seed)), len(values), level)


def paired_bootstrap(a, b, statistic: Statistic | None = None, resamples: int = RESAMPLES, seed: int = 0,
                     level: float = LEVEL) -> Interval:
    """Interval of statistic(b) − statistic(a) where a[i] and b[i] are the two systems on question i."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape or len(a) == 0:
        raise ValueError(f"paired_bootstrap: expected two equally long, non-empty series (one value per question "
                         f"for each system), found shapes {a.shape} and {b.shape}")
    idx = _indices(len(a), resamples, seed)
    stat = (lambda x: float(x.mean())) if statistic is None else statistic
    draws = _apply(statistic, b, idx) - _apply(statistic, a, idx)
    return _interval(stat(b) - stat(a), draws, len(a), level)


@dataclass
class Metric:
    """Per-question values of one metric (NaN where it does not apply to a question), and the statistic
    over a set of them when it is not the mean (rows are then vectors, e.g. abstained & answerable)."""
    values: np.ndarray
    statistic: Statistic | None = None

    def usable(self) -> np.ndarray:
        """Rows where the metric applies."""
        v = np.asarray(self.values, float)
        return ~np.isnan(v) if v.ndim == 1 else ~np.isnan(v).any(axis=1)


def summarise(metric: Metric, seed: int = 0) -> Interval | None:
    keep = metric.usable()
    if not keep.any():
        return None
    interval = bootstrap(np.asarray(metric.values, float)[keep], metric.statistic, seed=seed)
    return None if np.isnan(interval.value) else interval


def compare(a: Metric, b: Metric, seed: int = 0) -> Interval | None:
    """b − a on the questions where the metric applies to both."""
    keep = a.usable() & b.usable()
    if not keep.any():
        return None
    interval = paired_bootstrap(np.asarray(a.values, float)[keep], np.asarray(b.values, float)[keep],
                                a.statistic, seed=seed)
    return None if np.isnan(interval.value) else interval
