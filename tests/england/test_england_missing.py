"""Missing or away periods in the synthetic returns end while the child is looked after (DfE rules 577 and 580)."""

from __future__ import annotations

import pandas as pd


def _read(root, la, year, table):
    found = [p for p in (root / la).iterdir() if str(year) in p.name and table.lower() in p.name.lower()]
    assert len(found) == 1, (la, year, table, found)
    return pd.read_csv(found[0], dtype=str, keep_default_na=False)


def _dates(values) -> pd.Series:
    return pd.to_datetime(pd.Series(values), format="%d/%m/%Y", errors="coerce")


def test_a_missing_period_ends_before_the_day_its_period_of_care_ends(small_synthetic):
    root, years, truth = small_synthetic
    checked = 0
    for la in (la["code"] for la in truth["local_authorities"]):
        for year in years:
            missing = _read(root, la, year, "Missing")
            episodes = _read(root, la, year, "Episodes")
            ended = missing[missing["MIS_END"] != ""]
            if ended.empty:
                continue
            # episodes that end the period of care (X1: another episode follows the same day)
            leaving = episodes[episodes["REC"] != "X1"]
            leaving = leaving.assign(DECOM=_dates(leaving["DECOM"]).values, DEC=_dates(leaving["DEC"]).values)
            for _, row in ended.iterrows():
                start, end = _dates([row["MIS_START"], row["MIS_END"]])
                left = leaving.loc[leaving["CHILD"] == row["CHILD"], "DEC"].dropna()
                left = left[left >= start]
                if len(left):  # the child left care in this return: the missing period ended before that day
                    assert end < left.min(), (la, year, row.to_dict(), left.min())
                    checked += 1
    assert checked > 0
