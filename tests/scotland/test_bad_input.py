"""Crafted bad inputs for every Scottish table: the exact message a user sees, and nothing lost."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from lac_outcomes.io import read_parquet, write_parquet
from lac_outcomes.scotland import clean
from lac_outcomes.scotland.layout import TABLES
from lac_outcomes.validation import InputError

from .test_clean import GOOD, YEARS, write_tables

TABLE_NAMES = list(GOOD)


def columns(table):
    return ", ".join(TABLES[table].column_names)


def second_column(table):
    return TABLES[table].column_names[1]


STRUCTURAL = {
    "missing file": (lambda p, t: p.unlink(), lambda f, t: f"file {f}: file not found"),
    "misspelt column": (
        lambda p, t: p.write_text(p.read_text().replace(second_column(t), second_column(t) + "x", 1)),
        lambda f, t: (
            f"file {f}, row 1, column {second_column(t)}: missing column(s) '{second_column(t)}' "
            f"(found '{second_column(t)}x': misspelt?); expected columns: {columns(t)}"
        ),
    ),
    "missing column": (
        lambda p, t: p.write_text(
            "\n".join(",".join(line.split(",")[:-1]) for line in p.read_text().splitlines()) + "\n"
        ),
        lambda f, t: (
            f"file {f}, row 1, column {TABLES[t].column_names[-1]}: missing column(s) '{TABLES[t].column_names[-1]}'; "
            f"expected columns: {columns(t)}"
        ),
    ),
    "extra column": (
        lambda p, t: p.write_text(
            "\n".join(line + ",x" for line in p.read_text().splitlines()).replace(",x", ",notes", 1) + "\n"
        ),
        lambda f, t: f"file {f}, row 1, column notes: unexpected column(s) 'notes'; expected columns: {columns(t)}",
    ),
    "semicolon delimiter": (
        lambda p, t: p.write_text(p.read_text().replace(",", ";")),
        lambda f, t: (
            f"file {f}, row 1: wrong delimiter: the header is split by semicolons; expected a comma-separated file"
        ),
    ),
    "tab delimiter": (
        lambda p, t: p.write_text(p.read_text().replace(",", "\t")),
        lambda f, t: f"file {f}, row 1: wrong delimiter: the header is split by tabs; expected a comma-separated file",
    ),
    "latin-1 bytes": (
        lambda p, t: p.write_bytes(p.read_bytes() + "Ruaridh Ó Briain\n".encode("latin-1")),
        lambda f, t: f"file {f}, row {len(GOOD[t]) + 2}: not valid UTF-8 (byte 0xd3); save the file as UTF-8 CSV",
    ),
}


@pytest.mark.parametrize("fault", list(STRUCTURAL))
@pytest.mark.parametrize("table", TABLE_NAMES)
def test_structural_fault_in_any_table_stops_with_one_message(tmp_path, table, fault):
    if table in clean.OPTIONAL_TABLES and fault == "missing file":
        pytest.skip("a return may lack an optional table: tests/scotland/test_permanence.py checks it is read as empty")
    damage, message = STRUCTURAL[fault]
    write_tables(tmp_path)
    path = tmp_path / f"{table}.csv"
    damage(path, table)
    with pytest.raises(InputError) as error:
        clean.clean(tmp_path, years=YEARS)
    assert str(error.value) == message(path, table)


NO_ROWS = {
    "0-byte": lambda p: p.write_bytes(b""),
    "newline-only": lambda p: p.write_text("\n\n"),
    "header-only": lambda p: p.write_text(p.read_text().splitlines()[0] + "\n"),
}


@pytest.mark.parametrize("form", list(NO_ROWS))
@pytest.mark.parametrize("table", TABLE_NAMES)
def test_empty_file_is_a_table_with_no_rows(tmp_path, table, form):
    # Children and episodes must hold records (one message); pupils or leavers with none: the run goes on, said once.
    write_tables(tmp_path)
    path = tmp_path / f"{table}.csv"
    NO_ROWS[form](path)
    if table in ("children", "episodes"):
        with pytest.raises(InputError) as error:
            clean.clean(tmp_path, years=YEARS)
        assert str(error.value) == (
            f"file {path}: no rows (the file is empty or holds only a header); "
            "children.csv and episodes.csv must hold records"
        )
        return
    result = clean.clean(tmp_path, years=YEARS)
    assert result.counts[table]["rows_in"] == 0 and result.tables[table].empty
    assert list(result.tables[table].columns) == TABLES[table].column_names
    assert [w for w in result.warnings if "no rows" in w] == [
        f"{path}: no rows (the file is empty or holds only a header); analyses of {table} have no data"
    ]


def test_command_line_shows_the_message_and_no_traceback(tmp_path):
    (tmp_path / "raw").mkdir()
    raw = write_tables(tmp_path / "raw")
    (raw / "episodes.csv").write_text((raw / "episodes.csv").read_text().replace(",", ";"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lac_outcomes",
            "clean-scotland",
            "--raw-dir",
            str(raw),
            "--out-dir",
            str(tmp_path / "out"),
            "--years",
            "2019-2020",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"lac-outcomes clean-scotland: ERROR: file {raw / 'episodes.csv'}, row 1: wrong delimiter: "
        "the header is split by semicolons; expected a comma-separated file"
    )
    assert not (tmp_path / "out").exists()  # nothing half-written


D, B = "dropped", "blanked"
ROW_FAULTS = [
    # (table, row index, field index, value, expected (line, column, rule, action))
    ("children", 0, 3, "31/02/2008", (2, "date_of_birth", "not a valid date", D)),
    ("children", 1, 3, "2012-02-30", (3, "date_of_birth", "not a valid date", D)),
    ("episodes", 0, 1, "2018-13-01", (2, "episode_start", "not a valid date", D)),
    ("episodes", 2, 4, "foster", (4, "placement_type", "code not in the code list", B)),
    ("episodes", 2, 5, "runaway", (4, "reason_ended", "code not in the code list", B)),
    ("pupils", 1, 8, "0.5", (3, "sessions_possible", "not a whole number", B)),
    ("pupils", 1, 8, "99999", (3, "sessions_possible", "number outside its plausible range", B)),
    ("pupils", 1, 3, "S7", (3, "stage", "code not in the code list", B)),
    ("pupils", 1, 7, "maybe", (3, "looked_after", "code not in the code list", B)),
    ("leavers", 0, 7, "-1", (2, "highest_scqf_level", "number outside its plausible range", B)),
    ("leavers", 0, 1, "twenty", (2, "leaver_year", "not a whole number", D)),
]


@pytest.mark.parametrize("table, row_index, field, value, expected", ROW_FAULTS)
def test_bad_values_are_quarantined_with_reason_and_counted(tmp_path, table, row_index, field, value, expected):
    rows = [list(r) for r in GOOD[table]]
    if table == "leavers":  # a second leaver, so that dropping one does not empty the table (which stops the run)
        rows.append([*rows[0][:1], "2019", *rows[0][2:]])
        rows[-1][0] = "P902"
    rows[row_index][field] = value
    result = clean.clean(write_tables(tmp_path, {table: rows}), years=YEARS)
    q = result.quarantine[result.quarantine["table"] == table]
    assert list(zip(q["row"], q["column"], q["rule"], q["action"], strict=False)) == [expected]
    assert q["file"].tolist() == [str(tmp_path / f"{table}.csv")]
    for name, counts in result.counts.items():
        assert counts["rows_in"] == counts["rows_kept"] + counts["rows_dropped"], name
        assert len(result.tables[name]) == counts["rows_kept"]


def test_quarantine_never_holds_the_offending_value(tmp_path):
    rows = [list(r) for r in GOOD["children"]]
    rows[0][3] = "1999-02-31"
    result = clean.clean(write_tables(tmp_path, {"children": rows}), years=YEARS)
    assert list(result.quarantine.columns) == ["table", "file", "row", "column", "rule", "action"]
    assert "1999-02-31" not in result.quarantine.to_csv()


def test_zero_byte_parquet_in_processed_is_named(tmp_path):
    path = tmp_path / "episodes.parquet"
    path.write_bytes(b"")
    with pytest.raises(
        InputError,
        match=(
            r"^file .*episodes\.parquet: file is empty \(0 bytes\), probably left by an interrupted run; "
            r"delete it and rerun$"
        ),
    ):
        read_parquet(path)
    path.write_bytes(b"PAR1 not really")
    with pytest.raises(InputError, match=r"not a readable parquet file"):
        read_parquet(path)
    write_parquet(pd.DataFrame({"a": [1]}), path)
    assert read_parquet(path)["a"].tolist() == [1]
