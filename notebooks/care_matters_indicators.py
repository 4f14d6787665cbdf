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
results_path = "../results/care_matters_indicators/results.json"
# Collection year of the tables by local authority and the funnel plots (None: the latest loaded).
year = None
# "all", or a list of LA codes to show in the tables and plots (national figures always use every LA loaded).
local_authorities = "all"

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
from lac_outcomes.england import funnel
from lac_outcomes.england.checks import STANDARD_ERRORS, compare_with_planted
from lac_outcomes.england.indicators import DEFINITIONS
from lac_outcomes.england.local_authorities import LOCAL_AUTHORITIES
from lac_outcomes.io import read_parquet, write_json

sns.set_theme(style="whitegrid", context="notebook")
processed = Path(processed_dir)
indicators = read_parquet(processed / "indicators.parquet")
truth = yaml.safe_load(Path(truth_path).read_text()) if truth_path else None

NAMES = {
    "CLA_31MAR": "Looked after at 31 March",
    "STARTED": "Started to be looked after",
    "CEASED": "Ceased to be looked after",
    "P1_31MAR": "Placed with parents at 31 March",
    "NI58": "NI 58 Emotional and behavioural health (mean SDQ score)",
    "NI61": "NI 61 Timeliness of adoption placements",
    "NI62": "NI 62 Three or more placements in the year",
    "NI63": "NI 63 Long-term placement stability",
    "NI66": "NI 66 Reviews on time",
    "NI147": "NI 147 Care leavers in suitable accommodation",
    "NI148": "NI 148 Care leavers in education, employment or training",
}
SHORT = {k: v.split(" (")[0] if k == "NI58" else v for k, v in NAMES.items()}
COUNTS = ["CLA_31MAR", "STARTED", "CEASED"]
PROPORTIONS = ["P1_31MAR", "NI61", "NI62", "NI63", "NI66", "NI147", "NI148"]
MEANS = ["NI58"]
LA_NAMES = dict(LOCAL_AUTHORITIES)

years = sorted(int(y) for y in indicators["YEAR"].unique())
year = int(year) if year is not None else years[-1]
if year not in years:
    raise ValueError(f"year {year} is not among the collection years loaded ({years[0]}-{years[-1]})")
loaded_las = sorted(indicators["LA"].unique())
selected = loaded_las if local_authorities == "all" else list(local_authorities)
unknown = sorted(set(selected) - set(loaded_las))
if unknown:
    raise ValueError(f"local authorities not in the data: {unknown}; loaded: {loaded_las}")
indicators["authority"] = indicators["LA"].map(lambda code: f"{LA_NAMES.get(code, code)} ({code})")

# %% [markdown]
# ## Data and method
#
# Each local authority's SSDA903 return for each collection year (1 April to
# 31 March, labelled by the year in which it ends: 2019 is 1 April 2018 to
# 31 March 2019) is validated row by row (see the England data-quality
# report); the episodes of all loaded years are joined into one care history
# per child, so that indicators which look back before the year (NI 63 needs
# the two earlier returns, NI 66 the one before) can be computed. Where the
# earlier returns were not loaded the value is still shown, marked *history
# incomplete*, and is not used in the checks against the planted values.
#
# **National** here means all local authorities loaded (on the synthetic
# data, a sample of English authorities, not England). A national rate is the
# sum of the authorities' numerators over the sum of their denominators.
#
# Disclosure control: counts of children under the threshold are shown as
# `c`, with secondary suppression so they cannot be worked out from totals,
# and a percentage or mean on a suppressed count is suppressed with it. LA
# values resting on a suppressed count are left out of the plots.

# %%
display(Markdown(f"Disclosure threshold for this run: counts of 1 to {disclosure_threshold - 1} are suppressed."))

# %% [markdown]
# ## Definitions
#
# As published for the Care Matters national indicator set and computed
# here (`lac_outcomes.england.indicators`). Children looked after under an
# agreed series of short-term breaks (legal status V3 or V4) are excluded
# throughout, as in the Department for Education's figures.

# %%
display(Markdown("\n".join(f"- **`{key}`** {text}" for key, text in DEFINITIONS.items())))

# %%
# National figures: sums over every LA loaded; NI 58's spread pooled from the LAs' own.
def national_frame(frame: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (indicator, yr), group in frame.groupby(["indicator", "YEAR"], sort=False):
        numerator = int(group["numerator"].sum())
        denominator = group["denominator"].sum() if indicator not in COUNTS else np.nan
        value = numerator if indicator in COUNTS else (numerator / denominator if denominator > 0 else np.nan)
        sd = funnel.pooled_sd(group["denominator"], group["value"], group["sd"]) if indicator in MEANS else np.nan
        rows.append({"indicator": indicator, "YEAR": int(yr), "numerator": numerator, "denominator": denominator, "value": value, "sd": sd,
                     "history_complete": bool(group["history_complete"].all())})
    return pd.DataFrame(rows)


national = national_frame(indicators)


def counts_of(frame: pd.DataFrame) -> pd.DataFrame:
    """Numerator and denominator as counts of children (NI 58's numerator is a sum of scores, not children)."""
    return frame.assign(numerator=frame["numerator"].where(~frame["indicator"].isin(MEANS)))


# An LA-year value is withheld from every output -- tables, figures, results file -- when it
# rests on a small count (its numerator, its cohort, or the children left out), or when it
# is the second cell hidden so that one cannot be worked out from the national total.
withheld = disclosure.suppress(
    counts_of(indicators), ["numerator", "denominator"], threshold=disclosure_threshold,
    complements={"numerator": "denominator"}, groups=["indicator", "YEAR"],
).suppressed[["numerator", "denominator"]].any(axis=1)
indicators = indicators.assign(small=withheld)
shown_las = indicators[indicators["LA"].isin(selected)].copy()
national["small"] = disclosure.rests_on_small_counts(
    counts_of(national), ["numerator", "denominator"], threshold=disclosure_threshold, complements={"numerator": "denominator"}
)

# %% [markdown]
# ## Children looked after, starting, ceasing and placed with parents
#
# Placed with parents (placement code P1: with their own parents or others
# with parental responsibility) is the English counterpart of Scotland's
# home supervision.

# %%
headline = shown_las[shown_las["indicator"].isin(COUNTS + ["P1_31MAR"])]
wide = headline.pivot_table(index=["authority", "YEAR"], columns="indicator", values="numerator", aggfunc="first").reset_index()
wide = wide.rename(columns={"authority": "Local authority", "YEAR": "Year"})
wide["placed with parents (%)"] = 100 * wide["P1_31MAR"] / wide["CLA_31MAR"].where(wide["CLA_31MAR"] > 0)
wide = wide.rename(columns={"CLA_31MAR": "looked after at 31 March", "STARTED": "started", "CEASED": "ceased", "P1_31MAR": "placed with parents"})
wide = wide[["Local authority", "Year", "looked after at 31 March", "started", "ceased", "placed with parents", "placed with parents (%)"]]
count_columns = ["looked after at 31 March", "started", "ceased", "placed with parents"]
shown = disclosure.suppress(
    wide,
    count_columns,
    threshold=disclosure_threshold,
    rate_columns={"placed with parents (%)": ["placed with parents", "looked after at 31 March"]},
    complements={"placed with parents": "looked after at 31 March"},  # the children not placed with parents
    groups=["Year"],  # the authorities of a year add up to the national totals shown below
)
shown.display = shown.display.set_index(["Local authority", "Year"])
display(HTML(shown.to_html("Children looked after at 31 March, starting and ceasing in the year, and placed with parents, by local authority and collection year")))

# %%
national_counts = national[national["indicator"].isin(COUNTS + ["P1_31MAR"])].pivot(index="YEAR", columns="indicator", values="numerator")
national_counts["placed with parents (%)"] = 100 * national_counts["P1_31MAR"] / national_counts["CLA_31MAR"]
national_counts = national_counts.rename(columns={"CLA_31MAR": "looked after at 31 March", "STARTED": "started", "CEASED": "ceased", "P1_31MAR": "placed with parents"})
national_counts.index = national_counts.index.rename("Year").astype(str)
national_counts = national_counts[count_columns + ["placed with parents (%)"]].rename_axis(columns=None)
shown = disclosure.suppress(
    national_counts, count_columns, threshold=disclosure_threshold, rate_columns={"placed with parents (%)": ["placed with parents", "looked after at 31 March"]},
    complements={"placed with parents": "looked after at 31 March"},
)
display(HTML(shown.to_html("All local authorities loaded: children looked after, starting, ceasing and placed with parents, by collection year")))

# %%
long_counts = national[national["indicator"].isin(COUNTS)].assign(measure=lambda f: f["indicator"].map(NAMES))
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
sns.lineplot(data=long_counts, x="YEAR", y="numerator", hue="measure", marker="o", ax=axes[0])
axes[0].set(title="Children looked after, starting and ceasing", xlabel="Collection year (ending 31 March)", ylabel="Children")
axes[0].legend(title=None)
axes[0].set_ylim(bottom=0)
p1 = national[(national["indicator"] == "P1_31MAR") & ~national["small"]]
sns.lineplot(x=p1["YEAR"], y=100 * p1["value"], marker="o", ax=axes[1])
axes[1].set(title="Placed with parents at 31 March", xlabel="Collection year (ending 31 March)", ylabel="Percent of children looked after", ylim=(0, None))
for ax in axes:
    ax.xaxis.get_major_locator().set_params(integer=True)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## National trends in the indicators
#
# The national value (black) with each authority's (grey) where its count is
# large enough to show. NI 63 and NI 66 are marked where the history they need
# was not loaded (hollow points).

# %%
trend = national[national["indicator"].isin(PROPORTIONS + MEANS) & ~national["small"]].copy()
trend["shown"] = np.where(trend["indicator"].isin(MEANS), trend["value"], 100 * trend["value"])
la_trend = shown_las[shown_las["indicator"].isin(PROPORTIONS + MEANS) & ~shown_las["small"]].copy()
la_trend["shown"] = np.where(la_trend["indicator"].isin(MEANS), la_trend["value"], 100 * la_trend["value"])
order = PROPORTIONS + MEANS
fig, axes = plt.subplots(2, 4, figsize=(16, 7.5), sharex=True)
for ax, indicator in zip(axes.flat, order):
    for _, group in la_trend[la_trend["indicator"] == indicator].groupby("LA"):
        ax.plot(group["YEAR"], group["shown"], color="0.75", linewidth=0.8)
    line = trend[trend["indicator"] == indicator]
    ax.plot(line["YEAR"], line["shown"], color="black", marker="o", markerfacecolor="black", linewidth=2)
    incomplete = line[~line["history_complete"]]
    ax.plot(incomplete["YEAR"], incomplete["shown"], linestyle="none", marker="o", markerfacecolor="white", markeredgecolor="black")
    unit = "Mean SDQ score (0-40)" if indicator in MEANS else "Percent of cohort"
    ax.set(title=SHORT[indicator].replace(" (", "\n("), xlabel="Collection year", ylabel=unit)
    ax.title.set_fontsize(10)
    ax.xaxis.get_major_locator().set_params(integer=True)
fig.suptitle("Care Matters indicators by collection year: all LAs loaded (black) and each LA (grey)")
fig.tight_layout()
plt.show()

# %%
national_table = national[national["indicator"].isin(PROPORTIONS + MEANS)].copy()
national_table["Indicator"] = national_table["indicator"].map(SHORT)
national_table["value shown"] = np.where(national_table["indicator"].isin(MEANS), national_table["value"], 100 * national_table["value"])
national_table["meeting it (children)"] = national_table["numerator"].where(~national_table["indicator"].isin(MEANS))
national_table = national_table.rename(columns={"YEAR": "Year", "denominator": "cohort (children)"})
national_table["history"] = np.where(national_table["history_complete"], "complete", "incomplete")
national_table = national_table[["Indicator", "Year", "cohort (children)", "meeting it (children)", "value shown", "history"]]
national_table = national_table.rename(columns={"value shown": "percent (mean score for NI 58)"})
shown = disclosure.suppress(
    national_table.set_index(["Indicator", "Year"]),
    ["cohort (children)", "meeting it (children)"],
    threshold=disclosure_threshold,
    rate_columns={"percent (mean score for NI 58)": ["cohort (children)", "meeting it (children)"]},
    complements={"meeting it (children)": "cohort (children)"},  # the children not meeting it are a count too
)
display(HTML("<details><summary>All local authorities loaded: every indicator by collection year (table)</summary>"
             + shown.to_html("Care Matters indicators, all local authorities loaded, by collection year") + "</details>"))

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

# %%
selected_year = shown_las[shown_las["YEAR"] == year].copy()
national_year = national[national["YEAR"] == year].set_index("indicator")
positions = []
for indicator in PROPORTIONS + MEANS:
    kind = "mean" if indicator in MEANS else "proportion"
    centre = float(national_year.loc[indicator, "value"])
    sd = float(national_year.loc[indicator, "sd"]) if kind == "mean" else None
    rows = selected_year[selected_year["indicator"] == indicator]
    # no funnel where the national value itself rests on a count under the threshold
    if national_year.loc[indicator, "small"] or not np.isfinite(centre) or (kind == "mean" and not np.isfinite(sd or np.nan)):
        continue
    positions.append(funnel.classify(rows, kind, centre, sd=sd).assign(centre=centre, kind=kind, national_sd=sd))
placed = pd.concat(positions, ignore_index=True)

fig, axes = plt.subplots(2, 4, figsize=(16, 8))
for ax, indicator in zip(axes.flat, PROPORTIONS + MEANS):
    rows = placed[(placed["indicator"] == indicator) & ~placed["small"] & (placed["denominator"] > 0)]
    if indicator not in set(placed["indicator"]):
        ax.set_axis_off()
        continue
    kind = "mean" if indicator in MEANS else "proportion"
    first = placed[placed["indicator"] == indicator].iloc[0]
    scale = 1 if kind == "mean" else 100
    n_max = max(float(placed.loc[placed["indicator"] == indicator, "denominator"].max()), 10.0) * 1.1
    lines = funnel.curve(kind, first["centre"], n_max, sd=first["national_sd"])
    for level, style in [(0.95, "--"), (0.998, ":")]:
        ax.plot(lines["n"], scale * lines[f"lower_{level:g}"], color="0.3", linestyle=style, linewidth=1, label=f"{level * 100:g}% limits")
        ax.plot(lines["n"], scale * lines[f"upper_{level:g}"], color="0.3", linestyle=style, linewidth=1)
    ax.axhline(scale * first["centre"], color="black", linewidth=1, label="national")
    outside = rows["position"].str.contains("99.8")
    ax.scatter(rows["denominator"], scale * rows["value"], color=np.where(outside, "tab:red", "tab:blue"), zorder=3, s=25)
    for row in rows[outside].itertuples():
        ax.annotate(LA_NAMES.get(row.LA, row.LA), (row.denominator, scale * row.value), fontsize=7, xytext=(3, 3), textcoords="offset points")
    unit = "Mean SDQ score (0-40)" if kind == "mean" else "Percent of cohort"
    ax.set(title=SHORT[indicator].replace(" (", "\n("), xlabel="Cohort size (children)", ylabel=unit)
    # the limits at very small cohorts span the whole scale: show the range where the authorities are
    spread = pd.concat([scale * rows["value"], pd.Series([scale * first["centre"]])])
    pad = 2.0 if kind == "mean" else 15.0
    ax.set_ylim(max(0, spread.min() - pad), min(40 if kind == "mean" else 100, spread.max() + pad))
    ax.title.set_fontsize(10)
axes.flat[0].legend(fontsize=8, loc="upper right")
fig.suptitle(f"Funnel plots, collection year {year - 1}/{str(year)[-2:]}: local authorities against the national value (red: outside 99.8%)")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Indicators by local authority in the selected year
#
# *Cohort* is the denominator of the indicator (for NI 58, the children with
# an SDQ score), *meeting it* the numerator; *against national* says where the
# authority falls in the funnel plot above.

# %%
table = placed.copy()
table["Indicator"] = table["indicator"].map(SHORT)
table["percent (mean score for NI 58)"] = np.where(table["kind"] == "mean", table["value"], 100 * table["value"])
table["meeting it (children)"] = table["numerator"].where(table["kind"] != "mean")
table["history"] = np.where(table["history_complete"], "complete", "incomplete")
table = table.rename(columns={"authority": "Local authority", "denominator": "cohort (children)", "position": "against national"})
table = table[["Indicator", "Local authority", "cohort (children)", "meeting it (children)", "percent (mean score for NI 58)", "against national", "history"]]
shown = disclosure.suppress(
    table,
    ["cohort (children)", "meeting it (children)"],
    threshold=disclosure_threshold,
    rate_columns={"percent (mean score for NI 58)": ["cohort (children)", "meeting it (children)"]},
    complements={"meeting it (children)": "cohort (children)"},  # the children not meeting it are a count too
    groups=["Indicator"],  # the authorities add up to the national figure shown above
    withheld=placed["small"],
)
# where the funnel position stands on a suppressed value it is suppressed too
shown.display.loc[shown.suppressed["percent (mean score for NI 58)"], "against national"] = disclosure.CONFIDENTIAL
shown.display = shown.display.set_index(["Indicator", "Local authority"])
display(HTML(shown.to_html(f"Care Matters indicators by local authority, collection year {year} (1 April {year - 1} to 31 March {year})")))

# %% [markdown]
# ## Every indicator by local authority and year

# %%
full = shown_las[shown_las["indicator"].isin(PROPORTIONS + MEANS)].copy()
full["Indicator"] = full["indicator"].map(SHORT)
full["percent (mean score for NI 58)"] = np.where(full["indicator"].isin(MEANS), full["value"], 100 * full["value"])
full["meeting it (children)"] = full["numerator"].where(~full["indicator"].isin(MEANS))
full["history"] = np.where(full["history_complete"], "complete", "incomplete")
full = full.rename(columns={"authority": "Local authority", "YEAR": "Year", "denominator": "cohort (children)"})
full = full[["Indicator", "Local authority", "Year", "cohort (children)", "meeting it (children)", "percent (mean score for NI 58)", "history"]]
shown = disclosure.suppress(
    full,
    ["cohort (children)", "meeting it (children)"],
    threshold=disclosure_threshold,
    rate_columns={"percent (mean score for NI 58)": ["cohort (children)", "meeting it (children)"]},
    complements={"meeting it (children)": "cohort (children)"},  # the children not meeting it are a count too
    groups=["Indicator", "Year"],
    withheld=shown_las["small"],
)
shown.display = shown.display.set_index(["Indicator", "Local authority", "Year"])
display(HTML("<details><summary>Every indicator by local authority and collection year (table)</summary>"
             + shown.to_html("Care Matters indicators by local authority and collection year") + "</details>"))

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
# indicator needs are not checked. On real returns the truth is unknown, and
# this section says so.

# %%
if truth is not None:
    planted = pd.DataFrame(truth["indicators"])
    check = compare_with_planted(indicators, planted)
    checked = check[check["checked"]]
    summary_by_indicator = (
        checked.assign(cohort=checked["n"].fillna(0))
        .groupby("indicator", sort=False)
        .agg(la_years=("within", "size"), within=("within", "sum"), children=("cohort", "sum"), largest=("difference", lambda d: d.abs().max()))
        .reindex([i for i in DEFINITIONS if i in set(checked["indicator"])])
    )
    summary_by_indicator["rule"] = [
        "exactly equal" if i in COUNTS else f"within {STANDARD_ERRORS:g} standard errors" for i in summary_by_indicator.index
    ]
    summary_by_indicator["largest difference"] = [
        f"{v:.3f}" if i in MEANS else (f"{100 * v:.1f} points" if i not in COUNTS else f"{v:.0f}")
        for i, v in summary_by_indicator["largest"].items()
    ]
    summary_by_indicator.index = summary_by_indicator.index.map(SHORT)
    summary_by_indicator = summary_by_indicator.rename(
        columns={"la_years": "LA-years checked", "within": "LA-years within", "children": "children in the cohorts"}
    )[["LA-years checked", "LA-years within", "rule", "largest difference", "children in the cohorts"]]
    summary_by_indicator = summary_by_indicator.rename_axis("Indicator")
    shown = disclosure.suppress(summary_by_indicator, ["children in the cohorts"], threshold=disclosure_threshold)
    display(HTML(shown.to_html("Computed indicators against the values planted in the synthetic returns")))

    targets = checked[checked["kind"] == "target"].copy()
    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    props = targets[targets["indicator"] != "NI58"]
    sns.scatterplot(x=100 * props["planted"], y=100 * props["computed"], hue=props["indicator"].map(SHORT), ax=axes[0], s=25)
    axes[0].axline((0, 0), slope=1, color="black", linewidth=1)
    axes[0].set(title="Proportions: computed against planted", xlabel="Planted (percent)", ylabel="Computed (percent)")
    axes[0].legend(fontsize=7, title=None)
    sdq = targets[targets["indicator"] == "NI58"]
    sns.scatterplot(x=sdq["planted"], y=sdq["computed"], ax=axes[1], s=25, color="tab:purple")
    axes[1].axline((sdq["planted"].mean(), sdq["planted"].mean()), slope=1, color="black", linewidth=1)
    axes[1].set(title="NI 58: computed against planted mean SDQ score", xlabel="Planted mean score (0-40)", ylabel="Computed mean score (0-40)")
    fig.tight_layout()
    plt.show()
    realised_exact = bool(checked.loc[checked["kind"] == "realised", "within"].all())
    targets_within = int(targets["within"].sum())
    truth_line = (
        f"realised counts {'all equal' if realised_exact else 'NOT all equal'} to those planted; "
        f"{targets_within} of {len(targets)} planted targets within {STANDARD_ERRORS:g} standard errors"
    )
else:
    check = None
    display(Markdown("These are real returns: the true values are unknown, so there is nothing to check the computed indicators against."))
    truth_line = "real returns: truth unknown"

# %%
outside = placed[placed["position"].str.contains("99.8") & ~placed["small"]]
# Machine-readable results: LA values with their disclosure flag (values resting on a count under
# the threshold are withheld), national values, funnel positions, and on synthetic data the check.
records = []
for row in shown_las.itertuples():
    hidden = bool(row.small)
    records.append({
        "LA": row.LA, "YEAR": int(row.YEAR), "indicator": row.indicator, "suppressed": hidden,
        "numerator": None if hidden or row.indicator in MEANS else int(row.numerator),
        "denominator": None if hidden or pd.isna(row.denominator) else int(row.denominator),
        "value": None if hidden or pd.isna(row.value) else float(row.value),
        "history_complete": bool(row.history_complete),
    })
results = {
    "year": year,
    "years": years,
    "local_authorities": selected,
    "disclosure_threshold": disclosure_threshold,
    "indicators": records,
    "national": json.loads(
        national.assign(numerator=national["numerator"].where(~national["indicator"].isin(MEANS)))
        .assign(**{c: lambda f, c=c: f[c].where(~f["small"]) for c in ["numerator", "denominator", "value", "sd"]})
        .rename(columns={"small": "suppressed"})
        .to_json(orient="records")
    ),
    "funnel": json.loads(placed.loc[~placed["small"] & (placed["denominator"] > 0), ["LA", "indicator", "denominator", "value", "centre", "lower_0.95", "upper_0.95",
                                                       "lower_0.998", "upper_0.998", "position"]].to_json(orient="records")),
    "truth_known": truth is not None,
}
if check is not None:
    # n and the computed value would give back a withheld count: the check carries them only where shown.
    hidden = check.merge(indicators[["LA", "YEAR", "indicator", "small"]], on=["LA", "YEAR", "indicator"], how="left")["small"].fillna(True).to_numpy()
    check_shown = check.assign(**{c: check[c].mask(hidden) for c in ["n", "computed", "difference"]}, suppressed=hidden)
    results["check"] = json.loads(check_shown.to_json(orient="records"))
write_json(results_path, results)

# %% tags=["summary"]
print(
    f"Care Matters indicators for {len(loaded_las)} English LAs, {years[0]}-{years[-1]}: in {year}, "
    f"{len(outside)} LA values outside the 99.8% funnel limits; {truth_line}."
)

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
