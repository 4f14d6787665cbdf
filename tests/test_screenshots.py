"""The rendered pages in a real browser: headless Chromium at 1280 px with the network disabled.

Load time is a benchmark (benchmarks/report_load.py), not a test.  Set
LAC_SCREENSHOTS to a folder to keep the screenshots of the index and two reports.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from chromium_support import CHROMIUM, measure, screenshot

pytestmark = [
    pytest.mark.pipeline,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="chromium not installed (as root, make .venv/.installed installs it via scripts/)",
    ),
]

EXTERNAL = re.compile(
    r"""(?:src|href|action|poster)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import""", re.I
)
IMAGE = re.compile(r"<img\b[^>]*>", re.I)
# A non-blank alt value in either quote style (an apostrophe may stand inside double quotes).
ALT = re.compile(r"""\salt\s*=\s*(?:"\s*[^"\s][^"]*"|'\s*[^'\s][^']*')""", re.I)


@pytest.fixture(scope="module")
def pages(reference_run):
    workdir, _ = reference_run
    found = sorted((workdir / "reports").glob("*.html"))
    assert "index.html" in [p.name for p in found] and len(found) > 1
    return found


@pytest.fixture(scope="module")
def measured(pages):
    return {page.name: measure(page) for page in pages}


def test_the_probe_sees_overflow_outside_requests_and_missing_alt(tmp_path):
    """Planted faults: a wide table outside a scroll box, an image from the web, an image with no alt."""
    page = tmp_path / "faulty.html"
    cells = "".join(f"<td>column {i} with a long heading</td>" for i in range(40))
    page.write_text(
        "<!DOCTYPE html><html><body><table><tr>" + cells + "</tr></table>"
        "<img src='http://example.invalid/a.png' alt='remote'><img src='data:image/png;base64,iVBORw0KGgo='>"
        "<div class='table-scroll' style='overflow-x:auto'><table><tr>" + cells + "</tr></table></div></body></html>"
    )
    seen = measure(page)
    assert len(seen["overflowing"]) == 1 and seen["scroll_width"] > seen["width"]
    assert seen["resources"] == ["http://example.invalid/a.png"]
    assert seen["missing_alt"] == 1
    assert EXTERNAL.search(page.read_text())


def test_no_page_asks_for_anything_outside_the_file(pages, measured):
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert not EXTERNAL.search(html), (page.name, EXTERNAL.search(html).group(0))
        # the one script a report carries is its own table controls, inline (the index has none)
        assert all("src=" not in tag for tag in re.findall(r"<script\b[^>]*>", html)), page.name
        assert len(re.findall(r"<script\b", html)) == (0 if page.name == "index.html" else 1), page.name
        assert measured[page.name]["resources"] == [], page.name


def test_tables_fit_or_scroll_inside_the_page_at_1280_px(measured):
    for name, seen in measured.items():
        assert seen["overflowing"] == [], name
        assert seen["scroll_width"] <= seen["width"], name


def test_every_image_has_alt_text(pages, measured):
    for page in pages:
        images = IMAGE.findall(page.read_text(encoding="utf-8"))
        assert all(ALT.search(tag) for tag in images), page.name
        assert measured[page.name]["missing_alt"] == 0 and measured[page.name]["images"] == len(images), page.name


def test_screenshots_of_the_index_and_two_reports(pages, tmp_path):
    folder = Path(os.environ.get("LAC_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    by_name = {p.stem: p for p in pages}
    for name in ["index", "home_supervision", "calibration"]:
        shot = screenshot(by_name[name], folder / f"{name}.png")
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
