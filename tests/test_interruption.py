"""A killed run resumes to the same result; two runs give the same bytes."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from pipeline_support import LOCAL_ENV, SNAKEMAKE, copy_project, processed_bytes, raw_bytes, report_content, snakemake

pytestmark = pytest.mark.pipeline


def start(workdir: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [str(SNAKEMAKE), "--configfile", "tests/config/small.yaml"],
        cwd=workdir,
        env=LOCAL_ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill reaches the jobs too
    )


def kill_when(process: subprocess.Popen, started: Path, sig: int, delay: float, timeout: float = 300) -> None:
    """Send ``sig`` to the whole run ``delay`` seconds after ``started`` (a rule's log) appears."""
    deadline = time.monotonic() + timeout
    while not started.exists():
        if process.poll() is not None:
            raise AssertionError(f"run ended before {started} appeared")
        if time.monotonic() > deadline:
            raise AssertionError(f"{started} never appeared")
        time.sleep(0.05)
    time.sleep(delay)
    assert process.poll() is None, "the run finished before it could be interrupted"
    os.killpg(process.pid, sig)
    process.wait(timeout=60)


def half_written(workdir: Path) -> list[Path]:
    """Temporary files of an atomic write, or empty outputs, under the output folders."""
    # Markers that are empty on purpose: git's, and the one snakemake puts in a directory() output.
    markers = {".gitkeep", ".snakemake_timestamp"}
    found = []
    for folder in ("data/processed", "reports", "results", "data/raw/synthetic"):
        for path in (workdir / folder).rglob("*"):
            if path.is_file() and path.name not in markers and (path.name.startswith(".") or path.stat().st_size == 0):
                found.append(path)
    return found


@pytest.mark.parametrize(
    "sig, log, delay",
    [
        (signal.SIGTERM, "logs/render_report/calibration.log", 2.0),
        (signal.SIGKILL, "logs/render_report/calibration.log", 2.0),
        (signal.SIGTERM, "logs/clean_scotland/clean_scotland.log", 0.0),
        (signal.SIGKILL, "logs/clean_scotland/clean_scotland.log", 0.0),
    ],
    ids=["sigterm-notebook", "sigkill-notebook", "sigterm-clean", "sigkill-clean"],
)
def test_killed_run_resumes_to_the_uninterrupted_result(tmp_path, reference_run, sig, log, delay):
    reference, _ = reference_run
    workdir = copy_project(tmp_path)
    kill_when(start(workdir), workdir / log, sig, delay)
    assert not (workdir / "reports" / "index.html").exists()
    # Whatever the kill left must not be taken as done: only complete files under their final names.
    leftovers = [p for p in half_written(workdir) if not p.name.startswith(".")]
    assert leftovers == []
    if sig == signal.SIGKILL:
        # A hard kill leaves snakemake's lock behind; the documented recovery is to unlock, then rerun.
        snakemake(workdir, "--unlock")
    snakemake(workdir)
    assert processed_bytes(workdir) == processed_bytes(reference)
    assert report_content(workdir) == report_content(reference)
    assert half_written(workdir) == []


def test_two_runs_give_identical_data_and_reports(tmp_path, reference_run):
    reference, _ = reference_run
    workdir = copy_project(tmp_path)
    snakemake(workdir)
    assert raw_bytes(workdir) == raw_bytes(reference)
    assert processed_bytes(workdir) == processed_bytes(reference)
    assert report_content(workdir) == report_content(reference)
