"""Reading 903 exports: messy-but-valid files, row rules with quarantine, structural faults, year checks."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from lac_outcomes.england.layout import schema_year_for, tables_for_year
from lac_outcomes.england.reader import (
    ROW_COLUMN,
    RULE_AFTER_YEAR,
    RULE_BEFORE_YEAR,
    RULE_BLANK,
    RULE_CODE,
    RULE_DATE,
    RULE_DUPLICATE_CHILD,
    RULE_END_BEFORE_START,
    RULE_INTEGER_RANGE,
    RULE_NOT_INTEGER,
    RULE_OVERLAP,
    RULE_POSTCODE,
    RULE_REC_MISSING,
    RULE_REC_ON_OPEN,
    Source,
    read_returns,
    sources_from_tree,
    table_from_file_name,
)
from lac_outcomes.readers import FIELD_COUNT_RULE
from lac_outcomes.validation import SOURCE_ROW, InputError

from .returns import episode, header, write_return

LA = "E09000001"


def _messy_copy(clean_dir, messy_dir):
    """Rewrite each file as a careless exporter would, keeping the same records."""
    messy_dir.mkdir(parents=True)
    for number, path in enumerate(sorted(clean_dir.glob("*.csv"))):
        lines = path.read_text(encoding="utf-8").splitlines()
        columns = lines[0].split(",")
        head = ",".join(f" {c.lower()} " if i % 2 else c.title() for i, c in enumerate(columns))
        body = [
            ",".join(f" {v}" if v and i == 0 else (f"{v} " if v else v) for i, v in enumerate(line.split(",")))
            for line in lines[1:]
        ]
        text = "\n".join([head, *body]) + "\n" + "," * (len(columns) - 1) + "\n\n"
        table = table_from_file_name(path)
        # different naming; every third file gets a name that says nothing, so the header must identify it
        name = f"export_{number}_2019.csv" if number % 3 == 0 else f"SSDA903_2019_{table}.CSV"
        (messy_dir / name).write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))


def test_messy_export_reads_identically_to_clean(small_synthetic, tmp_path):
    out, years, _ = small_synthetic
    la_dir = sorted(p for p in out.iterdir() if p.is_dir())[0]
    clean = tmp_path / "clean" / la_dir.name
    clean.mkdir(parents=True)
    for path in la_dir.glob("*2019*"):
        shutil.copy(path, clean / path.name)
    _messy_copy(clean, tmp_path / "messy" / la_dir.name)

    clean_result = read_returns([Source(la_dir.name, 2019, clean)])
    messy_result = read_returns([Source(la_dir.name, 2019, tmp_path / "messy" / la_dir.name)])
    assert set(clean_result.tables) == set(messy_result.tables)
    for name, table in clean_result.tables.items():
        pd.testing.assert_frame_equal(table.kept, messy_result.tables[name].kept, obj=name)
        assert table.rows_in == messy_result.tables[name].rows_in
    assert messy_result.quarantine.empty and messy_result.warnings.empty


def test_kept_tables_are_typed(small_synthetic):
    out, years, _ = small_synthetic
    result = read_returns(sources_from_tree(out, [years[-1]]))
    episodes = result.tables["Episodes"].kept
    assert str(episodes["DECOM"].dtype).startswith("datetime64")
    assert episodes["PLACE"].dtype == "str"
    assert str(result.tables["OC2"].kept["SDQ_SCORE"].dtype) == "Int64"
    assert list(episodes.columns[-2:]) == ["LA", "YEAR"]


def _valid_return():
    return {
        "Header": [header("A", "01/01/2010"), header("B", "01/01/2012")],
        "Episodes": [
            episode("A", "01/01/2018", "S", "U6", "01/06/2018", "X1"),
            episode("A", "01/06/2018", "P", "U4"),
            episode("B", "01/05/2018", "S", "U4"),
        ],
        "OC2": [{"CHILD": "A", "DOB": "01/01/2010", "SDQ_SCORE": 12}],
        "AD1": [],
        "Reviews": [{"CHILD": "A", "DOB": "01/01/2010", "REVIEW": "01/05/2018", "REVIEW_CODE": "PN1"}],
    }


D, B = "dropped", "blanked"
# (table, bad row, rule, column, action); the bad row is appended as the last record of its table.
# A fault in what identifies or dates the row drops it; any other fault blanks the cell and keeps the row.
BAD_ROWS = [
    ("Episodes", episode("C", "01/05/2018", "S", "X9"), RULE_CODE, "PLACE", B),
    ("Episodes", episode("C", "31/02/2019", "S", "U4"), RULE_DATE, "DECOM", D),
    ("Episodes", episode("C", "01/05/2018", "S", "U4", CIN=""), RULE_BLANK, "CIN", B),
    ("Episodes", episode("C", "01/05/2018", "S", "U4", "01/03/2018", "E4A"), RULE_END_BEFORE_START, "DEC", D),
    ("Episodes", episode("C", "01/04/2019", "S", "U4"), RULE_AFTER_YEAR, "DECOM", D),
    ("Episodes", episode("C", "01/05/2018", "S", "U4", "01/06/2018", ""), RULE_REC_MISSING, "REC", B),
    ("Episodes", episode("C", "01/05/2018", "S", "U4", "", "E4A"), RULE_REC_ON_OPEN, "REC", B),
    ("Episodes", episode("C", "01/05/2018", "S", "U4", HOME_POST="NOT A POSTCODE"), RULE_POSTCODE, "HOME_POST", B),
    ("Episodes", episode("A", "01/09/2018", "P", "U6"), RULE_OVERLAP, "DECOM", D),  # A's U4 episode is still open
    ("Header", header("A", "01/01/2010"), RULE_DUPLICATE_CHILD, "CHILD", D),
    ("OC2", {"CHILD": "B", "DOB": "01/01/2012", "SDQ_SCORE": 41}, RULE_INTEGER_RANGE, "SDQ_SCORE", B),
    ("OC2", {"CHILD": "B", "DOB": "01/01/2012", "SDQ_SCORE": "-3"}, RULE_INTEGER_RANGE, "SDQ_SCORE", B),
    ("OC2", {"CHILD": "B", "DOB": "01/01/2012", "SDQ_SCORE": "twelve"}, RULE_NOT_INTEGER, "SDQ_SCORE", B),
    (
        "Reviews",
        {"CHILD": "A", "DOB": "01/01/2010", "REVIEW": "01/03/2018", "REVIEW_CODE": "PN1"},
        RULE_BEFORE_YEAR,
        "REVIEW",
        D,
    ),
]


@pytest.mark.parametrize(
    "table, bad_row, rule, column, action", BAD_ROWS, ids=[f"{t}-{r}-{c}" for t, _, r, c, _ in BAD_ROWS]
)
def test_row_rule_drops_the_row_or_blanks_the_cell(tmp_path, table, bad_row, rule, column, action):
    year = 2019
    rows = _valid_return()
    rows[table] = [*rows[table], bad_row]
    paths = write_return(tmp_path / LA, year, rows)
    result = read_returns([Source(LA, year, tmp_path / LA)])

    quarantine = result.tables[table].quarantine
    expected_line = len(rows[table]) + 1  # header is line 1
    assert quarantine[["table", "file", "row", "column", "rule", "action"]].to_dict("records") == [
        {
            "table": table,
            "file": str(paths[table]),
            "row": expected_line,
            "column": column,
            "rule": rule,
            "action": action,
        }
    ]
    counts = result.tables[table]
    dropped = int(action == D)
    assert (counts.rows_in, counts.rows_kept, counts.rows_dropped, counts.cells_blanked) == (
        len(rows[table]),
        len(rows[table]) - dropped,
        dropped,
        1 - dropped,
    )
    if not dropped:  # the row is kept, the cell blank
        assert counts.kept[column].isna().iloc[-1]
    # quarantine records carry no values from the row (they may be identifiers or dates of birth)
    assert list(quarantine.columns) == ["LA", "YEAR", "table", "file", "row", "column", "rule", "action"]


# One row per child per return (DfE validator checks INT31 AD1, INT33 OC2, INT34 OC3, INT36 UASC):
# a second row for the same child would count the child twice in NI 58, 61, 147 and 148.
ONE_ROW_PER_CHILD = {
    "OC2": {"CHILD": "A", "DOB": "01/01/2010", "SDQ_SCORE": 12},
    "OC3": {"CHILD": "L1", "DOB": "01/01/1999", "IN_TOUCH": "YES", "ACTIV": "F2", "ACCOM": "U1"},
    "AD1": {
        "CHILD": "A",
        "DOB": "01/01/2010",
        "DATE_INT": "01/07/2017",
        "DATE_MATCH": "01/05/2018",
        "FOSTER_CARE": "0",
        "NB_ADOPTR": 2,
        "SEX_ADOPTR": "MF",
        "LS_ADOPTR": "L0",
    },
    "UASC": {"CHILD": "A", "DOB": "01/01/2010", "SEX": "1", "DUC": ""},
}


@pytest.mark.parametrize("table", sorted(ONE_ROW_PER_CHILD))
def test_second_row_for_a_child_is_quarantined(tmp_path, table):
    # The same child's row three times (identical, then a differing second copy): the first is kept,
    # the second and third (file lines 3 and 4; the header is line 1) are quarantined as duplicates.
    year = 2019
    rows = _valid_return()
    first = ONE_ROW_PER_CHILD[table]
    rows[table] = [first, first, {**first, "DOB": "02/01/2010"}]
    paths = write_return(tmp_path / LA, year, rows)
    result = read_returns([Source(LA, year, tmp_path / LA)])

    quarantine = result.tables[table].quarantine
    assert quarantine[["file", "row", "column", "rule"]].to_dict("records") == [
        {"file": str(paths[table]), "row": line, "column": "CHILD", "rule": RULE_DUPLICATE_CHILD} for line in (3, 4)
    ]
    counts = result.tables[table]
    assert (counts.rows_in, counts.rows_kept, counts.rows_dropped) == (3, 1, 2)


def test_code_valid_in_the_next_specification_is_kept_with_a_warning(tmp_path):
    # E45 (special guardianship to former foster carers) replaced E43 in the 2019 specification; CUSTOD came then too.
    # Exporters adopt it a year early: in 2018 the row is kept, the code with it, and a warning counts the rows.
    rows = {
        "Header": [header("C", "01/01/2010")],
        "Episodes": [episode("C", "01/05/2017", "S", "U4", "01/06/2017", "E45", REASON_PLACE_CHANGE="CUSTOD")],
    }
    paths = write_return(tmp_path / LA, 2018, rows)
    result = read_returns([Source(LA, 2018, tmp_path / LA)])
    assert result.tables["Episodes"].quarantine.empty
    assert result.tables["Episodes"].kept[["REC", "REASON_PLACE_CHANGE"]].values.tolist() == [["E45", "CUSTOD"]]
    kept_with_warning = result.warnings.loc[result.warnings["check"] == "kept with a warning", ["file", "message"]]
    assert kept_with_warning.to_dict("records") == [
        {"file": str(paths["Episodes"]), "message": "1 row(s): REC: code from the adjacent specification year"},
        {
            "file": str(paths["Episodes"]),
            "message": "1 row(s): REASON_PLACE_CHANGE: code from the adjacent specification year",
        },
    ]
    # two years early it is outside the code list: the cell is blanked, the episode kept
    paths = write_return(
        tmp_path / "early" / LA,
        2017,
        {**rows, "Episodes": [episode("C", "01/05/2016", "S", "U4", "01/06/2016", "E45")]},
    )
    result = read_returns([Source(LA, 2017, tmp_path / "early" / LA)])
    assert result.tables["Episodes"].quarantine[["row", "column", "rule", "action"]].to_dict("records") == [
        {"row": 2, "column": "REC", "rule": RULE_CODE, "action": "blanked"}
    ]
    assert result.tables["Episodes"].rows_kept == 1


def test_code_lists_follow_the_collection_year():
    assert schema_year_for(2016) == 2017 and schema_year_for(2021) == 2019 and schema_year_for(2030) == 2024
    rec_2018 = tables_for_year(2018)["Episodes"].column("REC").codes
    rec_2019 = tables_for_year(2019)["Episodes"].column("REC").codes
    assert "E43" in rec_2018 and "E45" not in rec_2018
    assert "E45" in rec_2019 and "E43" not in rec_2019
    assert "F3" in tables_for_year(2021)["OC3"].column("ACTIV").codes
    assert "F4" in tables_for_year(2022)["OC3"].column("ACTIV").codes
    assert "SocialWorker" in tables_for_year(2024) and "SocialWorker" not in tables_for_year(2023)


def test_ragged_row_is_quarantined_as_a_whole(tmp_path):
    paths = write_return(tmp_path / LA, 2019, _valid_return())
    with paths["Header"].open("a", encoding="utf-8") as handle:
        handle.write("C,1,01/01/2010\n")  # three fields where the header has seven
    result = read_returns([Source(LA, 2019, tmp_path / LA)])
    quarantine = result.tables["Header"].quarantine
    assert quarantine[["row", "column", "rule"]].to_dict("records") == [
        {"row": 4, "column": ROW_COLUMN, "rule": FIELD_COUNT_RULE}
    ]
    assert result.tables["Header"].rows_in == 3


def test_missing_column_names_file_and_column(tmp_path):
    paths = write_return(tmp_path / LA, 2019, _valid_return())
    text = paths["Episodes"].read_text().replace("CIN,", "")
    paths["Episodes"].write_text(
        "\n".join(
            ",".join(f for i, f in enumerate(line.split(",")) if i != 4) if n else line
            for n, line in enumerate(text.splitlines())
        )
        + "\n"
    )
    with pytest.raises(InputError) as error:
        read_returns([Source(LA, 2019, tmp_path / LA)])
    assert str(paths["Episodes"]) in str(error.value)
    assert error.value.column == "cin" and "cin" in str(error.value)


def test_missing_required_table_names_the_folder_and_table(tmp_path):
    paths = write_return(tmp_path / LA, 2019, _valid_return())
    paths["Episodes"].unlink()
    with pytest.raises(InputError, match="no Episodes file for collection year 2019") as error:
        read_returns([Source(LA, 2019, tmp_path / LA)])
    assert str(tmp_path / LA) in str(error.value)


def test_missing_other_table_is_absent_and_said_once(tmp_path):
    # Only Header and Episodes are required: without Reviews (and with a 1-byte AD1) the run goes on.
    # Header-only tables (UASC, OC3, ... in this return) are tables with no rows, not absent ones.
    paths = write_return(tmp_path / LA, 2019, _valid_return())
    paths["Reviews"].unlink()
    paths["AD1"].write_bytes(b"\n")
    result = read_returns([Source(LA, 2019, tmp_path / LA)])
    assert result.absent.to_dict("records") == [{"LA": LA, "YEAR": 2019, "table": t} for t in ("AD1", "Reviews")]
    said = result.warnings.loc[result.warnings["check"] == "absent tables", "message"].tolist()
    assert said == [
        "tables absent for 2019: AD1 (empty file), Reviews (no file); "
        "indicators that need them are unavailable for this LA and year"
    ]
    assert result.tables["Reviews"].kept.empty and "REVIEW" in result.tables["Reviews"].kept
    assert result.tables["UASC"].rows_in == 0


def test_wrong_delimiter_and_undecodable_file(tmp_path):
    paths = write_return(tmp_path / LA, 2019, _valid_return())
    paths["Header"].write_text(paths["Header"].read_text().replace(",", ";"))
    with pytest.raises(InputError, match="delimiter") as error:
        read_returns([Source(LA, 2019, tmp_path / LA)])
    assert str(paths["Header"]) in str(error.value)

    paths = write_return(tmp_path / "other", 2019, _valid_return())
    paths["OC2"].write_bytes(paths["OC2"].read_bytes() + b"B,01/01/2012,5,,,,,,,,,\n".replace(b"B", b"\xe9"))
    with pytest.raises(InputError, match="UTF-8") as error:
        read_returns([Source("other", 2019, tmp_path / "other")])
    assert str(paths["OC2"]) in str(error.value)


def test_year_labelled_by_its_start_stops_with_the_diagnosis(small_synthetic, tmp_path):
    out, years, _ = small_synthetic
    la_dir = sorted(p for p in out.iterdir() if p.is_dir())[0]
    # An exporter called the 2018-19 return "2018"; the config trusts the label and says 2018. Tables dated
    # within the year lose every row: the run stops, and the one message names the year convention.
    relabelled = tmp_path / la_dir.name
    relabelled.mkdir()
    for path in la_dir.glob("*2019*"):
        shutil.copy(path, relabelled / path.name.replace("2019", "2018"))
    with pytest.raises(InputError) as error:
        read_returns([Source(la_dir.name, 2018, relabelled)])
    assert "every one of its" in str(error.value)
    assert str(error.value).endswith(
        "likely cause: most episodes do not fit the stated collection year 2018 (01/04/2017 to 31/03/2018) "
        "but fit 2019; "
        "check whether the exporter labelled the file by the other end of the year"
    )
    # and the correctly stated year raises no such warning
    assert read_returns([Source(la_dir.name, 2019, la_dir)]).warnings.empty


def test_file_names_and_header_identify_tables(tmp_path):
    assert table_from_file_name("SSDA903_2019_Episodes.csv") == "Episodes"
    assert table_from_file_name("2019-placedadoption.csv") == "PlacedAdoption"
    assert table_from_file_name("oc3_2019.csv") == "OC3"
    assert table_from_file_name("export_2019.csv") is None


def test_ssda903_layout_document_matches_the_code():
    from pathlib import Path

    from lac_outcomes.england.layout import to_markdown

    document = Path(__file__).resolve().parents[2] / "docs" / "ssda903_layout.md"
    assert document.read_text() == to_markdown(), "regenerate docs/ssda903_layout.md from layout.to_markdown()"
    # the policy is stated per column: what identifies or dates a row drops it, anything else is blanked
    assert "| `CHILD` | id |  | no | drop the row |  |" in document.read_text()
    assert "| `REC` | code |" in document.read_text() and "| yes | blank the cell |" in document.read_text()


# --- files checked together give what files checked one by one give -----------------------------------


def _edit_line(path, line_number, edit):
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[line_number - 1] = edit(lines[line_number - 1])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _set_field(column):
    def edit(line, value):
        fields = line.split(",")
        fields[column] = value
        return ",".join(fields)

    return edit


def _plant_faults(root):
    """Faults of several kinds in a few files, the rest left clean: both paths of the reader run."""
    las = sorted(p for p in root.iterdir() if p.is_dir())
    first, second, third = las[0], las[1], las[2]

    def one(folder, year, table):
        return next(p for p in folder.iterdir() if str(year) in p.name and table.lower() in p.name.lower())

    episodes = one(first, 2016, "Episodes")
    _edit_line(episodes, 2, lambda line: _set_field(5)(line, "ZZZ"))  # PLACE outside its code list: blanked
    _edit_line(episodes, 3, lambda line: _set_field(1)(line, "31/02/2016"))  # DECOM not a date: dropped
    lines = episodes.read_text(encoding="utf-8").splitlines()
    episodes.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")  # the same episode twice: overlap
    header = one(second, 2018, "Header")
    _edit_line(header, 2, lambda line: _set_field(1)(line, "7"))  # SEX outside its codes
    lines = header.read_text(encoding="utf-8").splitlines()
    header.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")  # the child twice
    # A lower-case ID is kept with a warning: something said of the file, not of a rule.
    _edit_line(one(third, 2019, "Header"), 2, lambda line: "a" + line)


def _plant_export_quirks(root):
    """What exporters do that the plain-file parse must hand to the line-by-line reader, or read the same."""
    las = sorted(p for p in root.iterdir() if p.is_dir())

    def one(folder, year, table):
        return next(p for p in folder.iterdir() if str(year) in p.name and table.lower() in p.name.lower())

    def rewrite(path, edit):
        path.write_bytes(edit(path.read_bytes()))

    # Plain still: a BOM and a shouting, padded header; columns in another order; padded values and NULLs.
    rewrite(
        one(las[0], 2015, "Header"),
        lambda d: b"\xef\xbb\xbf" + d.split(b"\n", 1)[0].upper() + b"\n" + d.split(b"\n", 1)[1],
    )
    lines = one(las[1], 2015, "Header").read_text(encoding="utf-8").splitlines()
    reordered = [",".join(reversed(line.split(","))) for line in lines]
    one(las[1], 2015, "Header").write_text("\n".join(reordered) + "\n", encoding="utf-8")
    _edit_line(one(las[0], 2016, "Episodes"), 2, lambda line: _set_field(6)(line, " NULL "))
    _edit_line(one(las[0], 2016, "Episodes"), 3, lambda line: _set_field(7)(line, "  " + line.split(",")[7] + "\t"))
    # Not plain: CRLF line ends, quoted values, no newline at the end.
    rewrite(one(las[1], 2016, "Episodes"), lambda d: d.replace(b"\n", b"\r\n"))
    _edit_line(one(las[2], 2016, "Header"), 2, lambda line: _set_field(0)(line, '"' + line.split(",")[0] + '"'))
    rewrite(one(las[2], 2017, "Header"), lambda d: d.rstrip(b"\n"))
    # Plain to look at, but the joint parse finds a line it cannot take: the group goes line by line.
    _edit_line(one(las[0], 2017, "Episodes"), 2, lambda line: line + ",")  # a trailing comma on one row
    _edit_line(one(las[1], 2017, "Episodes"), 3, lambda line: ",".join("" for _ in line.split(",")))  # all blank
    _edit_line(one(las[2], 2018, "Episodes"), 4, lambda line: line.rsplit(",", 1)[0])  # a field short


@pytest.mark.parametrize("faults", ["clean", "with faults", "export quirks"])
def test_files_checked_together_give_exactly_what_files_checked_one_by_one_give(
    small_synthetic, tmp_path, monkeypatch, faults
):
    from lac_outcomes.england import reader

    out, years, _ = small_synthetic
    root = tmp_path / "returns"
    shutil.copytree(out, root)
    if faults == "with faults":
        _plant_faults(root)
    if faults == "export quirks":
        _plant_export_quirks(root)
    sources = sources_from_tree(root, years)
    together = read_returns(sources)
    monkeypatch.setattr(reader, "_batchable", lambda raw: False)  # every file on its own, as the reader did
    one_by_one = read_returns(sources)

    assert set(together.tables) == set(one_by_one.tables)
    for name, table in one_by_one.tables.items():
        pd.testing.assert_frame_equal(together.tables[name].kept, table.kept, obj=name)
        pd.testing.assert_frame_equal(together.tables[name].quarantine, table.quarantine, obj=name)
        pd.testing.assert_frame_equal(together.tables[name].counts, table.counts, obj=name)
        assert together.tables[name].records == table.records
    pd.testing.assert_frame_equal(together.warnings, one_by_one.warnings)
    pd.testing.assert_frame_equal(together.absent, one_by_one.absent)
    assert together.flagged == one_by_one.flagged
    rules = set(one_by_one.quarantine["rule"])
    if faults == "export quirks":
        assert rules == {FIELD_COUNT_RULE}  # the short row; the trailing comma is read past, the blank line skipped
        assert together.warnings["message"].str.contains("trailing comma ends 1 data row").any()
    elif faults == "with faults":
        assert {RULE_CODE, RULE_DATE, RULE_OVERLAP, RULE_DUPLICATE_CHILD} <= rules
        assert together.warnings["message"].str.contains("lower or mixed case").any()
    else:
        assert not rules


# --- plain files parsed together give what the line-by-line reader gives ------------------------------


def test_plain_files_parsed_together_give_the_line_by_line_records(tmp_path):
    from lac_outcomes.readers import parse_plain, plain_csv, read_rows

    columns = ["CHILD", "SEX", "DOB"]
    texts = {
        "a.csv": "CHILD,SEX,DOB\n1001,1,01/02/2010\n1002, 2 ,NULL\n",
        "c.csv": "CHILD,SEX,DOB\n1005,,05/06/2013\n1006,n/a,\t03/04/2011\n",
        # A BOM, a padded header in another order, no newline at the end: a group of its own.
        "b.csv": "\ufeff dob , Sex,CHILD\n01/02/2010,1,1003\n04/05/2012,1,1004",
    }
    for name, text in texts.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    paths = [tmp_path / name for name in texts]
    plain = [plain_csv(p, columns) for p in paths]
    assert all(plain), "every file here is plain"
    assert plain[0].header == plain[1].header != plain[2].header

    together = parse_plain(plain[:2], columns)
    one_by_one = pd.concat([read_rows(p, columns).records() for p in paths[:2]], ignore_index=True)
    pd.testing.assert_frame_equal(together, one_by_one)
    assert together["SEX"].tolist() == ["1", "2", "", ""]  # stripped; NULL and n/a are blank
    assert together["DOB"].tolist() == ["01/02/2010", "", "05/06/2013", "03/04/2011"]
    assert together[SOURCE_ROW].tolist() == [2, 3, 2, 3]
    pd.testing.assert_frame_equal(parse_plain(plain[2:], columns), read_rows(paths[2], columns).records())


@pytest.mark.parametrize(
    "text",
    [
        'CHILD,SEX,DOB\n"1001",1,01/02/2010\n',  # quoted
        "CHILD,SEX,DOB\r\n1001,1,01/02/2010\r\n",  # CRLF
        "CHILD,SEX,DOB\n\n1001,1,01/02/2010\n",  # a blank line
        "CHILD,SEX,DOB,LOCAL\n1001,1,01/02/2010,x\n",  # an extra column, to be named in a warning
        "CHILD,SEX\n1001,1\n",  # a missing column, to stop the run
        "CHILD,SEX,DOB\n",  # header only: a table with no rows
        "CHILD,SEX,DOB\n1001,1,01/02/2010\u00a0\n",  # not ASCII
    ],
    ids=["quoted", "crlf", "blank line", "extra column", "missing column", "header only", "not ascii"],
)
def test_files_that_need_the_line_by_line_reader_are_not_plain(tmp_path, text):
    from lac_outcomes.readers import plain_csv

    path = tmp_path / "f.csv"
    path.write_text(text, encoding="utf-8", newline="")
    assert plain_csv(path, ["CHILD", "SEX", "DOB"]) is None


@pytest.mark.parametrize(
    "body", ["1001,1,01/02/2010,\n", "1001,1\n", ",,\n", " , ,\n"], ids=["trailing comma", "short", "blank", "spaces"]
)
def test_a_line_the_joint_parse_cannot_take_sends_the_files_line_by_line(tmp_path, body):
    from lac_outcomes.readers import parse_plain, plain_csv

    good, odd = tmp_path / "good.csv", tmp_path / "odd.csv"
    good.write_text("CHILD,SEX,DOB\n1001,1,01/02/2010\n", encoding="utf-8")
    odd.write_text("CHILD,SEX,DOB\n1002,2,02/02/2010\n" + body, encoding="utf-8")
    files = [plain_csv(good, ["CHILD", "SEX", "DOB"]), plain_csv(odd, ["CHILD", "SEX", "DOB"])]
    assert all(files)
    assert parse_plain(files, ["CHILD", "SEX", "DOB"]) is None
