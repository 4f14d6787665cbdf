"""Calibration: figures computed as the publications define them, the report built from them, and the synthetic
default reproducing the published figures within the stated tolerances."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lac_outcomes.disclosure import CONFIDENTIAL, DisclosurePolicy
from lac_outcomes.scotland import calibration, derive
from lac_outcomes.scotland.simulate import simulate_scotland

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = ROOT / "data/raw/published/published_figures.csv"
TOLERANCES = dict(tolerance_total_pct=2.0, tolerance_share_points=2.0, tolerance_rate_points=3.0)

# Published figures the generator does not aim at, with the reason.
NOT_TARGETED = {
    # Prospective adopters are not a calibration target: the generator gives
    # them about 1% of the stock (published 2023: 1.2%).
    ("placement_count", "with_prospective_adopters", 2023),
    # 52 pupils in voluntary homes in 2009/10: the negative binomial draw varies by
    # more than 10% at that size, and here by just over 1.96 standard errors.
    ("exclusions_per_1000_full_year_single_placement", "voluntary_home", 2010),
}


def test_compare_scales_counts_and_applies_each_tolerance():
    published = pd.DataFrame(
        {
            "jurisdiction": "scotland",
            "publication": "p",
            "source_url": "u",
            "year": [2020, 2020, 2020, 2020],
            "measure": ["looked_after_total", "placement_share", "attendance_rate", "exclusions_per_1000"],
            "breakdown": ["all", "at_home_with_parents", "all_pupils", "all_pupils"],
            "value": [10000, 25, 93.0, 40],
            "unit": ["children", "percent", "percent", "per_1000"],
        }
    )
    synthetic = pd.DataFrame(
        {
            "year": [2020] * 4,
            "measure": published["measure"],
            "breakdown": published["breakdown"],
            "value": [1030, 27.5, 90.5, 30],
            "unit": published["unit"],
            "n": [1030, 250, 5000, 40],
            "se": [0.0, 0.0, 0.2, 6.0],
        }
    )
    result = calibration.compare(published, synthetic, count_scale=0.1, **TOLERANCES).set_index("measure")
    assert result.loc["looked_after_total", "published"] == pytest.approx(1000)
    assert result.loc["looked_after_total", "within_tolerance"] == False  # noqa: E712  3% > 2%
    assert result.loc["placement_share", "within_tolerance"] == False  # noqa: E712  2.5 points > 2
    assert result.loc["attendance_rate", "within_tolerance"] == True  # noqa: E712  2.5 points <= 3
    # 10 per 1,000 off is 25%, but within 1.96 standard errors of a figure resting on 40 pupils.
    assert result.loc["exclusions_per_1000", "within_tolerance"] == True  # noqa: E712


def test_a_figure_times_its_n_that_gives_back_a_few_children_is_withheld():
    compared = pd.DataFrame(
        {
            "measure": ["leavers_scqf5_or_better"] * 3
            + ["exclusions_per_1000_full_year_single_placement", "attendance_rate"],
            "breakdown": ["looked_after", "looked_after_full_year", "all_pupils", "la_home", "all_pupils"],
            "unit": ["percent", "percent", "percent", "per_1000", "percent"],
            # 3 of 17 leavers; 18 of 20 (2 without); a weighted all-pupil figure; 2 cases in 48 pupils; sessions.
            "n": [17, 20, 30, 48, 400],
            "synthetic": [100 * 3 / 17, 90.0, 10.0, 1000 * 2 / 48, 93.0],
        }
    )
    assert calibration.rests_on_few(compared, threshold=5).tolist() == [True, True, False, True, False]


ONE_LA = "S12000036"


@pytest.fixture(scope="module")
def one_authority(tmp_path_factory):
    out = tmp_path_factory.mktemp("one_la")
    truth = simulate_scotland(
        out, seed=7, years=[2019, 2020, 2021], scale=0.15, local_authorities=[ONE_LA], published_figures=PUBLISHED
    )
    tables = {
        name: pd.read_csv(out / f"{name}.csv", keep_default_na=False, na_values=[""])
        for name in ["children", "episodes", "pupils", "leavers"]
    }
    return tables, truth


def _published(rows):
    return pd.DataFrame(
        [
            {
                "jurisdiction": "scotland",
                "publication": "p",
                "source_url": "u",
                "year": year,
                "measure": measure,
                "breakdown": breakdown,
                "value": value,
                "unit": unit,
            }
            for year, measure, breakdown, value, unit in rows
        ]
    )


def test_counts_and_comparison_show_the_same_children_and_hide_them_together(one_authority):
    tables, truth = one_authority
    published = _published(
        [
            (y, "placement_count", g, 500, "children")
            for y in (2019, 2020, 2021)
            for g in ("other_community", "with_prospective_adopters", "residential", "at_home_with_parents")
        ]
        + [(y, "placement_share", "at_home_with_parents", 25, "percent") for y in (2019, 2020, 2021)]
    )
    report = calibration.build(
        tables, published, DisclosurePolicy(5), first_year=2019, last_year=2021, truth=truth, synthetic=True
    )
    counts, comparison = report.tables["counts"], report.tables["comparison"]
    on_day = {y: derive.looked_after_on(tables["episodes"], pd.Timestamp(y, 7, 31)) for y in (2019, 2020, 2021)}
    labels = {
        "other_community": "In other community",
        "with_prospective_adopters": "With prospective adopters",
        "residential": "Residential",
        "at_home_with_parents": "At home with parents",
    }
    hidden_somewhere = 0
    for (_, group, year), row in comparison.display.iterrows():
        plain = int(on_day[year]["placement_type"].map(calibration.PLACEMENT_GROUPS).eq(group).sum())
        cell = counts.display.loc[str(year), labels[group]]
        assert row["n"] == cell  # one number, one way of showing it
        assert cell == CONFIDENTIAL or cell == f"{plain:,}"
        if 0 < plain < 5:
            assert cell == CONFIDENTIAL
        hidden_somewhere += cell == CONFIDENTIAL
        if cell == CONFIDENTIAL:
            assert row["synthetic"] == row["within tolerance"] == CONFIDENTIAL
    assert hidden_somewhere
    # Each row of the counts adds up to its total: never exactly one cell hidden in it.
    assert ((counts.display == CONFIDENTIAL).sum(axis=1) != 1).all()
    # The share-at-home bar is drawn only where the at-home count and the total are shown.
    shares = report.figures["home_share"].set_index("year")["computed"]
    for year in (2019, 2020, 2021):
        hidden = CONFIDENTIAL in {
            counts.display.loc[str(year), "At home with parents"],
            counts.display.loc[str(year), "Total"],
        }
        assert np.isnan(shares[year]) == hidden
    for record in report.results["comparison"]:
        if record["n"] == CONFIDENTIAL:
            assert record["synthetic"] == record["difference"] == record["se"] == CONFIDENTIAL


def test_part_of_scotland_without_a_truth_file_compares_no_counts_and_says_so(one_authority):
    tables, _ = one_authority
    published = _published(
        [
            (2019, "looked_after_total", "all", 15000, "children"),
            (2019, "placement_share", "at_home_with_parents", 25, "percent"),
        ]
    )
    report = calibration.build(
        tables, published, DisclosurePolicy(5), first_year=2019, last_year=2021, truth=None, synthetic=False
    )
    assert report.count_scale is None
    rows = {r["measure"]: r for r in report.results["comparison"]}
    assert rows["looked_after_total"]["within_tolerance"] is None
    assert rows["placement_share"]["within_tolerance"] in (True, False)
    assert "Counts are not compared" in report.texts["intro"] and "synthetic" not in report.texts["intro"]
    assert "City of Edinburgh" in report.captions["counts"] and "Scotland" not in report.captions["counts"]
    assert report.texts["summary"].startswith(f"{report.results['within_tolerance']} of 1 published Scottish figures")


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    out = tmp_path_factory.mktemp("national")
    truth = simulate_scotland(out, seed=20090731, years=list(range(2009, 2024)), scale=1.0, published_figures=PUBLISHED)
    tables = {
        name: pd.read_csv(out / f"{name}.csv", keep_default_na=False, na_values=[""])
        for name in ["children", "episodes", "pupils", "leavers"]
    }
    return tables, truth


def test_national_default_reproduces_the_published_figures(national):
    tables, truth = national
    looked_after = calibration.looked_after_figures(tables["episodes"], list(range(2009, 2024)))
    populations = truth["education"]["comparison_sample"]
    education = calibration.education_figures(
        derive.education_covariates(tables["children"], tables["episodes"], tables["pupils"]),
        derive.leaver_covariates(tables["children"], tables["episodes"], tables["leavers"]),
        pupil_population=populations["pupils_population_per_year"],
        leaver_population=populations["leavers_population_per_year"],
    )
    published = pd.read_csv(PUBLISHED)
    result = calibration.compare(
        published, pd.concat([looked_after, education]), count_scale=truth["count_factor"], **TOLERANCES
    )
    compared = result[result["synthetic"].notna()]
    assert len(compared) >= 45  # every Scottish figure with a synthetic counterpart
    misses = {(r.measure, r.breakdown, r.year) for r in compared.itertuples() if not r.within_tolerance}
    assert misses <= NOT_TARGETED, misses - NOT_TARGETED
    headline = compared[compared["measure"].isin(["looked_after_total", "placement_share"])]
    assert headline["within_tolerance"].all()
