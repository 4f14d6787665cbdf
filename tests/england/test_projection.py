"""The English projection adapter: SSDA903 episodes to states, and the generator's planted placement shares."""

from __future__ import annotations

import pandas as pd
import pytest

from lac_outcomes import projection as pj
from lac_outcomes.england import clean
from lac_outcomes.england import projection as adapter
from lac_outcomes.england.layout import PLACEMENT_TYPE, TEMPORARY_PLACEMENTS


@pytest.fixture(scope="module")
def cleaned(small_synthetic):
    raw, years, truth = small_synthetic
    return clean.clean(raw, years=years).tables, truth


def test_every_placement_code_has_a_state():
    codes = set(PLACEMENT_TYPE) - set(TEMPORARY_PLACEMENTS)
    assert codes <= set(adapter.STATE_OF_PLACEMENT), sorted(codes - set(adapter.STATE_OF_PLACEMENT))


def test_a_temporary_move_keeps_the_state_it_interrupts():
    day = pd.Timestamp
    episodes = pd.DataFrame(
        {
            "CHILD": ["1", "1", "1"], "LA": ["E1"] * 3, "YEAR": [2020] * 3, "LS": ["C2"] * 3,
            "RNE": ["S", "P", "P"], "PLACE": ["K2", "T1", "U4"],
            "DECOM": [day("2019-05-01"), day("2019-06-01"), day("2019-06-20")],
            "DEC": [day("2019-06-01"), day("2019-06-20"), pd.NaT],
            "REC": ["X1", "X1", None],
        }
    )  # fmt: skip
    header = pd.DataFrame({"CHILD": ["1"], "LA": ["E1"], "YEAR": [2020], "DOB": [day("2008-01-01")]})
    histories = adapter.histories({"Episodes": episodes, "Header": header})
    assert histories.episodes["state"].tolist() == ["residential", "residential", "foster"]
    assert histories.period_start == day("2019-04-01") and histories.data_end == day("2020-03-31")


def test_planted_shares_are_read_from_the_generator_and_the_truth(cleaned):
    _, truth = cleaned
    planted = adapter.planted_entry_shares(truth)
    assert list(planted) == list(pj.AGE_BANDS)
    for shares in planted.values():
        assert sum(shares.values()) == pytest.approx(1.0)
    with_parents = [r["planted"] for r in truth["indicators"] if r["indicator"] == "P1_31MAR"]
    assert planted["1-4"]["home"] == pytest.approx(sum(with_parents) / len(with_parents))
    assert adapter.planted_entry_shares(None) is None


def test_entry_placements_recover_the_planted_shares(cleaned):
    tables, truth = cleaned
    histories = adapter.histories(tables)
    panel = pj.monthly_panel(histories)
    fitted = pj.fit(panel, histories.data_end, window_years=5, replicates=5, seed=1)
    check = adapter.planted_check(truth)(panel, fitted)
    # 30 shares, each with its own 95% interval: a handful may miss by chance, not more.
    assert check["covered"].mean() >= 0.85, check[~check["covered"]]


def test_projection_reproduces_the_generators_later_years(cleaned):
    tables, _ = cleaned
    histories = adapter.histories(tables)
    panel = pj.monthly_panel(histories)
    test = pj.back_test(panel, histories, window_years=2, horizon_years=2, n_cutoffs=3, replicates=40, seed=2)
    summary = pj.coverage_summary(test.table)
    assert summary.loc["all", "coverage95"] >= 70, summary
    totals = test.table.groupby(["cutoff", "year"])[["observed", "central"]].sum()
    assert ((totals["central"] - totals["observed"]).abs() / totals["observed"]).max() < 0.2
