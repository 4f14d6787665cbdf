"""Crafted bad inputs for every SSDA903 table: the exact message a user sees, and nothing lost."""

from __future__ import annotations

import pytest

from lac_outcomes.england.layout import CORE_TABLES, tables_for_year
from lac_outcomes.england.reader import Source, read_returns
from lac_outcomes.validation import InputError

from .returns import write_return
from .test_england_reader import _valid_return

LA = "E09000001"
YEAR = 2019


def expected_columns(table):
    return ", ".join(c.lower() for c in tables_for_year(YEAR)[table].column_names)


def first_column(table):
    return tables_for_year(YEAR)[table].column_names[0]


def line_count(path):
    return path.read_bytes().count(b"\n")


STRUCTURAL = {
    "misspelt column": (
        lambda p, t: p.write_text(p.read_text().replace(first_column(t), first_column(t) + "X", 1)),
        lambda p, t: (
            f"file {p}, row 1, column {first_column(t).lower()}: missing column(s) '{first_column(t).lower()}' "
            f"(found '{first_column(t).lower()}x': misspelt?); expected columns: {expected_columns(t)}"
        ),
    ),
    "semicolon delimiter": (
        lambda p, t: p.write_text(p.read_text().replace(",", ";")),
        lambda p, t: (
            f"file {p}, row 1: wrong delimiter: the header is split by semicolons; expected a comma-separated file"
        ),
    ),
    "latin-1 bytes": (
        lambda p, t: p.write_bytes(p.read_bytes() + "Ó\n".encode("latin-1")),
        lambda p, t: f"file {p}, row {line_count(p) + 1}: not valid UTF-8 (byte 0xd3); save the file as UTF-8 CSV",
    ),
}


@pytest.mark.parametrize("fault", list(STRUCTURAL))
@pytest.mark.parametrize("table", CORE_TABLES)
def test_structural_fault_in_any_table_stops_with_one_message(tmp_path, table, fault):
    damage, message = STRUCTURAL[fault]
    paths = write_return(tmp_path / LA, YEAR, _valid_return())
    path = paths[table]
    expected = message(path, table)  # before the damage: the file may be gone after it
    damage(path, table)
    with pytest.raises(InputError) as error:
        read_returns([Source(LA, YEAR, tmp_path / LA)])
    assert str(error.value) == expected


ABSENT = {
    "missing file": lambda p: p.unlink(),
    "0-byte file": lambda p: p.write_bytes(b""),
    "newline-only file": lambda p: p.write_bytes(b"\n"),
    "header-only file": lambda p: p.write_text(p.read_text().splitlines()[0] + "\n"),
}


@pytest.mark.parametrize("form", list(ABSENT))
@pytest.mark.parametrize("table", CORE_TABLES)
def test_absent_or_empty_table(tmp_path, table, form):
    # Header and Episodes are required (one message); any other table absent or empty: the run goes on, said once.
    paths = write_return(tmp_path / LA, YEAR, _valid_return())
    path = paths[table]
    ABSENT[form](path)
    if table in ("Header", "Episodes"):
        expected = (
            f"file {path.parent}: no {table} file for collection year {YEAR} (looked for CSV or XML files labelled "
            f"{YEAR}, e.g. {YEAR}-{table.lower()}.csv, or recognisable by their header)"
            if form == "missing file"
            else f"file {path}: no rows (the file is empty or holds only a header); "
            "Header and Episodes must hold records for every collection year"
        )
        with pytest.raises(InputError) as error:
            read_returns([Source(LA, YEAR, tmp_path / LA)])
        assert str(error.value) == expected
        return
    result = read_returns([Source(LA, YEAR, tmp_path / LA)])
    # absent: no file, or not even a header; a header-only file is a table with no rows
    assert (table in result.absent["table"].tolist()) == (form != "header-only file")
    assert (result.warnings["check"] == "absent tables").sum() == int(form != "header-only file")
    assert result.tables[table].rows_in == 0


@pytest.mark.parametrize("table", CORE_TABLES)
def test_extra_column_is_read_past_and_reported(tmp_path, table):
    paths = write_return(tmp_path / LA, YEAR, _valid_return())
    path = paths[table]
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0] + ",NOTES", *(line + ",x" for line in lines[1:])]) + "\n")
    result = read_returns([Source(LA, YEAR, tmp_path / LA)])
    said = result.warnings
    assert said[["table", "file", "check", "message"]].to_dict("records") == [
        {
            "table": table,
            "file": str(path),
            "check": "extra columns",
            "message": f"column(s) 'notes' are not in the SSDA903 specification for {YEAR}; not read",
        }
    ]
    counts = result.tables[table]
    assert counts.rows_in == counts.rows_kept == len(lines) - 1


def test_every_table_accounts_for_every_row(tmp_path):
    rows = _valid_return()
    write_return(tmp_path / LA, YEAR, rows)
    result = read_returns([Source(LA, YEAR, tmp_path / LA)])
    for name in CORE_TABLES:
        table = result.tables[name]
        assert table.rows_in == len(rows.get(name, [])) == table.rows_kept + table.rows_dropped
