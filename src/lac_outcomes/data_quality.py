"""The data-quality report, for either nation: rows in, kept and dropped, blanked cells, flags, cross-return checks.

Reads ``quality.json`` and ``quarantine.parquet`` as the cleaning steps write
them and returns plain tables (numbers already formatted with thousands
separators) and escaped HTML.  Every text here comes from data, file names or
config (a folder name, a CSV header cell, a warning quoting either), so every
one is escaped where it lands in HTML: tables go through pandas' escaping
(``display.show_table``), lists through :func:`html_list`.  Nothing is passed
through Markdown, which would let raw HTML through.

Optional parts of ``quality.json`` are shown when present and skipped when
not: per table ``rows_dropped`` (older files say ``rows_quarantined``) and
``cells_blanked``; ``flagged`` (tables or LA-years that lost more than the
configured share of rows); for England the counts per LA-year and the checks
between consecutive returns (``cross_return``).
"""

from __future__ import annotations

import json
from html import escape
from numbers import Integral, Real
from pathlib import Path

import pandas as pd

from lac_outcomes.io import read_parquet

COUNT_LABELS = {
    "rows_in": "rows in",
    "rows_kept": "rows kept",
    "rows_dropped": "rows dropped",
    "rows_quarantined": "rows dropped",
    "cells_blanked": "cells blanked",
}
LA_YEAR_KEYS = ("la_years", "by_la_year")
# Labels, not quantities: shown without thousands separators (2021, not 2,021).
PLAIN_COLUMNS = {"YEAR", "Year", "year", "row", "LA"}


def load(processed_dir) -> tuple[dict, pd.DataFrame]:
    """``quality.json`` and the quarantine log of one nation's processed folder."""
    processed = Path(processed_dir)
    quality = json.loads((processed / "quality.json").read_text())
    quarantine = read_parquet(processed / "quarantine.parquet")
    return quality, quarantine


def _dropped_key(record: dict) -> str:
    return "rows_dropped" if "rows_dropped" in record else "rows_quarantined"


def table_counts(quality: dict) -> pd.DataFrame:
    """Rows in, kept and dropped (and cells blanked, when recorded) per table, as integers."""
    rows = []
    for name, record in quality.get("tables", {}).items():
        row = {
            "table": name,
            "rows in": int(record.get("rows_in", 0)),
            "rows kept": int(record.get("rows_kept", 0)),
            "rows dropped": int(record.get(_dropped_key(record), 0)),
        }
        if "cells_blanked" in record:
            row["cells blanked"] = int(record["cells_blanked"])
        rows.append(row)
    frame = pd.DataFrame(rows, columns=["table", "rows in", "rows kept", "rows dropped"] if not rows else None)
    if "cells blanked" in frame:
        frame["cells blanked"] = frame["cells blanked"].fillna(0).astype("int64")
    return frame.set_index("table")


def balanced(counts: pd.DataFrame) -> bool:
    """Rows in = rows kept + rows dropped, for every table."""
    return bool((counts["rows in"] == counts["rows kept"] + counts["rows dropped"]).all())


def _format_value(value):
    if isinstance(value, bool) or value is None:
        return "" if value is None else ("yes" if value else "no")
    if isinstance(value, Integral):
        return f"{int(value):,}"
    if isinstance(value, Real):
        if pd.isna(value):
            return ""
        return f"{int(value):,}" if float(value).is_integer() else f"{float(value):,.3g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def formatted(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as text: integers with thousands separators (``12,206``), never ``12206.0``."""
    out = frame.astype(object).copy()
    for column in out.columns:
        if str(column) in PLAIN_COLUMNS:
            out[column] = out[column].map(lambda v: "" if v is None else str(v))
        else:
            out[column] = out[column].map(_format_value)
    return out.rename(columns=str)


def rule_counts(quarantine: pd.DataFrame) -> pd.DataFrame:
    """Quarantine entries per table, column and rule."""
    if quarantine.empty:
        return pd.DataFrame(columns=["table", "column", "rule", "entries"])
    return quarantine.groupby(["table", "column", "rule"]).size().rename("entries").reset_index()


def examples(quarantine: pd.DataFrame, per_rule: int) -> pd.DataFrame:
    """The first entries under each rule, by file name and line: where to look, never the values."""
    if quarantine.empty:
        return pd.DataFrame(columns=["table", "file", "row", "column", "rule"])
    picked = quarantine.sort_values(["table", "rule", "row"]).groupby(["table", "column", "rule"]).head(per_rule)
    columns = [c for c in ["table", "LA", "YEAR", "file", "row", "column", "rule"] if c in picked]
    return picked.assign(file=picked["file"].map(lambda p: Path(str(p)).name))[columns].reset_index(drop=True)


def records_frame(value) -> pd.DataFrame | None:
    """A table from a JSON part whose shape this report does not fix: records, or a mapping of records."""
    if not value:
        return None
    if isinstance(value, dict):
        if all(isinstance(v, dict) for v in value.values()):
            return pd.DataFrame.from_dict(value, orient="index").rename_axis("").reset_index()
        return pd.DataFrame({"item": list(value), "value": list(value.values())})
    if isinstance(value, list):
        if all(isinstance(v, dict) for v in value):
            return pd.DataFrame(value)
        return pd.DataFrame({"": [_format_value(v) for v in value]})
    return pd.DataFrame({"": [_format_value(value)]})


def la_year_counts(quality: dict) -> pd.DataFrame | None:
    """Rows in, kept, dropped and cells blanked per LA and year (England), when recorded."""
    for key in LA_YEAR_KEYS:
        if quality.get(key):
            frame = records_frame(quality[key])
            return frame.rename(columns=COUNT_LABELS)
    return None


def flagged(quality: dict) -> list[str]:
    """Each flag as one sentence: a table or LA-year that lost more than the configured share of its rows."""
    items = list(quality.get("flagged") or [])
    items += [
        {"table": name, **record} for name, record in quality.get("tables", {}).items() if record.get("flagged") is True
    ]
    sentences = []
    for item in items:
        if isinstance(item, dict):
            where = ", ".join(str(item[k]) for k in ("table", "LA", "YEAR", "file") if k in item)
            detail = "; ".join(
                f"{COUNT_LABELS.get(k, k)}: {_format_value(v)}"
                for k, v in item.items()
                if k not in ("table", "LA", "YEAR", "file", "flagged")
            )
            sentences.append(f"{where}: {detail}" if detail else where)
        else:
            sentences.append(_format_value(item))
    return sentences


def cross_return(quality: dict) -> pd.DataFrame | None:
    """Checks between consecutive returns of one LA (England), when recorded."""
    return records_frame(quality.get("cross_return"))


def html_list(items, *, empty: str = "") -> str:
    """An escaped HTML bullet list: text from data shows literally, never as markup."""
    if not items:
        return f"<p>{escape(empty)}</p>" if empty else ""
    return "<ul>" + "".join(f"<li>{escape(str(item))}</li>" for item in items) + "</ul>"


def summary_line(counts: pd.DataFrame, flags: list[str]) -> str:
    total = counts.sum()
    blanked = f", {int(total['cells blanked']):,} cells blanked" if "cells blanked" in counts else ""
    flag_text = f"; {len(flags)} flagged for lost rows" if flags else ""
    return (
        f"{int(total['rows in']):,} rows read from {len(counts)} tables: {int(total['rows kept']):,} kept, "
        f"{int(total['rows dropped']):,} dropped{blanked}; rows in = kept + dropped for every table: "
        f"{'yes' if balanced(counts) else 'NO'}{flag_text}."
    )


def key_points(counts: pd.DataFrame, quality: dict) -> list[str]:
    flags = flagged(quality)
    points = [summary_line(counts, flags)]
    worst = counts.assign(share=counts["rows dropped"] / counts["rows in"].where(counts["rows in"] > 0))
    worst = worst[worst["share"] > 0].sort_values("share", ascending=False)
    if len(worst):
        name, row = next(iter(worst.iterrows()))
        points.append(
            f"Most rows lost: {name}, {int(row['rows dropped']):,} of {int(row['rows in']):,} "
            f"({100 * row['share']:.1f}%)."
        )
    else:
        points.append("No table lost a row.")
    points.append(f"Flagged for lost rows: {len(flags)}." if flags else "Nothing flagged for lost rows.")
    if cross_return(quality) is not None:
        points.append("Consecutive returns were checked against each other (see below).")
    if quality.get("warnings"):
        points.append(f"{len(quality['warnings']):,} warnings from reading the files (see below).")
    return points


def results(quality: dict, counts: pd.DataFrame) -> dict:
    """``results.json``: the counts per table, whether they balance, the flags."""
    return {
        "balanced": balanced(counts),
        "tables": {name: {k.replace(" ", "_"): int(v) for k, v in row.items()} for name, row in counts.iterrows()},
        "flagged": flagged(quality),
        "warnings": len(quality.get("warnings", [])),
        "cross_return_recorded": cross_return(quality) is not None,
    }
