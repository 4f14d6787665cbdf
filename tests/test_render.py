import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from lac_outcomes import render
from lac_outcomes.render import NotebookFailed

KEY_POINTS = (
    "from IPython.display import Markdown, display\ndisplay(Markdown('- Fewer <b>left</b> early.\\n- Most stayed.'))"
)
SHOW = (
    "import pandas as pd\n"
    "from lac_outcomes import display as show\n"
    "show.configure(tables_dir)\n"
    "show.show_table(pd.DataFrame({'area': ['<script>'], 'children': [4386.0], 'p': [0.0002]}), 'Children by area')\n"
    "import matplotlib.pyplot as plt\n"
    "fig, ax = plt.subplots(figsize=(2, 1)); ax.plot([1, 2])\n"
    "show.show_figure(fig, alt='A rising line')\n"
    "fig, ax = plt.subplots(figsize=(2, 1)); ax.plot([2, 1])\n"
    "plt.show()"
)


def make_notebook(path, body="answer = multiplier * 21", key_points=None, extra=()):
    cells = [
        new_markdown_cell("# A trivial report\n\nSome narrative."),
        new_code_cell("multiplier = 1\ntables_dir = '../.scratch/x/tables'", metadata={"tags": ["parameters"]}),
        new_code_cell(body),
        new_markdown_cell("## Results & more\n\nText.\n\n### Detail"),
        *[new_code_cell(source) for source in extra],
        new_code_cell("print(f'The answer is {answer}.')", metadata={"tags": ["summary"]}),
        new_code_cell("import sys; print('a warning', file=sys.stderr)"),
    ]
    if key_points:
        cells.append(new_code_cell(key_points, metadata={"tags": ["key-points"]}))
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def render_into(tmp_path, notebook, **options):
    """Render as the pipeline lays it out: notebooks/, results/<report>/, reports/<report>.html."""
    name = notebook.stem
    return render.render(
        notebook,
        executed=tmp_path / "results" / name / f"{name}.executed.ipynb",
        html=tmp_path / "reports" / f"{name}.html",
        meta=tmp_path / "reports" / f"{name}.meta.json",
        **{"parameters": {}, "inputs": [], "config_sha256": "x", **options},
    )


def test_render_executes_with_parameters_hides_code_and_adds_provenance(tmp_path):
    notebook = make_notebook(tmp_path / "trivial.ipynb")
    data = tmp_path / "input.csv"
    data.write_text("a\n1\n")
    out = render.render(
        notebook,
        executed=tmp_path / "out" / "trivial.executed.ipynb",
        html=tmp_path / "out" / "trivial.html",
        meta=tmp_path / "out" / "trivial.meta.json",
        parameters={"multiplier": 2},
        inputs=[data],
        config_sha256="abc123",
    )
    html = (tmp_path / "out" / "trivial.html").read_text()
    meta = json.loads((tmp_path / "out" / "trivial.meta.json").read_text())
    assert meta["title"] == "A trivial report" and meta["summary"] == "The answer is 42."
    assert meta["html"] == "trivial.html" and meta["notebook"] == str(notebook)
    assert meta["key_points"] == [] and meta["figure"] is None
    assert out.summary == "The answer is 42."
    assert "The answer is 42." in html
    assert "answer = multiplier" not in html  # code hidden
    assert "a warning" not in html  # stderr goes to the log
    provenance = html[html.index("id='provenance'") :]
    assert "abc123" in provenance and "<th>multiplier</th><td><code>2</code>" in provenance
    assert "input.csv" in html and "pandas" in html
    executed = nbformat.read(tmp_path / "out" / "trivial.executed.ipynb", as_version=4)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in executed.cells)
    assert not list(tmp_path.joinpath("out").glob(".*"))  # no temporary files left behind


TABLES_JS = (Path(render.__file__).parent / "templates" / "tables.js").read_text(encoding="utf-8")


def test_page_loads_nothing_and_has_one_title_a_back_link_and_contents(tmp_path):
    (tmp_path / "notebooks").mkdir()
    make_notebook(tmp_path / "notebooks" / "trivial.ipynb")
    render_into(tmp_path, tmp_path / "notebooks" / "trivial.ipynb", title="Trivial: the <second> outcome")
    html = (tmp_path / "reports" / "trivial.html").read_text()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # no CDN, no fonts, nothing fetched
    # the one script is the template's own table controls, inline; no JupyterLab scripts
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S)
    assert [script.strip() for script in scripts] == [TABLES_JS.strip()]
    assert "require.js" not in html and "jp-Cell" not in html
    assert len(html.encode()) < 40_000  # our stylesheet, not 263 KB of JupyterLab's
    assert re.findall(r"<h1[ >].*?</h1>", html, flags=re.S) == ["<h1>Trivial: the &lt;second&gt; outcome</h1>"]
    assert "<title>Trivial: the &lt;second&gt; outcome</title>" in html
    assert '<a href="index.html">' in html
    contents = html[html.index('id="contents"') : html.index("</nav>", html.index('id="contents"'))]
    assert re.findall(r'href="#([^"]+)">([^<]*)<', contents) == [
        ("Results-&amp;-more", "Results &amp; more"),
        ("Detail", "Detail"),
        ("provenance", "Provenance"),
    ]
    assert 'id="key-points"' not in html  # no key-points cell, no section


def test_key_points_move_to_the_top_and_into_the_index_entry(tmp_path):
    (tmp_path / "notebooks").mkdir()
    make_notebook(tmp_path / "notebooks" / "kp.ipynb", key_points=KEY_POINTS)
    out = render_into(tmp_path, tmp_path / "notebooks" / "kp.ipynb")
    html = (tmp_path / "reports" / "kp.html").read_text()
    assert html.count("Fewer <b>left</b> early.") == 1
    assert html.index('id="key-points"') < html.index('id="contents"') < html.index("Some narrative")
    meta = json.loads((tmp_path / "reports" / "kp.meta.json").read_text())
    assert meta["key_points"] == out.key_points == ["Fewer left early.", "Most stayed."]


def test_tables_download_beside_the_report_and_every_image_has_alt_text(tmp_path, caplog):
    (tmp_path / "notebooks").mkdir()
    notebook = make_notebook(tmp_path / "notebooks" / "tab.ipynb", extra=[SHOW])
    stale = tmp_path / "reports" / "tab" / "tables" / "old_table.csv"
    stale.parent.mkdir(parents=True)
    stale.write_text("a\n1\n")
    render_into(tmp_path, notebook, parameters={"multiplier": 1})
    html = (tmp_path / "reports" / "tab.html").read_text()
    assert not stale.exists()
    csv = tmp_path / "reports" / "tab" / "tables" / "children_by_area.csv"
    assert re.search(r'<a [^>]*href="tab/tables/children_by_area.csv"[^>]*>Download this table \(CSV\)', html)
    table = pd.read_csv(csv, index_col=0)
    assert table.to_dict("records") == [{"area": "<script>", "children": 4386, "p": "<0.001"}]
    assert "<td>&lt;script&gt;</td>" in html and '<td class="num">4,386</td>' in html  # text left, numbers right
    assert '<div class="table-scroll"><table' in html
    images = re.findall(r"<img\b[^>]*>", html)
    assert len(images) == 2
    assert 'alt="A rising line"' in images[0]
    assert 'alt="Figure: Detail"' in images[1]  # from its section heading, not nbconvert's placeholder
    assert "tab.html: an image had no alt text" in caplog.text
    meta = json.loads((tmp_path / "reports" / "tab.meta.json").read_text())
    assert meta["figure"]["alt"] == "A rising line" and meta["figure"]["src"].startswith("data:image/png;base64,")
    provenance = html[html.index("id='provenance'") :]
    assert "<th>tables_dir</th><td><code>../reports/tab/tables</code>" in provenance
    assert "<th>results_path</th><td><code>../results/tab/results.json</code>" in provenance


def test_banner_says_synthetic_from_the_inputs_with_years_and_authority_names(tmp_path, monkeypatch):
    (tmp_path / "notebooks").mkdir()
    notebook = make_notebook(tmp_path / "notebooks" / "status.ipynb")
    processed = tmp_path / "data" / "processed" / "scotland"
    processed.mkdir(parents=True)
    pupils = pd.DataFrame({"school_year": [2019, 2021], "la_code": ["S12000005", "S12000005"]})
    pupils.to_parquet(processed / "pupils.parquet")
    (processed / "quality.json").write_text(
        json.dumps(
            {
                "tables": {"pupils": {"rows_in": 1200, "rows_dropped": 3, "cells_blanked": 7}},
                "flagged": ["pupils 2019 <lost 40%>"],
            }
        )
    )
    truth = tmp_path / "data/raw/synthetic/scotland/truth.yaml"
    inputs = [processed / "pupils.parquet", processed / "quality.json", truth]
    monkeypatch.chdir(tmp_path)  # inputs as snakemake names them: relative to the project folder
    render_into(tmp_path, notebook, inputs=[str(p.relative_to(tmp_path)) for p in inputs])
    html = (tmp_path / "reports" / "status.html").read_text()
    banner = html[html.index('id="data-status"') : html.index("</section>", html.index('id="data-status"'))]
    banner = " ".join(banner.split())
    assert html.index('id="data-status"') < html.index("Some narrative")
    assert "Synthetic data" in banner and "years 2019 to 2021" in banner
    assert "Clackmannanshire (S12000005)" in banner
    assert "1,200 rows read, 3 dropped, 7 cells blanked" in banner
    assert "Flagged: pupils 2019 &lt;lost 40%&gt;" in banner
    meta = json.loads((tmp_path / "reports" / "status.meta.json").read_text())
    assert meta["data_status"]["synthetic"] is True
    assert meta["data_status"]["sources"][0]["quality"] == "data/processed/scotland/quality.json"


def test_real_returns_are_not_called_synthetic():
    from lac_outcomes.report_index import data_status

    assert data_status(["/secure/data/processed/england/quality.json"], {"truth_path": ""})["synthetic"] is False
    assert data_status([], {"truth_path": "../data/raw/synthetic/england/truth.yaml"})["synthetic"] is True
    assert data_status(["data/raw/synthetic/x.yaml"], {"synthetic": False})["synthetic"] is False


def test_failing_notebook_names_the_cell_and_leaves_no_report(tmp_path):
    notebook = make_notebook(tmp_path / "broken.ipynb", body="raise ValueError('bad data')")
    # cell 3: papermill injects results_path and tables_dir after the parameters cell
    with pytest.raises(NotebookFailed, match=r"broken.ipynb failed in cell 3: ValueError: bad data"):
        render.render(
            notebook,
            executed=tmp_path / "broken.executed.ipynb",
            html=tmp_path / "broken.html",
            meta=tmp_path / "broken.meta.json",
            parameters={},
            inputs=[],
            config_sha256="x",
        )
    assert not (tmp_path / "broken.html").exists()
    assert not (tmp_path / "broken.executed.ipynb").exists()
    assert (tmp_path / "broken.executed.failed.ipynb").exists()


def test_numbers_align_right_and_text_left():
    table = (
        "<table><thead><tr><th></th><th>Indicator</th><th>Children</th><th>HR (95% CI)</th></tr></thead>"
        "<tbody><tr><th>0</th><td>Looked after, at 31 March</td><td>4,386</td><td>1.08 (1.01 to 1.16)</td></tr>"
        "<tr><th>1</th><td>Started</td><td>c</td><td>&lt;0.001</td></tr></tbody></table>"
    )
    aligned = render.align_numbers(table)
    assert re.findall(r'<th class="num">([^<]*)<', aligned) == ["Children", "HR (95% CI)"]
    assert re.findall(r'<td class="num">([^<]*)<', aligned) == ["4,386", "1.08 (1.01 to 1.16)", "c", "&lt;0.001"]
    assert "<td>Looked after, at 31 March</td>" in aligned and "<td>Started</td>" in aligned


def test_columns_are_matched_from_the_right_when_row_labels_span_rows():
    table = (
        "<table><thead><tr><th></th><th></th><th>Area name</th><th>Children</th></tr></thead><tbody>"
        "<tr><th rowspan='2'>Fife</th><th>2019</th><td>Kirkcaldy</td><td>66</td></tr>"
        "<tr><th>2020</th><td>Glenrothes</td><td>c</td></tr></tbody></table>"
    )
    aligned = render.align_numbers(table)
    assert re.findall(r'<th class="num">([^<]*)<', aligned) == ["Children"]
    assert re.findall(r'<td class="num">([^<]*)<', aligned) == ["66", "c"]


def test_rendering_as_the_rule_imports_it_skips_rfc3987_syntax_grammars():
    """The rule's script imports render first: jsonschema (via nbformat) must not build rfc3987_syntax's grammars."""
    probe = (
        "import sys\n"
        "from lac_outcomes import render\n"
        "print('jsonschema' in sys.modules, sys.modules.get('rfc3987_syntax', 'absent'))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["True", "None"]
