"""Demand and cost projection: a model of care journeys fitted to episode histories (both nations).

The nation adapters (``scotland/projection.py``, ``england/projection.py``)
turn each nation's episodes into :class:`Histories`: one row per episode with
a child key, local authority, date of birth, start, end (NaT while open) and a
**state**, one of :data:`STATES`.  Everything below is nation-neutral.

The model (discrete time, monthly steps):

* The **monthly panel** holds each child's state and age on the last day of
  every month of the observed period.
* **Transitions**: for a child in state s at age band a at the end of month t,
  the probability of being in state s' (or out of care) at the end of month
  t + 1, estimated over a reference window before a cut-off.  A month's step
  is short enough that a child rarely changes state twice in it, long enough
  that the panel stays small; placements shorter than a month between two
  month ends are not seen (said in the report).  Sparse age bands borrow from
  the state's transitions pooled over ages (a Dirichlet prior worth
  ``prior_months`` child-months: the estimate is the posterior mean).
* **Entries**: children looked after at a month end who were not at the
  previous one, by local authority, single year of age and state: a Poisson
  rate per month.
* **Parameter uncertainty**: a Poisson bootstrap over children (each child's
  months and entries weighted by one Poisson(1) draw per replicate), crossed
  with a bootstrap over the years of the window (12-month blocks), so that
  rates that vary from year to year widen the intervals;
  **process noise**: each replicate is simulated with multinomial moves,
  binomial ageing and Poisson entries.  Intervals are quantiles over the
  replicates.

The simulation is on counts (authority x single year of age x state), not on
individual children: ageing moves a twelfth of each year of age up each month.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from lac_outcomes.stats import binomial_interval

STATES = ("home", "kinship", "foster", "residential", "secure", "other")
STATE_LABELS = {
    "home": "At home with parents",
    "kinship": "Kinship (friends or relatives)",
    "foster": "Foster care (incl. prospective adopters)",
    "residential": "Residential (not secure)",
    "secure": "Secure",
    "other": "Other community / independent",
    "out": "Out of care",
}
OUT = len(STATES)  # index of "out of care" among the destinations
AGE_BAND_EDGES = (0, 1, 5, 10, 16, 18)
AGE_BANDS = ("under 1", "1-4", "5-9", "10-15", "16-17")
MAX_AGE = 18
WEEKS_PER_MONTH = 365.25 / 7 / 12
BAND_OF_AGE = np.searchsorted(AGE_BAND_EDGES, np.arange(MAX_AGE), side="right") - 1


@dataclass
class Histories:
    """One nation's episodes in the common shape, and its calendar.

    ``episodes``: child, la, dob, start, end (NaT = open), state (one of STATES).
    ``period_start``: first day the episodes are complete (nobody looked after
    from then on is missing); ``data_end``: the last count date.
    ``count_month``: month of the annual count date (7 = 31 July, 3 = 31 March).
    """

    episodes: pd.DataFrame
    period_start: pd.Timestamp
    data_end: pd.Timestamp
    count_month: int
    nation: str

    def count_dates(self) -> list[pd.Timestamp]:
        """Annual count dates (month ends of ``count_month``) inside the observed period."""
        ends = pd.date_range(self.period_start, self.data_end, freq="ME")
        return [d for d in ends if d.month == self.count_month]


@dataclass
class Panel:
    """Month-end states: integer-coded arrays, one row per child and month looked after."""

    month_ends: pd.DatetimeIndex
    month: np.ndarray  # index into month_ends
    child: np.ndarray
    la: np.ndarray
    age: np.ndarray  # completed years, 0..17
    state: np.ndarray
    next_state: np.ndarray  # at the next month end: a state, OUT; -1 after the last month or on turning 18
    entered: np.ndarray  # not looked after at the previous month end (False in the first month)
    ages_up: np.ndarray  # a year older (or 18) at the next month end (False in the last month)
    las: list[str]
    n_children: int


def monthly_panel(histories: Histories) -> Panel:
    """The month-end panel of the observed period (children under 18 looked after at each month end)."""
    eps = histories.episodes.dropna(subset=["start", "state"]).copy()
    eps = eps[eps["state"].isin(STATES)]
    month_ends = pd.date_range(histories.period_start, histories.data_end, freq="ME")
    child_codes, child_index = np.unique(eps["child"].to_numpy(dtype=str), return_inverse=True)
    las = sorted(eps["la"].astype(str).unique())
    la_index = np.searchsorted(las, eps["la"].astype(str).to_numpy())
    state_index = eps["state"].map({s: i for i, s in enumerate(STATES)}).to_numpy(dtype=np.int64)
    start = eps["start"].to_numpy("datetime64[D]")
    end = eps["end"].to_numpy("datetime64[D]")
    end = np.where(np.isnat(end), np.datetime64("2262-01-01"), end)
    dob = eps["dob"].to_numpy("datetime64[D]")
    days = month_ends.to_numpy("datetime64[D]")
    # Each episode's month ends (start <= day < end), one row per episode and month end.
    first = np.searchsorted(days, start, side="left")
    n_months = np.where(np.isnat(dob), 0, np.maximum(np.searchsorted(days, end, side="left") - first, 0))
    rows = np.repeat(np.arange(len(start)), n_months)
    month = first[rows] + np.arange(len(rows)) - np.repeat(np.cumsum(n_months) - n_months, n_months)
    # One episode per child and day: the latest-starting wins where a return overlaps (ties: the first row).
    days_before_start = (start.max() - start).astype(np.int64)
    shift = max(int(days_before_start.max()).bit_length(), 1)
    key = (child_index[rows].astype(np.int64) * len(days) + month) << shift | days_before_start[rows]
    order = np.argsort(key, kind="stable")
    rows, month = rows[order], month[order]
    first_of_child_month = np.r_[True, (child_index[rows][1:] != child_index[rows][:-1]) | (month[1:] != month[:-1])]
    rows, month = rows[first_of_child_month], month[first_of_child_month]
    born, on = _year_and_day(dob), _year_and_day(days)  # per episode and per month end, indexed below
    age = _completed_years(born, rows, on, month)
    keep = (age >= 0) & (age < MAX_AGE)
    rows, month, age = rows[keep], month[keep], age[keep]
    # Turning 18 before the next month end is the ageing step's exit, not a move: such months are not fitted.
    last = month == len(days) - 1
    age_next = _completed_years(born, rows, on, np.minimum(month + 1, len(days) - 1))
    adult_next = last | (age_next >= MAX_AGE)
    ages_up = ~last & (age_next > age)
    child, la, state = child_index[rows], la_index[rows], state_index[rows]
    same_next = np.r_[(child[1:] == child[:-1]) & (month[1:] == month[:-1] + 1), False]
    next_state = np.where(same_next, np.r_[state[1:], 0], OUT)
    next_state = np.where((month == len(month_ends) - 1) | adult_next, -1, next_state)
    same_previous = np.r_[False, same_next[:-1]]
    entered = ~same_previous & (month > 0)
    return Panel(month_ends, month, child, la, age, state, next_state, entered, ages_up, las, len(child_codes))


def _completed_years(born, rows, on, month) -> np.ndarray:
    """Completed years of the ``rows``' births (``born``: year, day) on the ``month``'s days (``on``: year, day).

    A 29 February birthday counts on 1 March.
    """
    return on[0][month] - born[0][rows] - (on[1][month] < born[1][rows])


def _year_and_day(dates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Calendar year and month * 100 + day of datetime64[D] dates, in numpy (pandas' fields are slow here)."""
    months = dates.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    return year, month * 100 + (dates - months).astype(np.int64) + 1


# --------------------------------------------------------------------------- fit


@dataclass
class Fit:
    """Bootstrap replicates of the monthly transition and entry model.

    ``transitions``: (replicates, age bands, states, states + 1) probabilities;
    ``entries``: (replicates, LAs, ages, states) expected entries per month.
    ``counts``: the unweighted transition counts (age bands, states, states + 1).
    ``entry_trend``: (replicates, states) log growth per month of the entries
    into each state over the window (a least-squares line through the log of
    each year's entries), used only when a projection asks for a trend.
    ``ageing``: (ages, states) monthly probability of being a year older at the
    next month end (None: a twelfth).
    ``entry_sd``: the year-to-year variation of entries beyond chance (common sd,
    (states,) own sds) of a random walk on log entries (None: no such variation);
    ``trend_years``: the year-on-year changes the trend rests on (its uncertainty);
    ``window_middle``: months from the middle of the window to the cut-off
    (the entry rates are the window's averages, so a trend starts there).
    """

    transitions: np.ndarray
    entries: np.ndarray
    counts: np.ndarray
    window: tuple[pd.Timestamp, pd.Timestamp]
    las: list[str]
    entry_trend: np.ndarray | None = None
    ageing: np.ndarray | None = None
    entry_sd: tuple[float, np.ndarray] | None = None
    trend_years: int = 2
    window_middle: float = 0.0


def fit(panel: Panel, cutoff: pd.Timestamp, window_years: float, replicates: int, seed: int, prior_months=12.0) -> Fit:
    """Fit on the months of the window ending at ``cutoff`` (transitions out of month ends before the cut-off)."""
    cutoff_index = int(np.searchsorted(panel.month_ends, pd.Timestamp(cutoff), side="right")) - 1
    n_months = max(1, min(int(round(window_years * 12)), cutoff_index))
    first = cutoff_index - n_months
    moving = (panel.month >= first) & (panel.month < cutoff_index) & (panel.next_state >= 0)
    entering = panel.entered & (panel.month > first) & (panel.month <= cutoff_index)
    rng = np.random.default_rng(seed)
    # Bootstrap weights for the children of the window only (numbered afresh), in the sparse products' layout.
    seen = np.zeros(panel.n_children, dtype=bool)
    seen[panel.child[moving | entering]] = True
    in_window = np.flatnonzero(seen)  # the children of the window, in order (np.unique without the sort)
    renumber = np.zeros(panel.n_children, dtype=np.int64)
    renumber[in_window] = np.arange(len(in_window))
    child_weights = np.ones((len(in_window), replicates + 1))
    child_weights[:, 1:] = rng.poisson(1.0, (len(in_window), replicates))
    # Years of the window are resampled too (blocks of 12 months back from the cut-off): rates that vary from
    # year to year widen the intervals as they would widen a forecast's errors.
    n_blocks = -(-n_months // 12)
    year_weights = np.ones((replicates + 1, n_blocks))
    year_weights[1:] = rng.multinomial(n_blocks, np.full(n_blocks, 1 / n_blocks), replicates)
    move_block = (cutoff_index - 1 - panel.month[moving]) // 12
    entry_block = (cutoff_index - panel.month[entering]) // 12
    n_s, n_b, n_la = len(STATES), len(AGE_BANDS), len(panel.las)
    cell = (BAND_OF_AGE[panel.age[moving]] * n_s + panel.state[moving]) * (n_s + 1) + panel.next_state[moving]
    n_cells = n_b * n_s * (n_s + 1)
    counts = _weighted_counts(renumber[panel.child[moving]], move_block, cell, n_cells, child_weights, year_weights)
    counts = counts.reshape(-1, n_b, n_s, n_s + 1)
    pooled = counts.sum(axis=1, keepdims=True)
    pooled = (pooled + 0.5) / (pooled + 0.5).sum(axis=3, keepdims=True)
    probabilities = (counts + prior_months * pooled) / (counts.sum(axis=3, keepdims=True) + prior_months)
    entry_cell = (panel.la[entering] * MAX_AGE + panel.age[entering]) * n_s + panel.state[entering]
    entries = (
        _weighted_counts(
            renumber[panel.child[entering]], entry_block, entry_cell, n_la * MAX_AGE * n_s, child_weights, year_weights
        ).reshape(-1, n_la, MAX_AGE, n_s)
        / n_months
    )
    window = (panel.month_ends[first], panel.month_ends[cutoff_index])
    # The trend of entries into each state: years in order (not resampled), children bootstrapped.
    full_years = n_months // 12
    trend = np.zeros((replicates + 1, n_s))
    if full_years >= 2:
        in_full = entry_block < full_years
        no_year_resampling = np.ones((replicates + 1, 1))
        yearly = _weighted_counts(
            renumber[panel.child[entering][in_full]],
            np.zeros(in_full.sum(), dtype=np.int64),
            entry_block[in_full] * n_s + panel.state[entering][in_full],
            full_years * n_s,
            child_weights,
            no_year_resampling,
        ).reshape(-1, full_years, n_s)
        elapsed = -np.arange(full_years, dtype=float)  # block 0 is the latest year
        centred = elapsed - elapsed.mean()
        logs = np.log(np.maximum(yearly, 0.5))
        total = np.log(np.maximum(yearly.sum(axis=2), 0.5))
        trend = _shrunk_trends(_slopes(logs, centred), _slopes(total, centred))
    entry_sd, window_years_full = _entry_year_to_year_sd(panel, cutoff_index), max(full_years, 2)
    # Ageing: the share of a month's children at each age and state who are a year older at the next month end.
    # Not a twelfth: babies in care are mostly in the later months of their first year, and older children
    # move to semi-independent living near 18.  A prior of 12 child-months at a twelfth steadies sparse cells.
    months_in = (panel.month >= first) & (panel.month < cutoff_index)
    cells = panel.age[months_in] * n_s + panel.state[months_in]
    at_risk = np.bincount(cells, minlength=MAX_AGE * n_s).reshape(MAX_AGE, n_s)
    ageing_up = np.bincount(cells, weights=panel.ages_up[months_in], minlength=MAX_AGE * n_s).reshape(MAX_AGE, n_s)
    ageing = (ageing_up + 1.0) / (at_risk + 12.0)
    # Replicate 0 is the unweighted fit (the point estimate); the rest are the bootstrap.
    return Fit(
        probabilities[1:],
        entries[1:],
        counts[0],
        window,
        panel.las,
        trend[1:],
        ageing,
        entry_sd,
        window_years_full - 1,
        (n_months - 1) / 2,
    )


def _slopes(logs: np.ndarray, centred: np.ndarray) -> np.ndarray:
    """Least-squares slopes per month of yearly logs (replicates, years, ...) against the centred years."""
    deviations = np.moveaxis(logs - logs.mean(axis=1, keepdims=True), 1, -1)
    return deviations @ centred / (centred @ centred) / 12


def _shrunk_trends(own: np.ndarray, common: np.ndarray) -> np.ndarray:
    """Each state's entry trend (replicates, states) pulled towards the trend of all entries (replicates,).

    A state with few entries has a trend made mostly of chance.  Each state keeps the share
    max(d^2 - v, 0) / d^2 of its departure d from the common trend (replicate 0, the point estimate), v being the
    departure's chance variance over the bootstrap replicates (a positive-part James-Stein weight, state by state):
    Scotland's home-supervision entries, falling faster than the rest, keep their own trend; the few dozen entries
    a year to secure care take the common one.
    """
    chance = own[1:].var(axis=0)
    departure2 = (own[0] - common[0]) ** 2
    weight = np.divide(np.maximum(departure2 - chance, 0), departure2, out=np.zeros_like(chance), where=departure2 > 0)
    return common[:, None] + weight * (own - common[:, None])


def _entry_year_to_year_sd(panel: Panel, cutoff_index: int) -> tuple[float, np.ndarray] | None:
    """Year-to-year variation of entries beyond chance: (common sd, (states,) sd of each state's own part).

    From every full year of entries before the cut-off (12-month blocks back
    from it), as a random walk on the log of each year's entries: the variance
    of the year-on-year log changes less what Poisson chance alone gives
    (1/n + 1/n' for counts n, n'), floored at 0.  The common part is that of
    all entries; a state's own part is what its variance has beyond it.  None
    with fewer than three full years (two changes).
    """
    n_years = cutoff_index // 12
    if n_years < 3:
        return None
    n_s = len(STATES)
    rows = panel.entered & (panel.month <= cutoff_index) & (panel.month > cutoff_index - 12 * n_years)
    block = (cutoff_index - panel.month[rows]) // 12
    yearly = np.bincount(block * n_s + panel.state[rows], minlength=n_years * n_s).reshape(n_years, n_s)

    def beyond_chance(counts: np.ndarray) -> np.ndarray:
        counts = np.maximum(counts, 0.5)
        changes = np.diff(np.log(counts), axis=0)
        chance = (1 / counts[1:] + 1 / counts[:-1]).mean(axis=0)
        return np.maximum(changes.var(axis=0, ddof=1) - chance, 0.0)

    common = float(beyond_chance(yearly.sum(axis=1)))
    return float(np.sqrt(common)), np.sqrt(np.maximum(beyond_chance(yearly) - common, 0.0))


def _weighted_counts(child, block, cell, n_cells, child_weights, year_weights) -> np.ndarray:
    """Rows counted by cell for each replicate, weighted by their child's and year's weights: (replicates, n_cells).

    ``child_weights`` (children, replicates) and ``year_weights`` (replicates, years) are the bootstrap's. One sparse
    product per year (cells x children times children x replicates) instead of a weighted count per replicate.
    """
    from scipy import sparse

    out = np.zeros((child_weights.shape[1], n_cells))
    for year in range(year_weights.shape[1]):
        rows = block == year
        # Repeated (cell, child) pairs are summed when the matrix is built: a child's months in one cell count each.
        times = sparse.csr_matrix(
            (np.ones(int(rows.sum())), (cell[rows], child[rows])), shape=(n_cells, child_weights.shape[0])
        )
        out += (times @ child_weights).T * year_weights[:, year : year + 1]
    return out


def point_transitions(fit_: Fit) -> np.ndarray:
    """Transition probabilities pooled over age bands from the unweighted counts (states x destinations)."""
    pooled = fit_.counts.sum(axis=0)
    return pooled / np.maximum(pooled.sum(axis=1, keepdims=True), 1)


def stock_at(panel: Panel, day: pd.Timestamp) -> np.ndarray:
    """Counts (LAs, ages, states) of children looked after on the month end ``day``."""
    m = int(np.searchsorted(panel.month_ends, pd.Timestamp(day)))
    rows = panel.month == m
    stock = np.zeros((len(panel.las), MAX_AGE, len(STATES)), dtype=np.int64)
    np.add.at(stock, (panel.la[rows], panel.age[rows], panel.state[rows]), 1)
    return stock


# --------------------------------------------------------------------------- scenarios


@dataclass
class Scenario:
    """A named change to the fitted rates.

    kind ``duration``: stays in ``state`` last ``factor`` times as long (every
    way out of the state, including leaving care, is divided by ``factor``);
    kind ``redirect``: a ``share`` of the placements that would start in
    ``state`` (entries and moves) start in ``to`` instead;
    kind ``entries``: entries at ``ages`` (years, inclusive range) times ``factor``.
    """

    name: str
    kind: str
    state: str | None = None
    to: str | None = None
    factor: float = 1.0
    share: float = 0.0
    ages: tuple[int, int] = (0, MAX_AGE - 1)
    description: str = ""

    @classmethod
    def from_config(cls, name: str, entry: dict) -> Scenario:
        known = {"kind", "state", "to", "factor", "share", "ages", "description"}
        unknown = set(entry) - known
        if unknown:
            raise ValueError(f"scenario {name}: unknown key(s) {sorted(unknown)}; known: {sorted(known)}")
        kind = entry.get("kind")
        if kind not in ("duration", "redirect", "entries"):
            raise ValueError(f"scenario {name}: kind must be duration, redirect or entries, got {kind!r}")
        for key in ("state", "to"):
            if entry.get(key) is not None and entry[key] not in STATES:
                raise ValueError(f"scenario {name}: {key} {entry[key]!r} is not one of {', '.join(STATES)}")
        ages = tuple(entry.get("ages", (0, MAX_AGE - 1)))
        return cls(
            name,
            kind,
            entry.get("state"),
            entry.get("to"),
            float(entry.get("factor", 1.0)),
            float(entry.get("share", 0.0)),
            (int(ages[0]), int(ages[1])),
            entry.get("description", ""),
        )

    def apply(self, transitions: np.ndarray, entries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p, e = transitions.copy(), entries.copy()
        if self.kind == "duration":
            s = STATES.index(self.state)
            leave = np.ones(OUT + 1, bool)
            leave[s] = False
            ways_out = p[..., s, leave] / self.factor
            total = ways_out.sum(axis=-1, keepdims=True)
            # A month cannot hold more than certain departure: past that, the ways out keep their proportions.
            p[..., s, leave] = np.where(total > 1, ways_out / np.maximum(total, 1e-300), ways_out)
            p[..., s, s] = np.clip(1.0 - p[..., s, leave].sum(axis=-1), 0.0, 1.0)
        elif self.kind == "redirect":
            s, t = STATES.index(self.state), STATES.index(self.to)
            moved = p[..., :, s] * self.share
            moved[..., s] = 0.0  # staying put is not a new placement
            p[..., :, s] -= moved
            p[..., :, t] += moved
            e[..., t] += e[..., s] * self.share
            e[..., s] *= 1.0 - self.share
        elif self.kind == "entries":
            lo, hi = self.ages
            e[:, :, lo : hi + 1, :] *= self.factor
        return p, e


# --------------------------------------------------------------------------- simulation


def simulate(
    fit_: Fit,
    start: np.ndarray,
    months: int,
    seed: int,
    scenario: Scenario | None = None,
    expected: bool = False,
    trend: bool = False,
    record_every: int = 1,
) -> np.ndarray:
    """Monthly paths of the stock: (replicates, months + 1, LAs, ages, states), month 0 = ``start``.

    With ``record_every`` k only every k-th month is kept: (replicates, months // k + 1, ...).

    ``start`` is (LAs, ages, states).  Each month: moves (multinomial, by age
    band), then ageing (a binomial twelfth of each year of age moves up; 18 leave),
    then entries (Poisson).  One bootstrap replicate per simulated path.  With
    ``expected`` the paths are the expected counts given each replicate's rates
    (no process noise): the difference a scenario makes then carries the
    uncertainty of the rates only, not two independent draws of chance.  With
    ``trend`` entries grow (or fall) at the window's trend, month by month.
    """
    transitions, entries = fit_.transitions, fit_.entries
    if scenario is not None:
        transitions, entries = scenario.apply(transitions, entries)
    rng = np.random.default_rng(seed)
    n_rep = transitions.shape[0]
    p_by_age = np.clip(transitions[:, BAND_OF_AGE], 0, None)  # (rep, ages, states, dest)
    p_by_age /= p_by_age.sum(axis=-1, keepdims=True)
    p_cells = np.broadcast_to(p_by_age[:, None], (n_rep, start.shape[0], *p_by_age.shape[1:]))  # per authority
    kind = float if expected else np.int64
    ageing_p = np.full((MAX_AGE, start.shape[-1]), 1 / 12) if fit_.ageing is None else fit_.ageing
    # Entries' level wanders from year to year beyond chance (a random walk on its log, in monthly steps, a
    # common part and each state's own), and with a trend the trend itself is uncertain by as much as the window's
    # year-on-year changes allow.  Drawn first, so a scenario run with the same seed shares them.
    n_s = start.shape[-1]
    log_level = np.zeros((months + 1, n_rep, n_s))
    if fit_.entry_sd is not None:
        common_sd, own_sd = fit_.entry_sd
        steps = rng.standard_normal((months, n_rep, 1)) * common_sd + rng.standard_normal((months, n_rep, n_s)) * own_sd
        log_level[1:] = np.cumsum(steps, axis=0) / np.sqrt(12)
        if trend:
            slope = rng.standard_normal((n_rep, 1)) * common_sd + rng.standard_normal((n_rep, n_s)) * own_sd
            log_level += np.arange(months + 1)[:, None, None] * slope / np.sqrt(fit_.trend_years) / 12
    stock = np.broadcast_to(start, (n_rep, *start.shape)).astype(kind).copy()
    paths = np.empty((n_rep, months // record_every + 1, *start.shape), dtype=kind)
    paths[:, 0] = stock
    for month in range(1, months + 1):
        if expected:
            stock = np.einsum("rlas,rasd->rlad", stock, p_by_age[..., :OUT], optimize=True)
            ageing = stock * ageing_p
        else:
            stock = rng.multinomial(stock, p_cells)[..., :OUT].sum(axis=-2)
            ageing = rng.binomial(stock, ageing_p)
        stock -= ageing
        stock[:, :, 1:] += ageing[:, :, :-1]
        growth = log_level[month]
        if trend and fit_.entry_trend is not None:
            # The rates are the window's averages, which sit at its middle: the trend runs from there.
            growth = growth + fit_.entry_trend * (month + fit_.window_middle)
        arriving = entries * np.exp(growth)[:, None, None, :]
        stock += arriving if expected else rng.poisson(arriving)
        if month % record_every == 0:
            paths[:, month // record_every] = stock
    return paths


def national_fit(fitted: Fit) -> Fit:
    """The same fit with entries summed over authorities (transitions are national already)."""
    entries = fitted.entries.sum(axis=1, keepdims=True)
    return replace(fitted, entries=entries, las=["all"])


def quantiles(values: np.ndarray, axis: int = 0) -> dict[str, np.ndarray]:
    """Central (median) and 80% and 95% intervals over replicates."""
    levels = {"central": 0.5, "lo80": 0.1, "hi80": 0.9, "lo95": 0.025, "hi95": 0.975}
    return {name: np.quantile(values, q, axis=axis) for name, q in levels.items()}


# --------------------------------------------------------------------------- back-test


@dataclass
class BackTest:
    """Projections from past cut-offs against what the data then show (national, by state and horizon)."""

    table: pd.DataFrame  # cutoff, year, horizon, state, observed, central, lo80, hi80, lo95, hi95
    cutoffs: list[pd.Timestamp] = field(default_factory=list)


def back_test(
    panel: Panel, histories: Histories, *, window_years, horizon_years, n_cutoffs, replicates, seed, trend=False
):
    """Fit at each of the last ``n_cutoffs`` count dates before the end and project to the end of the data."""
    dates = histories.count_dates()
    earliest = panel.month_ends[0] + pd.DateOffset(months=12)
    cutoffs = [d for d in dates[:-1] if d >= earliest][-n_cutoffs:]
    rows, observed_on = [], {}  # the observed stock of each later count date, counted once
    for k, cutoff in enumerate(cutoffs):
        fitted = fit(panel, cutoff, window_years, replicates, seed + k)
        later = [d for d in dates if d > cutoff][:horizon_years]
        months = 12 * len(later)
        start = stock_at(panel, cutoff).sum(axis=0, keepdims=True)  # national
        paths = simulate(national_fit(fitted), start, months, seed + 1000 + k, trend=trend)
        for h, day in enumerate(later, start=1):
            by_state = paths[:, 12 * h, 0].sum(axis=1)  # (rep, states)
            q = quantiles(by_state)
            if day not in observed_on:
                observed_on[day] = stock_at(panel, day).sum(axis=(0, 1))
            observed = observed_on[day]
            for s, state in enumerate(STATES):
                rows.append(
                    {
                        "cutoff": cutoff.year,
                        "year": day.year,
                        "horizon": h,
                        "state": state,
                        "observed": int(observed[s]),
                        **{name: float(v[s]) for name, v in q.items()},
                    }
                )
    return BackTest(pd.DataFrame(rows), cutoffs)


def coverage_summary(table: pd.DataFrame) -> pd.DataFrame:
    """By horizon: projections compared, mean absolute % error, and the share inside the 80% and 95% intervals."""
    t = table[table["observed"] > 0].copy()
    t["abs_pct_error"] = 100 * (t["central"] - t["observed"]).abs() / t["observed"]
    t["in80"] = (t["observed"] >= t["lo80"]) & (t["observed"] <= t["hi80"])
    t["in95"] = (t["observed"] >= t["lo95"]) & (t["observed"] <= t["hi95"])
    by = t.groupby("horizon").agg(
        projections=("state", "size"),
        mean_abs_pct_error=("abs_pct_error", "mean"),
        coverage80=("in80", "mean"),
        coverage95=("in95", "mean"),
    )
    total = pd.DataFrame(
        {
            "projections": [len(t)],
            "mean_abs_pct_error": [t["abs_pct_error"].mean()],
            "coverage80": [t["in80"].mean()],
            "coverage95": [t["in95"].mean()],
        },
        index=["all"],
    )
    out = pd.concat([by, total])
    out[["coverage80", "coverage95"]] *= 100
    out.index.name = "horizon (years)"
    return out


# --------------------------------------------------------------------------- cost


def read_unit_costs(path, nation: str) -> pd.DataFrame:
    """Weekly unit costs of one nation by state (NaN where no published figure was found)."""
    costs = pd.read_csv(path, dtype={"weekly_cost_gbp": float}, keep_default_na=True)
    missing = {"nation", "state", "weekly_cost_gbp", "price_year", "source"} - set(costs.columns)
    if missing:
        raise ValueError(f"{path}: missing column(s) {sorted(missing)}")
    costs = costs[costs["nation"] == nation]
    bad = sorted(set(costs["state"]) - set(STATES))
    if bad:
        raise ValueError(f"{path}: state(s) {bad} are not one of {', '.join(STATES)}")
    return costs.set_index("state").reindex(list(STATES))


def cumulative_cost(paths: np.ndarray, weekly_cost: np.ndarray) -> np.ndarray:
    """Cost over the horizon per replicate (GBP): month-end stock x weeks per month x weekly cost (priced states)."""
    priced = np.nan_to_num(weekly_cost)
    per_month = (paths[:, 1:].sum(axis=(2, 3)) * priced).sum(axis=-1) * WEEKS_PER_MONTH
    return per_month.sum(axis=1)


def round_projection(values, base: int = 5) -> np.ndarray:
    """Projected counts to the nearest ``base``: a projection is not a count of children, and rounding keeps it from
    reading as one (no 1 to 4 appears)."""
    return (np.round(np.asarray(values, float) / base) * base).astype(int)


# --------------------------------------------------------------------------- planted-truth checks


def check_transitions(counts: np.ndarray, planted: dict[tuple[str, str], float]) -> pd.DataFrame:
    """Estimated monthly transition probabilities (pooled over ages) beside planted ones, 95% Wilson intervals.

    Months of one child are not independent; the interval treats them as if
    they were, which the coverage over several runs would show if it mattered.
    """
    pooled = counts.sum(axis=0)
    rows = []
    for (source, destination), value in planted.items():
        s = STATES.index(source)
        d = OUT if destination == "out" else STATES.index(destination)
        n, k = int(round(pooled[s].sum())), int(round(pooled[s, d]))
        rows.append(_planted_row(f"P({STATE_LABELS[source]} to {STATE_LABELS[destination]} in a month)", value, k, n))
    return pd.DataFrame(rows)


def _planted_row(quantity: str, planted: float, k: int, n: int) -> dict:
    """A planted share beside its estimate k / n, with the Wilson 95% interval and whether it covers the share."""
    lo, hi = binomial_interval(k, n)
    # Clipped to [0, 1]: at 0 or n events the formula's end is 0 or 1 up to rounding.
    lo, hi = max(0.0, float(lo)), min(1.0, float(hi))
    return {
        "quantity": quantity,
        "planted": planted,
        "estimate": k / n if n else np.nan,
        "lo95": lo,
        "hi95": hi,
        "covered": bool(n) and lo <= planted <= hi,
        "events": k,
        "exposure": n,
    }


def entry_counts(panel: Panel, window: tuple[pd.Timestamp, pd.Timestamp]) -> np.ndarray:
    """Entries in the window by age band and state (unweighted): (age bands, states)."""
    first = int(np.searchsorted(panel.month_ends, window[0]))
    last = int(np.searchsorted(panel.month_ends, window[1]))
    rows = panel.entered & (panel.month > first) & (panel.month <= last)
    counts = np.zeros((len(AGE_BANDS), len(STATES)))
    np.add.at(counts, (BAND_OF_AGE[panel.age[rows]], panel.state[rows]), 1)
    return counts


def check_entry_shares(counts: np.ndarray, planted: dict[str, dict[str, float]]) -> pd.DataFrame:
    """Share of entries starting in each state, by age band, beside the planted share (95% Wilson intervals)."""
    rows = []
    for band, shares in planted.items():
        b = AGE_BANDS.index(band)
        n = int(counts[b].sum())
        for state, value in shares.items():
            k = int(counts[b, STATES.index(state)])
            rows.append(_planted_row(f"entries aged {band} starting in {STATE_LABELS[state].lower()}", value, k, n))
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- the report


@dataclass
class Report:
    """Everything a projection report shows: disclosure-controlled tables, figure data, texts, results.json."""

    tables: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)
    texts: dict = field(default_factory=dict)
    results: dict = field(default_factory=dict)


def _label(state: str) -> str:
    return STATE_LABELS[state]


def _interval_columns(q: dict, index) -> pd.DataFrame:
    return pd.DataFrame({name: round_projection(v) for name, v in q.items()}, index=index)


def build(histories: Histories, policy, *, settings: dict, unit_costs, planted=None, seed: int = 20240101) -> Report:
    """The projection report of one nation.

    ``settings``: window_years, horizon_years, backtest_cutoffs, replicates,
    scenarios (name -> config entry).  ``planted``: a callable (panel, fit) ->
    planted-check table, or None when the truth is unknown.
    """
    report = Report()
    panel = monthly_panel(histories)
    replicates, horizon = int(settings["replicates"]), int(settings["horizon_years"])
    trend = bool(settings.get("entry_trend", False))
    scenarios = [Scenario.from_config(name, entry) for name, entry in (settings.get("scenarios") or {}).items()]

    # 1. Back-test first: how wrong were projections from past cut-offs?
    test = back_test(
        panel,
        histories,
        window_years=settings["window_years"],
        horizon_years=horizon,
        n_cutoffs=int(settings["backtest_cutoffs"]),
        replicates=replicates,
        seed=seed,
        trend=trend,
    )
    if len(test.table):
        summary = coverage_summary(test.table)
        report.tables["backtest_summary"] = summary.drop(columns="projections").rename(
            columns={"mean_abs_pct_error": "mean absolute error (%)", "coverage80": "inside 80% interval (%)",
                     "coverage95": "inside 95% interval (%)"}
        ).round(1)  # fmt: skip
        detail = test.table.assign(state=test.table["state"].map(_label))
        detail["error_pct"] = (
            100 * (detail["central"] - detail["observed"]) / detail["observed"].where(detail["observed"] > 0)
        )
        for column in ("central", "lo95", "hi95"):
            detail[column] = round_projection(detail[column])
        detail = detail[["cutoff", "year", "state", "observed", "central", "lo95", "hi95", "error_pct"]]
        report.tables["backtest"] = policy.suppress(
            detail.rename(columns={"cutoff": "cut-off year", "central": "projected"}),
            ["observed"],
            rate_columns={"error_pct": "observed"},
            groups=["cut-off year", "year"],
        )
        report.results["backtest"] = {
            "cutoffs": [d.year for d in test.cutoffs],
            "by_horizon": {str(k): {c: _plain(v) for c, v in row.items()} for k, row in summary.iterrows()},
        }
    else:
        report.texts["backtest_none"] = (
            "The data hold too few years for a back-test (a cut-off needs a year before it and one after)."
        )

    # 2. The model fitted on the last window, projected from the last count date.
    fitted = fit(panel, histories.data_end, settings["window_years"], replicates, seed + 7)
    start = stock_at(panel, histories.data_end)
    months = 12 * horizon
    # Nationally, simulated with chance (moves are national, and a sum of authorities' Poisson entries is Poisson:
    # the same distribution as simulating each authority and adding up, at a hundredth of the work).
    whole = national_fit(fitted)
    national_start = start.sum(axis=0, keepdims=True)
    paths = simulate(whole, national_start, months, seed + 11, trend=trend)
    years = [histories.data_end.year + h for h in range(1, horizon + 1)]
    yearly = paths[:, 12::12]  # (rep, years, la, age, state)
    national = yearly.sum(axis=(2, 3))
    rows = []
    for s, state in enumerate([*STATES, "all"]):
        values = national.sum(axis=-1) if state == "all" else national[..., s]
        q = quantiles(values)
        for i, year in enumerate(years):
            rows.append(
                {
                    "year": year,
                    "state": "All looked after" if state == "all" else _label(state),
                    **{k: int(round_projection(v[i])) for k, v in q.items()},
                }
            )
    projection_table = pd.DataFrame(rows)
    report.tables["national"] = projection_table
    report.figures["national"] = {s: quantiles(national[..., i]) for i, s in enumerate(STATES)} | {"years": years}
    report.results["projection"] = projection_table.to_dict(orient="records")

    # By age band, last year of the horizon.
    by_age = yearly[:, -1].sum(axis=(1, 3))  # (rep, ages)
    by_band = np.stack([by_age[:, b == BAND_OF_AGE].sum(axis=1) for b in range(len(AGE_BANDS))], axis=1)
    q = quantiles(by_band)
    report.tables["age"] = _interval_columns(q, pd.Index(AGE_BANDS, name=f"age at 31 {_month(histories)} {years[-1]}"))

    # By authority: projected children looked after in the last year, small ones shown as "low".
    # An authority's central projection: the median over replicates of its expected path (no chance drawn).
    by_la = simulate(fitted, start, months, seed + 11, expected=True, trend=trend, record_every=months)
    la_central = np.median(by_la[:, -1].sum(axis=2), axis=0)  # (la, state)
    la_table = pd.DataFrame(
        round_projection(la_central),
        index=pd.Index(panel.las, name="local authority"),
        columns=[_label(s) for s in STATES],
    ).astype(object)
    la_table[(la_central < policy.threshold) & (la_central > 0)] = "low"
    la_total = np.median(by_la[:, -1].sum(axis=(2, 3)), axis=0)
    la_table["All looked after"] = [int(v) if v >= policy.threshold else "low" for v in round_projection(la_total)]
    report.tables["authorities"] = la_table

    # 3. Scenarios beside the baseline (national): expected paths under each replicate's rates, so the difference
    # is the scenario's effect with the uncertainty of the rates (not two independent draws of chance).
    costs = unit_costs.reindex(list(STATES))
    weekly = costs["weekly_cost_gbp"].to_numpy(dtype=float)
    base_paths = simulate(whole, national_start, months, seed + 13, expected=True, trend=trend)
    base_stock = base_paths[:, -1].sum(axis=(1, 2, 3))
    base_cost = cumulative_cost(base_paths, weekly)
    scenario_rows, results_scenarios = [], {}
    for scenario in scenarios:
        alt = simulate(whole, national_start, months, seed + 13, scenario, expected=True, trend=trend)
        stock_diff = quantiles(alt[:, -1].sum(axis=(1, 2, 3)) - base_stock)
        cost_diff = quantiles(cumulative_cost(alt, weekly) - base_cost)
        row = {
            "scenario": scenario.name,
            "what changes": scenario.description or scenario.kind,
            "change in looked after": int(round_projection(stock_diff["central"])),
            "95% interval": f"{round_projection(stock_diff['lo95'])} to {round_projection(stock_diff['hi95'])}",
            "change in cost (GBP m)": round(cost_diff["central"] / 1e6, 1),
            "cost 95% interval (GBP m)": f"{cost_diff['lo95'] / 1e6:.1f} to {cost_diff['hi95'] / 1e6:.1f}",
        }
        scenario_rows.append(row)
        results_scenarios[scenario.name] = {k: _plain(v) for k, v in row.items()}
    if scenario_rows:
        report.tables["scenarios"] = pd.DataFrame(scenario_rows).set_index("scenario")
    report.results["scenarios"] = results_scenarios

    # 4. Cost of the baseline, from the simulated paths (rates and chance both).
    q = quantiles(cumulative_cost(paths, weekly))
    priced = [_label(s) for s, c in zip(STATES, weekly, strict=True) if np.isfinite(c)]
    unpriced = [_label(s) for s, c in zip(STATES, weekly, strict=True) if not np.isfinite(c)]
    report.texts["cost"] = (
        f"Cost of the baseline over {horizon} years, placement costs only, at the unit costs below: "
        f"GBP {q['central'] / 1e6:,.1f} million (95% interval {q['lo95'] / 1e6:,.1f} to {q['hi95'] / 1e6:,.1f}). "
        f"Priced: {', '.join(priced) or 'none'}. "
        + (f"No published figure found, so not costed: {', '.join(unpriced)}." if unpriced else "")
    )
    report.tables["unit_costs"] = costs.reset_index().assign(state=lambda t: t["state"].map(_label))[
        ["state", "weekly_cost_gbp", "price_year", "source", "note"]
    ]
    report.results["cost"] = {"baseline_gbp": {k: _plain(v) for k, v in q.items()}, "not_costed": unpriced}

    # 5. Diagnostics: the fitted monthly transitions pooled over ages, and the window.
    pooled = fitted.counts.sum(axis=0)
    probability = pooled / np.maximum(pooled.sum(axis=1, keepdims=True), 1)
    shown = (
        pd.DataFrame(
            probability, index=[_label(s) for s in STATES], columns=[_label(s) for s in STATES] + [STATE_LABELS["out"]]
        )
        .round(4)
        .astype(object)
    )
    # A rate resting on a small count, or on a small complement, is withheld.
    row_total = pooled.sum(axis=1, keepdims=True)
    shown[_small(pooled, policy.threshold) | _small(row_total - pooled, policy.threshold)] = "c"
    report.tables["transitions"] = shown
    report.texts["window"] = f"{fitted.window[0]:%d %B %Y} to {fitted.window[1]:%d %B %Y}"

    # 6. Planted truth: an estimate resting on a small count (or a small complement) is withheld.
    if planted is not None:
        check = planted(panel, fitted)
        if check is not None and len(check):
            small = _small(check["events"], policy.threshold) | _small(
                check["exposure"] - check["events"], policy.threshold
            )
            shown = check.drop(columns=["events", "exposure"]).astype(object)
            shown.loc[small, ["estimate", "lo95", "hi95"]] = "c"
            report.tables["planted"] = shown
            report.results["planted"] = shown.to_dict(orient="records")
            report.texts["planted"] = (
                f"{int(check['covered'].sum())} of {len(check)} planted values inside the 95% interval of the estimate."
            )
    total = projection_table[projection_table["state"] == "All looked after"].iloc[-1]
    coverage = report.results.get("backtest", {}).get("by_horizon", {}).get("all", {})
    report.texts["summary"] = (
        f"Projected {total['central']:,} children looked after in {years[-1]} (95% interval {total['lo95']:,} to "
        f"{total['hi95']:,})"
        + (f"; back-test: {coverage['coverage95']:.0f}% of past values inside the 95% interval." if coverage else ".")
    )
    report.results["settings"] = {k: v for k, v in settings.items() if k != "scenarios"}
    return report


def _small(counts, threshold: int):
    counts = np.asarray(counts, float)
    return (counts > 0) & (counts < threshold)


def _month(histories: Histories) -> str:
    return pd.Timestamp(2000, histories.count_month, 1).strftime("%B")


def _plain(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if not np.isfinite(value) else round(float(value), 4)
    return value


def fan_chart(report: Report, title: str):
    """Projected children looked after by state: central line, 80% and 95% bands (model output only)."""
    import matplotlib.pyplot as plt

    data = report.figures["national"]
    years = data["years"]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for state in STATES:
        q = data[state]
        line = ax.plot(years, q["central"], marker="o", label=_label(state))[0]
        ax.fill_between(years, q["lo95"], q["hi95"], color=line.get_color(), alpha=0.12)
        ax.fill_between(years, q["lo80"], q["hi80"], color=line.get_color(), alpha=0.25)
    ax.set_xlabel("year")
    ax.set_ylabel("children looked after (projected)")
    ax.set_title(title)
    ax.set_xticks(years)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1, 1))
    return fig
