"""A differencing attack on every output a finished run writes outside ``data/``.

Given a project directory after a run, :func:`attack` collects every number the
run published -- HTML tables in ``reports/*.html`` and the executed notebooks
under ``results/`` (row and column labels, captions, ``c`` cells), every
numeric leaf of ``results/*/results.json``, downloadable CSVs under
``reports/`` and ``results/``, figure alt text, summary lines and logs -- and
tries to work out each suppressed cell (``c`` in a table, or a value withheld
from a results file) from what is shown:

* the same quantity in another table or output (same measure, same local
  authority, year, indicator, placement type ...);
* totals and subtotals: a total row or column, or rows of one table adding up
  to a row of another (authorities of a year to the national figure), solved
  as one linear system over every output, exactly and with counts bounded
  below by zero;
* rates beside their counts (rate x denominator gives the numerator back);
* the same children counted under two indicators (a cohort that is another
  indicator's count), and bounds learned from the rows shown (a numerator is
  never above its cohort) in a linear programme;
* tolerances and intervals published for a withheld cell (``k * sqrt(p(1-p)/n)``,
  Wald, Wilson, funnel-plot control limits), inverted to the cohort size ``n``;
* and, separately, counts of 1 to threshold - 1 shown outright: in a table's
  count columns, a results file's counts, or prose ("3 children").

Every relation the attacker uses between outputs is first checked on the
cells that are shown (it must hold wherever both sides are visible), so it
does not invent links.  It never imports ``lac_outcomes``: it is the outsider
the suppression code has to beat.

Run it by hand: ``python tests/attack/attacker.py PROJECT_DIR``.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import numpy as np

SUPPRESSED = "c"
NOT_A_NUMBER = {"", "z", "x", "low", "nan", "none", "null", "-", "—"}
DEFAULT_THRESHOLD = 5

# Dimension names as different outputs spell them.
DIMENSION_NAMES = {
    "la": "la",
    "la_code": "la",
    "local authority": "la",
    "local_authority": "la",
    "authority": "la",
    "council": "la",
    "year": "year",
    "collection year": "year",
    "year ending 31 july": "year",
    "year ending 31 march": "year",
    "indicator": "indicator",
    "group": "placement",
    "placement": "placement",
    "placement_type": "placement",
    "placement type": "placement",
    "placement group": "placement",
    "breakdown": "breakdown",
    "measure": "measure",
    "term": "term",
    "cause": "cause",
    "outcome": "outcome",
    "age": "age",
    "age group": "age",
    "age_group": "age",
    "sex": "sex",
    "stage": "stage",
}
# Measures as different outputs name them.
MEASURE_NAMES = {
    "cohort (children)": "denominator",
    "meeting it (children)": "numerator",
    "n": "denominator",
    "leavers with it": "with_outcome",
    "pupils with it": "with_outcome",
    "all at home on supervision": "at home on supervision",
    "home_supervision": "at home on supervision",
    "looked_after": "all looked after",
}
# Columns that are one indicator's count (a pivoted table): measure and the indicator it belongs to.
INDICATOR_COLUMNS = {
    "looked after at 31 march": "CLA_31MAR",
    "started": "STARTED",
    "ceased": "CEASED",
    "placed with parents": "P1_31MAR",
    "placed with parents at 31 march": "P1_31MAR",
    "started to be looked after": "STARTED",
    "ceased to be looked after": "CEASED",
}
# Row labels that stand for the sum of the other rows of their level.
TOTAL_LABELS = {"total", "all", "scotland", "england", "all local authorities", "national"}
TOTALS = {_t.replace(" ", "_") for _t in TOTAL_LABELS}
RATE_SCALES = (1.0, 100.0, 1000.0)
# Keys of a results file that count children (or their spells, pupils, leavers): 1 to threshold - 1 must not show.
CHILD_COUNT_KEYS = {
    "n",
    "count",
    "children",
    "pupils",
    "leavers",
    "spells",
    "with_outcome",
    "numerator",
    "denominator",
    "excluded",
    "sparse_placement_types",
    "local_authorities_without_variation",
    "5+ years",
    "at home on supervision",
    "home_supervision",
    "looked_after",
    "analysed",
    "ended",
    "delayed_entry",
    "spells at risk",
}
LA_CODE = re.compile(r"\b([ESWN]\d{8})\b")
NI_CODE = re.compile(r"\bNI ?(\d{2,3})\b")
CAPTION_YEAR = re.compile(r"(?:collection year|31 July|31 March|year)\s+(\d{4})\b")
NUMBER = re.compile(r"-?\d[\d,]*\.?\d*")
# "3 children" in a sentence, a summary line, alt text or a log: a count shown outright
COUNT_IN_TEXT = re.compile(
    r"(?<![\w.,/-])(\d{1,3}) (?:more |other |of the |looked[- ]after )?"
    r"(children|child|pupils?|leavers?|care leavers|young people|spells?|adoptions?)\b",
    re.IGNORECASE,
)
NOT_A_COUNT_BEFORE = re.compile(
    r"(under|fewer than|less than|below|at least|more than|over|to|from|aged?|per|every)\s*$", re.IGNORECASE
)
TAG = re.compile(r"<script[\s\S]*?</script>|<style[\s\S]*?</style>|<[^>]+>")
IMAGE_DATA = re.compile(r"data:image/[^\"')\s]+")


# ----------------------------------------------------------------------------- facts


@dataclass
class Fact:
    """One number (or one withheld number) an output shows, with what it is a number of."""

    output: str
    table: str
    row: tuple
    column: str
    measure: str
    dims: frozenset
    value: float | None  # None: suppressed
    decimals: int | None  # digits shown; None: full precision
    integer: bool = False
    group: str = ""
    count_column: bool = False  # declared a count column by its table
    fid: int = -1

    @property
    def known(self) -> bool:
        return self.value is not None

    def tolerance(self) -> float:
        return 1e-6 * max(1.0, abs(self.value or 0)) if self.decimals is None else 0.5 * 10**-self.decimals + 1e-9


@dataclass
class Recovery:
    output: str
    table: str
    row: tuple
    column: str
    value: float
    method: str

    def line(self) -> str:
        row = " / ".join(map(str, self.row))
        return f"{self.output} | {self.table[:70]} | {row} | {self.column} = {self.value:g} ({self.method})"


@dataclass
class AttackResult:
    outputs: list[str]
    numbers: int
    suppressed: int
    recovered: list[Recovery] = field(default_factory=list)
    small_counts_shown: list[Recovery] = field(default_factory=list)
    threshold: int = DEFAULT_THRESHOLD
    figures: int = 0  # images in the reports: their pixels are not read, only their alt text
    figures_described: int = 0

    def by_output(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for r in self.recovered:
            counts[r.output] += 1
        return dict(sorted(counts.items()))

    def by_method(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for r in self.recovered:
            counts[r.method.split(":")[0]] += 1
        return dict(sorted(counts.items()))

    def report(self) -> str:
        lines = [
            f"outputs read: {len(self.outputs)}; numbers collected: {self.numbers}; "
            f"suppressed cells: {self.suppressed}; "
            f"recovered: {len(self.recovered)}; small counts shown outright: {len(self.small_counts_shown)} "
            f"(threshold {self.threshold}); figures: {self.figures}, "
            f"{self.figures_described} with alt text read for numbers",
            "recovered by output: " + json.dumps(self.by_output()),
            "recovered by method: " + json.dumps(self.by_method()),
        ]
        lines += ["  " + r.line() for r in self.recovered + self.small_counts_shown]
        return "\n".join(lines)


def _slug(text) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")


def dimension_name(name: str) -> str:
    key = str(name).strip().lower()
    return DIMENSION_NAMES.get(key, DIMENSION_NAMES.get(key.replace("_", " "), _slug(key) or "row"))


def dimension_value(dim: str, value) -> str:
    text = str(value).strip()
    if dim == "la":
        found = LA_CODE.search(text)
        return found.group(1) if found else _slug(text)
    if dim == "year":
        found = re.fullmatch(r"(\d{4})(?:[/-](\d{2,4}))?(?:\.0)?", text)
        if found and found.group(2):
            return str(int(found.group(1)) + 1)
        return found.group(1) if found else _slug(text)
    if dim == "indicator":
        found = NI_CODE.search(text)
        if found:
            return f"NI{found.group(1)}"
        return INDICATOR_COLUMNS.get(text.lower(), text.upper() if re.fullmatch(r"[A-Z0-9_]+", text) else _slug(text))
    slug = _slug(text)
    # "placement: at_home_with_parents" in a coefficient table names the placement
    return slug.removeprefix("placement_") if dim == "term" else slug


def measure_name(name: str) -> str:
    key = str(name).strip().lower()
    return MEASURE_NAMES.get(key, key)


def parse_number(text: str) -> tuple[str, float | None, int | None]:
    """("c", None, None) for a suppressed cell, ("n", value, decimals) for a number, ("-", None, None) otherwise."""
    cleaned = str(text).strip().replace(",", "").replace("%", "").replace("£", "").strip()
    if cleaned.lower() == SUPPRESSED:
        return "c", None, None
    if cleaned.lower() in NOT_A_NUMBER:
        return "-", None, None
    try:
        value = float(cleaned)
    except ValueError:
        return "-", None, None
    if not math.isfinite(value):
        return "-", None, None
    decimals = len(cleaned.split(".")[1]) if "." in cleaned and "e" not in cleaned.lower() else 0
    return "n", value, decimals


# ----------------------------------------------------------------------------- HTML tables


@dataclass
class Table:
    output: str
    caption: str
    header_rows: list[list[str]]
    body: list[list[tuple[str, bool]]]  # (text, is_header)
    count_columns: list[str]
    threshold: int | None


class _HtmlTables(HTMLParser):
    """Every <table> with its caption, header grid and body grid (rowspan/colspan expanded); alt texts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: list[dict] = []
        self.alts: list[str] = []
        self.images = 0
        self._stack: list[dict] = []
        self._cell: dict | None = None
        self._caption: list[str] | None = None
        self._last_caption = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images += 1
            alt = (attrs.get("alt") or "").strip()
            if alt and not alt.lower().startswith("no description has been provided"):
                self.alts.append(alt)
        if tag == "p" and "table-caption" in (attrs.get("class") or ""):
            self._caption = []
        if tag == "table":
            self._stack.append(
                {"caption": self._last_caption, "attrs": attrs, "rows": [], "in_head": False, "row": None}
            )
            self._last_caption = ""
        table = self._stack[-1] if self._stack else None
        if table is None:
            return
        if tag == "thead":
            table["in_head"] = True
        elif tag == "tbody":
            table["in_head"] = False
        elif tag == "tr":
            table["row"] = {"head": table["in_head"], "cells": []}
        elif tag in ("td", "th") and table["row"] is not None:
            self._cell = {
                "tag": tag,
                "text": "",
                "rowspan": int(attrs.get("rowspan") or 1),
                "colspan": int(attrs.get("colspan") or 1),
            }

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data
        elif self._caption is not None:
            self._caption.append(data)

    def handle_endtag(self, tag):
        if tag == "p" and self._caption is not None:
            self._last_caption = " ".join("".join(self._caption).split())
            self._caption = None
        if not self._stack:
            return
        table = self._stack[-1]
        if tag in ("td", "th") and self._cell is not None and table["row"] is not None:
            self._cell["text"] = " ".join(self._cell["text"].split())
            table["row"]["cells"].append(self._cell)
            self._cell = None
        elif tag == "tr" and table["row"] is not None:
            table["rows"].append(table["row"])
            table["row"] = None
        elif tag == "table":
            self.tables.append(self._stack.pop())


def _grid(rows: list[dict]) -> list[list[dict]]:
    """Rows of cells with rowspan and colspan expanded into repeated cells."""
    grid: list[list[dict]] = []
    pending: dict[int, tuple[int, dict]] = {}
    for row in rows:
        out: list[dict] = []
        cells = list(row["cells"])
        col = 0
        while cells or col in pending:
            if col in pending:
                left, cell = pending.pop(col)
                out.append(cell)
                if left > 1:
                    pending[col] = (left - 1, cell)
                col += 1
                continue
            cell = cells.pop(0)
            for _ in range(cell["colspan"]):
                out.append(cell)
                if cell["rowspan"] > 1:
                    pending[col] = (cell["rowspan"] - 1, cell)
                col += 1
        grid.append(out)
    return grid


def html_tables(output: str, html: str) -> tuple[list[Table], list[str], int]:
    parser = _HtmlTables()
    parser.feed(html)
    tables = []
    for raw in parser.tables:
        if "provenance-table" in (raw["attrs"].get("class") or ""):
            continue
        head = [r for r in raw["rows"] if r["head"]]
        body = [r for r in raw["rows"] if not r["head"]]
        head_grid = [[c["text"] for c in row] for row in _grid(head)]
        body_grid = [[(c["text"], c["tag"] == "th") for c in row] for row in _grid(body)]
        if not head_grid and body_grid and all(is_head for _, is_head in body_grid[0]):
            head_grid, body_grid = [[t for t, _ in body_grid[0]]], body_grid[1:]
        counts = [c for c in (raw["attrs"].get("data-count-columns") or "").split("|") if c]
        threshold = raw["attrs"].get("data-threshold")
        tables.append(
            Table(output, raw["caption"], head_grid, body_grid, counts, int(threshold) if threshold else None)
        )
    return tables, parser.alts, parser.images


def table_facts(table: Table) -> list[Fact]:
    """Facts of one table: each data cell keyed by its row labels (dimensions) and column (measure)."""
    if not table.body:
        return []
    n_index = min(sum(1 for _, is_head in row[: len(row)] if is_head) if row and row[0][1] else 0 for row in table.body)
    width = max(len(r) for r in table.body)
    header = [row + [""] * (width - len(row)) for row in table.header_rows]
    index_names = ["" for _ in range(n_index)]
    column_rows = header
    if header and n_index and all(not t for t in header[-1][n_index:]) and any(header[-1][:n_index]):
        index_names = header[-1][:n_index]
        column_rows = header[:-1]
    elif header and n_index:
        index_names = [t for t in header[0][:n_index]]
    columns = []
    for j in range(width):
        parts = []
        for row in column_rows:
            if j < len(row) and row[j] and (not parts or parts[-1] != row[j]):
                parts.append(row[j])
        columns.append(" ".join(parts))
    dim_names = [dimension_name(n) if n else ("row" if i == 0 else f"row{i}") for i, n in enumerate(index_names)]
    caption_year = None
    if "year" not in dim_names:
        found = CAPTION_YEAR.search(table.caption)
        caption_year = found.group(1) if found else None
    count_set = set(table.count_columns)
    # without declared count columns, a column of whole numbers (and c) is taken for counts
    integer_columns = []
    for j in range(width):
        parsed = [parse_number(row[j][0]) for row in table.body if j < len(row) and not row[j][1]]
        shown = [(v, d) for kind, v, d in parsed if kind == "n"]
        integer_columns.append(bool(shown) and all(d == 0 for _, d in shown))
    group = f"{table.output}#{table.caption}#{'|'.join(columns)}"
    facts = []
    for row in table.body:
        labels = tuple(t for t, _ in row[:n_index])
        dims = {}
        for name, label in zip(dim_names, labels, strict=False):
            if _slug(label) not in TOTALS:  # a total row stands for the sum over this level
                dims[name] = dimension_value(name, label)
        if caption_year:
            dims["year"] = caption_year
        # label-less index (a plain table written without index) takes its string cells as dimensions
        plain_dims = {}
        if n_index == 0:
            for j, (text, _) in enumerate(row):
                kind, _, _ = parse_number(text)
                if kind == "-" and text and j < len(columns):
                    plain_dims[dimension_name(columns[j])] = dimension_value(dimension_name(columns[j]), text)
                elif j < len(columns) and dimension_name(columns[j]) == "year" and kind == "n":
                    plain_dims["year"] = dimension_value("year", text)
        dims.update(plain_dims)
        for j in range(n_index, len(row)):
            text = row[j][0]
            kind, value, decimals = parse_number(text)
            if kind == "-" or j >= len(columns):
                continue
            column = columns[j]
            if n_index == 0 and dimension_name(column) in dims:
                continue
            measure, fact_dims = measure_name(column), dict(dims)
            if column.lower() in INDICATOR_COLUMNS and "indicator" not in fact_dims:
                fact_dims["indicator"], measure = INDICATOR_COLUMNS[column.lower()], "numerator"
            is_count = column in count_set if count_set else integer_columns[j]
            facts.append(
                Fact(
                    table.output,
                    table.caption or "(table without caption)",
                    labels,
                    column,
                    measure,
                    frozenset(fact_dims.items()),
                    value,
                    decimals,
                    is_count,
                    group,
                    column in count_set,
                )
            )
    return facts


# ----------------------------------------------------------------------------- JSON, CSV, text


def _is_dimension_field(name: str) -> bool:
    return str(name).lower() in DIMENSION_NAMES


def json_facts(output: str, data) -> tuple[list[Fact], int]:
    """Record lists become tables (string and year fields are dimensions); other leaves are facts keyed by path."""
    facts: list[Fact] = []
    leaves = 0
    top_year = data.get("year") if isinstance(data, dict) and isinstance(data.get("year"), int) else None

    def walk(node, path: list[str]):
        nonlocal leaves
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, [*path, str(key)])
        elif isinstance(node, list) and node and all(isinstance(x, dict) for x in node):
            records(node, path)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, [*path, str(i)])
        else:
            leaf(node, path)

    def leaf(value, path):
        nonlocal leaves
        table = ".".join(path[:-1]) or "(top level)"
        if isinstance(value, bool) or value is None:
            return
        if isinstance(value, str):
            leaves += text_numbers(value)
            if value.strip().lower() == SUPPRESSED:
                facts.append(
                    Fact(
                        output,
                        table,
                        tuple(path[:-1]),
                        path[-1],
                        measure_name(path[-1]),
                        frozenset({("key", _slug(path[-1]))}),
                        None,
                        None,
                        True,
                        f"{output}#{table}",
                    )
                )
            return
        leaves += 1
        dims = {"key": _slug(path[-1])}
        facts.append(
            Fact(
                output,
                table,
                tuple(path[:-1]),
                path[-1],
                measure_name(path[-2] if len(path) > 1 else path[-1]),
                frozenset(dims.items()),
                float(value),
                None,
                float(value).is_integer(),
                f"{output}#{table}",
            )
        )

    def records(rows: list[dict], path):
        nonlocal leaves
        table = ".".join(path)
        group = f"{output}#{table}"
        numeric_fields = {
            k for r in rows for k, v in r.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
        }
        integer_fields = {
            k
            for k in numeric_fields
            if all(v is None or isinstance(v, (str, bool)) or float(v).is_integer() for r in rows for v in [r.get(k)])
        }
        for r in rows:
            dims = {}
            for key, value in r.items():
                if (
                    _is_dimension_field(key)
                    and value is not None
                    and not isinstance(value, bool)
                    and _slug(value) not in TOTALS
                ):
                    name = dimension_name(key)
                    dims[name] = dimension_value(name, value)
            if top_year is not None and "year" not in dims:
                dims["year"] = str(top_year)
            hidden = any(str(k).lower() in ("suppressed", "withheld", "small") and v is True for k, v in r.items())
            label = tuple(f"{k}={v}" for k, v in r.items() if _is_dimension_field(k))
            for key, value in r.items():
                if _is_dimension_field(key) or isinstance(value, bool):
                    continue
                is_count = key in integer_fields
                if (
                    isinstance(value, str)
                    and value.strip().lower() == SUPPRESSED
                    or value is None
                    and hidden
                    and key in numeric_fields
                ):
                    facts.append(
                        Fact(
                            output,
                            table,
                            label,
                            key,
                            measure_name(key),
                            frozenset(dims.items()),
                            None,
                            None,
                            is_count,
                            group,
                        )
                    )
                elif isinstance(value, (int, float)) and math.isfinite(value):
                    leaves += 1
                    facts.append(
                        Fact(
                            output,
                            table,
                            label,
                            key,
                            measure_name(key),
                            frozenset(dims.items()),
                            float(value),
                            None,
                            is_count,
                            group,
                        )
                    )

    walk(data, [])
    return facts, leaves


def csv_table(output: str, text: str) -> Table | None:
    rows = list(csv.reader(text.splitlines()))
    if len(rows) < 2:
        return None
    header = rows[0]
    body = []
    for row in rows[1:]:
        cells = []
        for j, value in enumerate(row):
            name = header[j] if j < len(header) else ""
            kind, _, _ = parse_number(value)
            cells.append((value, _is_dimension_field(name) or (kind == "-" and j == 0)))
        body.append(cells)
    return Table(output, Path(output).stem.replace("_", " "), [header], body, [], None)


def text_numbers(text: str) -> int:
    return len(NUMBER.findall(text))


# ----------------------------------------------------------------------------- collection


def outputs_of(project: Path) -> list[Path]:
    """Every file a run writes outside data/ that a reader could receive."""
    found = []
    for folder in ("reports", "results", "logs"):
        root = project / folder
        if root.is_dir():
            found += [
                p
                for p in sorted(root.rglob("*"))
                if p.is_file()
                and p.suffix.lower() in {".html", ".json", ".csv", ".ipynb", ".log", ".txt", ".md", ".tsv"}
            ]
    return found


def collect(project: Path) -> tuple[list[Fact], list[str], int, int, tuple[int, int], list[tuple[str, str]]]:
    project = Path(project)
    facts: list[Fact] = []
    outputs: list[str] = []
    numbers = 0
    seen_tables: set[str] = set()
    thresholds: list[int] = []
    texts: list[tuple[str, str]] = []  # prose: narrative, summary lines, alt text, logs
    figures = [0, 0]  # images in the reports, and those with alt text describing them

    def add_tables(output: str, tables: list[Table]):
        nonlocal numbers
        for table in tables:
            signature = json.dumps([table.caption, table.header_rows, table.body])
            if signature in seen_tables:  # the executed notebook repeats its report's tables
                continue
            seen_tables.add(signature)
            if table.threshold:
                thresholds.append(table.threshold)
            new = table_facts(table)
            numbers += sum(1 for f in new if f.known)
            facts.extend(new)

    for path in outputs_of(project):
        output = str(path.relative_to(project))
        outputs.append(output)
        text = path.read_text(errors="replace")
        suffix = path.suffix.lower()
        if suffix == ".html":
            tables, alts, images = html_tables(output, text)
            add_tables(output, tables)
            texts.append((output, html_text(text)))
            texts += [(output, a) for a in alts]
            numbers += sum(text_numbers(a) for a in alts)
            figures[0] += images
            figures[1] += len(alts)
        elif suffix == ".ipynb":
            try:
                notebook = json.loads(text)
            except json.JSONDecodeError:
                continue
            for cell in notebook.get("cells", []):
                for out in cell.get("outputs", []) or []:
                    data = out.get("data", {}) or {}
                    html = "".join(data.get("text/html", []) or [])
                    if html:
                        tables, alts, _ = html_tables(output, html)
                        add_tables(output, tables)
                        numbers += sum(text_numbers(a) for a in alts)
                    plain = "".join(out.get("text", []) or []) + "".join(data.get("text/plain", []) or [])
                    numbers += text_numbers(plain)
                    texts.append((output, plain))
        elif suffix == ".json":
            try:
                data = json.loads(text)
            except json.JSONDecodeError:
                numbers += text_numbers(text)
                continue
            if isinstance(data, dict) and isinstance(data.get("disclosure_threshold"), int):
                thresholds.append(data["disclosure_threshold"])
            texts += [(output, v) for v in _strings(data)]
            new, leaves = json_facts(output, data)
            numbers += leaves
            facts.extend(new)
        elif suffix in (".csv", ".tsv"):
            table = csv_table(output, text)
            if table is not None:
                add_tables(output, [table])
        else:
            numbers += text_numbers(text)
            texts.append((output, text))
    for i, fact in enumerate(facts):
        fact.fid = i
    return facts, outputs, numbers, max(thresholds, default=DEFAULT_THRESHOLD), tuple(figures), texts


def html_text(html: str) -> str:
    """The words of a page as a reader sees them (tags, scripts and image data left out)."""
    from html import unescape

    return unescape(TAG.sub(" ", IMAGE_DATA.sub("", html)))


def _strings(node):
    if isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
    elif isinstance(node, str):
        yield node


def small_counts_in_text(texts: list[tuple[str, str]], threshold: int) -> list[Recovery]:
    found = []
    for output, text in texts:
        for match in COUNT_IN_TEXT.finditer(text):
            value = int(match.group(1))
            if 0 < value < threshold and not NOT_A_COUNT_BEFORE.search(
                text[max(0, match.start() - 15) : match.start()]
            ):
                context = " ".join(text[max(0, match.start() - 60) : match.end() + 20].split())
                found.append(
                    Recovery(output, "text", (context,), match.group(2), value, "small count shown outright in text")
                )
    return found


def small_counts_shown(facts: list[Fact], threshold: int) -> list[Recovery]:
    """Counts of children from 1 to threshold - 1 shown outright: a table's count columns, a results file's counts."""
    found = []
    for f in facts:
        if not f.known or not f.integer or not 0 < f.value < threshold:
            continue
        if f.output.endswith(".json"):
            if f.column.lower().startswith("rows_"):  # data-quality row counts of a file, not children
                continue
            path = [str(p).split("=")[0].lower() for p in f.row] + [f.column.lower()]
            if not (
                f.column.lower() in CHILD_COUNT_KEYS
                or (f.row and not f.row[0].count("=") and CHILD_COUNT_KEYS & set(path))
            ):
                continue
        elif not f.count_column:
            continue
        found.append(Recovery(f.output, f.table, f.row, f.column, f.value, "small count shown outright"))
    return found


# ----------------------------------------------------------------------------- relations


class Attack:
    def __init__(self, facts: list[Fact]):
        self.facts = facts
        self.values: dict[int, float] = {f.fid: f.value for f in facts if f.known}
        self.methods: dict[int, str] = {}
        self.equations: list[dict[int, float]] = []  # sum(coef * fact) == 0 over facts (known or not)
        self.by_group: dict[str, list[Fact]] = defaultdict(list)
        for f in facts:
            self.by_group[f.group].append(f)

    # -- bookkeeping
    def value(self, fact: Fact):
        return self.values.get(fact.fid)

    def learn(self, fact: Fact, value: float, method: str) -> bool:
        if fact.fid in self.values:
            return False
        self.values[fact.fid] = value
        self.methods[fact.fid] = method
        return True

    # -- same quantity in two outputs, and sums of one output's rows to another's
    def link_outputs(self):
        shapes: dict[tuple, list[Fact]] = defaultdict(list)
        for f in self.facts:
            if f.integer:
                shapes[(f.group, frozenset(d for d, _ in f.dims))].append(f)
        index = {shape: {(f.measure, f.dims): f for f in members} for shape, members in shapes.items()}
        names = list(shapes)
        for a, b in itertools.permutations(names, 2):
            dims_a, dims_b = a[1], b[1]
            if dims_a == dims_b and a < b and a[0] != b[0]:
                self._link_equal(index[a], index[b], f"same cell in another output: {b[0].split('#')[0]}")
            elif dims_b < dims_a and len(dims_a - dims_b) == 1:
                (extra,) = dims_a - dims_b
                self._link_sum(
                    index[a], index[b], extra, f"rows add up to {'a total' if a[0] == b[0] else 'another output'}"
                )
        self._link_total_columns()
        self._link_same_population()

    def _link_same_population(self):
        """One indicator's cohort that is another's count (placed with parents out of all looked after), wherever shown.

        Series are keyed by (indicator, measure); two series that agree on every local authority and year where both
        are shown (at least three distinct values, not all zero) count the same children, so a cell withheld in one
        is the other's.
        """
        series: dict[tuple, dict[frozenset, list[Fact]]] = defaultdict(lambda: defaultdict(list))
        for f in self.facts:
            dims = dict(f.dims)
            if f.integer and "indicator" in dims:
                indicator = dims.pop("indicator")
                series[(indicator, f.measure)][frozenset(dims.items())].append(f)
        names = sorted(series)
        for first, second in itertools.combinations(names, 2):
            if first[0] == second[0]:
                continue  # the same indicator's measures are linked (or not) by the other rules
            left, right = series[first], series[second]
            common = left.keys() & right.keys()
            shown = []
            for key in common:
                values = {f.value for f in left[key] + right[key] if f.known}
                if any(f.known for f in left[key]) and any(f.known for f in right[key]):
                    shown.append(values)
            # Three distinct values agreeing, not three cells: the same number printed in two outputs, or two
            # groups that happen to share a value (every care leaver in two small LAs suitably housed), is
            # coincidence, not the same children.
            distinct = {value for v in shown for value in v}
            if len(distinct) < 3 or any(len(v) != 1 for v in shown) or not any(v != {0.0} for v in shown):
                continue
            for key in common:
                cells = left[key] + right[key]
                if all(f.known for f in cells):
                    continue
                anchor = cells[0]
                for other in cells[1:]:
                    self.equations.append({anchor.fid: 1.0, other.fid: -1.0})
                    self._equation_methods.append(f"same children counted by {first[0]} and {second[0]}")

    def _link_equal(self, left: dict, right: dict, method: str):
        pairs = [(left[k], right[k]) for k in left.keys() & right.keys()]
        shown = [(x, y) for x, y in pairs if x.known and y.known]
        if not shown or any(x.value != y.value for x, y in shown) or not any(x.value for x, _ in shown):
            return
        for x, y in pairs:
            if not (x.known and y.known):
                self.equations.append({x.fid: 1.0, y.fid: -1.0})
                self._equation_methods.append(method)

    def _link_sum(self, children: dict, parents: dict, extra: str, method: str):
        members: dict[tuple, list[Fact]] = defaultdict(list)
        for (measure, dims), fact in children.items():
            members[(measure, frozenset(d for d in dims if d[0] != extra))].append(fact)
        links = [(parents[k], members[k]) for k in members.keys() & parents.keys() if len(members[k]) > 1]
        shown = [(p, m) for p, m in links if p.known and all(x.known for x in m)]
        if not shown or not any(p.value for p, _ in shown):
            return
        if any(abs(p.value - sum(x.value for x in m)) > 1e-9 for p, m in shown):
            return
        for parent, kids in links:
            if not (parent.known and all(x.known for x in kids)):
                equation = {parent.fid: -1.0}
                for kid in kids:
                    equation[kid.fid] = equation.get(kid.fid, 0.0) + 1.0
                self.equations.append(equation)
                self._equation_methods.append(method)

    def _link_total_columns(self):
        """A count column that is the sum of others on every row shown (a total column)."""
        for _group, members in self.by_group.items():
            rows: dict[frozenset, dict[str, Fact]] = defaultdict(dict)
            for f in members:
                if f.integer:
                    rows[f.dims][f.measure] = f
            measures = sorted({m for r in rows.values() for m in r})
            if len(measures) < 3 or len(measures) > 10:
                continue
            for total in measures:
                others = [m for m in measures if m != total]
                for size in range(2, min(len(others), 6) + 1):
                    for subset in itertools.combinations(others, size):
                        if self._total_column(rows, total, subset):
                            break

    def _total_column(self, rows, total, subset) -> bool:
        complete = [r for r in rows.values() if total in r and all(m in r for m in subset)]
        shown = [r for r in complete if r[total].known and all(r[m].known for m in subset)]
        if len(shown) < 2 or not any(r[total].value for r in shown):
            return False
        if any(abs(r[total].value - sum(r[m].value for m in subset)) > 1e-9 for r in shown):
            return False
        for r in complete:
            if not (r[total].known and all(r[m].known for m in subset)):
                equation = {r[total].fid: -1.0}
                for m in subset:
                    equation[r[m].fid] = 1.0
                self.equations.append(equation)
                self._equation_methods.append("columns add up to a total column")
        return True

    # -- rates beside their counts
    def rates(self) -> int:
        learned = 0
        for _group, members in self.by_group.items():
            rows: dict[tuple, dict[str, Fact]] = defaultdict(dict)
            for f in members:
                rows[(f.dims, f.row)][f.measure] = f
            measures = sorted({m for r in rows.values() for m in r})
            counts = [m for m in measures if all(r[m].integer for r in rows.values() if m in r)]
            for rate in measures:
                for numerator, denominator in itertools.permutations(counts, 2):
                    if rate in (numerator, denominator):
                        continue
                    for scale in RATE_SCALES:
                        if self._rate_holds(rows, rate, numerator, denominator, scale):
                            learned += self._solve_rate(rows, rate, numerator, denominator, scale)
                            break
        return learned

    def _rate_holds(self, rows, rate, numerator, denominator, scale) -> bool:
        shown = 0
        for r in rows.values():
            if not all(m in r for m in (rate, numerator, denominator)):
                continue
            values = [self.value(r[m]) for m in (rate, numerator, denominator)]
            if any(v is None for v in values) or r[rate].fid in self.methods:
                continue
            value, n, d = values
            if d <= 0:
                continue
            if abs(value - scale * n / d) > r[rate].tolerance():
                return False
            if 0 < n < d:
                shown += 1
        return shown >= 2

    def _solve_rate(self, rows, rate, numerator, denominator, scale) -> int:
        learned = 0
        for r in rows.values():
            if not all(m in r for m in (rate, numerator, denominator)):
                continue
            value, n, d = (self.value(r[m]) for m in (rate, numerator, denominator))
            if value is None:
                continue
            tol = r[rate].tolerance()
            how = f"rate x denominator: {rate} of {denominator}"
            if n is None and d is not None and d > 0:
                found = [k for k in range(int(d) + 1) if abs(scale * k / d - value) <= tol]
                if len(found) == 1:
                    learned += self.learn(r[numerator], float(found[0]), how)
            elif d is None and n is not None and n > 0 and value > 0:
                guess = scale * n / value
                found = [
                    k
                    for k in range(max(int(n), int(guess * 0.9)), int(guess * 1.1) + 2)
                    if k > 0 and abs(scale * n / k - value) <= tol
                ]
                if len(found) == 1:
                    learned += self.learn(r[denominator], float(found[0]), f"count / rate: {numerator} over {rate}")
        return learned

    # -- tolerances and intervals inverted to a cohort size
    def intervals(self) -> int:
        learned = 0
        for _group, members in self.by_group.items():
            rows: dict[tuple, dict[str, Fact]] = defaultdict(dict)
            for f in members:
                rows[(f.dims, f.row)][f.measure] = f
            measures = sorted({m for r in rows.values() for m in r})
            sizes = [m for m in measures if all(r[m].integer for r in rows.values() if m in r)]
            floats = [m for m in measures if m not in sizes]
            for size in sizes:
                unknown = [r for r in rows.values() if size in r and self.value(r[size]) is None]
                if not unknown:
                    continue
                for width in floats:
                    for prob in [None, *floats]:
                        if prob == width:
                            continue
                        learned += self._invert(rows, unknown, size, width, prob)
                learned += self._wilson(rows, unknown, size, floats)
                learned += self._funnel(rows, unknown, size, floats)
        return learned

    def _invert(self, rows, unknown, size, width, prob) -> int:
        """width = a * sqrt(p(1-p)/n) + b (or a / sqrt(n) + b), a and b fitted by group where n is shown."""

        def spread(r, n):
            if prob is None:
                return 1.0 / math.sqrt(n)
            p = _as_probability(self.value(r[prob]))
            if p is None:
                return None
            return math.sqrt(p * (1 - p) / n)

        fits: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for r in rows.values():
            if not all(m in r for m in (size, width)) or (prob and prob not in r):
                continue
            n, w = self.value(r[size]), self.value(r[width])
            if n is None or w is None or n <= 0 or r[size].fid in self.methods:
                continue
            g = spread(r, n)
            if g is not None:
                fits[_kind(r)].append((g, w))
        coefficients: dict[str, tuple[float, float]] = {}
        for kind, points in fits.items():
            g, w = np.array(points).T
            if len(points) >= 3 and np.ptp(g) > 0:
                design = np.column_stack([g, np.ones_like(g)])
                (a, b), *_ = np.linalg.lstsq(design, w, rcond=None)
            elif len(points) >= 2:
                a, b = float(np.mean(w / g)), 0.0
            else:
                continue
            if a > 0 and np.max(np.abs(a * g + b - w)) <= 1e-7 * max(1.0, float(np.max(np.abs(w)))):
                coefficients[kind] = (float(a), float(b))
        if not coefficients:
            return 0
        slopes = sorted({round(a, 9) for a, _ in coefficients.values()})
        learned = 0
        for r in unknown:
            if width not in r or (prob and prob not in r):
                continue
            w = self.value(r[width])
            if w is None or w <= 0:
                continue
            p = _as_probability(self.value(r[prob])) if prob else None
            if prob and p is None:
                continue
            h = math.sqrt(p * (1 - p)) if prob else 1.0
            trials = [coefficients[_kind(r)]] if _kind(r) in coefficients else [(a, 0.0) for a in slopes]
            for a, b in trials:
                if w - b <= 0:
                    continue
                n = (a * h / (w - b)) ** 2
                if 1 <= n <= 1e7 and abs(n - round(n)) <= 1e-6 * n:
                    label = "fitted" if _kind(r) in coefficients else "assumed no margin"
                    learned += self.learn(
                        r[size],
                        float(round(n)),
                        (
                            f"tolerance inverted: {width} = a*sqrt(p(1-p)/n)+b ({label})"
                            if prob
                            else f"tolerance inverted: {width} = a/sqrt(n)+b ({label})"
                        ),
                    )
                    break
        return learned

    def _funnel(self, rows, unknown, size, floats) -> int:
        """Exact binomial control limits (Spiegelhalter's interpolation) around a centre, inverted to cohort size."""
        learned = 0
        for low in [m for m in floats if m.startswith("lower_")]:
            high, level = low.replace("lower", "upper"), _level(low)
            if level is None:
                continue
            for centre in [m for m in floats if m not in (low, high) and not m.startswith(("lower", "upper"))]:
                known = [r for r in rows.values() if all(m in r for m in (size, low, high, centre))]
                shown = [
                    r for r in known if None not in (self.value(r[size]), self.value(r[low]), self.value(r[centre]))
                ]
                shown = [r for r in shown if r[size].fid not in self.methods and 0 < self.value(r[centre]) < 1]
                if not shown or not all(
                    _funnel_matches(
                        self.value(r[centre]),
                        self.value(r[low]),
                        self.value(r[high]),
                        level,
                        np.array([self.value(r[size])]),
                    ).any()
                    for r in shown
                ):
                    continue
                for r in unknown:
                    if not all(m in r for m in (low, high, centre)):
                        continue
                    p0, lo, hi = self.value(r[centre]), self.value(r[low]), self.value(r[high])
                    if None in (p0, lo, hi) or not 0 < p0 < 1:
                        continue
                    sizes = np.arange(1, 20001, dtype=float)
                    found = sizes[_funnel_matches(p0, lo, hi, level, sizes)]
                    if len(found) == 1:
                        learned += self.learn(r[size], float(found[0]), f"funnel limits inverted: {low}/{high}")
        return learned

    def _wilson(self, rows, unknown, size, floats) -> int:
        lows = [m for m in floats if "low" in m or m.startswith("lower")]
        learned = 0
        for low in lows:
            high = low.replace("lower", "upper") if low.startswith("lower") else low.replace("low", "high")
            if high not in floats:
                continue
            for prob in floats:
                if prob in (low, high):
                    continue
                for r in unknown:
                    if not all(m in r for m in (low, high, prob)):
                        continue
                    lo, hi, p = self.value(r[low]), self.value(r[high]), self.value(r[prob])
                    if None in (lo, hi, p):
                        continue
                    scale = 100.0 if max(abs(lo), abs(hi), abs(p)) > 1 else 1.0
                    lo, hi, p = lo / scale, hi / scale, p / scale
                    found = [n for n in range(1, 20001) if _wilson_matches(p, lo, hi, n) or _wald_matches(p, lo, hi, n)]
                    if len(found) == 1:
                        learned += self.learn(
                            r[size], float(found[0]), f"interval inverted: {low}/{high} around {prob}"
                        )
        return learned

    # -- one linear system over every output
    def solve(self) -> int:
        learned = 0
        unknown_ids = sorted({fid for eq in self.equations for fid in eq if fid not in self.values})
        if not unknown_ids:
            return 0
        position = {fid: i for i, fid in enumerate(unknown_ids)}
        # connected components of unknowns through equations
        parent = list(range(len(unknown_ids)))

        def find(i):
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for eq in self.equations:
            ids = [position[f] for f in eq if f in position]
            for i in ids[1:]:
                parent[find(i)] = find(ids[0])
        components: dict[int, list[int]] = defaultdict(list)
        for fid, i in position.items():
            components[find(i)].append(fid)
        for members in components.values():
            learned += self._solve_component(members)
        return learned

    def _solve_component(self, members: list[int]) -> int:
        local = {fid: i for i, fid in enumerate(members)}
        rows, rhs, methods = [], [], set()
        for eq, method in zip(self.equations, self._equation_methods, strict=False):
            if not any(f in local for f in eq):
                continue
            row = np.zeros(len(members))
            constant = 0.0
            for fid, coef in eq.items():
                if fid in local:
                    row[local[fid]] += coef
                else:
                    constant -= coef * self.values[fid]
            if np.any(row):
                rows.append(row)
                rhs.append(constant)
                methods.add(method)
        if not rows:
            return 0
        a, b = np.array(rows), np.array(rhs)
        _, singular, vt = np.linalg.svd(a)
        rank = int(np.sum(singular > 1e-9 * max(1.0, singular[0])))
        null = vt[rank:].T
        solution, *_ = np.linalg.lstsq(a, b, rcond=None)
        how = "linear system: " + "; ".join(sorted(methods))
        learned = 0
        determined = set()
        for fid, i in local.items():
            if null.shape[1] == 0 or np.all(np.abs(null[i]) < 1e-9):
                value = solution[i]
                if abs(value - round(value)) < 1e-6:
                    learned += self.learn(self._fact(fid), float(round(value)), how)
                    determined.add(fid)
        undetermined = [fid for fid in members if fid not in determined]
        if undetermined and len(members) <= 400:
            learned += self._bounds(a, b, local, undetermined, how)
        return learned

    def _bounds(self, a, b, local, undetermined, how) -> int:
        """Counts are at least 0: a cell whose smallest and largest feasible values meet is known."""
        from scipy.optimize import linprog

        learned = 0
        n = a.shape[1]
        upper, limit = self._inequalities_over(local)
        for fid in undetermined:
            objective = np.zeros(n)
            objective[local[fid]] = 1.0
            low = linprog(objective, A_ub=upper, b_ub=limit, A_eq=a, b_eq=b, bounds=[(0, None)] * n, method="highs")
            high = linprog(-objective, A_ub=upper, b_ub=limit, A_eq=a, b_eq=b, bounds=[(0, None)] * n, method="highs")
            if low.status != 0 or high.status != 0:
                continue
            lowest, highest = math.ceil(low.fun - 1e-7), math.floor(-high.fun + 1e-7)
            if lowest == highest:
                learned += self.learn(self._fact(fid), float(lowest), how + " (counts >= 0)")
        return learned

    def _inequalities_over(self, local: dict[int, int]):
        """Learned inequalities (a numerator never above its denominator) over this component's unknowns."""
        rows, limits = [], []
        for inequality in self.inequalities:
            if not any(f in local for f in inequality):
                continue
            if any(f not in local and f not in self.values for f in inequality):
                continue  # an unknown of another component: leaving the constraint out only widens the bounds
            row = np.zeros(len(local))
            constant = 0.0
            for fid, coef in inequality.items():
                if fid in local:
                    row[local[fid]] += coef
                else:
                    constant -= coef * self.values[fid]
            rows.append(row)
            limits.append(constant)
        if not rows:
            return None, None
        return np.array(rows), np.array(limits)

    def link_bounds(self):
        """A count never above another in the same row wherever both are shown (numerator and cohort) stays so."""
        for _group, members in self.by_group.items():
            rows: dict[tuple, dict[str, Fact]] = defaultdict(dict)
            for f in members:
                if f.integer:
                    rows[(f.dims, f.row)][f.measure] = f
            measures = sorted({m for r in rows.values() for m in r})
            if len(measures) > 12:
                continue
            for small, large in itertools.permutations(measures, 2):
                pairs = [(r[small], r[large]) for r in rows.values() if small in r and large in r]
                shown = [(x.value, y.value) for x, y in pairs if x.known and y.known]
                if len(shown) < 3 or any(x > y for x, y in shown) or not any(x < y for x, y in shown):
                    continue
                self.inequalities += [{x.fid: 1.0, y.fid: -1.0} for x, y in pairs if not (x.known and y.known)]

    def _fact(self, fid: int) -> Fact:
        return self.facts[fid]

    def run(self) -> None:
        self._equation_methods: list[str] = []
        self.inequalities: list[dict[int, float]] = []  # sum(coef * fact) <= 0
        self.link_outputs()
        self.link_bounds()
        for _ in range(4):
            learned = self.rates() + self.intervals() + self.solve()
            if not learned:
                break


def _as_probability(value) -> float | None:
    """A proportion, or a percentage read as one."""
    if value is None:
        return None
    if 0 < value < 1:
        return value
    return value / 100 if 1 <= value < 100 else None


def _kind(row: dict) -> str:
    """Rows of a results table share a fitted tolerance within their indicator (or measure, term...)."""
    dims = next(iter(row.values())).dims
    return "|".join(f"{d}={v}" for d, v in sorted(dims) if d not in ("la", "year", "row"))


def _level(name: str) -> float | None:
    found = re.search(r"(0?\.\d+|\d+(?:\.\d+)?)\s*%?$", name)
    if not found:
        return None
    level = float(found.group(1))
    level = level / 100 if level > 1 else level
    return level if 0 < level < 1 else None


def _funnel_matches(p0: float, low: float | None, high: float | None, level: float, sizes: np.ndarray) -> np.ndarray:
    from scipy import stats

    matches = np.ones(len(sizes), dtype=bool)
    for q, limit in (((1 - level) / 2, low), (1 - (1 - level) / 2, high)):
        if limit is None:
            continue
        r = stats.binom.ppf(q, sizes, p0)
        cdf, pmf = stats.binom.cdf(r, sizes, p0), stats.binom.pmf(r, sizes, p0)
        with np.errstate(invalid="ignore", divide="ignore"):
            a = np.where(pmf > 0, (cdf - q) / pmf, 0.0)
        matches &= np.abs(np.clip((r - a) / sizes, 0.0, 1.0) - limit) < 1e-8
    return matches


def _wilson_matches(p, lo, hi, n, z=1.959963984540054) -> bool:
    k = p * n
    if abs(k - round(k)) > 1e-6:
        return False
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return abs(centre - half - lo) < 1e-7 and abs(centre + half - hi) < 1e-7


def _wald_matches(p, lo, hi, n, z=1.959963984540054) -> bool:
    k = p * n
    if abs(k - round(k)) > 1e-6:
        return False
    half = z * math.sqrt(p * (1 - p) / n)
    return abs(p - half - lo) < 1e-7 and abs(p + half - hi) < 1e-7


# ----------------------------------------------------------------------------- entry points


def attack(project: str | Path) -> AttackResult:
    """Collect a finished run's outputs and recover what suppressed cells it can."""
    facts, outputs, numbers, threshold, (figures, described), texts = collect(Path(project))
    attacker = Attack(facts)
    attacker.run()
    recovered = [
        Recovery(f.output, f.table, f.row, f.column, attacker.values[f.fid], attacker.methods[f.fid])
        for f in facts
        if not f.known and f.fid in attacker.methods
    ]
    return AttackResult(
        outputs=outputs,
        numbers=numbers,
        suppressed=sum(1 for f in facts if not f.known),
        recovered=recovered,
        small_counts_shown=small_counts_shown(facts, threshold) + small_counts_in_text(texts, threshold),
        threshold=threshold,
        figures=figures,
        figures_described=described,
    )


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: attacker.py PROJECT_DIR", file=sys.stderr)
        return 2
    result = attack(argv[0])
    print(result.report())
    return 1 if result.recovered or result.small_counts_shown else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
