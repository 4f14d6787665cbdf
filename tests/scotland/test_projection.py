"""The Scottish projection adapter against the generator's planted moves and its own later years."""

from __future__ import annotations

import pandas as pd

from lac_outcomes import projection as pj
from lac_outcomes.scotland import projection as adapter
from tests.scotland.conftest import SMALL_YEARS


def test_states_cover_every_placement_type_of_the_layout():
    from lac_outcomes.scotland.layout import PLACEMENT_TYPES

    assert set(adapter.STATE_OF_PLACEMENT) == set(PLACEMENT_TYPES)
    assert set(adapter.STATE_OF_PLACEMENT.values()) == set(pj.STATES)


def test_planted_rates_are_read_from_the_truth_file(small_run):
    truth = small_run["truth_file"]
    planted = adapter.planted_transitions(truth)
    assumptions = truth["care_histories"]["assumptions"]
    rate = assumptions["moves_per_year"]["residential"]
    secure = assumptions["residential_placement_probabilities"]["secure"]
    # Monthly probability of at least one move of the kind: about rate x share / 12 when small.
    assert abs(planted[("residential", "secure")] - rate * secure / 12) < 1e-4
    assert planted[("secure", "residential")] > planted[("residential", "secure")]
    assert adapter.planted_transitions(None) is None
    assert adapter.planted_transitions({"care_histories": {}}) is None


def test_estimated_moves_between_residential_and_secure_recover_the_planted_rates(small_run):
    histories = adapter.histories(small_run["tables"], SMALL_YEARS[0], SMALL_YEARS[-1])
    panel = pj.monthly_panel(histories)
    fitted = pj.fit(panel, histories.data_end, window_years=10, replicates=5, seed=1)
    check = adapter.planted_check(small_run["truth_file"])(panel, fitted)
    assert len(check) == 2
    assert check["covered"].all(), check


def test_projection_reproduces_the_generators_later_years(small_run):
    """Fit up to a cut-off, project the generator's own later years: the observed totals fall inside the 95% band."""
    histories = adapter.histories(small_run["tables"], SMALL_YEARS[0], SMALL_YEARS[-1])
    panel = pj.monthly_panel(histories)
    test = pj.back_test(panel, histories, window_years=3, horizon_years=3, n_cutoffs=3, replicates=40, seed=2)
    assert sorted(test.table["cutoff"].unique()) == [2020, 2021, 2022]
    summary = pj.coverage_summary(test.table)
    assert summary.loc["all", "coverage95"] >= 70, summary
    totals = test.table.groupby(["cutoff", "year"])[["observed", "central"]].sum()
    assert ((totals["central"] - totals["observed"]).abs() / totals["observed"]).max() < 0.25


def test_histories_drop_nothing_but_children_without_an_authority(small_run):
    tables = small_run["tables"]
    histories = adapter.histories(tables, SMALL_YEARS[0], SMALL_YEARS[-1])
    assert len(histories.episodes) == len(tables["episodes"])
    assert histories.period_start == pd.Timestamp(SMALL_YEARS[0] - 1, 8, 1)
    assert histories.data_end == pd.Timestamp(SMALL_YEARS[-1], 7, 31)
