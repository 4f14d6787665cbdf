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
# # Calibration: the synthetic Scottish returns against published figures
#
# The default data of this pipeline is synthetic: record-level returns made
# from a fixed seed in the same layout as the real ones. This report checks
# that its headline figures -- the number of children looked after, the share
# looked after at home, attendance, exclusions and attainment by placement
# type -- reproduce the figures the Scottish Government published, within
# stated tolerances. A researcher developing on the synthetic data can then
# trust that its shape is the real one; a reviewer can see where it is not.

# %% tags=["parameters"]
processed_dir = "../data/processed/scotland"
published_figures = "../data/raw/published/published_figures.csv"
truth_path = "../data/raw/synthetic/scotland/truth.yaml"
disclosure_threshold = 5
tolerance_total_pct = 2.0
tolerance_share_points = 2.0
tolerance_rate_points = 3.0
results_path = "../results/calibration/results.json"

# %%
import json
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
import yaml
from IPython.display import HTML, Markdown, display

from lac_outcomes import calibration, disclosure
from lac_outcomes.io import read_parquet, write_json
from lac_outcomes.scotland import derive
from lac_outcomes.scotland.layout import PLACEMENT_GROUP_LABELS

sns.set_theme(style="whitegrid", context="notebook")
processed = Path(processed_dir)
tables = {name: read_parquet(processed / f"{name}.parquet") for name in ["children", "episodes", "pupils", "leavers"]}
published = pd.read_csv(published_figures)
truth = yaml.safe_load(Path(truth_path).read_text()) if truth_path else None
# Published counts are national; a synthetic run on fewer authorities or a
# smaller scale is compared with the national figure times its size.
count_scale = float(truth["count_factor"]) if truth else 1.0

# %% [markdown]
# ## Data and method
#
# Figures are computed from the validated record-level tables as the
# publications define them: children looked after on 31 July (the end of the
# looked-after year), by placement on that day; spells starting and ending in
# the year (1 August to 31 July); attendance as sessions attended over sessions
# possible, and exclusions as cases per 1,000 pupils, for pupils looked after
# for the whole school year in a single placement, by that placement; the share
# of school leavers with a qualification at SCQF level 5 or better. "All
# pupils" figures come from the comparison sample of all pupils. Each published
# figure is set beside the synthetic one, with the difference and whether it
# lies within the tolerance.

# %%
years = sorted(int(y) for y in tables["pupils"]["school_year"].unique())
episode_years = sorted(set(range(min(years), max(years) + 1)))
looked_after = calibration.looked_after_figures(tables["episodes"], episode_years)
pupil_years = derive.education_covariates(tables["children"], tables["episodes"], tables["pupils"])
leaver_years = derive.leaver_covariates(tables["children"], tables["episodes"], tables["leavers"])
# The comparison rows are a sample of the pupils not looked after; all-pupil
# figures weight it by the population it stands for (known for synthetic data).
populations = truth["education"]["comparison_sample"] if truth else {}
education = calibration.education_figures(
    pupil_years,
    leaver_years,
    pupil_population=populations.get("pupils_population_per_year"),
    leaver_population=populations.get("leavers_population_per_year"),
)
synthetic = pd.concat([looked_after, education], ignore_index=True)
comparison = calibration.compare(
    published,
    synthetic,
    count_scale=count_scale,
    tolerance_total_pct=tolerance_total_pct,
    tolerance_share_points=tolerance_share_points,
    tolerance_rate_points=tolerance_rate_points,
)
compared = comparison[comparison["synthetic"].notna()]
within = int(compared["within_tolerance"].fillna(False).astype(bool).sum())
write_json(
    results_path,
    {
        "compared": len(compared),
        "within_tolerance": within,
        "count_scale": count_scale,
        "comparison": json.loads(compared.drop(columns=["source_url"]).to_json(orient="records")),
    },
)

# %% tags=["summary"]
print(
    f"{within} of {len(compared)} published Scottish figures reproduced within tolerance "
    f"({len(comparison) - len(compared)} outside the synthetic years or not computable)."
)

# %% [markdown]
# ## Children looked after at 31 July

# %%
counts = (
    looked_after[looked_after["measure"].isin(["placement_count"])]
    .pivot(index="year", columns="breakdown", values="value")
    .rename_axis(columns=None)
)
counts["total"] = counts.sum(axis=1)
counts = counts.rename(columns={**PLACEMENT_GROUP_LABELS, "total": "Total"})
counts.index.name = "Year ending 31 July"
# Each row adds up to its total, so a small group is protected within its year.
shown = disclosure.suppress(counts, list(counts.columns), threshold=disclosure_threshold, total_column="Total")
display(HTML(shown.to_html("Children looked after at 31 July, by placement group (synthetic)")))

# %%
published_totals = comparison[comparison["measure"] == "looked_after_total"]
fig, ax = plt.subplots(figsize=(8, 4))
sns.lineplot(data=looked_after[looked_after["measure"] == "looked_after_total"], x="year", y="value", marker="o", ax=ax, label="Synthetic")
sns.scatterplot(data=published_totals, x="year", y="published", color="black", s=80, marker="X", ax=ax, label="Published (scaled)")
ax.set(title="Children looked after at 31 July", xlabel="Year ending 31 July", ylabel="Children")
plt.show()

# %%
shares = looked_after[(looked_after["measure"] == "placement_share") & (looked_after["breakdown"] == "at_home_with_parents")]
published_shares = comparison[(comparison["measure"] == "placement_share") & (comparison["breakdown"] == "at_home_with_parents")]
fig, ax = plt.subplots(figsize=(8, 4))
sns.lineplot(data=shares, x="year", y="value", marker="o", ax=ax, label="Synthetic")
sns.scatterplot(data=published_shares, x="year", y="published", color="black", s=80, marker="X", ax=ax, label="Published")
ax.set(title="Share of looked-after children at home with parents", xlabel="Year ending 31 July", ylabel="Percent of looked-after children", ylim=(0, 50))
plt.show()

# %% [markdown]
# ## Every published figure beside the synthetic one
#
# Counts are the published figure scaled to the synthetic data's size. `n` is
# the number of children or pupils the synthetic figure rests on; where it is
# small the figure is suppressed with it. A figure counts as reproduced when
# the difference is within the tolerance, or within 1.96 sampling standard
# errors for figures resting on few pupils (a small group's rate varies by
# chance more than the tolerance allows).

# %%
table = compared.copy()
table["within_tolerance"] = table["within_tolerance"].map({True: "yes", False: "no"})
table = table[["year", "measure", "breakdown", "n", "published", "synthetic", "se", "difference", "tolerance_label", "within_tolerance"]]
table = table.rename(columns={"se": "sampling SE", "tolerance_label": "tolerance", "within_tolerance": "within tolerance"})
shown = disclosure.suppress(
    table.set_index(["measure", "breakdown", "year"]),
    ["n"],
    threshold=disclosure_threshold,
    rate_columns={"published": [], "synthetic": "n", "sampling SE": "n", "difference": "n"},
)
display(HTML(shown.to_html("Published and synthetic figures")))

# %%
education_cmp = compared[compared["measure"].isin(["attendance_rate_full_year_single_placement", "exclusions_per_1000_full_year_single_placement"])]
# The figure shows only what the table shows: no rate resting on fewer pupils than the threshold.
education_cmp = education_cmp[education_cmp["n"] >= disclosure_threshold]
if not education_cmp.empty:
    long = education_cmp.melt(id_vars=["measure", "breakdown"], value_vars=["published", "synthetic"], var_name="source", value_name="rate")
    grid = sns.catplot(data=long, y="breakdown", x="rate", hue="source", col="measure", kind="bar", sharex=False, height=4, aspect=1.3)
    grid.set_titles("{col_name}")
    grid.set_axis_labels("Rate (percent of sessions / exclusions per 1,000 pupils)", "Placement type")
    grid.figure.suptitle("Education outcomes by placement type, published (2009/10) and synthetic", y=1.04)
    plt.show()
else:
    display(Markdown("The synthetic years do not include 2009/10, the year of the published figures by placement type."))

# %% [markdown]
# ## Limitations
#
# The synthetic data is calibrated to a few published headline figures; it
# reproduces their shape, not the detail of real returns (local authority
# patterns, the joint distribution of characteristics). Published figures
# without a synthetic counterpart (rates per 1,000 children, which need a
# population denominator the returns do not carry) are listed as not computed.
# Positive follow-up destinations have no published figure in this project's
# reference set, so they are not calibrated here.

# %%
not_computed = comparison[comparison["synthetic"].isna()][["year", "measure", "breakdown", "publication"]]
display(HTML(not_computed.to_html(index=False, classes=["plain-table"], border=0)))
