"""No child identifier, date of birth, UPN or postcode of the inputs in any output of a run.

Supersedes the sampled check in tests/test_pipeline.py
(``test_no_child_identifier_or_date_of_birth_reaches_a_report``): this one
reads every row of every raw input (Scotland and England) and scans reports,
results files, executed notebooks, downloadable tables, alt text and logs.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import pytest
from attack.identifiers import collection_year_dates, identifiers_of, public_reference_dates, scan
from attack.runs import CONFIGS, finished_run


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


RAW = {
    "data/raw/synthetic/scotland/children.csv": "child_id,la_code,sex,date_of_birth\nSC0000001,S12000047,M,2011-07-28\n"
    "SC0000002,S12000036,F,2009-02-03\n",
    "data/raw/synthetic/scotland/pupils.csv": "pupil_id,school_year,la_code\nSC0000003,2019,S12000047\n",
    "data/raw/synthetic/england/E09000028/header_2019.csv": "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
    "5184181401,2,16/06/2005,WBRI,V944802345563,0,\n"
    "7541228699,1,24/07/2006,WBRI,UN1,0,\n",
    "data/raw/synthetic/england/E09000028/episodes_2019.csv": "CHILD,DECOM,RNE,HOME_POST,PL_POST\n"
    "7541228699,05/05/2011,P,ZZ28 9,SO7 9\n",
}


def findings_for(tmp_path, outputs: dict[str, str], allowed=frozenset()):
    root = write(tmp_path, {**RAW, **outputs})
    findings, scanned = scan(root, identifiers_of(root), allowed)
    return {(f.output, f.kind, f.value) for f in findings}, scanned


def test_every_input_row_is_read(tmp_path):
    found = identifiers_of(write(tmp_path, RAW))
    assert found.ids == {"SC0000001", "SC0000002", "SC0000003", "5184181401", "7541228699", "V944802345563"}
    assert found.dates_of_birth == {
        dt.date(2011, 7, 28),
        dt.date(2009, 2, 3),
        dt.date(2005, 6, 16),
        dt.date(2006, 7, 24),
    }
    assert found.postcodes == {"ZZ28 9", "SO7 9"}
    assert found.rows_read == 6


@pytest.mark.parametrize(
    "written, kind, value",
    [
        ("<td>SC0000002</td>", "child identifier", "SC0000002"),
        ("child_SC0000003_row", "child identifier", "SC0000003"),
        ("id 5184181401.", "child identifier", "5184181401"),
        ("upn v944802345563", "child identifier", "V944802345563"),
        ("born 2011-07-28", "date of birth", "2011-07-28"),
        ("born 2011-07-28T00:00:00", "date of birth", "2011-07-28"),
        ("born 2011-07-28 00:00:00", "date of birth", "2011-07-28"),
        ("born 28/07/2011", "date of birth", "2011-07-28"),
        ("born 28-07-2011", "date of birth", "2011-07-28"),
        ("born 28.07.2011", "date of birth", "2011-07-28"),
        ("born 2011/07/28", "date of birth", "2011-07-28"),
        ("born 20110728", "date of birth", "2011-07-28"),
        ("born 28 July 2011", "date of birth", "2011-07-28"),
        ("born 3rd Feb 2009", "date of birth", "2009-02-03"),
        ("born July 28, 2011", "date of birth", "2011-07-28"),
        ("dob 1311811200000", "date of birth", "2011-07-28"),
        ("dob 1311811200", "date of birth", "2011-07-28"),
        ("home ZZ28 9 placed", "postcode", "ZZ28 9"),
        ("home zz289 placed", "postcode", "ZZ28 9"),
    ],
)
def test_an_identifier_is_found_however_it_is_written(tmp_path, written, kind, value):
    found, _ = findings_for(tmp_path, {"logs/render/report.log": f"text before {written} text after"})
    assert ("logs/render/report.log", kind, value) in found


def test_every_kind_of_output_is_scanned_and_data_uris_are_decoded(tmp_path):
    csv_download = base64.b64encode(b"child,dob\nSC0000001,x\n").decode()
    outputs = {
        "reports/report.html": f"<img alt='SC0000002 aged 9' src='data:image/png;base64,AAAA'>"
        f"<a href='data:text/csv;base64,{csv_download}'>download</a>",
        "results/report/results.json": json.dumps({"records": [{"dob": 1311811200000}]}),
        "results/report/report.executed.ipynb": json.dumps({"cells": [{"outputs": [{"text": ["5184181401"]}]}]}),
        "reports/report/tables/table.csv": "la,placed\nSO7 9,3\n",
        "benchmarks/report.tsv": "s\n1.0\n",
        ".snakemake/log/run.log": "SC0000003",
    }
    found, scanned = findings_for(tmp_path, outputs)
    assert found == {
        ("reports/report.html", "child identifier", "SC0000002"),
        ("reports/report.html", "child identifier", "SC0000001"),
        ("results/report/results.json", "date of birth", "2011-07-28"),
        ("results/report/report.executed.ipynb", "child identifier", "5184181401"),
        ("reports/report/tables/table.csv", "postcode", "SO7 9"),
    }
    assert "benchmarks/report.tsv" in scanned and not any(".snakemake" in s for s in scanned)


def test_clean_outputs_and_the_run_s_own_dates_give_no_finding(tmp_path):
    outputs = {
        "reports/report.html": "<p>Children looked after at 31 July 2011 (census 28 July 2011), S12000047, NI 61, "
        "2010/11, SCQF 5, UN1</p>"
        "<code>5d8bdc8de2a43a0400761e93e2c451e77ead9863f6a324c915d1a2f4bffb3eb6</code>",
        "results/report/results.json": json.dumps({"period": {"start": "2010-08-01", "end": "2011-07-31"}, "n": 41}),
    }
    allowed = collection_year_dates(range(2011, 2012), range(2011, 2012)) | {dt.date(2011, 7, 28)}
    found, _ = findings_for(tmp_path, outputs, allowed)
    assert found == set()


def test_a_date_of_a_published_source_is_no_finding_but_other_births_still_are(tmp_path):
    published = {"data/raw/published/unit_costs.csv": "source\nhttps://example.org/2011/05/26/costs\n"}
    raw = {
        **RAW,
        "data/raw/synthetic/scotland/children.csv": RAW["data/raw/synthetic/scotland/children.csv"]
        + "SC0000009,S12000047,F,2011-05-26\n",
    }
    root = write(tmp_path, {**raw, **published, "reports/r.html": "https://example.org/2011/05/26/costs 2011-07-28"})
    findings, _ = scan(root, identifiers_of(root), public_reference_dates(root))
    assert {(f.kind, f.value) for f in findings} == {("date of birth", "2011-07-28")}


@pytest.mark.pipeline
@pytest.mark.parametrize("config", CONFIGS)
def test_no_identifier_of_any_input_row_reaches_any_output(config, tmp_path_factory, request):
    run = finished_run(config, tmp_path_factory, request)
    identifiers = identifiers_of(run.workdir)
    assert identifiers.rows_read and identifiers.ids and identifiers.dates_of_birth and identifiers.postcodes
    settings = run.settings
    scotland = range(settings["scotland"]["years"]["first"], settings["scotland"]["years"]["last"] + 1)
    england = range(settings["england"]["years"]["first"], settings["england"]["years"]["last"] + 1)
    allowed = collection_year_dates(scotland, england) | public_reference_dates(run.workdir)
    findings, scanned = scan(run.workdir, identifiers, allowed)
    assert any(s.startswith("reports/") for s in scanned) and any(s.startswith("logs/") for s in scanned)
    assert any(s.endswith("results.json") for s in scanned)
    assert not findings, "\n".join(f.line() for f in findings[:50])
    run.check_completed()
