"""Leaving care (England): OC3 care leavers with their last placement and time looked after, rates and model."""

import csv

import pandas as pd
import pytest

from lac_outcomes.disclosure import DisclosurePolicy
from lac_outcomes.england import indicators, leaving_care
from tests.england.test_permanence import episodes

EPISODES = episodes(
    # A: two periods of care; the second ends at 18 from a children's home (K2).
    ("A", "2014-01-01", "S", "C2", "U4", "2015-01-01", "E13", "P1", "U4"),
    ("A", "2016-01-01", "S", "C2", "U4", "2017-01-01", "X1", "P1", "U4"),
    ("A", "2017-01-01", "P", "C2", "K2", "2018-01-01", "E8", "P2", "K2"),
    # B: fostered until 18, a temporary placement (T4) just before leaving is not the last placement.
    ("B", "2015-06-01", "S", "C2", "U6", "2017-12-20", "X1", "P3", "U6"),
    ("B", "2017-12-20", "T", "C2", "T4", "2017-12-27", "E8", "P3", "T4"),
)


def oc3(*rows):
    frame = pd.DataFrame(
        [[*r, "E09000001", 2019] for r in rows], columns=["CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM", "LA", "YEAR"]
    )
    frame["DOB"] = pd.to_datetime(frame["DOB"])
    return frame


def test_a_leaver_with_two_periods_has_the_last_periods_last_placement_and_both_periods_time():
    tables = {"Episodes": EPISODES, "OC3": oc3(("A", "1999-12-01", "YES", "F2", "B1"))}
    row = leaving_care.leavers(tables).iloc[0]
    assert row["group"] == "residential"
    assert row["years_looked_after"] == pytest.approx((365 + 366 + 365) / 365.25)
    assert row["age"] == 19 and bool(row["eet"]) and bool(row["suitable"])


def test_census_dates_are_31_march_of_each_rows_collection_year_in_the_rows_order():
    years = pd.Series([2019, 2024, 2019], index=[7, 3, 5])
    census = leaving_care.census_dates(years)
    assert list(census.index) == [7, 3, 5]
    assert list(census) == [pd.Timestamp("2019-03-31"), pd.Timestamp("2024-03-31"), pd.Timestamp("2019-03-31")]


def test_a_leaver_turning_19_on_census_day_is_19():
    tables = {"Episodes": EPISODES, "OC3": oc3(("A", "2000-03-31", "YES", "F2", "B1"))}
    assert leaving_care.leavers(tables).iloc[0]["age"] == 19


def test_a_temporary_placement_before_leaving_is_not_the_last_placement():
    tables = {"Episodes": EPISODES, "OC3": oc3(("B", "1999-12-01", "YES", "G4", "X2"))}
    row = leaving_care.leavers(tables).iloc[0]
    assert row["group"] == "foster" and not bool(row["eet"]) and not bool(row["suitable"])


def test_an_oc3_row_for_a_child_not_in_care_in_the_loaded_returns_is_kept_without_a_history():
    tables = {
        "Episodes": EPISODES,
        "OC3": oc3(("Z", "1999-05-01", "YES", "F1", "B1"), ("Y", "1999-05-01", "DIED", "0", "0")),
    }
    frame = leaving_care.leavers(tables)
    assert frame["person"].tolist() == ["E09000001:Z"]  # the one who died is left out
    assert pd.isna(frame["group"].iloc[0]) and pd.isna(frame["years_looked_after"].iloc[0])


def test_not_in_touch_counts_in_the_indicators_denominator_only():
    tables = {
        "Episodes": EPISODES,
        "OC3": oc3(("A", "1999-12-01", "YES", "F2", "B1"), ("B", "1999-12-01", "NO", "0", "0")),
    }
    rates = leaving_care.journeys.outcome_rates(leaving_care.leavers(tables), ["year", "age"]).table
    assert rates.loc[(2019, 19, "EET, of all (the indicator's denominator)"), ["counted", "yes"]].tolist() == [2, 1]
    assert rates.loc[(2019, 19, "EET, of those in touch"), ["counted", "yes"]].tolist() == [1, 1]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    from lac_outcomes.england.clean import clean
    from lac_outcomes.england.simulate import simulate_england

    out = tmp_path_factory.mktemp("leaving_care") / "raw"
    years = list(range(2013, 2022))  # nine returns: leavers of the early years are 19 to 21 in the later ones
    truth = simulate_england(out, seed=5, years=years, n_las=6, children_per_la=400)
    tables = clean(out, years=years).tables
    return out, tables, leaving_care.build(tables, DisclosurePolicy(5), truth=truth)


def test_the_model_recovers_the_planted_last_placement_effects(generated):
    planted = generated[2].tables["planted"]
    assert len(planted) == 4
    # each planted value within 3 standard errors (from the report's 95% interval): a correct model fails this
    # about 1 time in 90 over the four terms, where requiring all four 95% intervals to cover fails 1 in 5
    se = (planted["ci_high"] - planted["ci_low"]) / (2 * 1.959964)
    assert ((planted["estimate"] - planted["planted"]).abs() <= 3 * se).all(), planted
    residential = planted.loc["last placement: Residential (vs Foster care)"]
    assert residential["ci_high"] < 0  # found, not merely covered by a wide interval


def test_ni148s_rule_on_the_oc3_files_counted_plainly(generated):
    out, tables, report = generated
    year, age = 2021, 20
    everyone = in_eet = 0
    for path in out.rglob("*"):
        if path.suffix != ".csv" or "oc3" not in path.name.lower() or str(year) not in path.name:
            continue
        with open(path, newline="") as handle:
            for row in csv.DictReader(handle):
                dob = pd.to_datetime(row["DOB"], dayfirst="/" in row["DOB"])
                years_old = year - dob.year - ((dob.month, dob.day) > (3, 31))  # age on 31 March
                if row["IN_TOUCH"] == "DIED" or years_old != age:
                    continue
                everyone += 1
                in_eet += row["IN_TOUCH"] == "YES" and row["ACTIV"][:1] in ("F", "P")
    assert everyone > 0
    shown = report.tables["rates"].display.loc[(year, age, "EET, of all (the indicator's denominator)")]
    assert (int(str(shown["counted"]).replace(",", "")), int(str(shown["yes"]).replace(",", ""))) == (
        everyone,
        in_eet,
    )
    assert indicators.in_education_employment_training(pd.Series(["F1", "P2", "G4", "0"])).tolist() == [
        True,
        True,
        False,
        False,
    ]
