import sys
from pathlib import Path

# Test helpers (pipeline_support) import as plain modules.
sys.path.insert(0, str(Path(__file__).parent))

import time

import pytest


@pytest.fixture(scope="session")
def reference_run(tmp_path_factory):
    """One uninterrupted run of the small config, shared by the pipeline tests."""
    from pipeline_support import copy_project, snakemake

    workdir = copy_project(tmp_path_factory.mktemp("reference"))
    started = time.perf_counter()
    snakemake(workdir)
    return workdir, time.perf_counter() - started
