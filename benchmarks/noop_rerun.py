"""Wall time of a no-op rerun: snakemake on a finished run of the small config, nothing to do.

Builds the finished run once in a throwaway copy of the project (as the pipeline
tests do), then times --repeat reruns and prints the median and the range.
Run: .venv/bin/python benchmarks/noop_rerun.py [--repeat 5] [--workdir DIR]
(--workdir: an already finished run to time instead of building one).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from pipeline_support import copy_project, snakemake  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path, help="a finished run of tests/config/small.yaml")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        workdir = args.workdir
        if workdir is None:
            workdir = copy_project(Path(scratch))
            started = time.perf_counter()
            snakemake(workdir)
            print(f"full run of tests/config/small.yaml: {time.perf_counter() - started:.1f} s")
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            result = snakemake(workdir)
            times.append(time.perf_counter() - started)
            if "Nothing to be done" not in result.stdout + result.stderr:
                raise SystemExit("the rerun had work to do: not a no-op")
        spread = f"min {min(times):.2f}, max {max(times):.2f}, n={len(times)}"
        print(f"no-op rerun: median {statistics.median(times):.2f} s ({spread})")


if __name__ == "__main__":
    main()
