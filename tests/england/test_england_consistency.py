"""Consecutive returns of one LA checked against each other, on hand-made kept tables."""

from __future__ import annotations

import pandas as pd

from lac_outcomes.england.consistency import CHECKS, check_returns, quality_record

LA, OTHER = "E09000001", "E09000002"


def episode(la, year, child, decom, dec=None, place="U4", urn="SC1", ls="C2") -> dict:
    return {
        "LA": la,
        "YEAR": year,
        "CHILD": child,
        "DECOM": pd.Timestamp(decom),
        "DEC": pd.Timestamp(dec) if dec else pd.NaT,
        "RNE": "S",
        "LS": ls,
        "CIN": "N1",
        "PLACE": place,
        "PLACE_PROVIDER": "PR1",
        "HOME_POST": "A1 1",
        "PL_POST": "B2 2",
        "URN": urn,
    }


def header(la, year, child, dob) -> dict:
    return {"LA": la, "YEAR": year, "CHILD": child, "DOB": pd.Timestamp(dob)}


def test_each_check_counts_what_it_says_by_la_and_year():
    episodes = pd.DataFrame(
        [
            # carried into 2019 unchanged but for its end: fine
            episode(LA, 2018, "A", "2017-06-01"),
            episode(LA, 2019, "A", "2017-06-01", "2018-09-01"),
            # open at the end of 2018, carried with a different placement: changed
            episode(LA, 2018, "B", "2017-06-01", place="U4"),
            episode(LA, 2019, "B", "2017-06-01", place="U6"),
            # open at the end of 2018, absent from 2019 altogether: both checks
            episode(LA, 2018, "C", "2018-01-01"),
            # ended in 2018: nothing expected in 2019
            episode(LA, 2018, "D", "2017-05-01", "2017-12-01"),
            # open at the end of 2018; 2019 holds another episode of the child but not this one
            episode(LA, 2018, "E", "2018-02-01"),
            episode(LA, 2019, "E", "2018-05-01"),
            # the other LA: open at the end of 2019, 2020 not loaded -> no pair, nothing counted
            episode(OTHER, 2019, "A", "2018-06-01"),
        ]
    )
    headers = pd.DataFrame(
        [
            header(LA, 2018, "A", "2010-01-01"),
            header(LA, 2019, "A", "2010-01-02"),
            header(LA, 2018, "B", "2011-01-01"),
            header(LA, 2019, "B", "2011-01-01"),
            header(OTHER, 2019, "A", "2012-01-01"),
        ]
    )
    found = check_returns({"Episodes": episodes, "Header": headers})
    assert set(found["check"]) == set(CHECKS)
    assert set(zip(found["LA"], found["YEAR"], found["NEXT_YEAR"], strict=False)) == {
        (LA, 2018, 2019)
    }  # only the consecutive pair
    by_check = found.set_index("check")["count"].to_dict()
    # B (changed), C (missing), E (missing) = 3; C absent from 2019 = 1; A's DOB changed = 1
    assert by_check == {"open_episode_not_carried": 3, "looked_after_then_absent": 1, "date_of_birth_changed": 1}


def test_years_loaded_but_not_consecutive_are_not_compared_and_the_record_has_no_identifiers():
    episodes = pd.DataFrame([episode(LA, 2017, "A", "2016-06-01"), episode(LA, 2019, "B", "2018-06-01")])
    headers = pd.DataFrame([header(LA, 2017, "A", "2010-01-01"), header(LA, 2019, "B", "2010-01-01")])
    assert check_returns({"Episodes": episodes, "Header": headers}).empty
    loaded = pd.DataFrame({"LA": [LA, LA, LA], "YEAR": [2017, 2018, 2019]})  # 2018 loaded but held nothing
    found = check_returns({"Episodes": episodes, "Header": headers}, loaded)
    record = quality_record(found)
    counted = {(c["YEAR"], c["check"]): c["count"] for c in record["counts"]}
    assert counted[(2017, "looked_after_then_absent")] == 1 and counted[(2018, "looked_after_then_absent")] == 0
    assert set(record["checks"]) == set(CHECKS)
    assert all(set(c) == {"LA", "YEAR", "NEXT_YEAR", "check", "count"} for c in record["counts"])
