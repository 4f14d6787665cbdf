"""Statistical disclosure control for every table a report shows.

The one function reports call is :func:`suppress`.  It applies

* primary suppression: a count of 1 to ``threshold - 1`` is shown as ``c``
  (confidential).  A true zero is shown: it is not a small count of children;
  set ``suppress_zero=True`` for tables where "none" would itself disclose.
* secondary suppression: wherever cells add up to a total that the reader can
  see (a total row, a total column, or a group whose total is published
  elsewhere), a line with exactly one suppressed cell gets a second one -- the
  smallest other cell in the line -- so the suppressed value cannot be worked
  out by subtraction.  This repeats until no line has exactly one.
* rates on suppressed counts: a rate or percentage computed from a suppressed
  count is suppressed with it.

Symbols follow the Government Statistical Service: ``c`` confidential,
``z`` not applicable, ``x`` unavailable, ``low`` rounds to zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

CONFIDENTIAL = "c"
NOT_APPLICABLE = "z"
UNAVAILABLE = "x"
ROUNDS_TO_ZERO = "low"

DEFAULT_THRESHOLD = 5
# Below 3 a "suppressed" count of 1 or 2 is as good as shown; config may not go lower.
MIN_THRESHOLD = 3

SYMBOL_LEGEND = (
    f"{CONFIDENTIAL} = confidential (count under the threshold, or suppressed so that one cannot be worked out); "
    f"{NOT_APPLICABLE} = not applicable; {UNAVAILABLE} = unavailable; {ROUNDS_TO_ZERO} = rounds to zero"
)


@dataclass
class SuppressedTable:
    """A table ready to show: values as display strings, and which cells were suppressed."""

    display: pd.DataFrame
    suppressed: pd.DataFrame  # bool, same shape as ``display``
    threshold: int

    count_columns: tuple = ()

    def to_html(self, caption: str = "") -> str:
        return table_html(self.display, caption=caption, threshold=self.threshold, count_columns=self.count_columns)


@dataclass(frozen=True)
class DisclosurePolicy:
    """The one disclosure policy of a run, built once from config.

    Every output a run writes outside ``data/`` (tables, figure data, summary
    lines, ``results.json``, planted-value checks, downloadable tables) goes
    through the methods of one instance, so a single threshold and a single
    set of symbols hold everywhere.
    """

    threshold: int = DEFAULT_THRESHOLD

    def __post_init__(self):
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, (int, np.integer)):
            raise ValueError(f"disclosure threshold must be a whole number, got {self.threshold!r}")
        if self.threshold < MIN_THRESHOLD:
            raise ValueError(f"disclosure threshold must be at least {MIN_THRESHOLD}, got {self.threshold}")

    @classmethod
    def from_config(cls, config: dict) -> "DisclosurePolicy":
        """From the run's whole config (its ``disclosure`` section)."""
        return cls(threshold=int((config.get("disclosure") or {}).get("threshold", DEFAULT_THRESHOLD)))

    def suppress(self, table: pd.DataFrame, count_columns: Sequence[str], **options) -> "SuppressedTable":
        """:func:`suppress` under this policy's threshold."""
        return suppress(table, count_columns, threshold=self.threshold, **options)

    def rests_on_small_counts(self, table: pd.DataFrame, count_columns: Sequence[str], **options) -> pd.Series:
        """:func:`rests_on_small_counts` under this policy's threshold."""
        return rests_on_small_counts(table, count_columns, threshold=self.threshold, **options)

    def withhold(self, value, hidden: bool):
        """A value for a results file or summary line: the symbol where it is withheld."""
        return CONFIDENTIAL if hidden else value

    @property
    def note(self) -> str:
        return f"Counts of 1 to {self.threshold - 1} suppressed, with secondary suppression. {SYMBOL_LEGEND}."


def suppress(
    table: pd.DataFrame,
    count_columns: Sequence[str],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    rate_columns: dict[str, str | Iterable[str]] | None = None,
    total_row=None,
    total_column: str | None = None,
    groups: Sequence[str] | None = None,
    complements: dict[str, str] | None = None,
    withheld: pd.Series | None = None,
    suppress_zero: bool = False,
    decimals: int = 1,
) -> SuppressedTable:
    """Suppress small counts in ``table`` and everything that would reveal them.

    ``count_columns`` hold counts of children (or events).  ``rate_columns``
    maps each rate column to the count column(s) it was computed from.
    ``total_row`` is the index label of a row holding column totals;
    ``total_column`` a count column holding row totals.  ``groups`` names
    columns whose combinations form sets of rows that add up to a total
    published elsewhere (e.g. placement types within a local authority and
    year): each such set is treated as a line for secondary suppression.
    ``complements`` maps a numerator column to its denominator column: where
    the children *not* counted (denominator - numerator) are 1 to
    threshold - 1, the numerator is suppressed, since subtraction would show them.
    ``withheld`` (bool by row) marks rows already withheld elsewhere -- from a
    figure or results file suppressed over a wider table -- whose counts are
    suppressed here too, so the two outputs together reveal nothing.
    """
    rate_columns = dict(rate_columns or {})
    missing = [c for c in [*count_columns, *rate_columns] if c not in table.columns]
    if missing:
        raise KeyError(f"columns not in table: {missing}")
    if threshold < 1:
        raise ValueError("threshold must be at least 1")

    counts = table[list(count_columns)].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    mask = _primary(table, list(count_columns), threshold=threshold, complements=complements, suppress_zero=suppress_zero)
    if withheld is not None:
        mask |= withheld.reindex(table.index).fillna(False).astype(bool).to_numpy()[:, None] & ~np.isnan(counts)

    lines = _lines(table, list(count_columns), total_row=total_row, total_column=total_column, groups=groups)
    _secondary(counts, mask, lines)

    suppressed = pd.DataFrame(False, index=table.index, columns=table.columns)
    for j, column in enumerate(count_columns):
        suppressed[column] = mask[:, j]
    for rate, sources in rate_columns.items():
        sources = [sources] if isinstance(sources, str) else list(sources)
        suppressed[rate] = suppressed[sources].any(axis=1)

    display = table.astype(object).copy()
    for column in count_columns:
        display[column] = [_format_count(v) for v in table[column]]
    for rate in rate_columns:
        display[rate] = [_format_rate(v, decimals) for v in table[rate]]
    display = display.mask(suppressed, CONFIDENTIAL)
    return SuppressedTable(display=display, suppressed=suppressed, threshold=threshold, count_columns=tuple(count_columns))


def _primary(table, count_columns, *, threshold, complements, suppress_zero) -> np.ndarray:
    """Cells whose count, or whose numerator's complement, is under the threshold."""
    counts = table[count_columns].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    low = (counts < threshold) & ~np.isnan(counts)
    if not suppress_zero:
        low &= counts != 0
    for numerator, denominator in (complements or {}).items():
        if numerator not in count_columns or denominator not in count_columns:
            raise KeyError(f"complement columns must be count columns: {numerator!r}, {denominator!r}")
        rest = (pd.to_numeric(table[denominator], errors="coerce") - pd.to_numeric(table[numerator], errors="coerce")).to_numpy(dtype=float)
        low[:, count_columns.index(numerator)] |= (rest > 0) & (rest < threshold)
    return low


def rests_on_small_counts(
    table: pd.DataFrame, count_columns: Sequence[str], *, threshold: int = DEFAULT_THRESHOLD, complements: dict[str, str] | None = None
) -> pd.Series:
    """True for rows with a count (or a numerator's complement) :func:`suppress` would hide.

    For leaving such rows out of figures, where no table cell can carry a ``c``.
    """
    missing = [c for c in count_columns if c not in table.columns]
    if missing:
        raise KeyError(f"columns not in table: {missing}")
    low = _primary(table, list(count_columns), threshold=threshold, complements=complements, suppress_zero=False)
    return pd.Series(low.any(axis=1), index=table.index)


def _lines(table, count_columns, *, total_row, total_column, groups) -> list[list[tuple[int, int]]]:
    """Sets of cells (row position, count-column position) whose sum a reader can see."""
    n_rows = len(table)
    lines: list[list[tuple[int, int]]] = []
    if total_row is not None:
        if total_row not in table.index:
            raise KeyError(f"total row {total_row!r} not in table index")
        # Each count column adds up (total row included, as the reader sees it).
        lines += [[(i, j) for i in range(n_rows)] for j in range(len(count_columns))]
    if total_column is not None:
        if total_column not in count_columns:
            raise KeyError(f"total column {total_column!r} must be one of the count columns")
        lines += [[(i, j) for j in range(len(count_columns))] for i in range(n_rows)]
    if groups:
        positions = pd.Series(np.arange(n_rows), index=table.index)
        for _, members in positions.groupby([table[g] for g in groups], sort=False):
            if len(members) > 1:
                lines += [[(int(i), j) for i in members] for j in range(len(count_columns))]
    return lines


def _secondary(counts: np.ndarray, mask: np.ndarray, lines) -> None:
    """Suppress a second cell in any line with exactly one suppressed cell, until stable."""
    changed = True
    while changed:
        changed = False
        for line in lines:
            hidden = [cell for cell in line if mask[cell]]
            if len(hidden) != 1:
                continue
            candidates = [cell for cell in line if not mask[cell] and not np.isnan(counts[cell])]
            if not candidates:
                continue
            # Smallest non-zero cell first: it loses the least information.
            chosen = min(candidates, key=lambda cell: (counts[cell] == 0, counts[cell], cell))
            mask[chosen] = True
            changed = True


def _format_count(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return UNAVAILABLE
    return f"{int(round(float(value))):,}"


def _format_rate(value, decimals: int) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return UNAVAILABLE
    value = float(value)
    if value != 0 and round(abs(value), decimals) == 0:
        return ROUNDS_TO_ZERO
    return f"{value:,.{decimals}f}"


def table_html(display: pd.DataFrame, *, caption: str = "", threshold: int = DEFAULT_THRESHOLD, count_columns=()) -> str:
    """HTML for a table that has been through :func:`suppress`.

    The ``sdc-table`` class marks it as disclosure-controlled, and
    ``data-count-columns`` and ``data-threshold`` say which columns hold
    counts under which threshold, so rendered reports can be checked.
    """
    body = display.to_html(classes=["sdc-table"], border=0, escape=True, na_rep=UNAVAILABLE)
    attributes = f' data-threshold="{threshold}" data-count-columns="{escape("|".join(map(str, count_columns)))}"'
    body = body.replace("<table ", "<table" + attributes + " ", 1)
    note = f"Counts of 1 to {threshold - 1} suppressed, with secondary suppression. {SYMBOL_LEGEND}."
    cap = f"<p class='table-caption'><strong>{escape(caption)}</strong></p>" if caption else ""
    return f"{cap}{body}<p class='sdc-note'><small>{escape(note)}</small></p>"
