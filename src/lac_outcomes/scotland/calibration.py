"""Headline figures of the Scottish data, computed as the publications define
them, set beside the published figures they are calibrated to; and the
calibration report built from them (:func:`build`).

Measure names follow ``data/raw/published/published_figures.csv``.  Years
are the publication's year label: a looked-after year or school year by the
calendar year it ends in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lac_outcomes.disclosure import CONFIDENTIAL, DisclosurePolicy, Linked, SuppressedTable
from lac_outcomes.scotland import derive
from lac_outcomes.scotland.areas import Area, Period
from lac_outcomes.scotland.layout import PLACEMENT_GROUP_LABELS, PLACEMENT_GROUPS

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
    on_each = derive.looked_after_on_each(episodes, [census_date(year) for year in years])
    for year, on_day in zip(years, on_each, strict=True):
        total = len(on_day)
        rows.append((year, "looked_after_total", "all", total, "children", total, 0.0))
        groups = on_day["placement_type"].map(PLACEMENT_GROUPS).value_counts()
        for group in sorted(set(PLACEMENT_GROUPS.values())):
            count = int(groups.get(group, 0))
            rows.append((year, "placement_count", group, count, "children", count, 0.0))
            rows.append(
                (year, "placement_share", group, 100 * count / total if total else np.nan, "percent", count, 0.0)
            )
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


def _all_pupils(
    sample: tuple[float, float], looked_after: tuple[float, float], n_looked_after: int, population
) -> tuple[float, float]:
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
            add(
                year,
                "exclusions_per_1000_full_year_single_placement",
                placement,
                _per_1000(sub["exclusion_cases"]),
                "per_1000",
                len(sub),
            )
        add(
            year,
            "attendance_rate_full_year_single_placement",
            "all_looked_after",
            _attendance(group),
            "percent",
            len(group),
        )
    for year, group in full_year.groupby("school_year"):
        add(
            year,
            "exclusions_per_1000",
            "looked_after_full_year",
            _per_1000(group["exclusion_cases"]),
            "per_1000",
            len(group),
        )
        for name, members in EDUCATION_GROUPS.items():
            in_group = group[group["placement_type"].isin(members)]
            add(year, "attendance_rate", name, _attendance(in_group), "percent", len(in_group))
    looked_after_by_year = dict(list(looked_after.groupby("school_year")))
    for year, group in looked_after_by_year.items():
        add(
            year,
            "exclusions_per_1000",
            "looked_after_within_year",
            _per_1000(group["exclusion_cases"]),
            "per_1000",
            len(group),
        )
    for year, group in others.groupby("school_year"):
        lac = looked_after_by_year.get(year, looked_after.iloc[0:0])
        add(
            year,
            "exclusions_per_1000",
            "all_pupils",
            _all_pupils(
                _per_1000(group["exclusion_cases"]), _per_1000(lac["exclusion_cases"]), len(lac), pupil_population
            ),
            "per_1000",
            len(group) + len(lac),
        )
        add(
            year,
            "attendance_rate",
            "all_pupils",
            _all_pupils(_attendance(group), _attendance(lac), len(lac), pupil_population),
            "percent",
            len(group) + len(lac),
        )

    scqf5 = leaver_years["highest_scqf_level"] >= 5
    is_looked_after = leaver_years["looked_after"] == "Y"
    full = is_looked_after & leaver_years["looked_after_full_year"].fillna(False).astype(bool)
    for year, in_year in leaver_years.groupby("leaver_year").groups.items():
        year_flags, lac, lac_full = scqf5.loc[in_year], is_looked_after.loc[in_year], full.loc[in_year]
        add(year, "leavers_scqf5_or_better", "looked_after", _percent(year_flags[lac]), "percent", lac.sum())
        add(
            year,
            "leavers_scqf5_or_better",
            "looked_after_full_year",
            _percent(year_flags[lac_full]),
            "percent",
            lac_full.sum(),
        )
        add(
            year,
            "leavers_scqf5_or_better",
            "all_pupils",
            _all_pupils(_percent(year_flags[~lac]), _percent(year_flags[lac]), lac.sum(), leaver_population),
            "percent",
            len(in_year),
        )
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
    merged = scot.merge(
        synthetic.rename(columns={"value": "synthetic"}), on=["year", "measure", "breakdown", "unit"], how="left"
    )
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
    columns = [
        "year",
        "measure",
        "breakdown",
        "unit",
        "n",
        "published",
        "synthetic",
        "se",
        "difference",
        "tolerance_label",
        "within_tolerance",
        "publication",
        "source_url",
    ]
    return merged[columns].sort_values(["measure", "breakdown", "year"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------
# the calibration report
# --------------------------------------------------------------------------
EDUCATION_BY_PLACEMENT = [
    "attendance_rate_full_year_single_placement",
    "exclusions_per_1000_full_year_single_placement",
]
COMPARISON_COLUMNS = ["n", "published", "synthetic", "sampling SE", "difference", "tolerance", "within tolerance"]


@dataclass
class CalibrationReport:
    """What the calibration notebook shows: tables, figure data, texts and the results file."""

    area: Area
    period: Period
    synthetic: bool
    count_scale: float | None
    tables: dict[str, SuppressedTable] = field(default_factory=dict)
    captions: dict[str, str] = field(default_factory=dict)
    figures: dict[str, pd.DataFrame] = field(default_factory=dict)
    not_computed: pd.DataFrame | None = None
    texts: dict[str, str] = field(default_factory=dict)
    results: dict = field(default_factory=dict)


def count_scale_of(truth: dict | None, area: Area) -> float | None:
    """The data's size relative to Scotland: the generator's count factor, 1 for all of Scotland, else unknown."""
    if truth and truth.get("count_factor") is not None:
        return float(truth["count_factor"])
    return 1.0 if area.is_scotland else None


def build(
    tables: dict[str, pd.DataFrame],
    published: pd.DataFrame,
    policy: DisclosurePolicy,
    *,
    first_year: int | None = None,
    last_year: int | None = None,
    truth: dict | None = None,
    synthetic: bool = False,
    tolerance_total_pct: float = 2.0,
    tolerance_share_points: float = 2.0,
    tolerance_rate_points: float = 3.0,
) -> CalibrationReport:
    """Every table, figure's data, text and result of the calibration report, under one disclosure policy.

    The counts by placement group and the comparison table show the same
    children looked after on 31 July, so they are suppressed together; the
    comparison's pupil counts by placement type add up to all looked-after
    pupils.  Counts are compared with the published figure scaled by
    :func:`count_scale_of`; where that is unknown (part of Scotland, no truth
    file) counts are not compared.
    """
    children, episodes = tables["children"], tables["episodes"]
    area = Area.loaded(children)
    period = Period.configured(first_year, last_year, tables.get("pupils"))
    scale = count_scale_of(truth, area)
    report = CalibrationReport(area=area, period=period, synthetic=synthetic, count_scale=scale)
    looked_after = looked_after_figures(episodes, period.years)
    pupil_years = derive.education_covariates(children, episodes, tables["pupils"])
    leaver_years = derive.leaver_covariates(children, episodes, tables["leavers"])
    # The comparison rows are a sample of the pupils not looked after; all-pupil figures weight
    # it by the population it stands for, which the generator's truth.yaml records.
    populations = ((truth or {}).get("education") or {}).get("comparison_sample") or {}
    education = education_figures(
        pupil_years, leaver_years,
        pupil_population=populations.get("pupils_population_per_year"),
        leaver_population=populations.get("leavers_population_per_year"),
    )  # fmt: skip
    ours = pd.concat([looked_after, education], ignore_index=True)
    comparison = compare(
        published, ours, count_scale=1.0 if scale is None else scale, tolerance_total_pct=tolerance_total_pct,
        tolerance_share_points=tolerance_share_points, tolerance_rate_points=tolerance_rate_points,
    )  # fmt: skip
    if scale is None:
        counts = comparison["unit"].isin(COUNT_UNITS)
        comparison.loc[counts, ["published", "difference"]] = np.nan
        comparison.loc[counts, "within_tolerance"] = pd.NA
        comparison.loc[counts, "tolerance_label"] = "not compared: part of Scotland"
    compared = comparison[comparison["synthetic"].notna()].reset_index(drop=True)
    report.not_computed = comparison[comparison["synthetic"].isna()][["year", "measure", "breakdown", "publication"]]

    linked, lines = _linked_tables(looked_after, education, compared, policy.threshold, synthetic)
    shown = policy.suppress_together(linked, lines=lines)
    hidden = shown["comparison"].suppressed["n"].to_numpy()
    shown["comparison"].display.loc[hidden, "within tolerance"] = CONFIDENTIAL
    if not synthetic:
        shown["comparison"].display = shown["comparison"].display.rename(columns={"synthetic": "computed"})
    report.tables = shown
    kind = "synthetic" if synthetic else "loaded"
    report.captions = {
        "counts": f"Children looked after at 31 July, by placement group ({kind} data, {area.name})",
        "comparison": "Published and computed figures",
    }
    _figures(report, looked_after, compared, shown)
    _texts(report, compared, comparison, shown, policy)
    report.results = _results(report, compared, hidden, policy)
    return report


def rests_on_few(compared: pd.DataFrame, threshold: int) -> pd.Series:
    """Rows whose figure times ``n`` gives back a small count: leavers with (or without) the
    qualification, exclusion cases.  All-pupil figures are weighted from a sample and are left alone."""
    n = compared["n"].astype(float)
    value = compared["synthetic"].astype(float)
    own = compared["breakdown"] != "all_pupils"
    proportion = own & compared["measure"].str.startswith("leavers_") & (compared["unit"] == "percent")
    with_outcome = (value * n / 100).round()
    few = lambda k: (k > 0) & (k < threshold)  # noqa: E731
    hidden = proportion & (few(with_outcome) | few(n - with_outcome))
    cases = (value * n / 1000).round()
    hidden |= own & (compared["unit"] == "per_1000") & few(cases)
    return hidden.fillna(False)


def _linked_tables(
    looked_after: pd.DataFrame, education: pd.DataFrame, compared: pd.DataFrame, threshold: int, synthetic: bool
):
    counts = (
        looked_after[looked_after["measure"] == "placement_count"]
        .pivot(index="year", columns="breakdown", values="value")
        .rename_axis(columns=None)
    )
    groups = list(counts.columns)
    counts["total"] = counts.sum(axis=1)
    count_keys = {g: [("stock", g, int(y)) for y in counts.index] for g in groups}
    count_keys["total"] = [("stock", "all", int(y)) for y in counts.index]
    counts = counts.rename(columns={**PLACEMENT_GROUP_LABELS, "total": "Total"})
    count_keys = {PLACEMENT_GROUP_LABELS.get(k, "Total" if k == "total" else k): v for k, v in count_keys.items()}
    counts.index = counts.index.astype(str)
    counts.index.name = "year ending 31 July"

    table = compared.copy()
    table["within tolerance"] = table["within_tolerance"].map({True: "yes", False: "no"}).fillna("z")
    table = table.rename(columns={"se": "sampling SE", "tolerance_label": "tolerance"})
    keys = [_comparison_key(r.measure, r.breakdown, int(r.year)) for r in table.itertuples()]
    withheld = rests_on_few(compared, threshold).to_numpy()
    table = table.set_index(["measure", "breakdown", "year"])[COMPARISON_COLUMNS]
    withheld = pd.Series(withheld, index=table.index)
    tables = {
        "counts": Linked(counts, list(counts.columns), keys=count_keys, options=dict(total_column="Total")),
        "comparison": Linked(
            table,
            ["n"],
            keys={"n": keys},
            options=dict(
                rate_columns={"published": [], "synthetic": "n", "sampling SE": "n", "difference": "n"},
                withheld=withheld,
            ),
        ),
    }
    # Pupils in a single placement all year, by placement type, add up to all of them.
    lines = []
    single = education[education["measure"] == "attendance_rate_full_year_single_placement"]
    for year, rows in single.groupby("year"):
        parts = [("single", b, int(year)) for b in rows["breakdown"] if b != "all_looked_after"]
        lines.append([("single", "all_looked_after", int(year))] + parts)
    return tables, lines


def _comparison_key(measure: str, breakdown: str, year: int):
    """The population cell a comparison row's ``n`` counts, shared with the tables that show it."""
    if measure in ("placement_count", "placement_share"):
        return ("stock", breakdown, year)
    if measure == "looked_after_total":
        return ("stock", "all", year)
    if measure in EDUCATION_BY_PLACEMENT:
        return ("single", breakdown, year)
    return (measure, breakdown, year)


def _figures(report: CalibrationReport, looked_after, compared, shown) -> None:
    counts = shown["counts"]
    years = [int(y) for y in counts.display.index]
    total_visible = ~counts.suppressed["Total"].to_numpy()
    totals = looked_after[looked_after["measure"] == "looked_after_total"].set_index("year")["value"].reindex(years)
    published_totals = compared[compared["measure"] == "looked_after_total"].set_index("year")["published"]
    report.figures["totals"] = pd.DataFrame(
        {
            "year": years,
            "computed": totals.where(total_visible).to_numpy(),
            "published": published_totals.reindex(years).to_numpy(),
        }
    )
    # The share at home rests on the at-home count and the total: drawn only where both are shown.
    home_label = PLACEMENT_GROUP_LABELS.get("at_home_with_parents", "at_home_with_parents")
    home_visible = ~counts.suppressed[[home_label, "Total"]].any(axis=1).to_numpy()
    shares = (
        looked_after[
            (looked_after["measure"] == "placement_share") & (looked_after["breakdown"] == "at_home_with_parents")
        ]
        .set_index("year")["value"]
        .reindex(years)
    )
    published_shares = compared[
        (compared["measure"] == "placement_share") & (compared["breakdown"] == "at_home_with_parents")
    ].set_index("year")["published"]
    report.figures["home_share"] = pd.DataFrame(
        {
            "year": years,
            "computed": shares.where(home_visible).to_numpy(),
            "published": published_shares.reindex(years).to_numpy(),
        }
    )
    visible = ~shown["comparison"].suppressed["n"].to_numpy()
    by_placement = compared[compared["measure"].isin(EDUCATION_BY_PLACEMENT) & visible]
    report.figures["education"] = by_placement[["year", "measure", "breakdown", "published", "synthetic"]].rename(
        columns={"synthetic": "computed"}
    )


def _texts(report: CalibrationReport, compared, comparison, shown, policy) -> None:
    area, period = report.area, report.period
    judged = compared["within_tolerance"].notna()
    within = int(compared["within_tolerance"].fillna(False).astype(bool).sum())
    if report.synthetic:
        intro = (
            "The data are the pipeline's synthetic default: record-level returns made from a fixed seed in the "
            "layout of the real ones, calibrated to the published figures. This report checks that its headline "
            "figures reproduce them within stated tolerances, so that a researcher developing on the synthetic "
            "data can trust that its shape is the real one, and a reviewer can see where it is not."
        )
    else:
        intro = (
            "The data are the returns loaded for this run. This report sets their headline figures beside the "
            "figures the Scottish Government published, as a check that the returns were read and counted as "
            "the publications count them."
        )
    if report.count_scale is None:
        scale = (
            "Counts are not compared: the data cover part of Scotland and there is no truth file saying what "
            "share of the country they stand for. Rates and shares are compared as they are."
        )
    elif report.count_scale == 1.0:
        scale = "Counts are compared with the published figures as they are."
    else:
        scale = f"Counts are compared with the published figures times {report.count_scale:.4g}, the data's size."
    report.texts["intro"] = f"{intro}\n\nData from {area.coverage}; period {period.text}. {scale}"
    last = period.last_year
    points = [f"{within} of {int(judged.sum())} published figures compared are reproduced within tolerance."]
    total_row = compared[(compared["measure"] == "looked_after_total") & (compared["year"] == last)]
    counts = shown["counts"]
    if str(last) in counts.display.index:
        shown_total = counts.display.loc[str(last), "Total"]
        published = (
            ""
            if total_row.empty or pd.isna(total_row["published"].iloc[0])
            else f" (published, scaled: {total_row['published'].iloc[0]:,.0f})"
        )
        points.append(f"Children looked after on 31 July {last} in {area.name}: {shown_total}{published}.")
    misses = compared[compared["within_tolerance"].eq(False) & ~shown["comparison"].suppressed["n"].to_numpy()]
    if len(misses):
        listed = "; ".join(f"{r.measure} {r.breakdown} {r.year}" for r in misses.head(5).itertuples())
        points.append(f"Outside tolerance: {listed}" + (" and more" if len(misses) > 5 else "") + ".")
    if comparison["year"].between(period.first_year, period.last_year).sum() == 0:
        points.append("No published figure falls in the years loaded: nothing could be compared.")
    report.texts["key_points"] = "\n".join(f"- {p}" for p in points)
    report.texts["summary"] = (
        f"{within} of {int(judged.sum())} published Scottish figures reproduced within tolerance "
        f"({len(comparison) - int(judged.sum())} outside the years loaded, not computable or not comparable)."
    )
    report.texts["judged"] = int(judged.sum())
    report.texts["within"] = within


def _results(report: CalibrationReport, compared, hidden, policy: DisclosurePolicy) -> dict:
    records = compared.drop(columns=["source_url"]).astype(object)
    for column in ["n", "synthetic", "se", "difference", "within_tolerance"]:
        records.loc[hidden, column] = CONFIDENTIAL
    records = records.where(pd.notna(records), None)
    records["n"] = [v if v in (None, CONFIDENTIAL) else int(v) for v in records["n"]]
    plain = [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in records.to_dict("records")]
    return {
        "compared": report.texts["judged"],
        "within_tolerance": report.texts["within"],
        "count_scale": report.count_scale,
        "synthetic": report.synthetic,
        "area": {
            "name": report.area.name,
            "all_scotland": report.area.is_scotland,
            "local_authorities": list(report.area.codes),
        },
        "period": {"first_year": report.period.first_year, "last_year": report.period.last_year},
        "comparison": plain,
        "disclosure": {"threshold": policy.threshold, "symbol": CONFIDENTIAL},
    }


def draw(report: CalibrationReport, name: str):
    """The figure ``name`` as (matplotlib figure, alt text), or None when there is nothing to draw."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    data = report.figures.get(name)
    label = "Synthetic" if report.synthetic else "Computed"
    if data is None or data.drop(columns=["year"], errors="ignore").isna().all().all() or len(data) == 0:
        return None
    if name in ("totals", "home_share"):
        fig, ax = plt.subplots(figsize=(8, 4))
        ax.plot(data["year"], data["computed"], marker="o", label=label)
        ax.scatter(
            data["year"],
            data["published"],
            color="black",
            s=80,
            marker="X",
            zorder=3,
            label="Published (scaled)" if name == "totals" else "Published",
        )
        ax.set_xticks(data["year"])
        what = (
            "Children looked after at 31 July"
            if name == "totals"
            else "Share of looked-after children at home with parents"
        )
        ax.set(
            title=f"{what}, {report.area.name}",
            xlabel="Year ending 31 July",
            ylabel="Children" if name == "totals" else "Percent of looked-after children",
        )
        if name == "home_share":
            ax.set_ylim(0, 50)
        ax.legend()
        alt = (
            f"{what} by year ending 31 July, {data['year'].min()} to {data['year'].max()}: {label.lower()} figures "
            f"as a line, published figures as crosses; years whose counts are suppressed in the table are left out."
        )
        return fig, alt
    if name == "education":
        long = data.melt(
            id_vars=["measure", "breakdown"], value_vars=["published", "computed"], var_name="source", value_name="rate"
        )
        grid = sns.catplot(
            data=long,
            y="breakdown",
            x="rate",
            hue="source",
            col="measure",
            kind="bar",
            sharex=False,
            height=4,
            aspect=1.3,
        )
        grid.set_titles("{col_name}")
        grid.set_axis_labels("Rate (percent of sessions / exclusions per 1,000 pupils)", "Placement type")
        years = ", ".join(str(y) for y in sorted(data["year"].unique()))
        grid.figure.suptitle(f"Education outcomes by placement type, published and {label.lower()} ({years})", y=1.04)
        alt = (
            f"Bar charts of attendance and exclusion rates by placement type, published beside {label.lower()}, "
            f"for the year(s) {years}; placement types resting on a suppressed count are left out."
        )
        return grid.figure, alt
    raise KeyError(f"no figure named {name!r}")


def show(report: CalibrationReport, *names: str) -> None:
    """Show tables and figures of the report by name, in order (what cannot be drawn is skipped)."""
    from lac_outcomes import display

    for name in names:
        if name in report.tables:
            display.show_table(report.tables[name], report.captions[name], name=name)
        else:
            drawn = draw(report, name)
            if drawn is not None:
                display.show_figure(*drawn)
