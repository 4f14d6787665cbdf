"""Read SSDA903 CSV returns as local authorities export them.

A *source* is one local authority's return for one collection year: a folder
of CSV files, one per table.  Exporters name files in many ways
(``2019-episodes.csv``, ``SSDA903_2019_Episodes.csv``, ``episodes_2019.csv``,
or a folder per year); the table is recognised from the file name, or from
the header when the name does not say.  Headers compare case-insensitively
and ignore stray spaces and a BOM; values are stripped; blank lines are not
records.

Structural faults (missing table, missing column, undecodable file, wrong
delimiter) raise :class:`~lac_outcomes.validation.InputError`.  Row faults go
to quarantine with the table, file, line number, column and rule, never the
value.  The collection year is stated by the caller (the config); the dates
found are checked against it and a disagreement is reported as a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import pandas as pd

from lac_outcomes.england.schema import (
    CORE_TABLES,
    DATE_FORMAT,
    OPTIONAL_TABLES,
    Column,
    Table,
    collection_year_bounds,
    tables_for_year,
)
from lac_outcomes.readers import FIELD_COUNT_RULE, normalise_header, parse_dates, parse_integers, read_records, read_text
from lac_outcomes.validation import QUARANTINE_COLUMNS, SOURCE_ROW, InputError, RowRule, apply_row_rules

COUNT_COLUMNS = ["LA", "YEAR", "table", "file", "rows_in", "rows_kept", "rows_quarantined"]
WARNING_COLUMNS = ["LA", "YEAR", "table", "file", "check", "message"]
QUARANTINE_OUTPUT_COLUMNS = ["LA", "YEAR", *QUARANTINE_COLUMNS]

# Rule names as they appear in quarantine logs.
RULE_BLANK = "blank where a value is required"
RULE_CODE = "code not in the code list for the year"
RULE_DATE = "not a valid dd/mm/yyyy date"
RULE_NOT_INTEGER = "not a whole number"
RULE_INTEGER_RANGE = "number outside its plausible range"
RULE_AFTER_YEAR = "date after the end of the collection year"
RULE_BEFORE_YEAR = "date before the start of the collection year"
RULE_END_BEFORE_START = "end date before start date"
RULE_DEC_REC = "DEC and REC must both be given or both be blank"
RULE_OVERLAP = "episode overlaps an earlier episode of the same child"
RULE_DUPLICATE_CHILD = "child appears more than once"
ROW_COLUMN = "*"  # quarantine column for faults of the whole row
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

    @property
    def rows_in(self) -> int:
        return int(self.counts["rows_in"].sum())

    @property
    def rows_kept(self) -> int:
        return int(self.counts["rows_kept"].sum())

    @property
    def rows_quarantined(self) -> int:
        return int(self.counts["rows_quarantined"].sum())


@dataclass
class ReadResult:
    tables: dict[str, TableResult]
    warnings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=WARNING_COLUMNS))

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
    candidates = sorted(
        ((word, table) for table, words in TABLE_NAME_WORDS.items() for word in words), key=lambda wt: -len(wt[0])
    )
    found = {table for word, table in candidates if word in key}
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
        (len(t.columns), name)
        for name, t in tables.items()
        if {normalise_header(c) for c in t.column_names} <= header
    ]
    if not matches:
        return None
    matches.sort(reverse=True)
    if len(matches) > 1 and matches[0][0] == matches[1][0]:
        return None
    return matches[0][1]


def find_table_files(source: Source) -> tuple[dict[str, Path], list[dict]]:
    """Map each table to its file for a source; unrecognised CSV files come back as warnings."""
    folder = Path(source.path)
    if not folder.is_dir():
        raise InputError(folder, "SSDA903 source folder not found")
    tables = tables_for_year(source.year)
    csv_files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() == ".csv")
    labelled = [p for p in csv_files if year_label(p.relative_to(folder)) == source.label]
    chosen = labelled or [p for p in csv_files if year_label(p.relative_to(folder)) is None]

    files: dict[str, Path] = {}
    warnings = []
    for path in chosen:
        table = table_from_file_name(path) or table_from_header(path, tables)
        if table is None or table not in tables:
            warnings.append(_warning(source, None, path, "unrecognised file", "not an SSDA903 table for this year; ignored"))
            continue
        if table in files:
            raise InputError(path, f"second file for table {table} for year {source.year} (first: {files[table]})")
        files[table] = path
    for table in CORE_TABLES:
        if table not in files:
            raise InputError(
                folder,
                f"no {table} file for collection year {source.year} (looked for CSV files labelled {source.label}, "
                f"e.g. {source.label}-{table.lower()}.csv, or recognisable by their header)",
            )
    return files, warnings


# --------------------------------------------------------------------------- rows


def _typed(records: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Parse string records into their kinds; raw strings stay beside them for the rules."""
    typed = {}
    for column in table.columns:
        raw = records[column.name]
        typed[f"_raw_{column.name}"] = raw
        if column.kind == "date":
            typed[column.name] = parse_dates(raw, DATE_FORMAT)
        elif column.kind == "integer":
            typed[column.name] = parse_integers(raw)
        elif column.kind == "category":
            code = raw.str.upper()
            if column.aliases:
                code = code.replace(column.aliases)
            typed[column.name] = code.where(raw != "")
        else:
            typed[column.name] = raw.where(raw != "")
    typed[SOURCE_ROW] = records[SOURCE_ROW]
    return pd.DataFrame(typed, index=records.index)


def _column_rules(column: Column, year: int) -> list[RowRule]:
    name, raw = column.name, f"_raw_{column.name}"
    rules = []
    if not column.can_be_blank:
        rules.append(RowRule(RULE_BLANK, name, lambda f, raw=raw: f[raw] == ""))
    if column.kind == "category":
        codes = list(column.codes)
        rules.append(RowRule(RULE_CODE, name, lambda f, raw=raw, name=name: (f[raw] != "") & ~f[name].isin(codes)))
    elif column.kind == "date":
        rules.append(RowRule(RULE_DATE, name, lambda f, raw=raw, name=name: (f[raw] != "") & f[name].isna()))
        start, end = collection_year_bounds(year)
        if column.year_bound in ("not_after_end", "within"):
            rules.append(RowRule(RULE_AFTER_YEAR, name, lambda f, name=name: f[name] > end))
        if column.year_bound == "within":
            rules.append(RowRule(RULE_BEFORE_YEAR, name, lambda f, name=name: f[name] < start))
    elif column.kind == "integer":
        rules.append(RowRule(RULE_NOT_INTEGER, name, lambda f, raw=raw, name=name: (f[raw] != "") & f[name].isna()))
        low, high = column.min_value, column.max_value
        rules.append(RowRule(RULE_INTEGER_RANGE, name, lambda f, name=name: (f[name] < low) | (f[name] > high)))
    return rules


def _overlapping_episodes(frame: pd.DataFrame) -> pd.Series:
    """True for an episode that starts before an earlier episode of the same child has ended.

    Episodes are ordered by start date (then file order); an open episode (no
    DEC) runs forever, so anything after it overlaps.  The later episode is the
    one flagged, because the earlier one is what the later one contradicts.
    """
    dated = frame.loc[frame["DECOM"].notna() & frame["CHILD"].notna(), ["CHILD", "DECOM", "DEC", SOURCE_ROW]]
    dated = dated.sort_values(["CHILD", "DECOM", SOURCE_ROW], kind="stable")
    end = dated["DEC"].fillna(pd.Timestamp.max.floor("D"))
    latest_end_before = end.groupby(dated["CHILD"]).cummax().groupby(dated["CHILD"]).shift(1)
    overlap = dated["DECOM"] < latest_end_before
    return overlap.reindex(frame.index, fill_value=False)


def row_rules(table: Table, year: int) -> list[RowRule]:
    """Every row rule for one table in one collection year."""
    rules = [rule for column in table.columns for rule in _column_rules(column, year)]
    for start, end in table.date_order:
        rules.append(RowRule(RULE_END_BEFORE_START, end, lambda f, start=start, end=end: f[end] < f[start]))
    if table.name == "Episodes":
        rules.append(RowRule(RULE_DEC_REC, "REC", lambda f: (f["_raw_DEC"] == "") != (f["_raw_REC"] == "")))
        rules.append(RowRule(RULE_OVERLAP, "DECOM", _overlapping_episodes))
    if table.name in ONE_ROW_PER_CHILD:
        rules.append(RowRule(RULE_DUPLICATE_CHILD, "CHILD", lambda f: f["CHILD"].notna() & f["CHILD"].duplicated()))
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


def _empty_quarantine() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "row" else "str") for c in QUARANTINE_OUTPUT_COLUMNS})


def _warning(source: Source, table: str | None, path: Path, check: str, message: str) -> dict:
    return {"LA": source.la, "YEAR": source.year, "table": table, "file": str(path), "check": check, "message": message}


def read_table(path: Path, table_name: str, *, la: str, year: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Read one 903 table file for one LA and collection year.

    Returns ``(kept, quarantine, counts)``: kept rows typed (dates datetime64,
    codes str, integers Int64) with ``LA`` and ``YEAR`` added; quarantine
    records (LA, YEAR, table, file, row, column, rule); and a counts record.
    """
    kept, quarantine, counts, _, _ = _read_table(path, table_name, la=la, year=year)
    return kept, quarantine, counts


def _read_table(path: Path, table_name: str, *, la: str, year: int):
    table = tables_for_year(year)[table_name]
    # Exports often carry local extra columns: read past them, and say so.
    records, ragged = read_records(path, table.column_names, allow_extra=True)
    ignored = records.attrs.get("ignored_columns", [])
    typed = _typed(records, table)
    kept, quarantine = apply_row_rules(typed, row_rules(table, year), table=table_name, file=path)

    if not ragged.empty:
        ragged_log = pd.DataFrame(
            {"table": table_name, "file": str(path), "row": ragged["row"], "column": ROW_COLUMN, "rule": FIELD_COUNT_RULE}
        )
        quarantine = pd.concat([quarantine, ragged_log], ignore_index=True).sort_values("row", kind="stable")
    quarantine = quarantine.assign(LA=la, YEAR=year)[QUARANTINE_OUTPUT_COLUMNS].reset_index(drop=True)

    kept = kept[table.column_names].reset_index(drop=True).assign(LA=la, YEAR=year)
    kept["YEAR"] = kept["YEAR"].astype("int64")
    rows_quarantined = len(records) - len(kept) + len(ragged)
    counts = {
        "LA": la,
        "YEAR": year,
        "table": table_name,
        "file": str(path),
        "rows_in": len(records) + len(ragged),
        "rows_kept": len(kept),
        "rows_quarantined": rows_quarantined,
    }
    return kept, quarantine, counts, typed, ignored


def read_source(source: Source) -> tuple[dict[str, tuple[pd.DataFrame, pd.DataFrame, dict]], list[dict]]:
    """Read every table of one LA-year source; returns per-table results and warnings."""
    files, warnings = find_table_files(source)
    results, episodes_as_read = {}, None
    for name, path in files.items():
        kept, quarantine, counts, typed, ignored = _read_table(path, name, la=source.la, year=source.year)
        results[name] = (kept, quarantine, counts)
        if ignored:
            columns = ", ".join(repr(c) for c in ignored)
            warnings.append(_warning(source, name, path, "extra columns", f"column(s) {columns} are not in the SSDA903 specification for {source.year}; not read"))
        if name == "Episodes":
            episodes_as_read = typed

    # Check the dates against the stated year on the parsed rows, before quarantine hides them.
    episodes_path = files["Episodes"]
    better = _year_disagreement(episodes_as_read, source.year)
    if better is not None:
        start, end = collection_year_bounds(source.year)
        warnings.append(
            _warning(
                source,
                "Episodes",
                episodes_path,
                "collection year",
                f"most episodes do not fit the stated collection year {source.year} "
                f"({start:%d/%m/%Y} to {end:%d/%m/%Y}) but fit {better}; "
                "check whether the exporter labelled the file by the other end of the year",
            )
        )
    return results, warnings


def read_returns(sources: Iterable[Source]) -> ReadResult:
    """Read many LA-year sources into one result per table (rows stacked in source order)."""
    per_table: dict[str, list[tuple[pd.DataFrame, pd.DataFrame, dict]]] = {}
    warnings: list[dict] = []
    for source in sources:
        results, source_warnings = read_source(source)
        warnings.extend(source_warnings)
        for name, result in results.items():
            per_table.setdefault(name, []).append(result)

    tables = {}
    for name in (*CORE_TABLES, *OPTIONAL_TABLES):
        if name not in per_table:
            continue
        parts = per_table[name]
        kept = pd.concat([p[0] for p in parts], ignore_index=True)
        quarantines = [p[1] for p in parts if not p[1].empty]
        quarantine = pd.concat(quarantines, ignore_index=True) if quarantines else _empty_quarantine()
        counts = pd.DataFrame([p[2] for p in parts], columns=COUNT_COLUMNS)
        tables[name] = TableResult(kept=kept, quarantine=quarantine, counts=counts)
    return ReadResult(tables=tables, warnings=pd.DataFrame(warnings, columns=WARNING_COLUMNS))


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
