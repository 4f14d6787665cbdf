"""Finished runs of the small test configs, each made once per test session in a throwaway copy of the project."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

CONFIGS = ("small", "one_la", "tiny")
_runs: dict[str, Run] = {}


@dataclass
class Run:
    config: str
    workdir: Path
    returncode: int
    log_tail: str

    @property
    def settings(self) -> dict:
        return yaml.safe_load((self.workdir / "tests" / "config" / f"{self.config}.yaml").read_text())

    def check_completed(self) -> None:
        assert self.returncode == 0, (
            f"the pipeline on tests/config/{self.config}.yaml did not complete:\n{self.log_tail}"
        )


def finished_run(config: str, tmp_path_factory, request=None) -> Run:
    """The run of ``tests/config/<config>.yaml``; the small one is the suite's reference run where it exists."""
    if config in _runs:
        return _runs[config]
    from pipeline_support import SNAKEMAKE, copy_project

    if config == "small" and request is not None:
        try:  # the suite's end-to-end run of the small config, so it runs once in the whole suite
            workdir = request.getfixturevalue("reference_run")[0]
        except pytest.FixtureLookupError:
            workdir = None
        if workdir is not None:
            _runs[config] = Run(config, Path(workdir), 0, "")
            return _runs[config]
    workdir = copy_project(tmp_path_factory.mktemp(f"attack_{config}"))
    # --keep-going: a report that fails still leaves the others to attack; the test says the run failed
    result = subprocess.run(
        [str(SNAKEMAKE), "--configfile", f"tests/config/{config}.yaml", "--keep-going"],
        cwd=workdir,
        capture_output=True,
        text=True,
    )
    output = result.stdout + result.stderr
    errors = [line for line in output.splitlines() if "Error in rule" in line or "ERROR" in line]
    _runs[config] = Run(config, workdir, result.returncode, "\n".join(errors[:20]) + "\n" + output[-1500:])
    return _runs[config]
