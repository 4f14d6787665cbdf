"""How long each rendered page takes to load in headless Chromium with the network disabled.

Prints, per page, the browser's own load time (navigation start to the load
event, from the Navigation Timing API) and the wall time of the whole Chromium
run (start-up included), then the slowest page.  The target is under 2 s per
page with no network; a page that waited on a CDN took 16 s.
Run after the pipeline: .venv/bin/python benchmarks/report_load.py [reports/]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from chromium_support import CHROMIUM, measure  # noqa: E402

TARGET_MS = 2000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="?", default="reports", help="folder of rendered pages (default: reports)")
    args = parser.parse_args()
    if CHROMIUM is None:
        print("chromium not installed (scripts/install_system_packages.sh installs it as root)")
        return 1
    pages = sorted(Path(args.reports).resolve().glob("*.html"))
    if not pages:
        print(f"no pages in {args.reports}: run the pipeline first")
        return 1
    print(f"{'page':40} {'load (ms)':>10} {'chromium run (s)':>17} {'size (KB)':>10}")
    loads = {}
    for page in pages:
        started = time.perf_counter()
        seen = measure(page)
        wall = time.perf_counter() - started
        loads[page.name] = seen["load_ms"]
        print(f"{page.name:40} {seen['load_ms']:10.0f} {wall:17.2f} {page.stat().st_size / 1024:10.0f}")
    slowest = max(loads, key=loads.get)
    verdict = "within" if loads[slowest] < TARGET_MS else "OVER"
    print(f"slowest: {slowest} {loads[slowest]:.0f} ms ({verdict} the {TARGET_MS} ms target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
