"""England's published figures beside the same figures computed from the SSDA903 returns loaded.

The calibration report (``notebooks/calibration_england.py``): every English
figure in ``data/raw/published/published_figures.csv`` is either computed from
the processed returns, as the publication defines it, and set beside the
published value with a tolerance and a verdict, or listed as not computed with
the reason (its year is not loaded, or the returns here do not give it).

Figures computed (measure names as in the published-figures file):

* ``looked_after_31_march``, ``started_to_be_looked_after``: the national sums
  of the indicators CLA_31MAR and STARTED (:mod:`lac_outcomes.england.indicators`).
* ``long_term_stability_same_carer_2y`` and ``long_term_stability_cohort``: NI 63,
  its rate and its cohort (under 16 at 31 March, looked after 2.5 years or more).
* ``three_or_more_placements_previous_2y``: children looked after at 31 March
  of the year and of the year before, with three or more placements in the two
  years, counted by NI 62's rule
  (:func:`lac_outcomes.england.stability.three_placements_in_two_years`).
* ``age_share_31_march`` and ``sex_share_31_march``: children looked after at
  31 March (short breaks left out) in that year's return, by age on 31 March
  and sex from the Header.

Counts are compared after scaling the published figure by the data's size
relative to England (1.0 at national scale; a smaller synthetic run says its
size in ``truth.yaml``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lac_outcomes.disclosure import CONFIDENTIAL, DisclosurePolicy, SuppressedTable
from lac_outcomes.display import format_count
from lac_outcomes.england import stability
from lac_outcomes.england.care_matters import national_frame
from lac_outcomes.england.indicators import age_in_years, episode_history, without_short_breaks

# Looked after at 31 March 2024 in England: what a run's count scale is measured against.
ENGLAND_LOOKED_AFTER_2024 = 83_630
AGE_BANDS = (("0_4", 0, 4), ("5_11", 5, 11), ("12_15", 12, 15), ("16_plus", 16, 200))
FIGURE_COLUMNS = ["year", "measure", "breakdown", "computed", "unit", "children", "cohort"]
# Published measures with no counterpart here, and why (beyond "year not loaded").
NOT_COMPUTED_REASONS = {
    "looked_after_at_point_in_time": "a 2008 figure (Care Matters); the returns loaded start later",
    "looked_after_during_year": "a 2008 figure (Care Matters); the returns loaded start later",
}
INDICATOR_MEASURES = {
    # measure: (indicator, value taken, unit)
    "looked_after_31_march": ("CLA_31MAR", "numerator", "children"),
    "started_to_be_looked_after": ("STARTED", "numerator", "children"),
    "long_term_stability_same_carer_2y": ("NI63", "value", "percent"),
    "long_term_stability_cohort": ("NI63", "denominator", "children"),
}


def count_scale_of(truth: dict | None) -> float:
    """The data's size relative to England: 1.0 for real returns or a national synthetic run."""
    if not truth or truth.get("generator", {}).get("children_per_la") in (None, "national"):
        return 1.0
    targets = [la.get("stock_target") for la in truth.get("local_authorities", [])]
    if not targets or any(t is None for t in targets):
        return 1.0
    return float(sum(targets)) / ENGLAND_LOOKED_AFTER_2024


def indicator_figures(indicators: pd.DataFrame) -> pd.DataFrame:
    """National counts and NI 63 from the indicators table, in the published figures' terms."""
    national = national_frame(indicators)
    rows = []
    for measure, (code, column, unit) in INDICATOR_MEASURES.items():
        for _, row in national[(national["indicator"] == code) & (national["status"] != "x")].iterrows():
            value = float(row[column])
            children = float(row["numerator"]) if unit == "percent" else value
            cohort = float(row["denominator"]) if unit == "percent" else np.nan
            computed = 100 * value if unit == "percent" else value
            rows.append((int(row["YEAR"]), measure, _breakdown(measure), computed, unit, children, cohort))
    return pd.DataFrame(rows, columns=FIGURE_COLUMNS)


def _breakdown(measure: str) -> str:
    return "under16_looked_after_2_5y" if measure.startswith("long_term_stability") else "all"


def characteristic_figures(episodes: pd.DataFrame, header: pd.DataFrame) -> pd.DataFrame:
    """Shares by age band and of boys among children looked after at 31 March, from each year's return."""
    rows = []
    episodes = without_short_breaks(episodes)
    for year, group in episodes.groupby("YEAR"):
        end = pd.Timestamp(year=int(year), month=3, day=31)
        decom, dec = pd.to_datetime(group["DECOM"]), pd.to_datetime(group["DEC"])
        open_at_end = group.loc[(decom <= end) & (dec.isna() | (dec > end)), ["LA", "CHILD"]].drop_duplicates()
        people = header.loc[header["YEAR"] == year, ["LA", "CHILD", "DOB", "SEX"]].drop_duplicates(["LA", "CHILD"])
        children = open_at_end.merge(people, on=["LA", "CHILD"], how="left")
        total = len(children)
        if not total:
            continue
        ages = age_in_years(pd.to_datetime(children["DOB"]), end)
        for band, low, high in AGE_BANDS:
            count = int(ages.between(low, high).sum())
            rows.append((int(year), "age_share_31_march", band, 100 * count / total, "percent", count, total))
        boys = int((children["SEX"].astype(str) == "1").sum())
        rows.append((int(year), "sex_share_31_march", "male", 100 * boys / total, "percent", boys, total))
    return pd.DataFrame(rows, columns=FIGURE_COLUMNS)


def placement_figures(episodes: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Three or more placements over the two years to 31 March, for each of ``years`` whose year before is loaded."""
    loaded = set(int(y) for y in episodes["YEAR"].unique())
    wanted = [y for y in years if y in loaded and y - 1 in loaded]
    if not wanted:
        return pd.DataFrame(columns=FIGURE_COLUMNS)
    history = episode_history(without_short_breaks(episodes))
    rows = []
    for year in wanted:
        two = stability.three_placements_in_two_years(history, year)
        count, total = int(two["three_or_more"].sum()), len(two)
        if total:
            rows.append(
                (year, "three_or_more_placements_previous_2y", "looked_after_2y_31_march", 100 * count / total,
                 "percent", count, total)
            )  # fmt: skip
    return pd.DataFrame(rows, columns=FIGURE_COLUMNS)


def compare(
    published: pd.DataFrame,
    computed: pd.DataFrame,
    *,
    years: list[int],
    count_scale: float = 1.0,
    tolerance_count_pct: float = 2.0,
    tolerance_share_points: float = 2.0,
    tolerance_rate_points: float = 3.0,
) -> pd.DataFrame:
    """Every English published figure with the computed one, the tolerance and a verdict.

    Counts must lie within ``tolerance_count_pct`` percent of the published
    figure scaled by ``count_scale``; shares of children (age, sex) within
    ``tolerance_share_points`` percentage points, rates (stability) within
    ``tolerance_rate_points``; or, on a small run, within 1.96 sampling
    standard errors (a count's square root; a share's binomial error).  Verdict: ``reproduced``, ``not reproduced``,
    or ``not computed`` with the reason.
    """
    england = published[published["jurisdiction"] == "england"].copy()
    merged = england.merge(computed, on=["year", "measure", "breakdown", "unit"], how="left")
    merged["published"] = merged["value"].astype(float)
    is_count = merged["unit"] == "children"
    merged["target"] = np.where(is_count, merged["published"] * count_scale, merged["published"])
    merged["difference"] = merged["computed"] - merged["target"]
    share = merged["measure"].str.endswith("_share_31_march")
    merged["tolerance"] = np.select(
        [is_count, share],
        [merged["target"].abs() * tolerance_count_pct / 100, tolerance_share_points],
        tolerance_rate_points,
    )
    merged["tolerance_text"] = np.select(
        [is_count, share],
        [f"±{tolerance_count_pct:g}%", f"±{tolerance_share_points:g} points"],
        f"±{tolerance_rate_points:g} points",
    )
    # Chance alone moves a small run's figures: a count by about its square root (Poisson), a share by
    # its binomial standard error. A figure within 1.96 of those also counts as reproduced.
    p = (merged["computed"] / 100).clip(0, 1)
    merged["sampling_se"] = np.where(
        is_count, np.sqrt(merged["target"].abs()), 100 * np.sqrt(p * (1 - p) / merged["cohort"])
    )
    loaded = merged["year"].isin(years)
    reasons = merged["measure"].map(NOT_COMPUTED_REASONS)
    reasons = reasons.where(
        reasons.notna() | loaded, merged["year"].map(lambda y: f"{y} is not among the years loaded")
    )
    reasons = reasons.where(reasons.notna() | merged["computed"].notna(), "not computed from the returns loaded")
    merged["reason"] = reasons.fillna("")
    computed_here = merged["reason"] == ""
    within = merged["difference"].abs() <= np.maximum(merged["tolerance"], 1.96 * merged["sampling_se"].fillna(0))
    merged["verdict"] = np.where(computed_here, np.where(within, "reproduced", "not reproduced"), "not computed")
    merged.loc[~computed_here, ["computed", "difference", "children", "cohort"]] = np.nan
    columns = ["year", "measure", "breakdown", "unit", "publication", "source_url", "published", "target"]
    columns += ["computed", "difference", "tolerance", "tolerance_text", "verdict", "reason", "children", "cohort"]
    return merged[columns].sort_values(["measure", "breakdown", "year"]).reset_index(drop=True)


@dataclass
class CalibrationReport:
    compared: pd.DataFrame
    comparison: SuppressedTable  # figures computed, with their verdicts, as shown
    not_computed: pd.DataFrame  # published figures not computed, with the reason
    hidden: pd.Series  # rows of ``compared`` whose computed value is withheld
    results: dict
    summary: str


def _label(row) -> str:
    return f"{row['measure'].replace('_', ' ')} ({row['breakdown'].replace('_', ' ')})"


def build(
    indicators: pd.DataFrame,
    episodes: pd.DataFrame,
    header: pd.DataFrame,
    published: pd.DataFrame,
    policy: DisclosurePolicy,
    *,
    years: list[int],
    truth: dict | None = None,
    **tolerances,
) -> CalibrationReport:
    """The calibration report's tables, summary and results, through the run's disclosure policy."""
    two_year = published.loc[published["measure"] == "three_or_more_placements_previous_2y", "year"]
    parts = [
        indicator_figures(indicators),
        characteristic_figures(episodes, header),
        placement_figures(episodes, sorted(int(y) for y in two_year)),
    ]
    # an empty part (no year with the year before it loaded) is untyped: it would make the numbers objects
    computed = pd.concat([part for part in parts if len(part)], ignore_index=True)
    compared = compare(published, computed, years=years, count_scale=count_scale_of(truth), **tolerances)
    done = compared[compared["verdict"] != "not computed"].reset_index(drop=True)
    table = pd.DataFrame(
        {
            "Year": done["year"].astype(str),
            "Figure": done.apply(_label, axis=1),
            "Published (scaled to the data)": done["target"].round(1),
            "Computed": done["computed"],
            "Difference": done["difference"],
            "Tolerance": done["tolerance_text"],
            "Verdict": done["verdict"],
            # the children a computed share or rate counts, and its cohort (blank for counts)
            "Children counted": done["children"].where(done["unit"] == "percent"),
            "Cohort": done["cohort"],
        }
    )
    counts = ["Children counted", "Cohort"]
    shown = policy.suppress(
        table,
        counts,
        rate_columns={"Computed": counts, "Difference": counts},
        complements={"Children counted": "Cohort"},
    )
    # a count figure is its own count: withheld when under the threshold, as a count of children is
    small_count = (done["unit"] == "children") & (done["computed"] < policy.threshold)
    hidden = shown.suppressed["Computed"] | shown.suppressed["Children counted"] | small_count.to_numpy()
    shown.display.loc[hidden, ["Computed", "Difference", "Verdict"]] = CONFIDENTIAL
    # counts read as counts (75,420, not 75420.0), shares with one decimal, as the publications print them
    is_count = (done["unit"] == "children").to_numpy()
    shown.display["Published (scaled to the data)"] = [
        format_count(value) if count else f"{value:.1f}" for value, count in zip(done["target"], is_count, strict=True)
    ]
    plain_count = is_count & ~hidden.to_numpy()
    for column, source in (("Computed", "computed"), ("Difference", "difference")):
        shown.display.loc[plain_count, column] = [format_count(value) for value in done.loc[plain_count, source]]
    not_computed = compared.loc[compared["verdict"] == "not computed", ["year", "measure", "breakdown", "reason"]]
    not_computed = not_computed.assign(year=not_computed["year"].astype(str))
    verdicts = done.loc[~hidden.to_numpy(), "verdict"].value_counts()
    summary = (
        f"{len(compared)} published figures for England: {int(verdicts.get('reproduced', 0))} reproduced, "
        f"{int(verdicts.get('not reproduced', 0))} not reproduced, {int(hidden.sum())} withheld, "
        f"{len(not_computed)} not computed."
    )
    results = {
        "figures": [
            {
                "year": int(row["year"]),
                "measure": row["measure"],
                "breakdown": row["breakdown"],
                "published": float(row["target"]),
                "computed": policy.withhold(round(float(row["computed"]), 3), bool(flag)),
                "verdict": policy.withhold(row["verdict"], bool(flag)),
            }
            for (_, row), flag in zip(done.iterrows(), hidden.to_numpy(), strict=True)
        ],
        "not_computed": not_computed.to_dict(orient="records"),
    }
    return CalibrationReport(compared, shown, not_computed.reset_index(drop=True), hidden, results, summary)
