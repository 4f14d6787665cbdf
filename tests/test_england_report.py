"""End to end for England: the small config's Care Matters report and England data-quality report."""

from __future__ import annotations

import json
import math
import re
from html import unescape
from pathlib import Path

import pandas as pd
import pytest

from lac_outcomes.england.reader import table_from_file_name
from lac_outcomes.io import read_truth

pytestmark = pytest.mark.pipeline

REPORT = "care_matters_indicators"
RAW = Path("data/raw/synthetic/england")
# Targets (probabilities, the mean SDQ score) are met up to sampling error: accepted within four
# standard errors for the cohort size, plus the generator's structural margins (see
# lac_outcomes.england.checks); realised counts must be exact.
STANDARD_ERRORS = 4.0
MARGIN = {"P1_31MAR": 0.015, "NI62": 0.005}
POSTCODE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{1,2}[0-9][0-9A-Z]? [0-9](?![0-9A-Za-z])")


@pytest.fixture(scope="module")
def run(reference_run):
    workdir, _ = reference_run
    results = json.loads((workdir / "results" / REPORT / "results.json").read_text())
    truth = read_truth(workdir / RAW / "truth.yaml")
    processed = pd.read_parquet(workdir / "data/processed/england/indicators.parquet")
    return workdir, results, truth, processed


def test_report_exists_and_is_linked_from_the_index_with_its_summary(run):
    workdir, *_ = run
    html = (workdir / "reports" / f"{REPORT}.html").read_text()
    assert "Care Matters national indicators for England" in html
    assert "Traceback" not in html and "import pandas" not in html
    index = (workdir / "reports" / "index.html").read_text()
    assert f'href="{REPORT}.html"' in index and 'href="data_quality_england.html"' in index
    meta = json.loads((workdir / "reports" / f"{REPORT}.meta.json").read_text())
    assert "Care Matters indicators for 3 English LAs" in meta["summary"]
    # the index leads with each report's key points
    assert meta["key_points"] and meta["key_points"][0] in unescape(index)
    # provenance names the England inputs with their checksums
    assert re.search(r"data/processed/england/indicators\.parquet</th><td><code>[0-9a-f]{64}", html)
    for definition in ["NI 58", "NI 61", "NI 62", "NI 63", "NI 66", "NI 147", "NI 148", "95%", "99.8%"]:
        assert definition in html


def test_computed_indicators_match_the_planted_values(run):
    _, results, truth, processed = run
    planted = pd.DataFrame(truth["indicators"])
    merged = processed.merge(planted, on=["LA", "YEAR", "indicator"], validate="one_to_one")
    assert len(merged) == len(planted) == 3 * 3 * 11

    realised = merged[merged["kind"] == "realised"]
    assert (realised["value"] == realised["planted"]).all(), realised

    targets = merged[(merged["kind"] == "target") & merged["history_complete"] & (merged["denominator"] > 0)]
    assert set(targets["indicator"]) == set(planted.loc[planted["kind"] == "target", "indicator"])
    failures = []
    for row in targets.itertuples():
        n = float(row.denominator)
        se = row.sd / math.sqrt(n) if row.indicator == "NI58" else math.sqrt(row.planted * (1 - row.planted) / n)
        if abs(row.value - row.planted) > STANDARD_ERRORS * se + MARGIN.get(row.indicator, 0.0):
            failures.append((row.LA, row.YEAR, row.indicator, row.value, row.planted, n))
    assert not failures

    # the report's own check says the same, and shows the values it was given
    check = pd.DataFrame(results["check"])
    checked = check[check["checked"]]
    assert checked["within"].all()
    assert set(checked.loc[checked["kind"] == "realised", "indicator"]) == {"CLA_31MAR", "STARTED", "CEASED"}
    shown = pd.DataFrame(results["indicators"])
    visible = shown[~shown["suppressed"]].merge(planted, on=["LA", "YEAR", "indicator"])
    visible_realised = visible[visible["kind"] == "realised"]
    assert len(visible_realised) > 0 and (visible_realised["value"] == visible_realised["planted"]).all()


def test_small_counts_are_suppressed_in_the_results_and_the_report(run):
    workdir, results, _, processed = run
    threshold = results["disclosure_threshold"]
    shown = pd.DataFrame(results["indicators"]).merge(processed, on=["LA", "YEAR", "indicator"], suffixes=("", "_true"))
    counts = shown["numerator_true"].where(shown["indicator"] != "NI58", shown["denominator_true"])
    left_out = (shown["denominator_true"] - shown["numerator_true"]).where(shown["indicator"] != "NI58")
    small = (
        counts.between(1, threshold - 1)
        | shown["denominator_true"].between(1, threshold - 1)
        | left_out.between(1, threshold - 1)
    )
    assert small.any()  # the small config has small cohorts: suppression must show
    assert (shown["suppressed"] >= small).all()
    # each count is withheld cell by cell: a small numerator (or the children it leaves out) hides the
    # numerator, a small cohort the cohort, and the value rests on both
    assert shown.loc[counts.between(1, threshold - 1) & (shown["indicator"] != "NI58"), "numerator"].isna().all()
    assert shown.loc[left_out.between(1, threshold - 1), "numerator"].isna().all()
    assert shown.loc[shown["denominator_true"].between(1, threshold - 1), "denominator"].isna().all()
    assert shown.loc[shown["suppressed"], "value"].isna().all()
    # secondary suppression: within an indicator and year the LAs add up to the national figure
    # in the results file, so one hidden LA alone could be worked out by subtraction
    # (the national row, their sum, is a member of the line: it may be the second cell hidden)
    national = pd.DataFrame(results["national"]).merge(
        processed.groupby(["YEAR", "indicator"], as_index=False)[["numerator", "denominator"]].sum(),
        on=["YEAR", "indicator"],
        suffixes=("", "_true"),
    )
    for role in ["numerator", "denominator"]:
        cells = pd.concat([shown, national])
        cells = cells[cells[f"{role}_true"].notna() & ~((role == "numerator") & (cells["indicator"] == "NI58"))]
        cells = cells[~((role == "denominator") & cells["indicator"].isin(["CLA_31MAR", "STARTED", "CEASED"]))]
        hidden_per_line = cells[role].isna().groupby([cells["indicator"], cells["YEAR"]]).sum()
        assert not (hidden_per_line == 1).any(), role
    # the planted-value check keeps no planted value or tolerance for a withheld LA-year, and carries a
    # cohort only where the indicator tables show it (n falls out of the tolerance given the planted value)
    check = pd.DataFrame(results["check"])
    assert check["suppressed"].any()
    assert check.loc[check["suppressed"], ["planted", "computed", "difference", "tolerance"]].isna().all().all()
    cohorts = check.merge(shown[["LA", "YEAR", "indicator", "denominator"]], on=["LA", "YEAR", "indicator"])
    proportions = cohorts[cohorts["kind"] != "realised"]
    assert (proportions["n"].isna() == proportions["denominator"].isna()).all()
    # and in the rendered tables: every count under the threshold shows as "c"
    html = (workdir / "reports" / f"{REPORT}.html").read_text()
    assert ">c</td>" in html
    assert html.count("data-count-columns=") >= 6  # every table went through disclosure.suppress
    # funnel limits bracket the national value and LA values resting on small counts are not plotted
    funnel = pd.DataFrame(results["funnel"])
    assert len(funnel) > 0
    assert (funnel["lower_0.998"] <= funnel["lower_0.95"]).all() and (funnel["lower_0.95"] <= funnel["centre"]).all()
    assert (funnel["centre"] <= funnel["upper_0.95"]).all() and (funnel["upper_0.95"] <= funnel["upper_0.998"]).all()
    suppressed_keys = set(
        map(tuple, shown.loc[shown["suppressed"] & (shown["YEAR"] == results["year"]), ["LA", "indicator"]].to_numpy())
    )
    assert not suppressed_keys & set(map(tuple, funnel[["LA", "indicator"]].to_numpy()))
    assert results["year"] == max(results["years"]) == 2021


def test_england_data_quality_report_accounts_for_every_row(run):
    workdir, *_ = run
    quality = json.loads((workdir / "data/processed/england/quality.json").read_text())
    assert len(quality["tables"]) == 10
    for name, counts in quality["tables"].items():
        rows_in = sum(
            sum(1 for line in path.read_text().splitlines()[1:] if line.strip())
            for path in (workdir / RAW).rglob("*.csv")
            if table_from_file_name(path) == name
        )
        assert counts["rows_in"] == rows_in == counts["rows_kept"] + counts["rows_quarantined"], name
    results = json.loads((workdir / "results/data_quality_england/results.json").read_text())
    assert results["balanced"] and set(results["tables"]) == set(quality["tables"])


def test_no_english_child_identifier_birth_date_upn_or_postcode_reaches_an_output(run):
    workdir, *_ = run
    identifiers, births, postcodes = set(), set(), set()
    for path in (workdir / RAW).rglob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        identifiers |= set(frame.get("CHILD", [])) | set(frame.get("UPN", []))
        for column in ("DOB", "MC_DOB"):
            births |= set(frame.get(column, []))
        for column in ("HOME_POST", "PL_POST"):
            postcodes |= set(frame.get(column, []))
    identifiers.discard("")
    births.discard("")
    postcodes.discard("")
    assert identifiers and births and postcodes
    outputs = [
        *(workdir / "reports").glob("*.html"),
        *(workdir / "logs").rglob("*.log"),
        *(workdir / "results").rglob("*.json"),
    ]
    assert any(p.name == f"{REPORT}.html" for p in outputs)
    for path in outputs:
        text = path.read_text()
        words = set(re.findall(r"[A-Za-z0-9_/-]+", text))
        assert not identifiers & words, path
        assert not births & words, path
        assert not postcodes & set(POSTCODE.findall(text)), path
