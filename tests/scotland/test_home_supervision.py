"""The home supervision report on hand-made returns: counts, linked suppression, figures and results.json."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from lac_outcomes.disclosure import CONFIDENTIAL, DisclosurePolicy
from lac_outcomes.scotland import home_supervision
from lac_outcomes.scotland.areas import Area, Period
from lac_outcomes.scotland.layout import LOCAL_AUTHORITIES

EDINBURGH, GLASGOW = "S12000036", "S12000049"
HOME = ("cso_home", "at_home_with_parents")
FOSTER = ("cso_residence", "with_foster_carers_la")


def _returns(groups):
    """Children and episodes the way the reader leaves them: one open episode per child unless an end is given.

    ``groups`` is a list of (la_code, count, (legal, placement), start, end, reason_ended).
    """
    children, episodes = [], []
    for la, count, (legal, placement), start, end, reason in groups:
        for _ in range(count):
            n = len(children)
            child = f"SC{n:07d}"
            children.append(
                {
                    "child_id": child,
                    "la_code": la,
                    "sex": "MF"[n % 2],
                    "date_of_birth": pd.Timestamp(2010, 1 + n % 12, 1),
                    "simd_quintile": 1 + n % 5,
                    "disability": "N",
                    "asn": "N",
                }
            )
            episodes.append(
                {
                    "child_id": child,
                    "episode_start": pd.Timestamp(start),
                    "episode_end": pd.Timestamp(end) if end else pd.NaT,
                    "legal_reason": legal,
                    "placement_type": placement,
                    "reason_ended": reason,
                }
            )
    pupils = pd.DataFrame({"pupil_id": ["X"], "school_year": [2016]})  # other years than the configured ones
    return {"children": pd.DataFrame(children), "episodes": pd.DataFrame(episodes), "pupils": pupils}


@pytest.fixture(scope="module")
def two_authorities():
    # 31 July 2021: Edinburgh 3 at home (of 23), Glasgow 12 at home (of 42); 15 at home in all.
    # 31 July 2020 the same children, plus 8 Glasgow children at home whose spells ended in March 2021.
    tables = _returns(
        [
            (EDINBURGH, 3, HOME, "2015-01-01", None, None),
            (EDINBURGH, 20, FOSTER, "2018-01-01", None, None),
            (GLASGOW, 12, HOME, "2015-01-01", None, None),
            (GLASGOW, 30, FOSTER, "2018-01-01", None, None),
            (GLASGOW, 8, HOME, "2019-09-01", "2021-03-01", "discharged_home"),
        ]
    )
    report = home_supervision.build(tables, DisclosurePolicy(5), first_year=2020, last_year=2021, truth=None)
    return tables, report


def test_counts_on_31_july_match_a_plain_count(two_authorities):
    tables, report = two_authorities
    national = report.tables["national"].display
    assert national.loc["2021", "at home on supervision"] == "15"
    assert national.loc["2021", "all looked after"] == "65"
    assert national.loc["2020", "at home on supervision"] == "23"
    assert report.results["stock_national"][1] == {
        "year": 2021,
        "home_supervision": 15,
        "looked_after": 65,
        "share": 23.1,
    }


def test_a_small_authority_is_hidden_with_a_second_one_so_the_total_gives_nothing_away(two_authorities):
    _, report = two_authorities
    latest = report.tables["latest"].display
    # Edinburgh's 3 is primary; with the total of 15 shown, Glasgow's 12 must go too.
    assert latest.loc["City of Edinburgh", "at home on supervision"] == CONFIDENTIAL
    assert latest.loc["Glasgow City", "at home on supervision"] == CONFIDENTIAL
    assert latest.loc["Total (2 authorities)", "at home on supervision"] == "15"
    # The heatmap leaves out both, the secondary cell too.
    heat = report.figures["heatmap"]
    assert np.isnan(heat.loc["City of Edinburgh", 2021]) and np.isnan(heat.loc["Glasgow City", 2021])


def test_authorities_are_named_and_the_period_comes_from_the_configured_years(two_authorities):
    _, report = two_authorities
    assert list(report.figures["heatmap"].index) == ["City of Edinburgh", "Glasgow City"]
    assert report.area.name == "City of Edinburgh and Glasgow City"
    assert "Scotland" not in report.captions["national"]
    assert report.results["period"] == {
        "start": "2019-08-01",
        "end": "2021-07-31",
        "first_year": 2020,
        "last_year": 2021,
    }
    assert "2 of Scotland's 32 local authorities" in report.texts["data"]
    assert "synthetic" not in report.texts["data"]


def test_every_authority_loaded_is_scotland():
    assert Area(tuple(LOCAL_AUTHORITIES)).name == "Scotland"
    assert Area((GLASGOW,)).name == "Glasgow City"
    assert Period(2019, 2021).text.startswith("1 August 2018 to 31 July 2021")


def test_results_never_carry_a_count_the_report_shows_as_c(two_authorities):
    _, report = two_authorities
    shown = report.tables["spell_counts"].display["spells"]
    results = report.results["spells"]
    for label, key in [
        ("spells analysed", "analysed"),
        ("ended (left home supervision)", "ended"),
        ("censored", "censored"),
    ]:
        if shown[label] == CONFIDENTIAL:
            assert results[key] == CONFIDENTIAL
        else:
            assert str(results[key]) == shown[label].replace(",", "")
    endings = report.tables["endings"].display
    for cause, label in home_supervision.ENDING_LABELS.items():
        entry = report.results["ending_shares"][cause]
        if endings.loc[label, "spells"] == CONFIDENTIAL:
            assert entry["endings"] == entry["share_percent"] == entry.get("ci_low", CONFIDENTIAL) == CONFIDENTIAL
    json.dumps(report.results)  # plain JSON


def test_ending_shares_are_written_whatever_the_data(two_authorities):
    _, report = two_authorities
    assert set(report.results["ending_shares"]) == {"discharged", "moved_away_from_home", "permanence"}
    # Eight spells ended, all by discharge: 8 shown, the zeros shown as zeros.
    assert report.results["ending_shares"]["discharged"]["endings"] == 8
    assert report.results["ending_shares"]["permanence"]["endings"] == 0


def test_what_cannot_be_estimated_is_said_not_raised(two_authorities):
    _, report = two_authorities
    assert "cox" not in report.tables and report.results["cox"] is None
    assert any("Cox model is not estimated" in line for line in report.results["cannot_estimate"])
    assert "planted" not in report.tables and report.results["truth_known"] is False
    assert report.texts["planted"] == ""


def test_no_spell_ended_still_gives_a_report():
    tables = _returns([(GLASGOW, 6, HOME, "2019-01-01", None, None), (GLASGOW, 10, FOSTER, "2019-01-01", None, None)])
    report = home_supervision.build(tables, DisclosurePolicy(5), first_year=2020, last_year=2021)
    assert report.results["km_median_years"] is None
    assert any("durations cannot be estimated" in line for line in report.cannot_estimate)
    assert "km" not in report.figures


def test_one_authority_total_is_not_shown_twice_and_small_counts_stay_hidden_everywhere():
    tables = _returns([(GLASGOW, 4, HOME, "2015-01-01", None, None), (GLASGOW, 30, FOSTER, "2019-01-01", None, None)])
    report = home_supervision.build(tables, DisclosurePolicy(5), first_year=2020, last_year=2021)
    assert list(report.tables["latest"].display.index) == ["Glasgow City"]
    assert report.tables["national"].display.loc["2021", "at home on supervision"] == CONFIDENTIAL
    assert report.tables["long"].display.loc["2021", "at home on supervision"] == CONFIDENTIAL
    assert report.results["stock_national"][1]["home_supervision"] == CONFIDENTIAL
    assert report.results["long_duration"][1]["at_home_on_supervision"] == CONFIDENTIAL
    assert report.figures["stock"]["children"].isna().all()
    assert CONFIDENTIAL in report.texts["summary"] and "4 children" not in report.texts["summary"]


def test_a_truth_file_in_the_generators_shape_gives_the_share_check():
    tables = _returns(
        [
            (GLASGOW, 40, HOME, "2019-09-01", "2021-01-01", "discharged_home"),
            (GLASGOW, 10, HOME, "2019-09-01", None, None),
            (GLASGOW, 30, FOSTER, "2019-01-01", None, None),
        ]
    )
    truth = {
        "home_supervision": {
            "cause_of_end_probabilities": {"discharged": 0.95, "moved_away_from_home": 0.03, "permanence": 0.02}
        }
    }
    report = home_supervision.build(tables, DisclosurePolicy(5), first_year=2020, last_year=2021, truth=truth)
    rows = pd.DataFrame(report.results["planted_vs_estimated"])
    assert list(rows["term"]) == [
        "share ending discharged",
        "share ending moved_away_from_home",
        "share ending permanence",
    ]
    assert rows.loc[0, "estimate"] == pytest.approx(1.0) and bool(rows.loc[0, "covered"]) is True
    assert report.results["coverage"]["total"] == 3
    assert "scotland.truth" in report.texts["planted"]  # not the synthetic wording


def test_a_child_with_no_authority_is_left_out_of_stock_and_spells_alike():
    tables = _returns([(GLASGOW, 12, HOME, "2015-01-01", None, None), (GLASGOW, 30, FOSTER, "2019-01-01", None, None)])
    orphan = tables["episodes"].iloc[[0]].assign(child_id="SC9999999")  # episodes of a child not in children
    tables["episodes"] = pd.concat([tables["episodes"], orphan], ignore_index=True)
    report = home_supervision.build(tables, DisclosurePolicy(5), first_year=2020, last_year=2021)
    assert report.tables["national"].display.loc["2021", "at home on supervision"] == "12"
    assert report.tables["long"].display.loc["2021", "at home on supervision"] == "12"


def test_every_figure_is_drawn_with_alt_text_or_left_out(two_authorities):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lac_outcomes.scotland.home_supervision import _DRAWERS, draw

    _, report = two_authorities
    for name in _DRAWERS:
        drawn = draw(report, name)
        if report.figures.get(name) is None or len(report.figures[name]) == 0:
            assert drawn is None, name
            continue
        fig, alt = drawn
        assert fig.axes and len(alt) > 40, name
        plt.close(fig)
    with pytest.raises(KeyError):
        draw(report, "no such figure")
