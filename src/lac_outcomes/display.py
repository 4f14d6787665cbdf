"""What a notebook shows a reader: disclosure-controlled tables and figures with alt text.

Notebooks call :func:`show_table` and :func:`show_figure` instead of
``display(HTML(...))`` and ``plt.show()``, so every table carries its
disclosure note and a CSV download of exactly what the HTML shows (once
:func:`configure` names the download folder), and every image carries alt text.

Tables follow the conventions of official statistics: integers as integers
with thousands separators, p-values under 0.001 as ``<0.001``, and the
Government Statistical Service symbols (``c``, ``z``, ``x``, ``low``)
explained under any table that uses them.  :func:`format_count` and
:func:`format_p` are there for notebooks that build text or tables themselves.
"""

from __future__ import annotations

import base64
import io
import math
import numbers
import re
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd

from lac_outcomes.disclosure import (
    CONFIDENTIAL,
    NOT_APPLICABLE,
    ROUNDS_TO_ZERO,
    SYMBOL_LEGEND,
    UNAVAILABLE,
    SuppressedTable,
    format_p,
    is_p_value_column,
)

GSS_SYMBOLS = {CONFIDENTIAL, NOT_APPLICABLE, UNAVAILABLE, ROUNDS_TO_ZERO}
MAX_DECIMALS = 3
_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")

# Column names that are code (a model's output frame) and the words a table shows instead, page and download alike.
HEADER_WORDS = {
    "ci_low": "95% CI low",
    "ci_high": "95% CI high",
    "p_value": "p-value",
    "std_error": "standard error",
    "placement_type": "placement type",
    "error_pct": "error %",
    "weekly_cost_gbp": "weekly cost (£)",
    "price_year": "price year",
}

# Where downloadable CSVs go; set by the notebook from its parameters (None: no CSVs).
_download_dir: Path | None = None
_written: set[str] = set()


def configure(download_dir: str | Path | None) -> None:
    """Write a CSV of every table shown from now on to ``download_dir`` (None: don't).

    The report links each CSV as ``<report>/tables/<name>.csv``: the folder is
    expected to be ``<folder>/<report>/tables`` with the report's HTML in
    ``<folder>`` (as the renderer arranges).
    """
    global _download_dir
    _download_dir = Path(download_dir) if download_dir else None
    _written.clear()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:60] or "table"


def _missing(value) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def format_count(value) -> str:
    """A count as official statistics print it: ``4,386`` (never ``4386.0``); missing is ``x``.

    Text (a GSS symbol already in place) is returned unchanged.
    """
    if _missing(value):
        return UNAVAILABLE
    if isinstance(value, str):
        return value
    return f"{int(round(float(value))):,}"


def _decimals(values) -> int:
    """Decimals a column of non-whole numbers needs (up to three): 1.5 and 2.25 both print with two."""
    needed = 0
    for v in values:
        text = f"{round(abs(v), MAX_DECIMALS):.{MAX_DECIMALS}f}".rstrip("0")
        needed = max(needed, len(text.split(".")[1]) if "." in text else 0)
    return needed


def _format_decimal(value, places: int) -> str:
    """A number to ``places`` decimals with separators; ``low`` where a non-zero value would print as zero."""
    if _missing(value):
        return UNAVAILABLE
    value = float(value)
    if value != 0 and round(abs(value), places) == 0:
        return ROUNDS_TO_ZERO
    return f"{value:,.{places}f}"


# A column of years ("year", "published year", not "child-years"): whole numbers without separators.
_YEAR_COLUMN = re.compile(r"\byear\b", re.IGNORECASE)


def format_plain(table: pd.DataFrame) -> pd.DataFrame:
    """A plain table as display strings: whole numbers as integers with separators, p-values as ``<0.001``.

    Columns of text are left as they are; missing values become ``x``, and a
    non-zero number that would print as zero becomes ``low``.
    """
    shown = table.astype(object).copy()
    for column in table.columns:
        values = table[column]
        if is_p_value_column(column):
            shown[column] = [format_p(v) for v in values]
            continue
        if values.dtype == bool:
            continue
        if not all(isinstance(v, numbers.Number) or _missing(v) for v in values):
            shown[column] = ["x" if _missing(v) else v for v in values]  # a missing text is unavailable, not NaN
            continue
        present = [float(v) for v in values if not _missing(v)]
        if all(float(v).is_integer() for v in present) and _YEAR_COLUMN.search(str(column)):
            shown[column] = ["x" if _missing(v) else str(int(v)) for v in values]  # 2024, never 2,024
        elif all(float(v).is_integer() for v in present):
            shown[column] = [format_count(v) for v in values]
        else:
            places = _decimals(present)
            shown[column] = [_format_decimal(v, places) for v in values]
    return shown


def _symbols_used(shown: pd.DataFrame) -> bool:
    return bool(np.isin(shown.astype(str).to_numpy(), list(GSS_SYMBOLS)).any())


def _csv_frame(shown: pd.DataFrame) -> pd.DataFrame:
    """What the CSV holds: the displayed values, numbers without thousands separators (as a spreadsheet reads them)."""
    return shown.map(lambda v: v.replace(",", "") if isinstance(v, str) and _THOUSANDS.match(v) else v)


def _write_csv(shown: pd.DataFrame, name: str, index: bool) -> str:
    """Write the CSV; return the link to it, relative to the report's HTML."""
    stem = _slug(name)
    candidate, n = stem, 2
    while candidate in _written:  # two tables with one caption: two files
        candidate, n = f"{stem}_{n}", n + 1
    _written.add(candidate)
    _download_dir.mkdir(parents=True, exist_ok=True)
    _csv_frame(shown).to_csv(_download_dir / f"{candidate}.csv", index=index)
    return f"{_download_dir.parent.name}/{_download_dir.name}/{candidate}.csv"


def show_table(
    table: SuppressedTable | pd.DataFrame, caption: str, *, name: str | None = None, index: bool = True
) -> None:
    """Show a table with its caption; a :class:`SuppressedTable` keeps its disclosure note.

    A plain DataFrame is for tables with no counts of children (model
    coefficients, rule lists); it is formatted by :func:`format_plain` and
    escaped like every other table.  With a download folder configured the
    table is also written as a CSV and linked under the table.
    """
    from IPython.display import HTML, display

    if isinstance(table, SuppressedTable):
        table = SuppressedTable(
            display=_in_words(table.display),
            suppressed=_in_words(table.suppressed),
            threshold=table.threshold,
            count_columns=tuple(HEADER_WORDS.get(c, c) for c in table.count_columns),
        )
        html = table.to_html(caption)
        shown = table.display
    else:
        shown = _in_words(format_plain(table))
        cap = f"<p class='table-caption'><strong>{escape(caption)}</strong></p>" if caption else ""
        html = cap + shown.to_html(classes=["plain-table"], border=0, escape=True, index=index)
        if _symbols_used(shown):
            html += f"<p class='table-note'><small>{escape(SYMBOL_LEGEND)}.</small></p>"
    if _download_dir is not None:
        href = _write_csv(shown, name or caption, index)
        html += (
            f"<p class='table-download'><a href=\"{escape(href, quote=True)}\" download>"
            f"Download this table (CSV)</a></p>"
        )
    display(HTML(html))


def _in_words(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its column and index names in HEADER_WORDS read in words."""
    frame = frame.rename(columns=lambda c: HEADER_WORDS.get(c, c) if isinstance(c, str) else c)
    return frame.rename_axis(index=[HEADER_WORDS.get(n, n) if isinstance(n, str) else n for n in frame.index.names])


def show_figure(fig, alt: str) -> None:
    """Show a matplotlib figure as an image with alt text, then close it."""
    import matplotlib.pyplot as plt
    from IPython.display import HTML, display

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", dpi=100)
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    display(HTML(f'<figure><img src="data:image/png;base64,{data}" alt="{escape(alt, quote=True)}"></figure>'))
