"""Scottish placement stability on hand-made histories: what a move is, rates, placements in a year, re-entry."""

import pandas as pd
import pytest

from lac_outcomes.disclosure import DisclosurePolicy
from lac_outcomes.scotland import stability

CHILDREN = pd.DataFrame(
    {
        "child_id": ["A", "B", "C"],
        "la_code": ["S12000049"] * 3,
        "sex": ["F", "M", "F"],
        "date_of_birth": pd.to_datetime(["2010-01-01", "2012-06-01", "2008-03-01"]),
    }
)


def episodes(*rows):
    frame = pd.DataFrame(
        rows, columns=["child_id", "episode_start", "episode_end", "legal_reason", "placement_type", "reason_ended"]
    )
    frame["episode_start"] = pd.to_datetime(frame["episode_start"])
    frame["episode_end"] = pd.to_datetime(frame["episode_end"])
    return frame


HISTORY = episodes(
    # A: at home (split in two records), into foster care, a new carer, a permanence order, then adopters.
    ("A", "2018-09-01", "2018-12-01", "cso_home", "at_home_with_parents", "placement_change"),
    ("A", "2018-12-01", "2019-02-01", "cso_home", "at_home_with_parents", "placement_change"),
    ("A", "2019-02-01", "2019-05-01", "cso_residence", "with_foster_carers_la", "placement_change"),
    ("A", "2019-05-01", "2019-09-01", "cso_residence", "with_foster_carers_purchased", "placement_change"),
    ("A", "2019-09-01", "2020-01-01", "permanence_order", "with_foster_carers_la", "placement_change"),
    ("A", "2020-01-01", None, "permanence_order", "with_prospective_adopters", None),
    # B: residential, discharged, back within 12 months.
    ("B", "2018-10-01", "2019-04-01", "section_25", "la_home", "discharged_home"),
    ("B", "2019-09-01", None, "section_25", "la_home", None),
    # C: with friends and relatives, left to independent living; not back.
    ("C", "2018-09-01", "2019-03-01", "cso_residence", "with_friends_relatives", "independent_living"),
)


def test_what_counts_as_a_move():
    placed = stability.placement_episodes(HISTORY, CHILDREN)
    a = placed[placed["child_id"] == "A"]
    assert a["move"].tolist() == [False, False, True, True, False, True]
    assert a["to_adopters"].tolist() == [False, False, False, False, False, True]
    assert a["prior_moves"].tolist() == [0, 0, 0, 1, 2, 2]
    assert a["ends_in_move"].tolist() == [False, True, True, False, False, False]
    assert placed.loc[placed["child_id"] == "B", "first_of_spell"].tolist() == [True, True]


def test_moves_per_child_year_against_plain_arithmetic():
    placed = stability.placement_episodes(HISTORY, CHILDREN)
    data = stability.exposure(placed, pd.Timestamp("2018-08-01"), pd.Timestamp("2020-07-31"))
    rates = stability.move_rates(data).set_index("group")
    foster_days = (pd.Timestamp("2020-01-01") - pd.Timestamp("2019-02-01")).days
    assert rates.loc["with_foster_carers", "moves"] == 1  # LA carer to purchased carer; the move to adopters is apart
    assert rates.loc["with_foster_carers", "years"] == pytest.approx(foster_days / 365.25)
    residential_days = (pd.Timestamp("2019-04-01") - pd.Timestamp("2018-10-01")).days + (
        pd.Timestamp("2020-07-31") - pd.Timestamp("2019-09-01")
    ).days
    assert rates.loc["residential", "years"] == pytest.approx(residential_days / 365.25)
    assert rates.loc["residential", "moves"] == 0
    assert rates.loc["with_foster_carers", "ci_low"] < rates.loc["with_foster_carers", "rate"]


def test_placements_in_the_year_count_the_one_held_on_1_august_and_each_move():
    placed = stability.placement_episodes(HISTORY, CHILDREN)
    year_2020 = stability.placements_in_year(placed, 2020).set_index("child_id")
    # A on 1 Aug 2019 with the purchased carer; moves in the year: to adopters (1 Jan 2020). The legal change is none.
    assert year_2020.loc["A", "placements"] == 2
    assert year_2020.loc["B", "placements"] == 1
    assert "C" not in year_2020.index
    year_2019 = stability.placements_in_year(placed, 2019).set_index("child_id")
    assert year_2019.loc["A", "placements"] == 3  # at home, LA foster carer, purchased foster carer


def test_reentry_within_12_months():
    placed = stability.placement_episodes(HISTORY, CHILDREN)
    back = stability.reentries(placed, pd.Timestamp("2018-08-01"), pd.Timestamp("2021-07-31")).set_index("child_id")
    assert bool(back.loc["B", "returned"]) and not bool(back.loc["C", "returned"])
    assert back.loc["B", "year"] == 2019
    # Not watched for 12 months when the data end too soon.
    assert stability.reentries(placed, pd.Timestamp("2018-08-01"), pd.Timestamp("2019-12-31")).empty


def test_planted_rates_are_read_from_the_truth():
    truth = {"care_histories": {"assumptions": {"moves_per_year": {"residential": 0.5}}}}
    assert stability.planted_rates(truth) == {"residential": 0.5}
    assert stability.planted_rates(None) == {}


def test_report_on_the_small_synthetic_run_recovers_the_planted_rates(small_run):
    from lac_outcomes.scotland import clean
    from tests.scotland.conftest import SMALL_YEARS

    tables = clean.clean(small_run["dir"], years=SMALL_YEARS).tables
    report = stability.build(
        tables, DisclosurePolicy(5), first_year=SMALL_YEARS[0], last_year=SMALL_YEARS[-1], truth=small_run["truth"]
    )
    coverage = report.results["planted_coverage"]
    assert coverage["checked"] >= 5 and coverage["covered"] >= coverage["checked"] - 1
    # the ages read youngest first, the total last; child-years with separators, as the plain sum of the cells
    by_age = report.tables["rates_by_age"].display
    assert by_age.index.tolist() == ["under 5", "5 to 11", "12 to 15", "16 and over", "All placements"]
    years = by_age["child-years"].str.replace(",", "").astype(float)
    assert by_age.loc["All placements", "child-years"] == f"{years.iloc[-1]:,.1f}"  # 2,438.6, not 2438.6
    assert abs(years.iloc[:-1].sum() - years.iloc[-1]) <= 0.05 * 4 + 1e-9  # the ages split the total
