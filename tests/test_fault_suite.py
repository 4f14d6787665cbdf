"""Fault suite: returns crafted the way councils export them, both nations.

Every case asserts either the exact one-line message the user sees or the exact
quarantine counts (rows dropped, cells blanked), and that nothing prints a
traceback.  Inputs are hand-written: Excel re-saves (dd/mm/yyyy dates), SQL
exports (date-times, NULL), trailing commas, lower-case codes and IDs, 1-byte
files, ISO dates in a 903 file, the other year convention.
"""

from __future__ import annotations

import pytest
from england.returns import episode, header, write_return  # tests/ is on the path, as for every test module here
from scotland.test_clean import GOOD, write_tables

from lac_outcomes import cli
from lac_outcomes.england import clean as england_clean
from lac_outcomes.england.reader import Source, read_returns
from lac_outcomes.errors import InputError
from lac_outcomes.scotland import clean as scotland_clean
from lac_outcomes.scotland.layout import TABLES

YEARS = [2019, 2020]
LA = "E09000001"
YEAR = 2019
DROPPED, BLANKED = "dropped", "blanked"


# --------------------------------------------------------------------------- helpers


def scottish(tmp_path, **tables):
    """Write the good Scottish tables with some replaced; returns the folder."""
    return write_tables(tmp_path, {name: [list(r) for r in rows] for name, rows in tables.items()})


def rewrite(path, change):
    path.write_text(change(path.read_text()))


def counts(result, table):
    record = result.counts[table]
    return record["rows_in"], record["rows_kept"], record["rows_dropped"], record["cells_blanked"]


def faults(result, table):
    q = result.quarantine[result.quarantine["table"] == table]
    return sorted(zip(q["row"], q["column"], q["rule"], q["action"], strict=False))


def english_rows():
    return {
        "Header": [header("A", "01/01/2010"), header("B", "01/01/2012"), header("C", "01/01/2008")],
        "Episodes": [
            episode("A", "01/01/2018", "S", "U6", "01/06/2018", "X1"),
            episode("A", "01/06/2018", "P", "U4"),
            episode("B", "01/05/2018", "S", "U4"),
            episode("C", "01/07/2018", "S", "K2", "01/02/2019", "E4A"),
        ],
        "OC2": [{"CHILD": "A", "DOB": "01/01/2010", "SDQ_SCORE": 12}],
        "Reviews": [{"CHILD": "A", "DOB": "01/01/2010", "REVIEW": "01/05/2018", "REVIEW_CODE": "PN1"}],
    }


def english(tmp_path, rows=None, year=YEAR):
    paths = write_return(tmp_path / LA, year, rows or english_rows())
    return paths


def read_english(tmp_path, year=YEAR):
    return read_returns([Source(LA, year, tmp_path / LA)])


def english_counts(result, table):
    t = result.tables[table]
    return t.rows_in, t.rows_kept, t.rows_dropped, t.cells_blanked


def english_faults(result, table):
    q = result.tables[table].quarantine
    return sorted(zip(q["row"], q["column"], q["rule"], q["action"], strict=False))


def said(result, check=None):
    w = result.warnings
    return w.loc[w["check"] == check, "message"].tolist() if check else w["message"].tolist()


def run_cli(capsys, *argv):
    """The command as a user runs it (in process): return code and the last line on stderr."""
    rc = cli.main(list(argv))
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return rc, err.strip().splitlines()[-1] if err.strip() else ""


def expect_stop(call, message):
    with pytest.raises(InputError) as error:
        call()
    assert str(error.value) == message
    assert "Traceback" not in str(error.value) and "\n" not in str(error.value)


# --------------------------------------------------------------------------- Scotland: dates


def test_scotland_dates_of_birth_as_excel_resaves_them(tmp_path):
    children = [[*r[:3], "/".join(reversed(r[3].split("-"))), *r[4:]] for r in GOOD["children"]]
    raw = scottish(tmp_path, children=children)
    result = scotland_clean.clean(raw, years=YEARS)
    assert counts(result, "children") == (2, 2, 0, 0)
    assert (
        f"{raw / 'children.csv'}: column date_of_birth: dates read as dd/mm/yyyy (the layout documents yyyy-mm-dd)"
        in result.warnings
    )
    assert result.tables["children"]["date_of_birth"].dt.year.tolist() == [2008, 2012]


def test_scotland_sql_datetimes(tmp_path):
    episodes = [
        [r[0], r[1] + " 00:00:00.000", (r[2] + " 00:00:00.000") if r[2] else "", *r[3:]] for r in GOOD["episodes"]
    ]
    raw = scottish(tmp_path, episodes=episodes)
    result = scotland_clean.clean(raw, years=YEARS)
    assert counts(result, "episodes") == (3, 3, 0, 0)
    assert (
        f"{raw / 'episodes.csv'}: column episode_start: date-times found; the time of day is ignored" in result.warnings
    )


def test_scotland_a_fifth_of_dates_in_the_other_format_are_named(tmp_path):
    episodes = [list(r) for r in GOOD["episodes"]] + [
        ["C002", "2020-04-01", "2020-05-01", "section_25", "la_home", "placement_change"],
        ["C002", "02/06/2020", "", "section_25", "la_home", ""],
    ]
    raw = scottish(tmp_path, episodes=episodes)
    result = scotland_clean.clean(raw, years=YEARS)
    assert faults(result, "episodes") == [(6, "episode_start", "not a valid date", DROPPED)]
    assert counts(result, "episodes") == (5, 4, 1, 0)
    assert (
        f"{raw / 'episodes.csv'}: column episode_start: 1 date(s) written as dd/mm/yyyy "
        "in a column read as yyyy-mm-dd; "
        "they break the rule 'not a valid date'"
    ) in result.warnings


def test_scotland_date_of_birth_in_the_future(tmp_path):
    children = [list(r) for r in GOOD["children"]] + [["C003", "S12000049", "F", "2031-01-01", "1", "N", "N"]]
    result = scotland_clean.clean(scottish(tmp_path, children=children), years=YEARS)
    assert faults(result, "children") == [(4, "date_of_birth", "date of birth in the future", DROPPED)]
    assert counts(result, "children") == (3, 2, 1, 0)


def test_scotland_every_episode_in_the_other_year_convention_stops(tmp_path):
    episodes = [
        ["C001", "2021-09-01", "", "cso_home", "at_home_with_parents", ""],
        ["C002", "2021-10-01", "", "cso_home", "la_home", ""],
    ]
    raw = scottish(tmp_path, episodes=episodes)
    expect_stop(
        lambda: scotland_clean.clean(raw, years=YEARS),
        f"file {raw / 'episodes.csv'}: every one of its 2 rows was dropped (episode_start: after period end, 2 rows); "
        "likely cause: the dates fall outside the configured years: check the year convention "
        "(labelled by the year's end or start)",
    )


# --------------------------------------------------------------------------- Scotland: blanks, case, commas


def test_scotland_null_in_the_end_of_open_episodes(tmp_path):
    episodes = [[*r[:2], r[2] or "NULL", *r[3:5], r[5] or "NULL"] for r in GOOD["episodes"]]
    result = scotland_clean.clean(scottish(tmp_path, episodes=episodes), years=YEARS)
    assert counts(result, "episodes") == (3, 3, 0, 0)
    assert result.tables["episodes"]["episode_end"].isna().sum() == 1


@pytest.mark.parametrize("word", ["N/A", "NA", "null", "   "])
def test_scotland_blank_words_in_a_required_cell_are_blanked_not_dropped(tmp_path, word):
    children = [list(r) for r in GOOD["children"]]
    children[0][4] = word
    result = scotland_clean.clean(scottish(tmp_path, children=children), years=YEARS)
    assert faults(result, "children") == [(2, "simd_quintile", "blank where a value is required", BLANKED)]
    assert counts(result, "children") == (2, 2, 0, 1)


def test_scotland_child_ids_in_another_case(tmp_path):
    episodes = [[r[0].lower(), *r[1:]] for r in GOOD["episodes"]]
    raw = scottish(tmp_path, episodes=episodes)
    result = scotland_clean.clean(raw, years=YEARS)
    assert counts(result, "episodes") == (3, 3, 0, 0)
    assert (
        f"{raw / 'episodes.csv'}: column child_id: 3 row(s) with IDs in lower or mixed case; "
        "IDs are matched case-insensitively"
    ) in result.warnings


def test_scotland_lower_case_codes(tmp_path):
    children = [[r[0], r[1].lower(), r[2].lower(), r[3], r[4], r[5].lower(), r[6].lower()] for r in GOOD["children"]]
    episodes = [[*r[:3], r[3].upper(), *r[4:]] for r in GOOD["episodes"]]
    result = scotland_clean.clean(scottish(tmp_path, children=children, episodes=episodes), years=YEARS)
    assert result.quarantine.empty
    assert result.tables["children"]["sex"].tolist() == ["F", "M"]
    assert result.tables["children"]["la_code"].tolist() == ["S12000049", "S12000036"]
    assert result.tables["episodes"]["legal_reason"].tolist() == ["cso_home", "cso_residence", "section_25"]


def test_scotland_trailing_comma_on_each_data_row(tmp_path):
    raw = scottish(tmp_path)
    rewrite(
        raw / "children.csv",
        lambda t: "\n".join([t.splitlines()[0], *(line + "," for line in t.splitlines()[1:])]) + "\n",
    )
    result = scotland_clean.clean(raw, years=YEARS)
    assert counts(result, "children") == (2, 2, 0, 0)
    assert (
        f"{raw / 'children.csv'}: a trailing comma ends 2 data row(s) (not the header); "
        "the empty last field is not read"
    ) in result.warnings


def test_scotland_trailing_comma_on_every_line(tmp_path):
    raw = scottish(tmp_path)
    rewrite(raw / "pupils.csv", lambda t: "\n".join(line + "," for line in t.splitlines()) + "\n")
    result = scotland_clean.clean(raw, years=YEARS)
    assert counts(result, "pupils") == (3, 3, 0, 0)
    assert (
        f"{raw / 'pupils.csv'}: a trailing comma ends every line, the header included; "
        "the empty last column is not read"
    ) in result.warnings


def test_scotland_shifted_delimiter_stops_with_the_cause(tmp_path):
    raw = scottish(tmp_path)
    rewrite(
        raw / "leavers.csv",
        lambda t: "\n".join([t.splitlines()[0], *(line.replace(",", ",,", 1) for line in t.splitlines()[1:])]) + "\n",
    )
    rewrite(raw / "leavers.csv", lambda t: t.replace(",,", ",x,"))
    expect_stop(
        lambda: scotland_clean.clean(raw, years=YEARS),
        f"file {raw / 'leavers.csv'}: every one of its 1 rows was dropped ((whole row): "
        "field count differs from header, 1 rows); "
        "likely cause: every row has a different number of fields from the header: "
        "a shifted delimiter or a stray comma",
    )


# --------------------------------------------------------------------------- Scotland: empty tables


def test_scotland_header_only_children_stops_with_one_line(tmp_path):
    raw = scottish(tmp_path)
    rewrite(raw / "children.csv", lambda t: t.splitlines()[0] + "\n")
    expect_stop(
        lambda: scotland_clean.clean(raw, years=YEARS),
        f"file {raw / 'children.csv'}: no rows (the file is empty or holds only a header); "
        "children.csv and episodes.csv must hold records",
    )


def test_scotland_one_byte_leavers_is_a_table_with_no_rows(tmp_path):
    raw = scottish(tmp_path)
    (raw / "leavers.csv").write_bytes(b"\n")
    result = scotland_clean.clean(raw, years=YEARS)
    assert counts(result, "leavers") == (0, 0, 0, 0)
    assert list(result.tables["leavers"].columns) == TABLES["leavers"].column_names


# --------------------------------------------------------------------------- Scotland: cell quarantine, cross-table


def test_scotland_code_outside_the_list_blanks_the_cell(tmp_path):
    episodes = [list(r) for r in GOOD["episodes"]]
    episodes[0][4] = "foster_care"
    result = scotland_clean.clean(scottish(tmp_path, episodes=episodes), years=YEARS)
    assert faults(result, "episodes") == [(2, "placement_type", "code not in the code list", BLANKED)]
    assert counts(result, "episodes") == (3, 3, 0, 1)


def test_scotland_reason_on_an_open_episode_is_blanked(tmp_path):
    episodes = [list(r) for r in GOOD["episodes"]]
    episodes[1][5] = "discharged_home"
    result = scotland_clean.clean(scottish(tmp_path, episodes=episodes), years=YEARS)
    assert faults(result, "episodes") == [(3, "reason_ended", "reason given on an open episode", BLANKED)]
    assert counts(result, "episodes") == (3, 3, 0, 1)
    assert result.tables["episodes"]["episode_end"].isna().sum() == 1  # still open


@pytest.mark.parametrize("table, id_row", [("pupils", 0), ("leavers", None)])
def test_scotland_looked_after_pupil_or_leaver_not_in_children(tmp_path, table, id_row):
    rows = [list(r) for r in GOOD[table]]
    if table == "pupils":
        rows[id_row][0] = "C404"
    else:
        rows.append(["C404", "2020", "S12000049", "F", "2", "N", "Y", "4", "employment"])
    result = scotland_clean.clean(scottish(tmp_path, **{table: rows}), years=YEARS)
    line = 2 if table == "pupils" else 3
    assert faults(result, table) == [(line, "pupil_id", "looked after but not in children.csv", DROPPED)]
    assert counts(result, table)[2:] == (1, 0)


def test_scotland_a_table_losing_more_than_the_share_is_flagged(tmp_path):
    episodes = [list(r) for r in GOOD["episodes"]] + [["C404", "2019-01-01", "", "section_25", "la_home", ""]]
    raw = scottish(tmp_path, episodes=episodes)
    result = scotland_clean.clean(raw, years=YEARS, flag_share=0.2)
    assert result.flagged == [
        {
            "table": "episodes",
            "file": str(raw / "episodes.csv"),
            "rows_in": 4,
            "rows_dropped": 1,
            "share": 0.25,
            "message": f"{raw / 'episodes.csv'}: 1 of 4 rows dropped (25.0%, more than 20%)",
        }
    ]
    assert scotland_clean.clean(raw, years=YEARS, flag_share=0.3).flagged == []


def test_scotland_quality_record_counts_blanked_cells(tmp_path):
    import json

    children = [list(r) for r in GOOD["children"]]
    children[0][2] = "X"
    (tmp_path / "raw").mkdir()
    raw = scottish(tmp_path / "raw", children=children)
    scotland_clean.write(scotland_clean.clean(raw, years=YEARS), tmp_path / "out")
    quality = json.loads((tmp_path / "out" / "quality.json").read_text())
    assert set(quality) == {"tables", "warnings", "flagged"}
    assert quality["tables"]["children"] == {
        "file": str(raw / "children.csv"),
        "rows_in": 2,
        "rows_kept": 2,
        "rows_dropped": 0,
        "rows_quarantined": 0,
        "cells_blanked": 1,
        "by_rule": {"sex: code not in the code list": 1},
    }


# --------------------------------------------------------------------------- Scotland: the command line


def test_scotland_dataset_folder_missing(tmp_path, capsys):
    rc, line = run_cli(
        capsys,
        "clean-scotland",
        "--raw-dir",
        str(tmp_path / "nowhere"),
        "--out-dir",
        str(tmp_path / "out"),
        "--years",
        "2019-2020",
    )
    assert (rc, line) == (
        1,
        f"lac-outcomes clean-scotland: ERROR: file {tmp_path / 'nowhere' / 'children.csv'}: file not found",
    )


def test_years_first_after_last(tmp_path, capsys):
    raw = scottish(tmp_path)
    rc, line = run_cli(
        capsys, "clean-scotland", "--raw-dir", str(raw), "--out-dir", str(tmp_path / "out"), "--years", "2020-2019"
    )
    assert (rc, line) == (
        1,
        "lac-outcomes clean-scotland: ERROR: years: the first year 2020 is after the last year 2019",
    )


def test_unknown_local_authority_code(tmp_path, capsys):
    rc, line = run_cli(
        capsys,
        "simulate-scotland",
        "--out-dir",
        str(tmp_path),
        "--seed",
        "1",
        "--years",
        "2019-2020",
        "--local-authorities",
        "S12000049,S12000099",
        "--published",
        "unused.csv",
    )
    assert (rc, line) == (
        1,
        "lac-outcomes simulate-scotland: ERROR: scotland.synthetic.local_authorities: "
        "unknown local authority code(s) S12000099",
    )


def test_full_disk(tmp_path, capsys, monkeypatch):
    import errno

    from lac_outcomes import io

    def no_space(frame, path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(io, "write_parquet", no_space)
    (tmp_path / "raw").mkdir()
    raw = scottish(tmp_path / "raw")
    rc, line = run_cli(
        capsys, "clean-scotland", "--raw-dir", str(raw), "--out-dir", str(tmp_path / "out"), "--years", "2019-2020"
    )
    assert (rc, line) == (
        1,
        f"lac-outcomes clean-scotland: ERROR: could not read or write {tmp_path / 'out' / 'children.parquet'}: "
        "No space left on device",
    )


# --------------------------------------------------------------------------- England: empty and absent tables


@pytest.mark.parametrize("form", ["1-byte", "removed", "header-only"])
def test_england_ad1_absent_or_empty_lets_the_run_go_on(tmp_path, form):
    paths = english(tmp_path)
    if form == "1-byte":
        paths["AD1"].write_bytes(b"\n")
    elif form == "removed":
        paths["AD1"].unlink()
    result = read_english(tmp_path)
    assert english_counts(result, "AD1") == (0, 0, 0, 0)
    assert english_counts(result, "Episodes") == (4, 4, 0, 0)
    if form == "header-only":  # an exported table with no rows this year: not absent, nothing said
        assert result.absent.empty and said(result, "absent tables") == []
        return
    assert result.absent.to_dict("records") == [{"LA": LA, "YEAR": YEAR, "table": "AD1"}]
    described = "AD1 (no file)" if form == "removed" else "AD1 (empty file)"
    assert said(result, "absent tables") == [
        f"tables absent for {YEAR}: {described}; indicators that need them are unavailable for this LA and year"
    ]


@pytest.mark.parametrize("table", ["Header", "Episodes"])
def test_england_header_or_episodes_without_rows_stops(tmp_path, table):
    paths = english(tmp_path)
    paths[table].write_bytes(b"")
    expect_stop(
        lambda: read_english(tmp_path),
        f"file {paths[table]}: no rows (the file is empty or holds only a header); "
        "Header and Episodes must hold records for every collection year",
    )


# --------------------------------------------------------------------------- England: cell-level quarantine


def test_england_reason_ceased_on_every_open_episode(tmp_path):
    rows = english_rows()
    rows["Episodes"][1]["REC"] = "E8"
    rows["Episodes"][2]["REC"] = "E8"
    english(tmp_path, rows)
    result = read_english(tmp_path)
    assert english_faults(result, "Episodes") == [
        (3, "REC", "REC given on an open episode (no DEC)", BLANKED),
        (4, "REC", "REC given on an open episode (no DEC)", BLANKED),
    ]
    assert english_counts(result, "Episodes") == (4, 4, 0, 2)
    kept = result.tables["Episodes"].kept
    assert kept["DEC"].isna().sum() == 2 and kept["REC"].isna().sum() == 2  # both still looked after


@pytest.mark.parametrize("column, code", [("REC", "E46"), ("REASON_PLACE_CHANGE", "CUSTOD")])
def test_england_code_of_the_next_specification_is_kept_with_a_warning(tmp_path, column, code):
    rows = {
        "Header": [header("C", "01/01/2010")],
        "Episodes": [episode("C", "01/05/2017", "S", "U4", "01/06/2017", "E4A")],
    }
    rows["Episodes"][0][column] = code
    english(tmp_path, rows, year=2018)
    result = read_english(tmp_path, year=2018)
    assert english_counts(result, "Episodes") == (1, 1, 0, 0)
    assert said(result, "kept with a warning") == [f"1 row(s): {column}: code from the adjacent specification year"]


def test_england_care_leaver_activity_of_the_previous_specification_is_kept(tmp_path):
    rows = english_rows()
    rows["OC3"] = [{"CHILD": "L1", "DOB": "01/01/2001", "IN_TOUCH": "YES", "ACTIV": "F3", "ACCOM": "U1"}]
    english(tmp_path, rows, year=2022)
    rows_2022 = {k: [dict(r) for r in v] for k, v in rows.items()}
    for r in rows_2022["Episodes"]:
        for c in ("DECOM", "DEC"):
            r[c] = r[c].replace("2018", "2021").replace("2019", "2022") if r[c] else ""
    for r in rows_2022["Reviews"]:
        r["REVIEW"] = "01/05/2021"
    english(tmp_path, rows_2022, year=2022)
    result = read_english(tmp_path, year=2022)
    assert english_counts(result, "OC3") == (1, 1, 0, 0)
    assert said(result, "kept with a warning") == ["1 row(s): ACTIV: code from the adjacent specification year"]


def test_england_closed_episode_without_a_reason(tmp_path):
    rows = english_rows()
    rows["Episodes"][3]["REC"] = ""
    english(tmp_path, rows)
    result = read_english(tmp_path)
    assert english_faults(result, "Episodes") == [(5, "REC", "REC blank on a closed episode", BLANKED)]
    assert english_counts(result, "Episodes") == (4, 4, 0, 1)


def test_england_malformed_postcode_is_blanked(tmp_path):
    rows = english_rows()
    rows["Episodes"][2]["PL_POST"] = "12345"
    english(tmp_path, rows)
    result = read_english(tmp_path)
    assert english_faults(result, "Episodes") == [(4, "PL_POST", "not a postcode", BLANKED)]
    assert english_counts(result, "Episodes") == (4, 4, 0, 1)


def test_england_unreadable_start_date_drops_the_episode(tmp_path):
    rows = english_rows()
    rows["Episodes"][2]["DECOM"] = "32/05/2018"
    english(tmp_path, rows)
    result = read_english(tmp_path)
    assert english_faults(result, "Episodes") == [(4, "DECOM", "not a valid date", DROPPED)]
    assert english_counts(result, "Episodes") == (4, 3, 1, 0)


# --------------------------------------------------------------------------- England: exports as they come


def test_england_episodes_in_iso_dates(tmp_path):
    rows = english_rows()
    for r in rows["Episodes"]:
        for c in ("DECOM", "DEC"):
            if r[c]:
                d, m, y = r[c].split("/")
                r[c] = f"{y}-{m}-{d}"
    paths = english(tmp_path, rows)
    result = read_english(tmp_path)
    assert english_counts(result, "Episodes") == (4, 4, 0, 0)
    assert said(result, "reading") == [
        "column DECOM: dates read as yyyy-mm-dd (the layout documents dd/mm/yyyy)",
        "column DEC: dates read as yyyy-mm-dd (the layout documents dd/mm/yyyy)",
    ]
    assert result.warnings.loc[result.warnings["check"] == "reading", "file"].unique().tolist() == [
        str(paths["Episodes"])
    ]


def test_england_sql_datetimes_in_header(tmp_path):
    rows = english_rows()
    for r in rows["Header"]:
        d, m, y = r["DOB"].split("/")
        r["DOB"] = f"{y}-{m}-{d} 00:00:00.000"
    english(tmp_path, rows)
    result = read_english(tmp_path)
    assert english_counts(result, "Header") == (3, 3, 0, 0)
    assert said(result, "reading") == [
        "column DOB: dates read as yyyy-mm-dd (the layout documents dd/mm/yyyy)",
        "column DOB: date-times found; the time of day is ignored",
    ]


def test_england_trailing_comma_on_every_data_row(tmp_path):
    paths = english(tmp_path)
    rewrite(
        paths["Episodes"], lambda t: "\n".join([t.splitlines()[0], *(line + "," for line in t.splitlines()[1:])]) + "\n"
    )
    result = read_english(tmp_path)
    assert english_counts(result, "Episodes") == (4, 4, 0, 0)
    assert said(result, "reading") == [
        "a trailing comma ends 4 data row(s) (not the header); the empty last field is not read"
    ]


def test_england_trailing_comma_on_every_line(tmp_path):
    paths = english(tmp_path)
    rewrite(paths["Header"], lambda t: "\n".join(line + "," for line in t.splitlines()) + "\n")
    result = read_english(tmp_path)
    assert english_counts(result, "Header") == (3, 3, 0, 0)
    assert said(result, "reading") == [
        "a trailing comma ends every line, the header included; the empty last column is not read"
    ]
    assert said(result, "extra columns") == []


def test_england_null_and_na_cells_are_blank(tmp_path):
    rows = english_rows()
    for r in rows["Episodes"]:
        r.update({c: "NULL" for c in ("DEC", "REC", "REASON_PLACE_CHANGE") if not r[c]})
    rows["Header"][0]["MOTHER"] = "N/A"
    english(tmp_path, rows)
    result = read_english(tmp_path)
    assert english_counts(result, "Episodes") == (4, 4, 0, 0) and english_counts(result, "Header") == (3, 3, 0, 0)
    assert result.tables["Episodes"].kept["DEC"].isna().sum() == 2


def test_england_lower_case_codes_and_labels(tmp_path):
    rows = english_rows()
    for r in rows["Episodes"]:
        r["PLACE"], r["LS"] = r["PLACE"].lower(), r["LS"].lower()
    rows["Header"][0]["SEX"] = "female"
    english(tmp_path, rows)
    result = read_english(tmp_path)
    assert result.quarantine.empty
    assert result.tables["Episodes"].kept["PLACE"].tolist() == ["U6", "U4", "U4", "K2"]
    assert result.tables["Header"].kept["SEX"].tolist() == ["2", "1", "1"]


def test_england_child_ids_in_another_case(tmp_path):
    rows = english_rows()
    for r in rows["Episodes"]:
        r["CHILD"] = r["CHILD"].lower()
    english(tmp_path, rows)
    result = read_english(tmp_path)
    assert english_counts(result, "Episodes") == (4, 4, 0, 0)
    assert said(result, "kept with a warning") == ["4 row(s): CHILD: ID case differs"]
    assert result.tables["Episodes"].kept["CHILD"].tolist() == ["A", "A", "B", "C"]


def test_england_shifted_delimiter_stops_with_the_cause(tmp_path):
    paths = english(tmp_path)
    rewrite(
        paths["Episodes"],
        lambda t: "\n".join([t.splitlines()[0], *("x," + line for line in t.splitlines()[1:])]) + "\n",
    )
    expect_stop(
        lambda: read_english(tmp_path),
        f"file {paths['Episodes']}: every one of its 4 rows was dropped ((whole row): "
        "field count differs from header, 4 rows); "
        "likely cause: every row has a different number of fields from the header: "
        "a shifted delimiter or a stray comma",
    )


def test_england_wrong_year_convention_stops_with_the_diagnosis(tmp_path):
    # The 2019-20 return labelled 2019: every episode began after 31 March 2019.
    rows = {
        "Header": [header("A", "01/01/2010"), header("B", "01/01/2012")],
        "Episodes": [episode("A", "01/05/2019", "S", "U4"), episode("B", "01/06/2019", "S", "U6", "01/09/2019", "E4A")],
    }
    paths = english(tmp_path, rows)
    expect_stop(
        lambda: read_english(tmp_path),
        f"file {paths['Episodes']}: every one of its 2 rows was dropped (DECOM: "
        "date after the end of the collection year, 2 rows); "
        "likely cause: most episodes do not fit the stated collection year 2019 (01/04/2018 to 31/03/2019) "
        "but fit 2020; "
        "check whether the exporter labelled the file by the other end of the year",
    )


def test_england_episodes_losing_more_than_the_share_are_flagged(tmp_path):
    rows = english_rows()
    rows["Episodes"][3]["DECOM"] = "not a date"
    paths = english(tmp_path, rows)
    result = read_returns([Source(LA, YEAR, tmp_path / LA)], flag_share=0.02)
    assert result.flagged == [
        {
            "LA": LA,
            "YEAR": YEAR,
            "table": "Episodes",
            "file": str(paths["Episodes"]),
            "rows_in": 4,
            "rows_dropped": 1,
            "share": 0.25,
            "message": f"{LA} {YEAR} Episodes: 1 of 4 rows dropped (25.0%, more than 2%)",
        }
    ]


def test_england_quality_per_la_year_and_flagged_in_quality_json(tmp_path):
    import json

    rows = english_rows()
    rows["Episodes"][3]["DECOM"] = "not a date"
    rows["Episodes"][0]["CIN"] = "N9"
    english(tmp_path / "raw", rows)
    england_clean.write(england_clean.clean(tmp_path / "raw", years=[YEAR], flag_share=0.3), tmp_path / "out")
    quality = json.loads((tmp_path / "out" / "quality.json").read_text())
    assert quality["flagged"] == []
    episodes = quality["tables"]["Episodes"]
    assert (episodes["rows_in"], episodes["rows_kept"], episodes["rows_dropped"], episodes["cells_blanked"]) == (
        4,
        3,
        1,
        1,
    )
    per_year = [r for r in quality["by_la_year"] if r["table"] == "Episodes"]
    assert [
        (r["LA"], r["YEAR"], r["rows_in"], r["rows_kept"], r["rows_dropped"], r["cells_blanked"]) for r in per_year
    ] == [(LA, YEAR, 4, 3, 1, 1)]


def test_england_years_first_after_last(tmp_path, capsys):
    english(tmp_path / "raw")
    rc, line = run_cli(
        capsys,
        "clean-england",
        "--raw-dir",
        str(tmp_path / "raw"),
        "--out-dir",
        str(tmp_path / "out"),
        "--years",
        "2024-2015",
    )
    assert (rc, line) == (
        1,
        "lac-outcomes clean-england: ERROR: years: the first year 2024 is after the last year 2015",
    )


def test_england_command_with_absent_tables_runs_and_writes(tmp_path, capsys):
    paths = english(tmp_path / "raw")
    paths["AD1"].write_bytes(b"\n")
    paths["Missing"].unlink()
    rc, _ = run_cli(
        capsys,
        "clean-england",
        "--raw-dir",
        str(tmp_path / "raw"),
        "--out-dir",
        str(tmp_path / "out"),
        "--years",
        str(YEAR),
    )
    assert rc == 0 and (tmp_path / "out" / "indicators.parquet").exists()
