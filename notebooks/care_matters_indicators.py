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
# # Care Matters national indicators for England, by local authority and year
#
# The *Care Matters* national indicators measure how well local authorities
# in England look after the children in their care: their emotional and
# behavioural health (NI 58), how quickly children are placed for adoption
# (NI 61), how stable their placements are (NI 62, NI 63), whether their
# cases are reviewed on time (NI 66), and how care leavers fare (NI 147,
# NI 148). This report computes each of them, with the numbers looked after,
# starting and ceasing to be looked after and placed with parents, from the
# record-level SSDA903 returns each local authority sends the Department for
# Education, and compares the authorities with one another in funnel plots.

# %% tags=["parameters"]
processed_dir = "../data/processed/england"
truth_path = "../data/raw/synthetic/england/truth.yaml"
disclosure_threshold = 5
# Standalone runs write here; the pipeline passes results/care_matters_indicators/results.json.
results_path = "../.scratch/care_matters_indicators/results.json"
# Downloadable CSV of every table shown.
tables_dir = "../.scratch/care_matters_indicators/tables"
# Collection year of the tables by local authority and the funnel plots (None: the latest loaded).
year = None
# "all", or a list of LA codes to show in the tables and plots (national figures always use every LA loaded).
local_authorities = "all"

# %%
from pathlib import Path

import pandas as pd
import seaborn as sns
from IPython.display import Markdown, display

from lac_outcomes import display as show
from lac_outcomes.disclosure import DisclosurePolicy
from lac_outcomes.england import care_matters, checks
from lac_outcomes.io import read_parquet, read_truth, write_json

sns.set_theme(style="whitegrid", context="notebook")
show.configure(tables_dir)
policy = DisclosurePolicy(threshold=int(disclosure_threshold))
indicators = read_parquet(Path(processed_dir) / "indicators.parquet")
truth = read_truth(truth_path) if truth_path else None
report = care_matters.build(indicators, policy, year=year, local_authorities=local_authorities)


def show_with_notes(shown, caption=None):
    show.show_table(shown.table, caption or shown.caption, name=shown.name)
    if shown.notes:
        display(Markdown("Unavailable (`x`):\n\n" + shown.notes_markdown()))


# %% [markdown]
# ## Data and method
#
# Each local authority's SSDA903 return for each collection year (1 April to
# 31 March, labelled by the year in which it ends: 2019 is 1 April 2018 to
# 31 March 2019) is validated row by row (see the England data-quality
# report). Indicators that look back before the year (NI 63 needs the two
# earlier returns, NI 61 and NI 66 the one before) are still shown where the
# earlier returns were not loaded, marked *history incomplete*, and are not
# used in the checks against the planted values. An indicator whose tables
# are absent from a return is shown as `x` (unavailable) with the reason,
# never as 0.
#
# **National** here means all local authorities loaded (on the synthetic
# data, a sample of English authorities, not England). A national rate is the
# sum of the authorities' numerators over the sum of their denominators.
#
# Disclosure control: counts of children under the threshold are shown as
# `c`. One suppression pattern, worked out once over every authority and the
# national figures together, holds in every table, figure and the results
# file: within an indicator and year the authorities add up to the national
# figure, so a second count is hidden wherever one is; a count that appears
# under two indicators (children looked after at 31 March are the cohort of
# P1 and NI 62) is hidden in both; an authority's looked-after count follows
# from the year before (plus those starting, less those ceasing), so those
# four counts are protected as a line too; a percentage or mean on a hidden
# count is hidden with it, and the figures leave out what the tables hide.

# %%
display(Markdown(policy.note))

# %% [markdown]
# ## Definitions
#
# As published for the Care Matters national indicator set and computed
# here (`lac_outcomes.england.indicators`). Children looked after under an
# agreed series of short-term breaks (legal status V3 or V4) are excluded
# throughout, as in the Department for Education's figures.

# %%
show.show_table(care_matters.definitions_table(), "Definitions", name="definitions", index=False)

# %% tags=["key-points"]
if truth is not None:
    planted = pd.DataFrame(truth["indicators"])
    check = checks.withhold(checks.compare_with_planted(indicators, planted), report.hidden_keys())
    truth_line = checks.verdict(check)
else:
    check = None
    truth_line = "real returns: truth unknown"
display(Markdown(report.key_points(truth_line)))

# %% [markdown]
# ## Children looked after, starting, ceasing and placed with parents
#
# Placed with parents (placement code P1: with their own parents or others
# with parental responsibility) is the English counterpart of Scotland's
# home supervision.

# %%
show_with_notes(report.headline_by_la())
show_with_notes(report.headline_national())

# %%
show.show_figure(*care_matters.figure_counts(report))

# %% [markdown]
# ## National trends in the indicators
#
# The national value (black) with each authority's (grey) where the tables
# show it. Hollow points mark years whose history was not loaded.

# %%
show.show_figure(*care_matters.figure_trends(report))
show_with_notes(report.indicators_national())

# %% [markdown]
# ## Local authorities in the selected year: funnel plots
#
# Each point is a local authority, placed by the size of its cohort and its
# value; the centre line is the national value for the year, and the curves
# the 95% and 99.8% control limits: binomial limits for a proportion (exact,
# with Spiegelhalter's interpolation), normal limits for NI 58's mean score
# (the national mean plus or minus *z* times the national standard deviation
# of scores over the square root of the cohort). About 1 authority in 20
# falls outside the 95% limits by chance alone, 1 in 500 outside the 99.8%.
# Position is shown by shape as well as colour (circle within the 95%
# limits, square outside them, triangle outside the 99.8% limits), and only
# authorities outside the 99.8% limits are named.

# %%
funnel_figure, funnel_alt = care_matters.figure_funnels(report)
if funnel_figure is not None:
    show.show_figure(funnel_figure, funnel_alt)
display(Markdown("\n".join(f"- {line}" for line in report.cannot_estimate()) or "Every indicator could be plotted."))

# %% [markdown]
# ## Indicators by local authority in the selected year
#
# *Cohort* is the denominator of the indicator (for NI 58, the children with
# an SDQ score), *meeting it* the numerator; *against national* says where the
# authority falls in the funnel plot above.

# %%
show_with_notes(report.indicators_in_year())

# %% [markdown]
# ## Every indicator by local authority and year

# %%
show_with_notes(report.indicators_by_la_year())

# %% [markdown]
# ## Computed against planted values
#
# On synthetic data the generator wrote down what it planted: the realised
# counts of its simulated children (looked after at 31 March, started,
# ceased), which the files, the reader and the indicators must give back
# exactly; and, for each indicator, the probability (or mean SDQ score) it
# drew each child's record from, which a computed value matches only up to
# sampling error. A target is accepted within four standard errors for its
# cohort size (plus a small margin where the generator's target is not exact
# by design: placed with parents, NI 62). LA-years without the history an
# indicator needs are not checked. Where an LA-year's value is withheld, the
# check says only whether it held: the planted value, the computed value and
# the tolerance are withheld too, since each would give back the count.

# %%
if check is not None:
    summary_table = checks.summarise(check)
    summary_table["indicator"] = summary_table["indicator"].map(lambda c: care_matters.describe(c).short)
    show.show_table(
        policy.suppress(summary_table.set_index("indicator").rename_axis("Indicator"), []),
        "Computed indicators against the values planted in the synthetic returns",
        name="planted_check",
    )
    show.show_figure(*care_matters.figure_check(check))
else:
    display(Markdown("These are real returns: the true values are unknown, so there is nothing to check against."))

# %%
write_json(results_path, report.results(check))

# %% tags=["summary"]
print(report.summary_line(truth_line))

# %% [markdown]
# ## Limitations
#
# The synthetic returns reproduce the structure of SSDA903 exports and plant
# known indicator values, but not the detail of real authorities' practice.
# Indicator definitions follow the published Care Matters technical notes as
# written above; where those notes left a choice (for example how a review
# chain starting before the first loaded year is judged) it is stated in the
# definition and in `lac_outcomes.england.indicators`. The funnel plots'
# limits assume every authority's children are alike apart from chance; real
# differences in case mix (age, need, unaccompanied asylum-seeking children)
# widen the spread, so an authority outside the limits is a question to ask,
# not a verdict.
