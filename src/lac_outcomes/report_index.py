"""reports/index.html: the landing page, and the data status every page opens with.

The index shows first what the figures rest on -- synthetic or real returns,
which returns, years and authorities, and what the data-quality checks
quarantined -- then each report's key points with one small figure and a link.
Everything it shows comes from the reports' ``<name>.meta.json`` files (written
by :mod:`lac_outcomes.render`) and the ``quality.json`` files they name; all
text is escaped by the template.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path, PurePosixPath

import pyarrow.parquet as pq

from lac_outcomes.io import write_text
from lac_outcomes.provenance import git_commit

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).with_name("templates")
SYNTHETIC_DIR = "data/raw/synthetic/"

# What each processed folder holds, in words a reviewer knows.
RETURNS = {
    "scotland": "Scottish Children Looked After returns, linked to pupil census, attendance, exclusions, "
    "attainment and leaver destinations",
    "england": "English SSDA903 returns (children looked after, DfE collection)",
    "england_education": "English key stage results (National Pupil Database) linked to the SSDA903 returns",
}
NATIONS = {"scotland": "Scotland", "england": "England", "england_education": "England"}
# Columns that name the authority and the year of a processed record, in the order they are looked for.
AUTHORITY_COLUMNS = ("la_code", "LA", "LA_903")
YEAR_COLUMNS = ("YEAR", "school_year", "leaver_year", "RESULT_YEAR")


def environment():
    """The Jinja environment of the report and index templates (autoescaped: no text reaches HTML raw)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["thousands"] = lambda value: f"{int(value):,}" if isinstance(value, (int, float)) else value
    return env


def stylesheet() -> str:
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")


def authority_names() -> dict[str, str]:
    from lac_outcomes.england.local_authorities import LOCAL_AUTHORITIES as ENGLAND
    from lac_outcomes.scotland.layout import LOCAL_AUTHORITIES as SCOTLAND

    return {**SCOTLAND, **dict(ENGLAND)}


def _distinct(path: Path, candidates: tuple[str, ...]) -> set:
    """Distinct values of the first of ``candidates`` the parquet file holds (read alone, cheaply)."""
    names = pq.read_schema(path).names
    for column in candidates:
        if column in names:
            values = pq.read_table(path, columns=[column]).column(column).unique().to_pylist()
            return {v for v in values if v is not None}
    return set()


def data_status(inputs, parameters: dict) -> dict:
    """What a report's figures rest on, from its input files and parameters.

    Synthetic when the ``synthetic`` parameter says so, else when any input or
    the ``truth_path`` parameter lies under ``data/raw/synthetic/`` (the
    pipeline's own generated returns).  Years and authorities are those found in
    the processed tables, not those configured.
    """
    paths = [Path(p) for p in inputs]
    if "synthetic" in parameters:
        synthetic = bool(parameters["synthetic"])
    else:
        places = [p.as_posix() for p in paths] + [str(parameters.get("truth_path") or "")]
        synthetic = any(SYNTHETIC_DIR in place or place.startswith(SYNTHETIC_DIR.rstrip("/")) for place in places)
    names = authority_names()
    sources: dict[str, dict] = {}
    for path in paths:
        if path.parent.parent.name != "processed":
            continue
        folder = path.parent.name
        source = sources.setdefault(
            folder,
            {
                "nation": NATIONS.get(folder, folder),
                "returns": RETURNS.get(folder, f"returns in data/processed/{folder}"),
                "tables": [],
                "years": set(),
                "authorities": set(),
                "quality": None,
            },
        )
        if path.suffix == ".parquet" and path.is_file():
            source["tables"].append(path.stem)
            source["years"] |= {int(y) for y in _distinct(path, YEAR_COLUMNS)}
            source["authorities"] |= {str(a) for a in _distinct(path, AUTHORITY_COLUMNS)}
        elif path.name == "quality.json":
            source["quality"] = PurePosixPath(path).as_posix()
    for source in sources.values():
        years = sorted(source.pop("years"))
        source["years"] = f"{years[0]} to {years[-1]}" if len(years) > 1 else (str(years[0]) if years else "not found")
        source["authorities"] = [
            {"code": code, "name": names.get(code, code)} for code in sorted(source["authorities"])
        ]
    return {"synthetic": synthetic, "sources": list(sources.values())}


def quality_summary(path) -> dict | None:
    """Rows read, dropped and cells blanked by the cleaning, and what it flagged; None without a file.

    Tolerates quality records with or without ``flagged``, ``rows_dropped`` and
    ``cells_blanked`` (older records count ``rows_quarantined``).
    """
    path = Path(path)
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        log.warning("%s: not readable as JSON (%s); no data-quality summary shown", path, error)
        return None
    tables = record.get("tables") or {}
    rows = []
    for name, counts in sorted(tables.items()):
        counts = counts if isinstance(counts, dict) else {}
        dropped = counts.get("rows_dropped", counts.get("rows_quarantined", 0)) or 0
        rows.append(
            {
                "table": name,
                "rows_in": counts.get("rows_in", 0) or 0,
                "rows_dropped": dropped,
                "cells_blanked": counts.get("cells_blanked", 0) or 0,
            }
        )
    flagged = [_describe_flag(item) for item in record.get("flagged") or []]
    return {
        "tables": rows,
        "rows_in": sum(r["rows_in"] for r in rows),
        "rows_dropped": sum(r["rows_dropped"] for r in rows),
        "cells_blanked": sum(r["cells_blanked"] for r in rows),
        "flagged": flagged,
        "warnings": [str(w) for w in record.get("warnings") or []],
    }


def _describe_flag(item) -> str:
    """One flagged table or LA-year as a line of text, whatever shape the record gives it."""
    if isinstance(item, dict):
        return ", ".join(f"{key}: {value}" for key, value in item.items())
    if isinstance(item, (list, tuple)):
        return ", ".join(map(str, item))
    return str(item)


def merged_status(entries: list[dict]) -> dict:
    """The data status of the whole run: every source the reports read, once each."""
    synthetic = [e["data_status"]["synthetic"] for e in entries if e.get("data_status")]
    sources: dict[str, dict] = {}
    for entry in entries:
        for source in (entry.get("data_status") or {}).get("sources", []):
            sources.setdefault(source["nation"], source)
    for source in sources.values():
        source["quality_summary"] = quality_summary(source["quality"]) if source.get("quality") else None
    return {
        "synthetic": bool(synthetic) and all(synthetic),
        "mixed": len(set(synthetic)) > 1,
        "sources": list(sources.values()),
    }


def write_index(meta_files: list[Path], out: Path, *, title: str) -> None:
    entries = [json.loads(Path(m).read_text(encoding="utf-8")) for m in meta_files]
    for entry in entries:
        figure = entry.get("figure") or {}
        # Only an embedded image: the index loads nothing from anywhere.
        if not str(figure.get("src", "")).startswith("data:image/"):
            entry["figure"] = None
    page = (
        environment()
        .get_template("index.html.j2")
        .render(
            title=title,
            css=stylesheet(),
            status=merged_status(entries),
            entries=entries,
            commit=git_commit(),
            run_date=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        )
    )
    write_text(out, page)


def write_site(index: Path, meta_files: list[Path], out_dir: Path) -> None:
    """The index, every report and its downloadable tables in one folder, links as on the index.

    ``snakemake --report`` files each output in a folder of its own, which breaks
    the links between pages; a folder marked ``report(directory(...),
    htmlindex="index.html")`` keeps them, and this is that folder.
    """
    import shutil

    index, out_dir = Path(index), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(index, out_dir / index.name)
    for meta in meta_files:
        page = index.parent / json.loads(Path(meta).read_text(encoding="utf-8"))["html"]
        shutil.copy2(page, out_dir / page.name)
        tables = page.with_suffix("") / "tables"
        if tables.is_dir():
            shutil.copytree(tables, out_dir / page.stem / "tables", dirs_exist_ok=True)
