"""The clean_england step: processed tables, indicators, quarantine and quality record."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from lac_outcomes.england import clean
from lac_outcomes.england.indicators import compute_indicators, ni58_scores
from lac_outcomes.england.reader import read_returns, sources_from_tree
from lac_outcomes.validation import QUARANTINE_COLUMNS


@pytest.fixture(scope="module")
def cleaned(small_synthetic, tmp_path_factory):
    raw, years, truth = small_synthetic
    out = tmp_path_factory.mktemp("processed_england")
    result = clean.clean(raw, years=years)
    clean.write(result, out)
    return raw, years, out, result


def test_quality_record_has_the_scottish_shape_and_every_row_is_accounted_for(cleaned):
    _, _, out, result = cleaned
    quality = json.loads((out / "quality.json").read_text())
    assert set(quality) == {"tables", "warnings", "flagged", "by_la_year"}
    assert quality["warnings"] == [] and quality["flagged"] == []
    for name, record in quality["tables"].items():
        assert set(record) == {"file", "rows_in", "rows_kept", "rows_dropped", "rows_quarantined", "cells_blanked", "by_rule"}
        assert record["rows_in"] == record["rows_kept"] + record["rows_dropped"]
        assert len(pd.read_parquet(out / f"{name}.parquet")) == record["rows_kept"]
    quarantine = pd.read_parquet(out / "quarantine.parquet")
    assert list(quarantine.columns)[: len(QUARANTINE_COLUMNS)] == QUARANTINE_COLUMNS


def test_processed_indicators_are_the_package_indicators_with_the_sdq_spread(cleaned):
    raw, years, out, _ = cleaned
    written = pd.read_parquet(out / "indicators.parquet")
    kept = read_returns(sources_from_tree(raw, years)).kept()
    expected = compute_indicators(kept)
    pd.testing.assert_frame_equal(
        written.drop(columns="sd"), expected.astype({"numerator": "int64", "denominator": "float64", "value": "float64"}), check_dtype=False
    )
    scores = ni58_scores(kept)
    ni58 = written.loc[written["indicator"] == "NI58"].set_index(["LA", "YEAR"])
    by_group = scores.groupby(["LA", "YEAR"])["SDQ_SCORE"]
    assert (by_group.size() == ni58["denominator"].loc[by_group.size().index]).all()
    assert by_group.mean().to_numpy() == pytest.approx(ni58["value"].loc[by_group.size().index].to_numpy())
    assert by_group.std().to_numpy() == pytest.approx(ni58["sd"].loc[by_group.size().index].to_numpy())
    assert written.loc[written["indicator"] != "NI58", "sd"].isna().all()


def test_writing_twice_gives_identical_bytes(cleaned, tmp_path):
    raw, years, out, result = cleaned
    clean.write(result, tmp_path)
    for path in sorted(out.iterdir()):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


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


def test_a_bad_row_is_quarantined_and_counted(small_synthetic, tmp_path):
    raw, years, _ = small_synthetic
    copy = tmp_path / "raw"
    shutil.copytree(raw, copy)
    year = years[-1]
    episodes = next(p for p in sorted((copy).rglob("*.csv")) if str(year) in p.name and "pisode" in p.name)
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
    # only Header and Episodes are required (another absent table lets the run go on)
    reviews = next(p for p in sorted(copy.rglob("*.csv")) if str(year) in p.name and "episode" in p.name.lower())
    reviews.unlink()
    done = subprocess.run(
        [sys.executable, "-m", "lac_outcomes", "clean-england", "--raw-dir", str(copy), "--out-dir", str(tmp_path / "out"), "--years", str(year)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "no Episodes file for collection year" in done.stderr and reviews.parent.name in done.stderr
    assert not (tmp_path / "out").exists()
