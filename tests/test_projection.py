"""The nation-neutral projection model against a care process written here, independently of it.

The planted process: children enter one of the states each month at known
rates and move between states with a known monthly transition matrix (a plain
loop over children and months, written for this test).  The model must recover
the matrix, its projection must reproduce the process's later months inside
its intervals, and the scenario, cost and disclosure rules must do what they say.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lac_outcomes import projection as pj
from lac_outcomes.disclosure import DisclosurePolicy

ROOT = Path(__file__).resolve().parents[1]
UNIT_COSTS = ROOT / "data" / "raw" / "published" / "unit_costs.csv"

# Planted monthly transitions among three of the states (rows: from; columns: home, foster, residential, out).
PLANTED_STATES = ("home", "foster", "residential")
PLANTED = np.array(
    [
        [0.94, 0.02, 0.00, 0.04],
        [0.01, 0.955, 0.01, 0.025],
        [0.00, 0.05, 0.90, 0.05],
    ]
)
ENTRIES_PER_MONTH = {"home": 30, "foster": 20, "residential": 5}


def planted_episodes(months: int, seed: int, las=("A", "B")) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Episodes of the planted process from 1 January 2000: one row per child and stay in a state."""
    rng = np.random.default_rng(seed)
    month_ends = pd.date_range("2000-01-31", periods=months, freq="ME")
    rows, child = [], 0
    open_children: list[dict] = []
    for day in month_ends:
        still = []
        for c in open_children:  # one month's move for each child in care
            j = rng.choice(4, p=PLANTED[c["s"]])
            if j == c["s"]:
                still.append(c)
                continue
            move_day = day - pd.Timedelta(days=int(rng.integers(0, 20)))
            rows.append({**c["row"], "end": move_day})
            if j < 3:
                c = {"s": j, "row": {**c["row"], "start": move_day, "state": PLANTED_STATES[j]}}
                still.append(c)
        for s, state in enumerate(PLANTED_STATES):  # entries this month
            for _ in range(rng.poisson(ENTRIES_PER_MONTH[state])):
                start = day - pd.Timedelta(days=int(rng.integers(1, 25)))
                dob = start - pd.Timedelta(days=int(rng.integers(2 * 365, 10 * 365)))  # aged 2 to 11: nobody turns 18
                row = {"child": f"C{child}", "la": las[child % len(las)], "dob": dob, "start": start, "state": state}
                still.append({"s": s, "row": row})
                child += 1
        open_children = still
    rows += [{**c["row"], "end": pd.NaT} for c in open_children]
    return pd.DataFrame(rows), month_ends[-1]


@pytest.fixture(scope="module")
def planted_run():
    episodes, end = planted_episodes(months=72, seed=5)
    histories = pj.Histories(episodes, pd.Timestamp("2000-01-01"), end, 12, "test")
    return histories, pj.monthly_panel(histories)


def test_panel_matches_a_plain_count_of_children_in_care(planted_run):
    histories, panel = planted_run
    eps = histories.episodes
    for day in (pd.Timestamp("2001-06-30"), pd.Timestamp("2005-12-31")):
        on = eps[(eps["start"] <= day) & (eps["end"].isna() | (eps["end"] > day))]
        expected = on.groupby("state").size().reindex(pj.STATES, fill_value=0).to_numpy()
        assert pj.stock_at(panel, day).sum(axis=(0, 1)).tolist() == expected.tolist()


def test_fitted_transitions_recover_the_planted_matrix(planted_run):
    histories, panel = planted_run
    fitted = pj.fit(panel, histories.data_end, window_years=5, replicates=50, seed=1)
    destinations = [pj.STATES.index(s) for s in PLANTED_STATES] + [pj.OUT]
    planted = {
        (a, b): PLANTED[i, j]
        for i, a in enumerate(PLANTED_STATES)
        for j, b in enumerate([*PLANTED_STATES, "out"])
        if i != j and PLANTED[i, j] > 0
    }
    check = pj.check_transitions(fitted.counts, planted)
    # A child moved mid-month can move again before the month end, so month-end steps see a little less than
    # the planted monthly probability; the 95% intervals should still hold nearly all of them.
    assert check["covered"].mean() >= 0.75, check
    estimate = pj.point_transitions(fitted)[[pj.STATES.index(s) for s in PLANTED_STATES]][:, destinations]
    assert np.abs(estimate - PLANTED).max() < 0.015


def test_back_test_on_the_planted_process_is_calibrated(planted_run):
    histories, panel = planted_run
    test = pj.back_test(panel, histories, window_years=3, horizon_years=2, n_cutoffs=2, replicates=60, seed=3)
    summary = pj.coverage_summary(test.table[test.table["state"].isin(PLANTED_STATES)])
    assert summary.loc["all", "projections"] == 2 * 2 * 3 - 3  # the later cut-off has one year after it
    assert summary.loc["all", "coverage95"] >= 75
    assert summary.loc["all", "mean_abs_pct_error"] < 15


def test_simulation_without_entries_decays_as_the_planted_leaving_rate():
    leave = 0.05
    transitions = np.zeros((1, len(pj.AGE_BANDS), len(pj.STATES), len(pj.STATES) + 1))
    transitions[..., :, pj.OUT] = leave
    for s in range(len(pj.STATES)):
        transitions[..., s, s] = 1 - leave
    no_entries = np.zeros((200, 1, pj.MAX_AGE, len(pj.STATES)))
    fitted = pj.Fit(np.repeat(transitions, 200, axis=0), no_entries, None, None, ["x"])
    start = np.zeros((1, pj.MAX_AGE, len(pj.STATES)), dtype=np.int64)
    start[0, 5, 2] = 1000  # aged 5: nobody reaches 18 in a year
    paths = pj.simulate(fitted, start, months=12, seed=4)
    mean = paths[:, 12].sum(axis=(1, 2, 3)).mean()
    assert mean == pytest.approx(1000 * (1 - leave) ** 12, rel=0.02)


def test_scenarios_change_the_rates_as_described():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(len(pj.STATES) + 1), size=(2, len(pj.AGE_BANDS), len(pj.STATES)))
    e = rng.random((2, 3, pj.MAX_AGE, len(pj.STATES)))
    home = pj.STATES.index("home")
    shorter = pj.Scenario.from_config("s", {"kind": "duration", "state": "home", "factor": 0.5})
    p2, e2 = shorter.apply(p, e)
    stay, leave = p[..., home, home], 1 - p[..., home, home]
    assert np.allclose(1 - p2[..., home, home], np.minimum(2 * leave, 1))
    assert np.allclose(p2.sum(axis=-1), 1) and np.array_equal(e2, e)
    assert (p2[..., home, home] < stay).all()

    redirect = pj.Scenario.from_config("r", {"kind": "redirect", "state": "residential", "to": "foster", "share": 0.25})
    p3, e3 = redirect.apply(p, e)
    r, f = pj.STATES.index("residential"), pj.STATES.index("foster")
    assert np.allclose(e3[..., r], 0.75 * e[..., r]) and np.allclose(e3[..., f], e[..., f] + 0.25 * e[..., r])
    assert np.allclose(p3[..., r, r], p[..., r, r])  # staying put is not a new placement
    assert np.allclose(p3.sum(axis=-1), 1)

    fewer = pj.Scenario.from_config("f", {"kind": "entries", "ages": [12, 17], "factor": 0.9})
    _, e4 = fewer.apply(p, e)
    assert np.allclose(e4[:, :, 12:], 0.9 * e[:, :, 12:]) and np.array_equal(e4[:, :, :12], e[:, :, :12])


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"kind": "duration", "state": "home", "factr": 0.8}, "unknown key(s) ['factr']"),
        ({"kind": "shorter"}, "kind must be duration, redirect or entries"),
        ({"kind": "redirect", "state": "residental", "to": "foster"}, "state 'residental' is not one of"),
    ],
)
def test_a_bad_scenario_is_one_line_naming_it(entry, message):
    with pytest.raises(ValueError, match=None) as error:
        pj.Scenario.from_config("mine", entry)
    assert str(error.value).startswith("scenario mine:") and message in str(error.value)
    assert "\n" not in str(error.value)


def test_every_unit_cost_given_has_a_source_and_a_price_year():
    costs = pd.read_csv(UNIT_COSTS)
    assert set(costs["nation"]) == {"scotland", "england"}
    for nation in ("scotland", "england"):
        assert sorted(costs.loc[costs["nation"] == nation, "state"]) == sorted(pj.STATES)
    given = costs[costs["weekly_cost_gbp"].notna()]
    assert len(given) >= 2
    assert given["source"].str.contains("https?://").all() and given["price_year"].notna().all()
    # A state without a figure says so rather than carrying an invented one.
    assert costs.loc[costs["weekly_cost_gbp"].isna(), "note"].str.contains("found").all()


def test_cost_is_child_weeks_times_unit_cost():
    paths = np.zeros((1, 13, 1, pj.MAX_AGE, len(pj.STATES)), dtype=np.int64)
    paths[:, :, 0, 5, pj.STATES.index("residential")] = 10
    weekly = np.full(len(pj.STATES), np.nan)
    weekly[pj.STATES.index("residential")] = 3000.0
    assert pj.cumulative_cost(paths, weekly)[0] == pytest.approx(10 * 3000 * 365.25 / 7)


def test_unit_cost_file_with_an_unknown_state_is_refused(tmp_path):
    bad = tmp_path / "costs.csv"
    bad.write_text("nation,state,weekly_cost_gbp,price_year,source\nengland,fostering,600,2020,x\n")
    with pytest.raises(ValueError, match="fostering"):
        pj.read_unit_costs(bad, "england")


def test_report_tables_show_no_small_count_and_round_projections(planted_run):
    histories, _ = planted_run
    # A third authority with two children only: its projection must not show a small number.
    episodes = histories.episodes.copy()
    episodes.loc[episodes.index[:2], "la"] = "tiny"
    small = pj.Histories(episodes, histories.period_start, histories.data_end, 12, "test")
    costs = pj.read_unit_costs(UNIT_COSTS, "england")
    settings = {"window_years": 2, "horizon_years": 2, "backtest_cutoffs": 1, "replicates": 20, "scenarios": {}}
    report = pj.build(small, DisclosurePolicy(5), settings=settings, unit_costs=costs)
    projected = report.tables["national"][["central", "lo80", "hi80", "lo95", "hi95"]].to_numpy()
    assert (projected % 5 == 0).all()
    authorities = report.tables["authorities"]
    numbers = pd.to_numeric(authorities.stack(), errors="coerce").dropna()
    assert ((numbers == 0) | (numbers >= 5)).all()
    shown = report.tables["backtest"].display["observed"]
    assert not shown.isin([str(k) for k in range(1, 5)]).any()


def test_expected_paths_are_the_mean_of_simulated_ones(planted_run):
    histories, panel = planted_run
    fitted = pj.fit(panel, histories.data_end, window_years=3, replicates=1, seed=2)
    fitted = pj.Fit(np.repeat(fitted.transitions, 400, axis=0), np.repeat(fitted.entries, 400, axis=0), None, None, [])
    start = pj.stock_at(panel, histories.data_end)
    expected = pj.simulate(fitted, start, 12, seed=1, expected=True)[0, 12].sum(axis=(0, 1))
    simulated = pj.simulate(fitted, start, 12, seed=1)[:, 12].sum(axis=(1, 2)).mean(axis=0)
    assert np.allclose(simulated, expected, rtol=0.03, atol=1.0)


def test_turning_18_is_left_to_ageing_not_counted_as_leaving():
    day = pd.Timestamp
    # Looked after from 2000 until the 18th birthday, 15 May 2001: the last month end before it is 30 April.
    episodes = pd.DataFrame(
        {"child": ["a"], "la": ["A"], "dob": [day("1983-05-15")], "start": [day("2000-01-10")],
         "end": [day("2001-05-15")], "state": ["foster"]}
    )  # fmt: skip
    panel = pj.monthly_panel(pj.Histories(episodes, day("2000-01-01"), day("2001-12-31"), 12, "test"))
    assert panel.month_ends[panel.month].max() == day("2001-04-30")
    assert (panel.next_state != pj.OUT).all()  # the last month is not fitted; no month counts as leaving care
    assert panel.next_state[-1] == -1


def test_panel_ages_and_overlaps_match_a_plain_count():
    """Ages at each month end (a 29 February birthday counts on 1 March) and the latest-starting of two overlapping
    episodes, against a plain loop over month ends."""
    day = pd.Timestamp
    episodes = pd.DataFrame(
        {"child": ["leap", "leap", "other"], "la": ["A", "A", "B"],
         "dob": [day("2004-02-29"), day("2004-02-29"), day("1995-03-31")],
         "start": [day("2007-01-15"), day("2007-06-01"), day("2007-03-31")],
         "end": [day("2008-01-01"), pd.NaT, day("2008-04-01")],
         "state": ["foster", "kinship", "home"]}
    )  # fmt: skip
    histories = pj.Histories(episodes, day("2007-01-01"), day("2008-12-31"), 12, "test")
    panel = pj.monthly_panel(histories)
    expected = []
    for m, month_end in enumerate(panel.month_ends):
        for child in ("leap", "other"):
            rows = episodes[(episodes["child"] == child) & (episodes["start"] <= month_end)]
            rows = rows[rows["end"].isna() | (rows["end"] > month_end)]
            if rows.empty:
                continue
            row = rows.sort_values("start").iloc[-1]
            dob = row["dob"]
            age = month_end.year - dob.year - ((month_end.month, month_end.day) < (dob.month, dob.day))
            expected.append((child, m, age, row["state"]))
    codes = sorted({"leap", "other"})
    got = [
        (codes[c], int(m), int(a), pj.STATES[s])
        for c, m, a, s in zip(panel.child, panel.month, panel.age, panel.state, strict=True)
    ]
    assert sorted(got) == sorted(expected)
    # The leap-day child is 2 on 28 February 2007 (the birthday counts on 1 March) and 4 on 29 February 2008.
    leap = {m: a for c, m, a, _ in got if c == "leap"}
    month = {d: i for i, d in enumerate(panel.month_ends)}
    assert [leap[month[day(d)]] for d in ("2007-02-28", "2007-03-31", "2008-02-29")] == [2, 3, 4]


def test_weighted_counts_match_a_plain_loop():
    rng = np.random.default_rng(3)
    n_rows, n_children, n_cells, n_years, replicates = 400, 30, 7, 3, 5
    child, year, cell = (
        rng.integers(n_children, size=n_rows),
        rng.integers(n_years, size=n_rows),
        rng.integers(n_cells, size=n_rows),
    )
    child_weights = rng.poisson(1.0, (n_children, replicates)).astype(float)
    year_weights = rng.multinomial(n_years, np.full(n_years, 1 / n_years), replicates).astype(float)
    expected = np.zeros((replicates, n_cells))
    for r in range(replicates):
        for i in range(n_rows):
            expected[r, cell[i]] += child_weights[child[i], r] * year_weights[r, year[i]]
    got = pj._weighted_counts(child, year, cell, n_cells, child_weights, year_weights)
    np.testing.assert_allclose(got, expected)


def test_children_who_come_in_near_18_age_out_as_fast_as_the_data_show():
    """Children entering care at 17 and a half leave at 18, within six months: the fitted ageing says so, where a
    twelfth of each year of age a month would keep half of them past their 18th birthday."""
    rng = np.random.default_rng(11)
    rows = []
    for i in range(600):
        dob = pd.Timestamp("1982-01-01") + pd.Timedelta(days=int(rng.integers(0, 3 * 365)))
        start = dob + pd.DateOffset(years=17, months=6)
        rows.append({"child": f"K{i}", "la": "A", "dob": dob, "start": start, "end": dob + pd.DateOffset(years=18),
                     "state": "other"})  # fmt: skip
    histories = pj.Histories(pd.DataFrame(rows), pd.Timestamp("1999-01-01"), pd.Timestamp("2002-12-31"), 12, "test")
    panel = pj.monthly_panel(histories)
    fitted = pj.fit(panel, pd.Timestamp("2002-12-31"), window_years=3, replicates=5, seed=1)
    other = pj.STATES.index("other")
    # At 17, in care only the last six months before 18: about one in six turns 18 before the next month end.
    assert fitted.ageing[17, other] == pytest.approx(1 / 6, abs=0.02)
    start = np.zeros((1, pj.MAX_AGE, len(pj.STATES)), dtype=np.int64)
    start[0, 17, other] = 1000
    whole = pj.national_fit(fitted)
    no_entries = replace(whole, entries=np.zeros_like(whole.entries))
    left = pj.simulate(no_entries, start, months=6, seed=2, expected=True)[:, 6].sum(axis=(1, 2, 3))
    assert left.mean() < 1000 * (1 - 1 / 12) ** 6 * 0.75


def _entry_panel(yearly: np.ndarray) -> pj.Panel:
    """A panel holding only entries (state 0): ``yearly[y]`` entries spread over the 12 months of year y."""
    months = np.concatenate([np.repeat(12 * y + 1 + np.arange(12), np.diff(np.linspace(0, n, 13).astype(int)))
                             for y, n in enumerate(yearly)])  # fmt: skip
    n = len(months)
    month_ends = pd.date_range("1980-01-31", periods=12 * len(yearly) + 1, freq="ME")
    zeros = np.zeros(n, dtype=np.int64)
    return pj.Panel(month_ends, months, np.arange(n), zeros, zeros, zeros, np.full(n, -1), np.ones(n, bool),
                    np.zeros(n, bool), ["A"], n)  # fmt: skip


def test_year_to_year_variation_of_entries_is_recovered_beyond_chance():
    """Yearly entries drawn here as Poisson around a level that wanders as a random walk on its log with sd 0.15 a
    year: the estimate finds about 0.15; with a fixed level (Poisson chance only) it finds about 0."""
    rng = np.random.default_rng(8)
    level = 2000 * np.exp(np.cumsum(rng.normal(0, 0.15, 40)))
    wandering = _entry_panel(rng.poisson(level))
    common, own = pj._entry_year_to_year_sd(wandering, 12 * 40)
    assert common == pytest.approx(0.15, abs=0.05)
    assert own[0] == 0.0
    steady = _entry_panel(rng.poisson(np.full(40, 2000.0)))
    assert pj._entry_year_to_year_sd(steady, 12 * 40)[0] < 0.02
    assert pj._entry_year_to_year_sd(steady, 12 * 2) is None  # two years: one change, too few


def test_a_falling_trend_of_entries_is_projected_from_where_it_has_reached():
    """Entries planted here falling 10% a year (exactly, no chance): the next year's projected entries are the
    planted next year's, not the window's average carried forward on the trend (16% too many)."""
    yearly = np.round(6000 * np.exp(-0.1 * np.arange(10))).astype(int)
    panel = _entry_panel(yearly)
    fitted = pj.fit(panel, panel.month_ends[-1], window_years=3, replicates=20, seed=1)
    leave_at_once = np.zeros_like(fitted.transitions)
    leave_at_once[..., pj.OUT] = 1.0
    start = np.zeros((1, pj.MAX_AGE, len(pj.STATES)), dtype=np.int64)
    paths = pj.simulate(replace(fitted, transitions=leave_at_once), start, 12, seed=2, expected=True, trend=True)
    next_year = np.median(paths[:, 1:].sum(axis=(1, 2, 3, 4)))  # everyone leaves within the month: stock = arrivals
    assert next_year == pytest.approx(6000 * np.exp(-0.1 * 10), rel=0.02)


def test_a_state_keeps_its_own_entry_trend_only_where_chance_cannot_make_it():
    """Bootstrap replicates drawn here: a large state whose entries fall 1% a month against a flat common trend, with
    little chance in its slope, keeps its trend; a small state whose slope is mostly chance takes the common one."""
    rng = np.random.default_rng(3)
    own = np.stack([rng.normal(-0.01, 0.0005, 201), rng.normal(0.02, 0.03, 201)], axis=1)
    common = rng.normal(0.0, 0.0005, 201)
    own[0], common[0] = (-0.01, 0.02), 0.0  # replicate 0: the point estimates
    shrunk = pj._shrunk_trends(own, common)
    assert np.median(shrunk[:, 0]) == pytest.approx(-0.01, abs=0.001)
    assert abs(np.median(shrunk[:, 1])) < 0.002
