# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Education outcomes of looked-after children by placement type (Scotland)
#
# **Question.** How do the education outcomes of looked-after children differ
# by the type of placement they are in, and how do they compare with pupils
# who are not looked after? How much of the difference remains once the
# number of placements, time looked after, age, sex, deprivation (SIMD) and
# additional support needs (ASN) are taken into account? The published
# finding this analysis should reproduce in shape: children looked after at
# home with parents have the poorest attendance and attainment of all
# looked-after children, and children in foster care do about as well as, or
# better than, all pupils on some measures.
#
# This report covers one outcome, named in the parameters below and in the
# next section; the pipeline renders one report per outcome.

# %% tags=["parameters"]
processed_dir = "../data/processed/scotland"
published_figures = "../data/raw/published/published_figures.csv"
truth_path = "../data/raw/synthetic/scotland/truth.yaml"
disclosure_threshold = 5
results_path = "../results/education_attendance/results.json"
# attendance, exclusions, attainment or destination
outcome = "attendance"
# Standard errors: "pupil" (cluster-robust by child, LA fixed effects) or "la" (cluster-robust by LA).
cluster = "pupil"
# Placement types with fewer rows than this are left out of the model (their effect cannot be estimated).
min_level_rows = 30

# %%
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import yaml
from IPython.display import HTML, Markdown, display

from lac_outcomes import disclosure
from lac_outcomes.io import read_parquet, write_json
from lac_outcomes.scotland import models

sns.set_theme(style="whitegrid", context="notebook")
spec = models.OUTCOMES[outcome]
processed = Path(processed_dir)
tables = {name: read_parquet(processed / f"{name}.parquet") for name in ["children", "episodes", "pupils", "leavers"]}
truth = yaml.safe_load(Path(truth_path).read_text()) if truth_path else None
frame = models.education_frame(tables["children"], tables["episodes"], tables["pupils"], tables["leavers"], outcome)
data, excluded = models.model_rows(frame, outcome, min_level_rows=min_level_rows)
year_column = "school_year" if spec.table == "pupils" else "leaver_year"
years = sorted(int(y) for y in frame[year_column].unique())
n_las = data["la_code"].nunique()
PLACEMENT_LABELS = {p: p.replace("_", " ").replace(" la", " (LA)").replace("la ", "LA ") for p in models.PLACEMENT_ORDER}
PLACEMENT_LABELS.update(
    all_looked_after="All looked after", pupils_not_looked_after="Pupils not looked after (comparison sample)"
)
unit_label = {"attendance": "Attendance (%)", "exclusions": "Exclusions per 1,000 pupils", "attainment": "SCQF level 5 or better (%)", "destination": "Positive destination (%)"}[outcome]
display(Markdown(f"**Outcome: {spec.label}.** Years {years[0]} to {years[-1]}, {n_las} local authorities."))

# %% [markdown]
# ## Data and population
#
# Pupils (attendance, exclusions) are pupil-years: each child looked after on
# at least one day of a school year (1 August to 30 June) is counted once in
# that year. Leavers (attainment, destinations) are school leavers in the
# year they left. Each looked-after row carries, from the looked-after
# episodes, the placement type in which the child spent most of the school
# year, the number of placements in the year, total years looked after, and
# whether they were looked after for the whole year
# (`lac_outcomes.scotland.derive.education_covariates`). Pupils who are not
# looked after come from a comparison sample of all pupils, drawn
# independently each year; they are shown for comparison only and are not in
# the model.
#
# The outcome: attendance is sessions attended as a percentage of sessions
# possible; exclusions are exclusion cases per 1,000 pupils; attainment is
# the share of leavers whose highest qualification is at SCQF level 5 or
# better; a positive follow-up destination is higher or further education,
# training, employment, voluntary work or personal skills development.

# %%
n_looked_after = int((frame["looked_after"] == "Y").sum())
sparse = excluded["sparse_placement_types"]
notes = [
    f"Looked-after rows: {n_looked_after:,}; in the model: {len(data):,}.",
    f"Left out for a missing covariate: {excluded['missing']:,}.",
    *([f"Left out with no sessions possible (no exposure): {excluded['no_sessions_possible']:,}."] if excluded["no_sessions_possible"] else []),
]
if sparse:
    sparse_rows = sum(sparse.values())
    sparse_rows = f"{sparse_rows:,}" if sparse_rows >= disclosure_threshold else disclosure.CONFIDENTIAL
    notes.append(
        f"Left out because their placement type has fewer than {min_level_rows} rows, or an outcome that never varies "
        f"(its effect cannot be estimated): {', '.join(PLACEMENT_LABELS.get(k, k) for k in sparse)} "
        f"({sparse_rows} rows in all; counts by type are not shown where small)."
    )
flat = excluded["local_authorities_without_variation"]
if flat:
    notes.append(
        f"Left out because the outcome never varies in their authority (e.g. no exclusions at all), so the authority's effect "
        f"cannot be estimated: {len(flat)} authorit{'y' if len(flat) == 1 else 'ies'} ({', '.join(flat)})."
    )
display(Markdown("\n".join(f"- {n}" for n in notes)))

# %% [markdown]
# ## Outcomes by placement type, beside pupils who are not looked after
#
# Unadjusted rates over all years. `n` is the number of pupil-years (or
# leavers) the rate rests on; rates on suppressed counts are suppressed.

# %%
rates = models.descriptive_rates(frame, outcome)
# The placement rows add up to "all looked after": one line for secondary suppression.
rates["adds up"] = np.where(rates["group"] == "pupils_not_looked_after", None, "looked after")
rates["group"] = rates["group"].map(PLACEMENT_LABELS)
table = rates.set_index("group").rename(columns={"rate": unit_label})
if table["with_outcome"].notna().any():
    # Leavers with and without the outcome are both counts of children: protect both.
    table = table.rename(columns={"with_outcome": "leavers with it"})
    shown = disclosure.suppress(
        table, ["n", "leavers with it"], threshold=disclosure_threshold,
        rate_columns={unit_label: ["n", "leavers with it"]}, complements={"leavers with it": "n"}, groups=["adds up"],
    )
else:
    shown = disclosure.suppress(table.drop(columns="with_outcome"), ["n"], threshold=disclosure_threshold, rate_columns={unit_label: "n"}, groups=["adds up"])
shown.display = shown.display.drop(columns="adds up")
display(HTML(shown.to_html(f"{spec.label}, by placement type, {years[0]} to {years[-1]} (unadjusted)")))

# %%
hidden = pd.Series(shown.suppressed[unit_label].to_numpy(), index=rates.index)  # what the table hides, the figure leaves out
plotted = rates[(rates["n"] >= max(disclosure_threshold, 30)) & ~hidden]
fig, ax = plt.subplots(figsize=(8, 0.45 * len(plotted) + 1.5))
colours = ["#b2182b" if g.startswith("At home") else "#2166ac" if g.startswith("Pupils not") else "#808080" for g in plotted["group"]]
sns.barplot(data=plotted, y="group", x="rate", hue="group", palette=colours, legend=False, ax=ax)
ax.set(title=f"{spec.label}: unadjusted, by placement type", xlabel=unit_label, ylabel="")
plt.show()

# %%
by_year = []
looked_after_frame = frame[frame["looked_after"] == "Y"]
groups = {
    "At home with parents": looked_after_frame[looked_after_frame["placement_type"] == "at_home_with_parents"],
    "Foster carers (LA)": looked_after_frame[looked_after_frame["placement_type"] == "with_foster_carers_la"],
    "All looked after": looked_after_frame,
    "Pupils not looked after": frame[frame["looked_after"] == "N"],
}
for name, members in groups.items():
    for year, group in members.groupby(year_column):
        if len(group) >= max(disclosure_threshold, 30):
            by_year.append({"year": int(year), "group": name, "rate": models._rate(group, outcome), "n": len(group)})
by_year = pd.DataFrame(by_year)
fig, ax = plt.subplots(figsize=(8, 4))
sns.lineplot(data=by_year, x="year", y="rate", hue="group", marker="o", ax=ax)
ax.set(title=f"{spec.label}, by year", xlabel="School year (labelled by the year it ends)", ylabel=unit_label)
ax.legend(title="")
plt.show()

# %% [markdown]
# ## Method
#
# The model is fitted on looked-after pupils only (the comparison sample has
# no placement). Fit for purpose by outcome:
#
# - **attendance**: binomial GLM (logit link) of sessions attended out of
#   sessions possible. Attendance varies between pupils far more than a
#   binomial allows (the Pearson dispersion below), so the model-based
#   standard errors would be far too small; the cluster-robust ("sandwich")
#   errors used here do not depend on the variance being binomial.
# - **exclusions**: negative binomial regression (NB2, Var = mu + alpha mu^2,
#   alpha estimated by maximum likelihood) of exclusion cases, with exposure
#   log(sessions possible / 380): a pupil in school for half the year has half
#   the chance to be excluded.
# - **attainment** and **positive destination**: logistic regression.
#
# Covariates in every model: placement type (reference: foster carers
# provided by the LA), number of placements in the year (minus 1), years
# looked after, age on 1 August (minus 11), male, SIMD quintile (minus 1; 1 is
# the most deprived fifth), ASN; for pupils the school year (minus 2010); for
# attainment whether looked after for only part of the year and a linear
# trend to 2017, flat after it (the published series levels off). A covariate
# that does not vary in the data (e.g. the trend when every leaver year is
# after 2017) is absorbed by the intercept.
#
# **Local authorities.** Outcomes cluster within local authorities (policy,
# schools, thresholds for care). The model includes a fixed effect for each
# authority (the reference is the authority with the most rows), so every
# coefficient compares children within the same authority; what remains correlated is the same child's outcomes in
# successive years, so standard errors are cluster-robust by child (default
# `cluster = "pupil"`). Cluster-robust errors by authority are the
# alternative (`cluster = "la"`); with 32 authorities, and fewer in a subset,
# they are biased downwards and unstable, and they cannot estimate the
# uncertainty of the authority effects themselves. A mixed model (random
# authority intercepts) would give nearly the same placement effects with
# this many rows per authority; statsmodels fits binomial and count mixed
# models only approximately (Bayesian variational), and GEE on 32 clusters of
# thousands of rows is slow without benefit, so fixed effects it is.
# Coefficients are on the logit (attendance, attainment, destination) or log
# (exclusions) scale; exponentiated they are odds ratios or rate ratios.

# %%
result = models.fit_education_model(data, outcome, cluster=cluster)
estimates = models.coefficients(result)
terms = models.model_terms(data, outcome)
counts = models.placement_counts(data)
display(Markdown(f"Standard errors: cluster-robust by {'child' if cluster == 'pupil' else 'local authority'} "
                 f"({len(set(models.cluster_groups(data, cluster))):,} clusters); local authority fixed effects: {n_las}."))

# %% [markdown]
# ## Results: estimates with 95% confidence intervals
#
# `n` is the number of rows in each placement type (for other terms, all rows
# in the model). Estimates for placement types with a suppressed `n` are
# suppressed with it. Local authority fixed effects are not shown.

# %%
ratio_name = "rate ratio" if spec.link == "log" else "odds ratio"
shown_terms = estimates[~estimates["term"].str.startswith("la_code[")].copy()
shown_terms["n"] = shown_terms["term"].map(counts).fillna(len(data)).astype(int)
# exp() of a coefficient is a rate or odds ratio; of the NB dispersion alpha it means nothing.
shown_terms[ratio_name] = np.exp(shown_terms["estimate"]).where(shown_terms["term"] != "alpha")
shown_terms["term"] = shown_terms["term"].str.replace("placement_type[", "placement: ", regex=False).str.rstrip("]")
shown_terms = shown_terms.set_index("term")[["n", "estimate", "ci_low", "ci_high", ratio_name, "p_value"]]
shown = disclosure.suppress(
    shown_terms,
    ["n"],
    threshold=disclosure_threshold,
    rate_columns={c: "n" for c in ["estimate", "ci_low", "ci_high", ratio_name, "p_value"]},
    decimals=3,
)
display(HTML(shown.to_html(f"{spec.label}: model coefficients ({spec.link} scale), 95% intervals")))

# %%
plotted = estimates[estimates["term"].str.startswith("placement_type[")].copy()
plotted = plotted[plotted["term"].map(counts).fillna(0) >= max(disclosure_threshold, 30)]
plotted["placement"] = plotted["term"].str[len("placement_type["):-1].map(PLACEMENT_LABELS)
plotted = plotted.sort_values("estimate")
fig, ax = plt.subplots(figsize=(8, 0.45 * len(plotted) + 1.5))
ax.errorbar(plotted["estimate"], plotted["placement"], xerr=[plotted["estimate"] - plotted["ci_low"], plotted["ci_high"] - plotted["estimate"]], fmt="o", color="black")
ax.axvline(0, color="grey", linestyle="--")
ax.set(title=f"{spec.label}: adjusted effect of placement type\n(reference: foster carers provided by the LA)", xlabel=f"Coefficient ({'log rate ratio' if spec.link == 'log' else 'log odds ratio'}), 95% CI", ylabel="")
plt.show()

# %% [markdown]
# ## Marginal predicted outcome by placement type
#
# The outcome predicted for every looked-after row in the model as if each
# had the placement type shown, everything else as observed, then averaged
# (average marginal predictions); 95% intervals by the delta method with the
# cluster-robust covariance. Exclusions are predicted for a full school year
# (380 sessions). This is the adjusted comparison of placement types on the
# outcome's own scale.

# %%
marginal = models.marginal_predictions(result, data, outcome)
marginal_table = marginal.assign(placement_type=marginal["placement_type"].map(PLACEMENT_LABELS)).set_index("placement_type")
shown = disclosure.suppress(
    marginal_table, ["n"], threshold=disclosure_threshold, rate_columns={c: "n" for c in ["predicted", "ci_low", "ci_high"]}
)
display(HTML(shown.to_html(f"{spec.label}: marginal predictions by placement type ({spec.unit}), 95% intervals")))
comparison_rate = rates.loc[rates["group"].str.startswith("Pupils not"), "rate"].iloc[0]
plotted = marginal[marginal["n"] >= max(disclosure_threshold, 30)].copy()
plotted["placement"] = plotted["placement_type"].map(PLACEMENT_LABELS)
fig, ax = plt.subplots(figsize=(8, 0.45 * len(plotted) + 1.5))
ax.errorbar(plotted["predicted"], plotted["placement"], xerr=[plotted["predicted"] - plotted["ci_low"], plotted["ci_high"] - plotted["predicted"]], fmt="o", color="black")
ax.axvline(comparison_rate, color="#2166ac", linestyle="--", label="Pupils not looked after (unadjusted)")
ax.legend(loc="best")
ax.set(title=f"{spec.label}: marginal prediction by placement type", xlabel=f"{unit_label}, 95% CI", ylabel="")
plt.show()

# %% [markdown]
# ## Diagnostics
#
# Overdispersion is the Pearson chi-squared over the residual degrees of
# freedom: 1 when the family's variance is right. Residual plots: Pearson
# residuals (or, for the 0/1 outcomes, observed minus fitted) averaged within
# 30 bins of the fitted value, which should scatter around zero; and Pearson
# residuals by placement type.

# %%
dispersion = models.overdispersion(result, outcome)
lines = [f"Pearson dispersion: {dispersion['pearson_dispersion']:.2f}"]
if "alpha" in dispersion:
    alpha_low, alpha_high = result.conf_int().loc["alpha"]
    lines.append(f"negative binomial alpha: {dispersion['alpha']:.3f} (95% CI {alpha_low:.3f} to {alpha_high:.3f}); alpha > 0 means more variation than Poisson")
if outcome == "attendance":
    lines.append("a dispersion far above 1 means attendance varies between pupils more than a binomial allows: the binomial model-based standard errors would be too small, which is why the report uses cluster-robust errors")
converged = bool(result.mle_retvals.get("converged", True)) if hasattr(result, "mle_retvals") and result.mle_retvals else True
lines.append(f"fit converged: {'yes' if converged else 'NO'}")
display(Markdown("\n".join(f"- {line}" for line in lines)))

# %%
residuals = models.pearson_residuals(result, outcome)
residuals["placement"] = data["placement_type"].map(PLACEMENT_LABELS).to_numpy()
fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
if spec.family == "logistic":
    observed = data["scqf5" if outcome == "attainment" else "positive"].to_numpy()
    binned = models.binned_residuals(residuals["fitted"], observed, bins=30)
    axes[0].plot(binned["fitted"], binned["band"], color="grey", linestyle="--")
    axes[0].plot(binned["fitted"], -binned["band"], color="grey", linestyle="--")
    sns.scatterplot(data=binned, x="fitted", y="residual", ax=axes[0])
    axes[0].set(title="Binned residuals (dashed: +/- 2 standard errors)", xlabel="Fitted probability", ylabel="Observed minus fitted (proportion)")
else:
    residuals["bin"] = pd.qcut(residuals["fitted"].rank(method="first"), 30, labels=False)
    binned = residuals.groupby("bin").agg(fitted=("fitted", "mean"), residual=("residual", "mean"))
    sns.scatterplot(data=binned, x="fitted", y="residual", ax=axes[0])
    axes[0].set(title="Mean Pearson residual in 30 bins of the fitted value", xlabel="Fitted " + ("proportion of sessions attended" if outcome == "attendance" else "exclusion cases per pupil-year"), ylabel="Mean Pearson residual")
axes[0].axhline(0, color="black")
shown_levels = [PLACEMENT_LABELS[p] for p in models.PLACEMENT_ORDER if counts.get(f"placement_type[{p}]", 0) >= max(disclosure_threshold, 30)]
sns.boxplot(data=residuals[residuals["placement"].isin(shown_levels)], y="placement", x="residual", order=shown_levels, showfliers=False, ax=axes[1])
axes[1].axvline(0, color="black")
axes[1].set(title="Pearson residuals by placement type (outliers not drawn)", xlabel="Pearson residual", ylabel="")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Planted-truth check
#
# The default data is synthetic, generated with known ("planted")
# coefficients in the same coding as this model (`truth.yaml`). Each planted
# value is set beside its estimate, with whether it lies in the estimate's 95%
# confidence interval. The intercept's planted value includes the planted
# effect of the reference local authority (the fixed-effects intercept
# absorbs it), and each authority's planted value is its difference from the
# reference authority. A term the generator does not use (e.g. age for
# leavers) is planted at 0. About 1 planted value in 20 falls outside its 95%
# interval by chance; placement contrasts share the reference group, so
# their misses come together.

# %%
if truth is None:
    comparison = None
    display(Markdown("**The truth is unknown**: these are real returns, not synthetic data, so there are no planted values to compare with. This section is left out."))
else:
    planted = models.planted_education(truth, outcome, data)
    comparison = models.compare_with_planted(estimates, planted, counts)
    if cluster != "pupil":
        # Cluster-robust errors by LA cannot estimate the uncertainty of the LA effects themselves.
        comparison = comparison[comparison["kind"] == "coefficient"].reset_index(drop=True)
    comparison["n"] = comparison["n"].fillna(len(data)).astype(int)
    coefficient_rows = comparison[comparison["kind"] == "coefficient"]
    la_rows = comparison[comparison["kind"] == "la_effect"]
    table = coefficient_rows.assign(covered=coefficient_rows["covered"].map({True: "yes", False: "no"}))
    table["term"] = table["term"].str.replace("placement_type[", "placement: ", regex=False).str.rstrip("]")
    table = table.set_index("term")[["n", "planted", "estimate", "ci_low", "ci_high", "covered"]]
    shown = disclosure.suppress(table, ["n"], threshold=disclosure_threshold, rate_columns={c: "n" for c in ["planted", "estimate", "ci_low", "ci_high"]}, decimals=3)
    shown.display.loc[shown.suppressed["n"].to_numpy(), "covered"] = disclosure.CONFIDENTIAL
    display(HTML(shown.to_html(f"{spec.label}: planted and estimated coefficients")))
    lines = [f"{int(coefficient_rows['covered'].sum())} of {len(coefficient_rows)} planted coefficients lie in their 95% interval."]
    if len(la_rows):
        lines.append(f"{int(la_rows['covered'].sum())} of {len(la_rows)} planted local authority differences lie in their 95% interval.")
    if "alpha" in dispersion:
        planted_alpha = truth["education"][outcome]["negative_binomial_alpha"]
        lines.append(f"Planted negative binomial alpha {planted_alpha}; estimated {dispersion['alpha']:.3f} (95% CI {alpha_low:.3f} to {alpha_high:.3f}).")
    display(Markdown(" ".join(lines)))

# %%
at_home = marginal.set_index("placement_type")
headline = {p: float(at_home.loc[p, "predicted"]) for p in ["at_home_with_parents", "with_foster_carers_la"] if p in at_home.index}


def _records(frame_):
    return json.loads(frame_.to_json(orient="records")) if frame_ is not None else None


write_json(
    results_path,
    {
        "outcome": outcome,
        "family": spec.family,
        "formula": models.formula(outcome, terms, reference_la_code=models.reference_la(data)),
        "model_formula_text": spec.formula_text,
        "cluster": cluster,
        "n_rows": int(len(data)),
        "n_local_authorities": int(n_las),
        "excluded": excluded,
        "years": years,
        "coefficients": _records(estimates),
        "marginal_predictions": _records(marginal),
        "descriptive_rates": _records(models.descriptive_rates(frame, outcome)),
        "diagnostics": dispersion,
        "truth_known": truth is not None,
        "planted_vs_estimated": _records(comparison),
        "coverage": None
        if comparison is None
        else {
            kind: {"covered": int(rows["covered"].sum()), "total": int(len(rows))}
            for kind, rows in comparison.groupby("kind")
        },
    },
)

# %% tags=["summary"]
coverage_text = "truth unknown"
if comparison is not None:
    coefficient_rows = comparison[comparison["kind"] == "coefficient"]
    coverage_text = f"{int(coefficient_rows['covered'].sum())} of {len(coefficient_rows)} planted coefficients in their 95% CI"
unit_short = {"attendance": "%", "exclusions": " per 1,000", "attainment": "%", "destination": "%"}[outcome]
print(
    f"{outcome.capitalize()}: adjusted {headline.get('at_home_with_parents', float('nan')):.1f}{unit_short} at home vs "
    f"{headline.get('with_foster_carers_la', float('nan')):.1f}{unit_short} in LA foster care; {coverage_text}."
)

# %% [markdown]
# ## Limitations
#
# - Placement type is the one in which the child spent most of the year;
#   children who moved have the outcomes of several placements attributed to
#   one. The number of placements in the year is in the model for that reason.
# - The comparison is observational: children looked after at home differ
#   from those in foster care in ways the returns do not record (the reasons
#   they became looked after, family circumstances), so the placement effects
#   are adjusted associations, not the effect of moving a child.
# - The comparison sample of pupils who are not looked after is a sample, and
#   is not adjusted for anything; its rate is a reference line only.
# - Placement types with very few pupils are left out of the model and their
#   estimates are imprecise even when kept; suppressed counts hide the
#   smallest.
# - Synthetic data: the default data is generated from the model this report
#   fits, so its good fit says the code is right, not that the model is right
#   for real returns.
#
# ## Methods appendix: the exact model
#
# Written out below, then as the statsmodels formula that was fitted
# (`a[la_code]` is the local authority fixed effect; in the formula
# `C(la_code)`).

# %%
display(Markdown(f"**Model.** `{spec.formula_text}`"))
display(Markdown(f"**statsmodels formula.** `{models.formula(outcome, terms, reference_la_code=models.reference_la(data))}`"))
fit_call = {
    "binomial": "smf.glm(formula, data, family=Binomial()).fit(method='newton', cov_type='cluster', cov_kwds={'groups': cluster})",
    "negative_binomial": "smf.negativebinomial(formula, data, offset=log(sessions_possible / 380), loglike_method='nb2').fit(method='newton', cov_type='cluster', cov_kwds={'groups': cluster}), started from the Poisson fit",
    "logistic": "smf.glm(formula, data, family=Binomial()).fit(method='newton', cov_type='cluster', cov_kwds={'groups': cluster})",
}[spec.family]
display(Markdown(f"**Fit.** `{fit_call}`; cluster = {'child' if cluster == 'pupil' else 'local authority'}. Marginal predictions by the delta method (`lac_outcomes.scotland.models.marginal_predictions`)."))
