"""The education report's content: disclosure-safe results, wording that fits the data, small populations."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from lac_outcomes.disclosure import CONFIDENTIAL, DisclosurePolicy
from lac_outcomes.scotland import education, models
from lac_outcomes.scotland.layout import LOCAL_AUTHORITIES
from lac_outcomes.scotland.outcomes import OUTCOMES, PLACEMENT_LABELS, outcome

POLICY = DisclosurePolicy(5)


@pytest.fixture(scope="module")
def tables(small_run):
    directory = small_run["dir"]
    out = {name: pd.read_csv(directory / f"{name}.csv") for name in education.TABLES}
    for name, columns in {"children": ["date_of_birth"], "episodes": ["episode_start", "episode_end"]}.items():
        for column in columns:
            out[name][column] = pd.to_datetime(out[name][column])
    return out


@pytest.fixture(scope="module")
def reports(tables, small_run):
    return {name: education.build(tables, name, policy=POLICY, truth=small_run["truth"]) for name in OUTCOMES}


def test_unknown_outcome_is_one_clear_error():
    with pytest.raises(ValueError, match="unknown education outcome 'attendence': expected one of attendance"):
        outcome("attendence")


@pytest.mark.parametrize("name", list(OUTCOMES))
def test_descriptive_rates_in_results_are_what_the_table_shows(reports, tables, name):
    report = reports[name]
    records = {r["group"]: r for r in report.results["descriptive_rates"]}
    shown, hidden = report.rates.display, report.rates.suppressed
    for label in shown.index:
        for column in shown.columns:
            if hidden.loc[label, column]:
                assert records[label][column] == CONFIDENTIAL, (label, column)
    # The comparison sample's n, counted plainly from the raw table.
    source = tables[OUTCOMES[name].table]
    n_comparison = int((source["looked_after"] == "N").sum())
    assert records[PLACEMENT_LABELS["pupils_not_looked_after"]]["n"] == n_comparison


def test_no_raw_count_under_the_threshold_reaches_the_results(reports):
    for report in reports.values():
        for record in report.results["descriptive_rates"]:
            for key in ("n", "leavers with it"):
                value = record.get(key)
                assert value == CONFIDENTIAL or value is None or value == 0 or value >= POLICY.threshold, record
        for row in report.results.get("coefficients", []):
            assert row["n"] in (None, CONFIDENTIAL) or row["n"] >= POLICY.threshold


def test_sparse_placement_types_are_named_and_their_total_withheld_when_any_is_small(tables, small_run):
    # A high minimum makes many placement types sparse, some of them with a handful of rows.
    report = education.build(tables, "attainment", policy=POLICY, truth=small_run["truth"], min_level_rows=400)
    sparse = report.results["excluded"]["sparse_placement_types"]
    data = models.education_frame(
        tables["children"], tables["episodes"], tables["pupils"], tables["leavers"], "attainment"
    )
    counts = data[data["looked_after"] == "Y"]["placement_type"].value_counts()
    left_out = [p for p in counts.index if p != "with_foster_carers_la" and counts[p] < 400]
    assert sorted(sparse["names"]) == sorted(PLACEMENT_LABELS[p] for p in left_out)
    assert any(counts[p] < POLICY.threshold for p in left_out)  # the case this test is about
    assert sparse["total"] == CONFIDENTIAL
    assert f"{CONFIDENTIAL} rows in all" in report.population_notes


def test_figures_draw_only_groups_the_table_shows(reports):
    for report in reports.values():
        shown_labels = set(report.rates.display.index[~report.rates.suppressed["n"].to_numpy()])
        assert set(report.rates_figure["label"]) <= shown_labels
        assert (report.rates_figure["n"] >= education.MIN_FIGURE_ROWS).all()
        assert (report.trend_figure["n"] >= education.MIN_FIGURE_ROWS).all()


def test_attendance_glm_is_checked_against_population_averaged_truth_and_the_mixed_model_against_subject_specific(
    reports, small_run
):
    results = reports["attendance"].results
    assert results["estimand"].startswith("population-averaged")
    assert results["planted_kind"] == "population_averaged"
    planted = {r["term"]: r["planted"] for r in results["planted_vs_estimated"]}
    averaged = small_run["truth"]["education"]["attendance"]["population_averaged"]["coefficients_looked_after"]
    specific = small_run["truth"]["education"]["attendance"]["coefficients_looked_after"]
    assert planted["placement_type[at_home_with_parents]"] == pytest.approx(
        averaged["placement_type"]["at_home_with_parents"]
    )
    mixed = {r["term"]: r["planted"] for r in results["subject_specific"]["planted_vs_estimated"]}
    assert mixed["placement_type[at_home_with_parents]"] == pytest.approx(
        specific["placement_type"]["at_home_with_parents"]
    )
    assert 0.4 < results["subject_specific"]["child_sd"] < 1.0  # planted 0.7
    assert "population-averaged" in reports["attendance"].method
    assert "subject-specific" not in reports["exclusions"].method


def test_method_and_heading_describe_only_their_outcome(reports):
    headings = {report.heading for report in reports.values()}
    assert len(headings) == len(OUTCOMES)
    assert "negative binomial" not in reports["attendance"].method.lower()
    assert "exclusion" in reports["exclusions"].method.lower() and "attend" not in reports["exclusions"].method.lower()
    assert "SCQF" in reports["attainment"].method and "destination" not in reports["attainment"].method


def test_geography_is_scotland_only_when_every_authority_is_loaded(reports, small_run):
    names = [LOCAL_AUTHORITIES[c] for c in small_run["truth"]["local_authorities"]]
    setting = reports["attendance"].setting
    assert not setting.all_of_scotland and "Scotland" not in reports["attendance"].heading
    assert reports["attendance"].results["local_authorities"] == names
    assert not any(code in reports["attendance"].heading for code in LOCAL_AUTHORITIES)
    every = education.Setting(True, None, tuple(LOCAL_AUTHORITIES), 2009, 2023)
    assert every.geography == "Scotland"
    one = education.Setting(False, None, ("S12000036",), 2019, 2021)
    assert one.geography == "City of Edinburgh" and one.period == "school years 2018/19 to 2020/21"


def test_on_other_data_no_synthetic_wording_and_no_planted_section(tables):
    report = education.build(tables, "exclusions", policy=POLICY, truth=None, first_year=2015, last_year=2023)
    text = " ".join([report.overview, report.limitations, report.planted, report.key_points]).lower()
    assert "synthetic" not in text
    assert "Left out" in report.planted and report.planted_table is None
    assert report.results["truth_known"] is False and report.results["coverage"] is None
    assert report.results["years"] == [2015, 2023]


def test_an_external_truth_file_is_compared_and_its_coverage_written(tables, small_run, tmp_path):
    truth = copy.deepcopy(small_run["truth"])
    truth["generator"] = "someone else's generator"
    path = tmp_path / "truth.yaml"
    import yaml

    path.write_text(yaml.safe_dump(truth))
    report = education.build(tables, "destination", policy=POLICY, truth=education.read_truth(path))
    assert report.setting.truth_source == "external truth file" and not report.setting.synthetic
    assert "truth file given" in report.planted and "synthetic" not in report.limitations.lower()
    assert report.results["truth_known"] is True
    assert report.results["coverage"]["coefficient"]["total"] > 5


def test_a_truth_file_that_is_not_one_is_one_line(tmp_path):
    bad = tmp_path / "truth.yaml"
    bad.write_text("just: text\n")
    with pytest.raises(ValueError, match="no 'education' section"):
        education.read_truth(bad)
    with pytest.raises(ValueError, match="truth file not found"):
        education.read_truth(tmp_path / "missing.yaml")


def test_a_tiny_population_says_what_it_cannot_estimate(tables, small_run):
    few = dict(tables)
    leavers = tables["leavers"]
    few["leavers"] = pd.concat(
        [leavers[leavers["looked_after"] == "Y"].head(12), leavers[leavers["looked_after"] == "N"].head(50)]
    )
    report = education.build(few, "attainment", policy=POLICY, truth=small_run["truth"])
    assert report.cannot_estimate and report.coefficients is None
    assert "could not be estimated" in report.summary
    assert report.results["cannot_estimate"] == report.cannot_estimate
    assert "Left out" in report.planted
    for draw in (education.rates_figure, education.trend_figure, education.effects_figure, education.marginal_figure):
        figure, alt = draw(report)
        assert alt


def test_outcome_document_matches_the_specification():
    from pathlib import Path

    from lac_outcomes.scotland.outcomes import to_markdown

    document = Path(__file__).resolve().parents[2] / "docs" / "education_outcomes.md"
    assert document.read_text() == to_markdown(), "regenerate docs/education_outcomes.md from outcomes.to_markdown()"


def _plain_integrated_quasi_likelihood(theta, x, trials, attended, child, dispersion, nodes):
    """The integrated quasi-log-likelihood written out child by child, with scipy's logsumexp."""
    from scipy.special import logsumexp

    points, weights = np.polynomial.hermite_e.hermegauss(nodes)
    sd, total = np.exp(theta[-1]), 0.0
    for member in np.unique(child):
        rows = child == member
        eta = (x[rows] @ theta[:-1])[:, None] + sd * points[None, :]
        loglik = (attended[rows, None] * eta - trials[rows, None] * np.logaddexp(0, eta)).sum(axis=0) / dispersion
        total += logsumexp(loglik, b=weights / weights.sum())
    return total


@pytest.mark.parametrize("shift", [0.0, 720.0])  # 720: exp(eta) overflows, so the objective's other branch runs
def test_integrated_quasi_likelihood_objective_matches_a_plain_child_by_child_sum_and_its_numeric_gradient(shift):
    from scipy.optimize import approx_fprime

    rng = np.random.default_rng(7)
    n_children, nodes = 40, 12
    child = np.repeat(np.arange(n_children), rng.integers(1, 5, n_children))
    x = np.column_stack([np.ones(len(child)), rng.normal(size=len(child)), rng.integers(0, 2, len(child))])
    trials = rng.integers(100, 380, len(child)).astype(float)
    attended = np.floor(trials * rng.uniform(0.6, 1.0, len(child)))
    theta = np.array([1.5 + shift, 0.3, -0.4, np.log(0.7)])
    objective = models.integrated_quasi_likelihood_objective(x, trials, attended, child, 3.0, nodes)
    value, gradient = objective(theta)
    plain = _plain_integrated_quasi_likelihood(theta, x, trials, attended, child, 3.0, nodes)
    assert value == pytest.approx(-plain, rel=1e-12)
    numeric = approx_fprime(
        theta, lambda t: -_plain_integrated_quasi_likelihood(t, x, trials, attended, child, 3.0, nodes), 1e-6
    )
    np.testing.assert_allclose(gradient, numeric, rtol=1e-4, atol=1e-3)


def test_negative_binomial_row_scores_in_closed_form_are_statsmodels_numeric_ones():
    import statsmodels.api as sm

    rng = np.random.default_rng(2)
    n = 2000
    x = np.column_stack([np.ones(n), rng.normal(size=n), rng.integers(0, 2, n)])
    offset = np.log(rng.uniform(0.3, 1, n))
    mu = np.exp(x @ [0.2, 0.5, -0.3] + offset)
    y = rng.negative_binomial(1 / 0.7, 1 / (1 + 0.7 * mu))
    params = np.array([0.1, 0.4, -0.2, 0.9])
    numeric = sm.NegativeBinomial(y, x, offset=offset, loglike_method="nb2").score_obs(params)
    closed = models.NegativeBinomialScores(y, x, offset=offset, loglike_method="nb2").score_obs(params)
    np.testing.assert_allclose(closed, numeric, rtol=1e-10, atol=1e-12)


def test_coefficient_p_values_read_as_p_values(reports):
    """A p-value shown is ``<0.001`` or three decimals, never a rate's "low" or "0.000"; withheld with its n."""
    for report in reports.values():
        shown = report.coefficients.display["p_value"]
        withheld = report.coefficients.suppressed["p_value"].to_numpy()
        assert (shown[withheld] == CONFIDENTIAL).all()
        assert shown[~withheld].str.fullmatch(r"<0\.001|[01]\.\d{3}").all(), shown
        assert not shown.isin(["low", "0.000"]).any()
