"""The small config through a real single-node SLURM: every job through sbatch, outputs as a local run's."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess

import pytest
from pipeline_support import ROOT, copy_project, processed_bytes, report_content, snakemake

pytestmark = [pytest.mark.slurm, pytest.mark.pipeline]

SETUP = ROOT / "scripts" / "slurm_setup.sh"


@pytest.fixture(scope="module")
def cluster() -> dict[str, str]:
    """A running single-node SLURM with accounting (scripts/slurm_setup.sh): its account and partition."""
    if os.geteuid() != 0:
        pytest.skip("a SLURM cluster needs root to start its daemons (scripts/slurm_setup.sh)")
    if shutil.which("apt-get") is None and shutil.which("slurmctld") is None:
        pytest.skip("no Debian packages to install SLURM from (apt-get) and no SLURM installed")
    pytest.importorskip(
        "snakemake_executor_plugin_slurm", reason="the SLURM plugin: pip install -r requirements-slurm.lock"
    )
    setup = subprocess.run(["bash", str(SETUP)], capture_output=True, text=True, timeout=1200)
    assert setup.returncode == 0, f"scripts/slurm_setup.sh failed:\n{setup.stdout[-2000:]}\n{setup.stderr[-3000:]}"
    return dict(pair.split("=", 1) for pair in setup.stdout.strip().splitlines()[-1].split())


def test_the_small_config_through_slurm_gives_the_local_runs_outputs(cluster, reference_run, tmp_path):
    reference, _ = reference_run
    workdir = copy_project(tmp_path / "project")
    profile = workdir / "profiles" / "slurm" / "config.yaml"
    profile.write_text(
        profile.read_text()
        .replace('"CHANGE_ME"', f'"{cluster["account"]}"')
        .replace('"standard"', f'"{cluster["partition"]}"')
    )
    submitted_after = (dt.datetime.now() - dt.timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%S")
    snakemake(workdir, "--profile", "profiles/slurm")

    # Every job but the local rule `all` went through sbatch, ran under the profile's account, and completed.
    sacct = subprocess.run(
        ["sacct", "-n", "-X", "-P", "-S", submitted_after, "-o", "JobID,State,Account,WorkDir"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    jobs = [line.split("|") for line in sacct if line.split("|")[3] == str(workdir)]
    # The local run's jobs: every rule but `all` writes one log per job.
    planned = len(list((reference / "logs").rglob("*.log")))
    assert planned >= 24, "the small config runs 24 jobs or more: 17 reports, and the steps before them"
    assert len(jobs) == planned, sacct
    assert all(state == "COMPLETED" and account == cluster["account"] for _, state, account, _ in jobs), jobs

    assert processed_bytes(workdir) == processed_bytes(reference)
    assert report_content(workdir) == report_content(reference)
