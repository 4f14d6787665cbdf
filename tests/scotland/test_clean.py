"""Each validation rule of the Scottish cleaner, caught on a crafted bad row."""

import pandas as pd
import pytest

from lac_outcomes.scotland import clean
from lac_outcomes.scotland.layout import TABLES
from lac_outcomes.validation import InputError

YEARS = [2019, 2020]

GOOD = {
    "children": [
        ["C001", "S12000049", "F", "2008-03-02", "1", "N", "Y"],
        ["C002", "S12000036", "M", "2012-11-20", "3", "N", "N"],
    ],
    "episodes": [
        ["C001", "2018-09-01", "2019-02-01", "cso_home", "at_home_with_parents", "placement_change"],
        ["C001", "2019-02-01", "", "cso_residence", "with_foster_carers_la", ""],
        ["C002", "2019-01-10", "2020-03-05", "section_25", "la_home", "discharged_home"],
    ],
    "pupils": [
        ["C001", "2019", "S12000049", "P5", "F", "1", "Y", "Y", "380", "350", "0"],
        ["C002", "2020", "S12000036", "P2", "M", "3", "N", "Y", "380", "370", "1"],
        ["P900", "2020", "S12000036", "P2", "M", "3", "N", "N", "380", "360", "0"],
    ],
    "leavers": [
        ["P901", "2020", "S12000049", "F", "2", "N", "N", "5", "employment"],
    ],
    "permanence": [
        ["C001", "plan_agreed", "2019-06-03", "permanence_order"],
        ["C002", "plan_agreed", "2019-06-03", "kinship_care_order"],
    ],
    "aftercare": [
        ["C002", "2020", "S12000036", "N", "", "", "N"],
    ],
}


def write_tables(folder, tables=None):
    tables = {**GOOD, **(tables or {})}
    for name, rows in tables.items():
        header = ",".join(TABLES[name].column_names)
        body = "".join(",".join(r) + "\n" for r in rows)
        (folder / f"{name}.csv").write_text(header + "\n" + body, encoding="utf-8")
    return folder


def run(tmp_path, **tables):
    return clean.clean(write_tables(tmp_path, tables), years=YEARS)


def quarantined(result, table):
    q = result.quarantine[result.quarantine["table"] == table]
    return sorted(zip(q["row"], q["column"], q["rule"], strict=False))


def test_good_tables_keep_every_row(tmp_path):
    result = run(tmp_path)
    assert result.quarantine.empty
    assert {t: c["rows_kept"] for t, c in result.counts.items()} == {
        "children": 2,
        "episodes": 3,
        "pupils": 3,
        "leavers": 1,
        "permanence": 2,
        "aftercare": 1,
    }
    episodes = result.tables["episodes"]
    assert str(episodes["episode_start"].dtype).startswith("datetime64")
    assert episodes["episode_end"].isna().sum() == 1


D, B = "dropped", "blanked"


# A bad value in what identifies, dates or places the row drops it; anywhere else it blanks the cell.
@pytest.mark.parametrize(
    "table, row_index, field, value, expected",
    [
        ("children", 1, 1, "S99999999", (3, "la_code", "code not in the code list", D)),
        ("children", 0, 3, "2008-02-31", (2, "date_of_birth", "not a valid date", D)),
        ("children", 0, 3, "02/03/2008", (2, "date_of_birth", "not a valid date", D)),
        ("children", 0, 0, "", (2, "child_id", "blank where a value is required", D)),
        ("children", 0, 3, "2021-01-01", (2, "date_of_birth", "date of birth in the future", D)),
        ("children", 1, 4, "7", (3, "simd_quintile", "number outside its plausible range", B)),
        ("children", 1, 4, "2.5", (3, "simd_quintile", "not a whole number", B)),
        ("children", 1, 2, "X", (3, "sex", "code not in the code list", B)),
        ("episodes", 2, 3, "supervision", (4, "legal_reason", "code not in the code list", B)),
        ("episodes", 1, 5, "discharged_home", (3, "reason_ended", "reason given on an open episode", B)),
        ("episodes", 2, 2, "2018-01-01", (4, "episode_end", "end before start", D)),
        ("episodes", 2, 2, "2021-01-01", (4, "episode_end", "after period end", D)),
        ("pupils", 0, 9, "400", (2, "sessions_attended", "attended more than possible", B)),
        ("pupils", 0, 10, "-1", (2, "exclusion_cases", "number outside its plausible range", B)),
        ("pupils", 0, 10, "999", (2, "exclusion_cases", "number outside its plausible range", B)),
        ("pupils", 0, 1, "2012", (2, "school_year", "year outside period", D)),
        ("pupils", 1, 0, "C003", (3, "pupil_id", "looked after but not in children.csv", D)),
        ("leavers", 0, 7, "9", (2, "highest_scqf_level", "number outside its plausible range", B)),
        ("leavers", 0, 8, "abroad", (2, "destination", "code not in the code list", B)),
        ("permanence", 0, 3, "PO", (2, "order_sought", "code not in the code list", B)),
        ("permanence", 1, 1, "hearing", (3, "milestone", "code not in the code list", D)),
        ("permanence", 1, 2, "2010-01-01", (3, "milestone_date", "milestone before birth", D)),
    ],
)
def test_each_rule_drops_the_row_or_blanks_the_cell(tmp_path, table, row_index, field, value, expected):
    rows = [list(r) for r in GOOD[table]]
    rows[row_index][field] = value
    result = run(tmp_path, **{table: rows})
    q = result.quarantine[result.quarantine["table"] == table]
    assert sorted(zip(q["row"], q["column"], q["rule"], q["action"], strict=False)) == [expected]
    counts = result.counts[table]
    dropped = 1 if expected[3] == D else 0
    assert counts["rows_in"] == len(rows) == counts["rows_kept"] + counts["rows_dropped"]
    assert (counts["rows_dropped"], counts["cells_blanked"]) == (dropped, 1 - dropped)
    if not dropped:  # the row is kept with the cell blank
        kept = result.tables[table]
        assert kept[TABLES[table].column_names[field]].isna().sum() >= 1


def test_overlapping_episode_is_quarantined_and_the_earlier_one_kept(tmp_path):
    episodes = GOOD["episodes"] + [["C002", "2019-06-01", "2019-08-01", "section_25", "la_home", "placement_change"]]
    result = run(tmp_path, episodes=episodes)
    assert quarantined(result, "episodes") == [(5, "episode_start", "overlapping episodes")]


def test_episode_nested_inside_an_open_episode_overlaps(tmp_path):
    episodes = GOOD["episodes"] + [["C001", "2019-05-01", "2019-06-01", "cso_residence", "la_home", "placement_change"]]
    result = run(tmp_path, episodes=episodes)
    assert quarantined(result, "episodes") == [(5, "episode_start", "overlapping episodes")]


def test_episode_before_birth_and_unknown_child(tmp_path):
    episodes = GOOD["episodes"] + [
        ["C002", "2010-01-01", "2010-02-01", "section_25", "la_home", "discharged_home"],
        ["C404", "2019-01-01", "", "section_25", "la_home", ""],
    ]
    result = run(tmp_path, episodes=episodes)
    assert quarantined(result, "episodes") == [
        (5, "episode_start", "start before birth"),
        (6, "child_id", "unknown child"),
    ]


def test_duplicate_child_keeps_the_first(tmp_path):
    children = GOOD["children"] + [GOOD["children"][0]]
    result = run(tmp_path, children=children)
    assert quarantined(result, "children") == [(4, "child_id", "duplicate child")]
    assert result.counts["children"]["rows_kept"] == 2


def test_row_with_wrong_field_count_is_quarantined(tmp_path):
    pupils = GOOD["pupils"] + [["P901", "2020", "S12000036"]]
    result = run(tmp_path, pupils=pupils)
    assert quarantined(result, "pupils") == [(5, "(whole row)", "field count differs from header")]


def test_row_breaking_two_rules_counts_once(tmp_path):
    rows = [list(r) for r in GOOD["children"]]
    rows[1][1], rows[1][2] = "S99999999", "X"
    result = run(tmp_path, children=rows)
    assert len(quarantined(result, "children")) == 2
    assert result.counts["children"]["rows_dropped"] == 1
    assert result.counts["children"]["rows_kept"] == 1


def test_school_years_labelled_by_start_are_flagged(tmp_path):
    pupils = [list(r) for r in GOOD["pupils"]]
    for row in pupils:
        row[1] = str(int(row[1]) - 1)
    result = run(tmp_path, pupils=pupils)
    assert any("labelled by the start of the year" in w for w in result.warnings)


def test_messy_but_valid_export_reads_like_a_clean_one(tmp_path):
    clean_dir, messy_dir = tmp_path / "clean", tmp_path / "messy"
    clean_dir.mkdir(), messy_dir.mkdir()
    write_tables(clean_dir)
    write_tables(messy_dir)
    path = messy_dir / "episodes.csv"
    lines = path.read_text().splitlines()
    header = ", ".join(h.upper() for h in lines[0].split(","))
    body = [",".join(f" {v} " for v in line.split(",")) for line in lines[1:]]
    path.write_bytes(("\ufeff" + header + "\r\n" + "\r\n".join(body) + "\r\n,,,,,\r\n\r\n").encode("utf-8"))
    a = clean.clean(clean_dir, years=YEARS).tables["episodes"]
    b = clean.clean(messy_dir, years=YEARS).tables["episodes"]
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda p: p.unlink(), "file {f}: file not found"),
        (
            lambda p: p.write_bytes(b""),
            "file {f}: no rows (the file is empty or holds only a header); "
            "children.csv and episodes.csv must hold records",
        ),
        (
            lambda p: p.write_text(p.read_text().replace(",", ";")),
            "file {f}, row 1: wrong delimiter: the header is split by semicolons; expected a comma-separated file",
        ),
        (
            lambda p: p.write_bytes(p.read_bytes().replace(b"F,", b"\xe9,", 1)),
            "file {f}, row 2: not valid UTF-8 (byte 0xe9); save the file as UTF-8 CSV",
        ),
        (
            lambda p: p.write_text(p.read_text().replace("sex", "sexx", 1)),
            "file {f}, row 1, column sex: missing column(s) 'sex' (found 'sexx': misspelt?); expected columns: "
            "child_id, la_code, sex, date_of_birth, simd_quintile, disability, asn",
        ),
        (
            lambda p: p.write_text(
                p.read_text()
                .replace("asn\n", "asn,postcode\n")
                .replace("Y\n", "Y,G1 1AA\n")
                .replace("N\n", "N,G1 1AA\n")
            ),
            "file {f}, row 1, column postcode: unexpected column(s) 'postcode'; expected columns: child_id, la_code, "
            "sex, date_of_birth, simd_quintile, disability, asn",
        ),
    ],
)
def test_structural_faults_stop_with_one_clear_message(tmp_path, damage, message):
    write_tables(tmp_path)
    path = tmp_path / "children.csv"
    damage(path)
    with pytest.raises(InputError) as error:
        clean.clean(tmp_path, years=YEARS)
    assert str(error.value) == message.format(f=path)
