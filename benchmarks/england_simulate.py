"""Cost of the simulate_england step (and, given cleaned returns, of clean_england_pupils), as the rules run them.

Each run is a fresh Python process calling the rule's package function
(lac_outcomes.england.simulate.simulate_england; lac_outcomes.england.education.clean_education),
so imports count as they do in the pipeline.  Prints every run's wall time, CPU time (user + system:
the steadier figure on a shared machine) and peak memory, then the medians.
Default scale: the pipeline's default, national (all 153 LAs sized to England's 83,630), 2015-2024.
Run: .venv/bin/python benchmarks/england_simulate.py [--runs 3] [--n-las 10] [--children-per-la 120]
     [--years 2015-2024] [--keep DIR] [--pupils-from data/processed/england]
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

SIMULATE = """
import sys, json
from pathlib import Path
from lac_outcomes.england.simulate import simulate_england
args = json.loads(sys.argv[1])
simulate_england(Path(args["out"]), seed=20240331, years=args["years"], n_las=args["n_las"],
                 children_per_la=args["children_per_la"])
"""

CLEAN_PUPILS = """
import sys, json
from pathlib import Path
from lac_outcomes.england.education import clean_education
args = json.loads(sys.argv[1])
clean_education(Path(args["pupils"]), Path(args["processed"]), Path(args["out"]))
"""


def years_of(text: str) -> list[int]:
    first, _, last = text.partition("-")
    return list(range(int(first), int(last or first) + 1))


def run(code: str, arguments: dict) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak resident memory (GB) of one fresh process."""
    with tempfile.TemporaryFile(mode="w+") as errors:
        wall = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-c", code, json.dumps(arguments)], stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)  # this process's own CPU time and peak memory
        wall = time.perf_counter() - wall
        if os.waitstatus_to_exitcode(status):
            errors.seek(0)
            sys.exit(errors.read())
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024**2


def report(label: str, figures: list[tuple[float, float, float]]) -> None:
    for number, (wall, cpu, peak) in enumerate(figures, start=1):
        print(f"{label} run {number}: wall {wall:6.1f} s   cpu {cpu:6.1f} s   peak {peak:4.2f} GB")
    wall, cpu = statistics.median(f[0] for f in figures), statistics.median(f[1] for f in figures)
    print(f"{label} median of {len(figures)}: wall {wall:6.1f} s   cpu {cpu:6.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--n-las", default="all", help='"all" or a number of LAs')
    parser.add_argument("--children-per-la", default="national", help='"national" or looked after in an average LA')
    parser.add_argument("--years", default="2015-2024")
    parser.add_argument("--keep", type=Path, help="write the returns here and keep them (default: a temporary folder)")
    parser.add_argument(
        "--pupils-from",
        type=Path,
        help="cleaned returns (Header.parquet, Episodes.parquet) of the same settings: time clean_education too",
    )
    args = parser.parse_args()
    n_las = args.n_las if args.n_las == "all" else int(args.n_las)
    per_la = args.children_per_la if args.children_per_la == "national" else int(args.children_per_la)
    years = years_of(args.years)
    print(f"scale: n_las {n_las}, children_per_la {per_la}, years {years[0]}-{years[-1]}, seed 20240331")
    with tempfile.TemporaryDirectory() as scratch:
        out = args.keep or Path(scratch) / "england"
        settings = {"out": str(out), "years": years, "n_las": n_las, "children_per_la": per_la}
        report("simulate_england", [run(SIMULATE, settings) for _ in range(args.runs)])
        files = sum(1 for path in out.rglob("*") if path.is_file())
        megabytes = sum(path.stat().st_size for path in out.rglob("*") if path.is_file()) / 1024**2
        print(f"simulate_england wrote {files} files, {megabytes:.0f} MB")
        if args.pupils_from:
            settings = {"pupils": str(out / "pupils.csv"), "processed": str(args.pupils_from), "out": scratch + "/pup"}
            report("clean_england_pupils", [run(CLEAN_PUPILS, settings) for _ in range(args.runs)])


if __name__ == "__main__":
    main()
