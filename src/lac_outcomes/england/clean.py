"""Validate SSDA903 returns into processed tables, indicators and a quality record.

The pipeline's ``clean_england`` step: every LA folder under the raw folder is
read for every configured collection year (:mod:`lac_outcomes.england.reader`),
kept rows of each table are stacked into ``<table>.parquet`` (with ``LA`` and
``YEAR``), and the Care Matters indicators are computed from them into
``indicators.parquet``.  ``quarantine.parquet`` and ``quality.json`` have the
shape of the Scottish ones (so the data-quality report reads either):
quarantine columns ``table, file, row, column, rule`` (then ``LA, YEAR``), and
``{"tables": {name: {file, rows_in, rows_kept, rows_dropped, cells_blanked, by_rule}},
"warnings": [text], "flagged": [...], "by_la_year": [...]}`` (the shared
:class:`~lac_outcomes.columns.CleanResult` and writer).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from lac_outcomes.columns import CleanResult
from lac_outcomes.columns import write as write  # noqa: F401  (the step's writer, shared by both nations)
from lac_outcomes.england import indicators as ind
from lac_outcomes.england.reader import DEFAULT_FLAG_SHARE, read_returns, sources_from_tree
from lac_outcomes.england.schema import CORE_TABLES, OPTIONAL_TABLES
from lac_outcomes.validation import QUARANTINE_COLUMNS

log = logging.getLogger(__name__)

# What an exporter's file names say about the collection year: "end" (2019 = 2018/19, the DfE's
# own convention) or "start" (2018 = 2018/19); the offset is added to the collection year.
FILE_YEAR_OFFSETS = {"end": 0, "start": -1}
TABLE_NAMES = (*CORE_TABLES, *OPTIONAL_TABLES)


def clean(
    raw_dir: Path, *, years: list[int], file_year_label: str = "end", flag_share: float = DEFAULT_FLAG_SHARE
) -> CleanResult:
    """Read every LA folder under ``raw_dir`` for ``years``; compute the indicators."""
    if file_year_label not in FILE_YEAR_OFFSETS:
        raise ValueError(f"file_year_label must be one of {sorted(FILE_YEAR_OFFSETS)}, not {file_year_label!r}")
    raw_dir = Path(raw_dir)
    sources = sources_from_tree(raw_dir, years, file_year_offset=FILE_YEAR_OFFSETS[file_year_label])
    result = read_returns(sources, flag_share=flag_share)
    n_las = len({s.la for s in sources})

    counts = {}
    for name, table in result.tables.items():
        n_files = len(table.counts)
        counts[name] = table.totals(f"{raw_dir.as_posix()}/<LA>/ ({n_files} files: {n_las} LAs x {len(years)} years)")
        log.info("%s: %d rows in, %d kept, %d dropped, %d cells blanked", name, table.rows_in, table.rows_kept,
                 table.rows_dropped, table.cells_blanked)

    quarantine = result.quarantine
    quarantine = quarantine[[*QUARANTINE_COLUMNS, "LA", "YEAR"]].reset_index(drop=True)
    quarantine["row"] = quarantine["row"].astype("int64")
    quarantine["YEAR"] = quarantine["YEAR"].astype("int64")
    warnings = [f"{w.file}: {w.message}" for w in result.warnings.itertuples(index=False)]
    indicators = with_score_spread(ind.compute_indicators(result.kept()), ind.ni58_scores(result.kept()))
    return CleanResult(tables=result.kept(), indicators=indicators, quarantine=quarantine, counts=counts, warnings=warnings,
                       flagged=result.flagged, by_source=result.by_source())


def with_score_spread(indicators: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """Add ``sd``: the standard deviation of the scores behind a mean (NI 58), missing for the other indicators.

    Funnel limits for a mean need the spread of the individual values; the
    processed indicators carry it so no record-level score leaves this step.
    """
    spread = scores.groupby(["LA", "YEAR"])["SDQ_SCORE"].agg(lambda v: float(v.astype("float64").std(ddof=1)) if len(v) > 1 else float("nan"))
    spread = spread.rename("sd").reset_index().assign(indicator="NI58")
    out = indicators.merge(spread, on=["LA", "YEAR", "indicator"], how="left", validate="one_to_one")
    out["sd"] = out["sd"].astype("Float64")
    return out
