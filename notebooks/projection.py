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
# # Demand and cost: where today's care journeys lead
#
# **Question.** If children keep moving into, through and out of care as they
# have in recent years, how many will be looked after in each kind of
# placement, at what ages, over the next years, and at what cost? What would a
# change of practice (shorter home supervision, fewer residential placements,
# fewer entries at some age) change? And before any of that: **how wrong were
# projections like these in the past?** The back-test comes first.

# %% tags=["parameters"]
nation = "scotland"
processed_dir = "../data/processed/scotland"
# A truth.yaml of planted values (the generator's); "" when none is known.
truth_path = "../data/raw/synthetic/scotland/truth.yaml"
synthetic = True
first_year = 2009
last_year = 2023
disclosure_threshold = 5
results_path = "../.scratch/projection/results.json"
tables_dir = "../.scratch/projection/tables"
# Weekly unit costs by nation and state, with sources; replace with an authority's own.
unit_costs = "../data/raw/published/unit_costs.csv"
# Years of history the rates are estimated from, years projected, cut-offs back-tested, bootstrap replicates.
window_years = 3
horizon_years = 5
backtest_cutoffs = 5
replicates = 100
# Project entries on the trend of the reference window (log-linear in years) rather than flat.
entry_trend = True
# Named changes to the fitted rates (kind: duration, redirect or entries); see docs/projection.md.
scenarios = {
    "shorter_home_supervision": {
        "kind": "duration", "state": "home", "factor": 0.8,
        "description": "spells at home on supervision 20% shorter",
    },
    "residential_to_foster": {
        "kind": "redirect", "state": "residential", "to": "foster", "share": 0.2,
        "description": "a fifth of new residential placements made in foster care instead",
    },
    "fewer_teenage_entries": {
        "kind": "entries", "ages": [12, 17], "factor": 0.9, "description": "10% fewer entries aged 12 to 17",
    },
}  # fmt: skip

# %%
from IPython.display import Markdown, display

from lac_outcomes import display as show
from lac_outcomes import projection
from lac_outcomes.disclosure import DisclosurePolicy
from lac_outcomes.england import projection as england_projection
from lac_outcomes.io import read_truth, write_json
from lac_outcomes.scotland import projection as scotland_projection

show.configure(tables_dir)
policy = DisclosurePolicy(threshold=int(disclosure_threshold))
truth = read_truth(truth_path) if truth_path else None
adapter = {"scotland": scotland_projection, "england": england_projection}[nation]
histories = adapter.load(processed_dir, first_year, last_year)
planted = adapter.planted_check(truth)
settings = dict(window_years=window_years, horizon_years=horizon_years, backtest_cutoffs=backtest_cutoffs,
                replicates=replicates, scenarios=scenarios, entry_trend=entry_trend)  # fmt: skip
costs = projection.read_unit_costs(unit_costs, nation)
report = projection.build(histories, policy, settings=settings, unit_costs=costs, planted=planted)
write_json(results_path, report.results)
place = {"scotland": "Scotland", "england": "England"}[nation]
display(Markdown(f"**{place}**, episodes from {histories.period_start:%d %B %Y} to {histories.data_end:%d %B %Y}."))

# %% [markdown]
# ## How far to trust the forecast: back-test
#
# At each of several past count dates (the cut-off) the model was fitted on
# the years before it only, then projected forward to the end of the data;
# the projection is compared with the number actually looked after in each
# placement group on each later count date (national). The table gives the
# mean absolute percentage error of the central projection and the share of
# observed values inside the 80% and 95% intervals: well-calibrated intervals
# hold about 80% and 95%. Few cut-offs make these shares rough.

# %%
if "backtest_summary" in report.tables:
    show.show_table(report.tables["backtest_summary"], "Back-test: error and interval coverage by years ahead")
    show.show_table(
        report.tables["backtest"], "Back-test: projected and observed by cut-off, year and placement", index=False
    )
else:
    display(Markdown(report.texts["backtest_none"]))

# %% [markdown]
# ## Data and definitions
#
# Each child's placement on the last day of every month is one of six states
# (at home with parents, kinship, foster, residential, secure, other) or out of
# care; the nation's mapping from its placement codes is in
# `lac_outcomes/<nation>/projection.py` and `docs/projection.md`. Ages are in
# completed years; age bands under 1, 1-4, 5-9, 10-15, 16-17. At 18 a child
# leaves the projection.

# %% [markdown]
# ## Method
#
# A discrete-time model with monthly steps, fitted over the reference window
# below: the probability of each move (or leaving care) in a month from each
# state and age band, and entries into care by authority, age and first
# placement as monthly Poisson rates, on each placement's own trend of the
# window's yearly entries when `entry_trend` is set (the trend runs from the
# middle of the window, where the averaged rates sit). Ageing is the observed
# share of a month's children at each age and placement who are a year older
# at the next month end (not a twelfth: babies in care are mostly in the later
# months of their first year, and older children move to semi-independent
# living near 18). Monthly steps rather than continuous time: the projection
# is reported at month ends and year ends, and a month is short enough that
# two moves in one are rare.
#
# Uncertainty: a Poisson bootstrap over children crossed with a bootstrap over
# the years of the window (the rates); entries that wander from year to year
# more than chance allows, as a random walk on their log whose spread is
# measured on every year of entries before the cut-off (a part common to all
# placements and each placement's own), and the trend uncertain by as much;
# and each replicate simulated with its own randomness (moves, ageing,
# entries). The intervals carry all three.

# %%
display(Markdown(f"Reference window of the projection: {report.texts['window']}; {replicates} replicates."))

# %% [markdown]
# ## Projection
#
# Children looked after on each count date, nationally, central projection
# (median of the replicates) with 80% and 95% intervals. Projected numbers are
# rounded to the nearest 5: they are model output, not counts of children.

# %%
show.show_table(report.tables["national"], "Projected children looked after by placement", index=False)
show.show_figure(projection.fan_chart(report, f"Projection, {place}"), "Projected children looked after by placement, "
                 "central line with 80% and 95% bands, for each year of the horizon")  # fmt: skip
show.show_table(report.tables["age"], "Projected children looked after by age band, last year of the horizon")

# %% [markdown]
# ### By local authority
#
# Central projection for the last year of the horizon. An authority's entries
# are its own; its moves follow the national rates (an authority's own rates
# would rest on too few moves). Projections under the disclosure threshold
# are shown as `low`.

# %%
show.show_table(report.tables["authorities"], "Projected children looked after by authority, last year of the horizon")

# %% [markdown]
# ## Scenarios
#
# Each scenario changes the fitted rates (set in config, `scenarios`) and is
# simulated with the same random numbers as the baseline, so the difference is
# the scenario's effect plus the uncertainty of the rates, with a 95% interval.

# %%
if "scenarios" in report.tables:
    show.show_table(report.tables["scenarios"], "Scenarios: change against the baseline at the end of the horizon")

# %% [markdown]
# ## Cost
#
# Weekly unit costs by placement from `data/raw/published/unit_costs.csv`,
# each with its source and price year; states with no published figure found
# are not costed (and the total leaves them out). Replace the file with an
# authority's own costs to cost its own plan.

# %%
display(Markdown(report.texts["cost"]))
show.show_table(report.tables["unit_costs"], "Weekly unit costs used", index=False)

# %% [markdown]
# ## Diagnostics
#
# Monthly transition probabilities over the reference window, pooled over
# ages (rows: state at a month end; columns: state at the next).

# %%
show.show_table(report.tables["transitions"], "Monthly transition probabilities (pooled over ages)")

# %%
if "planted" in report.tables:
    display(Markdown("## Planted-truth check\n\n" + adapter.PLANTED_NOTE + " " + report.texts["planted"]))
    show.show_table(report.tables["planted"], "Planted against estimated (95% intervals)", index=False)
    display(Markdown("The back-test above is the other check: on synthetic data the later years are the "
                     "generator's own, projected from a fit on the earlier ones."))  # fmt: skip

# %% tags=["summary"]
print(report.texts["summary"])

# %% [markdown]
# ## Limitations
#
# - Rates are those of the reference window, held constant: a trend in
#   entries or practice after it is not projected (the back-test shows what
#   that costs). Placements shorter than a month between month ends are not seen.
# - The intervals carry the uncertainty of the rates, entries that wander from
#   year to year as much as they did before the cut-off, and chance; not a
#   break in practice or policy larger than the past ones. The back-test shows
#   how well they have covered: where its coverage falls short of 80% and 95%,
#   read the intervals as too narrow by that much.
# - Moves depend on state and age band only, not on time already spent in the
#   placement; real durations are not geometric, so the model mixes short and
#   long stays.
# - Unit costs come from different years and price bases, not uprated; some
#   are lower bounds (Scotland's kinship figure is the carer's allowance only)
#   and some placements have no published figure and are not costed.
