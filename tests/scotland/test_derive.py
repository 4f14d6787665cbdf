"""Derived analysis variables on small hand-made histories, answers worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lac_outcomes.scotland import derive

COLUMNS = ["child_id", "episode_start", "episode_end", "legal_reason", "placement_type", "reason_ended"]


def episodes(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=COLUMNS)


# Child A: at home on a supervision order (recorded as two episodes), moved to
# foster care, discharged; came back later on home supervision, still open.
# Child B: home supervision, then a permanence order with prospective adopters, adopted.
# Child C: home supervision, discharged.  Child D: foster care only, open.
HISTORY = episodes(
    ("A", "2010-01-01", "2010-03-01", "cso_home", "at_home_with_parents", "placement_change"),
    ("A", "2010-03-01", "2010-06-01", "cso_home", "at_home_with_parents", "placement_change"),
    ("A", "2010-06-01", "2010-09-01", "cso_residence", "with_foster_carers_la", "discharged_home"),
    ("A", "2011-01-01", "", "cso_home", "at_home_with_parents", ""),
    ("B", "2012-03-01", "2012-05-01", "cso_home", "at_home_with_parents", "placement_change"),
    ("B", "2012-05-01", "2013-01-01", "permanence_order", "with_prospective_adopters", "adopted"),
    ("C", "2015-02-01", "2016-02-01", "cso_home", "at_home_with_parents", "discharged_home"),
    ("D", "2009-08-01", "", "section_25", "with_foster_carers_la", ""),
)
CHILDREN = pd.DataFrame(
    {
        "child_id": ["A", "B", "C", "D"],
        "la_code": ["S12000049", "S12000036", "S12000049", "S12000023"],
        "sex": ["M", "F", "F", "M"],
        "date_of_birth": ["2000-02-29", "2008-08-01", "1998-02-01", "2003-09-15"],
        "simd_quintile": [1, 2, 3, 5],
        "disability": ["N", "N", "Y", "N"],
        "asn": ["Y", "N", "N", "Y"],
    }
)


def test_age_counts_completed_years_and_leap_day_birthdays():
    # Born 29 Feb 2000: 17 on 28 Feb 2018, 18 on 1 Mar 2018 (no 29 Feb in 2018).
    assert derive.age_on(pd.Series(["2000-02-29"]), "2018-02-28").tolist() == [17]
    assert derive.age_on(pd.Series(["2000-02-29"]), "2018-03-01").tolist() == [18]
    assert derive.birthday(pd.Series(["2000-02-29", "2001-07-31"]), 18).dt.strftime("%Y-%m-%d").tolist() == [
        "2018-03-01",
        "2019-07-31",
    ]


def test_looked_after_on_counts_start_day_but_not_end_day():
    # 2010-06-01: A's second home episode ended that day and the foster one started -> foster.
    on = derive.looked_after_on(HISTORY, "2010-06-01")
    assert on.set_index("child_id")["placement_type"].to_dict() == {
        "A": "with_foster_carers_la",
        "D": "with_foster_carers_la",
    }
    # 2010-09-01: A left that day (end exclusive); only D (open) is looked after.
    assert derive.looked_after_on(HISTORY, "2010-09-01")["child_id"].tolist() == ["D"]
    # 2009-07-31: the day before D's first episode: nobody.
    assert derive.looked_after_on(HISTORY, "2009-07-31").empty


def test_spells_join_contiguous_episodes_and_split_at_gaps():
    result = derive.spells(HISTORY).set_index(["child_id", "spell_number"])
    # A: three contiguous episodes 2010-01-01..2010-09-01 (discharged), then a gap, then an open spell.
    assert result.loc[("A", 1), "n_episodes"] == 3
    assert result.loc[("A", 1), "spell_end"] == pd.Timestamp("2010-09-01")
    assert result.loc[("A", 1), "reason_ended"] == "discharged_home"
    assert result.loc[("A", 2), "spell_start"] == pd.Timestamp("2011-01-01")
    assert pd.isna(result.loc[("A", 2), "spell_end"]) and pd.isna(result.loc[("A", 2), "reason_ended"])
    assert result.loc[("B", 1), "reason_ended"] == "adopted"
    assert len(result) == 5  # A twice, B, C, D


def test_home_supervision_spells_by_hand():
    runs = derive.home_supervision_spells(HISTORY, CHILDREN, censor_date="2016-07-31")
    runs = runs.set_index(["child_id", "start"])
    # A run 1: two cso_home episodes joined, 2010-01-01..2010-06-01 = 31+28+31+30+31 = 151 days, then foster care.
    first = runs.loc[("A", pd.Timestamp("2010-01-01"))]
    assert first["n_episodes"] == 2 and first["duration_days"] == 151
    assert first["ended_by"] == "moved_away_from_home"
    # A run 2: open, censored on 2016-07-31: 2011-01-01..2016-01-01 = 5 * 365 + 1 (29 Feb 2012) = 1826 days,
    # then 2016-01-01..2016-07-31 = 31 + 29 + 31 + 30 + 31 + 30 + 30 = 212 days.
    second = runs.loc[("A", pd.Timestamp("2011-01-01"))]
    assert second["ended_by"] == "censored" and second["duration_days"] == 1826 + 212
    assert pd.isna(second["end"])
    # B: next episode is a permanence order with prospective adopters -> permanence; 61 days (Mar + Apr 2012).
    b = runs.loc[("B", pd.Timestamp("2012-03-01"))]
    assert b["ended_by"] == "permanence" and b["duration_days"] == 61
    # C: discharged home on 2016-02-01 = 365 days later, which is the 18th birthday (born 1998-02-01).
    c = runs.loc[("C", pd.Timestamp("2015-02-01"))]
    assert c["ended_by"] == "discharged" and c["duration_days"] == 365 and bool(c["reached_age_18"])
    assert abs(c["age_at_start"] - (17 * 365 + 4) / 365.25) < 1e-9  # 1998-02-01 to 2015-02-01, leap days 2000/04/08/12
    assert not bool(first["reached_age_18"])
    assert "D" not in runs.index.get_level_values("child_id")


def test_a_placement_change_with_no_following_episode_counts_as_discharged():
    history = episodes(("E", "2012-01-01", "2012-02-01", "cso_home", "at_home_with_parents", "placement_change"))
    assert derive.home_supervision_spells(history)["ended_by"].tolist() == ["discharged"]


def test_education_covariates_by_hand():
    pupils = pd.DataFrame(
        {
            "pupil_id": ["A", "A", "D", "Z", "D"],
            "school_year": [2010, 2011, 2010, 2011, 2011],
            "stage": ["P5", "P6", "P1", "S1", "P2"],
        }
    )
    result = derive.education_covariates(CHILDREN, HISTORY, pupils)
    a2010, a2011, d2010, z, d2011 = (result.iloc[i] for i in range(5))
    # A, school year 2010 (2009-08-01 .. 2010-06-30): home 2010-01-01..2010-06-01 = 151 days,
    # foster 2010-06-01..2010-07-01 = 30 days -> at home; 3 episodes; not the full year.
    assert a2010["placement_type"] == "at_home_with_parents"
    assert a2010["n_placements"] == 3 and a2010["days_looked_after"] == 181
    assert not a2010["looked_after_full_year"]
    assert abs(a2010["years_looked_after"] - 181 / 365.25) < 1e-12
    assert a2010["age"] == 9  # born 2000-02-29, on 2009-08-01
    # A, 2011 (2010-08-01 .. 2011-06-30): foster 2010-08-01..09-01 = 31 days, home 2011-01-01..07-01 = 181 days.
    # Years looked after to 30 June 2011: 151 + 92 + 181 = 424 days (the gap Sep-Dec 2010 not counted).
    assert a2011["placement_type"] == "at_home_with_parents"
    assert a2011["n_placements"] == 2 and a2011["days_looked_after"] == 212
    assert abs(a2011["years_looked_after"] - 424 / 365.25) < 1e-12
    # D: in foster care from the first day of school year 2010: full year (334 days, no 29 Feb in 2010).
    assert bool(d2010["looked_after_full_year"]) and d2010["days_looked_after"] == 334
    assert d2010["placement_type"] == "with_foster_carers_la" and d2010["n_placements"] == 1
    assert abs(d2010["years_looked_after"] - 334 / 365.25) < 1e-12
    assert d2010["age"] == 5  # born 2003-09-15, on 2009-08-01
    # D in 2011: 365 days from 2009-08-01 to 2010-08-01 plus 334 -> 699 days.
    assert abs(d2011["years_looked_after"] - 699 / 365.25) < 1e-12
    # Z is not a looked-after child: no placement, age from stage S1 = 12.
    assert pd.isna(z["placement_type"]) and z["n_placements"] == 0 and not z["looked_after_full_year"]
    assert np.isnan(z["years_looked_after"]) and z["age"] == 12
    # Input rows and order kept.
    assert result["pupil_id"].tolist() == ["A", "A", "D", "Z", "D"]


def test_placement_ties_go_to_the_latest():
    # School year 2012 (2011-08-01 .. 2012-06-30, 335 days with 29 Feb 2012):
    # friends/relatives 2011-08-01..2011-10-01 = 61 days, foster 2011-10-01..2011-12-01 = 61 days,
    # then discharged.  A tie: the later placement (foster) wins.
    history = episodes(
        ("F", "2011-08-01", "2011-10-01", "cso_residence", "with_friends_relatives", "placement_change"),
        ("F", "2011-10-01", "2011-12-01", "cso_residence", "with_foster_carers_la", "discharged_home"),
    )
    children = CHILDREN.iloc[:1].assign(child_id="F")
    result = derive.education_covariates(children, history, pd.DataFrame({"pupil_id": ["F"], "school_year": [2012]}))
    assert result.loc[0, "placement_type"] == "with_foster_carers_la"
    assert result.loc[0, "days_looked_after"] == 122


def test_leaver_covariates_use_the_leaver_year():
    leavers = pd.DataFrame({"pupil_id": ["D"], "leaver_year": [2010]})
    result = derive.leaver_covariates(CHILDREN, HISTORY, leavers)
    assert bool(result.loc[0, "looked_after_full_year"]) and result.loc[0, "placement_type"] == "with_foster_carers_la"
