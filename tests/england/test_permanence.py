"""England permanence: routes, milestones and durations on hand-made 903 histories."""

import math

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


def test_stage_sample_takes_stages_that_began_in_the_window_and_ended_in_order(tables):
    tables["Episodes"] = pd.concat(
        [
            tables["Episodes"],
            # E: the period's start is in no loaded return; placed with adopters 1 June 2016, adopted 1 Dec 2016.
            episodes(
                ("E", "2015-06-01", "P", "C2", "U1", "2016-06-01", "X1", "P6", "U6"),
                ("E", "2016-06-01", "P", "E1", "A5", "2016-12-01", "E12", "P7", "A5"),
            ),
        ],
        ignore_index=True,
    )
    tables["Header"] = pd.concat([tables["Header"], header(("E", "2", "2014-01-01"))], ignore_index=True)
    tables["AD1"] = dated(
        ["CHILD", "DATE_INT", "DATE_MATCH"], ("A", "2015-11-01", "2016-08-01"), ("E", "2015-07-01", "2016-05-01")
    )
    periods = permanence.periods_of_care(tables)

    def days(stage, settled_years):
        data = permanence.stage_sample(periods, stage, DATA_START, CENSOR, settled_years=settled_years)
        assert (data["event"] == 1).all() and (data["entry"] == 0).all()
        assert (data["time"] == data["days"] / 365.25).all()
        return dict(zip(data["CHILD"], data["days"], strict=True))

    # one year settled: stages begun by 31 March 2017. E's start is unknown, so it has no first stage;
    # C is adopted after the data end.
    assert days("decision", 1) == {"A": 184}
    assert days("matched", 1) == {"A": 274, "E": 305}
    assert days("placed", 1) == {"A": 31, "E": 31}
    assert days("order", 1) == {"A": 181, "E": 183}
    # two years settled: stages begun by 31 March 2016 only (both matches came later)
    assert days("matched", 2) == {"A": 274, "E": 305}
    assert days("placed", 2) == {} and days("order", 2) == {}
    # a match keyed before the decision is no duration
    tables["AD1"] = dated(["CHILD", "DATE_INT", "DATE_MATCH"], ("A", "2016-10-01", "2016-08-01"))
    periods = permanence.periods_of_care(tables)
    assert "A" not in days("matched", 1) and days("placed", 1)["A"] == 31


def test_report_recovers_the_planted_adoption_stages_on_a_generated_sample(tmp_path):
    from lac_outcomes.england.clean import clean
    from lac_outcomes.england.simulate import simulate_england

    years = list(range(2015, 2025))  # ten years: five of stages that began five years before the end
    truth = simulate_england(tmp_path / "raw", seed=21, years=years, n_las=3, children_per_la=1500)
    report = permanence.build(clean(tmp_path / "raw", years=years).tables, DisclosurePolicy(5), truth=truth)
    shown = report.tables["planted_stages"].display
    stages = truth["adoption"]["stages"]
    # every planted stage is checked: two hazard ratios, the shape and a median for each of the three LAs
    assert len(shown) == len(stages) * (3 + 3)
    age = shown.loc["entering care to agency decision: hazard ratio, age at entry (per year)"]
    low, high = float(age["95% CI low"]), float(age["95% CI high"])
    # the planted effect of age on the decision is found (the interval excludes no effect) and covered
    assert high < 1 and low <= math.exp(stages["decision"]["log_hr_age_per_year"]) <= high
    covered = report.results["planted_coverage"]
    assert covered["checked"] >= len(shown) and covered["covered"] >= 0.85 * covered["checked"], covered
