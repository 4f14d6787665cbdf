"""Validate SSDA903 returns into processed tables, indicators and a quality record.

The pipeline's ``clean_england`` step: every LA folder under the raw folder is
read for every configured collection year (:mod:`lac_outcomes.england.reader`),
kept rows of each table are stacked into ``<table>.parquet`` (with ``LA`` and
``YEAR``), and the Care Matters indicators are computed from them into
``indicators.parquet``.  ``quarantine.parquet`` and ``quality.json`` have the
shape of the Scottish ones (so the data-quality report reads either):
quarantine columns ``table, file, row, column, rule`` (then ``LA, YEAR``), and
``{"tables": {name: {file, rows_in, rows_kept, rows_quarantined, by_rule}},
"warnings": [text]}``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lac_outcomes.england import indicators as ind
from lac_outcomes.england.reader import read_returns, sources_from_tree
from lac_outcomes.england.schema import CORE_TABLES, OPTIONAL_TABLES
from lac_outcomes.io import write_json, write_parquet
from lac_outcomes.validation import QUARANTINE_COLUMNS

log = logging.getLogger(__name__)

# What an exporter's file names say about the collection year: "end" (2019 = 2018/19, the DfE's
# own convention) or "start" (2018 = 2018/19); the offset is added to the collection year.
FILE_YEAR_OFFSETS = {"end": 0, "start": -1}
TABLE_NAMES = (*CORE_TABLES, *OPTIONAL_TABLES)


@dataclass
class CleanResult:
    tables: dict[str, pd.DataFrame]
    indicators: pd.DataFrame
    quarantine: pd.DataFrame
    counts: dict[str, dict]
    warnings: list[str]


def clean(raw_dir: Path, *, years: list[int], file_year_label: str = "end") -> CleanResult:
    """Read every LA folder under ``raw_dir`` for ``years``; compute the indicators."""
    if file_year_label not in FILE_YEAR_OFFSETS:
        raise ValueError(f"file_year_label must be one of {sorted(FILE_YEAR_OFFSETS)}, not {file_year_label!r}")
    raw_dir = Path(raw_dir)
    sources = sources_from_tree(raw_dir, years, file_year_offset=FILE_YEAR_OFFSETS[file_year_label])
    result = read_returns(sources)
    n_las = len({s.la for s in sources})

    counts = {}
    for name, table in result.tables.items():
        quarantine = table.quarantine
        by_rule = quarantine.groupby(["column", "rule"]).size() if not quarantine.empty else pd.Series(dtype="int64")
        n_files = len(table.counts)
        counts[name] = {
            "file": f"{raw_dir.as_posix()}/<LA>/ ({n_files} files: {n_las} LAs x {len(years)} years)",
            "rows_in": table.rows_in,
            "rows_kept": table.rows_kept,
            "rows_quarantined": table.rows_quarantined,
            "by_rule": {f"{c}: {r}": int(n) for (c, r), n in by_rule.items()},
        }
        if table.rows_in != table.rows_kept + table.rows_quarantined:  # the policy, checked on every run
            raise AssertionError(f"{name}: rows in {table.rows_in} != kept {table.rows_kept} + quarantined {table.rows_quarantined}")
        log.info("%s: %d rows in, %d kept, %d quarantined", name, table.rows_in, table.rows_kept, table.rows_quarantined)

    quarantine = result.quarantine
    quarantine = quarantine[[*QUARANTINE_COLUMNS, "LA", "YEAR"]].reset_index(drop=True)
    quarantine["row"] = quarantine["row"].astype("int64")
    quarantine["YEAR"] = quarantine["YEAR"].astype("int64")
    warnings = [f"{w.file}: {w.message}" for w in result.warnings.itertuples(index=False)]
    indicators = with_score_spread(ind.compute_indicators(result.kept()), ind.ni58_scores(result.kept()))
    return CleanResult(tables=result.kept(), indicators=indicators, quarantine=quarantine, counts=counts, warnings=warnings)


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


def write(result: CleanResult, out_dir: Path) -> None:
    out_dir = Path(out_dir)
    for name, frame in result.tables.items():
        write_parquet(frame, out_dir / f"{name}.parquet")
    write_parquet(result.indicators, out_dir / "indicators.parquet")
    write_parquet(result.quarantine, out_dir / "quarantine.parquet")
    write_json(out_dir / "quality.json", {"tables": result.counts, "warnings": result.warnings})
    for warning in result.warnings:
        log.warning(warning)
