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
# # Permanence: how long children wait, by which route, and where the delay sits
#
# **Question.** Scotland's looked-after strategy asks for less "drift and
# delay in the care planning process"; England's Care Matters measures the
# timeliness of adoption. From the day a child becomes looked after, how long
# until permanence -- in Scotland a permanence order (with or without
# authority to adopt), an adoption order or a kinship care order; in England
# adoption, a special guardianship order or a child arrangements order?
# Which children wait longest, and at which stage does the time go?
#
# One notebook, run once per nation (`nation`): the two returns record
# different things. Scotland's permanence-planning table records each
# planning milestone (plan, panel, agency decision, court application,
# order); England's SSDA903 records how each period of care ended (REC), the
# adoption decision and match (AD1, PlacedAdoption), the placement order
# (legal status E1) and the move to the adoptive family (placement A3-A6).

# %% tags=["parameters"]
nation = "scotland"
processed_dir = "../data/processed/scotland"
published_figures = "../data/raw/published/published_figures.csv"
truth_path = "../data/raw/synthetic/scotland/truth.yaml"
synthetic = True
first_year = None
last_year = None
disclosure_threshold = 5
results_path = "../.scratch/permanence/results.json"
tables_dir = "../.scratch/permanence/tables"
# Timescales (days) each stage is compared with. Only the agency decision's is set in regulation; edit to
# your authority's or the current national guidance's (see the Limitations).
guidance_days = {"agency_decision": 14}

# %%
from pathlib import Path

from IPython.display import Markdown, display

from lac_outcomes import display as show
from lac_outcomes.disclosure import DisclosurePolicy
from lac_outcomes.england import permanence as england
from lac_outcomes.io import read_parquet, read_truth, write_json
from lac_outcomes.scotland import permanence as scotland

show.configure(tables_dir)
policy = DisclosurePolicy(threshold=int(disclosure_threshold))
truth = read_truth(truth_path) if truth_path else None
permanence = scotland if nation == "scotland" else england
names = ["children", "episodes", "pupils", "permanence"] if nation == "scotland" else england.TABLES
tables = {name: read_parquet(Path(processed_dir) / f"{name}.parquet") for name in names}
if nation == "scotland":
    report = scotland.build(
        tables, policy, first_year=first_year, last_year=last_year, truth=truth, guidance_days=guidance_days
    )
    data_text = f"Data: {report.area.coverage}, {report.period.text}."
else:
    report = england.build(tables, policy, truth=truth)
    data_text = f"Data: SSDA903 returns, collection years {report.years[0]} to {report.years[-1]}."
write_json(results_path, report.results)
display(Markdown(data_text))

# %% tags=["key-points"]
display(
    Markdown(
        "- Time to permanence is split into stages (Scotland: the five planning milestones; England: the "
        "adoption milestones and scorecard measures); the table of stages shows where the time goes.\n"
        "- Every route competes with leaving care without an order (cumulative incidence, not 1 - KM).\n"
        f"- Planted-truth check: {report.texts.get('planted', 'no planted values (real data)')}"
    )
)

# %% [markdown]
# ## Data and definitions
#
# **Scotland.** The permanence-planning table holds one row per child per
# milestone: plan agreed at a looked-after review, panel recommendation,
# agency decision, court application lodged, order granted, with the order
# sought. Each milestone is attached to the spell of being looked after in
# which it happened (episodes with no gap). A milestone after the end of the
# period has not happened yet; one dated before the milestone that should
# precede it is **out of order** (real records have them): the two stages
# that use its date are set aside and counted.
#
# **England.** Periods of care from the episodes of every loaded return (a
# history merged across returns, the latest copy of each episode). The route
# is the reason the period ended: E11/E12 adoption, E43-E48 special
# guardianship, E41 child arrangements order; any other ending is leaving
# care another way. A period whose start (its S episode) is in no loaded
# return cannot be timed and is set aside, counted. The adoption scorecard's
# A1 (entering care to moving in with the adoptive family) and A2 (placement
# order to match) are single-year means by authority (the DfE publishes
# three-year averages).

# %%
permanence.show(report, "counts")

# %% [markdown]
# ## Method
#
# - **Stages.** Each stage runs from the previous milestone (the first from
#   the start of the spell) to its own. It ends without its milestone when
#   the child leaves care, and is censored at the end of the data. A spell
#   that began before the period enters the risk set at the period start
#   (**delayed entry**): it is in the data only because it was still going
#   then. Median durations are Kaplan-Meier medians (statsmodels
#   `SurvfuncRight` with `entry=`), with Brookmeyer-Crowley intervals; the
#   share over a timescale is the Kaplan-Meier share still waiting then.
# - **Routes.** The time from the start of the spell to an order is split by
#   the order made; leaving care without an order competes with them. The
#   Aalen-Johansen estimator gives the cumulative incidence of each.
# - **Cox models.** Cause-specific hazards of each order, and the hazard of
#   each stage's milestone, by age at entry (per year, centred at 5) and sex,
#   with local authority **strata** (each authority its own baseline),
#   delayed entry, Efron ties and robust standard errors clustered by child.
#   The hazard ratios are conditional on authority, not population-averaged;
#   above 1 means sooner.
# - **Planted-truth check (England).** The synthetic returns plant each
#   adoption stage (entering care to the agency decision, the decision to the
#   match, the match to moving in, moving in to the order) as a Weibull
#   proportional-hazards duration, with a median for each authority and a
#   hazard ratio for age at entry. The check fits the same model to the
#   completed stages of adopted children (maximum likelihood, one scale per
#   authority): the hazard ratios for age and sex, the shape and each
#   authority's median at the reference child (age 5 at entry, a girl).
#   Only stages that began at
#   least five years before the end of the data are used: nearly all of
#   those have finished, so the end of the data does not cut the long ones
#   off. NI 61 (placed within 12 months of the decision) is checked by
#   authority and year against the probability the planted stages imply
#   for the children adopted that year, given when each entered care (one
#   who entered long ago has had a long journey, and likely a long match).
#   Those children's probabilities differ, so the binomial interval is a
#   little wide for them: expect a little more than 95% of NI 61 covered.

# %% [markdown]
# ## Results
#
# ### Where the delay sits
#
# Scotland: every stage from the planning table, with delayed entry.
# England: the adoption stages of the children adopted in the period
# (completed durations, as the scorecard measures them), then the scorecard
# by authority and year.

# %%
permanence.show(report, "stages", "stage_figure", "scorecard", "any_order_figure")

# %% [markdown]
# The second figure shows why delayed entry matters: ignoring it counts
# the long-waiting children already in care when the data begin from the
# start of their spell, as if none of the quicker ones had been missed.
#
# ### By which route

# %%
permanence.show(report, "incidence", "incidence_figure")

# %% [markdown]
# ### Who waits longer

# %%
permanence.show(report, "cox")

# %% [markdown]
# **Diagnostics.** The stage curves above should fall smoothly; a stage
# whose curve is flat for a long time then drops points at a queue (a court
# or panel calendar) rather than a steady hazard, which the Cox model would
# average over.

# %%
if "planted" in report.texts:
    display(Markdown("## Planted-truth check\n\n" + report.texts["planted"]))
    permanence.show(report, "planted_stages", "planted")

# %% tags=["summary"]
print(f"Permanence ({nation.title()}): time to each route, where the delay sits, Cox models. {data_text}")

# %% [markdown]
# ## Limitations
#
# - England: the stage durations are of children adopted (completed
#   journeys, as the scorecard counts them), so they say nothing of children
#   still waiting; the competing-risks curves and Cox models use everyone.
#   The planted check's medians are at age 5 at entry, older than most
#   adopted children: they lean on the fitted age effect, and one estimate
#   of it moves every authority's median the same way.
#   A history merged across returns is used, not each return as submitted.
# - Timescales: England's are the adoption scorecard thresholds (A1 426
#   days, A2 121 days). Scotland's only one set here is the agency decision within 14 days
#   of the panel's recommendation (Adoption Agencies (Scotland) Regulations
#   2009); the guidance on the other stages should be checked against the
#   current national guidance and the authority's own before comparing.
# - The first stage (start of spell to a plan) is measured over every spell,
#   most of which never need a plan: its hazard ratios describe who gets a
#   plan and how fast together, and are not checked against the planted
#   values (only the stages after a plan are).
# - Synthetic Scottish data: the planning table is drawn on top of the episodes
#   without changing them, so an order granted does not end the spell, and
#   an adoption order need not match an episode ending "adopted".
# - A child re-entering care starts a new spell and a new set of milestones;
#   a milestone in no spell is not used (counted above).

# %% [markdown]
# ## Methods appendix
#
# Stage k time T_k = (date of milestone k - date of milestone k-1) / 365.25
# (k = 1 from the spell start); entry E = max(period start - date of
# milestone k-1, 0); at risk when E < t <= T. Cumulative incidence
# F_r(t) = sum over t_j <= t of S(t_j-) d_rj / n_j. Cox:
# h_r(t | x, LA) = h0_{r,LA}(t) exp(b1 (age at entry - 5) + b2 male),
# `PHReg(..., status, entry=E, strata=la_code, ties="efron")`.
