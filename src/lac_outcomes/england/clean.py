"""Validate SSDA903 returns into processed tables, indicators and a quality record.

The pipeline's ``clean_england`` step: every LA folder under the raw folder is
read for every configured collection year (:mod:`lac_outcomes.england.reader`),
kept rows of each table are stacked into ``<table>.parquet`` (with ``LA`` and
``YEAR``), and the Care Matters indicators are computed from them into
``indicators.parquet`` (:mod:`lac_outcomes.england.indicators`; ``history``
chooses each return as submitted, the default, or one merged history).
``quarantine.parquet`` and ``quality.json`` are written by the shared
:class:`~lac_outcomes.columns.CleanResult` writer, as for Scotland:
``{"tables": {name: {file, rows_in, rows_kept, rows_dropped, cells_blanked, by_rule}},
"warnings": [...], "flagged": [...], "by_la_year": [...]}``, plus England's own
``"history"`` (the mode), ``"cross_return"`` (consecutive returns checked
against each other, :mod:`lac_outcomes.england.consistency`) and
``"absent_tables"`` (LA, year and table for each table a return did not have
or that had no rows).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from lac_outcomes.columns import CleanResult
from lac_outcomes.columns import write as write  # noqa: F401  (the step's writer, shared by both nations)
from lac_outcomes.england import consistency
from lac_outcomes.england import indicators as ind
from lac_outcomes.england.layout import CORE_TABLES, OPTIONAL_TABLES
from lac_outcomes.england.reader import DEFAULT_FLAG_SHARE, read_returns, sources_from_tree
from lac_outcomes.validation import QUARANTINE_COLUMNS

log = logging.getLogger(__name__)

# What an exporter's file names say about the collection year: "end" (2019 = 2018/19, the DfE's
# own convention) or "start" (2018 = 2018/19); the offset is added to the collection year.
FILE_YEAR_OFFSETS = {"end": 0, "start": -1}
TABLE_NAMES = (*CORE_TABLES, *OPTIONAL_TABLES)


def clean(
    raw_dir: Path,
    *,
    years: list[int],
    file_year_label: str = "end",
    history: str = "submitted",
    flag_share: float = DEFAULT_FLAG_SHARE,
) -> CleanResult:
    """Read every LA folder under ``raw_dir`` for ``years``; compute the indicators and cross-return checks.

    ``history``: ``"submitted"`` (each year's figures from that year's return,
    as the DfE publishes) or ``"merged"`` (one history per child across all
    loaded returns, for longitudinal work).
    """
    if file_year_label not in FILE_YEAR_OFFSETS:
        raise ValueError(f"file_year_label must be one of {sorted(FILE_YEAR_OFFSETS)}, not {file_year_label!r}")
    if history not in ind.HISTORY_MODES:
        raise ValueError(f"history must be one of {list(ind.HISTORY_MODES)}, not {history!r}")
    raw_dir = Path(raw_dir)
    sources = sources_from_tree(raw_dir, years, file_year_offset=FILE_YEAR_OFFSETS[file_year_label])
    result = read_returns(sources, flag_share=flag_share)
    n_las = len({s.la for s in sources})

    counts = {}
    for name, table in result.tables.items():
        n_files = len(table.counts)
        counts[name] = table.totals(f"{raw_dir.as_posix()}/<LA>/ ({n_files} files: {n_las} LAs x {len(years)} years)")
        log.info(
            "%s: %d rows in, %d kept, %d dropped, %d cells blanked",
            name,
            table.rows_in,
            table.rows_kept,
            table.rows_dropped,
            table.cells_blanked,
        )

    quarantine = result.quarantine
    quarantine = quarantine[[*QUARANTINE_COLUMNS, "LA", "YEAR"]].reset_index(drop=True)
    quarantine["row"] = quarantine["row"].astype("int64")
    quarantine["YEAR"] = quarantine["YEAR"].astype("int64")
    warnings = [f"{w.file}: {w.message}" for w in result.warnings.itertuples(index=False)]
    kept = result.kept()
    # Tables a return did not have (no file, or not even a header) and tables it had with no rows:
    # an indicator that needs either is unavailable (x) for that LA-year, never 0.
    empty = result.counts.loc[result.counts["rows_in"] == 0, ["LA", "YEAR", "table"]]
    absent = absent_tables(pd.concat([result.absent, empty], ignore_index=True))
    indicators = ind.compute_indicators(kept, absent, history=history)
    loaded = pd.DataFrame([(s.la, s.year) for s in sources], columns=["LA", "YEAR"])
    cross_return = consistency.check_returns(kept, loaded)
    return CleanResult(
        tables=kept,
        indicators=indicators,
        quarantine=quarantine,
        counts=counts,
        warnings=warnings,
        flagged=result.flagged,
        by_source=result.by_source(),
        extra={
            "history": history,
            "cross_return": consistency.quality_record(cross_return),
            "absent_tables": absent.to_dict("records"),
        },
        cross_return=cross_return,
        absent=absent,
    )


def absent_tables(absent: pd.DataFrame | None) -> pd.DataFrame:
    """``LA, YEAR, table`` of the tables returns did not have, sorted (empty when the reader lists none)."""
    if absent is None or absent.empty:
        return pd.DataFrame(
            {"LA": pd.Series(dtype="str"), "YEAR": pd.Series(dtype="int64"), "table": pd.Series(dtype="str")}
        )
    absent = absent[["LA", "YEAR", "table"]].astype({"LA": "str", "YEAR": "int64", "table": "str"})
    return absent.drop_duplicates().sort_values(["LA", "YEAR", "table"]).reset_index(drop=True)
