"""The synthetic SocialWorker table (2023-24 collection onwards): valid, and consistent with the episodes.

Checked on the files as written, with plain pandas over the CSVs, and through the reader.
"""

from __future__ import annotations

import pandas as pd
import pytest

from lac_outcomes.england.layout import SOCIAL_WORKER_CHANGE
from lac_outcomes.england.reader import Source, read_returns, sources_from_tree
from lac_outcomes.england.simulate import write_synthetic_returns

YEARS = [2023, 2024, 2025]


@pytest.fixture(scope="module")
def returns(tmp_path_factory):
    out = tmp_path_factory.mktemp("social_workers")
    truth = write_synthetic_returns(out, seed=5, years=YEARS, n_las=2, children_per_la=250)
    return out, truth


def _table(la_dir, year: int, word: str) -> pd.DataFrame:
    (path,) = [p for p in la_dir.iterdir() if word in p.name.lower() and str(year) in p.name]
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _dates(column: pd.Series) -> pd.Series:
    return pd.to_datetime(column.replace("", None), format="%d/%m/%Y")


def test_the_table_is_written_from_its_first_specification_year_only(returns):
    out, truth = returns
    written = [f for f in truth["files"] if "socialworker" in f.lower()]
    assert len(written) == 2 * 2  # two LAs, 2024 and 2025
    assert not any("2023" in f for f in written)


def test_the_reader_keeps_every_row(returns):
    out, _ = returns
    result = read_returns(sources_from_tree(out, YEARS))
    assert result.quarantine.empty, result.quarantine.groupby(["table", "column", "rule"]).size()
    assert len(result.kept()["SocialWorker"]) > 0


@pytest.mark.parametrize("year", [2024, 2025])
def test_every_child_looked_after_at_31_march_has_one_open_allocation(returns, year):
    out, _ = returns
    for la_dir in sorted(out.iterdir()):
        episodes = _table(la_dir, year, "episodes")
        workers = _table(la_dir, year, "socialworker")
        # looked after at 31 March: an open episode that is not a short break (as the DfE counts them)
        in_care = set(episodes.loc[(episodes["DEC"] == "") & ~episodes["LS"].isin(["V3", "V4"]), "CHILD"])
        open_allocations = workers.loc[workers["SW_DEC"] == "", "CHILD"]
        assert open_allocations.is_unique
        assert set(open_allocations) == in_care
        # and every child in the table was looked after in the year (short breaks aside)
        looked_after = set(episodes.loc[~episodes["LS"].isin(["V3", "V4"]), "CHILD"])
        assert set(workers["CHILD"]) <= looked_after


@pytest.mark.parametrize("year", [2024, 2025])
def test_allocations_follow_one_another_and_changes_give_a_reason(returns, year):
    out, _ = returns
    start, end = pd.Timestamp(year - 1, 4, 1), pd.Timestamp(year, 3, 31)
    for la_dir in sorted(out.iterdir()):
        workers = _table(la_dir, year, "socialworker")
        begins, ends = _dates(workers["SW_DECOM"]), _dates(workers["SW_DEC"])
        assert (begins <= end).all() and (ends.isna() | (ends >= start)).all()
        assert (ends.isna() | (begins <= ends)).all()
        assert set(workers["SW_REASON"]) <= set(SOCIAL_WORKER_CHANGE)  # every allocation has one (DfE rule SW03)
        for _, child in workers.assign(begins=begins, ends=ends).groupby("CHILD", sort=False):
            child = child.sort_values("begins")
            # one allocation ends the day the next begins, and the new worker is another person
            assert (child["ends"].iloc[:-1].to_numpy() == child["begins"].iloc[1:].to_numpy()).all()
            assert (child["SW_ID"].iloc[:-1].to_numpy() != child["SW_ID"].iloc[1:].to_numpy()).all()
            assert (child["SW_REASON"].iloc[1:] != "").all()


def test_a_childs_worker_carries_over_from_one_return_to_the_next(returns):
    out, _ = returns
    for la_dir in sorted(out.iterdir()):
        before, after = _table(la_dir, 2024, "socialworker"), _table(la_dir, 2025, "socialworker")
        still_open = before[before["SW_DEC"] == ""]
        carried = still_open.merge(after, on=["CHILD", "SW_ID", "SW_DECOM"], how="left", indicator=True)
        assert (carried["_merge"] == "both").all()


def test_about_the_planted_rate_of_changes(returns):
    out, truth = returns
    rate = truth["generator"]["social_worker_changes_per_year"]
    start, end = pd.Timestamp(2024, 4, 1), pd.Timestamp(2025, 3, 31)
    changes = days = 0
    for la_dir in sorted(out.iterdir()):
        workers = _table(la_dir, 2025, "socialworker")
        workers = workers.assign(begins=_dates(workers["SW_DECOM"]), ends=_dates(workers["SW_DEC"]))
        workers = workers.sort_values(["CHILD", "begins"])
        # a change: an allocation that begins the day the child's previous one ended
        follows = (workers["CHILD"] == workers["CHILD"].shift()) & (workers["begins"] == workers["ends"].shift())
        changes += int((follows & (workers["begins"] >= start)).sum())
        days += int((workers["ends"].fillna(end).clip(upper=end) - workers["begins"].clip(lower=start)).dt.days.sum())
    years = days / 365.25
    # Poisson: within four standard errors of the count
    assert abs(changes / years - rate) <= 4 * (rate / years) ** 0.5, (changes / years, rate, changes)


def test_a_social_worker_export_as_a_council_writes_it(tmp_path):
    """A hand-made 2023-24 SocialWorker file with export habits and faults: read cell by cell, nothing lost."""
    from .returns import episode, header, write_return

    la = tmp_path / "E09000001"
    write_return(
        la,
        2024,
        {
            "Header": [header("A1", "01/06/2010"), header("B2", "03/02/2012")],
            "Episodes": [episode("A1", "01/05/2023", "S", "U1"), episode("B2", "10/09/2023", "S", "U3")],
        },
    )
    lines = [
        "child , dob,Sw_Id,SW_DECOM ,sw_dec,SW_REASON,",  # trailing comma, cased and padded names
        "A1,01/06/2010,SW1001,2023-05-01 00:00:00.000,2023-11-20 00:00:00.000,tsproc,",  # SQL date-times
        "A1,01/06/2010,SW1002,2023-11-20 00:00:00.000,NULL,LEFTRL,",
        "B2,03/02/2012,SW1003,2023-09-10 00:00:00.000,NULL,BADCODE,",  # a reason not in the list
        "B2,03/02/2012,SW1004,not a date,NULL,MANAGE,",  # an unplaceable start
    ]
    (la / "SSDA903_2024_SocialWorker.csv").write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")

    result = read_returns([Source("E09000001", 2024, la)])
    kept = result.kept()["SocialWorker"]
    quarantine = result.quarantine[result.quarantine["table"] == "SocialWorker"]
    counts = result.counts.set_index("table").loc["SocialWorker"]
    # nothing silently lost: rows in = rows kept + rows dropped
    assert counts["rows_in"] == 4 and counts["rows_kept"] + counts["rows_dropped"] == 4
    assert sorted(kept["SW_ID"]) == ["SW1001", "SW1002", "SW1003"]
    assert kept.set_index("SW_ID").loc["SW1001", "SW_REASON"] == "TSPROC"  # codes compare case-insensitively
    assert pd.isna(kept.set_index("SW_ID").loc["SW1003", "SW_REASON"])  # the bad code blanked, the row kept
    assert kept.set_index("SW_ID").loc["SW1002", "SW_DECOM"] == pd.Timestamp(2023, 11, 20)  # date-time to date
    # one line per fault naming file, row, column and rule: the bad code blanks its cell, the bad start drops the row
    faults = quarantine.set_index("column")[["row", "rule", "action"]].astype(str).to_dict("index")
    assert faults == {
        "SW_REASON": {"row": "4", "rule": "code not in the code list", "action": "blanked"},
        "SW_DECOM": {"row": "5", "rule": "not a valid date", "action": "dropped"},
    }
    assert (quarantine["file"].str.endswith("SSDA903_2024_SocialWorker.csv")).all()
