"""England calibration: published figures beside figures computed from the returns, with honest verdicts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lac_outcomes.disclosure import CONFIDENTIAL, DisclosurePolicy
from lac_outcomes.england import calibration, clean
from lac_outcomes.england.simulate import write_synthetic_returns

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = pd.read_csv(ROOT / "data/raw/published/published_figures.csv")
YEARS = [2022, 2023, 2024]


@pytest.fixture(scope="module")
def cleaned(tmp_path_factory):
    raw = tmp_path_factory.mktemp("calibration_raw")
    truth = write_synthetic_returns(raw, seed=31, years=YEARS, n_las=3, children_per_la=200)
    return clean.clean(raw, years=YEARS), truth


def _published(year, measure, breakdown, value, unit):
    return pd.DataFrame(
        [("england", "test", year, measure, breakdown, value, unit, "https://example.org")],
        columns=PUBLISHED.columns,
    )


def test_every_english_published_figure_is_compared_or_said_not_computed(cleaned):
    result, truth = cleaned
    report = calibration.build(
        result.indicators,
        result.tables["Episodes"],
        result.tables["Header"],
        PUBLISHED,
        DisclosurePolicy(5),
        years=YEARS,
        truth=truth,
    )
    english = PUBLISHED[PUBLISHED["jurisdiction"] == "england"]
    assert len(report.compared) == len(english)
    not_computed = report.compared[report.compared["verdict"] == "not computed"]
    assert (not_computed["reason"] != "").all()
    # a figure of a year not loaded says so; the 2008 Care Matters figures are never computed
    assert set(not_computed["year"]) >= {2008, 2014, 2018}
    assert (report.compared.loc[report.compared["year"] == 2024, "verdict"] != "not computed").sum() >= 4
    assert "not computed" in report.summary
    # counts shown as whole numbers with separators, shares with one decimal (no "75420.0")
    shown = report.comparison.display
    done = report.compared[report.compared["verdict"] != "not computed"].reset_index(drop=True)
    for i, row in done.iterrows():
        published = shown.loc[i, "Published (scaled to the data)"]
        if row["unit"] == "children":
            assert published == f"{round(row['target']):,}"
            assert shown.loc[i, "Computed"] == f"{round(row['computed']):,}"
        else:
            assert published == f"{row['target']:.1f}"


def test_counts_are_the_plain_count_of_children_open_at_31_march(cleaned):
    result, truth = cleaned
    episodes = result.tables["Episodes"]
    computed = calibration.indicator_figures(result.indicators)
    for year in YEARS:
        eps = episodes[(episodes["YEAR"] == year) & ~episodes["LS"].isin(["V3", "V4"])]
        end = pd.Timestamp(year=year, month=3, day=31)
        dec = pd.to_datetime(eps["DEC"])
        open_at_end = eps[(pd.to_datetime(eps["DECOM"]) <= end) & (dec.isna() | (dec > end))]
        plain = len(open_at_end[["LA", "CHILD"]].drop_duplicates())
        mine = computed.query("year == @year and measure == 'looked_after_31_march'")["computed"].item()
        assert mine == plain
        planted = sum(r["planted"] for r in truth["indicators"] if r["YEAR"] == year and r["indicator"] == "CLA_31MAR")
        assert mine == planted


def test_shares_by_age_add_to_100_and_boys_match_the_header(cleaned):
    result, _ = cleaned
    shares = calibration.characteristic_figures(result.tables["Episodes"], result.tables["Header"])
    for _, group in shares[shares["measure"] == "age_share_31_march"].groupby("year"):
        assert group["computed"].sum() == pytest.approx(100.0)
        assert (group["cohort"] == group["cohort"].iloc[0]).all()


def test_verdicts_follow_the_tolerances_the_count_scale_and_chance():
    published = _published(2024, "looked_after_31_march", "all", 83630, "children")

    def verdict(computed_count, **options):
        computed = pd.DataFrame(
            [(2024, "looked_after_31_march", "all", computed_count, "children", computed_count, float("nan"))],
            columns=calibration.FIGURE_COLUMNS,
        )
        return calibration.compare(published, computed, **{"years": [2024], **options})

    # national scale: 1.6% off is within 2%, not within 0.5% (chance, about 570 children, does not cover it)
    assert verdict(85_000.0, tolerance_count_pct=2.0)["verdict"].item() == "reproduced"
    assert verdict(85_000.0, tolerance_count_pct=0.5)["verdict"].item() == "not reproduced"
    # a run of 1,000: 4% off is within chance (1.96 x sqrt(1000) = 62), 10% is not
    small = 1000 / 83630
    assert verdict(1040.0, count_scale=small)["target"].item() == pytest.approx(1000)
    assert verdict(1040.0, count_scale=small)["verdict"].item() == "reproduced"
    assert verdict(1100.0, count_scale=small)["verdict"].item() == "not reproduced"
    not_loaded = verdict(85_000.0, years=[2023])
    assert not_loaded["verdict"].item() == "not computed" and "2024" in not_loaded["reason"].item()


def test_count_scale_is_one_at_national_scale_and_the_run_size_otherwise():
    assert calibration.count_scale_of(None) == 1.0
    assert calibration.count_scale_of({"generator": {"children_per_la": "national"}}) == 1.0
    small = {"generator": {"children_per_la": 100}, "local_authorities": [{"stock_target": 418.15}] * 2}
    assert calibration.count_scale_of(small) == pytest.approx(836.3 / 83630)


def test_figures_resting_on_counts_under_the_threshold_are_withheld_with_their_verdicts(cleaned):
    # A threshold above every count: each computed share and rate rests on a suppressed count, so
    # neither it, its difference nor its verdict may show, in the table or the results.
    result, truth = cleaned
    report = calibration.build(
        result.indicators,
        result.tables["Episodes"],
        result.tables["Header"],
        PUBLISHED,
        DisclosurePolicy(10**7),
        years=YEARS,
        truth=truth,
    )
    shown = report.comparison.display
    shares = shown["Figure"].str.contains("share|stability")
    assert shares.any()
    assert (shown.loc[shares, ["Computed", "Difference", "Verdict"]] == CONFIDENTIAL).all().all()
    withheld = [f for f in report.results["figures"] if f["measure"].endswith(("share_31_march", "same_carer_2y"))]
    assert withheld and all(f["computed"] == CONFIDENTIAL and f["verdict"] == CONFIDENTIAL for f in withheld)


def test_three_placements_in_two_years_counts_a_hand_made_history():
    """Children looked after at 31 March 2023 and 2024: two placements; three; three of which one is a hospital stay."""

    def episode(child, decom, dec, rne, place, rec, year):
        return {
            "LA": "E1",
            "CHILD": child,
            "DECOM": pd.Timestamp(decom),
            "DEC": pd.Timestamp(dec) if dec else pd.NaT,
            "RNE": rne,
            "LS": "C2",
            "PLACE": place,
            "REC": rec,
            "URN": "SC1",
            "PL_POST": "AB1 2",
            "YEAR": year,
        }

    rows = [
        episode("a", "2021-05-01", "2023-01-10", "S", "U4", "X1", 2023),
        episode("a", "2023-01-10", None, "P", "U5", "", 2024),
        episode("b", "2022-06-01", "2022-09-01", "S", "U4", "X1", 2023),
        episode("b", "2022-09-01", "2023-08-01", "P", "R1", "X1", 2024),
        episode("b", "2023-08-01", None, "P", "U6", "", 2024),
        episode("c", "2022-06-01", "2023-05-01", "S", "U4", "X1", 2024),
        episode("c", "2023-05-01", "2023-05-10", "P", "T1", "X1", 2024),  # hospital, back to the same carer
        episode("c", "2023-05-10", None, "P", "U4", "", 2024),
        # d came into care in the year: three placements, but not looked after on 31 March 2023, so not in the cohort
        episode("d", "2023-06-01", "2023-09-01", "S", "U4", "X1", 2024),
        episode("d", "2023-09-01", "2023-12-01", "P", "U5", "X1", 2024),
        episode("d", "2023-12-01", None, "P", "U6", "", 2024),
    ]
    episodes = pd.DataFrame(rows)
    figures = calibration.placement_figures(episodes, [2024, 2023])
    # 2023 has no loaded year before it; in 2024 only b had three placements
    assert figures["year"].tolist() == [2024]
    assert (figures["children"].item(), figures["cohort"].item()) == (1, 3)
    assert figures["computed"].item() == pytest.approx(100 / 3)
