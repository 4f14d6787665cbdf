"""Home supervision survival and education models: hand-worked checks and planted-truth recovery."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lac_outcomes.scotland import derive, models, survival
from lac_outcomes.scotland.simulate import simulate_scotland

from .conftest import PUBLISHED, SMALL_LAS, SMALL_SEED, SMALL_YEARS


# --------------------------------------------------------------------------
# Kaplan-Meier and Aalen-Johansen on hand examples
# --------------------------------------------------------------------------
def direct_km(time, event, entry=None):
    """Product-limit estimate written out: risk set entry < t <= time."""
    time, event = np.asarray(time, float), np.asarray(event, int)
    entry = np.zeros_like(time) if entry is None else np.asarray(entry, float)
    s, curve = 1.0, []
    for t in sorted(set(time[event == 1])):
        at_risk = ((entry < t) & (time >= t)).sum()
        deaths = ((time == t) & (event == 1)).sum()
        s *= 1 - deaths / at_risk
        curve.append((t, s))
    return curve


def direct_median(curve):
    return next(t for t, s in curve if s <= 0.5)


def test_km_median_matches_a_direct_computation():
    time = [1, 2, 2, 3, 4, 5, 6, 7, 8, 9]
    event = [1, 1, 0, 1, 0, 1, 1, 0, 1, 0]
    fitted = survival.kaplan_meier(time, event)
    # By hand: S(1)=9/10, S(2)=9/10*8/9=0.8, S(3)=0.8*6/7, S(5)=..*4/5, S(6)=..*3/4
    s3 = 0.8 * 6 / 7
    s5 = s3 * 4 / 5
    s6 = s5 * 3 / 4
    assert s5 > 0.5 >= s6
    assert survival.km_median(fitted) == 6 == direct_median(direct_km(time, event))
    np.testing.assert_allclose(fitted.surv_prob[:5], [0.9, 0.8, s3, s5, s6])
    assert survival.survival_at(fitted, 5.5) == pytest.approx(s5)


def test_km_with_delayed_entry_matches_a_direct_computation():
    time = [2, 3, 4, 5, 6, 7, 8]
    event = [1, 1, 0, 1, 1, 1, 0]
    entry = [0, 0, 2.5, 3.5, 0, 4, 0]
    fitted = survival.kaplan_meier(time, event, entry)
    curve = direct_km(time, event, entry)
    np.testing.assert_allclose(fitted.surv_prob, [s for _, s in curve])
    assert survival.km_median(fitted) == direct_median(curve)


def test_aalen_johansen_on_a_hand_example():
    # Five spells: 1 discharged, 2 moved, 3 censored, 4 discharged, 5 moved.
    table = survival.cumulative_incidence([1, 2, 3, 4, 5], ["a", "b", "censored", "a", "b"], causes=("a", "b"))
    # t=1: 5 at risk, F_a = 1/5, S = 4/5; t=2: 4 at risk, F_b = 4/5 * 1/4 = 0.2, S = 0.6;
    # t=4: 2 at risk, F_a = 0.2 + 0.6/2 = 0.5, S = 0.3; t=5: 1 at risk, F_b = 0.2 + 0.3 = 0.5, S = 0.
    assert table["time"].tolist() == [1, 2, 4, 5]
    assert table["at_risk"].tolist() == [5, 4, 2, 1]
    np.testing.assert_allclose(table["a"], [0.2, 0.2, 0.5, 0.5])
    np.testing.assert_allclose(table["b"], [0.0, 0.2, 0.2, 0.5])
    np.testing.assert_allclose(table["survival"], [0.8, 0.6, 0.3, 0.0])
    np.testing.assert_allclose(table["a"] + table["b"] + table["survival"], 1.0)
    assert survival.incidence_at(table, 4.5) == {"a": 0.5, "b": pytest.approx(0.2)}


def test_aalen_johansen_with_one_cause_is_one_minus_kaplan_meier():
    rng = np.random.default_rng(1)
    time = rng.exponential(2, 200).round(1) + 0.1
    event = rng.random(200) < 0.7
    entry = np.where(rng.random(200) < 0.3, time * 0.5, 0.0)
    table = survival.cumulative_incidence(time, np.where(event, "left", "censored"), causes=("left",), entry=entry)
    km = survival.kaplan_meier(time, event.astype(int), entry)
    np.testing.assert_allclose(1 - table["left"], km.surv_prob)


# --------------------------------------------------------------------------
# planted truth on a small simulated dataset
# --------------------------------------------------------------------------
# Eight authorities (large and small) at half national scale, all fifteen
# years: about 50,000 looked-after pupil-years and 4,000 looked-after leavers,
# simulated in about 4 seconds.
MODEL_LAS = SMALL_LAS + ["S12000029", "S12000050", "S12000033", "S12000045"]


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    directory = tmp_path_factory.mktemp("scotland_models")
    truth = simulate_scotland(
        directory,
        seed=SMALL_SEED,
        years=SMALL_YEARS,
        scale=0.5,
        local_authorities=MODEL_LAS,
        published_figures=PUBLISHED,
    )
    tables = {name: pd.read_csv(directory / f"{name}.csv") for name in ("children", "episodes", "pupils", "leavers")}
    return {"truth": truth, "tables": tables}


@pytest.fixture(scope="module")
def fitted(simulated):
    """Each outcome's model, its rows and its planted-vs-estimated table."""
    t = simulated["tables"]
    out = {}
    for outcome in models.OUTCOMES:
        frame = models.education_frame(t["children"], t["episodes"], t["pupils"], t["leavers"], outcome)
        data, excluded = models.model_rows(frame, outcome)
        result = models.fit_education_model(data, outcome, cluster="pupil")
        planted = models.planted_education(simulated["truth"], outcome, data)
        comparison = models.compare_with_planted(models.coefficients(result), planted)
        out[outcome] = {"data": data, "excluded": excluded, "result": result, "comparison": comparison}
    return out


# One fixed simulated draw and about 110 planted values (coefficients and LA
# contrasts) checked at once: even a perfect model misses a 95% interval
# about 5 times in 100, and one model's misses are correlated (placement
# contrasts share the reference group).  So each planted value must lie
# within 3.29 standard errors (its 99.9% interval), and at least 90% of all
# of them within their 95% interval.
STRICT_Z = stats.norm.ppf(1 - 0.001 / 2)


def _z(comparison: pd.DataFrame) -> pd.Series:
    return (comparison["estimate"] - comparison["planted"]) / comparison["std_error"]


@pytest.mark.parametrize("outcome", list(models.OUTCOMES))
def test_education_model_recovers_the_planted_coefficients(fitted, outcome):
    fit = fitted[outcome]
    data, comparison = fit["data"], fit["comparison"]
    assert fit["excluded"]["missing"] == 0
    assert all(n < 30 for n in fit["excluded"]["sparse_placement_types"].values())
    # Every slope and every placement type modelled has a planted value.
    assert set(models.model_terms(data, outcome)) <= set(comparison["term"])
    assert "placement_type[at_home_with_parents]" in set(comparison["term"])
    z = _z(comparison)
    assert (z.abs() < STRICT_Z).all(), comparison.assign(z=z)[z.abs() >= STRICT_Z]
    # Marginal predictions: at home is the worst placement type for attendance and attainment.
    predictions = models.marginal_predictions(fit["result"], data, outcome).set_index("placement_type")
    assert (predictions["ci_low"] <= predictions["predicted"]).all()
    assert (predictions["predicted"] <= predictions["ci_high"]).all()
    if outcome in ("attendance", "attainment"):
        assert (
            predictions.loc["at_home_with_parents", "predicted"] < predictions.loc["with_foster_carers_la", "predicted"]
        )
    if outcome == "attendance":
        assert predictions["predicted"].idxmin() == "at_home_with_parents"


def test_most_planted_values_lie_in_their_95_percent_intervals(fitted):
    every = pd.concat([fit["comparison"] for fit in fitted.values()], ignore_index=True)
    assert len(every) > 80
    assert every["covered"].mean() >= 0.90, every[~every["covered"]]


def test_negative_binomial_recovers_the_planted_dispersion(fitted, simulated):
    result = fitted["exclusions"]["result"]
    planted = simulated["truth"]["education"]["exclusions"]["negative_binomial_alpha"]
    low, high = result.conf_int().loc["alpha"]
    assert low <= planted <= high
    assert models.overdispersion(fitted["attendance"]["result"], "attendance")["pearson_dispersion"] > 5


def test_attendance_glm_is_population_averaged_and_the_random_intercept_model_subject_specific(fitted, simulated):
    truth = simulated["truth"]
    data = fitted["attendance"]["data"]
    # The GLM's estimates are set beside the population-averaged planted values (the default for attendance) ...
    averaged = models.planted_education(truth, "attendance", data)
    specific = models.planted_education(truth, "attendance", data, kind=models.SUBJECT_SPECIFIC)
    at_home = "placement_type[at_home_with_parents]"
    assert fitted["attendance"]["comparison"].set_index("term").loc[at_home, "planted"] == averaged[at_home]
    assert abs(averaged[at_home]) < abs(specific[at_home])
    # ... and the model with a child random intercept recovers the subject-specific ones and the child SD.
    fit = models.fit_child_random_intercept(data)
    assert fit.converged
    assert 0.6 < fit.child_sd < 0.85  # planted 0.7
    comparison = models.compare_with_planted(models.coefficients(fit), specific)
    z = _z(comparison)
    assert (z.abs() < STRICT_Z).all(), comparison.assign(z=z)[z.abs() >= STRICT_Z]
    assert comparison["covered"].mean() >= 0.8


def test_cluster_choice_depends_on_the_number_of_authorities():
    few = pd.DataFrame({"la_code": ["A", "B", "C"]})
    many = pd.DataFrame({"la_code": [f"L{i}" for i in range(25)]})
    assert models.choose_cluster(few) == "pupil"
    assert models.choose_cluster(many) == "la"
    assert models.choose_cluster(many, "pupil") == "pupil"


def test_constant_covariate_is_absorbed_by_the_intercept(small_run):
    data = pd.DataFrame(
        {
            "la_code": ["S12000049", "S12000036"] * 3,
            "placement_type": ["at_home_with_parents"] * 6,
            **{t: [0.0, 1.0] * 3 for t in models.OUTCOMES["attainment"].terms},
        }
    )
    data["trend_to_2017"] = 7.0
    truth = small_run["truth"]
    planted = models.planted_education(truth, "attainment", data)
    coefs = truth["education"]["attainment"]["coefficients_looked_after"]
    la = truth["education"]["attainment"]["la_effect"]["values"]
    assert "trend_to_2017" not in planted
    assert planted["Intercept"] == pytest.approx(coefs["intercept"] + la["S12000036"] + 7 * coefs["trend_to_2017"])
    assert planted["age_minus_11"] == 0.0


def test_cox_model_recovers_the_planted_log_hazard_ratios(simulated):
    t = simulated["tables"]
    small_run = simulated
    period = small_run["truth"]["period"]
    runs = derive.home_supervision_spells(t["episodes"], t["children"], censor_date=period["end"])
    data = survival.survival_data(runs, t["children"], period["start"], period["end"])
    assert (data["entry"] > 0).any() and (data["entry"] < data["time"]).all()
    result = survival.fit_cox(data)
    table = survival.cox_table(result, survival.robust_cox_covariance(result, data["child_id"]))
    table["planted"] = table["term"].map(survival.planted_cox(small_run["truth"]))
    z = (table["estimate"] - table["planted"]) / table["std_error"]
    assert (z.abs() < STRICT_Z).all(), table.assign(z=z)
    # Causes of ending: drawn independently of duration with the planted probabilities.
    shares = survival.cause_shares(data).set_index("cause")
    planted = small_run["truth"]["home_supervision"]["cause_of_end_probabilities"]
    for cause, p in planted.items():
        se = np.sqrt(p * (1 - p) / shares.loc[cause, "n"])
        assert abs(shares.loc[cause, "share"] - p) < STRICT_Z * se, (cause, shares.loc[cause, "share"], p)
    # Spells at home 5 years or more on the last day match the simulator's own count.
    on_end = survival.long_spells_on(runs, period["end"])
    assert (
        int(on_end["long"].sum())
        == small_run["truth"]["home_supervision"]["long_duration"]["children_at_home_5_years_or_more_on_period_end"]
    )


def test_stock_counts_children_at_home_on_supervision(simulated):
    t = simulated["tables"]
    small_run = simulated
    stock = survival.stock_by_year(t["episodes"], t["children"], [2019]).groupby("year").sum(numeric_only=True)
    target = small_run["truth"]["calibration_targets"]["stock_by_year"][2019]
    assert stock.loc[2019, "looked_after"] == target["achieved_total"]
    assert stock.loc[2019, "home_supervision"] <= target["achieved_by_group"]["at_home_with_parents"]


def test_pupil_years_without_sessions_possible_are_left_out_and_counted():
    from lac_outcomes.scotland import models

    frame = pd.DataFrame(
        {
            "looked_after": ["Y"] * 4,
            "placement_type": ["with_foster_carers_la"] * 4,
            "la_code": ["S12000049"] * 4,
            "sessions_possible": [380, 0, 300, 200],
            "sessions_absent": [20, 0, 30, 10],
            "exclusion_cases": [0, 0, 1, 0],
            **{term: [0.0] * 4 for term in models.OUTCOMES["attendance"].terms},
        }
    )
    rows, excluded = models.model_rows(frame, "attendance", min_level_rows=1)
    assert excluded["no_sessions_possible"] == 1
    assert rows["sessions_possible"].tolist() == [380, 300, 200]


def test_cox_score_residuals_respect_delayed_entry():
    from statsmodels.duration.hazard_regression import PHReg

    from lac_outcomes.scotland import survival

    rng = np.random.default_rng(3)
    n = 400
    x = rng.normal(size=(n, 2))
    time = rng.exponential(np.exp(-x @ np.array([0.5, -0.3])))
    time = np.round(time, 6) + 1e-3  # no ties, so Breslow and Efron agree
    status = (rng.uniform(size=n) < 0.8).astype(float)
    strata = rng.integers(0, 3, size=n)
    # Without entry the residuals agree with statsmodels' own.
    fit = PHReg(time, x, status=status, strata=strata, ties="breslow").fit()
    np.testing.assert_allclose(
        survival.cox_score_residuals(fit.model, fit.params), fit.model.score_residuals(fit.params), atol=1e-8
    )
    # With delayed entry they sum to zero at the maximum likelihood fit (the score equation).
    entry = np.where(rng.uniform(size=n) < 0.4, time * rng.uniform(0, 0.9, size=n), 0.0)
    fit = PHReg(time, x, status=status, strata=strata, entry=entry, ties="breslow").fit()
    residuals = survival.cox_score_residuals(fit.model, fit.params)
    np.testing.assert_allclose(residuals.sum(axis=0), 0.0, atol=1e-6)
    np.testing.assert_allclose(residuals.sum(axis=0), fit.model.score(fit.params), atol=1e-6)


def test_open_spell_past_the_eighteenth_birthday_is_censored_at_18():
    from lac_outcomes.scotland import survival

    children = pd.DataFrame({"child_id": ["A"], "date_of_birth": ["2002-03-01"]})
    runs = pd.DataFrame(
        {
            "child_id": ["A"],
            "start": pd.to_datetime(["2018-03-01"]),
            "end": pd.to_datetime([None]),
            "ended_by": ["censored"],
            "reached_age_18": [False],
            "age_at_start": [16],
            "sex": ["F"],
            "simd_quintile": [1],
        }
    )
    data = survival.survival_data(runs, children, "2017-08-01", "2023-07-31")
    # Open in the data, but 18 on 1 March 2020: two years of supervision, censored, not six.
    assert data["event"].tolist() == [0]
    assert data["time"].round(2).tolist() == [round(731 / 365.25, 2)]


@pytest.mark.parametrize("outcome", ["attendance", "exclusions"])
def test_marginal_predictions_are_the_plain_average_over_rows_given_each_placement(fitted, outcome):
    """Written out plainly: copy the design, set the placement's column, predict, average; the delta method's
    gradient by numeric differentiation of that average."""
    fit = fitted[outcome]
    result, data = fit["result"], fit["data"]
    exog, names = np.asarray(result.model.exog, float), list(result.model.exog_names)
    params = np.asarray(result.params, float)[: exog.shape[1]]
    cov = np.asarray(result.cov_params(), float)[: exog.shape[1], : exog.shape[1]]
    scale = models.OUTCOMES[outcome].rate_scale
    inverse_link = np.exp if models.OUTCOMES[outcome].link == "log" else (lambda eta: 1 / (1 + np.exp(-eta)))
    shown = models.marginal_predictions(result, data, outcome).set_index("placement_type")
    for placement, row in shown.iterrows():
        x = exog.copy()
        for i, name in enumerate(names):
            if models.coefficient_name(name).startswith("placement_type["):
                x[:, i] = float(models.coefficient_name(name) == f"placement_type[{placement}]")

        def average(b, x=x):
            return inverse_link(x @ b).mean()

        step = 1e-6
        gradient = np.array(
            [(average(params + step * e) - average(params - step * e)) / (2 * step) for e in np.eye(len(params))]
        )
        se = np.sqrt(gradient @ cov @ gradient)
        assert row["predicted"] == pytest.approx(scale * average(params), rel=1e-10)
        assert row["ci_high"] - row["predicted"] == pytest.approx(scale * 1.959964 * se, rel=1e-4)
