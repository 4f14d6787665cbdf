"""England's education outcomes: the 903 covariates, the pupil file's bad-input policy, indicators, the model."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from lac_outcomes.disclosure import DisclosurePolicy
from lac_outcomes.england import clean, education
from lac_outcomes.england.layout import PUPILS, pupils_markdown
from lac_outcomes.england.pupils import PLACEMENT_GROUPS, child_covariates, clean_pupils, yearly_child_covariates
from lac_outcomes.england.simulate import simulate_england
from lac_outcomes.errors import InputError
from lac_outcomes.io import read_parquet

ROOT = Path(__file__).resolve().parents[2]
T = pd.Timestamp
PLACEMENT_GROUP_OF = {code: group for group, codes in PLACEMENT_GROUPS.items() for code in codes}


def test_layout_document_is_generated_from_the_layout():
    assert (ROOT / "docs" / "england_pupil_layout.md").read_text(encoding="utf-8") == pupils_markdown()


# ------------------------------------------------------------------ looked-after status and covariates, by hand


def _episodes(rows):
    frame = pd.DataFrame(rows, columns=["CHILD", "DECOM", "DEC", "RNE", "LS", "PLACE", "YEAR"])
    frame["LA"] = "E09000001"
    frame["DECOM"], frame["DEC"] = pd.to_datetime(frame["DECOM"]), pd.to_datetime(frame["DEC"])
    return frame


def test_child_covariates_follow_the_dfe_definition():
    """Counted by hand for result year 2019 (31 March 2019; the year from 1 April 2018)."""
    header = pd.DataFrame(
        {
            "LA": "E09000001",
            "CHILD": ["A", "B", "C", "D"],
            "SEX": "1",
            "DOB": pd.to_datetime(["2003-05-01", "2003-06-01", "2008-01-10", "2003-07-01"]),
            "YEAR": 2019,
        }
    )
    episodes = _episodes(
        [
            # A: in care since 2015 (from an earlier return), two moves in the year, in residential care at 31 March
            ("A", "2015-03-01", "2017-01-01", "S", "C2", "U4", 2017),
            ("A", "2017-01-01", None, "P", "C2", "U6", 2018),
            ("A", "2017-01-01", "2018-06-01", "P", "C2", "U6", 2019),
            ("A", "2018-06-01", "2018-09-01", "P", "C2", "U5", 2019),
            ("A", "2018-09-01", "2018-09-15", "L", "C2", "U5", 2019),
            ("A", "2018-09-15", None, "B", "C2", "K2", 2019),
            # B: started in June 2018: not 12 months
            ("B", "2018-06-01", None, "S", "C2", "U4", 2019),
            # C: a gap in May 2018 ends the earlier period: not continuous
            ("C", "2016-01-01", "2018-05-01", "S", "C2", "P1", 2019),
            ("C", "2018-05-20", None, "S", "C2", "P1", 2019),
            # D: short breaks all year: excluded
            ("D", "2016-01-01", None, "S", "V3", "U4", 2019),
        ]
    )
    got = child_covariates(header, episodes, 2019).set_index("CHILD")
    assert got["cla_12m"].to_dict() == {"A": True, "B": False, "C": False, "D": False}
    assert got.loc["A", "placement_type"] == "Residential"
    assert got.loc["A", "moves"] == 2  # P on 1 June and B on 15 September; L is not a move
    assert got.loc["A", "years_in_care"] == pytest.approx((T("2019-03-31") - T("2015-03-01")).days / 365.25, 1e-3)
    assert got.loc["A", "age_at_entry"] == pytest.approx((T("2015-03-01") - T("2003-05-01")).days / 365.25, 1e-3)
    assert got.loc["A", "age_31_august"] == 15  # Year 11 in 2018/19: KS4
    assert got.loc["C", "placement_type"] == "Placed with parents"
    assert got.loc["C", "moves"] == 0  # a new period is not a move


# ------------------------------------------------------------------ bad input, crafted as exporters write it

GOOD_ROW = {
    "PUPIL_ID": "P1",
    "LA_903": "E09000001",
    "CHILD": "A",
    "KEY_STAGE": "KS4",
    "RESULT_YEAR": "2019",
    "SCHOOL_LA": "E09000001",
    "SEX": "1",
    "SEN": "K",
    "KS4_ATT8": "23.5",
    "KS4_EM_GRADE4": "0",
}


def _write(path: Path, rows: list[dict], *, header=None, bom=False, trailing_comma=False) -> Path:
    header = header or PUPILS.column_names
    lines = [",".join(header)]
    for row in rows:
        lines.append(",".join(str(row.get(c, "")) for c in header))
    text = "\n".join(line + ("," if trailing_comma else "") for line in lines) + "\n"
    path.write_text(("\ufeff" if bom else "") + text, encoding="utf-8")
    return path


def test_bad_values_are_blanked_and_rows_that_cannot_be_placed_dropped(tmp_path):
    rows = [
        GOOD_ROW,
        {**GOOD_ROW, "PUPIL_ID": "P2", "KEY_STAGE": "ks4", "SEN": "Q"},  # case is fine; SEN Q blanked
        {**GOOD_ROW, "PUPIL_ID": "P3", "RESULT_YEAR": "19/20"},  # the year cannot be placed: dropped
        {**GOOD_ROW, "PUPIL_ID": "P4", "KS4_ATT8": '"45,5"'},  # a decimal comma (quoted): blanked
        {**GOOD_ROW, "PUPIL_ID": "P5", "KS4_ATT8": "95"},  # above 90: blanked
        {**GOOD_ROW, "PUPIL_ID": "P6", "LA_903": ""},  # half a 903 key: both halves blanked, row kept
        {**GOOD_ROW, "PUPIL_ID": "", "CHILD": "B"},  # no pupil ID: dropped
        {**GOOD_ROW, "PUPIL_ID": "P8", "CHILD": "ZZ"},  # a key the returns do not hold: kept, counted
        {**GOOD_ROW, "PUPIL_ID": "P9", "KEY_STAGE": "KS3"},  # no such key stage: dropped
    ]
    path = _write(tmp_path / "pupils.csv", rows, bom=True, trailing_comma=True)
    header = pd.DataFrame({"LA": ["E09000001"], "CHILD": ["A"]})
    result = clean_pupils(path, header=header)
    counts = result.counts["pupils"]
    assert (counts["rows_in"], counts["rows_kept"], counts["rows_dropped"]) == (9, 6, 3)
    q = result.quarantine
    assert set(q.columns) >= {"table", "file", "row", "column", "rule", "action"}
    faults = {(r.row, r.column, r.action) for r in q.itertuples()}
    # rows are lines in the file: the header is line 1
    assert (3, "SEN", "blanked") in faults
    assert (4, "RESULT_YEAR", "dropped") in faults
    assert (5, "KS4_ATT8", "blanked") in faults and (6, "KS4_ATT8", "blanked") in faults
    assert (7, "CHILD", "blanked") in faults and (7, "LA_903", "blanked") in faults
    assert (8, "PUPIL_ID", "dropped") in faults and (10, "KEY_STAGE", "dropped") in faults
    assert counts["warned"] == {"CHILD: 903 key not found in the 903 returns": 1}
    kept = result.tables["pupils"].set_index("PUPIL_ID")
    assert kept.loc["P2", "KEY_STAGE"] == "KS4" and pd.isna(kept.loc["P2", "SEN"])
    assert kept.loc["P1", "KS4_ATT8"] == 23.5 and pd.isna(kept.loc["P4", "KS4_ATT8"])
    assert pd.isna(kept.loc["P6", "CHILD"])
    assert "45,5" not in q.to_string()  # the log never holds a value


def test_structural_faults_stop_with_one_line(tmp_path):
    misspelt = [c if c != "KEY_STAGE" else "KEYSTAGE" for c in PUPILS.column_names]
    path = _write(tmp_path / "pupils.csv", [GOOD_ROW], header=misspelt)
    with pytest.raises(InputError) as raised:
        clean_pupils(path)
    message = str(raised.value)
    assert message.startswith(f"file {path}, row 1, column key_stage: missing column") and "\n" not in message
    with pytest.raises(InputError, match="linked pupil file not found"):
        clean_pupils(tmp_path / "absent.csv")


def test_a_file_that_loses_every_row_stops_with_the_cause(tmp_path):
    path = _write(tmp_path / "pupils.csv", [{**GOOD_ROW, "RESULT_YEAR": "2018/19"}, {**GOOD_ROW, "RESULT_YEAR": "x"}])
    with pytest.raises(InputError, match="every one of its 2 rows was dropped"):
        clean_pupils(path)


# ------------------------------------------------------------------ a synthetic run: indicators and the model


@pytest.fixture(scope="module")
def synthetic_run(tmp_path_factory):
    """Synthetic 903 returns and linked pupils (5 LAs, 2014-2023), cleaned and linked as the pipeline does."""
    root = tmp_path_factory.mktemp("england_education")
    years = list(range(2014, 2024))
    simulate_england(root / "raw", seed=20240917, years=years, n_las=5, children_per_la=700)
    result = clean.clean(root / "raw", years=years)
    clean.write(result, root / "england")
    education.clean_education(root / "raw" / "pupils.csv", root / "england", root / "england_education")
    truth = education.read_truth(root / "raw" / "pupils_truth.yaml")
    return root, education.load(root / "england_education"), truth


def _covariates_the_plain_way(header, episodes, year):
    """The DfE's definition in plain pandas (sort, group and merge on the text keys), one year at a time."""
    march, year_start = T(year, 3, 31), T(year - 1, 4, 1)
    heads = header.loc[header["YEAR"] == year, ["LA", "CHILD", "SEX", "DOB"]].drop_duplicates(["LA", "CHILD"])
    eps = episodes.loc[episodes["YEAR"] <= year, ["LA", "CHILD", "DECOM", "DEC", "RNE", "LS", "PLACE", "YEAR"]]
    eps = eps.dropna(subset=["DECOM"]).sort_values(["LA", "CHILD", "DECOM", "YEAR"])
    eps = eps.drop_duplicates(["LA", "CHILD", "DECOM"], keep="last").merge(heads[["LA", "CHILD"]], on=["LA", "CHILD"])
    previous_end = eps.groupby(["LA", "CHILD"])["DEC"].shift()
    eps["period"] = (previous_end.isna() | (eps["DECOM"] > previous_end)).cumsum()
    eps["period_start"] = eps.groupby("period")["DECOM"].transform("min")
    at_march = eps.loc[(eps["DECOM"] <= march) & (eps["DEC"].isna() | (eps["DEC"] > march))]
    at_march = at_march.drop_duplicates(["LA", "CHILD"], keep="last")
    in_year = eps.loc[(eps["DECOM"] > year_start) & (eps["DECOM"] <= march)]
    moves = in_year.loc[in_year["RNE"].isin(["P", "T", "B", "U"])].groupby(["LA", "CHILD"]).size().rename("moves")
    out = heads.merge(at_march[["LA", "CHILD", "period_start", "PLACE", "LS"]], on=["LA", "CHILD"], how="left")
    out = out.merge(moves, on=["LA", "CHILD"], how="left").reset_index(drop=True)
    start = out["period_start"]
    return pd.DataFrame(
        {
            "LA": out["LA"],
            "CHILD": out["CHILD"],
            "moves": out["moves"].fillna(0).astype(int),
            "cla_12m": start.notna() & (start <= year_start) & ~out["LS"].isin(["V3", "V4"]),
            "PLACE": out["PLACE"],
            "years_in_care": ((march - start).dt.days / 365.25).round(3),
            "age_at_entry": ((start - out["DOB"]).dt.days / 365.25).clip(lower=0).round(3),
        }
    )


def test_covariates_of_every_year_match_the_plain_pandas_definition(synthetic_run):
    """Ten result years of five LAs' returns (children in several returns, episodes repeated across them)."""
    root, _, _ = synthetic_run
    header, episodes = (
        read_parquet(root / "england" / "Header.parquet"),
        read_parquet(root / "england" / "Episodes.parquet"),
    )
    years = sorted(header["YEAR"].unique())
    got = yearly_child_covariates(header, episodes, years)
    for year in years:
        want = _covariates_the_plain_way(header, episodes, year)
        assert len(want) > 100
        mine = got[year]
        assert mine["LA"].tolist() == want["LA"].tolist() and mine["CHILD"].tolist() == want["CHILD"].tolist()
        for column in ("moves", "cla_12m", "years_in_care", "age_at_entry"):
            pd.testing.assert_series_equal(mine[column], want[column], check_names=False, check_dtype=False)
        groups = want["PLACE"].map(lambda code: code if pd.isna(code) else PLACEMENT_GROUP_OF[code])
        assert mine["placement_type"].fillna("none").tolist() == groups.fillna("none").tolist()
    assert got[years[-1]]["cla_12m"].sum() > 100 and got[years[-1]]["moves"].max() >= 2


def test_indicators_match_a_plain_count_of_the_file(synthetic_run):
    root, pupils, _ = synthetic_run
    looked_after = {
        (r.PUPIL_ID, r.KEY_STAGE, int(r.RESULT_YEAR)) for r in pupils.itertuples() if r.group == "looked_after"
    }
    plain: dict = {}
    with open(root / "raw" / "pupils.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if (row["PUPIL_ID"], row["KEY_STAGE"], int(row["RESULT_YEAR"])) not in looked_after:
                continue
            key_ni99 = ("NI99", row["LA_903"], int(row["RESULT_YEAR"]))
            key_ni101 = ("NI101", row["LA_903"], int(row["RESULT_YEAR"]))
            key_em4 = ("KS4_EM4", row["LA_903"], int(row["RESULT_YEAR"]))
            for key, value, passed in (
                (key_ni99, row["KS2_ENG_LEVEL"], lambda v: int(v) >= 4),
                (key_ni101, row["KS4_5AC_EM"], lambda v: v == "1"),
                (key_em4, row["KS4_EM_GRADE4"], lambda v: v == "1"),
            ):
                if value != "":
                    achieved, n = plain.get(key, (0, 0))
                    plain[key] = (achieved + int(passed(value)), n + 1)
    counts = education.indicator_counts(pupils).set_index(["measure", "LA", "YEAR"])
    for key, (achieved, n) in plain.items():
        assert (counts.loc[key, "achieved"], counts.loc[key, "pupils"]) == (achieved, n), key
    assert {k[0] for k in plain} == {"NI99", "NI101", "KS4_EM4"}
    assert len(counts.loc[["NI99", "NI101", "KS4_EM4"]]) == len(plain)


def test_measures_exist_only_in_their_era(synthetic_run):
    _, pupils, _ = synthetic_run
    years = education.indicator_counts(pupils).groupby("measure")["YEAR"].agg(["min", "max"])
    assert years.loc["NI99"].tolist() == [2014, 2015] and years.loc["NI101"].tolist() == [2014, 2016]
    assert years.loc["KS2_RWM", "min"] == 2016 and years.loc["KS4_EM4", "min"] == 2017
    ks2_years = set(pupils.loc[pupils["KEY_STAGE"] == "KS2", "RESULT_YEAR"])
    assert not ks2_years & {2020, 2021}  # no KS2 tests in those years


def test_national_rates_follow_the_calibration(synthetic_run):
    """The looked-after rates are set to their targets in sample each year; the comparison group's too."""
    _, pupils, truth = synthetic_run
    national = education.national_series(pupils).set_index(["measure", "group"])
    targets = {(c["key_stage"], c["measure"]): c for c in truth["calibration"]}
    pooled = national.loc["KS4_EM4"].groupby("group")[["achieved", "pupils"]].sum()
    rate = pooled["achieved"] / pooled["pupils"]
    assert rate["looked_after"] == pytest.approx(targets[("KS4", "em_grade4")]["looked_after"], abs=0.04)
    assert rate["not_looked_after"] == pytest.approx(targets[("KS4", "em_grade4")]["all"], abs=0.04)


def test_model_recovers_the_planted_coefficients(synthetic_run):
    _, pupils, truth = synthetic_run
    report = education.build(pupils, policy=DisclosurePolicy(5), truth=truth)
    planted = report.planted.set_index("term")
    # 9 planted coefficients; at 95% each, 7 or more covered has probability above 0.99 when the model is right.
    assert planted["covered"].sum() >= 7, planted
    # The effects the report is about are recovered in sign and near in size.
    for term in ("placement: Residential", "SEN: EHC plan or statement", "SEN: SEN support", "moves"):
        assert planted.loc[term, "ci_high"] < 0
        assert abs(planted.loc[term, "estimate"] - planted.loc[term, "planted"]) < 0.5
    assert report.results["coverage"]["total"] == len(planted)
