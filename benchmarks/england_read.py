"""Cost of reading SSDA903 returns per file: the reader as it runs, file by file, and the CSV parse alone.

Prints, for every LA folder under --raw read as one read_england job reads its LAs:
  * the reader (lac_outcomes.england.reader.read_returns: plain files parsed together in one pyarrow
    pass, clean files checked many at a time);
  * the reader with every file parsed line by line in Python (readers.read_rows), as before plain files;
  * the reader file by file (every file through the per-file path, as before issue 13);
  * parsing each file with lac_outcomes.readers.read_rows and nothing else (the old floor);
as total seconds and milliseconds per file.  Without --raw, a small synthetic set is made first.
Run: .venv/bin/python benchmarks/england_read.py [--raw data/raw/synthetic/england --years 2015-2024]
     [--las 5] [--las-per-job 15]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from unittest import mock

from lac_outcomes.england import reader
from lac_outcomes.england.layout import tables_for_year
from lac_outcomes.england.simulate import write_synthetic_returns
from lac_outcomes.readers import read_rows


def years_of(text: str) -> list[int]:
    first, _, last = text.partition("-")
    return list(range(int(first), int(last or first) + 1))


def timed(function) -> tuple[float, float]:
    """Wall and CPU seconds (CPU time is the steadier figure on a shared machine)."""
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, help="a folder of LA folders (default: a small synthetic set)")
    parser.add_argument("--years", default="2015-2024")
    parser.add_argument("--las", type=int, help="read only the first LAS local authorities")
    parser.add_argument("--las-per-job", type=int, default=15, help="LAs read together, as one read_england job")
    parser.add_argument("--skip-file-by-file", action="store_true", help="leave out the slow path")
    args = parser.parse_args()
    years = years_of(args.years)
    with tempfile.TemporaryDirectory() as scratch:
        raw = args.raw
        if raw is None:
            raw = Path(scratch) / "england"
            write_synthetic_returns(raw, seed=11, years=years, n_las=3, children_per_la=300)
        sources = reader.sources_from_tree(raw, years)
        las = sorted({s.la for s in sources})[: args.las]
        sources = [s for s in sources if s.la in set(las)]
        jobs = [
            [s for s in sources if s.la in set(las[i : i + args.las_per_job])]
            for i in range(0, len(las), args.las_per_job)
        ]
        files = [
            (path, tables_for_year(s.year)[name].column_names)
            for s in sources
            for name, path in reader.find_table_files(s)[0].items()
        ]
        n = len(files)

        def report(label: str, seconds: tuple[float, float]) -> None:
            wall, cpu = seconds
            print(
                f"{label:<34} wall {wall:7.1f} s {wall / n * 1000:7.2f} ms/file"
                f"   cpu {cpu:7.1f} s {cpu / n * 1000:7.2f} ms/file"
            )

        print(f"{n} files, {len(las)} LAs, {len(years)} years, {len(jobs)} read job(s) of {args.las_per_job} LAs")
        report("CSV parse only (read_rows)", timed(lambda: [read_rows(p, c, allow_extra=True) for p, c in files]))
        report("reader (files checked together)", timed(lambda: [reader.read_returns(job) for job in jobs]))
        with mock.patch.object(reader, "plain_csv", lambda path, columns: None):
            report("reader, every file parsed by line", timed(lambda: [reader.read_returns(job) for job in jobs]))
        if not args.skip_file_by_file:
            with mock.patch.object(reader, "_batchable", lambda raw: False):
                report("reader, file by file", timed(lambda: [reader.read_returns(job) for job in jobs]))


if __name__ == "__main__":
    main()
