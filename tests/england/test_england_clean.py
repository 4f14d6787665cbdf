"""The clean_england step: processed tables, indicators, quarantine and quality record.

The fixture ``fixtures/three_returns`` holds three hand-written returns of one
LA (collection years 2017-2019) as a council exports them (CRLF line ends, a
byte-order mark, empty tables as header-only files).  Its figures are checked
against plain counts of each year's own Episodes file, read with the csv
module, and against the numbers worked out by hand in the comments.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from lac_outcomes.england import clean
from lac_outcomes.england.indicators import compute_indicators, ni58_scores
from lac_outcomes.england.simulate import write_synthetic_returns
from lac_outcomes.validation import QUARANTINE_COLUMNS

FIXTURE = Path(__file__).parent / "fixtures" / "three_returns"
FIXTURE_LA = "E09000033"
FIXTURE_YEARS = [2017, 2018, 2019]
SHORT_BREAKS = {"V3", "V4"}


@pytest.fixture(scope="module")
def cleaned(small_synthetic, tmp_path_factory):
    raw, years, _ = small_synthetic
    out = tmp_path_factory.mktemp("processed_england")
    result = clean.clean(raw, years=years)
    clean.write(result, out)
    return raw, years, out, result


# --------------------------------------------------------------------------- plain counts, independent of the package


def _day(text: str) -> dt.date | None:
    return dt.datetime.strptime(text, "%d/%m/%Y").date() if text else None


def episodes_file_rows(path: Path, skip_lines=frozenset()) -> list[dict]:
    """Rows of a raw Episodes CSV as dicts (csv module), leaving out the given line numbers."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        rows = []
        for record in reader:
            if reader.line_num not in skip_lines:
                rows.append({k.strip().upper(): (v or "").strip() for k, v in record.items()})
        return rows


def plain_counts(rows: list[dict], year: int) -> dict[str, int]:
    """CLA at 31 March, starters and leavers of one year's Episodes rows, short breaks left out."""
    start, end = dt.date(year - 1, 4, 1), dt.date(year, 3, 31)
    rows = [r for r in rows if r["LS"] not in SHORT_BREAKS]
    open_at_end = {r["CHILD"] for r in rows if _day(r["DECOM"]) <= end and (not r["DEC"] or _day(r["DEC"]) > end)}
    starters = {r["CHILD"] for r in rows if r["RNE"] == "S" and start <= _day(r["DECOM"]) <= end}
    leavers = {r["CHILD"] for r in rows if r["DEC"] and start <= _day(r["DEC"]) <= end and r["REC"] not in ("X1", "")}
    return {"CLA_31MAR": len(open_at_end), "STARTED": len(starters), "CEASED": len(leavers)}


def episodes_file(folder: Path, year: int) -> Path:
    return next(p for p in sorted(folder.rglob("*.csv")) if str(year) in p.name and "episode" in p.name.lower())


def by_indicator(indicators: pd.DataFrame, la: str, year: int) -> pd.DataFrame:
    return indicators.loc[(indicators["LA"] == la) & (indicators["YEAR"] == year)].set_index("indicator")


# --------------------------------------------------------------------------- the fixture returns


@pytest.fixture(scope="module")
def fixture_cleaned():
    return clean.clean(FIXTURE, years=FIXTURE_YEARS)


def test_fixture_each_return_as_submitted_equals_a_plain_count_of_its_own_episodes(fixture_cleaned):
    assert fixture_cleaned.quarantine.empty and fixture_cleaned.warnings == []
    expected_by_hand = {
        2017: {"CLA_31MAR": 5, "STARTED": 3, "CEASED": 0},  # A B C H I; B C H; -
        2018: {"CLA_31MAR": 5, "STARTED": 1, "CEASED": 1},  # A B C E H; E; I adopted
        2019: {"CLA_31MAR": 4, "STARTED": 1, "CEASED": 2},  # A D E F (C absent, G short breaks); F; B H
    }
    for year in FIXTURE_YEARS:
        plain = plain_counts(episodes_file_rows(episodes_file(FIXTURE, year)), year)
        assert plain == expected_by_hand[year], year
        pipeline = by_indicator(fixture_cleaned.indicators, FIXTURE_LA, year)
        assert {name: int(pipeline.loc[name, "numerator"]) for name in plain} == plain, year


def test_fixture_ni62_ni61_and_short_breaks(fixture_cleaned):
    figures = {year: by_indicator(fixture_cleaned.indicators, FIXTURE_LA, year) for year in FIXTURE_YEARS}
    # NI 62 in 2019: E moved twice (3 placements); F had 2 placements in care plus 2 short breaks (not counted)
    assert [
        (int(figures[y].loc["NI62", "numerator"]), int(figures[y].loc["NI62", "denominator"])) for y in FIXTURE_YEARS
    ] == [
        (0, 5),
        (0, 5),
        (1, 4),
    ]
    # NI 61: 2018 has AD1 (I placed 5 months after the decision); 2017 and 2019 have empty adoption tables
    assert (figures[2018].loc["NI61", "numerator"], figures[2018].loc["NI61", "denominator"]) == (1, 1)
    for year in (2017, 2019):
        row = figures[year].loc["NI61"]
        assert row["status"] == "x" and pd.isna(row["value"]) and "AD1 or PlacedAdoption" in row["reason"]
    assert (
        fixture_cleaned.indicators.loc[fixture_cleaned.indicators["indicator"] != "NI61", "status"] != "x"
    ).sum() > 0


def test_fixture_returns_checked_against_each_other(fixture_cleaned, tmp_path):
    found = fixture_cleaned.cross_return.set_index(["YEAR", "check"])["count"].to_dict()
    assert found == {
        (2017, "date_of_birth_changed"): 1,  # A's date of birth differs in 2018
        (2017, "looked_after_then_absent"): 0,
        (2017, "open_episode_not_carried"): 0,
        (2018, "date_of_birth_changed"): 0,
        (2018, "looked_after_then_absent"): 1,  # C, open in 2018, absent from 2019
        (2018, "open_episode_not_carried"): 2,  # C missing; A's episode with another URN
    }
    clean.write(fixture_cleaned, tmp_path)
    quality = json.loads((tmp_path / "quality.json").read_text())
    assert quality["history"] == "submitted"
    assert sum(c["count"] for c in quality["cross_return"]["counts"]) == 4
    absent = {(a["YEAR"], a["table"]) for a in quality["absent_tables"]}
    assert {(2019, "AD1"), (2019, "PlacedAdoption"), (2017, "AD1")} <= absent and (2018, "AD1") not in absent
    assert "A800000000001" not in (tmp_path / "quality.json").read_text()  # no identifier in the quality record


def test_fixture_merged_history_lets_later_returns_change_earlier_years():
    merged = clean.clean(FIXTURE, years=FIXTURE_YEARS, history="merged").indicators
    cla = merged.loc[merged["indicator"] == "CLA_31MAR"].set_index("YEAR")["numerator"].astype(int).to_dict()
    # D, recorded only in the 2019 return, fed into 2017 and 2018; C, left open in 2018, stays looked after
    assert cla == {2017: 6, 2018: 6, 2019: 5}
    with pytest.raises(ValueError, match="history"):
        clean.clean(FIXTURE, years=FIXTURE_YEARS, history="longitudinal")


# --------------------------------------------------------------------------- synthetic returns


def test_quality_record_has_the_scottish_shape_and_every_row_is_accounted_for(cleaned):
    out = cleaned[2]
    quality = json.loads((out / "quality.json").read_text())
    assert set(quality) == {"tables", "warnings", "flagged", "by_la_year", "history", "cross_return", "absent_tables"}
    assert quality["warnings"] == [] and quality["flagged"] == []
    for name, record in quality["tables"].items():
        assert set(record) == {
            "file",
            "rows_in",
            "rows_kept",
            "rows_dropped",
            "rows_quarantined",
            "cells_blanked",
            "by_rule",
        }
        assert record["rows_in"] == record["rows_kept"] + record["rows_dropped"]
        assert len(pd.read_parquet(out / f"{name}.parquet")) == record["rows_kept"]
    quarantine = pd.read_parquet(out / "quarantine.parquet")
    assert list(quarantine.columns)[: len(QUARANTINE_COLUMNS)] == QUARANTINE_COLUMNS


def test_processed_indicators_are_the_package_indicators_with_the_sdq_spread(cleaned):
    _, _, out, result = cleaned
    written = pd.read_parquet(out / "indicators.parquet")
    expected = compute_indicators(result.tables, result.absent)
    numbers = dict.fromkeys(["numerator", "denominator", "value", "sd"], "float64")
    pd.testing.assert_frame_equal(written.astype(numbers), expected.astype(numbers), check_dtype=False)
    scores = ni58_scores(result.tables)
    ni58 = written.loc[written["indicator"] == "NI58"].set_index(["LA", "YEAR"])
    by_group = scores.groupby(["LA", "YEAR"])["SDQ_SCORE"]
    assert (by_group.size() == ni58["denominator"].loc[by_group.size().index]).all()
    assert by_group.mean().to_numpy() == pytest.approx(ni58["value"].loc[by_group.size().index].to_numpy())
    assert by_group.std().to_numpy() == pytest.approx(ni58["sd"].loc[by_group.size().index].to_numpy())
    assert written.loc[written["indicator"] != "NI58", "sd"].isna().all()


def test_cla_and_starters_equal_a_plain_count_of_each_years_raw_episodes_file(tmp_path):
    # the synthetic set of the small test config (tests/config/small.yaml): 3 LAs, 120 children each, 2019-2021
    years = [2019, 2020, 2021]
    write_synthetic_returns(tmp_path, seed=11, years=years, n_las=3, children_per_la=120)
    result = clean.clean(tmp_path, years=years)
    quarantine = result.quarantine.loc[result.quarantine["table"] == "Episodes"]
    for la_folder in sorted(p for p in tmp_path.iterdir() if p.is_dir()):
        for year in years:
            path = episodes_file(la_folder, year)
            skipped = frozenset(quarantine.loc[quarantine["file"] == str(path), "row"].tolist())
            plain = plain_counts(episodes_file_rows(path, skipped), year)
            pipeline = by_indicator(result.indicators, la_folder.name, year)
            for name in ("CLA_31MAR", "STARTED"):
                assert int(pipeline.loc[name, "numerator"]) == plain[name], (la_folder.name, year, name)


def test_writing_twice_gives_identical_bytes(cleaned, tmp_path):
    _, _, out, result = cleaned
    clean.write(result, tmp_path)
    for path in sorted(out.iterdir()):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


@pytest.mark.parametrize("las_per_part", [1, 2])
def test_reading_las_in_parts_then_combining_gives_the_same_bytes_as_one_clean(cleaned, tmp_path, las_per_part):
    """What the read_england jobs and clean_england give, one LA (or two) per job, is one clean's output."""
    raw, years, out, _ = cleaned
    las = clean.local_authorities(raw)
    assert len(las) == 3
    paths = []
    for start in range(0, len(las), las_per_part):
        path = tmp_path / "parts" / f"{start}.pickle"
        clean.write_part(clean.read_part(raw, las[start : start + las_per_part], years=years), path)
        paths.append(path)
    combined = clean.combine([clean.load_part(p) for p in paths], raw_dir=raw, years=years)
    clean.write(combined, tmp_path / "combined")
    for path in sorted(out.iterdir()):
        assert (tmp_path / "combined" / path.name).read_bytes() == path.read_bytes(), path.name


def test_a_part_naming_an_la_with_no_folder_stops_naming_it(small_synthetic):
    raw, years, _ = small_synthetic
    with pytest.raises(clean.InputError, match="E99999999"):
        clean.read_part(raw, ["E99999999"], years=years)


def test_files_labelled_by_the_start_of_the_year_read_the_same_when_configured(small_synthetic, tmp_path):
    raw, years, _ = small_synthetic
    relabelled = tmp_path / "start"
    for path in raw.rglob("*.csv"):
        year = int(re.search(r"20\d\d", path.name).group())
        target = relabelled / path.parent.name / path.name.replace(str(year), str(year - 1))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    subset = years[-2:]
    by_end = clean.clean(raw, years=subset)
    by_start = clean.clean(relabelled, years=subset, file_year_label="start")
    pd.testing.assert_frame_equal(by_end.indicators, by_start.indicators)
    with pytest.raises(ValueError):
        clean.clean(raw, years=subset, file_year_label="middle")


def test_a_bad_value_is_quarantined_and_counted(small_synthetic, tmp_path):
    raw, years, _ = small_synthetic
    copy = tmp_path / "raw"
    shutil.copytree(raw, copy)
    year = years[-1]
    episodes = episodes_file(copy, year)
    lines = episodes.read_text().splitlines()
    header = lines[0].split(",")
    fields = lines[1].split(",")
    fields[header.index("PLACE")] = "QQ"
    lines[1] = ",".join(fields)
    episodes.write_text("\n".join(lines) + "\n")
    result = clean.clean(copy, years=[year])
    record = result.counts["Episodes"]
    # a code outside the list is blanked, the episode kept (quarantine at the grain of the fault)
    assert record["cells_blanked"] == 1 and record["rows_dropped"] == 0 and record["rows_in"] == record["rows_kept"]
    row = result.quarantine.iloc[0]
    assert (row["table"], row["column"], row["row"], row["LA"]) == ("Episodes", "PLACE", 2, episodes.parent.name)
    assert record["by_rule"] == {f"PLACE: {row['rule']}": 1}


def test_a_missing_required_table_stops_the_command_with_one_clear_message(small_synthetic, tmp_path):
    raw, years, _ = small_synthetic
    copy = tmp_path / "raw"
    shutil.copytree(raw, copy)
    year = years[-1]
    episodes = episodes_file(copy, year)
    episodes.unlink()
    done = subprocess.run(
        [
            sys.executable, "-m", "lac_outcomes", "clean-england", "--raw-dir", str(copy),
            "--out-dir", str(tmp_path / "out"), "--years", str(year),
        ],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "no Episodes file for collection year" in done.stderr and episodes.parent.name in done.stderr
    assert not (tmp_path / "out").exists()
