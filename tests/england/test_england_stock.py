"""England's generator follows the published stock year by year, its entry rate derived from it, and its children
start and stay as the published figures say (checked against data/raw/published/published_figures.csv)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lac_outcomes.england import simulate

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = pd.read_csv(ROOT / "data/raw/published/published_figures.csv")
ENGLAND = PUBLISHED[PUBLISHED["jurisdiction"] == "england"]
SEED = 20240331


def _published(measure: str, breakdown: str = "all") -> dict[int, float]:
    rows = ENGLAND[(ENGLAND["measure"] == measure) & (ENGLAND["breakdown"] == breakdown)]
    return {int(y): float(v) for y, v in zip(rows["year"], rows["value"], strict=True)}


def test_the_stock_path_passes_through_every_published_count_at_31_march():
    published = _published("looked_after_31_march")
    assert len(published) >= 6
    path = simulate._stock_path(sorted(published))
    assert np.allclose(path, [published[y] for y in sorted(published)])
    # between published years it lies between them, and it is held before the first and after the last
    assert (
        min(published[2018], published[2020])
        <= simulate._stock_path([2019])[0]
        <= max(published[2018], published[2020])
    )
    assert simulate._stock_path([1990, 2030]).tolist() == [60_000, published[2024]]


def test_entries_derived_from_a_stock_give_that_stock_back():
    # periods open at the k-th 31 March after entering, per entry: a hand-made curve, not the generator's
    open_per_entry = np.array([0.7, 0.45, 0.3, 0.2, 0.1, 0.05, 0.0])
    stock = np.array([1000.0] * 8 + [1100.0, 1250.0, 1300.0, 1280.0, 1280.0])
    entries = simulate._entries_for_stock(stock, open_per_entry)
    # the years before the first are taken in steady state: prepend them and convolve plainly
    before = np.full(len(open_per_entry) - 1, stock[0] / open_per_entry.sum())
    implied = np.convolve(np.concatenate([before, entries]), open_per_entry)[len(before) : len(before) + len(stock)]
    assert np.allclose(implied, stock)
    assert np.allclose(entries[:8], 1000 / open_per_entry.sum())  # a steady stock: stock / mean years per entry


def test_a_falling_stock_never_asks_for_negative_entries():
    entries = simulate._entries_for_stock(np.array([1000.0, 1000.0, 200.0, 200.0]), np.array([0.8, 0.6, 0.4]))
    assert (entries >= 0).all() and entries[2] == 0


@pytest.fixture(scope="module")
def children():
    """Children of one authority the size of 40% of England: enough that sampling error is under the tolerances."""
    sim_years = list(range(2015 - simulate.BURN_IN_YEARS, 2025))  # as for the default years, 2015 to 2024
    rng = np.random.default_rng([SEED, 1])
    effects = {k: 0.0 for k in ("stability", "adoption", "sdq", "reviews", "leavers", "with_parents")}
    planted = simulate._plant(rng, sim_years, effects)
    timing_rng = np.random.default_rng([SEED, 1, 4])
    simulate._plant_adoption(timing_rng, planted, 0.0)
    scale = 0.4
    target = scale * simulate._stock_path([2024])[0]
    first = simulate._simulate_children(rng, timing_rng, planted, sim_years, target, simulate._open_periods_per_entry())
    both = simulate._with_reentries(
        np.random.default_rng([SEED, 1, 3]), np.random.default_rng([SEED, 1, 5]), first, planted, sim_years
    )
    return both, scale


def _within(computed: float, published: float, tolerance_pct: float) -> bool:
    # the report's count tolerance, or 1.96 sampling errors (a count's square root) on this run
    return abs(computed - published) <= max(published * tolerance_pct / 100, 1.96 * math.sqrt(published))


def test_the_stock_at_31_march_follows_the_published_years(children):
    c, scale = children
    for year, value in _published("looked_after_31_march").items():
        end = simulate._year_end(year)
        stock = int(((c.entry <= end) & (c.exit > end)).sum())
        assert _within(stock, scale * value, 2.0), (year, stock, scale * value)


def test_starters_and_the_long_stay_cohort_are_those_published(children):
    c, scale = children
    start, end = simulate._year_start(2024), simulate._year_end(2024)
    started = int(((c.entry >= start) & (c.entry <= end)).sum())
    assert _within(started, scale * _published("started_to_be_looked_after")[2024], 2.0), started
    cohort = int(simulate._in_stability_cohort(c.dob, c.entry, c.exit, np.full(len(c.entry), 2024)).sum())
    published_cohort = _published("long_term_stability_cohort", "under16_looked_after_2_5y")[2024]
    assert _within(cohort, scale * published_cohort, 2.0), cohort


def test_ages_at_31_march_2018_are_those_published(children):
    c, _ = children
    end = simulate._year_end(2018)
    open_at_end = (c.entry <= end) & (c.exit > end)
    ages = simulate._age(c.dob[open_at_end], end)
    bands = {"0_4": (0, 4), "5_11": (5, 11), "12_15": (12, 15), "16_plus": (16, 200)}
    shares = _shares_2018()
    assert set(shares) == set(bands)
    for band, share in shares.items():
        low, high = bands[band]
        computed = 100 * ((ages >= low) & (ages <= high)).mean()
        assert abs(computed - share) <= 2.0, (band, computed, share)


def _shares_2018() -> dict[str, float]:
    rows = ENGLAND[(ENGLAND["measure"] == "age_share_31_march") & (ENGLAND["year"] == 2018)]
    return {b: float(v) for b, v in zip(rows["breakdown"], rows["value"], strict=True)}
