"""Bootstrap intervals where the answer is known."""

import numpy as np
import pytest

from assistant.eval.stats import Metric, bootstrap, compare, paired_bootstrap, summarise


def test_identical_systems_give_a_zero_width_interval_at_zero():
    a = np.random.default_rng(1).random(50)
    d = paired_bootstrap(a, a.copy())
    assert (d.value, d.low, d.high) == (0.0, 0.0, 0.0) and not d.excludes_zero


def test_a_constant_shift_is_the_interval():
    a = np.random.default_rng(2).random(40)
    d = paired_bootstrap(a, a + 0.1)
    assert d.value == pytest.approx(0.1) and d.low == pytest.approx(0.1) and d.high == pytest.approx(0.1)
    assert d.excludes_zero


def test_interval_covers_the_mean_and_is_seeded():
    values = np.random.default_rng(0).random(40)
    first, again, other = bootstrap(values, seed=3), bootstrap(values, seed=3), bootstrap(values, seed=4)
    assert first == again and first != other
    assert first.value == pytest.approx(values.mean()) and first.low < first.value < first.high
    # The normal-approximation half-width is 1.96·sd/√n; the percentile interval lands near it.
    assert first.high - first.low == pytest.approx(2 * 1.96 * values.std() / np.sqrt(40), rel=0.2)


def test_noisy_difference_straddles_zero_and_set_statistics_resample_rows():
    rng = np.random.default_rng(5)
    a, b = rng.random(30), rng.random(30)
    assert paired_bootstrap(a, b).low < 0 < paired_bootstrap(a, b).high
    rows = np.array([[1, 0], [0, 1], [1, 1]], float)
    share = bootstrap(rows, lambda r: float(r[:, 0].mean()))
    assert share.value == pytest.approx(2 / 3) and 0 <= share.low <= share.high <= 1


def test_metrics_skip_questions_where_they_do_not_apply():
    a = Metric(np.array([1.0, np.nan, 0.0]))
    b = Metric(np.array([1.0, 1.0, np.nan]))
    assert summarise(a).value == 0.5 and summarise(a).n == 2
    assert compare(a, b).n == 1 and compare(a, b).value == 0.0
    assert summarise(Metric(np.array([np.nan]))) is None
    with pytest.raises(ValueError, match="equally long"):
        paired_bootstrap([1.0], [1.0, 2.0])
