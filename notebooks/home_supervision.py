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
# # Home supervision: children looked after at home with parents (Scotland)
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
truth_path = "../data/raw/synthetic/scotland/truth.yaml"
disclosure_threshold = 5
results_path = "../results/home_supervision/results.json"
# Children supervised at home this many years or more are the "long" group.
long_years = 5.0

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
from lac_outcomes.scotland import derive, survival

sns.set_theme(style="whitegrid", context="notebook")
processed = Path(processed_dir)
tables = {name: read_parquet(processed / f"{name}.parquet") for name in ["children", "episodes", "pupils"]}
truth = yaml.safe_load(Path(truth_path).read_text()) if truth_path else None
# The observation period: looked-after years labelled by their end, 1 August to 31 July.
years = sorted(int(y) for y in tables["pupils"]["school_year"].unique())
period_start = pd.Timestamp(years[0] - 1, 8, 1)
period_end = pd.Timestamp(years[-1], 7, 31)
ENDING_LABELS = {"discharged": "Discharged", "moved_away_from_home": "Moved away from home", "permanence": "Permanence"}
display(Markdown(f"Period: 1 August {years[0] - 1} to 31 July {years[-1]} (looked-after years {years[0]} to {years[-1]})."))

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
# (unavailable), not estimated.

# %%
stock = survival.stock_by_year(tables["episodes"], tables["children"], years)
national = stock.groupby("year")[["looked_after", "home_supervision"]].sum()
national["share"] = 100 * national["home_supervision"] / national["looked_after"]
national["rate_per_1000"] = np.nan  # no population denominator in the returns
national_table = national.rename(
    columns={
        "home_supervision": "at home on supervision",
        "looked_after": "all looked after",
        "share": "share of looked after (%)",
        "rate_per_1000": "per 1,000 children",
    }
)
national_table.index = national_table.index.astype(str)
shown = disclosure.suppress(
    national_table,
    ["at home on supervision", "all looked after"],
    threshold=disclosure_threshold,
    rate_columns={"share of looked after (%)": ["at home on supervision", "all looked after"], "per 1,000 children": "at home on supervision"},
    complements={"at home on supervision": "all looked after"},  # the children looked after away from home
)
display(HTML(shown.to_html("Children looked after at home on supervision on 31 July, Scotland")))

# %%
fig, ax1 = plt.subplots(figsize=(8, 4))
sns.lineplot(x=national.index, y=national["home_supervision"], marker="o", ax=ax1, label="Children at home on supervision")
ax1.set(title="Children looked after at home on supervision, 31 July", xlabel="Year ending 31 July", ylabel="Children", ylim=(0, None))
ax2 = ax1.twinx()
sns.lineplot(x=national.index, y=national["share"], marker="s", color="#b2182b", ax=ax2, label="Share of all looked after (right axis)")
ax2.set(ylabel="Percent of looked-after children", ylim=(0, 60))
ax2.grid(False)
lines = ax1.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
ax1.legend(lines, [l.get_label() for l in lines], loc="lower left")
ax2.get_legend().remove()
plt.show()

# %% [markdown]
# ### By local authority
#
# The share of each authority's looked-after children who are at home on
# supervision, by year. Shares resting on fewer than the disclosure threshold
# of children (at home, or away from home) are left blank in the figure and
# suppressed in the table.

# %%
stock["share"] = 100 * stock["home_supervision"] / stock["looked_after"]
stock["hidden"] = disclosure.rests_on_small_counts(
    stock, ["home_supervision", "looked_after"], threshold=disclosure_threshold, complements={"home_supervision": "looked_after"}
)
heat = stock.assign(share=stock["share"].mask(stock["hidden"])).pivot(index="la_code", columns="year", values="share")
fig, ax = plt.subplots(figsize=(10, 0.3 * len(heat) + 2))
sns.heatmap(heat, cmap="viridis", vmin=0, vmax=max(60, float(np.nanmax(heat.to_numpy())) if heat.notna().any().any() else 60), cbar_kws={"label": "Percent of looked-after children at home on supervision"}, ax=ax)
ax.set(title="Share of looked-after children at home on supervision, by local authority, 31 July", xlabel="Year ending 31 July", ylabel="Local authority (GSS code)")
plt.show()

# %%
latest = stock[stock["year"] == years[-1]].set_index("la_code")[["home_supervision", "looked_after", "share"]].copy()
latest["per 1,000 children"] = np.nan
latest.loc["Scotland"] = [latest["home_supervision"].sum(), latest["looked_after"].sum(), 100 * latest["home_supervision"].sum() / latest["looked_after"].sum(), np.nan]
latest = latest.rename(columns={"home_supervision": "at home on supervision", "looked_after": "all looked after", "share": "share (%)"})
shown = disclosure.suppress(
    latest,
    ["at home on supervision", "all looked after"],
    threshold=disclosure_threshold,
    rate_columns={"share (%)": ["at home on supervision", "all looked after"], "per 1,000 children": "at home on supervision"},
    complements={"at home on supervision": "all looked after"},  # the children looked after away from home
    total_row="Scotland",
)
display(HTML(shown.to_html(f"Children at home on supervision by local authority, 31 July {years[-1]}")))

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
# each duration (statsmodels `SurvfuncRight` with delayed entry).

# %%
runs = derive.home_supervision_spells(tables["episodes"], tables["children"], censor_date=period_end)
spells = survival.survival_data(runs, tables["children"], period_start, period_end)
km = survival.kaplan_meier(spells["time"], spells["event"], spells["entry"])
km_curve = survival.km_table(km)
median = survival.km_median(km)
median_low, median_high = survival.km_median_interval(km)
spell_counts = pd.DataFrame(
    {
        "spells": [len(spells), int((spells["entry"] > 0).sum()), int(spells["event"].sum()), int((spells["cause"] == "censored").sum()), int(spells["reached_age_18"].fillna(False).astype(bool).sum())],
    },
    index=["spells analysed", "began before the period (delayed entry)", "ended (left home supervision)", "censored", "of which censored at 18"],
)
# Spells analysed = ended + censored: those three add up, so they are one line for secondary suppression.
spell_counts["adds up"] = ["analysed", None, "analysed", "analysed", None]
shown = disclosure.suppress(spell_counts, ["spells"], threshold=disclosure_threshold, groups=["adds up"])
shown.display = shown.display.drop(columns="adds up")
display(HTML(shown.to_html("Spells of home supervision in the survival analysis")))
display(Markdown(f"**Median duration** (Kaplan-Meier): {median:.2f} years (95% CI {median_low:.2f} to {median_high:.2f}). "
                 f"Still on home supervision after 1 year: {100 * survival.survival_at(km, 1):.1f}%; after 2 years: {100 * survival.survival_at(km, 2):.1f}%; "
                 f"after {long_years:g} years: {100 * survival.survival_at(km, long_years):.1f}%."))

# %%
def _km_frame(subset, label):
    fitted = survival.kaplan_meier(subset["time"], subset["event"], subset["entry"])
    table = survival.km_table(fitted)
    table = table[table["at_risk"] >= max(disclosure_threshold, 10)]
    return pd.concat([pd.DataFrame({"time": [0.0], "survival": [1.0], "ci_low": [1.0], "ci_high": [1.0], "at_risk": [len(subset)]}), table]).assign(group=label)


age_group = pd.cut(spells["age_at_start"], [0, 5, 10, 14, 18], right=False, labels=["under 5", "5 to 9", "10 to 13", "14 to 17"])
fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
overall = _km_frame(spells, "All spells")
axes[0].step(overall["time"], 100 * overall["survival"], where="post", color="black")
axes[0].fill_between(overall["time"], 100 * overall["ci_low"], 100 * overall["ci_high"], step="post", alpha=0.3, color="grey")
axes[0].axhline(50, color="grey", linestyle=":")
axes[0].set(title="Kaplan-Meier: spells still on home supervision (95% CI)", xlabel="Years since the spell started", ylabel="Percent of spells still going", xlim=(0, 12), ylim=(0, 100))
age_frames = [_km_frame(spells[age_group == g], f"age {g}") for g in age_group.cat.categories if (age_group == g).sum() >= 30]
by_age = pd.concat(age_frames) if age_frames else pd.DataFrame(columns=["time", "survival", "ci_low", "ci_high", "at_risk", "group"])
for label, group in by_age.groupby("group", sort=False):
    axes[1].step(group["time"], 100 * group["survival"], where="post", label=label)
axes[1].legend(title="Age at start")
axes[1].set(title="Kaplan-Meier by age at start of the spell", xlabel="Years since the spell started", ylabel="Percent of spells still going", xlim=(0, 12), ylim=(0, 100))
fig.tight_layout()
plt.show()

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
incidence = survival.cumulative_incidence(spells["time"], spells["cause"], entry=spells["entry"])
incidence = incidence[incidence["at_risk"] >= max(disclosure_threshold, 10)]
long_form = incidence.melt(id_vars=["time"], value_vars=list(survival.ENDINGS), var_name="ending", value_name="incidence")
long_form["ending"] = long_form["ending"].map(ENDING_LABELS)
long_form["incidence"] *= 100
fig, ax = plt.subplots(figsize=(8, 4.5))
sns.lineplot(data=long_form, x="time", y="incidence", hue="ending", drawstyle="steps-post", ax=ax)
ax.set(title="How spells of home supervision end: cumulative incidence", xlabel="Years since the spell started", ylabel="Percent of spells ended this way", xlim=(0, 12), ylim=(0, 100))
ax.legend(title="Ending")
plt.show()
at = [1, 2, 5, 10]
cif_rows = []
for t in at:
    values = survival.incidence_at(incidence, t)
    cif_rows.append({"years": t, **{ENDING_LABELS[k]: 100 * v for k, v in values.items()}, "still on supervision": 100 * survival.survival_at(km, t)})
cif_table = pd.DataFrame(cif_rows).set_index("years")
cif_table.index = [f"{t} year{'s' if t > 1 else ''}" for t in at]
cif_table.insert(0, "spells at risk", [int(((spells["entry"] < t) & (spells["time"] >= t)).sum()) for t in at])
shown = disclosure.suppress(cif_table, ["spells at risk"], threshold=disclosure_threshold, rate_columns={c: "spells at risk" for c in cif_table.columns[1:]})
display(HTML(shown.to_html("Percent of spells ended each way, and still going, by years since the spell started")))
endings = spells[spells["event"] == 1]["cause"].value_counts().reindex(list(survival.ENDINGS), fill_value=0)
ending_counts = pd.DataFrame({"spells": endings.rename(index=ENDING_LABELS)})
ending_counts.loc["Total"] = ending_counts["spells"].sum()
ending_counts["percent"] = 100 * ending_counts["spells"] / ending_counts.loc["Total", "spells"]
endings_shown = disclosure.suppress(ending_counts, ["spells"], threshold=disclosure_threshold, rate_columns={"percent": "spells"}, total_row="Total")
display(HTML(endings_shown.to_html("Spells that ended, by how they ended")))

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
# spell (leaving sooner).

# %%
cox = survival.fit_cox(spells, stratify_by="la_code")
cox_cov = survival.robust_cox_covariance(cox, spells["child_id"])
cox_estimates = survival.cox_table(cox, cox_cov)
cox_shown = cox_estimates.set_index("term")[["estimate", "std_error", "ci_low", "ci_high", "hazard_ratio", "hr_low", "hr_high"]]
cox_shown = cox_shown.rename(
    index={"age_at_start_minus_8": "age at start (per year)", "male": "male", "simd_quintile_minus_1": "SIMD quintile (per quintile)"},
    columns={"estimate": "log hazard ratio", "ci_low": "95% CI low", "ci_high": "95% CI high", "hazard_ratio": "hazard ratio", "hr_low": "HR 95% low", "hr_high": "HR 95% high"},
)
cox_shown.insert(0, "spells", len(spells))
shown = disclosure.suppress(cox_shown, ["spells"], threshold=disclosure_threshold, rate_columns={c: "spells" for c in cox_shown.columns if c != "spells"}, decimals=3)
display(HTML(shown.to_html("Cox model of time to leaving home supervision (stratified by local authority)")))
n_children = spells["child_id"].nunique()
display(Markdown(f"{len(spells):,} spells of {n_children:,} children; {int(spells['event'].sum()):,} endings; {spells['la_code'].nunique()} local authority strata."))

# %%
fig, ax = plt.subplots(figsize=(7, 3))
ax.errorbar(cox_estimates["hazard_ratio"], cox_shown.index, xerr=[cox_estimates["hazard_ratio"] - cox_estimates["hr_low"], cox_estimates["hr_high"] - cox_estimates["hazard_ratio"]], fmt="o", color="black")
ax.axvline(1, color="grey", linestyle="--")
ax.set(title="Hazard ratios for leaving home supervision (95% CI)", xlabel="Hazard ratio (above 1: leave sooner)", ylabel="")
plt.show()

# %% [markdown]
# **Diagnostics.** The proportional hazards assumption says each covariate's
# effect is the same at every duration. The scaled Schoenfeld residuals
# below (smoothed, against duration) should be flat; a clear slope means the
# effect changes over the spell.

# %%
schoenfeld = cox.schoenfeld_residuals
events_mask = ~np.isnan(schoenfeld[:, 0])
times = cox.model.endog[events_mask]
fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
for j, name in enumerate(cox_shown.index):
    values = schoenfeld[events_mask, j]
    frame_ = pd.DataFrame({"time": times, "resid": values}).sort_values("time")
    frame_["bin"] = pd.qcut(frame_["time"].rank(method="first"), 20, labels=False)
    binned = frame_.groupby("bin").agg(time=("time", "mean"), resid=("resid", "mean"))
    axes[j].plot(binned["time"], binned["resid"], marker="o")
    axes[j].axhline(0, color="black")
    axes[j].set(title=f"Schoenfeld residuals: {name}", xlabel="Years since the spell started", ylabel="Mean residual (20 bins)")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Children supervised at home for five years or more
#
# On 31 July of each year: children in a spell of home supervision that had
# lasted five years or more by then, how many, and as a share of all children
# at home on supervision that day.

# %%
long_rows, characteristics = [], []
for year in years:
    day = pd.Timestamp(year, 7, 31)
    current = survival.long_spells_on(runs, day, min_years=long_years)
    long_rows.append({"year": str(year), "at home on supervision": len(current), f"{long_years:g}+ years": int(current["long"].sum())})
    if year == years[-1]:
        characteristics = current
long_table = pd.DataFrame(long_rows).set_index("year")
long_table["share (%)"] = 100 * long_table[f"{long_years:g}+ years"] / long_table["at home on supervision"]
shown = disclosure.suppress(long_table, ["at home on supervision", f"{long_years:g}+ years"], threshold=disclosure_threshold, rate_columns={"share (%)": [f"{long_years:g}+ years", "at home on supervision"]}, complements={f"{long_years:g}+ years": "at home on supervision"})
display(HTML(shown.to_html(f"Children on home supervision for {long_years:g} years or more, 31 July")))
fig, ax = plt.subplots(figsize=(8, 4))
# The figure shows only the years the table shows.
long_plotted = long_table[~shown.suppressed[f"{long_years:g}+ years"].to_numpy()]
sns.lineplot(data=long_plotted.reset_index().assign(year=lambda f: f["year"].astype(int)), x="year", y=f"{long_years:g}+ years", marker="o", ax=ax)
ax.set(title=f"Children on home supervision for {long_years:g} years or more, 31 July", xlabel="Year ending 31 July", ylabel="Children", ylim=(0, None))
plt.show()

# %% [markdown]
# Their characteristics on 31 July of the last year, beside all children at
# home on supervision that day (counts and column percentages).

# %%
day = pd.Timestamp(years[-1], 7, 31)
current = characteristics.copy()
current["age"] = derive.age_on(current["child_id"].map(tables["children"].set_index("child_id")["date_of_birth"]), day)
current["age band"] = pd.cut(current["age"], [0, 5, 10, 14, 18], right=False, labels=["under 5", "5 to 9", "10 to 13", "14 to 17"]).astype(str)
current["SIMD quintile"] = current["simd_quintile"].astype(int).astype(str)
rows = []
for variable in ["sex", "age band", "SIMD quintile"]:
    for value, group in current.groupby(variable):
        rows.append({"characteristic": variable, "value": str(value), f"{long_years:g}+ years": int(group["long"].sum()), "all at home on supervision": len(group)})
char_table = pd.DataFrame(rows)
for column in [f"{long_years:g}+ years", "all at home on supervision"]:
    char_table[f"{column} (%)"] = 100 * char_table[column] / char_table.groupby("characteristic")[column].transform("sum")
char_table = char_table.set_index(["characteristic", "value"])
shown = disclosure.suppress(
    char_table.reset_index(),
    [f"{long_years:g}+ years", "all at home on supervision"],
    threshold=disclosure_threshold,
    rate_columns={f"{long_years:g}+ years (%)": f"{long_years:g}+ years", "all at home on supervision (%)": "all at home on supervision"},
    groups=["characteristic"],
)
shown.display = shown.display.set_index(["characteristic", "value"])
shown.suppressed = shown.suppressed.set_index(char_table.index)
display(HTML(shown.to_html(f"Characteristics of children on home supervision {long_years:g}+ years, 31 July {years[-1]}")))

# %% [markdown]
# ## Planted-truth check
#
# The default data is synthetic: spell durations were drawn from a Weibull
# proportional hazards model with known log hazard ratios, and each ending
# drawn with known probabilities independent of duration (`truth.yaml`). The
# Cox model should recover the log hazard ratios (whatever the Weibull
# baseline and the authority effects, which the strata absorb), and the share
# of endings of each kind should match its probability.

# %%
if truth is None:
    planted_rows = None
    display(Markdown("**The truth is unknown**: these are real returns, not synthetic data, so there are no planted values to compare with. This section is left out."))
else:
    planted_cox = survival.planted_cox(truth)
    cox_check = cox_estimates[["term", "estimate", "std_error", "ci_low", "ci_high"]].copy()
    cox_check["planted"] = cox_check["term"].map(planted_cox)
    cox_check["kind"] = "log_hazard_ratio"
    shares = survival.cause_shares(spells)
    shares_check = pd.DataFrame(
        {
            "term": "share ending " + shares["cause"],
            "estimate": shares["share"],
            "std_error": np.sqrt(shares["share"] * (1 - shares["share"]) / shares["n"]),
            "ci_low": shares["ci_low"],
            "ci_high": shares["ci_high"],
            "planted": shares["cause"].map(truth["home_supervision"]["cause_of_end_probabilities"]),
            "kind": "cause_of_end_probability",
        }
    )
    planted_rows = pd.concat([cox_check, shares_check], ignore_index=True)
    planted_rows["covered"] = (planted_rows["ci_low"] <= planted_rows["planted"]) & (planted_rows["planted"] <= planted_rows["ci_high"])
    table = planted_rows.set_index("term")[["planted", "estimate", "ci_low", "ci_high"]].round(3)
    table["covered"] = planted_rows["covered"].map({True: "yes", False: "no"}).to_numpy()
    table.insert(0, "spells", [len(spells)] * len(cox_check) + list(shares["n"]))
    # A share of endings times the spells gives back that ending's count: withhold it wherever
    # the table of endings above suppressed the count.
    ending_hidden = [bool(endings_shown.suppressed.loc[ENDING_LABELS[c], "spells"]) for c in shares["cause"]]
    withheld = pd.Series([False] * len(cox_check) + ending_hidden, index=table.index)
    shown = disclosure.suppress(
        table, ["spells"], threshold=disclosure_threshold, rate_columns={c: "spells" for c in ["planted", "estimate", "ci_low", "ci_high"]},
        withheld=withheld, decimals=3,
    )
    shown.display.loc[withheld.to_numpy(), "covered"] = disclosure.CONFIDENTIAL
    display(HTML(shown.to_html("Planted and estimated: Cox log hazard ratios and probabilities of each ending")))
    long_truth = truth["home_supervision"]["long_duration"]
    on_end = survival.long_spells_on(runs, period_end, min_years=5.0)
    long_count = int(on_end["long"].sum())
    long_count = f"{long_count:,}" if long_count == 0 or long_count >= disclosure_threshold else disclosure.CONFIDENTIAL
    display(Markdown(
        f"{int(planted_rows['covered'].sum())} of {len(planted_rows)} planted values lie in their 95% interval. "
        f"Children at home 5+ years on {period_end:%d %B %Y}: {long_count} here, {long_truth['children_at_home_5_years_or_more_on_period_end']:,} by the generator's own count. "
        f"The model's share of spells lasting 5 years for the reference child (female, 8 at start, SIMD 1, average authority, no age-18 limit) is {100 * long_truth['model_share_lasting_5_years_reference']:.1f}%."
    ))

# %%
def _records(frame_):
    return None if frame_ is None else json.loads(frame_.to_json(orient="records"))


direct_median_check = float(km_curve.loc[km_curve["survival"] <= 0.5, "time"].iloc[0]) if (km_curve["survival"] <= 0.5).any() else None
write_json(
    results_path,
    {
        "period": {"start": str(period_start.date()), "end": str(period_end.date())},
        "stock_national": _records(national.reset_index().drop(columns=["rate_per_1000"])),
        "rate_per_1000_children": "x (unavailable: no population denominator in the returns)",
        "spells": {"analysed": int(len(spells)), "delayed_entry": int((spells["entry"] > 0).sum()), "ended": int(spells["event"].sum())},
        "km_median_years": median,
        "km_median_ci": [median_low, median_high],
        "km_survival_at": {str(t): survival.survival_at(km, t) for t in [1, 2, 5, 10]},
        "cumulative_incidence_at": {str(t): survival.incidence_at(incidence, t) for t in [1, 2, 5, 10]},
        "cox": _records(cox_estimates),
        "cox_strata": "la_code",
        "long_duration": _records(long_table.reset_index()),
        "truth_known": truth is not None,
        "planted_vs_estimated": _records(planted_rows),
        "coverage": None if planted_rows is None else {"covered": int(planted_rows["covered"].sum()), "total": int(len(planted_rows))},
    },
)

# %% tags=["summary"]
coverage_text = "truth unknown" if planted_rows is None else f"{int(planted_rows['covered'].sum())} of {len(planted_rows)} planted values in their 95% CI"
print(
    f"{int(national['home_supervision'].iloc[-1]):,} children at home on supervision on 31 July {years[-1]} "
    f"({national['share'].iloc[-1]:.1f}% of looked after); median spell {median:.1f} years; {coverage_text}."
)

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
# - Synthetic data: generated from the model fitted here, so recovering the
#   planted values shows the code is right, not that the model is right for
#   real returns.
#
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
#   `PHReg.from_formula("time ~ age_at_start_minus_8 + male + simd_quintile_minus_1", data, status=event, entry=entry, strata=la_code, ties="efron")`;
#   sandwich covariance H^-1 (sum over children of U_c U_c') H^-1 from score
#   residuals that respect delayed entry (Lin and Wei, Breslow form;
#   `survival.cox_score_residuals`, `survival.robust_cox_covariance`).
