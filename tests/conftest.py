import sys
from pathlib import Path

import pytest

# Test helpers (pipeline_support) import as plain modules.
sys.path.insert(0, str(Path(__file__).parent))


def pytest_collection_modifyitems(items):
    """A test that needs a finished pipeline run is an end-to-end test, wherever it lives: mark it ``pipeline``."""
    for item in items:
        if "reference_run" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.pipeline)


@pytest.fixture(scope="session")
def reference_run(tmp_path_factory):
    """One uninterrupted run of the small config, shared by the pipeline tests: (workdir, None).

    How long it takes is measured by benchmarks/, not asserted here.
    """
    from pipeline_support import copy_project, snakemake

    workdir = copy_project(tmp_path_factory.mktemp("reference"))
    snakemake(workdir)
    return workdir, None
