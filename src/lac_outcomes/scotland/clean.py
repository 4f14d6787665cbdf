"""Validate the Scottish returns and write typed parquet, quarantining at the grain of the fault.

Column rules come from the shared engine (:mod:`lac_outcomes.columns`) and the
per-column policy in :mod:`lac_outcomes.scotland.layout`: a bad value in a
column that places the row (ID, dates, local authority) drops the row; any
other bad value is blanked and the row kept.  Cross-table rules, in order (the
names appear in the quarantine log and the data-quality report):

* children: ``duplicate child`` (second and later rows of a child_id),
  ``date of birth in the future`` (after the end of the configured period);
* episodes: ``unknown child`` (no kept row in children), ``end before start``,
  ``start before birth``, ``overlapping episodes`` (an episode starting before
  the previous one of the same child ended: the later one is dropped),
  ``after period end`` (a date after the end of the last configured year) --
  all drop the row; ``reason given on an open episode`` blanks reason_ended;
* pupils: ``attended more than possible`` (blanks sessions_attended),
  ``duplicate pupil-year``;
* leavers: ``duplicate leaver``;
* pupils and leavers: ``year outside period``, ``looked after but not in
  children.csv`` (a looked-after pupil who cannot be linked to a child);
* permanence: ``unknown child``, ``milestone before birth``, ``after period
  end``, ``duplicate milestone`` (the same child, milestone and date twice) --
  all drop the row.  Milestones out of the expected order are kept: real
  records have them, and the analysis says how many it sets aside;
* aftercare: ``year outside period``, ``duplicate young person-year`` --
  both drop the row (a young person not in children.csv is kept: one who
  left care before the period is not listed there) (a bad code in economic activity,
  accommodation or the yes/no columns blanks that cell by the column rules).

A table that loses every row stops the run with the likely cause; one that
loses more than ``flag_share`` of its rows is listed in ``flagged``.

Year labels: the config says the looked-after and school years are labelled
by their end.  When the dates found suggest the other convention (e.g. most
school years one below the configured range), a warning says so.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pandas as pd

from lac_outcomes.columns import (
    OPEN_END,
    CleanResult,
    apply_rules,
    check_columns,
    flagged,
    lost_every_row_cause,
)
from lac_outcomes.columns import write as write  # noqa: F401  (the step's writer, shared by both nations)
from lac_outcomes.errors import InputError
from lac_outcomes.readers import no_records, read_records
from lac_outcomes.scotland.layout import TABLES
from lac_outcomes.validation import BLANK, QUARANTINE_COLUMNS, SOURCE_ROW, RowRule

log = logging.getLogger(__name__)

DOCUMENTED_DATE = "yyyy-mm-dd"
TABLE_ORDER = ["children", "episodes", "pupils", "leavers", "permanence", "aftercare"]
DEFAULT_FLAG_SHARE = 0.02
# Tables that must hold rows: without children and episodes there is nothing to analyse.
TABLES_NEEDING_ROWS = ("children", "episodes")
# Tables a return may lack altogether (added to the layout later): a missing file is a table with no rows.
OPTIONAL_TABLES = ("permanence", "aftercare")


def period_end(last_year: int) -> pd.Timestamp:
    """End of a looked-after year labelled by its end: 31 July."""
    return pd.Timestamp(dt.date(last_year, 7, 31))


def _duplicates(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    return frame[keys[0]].notna() & frame.duplicated(subset=keys, keep="first")


def _birth_of(ids: pd.Series, birth: pd.Series) -> pd.Series:
    # Series.map with an empty datetime Series raises in pandas (it casts the mapper to float).
    return ids.map(birth) if len(birth) else pd.Series(pd.NaT, index=ids.index, dtype=birth.dtype)


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
        RowRule("unknown child", "child_id", lambda f: f["child_id"].notna() & ~f["child_id"].isin(birth.index)),
        RowRule("end before start", "episode_end", lambda f: (f["episode_end"] < f["episode_start"]).fillna(False)),
        RowRule(
            "start before birth",
            "episode_start",
            lambda f: (f["episode_start"] < _birth_of(f["child_id"], birth)).fillna(False),
        ),
        RowRule("after period end", "episode_start", lambda f: (f["episode_start"] > end_of_period).fillna(False)),
        RowRule("after period end", "episode_end", lambda f: (f["episode_end"] > end_of_period).fillna(False)),
        RowRule("overlapping episodes", "episode_start", overlapping),
        RowRule(
            "reason given on an open episode",
            "reason_ended",
            lambda f: f["episode_end"].isna() & f["reason_ended"].notna(),
            BLANK,
        ),
    ]


def _permanence_rules(children: pd.DataFrame, last_year: int) -> list[RowRule]:
    birth = children.set_index("child_id")["date_of_birth"]
    end_of_period = period_end(last_year)
    return [
        RowRule("unknown child", "child_id", lambda f: f["child_id"].notna() & ~f["child_id"].isin(birth.index)),
        RowRule(
            "milestone before birth",
            "milestone_date",
            lambda f: (f["milestone_date"] < _birth_of(f["child_id"], birth)).fillna(False),
        ),
        RowRule("after period end", "milestone_date", lambda f: (f["milestone_date"] > end_of_period).fillna(False)),
        RowRule(
            "duplicate milestone",
            "milestone",
            lambda f: _duplicates(f, ["child_id", "milestone", "milestone_date"]),
        ),
    ]


def _orphan_rule(children: pd.DataFrame) -> RowRule:
    known = set(children["child_id"])
    return RowRule(
        "looked after but not in children.csv",
        "pupil_id",
        lambda f: f["looked_after"].eq("Y").fillna(False) & f["pupil_id"].notna() & ~f["pupil_id"].isin(known),
    )


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
    hint = (
        " They look labelled by the start of the year; the config says years are labelled by their end."
        if shifted > 0.95
        else ""
    )
    return (
        f"{file}: {outside.mean():.0%} of {what} values fall outside the configured years "
        f"{min(years)}-{max(years)}.{hint}"
    )


def clean(raw_dir: Path, *, years: list[int], flag_share: float = DEFAULT_FLAG_SHARE) -> CleanResult:
    """Validate the Scottish tables under ``raw_dir``."""
    raw_dir = Path(raw_dir)
    if not years or min(years) > max(years):
        raise InputError(raw_dir, "no years to clean: the first configured year is after the last")
    tables: dict[str, pd.DataFrame] = {}
    quarantines, counts, warnings, flags = [], {}, [], []
    for name in TABLE_ORDER:
        spec = TABLES[name]
        file = raw_dir / f"{name}.csv"
        absent = name in OPTIONAL_TABLES and not file.exists()
        if absent:
            warnings.append(f"{file}: no such file; analyses of {name} have no data")
            raw, ragged = no_records(spec.column_names)
        else:
            raw, ragged = read_records(file, spec.column_names)
        read_notes = raw.attrs.pop("notes", [])  # off the frame: pandas deep-copies attrs into derived frames
        if raw.empty and ragged.empty and not absent:
            if name in TABLES_NEEDING_ROWS:
                raise InputError(
                    file,
                    f"no rows (the file is empty or holds only a header); "
                    f"{' and '.join(f'{t}.csv' for t in TABLES_NEEDING_ROWS)} must hold records",
                )
            warnings.append(
                f"{file}: no rows (the file is empty or holds only a header); analyses of {name} have no data"
            )
        checked = check_columns(raw, spec.columns, documented_date=DOCUMENTED_DATE)
        typed, rules = checked.typed, checked.rules
        warnings += [f"{file}: {note}" for note in [*read_notes, *checked.notes]]
        if name == "children":
            rules.append(RowRule("duplicate child", "child_id", lambda f: _duplicates(f, ["child_id"])))
            end_of_period = period_end(max(years))
            rules.append(
                RowRule(
                    "date of birth in the future",
                    "date_of_birth",
                    lambda f, end_of_period=end_of_period: (f["date_of_birth"] > end_of_period).fillna(False),
                )
            )
        elif name == "episodes":
            rules += _episode_rules(tables["children"], max(years))
        elif name == "pupils":
            rules.append(
                RowRule(
                    "attended more than possible",
                    "sessions_attended",
                    lambda f: (f["sessions_attended"] > f["sessions_possible"]).fillna(False),
                    BLANK,
                )
            )
            rules.append(
                RowRule("duplicate pupil-year", "pupil_id", lambda f: _duplicates(f, ["pupil_id", "school_year"]))
            )
            rules.append(_year_rule("school_year", years))
            rules.append(_orphan_rule(tables["children"]))
            warnings.append(_year_label_warning(file, typed["school_year"], years, "school_year"))
        elif name == "leavers":
            rules.append(RowRule("duplicate leaver", "pupil_id", lambda f: _duplicates(f, ["pupil_id"])))
            rules.append(_year_rule("leaver_year", years))
            rules.append(_orphan_rule(tables["children"]))
            warnings.append(_year_label_warning(file, typed["leaver_year"], years, "leaver_year"))
        elif name == "permanence":
            rules += _permanence_rules(tables["children"], max(years))
        elif name == "aftercare":
            # A young person who left care before the period is not in children.csv: the row is kept (its
            # own la_code places it) and the analysis counts it among those without a care history.
            rules.append(_year_rule("year", years))
            rules.append(
                RowRule("duplicate young person-year", "child_id", lambda f: _duplicates(f, ["child_id", "year"]))
            )

        outcome = apply_rules(typed, rules, table=name, file=file, ragged=ragged)
        quarantine, table_counts = outcome.quarantine, outcome.counts
        if checked.warned:
            table_counts["warned"] = checked.warned
        late_warning = None
        if name == "episodes":
            late = quarantine["rule"].eq("after period end").sum()
            if late > 0.01 * max(len(typed), 1):
                late_warning = (
                    f"{file}: {late} episode dates fall after 31 July {max(years)}, the end of the configured period; "
                    "check the year convention in the config (looked-after years end on 31 July)."
                )
                warnings.append(late_warning)
        if table_counts["rows_in"] and not table_counts["rows_kept"]:
            raise InputError(file, lost_every_row_cause(table_counts))
        if flagged(table_counts, flag_share):
            share = table_counts["rows_dropped"] / table_counts["rows_in"]
            flags.append(
                {
                    "table": name,
                    "file": str(file),
                    "rows_in": table_counts["rows_in"],
                    "rows_dropped": table_counts["rows_dropped"],
                    "share": round(share, 4),
                    "message": f"{file}: {table_counts['rows_dropped']} of {table_counts['rows_in']} rows dropped "
                    f"({share:.1%}, more than {flag_share:.0%})",
                }
            )
        counts[name] = table_counts
        kept = outcome.kept.drop(columns=[c for c in outcome.kept.columns if c == SOURCE_ROW or c.startswith("_raw_")])
        tables[name] = kept.reset_index(drop=True)
        quarantines.append(quarantine)
        log.info(
            "%s: %d rows in, %d kept, %d dropped, %d cells blanked",
            file,
            table_counts["rows_in"],
            table_counts["rows_kept"],
            table_counts["rows_dropped"],
            table_counts["cells_blanked"],
        )

    quarantine = pd.concat(quarantines, ignore_index=True)[QUARANTINE_COLUMNS]
    return CleanResult(tables, quarantine, counts, [w for w in warnings if w], flags)
