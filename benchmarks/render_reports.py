"""Render time of real reports on a finished run's data: wall, CPU and peak memory per report.

Each report is rendered as the rule renders it (`python -m lac_outcomes render`: papermill, then
the HTML, one BLAS thread), from this checkout's notebooks and code, with the parameters the run gave it (read from
the run's executed notebook) pointed at that run's processed data.  Nothing is written into the run:
results, tables and pages go to a temporary folder.  Prints the median of --repeat renders per
report, and the time the notebook itself took (papermill's record) beside the whole job.
Run: .venv/bin/python benchmarks/render_reports.py RUN_DIR [REPORT ...] [--repeat 3]
(RUN_DIR: a project folder after `make run`, e.g. a national-scale run; all reports by default.)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

PROJECT = Path(__file__).resolve().parents[1]
OUTPUT_PARAMETERS = ("results_path", "tables_dir")
SAMPLE_SECONDS = 0.05
# What Snakemake sets for a job of one thread (render_report declares threads: 1): one BLAS thread.
ONE_THREAD = dict.fromkeys(
    (
        "OMP_NUM_THREADS",
        "GOTO_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "VECLIB_MAXIMUM_THREADS",
        "NUMEXPR_NUM_THREADS",
    ),
    "1",
)


def run_parameters(run: Path, report: str) -> tuple[Path, dict]:
    """The notebook and papermill parameters the run used for ``report``, data paths made absolute."""
    executed = json.loads((run / "results" / report / f"{report}.executed.ipynb").read_text())
    papermill = executed["metadata"]["papermill"]
    notebook = PROJECT / papermill["input_path"]
    parameters = {}
    for name, value in papermill["parameters"].items():
        if isinstance(value, str) and value.startswith("../") and name not in OUTPUT_PARAMETERS:
            value = str((run / "notebooks" / value).resolve())
        parameters[name] = value
    return notebook, parameters


def data_inputs(parameters: dict) -> list[str]:
    """The files the rule names as a report's data: its processed tables, quality record and published files."""
    inputs = []
    for value in parameters.values():
        if not isinstance(value, str) or not os.path.isabs(value):
            continue
        path = Path(value)
        if path.is_dir():
            inputs += sorted(str(p) for p in path.iterdir() if p.suffix in (".parquet", ".json"))
        elif path.is_file():
            inputs.append(str(path))
    return inputs


def render_once(notebook: Path, parameters: dict, out: Path, report: str) -> dict:
    executed = out / "results" / report / f"{report}.executed.ipynb"
    command = [
        sys.executable,
        "-m",
        "lac_outcomes",
        "render",
        "--notebook",
        str(notebook.relative_to(PROJECT)),
        "--executed",
        str(executed),
        "--html",
        str(out / "reports" / f"{report}.html"),
        "--meta",
        str(out / "reports" / f"{report}.meta.json"),
        "--parameters",
        json.dumps(parameters),
        "--config-sha256",
        "benchmark",
        "--inputs",
        *data_inputs(parameters),
    ]
    start = time.perf_counter()
    with open(out / "render.log", "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=PROJECT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **ONE_THREAD, "PYTHONPATH": str(PROJECT / "src")},
        )
        cpu, peak = watch(process)
    wall = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"{report}: render failed:\n{(out / 'render.log').read_text()[-3000:]}")
    notebook_seconds = json.loads(executed.read_text())["metadata"]["papermill"]["duration"]
    return {"wall": wall, "cpu": cpu, "notebook": notebook_seconds, "peak_mb": peak / 2**20}


def watch(process: subprocess.Popen) -> tuple[float, int]:
    """CPU seconds (user + sys) and peak resident bytes of a process and its descendants.

    The Jupyter kernel is not reaped by the render process, so neither rusage nor
    /usr/bin/time counts it: sample the process tree instead (the last sample of
    each process stands, so up to one interval of CPU at its end is missed).
    """
    root = psutil.Process(process.pid)
    cpu_by_pid: dict[int, float] = {}
    peak = 0
    while process.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        for proc in tree:
            try:
                times = proc.cpu_times()
                cpu_by_pid[proc.pid] = times.user + times.system
                peak = max(peak, proc.memory_info().rss)
            except psutil.NoSuchProcess:
                pass
        time.sleep(SAMPLE_SECONDS)
    return sum(cpu_by_pid.values()), peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a project folder after a run (its data and results/)")
    parser.add_argument("reports", nargs="*", help="reports to render (default: every one the run rendered)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    run = args.run.resolve()
    reports = args.reports or sorted(p.parent.name for p in run.glob("results/*/*.executed.ipynb"))
    print(f"median of {args.repeat} renders, seconds (CPU: user + sys of render and kernel; peak: largest process)")
    print(f"{'report':28} {'wall':>7} {'CPU':>7} {'notebook':>9} {'outside':>8} {'peak MB':>8}")
    total_wall = total_cpu = 0.0
    for report in reports:
        notebook, parameters = run_parameters(run, report)
        samples = []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory(prefix="render-bench-") as tmp:
                out = Path(tmp)
                parameters_here = dict(parameters)
                parameters_here["results_path"] = str(out / "results" / report / "results.json")
                parameters_here["tables_dir"] = str(out / "reports" / report / "tables")
                samples.append(render_once(notebook, parameters_here, out, report))
        wall = statistics.median(s["wall"] for s in samples)
        cpu = statistics.median(s["cpu"] for s in samples)
        inside = statistics.median(s["notebook"] for s in samples)
        peak = max(s["peak_mb"] for s in samples)
        total_wall, total_cpu = total_wall + wall, total_cpu + cpu
        print(f"{report:28} {wall:7.1f} {cpu:7.1f} {inside:9.1f} {wall - inside:8.1f} {peak:8.0f}", flush=True)
    print(f"{'total':28} {total_wall:7.1f} {total_cpu:7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
