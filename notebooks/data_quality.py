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
# # Data quality: rows in, kept and quarantined
#
# Every row of every input table is either kept or quarantined with the rule it
# broke; none is dropped silently. This report accounts for each table of this
# run: rows read, rows kept, rows quarantined, and how many broke each rule,
# with examples that point to the row in the source file (file and line
# number) but never show its values, which may identify a child.

# %% tags=["parameters"]
processed_dir = "../data/processed/scotland"
published_figures = "../data/raw/published/published_figures.csv"
truth_path = "../data/raw/synthetic/scotland/truth.yaml"
disclosure_threshold = 5
examples_per_rule = 5
results_path = "../results/data_quality/results.json"

# %%
import json
from pathlib import Path

import pandas as pd
from IPython.display import HTML, Markdown, display

from lac_outcomes import disclosure
from lac_outcomes.io import read_parquet, write_json

processed = Path(processed_dir)
quality = json.loads((processed / "quality.json").read_text())
quarantine = read_parquet(processed / "quarantine.parquet")
counts = pd.DataFrame(quality["tables"]).T[["rows_in", "rows_kept", "rows_quarantined"]].astype(int)
counts.index.name = "table"
balanced = bool((counts["rows_in"] == counts["rows_kept"] + counts["rows_quarantined"]).all())
write_json(results_path, {"balanced": balanced, "tables": json.loads(counts.to_json(orient="index"))})

# %% tags=["summary"]
print(
    f"{counts['rows_in'].sum():,} rows read from {len(counts)} tables: {counts['rows_kept'].sum():,} kept, "
    f"{counts['rows_quarantined'].sum():,} quarantined; rows in = kept + quarantined for every table: "
    f"{'yes' if balanced else 'NO'}."
)

# %% [markdown]
# ## Rows by table
#
# These are counts of records, not of children, so small numbers are shown:
# a count of quarantined rows reveals nothing about any child.

# %%
display(HTML(counts.to_html(classes=["plain-table"], border=0)))

# %% [markdown]
# ## Quarantined rows by rule
#
# A row that breaks two rules appears under both, so this table can add up to
# more than the rows quarantined.

# %%
if quarantine.empty:
    display(Markdown("No row broke a rule."))
else:
    by_rule = quarantine.groupby(["table", "column", "rule"]).size().rename("rows").reset_index()
    display(HTML(by_rule.to_html(index=False, classes=["plain-table"], border=0)))

# %% [markdown]
# ## Examples
#
# The first rows that broke each rule, by file and line number, for finding
# them in the source file inside the secure environment.

# %%
if not quarantine.empty:
    examples = (
        quarantine.sort_values(["table", "rule", "row"])
        .groupby(["table", "column", "rule"])
        .head(examples_per_rule)
        .assign(file=lambda f: f["file"].map(lambda p: Path(p).name))
    )
    display(HTML(examples.to_html(index=False, classes=["plain-table"], border=0)))

# %% [markdown]
# ## Warnings

# %%
if quality["warnings"]:
    for warning in quality["warnings"]:
        display(Markdown(f"- {warning}"))
else:
    display(Markdown("None: the dates found agree with the configured years."))
