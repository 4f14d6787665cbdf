"""What a notebook shows a reader: disclosure-controlled tables and figures with alt text.

Notebooks call :func:`show_table` and :func:`show_figure` instead of
``display(HTML(...))`` and ``plt.show()``, so every table carries its
disclosure note (and, where a download folder is configured, a CSV of exactly
what the HTML shows) and every image carries alt text.
"""

from __future__ import annotations

import base64
import io
import re
from html import escape
from pathlib import Path

import pandas as pd

from lac_outcomes.disclosure import SuppressedTable, table_html

# Where downloadable CSVs go; set by the notebook from its parameters (None: no CSVs).
_download_dir: Path | None = None


def configure(download_dir: str | Path | None) -> None:
    """Write a CSV of every table shown from now on to ``download_dir`` (None: don't)."""
    global _download_dir
    _download_dir = Path(download_dir) if download_dir else None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:60] or "table"


def show_table(table: SuppressedTable | pd.DataFrame, caption: str, *, name: str | None = None, index: bool = True) -> None:
    """Show a table with its caption; a :class:`SuppressedTable` keeps its disclosure note.

    A plain DataFrame is for tables with no counts of children (model
    coefficients, rule lists); it is escaped like every other table.
    """
    from IPython.display import HTML, display

    if isinstance(table, SuppressedTable):
        html = table.to_html(caption)
        shown = table.display
    else:
        cap = f"<p class='table-caption'><strong>{escape(caption)}</strong></p>" if caption else ""
        html = cap + table.to_html(classes=["plain-table"], border=0, escape=True, index=index)
        shown = table
    display(HTML(html))
    if _download_dir is not None:
        _download_dir.mkdir(parents=True, exist_ok=True)
        shown.to_csv(_download_dir / f"{_slug(name or caption)}.csv", index=index)


def show_figure(fig, alt: str) -> None:
    """Show a matplotlib figure as an image with alt text, then close it."""
    import matplotlib.pyplot as plt
    from IPython.display import HTML, display

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", dpi=100)
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    display(HTML(f'<figure><img src="data:image/png;base64,{data}" alt="{escape(alt, quote=True)}"></figure>'))
