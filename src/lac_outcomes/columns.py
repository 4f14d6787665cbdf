"""One column specification and one rule engine for the returns of both nations.

A :class:`Column` says what a column holds and what happens when a value breaks
its rules (the quarantine policy, written per column in the format documents):

* a column that *places the row* (identifies it or dates it: a child ID, an
  episode start) is needed: a fault there **drops the row**;
* any other column is **blanked**: the bad cell is emptied, the row kept.

Either way the fault goes to the quarantine log with table, file, row, column,
rule and the action taken, never the value.  Rows in = rows kept + rows
dropped, always; blanked cells are counted beside them.

Values are read as exporters write them: ``NULL``, ``N/A``, ``NA`` and
whitespace-only cells are blank (see :mod:`lac_outcomes.readers`); codes and IDs
compare case-insensitively; dates are read as ``yyyy-mm-dd``, ``dd/mm/yyyy`` or
SQL date-times (``2019-05-01 00:00:00.000``), the format decided per column per
file and said in the quality record.  A code valid only in the adjacent
specification year is kept, with a warning counted per rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from lac_outcomes.readers import FIELD_COUNT_RULE
from lac_outcomes.validation import (
    BLANK,
    DROP,
    QUARANTINE_COLUMNS,
    SOURCE_ROW,
    RowRule,
    apply_row_rules,
)

# The one stand-in for the end of an open episode or spell, wherever an end date is compared.
OPEN_END = pd.Timestamp.max.floor("D")

DATE_FORMATS = {"yyyy-mm-dd": "%Y-%m-%d", "dd/mm/yyyy": "%d/%m/%Y"}
_DATE_PATTERNS = {"yyyy-mm-dd": r"^\d{4}-\d{1,2}-\d{1,2}$", "dd/mm/yyyy": r"^\d{1,2}/\d{1,2}/\d{4}$"}
# A time of day after a date (SQL exports write date-times); dates carry no time, so it is dropped.
_TIME_SUFFIX = r"[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$"
# Partial or full UK postcodes as the returns hold them: district ("ZZ1"), sector ("ZZ1 1") or full.
POSTCODE_PATTERN = r"^[A-Z]{1,2}[0-9][A-Z0-9]?(?: ?[0-9](?:[A-Z]{2})?)?$"

RULE_BLANK = "blank where a value is required"
RULE_CODE = "code not in the code list"
RULE_ADJACENT_CODE = "code from the adjacent specification year"
RULE_DATE = "not a valid date"
RULE_NOT_INTEGER = "not a whole number"
RULE_NOT_NUMBER = "not a number"
RULE_RANGE = "number outside its plausible range"
RULE_AFTER_YEAR = "date after the end of the collection year"
RULE_BEFORE_YEAR = "date before the start of the collection year"
RULE_POSTCODE = "not a postcode"
ROW_COLUMN = "(whole row)"  # quarantine column for faults of the whole row

KINDS = ("id", "code", "date", "int", "number", "str", "postcode")


@dataclass(frozen=True)
class Column:
    """One column of a return table.

    ``places_row``: the column identifies or dates the row, so a row whose value
    is unusable is dropped; otherwise a bad value is blanked and the row kept.
    ``blankable``: a blank is allowed.  ``codes``: the code list (``aliases``
    maps a label an exporter may write to its code; ``adjacent_codes`` are valid
    only in the neighbouring specification year and are kept with a warning).
    ``minimum``/``maximum`` bound integers.  ``year_bound``: ``"not_after_end"``
    or ``"within"`` the stated year (dates only).
    """

    name: str
    kind: str
    places_row: bool = False
    blankable: bool = False
    codes: tuple = ()
    aliases: Mapping[str, str] = field(default_factory=dict)
    adjacent_codes: tuple = ()
    minimum: int | None = None
    maximum: int | None = None
    year_bound: str | None = None
    description: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name}: kind {self.kind!r} is not one of {KINDS}")

    @property
    def policy(self) -> str:
        """What a bad value costs, as the format documents say it."""
        return "drop the row" if self.places_row else "blank the cell"

    @property
    def action(self) -> str:
        return DROP if self.places_row else BLANK


@dataclass(frozen=True)
class Table:
    """A table of a return: its columns and, where it has them, start/end date pairs in order."""

    name: str
    columns: tuple[Column, ...]
    description: str = ""
    # (start column, end column): the end may not fall before the start.
    date_order: tuple[tuple[str, str], ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def policy_table(table: Table) -> list[str]:
    """Markdown lines of a table's columns with what a bad value costs (for the format documents)."""
    lines = [
        "| column | type | values | blank allowed | a bad value | description |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for column in table.columns:
        if column.codes:
            values = ", ".join(f"`{c}`" for c in column.codes)
        elif column.kind in ("int", "number"):
            values = f"{column.minimum} to {column.maximum}"
        elif column.kind == "date":
            values = "date"
        elif column.kind == "postcode":
            values = "postcode (district, sector or full)"
        else:
            values = ""
        lines.append(
            f"| `{column.name}` | {column.kind} | {values} | {'yes' if column.blankable else 'no'} | {column.policy} "
            f"| {column.description} |"
        )
    return lines


@dataclass
class Checked:
    """A table after its column rules: typed values, the rules that flag faults, and what the reader decided."""

    typed: pd.DataFrame
    rules: list[RowRule]
    notes: list[str] = field(default_factory=list)
    # rows kept with a warning (e.g. a code of the adjacent specification year), per "column: rule"
    warned: dict[str, int] = field(default_factory=dict)


def _parse_dates(raw: pd.Series, present: pd.Series, documented: str) -> tuple[str, pd.Series, pd.Series, bool]:
    """Parse a date column in the format most of its dates are in.

    Returns the format's label, the parsed dates (NaT where a value does not
    parse), the values as compared (time of day removed) and whether any value
    carried a time of day.
    """
    parsed = pd.to_datetime(raw.where(present), format=DATE_FORMATS[documented], errors="coerce")
    if not (present & parsed.isna()).any():  # the usual case: every date as documented
        return documented, parsed, raw, False
    dates = raw.str.replace(_TIME_SUFFIX, "", regex=True)
    had_time = bool((present & (dates != raw)).any())
    counts = {label: int((present & dates.str.match(pattern)).sum()) for label, pattern in _DATE_PATTERNS.items()}
    best = max(counts, key=lambda label: counts[label])
    label = documented if counts[documented] >= counts[best] else best  # a tie keeps the documented format
    if label != documented or had_time:
        parsed = pd.to_datetime(dates.where(present), format=DATE_FORMATS[label], errors="coerce")
    return label, parsed, dates, had_time


def check_columns(
    records: pd.DataFrame,
    columns: tuple[Column, ...] | list[Column],
    *,
    documented_date: str,
    year_bounds: tuple[pd.Timestamp, pd.Timestamp] | None = None,
) -> Checked:
    """Parse string records into their kinds and build the rule for every column.

    ``records`` holds one string column per spec column (blank = ""), and
    ``SOURCE_ROW``.  ``documented_date`` is the format the documentation gives
    (``"yyyy-mm-dd"`` or ``"dd/mm/yyyy"``); a file in another one is read all
    the same and a note says so.
    """
    typed = {}
    rules: list[RowRule] = []
    notes: list[str] = []
    warned: dict[str, int] = {}
    for column in columns:
        name, raw = column.name, records[column.name]
        present = raw != ""
        action = column.action
        if not column.blankable:
            rules.append(RowRule(RULE_BLANK, name, lambda f, blank=~present: blank, action))
        if column.kind in ("code",):
            if raw.isin(column.codes).sum() == present.sum():  # the usual case: every code as listed
                typed[name] = raw.where(present)
                continue
            lookup = {str(c).upper(): c for c in column.codes}
            lookup.update({str(k).upper(): v for k, v in column.aliases.items()})
            upper = raw.str.upper()
            values = upper.map(lookup)
            adjacent = present & values.isna() & upper.isin({str(c).upper() for c in column.adjacent_codes})
            if adjacent.any():
                values = values.where(~adjacent, upper)
                warned[f"{name}: {RULE_ADJACENT_CODE}"] = int(adjacent.sum())
            outside = present & values.isna()
            rules.append(RowRule(RULE_CODE, name, lambda f, bad=outside: bad, action))
            # A value outside the list stays (upper-cased) until the rule blanks its cell or drops its row,
            # so rules across columns still see that a value was given.
            typed[name] = values.where(~outside, upper).astype("str")
        elif column.kind == "date":
            label, parsed, dates, had_time = _parse_dates(raw, present, documented_date)
            failed = present & parsed.isna()
            if label != documented_date:
                notes.append(f"column {name}: dates read as {label} (the layout documents {documented_date})")
            if had_time:
                notes.append(f"column {name}: date-times found; the time of day is ignored")
            other = [lab for lab, pattern in _DATE_PATTERNS.items() if lab != label]
            stray = int((failed & dates.str.match(_DATE_PATTERNS[other[0]])).sum()) if failed.any() else 0
            if stray:
                notes.append(
                    f"column {name}: {stray} date(s) written as {other[0]} in a column read as {label}; "
                    f"they break the rule '{RULE_DATE}'"
                )
            rules.append(RowRule(RULE_DATE, name, lambda f, bad=failed: bad, action))
            if year_bounds is not None and column.year_bound in ("not_after_end", "within"):
                start, end = year_bounds
                rules.append(RowRule(RULE_AFTER_YEAR, name, lambda f, p=parsed, e=end: (p > e).fillna(False), action))
                if column.year_bound == "within":
                    rules.append(
                        RowRule(RULE_BEFORE_YEAR, name, lambda f, p=parsed, s=start: (p < s).fillna(False), action)
                    )
            typed[name] = parsed
        elif column.kind == "int":
            numbers = pd.to_numeric(raw.where(present), errors="coerce")
            parsed = numbers.where(numbers.isna() | (numbers == numbers.round())).astype("Int64")
            not_integer = present & parsed.isna()
            rules.append(RowRule(RULE_NOT_INTEGER, name, lambda f, bad=not_integer: bad, action))
            outside = pd.Series(False, index=raw.index)
            if column.minimum is not None:
                outside |= (parsed < column.minimum).fillna(False)
            if column.maximum is not None:
                outside |= (parsed > column.maximum).fillna(False)
            rules.append(RowRule(RULE_RANGE, name, lambda f, bad=outside: bad, action))
            typed[name] = parsed
        elif column.kind == "number":  # a decimal, e.g. an Attainment 8 score of 45.5
            numbers = pd.to_numeric(raw.where(present), errors="coerce").astype("float64")
            not_number = present & numbers.isna()
            rules.append(RowRule(RULE_NOT_NUMBER, name, lambda f, bad=not_number: bad, action))
            outside = pd.Series(False, index=raw.index)
            if column.minimum is not None:
                outside |= (numbers < column.minimum).fillna(False)
            if column.maximum is not None:
                outside |= (numbers > column.maximum).fillna(False)
            rules.append(RowRule(RULE_RANGE, name, lambda f, bad=outside: bad, action))
            typed[name] = numbers
        elif column.kind == "id":
            values = raw.str.upper()
            changed = int((present & (values != raw)).sum())
            if changed:
                notes.append(
                    f"column {name}: {changed} row(s) with IDs in lower or mixed case; "
                    "IDs are matched case-insensitively"
                )
                warned[f"{name}: ID case differs"] = changed
            typed[name] = values.where(present)
        elif column.kind == "postcode":
            values = raw.str.upper()
            bad = present & ~values.str.match(POSTCODE_PATTERN)
            rules.append(RowRule(RULE_POSTCODE, name, lambda f, bad=bad: bad, action))
            typed[name] = values.where(present)
        else:
            typed[name] = raw.where(present)
    typed[SOURCE_ROW] = records[SOURCE_ROW]
    return Checked(pd.DataFrame(typed, index=records.index), rules, notes, warned)


@dataclass
class TableOutcome:
    """One table of one file after every rule: kept rows, the quarantine log, and its counts."""

    kept: pd.DataFrame
    quarantine: pd.DataFrame
    counts: dict


def apply_rules(
    typed: pd.DataFrame, rules: list[RowRule], *, table: str, file, ragged: pd.DataFrame | None = None
) -> TableOutcome:
    """Drop and blank as the rules say; count rows in, kept, dropped and cells blanked.

    ``ragged`` holds the line numbers of records whose field count differs from
    the header: they are dropped whole (column ``*``).
    """
    kept, quarantine = apply_row_rules(typed, rules, table=table, file=file)
    if ragged is not None and not ragged.empty:
        whole_rows = pd.DataFrame(
            {
                "table": table,
                "file": str(file),
                "row": ragged["row"].astype("int64"),
                "column": ROW_COLUMN,
                "rule": FIELD_COUNT_RULE,
                "action": DROP,
            }
        )
        quarantine = pd.concat([quarantine, whole_rows], ignore_index=True)
        quarantine = quarantine.sort_values(["row", "column", "rule"], kind="stable").reset_index(drop=True)
    n_ragged = 0 if ragged is None else len(ragged)
    rows_in = len(typed) + n_ragged
    counts = quality_counts(quarantine, file=str(file), rows_in=rows_in, rows_kept=len(kept))
    return TableOutcome(kept, quarantine[QUARANTINE_COLUMNS], counts)


def quality_counts(quarantine: pd.DataFrame, *, file: str, rows_in: int, rows_kept: int) -> dict:
    """The quality record of one table: rows in/kept/dropped, cells blanked, faults by rule.

    ``rows_quarantined`` is kept as an alias of ``rows_dropped`` for readers of
    the older record.
    """
    rows_dropped = rows_in - rows_kept
    blanked = quarantine.loc[quarantine["action"] == BLANK] if not quarantine.empty else quarantine
    dropped_rows = set(quarantine.loc[quarantine["action"] == DROP, "row"]) if not quarantine.empty else set()
    cells_blanked = int(blanked.loc[~blanked["row"].isin(dropped_rows), ["row", "column"]].drop_duplicates().shape[0])
    by_rule = quarantine.groupby(["column", "rule"]).size() if not quarantine.empty else pd.Series(dtype="int64")
    counts = {
        "file": file,
        "rows_in": int(rows_in),
        "rows_kept": int(rows_kept),
        "rows_dropped": int(rows_dropped),
        "rows_quarantined": int(rows_dropped),
        "cells_blanked": cells_blanked,
        "by_rule": {f"{c}: {r}": int(n) for (c, r), n in by_rule.items()},
    }
    if rows_in != rows_kept + rows_dropped:  # the policy, checked on every run
        raise AssertionError(f"{file}: rows in {rows_in} != kept {rows_kept} + dropped {rows_dropped}")
    return counts


def add_counts(total: dict | None, part: dict, *, file: str) -> dict:
    """Sum two quality records of the same table (e.g. one per LA-year) into one."""
    if total is None:
        total = {
            "file": file,
            "rows_in": 0,
            "rows_kept": 0,
            "rows_dropped": 0,
            "rows_quarantined": 0,
            "cells_blanked": 0,
            "by_rule": {},
        }
    for key in ("rows_in", "rows_kept", "rows_dropped", "rows_quarantined", "cells_blanked"):
        total[key] += int(part[key])
    for rule, n in part["by_rule"].items():
        total["by_rule"][rule] = total["by_rule"].get(rule, 0) + int(n)
    if "warned" in part:
        warned = total.setdefault("warned", {})
        for rule, n in part["warned"].items():
            warned[rule] = warned.get(rule, 0) + int(n)
    return total


def flagged(counts: dict, share: float) -> bool:
    """True when a table lost more than ``share`` of its rows (and lost some)."""
    return counts["rows_in"] > 0 and counts["rows_dropped"] > share * counts["rows_in"]


def lost_every_row_cause(counts: dict, *, extra: str | None = None) -> str:
    """The likely cause when a table kept none of its rows, from the rules that dropped them."""
    by_rule = counts["by_rule"]
    drops = sorted(by_rule.items(), key=lambda item: -item[1])
    top = drops[0][0] if drops else ""
    if extra:
        cause = extra
    elif FIELD_COUNT_RULE in top:
        cause = "every row has a different number of fields from the header: a shifted delimiter or a stray comma"
    elif RULE_DATE in top:
        cause = (
            "the dates are in a format the reader does not know (it reads yyyy-mm-dd, dd/mm/yyyy and SQL date-times)"
        )
    elif "after" in top or "before" in top or "outside period" in top:
        cause = (
            "the dates fall outside the configured years: "
            "check the year convention (labelled by the year's end or start)"
        )
    elif "unknown child" in top:
        cause = "no row's ID matches a kept row of the child table: check that both files hold the same IDs"
    else:
        cause = f"the most frequent fault is '{top}'"
    n_top = drops[0][1] if drops else 0
    return f"every one of its {counts['rows_in']} rows was dropped ({top}, {n_top} rows); likely cause: {cause}"


@dataclass
class CleanResult:
    """What cleaning a nation's returns gives, written the same way for both.

    ``counts``: the quality record per table; ``flagged``: tables (England:
    LA-year tables) that lost more than the configured share of their rows;
    ``indicators`` (England) and ``by_source`` (England: quality per LA-year)
    are written when present.
    """

    tables: dict[str, pd.DataFrame]
    quarantine: pd.DataFrame
    counts: dict[str, dict]
    warnings: list[str]
    flagged: list[dict] = field(default_factory=list)
    indicators: pd.DataFrame | None = None
    by_source: list[dict] | None = None
    # A nation's own entries in quality.json (England: history mode, cross-return checks, absent tables).
    extra: dict = field(default_factory=dict)
    # England: the cross-return findings and the absent tables, as frames, for callers and tests.
    cross_return: pd.DataFrame | None = None
    absent: pd.DataFrame | None = None

    def quality(self) -> dict:
        record = {"tables": self.counts, "warnings": self.warnings, "flagged": self.flagged}
        if self.by_source is not None:
            record["by_la_year"] = self.by_source
        record.update(self.extra)
        return record


def write(result: CleanResult, out_dir: Path) -> None:
    """Write a clean result: one parquet per table (and indicators), quarantine.parquet, quality.json."""
    import logging

    from lac_outcomes.io import write_json, write_parquet

    out_dir = Path(out_dir)
    for name, frame in result.tables.items():
        write_parquet(frame, out_dir / f"{name}.parquet")
    if result.indicators is not None:
        write_parquet(result.indicators, out_dir / "indicators.parquet")
    write_parquet(result.quarantine, out_dir / "quarantine.parquet")
    write_json(out_dir / "quality.json", result.quality())
    log = logging.getLogger(__name__)
    for warning in result.warnings:
        log.warning(warning)
    for flag in result.flagged:
        log.warning("flagged: %s", flag["message"])
