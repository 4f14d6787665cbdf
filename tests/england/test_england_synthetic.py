"""Synthetic 903 returns: valid in every year's format, deterministic, and indicators recover what was planted."""

from __future__ import annotations

import csv
import hashlib
import math

import numpy as np
import pandas as pd
import pytest

from lac_outcomes.england.indicators import compute_indicators
from lac_outcomes.england.local_authorities import LOCAL_AUTHORITIES
from lac_outcomes.england.reader import read_returns, sources_from_tree
from lac_outcomes.england.simulate import PLANTED_KINDS, _la_sizes, _write_csv, write_synthetic_returns

# Allowed distance between a computed indicator and its planted target: four standard
# errors of the sample (so a correct implementation fails about once in 15,000 checks),
# plus a small structural margin where the generator's target is not exact by design.
STANDARD_ERRORS = 4.0
SDQ_SD = 7.5  # spread of the synthetic SDQ scores (beta-binomial, concentration 8)
STRUCTURAL_MARGIN = {
    # placements for adoption and of unaccompanied asylum-seeking children are never P1
    "P1_31MAR": 0.015,
    # moves are capped by the days available to a child who entered days before 31 March
    "NI62": 0.005,
}


def _digest(folder) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*.csv"))
    }


def test_returns_are_written_as_the_csv_module_writes_them_and_a_comma_in_a_value_stops(tmp_path):
    table = {
        "CHILD": np.array(["101", "102", "103"], dtype=object),
        "DEC": np.array(["01/04/2019", "", "31/03/2020"], dtype=object),
        "PLACE": np.array([np.str_("U4"), "K2", ""], dtype=object),
    }
    _write_csv(tmp_path / "mine.csv", table)
    with open(tmp_path / "plain.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(table)
        writer.writerows(zip(*table.values(), strict=True))
    assert (tmp_path / "mine.csv").read_bytes() == (tmp_path / "plain.csv").read_bytes()
    _write_csv(tmp_path / "empty.csv", {name: values[:0] for name, values in table.items()})
    assert (tmp_path / "empty.csv").read_bytes() == b"CHILD,DEC,PLACE\n"
    for bad in ("Flat 1, Hill Road", 'the "old" home', "two\nlines"):
        with pytest.raises(ValueError, match="comma, quote or line end"):
            _write_csv(tmp_path / "bad.csv", {**table, "PLACE": np.array(["U4", bad, ""], dtype=object)})


def test_same_arguments_give_byte_identical_files(tmp_path):
    arguments = dict(seed=7, years=[2018, 2019], n_las=2, children_per_la=60)
    first = write_synthetic_returns(tmp_path / "a", **arguments)
    second = write_synthetic_returns(tmp_path / "b", **arguments)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert first == second
    write_synthetic_returns(tmp_path / "c", **{**arguments, "seed": 8})
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_layout_and_truth_structure(small_synthetic):
    out, years, truth = small_synthetic
    la_codes = [la["code"] for la in truth["local_authorities"]]
    assert sorted(p.name for p in out.iterdir()) == sorted(la_codes)
    assert len(truth["files"]) == len(la_codes) * len(years) * 10
    assert all((out / f).is_file() for f in truth["files"])
    planted = pd.DataFrame(truth["indicators"])
    assert set(planted["indicator"]) == set(PLANTED_KINDS)
    assert len(planted) == len(la_codes) * len(years) * len(PLANTED_KINDS)


def test_every_synthetic_file_is_valid_for_its_year(small_synthetic):
    out, years, _ = small_synthetic
    result = read_returns(sources_from_tree(out, years))
    assert result.quarantine.empty, result.quarantine.groupby(["table", "column", "rule"]).size()
    assert result.warnings.empty
    counts = result.counts
    assert (counts["rows_in"] == counts["rows_kept"]).all()


def test_indicators_recover_planted_values(small_synthetic):
    out, years, truth = small_synthetic
    computed = compute_indicators(read_returns(sources_from_tree(out, years)).kept())
    planted = pd.DataFrame(truth["indicators"])
    merged = computed.merge(planted, on=["LA", "YEAR", "indicator"], validate="one_to_one")
    assert len(merged) == len(planted)
    checked = merged.loc[merged["history_complete"]]

    realised = checked.loc[checked["kind"] == "realised"]
    # counts of the simulated population must come back exactly through files, reader and indicators
    assert (realised["value"].astype(float) == realised["planted"]).all(), realised

    failures = []
    for row in checked.loc[checked["kind"] == "target"].itertuples():
        n = int(row.denominator)
        if n == 0:
            continue
        if row.indicator == "NI58":
            standard_error = SDQ_SD / math.sqrt(n)
        else:
            standard_error = math.sqrt(row.planted * (1 - row.planted) / n)
        allowed = STANDARD_ERRORS * standard_error + STRUCTURAL_MARGIN.get(row.indicator, 0.0)
        if abs(float(row.value) - row.planted) > allowed:
            failures.append((row.LA, row.YEAR, row.indicator, float(row.value), row.planted, n))
    assert not failures, failures
    # every indicator was checked in at least one LA-year with complete history
    assert set(checked["indicator"]) == set(PLANTED_KINDS)


def test_local_authorities_differ(small_synthetic):
    _, _, truth = small_synthetic
    planted = pd.DataFrame(truth["indicators"])
    spread = planted.loc[planted["kind"] == "target"].groupby("indicator")["planted"].agg(lambda v: v.max() - v.min())
    assert (spread > 0).all()


def test_pipeline_step_replaces_an_earlier_run_whole_and_writes_truth_last(tmp_path):
    from lac_outcomes.england.simulate import simulate_england
    from lac_outcomes.io import read_truth

    out = tmp_path / "england"
    first = simulate_england(out, seed=3, years=[2020], n_las=3, children_per_la=20)
    second = simulate_england(out, seed=4, years=[2020], n_las=2, children_per_la=20)
    # no LA folder of the first run survives beside the second's
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == sorted(
        la["code"] for la in second["local_authorities"]
    )
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.csv")) == second["files"]
    assert read_truth(out / "truth.yaml") == second
    assert first != second
    assert [p.name for p in tmp_path.iterdir()] == ["england"]  # no staging folder left behind


def test_every_submitting_authority_is_known_once():
    codes = [code for code, _ in LOCAL_AUTHORITIES]
    assert len(codes) == len(set(codes)) == 153  # the authorities that submit the 903 since April 2023
    assert {"E06000063", "E06000064", "E06000065", "E06000066"} <= set(codes)  # Cumbria, N Yorks, Somerset reorganised
    assert not {"E10000006", "E10000023", "E10000027"} & set(codes)


def test_national_scale_sizes_each_authority_to_its_share_of_england(tmp_path):
    # Two authorities at national size: each one's looked-after count at 31 March of the last year is its
    # share of England's 83,630, within sampling error (Poisson entries, so about sqrt(n)).
    truth = write_synthetic_returns(tmp_path, seed=5, years=[2024], n_las=2, children_per_la="national")
    planted = pd.DataFrame(truth["indicators"]).query("indicator == 'CLA_31MAR'").set_index("LA")["planted"]
    for la in truth["local_authorities"]:
        target = la["stock_target"]
        assert abs(planted[la["code"]] - target) < 5 * math.sqrt(target) + 0.03 * target, (la, planted[la["code"]])
    shares = _la_sizes(5)
    assert math.isclose(shares.sum(), 1.0) and len(shares) == len(LOCAL_AUTHORITIES)
    assert truth["generator"]["children_per_la"] == "national"


def test_a_scale_the_generator_cannot_take_is_one_clear_error(tmp_path):
    for bad in (dict(n_las=0, children_per_la=10), dict(n_las="every", children_per_la=10)):
        with pytest.raises(ValueError, match="n_las must be"):
            write_synthetic_returns(tmp_path, seed=1, years=[2020], **bad)
    with pytest.raises(ValueError, match="children_per_la must be"):
        write_synthetic_returns(tmp_path, seed=1, years=[2020], n_las="all", children_per_la="lots")
