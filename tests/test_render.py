import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from lac_outcomes import render
from lac_outcomes.render import NotebookFailed


def make_notebook(path, body="answer = multiplier * 21"):
    nb = new_notebook(
        cells=[
            new_markdown_cell("# A trivial report\n\nSome narrative."),
            new_code_cell("multiplier = 1", metadata={"tags": ["parameters"]}),
            new_code_cell(body),
            new_code_cell("print(f'The answer is {answer}.')", metadata={"tags": ["summary"]}),
            new_code_cell("import sys; print('a warning', file=sys.stderr)"),
        ]
    )
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


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
    assert meta == {"title": "A trivial report", "summary": "The answer is 42.", "html": "trivial.html", "notebook": str(notebook)}
    assert out.summary == "The answer is 42."
    assert "The answer is 42." in html
    assert "answer = multiplier" not in html  # code hidden
    assert "a warning" not in html  # stderr goes to the log
    provenance = html[html.index("id='provenance'"):]
    assert "abc123" in provenance and "<th>multiplier</th><td><code>2</code>" in provenance
    assert "input.csv" in html and "pandas" in html
    executed = nbformat.read(tmp_path / "out" / "trivial.executed.ipynb", as_version=4)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in executed.cells)
    assert not list(tmp_path.joinpath("out").glob(".*"))  # no temporary files left behind


def test_failing_notebook_names_the_cell_and_leaves_no_report(tmp_path):
    notebook = make_notebook(tmp_path / "broken.ipynb", body="raise ValueError('bad data')")
    with pytest.raises(NotebookFailed, match=r"broken.ipynb failed in cell 2: ValueError: bad data"):
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
