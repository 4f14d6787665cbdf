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
# # Calibration: Scottish returns against published figures
#
# Does this run's data reproduce the figures the Scottish Government
# published -- the number of children looked after, the share looked after at
# home, attendance, exclusions and attainment by placement type -- within
# stated tolerances?

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
tolerance_total_pct = 2.0
tolerance_share_points = 2.0
tolerance_rate_points = 3.0
results_path = "../.scratch/calibration/results.json"
tables_dir = "../.scratch/calibration/tables"

# %%
from pathlib import Path

import pandas as pd
from IPython.display import Markdown, display

from lac_outcomes import display as show
from lac_outcomes.disclosure import DisclosurePolicy
from lac_outcomes.io import read_parquet, read_truth, write_json
from lac_outcomes.scotland import calibration

show.configure(tables_dir)
policy = DisclosurePolicy(threshold=int(disclosure_threshold))
names = ["children", "episodes", "pupils", "leavers"]
tables = {name: read_parquet(Path(processed_dir) / f"{name}.parquet") for name in names}
truth = read_truth(truth_path) if truth_path else None
report = calibration.build(
    tables,
    pd.read_csv(published_figures),
    policy,
    first_year=first_year,
    last_year=last_year,
    truth=truth,
    synthetic=synthetic,
    tolerance_total_pct=tolerance_total_pct,
    tolerance_share_points=tolerance_share_points,
    tolerance_rate_points=tolerance_rate_points,
)
write_json(results_path, report.results)
display(Markdown(report.texts["intro"]))

# %% tags=["key-points"]
display(Markdown(report.texts["key_points"]))

# %% tags=["summary"]
print(report.texts["summary"])

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
# figure is set beside the computed one, with the difference and whether it
# lies within the tolerance.
#
# ## Children looked after at 31 July
#
# The counts by placement group and the comparison table below show the same
# children, so they are protected together: a count suppressed in one is
# suppressed in the other, and figures leave out what the tables suppress.

# %%
calibration.show(report, "counts", "totals", "home_share")

# %% [markdown]
# ## Every published figure beside the computed one
#
# Counts are the published figure scaled to the data's size. `n` is the
# number of children or pupils the computed figure rests on; where it is
# small the figure is suppressed with it. A figure counts as reproduced when
# the difference is within the tolerance, or within 1.96 sampling standard
# errors for figures resting on few pupils (a small group's rate varies by
# chance more than the tolerance allows).

# %%
calibration.show(report, "comparison", "education")
if report.figures["education"].empty:
    display(
        Markdown(
            "No education figure by placement type can be shown: the published figures by placement type "
            "are for 2009/10, outside the years loaded, or rest on suppressed counts."
        )
    )

# %% [markdown]
# ## Limitations
#
# Published figures without a computed counterpart (rates per 1,000
# children, which need a population denominator the returns do not carry,
# and figures for years not loaded) are listed as not computed. Positive
# follow-up destinations have no published figure in this project's
# reference set, so they are not calibrated here.

# %%
if synthetic:
    display(
        Markdown(
            "The synthetic data is calibrated to a few published headline figures; it reproduces their "
            "shape, not the detail of real returns (local authority patterns, the joint distribution of "
            "characteristics)."
        )
    )

# %%
show.show_table(report.not_computed, "Published figures not computed", index=False)
