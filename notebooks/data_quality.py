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
# # Data quality: rows in, kept and dropped
#
# Every row of every input table is either kept or dropped with the rule it
# broke; none is lost silently. A bad value that is not needed to place a
# record is blanked and recorded, and the row kept. This report accounts for
# each table of this run: rows read, kept and dropped, cells blanked, how many
# broke each rule, with examples that point to the row in the source file
# (file and line number) but never show its values, which may identify a
# child.

# %% tags=["parameters"]
processed_dir = "../data/processed/scotland"
published_figures = "../data/raw/published/published_figures.csv"
truth_path = "../data/raw/synthetic/scotland/truth.yaml"
disclosure_threshold = 5
examples_per_rule = 5
# Standalone runs write here; the pipeline passes results/<report>/results.json.
results_path = "../.scratch/data_quality/results.json"
# Downloadable CSV of every table shown.
tables_dir = "../.scratch/data_quality/tables"

# %%
from IPython.display import HTML, display

from lac_outcomes import data_quality
from lac_outcomes import display as show
from lac_outcomes.io import write_json

show.configure(tables_dir)
quality, quarantine = data_quality.load(processed_dir)
counts = data_quality.table_counts(quality)
flags = data_quality.flagged(quality)
write_json(results_path, data_quality.results(quality, counts))

# %% tags=["key-points"]
display(HTML(data_quality.html_list(data_quality.key_points(counts, quality))))

# %% tags=["summary"]
print(data_quality.summary_line(counts, flags))

# %% [markdown]
# ## Rows by table
#
# These are counts of records, not of children, and say nothing about any
# child's characteristics, so small numbers are shown. Rows in = rows kept +
# rows dropped; cells blanked are counted where the cleaning step records
# them.

# %%
show.show_table(data_quality.formatted(counts), "Rows read, kept and dropped, by table", name="rows_by_table")

# %% [markdown]
# ## Flagged: tables and returns that lost more than a small share of rows

# %%
display(
    HTML(data_quality.html_list(flags, empty="Nothing flagged: no table or return lost more than the share allowed."))
)

# %%
by_la_year = data_quality.la_year_counts(quality)
if by_la_year is not None:
    show.show_table(
        data_quality.formatted(by_la_year), "Rows by local authority and year", name="rows_by_la_year", index=False
    )

# %% [markdown]
# ## Quarantine entries by rule
#
# A row that breaks two rules appears under both, so this table can add up to
# more than the rows dropped and cells blanked.

# %%
if quarantine.empty:
    display(HTML(data_quality.html_list([], empty="No row broke a rule: nothing was dropped or blanked.")))
else:
    show.show_table(
        data_quality.formatted(data_quality.rule_counts(quarantine)),
        "Quarantine entries by rule",
        name="quarantine_by_rule",
        index=False,
    )

# %% [markdown]
# ## Examples
#
# The first entries under each rule, by file and line number, for finding
# them in the source file inside the secure environment.

# %%
if not quarantine.empty:
    show.show_table(
        data_quality.formatted(data_quality.examples(quarantine, examples_per_rule)),
        "First quarantine entries under each rule",
        name="quarantine_examples",
        index=False,
    )

# %% [markdown]
# ## Returns checked against each other
#
# For England: between consecutive returns of one local authority, episodes
# open at the end of a year that are missing or different in the next, and
# children looked after at 31 March who are absent from the next return.

# %%
checks_between_returns = data_quality.cross_return(quality)
if checks_between_returns is None:
    display(HTML(data_quality.html_list([], empty="No checks between returns are recorded for these data.")))
else:
    show.show_table(
        data_quality.formatted(checks_between_returns),
        "Checks between consecutive returns",
        name="cross_return_checks",
        index=False,
    )

# %% [markdown]
# ## Warnings

# %%
display(
    HTML(
        data_quality.html_list(
            quality.get("warnings", []), empty="None: the dates found agree with the configured years."
        )
    )
)
