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
# **Question.** How do the education outcomes of looked-after children differ
# by the type of placement they are in, and how do they compare with pupils
# who are not looked after? How much of the difference remains once the
# number of placements, time looked after, age, sex, deprivation (SIMD) and
# additional support needs (ASN) are taken into account? The published
# finding this analysis should reproduce in shape: children looked after at
# home with parents have the poorest attendance and attainment of all
# looked-after children.
#
# This report covers one outcome, named in the parameters below and in the
# heading; the pipeline renders one report per outcome.

# %% tags=["parameters"]
processed_dir = "../data/processed/scotland"
# The generator's truth.yaml, or any YAML file of planted values in its shape; "" when there is none.
truth_path = "../data/raw/synthetic/scotland/truth.yaml"
disclosure_threshold = 5
results_path = "../.scratch/education_attendance/results.json"
tables_dir = "../.scratch/education_attendance/tables"
# attendance, exclusions, attainment or destination
outcome = "attendance"
# Standard errors: "pupil" (cluster-robust by child, LA fixed effects) or "la" (cluster-robust by LA).
cluster = "pupil"
# Placement types with fewer rows than this are left out of the model (their effect cannot be estimated).
min_level_rows = 30
# Also fit a model with a child random intercept where the outcome's specification asks for one (attendance).
child_random_intercept = True
# Whether the data are the synthetic default (None: the truth file says) and the configured years (None: truth or data).
synthetic = None
first_year = None
last_year = None

# %%
from IPython.display import Markdown, display

from lac_outcomes import display as show
from lac_outcomes.disclosure import DisclosurePolicy
from lac_outcomes.io import write_json
from lac_outcomes.scotland import education

show.configure(tables_dir)
report = education.build(
    education.load_tables(processed_dir),
    outcome,
    policy=DisclosurePolicy(disclosure_threshold),
    truth=education.read_truth(truth_path),
    cluster=cluster,
    min_level_rows=min_level_rows,
    synthetic=synthetic,
    first_year=first_year,
    last_year=last_year,
    child_random_intercept=child_random_intercept,
)
display(Markdown(report.heading))
display(Markdown(report.overview))

# %% tags=["key-points"]
display(Markdown(report.key_points))

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
# the model. The outcome and its model are defined once, in
# `lac_outcomes.scotland.outcomes`.

# %%
display(Markdown(report.population_notes))

# %% [markdown]
# ## Outcomes by placement type, beside pupils who are not looked after
#
# Unadjusted rates over all years. `n` is the number of rows the rate rests
# on; rates on suppressed counts are suppressed, and the figures draw only
# groups the tables show that rest on 30 rows or more.

# %%
show.show_table(report.rates, report.rates_caption, name=f"{outcome}_by_placement")
show.show_figure(*education.rates_figure(report))
show.show_table(report.trend, report.trend_caption, name=f"{outcome}_by_year")
show.show_figure(*education.trend_figure(report))

# %% [markdown]
# ## Method

# %%
display(Markdown(report.method))
for reason in report.cannot_estimate:
    display(Markdown(f"**Not estimated on these data:** {reason}. The sections that need the model are left out."))
if report.fit_note:
    display(Markdown(report.fit_note))

# %% [markdown]
# ## Results: estimates with 95% confidence intervals
#
# `n` is the number of rows in each placement type (for other terms, all rows
# in the model). Estimates for placement types with a suppressed `n` are
# suppressed with it. Local authority fixed effects are not shown.

# %%
if report.coefficients is not None:
    show.show_table(report.coefficients, report.coefficients_caption, name=f"{outcome}_coefficients")
    show.show_figure(*education.effects_figure(report))
else:
    display(Markdown(report.left_out))

# %%
if report.subject_specific:
    display(Markdown(report.subject_specific))
    show.show_table(report.subject_specific_table, report.subject_specific_caption, name=f"{outcome}_subject_specific")

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
if report.marginal is not None:
    show.show_table(report.marginal, report.marginal_caption, name=f"{outcome}_marginal_predictions")
    show.show_figure(*education.marginal_figure(report))
else:
    display(Markdown(report.left_out))

# %% [markdown]
# ## Diagnostics
#
# Overdispersion is the Pearson chi-squared over the residual degrees of
# freedom: 1 when the family's variance is right. Residual plots: Pearson
# residuals (or, for the 0/1 outcomes, observed minus fitted) averaged within
# bins of the fitted value (at least 30 rows each), which should scatter
# around zero; and Pearson residuals by placement type.

# %%
if report.binned is not None:
    display(Markdown(report.diagnostics))
    show.show_figure(*education.residual_figure(report))
else:
    display(Markdown(report.left_out))

# %%
display(Markdown(report.planted))
if report.planted_table is not None:
    show.show_table(report.planted_table, report.planted_caption, name=f"{outcome}_planted")
    display(Markdown(report.planted_summary))

# %%
write_json(results_path, report.results)

# %% tags=["summary"]
print(report.summary)

# %% [markdown]
# ## Limitations

# %%
display(Markdown(report.limitations))

# %% [markdown]
# ## Methods appendix: the exact model
#
# Written out below, then as the statsmodels formula that was fitted
# (`a[la_code]` is the local authority fixed effect; in the formula
# `C(la_code)`).

# %%
display(Markdown(report.appendix))
