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
# # Calibration: English SSDA903 returns against published figures
#
# Do the returns loaded reproduce what the Department for Education and
# others published about children looked after in England -- the number
# looked after at 31 March, the number starting to be looked after, the
# long-term stability of placements, the ages and sex of the children --
# within stated tolerances? Every English figure in the project's published
# figures file is listed: computed and judged, or said plainly not computed
# and why.

# %% tags=["parameters"]
processed_dir = "../data/processed/england"
published_figures = "../data/raw/published/published_figures.csv"
# A truth.yaml of planted values (the generator's, or one in its shape); "" when none is known.
truth_path = "../data/raw/synthetic/england/truth.yaml"
disclosure_threshold = 5
# A count is reproduced within this percentage of the published figure (scaled to the data's size),
# a share of children (age, sex) within these percentage points, a rate (stability) within these.
tolerance_count_pct = 2.0
tolerance_share_points = 2.0
tolerance_rate_points = 3.0
results_path = "../.scratch/calibration_england/results.json"
tables_dir = "../.scratch/calibration_england/tables"

# %%
from pathlib import Path

import pandas as pd
from IPython.display import Markdown, display

from lac_outcomes import display as show
from lac_outcomes.disclosure import DisclosurePolicy
from lac_outcomes.england import calibration
from lac_outcomes.io import read_parquet, read_truth, write_json

show.configure(tables_dir)
policy = DisclosurePolicy(threshold=int(disclosure_threshold))
processed = Path(processed_dir)
indicators = read_parquet(processed / "indicators.parquet")
episodes = read_parquet(processed / "Episodes.parquet")
header = read_parquet(processed / "Header.parquet")
truth = read_truth(truth_path) if truth_path and Path(truth_path).exists() else None
years = sorted(int(y) for y in indicators["YEAR"].unique())
report = calibration.build(
    indicators,
    episodes,
    header,
    pd.read_csv(published_figures),
    policy,
    years=years,
    truth=truth,
    tolerance_count_pct=tolerance_count_pct,
    tolerance_share_points=tolerance_share_points,
    tolerance_rate_points=tolerance_rate_points,
)
write_json(results_path, report.results)
scale = calibration.count_scale_of(truth)

# %% tags=["key-points"]
display(Markdown(f"**{report.summary}** Collection years loaded: {years[0]} to {years[-1]}."))

# %% tags=["summary"]
print(report.summary)

# %% [markdown]
# ## Data and method
#
# Figures are computed from the validated returns as the publications
# define them, each collection year (1 April to 31 March, labelled by the
# year it ends) from that year's return: children looked after at 31 March
# and children starting to be looked after in the year (short breaks left
# out); NI 63's cohort and rate (children under 16 looked after for 2.5
# years or more, and the share of them in the same placement for 2 years,
# the measure behind the published "same carer for 2 years"); the age on
# 31 March and sex of the children looked after then. National figures add
# up every authority loaded.
#
# Counts are compared with the published figure scaled to the data's size
# (the factor is 1 at national scale); a count is reproduced within the
# count tolerance, a share of children or a rate within the tolerance in
# percentage points -- or, on a small run, within 1.96 sampling standard
# errors, since chance moves a small run's figures more than the tolerance
# allows. Figures resting on fewer children than the disclosure
# threshold are withheld (`c`) with their verdicts.

# %%
display(
    Markdown(
        f"Count scale of this run: {scale:.4f} of England "
        f"({'national scale' if scale == 1.0 else 'a smaller synthetic run'}). {policy.note}"
    )
)

# %% [markdown]
# ## Every computed figure beside the published one

# %%
show.show_table(
    report.comparison, "Published figures for England beside the returns loaded", name="comparison", index=False
)

# %% [markdown]
# ## Published figures not computed
#
# A figure whose year is not loaded cannot be checked here; some published
# measures have no counterpart in what this project computes from the
# returns. They are listed, not dropped.

# %%
show.show_table(report.not_computed, "Published figures not computed, and why", index=False)

# %% [markdown]
# ## Limitations
#
# On the synthetic default the authorities' sizes are drawn so that England
# adds up to the published 83,630 looked after at 31 March 2024; each
# authority's own size is not its published count, which the project does
# not carry. The generator follows the published count at 31 March year by
# year (interpolated between published years), its number of entries solved
# from that count and the durations of care it draws; its ages at entry are
# the published 2024 starters'. Its route mix and short stays were set so that
# the 2024 starters and NI 63's cohort match the published figures, so on the
# synthetic default those two check the calibration rather than test it; the
# age and sex shares follow from the ages at entry and the share of
# unaccompanied asylum-seeking children (held at about one starter in nine,
# below 2023's fifth). Care leaver figures published for 2013 and 2014 fall
# before the years loaded.
#
# ## Sources
#
# Published figures: `data/raw/published/published_figures.csv`, each with
# its source address (shown in the downloadable comparison). Figures computed
# by `lac_outcomes.england.calibration` from the processed returns.
