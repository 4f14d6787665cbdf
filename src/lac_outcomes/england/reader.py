"""Read SSDA903 CSV returns as local authorities export them.

A *source* is one local authority's return for one collection year: a folder
of CSV files, one per table.  Exporters name files in many ways
(``2019-episodes.csv``, ``SSDA903_2019_Episodes.csv``, ``episodes_2019.csv``,
or a folder per year); the table is recognised from the file name, or from
the header when the name does not say.  Headers compare case-insensitively
and ignore stray spaces and a BOM; values are stripped; blank lines are not
records.

Only Header and Episodes are required for a year, and must hold rows.  Any
file that holds no rows (0 bytes, newlines only or a header only) is a table
with no rows.  Another table that is absent -- no file, or a file without even
a header -- lets the run go on; a warning says so once per LA-year and
``ReadResult.absent`` lists it (``LA, YEAR, table``) so indicators that need it
show as unavailable.  A header-only file is an exported table with no rows this
year (a small LA with no adoptions), so it is not absent.

Structural faults (missing Header or Episodes, missing column, undecodable
file, wrong delimiter) raise :class:`~lac_outcomes.validation.InputError`.
Value faults are quarantined at the grain of the fault (see
:mod:`lac_outcomes.columns` and the per-column policy in the schema): the row
is dropped when what identifies or dates it is unusable, otherwise the bad
cell is blanked; either way the table, file, line number, column, rule and
action are logged, never the value.  A file that loses every row stops the
run with the likely cause.  The collection year is stated by the caller (the
config); the dates found are checked against it and a disagreement is
reported as a warning (and named as the cause when a file loses every row).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from lac_outcomes.columns import (
    OPEN_END,
    ROW_COLUMN,  # noqa: F401  (re-exported for the tests and callers)
    RULE_ADJACENT_CODE,  # noqa: F401
    RULE_AFTER_YEAR,  # noqa: F401
    RULE_BEFORE_YEAR,  # noqa: F401
    RULE_BLANK,  # noqa: F401
    RULE_CODE,  # noqa: F401
    RULE_DATE,  # noqa: F401
    RULE_NOT_INTEGER,  # noqa: F401
    RULE_POSTCODE,  # noqa: F401
    RULE_RANGE,
    Table,
    add_counts,
    apply_rules,
    check_columns,
    flagged,
    lost_every_row_cause,
    quality_counts,
)
from lac_outcomes.england.layout import (
    CORE_TABLES,
    DOCUMENTED_DATE,
    OPTIONAL_TABLES,
    collection_year_bounds,
    schema_year_for,
    tables_for_year,
)
from lac_outcomes.england.xml_return import xml_tables
from lac_outcomes.readers import PlainCsv, Rows, normalise_header, parse_plain, plain_csv, read_rows, read_text
from lac_outcomes.validation import BLANK, QUARANTINE_COLUMNS, SOURCE_ROW, InputError, RowRule

COUNT_COLUMNS = [
    "LA",
    "YEAR",
    "table",
    "file",
    "rows_in",
    "rows_kept",
    "rows_dropped",
    "rows_quarantined",
    "cells_blanked",
]
WARNING_COLUMNS = ["LA", "YEAR", "table", "file", "check", "message"]
QUARANTINE_OUTPUT_COLUMNS = ["LA", "YEAR", *QUARANTINE_COLUMNS]
ABSENT_COLUMNS = ["LA", "YEAR", "table"]
# Tables a return must hold rows in; every other table may be absent or empty.
REQUIRED_TABLES = ("Header", "Episodes")
DEFAULT_FLAG_SHARE = 0.02

# Rule names as they appear in quarantine logs (the column rules are shared: lac_outcomes.columns).
RULE_INTEGER_RANGE = RULE_RANGE
RULE_END_BEFORE_START = "end date before start date"
RULE_REC_ON_OPEN = "REC given on an open episode (no DEC)"
RULE_REC_MISSING = "REC blank on a closed episode"
RULE_OVERLAP = "episode overlaps an earlier episode of the same child"
RULE_DUPLICATE_CHILD = "child appears more than once"
# Tables holding at most one row per child in a return (DfE validator checks INT31 AD1, INT33 OC2,
# INT34 OC3, INT36 UASC); a second or later row for the child is quarantined.
ONE_ROW_PER_CHILD = ("Header", "UASC", "OC2", "OC3", "AD1")

# Words exporters use for each table in file names, longest first when matched.
TABLE_NAME_WORDS = {
    "Header": ("header", "headers"),
    "Episodes": ("episodes", "episode"),
    "UASC": ("uasc",),
    "OC2": ("oc2",),
    "OC3": ("oc3",),
    "AD1": ("ad1",),
    "PlacedAdoption": ("placedadoption", "placedforadoption", "placed"),
    "PrevPerm": ("prevperm", "previouspermanence"),
    "Missing": ("missing",),
    "Reviews": ("reviews", "review"),
    "SocialWorker": ("socialworker", "socialworkers"),
}
_NAME_WORDS = sorted(
    ((word, table) for table, words in TABLE_NAME_WORDS.items() for word in words), key=lambda wt: -len(wt[0])
)
_YEAR_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
# Share of episodes that must fit the stated year before the reader stays quiet.
YEAR_AGREEMENT_THRESHOLD = 0.5


@dataclass(frozen=True)
class Source:
    """One LA's return for one collection year.

    ``year`` is the collection year (the year containing 31 March).  Files are
    picked from ``path`` by the year in their name, ``file_year`` (defaults to
    ``year``); an exporter that labels files by the start of the year is
    configured with ``file_year = year - 1``.  Files with no year in their name
    (or in their folder names) are used when no file carries ``file_year``.
    """

    la: str
    year: int
    path: Path
    file_year: int | None = None

    @property
    def label(self) -> int:
        return self.year if self.file_year is None else self.file_year


@dataclass
class TableResult:
    """Rows of one table across all sources: kept (typed), quarantined, and counts per file."""

    kept: pd.DataFrame
    quarantine: pd.DataFrame
    counts: pd.DataFrame
    records: list[dict] = field(default_factory=list)  # the quality record of each LA-year file

    @property
    def rows_in(self) -> int:
        return int(self.counts["rows_in"].sum())

    @property
    def rows_kept(self) -> int:
        return int(self.counts["rows_kept"].sum())

    @property
    def rows_dropped(self) -> int:
        return int(self.counts["rows_dropped"].sum())

    @property
    def rows_quarantined(self) -> int:
        """Alias of :attr:`rows_dropped` (the older name)."""
        return self.rows_dropped

    @property
    def cells_blanked(self) -> int:
        return int(self.counts["cells_blanked"].sum())

    def totals(self, file: str) -> dict:
        """The quality record of the table over every LA-year (``file`` describes where the rows came from)."""
        total = None
        for record in self.records:
            total = add_counts(total, record, file=file)
        return total or add_counts(None, {k: 0 for k in COUNT_COLUMNS[4:]} | {"by_rule": {}}, file=file)


@dataclass
class ReadResult:
    tables: dict[str, TableResult]
    warnings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=WARNING_COLUMNS))
    # LA-years whose table was absent or held no rows: indicators that need it are unavailable there.
    absent: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ABSENT_COLUMNS))
    # LA-year Header or Episodes files that lost more than the flag share of their rows.
    flagged: list[dict] = field(default_factory=list)

    def by_source(self) -> list[dict]:
        """Quality per LA-year and table (rows in, kept, dropped, cells blanked)."""
        return self.counts.drop(columns=["rows_quarantined"]).to_dict("records")

    def kept(self) -> dict[str, pd.DataFrame]:
        """Kept rows of every table, keyed by table name (the input the indicators take)."""
        return {name: result.kept for name, result in self.tables.items()}

    @property
    def counts(self) -> pd.DataFrame:
        return pd.concat([t.counts for t in self.tables.values()], ignore_index=True)

    @property
    def quarantine(self) -> pd.DataFrame:
        return pd.concat([t.quarantine for t in self.tables.values()], ignore_index=True)


# --------------------------------------------------------------------------- files


def table_from_file_name(path: Path) -> str | None:
    """The table a file name announces, or None when it names none (or more than one)."""
    stem = Path(path).stem.lower().replace("ssda903", "").replace("903", "")
    stem = _YEAR_IN_NAME.sub("", stem)
    key = re.sub(r"[^a-z0-9]", "", stem)
    found = {table for word, table in _NAME_WORDS if word in key}
    # "placedadoption" also contains "placed"; both point at the same table, so a set suffices
    return found.pop() if len(found) == 1 else None


def year_label(path: Path) -> int | None:
    """The year an exporter wrote into the file name, or failing that the nearest folder name."""
    for part in (Path(path).name, *(p.name for p in Path(path).parents)):
        match = _YEAR_IN_NAME.search(part)
        if match:
            return int(match.group(1))
    return None


def table_from_header(path: Path, tables: dict[str, Table]) -> str | None:
    """The table whose columns the file's header holds (the most specific match wins)."""
    first_line = read_text(path).splitlines()[0]
    header = {normalise_header(h) for h in first_line.split(",")}
    matches = [
        (len(t.columns), name) for name, t in tables.items() if {normalise_header(c) for c in t.column_names} <= header
    ]
    if not matches:
        return None
    matches.sort(reverse=True)
    if len(matches) > 1 and matches[0][0] == matches[1][0]:
        return None
    return matches[0][1]


def find_table_files(source: Source, listing: dict | None = None) -> tuple[dict[str, Path], list[dict]]:
    """Map each table to its file for a source; unrecognised CSV files come back as warnings.

    ``listing`` caches each folder's files and their year labels across the sources of one read.
    """
    folder = Path(source.path)
    if not folder.is_dir():
        raise InputError(folder, "SSDA903 source folder not found")
    tables = tables_for_year(source.year)
    # An LA folder holds every year's files: listed and labelled once per read, not once per year.
    key = str(folder)
    if listing is None or key not in listing:
        candidates = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in (".csv", ".xml"))
        labelled_files = [(p, year_label(p.relative_to(folder))) for p in candidates]
        if listing is not None:
            listing[key] = labelled_files
    else:
        labelled_files = listing[key]
    labelled = [p for p, label in labelled_files if label == source.label]
    chosen = labelled or [p for p, label in labelled_files if label is None]

    files: dict[str, Path] = {}
    warnings = []
    # An XML submission (the DfE's CLA format) holds every table of the return in one file.
    for path in [p for p in chosen if p.suffix.lower() == ".xml"]:
        for table in _xml_records(path, source.year):
            if table in files:
                raise InputError(path, f"second file for table {table} for year {source.year} (first: {files[table]})")
            files[table] = path
    for path in [p for p in chosen if p.suffix.lower() == ".csv"]:
        table = table_from_file_name(path) or table_from_header(path, tables)
        if table is None or table not in tables:
            warnings.append(
                _warning(source, None, path, "unrecognised file", "not an SSDA903 table for this year; ignored")
            )
            continue
        if table in files:
            raise InputError(path, f"second file for table {table} for year {source.year} (first: {files[table]})")
        files[table] = path
    for table in REQUIRED_TABLES:
        if table not in files:
            raise InputError(
                folder,
                f"no {table} file for collection year {source.year} (looked for CSV or XML files labelled "
                f"{source.label}, e.g. {source.label}-{table.lower()}.csv, or recognisable by their header)",
            )
    return files, warnings


@lru_cache(maxsize=2)
def _xml_records(path: Path, year: int) -> dict[str, pd.DataFrame]:
    """The tables of one XML return, read once for all the tables a source takes from it."""
    return xml_tables(path, year)


# --------------------------------------------------------------------------- rows


def _overlapping_episodes(frame: pd.DataFrame, file_key: pd.Series | None = None) -> pd.Series:
    """True for an episode that starts before an earlier episode of the same child has ended.

    Episodes are ordered by start date (then file order); an open episode (no
    DEC) runs forever, so anything after it overlaps.  The later episode is the
    one flagged, because the earlier one is what the later one contradicts.
    ``file_key`` (files checked together) keeps each file's children apart.
    """
    placed = frame["DECOM"].notna() & frame["CHILD"].notna()
    dated = frame.loc[placed, ["CHILD", "DECOM", "DEC", SOURCE_ROW]]
    child = ["CHILD"]
    if file_key is not None:
        dated[_FILE_KEY] = file_key[placed]
        child = [_FILE_KEY, "CHILD"]
    dated = dated.sort_values([*child, "DECOM", SOURCE_ROW], kind="stable")
    end = dated["DEC"].fillna(OPEN_END)
    by = [dated[c] for c in child]
    latest_end_before = end.groupby(by).cummax().groupby(by).shift(1)
    overlap = dated["DECOM"] < latest_end_before
    return overlap.reindex(frame.index, fill_value=False)


def row_rules(table: Table, year: int, *, file_key: pd.Series | None = None) -> list[RowRule]:
    """The rules across columns and rows of one table in one collection year (column rules come from the engine).

    ``file_key``: the file of each row when files are checked together, so rules across rows stay within a file.
    """
    rules = []
    for start, end in table.date_order:
        action = table.column(end).action
        rules.append(RowRule(RULE_END_BEFORE_START, end, lambda f, start=start, end=end: f[end] < f[start], action))
    if table.name == "Episodes":
        # REC on an open episode is the common export fault: the reason is blanked, the episode kept open.
        rules.append(RowRule(RULE_REC_ON_OPEN, "REC", lambda f: f["DEC"].isna() & f["REC"].notna(), BLANK))
        rules.append(RowRule(RULE_REC_MISSING, "REC", lambda f: f["DEC"].notna() & f["REC"].isna(), BLANK))
        rules.append(RowRule(RULE_OVERLAP, "DECOM", lambda f: _overlapping_episodes(f, file_key)))
    if table.name in ONE_ROW_PER_CHILD:
        if file_key is None:
            rules.append(RowRule(RULE_DUPLICATE_CHILD, "CHILD", lambda f: f["CHILD"].notna() & f["CHILD"].duplicated()))
        else:
            rules.append(
                RowRule(
                    RULE_DUPLICATE_CHILD,
                    "CHILD",
                    lambda f: f["CHILD"].notna() & pd.DataFrame({"file": file_key, "child": f["CHILD"]}).duplicated(),
                )
            )
    return rules


def _year_disagreement(episodes: pd.DataFrame, year: int) -> int | None:
    """The collection year most episodes fit better than the stated one, or None if the stated year fits.

    A row fits a year when it starts on or before 31 March of it and, if it
    ended, ended within it (a 903 year holds the episodes open during it).
    """
    dated = episodes.loc[episodes["DECOM"].notna()]
    if dated.empty:
        return None

    def share_fitting(candidate: int) -> float:
        start, end = collection_year_bounds(candidate)
        fits = (dated["DECOM"] <= end) & (dated["DEC"].isna() | ((dated["DEC"] >= start) & (dated["DEC"] <= end)))
        return float(fits.mean())

    stated = share_fitting(year)
    if stated >= YEAR_AGREEMENT_THRESHOLD:
        return None
    best = max((year - 1, year + 1), key=share_fitting)
    return best if share_fitting(best) > stated else None


@lru_cache(maxsize=1)
def _no_quarantine() -> pd.DataFrame:
    """The quarantine of a file that broke no rule, built once and shared (never changed by its readers)."""
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "row" else "str") for c in QUARANTINE_OUTPUT_COLUMNS})


def _empty_quarantine() -> pd.DataFrame:
    return _no_quarantine().copy()


@lru_cache(maxsize=1)
def _clean_file_counts() -> dict:
    """The engine's quality record of a file that broke no rule (its file and row counts filled in per file)."""
    return quality_counts(_no_quarantine(), file="", rows_in=0, rows_kept=0)


def _warning(source: Source, table: str | None, path: Path, check: str, message: str) -> dict:
    return {"LA": source.la, "YEAR": source.year, "table": table, "file": str(path), "check": check, "message": message}


def read_table(path: Path, table_name: str, *, la: str, year: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Read one 903 table file for one LA and collection year.

    Returns ``(kept, quarantine, counts)``: kept rows typed (dates datetime64,
    codes str, integers Int64) with ``LA`` and ``YEAR`` added, blanked cells
    missing; quarantine records (LA, YEAR, table, file, row, column, rule,
    action); and the file's quality record.
    """
    read = _read_table(path, table_name, la=la, year=year)
    return read.kept, read.quarantine, read.counts


@dataclass
class _Raw:
    """One file as parsed (strings), before the column rules; ``order`` is its source's position."""

    order: int
    source: Source
    table: str
    path: Path
    parsed: Rows | None  # a CSV file's rows as plain lists (parsed when first needed for a plain file)
    xml_records: pd.DataFrame | None = None  # a table of an XML return
    plain: PlainCsv | None = None  # a CSV file parsed with others of its header (see _check_files)

    @property
    def size(self) -> int:
        return self.plain.n_rows if self.plain is not None else len(self.parsed.rows)

    def parse(self) -> _Raw:
        """Parsed line by line (read_rows), no longer a plain file: for the per-file path."""
        if self.parsed is None and self.xml_records is None:
            columns = tables_for_year(self.source.year)[self.table].column_names
            self.parsed = read_rows(self.path, columns, allow_extra=True)
            self.plain = None
        return self

    def records(self) -> tuple[pd.DataFrame, pd.DataFrame, list[str], list[str], bool]:
        """The file as a frame: records, ragged lines, columns read past, notes and whether it had no header."""
        if self.xml_records is not None:
            return self.xml_records.copy(), pd.DataFrame({"row": pd.Series(dtype="int64")}), [], [], False
        records = self.parse().parsed.records()
        # Taken off the frame at once: pandas deep-copies attrs into every frame derived from it.
        ignored = records.attrs.pop("ignored_columns", [])
        notes = records.attrs.pop("notes", [])
        no_header = records.attrs.pop("no_header", False)
        return records, self.parsed.ragged_frame(), ignored, notes, no_header


@dataclass
class _FileRead:
    # kept is None for a file checked in a batch: its rows are in the batch's kept frame.
    kept: pd.DataFrame | None
    quarantine: pd.DataFrame
    counts: dict
    typed: pd.DataFrame | None
    ignored: list[str]
    notes: list[str]
    no_header: bool = False  # 0 bytes or newlines only
    # For Episodes checked in a batch: the share of dated episodes that fit the stated year (None: none dated).
    stated_year_share: float | None = None


def _raw_records(order: int, source: Source, table_name: str, path: Path) -> _Raw:
    if path.suffix.lower() == ".xml":
        return _Raw(order, source, table_name, path, None, _xml_records(path, source.year)[table_name])
    table = tables_for_year(source.year)[table_name]
    # Most exports are plain (one header, one record a line): those are parsed many at a time.
    plain = plain_csv(path, table.column_names)
    if plain is not None:
        return _Raw(order, source, table_name, path, None, plain=plain)
    # Exports often carry local extra columns: read past them, and say so.
    return _Raw(order, source, table_name, path, read_rows(path, table.column_names, allow_extra=True))


def _check_file(raw: _Raw) -> _FileRead:
    """The column and row rules on one file: the grain every fault is reported at."""
    la, year, table_name, path = raw.source.la, raw.source.year, raw.table, raw.path
    table = tables_for_year(year)[table_name]
    records, ragged, ignored, read_notes, no_header = raw.records()
    checked = check_columns(
        records, table.columns, documented_date=DOCUMENTED_DATE, year_bounds=collection_year_bounds(year)
    )
    typed = checked.typed
    outcome = apply_rules(typed, checked.rules + row_rules(table, year), table=table_name, file=path, ragged=ragged)
    quarantine = outcome.quarantine.assign(LA=la, YEAR=year)[QUARANTINE_OUTPUT_COLUMNS].reset_index(drop=True)
    kept = outcome.kept[table.column_names].reset_index(drop=True).assign(LA=la, YEAR=year)
    kept["YEAR"] = kept["YEAR"].astype("int64")
    counts = {"LA": la, "YEAR": year, "table": table_name, **outcome.counts}
    if checked.warned:
        counts["warned"] = checked.warned
    notes = [*read_notes, *checked.notes]
    return _FileRead(kept, quarantine, counts, typed, ignored, notes, no_header)


def _read_table(path: Path, table_name: str, *, la: str, year: int) -> _FileRead:
    return _check_file(_raw_records(0, Source(la, year, Path(path).parent), table_name, Path(path)))


# Per-file work in pandas costs tens of milliseconds whatever the file's size (a 903 file holds tens
# to hundreds of rows), and parsing line by line in Python costs more than the rules, so plain files
# (readers.plain_csv) of one table, specification and header are parsed in one go (readers.parse_plain),
# and files that read cleanly are checked many at a time: the same column and row
# rules on the files stacked, with the collection year's bounds per row and the rules across rows
# (duplicates, overlaps) grouped by file.  A batch in which any file breaks a rule, or the reader has
# anything to say, is not used for that file: it goes through _check_file, which reports the fault at
# the grain of its file, row and column.  A file whose batch passes gives what _check_file gives
# (every rule is elementwise or grouped by file), which tests/england/test_england_reader.py checks.
_FILE_KEY = "_file"
_ORDER = "_order"


def _batchable(raw: _Raw) -> bool:
    """A CSV file with rows, in which the reader found nothing to say (ragged lines, extra columns, notes)."""
    if raw.plain is not None:
        return True
    parsed = raw.parsed
    return parsed is not None and bool(parsed.rows) and not (parsed.ragged or parsed.extra or parsed.notes)


@dataclass
class _Batch:
    reads: dict[tuple[int, str], _FileRead]
    kept: pd.DataFrame  # kept rows of every file, in file order, with _ORDER (the source's position)


def _check_batch(raws: list[_Raw], stacked: pd.DataFrame | None = None) -> _Batch | set[int]:
    """Check files of one table and specification together; or the positions of those that break a rule.

    ``stacked``: the files' records already parsed together (plain files); otherwise built from their rows.
    An empty set: something was found that cannot be put down to one file (a note, a warning).
    """
    first = raws[0]
    table = tables_for_year(first.source.year)[first.table]
    sizes = np.array([r.size for r in raws])
    if stacked is None:
        # One frame built from every file's rows (a frame per file costs more than the file's parse).
        stacked = pd.DataFrame([row for r in raws for row in r.parsed.rows], columns=table.column_names, dtype="str")
        stacked[SOURCE_ROW] = pd.Series([line for r in raws for line in r.parsed.lines], dtype="int64")
    file_key = pd.Series(np.repeat(np.arange(len(raws)), sizes), index=stacked.index)
    bounds = [collection_year_bounds(r.source.year) for r in raws]
    starts = pd.Series(np.repeat(pd.DatetimeIndex([b[0] for b in bounds]).to_numpy(), sizes), index=stacked.index)
    ends = pd.Series(np.repeat(pd.DatetimeIndex([b[1] for b in bounds]).to_numpy(), sizes), index=stacked.index)
    checked = check_columns(stacked, table.columns, documented_date=DOCUMENTED_DATE, year_bounds=(starts, ends))
    if checked.notes or checked.warned:
        return set()
    typed = checked.typed
    bad = pd.Series(False, index=typed.index)
    for rule in checked.rules + row_rules(table, first.source.year, file_key=file_key):
        bad |= rule.check(typed).reindex(typed.index).fillna(False).astype(bool)
    if bad.any():
        return set(file_key[bad].unique().tolist())

    template = _clean_file_counts()
    shares = {}
    if first.table == "Episodes":
        dated = typed["DECOM"].notna()
        fits = (typed["DECOM"] <= ends) & (typed["DEC"].isna() | ((typed["DEC"] >= starts) & (typed["DEC"] <= ends)))
        shares = fits[dated].groupby(file_key[dated]).mean().to_dict()
    reads = {}
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    for position, raw in enumerate(raws):
        n = int(sizes[position])
        counts = {"LA": raw.source.la, "YEAR": raw.source.year, "table": raw.table}
        counts.update(template, file=str(raw.path), rows_in=n, rows_kept=n, by_rule={})
        episodes = None
        if raw.table == "Episodes":
            episodes = typed.iloc[offsets[position] : offsets[position + 1]]
        share = shares.get(position)
        reads[raw.order, raw.table] = _FileRead(
            None, _no_quarantine(), counts, episodes, [], [], stated_year_share=share
        )
    orders = np.array([r.order for r in raws])
    kept = typed[table.column_names].assign(
        LA=pd.Series(np.repeat(np.array([r.source.la for r in raws], dtype=object), sizes), dtype="str"),
        YEAR=np.repeat(np.array([r.source.year for r in raws], dtype="int64"), sizes),
        **{_ORDER: np.repeat(orders, sizes)},
    )
    return _Batch(reads, kept)


def _check_files(raws: list[_Raw]) -> tuple[dict[tuple[int, str], _FileRead], list[tuple[str, pd.DataFrame]]]:
    """Every file through the rules: clean ones in batches, the rest (and any that break a rule) one by one."""
    reads: dict[tuple[int, str], _FileRead] = {}
    batch_kept: list[tuple[str, pd.DataFrame]] = []
    groups: dict[tuple[str, int, bytes | None], list[_Raw]] = {}
    for raw in raws:
        if _batchable(raw):
            header = raw.plain.header if raw.plain is not None else None
            groups.setdefault((raw.table, schema_year_for(raw.source.year), header), []).append(raw)
        else:
            reads[raw.order, raw.table] = _check_file(raw.parse())
    for (_, _, header), members in groups.items():
        stacked = None
        if header is not None:
            columns = tables_for_year(members[0].source.year)[members[0].table].column_names
            stacked = parse_plain([m.plain for m in members], columns)
            if stacked is None:  # a ragged or blank line somewhere: every file parsed line by line, as it comes
                more_reads, more_kept = _check_files([m.parse() for m in members])
                reads.update(more_reads)
                batch_kept += more_kept
                continue
        outcome = _check_batch(members, stacked)
        if isinstance(outcome, set) and outcome:  # once more without the files that break a rule
            for position in sorted(outcome):
                reads[members[position].order, members[position].table] = _check_file(members[position])
            if stacked is not None:  # the parse of the files that remain, without parsing again
                file_of_row = np.repeat(np.arange(len(members)), [m.size for m in members])
                stacked = stacked.loc[~np.isin(file_of_row, sorted(outcome))].reset_index(drop=True)
            members = [m for position, m in enumerate(members) if position not in outcome]
            outcome = _check_batch(members, stacked) if members else set()
        if isinstance(outcome, set):
            for raw in members:
                reads[raw.order, raw.table] = _check_file(raw)
            continue
        reads.update(outcome.reads)
        batch_kept.append((members[0].table, outcome.kept))
    return reads, batch_kept


def _source_findings(
    source: Source, files: dict[str, Path], warnings: list[dict], reads: dict[str, _FileRead], flag_share: float
) -> tuple[list[dict], list[str], list[dict]]:
    """Warnings, absent tables and flags of one LA-year source; the faults that stop the run, raised."""
    warnings = list(warnings)
    for name, path in files.items():
        read = reads[name]
        if read.ignored:
            columns = ", ".join(repr(c) for c in read.ignored)
            warnings.append(
                _warning(
                    source,
                    name,
                    path,
                    "extra columns",
                    f"column(s) {columns} are not in the SSDA903 specification for {source.year}; not read",
                )
            )
        for note in read.notes:
            warnings.append(_warning(source, name, path, "reading", note))
        for rule, n in read.counts.get("warned", {}).items():
            warnings.append(_warning(source, name, path, "kept with a warning", f"{n} row(s): {rule}"))

    # Check the dates against the stated year on the parsed rows, before quarantine hides them.
    episodes_path = files["Episodes"]
    episodes = reads["Episodes"]
    share = episodes.stated_year_share
    better = None
    if share is None or share < YEAR_AGREEMENT_THRESHOLD:  # a batch found most fit: nothing to look at
        better = _year_disagreement(episodes.typed, source.year)
    year_cause = None
    if better is not None:
        start, end = collection_year_bounds(source.year)
        year_cause = (
            f"most episodes do not fit the stated collection year {source.year} "
            f"({start:%d/%m/%Y} to {end:%d/%m/%Y}) but fit {better}; "
            "check whether the exporter labelled the file by the other end of the year"
        )
        warnings.append(_warning(source, "Episodes", episodes_path, "collection year", year_cause))

    for name in REQUIRED_TABLES:
        if reads[name].counts["rows_in"] == 0:
            raise InputError(
                files[name],
                f"no rows (the file is empty or holds only a header); "
                f"{' and '.join(REQUIRED_TABLES)} must hold records for every collection year",
            )
    # Absent: no file, or a file without even a header (0 bytes or newlines only). A header-only file is an
    # exported table that holds no rows this year (a small LA with no adoptions), not an absent one.
    absent = [name for name in CORE_TABLES if name not in files or reads[name].no_header]
    if absent:
        described = ", ".join(f"{n} ({'no file' if n not in files else 'empty file'})" for n in absent)
        warnings.append(
            _warning(
                source,
                None,
                Path(source.path),
                "absent tables",
                f"tables absent for {source.year}: {described}; "
                "indicators that need them are unavailable for this LA and year",
            )
        )
    flags = []
    for name in sorted(reads, key=lambda n: n not in REQUIRED_TABLES):  # Header and Episodes first
        counts = reads[name].counts
        if counts["rows_in"] and not counts["rows_kept"]:
            raise InputError(files[name], lost_every_row_cause(counts, extra=year_cause))
        if name in REQUIRED_TABLES and flagged(counts, flag_share):
            share = counts["rows_dropped"] / counts["rows_in"]
            flags.append(
                {
                    "LA": source.la,
                    "YEAR": source.year,
                    "table": name,
                    "file": str(files[name]),
                    "rows_in": counts["rows_in"],
                    "rows_dropped": counts["rows_dropped"],
                    "share": round(share, 4),
                    "message": f"{source.la} {source.year} {name}: "
                    f"{counts['rows_dropped']} of {counts['rows_in']} rows dropped "
                    f"({share:.1%}, more than {flag_share:.0%})",
                }
            )
    return warnings, absent, flags


def _empty_kept(table_name: str, year: int) -> pd.DataFrame:
    table = tables_for_year(year)[table_name]
    records = pd.DataFrame({c: pd.Series(dtype="str") for c in table.column_names})
    records[SOURCE_ROW] = pd.Series(dtype="int64")
    typed = check_columns(records, table.columns, documented_date=DOCUMENTED_DATE).typed
    kept = typed[table.column_names].assign(LA=pd.Series(dtype="str"), YEAR=pd.Series(dtype="int64"))
    return kept


def read_returns(sources: Iterable[Source], *, flag_share: float = DEFAULT_FLAG_SHARE) -> ReadResult:
    """Read many LA-year sources into one result per table (rows stacked in source order).

    Structural faults (a missing Header, an unreadable file) stop the read first, in source order; then
    the faults of the rules (a file that loses every row), in source order.
    """
    sources = list(sources)
    listing: dict = {}
    found = [find_table_files(source, listing) for source in sources]
    raws = [
        _raw_records(order, source, name, path)
        for order, (source, (files, _)) in enumerate(zip(sources, found, strict=True))
        for name, path in files.items()
    ]
    reads, batch_kept = _check_files(raws)

    warnings: list[dict] = []
    absent_rows: list[dict] = []
    flags: list[dict] = []
    per_table: dict[str, list[tuple[int, _FileRead]]] = {}
    for order, (source, (files, find_warnings)) in enumerate(zip(sources, found, strict=True)):
        source_reads = {name: reads[order, name] for name in files}
        source_warnings, absent, source_flags = _source_findings(source, files, find_warnings, source_reads, flag_share)
        warnings.extend(source_warnings)
        flags.extend(source_flags)
        absent_rows += [{"LA": source.la, "YEAR": source.year, "table": name} for name in absent]
        for name, read in source_reads.items():
            per_table.setdefault(name, []).append((order, read))

    kept_by_table: dict[str, list[pd.DataFrame]] = {}
    for name, piece in batch_kept:
        kept_by_table.setdefault(name, []).append(piece)

    tables = {}
    for name in (*CORE_TABLES, *OPTIONAL_TABLES):
        if name not in per_table:
            if name in CORE_TABLES and sources:  # absent everywhere: an empty, typed table, so callers find it
                tables[name] = TableResult(
                    kept=_empty_kept(name, sources[0].year),
                    quarantine=_empty_quarantine(),
                    counts=pd.DataFrame(columns=COUNT_COLUMNS),
                )
            continue
        parts = per_table[name]
        pieces = kept_by_table.get(name, [])
        pieces += [read.kept.assign(**{_ORDER: order}) for order, read in parts if read.kept is not None]
        if len(pieces) == 1:
            kept = pieces[0]
        else:  # stacked in source order, whichever way each file was checked
            kept = pd.concat(pieces, ignore_index=True).sort_values(_ORDER, kind="stable")
        kept = kept.drop(columns=_ORDER).reset_index(drop=True)
        quarantines = [read.quarantine for _, read in parts if not read.quarantine.empty]
        quarantine = pd.concat(quarantines, ignore_index=True) if quarantines else _empty_quarantine()
        records = [read.counts for _, read in parts]
        counts = pd.DataFrame(records, columns=COUNT_COLUMNS)
        tables[name] = TableResult(kept=kept, quarantine=quarantine, counts=counts, records=records)
    return ReadResult(
        tables=tables,
        warnings=pd.DataFrame(warnings, columns=WARNING_COLUMNS),
        absent=pd.DataFrame(absent_rows, columns=ABSENT_COLUMNS).astype({"YEAR": "int64"}),
        flagged=flags,
    )


def sources_from_tree(root: Path, years: Iterable[int], *, file_year_offset: int = 0) -> list[Source]:
    """One source per LA folder under ``root`` (folder name = LA code) per collection year.

    ``file_year_offset`` is added to the collection year to get the year in the
    file names (``-1`` for exporters that label a year by its start).
    """
    la_folders = sorted(p for p in Path(root).iterdir() if p.is_dir())
    if not la_folders:
        raise InputError(root, "no local authority folders found")
    return [
        Source(la=folder.name, year=year, path=folder, file_year=year + file_year_offset)
        for folder in la_folders
        for year in sorted(years)
    ]
