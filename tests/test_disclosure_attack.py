"""The differencing attack: proven on hand-made outputs with known leaks, then run on whole pipeline runs.

The pipeline tests (marker ``pipeline``) run the workflow on the small, one-LA
and tiny configs and require the attacker to recover no suppressed cell and to
find no count under the threshold shown outright.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from attack.attacker import attack
from attack.runs import CONFIGS, finished_run

ATTACK_SOURCES = sorted((Path(__file__).parent / "attack").glob("*.py"))
NOTE = "<p class='sdc-note'><small>Counts of 1 to 4 suppressed, with secondary suppression.</small></p>"


def sdc_table(caption: str, index_names: list[str], columns: list[str], rows: list[tuple], counts: list[str]) -> str:
    """A table as the reports render one (pandas ``to_html`` with the disclosure attributes)."""
    n_index = len(index_names)
    head = "<tr>" + "<th></th>" * n_index + "".join(f"<th>{c}</th>" for c in columns) + "</tr>"
    head += "<tr>" + "".join(f"<th>{n}</th>" for n in index_names) + "<th></th>" * len(columns) + "</tr>"
    body = ""
    for row in rows:
        labels, cells = row[:n_index], row[n_index:]
        body += "<tr>" + "".join(f"<th>{x}</th>" for x in labels) + "".join(f"<td>{x}</td>" for x in cells) + "</tr>\n"
    return (
        f"<p class='table-caption'><strong>{caption}</strong></p>"
        f"<table class='dataframe sdc-table' data-count-columns='{'|'.join(counts)}' data-threshold='5'>"
        f"<thead>{head}</thead><tbody>{body}</tbody></table>{NOTE}"
    )


def write_run(
    root: Path,
    reports: dict[str, str] | None = None,
    results: dict[str, object] | None = None,
    files: dict[str, str] | None = None,
) -> Path:
    for name, html in (reports or {}).items():
        path = root / "reports" / f"{name}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"<html><body>{html}</body></html>")
    for name, data in (results or {}).items():
        path = root / "results" / name / "results.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data))
    for name, text in (files or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def recovered(result) -> dict[tuple, float]:
    return {(r.row, r.column): r.value for r in result.recovered}


# ----------------------------------------------------------------------------- the attacker finds what is there


def test_a_total_row_gives_back_a_single_suppressed_cell(tmp_path):
    table = sdc_table(
        "Children by group",
        ["group"],
        ["all", "girls"],
        [("a", 20, 12), ("b", 15, "c"), ("d", 10, 7), ("Total", 45, 21)],
        ["all", "girls"],
    )
    result = attack(write_run(tmp_path, {"report": table}))
    assert recovered(result) == {(("b",), "girls"): 2}
    assert "linear system" in result.recovered[0].method


def test_cells_protected_by_secondary_suppression_stay_unknown(tmp_path):
    table = sdc_table(
        "Children by group",
        ["group"],
        ["all", "girls"],
        [("a", 20, 12), ("b", 15, "c"), ("d", 10, "c"), ("Total", 45, 21)],
        ["all", "girls"],
    )
    result = attack(write_run(tmp_path, {"report": table}))
    assert result.suppressed == 2
    assert result.recovered == []


def test_a_total_column_gives_back_a_cell(tmp_path):
    table = sdc_table(
        "Children by placement and year",
        ["year"],
        ["at home", "foster", "Total"],
        [(2019, 10, 30, 40), (2020, 12, 31, 43), (2021, "c", 35, 38)],
        ["at home", "foster", "Total"],
    )
    result = attack(write_run(tmp_path, {"report": table}))
    assert recovered(result) == {(("2021",), "at home"): 3}


def test_rows_of_one_report_adding_up_to_another_report_give_back_a_cell(tmp_path):
    by_la = sdc_table(
        "Children by local authority and year",
        ["Local authority", "Year"],
        ["started", "ceased"],
        [
            ("Barnet (E09000003)", 2019, 20, 11),
            ("Camden (E09000007)", 2019, 30, "c"),
            ("Barnet (E09000003)", 2020, 25, 14),
            ("Camden (E09000007)", 2020, 31, 16),
        ],
        ["started", "ceased"],
    )
    national = {
        "national": [
            {"YEAR": 2019, "indicator": "STARTED", "numerator": 50},
            {"YEAR": 2019, "indicator": "CEASED", "numerator": 14},
            {"YEAR": 2020, "indicator": "STARTED", "numerator": 56},
            {"YEAR": 2020, "indicator": "CEASED", "numerator": 30},
        ]
    }
    result = attack(write_run(tmp_path, {"by_la": by_la}, {"national": national}))
    assert recovered(result) == {(("Camden (E09000007)", "2019"), "ceased"): 3}


def test_an_unrelated_total_elsewhere_is_not_taken_for_a_sum(tmp_path):
    """A relation must hold where every cell is shown before the attacker uses it."""
    by_la = sdc_table(
        "Children by local authority and year",
        ["Local authority", "Year"],
        ["started"],
        [
            ("Barnet (E09000003)", 2019, 20),
            ("Camden (E09000007)", 2019, "c"),
            ("Barnet (E09000003)", 2020, 25),
            ("Camden (E09000007)", 2020, 31),
        ],
        ["started"],
    )
    national = {
        "national": [
            {"YEAR": 2019, "indicator": "STARTED", "numerator": 80},
            {"YEAR": 2020, "indicator": "STARTED", "numerator": 90},
        ]
    }  # more LAs than shown
    result = attack(write_run(tmp_path, {"by_la": by_la}, {"national": national}))
    assert result.recovered == []


def test_a_total_reached_only_with_every_withheld_count_at_its_cohort_gives_them_back(tmp_path):
    """Bounds: children with an outcome are never more than the children counted (learned from the rows shown)."""
    table = sdc_table(
        "Leavers by group",
        ["group"],
        ["n", "with it"],
        [
            ("a", 20, 7),
            ("e", 15, 5),
            ("f", 12, 6),
            ("b", 6, "c"),
            ("d", 8, "c"),
            ("Total", 61, 32),
        ],
        ["n", "with it"],
    )
    result = attack(write_run(tmp_path, {"report": table}))
    assert recovered(result) == {(("b",), "with it"): 6, (("d",), "with it"): 8}
    assert all("counts >= 0" in r.method for r in result.recovered)


def test_a_cohort_withheld_for_one_indicator_is_the_count_shown_for_another(tmp_path):
    """Placed with parents is a share of the children looked after: its cohort is their count, shown elsewhere."""
    headline = sdc_table(
        "Children looked after by local authority and year",
        ["Local authority", "Year"],
        ["looked after at 31 March"],
        [
            ("Barnet (E09000003)", 2019, 66),
            ("Barnet (E09000003)", 2020, 64),
            ("Camden (E09000007)", 2019, 114),
            ("Camden (E09000007)", 2020, 120),
        ],
        ["looked after at 31 March"],
    )
    every = sdc_table(
        "Indicators by local authority and year",
        ["Indicator", "Local authority", "Year"],
        ["cohort (children)", "meeting it (children)"],
        [
            ("Placed with parents at 31 March", "Barnet (E09000003)", 2019, 66, 0),
            ("Placed with parents at 31 March", "Barnet (E09000003)", 2020, "c", "c"),
            ("Placed with parents at 31 March", "Camden (E09000007)", 2019, 114, 10),
            ("Placed with parents at 31 March", "Camden (E09000007)", 2020, 120, 12),
        ],
        ["cohort (children)", "meeting it (children)"],
    )
    result = attack(write_run(tmp_path, {"headline": headline, "every": every}))
    assert recovered(result) == {
        (("Placed with parents at 31 March", "Barnet (E09000003)", "2020"), "cohort (children)"): 64
    }
    assert "same children counted by CLA_31MAR and P1_31MAR" in result.recovered[0].method


def test_two_indicators_agreeing_by_coincidence_on_two_values_are_not_taken_for_the_same_children(tmp_path):
    """Every care leaver suitably housed in two small authorities, each shown in two tables: NI 147's count equals
    NI 148's cohort there by coincidence, not by definition, so a withheld NI 147 count elsewhere stays withheld."""
    rows = [
        ("NI 147 Care leavers in suitable accommodation", "Stoke (E06000021)", 2021, 5, 5),
        ("NI 148 Care leavers in education, employment or training", "Stoke (E06000021)", 2021, 5, 2),
        ("NI 147 Care leavers in suitable accommodation", "Lewisham (E09000023)", 2021, 8, 8),
        ("NI 148 Care leavers in education, employment or training", "Lewisham (E09000023)", 2021, 8, 3),
        ("NI 147 Care leavers in suitable accommodation", "Telford (E06000020)", 2021, 17, "c"),
        ("NI 148 Care leavers in education, employment or training", "Telford (E06000020)", 2021, 17, 9),
    ]
    by_year = sdc_table(
        "Indicators by local authority and year",
        ["Indicator", "Local authority", "Year"],
        ["cohort (children)", "meeting it (children)"],
        rows,
        ["cohort (children)", "meeting it (children)"],
    )
    latest = sdc_table(
        "Indicators by local authority, 2021",
        ["Indicator", "Local authority"],
        ["cohort (children)", "meeting it (children)"],
        [(indicator, la, cohort, meeting) for indicator, la, _, cohort, meeting in rows],
        ["cohort (children)", "meeting it (children)"],
    )
    result = attack(write_run(tmp_path, {"by_year": by_year, "latest": latest}))
    assert recovered(result) == {}


def test_a_rate_beside_its_denominator_gives_back_the_numerator(tmp_path):
    table = sdc_table(
        "Leavers with a qualification",
        ["group"],
        ["n", "with it", "percent"],
        [
            ("at home", 42, 17, 40.5),
            ("foster", 56, 21, 37.5),
            ("kinship", 13, "c", 23.1),
        ],
        ["n", "with it"],
    )
    result = attack(write_run(tmp_path, {"report": table}))
    assert recovered(result) == {(("kinship",), "with it"): 3}
    assert result.recovered[0].method.startswith("rate x denominator")


def test_the_same_cell_shown_in_a_results_file_gives_it_back(tmp_path):
    table = sdc_table(
        "Pupils by placement type",
        ["group"],
        ["n", "rate"],
        [
            ("at home with parents", 457, 75.0),
            ("with foster carers (LA)", 300, 90.1),
            ("secure", "c", "c"),
        ],
        ["n"],
    )
    results = {
        "descriptive_rates": [
            {"group": "at_home_with_parents", "n": 457, "rate": 75.02},
            {"group": "with_foster_carers_la", "n": 300, "rate": 90.1},
            {"group": "secure", "n": 3, "rate": 80.0},
        ]
    }
    result = attack(write_run(tmp_path, {"education": table}, {"education": results}))
    assert recovered(result) == {(("secure",), "n"): 3}
    assert [(r.column, r.value) for r in result.small_counts_shown] == [("n", 3)]


def test_a_tolerance_published_for_a_withheld_cell_is_inverted_to_its_cohort(tmp_path):
    def record(la, year, p, n, hidden=False):
        return {
            "LA": la,
            "YEAR": year,
            "indicator": "NI61",
            "planted": p,
            "n": None if hidden else n,
            "computed": None if hidden else p,
            "tolerance": 4 * math.sqrt(p * (1 - p) / n),
            "suppressed": hidden,
        }

    results = {
        "check": [
            record("E09000003", 2019, 0.6, 40),
            record("E09000007", 2019, 0.55, 31),
            record("E09000003", 2020, 0.62, 38),
            record("E09000007", 2020, 0.58, 3, hidden=True),
        ]
    }
    result = attack(write_run(tmp_path, results={"indicators": results}))
    assert [(r.column, r.value) for r in result.recovered] == [("n", 3)]
    assert result.recovered[0].method.startswith("tolerance inverted")


def test_a_wilson_interval_around_a_withheld_share_is_inverted_to_its_n(tmp_path):
    def wilson(k, n, z=1.959963984540054):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return centre - half, centre + half

    rows = []
    for cause, k, n, hidden in [("discharged", 57, 90, False), ("moved", 25, 90, False), ("permanence", 2, 7, True)]:
        low, high = wilson(k, n)
        rows.append(
            {
                "cause": cause,
                "n": None if hidden else n,
                "share": k / n,
                "ci_low": low,
                "ci_high": high,
                "suppressed": hidden,
            }
        )
    result = attack(write_run(tmp_path, results={"survival": {"endings": rows}}))
    assert [(r.row, r.column, r.value) for r in result.recovered] == [(("cause=permanence",), "n", 7)]


def test_funnel_limits_left_beside_a_withheld_cohort_give_it_back(tmp_path):
    from scipy import stats

    def limit(q, n, p0):  # Spiegelhalter's interpolated binomial quantile
        r = stats.binom.ppf(q, n, p0)
        return min(1.0, max(0.0, (r - (stats.binom.cdf(r, n, p0) - q) / stats.binom.pmf(r, n, p0)) / n))

    rows = []
    for la, n, hidden in [("E09000003", 134, False), ("E09000007", 57, False), ("E06000019", 23, True)]:
        rows.append(
            {
                "LA": la,
                "indicator": "NI62",
                "denominator": None if hidden else n,
                "value": None if hidden else 0.1,
                "centre": 0.12,
                "lower_0.95": limit(0.025, n, 0.12),
                "upper_0.95": limit(0.975, n, 0.12),
                "suppressed": hidden,
            }
        )
    result = attack(write_run(tmp_path, results={"indicators": {"year": 2021, "funnel": rows}}))
    assert [(r.column, r.value) for r in result.recovered] == [("denominator", 23)]
    assert result.recovered[0].method.startswith("funnel limits inverted")


def test_a_downloadable_csv_is_attacked_too(tmp_path):
    csv = "group,all,girls\na,20,12\nb,15,c\nd,10,7\nTotal,45,21\n"
    result = attack(write_run(tmp_path, files={"reports/report/tables/children.csv": csv}))
    assert "reports/report/tables/children.csv" in result.outputs
    assert recovered(result) == {(("b",), "girls"): 2}


def test_a_small_count_in_a_results_file_is_reported(tmp_path):
    results = {
        "excluded": {"sparse_placement_types": {"secure": 2, "crisis_care": 40}, "missing": 0},
        "n_local_authorities": 3,
        "tables": {"children": {"rows_quarantined": 2}},
    }
    result = attack(write_run(tmp_path, results={"education": results}))
    assert [(r.column, r.value) for r in result.small_counts_shown] == [("secure", 2)]


def test_a_small_count_in_prose_alt_text_or_a_log_is_reported(tmp_path):
    files = {
        "logs/render/report.log": "left out 2 pupils with no sessions possible",
        "reports/report.meta.json": json.dumps({"summary": "1 child on supervision for 10 years or more"}),
    }
    page = (
        "<p>Counts of 1 to 4 suppressed; authorities with fewer than 3 children are not shown; 40 children.</p>"
        "<img alt='of whom 4 young people left care' src='data:image/png;base64,AAAA'>"
    )
    result = attack(write_run(tmp_path, {"report": page}, files=files))
    assert sorted((r.output, r.value) for r in result.small_counts_shown) == [
        ("logs/render/report.log", 2),
        ("reports/report.html", 4),
        ("reports/report.meta.json", 1),
    ]


def test_every_kind_of_output_is_read(tmp_path):
    files = {
        "logs/render/report.log": "rendered 3 tables",
        "reports/report.meta.json": json.dumps({"summary": "12 of 14"}),
        "results/report/report.executed.ipynb": json.dumps({"cells": [{"outputs": [{"text": ["7 children"]}]}]}),
    }
    result = attack(write_run(tmp_path, {"report": "<img alt='42 children' src='x.png'>"}, {"report": {"n": 9}}, files))
    assert sorted(result.outputs) == sorted(
        [
            "logs/render/report.log",
            "reports/report.meta.json",
            "reports/report.html",
            "results/report/report.executed.ipynb",
            "results/report/results.json",
        ]
    )
    assert result.numbers >= 6


def test_the_attacker_does_not_import_the_package():
    assert ATTACK_SOURCES
    for source in ATTACK_SOURCES:
        text = source.read_text()
        assert not re.search(r"^\s*(from|import)\s+lac_outcomes\b", text, re.MULTILINE), source
        assert "lac_outcomes" not in re.sub(r'"""[\s\S]*?"""', "", text).replace("``lac_outcomes``", ""), source


# ----------------------------------------------------------------------------- whole runs


@pytest.mark.pipeline
@pytest.mark.parametrize("config", CONFIGS)
def test_no_suppressed_cell_can_be_recovered_from_a_run(config, tmp_path_factory, request):
    run = finished_run(config, tmp_path_factory, request)
    result = attack(run.workdir)
    print(f"attack on tests/config/{config}.yaml:\n{result.report()}")
    assert result.outputs and result.numbers
    assert not result.recovered and not result.small_counts_shown, (
        f"{len(result.recovered)} suppressed cells recovered and {len(result.small_counts_shown)} small counts shown "
        f"in the run of tests/config/{config}.yaml:\n{result.report()[:6000]}"
    )
    run.check_completed()
