"""The DfE's SSDA903 validation rules over a run's synthetic returns: share of children flagged, by rule.

Usage: ``python benchmarks/dfe_validation.py [RETURNS_DIR] [--sample N] [--seed S]``
(default ``data/raw/synthetic/england``, every LA-year).

The rules are csc-validator-be-903 (PyPI, MIT), the rule set councils run before they submit. It pins
pandas < 2, so this script builds a separate virtual environment for it under ``.scratch/`` (git-ignored)
and runs ``dfe_validation_runner.py`` there; nothing is installed into the project's environment.

Each collection year runs the rules of its own year (lac2022_23 for 2023, lac2023_24 for 2024, ...);
years before 2023 run the nearest rule set, lac2022_23 (code lists changed since: their figures are printed
apart). The previous year's return is passed as "last year" where the folder has it, as an LA would upload
it. The care-leaver rules 1001 and 1002, whose messages warn that they flag falsely when a child's episodes
predate last year's return, run a second time with every earlier return's episodes as "last year"; rule
1001's flags on care leavers aged 20 or over, whom the rule itself sets out to skip, are printed as "1001*"
and not counted; so are rule 1002's flags while the LA's first return loaded is five years or fewer before
the year ("1002*": a care leaver, 16 to 21, may have left care before it) and, in years before 2023, the
flags of rules 132 and 149 on codes that the year's own specification lists ("132*", "149*": the code
lists of ``../shared/reference/ssda903``, liia-tools' schemas, changed in 2019 and 2022).  Printed: per
rule, the children flagged and their share of all children named in the returns checked; then the share
flagged by any rule other than those that need the real postcode directory (169, 179, 392a, 392c, 1015),
the issue's target being 1% or less.  About 10 s per LA-year on a quiet
core: ``--sample`` checks a random sample.  A benchmark, not a test: CI does not run it.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import subprocess
import sys
import venv
from collections import Counter
from pathlib import Path

from lac_outcomes.england.layout import CORE_TABLES, OPTIONAL_TABLES

ROOT = Path(__file__).resolve().parents[1]
VALIDATOR = "csc-validator-be-903==0.1.17"
VENV_DIR = ROOT / ".scratch" / "dfe-venv"
RUNNER = Path(__file__).with_name("dfe_validation_runner.py")
RULESETS = {2023: "lac2022_23", 2024: "lac2023_24", 2025: "lac2024_25", 2026: "lac2025_26", 2027: "lac2026_27"}
POSTCODE_RULES = {"169", "179", "392a", "392c", "1015"}
# Flags shown, not counted against the returns (see the runner), and why.
OUT_OF_SCOPE = {
    "1001*": "care leavers 20+, which rule 1001 means to skip",
    "1002*": "care leaver whose care can predate the first return loaded",
    "132*": "a code of the year's own specification",
    "149*": "a code of the year's own specification",
}
# Rules of lac2022_23 that test one field against that year's code list (read from the rules' source); an earlier
# year's flag on a code its own specification lists is the code list's change, not a fault of the return.
CODE_LIST_RULES = {"132": ("OC3", "ACTIV"), "149": ("Episodes", "REC")}
# The specifications' code lists by year (liia-tools' SSDA903 schemas, MIT), beside the repository as in CI.
SCHEMAS = ROOT.parent / "shared" / "reference" / "ssda903"
TABLES = (*CORE_TABLES, *OPTIONAL_TABLES)
# The three file-name styles the synthetic exporters use (and common real ones): year and table in the name.
FILE_NAME = re.compile(
    r"(?:SSDA903_(?P<y1>\d{4})_(?P<t1>\w+)|(?P<y2>\d{4})-(?P<t2>\w+)|(?P<t3>[a-z0-9]+)_(?P<y3>\d{4}))\.csv$"
)


def ruleset_for(year: int) -> str:
    nearest = min(RULESETS, key=lambda y: abs(y - year))
    return RULESETS[nearest]


@functools.cache  # one schema read per year, not per LA-year
def own_year_code_lists(year: int) -> dict:
    """CODE_LIST_RULES' fields with the codes of ``year``'s own specification (the latest schema not after it)."""
    if year in RULESETS:
        return {}
    schemas = {int(p.stem.rsplit("_", 1)[1]): p for p in SCHEMAS.glob("SSDA903_schema_*.yml")}
    if not schemas:
        return {}
    import yaml

    chosen = max((y for y in schemas if y <= year), default=min(schemas))
    columns = yaml.safe_load(schemas[chosen].read_text())["column_map"]
    return {
        rule: {"table": table, "field": field, "codes": [c["code"] for c in columns[table][field]["category"]]}
        for rule, (table, field) in CODE_LIST_RULES.items()
    }


def validator_python() -> Path:
    python = VENV_DIR / "bin" / "python"
    if not python.exists():
        print(f"creating {VENV_DIR} with {VALIDATOR} (once)", file=sys.stderr)
        venv.create(VENV_DIR, with_pip=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", VALIDATOR], check=True)
    return python


def la_years(returns: Path) -> list[dict]:
    by_table = {t.lower(): t for t in TABLES}
    found: dict[tuple[str, int], dict[str, str]] = {}
    for path in sorted(returns.glob("*/*.csv")):
        match = FILE_NAME.search(path.name)
        if not match:
            continue
        year = int(match["y1"] or match["y2"] or match["y3"])
        table = by_table.get((match["t1"] or match["t2"] or match["t3"]).lower())
        if table:
            found.setdefault((path.parent.name, year), {})[table] = str(path)
    return [
        {
            "la": la,
            "year": year,
            "ruleset": ruleset_for(year),
            "this": files,
            "last": found.get((la, year - 1), {}),
            "history": [
                f["Episodes"] for (l2, y2), f in sorted(found.items()) if l2 == la and y2 < year and "Episodes" in f
            ],
            "first_loaded": min(y2 for l2, y2 in found if l2 == la),
            "code_lists": own_year_code_lists(year),
        }
        for (la, year), files in sorted(found.items())
    ]


def summarise(label: str, results: list[dict]) -> None:
    children = sum(r["children"] for r in results)
    by_rule: Counter = Counter()
    any_rule = 0
    for result in results:
        for code, ids in result["flagged"].items():
            by_rule[code] += len(ids)
        counted = [set(ids) for c, ids in result["flagged"].items() if c not in POSTCODE_RULES | OUT_OF_SCOPE.keys()]
        any_rule += len(set().union(*counted))
    print(f"\n{label}: {len(results)} LA-years, {children} children")
    print(f"{'rule':>8} {'children':>9} {'share %':>8}")
    for code, count in sorted(((c, n) for c, n in by_rule.items() if n), key=lambda kv: -kv[1]):
        mark = "  (postcode directory)" if code in POSTCODE_RULES else ""
        mark = f"  ({OUT_OF_SCOPE[code]})" if code in OUT_OF_SCOPE else mark
        print(f"{code:>8} {count:>9} {100 * count / children:>8.2f}{mark}")
    share = 100 * any_rule / children
    print(f"flagged by any rule but the postcode-directory rules: {any_rule} ({share:.2f}%; target <= 1%)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("returns", nargs="?", default=str(ROOT / "data/raw/synthetic/england"))
    parser.add_argument("--sample", type=int, default=0, help="check this many LA-years drawn at random (0: all)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--years", help="only these collection years, e.g. 2023-2024")
    parser.add_argument("--json", help="also write the per-LA-year results here")
    args = parser.parse_args()

    jobs = la_years(Path(args.returns))
    if not jobs:
        sys.exit(f"no SSDA903 CSV files under {args.returns}/<LA>/")
    if args.years:
        first, _, last = args.years.partition("-")
        jobs = [j for j in jobs if int(first) <= j["year"] <= int(last or first)]
    if args.sample and args.sample < len(jobs):
        import random

        jobs = sorted(random.Random(args.seed).sample(jobs, args.sample), key=lambda j: (j["la"], j["year"]))
    completed = subprocess.run(
        [str(validator_python()), str(RUNNER)], input=json.dumps(jobs), capture_output=True, text=True, check=False
    )
    if completed.returncode:
        sys.exit(f"validator failed:\n{completed.stderr[-3000:]}")
    results = [json.loads(line) for line in completed.stdout.splitlines() if line.startswith("{")]
    if args.json:
        Path(args.json).write_text(json.dumps(results))

    print(f"{len(results)} LA-years checked (rule sets: {', '.join(sorted({r['ruleset'] for r in results}))})")
    groups = {
        "years with their own rule set": [r for r in results if r["year"] in RULESETS],
        "earlier years, nearest rule set": [r for r in results if r["year"] not in RULESETS],
    }
    for label, group in groups.items():
        if group:
            summarise(label, group)
    failed = Counter(code for r in results for code in r["failed"])
    if failed:
        print("rules that raised instead of running: " + ", ".join(f"{c} ({n})" for c, n in sorted(failed.items())))


if __name__ == "__main__":
    main()
