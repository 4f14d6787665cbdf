"""The education outcome report: every table, figure's data, text and results.json content it shows.

:func:`build` reads the processed tables, fits the outcome's models
(:mod:`lac_outcomes.scotland.models`, as :mod:`lac_outcomes.scotland.outcomes`
specifies them) and returns an :class:`EducationReport`.  Tables are
:class:`~lac_outcomes.disclosure.SuppressedTable` from one
:class:`~lac_outcomes.disclosure.DisclosurePolicy`; each figure is drawn from
the rows its table shows; ``results`` carries what the tables show, with the
policy's symbol where they show one.  The notebook only narrates and calls.

It works on any data in the layout: text about the synthetic data and the
planted-truth sections appear only when the data are synthetic (or an
external truth file is given); the geography is "Scotland" only when every
authority is loaded; what cannot be estimated on a small population is said,
not raised.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from statsmodels.tools.sm_exceptions import PerfectSeparationError

from lac_outcomes.disclosure import CONFIDENTIAL, DisclosurePolicy, SuppressedTable
from lac_outcomes.io import read_parquet, read_yaml
from lac_outcomes.scotland import models
from lac_outcomes.scotland.areas import Area, la_name
from lac_outcomes.scotland.layout import LOCAL_AUTHORITIES
from lac_outcomes.scotland.outcomes import (
    PLACEMENT_LABELS,
    PLACEMENT_ORDER,
    REFERENCE_PLACEMENT,
    Outcome,
)
from lac_outcomes.scotland.outcomes import (
    outcome as get_outcome,
)
from lac_outcomes.stats import binned_residuals

TABLES = ("children", "episodes", "pupils", "leavers")
GENERATOR = "lac_outcomes.scotland.simulate.simulate_scotland"
# Figures draw a group only when it rests on at least this many rows (and the policy shows it).
MIN_FIGURE_ROWS = 30
TREND_GROUPS = ("at_home_with_parents", "with_foster_carers_la", "all_looked_after", "pupils_not_looked_after")


# --------------------------------------------------------------------------
# inputs and setting
# --------------------------------------------------------------------------
def load_tables(processed_dir: str | Path) -> dict[str, pd.DataFrame]:
    processed = Path(processed_dir)
    return {name: read_parquet(processed / f"{name}.parquet") for name in TABLES}


def read_truth(truth_path: str | Path | None) -> dict | None:
    """The planted values (the generator's truth.yaml, or any YAML file in its shape); None when not given."""
    if not truth_path:
        return None
    path = Path(truth_path)
    if not path.is_file():
        raise ValueError(f"{path}: truth file not found (truth_path names a YAML file of planted values)")
    try:
        truth = read_yaml(path)
    except yaml.YAMLError as error:
        raise ValueError(f"{path}: not valid YAML ({str(error).splitlines()[0]})") from None
    if not isinstance(truth, dict) or not isinstance(truth.get("education"), dict):
        raise ValueError(f"{path}: no 'education' section: not a truth file in the shape of the generator's truth.yaml")
    return truth


@dataclass(frozen=True)
class Setting:
    """Where and when the data come from, and whether they are the synthetic default."""

    synthetic: bool
    truth_source: str | None  # "synthetic generator", "external truth file" or None
    la_codes: tuple[str, ...]
    first_year: int
    last_year: int
    period_note: str = ""

    @property
    def area(self) -> Area:
        return Area(self.la_codes)

    @property
    def all_of_scotland(self) -> bool:
        return self.area.is_scotland

    @property
    def geography(self) -> str:
        """ "Scotland" when every authority is loaded, else the authorities by name."""
        return self.area.name

    @property
    def la_names(self) -> list[str]:
        return [la_name(code) for code in self.la_codes]

    @property
    def period(self) -> str:
        first, last = self.first_year, self.last_year
        return f"school years {first - 1}/{str(first)[-2:]} to {last - 1}/{str(last)[-2:]}"


def setting_of(tables: dict, truth: dict | None, *, synthetic=None, first_year=None, last_year=None) -> Setting:
    """The setting of a run: synthetic when the truth file is the project generator's (unless ``synthetic`` says)."""
    generated = bool(truth) and truth.get("generator") == GENERATOR
    synthetic = generated if synthetic is None else bool(synthetic)
    source = None if truth is None else ("synthetic generator" if generated else "external truth file")
    if synthetic and truth and truth.get("local_authorities"):
        codes = [str(c) for c in truth["local_authorities"]]
    else:
        codes = sorted(str(c) for c in tables["children"]["la_code"].dropna().unique())
    note = ""
    if first_year is None or last_year is None:
        if truth and truth.get("years"):
            years = [int(y) for y in truth["years"]]
        else:
            column = pd.concat([tables["pupils"]["school_year"], tables["leavers"]["leaver_year"]]).dropna()
            years = [int(column.min()), int(column.max())] if len(column) else [0, 0]
            note = "the configured years were not passed to this report, so the period is the years found in the data"
        first_year = years[0] if first_year is None else first_year
        last_year = years[-1] if last_year is None else last_year
    return Setting(synthetic, source, tuple(codes), int(first_year), int(last_year), note)


# --------------------------------------------------------------------------
# the report
# --------------------------------------------------------------------------
@dataclass
class EducationReport:
    """Everything the education notebook shows, disclosure-controlled."""

    outcome: Outcome
    setting: Setting
    policy: DisclosurePolicy
    heading: str
    overview: str
    population_notes: str
    rates: SuppressedTable
    rates_caption: str
    rates_figure: pd.DataFrame
    trend: SuppressedTable
    trend_caption: str
    trend_figure: pd.DataFrame
    method: str
    cannot_estimate: list[str] = field(default_factory=list)
    fit_note: str = ""
    coefficients: SuppressedTable | None = None
    coefficients_caption: str = ""
    effects_figure: pd.DataFrame | None = None
    marginal: SuppressedTable | None = None
    marginal_caption: str = ""
    marginal_figure: pd.DataFrame | None = None
    comparison_rate: float | None = None
    diagnostics: str = ""
    binned: pd.DataFrame | None = None
    residuals_by_placement: pd.DataFrame | None = None
    subject_specific: str = ""
    subject_specific_table: SuppressedTable | None = None
    subject_specific_caption: str = ""
    planted: str = ""
    planted_table: SuppressedTable | None = None
    planted_caption: str = ""
    planted_summary: str = ""
    limitations: str = ""
    appendix: str = ""
    left_out: str = ""  # said where a model section is empty
    headline: dict = field(default_factory=dict)  # adjusted prediction at home and in LA foster care, where shown
    key_points: str = ""
    summary: str = ""
    results: dict = field(default_factory=dict)


def build(
    tables: dict,
    outcome: str,
    *,
    policy: DisclosurePolicy,
    truth: dict | None = None,
    cluster: str = "pupil",
    min_level_rows: int = 30,
    synthetic: bool | None = None,
    first_year: int | None = None,
    last_year: int | None = None,
    child_random_intercept: bool = True,
) -> EducationReport:
    """The report of one outcome on ``tables`` (from :func:`load_tables`)."""
    spec = get_outcome(outcome)
    setting = setting_of(tables, truth, synthetic=synthetic, first_year=first_year, last_year=last_year)
    frame = models.education_frame(tables["children"], tables["episodes"], tables["pupils"], tables["leavers"], outcome)
    data, excluded = models.model_rows(frame, outcome, min_level_rows=min_level_rows)
    rates, rates_frame = _rates_table(frame, spec, policy)
    trend, trend_frame = _trend_table(frame, spec, policy)
    report = EducationReport(
        outcome=spec,
        setting=setting,
        policy=policy,
        heading=f"# Education outcomes of looked-after children by placement type: {spec.title} ({setting.geography})",
        overview=_overview(spec, setting, frame, data),
        population_notes="",
        rates=rates,
        rates_caption=f"{spec.label}, by placement type, {setting.period} (unadjusted)",
        rates_figure=rates_frame,
        trend=trend,
        trend_caption=f"{spec.label}, by school year",
        trend_figure=trend_frame,
        method=_method(spec, data, cluster),
    )
    notes, excluded_shown = _exclusion_notes(frame, data, excluded, spec, policy, min_level_rows)
    report.population_notes = "\n".join(f"- {n}" for n in notes)
    report.cannot_estimate = _why_not_estimable(data, spec)
    results = _base_results(report, data, excluded_shown, cluster)
    if not report.cannot_estimate:
        try:
            result = models.fit_education_model(data, outcome, cluster=cluster)
        except (np.linalg.LinAlgError, ValueError, ZeroDivisionError, PerfectSeparationError) as error:
            report.cannot_estimate.append(
                f"the model could not be fitted on these data ({type(error).__name__}: {error})"
            )
        else:
            _model_sections(report, result, data, cluster, results)
            if spec.child_random_intercept and child_random_intercept:
                _subject_specific_section(report, data, truth, results, result)
            if truth is not None:
                _planted_section(report, result, data, truth, cluster, results)
    if report.cannot_estimate:
        results["cannot_estimate"] = report.cannot_estimate
        report.left_out = "Left out: the model could not be estimated on these data (see Method)."
        if truth is not None and not report.planted:
            report.planted = "## Planted-truth check\n\n" + report.left_out
    if truth is None:
        report.planted = (
            "## Planted-truth check\n\nLeft out: no truth file was given with these data, so there are no planted "
            "values to compare with."
            if not setting.synthetic
            else "## Planted-truth check\n\nLeft out: no truth file was given."
        )
    report.limitations = _limitations(spec, setting)
    report.appendix = _appendix(spec, data)
    report.key_points, report.summary = _key_points(report, results)
    report.results = results
    return report


# --------------------------------------------------------------------------
# descriptive tables
# --------------------------------------------------------------------------
def _rates_table(frame: pd.DataFrame, spec: Outcome, policy: DisclosurePolicy):
    rates = models.descriptive_rates(frame, spec.name)
    # The placement rows add up to "all looked after": one line for secondary suppression.
    rates["adds up"] = np.where(rates["group"] == "pupils_not_looked_after", None, "looked after")
    table = rates.assign(group=rates["group"].map(PLACEMENT_LABELS)).set_index("group")
    table = table.rename(columns={"rate": spec.unit_label})
    if spec.counts_children:
        # Leavers with and without the outcome are both counts of children: protect both.
        table = table.rename(columns={"with_outcome": "leavers with it"})
        counts = ["n", "leavers with it"]
        shown = policy.suppress(
            table,
            counts,
            rate_columns={spec.unit_label: counts},
            complements={"leavers with it": "n"},
            groups=["adds up"],
        )
    else:
        table = table.drop(columns="with_outcome")
        shown = policy.suppress(table, ["n"], rate_columns={spec.unit_label: "n"}, groups=["adds up"])
    shown.display = shown.display.drop(columns="adds up")
    shown.suppressed = shown.suppressed.drop(columns="adds up")
    hidden = shown.suppressed[spec.unit_label].to_numpy()
    plotted = rates[(rates["n"] >= max(policy.threshold, MIN_FIGURE_ROWS)) & ~hidden].copy()
    plotted["label"] = plotted["group"].map(PLACEMENT_LABELS)
    return shown, plotted


def _trend_table(frame: pd.DataFrame, spec: Outcome, policy: DisclosurePolicy):
    """The outcome by school year for at home, LA foster care, all looked after and the comparison sample."""
    looked_after = frame[frame["looked_after"] == "Y"]
    members = {
        "at_home_with_parents": looked_after[looked_after["placement_type"] == "at_home_with_parents"],
        "with_foster_carers_la": looked_after[looked_after["placement_type"] == "with_foster_carers_la"],
        "all_looked_after": looked_after,
        "pupils_not_looked_after": frame[frame["looked_after"] == "N"],
    }
    rows = []
    for group in TREND_GROUPS:
        for year, rows_of_year in members[group].groupby(spec.year_column):
            with_it = float(rows_of_year[spec.response].sum()) if spec.counts_children else np.nan
            rows.append(
                (PLACEMENT_LABELS[group], int(year), len(rows_of_year), with_it, models.rate(rows_of_year, spec.name))
            )
    table = pd.DataFrame(rows, columns=["group", "year", "n", "with it", spec.unit_label])
    counts = ["n", "with it"] if spec.counts_children else ["n"]
    options = {"complements": {"with it": "n"}} if spec.counts_children else {}
    if not spec.counts_children:
        table = table.drop(columns="with it")
    # Placement rows of a year are part of "all looked after" that year: one line per year.
    table["year group"] = np.where(table["group"].str.startswith("Pupils not"), None, table["year"].astype(str))
    shown = policy.suppress(
        table.set_index(["group", "year"]),
        counts,
        rate_columns={spec.unit_label: counts},
        groups=["year group"],
        **options,
    )
    shown.display = shown.display.drop(columns="year group")
    shown.suppressed = shown.suppressed.drop(columns="year group")
    hidden = shown.suppressed[spec.unit_label].to_numpy()
    plotted = table[(table["n"] >= max(policy.threshold, MIN_FIGURE_ROWS)) & ~hidden].drop(columns="year group")
    return shown, plotted.reset_index(drop=True)


def _exclusion_notes(frame, data, excluded, spec: Outcome, policy: DisclosurePolicy, min_level_rows: int):
    """What was left out of the model, with counts through the policy (notes and results alike)."""
    n_looked_after = int((frame["looked_after"] == "Y").sum())
    notes = [
        f"Looked-after {spec.population}: {n_looked_after:,}; in the model: {len(data):,}.",
        f"Left out for a missing covariate: {excluded['missing']:,}.",
    ]
    if excluded["no_sessions_possible"]:
        notes.append(f"Left out with no sessions possible (no exposure): {excluded['no_sessions_possible']:,}.")
    shown = {"missing": excluded["missing"], "no_sessions_possible": excluded["no_sessions_possible"]}
    sparse = _counts_with_total(excluded["sparse_placement_types"], policy, PLACEMENT_LABELS)
    shown["sparse_placement_types"] = sparse
    if excluded["sparse_placement_types"]:
        notes.append(
            f"Left out because their placement type has fewer than {min_level_rows} rows, or an outcome that never "
            f"varies (its effect cannot be estimated): {', '.join(sparse['names'])} ({_total_text(sparse['total'])} "
            "rows in all; counts by type are not shown)."
        )
    flat = _counts_with_total(excluded["local_authorities_without_variation"], policy, LOCAL_AUTHORITIES)
    shown["local_authorities_without_variation"] = flat
    if excluded["local_authorities_without_variation"]:
        count = len(excluded["local_authorities_without_variation"])
        notes.append(
            "Left out because the outcome never varies in their authority (e.g. no exclusions at all), so the "
            f"authority's effect cannot be estimated: {count} authorit{'y' if count == 1 else 'ies'} "
            f"({', '.join(flat['names'])}; {_total_text(flat['total'])} rows)."
        )
    return notes, shown


def _counts_with_total(counts: dict, policy: DisclosurePolicy, labels: dict) -> dict:
    """Names left out and their total rows, through the policy.

    Counts by name are not given (other tables show most of them, so one of them could be worked out from a
    total); the total is withheld when any count under it is small, so that it cannot complete a line of
    another table that hides that count.
    """
    names = [labels.get(k, k) for k in counts]
    total = int(sum(counts.values()))
    small = policy.rests_on_small_counts(pd.DataFrame({"n": [*counts.values(), total]}), ["n"]).any()
    return {"names": names, "total": CONFIDENTIAL if small else total}


def _total_text(total) -> str:
    return total if total == CONFIDENTIAL else f"{total:,}"


def _why_not_estimable(data: pd.DataFrame, spec: Outcome) -> list[str]:
    reasons = []
    if REFERENCE_PLACEMENT not in set(data["placement_type"].astype(str)):
        reasons.append(
            f"no {spec.population} in the reference placement ({PLACEMENT_LABELS[REFERENCE_PLACEMENT]}) after the "
            "exclusions above, so placement types cannot be compared"
        )
    n_terms = len(spec.terms) + data["placement_type"].nunique() + data["la_code"].nunique()
    # Fewer than 5 rows a coefficient (or 50 in all): the fit would rest on a handful of rows per term.
    if len(data) < max(5 * n_terms, 50):
        reasons.append(f"too few {spec.population} in the model ({len(data):,}) for its {n_terms} coefficients")
    return reasons


# --------------------------------------------------------------------------
# model sections
# --------------------------------------------------------------------------
def _model_sections(report: EducationReport, result, data: pd.DataFrame, cluster: str, results: dict) -> None:
    """Coefficients, marginal predictions and diagnostics of the main model, into the report and results."""
    estimates = _coefficient_section(report, result, data, cluster)
    marginal = _marginal_section(report, result, data)
    dispersion = _diagnostics_section(report, result, data)
    counts = models.placement_counts(data)
    spec, policy = report.outcome, report.policy
    shown_coefficients = _withheld_records(
        estimates.assign(n=estimates["term"].map(counts)),
        policy,
        ["estimate", "std_error", "ci_low", "ci_high", "p_value"],
    )
    results.update(
        coefficients=shown_coefficients,
        estimand=spec.estimand,
        marginal_predictions=_withheld_records(marginal, policy, ["predicted", "ci_low", "ci_high"]),
        diagnostics=dispersion,
        formula=models.formula(
            spec.name, models.model_terms(data, spec.name), reference_la_code=models.reference_la(data)
        ),
    )


def _coefficient_section(report: EducationReport, result, data: pd.DataFrame, cluster: str) -> pd.DataFrame:
    spec, policy = report.outcome, report.policy
    estimates = models.coefficients(result)
    counts = models.placement_counts(data)
    n_las = data["la_code"].nunique()
    report.fit_note = (
        f"Standard errors: cluster-robust by {'child' if cluster == 'pupil' else 'local authority'} "
        f"({len(set(models.cluster_groups(data, cluster))):,} clusters); local authority fixed effects: "
        f"{max(n_las - 1, 0)} (one authority is the reference)."
    )
    shown_terms = estimates[~estimates["term"].str.startswith("la_code[")].copy()
    shown_terms["n"] = shown_terms["term"].map(counts).fillna(len(data)).astype(int)
    # exp() of a coefficient is a rate or odds ratio; of the NB dispersion alpha it means nothing.
    shown_terms[spec.ratio_name] = np.exp(shown_terms["estimate"]).where(shown_terms["term"] != "alpha")
    shown_terms["term"] = _readable_terms(shown_terms["term"])
    value_columns = ["estimate", "ci_low", "ci_high", spec.ratio_name, "p_value"]
    table = shown_terms.set_index("term")[["n", *value_columns]]
    report.coefficients = policy.suppress(table, ["n"], rate_columns={c: "n" for c in value_columns}, decimals=3)
    estimand = "population-averaged" if spec.table == "pupils" else ""
    report.coefficients_caption = (
        f"{spec.label}: {estimand + ' ' if estimand else ''}model coefficients ({spec.link} scale), 95% intervals"
    )
    effects = estimates[estimates["term"].str.startswith("placement_type[")].copy()
    effects = effects[effects["term"].map(counts).fillna(0) >= max(policy.threshold, MIN_FIGURE_ROWS)]
    effects["placement"] = effects["term"].str[len("placement_type[") : -1].map(PLACEMENT_LABELS)
    report.effects_figure = effects.sort_values("estimate").reset_index(drop=True)
    return estimates


def _marginal_section(report: EducationReport, result, data: pd.DataFrame) -> pd.DataFrame:
    spec, policy = report.outcome, report.policy
    marginal = models.marginal_predictions(result, data, spec.name)
    marginal_table = marginal.assign(placement_type=marginal["placement_type"].map(PLACEMENT_LABELS)).set_index(
        "placement_type"
    )
    report.marginal = policy.suppress(
        marginal_table, ["n"], rate_columns={c: "n" for c in ["predicted", "ci_low", "ci_high"]}
    )
    report.marginal_caption = f"{spec.label}: marginal predictions by placement type ({spec.unit}), 95% intervals"
    hidden = report.marginal.suppressed["n"].to_numpy()
    plotted = marginal[(marginal["n"] >= max(policy.threshold, MIN_FIGURE_ROWS)) & ~hidden].copy()
    plotted["placement"] = plotted["placement_type"].map(PLACEMENT_LABELS)
    report.marginal_figure = plotted.reset_index(drop=True)
    comparison = report.rates_figure[report.rates_figure["group"] == "pupils_not_looked_after"]
    report.comparison_rate = float(comparison["rate"].iloc[0]) if len(comparison) else None
    headline = marginal.set_index("placement_type")
    report.headline = {
        p: float(headline.loc[p, "predicted"])
        for p in ["at_home_with_parents", "with_foster_carers_la"]
        if p in headline.index and not report.marginal.suppressed.loc[PLACEMENT_LABELS[p], "n"]
    }
    return marginal


def _diagnostics_section(report: EducationReport, result, data: pd.DataFrame) -> dict:
    spec, policy = report.outcome, report.policy
    counts = models.placement_counts(data)
    dispersion = models.overdispersion(result, spec.name)
    lines = [f"Pearson dispersion: {dispersion['pearson_dispersion']:.2f}"]
    if "alpha" in dispersion:
        low, high = result.conf_int().loc["alpha"]
        dispersion.update(alpha_ci_low=float(low), alpha_ci_high=float(high))
        lines.append(
            f"negative binomial alpha: {dispersion['alpha']:.3f} (95% CI {low:.3f} to {high:.3f}); alpha > 0 means "
            "more variation than Poisson"
        )
    if spec.family == "binomial":
        lines.append(
            "a dispersion far above 1 means attendance varies between pupils more than a binomial allows: the "
            "binomial model-based standard errors would be too small, which is why the report uses cluster-robust "
            "errors"
        )
    converged = bool(result.mle_retvals.get("converged", True)) if getattr(result, "mle_retvals", None) else True
    dispersion["converged"] = converged
    lines.append(f"fit converged: {'yes' if converged else 'NO'}")
    report.diagnostics = "\n".join(f"- {line}" for line in lines)
    residuals = models.pearson_residuals(result, spec.name)
    if spec.family == "logistic":
        report.binned = binned_residuals(residuals["fitted"], data[spec.response].to_numpy(), bins=30)
    else:
        bins = max(1, min(30, len(residuals) // MIN_FIGURE_ROWS))
        residuals["bin"] = pd.qcut(residuals["fitted"].rank(method="first"), bins, labels=False)
        report.binned = (
            residuals.groupby("bin")
            .agg(fitted=("fitted", "mean"), residual=("residual", "mean"))
            .reset_index(drop=True)
        )
    residuals["placement"] = data["placement_type"].astype(str).map(PLACEMENT_LABELS).to_numpy()
    shown_levels = [
        PLACEMENT_LABELS[p]
        for p in PLACEMENT_ORDER
        if counts.get(f"placement_type[{p}]", 0) >= max(policy.threshold, MIN_FIGURE_ROWS)
    ]
    report.residuals_by_placement = residuals[residuals["placement"].isin(shown_levels)][["placement", "residual"]]
    return dispersion


def _withheld_records(frame: pd.DataFrame, policy: DisclosurePolicy, value_columns) -> list[dict]:
    """Rows for results.json: a row whose ``n`` the policy hides has ``n`` and its values withheld."""
    frame = frame.copy()
    if "n" in frame:
        hidden = policy.rests_on_small_counts(frame.assign(n=frame["n"].fillna(0)), ["n"])
        frame["n"] = [None if pd.isna(v) else int(v) for v in frame["n"]]
        for column in ["n", *value_columns]:
            if column in frame:
                frame[column] = [
                    policy.withhold(v, h) for v, h in zip(frame[column].astype(object), hidden, strict=False)
                ]
    return json.loads(frame.to_json(orient="records"))


def _subject_specific_section(
    report: EducationReport, data: pd.DataFrame, truth: dict | None, results: dict, population_averaged
) -> None:
    spec, policy = report.outcome, report.policy
    try:
        # The population-averaged GLM is its start: fitted once, not again.
        fit = models.fit_child_random_intercept(data, spec.name, population_averaged=population_averaged)
    except (np.linalg.LinAlgError, ValueError) as error:
        report.cannot_estimate.append(f"the model with a child random intercept could not be fitted ({error})")
        return
    estimates = models.coefficients(fit)
    counts = models.placement_counts(data)
    table = estimates[~estimates["term"].str.startswith("la_code[")].copy()
    table["n"] = table["term"].map(counts).fillna(len(data)).astype(int)
    columns = ["estimate", "ci_low", "ci_high"]
    comparison = None
    if truth is not None:
        planted = models.planted_education(truth, spec.name, data, kind=models.SUBJECT_SPECIFIC)
        comparison = models.compare_with_planted(estimates, planted, counts)
        comparison["n"] = comparison["n"].fillna(len(data)).astype(int)
        table["planted"] = table["term"].map(planted)
        columns = ["planted", *columns]
    table["term"] = _readable_terms(table["term"])
    report.subject_specific_table = policy.suppress(
        table.set_index("term")[["n", *columns]], ["n"], rate_columns={c: "n" for c in columns}, decimals=3
    )
    report.subject_specific_caption = (
        f"{spec.label}: subject-specific coefficients (child random intercept), 95% intervals"
    )
    text = [
        "## Subject-specific coefficients: a model with a child random intercept",
        "",
        "The same covariates with a random intercept for each child, Normal(0, s^2) on the logit scale: its "
        "coefficients are **subject-specific**, the change in one pupil's log odds of attending, holding the "
        "child's lasting tendency fixed. Fitted by penalized quasi-likelihood (a quasi-binomial variance absorbs "
        "the year-to-year variation), then refined by maximising the quasi-likelihood integrated over the child "
        "effect (Gauss-Hermite quadrature), which removes penalized quasi-likelihood's pull towards zero; standard "
        "errors are cluster-robust by child, from the penalized quasi-likelihood working model "
        "(`lac_outcomes.scotland.models.fit_child_random_intercept`). The population-averaged coefficients above are "
        "smaller in size by roughly 1 / sqrt(1 + 0.35 s^2).",
        "",
        f"Estimated SD of the child intercepts: {fit.child_sd:.2f} (logit scale); quasi-likelihood scale "
        f"{fit.dispersion:.1f}; {fit.n_children:,} children; converged: {'yes' if fit.converged else 'NO'} "
        f"(after {fit.iterations} penalized quasi-likelihood iterations as its start).",
    ]
    if comparison is not None:
        coefficient_rows = comparison[comparison["kind"] == "coefficient"]
        text += [
            "",
            f"{int(coefficient_rows['covered'].sum())} of {len(coefficient_rows)} planted subject-specific "
            "coefficients lie in their 95% interval (the standard errors are approximate: see above).",
        ]
    report.subject_specific = "\n".join(text)
    results["subject_specific"] = {
        "method": (
            "binomial with a child random intercept: penalized quasi-likelihood, refined by the quasi-likelihood "
            "integrated over the child effect (Gauss-Hermite); cluster-robust errors by child from the PQL model"
        ),
        "child_sd": fit.child_sd,
        "dispersion": fit.dispersion,
        "converged": fit.converged,
        "coefficients": _withheld_records(
            estimates.assign(n=estimates["term"].map(counts)),
            policy,
            ["estimate", "std_error", "ci_low", "ci_high", "p_value"],
        ),
        "planted_vs_estimated": None
        if comparison is None
        else _withheld_records(
            comparison, policy, ["planted", "estimate", "std_error", "ci_low", "ci_high", "covered"]
        ),
        "coverage": None if comparison is None else _coverage(comparison),
    }


def _planted_section(
    report: EducationReport, result, data: pd.DataFrame, truth: dict, cluster: str, results: dict
) -> None:
    spec, policy, setting = report.outcome, report.policy, report.setting
    counts = models.placement_counts(data)
    estimates = models.coefficients(result)
    _, _, kind = models.planted_block(truth, spec.name)
    planted = models.planted_education(truth, spec.name, data)
    comparison = models.compare_with_planted(estimates, planted, counts)
    if cluster != "pupil":
        # Cluster-robust errors by LA cannot estimate the uncertainty of the LA effects themselves.
        comparison = comparison[comparison["kind"] == "coefficient"].reset_index(drop=True)
    comparison["n"] = comparison["n"].fillna(len(data)).astype(int)
    coefficient_rows = comparison[comparison["kind"] == "coefficient"]
    la_rows = comparison[comparison["kind"] == "la_effect"]
    table = coefficient_rows.assign(covered=coefficient_rows["covered"].map({True: "yes", False: "no"}))
    table["term"] = _readable_terms(table["term"])
    table = table.set_index("term")[["n", "planted", "estimate", "ci_low", "ci_high", "covered"]]
    values = ["planted", "estimate", "ci_low", "ci_high"]
    shown = policy.suppress(table, ["n"], rate_columns={c: "n" for c in values}, decimals=3)
    shown.display.loc[shown.suppressed["n"].to_numpy(), "covered"] = CONFIDENTIAL
    shown.suppressed["covered"] = shown.suppressed["n"]
    report.planted_table = shown
    report.planted_caption = f"{spec.label}: planted and estimated coefficients"
    source = (
        'The default data is synthetic, generated with known ("planted") coefficients in the same coding as this '
        "model (`truth.yaml`)."
        if setting.truth_source == "synthetic generator"
        else "The planted values come from the truth file given with these data (`truth_path`), in the shape of the "
        "project generator's `truth.yaml`."
    )
    estimand = ""
    if kind == models.POPULATION_AVERAGED:
        estimand = (
            " The data carry a lasting child effect, so this GLM's estimates are set beside the "
            "**population-averaged** "
            "planted values the truth file derives from it (the mean over the child effect); the subject-specific "
            "planted values are compared with the random-intercept model above."
        )
    report.planted = "\n".join(
        [
            "## Planted-truth check",
            "",
            f"{source} Each planted value is set beside its estimate, with whether it lies in the estimate's 95% "
            "confidence interval. The intercept's planted value includes the planted effect of the reference local "
            "authority (the fixed-effects intercept absorbs it), and each authority's planted value is its difference "
            "from the reference authority. A term the generator does not use (e.g. age for leavers) is planted at 0. "
            "About 1 planted value in 20 falls outside its 95% interval by chance; placement contrasts share the "
            f"reference group, so their misses come together.{estimand}",
        ]
    )
    lines = [
        f"{int(coefficient_rows['covered'].sum())} of {len(coefficient_rows)} planted coefficients lie in their "
        "95% interval."
    ]
    if len(la_rows):
        lines.append(
            f"{int(la_rows['covered'].sum())} of {len(la_rows)} planted local authority differences lie in their "
            "95% interval."
        )
    if spec.family == "negative_binomial":
        diagnostics = results["diagnostics"]
        planted_alpha = truth["education"][spec.name].get("negative_binomial_alpha")
        lines.append(
            f"Planted negative binomial alpha {planted_alpha}; estimated {diagnostics['alpha']:.3f} "
            f"(95% CI {diagnostics['alpha_ci_low']:.3f} to {diagnostics['alpha_ci_high']:.3f})."
        )
    report.planted_summary = " ".join(lines)
    results.update(
        planted_kind=kind,
        planted_vs_estimated=_withheld_records(
            comparison, policy, ["planted", "estimate", "std_error", "ci_low", "ci_high", "covered"]
        ),
        coverage=_coverage(comparison),
    )


def _coverage(comparison: pd.DataFrame) -> dict:
    return {
        kind: {"covered": int(rows["covered"].sum()), "total": int(len(rows))}
        for kind, rows in comparison.groupby("kind")
    }


def _readable_terms(terms: pd.Series) -> pd.Series:
    return terms.str.replace("placement_type[", "placement: ", regex=False).str.replace(r"\]$", "", regex=True)


# --------------------------------------------------------------------------
# text
# --------------------------------------------------------------------------
def _overview(spec: Outcome, setting: Setting, frame: pd.DataFrame, data: pd.DataFrame) -> str:
    n_las = len(setting.la_codes)
    where = (
        "all 32 local authorities"
        if setting.all_of_scotland
        else f"{n_las} local authorit{'y' if n_las == 1 else 'ies'} ({', '.join(setting.la_names)})"
    )
    data_kind = (
        "synthetic returns (the pipeline's embedded default)"
        if setting.synthetic
        else "the returns configured for this run"
    )
    text = f"**Outcome: {spec.label}.** {setting.period.capitalize()}, {where}; {data_kind}."
    if setting.period_note:
        text += f" ({setting.period_note}.)"
    return text


def _method(spec: Outcome, data: pd.DataFrame, cluster: str) -> str:
    n_las = data["la_code"].nunique()
    la_text = (
        "**Local authorities.** Outcomes cluster within local authorities (policy, schools, thresholds for care). "
        "The model includes a fixed effect for each authority (the reference is the authority with the most rows), "
        "so every coefficient compares children within the same authority; what remains correlated is the same "
        "child's outcomes in successive years, so standard errors are cluster-robust by child (default "
        '`cluster = "pupil"`). Cluster-robust errors by authority are the alternative (`cluster = "la"`); with '
        "32 authorities, and fewer in a subset, they are biased downwards and unstable."
        if n_las > 1
        else "**Local authorities.** One authority is loaded, so there is no authority effect to estimate; standard "
        "errors are cluster-robust by child."
    )
    return "\n\n".join(
        [
            f"The model is fitted on looked-after {spec.population} only (the comparison sample has no placement). "
            + spec.method_text,
            f"Covariates: placement type (reference: {PLACEMENT_LABELS[REFERENCE_PLACEMENT]}), "
            f"{spec.covariates_text()}. A covariate that does not vary in the data is absorbed by the intercept.",
            la_text,
            f"Coefficients are on the {spec.link} scale; exponentiated they are {spec.ratio_name}s.",
        ]
    )


def _limitations(spec: Outcome, setting: Setting) -> str:
    items = [
        "Placement type is the one in which the child spent most of the year; children who moved have the outcomes "
        "of several placements attributed to one. The number of placements in the year is in the model for that "
        "reason.",
        "The comparison is observational: children looked after at home differ from those in foster care in ways "
        "the returns do not record, so the placement effects are adjusted associations, not the effect of moving "
        "a child.",
        "The comparison sample of pupils who are not looked after is a sample, and is not adjusted for anything; its "
        "rate is a reference line only.",
        "Placement types with very few rows are left out of the model and their estimates are imprecise even when "
        "kept; suppressed counts hide the smallest.",
    ]
    if setting.synthetic:
        items.append(
            "Synthetic data: the default data is generated from the model this report fits, so its good fit says "
            "the code is right, not that the model is right for real returns."
        )
    return "\n".join(f"- {item}" for item in items)


def _appendix(spec: Outcome, data: pd.DataFrame) -> str:
    fitted = (
        models.formula(spec.name, models.model_terms(data, spec.name), reference_la_code=models.reference_la(data))
        if len(data)
        else ""
    )
    lines = [f"**Model.** `{spec.formula_text}`"]
    if fitted:
        lines.append(f"**statsmodels formula.** `{fitted}`")
    lines.append(
        f"**Fit.** `{spec.fit_text}`. Marginal predictions by the delta method "
        "(`lac_outcomes.scotland.models.marginal_predictions`)."
    )
    if spec.child_random_intercept:
        lines.append(
            "**Subject-specific fit.** `lac_outcomes.scotland.models.fit_child_random_intercept(data)`: the same "
            "formula with a random intercept per child, penalized quasi-likelihood, REML for the child variance."
        )
    return "\n\n".join(lines)


def _base_results(report: EducationReport, data: pd.DataFrame, excluded_shown: dict, cluster: str) -> dict:
    spec, setting = report.outcome, report.setting
    shown_rates = report.rates
    records = []
    for label, row in shown_rates.display.iterrows():
        hidden = shown_rates.suppressed.loc[label]
        record = {"group": label}
        for column in shown_rates.display.columns:
            value = _number(row[column])
            if column in shown_rates.count_columns and isinstance(value, float):
                value = int(value)
            record[column] = CONFIDENTIAL if hidden[column] else value
        records.append(record)
    return {
        "outcome": spec.name,
        "title": spec.title,
        "family": spec.family,
        "model_formula_text": spec.formula_text,
        "cluster": cluster,
        "synthetic": setting.synthetic,
        "geography": setting.geography,
        "local_authorities": setting.la_names,
        "years": [setting.first_year, setting.last_year],
        "n_rows": int(len(data)),
        "n_local_authorities": int(data["la_code"].nunique()),
        "excluded": excluded_shown,
        "descriptive_rates": records,
        "truth_known": False,
        "truth_source": setting.truth_source,
        "planted_vs_estimated": None,
        "coverage": None,
    }


def _number(text):
    """A displayed cell back as a number where it is one ("1,234" -> 1234.0)."""
    try:
        return float(str(text).replace(",", ""))
    except ValueError:
        return text


def _key_points(report: EducationReport, results: dict) -> tuple[str, str]:
    spec, setting = report.outcome, report.setting
    results["truth_known"] = results.get("planted_vs_estimated") is not None
    points = []
    headline = report.headline
    at_home, foster = headline.get("at_home_with_parents"), headline.get("with_foster_carers_la")
    if at_home is not None and foster is not None:
        points.append(
            f"{spec.title}, adjusted for the covariates: {at_home:.1f}{spec.unit_short} for children looked after at "
            f"home against {foster:.1f}{spec.unit_short} in LA foster care ({setting.geography}, {setting.period})."
        )
    if report.marginal_figure is not None and len(report.marginal_figure):
        worst = report.marginal_figure.sort_values("predicted", ascending=spec.link != "log").iloc[0]
        points.append(f"The poorest adjusted outcome of the placement types shown: {worst['placement']}.")
    if spec.child_random_intercept and results.get("coefficients"):
        points.append(
            "The main model's coefficients are population-averaged; the subject-specific ones, from a model with a "
            "child random intercept, are larger in size and reported beside them."
        )
    coverage = results.get("coverage")
    if coverage and "coefficient" in coverage:
        c = coverage["coefficient"]
        points.append(
            f"Planted-truth check: {c['covered']} of {c['total']} planted coefficients lie in their 95% interval."
        )
    for reason in report.cannot_estimate:
        points.append(f"Not estimated: {reason}.")
    coverage_text = "truth unknown"
    if coverage and "coefficient" in coverage:
        covered = coverage["coefficient"]
        coverage_text = f"{covered['covered']} of {covered['total']} planted coefficients in their 95% CI"
    if at_home is not None and foster is not None:
        summary = (
            f"{spec.title}: adjusted {at_home:.1f}{spec.unit_short} at home vs {foster:.1f}{spec.unit_short} in LA "
            f"foster care ({setting.geography}); {coverage_text}."
        )
    else:
        summary = f"{spec.title} ({setting.geography}): the placement comparison could not be estimated on these data."
    return "\n".join(f"- {p}" for p in points), summary


# --------------------------------------------------------------------------
# figures: each drawn from the rows its table shows; returns (figure, alt text)
# --------------------------------------------------------------------------
def _pyplot():
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    return plt, sns


def _no_data(plt, title: str):
    fig, ax = plt.subplots(figsize=(8, 1.5))
    ax.axis("off")
    ax.text(0.5, 0.5, f"{title}: no group large enough to show", ha="center", va="center")
    return fig


def rates_figure(report: EducationReport):
    plt, sns = _pyplot()
    spec, plotted = report.outcome, report.rates_figure
    title = f"{spec.title}: unadjusted, by placement type"
    if plotted.empty:
        return _no_data(plt, title), f"{title}: no group large enough to show."
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(plotted) + 1.5))
    colours = [
        "#b2182b" if g == "at_home_with_parents" else "#2166ac" if g == "pupils_not_looked_after" else "#808080"
        for g in plotted["group"]
    ]
    sns.barplot(data=plotted, y="label", x="rate", hue="label", palette=colours, legend=False, ax=ax)
    ax.set(title=title, xlabel=spec.unit_label, ylabel="")
    values = "; ".join(f"{row.label} {row.rate:.1f}" for row in plotted.itertuples())
    return fig, f"Bar chart of {spec.unit_label.lower()} by placement type, unadjusted: {values}."


def trend_figure(report: EducationReport):
    plt, sns = _pyplot()
    spec, plotted = report.outcome, report.trend_figure
    title = f"{spec.title}, by year"
    if plotted.empty:
        return _no_data(plt, title), f"{title}: no group large enough to show."
    fig, ax = plt.subplots(figsize=(8, 4))
    sns.lineplot(data=plotted, x="year", y=spec.unit_label, hue="group", marker="o", ax=ax)
    ax.set(title=title, xlabel="School year (labelled by the year it ends)", ylabel=spec.unit_label)
    ax.set_xticks(sorted(plotted["year"].unique()))
    ax.legend(title="")
    groups = ", ".join(dict.fromkeys(plotted["group"]))
    return (
        fig,
        f"Line chart of {spec.unit_label.lower()} by school year for {groups}; the values are in the table above.",
    )


def effects_figure(report: EducationReport):
    plt, _ = _pyplot()
    spec, plotted = report.outcome, report.effects_figure
    title = f"{spec.title}: adjusted effect of placement type"
    if plotted is None or plotted.empty:
        return _no_data(plt, title), f"{title}: no placement type large enough to show."
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(plotted) + 1.5))
    error = [plotted["estimate"] - plotted["ci_low"], plotted["ci_high"] - plotted["estimate"]]
    ax.errorbar(plotted["estimate"], plotted["placement"], xerr=error, fmt="o", color="black")
    ax.axvline(0, color="grey", linestyle="--")
    ax.set(
        title=f"{title}\n(reference: foster carers provided by the LA)",
        xlabel=f"Coefficient ({spec.coefficient_scale}), 95% CI",
        ylabel="",
    )
    values = "; ".join(f"{row.placement} {row.estimate:.2f}" for row in plotted.itertuples())
    return (
        fig,
        f"Coefficients ({spec.coefficient_scale}) of each placement type against LA foster care, with 95% "
        f"intervals: {values}.",
    )


def marginal_figure(report: EducationReport):
    plt, _ = _pyplot()
    spec, plotted = report.outcome, report.marginal_figure
    title = f"{spec.title}: marginal prediction by placement type"
    if plotted is None or plotted.empty:
        return _no_data(plt, title), f"{title}: no placement type large enough to show."
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(plotted) + 1.5))
    error = [plotted["predicted"] - plotted["ci_low"], plotted["ci_high"] - plotted["predicted"]]
    ax.errorbar(plotted["predicted"], plotted["placement"], xerr=error, fmt="o", color="black")
    if report.comparison_rate is not None:
        ax.axvline(
            report.comparison_rate, color="#2166ac", linestyle="--", label="Pupils not looked after (unadjusted)"
        )
        ax.legend(loc="best")
    ax.set(title=title, xlabel=f"{spec.unit_label}, 95% CI", ylabel="")
    values = "; ".join(f"{row.placement} {row.predicted:.1f}" for row in plotted.itertuples())
    return fig, f"Adjusted {spec.unit_label.lower()} predicted for each placement type, with 95% intervals: {values}."


def residual_figure(report: EducationReport):
    plt, sns = _pyplot()
    spec = report.outcome
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    binned = report.binned
    if spec.family == "logistic":
        axes[0].plot(binned["fitted"], binned["band"], color="grey", linestyle="--")
        axes[0].plot(binned["fitted"], -binned["band"], color="grey", linestyle="--")
        axes[0].set(
            title="Binned residuals (dashed: +/- 2 standard errors)",
            xlabel="Fitted probability",
            ylabel="Observed minus fitted",
        )
    else:
        fitted = "proportion of sessions attended" if spec.family == "binomial" else "exclusion cases per pupil-year"
        axes[0].set(
            title=f"Mean Pearson residual in {len(binned)} bins of the fitted value",
            xlabel=f"Fitted {fitted}",
            ylabel="Mean Pearson residual",
        )
    sns.scatterplot(data=binned, x="fitted", y="residual", ax=axes[0])
    axes[0].axhline(0, color="black")
    by_placement = report.residuals_by_placement
    # The set once, from the distinct labels: built per label from every row, it cost seconds at national scale.
    present = set(by_placement["placement"].unique())
    order = list(dict.fromkeys(p for p in map(PLACEMENT_LABELS.get, PLACEMENT_ORDER) if p in present))
    if order:
        sns.boxplot(data=by_placement, y="placement", x="residual", order=order, showfliers=False, ax=axes[1])
    axes[1].axvline(0, color="black")
    axes[1].set(title="Pearson residuals by placement type (outliers not drawn)", xlabel="Pearson residual", ylabel="")
    fig.tight_layout()
    return fig, (
        f"Left: mean residual in {len(binned)} bins of the fitted value, which should scatter around zero. Right: "
        "box plots of Pearson residuals by placement type (types with too few rows not drawn)."
    )
