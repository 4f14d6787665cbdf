"""Row rules with quarantine at the grain of the fault, shared by every input format.

Policy (see README "Bad input" and the per-column policy in the format documents):

* A *structural* fault -- an unreadable file, a missing column, a wrong
  delimiter -- stops the run with one :class:`InputError` naming the file
  (and column) at fault.  Nothing downstream can be trusted without the column.
* A *value* fault in a column not needed to place the row (a code outside its
  list, a malformed postcode) **blanks the cell** and keeps the row.
* A fault in what identifies or dates the row (a child ID, an episode start,
  a duplicate, an overlap) **drops the row**.
* Either way the quarantine log records table, file, row, column, rule and the
  action.  Rows in = rows kept + rows dropped, always; blanked cells are counted.

Row numbers are the line numbers a user sees in a spreadsheet or editor: the
header is line 1, the first record line 2.  Quarantine records never carry the
offending value, because values may be identifiers or dates of birth.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd

from lac_outcomes.errors import InputError  # noqa: F401  (re-exported: raised by every reader)

QUARANTINE_COLUMNS = ["table", "file", "row", "column", "rule", "action"]
# What a fault costs: the whole row, or only the cell.
DROP = "dropped"
BLANK = "blanked"

# Column holding the source line number of each record; added by the readers.
SOURCE_ROW = "_source_row"


@dataclass(frozen=True)
class RowRule:
    """A named rule that marks the rows of a table that break it.

    ``check`` takes the whole table and returns a boolean Series, True where
    the row is *bad*.  Rules see the table as read (strings parsed into their
    types where parsing succeeded, NaT/NaN where it failed).  ``action`` says
    whether a bad row is dropped or only its cell in ``column`` blanked.
    """

    name: str
    column: str
    check: Callable[[pd.DataFrame], pd.Series]
    action: str = DROP


def _empty_quarantine() -> pd.DataFrame:
    if not _EMPTY:  # built once: a frame of typed empty columns costs more than the rules of a clean file
        _EMPTY.append(pd.DataFrame({c: pd.Series(dtype="int64" if c == "row" else "str") for c in QUARANTINE_COLUMNS}))
    return _EMPTY[0].copy()


_EMPTY: list[pd.DataFrame] = []


def apply_row_rules(
    frame: pd.DataFrame, rules: Iterable[RowRule], *, table: str, file
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop the rows and blank the cells the rules mark; log every fault.

    Every rule is evaluated on the table as read, so a row that breaks two
    rules is logged twice but dropped once.  Returns ``(kept, quarantine)``;
    ``kept`` keeps the input's column order, with blanked cells missing.
    """
    dropped = pd.Series(False, index=frame.index)
    blanked: dict[str, pd.Series] = {}
    records = []
    for rule in rules:
        bad = rule.check(frame).reindex(frame.index).fillna(False).astype(bool)
        if not bad.any():
            continue
        rows = frame.loc[bad, SOURCE_ROW] if SOURCE_ROW in frame else frame.index[bad]
        records.append(
            pd.DataFrame(
                {
                    "table": table,
                    "file": str(file),
                    "row": pd.Series(rows).astype("int64").to_numpy(),
                    "column": rule.column,
                    "rule": rule.name,
                    "action": rule.action,
                }
            )
        )
        if rule.action == DROP:
            dropped |= bad
        else:
            blanked[rule.column] = blanked.get(rule.column, pd.Series(False, index=frame.index)) | bad
    quarantine = pd.concat(records, ignore_index=True) if records else _empty_quarantine()
    quarantine = quarantine.sort_values(["row", "column", "rule"], kind="stable").reset_index(drop=True)
    kept = frame.loc[~dropped]
    if blanked:
        kept = kept.copy()
        for column, mask in blanked.items():
            mask = mask.loc[kept.index]
            if mask.any():
                kept.loc[mask, column] = None
    if len(kept) + int(dropped.sum()) != len(frame):  # guards the policy, not the data
        raise AssertionError("rows in != rows kept + rows dropped")
    return kept, quarantine
