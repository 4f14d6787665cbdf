"""The data-quality report: counts as integers with separators, optional parts tolerated, no input reaching HTML."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from lac_outcomes import data_quality, render

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


def test_counts_are_integers_with_thousands_separators_and_old_files_still_read():
    quality = {
        "tables": {
            "Episodes": {"rows_in": 12206, "rows_kept": 12000, "rows_dropped": 206, "cells_blanked": 1500},
            "Header": {"rows_in": 4386, "rows_kept": 4386, "rows_dropped": 0},
        }
    }
    counts = data_quality.table_counts(quality)
    assert data_quality.balanced(counts)
    shown = data_quality.formatted(counts)
    assert shown.loc["Episodes"].tolist() == ["12,206", "12,000", "206", "1,500"]
    assert shown.loc["Header", "cells blanked"] == "0"  # a table with no record of blanked cells has none
    old = data_quality.table_counts({"tables": {"children": {"rows_in": 10, "rows_kept": 7, "rows_quarantined": 2}}})
    assert list(old.columns) == ["rows in", "rows kept", "rows dropped"] and not data_quality.balanced(old)
    assert "NO" in data_quality.summary_line(old, [])


def test_flags_and_cross_return_checks_show_when_present_and_are_skipped_when_absent():
    assert data_quality.flagged({"tables": {}}) == [] and data_quality.cross_return({}) is None
    assert data_quality.la_year_counts({}) is None
    quality = {
        "tables": {"Episodes": {"rows_in": 100, "rows_kept": 90, "rows_dropped": 10, "flagged": True}},
        "flagged": [
            {"table": "Header", "LA": "E09000003", "YEAR": 2021, "rows_in": 2000, "rows_dropped": 50},
            "Episodes E09000003 2021: 3% of rows lost",
        ],
        "la_years": {"E09000003/2021": {"rows_in": 2000, "rows_kept": 1950, "rows_dropped": 50, "cells_blanked": 7}},
        "cross_return": [{"LA": "E09000003", "YEAR": 2021, "check": "open episode missing next year", "children": 3}],
    }
    flags = data_quality.flagged(quality)
    assert flags[0] == "Header, E09000003, 2021: rows in: 2,000; rows dropped: 50"
    assert flags[1] == "Episodes E09000003 2021: 3% of rows lost" and flags[2].startswith("Episodes: rows in: 100")
    by_la_year = data_quality.formatted(data_quality.la_year_counts(quality))
    assert by_la_year.iloc[0].tolist() == ["E09000003/2021", "2,000", "1,950", "50", "7"]
    assert data_quality.cross_return(quality).iloc[0]["check"] == "open episode missing next year"
    assert any(
        "checked against each other" in p for p in data_quality.key_points(data_quality.table_counts(quality), quality)
    )


def test_html_list_escapes():
    html = data_quality.html_list([SCRIPT, IMG])
    assert SCRIPT not in html and IMG not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def _render(tmp_path, notebook, parameters):
    out = tmp_path / "out"
    render.render(
        ROOT / "notebooks" / f"{notebook}.ipynb",
        executed=out / f"{notebook}.ipynb",
        html=out / f"{notebook}.html",
        meta=out / f"{notebook}.json",
        parameters={"results_path": str(out / "results.json"), "tables_dir": str(out / "tables"), **parameters},
        inputs=[],
        config_sha256="test",
    )
    return (out / f"{notebook}.html").read_text()


def _no_live_markup(html: str) -> None:
    """The injected text is shown literally and nowhere as a tag or attribute."""
    assert "alert(1)" in html
    assert not re.search(r"<script[^>]*>\s*alert", html, flags=re.IGNORECASE)
    assert not re.search(r"<img[^>]*onerror", html, flags=re.IGNORECASE)
    assert not re.search(r"<svg[^>]*onload", html, flags=re.IGNORECASE)


@pytest.mark.pipeline
def test_report_shows_folder_names_and_header_cells_literally(tmp_path):
    processed = tmp_path / "processed"
    processed.mkdir()
    folder = f"data/raw/{SCRIPT}"  # as a warning quotes it: a path holding markup
    quality = {
        "tables": {"Episodes": {"rows_in": 1200, "rows_kept": 1199, "rows_dropped": 1, "cells_blanked": 2}},
        "warnings": [f"{folder}/2021-episodes.csv: extra column {IMG!r} read past"],
        "flagged": [{"table": "Episodes", "LA": SCRIPT, "YEAR": 2021, "rows_dropped": 1}],
        "cross_return": [{"LA": IMG, "YEAR": 2021, "check": SCRIPT, "children": 1}],
    }
    (processed / "quality.json").write_text(json.dumps(quality))
    pd.DataFrame(
        [{"table": "Episodes", "file": f"{folder}/{IMG}.csv", "row": 5, "column": IMG, "rule": SCRIPT}]
    ).to_parquet(processed / "quarantine.parquet")
    html = _render(tmp_path, "data_quality", {"processed_dir": str(processed)})
    _no_live_markup(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "1,200" in html
    # the downloadable tables hold the text as it is, for a spreadsheet, not for a browser
    assert IMG in (tmp_path / "out" / "tables" / "quarantine_by_rule.csv").read_text()


@pytest.mark.pipeline
def test_real_returns_with_markup_in_a_folder_name_and_a_header_cell(tmp_path):
    """Through the reader: an LA folder and a CSV header cell holding markup reach both England reports as text."""
    from lac_outcomes.england import clean
    from lac_outcomes.england.simulate import write_synthetic_returns

    raw = tmp_path / "raw"
    write_synthetic_returns(raw, seed=3, years=[2020, 2021], n_las=1, children_per_la=40)
    (raw / "truth.yaml").unlink(missing_ok=True)
    [la_folder] = [p for p in raw.iterdir() if p.is_dir()]
    # a folder name cannot hold "/", so the folder carries the attribute-borne attack
    hostile = la_folder.rename(raw / "<svg onload=alert(1)>")
    episodes = max(hostile.glob("*Episodes*"))
    lines = episodes.read_text().splitlines()
    episodes.write_text("\n".join([lines[0] + "," + SCRIPT, *[line + "," for line in lines[1:]]]) + "\n")
    result = clean.clean(raw, years=[2020, 2021])
    clean.write(result, tmp_path / "processed")
    assert any("alert(1)" in w for w in result.warnings)
    html = _render(tmp_path, "data_quality", {"processed_dir": str(tmp_path / "processed")})
    _no_live_markup(html)
    assert "&lt;svg onload=alert(1)&gt;" in html or "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    report = _render(
        tmp_path, "care_matters_indicators", {"processed_dir": str(tmp_path / "processed"), "truth_path": ""}
    )
    assert "&lt;svg onload=alert(1)&gt;" in report
    assert not re.search(r"<svg[^>]*onload", report, flags=re.IGNORECASE)
