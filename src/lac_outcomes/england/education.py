"""England's education outcomes: Care Matters NI 99, 100 and 101, today's DfE measures, and a model by placement.

The pipeline's ``clean_england_pupils`` step is :func:`clean_education`: it
checks the linked pupil table (``lac_outcomes.england.pupils.clean_pupils``),
links each pupil to the cleaned 903 returns (looked-after status as the DfE
defines it for these statistics, placement type at 31 March, moves, time in
care, age at entry) and writes ``pupils.parquet``, ``quarantine.parquet`` and
``quality.json`` to its own folder.

The report (``notebooks/education_england.py``) takes :func:`build`:

* **indicators** by LA (the LA that looks after the child, as the DfE
  publishes) and year: NI 99 (KS2 level 4+ English), NI 100 (KS2 level 4+
  maths), NI 101 (KS4 5+ A*-C including English and maths), and the measures
  that replaced them (KS2 expected standard in reading, writing and maths;
  KS4 grade 4+ in English and maths; Attainment 8), each a plain count over
  pupils with a result in the measure's era;
* the **national series** with the 2011 targets (60%, 55%, 20%), beside pupils
  not looked after;
* a **logistic model** of the KS4 threshold measure (NI 101's measure until
  2016, grade 4+ in English and maths from 2017) on looked-after pupils, with
  placement type, years in care, placement moves, age at entry, SEN, year and
  LA fixed effects; marginal predictions by placement; diagnostics; the
  planted-truth check.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from lac_outcomes.columns import write as write_clean
from lac_outcomes.disclosure import DisclosurePolicy
from lac_outcomes.england.pupils import PLACEMENT_ORDER, REFERENCE_PLACEMENT, clean_pupils, link
from lac_outcomes.io import read_yaml

log = logging.getLogger(__name__)

# measure: (label, key stage, numerator rule, era test on the pupil row)
MEASURES = {
    "NI99": "NI 99: KS2 level 4 or above in English",
    "NI100": "NI 100: KS2 level 4 or above in maths",
    "NI101": "NI 101: KS4 5+ GCSEs A*-C or equivalent incl. English and maths",
    "KS2_RWM": "KS2 expected standard in reading, writing and maths",
    "KS4_EM4": "KS4 grade 4 or above in English and maths",
}
TARGETS_2011 = {"NI99": 60.0, "NI100": 55.0, "NI101": 20.0}  # Care Matters: Time to Deliver (DCSF 2008)
GROUP_LABELS = {"looked_after": "Looked after 12 months+", "not_looked_after": "Not looked after"}
MODEL_TERMS = ("years_in_care", "moves", "age_at_entry")
# Fewer pupils than this cannot carry placement, SEN, year and LA terms (the fit separates or fails to converge).
MIN_MODEL_ROWS = 150
MIN_PLACEMENT_ROWS = 30


def clean_education(pupils_path: Path, england_dir: Path, out_dir: Path, *, flag_share: float = 0.02):
    """The ``clean_england_pupils`` step: checked, linked pupils into ``out_dir`` (parquet + quality record)."""
    from lac_outcomes.io import read_parquet

    england_dir = Path(england_dir)
    header = read_parquet(england_dir / "Header.parquet")
    episodes = read_parquet(england_dir / "Episodes.parquet")
    result = clean_pupils(Path(pupils_path), header=header, flag_share=flag_share)
    result.tables["pupils"] = link(result.tables["pupils"], header, episodes)
    counts = result.tables["pupils"]["group"].value_counts().to_dict()
    result.extra["groups"] = {k: int(v) for k, v in counts.items()}
    log.info("pupils: %s", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    write_clean(result, Path(out_dir))
    return result


def measure_rows(pupils: pd.DataFrame) -> pd.DataFrame:
    """One row per pupil per measure with a result: ``measure``, ``achieved`` (0/1) or ``score`` (Attainment 8)."""
    ks2, ks4 = pupils["KEY_STAGE"] == "KS2", pupils["KEY_STAGE"] == "KS4"
    parts = []

    def add(measure, mask, achieved):
        part = pupils.loc[mask].assign(measure=measure, achieved=achieved[mask].astype(int))
        parts.append(part)

    eng, mat = pupils["KS2_ENG_LEVEL"].astype("Float64"), pupils["KS2_MAT_LEVEL"].astype("Float64")
    add("NI99", ks2 & eng.notna(), (eng >= 4).fillna(False))
    add("NI100", ks2 & mat.notna(), (mat >= 4).fillna(False))
    five = pupils["KS4_5AC_EM"].astype("Float64")
    add("NI101", ks4 & five.notna(), (five == 1).fillna(False))
    read, maths = pupils["KS2_READ_SCALED"].astype("Float64"), pupils["KS2_MAT_SCALED"].astype("Float64")
    writing = pupils["KS2_WRIT_TA"]
    # Expected standard in all three: a pupil counts in the cohort with any of the three results (as the DfE
    # counts every eligible pupil); a missing result is not the expected standard.
    has_ks2 = ks2 & (read.notna() | maths.notna() | writing.notna())
    rwm = (read >= 100).fillna(False) & (maths >= 100).fillna(False) & writing.isin(["EXS", "GDS"])
    add("KS2_RWM", has_ks2, rwm)
    grade4 = pupils["KS4_EM_GRADE4"].astype("Float64")
    add("KS4_EM4", ks4 & grade4.notna(), (grade4 == 1).fillna(False))
    return pd.concat(parts, ignore_index=True)


def indicator_counts(pupils: pd.DataFrame) -> pd.DataFrame:
    """Looked-after pupils achieving each measure and the cohort, by LA (the 903's) and year."""
    rows = measure_rows(pupils.loc[pupils["group"] == "looked_after"])
    grouped = rows.groupby(["measure", "LA_903", "RESULT_YEAR"])["achieved"].agg(achieved="sum", pupils="size")
    out = grouped.reset_index().rename(columns={"LA_903": "LA", "RESULT_YEAR": "YEAR"})
    out["rate"] = 100 * out["achieved"] / out["pupils"]
    return out


def national_series(pupils: pd.DataFrame) -> pd.DataFrame:
    """National rate of each measure by year, looked after and not looked after, with Attainment 8 means."""
    rows = measure_rows(pupils.loc[pupils["group"].isin(GROUP_LABELS)])
    grouped = rows.groupby(["measure", "RESULT_YEAR", "group"])["achieved"].agg(achieved="sum", pupils="size")
    out = grouped.reset_index().rename(columns={"RESULT_YEAR": "YEAR"})
    out["rate"] = 100 * out["achieved"] / out["pupils"]
    return out


def attainment8(pupils: pd.DataFrame) -> pd.DataFrame:
    """Mean Attainment 8 by year and group (pupils with a score), with the standard deviation for funnels."""
    has = pupils["KS4_ATT8"].notna() & pupils["group"].isin(GROUP_LABELS)
    grouped = pupils.loc[has].groupby(["RESULT_YEAR", "group"])["KS4_ATT8"]
    out = grouped.agg(pupils="size", mean="mean", sd="std").reset_index().rename(columns={"RESULT_YEAR": "YEAR"})
    return out


# --------------------------------------------------------------------------------------------- the model


def model_frame(pupils: pd.DataFrame) -> pd.DataFrame:
    """Looked-after KS4 pupils with the threshold measure of their year and complete covariates."""
    ks4 = pupils.loc[(pupils["group"] == "looked_after") & (pupils["KEY_STAGE"] == "KS4")].copy()
    threshold = ks4["KS4_EM_GRADE4"].astype("Float64").fillna(ks4["KS4_5AC_EM"].astype("Float64"))
    ks4["threshold"] = threshold
    ks4["sen"] = ks4["SEN"].replace({"S": "E"})
    ks4["la_code"] = ks4["LA_903"]
    ks4["year"] = ks4["RESULT_YEAR"].astype(str)
    need = ["threshold", "placement_type", "sen", *MODEL_TERMS]
    data = ks4.dropna(subset=need).copy()
    data["threshold"] = data["threshold"].astype(int)
    for column in MODEL_TERMS:
        data[column] = data[column].astype(float)
    return data.reset_index(drop=True)


def model_formula(data: pd.DataFrame) -> str:
    from lac_outcomes.scotland.models import reference_la

    terms = [f"C(placement_type, Treatment({REFERENCE_PLACEMENT!r}))", *MODEL_TERMS, "C(sen, Treatment('N'))"]
    if data["year"].nunique() > 1:
        terms.append("C(year)")
    if data["la_code"].nunique() > 1:
        terms.append(f"C(la_code, Treatment({reference_la(data)!r}))")
    return "threshold ~ " + " + ".join(terms)


def fit_model(data: pd.DataFrame, cluster: str = "auto"):
    """Logistic GLM, cluster-robust by LA when there are 20 or more LAs, otherwise robust (HC1) by pupil.

    Coefficients are population-averaged within LA (LA fixed effects), on the log-odds scale.
    """
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    from lac_outcomes.scotland.models import choose_cluster
    from lac_outcomes.stats import logistic_maximum

    chosen = choose_cluster(data, cluster)
    model = smf.glm(model_formula(data), data, family=sm.families.Binomial())
    # Newton from statsmodels' own start first takes IRLS steps on the dense design; from the maximum found
    # on the sparse design (LA and year indicators) it stops after one step, at the same estimates.
    start = logistic_maximum(model.exog, model.endog)
    if chosen == "la":
        groups = pd.factorize(data["la_code"])[0]
        return model.fit(start_params=start, method="newton", cov_type="cluster", cov_kwds={"groups": groups})
    return model.fit(start_params=start, method="newton", cov_type="HC1")


def readable_term(term: str) -> str:
    if term.startswith("C(placement_type"):
        return "placement: " + term.split("[T.", 1)[1].rstrip("]")
    if term.startswith("C(sen"):
        return "SEN: " + {"K": "SEN support", "E": "EHC plan or statement"}[term.split("[T.", 1)[1].rstrip("]")]
    if term.startswith("C(la_code"):
        return "LA: " + term.split("[T.", 1)[1].rstrip("]")
    if term.startswith("C(year"):
        return "year: " + term.split("[T.", 1)[1].rstrip("]")
    return term


def coefficients(result) -> pd.DataFrame:
    from lac_outcomes.scotland.models import coefficients as scot_coefficients

    table = scot_coefficients(result)
    table["term"] = [readable_term(t) for t in result.params.index]
    return table


def planted_comparison(result, truth: dict) -> pd.DataFrame:
    """Each planted coefficient beside its estimate and 95% interval, with whether the interval covers it."""
    model = truth["model"]
    planted = {f"placement: {k}": v for k, v in model["placement_type"].items()}
    planted.update(model["covariates"])
    planted.update({readable_term(f"C(sen)[T.{k}]"): v for k, v in model["sen"].items()})
    table = coefficients(result).set_index("term")
    rows = [
        {
            "term": term,
            "planted": value,
            "estimate": table.loc[term, "estimate"],
            "ci_low": table.loc[term, "ci_low"],
            "ci_high": table.loc[term, "ci_high"],
        }
        for term, value in planted.items()
        if term in table.index
    ]
    out = pd.DataFrame(rows)
    out["covered"] = (out["ci_low"] <= out["planted"]) & (out["planted"] <= out["ci_high"])
    return out


def marginal_predictions(result, data: pd.DataFrame) -> pd.DataFrame:
    """Average predicted % reaching the threshold had every pupil each placement type (delta-method 95% CI)."""
    from lac_outcomes.scotland.models import marginal_predictions as average_predictions

    placements = [p for p in PLACEMENT_ORDER if p in set(data["placement_type"])]
    return average_predictions(result, data, None, placements=placements)


# --------------------------------------------------------------------------------------------- the report


@dataclass
class EnglandEducationReport:
    policy: DisclosurePolicy
    truth: dict | None
    counts: pd.DataFrame
    national: pd.DataFrame
    att8: pd.DataFrame
    data: pd.DataFrame
    la_table: object = None
    national_table: object = None
    att8_table: object = None
    result: object = None
    coefficient_table: pd.DataFrame | None = None
    marginal_table: object = None
    marginal: pd.DataFrame | None = None
    planted: pd.DataFrame | None = None
    binned: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    results: dict = field(default_factory=dict)


def _indicator_tables(counts: pd.DataFrame, national: pd.DataFrame, att8: pd.DataFrame, policy: DisclosurePolicy):
    """The LA, national and Attainment 8 tables, suppressed as one: each national looked-after count is the sum
    of the authorities' counts of its measure and year, so a cell one table hides no other table gives away."""
    from lac_outcomes.disclosure import Linked

    la = counts.assign(label=counts["measure"].map(MEASURES))
    nat = national.sort_values(["measure", "YEAR", "group"]).reset_index(drop=True)
    nat_lac = nat["group"] == "looked_after"

    def keys(frame, column, where, place):
        return [
            (column, m, place(r), y) if ok else None
            for m, y, ok, r in zip(frame["measure"], frame["YEAR"], where, frame.itertuples(), strict=True)
        ]

    options = {"rate_columns": {"rate": ["achieved", "pupils"]}, "complements": {"achieved": "pupils"}}
    everywhere = [True] * len(la)
    tables = {
        "la": Linked(
            la[["label", "LA", "YEAR", "achieved", "pupils", "rate"]].rename(columns={"label": "measure"}),
            ["achieved", "pupils"],
            keys={c: keys(la, c, everywhere, lambda r: r.LA) for c in ("achieved", "pupils")},
            options={**options, "groups": ["measure", "YEAR"]},
        ),
        "national": Linked(
            nat.assign(measure=nat["measure"].map(MEASURES), group=nat["group"].map(GROUP_LABELS))[
                ["measure", "YEAR", "group", "achieved", "pupils", "rate"]
            ],
            ["achieved", "pupils"],
            keys={c: keys(nat, c, nat_lac, lambda r: "England") for c in ("achieved", "pupils")},
            options=options,
        ),
        "att8": Linked(
            att8.assign(group=att8["group"].map(GROUP_LABELS))[["YEAR", "group", "pupils", "mean"]],
            ["pupils"],
            options={"rate_columns": {"mean": "pupils"}},
        ),
    }
    lines = [
        [(column, measure, "England", year), *[(column, measure, la_code, year) for la_code in rows["LA"]]]
        for (measure, year), rows in la.groupby(["measure", "YEAR"])
        for column in ("achieved", "pupils")
    ]
    shown = policy.suppress_together(tables, lines=lines)
    return shown["la"], shown["national"], shown["att8"]


def build(pupils: pd.DataFrame, *, policy: DisclosurePolicy, truth: dict | None, cluster: str = "auto"):
    """Every table, figure input and result of the report, through the one disclosure policy."""
    from lac_outcomes.stats import binned_residuals

    report = EnglandEducationReport(
        policy=policy,
        truth=truth,
        counts=indicator_counts(pupils),
        national=national_series(pupils),
        att8=attainment8(pupils),
        data=model_frame(pupils),
    )
    report.la_table, report.national_table, report.att8_table = _indicator_tables(
        report.counts, report.national, report.att8, policy
    )
    results = {
        "groups": _group_counts(pupils, policy),
        "indicators": _records(report.la_table),
        "national": _records(report.national_table),
    }
    # A placement type with few pupils cannot be estimated (and its estimate would sit beside a suppressed n).
    sizes = report.data["placement_type"].value_counts()
    sparse = sorted(p for p, n in sizes.items() if n < MIN_PLACEMENT_ROWS and p != REFERENCE_PLACEMENT)
    if sparse:
        report.notes.append(
            f"placement types with fewer than {MIN_PLACEMENT_ROWS} pupils are left out of the model: "
            + ", ".join(sparse)
        )
        report.data = report.data[~report.data["placement_type"].isin(sparse)].reset_index(drop=True)
    data = report.data
    enough = len(data) >= MIN_MODEL_ROWS and data["threshold"].nunique() == 2 and data["placement_type"].nunique() > 1
    if enough:
        result = fit_model(data, cluster)
        report.result = result
        report.coefficient_table = coefficients(result)
        counts_by_place = data["placement_type"].value_counts()
        marginal = marginal_predictions(result, data)
        marginal["n"] = marginal["placement_type"].map(counts_by_place).astype(int)
        report.marginal = marginal.set_index("placement_type")
        report.marginal_table = policy.suppress(
            marginal.set_index("placement_type")[["n", "predicted", "ci_low", "ci_high"]],
            ["n"],
            rate_columns={c: "n" for c in ("predicted", "ci_low", "ci_high")},
        )
        report.binned = binned_residuals(result.fittedvalues, data["threshold"])
        results["model"] = {
            "rows": policy.withhold(int(len(data)), len(data) < policy.threshold),
            "formula": model_formula(data),
            "coefficients": report.coefficient_table.round(6).to_dict("records"),
            "pearson_dispersion": float(result.pearson_chi2 / result.df_resid),
        }
        if truth:
            report.planted = planted_comparison(result, truth)
            results["planted_vs_estimated"] = report.planted.round(6).to_dict("records")
            results["coverage"] = {"covered": int(report.planted["covered"].sum()), "total": len(report.planted)}
    else:
        report.notes.append(
            f"the model needs at least {MIN_MODEL_ROWS} looked-after KS4 pupils with both outcomes and more than one "
            f"placement type; these data have {'fewer' if len(data) < MIN_MODEL_ROWS else 'too little variation'}"
        )
    report.results = results
    return report


def _group_counts(pupils: pd.DataFrame, policy: DisclosurePolicy) -> dict:
    counts = pupils["group"].value_counts()
    return {g: policy.withhold(int(n), 0 < n < policy.threshold) for g, n in counts.items()}


def _records(shown) -> list[dict]:
    """A shown table as records, suppressed cells as the symbol (what the HTML shows, nothing more)."""
    return shown.display.reset_index().to_dict("records")


def funnel_points(report: EnglandEducationReport, measure: str, year: int) -> pd.DataFrame:
    """LA points of one measure and year that the table shows (suppressed rows are left out of the figure)."""
    from lac_outcomes.england import funnel

    shown = report.la_table
    mask = ~shown.suppressed["rate"].to_numpy() & ~shown.suppressed["pupils"].to_numpy()
    counts = report.counts.reset_index(drop=True)
    rows = counts.loc[(counts["measure"] == measure) & (counts["YEAR"] == year) & mask]
    if rows.empty:
        return rows
    national = report.national.sort_values(["measure", "YEAR", "group"]).reset_index(drop=True)
    row = national.index[
        (national["measure"] == measure) & (national["YEAR"] == year) & (national["group"] == "looked_after")
    ]
    if report.national_table.suppressed["rate"].to_numpy()[row].any():  # the centre line would show a hidden rate
        return rows.iloc[0:0]
    centre = float(national.loc[row, "achieved"].sum() / national.loc[row, "pupils"].sum())
    points = rows.assign(value=rows["achieved"] / rows["pupils"], denominator=rows["pupils"])
    return funnel.classify(points, "proportion", centre).assign(centre=centre)


def load(processed_dir: str | Path) -> pd.DataFrame:
    from lac_outcomes.io import read_parquet

    return read_parquet(Path(processed_dir) / "pupils.parquet")


def read_truth(path: str | Path | None) -> dict | None:
    if not path or not Path(path).is_file():
        return None
    return read_yaml(path)


# --------------------------------------------------------------------------------------------- figures
# Each draws only what a table of the report shows (suppressed cells are left out), and returns (figure, alt text).


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _shown(shown, value_column: str) -> pd.Series:
    return ~shown.suppressed[value_column].to_numpy()


def series_figure(report: EnglandEducationReport):
    """National series of each measure, looked after and not, with the 2011 targets on NI 99, 100, 101."""
    plt = _pyplot()
    table = report.national.sort_values(["measure", "YEAR", "group"]).reset_index(drop=True)
    table = table.loc[_shown(report.national_table, "rate")]
    measures = [m for m in MEASURES if m in set(table["measure"])]
    if not measures:
        fig, ax = plt.subplots(figsize=(8, 1.5))
        ax.axis("off")
        ax.text(0.5, 0.5, "No national rate large enough to show", ha="center", va="center")
        return fig, "No national rate large enough to show."
    fig, axes = plt.subplots(1, len(measures), figsize=(4.2 * len(measures), 4), squeeze=False)
    alt = []
    for ax, measure in zip(axes[0], measures, strict=True):
        rows = table[table["measure"] == measure]
        for group, colour in (("looked_after", "#b2182b"), ("not_looked_after", "#2166ac")):
            line = rows[rows["group"] == group].sort_values("YEAR")
            ax.plot(line["YEAR"], line["rate"], marker="o", color=colour, label=GROUP_LABELS[group])
            alt.append(
                f"{MEASURES[measure]}, {GROUP_LABELS[group].lower()}: "
                + ", ".join(f"{y} {r:.1f}%" for y, r in zip(line["YEAR"], line["rate"], strict=True))
            )
        if measure in TARGETS_2011:
            ax.axhline(TARGETS_2011[measure], color="black", linestyle="--", label="2011 target")
            alt.append(f"2011 target for {measure}: {TARGETS_2011[measure]:.0f}%")
        ax.set(title=MEASURES[measure].split(":")[0], xlabel="Result year", ylabel="% of pupils", ylim=(0, 100))
        ax.set_xticks(sorted(rows["YEAR"].unique()))
        ax.tick_params(axis="x", rotation=45)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    return fig, "National series. " + "; ".join(alt) + "."


def funnel_figure(report: EnglandEducationReport, measure: str, year: int):
    """LA rates of one measure and year against the national rate, with 95% and 99.8% limits."""
    from lac_outcomes.england import funnel

    plt = _pyplot()
    points = funnel_points(report, measure, year)
    title = f"{MEASURES[measure]}, {year}"
    fig, ax = plt.subplots(figsize=(7, 4.5))
    if points.empty:
        ax.axis("off")
        ax.text(0.5, 0.5, f"{title}: no LA large enough to show", ha="center", va="center")
        return fig, f"{title}: no local authority large enough to show."
    centre = float(points["centre"].iloc[0])
    lines = funnel.curve("proportion", centre, max(float(points["pupils"].max()), 10.0) * 1.1)
    for level, style in ((0.95, "--"), (0.998, ":")):
        ax.plot(lines["n"], 100 * lines[f"lower_{level:g}"], color="0.35", linestyle=style, linewidth=1)
        ax.plot(lines["n"], 100 * lines[f"upper_{level:g}"], color="0.35", linestyle=style, linewidth=1)
    ax.axhline(100 * centre, color="black", linewidth=1)
    if measure in TARGETS_2011:
        ax.axhline(TARGETS_2011[measure], color="#b2182b", linestyle="-.", label="2011 target")
        ax.legend(fontsize=8)
    ax.scatter(points["pupils"], 100 * points["value"], color="#2166ac", edgecolor="black", zorder=3)
    ax.set(title=title, xlabel="Looked-after pupils with a result", ylabel="% achieving", ylim=(0, 100))
    outside = points["position"].str.startswith(("above", "below")).sum()
    return fig, (
        f"Funnel plot of {title}: {len(points)} local authorities shown against the national rate "
        f"{100 * centre:.1f}% with 95% and 99.8% limits; {outside} outside the 95% limits."
    )


def marginal_figure(report: EnglandEducationReport):
    plt = _pyplot()
    shown = report.marginal_table
    fig, ax = plt.subplots(figsize=(8, 3.5))
    if shown is None:
        ax.axis("off")
        ax.text(0.5, 0.5, "Model not fitted on these data", ha="center", va="center")
        return fig, "Model not fitted on these data."
    keep = _shown(shown, "predicted")
    frame = report.marginal.loc[keep]
    error = [frame["predicted"] - frame["ci_low"], frame["ci_high"] - frame["predicted"]]
    ax.errorbar(frame["predicted"], frame.index, xerr=error, fmt="o", color="black")
    ax.set(title="KS4 threshold measure: adjusted prediction by placement type", xlabel="% (95% CI)", ylabel="")
    values = "; ".join(f"{p} {v:.1f}%" for p, v in frame["predicted"].items())
    return fig, f"Marginal predicted percentage reaching the KS4 threshold by placement type: {values}."


def residual_figure(report: EnglandEducationReport):
    plt = _pyplot()
    binned = report.binned
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(binned["fitted"], binned["band"], color="grey", linestyle="--")
    ax.plot(binned["fitted"], -binned["band"], color="grey", linestyle="--")
    ax.scatter(binned["fitted"], binned["residual"], color="black")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set(title="Binned residuals (dashed: +/- 2 SE)", xlabel="Fitted probability", ylabel="Observed minus fitted")
    inside = int((binned["residual"].abs() <= binned["band"]).sum())
    return fig, (
        f"Binned residuals of the KS4 model in {len(binned)} bins of the fitted probability; {inside} of "
        f"{len(binned)} inside +/- 2 standard errors."
    )


# --------------------------------------------------------------------------------------------- the two nations

# The contrasts both nations' models estimate against foster care by a carer who is not a relative or friend
# (England: U4-U6; Scotland: foster carers provided by the LA): (England's placement, Scotland's placement).
SIDE_BY_SIDE = {
    "At home with parents (Scotland) / placed with parents (England)": ("Placed with parents", "at_home_with_parents"),
    "With friends or relatives / foster care with a relative or friend": (
        "Foster: relative or friend",
        "with_friends_relatives",
    ),
    "LA children's home (Scotland) / any residential care (England)": ("Residential", "la_home"),
}


def scotland_attainment_fit(scotland_dir: str | Path, min_level_rows: int = 30):
    """Scotland's attainment model (SCQF level 5 or better at leaving), as its report fits it; None without data."""
    from lac_outcomes.scotland import models
    from lac_outcomes.scotland.education import load_tables

    if not scotland_dir or not (Path(scotland_dir) / "leavers.parquet").is_file():
        return None, None
    tables = load_tables(scotland_dir)
    frame = models.education_frame(
        tables["children"], tables["episodes"], tables["pupils"], tables["leavers"], "attainment"
    )
    data, _ = models.model_rows(frame, "attainment", min_level_rows)
    if len(data) < MIN_MODEL_ROWS or data["placement_type"].nunique() < 2:
        return None, data
    return models.fit_education_model(data, "attainment", cluster=models.choose_cluster(data, "auto")), data


def side_by_side(report: EnglandEducationReport, scotland_result, scotland_data, min_rows: int = 30) -> pd.DataFrame:
    """Odds ratios against foster care, England's KS4 threshold beside Scotland's SCQF level 5, with 95% CIs.

    No counts: a contrast is shown only where both groups hold ``min_rows`` rows in both nations' models, and
    withheld (``c``) otherwise.
    """
    from lac_outcomes.disclosure import CONFIDENTIAL
    from lac_outcomes.scotland.models import REFERENCE_PLACEMENT as SCOTTISH_REFERENCE
    from lac_outcomes.scotland.models import coefficients as scottish_coefficients

    rows = []
    english = report.coefficient_table.set_index("term") if report.result is not None else None
    scottish = scottish_coefficients(scotland_result).set_index("term") if scotland_result is not None else None
    english_n = report.data["placement_type"].value_counts() if english is not None else pd.Series(dtype=int)
    scottish_n = scotland_data["placement_type"].value_counts() if scottish is not None else pd.Series(dtype=int)
    for label, (england_place, scotland_place) in SIDE_BY_SIDE.items():
        row = {"contrast (against foster care)": label}
        for nation, table, term, counts, pair in (
            ("England", english, f"placement: {england_place}", english_n, (england_place, REFERENCE_PLACEMENT)),
            (
                "Scotland",
                scottish,
                f"placement_type[{scotland_place}]",
                scottish_n,
                (scotland_place, SCOTTISH_REFERENCE),
            ),
        ):
            enough = table is not None and term in table.index and all(counts.get(p, 0) >= min_rows for p in pair)
            for part, column in (("odds ratio", "estimate"), ("CI low", "ci_low"), ("CI high", "ci_high")):
                row[f"{nation} {part}"] = round(float(np.exp(table.loc[term, column])), 2) if enough else CONFIDENTIAL
        rows.append(row)
    return pd.DataFrame(rows).set_index("contrast (against foster care)")
