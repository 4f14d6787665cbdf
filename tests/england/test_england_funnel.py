"""Funnel plot limits against hand computations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lac_outcomes.england import funnel


def test_binomial_limits_match_a_hand_computation():
    # Bin(10, 0.5): P(R<=7) = 968/1024, P(R<=8) = 1013/1024, P(R=8) = 45/1024.
    # Upper 95% (q = 0.975): r = 8, a = (1013/1024 - 0.975) / (45/1024), limit = (8 - a) / 10.
    a_upper = (1013 / 1024 - 0.975) / (45 / 1024)
    # Lower (q = 0.025): P(R<=1) = 11/1024, P(R<=2) = 56/1024, so r = 2, a = (56/1024 - 0.025) / (45/1024).
    a_lower = (56 / 1024 - 0.025) / (45 / 1024)
    lower, upper = funnel.proportion_limits(0.5, [10], 0.95)
    assert upper[0] == pytest.approx((8 - a_upper) / 10, abs=1e-12)
    assert lower[0] == pytest.approx((2 - a_lower) / 10, abs=1e-12)
    assert upper[0] == pytest.approx(0.767556, abs=1e-6)
    assert lower[0] == pytest.approx(0.132444, abs=1e-6)


def test_binomial_limits_approach_the_normal_ones_for_large_cohorts():
    p0, n = 0.3, 20_000
    for level, z in [(0.95, 1.959964), (0.998, 3.090232)]:
        lower, upper = funnel.proportion_limits(p0, [n], level)
        half = z * math.sqrt(p0 * (1 - p0) / n)
        assert lower[0] == pytest.approx(p0 - half, abs=2e-4)
        assert upper[0] == pytest.approx(p0 + half, abs=2e-4)


def test_limits_widen_with_the_level_and_narrow_with_the_cohort():
    n = np.array([5, 20, 80, 320])
    lower95, upper95 = funnel.proportion_limits(0.6, n, 0.95)
    lower998, upper998 = funnel.proportion_limits(0.6, n, 0.998)
    assert (lower998 <= lower95).all() and (upper998 >= upper95).all()
    assert (np.diff(upper95) < 0).all() and (np.diff(lower95) > 0).all()
    assert ((lower998 >= 0) & (upper998 <= 1)).all()


def test_zero_cohort_has_no_limits():
    lower, upper = funnel.proportion_limits(0.4, [0, 10], 0.95)
    assert np.isnan(lower[0]) and np.isnan(upper[0]) and not np.isnan(upper[1])


def test_normal_limits_for_a_mean_match_a_hand_computation():
    # mean SDQ 15, sd 6, 36 children: standard error 1
    lower, upper = funnel.mean_limits(15.0, 6.0, [36], 0.95)
    assert (lower[0], upper[0]) == pytest.approx((15 - 1.959964, 15 + 1.959964), abs=1e-6)
    lower, upper = funnel.mean_limits(15.0, 6.0, [36], 0.998)
    assert (lower[0], upper[0]) == pytest.approx((15 - 3.090232, 15 + 3.090232), abs=1e-6)
    with pytest.raises(ValueError):
        funnel.limits("mean", 15.0, [36], 0.95)


def test_pooled_sd_equals_the_sd_of_all_values():
    rng = np.random.default_rng(1)
    groups = [rng.normal(10 + i, 3, size=size) for i, size in enumerate([1, 5, 40, 12])]
    n = [len(g) for g in groups]
    means = [g.mean() for g in groups]
    sds = [g.std(ddof=1) if len(g) > 1 else np.nan for g in groups]
    assert funnel.pooled_sd(n, means, sds) == pytest.approx(np.concatenate(groups).std(ddof=1), rel=1e-12)


def test_classify_places_each_value_against_its_own_limits():
    frame = pd.DataFrame(
        {"LA": list("ABCDE"), "denominator": [100, 100, 100, 100, 0], "value": [0.5, 0.62, 0.70, 0.30, np.nan]}
    )
    out = funnel.classify(frame, "proportion", 0.5)
    assert out["position"].tolist() == ["within 95%", "above 95%", "above 99.8%", "below 99.8%", "no cohort"]
    assert (out["lower_0.95"] < 0.5).iloc[:4].all() and (out["upper_0.998"] > out["upper_0.95"]).iloc[:4].all()


def test_curve_spans_the_cohort_sizes():
    lines = funnel.curve("mean", 14.0, 250, sd=6.0)
    assert lines["n"].min() == 1 and lines["n"].max() == 250
    assert {"lower_0.95", "upper_0.95", "lower_0.998", "upper_0.998"} <= set(lines.columns)
    assert (lines["upper_0.998"] > lines["upper_0.95"]).all()
