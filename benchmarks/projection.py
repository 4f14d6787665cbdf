"""Wall time of the projection report's computation (lac_outcomes.projection.build) per nation, and its parts.

Reads the processed data of a finished run (default: data/processed of this
checkout) with the settings of the report in config/config.yaml, and prints
seconds for loading, the monthly panel, the back-test and the whole build, with
the back-test coverage (by years ahead and by placement) and the median width
of the 95% intervals relative to the central projection.  Run:
.venv/bin/python benchmarks/projection.py [--nation scotland|england]
[--config config/config.yaml] [--processed DIR] [--trend] (the machine's load makes these upper bounds).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import yaml

from lac_outcomes import projection
from lac_outcomes.disclosure import DisclosurePolicy
from lac_outcomes.england import projection as england_projection
from lac_outcomes.scotland import projection as scotland_projection

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nation", choices=["scotland", "england"], default="scotland")
    parser.add_argument("--config", type=Path, default=ROOT / "config" / "config.yaml")
    parser.add_argument("--trend", action="store_true", help="project entries on the window's trend")
    parser.add_argument("--processed", type=Path, default=ROOT / "data" / "processed", help="processed data folder")
    args = parser.parse_args()
    config = yaml.safe_load(args.config.read_text())
    settings = dict(config["reports"][f"projection_{args.nation}"]["parameters"])
    settings["entry_trend"] = args.trend or settings.get("entry_trend", False)
    years = config[args.nation]["years"]
    adapter = {"scotland": scotland_projection, "england": england_projection}[args.nation]
    t0 = time.perf_counter()
    histories = adapter.load(args.processed / args.nation, years["first"], years["last"])
    t1 = time.perf_counter()
    panel = projection.monthly_panel(histories)
    t2 = time.perf_counter()  # the back-test below uses build()'s seed, so its figures are the report's
    test = projection.back_test(
        panel, histories, window_years=settings["window_years"], horizon_years=settings["horizon_years"],
        n_cutoffs=settings["backtest_cutoffs"], replicates=settings["replicates"], seed=20240101,
        trend=settings["entry_trend"],
    )  # fmt: skip
    t3 = time.perf_counter()
    costs = projection.read_unit_costs(ROOT / "data" / "raw" / "published" / "unit_costs.csv", args.nation)
    projection.build(histories, DisclosurePolicy(5), settings=settings, unit_costs=costs)
    t4 = time.perf_counter()
    print(
        f"{args.nation}: load {t1 - t0:.1f} s, panel {t2 - t1:.1f} s ({len(panel.month):,} child-months), "
        f"back-test {t3 - t2:.1f} s, whole build {t4 - t3:.1f} s (entry trend: {settings['entry_trend']})"
    )
    print(projection.coverage_summary(test.table).round(1).to_string())
    shown = test.table[test.table["observed"] > 0]
    inside = shown.assign(
        in80=shown["observed"].between(shown["lo80"], shown["hi80"]),
        in95=shown["observed"].between(shown["lo95"], shown["hi95"]),
    )
    print((100 * inside.groupby("state")[["in80", "in95"]].mean()).round(0).to_string())
    width = ((shown["hi95"] - shown["lo95"]) / shown["central"]).median()
    print(f"median width of the 95% intervals: {width:.3f} of the central projection")


if __name__ == "__main__":
    main()
