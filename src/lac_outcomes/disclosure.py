"""Statistical disclosure control for every table a report shows.

Reports call :func:`suppress` for a table on its own and :func:`suppress_together`
for the tables of a report that show the same population (by authority and
year, national totals by year, one year by authority), usually through the
run's :class:`DisclosurePolicy`.  They apply

* primary suppression: a count of 1 to ``threshold - 1`` is shown as ``c``
  (confidential).  A true zero is shown: it is not a small count of children;
  set ``suppress_zero=True`` for tables where "none" would itself disclose.
* secondary suppression: wherever cells add up to a total that the reader can
  see (a total row, a total column, or a group whose total is published
  elsewhere, in this table or another), a line with exactly one suppressed
  cell gets a second one -- the smallest other cell in the line -- so the
  suppressed value cannot be worked out by subtraction.  This repeats until no
  line has exactly one; a count shown in two tables is suppressed in both.
* rates on suppressed counts: a rate or percentage computed from a suppressed
  count is suppressed with it.

Symbols follow the Government Statistical Service: ``c`` confidential,
``z`` not applicable, ``x`` unavailable, ``low`` rounds to zero.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape

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
    def from_config(cls, config: dict) -> DisclosurePolicy:
        """From the run's whole config (its ``disclosure`` section)."""
        return cls(threshold=int((config.get("disclosure") or {}).get("threshold", DEFAULT_THRESHOLD)))

    def suppress(self, table: pd.DataFrame, count_columns: Sequence[str], **options) -> SuppressedTable:
        """:func:`suppress` under this policy's threshold."""
        return suppress(table, count_columns, threshold=self.threshold, **options)

    def suppress_together(self, tables: Mapping[str, Linked], lines: Iterable[Sequence[Hashable]] = ()):
        """:func:`suppress_together` under this policy's threshold."""
        return suppress_together(tables, threshold=self.threshold, lines=lines)

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

    Tables of one report that show the same population go through
    :func:`suppress_together` instead, so that no table reveals what another hides.
    """
    options = dict(
        rate_columns=rate_columns, total_row=total_row, total_column=total_column, groups=groups,
        complements=complements, withheld=withheld, suppress_zero=suppress_zero, decimals=decimals,
    )  # fmt: skip
    return suppress_together({"table": Linked(table, count_columns, options=options)}, threshold=threshold)["table"]


@dataclass
class Linked:
    """One table of a set that :func:`suppress_together` protects as a whole.

    ``keys`` names, for each count column, the population cell each row's
    count is (one hashable key per row, in row order; ``None`` for a count
    shown nowhere else): cells with the same key in different tables are the
    same number, so they are shown or suppressed together.  ``options`` are
    :func:`suppress`'s keyword options for this table (``rate_columns``,
    ``total_row``, ``total_column``, ``groups``, ``complements``, ``withheld``,
    ``suppress_zero``, ``decimals``).
    """

    table: pd.DataFrame
    count_columns: Sequence[str]
    keys: Mapping[str, Sequence[Hashable]] | None = None
    options: dict = field(default_factory=dict)


_OPTIONS = {
    "rate_columns",
    "total_row",
    "total_column",
    "groups",
    "complements",
    "withheld",
    "suppress_zero",
    "decimals",
}


def suppress_together(
    tables: Mapping[str, Linked], *, threshold: int = DEFAULT_THRESHOLD, lines: Iterable[Sequence[Hashable]] = ()
) -> dict[str, SuppressedTable]:
    """Suppress a report's linked tables as one: secondary suppression across all of them.

    Each table gets :func:`suppress`'s primary suppression, rates and lines of
    its own.  Cells that share a key (see :class:`Linked`) are one cell:
    suppressed in one table, suppressed in all.  ``lines`` adds sets of keys
    whose counts add up across tables, the total first or anywhere (e.g. a
    national count by year with each authority's count that year): a line with
    exactly one suppressed cell gets a second, as within a table.  A line
    naming a key that no table shows is not a sum a reader can see, and is
    skipped.  Returns one :class:`SuppressedTable` per table, by name.
    """
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    node_of_key: dict = {}
    values: list[float] = []
    hidden: list[bool] = []
    all_lines: list[list[int]] = []
    placed = {}
    for name, linked in tables.items():
        table, columns, options = linked.table, list(linked.count_columns), dict(linked.options)
        unknown = set(options) - _OPTIONS
        if unknown:
            raise TypeError(f"table {name!r}: unknown options {sorted(unknown)}")
        rate_columns = dict(options.get("rate_columns") or {})
        missing = [c for c in [*columns, *rate_columns] if c not in table.columns]
        if missing:
            raise KeyError(f"columns not in table: {missing}")
        counts = table[columns].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
        mask = _primary(
            table, columns, threshold=threshold, complements=options.get("complements"),
            suppress_zero=options.get("suppress_zero", False),
        )  # fmt: skip
        withheld = options.get("withheld")
        if withheld is not None:
            mask |= withheld.reindex(table.index).fillna(False).astype(bool).to_numpy()[:, None] & ~np.isnan(counts)
        nodes = np.empty(counts.shape, dtype=int)
        for j, column in enumerate(columns):
            keys = list(linked.keys.get(column, [None] * len(table))) if linked.keys else [None] * len(table)
            if len(keys) != len(table):
                raise ValueError(f"table {name!r}: {len(keys)} keys for {len(table)} rows of {column!r}")
            for i, key in enumerate(keys):
                if key is not None and key in node_of_key:
                    node = node_of_key[key]
                    if not _same(values[node], counts[i, j]):
                        raise ValueError(
                            f"linked cell {key!r} is {values[node]} in one table, {counts[i, j]} in {name!r}"
                        )
                else:
                    node = len(values)
                    values.append(counts[i, j])
                    hidden.append(False)
                    if key is not None:
                        node_of_key[key] = node
                hidden[node] = hidden[node] or bool(mask[i, j])
                nodes[i, j] = node
        for line in _lines(
            table, columns, total_row=options.get("total_row"), total_column=options.get("total_column"),
            groups=options.get("groups"),
        ):  # fmt: skip
            all_lines.append([int(nodes[cell]) for cell in line])
        placed[name] = nodes
    for line in lines:
        line = list(line)
        if line and all(key in node_of_key for key in line):
            all_lines.append([node_of_key[key] for key in line])
    value_array, mask_array = np.array(values, dtype=float), np.array(hidden, dtype=bool)
    _secondary(value_array, mask_array, all_lines)
    return {name: _finish(linked, mask_array[placed[name]], threshold) for name, linked in tables.items()}


def _same(a: float, b: float) -> bool:
    return (np.isnan(a) and np.isnan(b)) or a == b


def _finish(linked: Linked, mask: np.ndarray, threshold: int) -> SuppressedTable:
    """Display strings for a table whose count cells ``mask`` marks as suppressed."""
    table, columns = linked.table, list(linked.count_columns)
    rate_columns = dict(linked.options.get("rate_columns") or {})
    decimals = linked.options.get("decimals", 1)
    suppressed = pd.DataFrame(False, index=table.index, columns=table.columns)
    for j, column in enumerate(columns):
        suppressed[column] = mask[:, j]
    for rate, sources in rate_columns.items():
        sources = [sources] if isinstance(sources, str) else list(sources)
        suppressed[rate] = suppressed[sources].any(axis=1)
    display = table.astype(object).copy()
    for column in columns:
        display[column] = [_format_count(v) for v in table[column]]
    for rate in rate_columns:  # a p-value withheld with its count, but shown as a p-value, not a rate
        shown = format_p if is_p_value_column(rate) else lambda v: _format_rate(v, decimals)
        display[rate] = [shown(v) for v in table[rate]]
    display = display.mask(suppressed, CONFIDENTIAL)
    return SuppressedTable(display=display, suppressed=suppressed, threshold=threshold, count_columns=tuple(columns))


def _primary(table, count_columns, *, threshold, complements, suppress_zero) -> np.ndarray:
    """Cells whose count, or whose numerator's complement, is under the threshold."""
    counts = table[count_columns].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    low = (counts < threshold) & ~np.isnan(counts)
    if not suppress_zero:
        low &= counts != 0
    for numerator, denominator in (complements or {}).items():
        if numerator not in count_columns or denominator not in count_columns:
            raise KeyError(f"complement columns must be count columns: {numerator!r}, {denominator!r}")
        rest = (
            pd.to_numeric(table[denominator], errors="coerce") - pd.to_numeric(table[numerator], errors="coerce")
        ).to_numpy(dtype=float)
        low[:, count_columns.index(numerator)] |= (rest > 0) & (rest < threshold)
    return low


def rests_on_small_counts(
    table: pd.DataFrame,
    count_columns: Sequence[str],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    complements: dict[str, str] | None = None,
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


# Column names read as p-values (statsmodels' summary frames among them): a table shows them as p-values.
P_VALUE_COLUMNS = {"p", "p value", "p-value", "p_value", "pvalue", "p>|z|", "p>|t|", "pr(>|z|)", "p_values"}
SMALLEST_P = 0.001


def is_p_value_column(column) -> bool:
    return str(column).strip().lower() in P_VALUE_COLUMNS


def format_p(value) -> str:
    """A p-value to three decimals, ``<0.001`` below that (never ``0.000`` or ``low``); missing is ``x``."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return UNAVAILABLE
    if isinstance(value, str):
        return value
    value = float(value)
    if value < SMALLEST_P:
        return f"<{SMALLEST_P}"
    return f"{value:.3f}"


def _format_rate(value, decimals: int) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return UNAVAILABLE
    value = float(value)
    if value != 0 and round(abs(value), decimals) == 0:
        return ROUNDS_TO_ZERO
    return f"{value:,.{decimals}f}"


def table_html(
    display: pd.DataFrame, *, caption: str = "", threshold: int = DEFAULT_THRESHOLD, count_columns=()
) -> str:
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
