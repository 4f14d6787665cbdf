"""Truth files: long lists of planted records written as CSV blocks and read back as the same records."""

from __future__ import annotations

import math

import yaml

from lac_outcomes.io import read_truth, truth_yaml, write_text

RECORDS = [
    {"LA": "E06000001", "YEAR": 2015, "indicator": "CLA_31MAR", "kind": "realised", "planted": 640},
    {"LA": "E06000001", "YEAR": 2015, "indicator": "NI61", "kind": "target", "planted": 0.521464},
    {"LA": "E09000033", "YEAR": 2016, "indicator": "NI58", "kind": "target", "planted": 14.386961123456789},
]


def test_records_come_back_as_written_and_the_rest_untouched(tmp_path):
    truth = {"generator": {"seed": 1, "name": "x"}, "indicators": RECORDS, "files": ["a.csv", "b.csv"]}
    path = tmp_path / "truth.yaml"
    write_text(path, truth_yaml(truth, tables=("indicators",)))
    assert read_truth(path) == truth  # 640 comes back as 640.0, equal; floats to the last digit


def test_the_block_is_plain_yaml_with_one_line_per_record(tmp_path):
    path = tmp_path / "truth.yaml"
    write_text(path, truth_yaml({"indicators": RECORDS}, tables=("indicators",)))
    text = path.read_text()
    assert "indicators_csv: |" in text
    assert f"  E09000033,2016,NI58,target,{RECORDS[2]['planted']!r}\n" in text
    plain = yaml.safe_load(text)  # any YAML reader sees the CSV text
    assert plain["indicators_csv"].splitlines()[0] == "LA,YEAR,indicator,kind,planted"


def test_a_hand_written_truth_with_plain_records_reads_the_same(tmp_path):
    path = tmp_path / "truth.yaml"
    path.write_text("indicators:\n- {LA: E1, YEAR: 2020, indicator: NI62, planted: 0.1}\n")
    assert read_truth(path) == {"indicators": [{"LA": "E1", "YEAR": 2020, "indicator": "NI62", "planted": 0.1}]}


def test_a_blank_planted_value_reads_as_nan(tmp_path):
    path = tmp_path / "truth.yaml"
    write_text(path, truth_yaml({"indicators": [*RECORDS, {**RECORDS[0], "planted": None}]}, tables=("indicators",)))
    assert math.isnan(read_truth(path)["indicators"][-1]["planted"])
