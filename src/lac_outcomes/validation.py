"""Row-level validation with quarantine, shared by every input format.

Policy (see README "Bad input"):

* A *structural* fault -- a missing or unreadable file, a missing column, a
  wrong delimiter -- stops the run with one :class:`InputError` naming the file
  (and column) at fault.  Nothing downstream can be trusted without the column.
* A *row* fault -- a value outside its code list, an impossible date, an end
  before its start, an overlap with another episode -- sends the row to
  quarantine with the file, the row number in that file, the column and the
  rule it broke.  Rows in = rows kept + rows quarantined, always.

Row numbers are the line numbers a user sees in a spreadsheet or editor: the
header is line 1, the first record line 2.  Quarantine records never carry the
offending value, because values may be identifiers or dates of birth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import pandas as pd

from lac_outcomes.errors import InputError  # noqa: F401  (re-exported: raised by every reader)

QUARANTINE_COLUMNS = ["table", "file", "row", "column", "rule"]

# Column holding the source line number of each record; added by the readers.
SOURCE_ROW = "_source_row"


@dataclass(frozen=True)
class RowRule:
    """A named rule that marks the rows of a table that break it.

    ``check`` takes the whole table and returns a boolean Series, True where
    the row is *bad*.  Rules see the table as read (strings parsed into their
    types where parsing succeeded, NaT/NaN where it failed).
    """

    name: str
    column: str
    check: Callable[[pd.DataFrame], pd.Series]


def apply_row_rules(
    frame: pd.DataFrame, rules: Iterable[RowRule], *, table: str, file
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``frame`` into kept rows and quarantine records.

    Every rule is evaluated on every row, so a row that breaks two rules is
    reported twice in the quarantine log but counted once as quarantined.
    Returns ``(kept, quarantine)``; ``kept`` keeps the input's column order.
    """
    bad_any = pd.Series(False, index=frame.index)
    records = []
    for rule in rules:
        bad = rule.check(frame).fillna(False).astype(bool)
        if bad.any():
            rows = frame.loc[bad, SOURCE_ROW] if SOURCE_ROW in frame else frame.index[bad]
            records.append(
                pd.DataFrame(
                    {
                        "table": table,
                        "file": str(file),
                        "row": pd.Series(rows).astype("int64").to_numpy(),
                        "column": rule.column,
                        "rule": rule.name,
                    }
                )
            )
        bad_any |= bad
    quarantine = (
        pd.concat(records, ignore_index=True)
        if records
        else pd.DataFrame({c: pd.Series(dtype="int64" if c == "row" else "str") for c in QUARANTINE_COLUMNS})
    )
    quarantine = quarantine.sort_values(["row", "column", "rule"], kind="stable").reset_index(drop=True)
    kept = frame.loc[~bad_any]
    if len(kept) + int(bad_any.sum()) != len(frame):  # guards the policy, not the data
        raise AssertionError("rows in != rows kept + rows quarantined")
    return kept, quarantine


def quarantined_row_count(quarantine: pd.DataFrame) -> int:
    """Number of distinct source rows in a quarantine log (a row may break several rules)."""
    if quarantine.empty:
        return 0
    return int(quarantine[["file", "row"]].drop_duplicates().shape[0])
