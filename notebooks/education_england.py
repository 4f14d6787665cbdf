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
# # Education outcomes of looked-after children in England
#
# **Question.** How do looked-after children in England do at Key Stage 2
# and Key Stage 4, against the Care Matters indicators (NI 99, NI 100,
# NI 101, with the 2011 targets of 60%, 55% and 20%) and against the
# measures the DfE publishes today, beside pupils who are not looked after?
# How much does attainment differ by placement type once time in care,
# placement moves, age at entry, special educational needs and the local
# authority are taken into account?

# %% tags=["parameters"]
processed_dir = "../data/processed/england_education"
# The generator's pupils_truth.yaml, or a YAML of planted values in its shape; "" when there is none.
truth_path = "../data/raw/synthetic/england/pupils_truth.yaml"
disclosure_threshold = 5
results_path = "../.scratch/education_england/results.json"
tables_dir = "../.scratch/education_england/tables"
# Standard errors: "auto" (cluster-robust by LA with 20 or more LAs, else robust by pupil), "la" or "pupil".
cluster = "auto"
# Result year of the funnel plots; None = the latest year each measure has.
funnel_year = None
# Scotland's processed returns, for the section that sets the two nations side by side ("" to leave it out).
scotland_dir = "../data/processed/scotland"

# %%
from IPython.display import Markdown, display

from lac_outcomes import display as show
from lac_outcomes.disclosure import DisclosurePolicy
from lac_outcomes.england import education
from lac_outcomes.io import write_json

show.configure(tables_dir)
policy = DisclosurePolicy(disclosure_threshold)
truth = education.read_truth(truth_path)
report = education.build(education.load(processed_dir), policy=policy, truth=truth, cluster=cluster)
groups = report.results["groups"]
display(
    Markdown(
        f"Pupils in the linked table: {groups.get('looked_after', 0)} results of pupils looked after continuously "
        f"for 12 months or more at 31 March, {groups.get('not_looked_after', 0)} of the comparison sample of "
        f"pupils never looked after, and {groups.get('other', 0)} of pupils matched to a child looked after for "
        "a shorter time (in neither group, as in the DfE's statistics). "
        + ("These are **synthetic** data with planted effects." if truth else "")
    )
)

# %% [markdown]
# ## Data and definitions
#
# The linked pupil table (`docs/england_pupil_layout.md`) holds one row per
# pupil per key stage result, matched to the SSDA903 returns through a
# pseudonymous pupil ID. **Looked after** means, as the DfE defines it for
# these statistics, looked after continuously for 12 months or more at
# 31 March of the school year of the result, not on short breaks; it is
# derived from the 903 episodes, as are the placement type at 31 March, the
# placement moves in the year, the years in the current period of care and
# the age at entry to it (`lac_outcomes.england.pupils.child_covariates`).
# Local authority figures are by the authority that looks after the child.
#
# **Two eras of measures.** NI 99 and NI 100 (KS2 level 4 or above in
# English, maths) end with KS2 levels in 2015; NI 101 (five or more GCSEs
# A*-C or equivalent including English and maths) ends in 2016. Since then
# the DfE publishes the KS2 expected standard in reading, writing and maths
# (no KS2 tests in 2020 and 2021), and at KS4 grade 4 or above in English and
# maths (from 2017) and Attainment 8 (from 2016). A measure is shown only for
# the years it existed; the targets belong to the old measures only.

# %% [markdown]
# ## Indicators: national series beside pupils not looked after
#
# Rates on suppressed counts are suppressed; the figure draws only what the
# table shows. Dashed lines: the 2011 targets.

# %%
show.show_table(
    report.national_table, "Measures by year: looked after and not looked after", name="national", index=False
)
show.show_figure(*education.series_figure(report))
show.show_table(report.att8_table, "KS4 Attainment 8: mean score by year", name="attainment8")

# %% [markdown]
# ## Indicators by local authority, with funnel plots
#
# Each authority's rate against the national rate of its year, with 95%
# (dashed) and 99.8% (dotted) limits for its number of pupils. Authorities
# whose counts are suppressed are not drawn.

# %%
show.show_table(
    report.la_table, "Measures by local authority and year (looked after 12 months+)", name="by_la", index=False
)
for measure in education.MEASURES:
    years = report.counts.loc[report.counts["measure"] == measure, "YEAR"]
    if len(years):
        year = funnel_year if funnel_year in set(years) else int(years.max())
        show.show_figure(*education.funnel_figure(report, measure, year))

# %% [markdown]
# ## Method: a model of attainment by placement type
#
# **Outcome.** The KS4 threshold measure of the pupil's year: NI 101's five
# A*-C including English and maths until 2016, grade 4 or above in English
# and maths from 2017 (a year effect absorbs the change of measure).
# **Model.** Logistic regression (statsmodels GLM, binomial, logit link) on
# looked-after KS4 pupils: placement type at 31 March (reference: foster care
# with a carer who is not a relative or friend), years in care, placement
# moves in the year, age at entry, SEN provision (none; SEN support; EHC plan
# or statement), result year and LA fixed effects. Coefficients are log-odds,
# population-averaged within an authority (subject-specific and
# population-averaged coincide for the fixed LA effects). Standard errors are
# cluster-robust by LA with 20 or more authorities, else robust by pupil.
# At a fixed key stage age, age at entry plus years in care is almost the
# pupil's age, so those two coefficients are weakly identified apart: read
# their intervals, not their point estimates.

# %%
for note in report.notes:
    display(Markdown(f"**Not estimated on these data:** {note}"))
if report.result is not None:
    display(
        Markdown(f"Model fitted on {report.results['model']['rows']} pupils: `{report.results['model']['formula']}`")
    )
    show.show_table(report.coefficient_table.set_index("term"), "Coefficients (log-odds) with 95% CI", name="coefs")

# %% [markdown]
# ## Marginal predictions by placement type
#
# The percentage predicted to reach the threshold had every looked-after
# pupil in the model been in each placement type, everything else as
# observed; 95% intervals by the delta method.

# %%
if report.result is not None:
    show.show_table(report.marginal_table, "Predicted % reaching the KS4 threshold", name="marginal")
    show.show_figure(*education.marginal_figure(report))

# %% [markdown]
# ## Diagnostics
#
# Observed minus fitted, averaged in bins of the fitted probability (at
# least 30 pupils each), should scatter around zero inside +/- 2 standard
# errors; the Pearson dispersion should be near 1.

# %%
if report.result is not None:
    display(Markdown(f"Pearson dispersion: {report.results['model']['pearson_dispersion']:.2f}."))
    show.show_figure(*education.residual_figure(report))

# %% [markdown]
# ## Planted-truth check
#
# On the synthetic data the generator's planted log-odds
# (`pupils_truth.yaml`) are set beside the estimates. About one planted value
# in twenty falls outside its 95% interval by chance.

# %%
if report.planted is not None:
    show.show_table(report.planted.set_index("term"), "Planted and estimated coefficients", name="planted")
    coverage = report.results["coverage"]
    display(Markdown(f"{coverage['covered']} of {coverage['total']} planted coefficients lie in their 95% interval."))
else:
    display(Markdown("No planted values for these data (real returns): the check is not run."))

# %% [markdown]
# ## The two nations side by side
#
# Both nations' reports model attainment by placement type against foster
# care by a carer who is not a relative or friend, within local authority.
# The measures differ: England's KS4 threshold needs English **and** maths
# (five A*-C including both until 2016, grade 4 or above in both since);
# Scotland's is the highest qualification at leaving at SCQF level 5 or
# better in any subject, and its model adjusts for sex, deprivation and
# additional support needs rather than SEN provision and age at entry. So
# the levels are not comparable; the odds ratios of the same contrasts are
# set side by side as the nearest like-for-like. Scotland's residential
# categories are published separately; its LA children's homes are set
# beside England's residential care as a whole. A contrast resting on
# fewer than 30 pupils in either group is withheld (`c`).

# %%
scotland_result, scotland_data = education.scotland_attainment_fit(scotland_dir)
if report.result is None and scotland_result is None:
    display(Markdown("Neither nation's model could be fitted on these data."))
else:
    nations = education.side_by_side(report, scotland_result, scotland_data)
    show.show_table(nations, "Odds ratios against foster care: England KS4 threshold, Scotland SCQF 5+", name="nations")
    report.results["side_by_side"] = nations.reset_index().to_dict("records")

# %%
write_json(results_path, report.results)

# %% tags=["summary"]
print("Education outcomes of looked-after children in England: NI 99-101 and today's measures by LA and year.")

# %% [markdown]
# ## Limitations
#
# Synthetic by default: the national rates are set to published figures where
# this project found them (`data/raw/published/published_figures.csv`) and to
# stated assumptions elsewhere (`lac_outcomes.england.simulate_education`).
# The comparison sample stands for all pupils not looked after; the DfE's own
# comparison group also excludes children in need. The model is
# observational: placement type follows from a child's needs and history, so
# its coefficients are associations, not effects of placement.
