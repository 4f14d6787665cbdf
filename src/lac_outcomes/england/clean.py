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

The step runs in two parts so that a cluster spreads it: :func:`read_part`
reads and validates some LA folders (the ``read_england`` jobs, one per LA or
per batch of LAs, :func:`write_part` saving each), and :func:`combine` stacks
the parts in LA order and computes what needs every LA (indicators, cross-return
checks, the quality record).  :func:`clean` is both in one process; either way
the processed files are the same, byte for byte.
"""

from __future__ import annotations

import logging
import pickle
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lac_outcomes.columns import CleanResult
from lac_outcomes.columns import write as write  # noqa: F401  (the step's writer, shared by both nations)
from lac_outcomes.england import consistency
from lac_outcomes.england import indicators as ind
from lac_outcomes.england.layout import CORE_TABLES, OPTIONAL_TABLES
from lac_outcomes.england.reader import (
    COUNT_COLUMNS,
    DEFAULT_FLAG_SHARE,
    ReadResult,
    TableResult,
    read_returns,
    sources_from_tree,
)
from lac_outcomes.errors import InputError
from lac_outcomes.validation import QUARANTINE_COLUMNS

log = logging.getLogger(__name__)

# What an exporter's file names say about the collection year: "end" (2019 = 2018/19, the DfE's
# own convention) or "start" (2018 = 2018/19); the offset is added to the collection year.
FILE_YEAR_OFFSETS = {"end": 0, "start": -1}
TABLE_NAMES = (*CORE_TABLES, *OPTIONAL_TABLES)


def _file_year_offset(file_year_label: str) -> int:
    if file_year_label not in FILE_YEAR_OFFSETS:
        raise ValueError(f"file_year_label must be one of {sorted(FILE_YEAR_OFFSETS)}, not {file_year_label!r}")
    return FILE_YEAR_OFFSETS[file_year_label]


@dataclass
class Part:
    """What reading some LA folders gives: the read, and the LA-years it covered (in order)."""

    result: ReadResult
    loaded: list[tuple[str, int]]


def local_authorities(raw_dir: Path) -> list[str]:
    """The LA codes under ``raw_dir`` (one folder each), in the order the returns are stacked."""
    return [source.la for source in sources_from_tree(raw_dir, [0])]


def read_part(
    raw_dir: Path,
    las: list[str],
    *,
    years: list[int],
    file_year_label: str = "end",
    flag_share: float = DEFAULT_FLAG_SHARE,
) -> Part:
    """Read and validate the LA folders ``las`` under ``raw_dir`` for ``years`` (one read_england job)."""
    offset = _file_year_offset(file_year_label)
    wanted = set(las)
    sources = [s for s in sources_from_tree(raw_dir, years, file_year_offset=offset) if s.la in wanted]
    missing = sorted(set(las) - {s.la for s in sources})
    if missing:
        raise InputError(Path(raw_dir) / missing[0], "local authority folder not found")
    return Part(read_returns(sources, flag_share=flag_share), [(s.la, s.year) for s in sources])


def write_part(part: Part, path: Path) -> None:
    """Save a part for the combining step (a pickle: the frames come back with exactly their types)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        pickle.dump(part, out, protocol=pickle.HIGHEST_PROTOCOL)


def load_part(path: Path) -> Part:
    """A part written by :func:`write_part` in this run (the pipeline's own file, never an input)."""
    with Path(path).open("rb") as source:
        return pickle.load(source)  # noqa: S301  (written by write_part in the same run)


def stack_parts(parts: list[Part]) -> tuple[ReadResult, list[tuple[str, int]]]:
    """One read of every LA from parts in LA order, as one read_returns over all of them gives."""
    tables = {}
    for name in TABLE_NAMES:
        # A part where no LA had the table holds an empty placeholder: only used if no part had it.
        held = [p.result.tables[name] for p in parts if name in p.result.tables and p.result.tables[name].records]
        if not held:
            placeholder = next((p.result.tables[name] for p in parts if name in p.result.tables), None)
            if placeholder is not None:
                tables[name] = placeholder
            continue
        if len(held) == 1:
            tables[name] = held[0]
            continue
        records = [r for t in held for r in t.records]
        quarantines = [t.quarantine for t in held if not t.quarantine.empty]
        tables[name] = TableResult(
            kept=pd.concat([t.kept for t in held], ignore_index=True),
            quarantine=pd.concat(quarantines, ignore_index=True) if quarantines else held[0].quarantine,
            counts=pd.DataFrame(records, columns=COUNT_COLUMNS),
            records=records,
        )
    warnings = [p.result.warnings for p in parts if not p.result.warnings.empty]
    absent = [p.result.absent for p in parts if not p.result.absent.empty]
    result = ReadResult(
        tables=tables,
        warnings=pd.concat(warnings, ignore_index=True) if warnings else parts[0].result.warnings,
        absent=pd.concat(absent, ignore_index=True) if absent else parts[0].result.absent,
        flagged=[f for p in parts for f in p.result.flagged],
    )
    return result, [la_year for p in parts for la_year in p.loaded]


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
    _file_year_offset(file_year_label)
    if history not in ind.HISTORY_MODES:
        raise ValueError(f"history must be one of {list(ind.HISTORY_MODES)}, not {history!r}")
    part = read_part(
        raw_dir, local_authorities(raw_dir), years=years, file_year_label=file_year_label, flag_share=flag_share
    )
    return combine([part], raw_dir=raw_dir, years=years, history=history)


def combine(parts: list[Part], *, raw_dir: Path, years: list[int], history: str = "submitted") -> CleanResult:
    """Stack the parts (in LA order) and compute what needs every LA: indicators, cross-return checks, quality."""
    if history not in ind.HISTORY_MODES:
        raise ValueError(f"history must be one of {list(ind.HISTORY_MODES)}, not {history!r}")
    raw_dir = Path(raw_dir)
    result, loaded_pairs = stack_parts(parts)
    n_las = len({la for la, _ in loaded_pairs})

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
    loaded = pd.DataFrame(loaded_pairs, columns=["LA", "YEAR"])
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
