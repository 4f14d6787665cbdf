"""End to end: snakemake on the small config, assertions on what it produced."""

from __future__ import annotations

import json
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from pipeline_support import planned_jobs, snakemake

pytestmark = pytest.mark.pipeline


class _Tables(HTMLParser):
    """Collects the cells of every disclosure-controlled table by column."""

    def __init__(self):
        super().__init__()
        self.tables, self.links = [], []
        self._table = None
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and "href" in attrs:
            self.links.append(attrs["href"])
        if tag == "table" and "sdc-table" in (attrs.get("class") or ""):
            self._table = {
                "threshold": int(attrs["data-threshold"]),
                "counts": attrs["data-count-columns"].split("|"),
                "rows": [],
            }
        elif self._table is not None and tag == "tr":
            self._row = []
        elif self._row is not None and tag in ("td", "th"):
            self._cell = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(self._cell.strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table["rows"].append(self._row)
            self._row = None
        elif tag == "table" and self._table is not None:
            self.tables.append(self._table)
            self._table = None


def parse(html: str) -> _Tables:
    parser = _Tables()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def run(reference_run):
    return reference_run


def report_pages(workdir: Path) -> list[Path]:
    return sorted(p for p in (workdir / "reports").glob("*.html") if p.name != "index.html")


def test_index_lists_every_report_and_its_links_resolve(run):
    workdir, _ = run
    index = (workdir / "reports" / "index.html").read_text()
    links = parse(index).links
    assert sorted(links) == sorted(p.name for p in report_pages(workdir))
    assert "calibration.html" in links
    for link in links:
        assert (workdir / "reports" / link).is_file()
    meta = json.loads((workdir / "reports" / "calibration.meta.json").read_text())
    assert "published Scottish figures reproduced within tolerance" in meta["summary"]
    assert meta["key_points"] and meta["key_points"][0] in unescape(index)


def test_reports_carry_provenance_and_hide_code(run):
    workdir, _ = run
    for page in report_pages(workdir):
        html = page.read_text()
        provenance = html[html.index("id='provenance'") :]
        for expected in [
            "Git commit",
            "Config digest",
            "Run date",
            "Parameters",
            "Input checksums",
            "Package versions",
            "statsmodels",
        ]:
            assert expected in provenance, (page.name, expected)
        assert re.search(r"data/processed/(scotland|england)/\w+\.parquet</th><td><code>[0-9a-f]{64}", provenance)
        assert "import pandas" not in html  # code cells hidden
        assert "Traceback" not in html


def test_no_child_identifier_or_date_of_birth_reaches_a_report(run):
    workdir, _ = run
    children = pd.read_csv(workdir / "data/raw/synthetic/scotland/children.csv", dtype=str)
    pupils = pd.read_csv(workdir / "data/raw/synthetic/scotland/pupils.csv", dtype=str)
    identifiers = set(children["child_id"]) | set(pupils["pupil_id"])
    births = set(children["date_of_birth"]) | {pd.Timestamp(d).strftime("%d/%m/%Y") for d in children["date_of_birth"]}
    pages = [*report_pages(workdir), workdir / "reports" / "index.html"]
    for page in pages:
        words = set(re.findall(r"[A-Za-z0-9_/-]+", page.read_text()))
        assert not identifiers & words, page.name
        assert not births & words, page.name
    logs = list((workdir / "logs").rglob("*.log"))
    assert logs
    for log in logs:
        words = set(re.findall(r"[A-Za-z0-9_/-]+", log.read_text()))
        assert not identifiers & words and not births & words, log


def test_every_count_in_a_rendered_table_is_suppressed_under_the_threshold(run):
    workdir, _ = run
    tables = [t for page in report_pages(workdir) for t in parse(page.read_text()).tables]
    assert tables
    suppressed = 0
    for table in tables:
        header = table["rows"][0]
        for column in table["counts"]:
            position = header.index(column)
            for row in table["rows"][1:]:
                if position >= len(row) or not row[position]:
                    continue
                cell = row[position].replace(",", "")
                if cell == "c":
                    suppressed += 1
                    continue
                if cell.isdigit():
                    assert not 0 < int(cell) < table["threshold"], (column, row)
    assert suppressed > 0  # the small config has small cells: suppression must show


def test_processed_data_accounts_for_every_row(run):
    workdir, _ = run
    import json

    quality = json.loads((workdir / "data/processed/scotland/quality.json").read_text())
    for name, counts in quality["tables"].items():
        raw = workdir / f"data/raw/synthetic/scotland/{name}.csv"
        rows_in = sum(1 for line in raw.read_text().splitlines()[1:] if line.strip())
        assert counts["rows_in"] == rows_in == counts["rows_kept"] + counts["rows_quarantined"]
        assert len(pd.read_parquet(workdir / f"data/processed/scotland/{name}.parquet")) == counts["rows_kept"]


def test_rerun_has_nothing_to_do_and_a_notebook_edit_reruns_only_its_report(run):
    workdir, _ = run
    # How long the no-op rerun takes is benchmarks/noop_rerun.py's business, not a test's.
    again = snakemake(workdir)
    assert "Nothing to be done" in again.stdout + again.stderr
    notebook = workdir / "notebooks" / "calibration.ipynb"
    original = notebook.read_text()
    try:
        notebook.write_text(original.replace("# Calibration:", "# Calibration (edited):", 1))
        assert planned_jobs(workdir) == {"render_report": 1, "index": 1, "all": 1}
    finally:
        notebook.write_text(original)
        snakemake(workdir, "--touch")  # the reference run stays complete for other tests
