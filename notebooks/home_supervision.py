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
# # Home supervision: children looked after at home with parents
#
# **Question.** In Scotland a child can be looked after while living at home
# with their parents, under a compulsory supervision order with no condition
# of residence ("home supervision"). How many children are looked after this
# way, in which local authorities, and for how long? How do spells of home
# supervision end -- the child is discharged, moves away from home into care,
# or moves to permanence -- and what predicts how long they last? Who are the
# children supervised at home for five years or more?

# %% tags=["parameters"]
processed_dir = "../data/processed/scotland"
published_figures = "../data/raw/published/published_figures.csv"
# A truth.yaml of planted values (the generator's, or one in its shape); "" when none is known.
truth_path = "../data/raw/synthetic/scotland/truth.yaml"
# True when the data are the project's synthetic default (only the wording depends on it).
synthetic = True
# The configured looked-after years; None takes the school years in the pupils table.
first_year = None
last_year = None
disclosure_threshold = 5
results_path = "../.scratch/home_supervision/results.json"
tables_dir = "../.scratch/home_supervision/tables"
# Children supervised at home this many years or more are the "long" group.
long_years = 5.0

# %%
from pathlib import Path

from IPython.display import Markdown, display

from lac_outcomes import display as show
from lac_outcomes.disclosure import DisclosurePolicy
from lac_outcomes.io import read_parquet, read_truth, write_json
from lac_outcomes.scotland import home_supervision

show.configure(tables_dir)
policy = DisclosurePolicy(threshold=int(disclosure_threshold))
tables = {name: read_parquet(Path(processed_dir) / f"{name}.parquet") for name in ["children", "episodes", "pupils"]}
truth = read_truth(truth_path) if truth_path else None
report = home_supervision.build(
    tables, policy, first_year=first_year, last_year=last_year, truth=truth, synthetic=synthetic, long_years=long_years
)
write_json(results_path, report.results)
display(Markdown(report.texts["data"]))

# %% tags=["key-points"]
display(Markdown(report.texts["key_points"]))

# %% [markdown]
# ## Data and definitions
#
# From the looked-after episodes: a child is on **home supervision** on a day
# when their episode that day has legal reason "compulsory supervision order,
# at home" and placement "at home with parents". Counts are of children
# looked after on 31 July, the end of the looked-after year, as published.
# A **spell** of home supervision is a run of such episodes of one child with
# no gap (`derive.home_supervision_spells`); it ends when the child is
# discharged, moves (the same day) into care away from home, or moves to
# permanence (a permanence order or prospective adopters).
#
# A rate per 1,000 children in the population needs the child population of
# each authority, which the returns do not carry: rates are shown as `x`
# (unavailable), not estimated. Every table of this report is protected as
# one: a count suppressed in one table is suppressed wherever it appears, and
# totals across tables (authorities adding up to the total, characteristics
# adding up to all children at home) cannot give a suppressed count away.

# %%
home_supervision.show(report, "national", "stock")

# %% [markdown]
# ### By local authority
#
# The share of each authority's looked-after children who are at home on
# supervision, by year. Shares resting on a suppressed count (at home, or
# away from home), in any table, are left blank in the figure.

# %%
home_supervision.show(report, "heatmap", "latest")

# %% [markdown]
# ## How long spells of home supervision last
#
# Time is measured from the start of the spell, in years. Three rules keep
# the estimates honest:
#
# - a spell still open at the end of the data (31 July of the last year) is
#   **censored** there (we know it lasted at least that long);
# - a spell still going on the child's 18th birthday is **censored at 18**:
#   supervision cannot continue past 18, so turning 18 is not "leaving";
# - a spell that began before the period is in the data only because the
#   child was still looked after in it (**left truncation**): it joins the
#   risk set at the period start (delayed entry), not at its own start.
#   Spells that ended before the period are not used.
#
# The Kaplan-Meier curve is the estimated share of spells still going after
# each duration (statsmodels `SurvfuncRight` with delayed entry). Curves are
# drawn only while at least 10 spells are at risk.

# %%
home_supervision.show(report, "spell_counts")
display(Markdown(report.texts["median"]))
home_supervision.show(report, "km")

# %% [markdown]
# ## How spells end
#
# Each spell ends one of three ways, which compete: once a child is
# discharged they can no longer move away from home in that spell. The
# cumulative incidence of each ending (Aalen-Johansen estimator, with the
# same censoring and delayed entry) is the share of spells that have ended
# that way by each duration; the three curves and the Kaplan-Meier
# survival add up to 100%. (One minus a Kaplan-Meier curve per cause would
# overstate each.)

# %%
home_supervision.show(report, "incidence_curves", "incidence", "endings")

# %% [markdown]
# ## What predicts leaving home supervision: Cox model
#
# A Cox proportional hazards model of the time to leaving home supervision
# (any ending) by age at the start of the spell (per year, centred at 8),
# sex (male vs female) and SIMD quintile (per quintile, 1 = most deprived).
# Local authority enters as **strata**: each authority has its own baseline
# hazard, so differences between authorities in how long they keep children
# on supervision need no assumption about their shape and cannot bias the
# other effects. Spells that began before the period enter at the period
# start (delayed entry); censoring as above; Efron's method for tied times.
# Standard errors are robust ("sandwich"), clustered by child, since some
# children have more than one spell. A hazard ratio above 1 means a shorter
# spell (leaving sooner). The coefficients are conditional on the covariates
# and the authority (stratum), not population-averaged. The model is fitted
# only when at least 10 spells per term ended.

# %%
if "cox" in report.tables:
    home_supervision.show(report, "cox")
    display(Markdown(report.texts["cox_note"]))
    home_supervision.show(report, "hazard_ratios")
else:
    display(Markdown("\n".join(f"- {line}" for line in report.cannot_estimate if "Cox" in line)))

# %% [markdown]
# **Diagnostics.** The proportional hazards assumption says each covariate's
# effect is the same at every duration. The scaled Schoenfeld residuals
# below (averaged in bins of duration) should be flat; a clear slope means
# the effect changes over the spell.

# %%
home_supervision.show(report, "schoenfeld")

# %% [markdown]
# ## Children supervised at home for five years or more
#
# On 31 July of each year: children in a spell of home supervision that had
# lasted five years or more by then (`long_years`), how many, and as a share
# of all children at home on supervision that day; then their
# characteristics on 31 July of the last year, beside all children at home
# on supervision that day (counts and column percentages).

# %%
home_supervision.show(report, "long", "long_trend", "characteristics")

# %%
if "planted" in report.tables:
    display(Markdown("## Planted-truth check\n\n" + report.texts["planted"]))
    home_supervision.show(report, "planted")

# %% tags=["summary"]
print(report.texts["summary"])

# %% [markdown]
# ## Limitations
#
# - Rates per 1,000 children need population estimates by authority, which
#   the returns do not carry; they are shown as unavailable.
# - Spells that began before the period are used from the period start only;
#   on real returns whose history before the period is incomplete, the start
#   of such a spell (and so its duration) may be unknown: they would then
#   need dropping or a different time scale.
# - The Cox model assumes the effects of age, sex and deprivation are the
#   same at every duration (checked above by the Schoenfeld residuals); it
#   models leaving by any route. How spells end is described by the
#   cumulative incidence curves, not modelled by covariates.
# - Turning 18 is treated as censoring. A spell that ended by discharge at
#   18 is counted as still going at 18, not as a discharge.

# %%
if synthetic:
    display(
        Markdown(
            "- Synthetic data: generated from the model fitted here, so recovering the planted values shows "
            "the code is right, not that the model is right for real returns."
        )
    )

# %% [markdown]
# ## Methods appendix: the exact models
#
# - **Stock**: children with an episode on 31 July Y
#   (`episode_start <= 31 July Y < episode_end`, or open) whose legal reason is
#   `cso_home` and placement `at_home_with_parents`; share = that count / all
#   children looked after on 31 July Y.
# - **Spell time** T = (end - start) / 365.25 years; censored at the end of
#   the data or at the 18th birthday; entry time E = (period start - start) /
#   365.25 for spells that began before the period (else 0); at risk at time t
#   when E < t <= T.
# - **Kaplan-Meier**: S(t) = prod over event times t_j <= t of (1 - d_j / n_j);
#   median = smallest t with S(t) <= 0.5 (statsmodels `SurvfuncRight(time,
#   status, entry=entry)`), interval by Brookmeyer-Crowley.
# - **Aalen-Johansen**: F_k(t) = sum over t_j <= t of S(t_j-) d_kj / n_j for
#   ending k (`lac_outcomes.scotland.survival.cumulative_incidence`).
# - **Cox**: h(t | x, LA) = h0_LA(t) exp(b1 (age_at_start - 8) + b2 male +
#   b3 (simd_quintile - 1)); statsmodels
#   `PHReg.from_formula("time ~ age_at_start_minus_8 + male + simd_quintile_minus_1", data,
#   status=event, entry=entry, strata=la_code, ties="efron")`;
#   sandwich covariance H^-1 (sum over children of U_c U_c') H^-1 from score
#   residuals that respect delayed entry (Lin and Wei, Breslow form;
#   `survival.cox_score_residuals`, `survival.robust_cox_covariance`).
