"""England placement stability: the two-year measure, re-entry and the move model (hand-made and planted)."""

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf

from lac_outcomes.disclosure import DisclosurePolicy
from lac_outcomes.england import indicators, stability
from lac_outcomes.england.indicators import compute_indicators
from lac_outcomes.england.reader import read_returns, sources_from_tree
from tests.england.test_permanence import episodes

HISTORY = episodes(
    # A: three placements in the two years to 31 March 2019, two of them in the year (NI 62 counts 2).
    ("A", "2017-05-01", "S", "C2", "U1", "2018-01-01", "X1", "P1", "U1"),
    ("A", "2018-01-01", "P", "C2", "U2", "2018-06-01", "X1", "P2", "U2"),
    ("A", "2018-06-01", "P", "C2", "U3", None, None, "P3", "U3"),
    # B: one placement, a change of legal status only (not a new placement).
    ("B", "2017-06-01", "S", "V2", "U1", "2018-02-01", "X1", "P4", "U4"),
    ("B", "2018-02-01", "L", "C2", "U1", None, None, "P4", "U4"),
    # C: left care (E13), back 100 days later; D: adopted (not a re-entry candidate).
    ("C", "2017-04-10", "S", "V2", "U1", "2017-10-01", "E13", "P5", "U5"),
    ("C", "2018-01-09", "S", "C2", "U1", None, None, "P5", "U5"),
    ("D", "2016-01-01", "S", "C2", "A5", "2017-09-01", "E11", "P6", "A5"),
)


def test_three_or_more_placements_over_two_years_and_ni62s_one_year_count():
    history = indicators.episode_history(HISTORY)
    two = stability.three_placements_in_two_years(history, 2019).set_index("CHILD")
    assert two.loc["A", "placements"] == 3 and bool(two.loc["A", "three_or_more"])
    assert two.loc["B", "placements"] == 1 and not bool(two.loc["B", "three_or_more"])
    start, end = pd.Timestamp("2018-04-01"), pd.Timestamp("2019-03-31")
    one_year = indicators.placements_in_year(history, start, end)
    assert one_year.loc[("E09000001", "A")] == 2


def test_reentry_within_12_months_leaves_out_permanence_orders():
    history = indicators.episode_history(HISTORY)
    back = stability.reentries(history, pd.Timestamp("2019-03-31")).set_index("CHILD")
    assert bool(back.loc["C", "returned"]) and "D" not in back.index
    assert back.loc["C", "year"] == 2018


def test_published_value_is_the_latest_national_figure():
    figures = pd.DataFrame(
        {
            "jurisdiction": ["england", "england", "scotland"],
            "measure": ["three_or_more_placements_previous_2y"] * 3,
            "year": [2023, 2024, 2024],
            "value": [22, 23, 99],
        }
    )
    assert stability.published_value(figures, "three_or_more_placements_previous_2y") == (2024, 23.0)
    assert stability.published_value(figures, "no_such_measure") is None


# Periods of care for the move model, as a council's 903 records them (first loaded year 2019).
MOVES = episodes(
    # E: enters in foster care, moves to a children's home, has a hospital stay (T1) and returns to the same home,
    # moves to a relative, then moves in with adopters (a planned move: it ends the time at risk, no move).
    ("E", "2018-04-10", "S", "C2", "U4", "2018-06-01", "X1", "PC1", "U4"),
    ("E", "2018-06-01", "P", "C2", "K2", "2018-08-01", "X1", "PC2", "K2"),
    ("E", "2018-08-01", "P", "C2", "T1", "2018-08-10", "X1", "PC3", "XXXXXXX"),
    ("E", "2018-08-10", "P", "C2", "K2", "2018-12-01", "X1", "PC2", "K2"),
    ("E", "2018-12-01", "P", "C2", "U1", "2019-02-01", "X1", "PC4", "U1"),
    ("E", "2019-02-01", "P", "E1", "A5", "2019-09-01", "E11", "PC5", "A5"),
    # F: one placement, a change of legal status only, leaves care on 1 March 2019.
    ("F", "2018-05-01", "S", "V2", "U4", "2018-07-01", "X1", "PC6", "U4"),
    ("F", "2018-07-01", "L", "C2", "U4", "2019-03-01", "E13", "PC6", "U4"),
    # G: in care before the first loaded year: its earlier moves are unknown, so it is left out.
    ("G", "2016-01-01", "S", "C2", "U4", "2018-09-01", "X1", "PC7", "U4"),
    ("G", "2018-09-01", "P", "C2", "U5", None, None, "PC8", "U5"),
    # H: a foster placement across 31 March and its first anniversary, then a move; open at the end.
    ("H", "2018-04-02", "S", "C2", "U4", "2019-06-01", "X1", "PC9", "U4"),
    ("H", "2019-06-01", "P", "C2", "H5", None, None, "PC10", "H5"),
)


def test_placements_at_risk_of_a_move_on_a_hand_made_history():
    history = indicators.episode_history(MOVES)
    spells = stability.placement_spells(history, 2019, 2020).set_index(["CHILD", "start"])
    assert "G" not in spells.index.get_level_values("CHILD")
    e = spells.loc["E"]
    # the hospital stay and the return to the same home are no new placement; the adoptive one is at no risk
    assert list(e["group"].fillna("-")) == ["foster_other", "residential", "foster_relative", "-"]
    assert list(e["moved"]) == [True, True, False, False]
    assert list(e["prior"])[:3] == ["none", "one", "two or more"]
    # the day of moving in with adopters is no day at risk
    assert e.loc[pd.Timestamp("2018-12-01"), "end"] == pd.Timestamp("2019-01-31")
    f = spells.loc["F"]
    assert len(f) == 1 and not f["moved"].iloc[0] and f["end"].iloc[0] == pd.Timestamp("2019-02-28")


def test_move_exposure_splits_days_by_collection_year_and_first_year_of_the_placement():
    history = indicators.episode_history(MOVES)
    cells = stability.move_exposure(stability.placement_spells(history, 2019, 2020), 2019, 2020)
    h = cells[(cells["group"] == "foster_other") & (cells["prior"] == "none")].set_index(["year", "first_year"])
    days = (h["years"] * 365.25).round().astype(int)
    # H: 2 April 2018 to 31 March 2019 is 363 days; E: 10 April to 1 June 2018, 52; F: 1 May 2018 to 28 February
    # 2019, 303 -- all in a first year, in 2019
    assert days.loc[(2019, "first year")] == 363 + 52 + 303
    # H in 2020: 1-2 April 2019 in the first year (the anniversary is 2 April), 3 April to 1 June after it
    assert days.loc[(2020, "first year")] == 2 and days.loc[(2020, "later")] == 60
    assert h.loc[(2020, "later"), "moves"] == 1 and h.loc[(2019, "first year"), "moves"] == 1
    assert cells["moves"].sum() == 3  # E twice, H once; E's adoptive placement and F's leaving are no moves


def test_generated_moves_recover_the_planted_rates(small_synthetic):
    out, years, truth = small_synthetic
    tables = read_returns(sources_from_tree(out, years)).kept()
    history = indicators.episode_history(indicators.without_short_breaks(tables["Episodes"]))
    cells = stability.move_exposure(stability.placement_spells(history, years[0], years[-1]), years[0], years[-1])
    planted = stability.planted_moves(truth)
    # the analysis groups the placement types as the generator planted them
    assert planted["groups"] == {group: list(codes) for group, codes in stability.MOVE_GROUPS.items()}
    # a plain count of moves against what the planted rates give over the same child-years, per group
    expected = (stability.planted_cell_rates(cells, planted) * cells["years"]).groupby(cells["group"]).sum()
    observed = cells.groupby("group")["moves"].sum()
    assert set(observed.index) == set(stability.MOVE_GROUPS) and (observed > 20).all()
    assert (abs(observed - expected) <= 4 * np.sqrt(expected)).all(), pd.DataFrame({"o": observed, "e": expected})
    # the model recovers each planted rate ratio within four standard errors
    fitted = stability.fit_move_model(cells)
    terms = [t for t in fitted.params.index if t.startswith(("C(group", "C(prior", "C(first_year"))]
    assert len(terms) == 7
    for term in terms:
        assert abs(fitted.params[term] - stability.planted_log_ratio(term, planted)) <= 4 * fitted.bse[term], term


def test_report_shows_the_move_model_and_its_planted_check(small_synthetic):
    out, years, truth = small_synthetic
    tables = read_returns(sources_from_tree(out, years)).kept()
    tables["indicators"] = compute_indicators(tables)
    report = stability.build(tables, DisclosurePolicy(threshold=5), truth=truth)
    assert {"rates", "model", "planted"} <= set(report.tables)
    checked = report.results["planted_coverage"]
    assert checked["checked"] == len(report.tables["planted"]) >= 7
    assert checked["covered"] >= checked["checked"] - 2
    # child-years with separators; the groups' child-years add to the total's (each rounded to 0.1)
    years_shown = report.tables["rates"].display["child-years"]
    child_years = years_shown.str.replace(",", "").astype(float)
    assert years_shown.iloc[-1] == f"{child_years.iloc[-1]:,.1f}"
    assert abs(child_years.iloc[:-1].sum() - child_years.iloc[-1]) <= 0.05 * len(child_years)
    # NI 63 is marked where the returns it looks back to are not all loaded, as the indicators flag it
    measures = report.tables["measures"].display
    flagged = tables["indicators"].query("indicator == 'NI63'").groupby("YEAR")["history_complete"].all()
    expected = flagged.map({True: "complete", False: "incomplete"})
    assert measures["NI 63 history"].to_dict() == expected.to_dict() and "incomplete" in set(expected)
    # without the truth (real returns) there is the model but no planted check
    plain = stability.build(tables, DisclosurePolicy(threshold=5))
    assert "model" in plain.tables and "planted" not in plain.tables


def test_move_model_matches_a_poisson_glm_with_an_effect_for_every_la_year(small_synthetic):
    out, years, _ = small_synthetic
    tables = read_returns(sources_from_tree(out, years)).kept()
    history = indicators.episode_history(indicators.without_short_breaks(tables["Episodes"]))
    cells = stability.move_exposure(stability.placement_spells(history, years[0], years[-1]), years[0], years[-1])
    cells = cells[cells["years"] > 0].assign(stratum=lambda f: f["LA"] + f["year"].astype(str))
    ours = stability.fit_move_model(cells)
    # statsmodels' GLM with every LA-year as a dummy: the same estimates and (model-based) standard errors
    glm = smf.glm(
        "moves ~ C(group, Treatment('foster_other')) + C(prior, Treatment('none'))"
        " + C(first_year, Treatment('later')) + C(stratum)",
        data=cells,
        family=sm.families.Poisson(),
        offset=np.log(cells["years"]),
    ).fit()
    for term in ours.params.index:
        name = term.replace("C(group)", "C(group, Treatment('foster_other'))").replace(
            "C(prior)", "C(prior, Treatment('none'))"
        )
        name = name.replace("C(first_year)", "C(first_year, Treatment('later'))")
        assert abs(ours.params[term] - glm.params[name]) < 1e-6, term
        assert abs(ours.bse[term] / np.sqrt(ours.scale) - glm.bse[name]) < 1e-6, term


def test_reentry_counts_only_collection_years_watched_twelve_months_in_full():
    history = pd.DataFrame(
        {
            "spell": [1, 2, 3],
            "LA": ["E1", "E1", "E1"],
            "CHILD": ["a", "b", "c"],
            "spell_start": pd.to_datetime(["2020-05-01", "2020-05-01", "2020-05-01"]),
            "spell_end": pd.to_datetime(["2023-03-31", "2023-04-01", "2022-06-30"]),
            "spell_reason": ["E4A", "E4A", "E13"],
        }
    )
    back = stability.reentries(history, pd.Timestamp("2024-03-31"))
    # the period ending 1 April 2023 opens collection year 2024, which cannot be watched for 12 months
    assert sorted(back["CHILD"]) == ["a", "c"] and sorted(back["year"]) == [2023, 2023]
