"""Runs inside the csc-validator-be-903 virtual environment (pandas < 2), never the project's.

Reads a JSON list of LA-years on stdin, each ``{"la", "year", "ruleset", "this": {table: path}, "last": {...}}``,
runs every rule of the ruleset and writes one JSON line per LA-year to stdout:
``{"la", "year", "children": n, "flagged": {rule code: [child ids]}, "failed": [rule codes that raised]}``.
Kept free of project imports: it runs with another pandas.
"""

import importlib
import io
import json
import logging
import sys

import pandas as pd

logging.disable(logging.CRITICAL)

from lac_validator import lac_validator  # noqa: E402
from lac_validator.config import column_names  # noqa: E402


def as_upload(path: str, table: str, description: str) -> dict:
    # The validator recognises a table by its exact columns: an older year's file gets the current
    # columns (absent ones blank), as an LA's software would export it for this validator.
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = frame.reindex(columns=column_names[table], fill_value="")
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return {"name": path, "file_content": buffer.getvalue().encode(), "description": description}


def run(job: dict) -> dict:
    files = [as_upload(p, t, "This year") for t, p in job["this"].items() if t in column_names]
    files += [as_upload(p, t, "Prev year") for t, p in job["last"].items() if t in column_names]
    registry = importlib.import_module(f"lac_validator.rules.{job['ruleset']}").registry
    metadata = {"collectionYear": str(job["year"]), "localAuthority": job["la"]}
    validator = lac_validator.LacValidator(metadata=metadata, files=files, registry=registry, selected_rules=None)
    flagged: dict[str, set] = {}
    for table, frame in validator.ds_results.items():
        if table == "metadata" or table.endswith("_last") or "CHILD" not in getattr(frame, "columns", []):
            continue
        for column in [c for c in frame.columns if str(c).startswith("ERR_")]:
            hit = frame.loc[frame[column] == True, "CHILD"].dropna().astype(str)  # noqa: E712
            flagged.setdefault(column[4:], set()).update(hit)
    # Denominator: every child named anywhere in this year's return (OC3-only care leavers included).
    children = set()
    for table, frame in validator.dfs.items():
        if not table.endswith("_last") and "CHILD" in frame.columns:
            children.update(frame["CHILD"].dropna().astype(str))
    return {
        "la": job["la"],
        "year": job["year"],
        "ruleset": job["ruleset"],
        "children": len(children),
        "flagged": {code: sorted(ids) for code, ids in flagged.items()},
        "failed": list(validator.fails),
    }


if __name__ == "__main__":
    for job in json.load(sys.stdin):
        print(json.dumps(run(job)), flush=True)
