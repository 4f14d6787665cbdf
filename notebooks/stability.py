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
# # Placement stability: moves, three or more placements, re-entry
#
# **Question.** How often do looked-after children move placement, in which
# placements most, and does a child's history of moves predict the next?
# How many have three or more placements in a year (the Care Matters NI 62
# and its Scottish counterpart), and how many who leave care come back
# within a year? One notebook, run once per nation (`nation`).

# %% tags=["parameters"]
nation = "scotland"
processed_dir = "../data/processed/scotland"
published_figures = "../data/raw/published/published_figures.csv"
truth_path = "../data/raw/synthetic/scotland/truth.yaml"
synthetic = True
first_year = None
last_year = None
disclosure_threshold = 5
results_path = "../.scratch/stability/results.json"
tables_dir = "../.scratch/stability/tables"

# %%
from pathlib import Path

import pandas as pd
from IPython.display import Markdown, display

from lac_outcomes import display as show
from lac_outcomes.disclosure import DisclosurePolicy
from lac_outcomes.england import stability as england
from lac_outcomes.io import read_parquet, read_truth, write_json
from lac_outcomes.scotland import stability as scotland

show.configure(tables_dir)
policy = DisclosurePolicy(threshold=int(disclosure_threshold))
truth = read_truth(truth_path) if truth_path else None
stability = scotland if nation == "scotland" else england
names = ["children", "episodes", "pupils"] if nation == "scotland" else england.TABLES
tables = {name: read_parquet(Path(processed_dir) / f"{name}.parquet") for name in names}
if nation == "scotland":
    report = scotland.build(tables, policy, first_year=first_year, last_year=last_year, truth=truth)
    data_text = f"Data: {report.area.coverage}, {report.period.text}."
else:
    # The English notebook run gets no published_figures parameter: the file is read from its default place.
    figures = pd.read_csv(published_figures) if Path(published_figures).exists() else None
    report = england.build(tables, policy, published=figures, truth=truth)
    data_text = f"Data: SSDA903 returns, collection years {report.years[0]} to {report.years[-1]}."
write_json(results_path, report.results)
display(Markdown(data_text))

# %% tags=["key-points"]
display(
    Markdown(
        "- Moves per child-year by placement group and a model of the move rate with the child's history "
        "(England: and the placement's first year); England: the DfE's two-year measure beside NI 62 and NI 63.\n"
        "- Re-entry: the share of children leaving care who come back within 12 months.\n"
        f"- Planted-truth check: {report.texts.get('planted', 'none for this nation or these data')}"
    )
)

# %% [markdown]
# ## Data and definitions
#
# **Scotland.** A later episode of the same spell is a **move** when the
# placement group changes, or when the legal reason is unchanged and the
# child is not at home (a change of legal reason alone is not a move; a
# second episode at home is not one either). Moves to prospective adopters
# are planned moves to permanence and are left out of the rates. Placements
# in a year = the placement held on 1 August (or at entry) plus each move.
#
# **England.** NI 62 and NI 63 as the indicator registry defines them (each
# return as submitted); the DfE's current short-term measure counts
# placements over two years by NI 62's rule for children looked after at 31
# March of both years (the DfE's "CLA 2 years on 31 March"); its long-term
# measure is NI 63's definition. Re-entry: a period of
# care that ended other than by adoption, special guardianship or a child
# arrangements order, followed by a new one within 365 days. A **move** is an
# episode that begins a new placement (NI 62's rule: not a temporary
# placement T0-T4, not the return to the same carer after one, not a change
# of legal status only); moving in with adopters is a planned move to
# permanence and ends the time at risk instead. Moves are counted for periods
# of care that began in the years loaded, so the moves already made are
# known; placement groups: foster with another carer (U4-U6), with a
# relative or friend (U1-U3), residential (K1, K2, R1, R2, R5, S1),
# semi-independent, family centre and other (H5, P2, P3, R3, Z1), placed
# with parents (P1).

# %% [markdown]
# ## Method
#
# Moves per child-year: moves out of placements in a group divided by the
# time spent in that group inside the period, with exact Poisson intervals.
# The model of the move rate is a Poisson regression with the log of the time
# at risk as offset -- a piecewise-constant hazard, the continuous-time limit
# of a discrete-time model -- on placement group and the moves already made
# in the period (the child's history). Scotland: each placement episode's
# move (or not), with age, standard errors clustered by child; rate ratios
# are population-averaged over children in each cell. England: moves and
# child-years summed in cells of LA, collection year, placement group, moves
# already made and whether the placement is in its first year (the same
# estimates as the model on every child-day), with an effect for each LA and
# collection year (profiled out: the conditional likelihood within each
# LA-year) and the dispersion estimated from the data (quasi-Poisson), which
# widens the intervals where cells vary beyond the model.

# %% [markdown]
# ## Results

# %%
stability.show(report, "rates", "rates_by_age", "three", "measures", "published", "reentry")

# %% [markdown]
# ### What predicts a move

# %%
stability.show(report, "model")

# %% [markdown]
# **Diagnostics.** A history effect (prior moves) well away from 1 means
# that moves cluster in some children beyond what placement type and age
# explain; the clustered standard errors allow for such dependence. England:
# the dispersion (Pearson chi-squared over its degrees of freedom) near 1
# means the cells vary as a Poisson model says; the intervals are widened by
# its square root.

# %%
if "diagnostics" in report.texts:
    display(Markdown(report.texts["diagnostics"]))

# %%
if "planted" in report.tables:
    display(Markdown("## Planted-truth check\n\n" + report.texts["planted"]))
    stability.show(report, "planted")

# %% tags=["summary"]
print(f"Placement stability ({nation.title()}): moves, three or more placements, re-entry. {data_text}")

# %% [markdown]
# ## Limitations
#
# - Scotland's returns do not say whether a new episode is a new carer:
#   the move rule above is a definition, not an observation. A change of
#   carer within one placement type under the same legal reason is a move; a
#   change of carer on the day the legal reason changes is missed.
# - England: a history merged across returns is used for the two-year
#   measure, re-entry and the move model; NI 62 and NI 63 are as submitted.
#   NI 63 looks back two and a half years: in the first years loaded its
#   cohort misses children whose care began before them (marked "incomplete"
#   in the measures table), so its rate there is not comparable.
#   The move model sees only periods of care that began in the years loaded
#   (so their moves are known): children long in care are under-represented,
#   and a placement's time at risk is cut at the last 31 March loaded.
# - Synthetic English returns: moves are drawn from a planted hazard (rate by
#   placement group x first-year ratio x history ratio x an LA-year
#   multiplier), so NI 62 and NI 63 are targets implied by it, not exact. The synthetic
#   English returns plant re-entries only after a return home under 15, and
#   always in a later collection year than the one the child left in, so
#   re-entry within 12 months sits below what real returns show.
# - Synthetic Scottish data: the generator caps moves at six per spell and
#   merges a move falling on the day of another change, so at national scale
#   the foster rate sits a little under its planted 0.35 and the rate after
#   two or more moves a little under the planted constant (no history effect).
# - The move model treats the rate as constant within a placement: a rate
#   that falls with time in placement is averaged over.
