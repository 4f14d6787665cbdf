"""Headline figures of the Scottish data, computed as the publications define
them, set beside the published figures they are calibrated to.

Measure names follow ``data/raw/published/published_figures.csv``.  Years
are the publication's year label: a looked-after year or school year by the
calendar year it ends in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lac_outcomes.scotland import derive
from lac_outcomes.scotland.layout import PLACEMENT_GROUPS

COUNT_UNITS = {"children"}
# ``n`` is the number of children (or pupils, leavers) a figure is computed from.
FIGURE_COLUMNS = ["year", "measure", "breakdown", "value", "unit", "n"]

# Breakdowns of education measures that are groups of placement types.
EDUCATION_GROUPS = {"with_foster_carers": ["with_foster_carers_la", "with_foster_carers_purchased"]}


def census_date(year: int) -> pd.Timestamp:
    return pd.Timestamp(year=year, month=7, day=31)


def _year_window(year: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    return pd.Timestamp(year=year - 1, month=8, day=1), census_date(year)


def looked_after_figures(episodes: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Totals, placement counts and shares at 31 July; spells starting and ceasing in the year."""
    rows = []
    spells = derive.spells(episodes)
    for year in years:
        on_day = derive.looked_after_on(episodes, census_date(year))
        total = len(on_day)
        rows.append((year, "looked_after_total", "all", total, "children", total))
        groups = on_day["placement_type"].map(PLACEMENT_GROUPS).value_counts()
        for group in sorted(set(PLACEMENT_GROUPS.values())):
            count = int(groups.get(group, 0))
            rows.append((year, "placement_count", group, count, "children", count))
            rows.append((year, "placement_share", group, 100 * count / total if total else np.nan, "percent", count))
        start, end = _year_window(year)
        starting = int(spells["spell_start"].between(start, end).sum())
        rows.append((year, "starting_to_be_looked_after", "all", starting, "children", starting))
        ended = spells["spell_end"].notna() & spells["spell_end"].between(start, end)
        rows.append((year, "ceasing_to_be_looked_after", "all", int(ended.sum()), "children", int(ended.sum())))
    return pd.DataFrame(rows, columns=FIGURE_COLUMNS)


def _attendance(frame: pd.DataFrame) -> float:
    possible = frame["sessions_possible"].sum()
    return 100 * frame["sessions_attended"].sum() / possible if possible else np.nan


def _exclusions_per_1000(frame: pd.DataFrame) -> float:
    return 1000 * frame["exclusion_cases"].sum() / len(frame) if len(frame) else np.nan


def education_figures(pupil_years: pd.DataFrame, leaver_years: pd.DataFrame) -> pd.DataFrame:
    """Attendance, exclusions and attainment as the education outcomes publications define them.

    ``pupil_years`` and ``leaver_years`` are the pupils and leavers tables with
    the covariates of :func:`derive.education_covariates` joined on
    (``looked_after_full_year``, ``n_placements``, ``placement_type``).
    """
    rows = []
    looked_after = pupil_years[pupil_years["looked_after"] == "Y"]
    all_pupils = pupil_years[pupil_years["looked_after"] == "N"]
    full_year = looked_after[looked_after["looked_after_full_year"].fillna(False).astype(bool)]
    single = full_year[full_year["n_placements"] == 1]
    for year, group in single.groupby("school_year"):
        for placement, sub in group.groupby("placement_type"):
            rows.append((year, "attendance_rate_full_year_single_placement", placement, _attendance(sub), "percent", len(sub)))
            rows.append((year, "exclusions_per_1000_full_year_single_placement", placement, _exclusions_per_1000(sub), "per_1000", len(sub)))
        rows.append((year, "attendance_rate_full_year_single_placement", "all_looked_after", _attendance(group), "percent", len(group)))
    for year, group in full_year.groupby("school_year"):
        rows.append((year, "exclusions_per_1000", "looked_after_full_year", _exclusions_per_1000(group), "per_1000", len(group)))
        for name, members in EDUCATION_GROUPS.items():
            in_group = group[group["placement_type"].isin(members)]
            rows.append((year, "attendance_rate", name, _attendance(in_group), "percent", len(in_group)))
    for year, group in looked_after.groupby("school_year"):
        rows.append((year, "exclusions_per_1000", "looked_after_within_year", _exclusions_per_1000(group), "per_1000", len(group)))
    for year, group in all_pupils.groupby("school_year"):
        rows.append((year, "exclusions_per_1000", "all_pupils", _exclusions_per_1000(group), "per_1000", len(group)))
        rows.append((year, "attendance_rate", "all_pupils", _attendance(group), "percent", len(group)))

    scqf5 = leaver_years["highest_scqf_level"] >= 5
    leaver_groups = {
        "looked_after": leaver_years["looked_after"] == "Y",
        "looked_after_full_year": (leaver_years["looked_after"] == "Y") & leaver_years["looked_after_full_year"].fillna(False).astype(bool),
        "all_pupils": leaver_years["looked_after"] == "N",
    }
    for name, members in leaver_groups.items():
        by_year = scqf5[members].groupby(leaver_years.loc[members, "leaver_year"])
        rows += [(int(y), "leavers_scqf5_or_better", name, 100 * v.mean(), "percent", len(v)) for y, v in by_year]
    return pd.DataFrame(rows, columns=FIGURE_COLUMNS)


def compare(
    published: pd.DataFrame,
    synthetic: pd.DataFrame,
    *,
    count_scale: float,
    tolerance_total_pct: float,
    tolerance_share_points: float,
    tolerance_rate_points: float,
) -> pd.DataFrame:
    """Published Scottish figures beside the synthetic ones, with the difference and a verdict.

    Counts are compared after scaling the published figure by ``count_scale``
    (the synthetic data's size relative to Scotland: 1.0 at national scale).
    Tolerances: counts within ``tolerance_total_pct`` percent; percentages
    within ``tolerance_share_points`` (placement shares) or
    ``tolerance_rate_points`` (education rates) percentage points; rates per
    1,000 within 10 percent.
    """
    scot = published[published["jurisdiction"] == "scotland"].copy()
    merged = scot.merge(synthetic.rename(columns={"value": "synthetic"}), on=["year", "measure", "breakdown", "unit"], how="left")
    merged["published"] = merged["value"].astype(float)
    is_count = merged["unit"].isin(COUNT_UNITS)
    merged.loc[is_count, "published"] = merged.loc[is_count, "published"] * count_scale
    merged["difference"] = merged["synthetic"] - merged["published"]

    def tolerance(row) -> tuple[float, str]:
        if row["unit"] in COUNT_UNITS:
            return abs(row["published"]) * tolerance_total_pct / 100, f"±{tolerance_total_pct:g}%"
        if row["unit"] == "percent":
            points = tolerance_share_points if row["measure"].startswith("placement_share") else tolerance_rate_points
            return points, f"±{points:g} points"
        if row["unit"] == "per_1000":
            return abs(row["published"]) * 0.10, "±10%"
        return np.nan, "none"

    bounds = merged.apply(tolerance, axis=1, result_type="expand")
    merged["tolerance"], merged["tolerance_label"] = bounds[0], bounds[1]
    merged["within_tolerance"] = np.where(
        merged["synthetic"].isna() | merged["tolerance"].isna(), pd.NA, merged["difference"].abs() <= merged["tolerance"]
    )
    columns = ["year", "measure", "breakdown", "unit", "n", "published", "synthetic", "difference", "tolerance_label", "within_tolerance", "publication", "source_url"]
    return merged[columns].sort_values(["measure", "breakdown", "year"], kind="stable").reset_index(drop=True)
