"""Run the workflow in a throwaway copy of the project, as a fresh clone would."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"


def project_files() -> list[str]:
    """Tracked files plus untracked ones git does not ignore: what a commit of this tree would hold."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return [f for f in listed if (ROOT / f).is_file()]


def copy_project(destination: Path) -> Path:
    for name in project_files():
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    return destination


SMALL = "tests/config/small.yaml"


# The SLURM executor plugin asks `scontrol show config` for a default when snakemake starts; with SLURM
# installed but no controller running (this machine between SLURM tests) that waits 10 s per start. Local
# runs need no SLURM: they go without its configuration, as `make run` does.
LOCAL_ENV = {**os.environ, "SLURM_CONF": os.devnull}


def snakemake(workdir: Path, *args: str, check: bool = True, configfile: str = SMALL) -> subprocess.CompletedProcess:
    on_slurm = "profiles/slurm" in args
    result = subprocess.run(
        [str(SNAKEMAKE), *args, "--configfile", configfile],  # after the targets: it takes several values
        cwd=workdir,
        capture_output=True,
        text=True,
        env=None if on_slurm else LOCAL_ENV,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}")
    return result


def planned_jobs(workdir: Path, *args: str, configfile: str = SMALL) -> dict[str, int]:
    """Jobs a dry run would execute, by rule, from its first job table."""
    output = snakemake(workdir, "--dry-run", *args, configfile=configfile).stdout
    jobs, in_table = {}, False
    for line in output.splitlines():
        parts = line.split()
        if parts[:2] == ["job", "count"]:
            in_table = True
        elif in_table and parts and parts[0] == "total":
            break
        elif in_table and len(parts) == 2 and parts[1].isdigit():
            jobs[parts[0]] = int(parts[1])
    return jobs


RUN_DATE = re.compile(r"(<(td|span) class='run-date'>)[^<]*(</\2>)")


def copy_run(finished: Path, destination: Path) -> Path:
    """A finished run copied whole, Snakemake's records and file times included, to edit without touching it."""
    shutil.copytree(finished, destination, symlinks=True, dirs_exist_ok=True)
    return destination


def report_content(workdir: Path) -> dict[str, str]:
    """Every rendered page with its run date blanked: the part that must not change between runs."""
    return {p.name: RUN_DATE.sub(r"\1\3", p.read_text()) for p in sorted((workdir / "reports").glob("*.html"))}


def processed_bytes(workdir: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(workdir)): p.read_bytes()
        for p in sorted((workdir / "data" / "processed").rglob("*"))
        if p.is_file()
    }


def raw_bytes(workdir: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(workdir)): p.read_bytes()
        for p in sorted((workdir / "data" / "raw" / "synthetic").rglob("*"))
        if p.is_file()
    }
