import json
import re

from lac_outcomes.report_index import quality_summary, write_index

PNG = "data:image/png;base64,iVBORw0KGgo="


def meta(folder, name, *, synthetic=True, quality=None, **extra):
    entry = {
        "title": f"Report <{name}>",
        "summary": f"{name} summary",
        "html": f"{name}.html",
        "notebook": f"notebooks/{name}.ipynb",
        "data_status": {
            "synthetic": synthetic,
            "sources": [
                {
                    "nation": "Scotland",
                    "returns": "Scottish returns",
                    "tables": ["pupils"],
                    "years": "2019 to 2021",
                    "authorities": [{"code": "S12000005", "name": "Clackmannanshire"}],
                    "quality": quality,
                }
            ],
        },
        **extra,
    }
    path = folder / f"{name}.meta.json"
    path.write_text(json.dumps(entry))
    return path


def test_index_opens_with_the_data_status_then_key_points_figure_and_one_link_per_report(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    quality = tmp_path / "data/processed/scotland/quality.json"
    quality.parent.mkdir(parents=True)
    quality.write_text(
        json.dumps(
            {
                "tables": {
                    "pupils": {"rows_in": 12000, "rows_kept": 11990, "rows_dropped": 10, "cells_blanked": 25},
                    "children": {"rows_in": 500, "rows_kept": 500, "rows_quarantined": 0},
                },
                "flagged": [
                    {"table": "pupils", "la": "S12000005", "year": 2020, "share_lost": "12%"},
                    "leavers <2019>",
                ],
                "warnings": ["dates in pupils.csv agree with the school year"],
            }
        )
    )
    files = [
        meta(
            tmp_path,
            "a",
            quality="data/processed/scotland/quality.json",
            key_points=["Attendance <b>lower</b> at home.", "Second point."],
            figure={"src": PNG, "alt": "Bars by placement"},
        ),
        meta(tmp_path, "b", figure={"src": "https://example.org/x.png", "alt": "remote"}),
    ]
    out = tmp_path / "reports" / "index.html"
    write_index(files, out, title="Outcomes & reports")
    html = out.read_text()
    text = " ".join(html.split())
    assert html.index('id="data-status"') < html.index('<article class="report-card"')
    assert "Synthetic data" in text and "years 2019 to 2021" in text and "Clackmannanshire (S12000005)" in text
    assert "12,500 rows read, 10 dropped, 25 cells blanked" in text
    assert "Flagged: table: pupils, la: S12000005, year: 2020, share_lost: 12%" in text
    assert "Flagged: leavers &lt;2019&gt;" in text
    assert "<li>Attendance &lt;b&gt;lower&lt;/b&gt; at home.</li>" in html  # key points escaped, as text
    assert "b summary" in html  # no key points: the one-line summary instead
    assert re.findall(r'href="([^"]+)"', html) == ["a.html", "b.html"]
    assert "<title>Outcomes &amp; reports</title>" in html and "Report &lt;a&gt;" in html
    assert re.findall(r'<img src="([^"]+)" alt="([^"]+)"', html) == [(PNG, "Bars by placement")]
    assert "example.org" not in html
    assert "<script" not in html


def test_a_run_on_real_returns_says_so_and_a_missing_quality_record_is_no_error(tmp_path):
    files = [meta(tmp_path, "a", synthetic=False, quality="nowhere/quality.json")]
    write_index(files, tmp_path / "index.html", title="t")
    text = " ".join((tmp_path / "index.html").read_text().split())
    assert "Real returns" in text and "Synthetic data" not in text and "rows read" not in text


def test_mixed_runs_are_called_mixed(tmp_path):
    files = [meta(tmp_path, "a", synthetic=True), meta(tmp_path, "b", synthetic=False)]
    write_index(files, tmp_path / "index.html", title="t")
    assert "Mixed data" in (tmp_path / "index.html").read_text()


def test_quality_summary_reads_older_records_and_skips_a_broken_one(tmp_path):
    older = tmp_path / "quality.json"
    older.write_text(json.dumps({"tables": {"x": {"rows_in": 10, "rows_kept": 7, "rows_quarantined": 3}}}))
    summary = quality_summary(older)
    assert (summary["rows_in"], summary["rows_dropped"], summary["cells_blanked"], summary["flagged"]) == (10, 3, 0, [])
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert quality_summary(broken) is None


def test_site_holds_the_index_pages_and_tables_so_relative_links_resolve(tmp_path):
    from lac_outcomes.report_index import write_site

    reports = tmp_path / "reports"
    (reports / "a" / "tables").mkdir(parents=True)
    (reports / "a.html").write_text("<a href='index.html'>back</a><a href='a/tables/t.csv'>CSV</a>")
    (reports / "a" / "tables" / "t.csv").write_text("x\n1\n")
    files = [meta(reports, "a")]
    write_index(files, reports / "index.html", title="t")
    site = tmp_path / "results" / "report_site"
    write_site(reports / "index.html", files, site)
    assert sorted(str(p.relative_to(site)) for p in site.rglob("*") if p.is_file()) == [
        "a.html",
        "a/tables/t.csv",
        "index.html",
    ]
    for page in site.glob("*.html"):
        for link in re.findall(r"href=['\"]([^'\"#]+)['\"]", page.read_text()):
            assert (site / link).is_file(), (page.name, link)
