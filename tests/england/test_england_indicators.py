"""Each indicator on small hand-made 903 histories whose answers were worked out by hand.

Cases written as files use collection year 2019 (1 April 2018 to 31 March 2019)
unless they say otherwise; the later ones build the reader's kept tables
directly (``kept_tables``), so they test the indicators alone.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lac_outcomes.england import indicators as ind
from lac_outcomes.england.indicators import REGISTRY, compute_indicators
from lac_outcomes.england.reader import Source, read_returns

from .returns import episode, header, write_return

LA = "E09000001"


def indicators_for(tmp_path, rows_by_year: dict[int, dict]) -> pd.DataFrame:
    for year, rows in rows_by_year.items():
        write_return(tmp_path / LA, year, rows)
    result = read_returns([Source(LA, year, tmp_path / LA) for year in rows_by_year])
    assert result.quarantine.empty, result.quarantine  # the hand-made returns are valid
    table = compute_indicators(result.kept())
    return table.loc[table["YEAR"] == max(rows_by_year)].set_index("indicator")


def test_counts_placed_with_parents_and_ni62(tmp_path):
    rows = {
        "Episodes": [
            # A: in care since Jan 2018; placements in 2019: the one in progress on 1 April (1),
            # P on 1 June (2), P on 1 Sept (3); the L episode on 1 Dec is a legal change only -> 3 placements.
            episode("A", "01/01/2018", "S", "U6", "01/06/2018", "X1"),
            episode("A", "01/06/2018", "P", "U4", "01/09/2018", "X1"),
            episode("A", "01/09/2018", "P", "K2", "01/12/2018", "X1"),
            episode("A", "01/12/2018", "L", "K2", LS="C1"),
            # B: starts in the year, placed with parents, still looked after -> started, P1 at 31 March, 1 placement.
            episode("B", "15/05/2018", "S", "P1"),
            # C: ceased (returned home, E4A) in October -> ceased, not looked after at 31 March.
            episode("C", "01/02/2017", "S", "U6", "05/05/2018", "X1"),
            episode("C", "05/05/2018", "P", "U6", "10/10/2018", "E4A"),
            # D: a temporary placement (T4) does not count: U4 (1), T4 (ignored), back to the same U4 carer (same URN
            # and PL_POST: not a new placement) -> 1 placement.
            episode("D", "01/04/2015", "S", "U4", "01/07/2018", "X1"),
            episode("D", "01/07/2018", "P", "T4", "05/07/2018", "X1"),
            episode("D", "05/07/2018", "P", "U4"),
        ],
        "Header": [header(c, "01/01/2010") for c in "ABCD"],
    }
    result = indicators_for(tmp_path, {2019: rows})
    # Looked after at 31 March: A, B, D = 3.  Started: B = 1.  Ceased: C = 1.
    assert result.loc["CLA_31MAR", "numerator"] == 3
    assert result.loc["STARTED", "numerator"] == 1
    assert result.loc["CEASED", "numerator"] == 1
    # Placed with parents: B of 3.
    assert (result.loc["P1_31MAR", "numerator"], result.loc["P1_31MAR", "denominator"]) == (1, 3)
    # NI 62: only A had three or more placements: 1 of 3.
    assert (result.loc["NI62", "numerator"], result.loc["NI62", "denominator"]) == (1, 3)
    assert result.loc["NI62", "value"] == pytest.approx(1 / 3)


def test_ni63_long_term_stability(tmp_path):
    # Cohort at 31 March 2019: under 16 and looked after since 30 September 2016 or earlier.
    # Stable: current placement began on or before 31 March 2017, or adoptive placement whose
    # previous placement began on or before 31 March 2017.
    rows = {
        "Episodes": [
            # E: in care from 1 Jan 2016, current placement from 1 Mar 2017 -> cohort, stable.
            episode("E", "01/01/2016", "S", "U6", "01/03/2017", "X1"),
            episode("E", "01/03/2017", "P", "U4"),
            # F: in care from 1 Sept 2016 (inside the cutoff), never moved -> cohort, stable.
            episode("F", "01/09/2016", "S", "U4"),
            # G: moved 1 May 2017 (after 31 Mar 2017); the L episode in 2018 is not a move -> cohort, not stable.
            episode("G", "01/06/2015", "S", "U4", "01/05/2017", "X1"),
            episode("G", "01/05/2017", "P", "U6", "01/08/2018", "X1"),
            episode("G", "01/08/2018", "L", "U6", LS="C1"),
            # H: aged 16 at 31 March 2019 -> not in the cohort.
            episode("H", "01/01/2012", "S", "U4"),
            # I: placed for adoption with the carer on 1 Oct 2018; the placement before began 1 Jan 2016,
            # so adoptive + previous placement last 2+ years -> cohort, stable by the adoption clause.
            episode("I", "01/01/2016", "S", "U6", "01/10/2018", "X1", LS="E1"),
            episode("I", "01/10/2018", "T", "A5", LS="E1"),
            # J: in care from 1 Oct 2016, one day after the cutoff -> not in the cohort.
            episode("J", "01/10/2016", "S", "U4"),
        ],
        "Header": [
            header("E", "01/01/2008"),
            header("F", "01/01/2008"),
            header("G", "01/01/2006"),
            header("H", "01/06/2002"),
            header("I", "01/01/2014"),
            header("J", "01/01/2012"),
        ],
    }
    result = indicators_for(tmp_path, {2019: rows})
    # Cohort E, F, G, I = 4; stable E, F, I = 3.
    assert (result.loc["NI63", "numerator"], result.loc["NI63", "denominator"]) == (3, 4)
    assert result.loc["NI63", "value"] == pytest.approx(0.75)
    assert not result.loc["NI63", "history_complete"]  # 2017 and 2018 returns were not loaded


def test_ni58_mean_sdq(tmp_path):
    def oc2(child, dob, score, reason=""):
        return {"CHILD": child, "DOB": dob, "SDQ_SCORE": score, "SDQ_REASON": reason}

    rows = {
        "Episodes": [
            episode("K", "01/01/2018", "S", "U4"),  # looked after all year, aged 9 -> counts (10)
            episode("L", "01/04/2018", "S", "U4"),  # started on 1 April: all year, aged 13 -> counts (20)
            episode("M", "01/01/2018", "S", "U4"),  # aged 3 at 31 March -> too young
            episode("N", "02/04/2018", "S", "U4"),  # started 2 April: not 12 months
            episode("O", "01/01/2017", "S", "U4"),  # no score (reason SDQ1)
        ],
        "Header": [
            header("K", "01/01/2010"),
            header("L", "01/01/2005"),
            header("M", "01/01/2016"),
            header("N", "01/01/2010"),
            header("O", "01/01/2010"),
        ],
        "OC2": [
            oc2("K", "01/01/2010", 10),
            oc2("L", "01/01/2005", 20),
            oc2("M", "01/01/2016", 30),
            oc2("N", "01/01/2010", 5),
            oc2("O", "01/01/2010", "", "SDQ1"),
        ],
    }
    result = indicators_for(tmp_path, {2019: rows})
    # (10 + 20) / 2 = 15
    assert (result.loc["NI58", "numerator"], result.loc["NI58", "denominator"]) == (30, 2)
    assert result.loc["NI58", "value"] == pytest.approx(15.0)


def test_ni61_adoption_timeliness(tmp_path):
    def ad1(child, decision, match):
        return {
            "CHILD": child,
            "DOB": "01/01/2016",
            "DATE_INT": decision,
            "DATE_MATCH": match,
            "FOSTER_CARE": "0",
            "NB_ADOPTR": 2,
            "SEX_ADOPTR": "MF",
            "LS_ADOPTR": "L0",
        }

    rows = {
        "Episodes": [
            # P: decision 1 Jul 2017, placed 1 Jun 2018 (11 months) -> on time.
            episode("P", "01/01/2017", "S", "U6", "01/06/2018", "X1", LS="E1"),
            episode("P", "01/06/2018", "T", "A5", "01/12/2018", "E11", LS="E1"),
            # Q: decision 1 Jul 2017, placed 15 Jul 2018 (12 months and 14 days) -> late.
            episode("Q", "01/01/2017", "S", "U6", "15/07/2018", "X1", LS="E1"),
            episode("Q", "15/07/2018", "P", "A6", "01/02/2019", "E12", LS="E1"),
            # R: no AD1 row; PlacedAdoption decision 1 Mar 2018, placed 1 Jun 2018 -> on time.
            episode("R", "01/01/2017", "S", "U6", "01/06/2018", "X1", LS="E1"),
            episode("R", "01/06/2018", "P", "A6", "01/03/2019", "E11", LS="E1"),
        ],
        "Header": [header(c, "01/01/2016") for c in "PQR"],
        "AD1": [ad1("P", "01/07/2017", "01/05/2018"), ad1("Q", "01/07/2017", "01/07/2018")],
        "PlacedAdoption": [{"CHILD": "R", "DOB": "01/01/2016", "DATE_PLACED": "01/03/2018"}],
    }
    result = indicators_for(tmp_path, {2019: rows})
    # Adopted in the year: P, Q, R = 3; on time: P, R = 2.
    assert (result.loc["NI61", "numerator"], result.loc["NI61", "denominator"]) == (2, 3)
    # Only 2019 is loaded: an adoptive placement begun before 1 April 2018 would be dated by the
    # first loaded episode, too late, so the first loaded year's NI 61 is not complete history.
    assert not result.loc["NI61", "history_complete"]


def test_ni61_history_complete_once_previous_year_loaded(tmp_path):
    # With 2018 and 2019 loaded, 2019's NI 61 has its previous year: complete.  NI 58 needs no
    # earlier year, so it is complete in either year.
    def year_rows():
        return {"Episodes": [episode("W", "01/01/2017", "S", "U4")], "Header": [header("W", "01/01/2010")]}

    result = indicators_for(tmp_path, {2018: year_rows(), 2019: year_rows()})
    assert result.loc["NI61", "history_complete"]
    assert result.loc["NI58", "history_complete"]


def test_ni66_reviews_on_time(tmp_path):
    def review(child, day):
        return {"CHILD": child, "DOB": "01/01/2010", "REVIEW": day, "REVIEW_CODE": "PN1"}

    earlier = {  # the 2018 return holds the first reviews of S3 and S4
        "Episodes": [episode("S3", "15/12/2017", "S", "U4"), episode("S4", "15/12/2017", "S", "U4")],
        "Header": [header("S3", "01/01/2010"), header("S4", "01/01/2010")],
        "Reviews": [review("S3", "10/01/2018"), review("S4", "10/01/2018")],
    }
    rows = {
        "Episodes": [
            # S1: started 1 Jan 2019; first review due 29 Jan, held 20 Jan; next due 20 Apr (next year) -> on time.
            episode("S1", "01/01/2019", "S", "U4"),
            # S2: started 1 Mar 2019 (30 days by 31 March); first review due 29 Mar, none held -> late.
            episode("S2", "01/03/2019", "S", "U4"),
            # S3: reviews 10 Jan 2018 (due 12 Jan, ok), 5 Apr 2018 (due 10 Apr, ok),
            # 1 Nov 2018 (due 5 Oct 2018) -> late.
            episode("S3", "15/12/2017", "S", "U4"),
            # S4: reviews 10 Jan 2018, 5 Apr 2018, 1 Oct 2018 (due 5 Oct, ok); next due 1 Apr 2019 -> on time.
            episode("S4", "15/12/2017", "S", "U4"),
            # S5: started 10 Mar 2019, under 4 weeks at 31 March -> not in the denominator.
            episode("S5", "10/03/2019", "S", "U4"),
        ],
        "Header": [header(c, "01/01/2010") for c in ("S1", "S2", "S3", "S4", "S5")],
        "Reviews": [
            review("S1", "20/01/2019"),
            review("S3", "05/04/2018"),
            review("S3", "01/11/2018"),
            review("S4", "05/04/2018"),
            review("S4", "01/10/2018"),
        ],
    }
    result = indicators_for(tmp_path, {2018: earlier, 2019: rows})
    # Denominator S1-S4 = 4; on time S1, S4 = 2.
    assert (result.loc["NI66", "numerator"], result.loc["NI66", "denominator"]) == (2, 4)
    assert result.loc["NI66", "history_complete"]


def test_ni147_ni148_care_leavers(tmp_path):
    def oc3(child, dob, in_touch, activity, accommodation):
        return {"CHILD": child, "DOB": dob, "IN_TOUCH": in_touch, "ACTIV": activity, "ACCOM": accommodation}

    rows = {
        "Episodes": [episode("X", "01/01/2018", "S", "U4")],
        "Header": [header("X", "01/01/2010")],
        "OC3": [
            oc3("L1", "10/05/1999", "YES", "F2", "U1"),  # 19: suitable and EET
            oc3("L2", "01/01/1998", "YES", "G5", "W2"),  # 21: neither
            oc3("L3", "01/02/1999", "YES", "P1", "S2"),  # 20: EET (part-time higher education), unsuitable
            oc3("L4", "01/06/1999", "NO", "0", "0"),  # 19, not in touch: denominator only
            oc3("L5", "01/06/1999", "DIED", "0", "0"),  # died: excluded
            oc3("L6", "01/06/1996", "YES", "F1", "U1"),  # 22: not aged 19-21, excluded
        ],
    }
    result = indicators_for(tmp_path, {2019: rows})
    # Denominator L1-L4 = 4; suitable: L1 = 1; EET: L1, L3 = 2.
    assert (result.loc["NI147", "numerator"], result.loc["NI147", "denominator"]) == (1, 4)
    assert (result.loc["NI148", "numerator"], result.loc["NI148", "denominator"]) == (2, 4)


def test_every_indicator_computed_has_a_definition(tmp_path):
    # The counts and Care Matters indicators the design brief names, written out here rather than read from the module.
    expected = {"CLA_31MAR", "STARTED", "CEASED", "P1_31MAR", "NI58", "NI61", "NI62", "NI63", "NI66", "NI147", "NI148"}
    rows = {"Episodes": [episode("A", "15/05/2018", "S", "U4")], "Header": [header("A", "01/01/2010")]}
    computed = set(indicators_for(tmp_path, {2019: rows}).index)
    assert computed == expected == set(REGISTRY)
    assert all(len(entry.definition) > 40 for entry in REGISTRY.values())


def test_ni66_no_reviews_loaded_is_late(tmp_path):
    # T1 has been looked after since 1 Jan 2010 (its first review chain is long before the data);
    # 2019 and 2020 are loaded and hold no Reviews rows at all.  At 31 March 2020 T1 has been
    # looked after 6+ months and no review was held between 30 Sep 2019 and 31 Mar 2020, so a
    # review (due at most 6 months after the previous one) was overdue at year end -> late.
    # T2, same start, reviewed 1 Dec 2019 (inside the window), next due 1 Jun 2020 -> on time.
    def review(child, day):
        return {"CHILD": child, "DOB": "01/01/2008", "REVIEW": day, "REVIEW_CODE": "PN1"}

    def year_rows(reviews):
        return {
            "Episodes": [episode("T1", "01/01/2010", "S", "U4"), episode("T2", "01/01/2010", "S", "U4")],
            "Header": [header("T1", "01/01/2008"), header("T2", "01/01/2008")],
            "Reviews": reviews,
        }

    result = indicators_for(tmp_path, {2019: year_rows([]), 2020: year_rows([review("T2", "01/12/2019")])})
    # Denominator T1, T2 = 2; on time T2 only = 1.
    assert (result.loc["NI66", "numerator"], result.loc["NI66", "denominator"]) == (1, 2)
    assert result.loc["NI66", "history_complete"]


def test_return_from_temporary_placement_is_not_a_new_placement(tmp_path):
    # Collection year 2020: 1 April 2019 to 31 March 2020.  All three children were born 2010 and
    # have been looked after since 1 Jan 2015 (NI 63 cohort: under 16, in care 2.5+ years).
    # A temporary placement (T1, 1-5 Oct 2019) does not count, and coming back from it to the same
    # carer (same PLACE, URN and PL_POST as the last real placement) does not begin a new placement.
    rows = {
        "Episodes": [
            # V1: U4 with carer 1111111 throughout but for T1 -> 1 placement; same placement since 2015 -> stable.
            episode("V1", "01/01/2015", "S", "U4", "01/10/2019", "X1", URN="1111111"),
            episode("V1", "01/10/2019", "P", "T1", "05/10/2019", "X1", URN="1111111"),
            episode("V1", "05/10/2019", "P", "U4", URN="1111111"),
            # V2: moved to carer 2222222 on 1 Jun 2019 (2), T1, back to 2222222 -> 2 placements, not 3;
            # current placement from 1 Jun 2019 -> not stable.
            episode("V2", "01/01/2015", "S", "U4", "01/06/2019", "X1", URN="1111111"),
            episode("V2", "01/06/2019", "P", "U4", "01/10/2019", "X1", URN="2222222"),
            episode("V2", "01/10/2019", "P", "T1", "05/10/2019", "X1", URN="2222222"),
            episode("V2", "05/10/2019", "P", "U4", URN="2222222"),
            # V3: as V2 but after T1 goes to a new carer 3333333 -> 3 placements (NI 62); not stable.
            episode("V3", "01/01/2015", "S", "U4", "01/06/2019", "X1", URN="1111111"),
            episode("V3", "01/06/2019", "P", "U4", "01/10/2019", "X1", URN="2222222"),
            episode("V3", "01/10/2019", "P", "T1", "05/10/2019", "X1", URN="2222222"),
            episode("V3", "05/10/2019", "P", "U4", URN="3333333"),
        ],
        "Header": [header(c, "01/01/2010") for c in ("V1", "V2", "V3")],
    }
    result = indicators_for(tmp_path, {2020: rows})
    # NI 62: 3+ placements: V3 only -> 1 of 3 (V2 would be 3 if the return counted).
    assert (result.loc["NI62", "numerator"], result.loc["NI62", "denominator"]) == (1, 3)
    # NI 63: cohort V1-V3; same placement 2+ years: V1 only -> 1 of 3.
    assert (result.loc["NI63", "numerator"], result.loc["NI63", "denominator"]) == (1, 3)


# --------------------------------------------------------------------------- hand-made kept tables


def ep(year, child, decom, rne, place, dec=None, rec=None, ls="C2", urn="SC1", la=LA) -> dict:
    """One kept Episodes row of the ``year`` return, typed as the reader types it."""
    return {
        "LA": la, "YEAR": year, "CHILD": child, "DECOM": pd.Timestamp(decom), "RNE": rne, "LS": ls, "CIN": "N1",
        "PLACE": place, "PLACE_PROVIDER": "PR1", "DEC": pd.Timestamp(dec) if dec else pd.NaT, "REC": rec,
        "REASON_PLACE_CHANGE": None, "HOME_POST": "A1 1AA", "PL_POST": "B1 1BB", "URN": urn,
    }  # fmt: skip


def kept_tables(episodes: list[dict], dobs: dict[str, str], years, **others) -> dict[str, pd.DataFrame]:
    """Episodes and a Header row per child and year given; other tables empty unless given."""
    header = pd.DataFrame(
        [{"LA": LA, "YEAR": y, "CHILD": c, "DOB": pd.Timestamp(d)} for y in years for c, d in dobs.items()]
    )
    empty = {
        "AD1": ["CHILD", "DATE_INT"],
        "PlacedAdoption": ["CHILD", "DATE_PLACED", "DATE_PLACED_CEASED"],
        "Reviews": ["CHILD", "REVIEW"],
        "OC2": ["CHILD", "DOB", "SDQ_SCORE"],
        "OC3": ["CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"],
    }
    tables = {"Episodes": pd.DataFrame(episodes), "Header": header}
    for name, columns in empty.items():
        frame = others.get(name, pd.DataFrame(columns=["LA", "YEAR", *columns]))
        for column in ("DATE_INT", "DATE_PLACED", "DATE_PLACED_CEASED", "REVIEW", "DOB"):
            if column in frame:
                frame[column] = pd.to_datetime(frame[column])
        tables[name] = frame
    return tables


def figures(table: pd.DataFrame, year: int) -> pd.DataFrame:
    return table.loc[table["YEAR"] == year].set_index("indicator")


def test_each_return_as_submitted_later_returns_never_change_an_earlier_year():
    episodes = [
        # A: looked after throughout, in every return
        ep(2018, "A", "2016-05-01", "S", "U4"),
        ep(2019, "A", "2016-05-01", "S", "U4"),
        # B: open at the end of 2018 and absent from the 2019 return (left open by mistake)
        ep(2018, "B", "2017-09-01", "S", "U6"),
        # C: recorded late: only the 2019 return holds its episode, begun 1 Feb 2018 (in year 2018)
        ep(2019, "C", "2018-02-01", "S", "U6"),
    ]
    tables = kept_tables(episodes, {"A": "2010-01-01", "B": "2011-01-01", "C": "2012-01-01"}, [2018, 2019])
    submitted = compute_indicators(tables)
    merged = compute_indicators(tables, history="merged")
    # plain counts of each return's own rows: open at 31 March of the year
    assert figures(submitted, 2018).loc["CLA_31MAR", "numerator"] == 2  # A, B
    assert figures(submitted, 2019).loc["CLA_31MAR", "numerator"] == 2  # A, C
    assert figures(submitted, 2018).loc["STARTED", "numerator"] == 1  # B
    # the merged history lets the 2019 return feed 2018 (C) and keeps B looked after in 2019
    assert figures(merged, 2018).loc["CLA_31MAR", "numerator"] == 3
    assert figures(merged, 2019).loc["CLA_31MAR", "numerator"] == 3
    assert figures(merged, 2018).loc["STARTED", "numerator"] == 2
    # loading only 2018 gives 2018 the same figures as loading both
    alone = kept_tables([e for e in episodes if e["YEAR"] == 2018], {"A": "2010-01-01", "B": "2011-01-01"}, [2018])
    pd.testing.assert_frame_equal(
        compute_indicators(alone), submitted.loc[submitted["YEAR"] == 2018].reset_index(drop=True)
    )


def test_look_backs_use_earlier_returns_for_what_the_year_lacks():
    # D has been looked after since 1 Jan 2016; the 2019 return holds only its current episode
    # (placement from 1 Mar 2017, RNE P); the episode that ended on 1 Mar 2017 is in the 2017 return.
    # With the 2017 return, 2019's NI 63 knows D has been looked after 2.5+ years: in the cohort, stable.
    episodes = [
        ep(2017, "D", "2016-01-01", "S", "U6", "2017-03-01", "X1"),
        ep(2017, "D", "2017-03-01", "P", "U4"),
        ep(2019, "D", "2017-03-01", "P", "U4"),
    ]
    tables = kept_tables(episodes, {"D": "2009-01-01"}, [2017, 2019])
    ni63 = figures(compute_indicators(tables), 2019).loc["NI63"]
    assert (ni63["numerator"], ni63["denominator"]) == (1, 1)
    # without the earlier return the period of care seems to start on 1 Mar 2017: not 2.5 years
    only_2019 = kept_tables(episodes[2:], {"D": "2009-01-01"}, [2019])
    assert figures(compute_indicators(only_2019), 2019).loc["NI63", "denominator"] == 0


def test_short_breaks_count_in_no_indicator_ni61_and_ni62_included():
    episodes = [
        # F: two short breaks (V3), then care from 1 July: 2 placements in care, 4 with the short breaks
        ep(2019, "F", "2018-05-01", "S", "U6", "2018-05-03", "E8", ls="V3"),
        ep(2019, "F", "2018-06-01", "S", "U6", "2018-06-03", "E8", ls="V3"),
        ep(2019, "F", "2018-07-01", "S", "U4", "2018-09-01", "X1", urn="SC2"),
        ep(2019, "F", "2018-09-01", "P", "U6", urn="SC3"),
        # G: only short breaks (V4), one open at 31 March
        ep(2019, "G", "2019-01-01", "S", "U4", ls="V4"),
        # H: a short-break episode recorded as ending in adoption (an export fault): not an adoption
        ep(2019, "H", "2018-04-10", "S", "A5", "2018-12-01", "E11", ls="V4"),
    ]
    ad1 = pd.DataFrame([{"LA": LA, "YEAR": 2019, "CHILD": "H", "DATE_INT": "2018-01-01"}])
    tables = kept_tables(episodes, {"F": "2011-01-01", "G": "2009-01-01", "H": "2016-01-01"}, [2019], AD1=ad1)
    result = figures(compute_indicators(tables), 2019)
    assert result.loc["CLA_31MAR", "numerator"] == 1  # F
    assert result.loc["STARTED", "numerator"] == 1  # F, from 1 July
    assert result.loc["CEASED", "numerator"] == 0  # the short breaks' ends are not leaving care
    assert (result.loc["NI62", "numerator"], result.loc["NI62", "denominator"]) == (0, 1)
    assert (result.loc["NI61", "numerator"], result.loc["NI61", "denominator"]) == (0, 0)
    assert pd.isna(result.loc["NI61", "value"]) and result.loc["NI61", "status"] == ""


def test_an_indicator_whose_tables_are_absent_is_x_with_the_reason_never_zero():
    episodes = [
        ep(2019, "P", "2017-01-01", "S", "U6", "2018-06-01", "X1"),
        ep(2019, "P", "2018-06-01", "T", "A5", "2018-12-01", "E11"),
    ]
    tables = kept_tables(episodes, {"P": "2016-01-01"}, [2019])
    absent = pd.DataFrame({"LA": LA, "YEAR": 2019, "table": ["AD1", "PlacedAdoption", "Reviews"]})
    result = figures(compute_indicators(tables, absent), 2019)
    for name in ("NI61", "NI66"):
        row = result.loc[name]
        assert row["status"] == "x" and pd.isna(row["numerator"]) and pd.isna(row["value"]), name
    assert result.loc["NI61", "reason"] == "needs AD1 or PlacedAdoption, absent from this return"
    assert result.loc["NI66", "reason"] == "needs Reviews, absent from this return"
    assert result.loc["CEASED", "numerator"] == 1 and result.loc["CEASED", "status"] == ""
    # one of the two adoption tables is enough for NI 61
    placed_only = compute_indicators(tables, absent.loc[absent["table"] != "PlacedAdoption"])
    assert figures(placed_only, 2019).loc["NI61", "status"] == ""
    # a table not given at all is absent for every LA-year
    del tables["OC3"]
    assert (figures(compute_indicators(tables), 2019).loc[["NI147", "NI148"], "status"] == "x").all()


def test_registry_one_function_per_indicator_with_labels_kind_definition_and_tables():
    functions = ["cla_31mar", "started", "ceased", "p1_31mar", "ni58", "ni61", "ni62", "ni63", "ni66", "ni147", "ni148"]
    assert [entry.compute.__name__ for entry in REGISTRY.values()] == functions
    assert all(getattr(ind, name) is REGISTRY[key].compute for name, key in zip(functions, REGISTRY, strict=False))
    known_tables = {
        "Header",
        "Episodes",
        "UASC",
        "OC2",
        "OC3",
        "AD1",
        "PlacedAdoption",
        "PrevPerm",
        "Missing",
        "Reviews",
    }
    for entry in REGISTRY.values():
        assert entry.kind in ind.KINDS and entry.label and entry.short_label and len(entry.definition) > 80
        assert {t for need in entry.needs for t in (need if isinstance(need, tuple) else (need,))} <= known_tables
    kinds = {entry.name: entry.kind for entry in REGISTRY.values()}
    assert [n for n, k in kinds.items() if k == "count"] == ["CLA_31MAR", "STARTED", "CEASED"]
    assert [n for n, k in kinds.items() if k == "mean"] == ["NI58"]


def test_docs_are_generated_from_the_registry():
    docs = Path(__file__).parents[2] / "docs" / "england_indicators.md"
    assert docs.read_text(encoding="utf-8") == ind.registry_markdown(), (
        "out of step: python -m lac_outcomes.england.indicators > docs/england_indicators.md"
    )


def test_tables_with_no_rows_and_no_types_are_x_not_an_error():
    # after an empty or header-only file in every return, a table may reach the indicators with no rows
    # and untyped columns; its indicators are x, the others computed
    episodes = [ep(2019, "P", "2017-01-01", "S", "U6", "2018-06-01", "X1"), ep(2019, "P", "2018-06-01", "T", "A5")]
    tables = kept_tables(episodes, {"P": "2012-01-01"}, [2019])
    empty = ("OC2", "OC3", "AD1", "PlacedAdoption", "Reviews")
    for name in empty:
        tables[name] = tables[name].astype("object")
    absent = pd.DataFrame({"LA": LA, "YEAR": 2019, "table": list(empty)})
    for history in ("submitted", "merged"):
        result = figures(compute_indicators(tables, absent, history=history), 2019)
        unavailable = result.index[result["status"] == "x"].tolist()
        assert unavailable == ["NI58", "NI61", "NI66", "NI147", "NI148"], history
        assert result.loc["CLA_31MAR", "numerator"] == 1
