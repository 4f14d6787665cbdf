"""Helpers for England tests: write small hand-made SSDA903 returns as an LA would export them."""

from __future__ import annotations

from pathlib import Path

from lac_outcomes.england.layout import CORE_TABLES, tables_for_year

EPISODE_DEFAULTS = {
    "LS": "C2",
    "CIN": "N1",
    "PLACE_PROVIDER": "PR1",
    "REASON_PLACE_CHANGE": "",
    "HOME_POST": "ZZ1 1",
    "PL_POST": "ZZ1 2",
    "URN": "XXXXXXX",
}


def episode(child, decom, rne, place, dec="", rec="", **extra) -> dict:
    """One Episodes row; unspecified columns get valid, uninteresting values."""
    return {
        **EPISODE_DEFAULTS,
        "CHILD": child,
        "DECOM": decom,
        "RNE": rne,
        "PLACE": place,
        "DEC": dec,
        "REC": rec,
        **extra,
    }


def header(child, dob, sex="1") -> dict:
    return {
        "CHILD": child,
        "SEX": sex,
        "DOB": dob,
        "ETHNIC": "WBRI",
        "UPN": "A123456789012",
        "MOTHER": "",
        "MC_DOB": "",
    }


def write_return(folder: Path, year: int, rows: dict[str, list[dict]], *, name="{year}-{table}.csv") -> dict[str, Path]:
    """Write every core table for one year (absent tables as header-only files); returns table -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for table_name in CORE_TABLES:
        columns = tables_for_year(year)[table_name].column_names
        lines = [",".join(columns)]
        for row in rows.get(table_name, []):
            lines.append(",".join(str(row.get(c, "")) for c in columns))
        path = folder / name.format(year=year, table=table_name.lower())
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths[table_name] = path
    return paths
