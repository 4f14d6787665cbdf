"""Shared journey machinery: the Weibull fit by authority recovers a planted shape and medians."""

import numpy as np
import pandas as pd
import pytest

from lac_outcomes import journeys
from lac_outcomes.stats import logistic_maximum


def test_weibull_by_la_recovers_shape_and_medians_with_delayed_entry_and_censoring():
    rng = np.random.default_rng(5)
    n, shape, medians, beta_age = 6000, 1.4, {"A": 0.5, "B": 1.2}, -0.05
    la = rng.choice(["A", "B"], n)
    age = rng.uniform(0, 12, n)
    eta = beta_age * (age - 5)
    median = np.array([medians[c] for c in la])
    # H(t) = log 2 * (t / median) ** shape * exp(eta)
    time = median * (rng.exponential(1.0, n) / (np.log(2) * np.exp(eta))) ** (1 / shape)
    censor = rng.uniform(0.2, 3.0, n)
    entry = np.where(rng.random(n) < 0.3, rng.uniform(0, 0.5, n), 0.0)
    observed = np.minimum(time, censor)
    keep = observed > entry  # left truncation: only those still waiting at entry are seen
    data = pd.DataFrame(
        {
            "la_code": la,
            "time": observed,
            "event": (time <= censor).astype(int),
            "entry": entry,
            "age_at_entry_minus_5": age - 5,
            "male": rng.integers(0, 2, n).astype(float),
        }
    )[keep]
    fit = journeys.fit_weibull_by_la(data).set_index("la_code")
    low, high = fit.attrs["shape_ci"]
    assert low <= shape <= high
    for code, value in medians.items():
        assert fit.loc[code, "ci_low"] <= value <= fit.loc[code, "ci_high"]
        assert fit.loc[code, "events"] == int(data.loc[data["la_code"] == code, "event"].sum())
    coefficients = fit.attrs["coefficients"].set_index("term")
    for term, value in (("age_at_entry_minus_5", beta_age), ("male", 0.0)):
        assert coefficients.loc[term, "ci_low"] <= value <= coefficients.loc[term, "ci_high"]
    assert coefficients.loc["age_at_entry_minus_5", "ci_high"] < 0  # the planted age effect is found


def test_efron_cox_derivatives_and_fit_are_statsmodels_own():
    """Against PHReg's Python loop over event times: integer days (many ties, entries on event days), strata."""
    from statsmodels.duration.hazard_regression import PHReg

    rng = np.random.default_rng(3)
    n = 600
    x = np.column_stack([rng.normal(size=n), rng.integers(0, 2, n)])
    entry = rng.integers(0, 20, n).astype(float)
    time = entry + rng.integers(0, 30, n)
    status = rng.integers(0, 2, n)
    strata = rng.integers(0, 5, n)
    model = PHReg(time, x, status=status, entry=entry, strata=strata, ties="efron")
    for params in (np.zeros(2), np.array([0.3, -0.5])):
        loglik, gradient, hessian = journeys.efron_cox_derivatives(x, time, status, entry, strata, params)
        assert loglik == pytest.approx(model.loglike(params), rel=1e-12)
        np.testing.assert_allclose(gradient, model.score(params), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(hessian, model.hessian(params), rtol=1e-10)
    own = model.fit()
    fast = journeys.EfronCox(time, x, status=status, entry=entry, strata=strata, ties="efron").fit()
    np.testing.assert_allclose(fast.params, own.params, rtol=1e-10)
    np.testing.assert_allclose(fast.bse, own.bse, rtol=1e-10)


def test_logistic_maximum_is_the_estimate_statsmodels_reaches_on_its_own():
    import statsmodels.api as sm

    rng = np.random.default_rng(11)
    n = 3000
    la = rng.integers(0, 12, n)
    x = np.column_stack([np.ones(n), rng.normal(size=n), np.eye(12)[la][:, 1:]])
    beta = np.concatenate([[0.4, -0.8], rng.normal(0, 0.5, 11)])
    y = (rng.random(n) < 1 / (1 + np.exp(-x @ beta))).astype(float)
    own = sm.GLM(y, x, family=sm.families.Binomial()).fit()
    start = logistic_maximum(x, y)
    np.testing.assert_allclose(start, own.params, rtol=1e-6, atol=1e-8)
    # Started there, IRLS takes one step and lands on the same estimates.
    started = sm.GLM(y, x, family=sm.families.Binomial()).fit(start_params=start)
    assert started.fit_history["iteration"] == 1
    np.testing.assert_allclose(started.params, own.params, rtol=1e-6, atol=1e-8)


def test_logistic_maximum_gives_up_on_separated_data():
    x = np.column_stack([np.ones(40), np.r_[np.zeros(20), np.ones(20)]])
    y = np.r_[np.zeros(20), np.ones(20)]
    assert logistic_maximum(x, y) is None
