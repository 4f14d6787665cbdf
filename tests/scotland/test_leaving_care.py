"""Leaving care (Scotland): the aftercare table's derived history and bad input, rates, and the EET model."""

import csv

import pandas as pd
import pytest

from lac_outcomes.columns import RULE_CODE
from lac_outcomes.disclosure import DisclosurePolicy
from lac_outcomes.scotland import clean, leaving_care
from tests.scotland.conftest import SMALL_YEARS, simulate_small
from tests.scotland.test_clean import quarantined, run


def children(*rows):
    return pd.DataFrame([{"child_id": c, "la_code": "S12000049", "date_of_birth": pd.Timestamp(d)} for c, d in rows])


def episodes(*rows):
    return pd.DataFrame(
        [
            {
                "child_id": c,
                "episode_start": pd.Timestamp(s),
                "episode_end": pd.Timestamp(e) if e else pd.NaT,
                "legal_reason": "cso_residence",
                "placement_type": p,
                "reason_ended": r,
            }
            for c, s, e, p, r in rows
        ]
    )


def aftercare(*rows):
    columns = ["child_id", "year", "la_code", "receiving_aftercare", "economic_activity", "accommodation"]
    return pd.DataFrame([dict(zip(columns, r, strict=True)) for r in rows]).assign(continuing_care="N")


def test_a_leaver_with_two_periods_of_care_has_the_second_periods_last_placement_and_both_periods_time():
    tables = {
        "children": children(("A", "2000-01-01")),
        "episodes": episodes(
            ("A", "2010-01-01", "2012-01-01", "with_foster_carers_la", "discharged_home"),  # two years
            ("A", "2014-01-01", "2015-01-01", "with_foster_carers_la", "placement_change"),  # one year ...
            ("A", "2015-01-01", "2017-01-01", "la_home", "independent_living"),  # ... and two more, left at 17
        ),
        "aftercare": aftercare(("A", 2018, "S12000049", "Y", "employment", "own_tenancy")),
    }
    frame = leaving_care.leavers(tables)
    row = frame.iloc[0]
    assert row["group"] == "residential"
    assert row["years_looked_after"] == pytest.approx((730 + 365 + 731) / 365.25)
    assert row["age"] == 18
    assert bool(row["contact"]) and bool(row["eet"]) and bool(row["suitable"])


def test_a_young_person_eligible_but_not_receiving_aftercare_is_counted_but_has_no_outcome():
    tables = {
        "children": children(("A", "2000-01-01"), ("B", "2000-06-01")),
        "episodes": episodes(
            ("A", "2015-01-01", "2017-01-01", "with_foster_carers_la", "independent_living"),
            ("B", "2015-01-01", "2017-01-01", "with_foster_carers_la", "independent_living"),
        ),
        "aftercare": aftercare(
            ("A", 2018, "S12000049", "N", None, None),
            ("B", 2018, "S12000049", "Y", "unemployed", "homeless"),
        ),
    }
    frame = leaving_care.leavers(tables)
    assert frame["contact"].tolist() == [False, True]
    assert frame["eet"].isna().tolist() == [True, False]
    rates = leaving_care.journeys.outcome_rates(frame, ["year"]).table
    assert rates.loc[(2018, "in touch"), ["counted", "yes"]].tolist() == [2, 1]
    assert rates.loc[(2018, "EET, of those in touch"), ["counted", "yes"]].tolist() == [1, 0]
    assert rates.loc[(2018, "suitable accommodation, of those in touch"), ["counted", "yes"]].tolist() == [1, 0]


def test_a_young_person_not_in_the_children_table_is_kept_without_a_care_history():
    tables = {
        "children": children(("A", "2000-01-01")),
        "episodes": episodes(("A", "2015-01-01", "2017-01-01", "with_foster_carers_la", "independent_living")),
        "aftercare": aftercare(("Z", 2018, "S12000049", "Y", "training", "own_tenancy")),
    }
    frame = leaving_care.leavers(tables)
    assert len(frame) == 1 and pd.isna(frame["group"].iloc[0]) and bool(frame["eet"].iloc[0])


def test_bad_aftercare_cells_are_blanked_and_rows_that_cannot_be_placed_dropped(tmp_path):
    result = run(
        tmp_path,
        aftercare=[
            ["C002", "2020", "S12000036", "Y", "student", "own_tenancy", "N"],  # row 2: activity not a code
            ["C002", "2020", "S12000036", "Y", "employment", "own_tenancy", "N"],  # row 3: the same person-year
            ["C001", "2025", "S12000049", "Y", "employment", "", "N"],  # row 4: year outside the period
            ["C999", "2020", "S12000049", "Y", "", "tent", "N"],  # row 5: not in children (kept); bad accommodation
        ],
    )
    assert quarantined(result, "aftercare") == [
        (2, "economic_activity", RULE_CODE),
        (3, "child_id", "duplicate young person-year"),
        (4, "year", "year outside period"),
        (5, "accommodation", RULE_CODE),
    ]
    counts = result.counts["aftercare"]
    assert (counts["rows_in"], counts["rows_kept"], counts["cells_blanked"]) == (4, 2, 2)
    kept = result.tables["aftercare"]
    assert kept["economic_activity"].isna().all() and kept["child_id"].tolist() == ["C002", "C999"]


def test_a_return_without_the_aftercare_table_is_read_as_one_with_no_rows(tmp_path):
    from tests.scotland.test_clean import write_tables

    (write_tables(tmp_path) / "aftercare.csv").unlink()
    result = clean.clean(tmp_path, years=[2019, 2020])
    assert result.tables["aftercare"].empty
    assert any("aftercare.csv: no such file" in w for w in result.warnings)


@pytest.fixture(scope="module")
def small_report(small_run):
    tables = clean.clean(small_run["dir"], years=SMALL_YEARS).tables
    return leaving_care.build(tables, DisclosurePolicy(threshold=5), truth=small_run["truth_file"]), tables


@pytest.fixture(scope="module")
def larger_report(tmp_path_factory):
    # Five times the shared small run: at 0.05 the residential group holds about 30 young people, whose
    # estimate strays outside its interval for this seed by chance.
    out = tmp_path_factory.mktemp("aftercare_larger")
    truth = simulate_small(out, scale=0.25)
    tables = clean.clean(out, years=SMALL_YEARS).tables
    return leaving_care.build(tables, DisclosurePolicy(threshold=5), truth=truth)


def test_the_model_recovers_the_planted_effects_inside_their_intervals(larger_report):
    planted = larger_report.tables["planted"]
    # Every term the model fits is checked: the larger placement groups against foster carers, and time.
    assert len(planted) == len(larger_report.tables["model"]) >= 4
    assert (planted["covered"] == "yes").all(), planted
    slope = planted.loc["years looked after (per year)"]
    assert slope["ci_low"] > 0  # the planted 0.08 a year is found, not just covered by a wide interval


def test_one_rate_against_a_plain_count_of_the_csv(small_run, small_report):
    report, _ = small_report
    year = SMALL_YEARS[-1]
    eet_codes = {"higher_education", "further_education", "employment", "training"}
    receiving = in_eet = 0
    with open(small_run["dir"] / "aftercare.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            if int(row["year"]) == year and row["receiving_aftercare"] == "Y":
                receiving += 1
                in_eet += row["economic_activity"] in eet_codes
    shown = report.tables["rates"].display.loc[(year, "EET, of those in touch")]
    assert (int(shown["counted"]), int(shown["yes"])) == (receiving, in_eet)
    assert float(shown["percent"]) == pytest.approx(100 * in_eet / receiving, abs=0.05)


def test_a_spell_still_open_on_31_july_is_not_the_leaving_the_history_counts():
    tables = {
        "children": children(("A", "2000-01-01")),
        "episodes": episodes(
            ("A", "2015-01-01", "2017-01-01", "with_foster_carers_la", "independent_living"),
            # back in care after the leaving: an episode ended within a spell still open on 31 July 2018
            ("A", "2017-06-01", "2018-01-01", "la_home", "placement_change"),
            ("A", "2018-01-01", "", "secure", None),
        ),
        "aftercare": aftercare(("A", 2018, "S12000049", "Y", "employment", "own_tenancy")),
    }
    row = leaving_care.leavers(tables).iloc[0]
    assert row["group"] == "with_foster_carers"
    assert row["years_looked_after"] == pytest.approx(731 / 365.25)


def test_the_index_headline_names_the_widest_placement_gap_without_counts():
    from lac_outcomes.journeys import Report, leaving_care_headline

    report = Report()
    report.results["model"] = [
        {"term": "last placement: residential (vs foster)", "estimate": -0.5, "ci_low": -0.6, "ci_high": -0.4},
        {"term": "last placement: other (vs foster)", "estimate": -0.1, "ci_low": -0.2, "ci_high": 0.0},
        {"term": "years looked after (per year)", "estimate": -0.9, "ci_low": -1.0, "ci_high": -0.8},
    ]
    report.texts["planted"] = "5 of 5 planted values lie inside their 95% intervals."
    # exp(-0.5) = 0.61, exp(-0.6) = 0.55, exp(-0.4) = 0.67: the residential term, not the larger time term.
    assert leaving_care_headline(report) == (
        "EET, residential (vs foster): odds ratio 0.61 (95% CI 0.55 to 0.67) within authority and year; "
        "5 of 5 planted values lie inside their 95% intervals"
    )
    assert leaving_care_headline(Report(texts={"model": "Too few young people (12) to model."})).startswith(
        "EET by last placement: Too few"
    )
