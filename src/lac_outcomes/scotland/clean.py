"""Validate the Scottish returns and write typed parquet, quarantining bad rows.

Rules, in the order they are applied (the names appear in the quarantine log
and the data-quality report):

* every column: ``required`` (blank where a value is needed), ``code list``,
  ``date format`` (not a real YYYY-MM-DD date, e.g. 2019-02-31),
  ``whole number``, ``range`` (below the minimum or above the maximum);
* children: ``duplicate child`` (second and later rows of a child_id);
* episodes: ``unknown child`` (no kept row in children), ``end before start``,
  ``start before birth``, ``overlapping episodes`` (an episode starting before
  the previous one of the same child ended: the later one is quarantined),
  ``after period end`` (a date after the end of the last configured year);
* pupils: ``attended more than possible``, ``duplicate pupil-year``;
* leavers: ``duplicate leaver``;
* pupils and leavers: ``year outside period``.

Year labels: the config says the looked-after and school years are labelled
by their end.  When the dates found suggest the other convention (e.g. most
school years one below the configured range), a warning says so.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from lac_outcomes.io import write_json, write_parquet
from lac_outcomes.readers import FIELD_COUNT_RULE, parse_dates, parse_integers, read_records
from lac_outcomes.scotland.layout import TABLES, Column
from lac_outcomes.validation import QUARANTINE_COLUMNS, SOURCE_ROW, RowRule, apply_row_rules, quarantined_row_count

log = logging.getLogger(__name__)

DATE_FORMAT = "%Y-%m-%d"
TABLE_ORDER = ["children", "episodes", "pupils", "leavers"]
# Stands in for the end of an open episode when looking for overlaps.
OPEN_END = pd.Timestamp("2999-12-31")


@dataclass
class CleanResult:
    tables: dict[str, pd.DataFrame]
    quarantine: pd.DataFrame
    counts: dict[str, dict] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def period_end(last_year: int) -> pd.Timestamp:
    """End of a looked-after year labelled by its end: 31 July."""
    return pd.Timestamp(dt.date(last_year, 7, 31))


def _column_rules(column: Column, raw: pd.DataFrame) -> tuple[list[RowRule], pd.Series | None]:
    """Rules for one column, and the parsed values (None for strings and codes)."""
    name = column.name
    blank = raw[name] == ""
    rules = []
    if not column.nullable:
        rules.append(RowRule("required", name, lambda f, blank=blank: blank))
    parsed = None
    if column.kind == "code":
        allowed = {str(c) for c in column.codes}
        rules.append(RowRule("code list", name, lambda f, allowed=allowed, blank=blank: ~blank & ~raw[name].isin(allowed)))
    elif column.kind == "date":
        parsed = parse_dates(raw[name], DATE_FORMAT)
        rules.append(RowRule("date format", name, lambda f, parsed=parsed, blank=blank: ~blank & parsed.isna()))
    elif column.kind == "int":
        parsed = parse_integers(raw[name])
        rules.append(RowRule("whole number", name, lambda f, parsed=parsed, blank=blank: ~blank & parsed.isna()))
        if column.minimum is not None:
            rules.append(RowRule("range", name, lambda f, p=parsed, m=column.minimum: (p < m).fillna(False)))
        if column.maximum is not None:
            rules.append(RowRule("range", name, lambda f, p=parsed, m=column.maximum: (p > m).fillna(False)))
    return rules, parsed


def _typed(raw: pd.DataFrame, table: str, parsed: dict[str, pd.Series]) -> pd.DataFrame:
    typed = raw.copy()
    for column in TABLES[table].columns:
        if column.name in parsed:
            typed[column.name] = parsed[column.name]
        elif column.nullable:
            typed[column.name] = typed[column.name].where(typed[column.name] != "")
    return typed


def _duplicates(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    return frame.duplicated(subset=keys, keep="first")


def _episode_rules(children: pd.DataFrame, last_year: int) -> list[RowRule]:
    birth = children.set_index("child_id")["date_of_birth"]
    end_of_period = period_end(last_year)

    def overlapping(f: pd.DataFrame) -> pd.Series:
        ordered = f.sort_values(["child_id", "episode_start", SOURCE_ROW], kind="stable")
        open_end = ordered["episode_end"].fillna(OPEN_END)
        previous_end = open_end.groupby(ordered["child_id"]).shift()
        # Running maximum so an episode inside a long earlier one is also caught.
        previous_end = previous_end.groupby(ordered["child_id"]).cummax()
        return (ordered["episode_start"] < previous_end).reindex(f.index).fillna(False)

    return [
        RowRule("unknown child", "child_id", lambda f: ~f["child_id"].isin(birth.index)),
        RowRule("end before start", "episode_end", lambda f: (f["episode_end"] < f["episode_start"]).fillna(False)),
        RowRule("start before birth", "episode_start", lambda f: (f["episode_start"] < f["child_id"].map(birth)).fillna(False)),
        RowRule("after period end", "episode_start", lambda f: (f["episode_start"] > end_of_period).fillna(False)),
        RowRule("after period end", "episode_end", lambda f: (f["episode_end"] > end_of_period).fillna(False)),
        RowRule("overlapping episodes", "episode_start", overlapping),
    ]


def _year_rule(column: str, years: list[int]) -> RowRule:
    first, last = min(years), max(years)
    return RowRule("year outside period", column, lambda f: ~f[column].between(first, last))


def _year_label_warning(file: Path, values: pd.Series, years: list[int], what: str) -> str | None:
    """Say when a file's year labels look shifted against the configured convention."""
    values = values.dropna()
    if values.empty:
        return None
    outside = ~values.between(min(years), max(years))
    if outside.mean() <= 0.01:
        return None
    shifted = (values + 1).between(min(years), max(years)).mean()
    hint = " They look labelled by the start of the year; the config says years are labelled by their end." if shifted > 0.95 else ""
    return (
        f"{file}: {outside.mean():.0%} of {what} values fall outside the configured years "
        f"{min(years)}-{max(years)}.{hint}"
    )


def clean(raw_dir: Path, *, years: list[int]) -> CleanResult:
    """Validate the four Scottish tables under ``raw_dir``."""
    raw_dir = Path(raw_dir)
    tables: dict[str, pd.DataFrame] = {}
    quarantines, counts, warnings = [], {}, []
    for name in TABLE_ORDER:
        spec = TABLES[name]
        file = raw_dir / f"{name}.csv"
        raw, ragged = read_records(file, spec.column_names)
        rules, parsed = [], {}
        for column in spec.columns:
            column_rules, values = _column_rules(column, raw)
            rules += column_rules
            if values is not None:
                parsed[column.name] = values
        typed = _typed(raw, name, parsed)
        if name == "children":
            rules.append(RowRule("duplicate child", "child_id", lambda f: _duplicates(f, ["child_id"])))
        elif name == "episodes":
            rules += _episode_rules(tables["children"], max(years))
        elif name == "pupils":
            rules.append(RowRule("attended more than possible", "sessions_attended",
                                 lambda f: (f["sessions_attended"] > f["sessions_possible"]).fillna(False)))
            rules.append(RowRule("duplicate pupil-year", "pupil_id", lambda f: _duplicates(f, ["pupil_id", "school_year"])))
            rules.append(_year_rule("school_year", years))
            warnings.append(_year_label_warning(file, typed["school_year"], years, "school_year"))
        elif name == "leavers":
            rules.append(RowRule("duplicate leaver", "pupil_id", lambda f: _duplicates(f, ["pupil_id"])))
            rules.append(_year_rule("leaver_year", years))
            warnings.append(_year_label_warning(file, typed["leaver_year"], years, "leaver_year"))

        kept, quarantine = apply_row_rules(typed, rules, table=name, file=file)
        if not ragged.empty:
            quarantine = pd.concat(
                [quarantine, ragged.assign(table=name, file=str(file), column="(whole row)", rule=FIELD_COUNT_RULE)[QUARANTINE_COLUMNS]],
                ignore_index=True,
            )
        if name == "episodes":
            late = quarantine["rule"].eq("after period end").sum()
            if late > 0.01 * max(len(typed), 1):
                warnings.append(
                    f"{file}: {late} episode dates fall after 31 July {max(years)}, the end of the configured period; "
                    "check the year convention in the config (looked-after years end on 31 July)."
                )
        rows_in = len(raw) + len(ragged)
        n_quarantined = quarantined_row_count(quarantine)
        counts[name] = {
            "file": str(file),
            "rows_in": rows_in,
            "rows_kept": len(kept),
            "rows_quarantined": n_quarantined,
            "by_rule": {f"{c}: {r}": int(n) for (c, r), n in quarantine.groupby(["column", "rule"]).size().items()},
        }
        if rows_in != len(kept) + n_quarantined:  # the policy, checked on every run
            raise AssertionError(f"{file}: rows in {rows_in} != kept {len(kept)} + quarantined {n_quarantined}")
        tables[name] = kept.drop(columns=SOURCE_ROW).reset_index(drop=True)
        quarantines.append(quarantine)
        log.info("%s: %d rows in, %d kept, %d quarantined", file, rows_in, len(kept), n_quarantined)

    quarantine = pd.concat(quarantines, ignore_index=True)[QUARANTINE_COLUMNS]
    return CleanResult(tables, quarantine, counts, [w for w in warnings if w])


def write(result: CleanResult, out_dir: Path) -> None:
    out_dir = Path(out_dir)
    for name, frame in result.tables.items():
        write_parquet(frame, out_dir / f"{name}.parquet")
    write_parquet(result.quarantine, out_dir / "quarantine.parquet")
    write_json(out_dir / "quality.json", {"tables": result.counts, "warnings": result.warnings})
    for warning in result.warnings:
        log.warning(warning)
