"""England placement stability on hand-made 903 histories: the two-year measure and re-entry."""

import pandas as pd

from lac_outcomes.england import indicators, stability
from tests.england.test_permanence import episodes

HISTORY = episodes(
    # A: three placements in the two years to 31 March 2019, two of them in the year (NI 62 counts 2).
    ("A", "2017-05-01", "S", "C2", "U1", "2018-01-01", "X1", "P1", "U1"),
    ("A", "2018-01-01", "P", "C2", "U2", "2018-06-01", "X1", "P2", "U2"),
    ("A", "2018-06-01", "P", "C2", "U3", None, None, "P3", "U3"),
    # B: one placement, a change of legal status only (not a new placement).
    ("B", "2017-06-01", "S", "V2", "U1", "2018-02-01", "X1", "P4", "U4"),
    ("B", "2018-02-01", "L", "C2", "U1", None, None, "P4", "U4"),
    # C: left care (E13), back 100 days later; D: adopted (not a re-entry candidate).
    ("C", "2017-04-10", "S", "V2", "U1", "2017-10-01", "E13", "P5", "U5"),
    ("C", "2018-01-09", "S", "C2", "U1", None, None, "P5", "U5"),
    ("D", "2016-01-01", "S", "C2", "A5", "2017-09-01", "E11", "P6", "A5"),
)


def test_three_or_more_placements_over_two_years_and_ni62s_one_year_count():
    history = indicators.episode_history(HISTORY)
    two = stability.three_placements_in_two_years(history, 2019).set_index("CHILD")
    assert two.loc["A", "placements"] == 3 and bool(two.loc["A", "three_or_more"])
    assert two.loc["B", "placements"] == 1 and not bool(two.loc["B", "three_or_more"])
    start, end = pd.Timestamp("2018-04-01"), pd.Timestamp("2019-03-31")
    one_year = indicators.placements_in_year(history, start, end)
    assert one_year.loc[("E09000001", "A")] == 2


def test_reentry_within_12_months_leaves_out_permanence_orders():
    history = indicators.episode_history(HISTORY)
    back = stability.reentries(history, pd.Timestamp("2019-03-31")).set_index("CHILD")
    assert bool(back.loc["C", "returned"]) and "D" not in back.index
    assert back.loc["C", "year"] == 2018


def test_published_value_is_the_latest_national_figure():
    figures = pd.DataFrame(
        {
            "jurisdiction": ["england", "england", "scotland"],
            "measure": ["three_or_more_placements_previous_2y"] * 3,
            "year": [2023, 2024, 2024],
            "value": [22, 23, 99],
        }
    )
    assert stability.published_value(figures, "three_or_more_placements_previous_2y") == (2024, 23.0)
    assert stability.published_value(figures, "no_such_measure") is None
