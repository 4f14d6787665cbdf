"""England permanence: routes, milestones and durations on hand-made 903 histories."""

import pandas as pd
import pytest

from lac_outcomes.disclosure import DisclosurePolicy
from lac_outcomes.england import permanence

DATA_START, CENSOR = pd.Timestamp("2015-04-01"), pd.Timestamp("2018-03-31")
EPISODE_COLUMNS = ["CHILD", "DECOM", "RNE", "LS", "PLACE", "DEC", "REC", "PL_POST", "URN", "LA", "YEAR"]


def episodes(*rows):
    frame = pd.DataFrame([[*r, "E09000001", 2018] for r in rows], columns=EPISODE_COLUMNS)
    for column in ("DECOM", "DEC"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def header(*rows):
    frame = pd.DataFrame([[*r, "E09000001", 2018] for r in rows], columns=["CHILD", "SEX", "DOB", "LA", "YEAR"])
    frame["DOB"] = pd.to_datetime(frame["DOB"])
    return frame


def dated(columns, *rows):
    frame = pd.DataFrame([[*r, "E09000001", 2018] for r in rows], columns=[*columns, "LA", "YEAR"])
    for column in columns[1:]:
        frame[column] = pd.to_datetime(frame[column])
    return frame


@pytest.fixture
def tables():
    return {
        "Episodes": episodes(
            # A: entered 1 May 2015, placement order 10 Jan 2016, moved in with adopters 1 Sep 2016, adopted.
            ("A", "2015-05-01", "S", "C2", "U1", "2016-01-10", "X1", "P1", "U1"),
            ("A", "2016-01-10", "L", "E1", "U1", "2016-09-01", "X1", "P1", "U1"),
            ("A", "2016-09-01", "P", "E1", "A5", "2017-03-01", "E11", "P2", "A5"),
            # B: re-enters care; the second period ends in a special guardianship order.
            ("B", "2015-06-01", "S", "V2", "U1", "2015-12-01", "E13", "P3", "U3"),
            ("B", "2016-02-01", "S", "C2", "U1", "2017-06-01", "E45", "P3", "U3"),
            # C: in care since 2013 (open when the data begin); adopted after the end of the data.
            ("C", "2013-01-01", "S", "C2", "U1", "2018-06-01", "E11", "P4", "U4"),
            # D: the period's start is in no loaded return (first loaded episode is a placement change).
            ("D", "2015-09-01", "P", "C2", "U1", None, None, "P5", "U5"),
        ),
        "Header": header(
            ("A", "1", "2014-05-01"), ("B", "2", "2010-06-01"), ("C", "1", "2012-01-01"), ("D", "2", "2009-01-01")
        ),
        "AD1": dated(["CHILD", "DATE_INT", "DATE_MATCH"], ("A", "2015-11-01", "2016-08-01")),
        "PlacedAdoption": dated(["CHILD", "DATE_PLACED"], ("C", "2014-02-01")),
    }


def test_periods_of_care_route_and_adoption_milestones(tables):
    periods = permanence.periods_of_care(tables).set_index("CHILD")
    assert periods.loc["A", "route"] == "adoption"
    a = periods.loc["A"]
    assert (a["decision"], a["placement_order"], a["matched"], a["moved_in"]) == (
        pd.Timestamp("2015-11-01"),
        pd.Timestamp("2016-01-10"),
        pd.Timestamp("2016-08-01"),
        pd.Timestamp("2016-09-01"),
    )
    assert a["age_at_entry"] == pytest.approx(365 / 365.25)
    b = periods.loc[["B"]].sort_values("spell_start")
    assert b["route"].isna().tolist() == [True, False] and b["route"].iloc[1] == "special_guardianship"
    # C's decision comes from PlacedAdoption (no AD1 row)
    assert periods.loc["C", "decision"] == pd.Timestamp("2014-02-01")


def test_scorecard_days_match_a_plain_count(tables):
    periods = permanence.periods_of_care(tables)
    days = permanence.stage_days(periods.set_index("CHILD").loc[["A"]].reset_index())
    assert (
        days.loc[0, "entering care to moving in (A1)"] == (pd.Timestamp("2016-09-01") - pd.Timestamp("2015-05-01")).days
    )
    assert (
        days.loc[0, "placement order to match (A2)"] == (pd.Timestamp("2016-08-01") - pd.Timestamp("2016-01-10")).days
    )
    card = permanence.scorecard(periods, [2017])
    assert card[["adopted", "A1 children", "A1 mean days"]].iloc[0].tolist() == [1, 1, 489]


def test_competing_routes_delayed_entry_an_order_after_the_data_and_an_unknown_start(tables):
    periods = permanence.periods_of_care(tables)
    data = permanence.permanence_data(periods, DATA_START, CENSOR).set_index(["CHILD", "spell_start"])
    assert data.attrs["unknown_start"] == 1 and "D" not in data.index.get_level_values(0)
    assert data.loc[("A", pd.Timestamp("2015-05-01")), "cause"] == "adoption"
    assert data.loc[("B", pd.Timestamp("2015-06-01")), "cause"] == permanence.LEFT_CARE
    assert data.loc[("B", pd.Timestamp("2016-02-01")), "cause"] == "special_guardianship"
    c = data.loc[("C", pd.Timestamp("2013-01-01"))]
    assert c["cause"] == "censored"  # adopted on 1 June 2018, after the data end
    assert c["entry"] == pytest.approx((DATA_START - pd.Timestamp("2013-01-01")).days / 365.25)
    assert c["time"] == pytest.approx((CENSOR - pd.Timestamp("2013-01-01")).days / 365.25)


def test_a_match_dated_before_the_decision_is_not_a_duration(tables):
    tables["AD1"] = dated(["CHILD", "DATE_INT", "DATE_MATCH"], ("A", "2016-10-01", "2016-08-01"))
    periods = permanence.periods_of_care(tables)
    days = permanence.stage_days(periods[periods["CHILD"] == "A"])
    assert days["entering care to agency decision"].tolist() == [519]
    assert days["match to moving in"].tolist() == [31]
    assert days["agency decision to placement order"].isna().all()  # the placement order came before the decision


def test_planted_timeliness_is_read_from_the_truth_records_and_absent_without_them():
    truth = {
        "indicators": [
            {"LA": "E1", "YEAR": 2019, "indicator": "NI61", "kind": "target", "planted": 0.7},
            {"LA": "E1", "YEAR": 2019, "indicator": "NI62", "kind": "target", "planted": 0.1},
        ]
    }
    assert permanence.planted_timeliness(truth).values.tolist() == [["E1", 2019, 0.7]]
    assert permanence.planted_timeliness({}).empty and permanence.planted_timeliness(None).empty


def test_report_builds_on_a_small_synthetic_run_with_counts_through_the_policy(tmp_path):
    from lac_outcomes.england.clean import clean
    from lac_outcomes.england.simulate import simulate_england

    years = [2017, 2018, 2019]
    truth = simulate_england(tmp_path / "raw", seed=3, years=years, n_las=2, children_per_la=120)
    tables = clean(tmp_path / "raw", years=years).tables
    report = permanence.build(tables, DisclosurePolicy(5), truth=truth)
    assert {"counts", "incidence", "stages"} <= set(report.tables)
    for value in report.tables["counts"].display["count"]:
        assert value == "c" or value == "0" or int(value.replace(",", "")) >= 5
