"""Runs inside the csc-validator-be-903 virtual environment (pandas < 2), never the project's.

Reads a JSON list of LA-years on stdin, each ``{"la", "year", "ruleset", "this": {table: path}, "last": {...},
"history": [earlier Episodes paths], "first_loaded": year, "code_lists": {rule: {"table", "field", "codes"}}}``,
runs every rule of the ruleset and writes one JSON line per LA-year to stdout:
``{"la", "year", "children": n, "flagged": {rule code: [child ids]}, "failed": [rule codes that raised]}``.
Kept free of project imports: it runs with another pandas.
"""

import contextlib
import importlib
import io
import json
import logging
import sys

import pandas as pd

logging.disable(logging.CRITICAL)

from lac_validator import lac_validator  # noqa: E402
from lac_validator.config import column_names  # noqa: E402

# Our table names where the validator's differ (the specification's SocialWorker is its SWEpisodes).
VALIDATOR_TABLES = {"SocialWorker": "SWEpisodes"}


def as_upload(path: str, table: str, description: str) -> dict:
    table = VALIDATOR_TABLES.get(table, table)
    # The validator recognises a table by its exact columns: an older year's file gets the current
    # columns (absent ones blank), as an LA's software would export it for this validator.
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = frame.reindex(columns=column_names[table], fill_value="")
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return {"name": path, "file_content": buffer.getvalue().encode(), "description": description}


# Care-leaver rules whose own message warns they flag falsely when a child's episodes predate last year's
# return: they run a second time with every earlier return's episodes as "last year" (the history they lack).
HISTORY_RULES = ("1001", "1002")
CARE_LEAVER_REACH_YEARS = 21 - 16  # OC3 records young people up to 21 who left care at 16 or later


def history_upload(paths: list) -> dict:
    episodes = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False) for p in paths], ignore_index=True)
    episodes = episodes.reindex(columns=column_names["Episodes"], fill_value="")
    episodes = episodes.drop_duplicates(["CHILD", "DECOM"], keep="last")  # the latest return's version of each
    buffer = io.StringIO()
    episodes.to_csv(buffer, index=False)
    return {"name": "history_episodes.csv", "file_content": buffer.getvalue().encode(), "description": "Prev year"}


def flagged_children(validator) -> dict:
    flagged: dict[str, set] = {}
    for table, frame in validator.ds_results.items():
        if table == "metadata" or table.endswith("_last") or "CHILD" not in getattr(frame, "columns", []):
            continue
        for column in [c for c in frame.columns if str(c).startswith("ERR_")]:
            hit = frame.loc[frame[column] == True, "CHILD"].dropna().astype(str)  # noqa: E712
            flagged.setdefault(column[4:], set()).update(hit)
    return flagged


def valid_in_own_year(validator, flagged: dict, code_lists: dict) -> None:
    """Move to "<rule>*" the children whose every flagged value is in the code list of their return's own year.

    ``code_lists``: {rule: {"table", "field", "codes"}} for an earlier year checked with a later rule set whose
    code-list rules test a field against the later list (the year's codes, from its specification, come in the job).
    """
    for code, spec in code_lists.items():
        frame = validator.ds_results.get(spec["table"])
        column = f"ERR_{code}"
        if code not in flagged or frame is None or column not in frame.columns:
            continue
        hits = frame.loc[frame[column] == True, ["CHILD", spec["field"]]].dropna(subset=["CHILD"])  # noqa: E712
        own_year = hits[spec["field"]].astype(str).isin(spec["codes"]).groupby(hits["CHILD"].astype(str)).all()
        starred = set(own_year.index[own_year])
        flagged[f"{code}*"] = flagged[code] & starred
        flagged[code] -= starred


def run(job: dict) -> dict:
    known = [t for t in (*job["this"], *job["last"]) if VALIDATOR_TABLES.get(t, t) in column_names]
    this = [as_upload(p, t, "This year") for t, p in job["this"].items() if t in known]
    last = [as_upload(p, t, "Prev year") for t, p in job["last"].items() if t in known]
    registry = importlib.import_module(f"lac_validator.rules.{job['ruleset']}").registry
    metadata = {"collectionYear": str(job["year"]), "localAuthority": job["la"]}
    ordinary = [code for code in registry if code not in HISTORY_RULES]
    validator = lac_validator.LacValidator(
        metadata=dict(metadata), files=this + last, registry=registry, selected_rules=ordinary
    )
    flagged = flagged_children(validator)
    valid_in_own_year(validator, flagged, job.get("code_lists", {}))
    failed = list(validator.fails)
    if job["history"]:
        last = [f for f in last if b"DECOM" not in f["file_content"][:200]] + [history_upload(job["history"])]
        with_history = lac_validator.LacValidator(
            metadata=dict(metadata), files=this + last, registry=registry, selected_rules=list(HISTORY_RULES)
        )
        history_flags = flagged_children(with_history)
        # Rule 1001 sets out to leave care leavers aged 20 or over at the year's end unchecked ("we would not
        # expect to see sufficient episodes"), then flags every one of them (they drop out of its totals):
        # those flags are kept apart as "1001*", not counted as faults of the return.
        oc3 = with_history.dfs.get("OC3")
        if oc3 is not None and "1001" in history_flags:
            dob = pd.to_datetime(oc3["DOB"], format="%d/%m/%Y", errors="coerce")
            end = pd.Timestamp(year=int(job["year"]), month=3, day=31)
            aged_20 = set(oc3.loc[(dob + pd.DateOffset(years=20)) <= end, "CHILD"].astype(str))
            history_flags["1001*"] = history_flags["1001"] & aged_20
            history_flags["1001"] -= aged_20
        # Rule 1002 sees only the returns loaded: a care leaver (aged 16 to 21) can have left care up to five
        # years before the year, so while the first return loaded is that recent, their care can predate it.
        if "1002" in history_flags and job["year"] - job["first_loaded"] <= CARE_LEAVER_REACH_YEARS:
            history_flags["1002*"] = history_flags.pop("1002")
        flagged.update(history_flags)
        failed += list(with_history.fails)
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
        "failed": failed,
    }


if __name__ == "__main__":
    for job in json.load(sys.stdin):
        # some rules print as they run (SW10 prints a column): keep stdout for the results alone
        with contextlib.redirect_stdout(io.StringIO()):
            result = run(job)
        print(json.dumps(result), flush=True)
