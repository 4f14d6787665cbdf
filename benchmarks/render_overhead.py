"""Fixed cost of one rendered report: a trivial notebook through the project's render path.

Prints wall times (median of --repeat runs) for
  * the project's path: `python -m lac_outcomes render` (papermill API + nbconvert's
    HTMLExporter in one process), as the Snakemake rule runs it;
  * the two-CLI baseline: `papermill` then `jupyter nbconvert --to html --no-input`.
Run: .venv/bin/python benchmarks/render_overhead.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

BIN = Path(sys.executable).parent


def trivial_notebook(path: Path) -> Path:
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Trivial"),
            new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
            new_code_cell("print(x + 1)", metadata={"tags": ["summary"]}),
        ]
    )
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        nb = trivial_notebook(tmp / "trivial.ipynb")
        project = [
            str(BIN / "python"),
            "-m",
            "lac_outcomes",
            "render",
            "--notebook",
            str(nb),
            "--executed",
            str(tmp / "out.ipynb"),
            "--html",
            str(tmp / "out.html"),
            "--meta",
            str(tmp / "out.json"),
            "--parameters",
            '{"x": 2}',
            "--config-sha256",
            "benchmark",
        ]
        papermill = [
            str(BIN / "papermill"),
            str(nb),
            str(tmp / "pm.ipynb"),
            "-p",
            "x",
            "2",
            "-k",
            "python3",
            "--no-progress-bar",
        ]
        nbconvert = [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(tmp / "pm.ipynb")]
        ours, baseline = [], []
        for _ in range(args.repeat):
            ours.append(timed(project, tmp))
            baseline.append(timed(papermill, tmp) + timed(nbconvert, tmp))
    print(f"trivial notebook, median of {args.repeat} runs")
    print(f"  project render path (one process):   {statistics.median(ours):.2f} s")
    print(f"  papermill CLI + nbconvert CLI:       {statistics.median(baseline):.2f} s")
    print(f"  ratio:                               {statistics.median(ours) / statistics.median(baseline):.2f}")


if __name__ == "__main__":
    main()
