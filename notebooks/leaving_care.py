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
# # Leaving care: in touch, in education, employment or training, suitably housed
#
# **Question.** What happens to young people when they leave care? Of those
# who left care at 16 or over, how many are in touch with their authority,
# in education, employment or training (EET), and in suitable
# accommodation, by age and year -- and does EET depend on where a young
# person last lived in care and how long they were looked after?
#
# One notebook, run once per nation (`nation`), on definitions matched as
# closely as the two returns allow: Scotland's aftercare return (young
# people eligible for aftercare on 31 July) and England's SSDA903 OC3 (care
# leavers around their 17th to 21st birthdays).

# %% tags=["parameters"]
nation = "scotland"
processed_dir = "../data/processed/scotland"
published_figures = "../data/raw/published/published_figures.csv"
truth_path = "../data/raw/synthetic/scotland/truth.yaml"
synthetic = True
first_year = None
last_year = None
disclosure_threshold = 5
results_path = "../.scratch/leaving_care/results.json"
tables_dir = "../.scratch/leaving_care/tables"

# %%
from pathlib import Path

from IPython.display import Markdown, display

from lac_outcomes import display as show
from lac_outcomes import journeys
from lac_outcomes.disclosure import DisclosurePolicy
from lac_outcomes.england import leaving_care as england
from lac_outcomes.io import read_parquet, read_truth, write_json
from lac_outcomes.scotland import leaving_care as scotland

show.configure(tables_dir)
policy = DisclosurePolicy(threshold=int(disclosure_threshold))
truth = read_truth(truth_path) if truth_path else None
leaving_care = scotland if nation == "scotland" else england
tables = {name: read_parquet(Path(processed_dir) / f"{name}.parquet") for name in leaving_care.TABLES}
report = leaving_care.build(tables, policy, truth=truth)
write_json(results_path, report.results)
source = "the aftercare return" if nation == "scotland" else "the SSDA903 OC3 returns"
data_text = f"Data: {source}. {report.texts['data']}"
display(Markdown(data_text))

# %% tags=["key-points"]
display(
    Markdown(
        "- In touch, EET and suitable accommodation by "
        + ("year" if nation == "scotland" else "year and age")
        + ", with Wilson 95% intervals, on definitions matched across the two nations.\n"
        "- A logistic model of EET by last placement group and years looked after, within authority and year.\n"
        f"- {journeys.leaving_care_headline(report)}."
    )
)

# %% [markdown]
# ## Data and definitions
#
# Scotland: one row per young person eligible for aftercare on 31 July (left
# care on or after their 16th birthday, under 26); economic activity and
# accommodation are recorded for those receiving aftercare. England: one OC3
# row per former relevant child in the year's return, those who died left
# out; EET and suitable accommodation by NI 148's and NI 147's own rules
# (the indicator registry's functions). Last placement and time looked after
# come from each nation's episodes: in England only from the loaded returns,
# so time looked after is a lower bound and a young person who left before
# the first loaded year has no care history here.

# %%
leaving_care.show(report, "definitions")

# %% [markdown]
# ## Method
#
# Rates: each measure's count over its denominator (everyone, or those in
# touch), with Wilson score intervals; among those in touch an unknown
# activity or accommodation counts as not EET or not suitable, as the
# indicators count those not in touch. Model: a logistic regression
# (statsmodels GLM, binomial) of EET among young people in touch with a known
# activity, on last placement group (foster care the reference), years looked
# after, and local-authority and year fixed effects; standard errors
# clustered by young person, who appears once a year. The coefficients are
# log-odds ratios within an authority and year (conditional, not
# population-averaged); groups with fewer than 30 young people are left out.

# %% [markdown]
# ## Results

# %%
leaving_care.show(report, "rates")

# %% [markdown]
# ### What goes with being in education, employment or training

# %%
if "model" in report.tables:
    leaving_care.show(report, "model")

# %% [markdown]
# **Diagnostics.** Binned residuals: the mean observed EET minus the mean
# fitted probability within bins of the fitted value should lie inside two
# standard errors in all but about one bin in twenty.

# %%
display(Markdown(report.texts.get("model", "No model.")))

# %%
if "planted" in report.tables:
    display(Markdown("## Planted-truth check\n\n" + report.texts["planted"]))
    leaving_care.show(report, "planted")

# %% tags=["summary"]
print(f"Leaving care ({nation.title()}): {journeys.leaving_care_headline(report)}.")

# %% [markdown]
# ## Limitations
#
# - The definitions match only as closely as the returns allow (see the
#   table above): Scotland asks whether aftercare is received on a census
#   day, England whether the authority is in touch around a birthday; the
#   ages differ (16 to 25 against 17 to 21).
# - England: the history reaches back only to the first loaded return, so
#   the model sees the young people who left care in the loaded years, and
#   their time looked after is truncated there.
# - Synthetic data: two Scottish aftercare targets come from published
#   figures (49% of those eligible receiving aftercare in 2023; 47% of those
#   receiving with a known activity in EET in 2017), the other shares are
#   assumed. The Scottish generator lists only young people whose care
#   history falls in the period, so the number eligible grows over the first
#   years, and at national scale it makes more eligible young people than
#   the 8,517 published for 31 July 2023. The English generator plants the last-placement effect only and
#   no effect of time looked after (its planted value is 0).
# - An association, not an effect of placement: young people in residential
#   care differ from those in foster care in ways the returns do not record.
