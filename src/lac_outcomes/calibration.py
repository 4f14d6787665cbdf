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
FIGURE_COLUMNS = ["year", "measure", "breakdown", "value", "unit", "n", "se"]

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
        rows.append((year, "looked_after_total", "all", total, "children", total, 0.0))
        groups = on_day["placement_type"].map(PLACEMENT_GROUPS).value_counts()
        for group in sorted(set(PLACEMENT_GROUPS.values())):
            count = int(groups.get(group, 0))
            rows.append((year, "placement_count", group, count, "children", count, 0.0))
            rows.append((year, "placement_share", group, 100 * count / total if total else np.nan, "percent", count, 0.0))
        start, end = _year_window(year)
        starting = int(spells["spell_start"].between(start, end).sum())
        rows.append((year, "starting_to_be_looked_after", "all", starting, "children", starting, 0.0))
        ended = spells["spell_end"].notna() & spells["spell_end"].between(start, end)
        rows.append((year, "ceasing_to_be_looked_after", "all", int(ended.sum()), "children", int(ended.sum()), 0.0))
    return pd.DataFrame(rows, columns=FIGURE_COLUMNS)


def _attendance(frame: pd.DataFrame) -> tuple[float, float]:
    """Sessions attended per 100 sessions possible, with the ratio estimator's standard error."""
    possible, attended = frame["sessions_possible"].to_numpy(float), frame["sessions_attended"].to_numpy(float)
    if len(frame) < 2 or possible.sum() == 0:
        return np.nan, np.nan
    ratio = attended.sum() / possible.sum()
    residual = attended - ratio * possible
    se = np.sqrt((residual**2).sum() / (len(frame) * (len(frame) - 1))) / possible.mean()
    return 100 * ratio, 100 * se


def _per_1000(values: pd.Series) -> tuple[float, float]:
    """Events per 1,000 pupils (a mean times 1,000) with its standard error."""
    if len(values) < 2:
        return np.nan, np.nan
    return 1000 * values.mean(), 1000 * values.std(ddof=1) / np.sqrt(len(values))


def _percent(flags: pd.Series) -> tuple[float, float]:
    if len(flags) < 2:
        return np.nan, np.nan
    p = flags.mean()
    return 100 * p, 100 * np.sqrt(p * (1 - p) / len(flags))


def _all_pupils(sample: tuple[float, float], looked_after: tuple[float, float], n_looked_after: int, population) -> tuple[float, float]:
    """The all-pupil figure from a sample of pupils not looked after and every looked-after pupil.

    With ``population`` (all pupils that year) the two are weighted by their
    shares of it; without, the sample stands for all pupils.
    """
    if population is None or not population:
        return sample
    weight = min(n_looked_after / population, 1.0)
    return (1 - weight) * sample[0] + weight * looked_after[0], (1 - weight) * sample[1]


def education_figures(
    pupil_years: pd.DataFrame,
    leaver_years: pd.DataFrame,
    *,
    pupil_population: float | None = None,
    leaver_population: float | None = None,
) -> pd.DataFrame:
    """Attendance, exclusions and attainment as the education outcomes publications define them.

    ``pupil_years`` and ``leaver_years`` are the pupils and leavers tables with
    the covariates of :func:`derive.education_covariates`.  Rows with
    ``looked_after == "N"`` are a sample of the other pupils; all-pupil
    figures combine it with the looked-after pupils, weighted by the yearly
    ``pupil_population`` / ``leaver_population`` when known.  ``se`` is the
    sampling standard error of each figure.
    """
    rows = []
    looked_after = pupil_years[pupil_years["looked_after"] == "Y"]
    others = pupil_years[pupil_years["looked_after"] == "N"]
    full_year = looked_after[looked_after["looked_after_full_year"].fillna(False).astype(bool)]
    single = full_year[full_year["n_placements"] == 1]

    def add(year, measure, breakdown, figure, unit, n):
        rows.append((int(year), measure, breakdown, figure[0], unit, int(n), figure[1]))

    for year, group in single.groupby("school_year"):
        for placement, sub in group.groupby("placement_type"):
            add(year, "attendance_rate_full_year_single_placement", placement, _attendance(sub), "percent", len(sub))
            add(year, "exclusions_per_1000_full_year_single_placement", placement, _per_1000(sub["exclusion_cases"]), "per_1000", len(sub))
        add(year, "attendance_rate_full_year_single_placement", "all_looked_after", _attendance(group), "percent", len(group))
    for year, group in full_year.groupby("school_year"):
        add(year, "exclusions_per_1000", "looked_after_full_year", _per_1000(group["exclusion_cases"]), "per_1000", len(group))
        for name, members in EDUCATION_GROUPS.items():
            in_group = group[group["placement_type"].isin(members)]
            add(year, "attendance_rate", name, _attendance(in_group), "percent", len(in_group))
    looked_after_by_year = dict(list(looked_after.groupby("school_year")))
    for year, group in looked_after_by_year.items():
        add(year, "exclusions_per_1000", "looked_after_within_year", _per_1000(group["exclusion_cases"]), "per_1000", len(group))
    for year, group in others.groupby("school_year"):
        lac = looked_after_by_year.get(year, looked_after.iloc[0:0])
        add(year, "exclusions_per_1000", "all_pupils",
            _all_pupils(_per_1000(group["exclusion_cases"]), _per_1000(lac["exclusion_cases"]), len(lac), pupil_population),
            "per_1000", len(group) + len(lac))
        add(year, "attendance_rate", "all_pupils",
            _all_pupils(_attendance(group), _attendance(lac), len(lac), pupil_population), "percent", len(group) + len(lac))

    scqf5 = leaver_years["highest_scqf_level"] >= 5
    is_looked_after = leaver_years["looked_after"] == "Y"
    full = is_looked_after & leaver_years["looked_after_full_year"].fillna(False).astype(bool)
    for year, in_year in leaver_years.groupby("leaver_year").groups.items():
        year_flags, lac, lac_full = scqf5.loc[in_year], is_looked_after.loc[in_year], full.loc[in_year]
        add(year, "leavers_scqf5_or_better", "looked_after", _percent(year_flags[lac]), "percent", lac.sum())
        add(year, "leavers_scqf5_or_better", "looked_after_full_year", _percent(year_flags[lac_full]), "percent", lac_full.sum())
        add(year, "leavers_scqf5_or_better", "all_pupils",
            _all_pupils(_percent(year_flags[~lac]), _percent(year_flags[lac]), lac.sum(), leaver_population), "percent", len(in_year))
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
    1,000 within 10 percent.  A figure resting on few pupils varies by chance
    more than that: it also counts as reproduced when the difference is
    within 1.96 of its sampling standard errors (``se``).
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
    allowed = np.maximum(merged["tolerance"], 1.96 * merged["se"].fillna(0))
    merged["within_tolerance"] = np.where(
        merged["synthetic"].isna() | merged["tolerance"].isna(), pd.NA, merged["difference"].abs() <= allowed
    )
    columns = ["year", "measure", "breakdown", "unit", "n", "published", "synthetic", "se", "difference", "tolerance_label", "within_tolerance", "publication", "source_url"]
    return merged[columns].sort_values(["measure", "breakdown", "year"], kind="stable").reset_index(drop=True)
