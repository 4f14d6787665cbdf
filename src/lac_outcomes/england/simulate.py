"""Synthetic SSDA903 returns with planted indicator values.

Simulates every child who is looked after by each local authority over the
collection years (plus a burn-in long enough that the stock at 31 March and the
care leavers aged 19-21 are in steady state), then writes each year's return
exactly as an LA would export it: one folder per LA, one CSV per table per
year, 903 column names and codes for that year's specification.

What is planted, per LA and year (returned, for ``truth.yaml``):

* Placement moves: a planted move rate (moves per child-year) by the group of
  the child's current placement (``MOVE_GROUPS``, ``MOVE_RATES``), times a
  ratio while the placement is in its first year, times a ratio for the moves
  the child has already made in this period of care, times the LA-year's
  multiplier (the LA's stability effect and a little year noise); each new
  placement's type is drawn as at entry.  Moving in with adopters, temporary
  placements (T0-T4) and returns to the same carer are not moves
  (``truth.yaml`` ``stability``).
* NI 62 / NI 63: the values the planted move rates imply for each LA-year's
  cohort, given each child's placement at the start of the window (its group,
  when it began, the moves before it), their days at risk and age
  (``_planted_ni62``, ``_planted_ni63``): targets, not exact.
* Adoption: four stages in turn from entering care (the agency decision, the
  match, moving in, the order), each a Weibull proportional-hazards duration
  with a median per LA and a hazard ratio for age at entry
  (``ADOPTION_STAGES``; ``truth.yaml`` ``adoption``), drawn on streams of their
  own; entering care to the order takes about 2.3 years on average, with a long
  tail (about 5% over 4 years).
* NI 61: the probability that an adopted child was placed within 12 months of
  the decision that they should be placed for adoption, P(match + moving-in
  stages <= 12 months), averaged over the children adopted in the year, each
  given when they entered care and that they were adopted that year
  (``_timely_given_journey``).
* NI 58: the mean SDQ score (beta-binomial on 0-40, so the mean is exact).
* NI 66: the probability that every review due in the year was on time.
* NI 147 / NI 148: the share of care leavers aged 19-21 (excluding those who
  died) in suitable accommodation / in education, employment or training,
  i.e. P(in touch) x P(suitable | in touch), and likewise for EET.
* Placed with parents: the probability that a placement (other than for
  adoption, or of an unaccompanied asylum-seeking child) is P1.
* Temporary placements (T0-T4): an episode of 120 days or more (not an adoptive
  placement or with parents) is interrupted, with probability
  ``TEMPORARY_SHARE``, by a temporary placement followed by a return to the
  same carer; neither counts as a new placement (NI 62, NI 63).
* Short breaks (V3/V4): a separate group of children on an agreed series of
  short-term breaks, about ``SHORT_BREAK_SHARE`` of the stock at a time, each
  break its own episode; outside every count and indicator.  ``truth.yaml``
  holds the realised number of children with a break in each LA-year.
* Re-entry: a share (``REENTRY_SHARE``) of children under 15 who go home come
  back for a second period of care in a later collection year; ``truth.yaml``
  holds the realised number of such second periods starting in each LA-year.
* Counts (looked after at 31 March, started, ceased) are the realised counts
  of the simulated population, so readers and indicators must match exactly.
  The expected count at 31 March follows England's published one year by
  year (``ENGLAND_LOOKED_AFTER``); the entries that give it are solved from
  it and the durations of care drawn (``_entries_for_stock``).

Local authorities differ: each has effects on stability, adoption
timeliness, reviews, SDQ and care leaver outcomes, so funnel plots show
outliers.  Everything is drawn from ``numpy.random.Generator`` streams seeded
by ``(seed, LA position)``: the same arguments give byte-identical files.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lac_outcomes.england.layout import MOVE_GROUPS, schema_year_for, tables_for_year
from lac_outcomes.england.local_authorities import LOCAL_AUTHORITIES
from lac_outcomes.england.simulate_education import LINKED_TABLES, simulate_education

# Years simulated before the first collection year: a child entering care at
# birth leaves at 18 and appears in OC3 until 21.
BURN_IN_YEARS = 22
# Looked after at 31 March in England, published: the stock the generator follows year by year (Care Matters
# for 2008; DfE SFR 34/2015 for 2015; the Children's Commissioner's Stability Index 2019 for 2018; DfE, Children
# looked after in England 2024, for 2020-2024).  Interpolated between published years, held before the first and
# after the last.  An authority follows the same path, scaled to its share.
ENGLAND_LOOKED_AFTER = {
    2008: 60_000, 2015: 69_540, 2018: 75_420, 2020: 80_000, 2021: 80_780, 2022: 82_090, 2023: 83_760, 2024: 83_630,
}  # fmt: skip
# First periods drawn to measure how long periods of care last under the mix below (_open_periods_per_entry).
PILOT_ENTRIES = 400_000  # the stock it implies is then within about 0.3% (its sampling error)
PILOT_SEED = 903

ROUTES = ("ADOPT", "SGO", "CAO", "HOME", "AGE18", "OTHER")
ADOPT, SGO, CAO, HOME, AGE18, OTHER = range(len(ROUTES))

# Adoption: four stages in turn from entering care to the adoption order, each a Weibull proportional-hazards
# duration in years, H(t | x) = log(2) * (t / median_years) ** shape * exp(eta),
# eta = log_hr_age_per_year * (age at entry - 5) + log_hr_male * male + la_effect[stage][LA].
# Assumed, in the order of the adoption scorecard's figures (entering care to moving in about 15 to 20 months,
# the match the most variable wait); a median is at the reference child (age 5 at entry, a girl), so younger
# children (nearly all adopted children) wait less for the decision and the order.
ADOPTION_STAGES = {
    "decision": {"median_years": 1.25, "shape": 2.0, "log_hr_age_per_year": -0.12, "log_hr_male": 0.0},
    "matched": {"median_years": 0.5, "shape": 1.3, "log_hr_age_per_year": 0.0, "log_hr_male": 0.0},
    "placed": {"median_years": 0.08, "shape": 1.5, "log_hr_age_per_year": 0.0, "log_hr_male": 0.0},
    "order": {"median_years": 0.45, "shape": 2.5, "log_hr_age_per_year": -0.08, "log_hr_male": 0.0},
}  # fmt: skip
ADOPTION_STAGE_SPANS = {
    "decision": "entering care to the agency decision that the child should be placed for adoption (AD1 DATE_INT)",
    "matched": "the decision to the match with adopters (AD1 DATE_MATCH)",
    "placed": "the match to moving in with the adopters (first A3-A6 placement)",
    "order": "moving in to the adoption order (the period of care ends E11/E12)",
}
ADOPTION_AGE_CENTRE = 5.0
# LA effects (log hazard ratio) per stage: the match follows the LA's adoption effect (so NI 61 differs by LA, as
# before); the other stages draw their own, normal with this sd, on a stream of their own.
ADOPTION_MATCH_LA_SCALE = 0.3
ADOPTION_LA_EFFECT_SD = 0.2
# Age at entry: under 1, 1-4, 5-9, 10-15, 16-17: the children who started to be looked after in England in the
# year to 31 March 2024 (DfE, CLA starting during the year by characteristics: 5,200, 4,830, 4,890, 8,690, 9,440
# of 33,050).
AGE_GROUP_SHARES = np.array([5_200, 4_830, 4_890, 8_690, 9_440]) / 33_050
# Unaccompanied asylum-seeking children among entrants aged 16-17 and aged 14-15: about one starter in nine, held
# over the years, between the years to 2021 (UASC 5-6% of the stock at 31 March 2018 and 2021, about a tenth of
# starters in 2020-21) and 2023's fifth of starters (7,090 of 33,000; DfE), so the 2018 ages are not those of 2023.
UASC_SHARE_OF_ENTRANTS = (0.35, 0.15)
# Boys among children looked after other than unaccompanied asylum seekers (53% in 2024; DfE), who are nearly all boys.
MALE_SHARE = 0.53
AGE_GROUP_DAYS = np.array([[0, 364], [365, 1825], [1826, 3652], [3653, 5843], [5844, 6540]])
# Exit route by age group at entry (rows sum to 1), columns in ROUTES order.  Most periods of care are short: a
# child who goes home does so within months, and few who enter young stay to 18.  Set (with the stays below) so
# that, the entry rate following the stock, the starters of 2024 and the long-stay under-16s (NI 63's cohort) are
# those published (calibration_england); about a third of leavers go home, as published for 2018 (31%).
ROUTE_BY_AGE_GROUP = np.array(
    [
        [0.30, 0.17, 0.05, 0.31, 0.12, 0.05],
        [0.20, 0.17, 0.05, 0.38, 0.15, 0.05],
        [0.00, 0.12, 0.05, 0.45, 0.33, 0.05],
        [0.00, 0.05, 0.02, 0.50, 0.35, 0.08],
        [0.00, 0.00, 0.00, 0.45, 0.40, 0.15],
    ]
)
# Years in care of a child who goes home, or leaves for another reason before 18: gamma (shape, scale in years),
# skewed short (a median of about 5 and 3 months; means 8.4 and 5.8 months).
HOME_STAY_GAMMA = (0.7, 1.0)
OTHER_STAY_GAMMA = (0.6, 0.8)

ETHNIC_CODES = (
    "WBRI",
    "WIRI",
    "WOTH",
    "WIRT",
    "WROM",
    "MWBC",
    "MWBA",
    "MWAS",
    "MOTH",
    "AIND",
    "APKN",
    "ABAN",
    "AOTH",
    "BCRB",
    "BAFR",
    "BOTH",
    "CHNE",
    "OOTH",
    "REFU",
    "NOBT",
)
ETHNIC_SHARES = np.array(
    [
        0.72,
        0.005,
        0.05,
        0.005,
        0.01,
        0.025,
        0.01,
        0.015,
        0.03,
        0.005,
        0.01,
        0.005,
        0.015,
        0.015,
        0.025,
        0.02,
        0.002,
        0.02,
        0.003,
        0.005,
    ]
)
CIN_CODES = ("N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8")
CIN_SHARES = np.array([0.63, 0.03, 0.03, 0.08, 0.15, 0.02, 0.003, 0.057])

# Placement types by age band at the start of the placement (before P1 is mixed in).
PLACE_BANDS = (
    ({"U6": 0.55, "U4": 0.05, "U3": 0.15, "U1": 0.03, "R3": 0.12, "U5": 0.07, "U2": 0.03}),
    ({"U6": 0.45, "U4": 0.22, "U3": 0.14, "U1": 0.10, "K2": 0.03, "Z1": 0.01, "S1": 0.01, "U5": 0.03, "U2": 0.01}),
    ({"U6": 0.35, "U4": 0.22, "U3": 0.08, "U1": 0.07, "K2": 0.18, "S1": 0.04, "K1": 0.01, "R1": 0.02, "Z1": 0.03}),
    (
        {
            "U6": 0.22,
            "U4": 0.14,
            "U3": 0.05,
            "U1": 0.04,
            "K2": 0.14,
            "H5": 0.28,
            "P2": 0.06,
            "S1": 0.02,
            "K1": 0.01,
            "R5": 0.02,
            "Z1": 0.02,
        }
    ),
)
PLACE_BAND_AGES = (1, 10, 16)  # band edges in years: <1, 1-9, 10-15, 16+

# Placement moves: a child in care moves on each day with probability rate / 365.25, the rate (moves per
# child-year) that of the group of their current placement, times a ratio while that placement is in its first year
# (MOVE_NEW_PLACEMENT_DAYS), times a ratio for the moves already made in this period of care (their history), times
# the LA-year's multiplier exp(MOVE_LA_EFFECT_SCALE * LA stability effect + year noise); the new placement's type is
# drawn as at entry (_draw_placements).  Assumed, and set by trial at national scale so that the long-term measure
# (same carer two years, 68% published for 2024) comes out near England's; three or more placements in two years,
# among children looked after on 31 March of both years, comes out at 22.2% (23% published; national, 2024).
# Placed with parents moves at about the stock's average rate, so the P1 share at 31 March stays the share of
# placements drawn P1 (P1_31MAR's planted value; measured: a rate of 0.25 halved it); residential and
# semi-independent placements move faster, so fewer of them are held at 31 March than are drawn (at 0.6 too few
# residential pupils were left for the education model's planted residential effect).
MOVE_RATES = {"foster_other": 0.08, "foster_relative": 0.06, "residential": 0.25, "semi_independent_other": 0.35,
              "with_parents": 0.085}  # fmt: skip
MOVE_HISTORY = ("none", "one", "two or more")  # moves already made in the period of care
MOVE_HISTORY_RATIOS = {"none": 1.0, "one": 1.5, "two or more": 4.0}
MOVE_NEW_PLACEMENT_RATIO = 4.5
MOVE_NEW_PLACEMENT_DAYS = 365  # a day up to this many days after the placement began is in its first year
MOVE_LA_EFFECT_SCALE = 0.25
MOVE_YEAR_SD = 0.05
_MOVE_GROUP_NAMES = tuple(MOVE_GROUPS)
_MOVE_GROUP_OF = {code: i for i, codes in enumerate(MOVE_GROUPS.values()) for code in codes}
_MOVE_RATE = np.array([MOVE_RATES[g] for g in _MOVE_GROUP_NAMES])
_MOVE_HISTORY_RATIO = np.array([MOVE_HISTORY_RATIOS[h] for h in MOVE_HISTORY])
# Each age band's share of new placements in each move group (before P1 is mixed in).
_BAND_GROUP_SHARES = np.array(
    [[sum(v for code, v in shares.items() if _MOVE_GROUP_OF[code] == g) / sum(shares.values())
      for g in range(len(_MOVE_GROUP_NAMES))] for shares in PLACE_BANDS]
)  # fmt: skip
_WITH_PARENTS = _MOVE_GROUP_NAMES.index("with_parents")
# Every placement type drawn, by index: each band's types and cumulative shares (drawn by inverse CDF), each type's
# move group.
_PLACE_CODES = np.array(sorted({code for shares in PLACE_BANDS for code in shares} | {"P1"}), dtype=object)
_PLACE_INDEX = {code: i for i, code in enumerate(_PLACE_CODES)}
_BAND_PLACES = [
    (np.array([_PLACE_INDEX[code] for code in shares]), np.cumsum(list(shares.values())) / sum(shares.values()))
    for shares in PLACE_BANDS
]
_PLACE_GROUP = np.array([_MOVE_GROUP_OF[code] for code in _PLACE_CODES])
# Settings Ofsted registers (an URN); R1 care homes are registered with the CQC instead (rule 222).
REGISTERED_SETTINGS = ("K1", "K2", "S1")
# Previous permanence arranged elsewhere: LA_PERM holds the DfE's three-digit authority numbers (rule 633);
# drawn from the London boroughs' (201-213 inner, 301-320 outer), a few Welsh and Scottish orders beside them.
PREVIOUS_PERMANENCE_LAS = tuple(str(n) for n in (*range(201, 214), *range(301, 321))) + ("WAL", "SCO")
PLACE_CHANGE_REASONS = (
    "CARPL",
    "CREQB",
    "CREQO",
    "CHILD",
    "LAREQ",
    "PLACE",
    "OTHER",
    "STAND",
    "ALLEG",
    "CLOSE",
    "APPRR",
)
PLACE_CHANGE_SHARES = np.array([0.35, 0.15, 0.10, 0.10, 0.10, 0.05, 0.08, 0.03, 0.02, 0.01, 0.01])
REVIEW_CODES = ("PN1", "PN2", "PN3", "PN4", "PN5", "PN6", "PN7")
REVIEW_CODE_SHARES = np.array([0.45, 0.15, 0.12, 0.08, 0.07, 0.08, 0.05])
SUITABLE_ACCOM = ("U1", "B1", "D1", "E1", "Z1", "K1", "R1", "T1", "Y1")
UNSUITABLE_ACCOM = ("W2", "V2", "S2", "X2", "U2", "B2")
NEET_ACTIVITY = ("G4", "G5", "G6")
NOT_IN_TOUCH = ("NO", "REFU", "NREQ", "RHOM")
NOT_IN_TOUCH_SHARES = np.array([0.40, 0.15, 0.25, 0.20])
DIED_SHARE = 0.002
SDQ_CONCENTRATION = 8.0  # beta-binomial: sd of about 7 points around the planted mean
FILE_NAME_STYLES = ("SSDA903_{year}_{table}.csv", "{year}-{table_lower}.csv", "{table_lower}_{year}.csv")


# --------------------------------------------------------------------------- dates


def _day(year: int, month: int, day: int) -> int:
    return int(np.datetime64(f"{year:04d}-{month:02d}-{day:02d}", "D").astype(np.int64))


def _year_start(year: int) -> int:
    return _day(year - 1, 4, 1)


def _year_end(year: int) -> int:
    return _day(year, 3, 31)


_CALENDAR_FIRST = _day(1940, 1, 1)
_CALENDAR: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None


def _components(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month and day of day numbers, by lookup in a calendar built once (1940-2080).

    Days outside it (NO_DATE) read as its first or last day: far from any simulated year.
    """
    global _CALENDAR
    if _CALENDAR is None:
        dates = np.arange(_CALENDAR_FIRST, _day(2080, 12, 31) + 1).astype("datetime64[D]")
        months = dates.astype("datetime64[M]")
        _CALENDAR = (
            months.astype("datetime64[Y]").astype(np.int64) + 1970,
            months.astype(np.int64) % 12 + 1,
            (dates - months.astype("datetime64[D]")).astype(np.int64) + 1,
        )
    index = np.clip(np.asarray(days, dtype="int64") - _CALENDAR_FIRST, 0, len(_CALENDAR[0]) - 1)
    return _CALENDAR[0][index], _CALENDAR[1][index], _CALENDAR[2][index]


def _anniversary(dob: np.ndarray, years: int) -> np.ndarray:
    """The date a child turns ``years`` (29 February birthdays fall on 1 March in other years)."""
    year, month, day = _components(dob)
    month_start = ((year + years - 1970) * 12 + (month - 1)).astype("datetime64[M]").astype("datetime64[D]")
    return (month_start + (day - 1)).astype(np.int64)


def _age(dob: np.ndarray, at: np.ndarray | int) -> np.ndarray:
    """Completed years of age on ``at``."""
    by, bm, bd = _components(dob)
    ay, am, ad = _components(np.broadcast_to(np.asarray(at, dtype="int64"), np.shape(dob)))
    return ay - by - ((am * 100 + ad) < (bm * 100 + bd))


def _collection_year(days: np.ndarray) -> np.ndarray:
    year, month, _ = _components(days)
    return year + (month >= 4)


def _add_months(days: np.ndarray, months: int) -> np.ndarray:
    stamps = pd.DatetimeIndex(np.asarray(days, dtype="int64").astype("datetime64[D]")) + pd.DateOffset(months=months)
    return stamps.values.astype("datetime64[D]").astype(np.int64)


NO_DATE = -(10**9)  # marks "no date" in day-number arrays; written as a blank


# dd/mm/yyyy text of every day the generator can write, built once: formatting by lookup
# rather than strftime per cell is most of the speed of writing a national return.
_DATE_TEXT_FIRST = _day(1940, 1, 1)
_DATE_TEXT: np.ndarray | None = None


def _format_dates(days: np.ndarray) -> np.ndarray:
    """dd/mm/yyyy strings for day numbers; NO_DATE becomes a blank."""
    global _DATE_TEXT
    if _DATE_TEXT is None:
        every_day = np.arange(_DATE_TEXT_FIRST, _day(2080, 12, 31) + 1).astype("datetime64[D]")
        _DATE_TEXT = np.append(pd.DatetimeIndex(every_day).strftime("%d/%m/%Y").to_numpy(dtype=object), "")
    days = np.asarray(days, dtype="int64")
    index = np.where(days == NO_DATE, len(_DATE_TEXT) - 1, days - _DATE_TEXT_FIRST)
    return _DATE_TEXT[index]


# --------------------------------------------------------------------------- planted parameters


@dataclass
class _Planted:
    """Planted parameters for one LA over the simulated years (index 0 = first simulated year)."""

    first_year: int
    move_multiplier: np.ndarray  # the LA-year's factor on every planted move rate (MOVE_RATES)
    ni61: np.ndarray
    ni58: np.ndarray
    ni66: np.ndarray
    in_touch: np.ndarray
    suitable: np.ndarray
    eet: np.ndarray
    with_parents: np.ndarray
    # log hazard ratio of each adoption stage (ADOPTION_STAGES) for this LA
    adoption_la_effect: dict[str, float] = dataclasses.field(default_factory=dict)

    def at(self, name: str, years: np.ndarray) -> np.ndarray:
        return getattr(self, name)[np.asarray(years) - self.first_year]


def _plant_adoption(rng: np.random.Generator, planted: _Planted, adoption_effect: float) -> None:
    """Set the LA's adoption stage effects (``rng``: the LA's own stream) and the NI 61 they imply, every year."""
    planted.adoption_la_effect = {
        stage: float(
            ADOPTION_MATCH_LA_SCALE * adoption_effect if stage == "matched" else rng.normal(0.0, ADOPTION_LA_EFFECT_SD)
        )
        for stage in ADOPTION_STAGES
    }
    planted.ni61[:] = _placed_within_a_year(planted.adoption_la_effect)


def _stage_day_pmf(stage: str, eta: float, days: np.ndarray) -> np.ndarray:
    """P(a stage takes ``days`` whole days) as the generator rounds it (nearest day, at least one), at ``eta``.

    ``eta``: the log hazard ratio of the child (LA effect, plus age and sex terms where the stage has them).
    """
    spec = ADOPTION_STAGES[stage]

    def cdf(t_days):
        years = np.maximum(t_days, 0.0) / 365.25
        return 1.0 - np.exp(-np.log(2) * (years / spec["median_years"]) ** spec["shape"] * np.exp(eta))

    upper = cdf(days + 0.5)
    return upper - np.where(days <= 1, 0.0, cdf(days - 0.5))


def _placed_within_a_year(la_effect: dict[str, float]) -> float:
    """NI 61's planted probability: P(decision to moving in within 12 months) = P(matched + placed days <= 12 months).

    Twelve months are 366 days when they hold a 29 February (a quarter of the time), else 365.
    """
    days = np.arange(1, 800)
    matched = _stage_day_pmf("matched", la_effect["matched"], days)
    placed_cdf = np.cumsum(_stage_day_pmf("placed", la_effect["placed"], days))

    def within(limit):
        rest = limit - days  # days left for the placed stage after each matched duration
        return float((matched * np.where(rest >= 1, placed_cdf[np.clip(rest - 1, 0, len(days) - 1)], 0.0)).sum())

    return 0.75 * within(365) + 0.25 * within(366)


def _mass_between(pmf: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Sum of ``pmf`` over each index range [low, high] (inclusive)."""
    cumulative = np.cumsum(pmf)
    return cumulative[high] - np.where(low > 0, cumulative[np.maximum(low - 1, 0)], 0.0)


def _timely_given_journey(c: _Children, planted: _Planted, rows: np.ndarray) -> np.ndarray:
    """P(placed within 12 months of the decision | entered care when they did, adopted in the year they were).

    NI 61 is counted over the children adopted in a year.  Which journeys end in a year depends on how many
    children entered care in each earlier year (a random number, growing), and a long journey tends to hold a
    long match, so NI 61's planted value is this probability averaged over the year's adopted children: the
    stages' day distributions convolved (the decision and order stages at the child's age, in quarter years,
    and sex), P(matched + placed <= 12 months and the journey ends in the year) / P(it ends in the year).
    """
    if not len(rows):
        return np.zeros(0)
    adopted_year = _collection_year(c.exit[rows])
    # the journey (entering care to the order) lasted between these many days
    shortest = (_year_starts(adopted_year) - c.entry[rows]).astype(np.int64)
    longest = (_year_ends(adopted_year) - c.entry[rows]).astype(np.int64)
    days = np.arange(1, int(longest.max()) + 1)
    size = 1 << int(np.ceil(np.log2(4 * len(days))))  # room for four stages summed, no wrap-around

    def spectrum(pmf):
        return np.fft.rfft(pmf, size)

    effect = planted.adoption_la_effect
    gap = spectrum(_stage_day_pmf("matched", effect["matched"], days)) * spectrum(
        _stage_day_pmf("placed", effect["placed"], days)
    )
    two = np.fft.irfft(gap, size)  # index k: P(matched + placed = k + 2 days)
    within = [spectrum(np.where(np.arange(size) + 2 <= limit, two, 0.0)) for limit in (365, 366)]
    age_bin = np.round((c.entry[rows] - c.dob[rows]) / 365.25 * 4) / 4
    male = (c.sex[rows] == "1").astype(float)
    etas = {}
    for stage in ("decision", "order"):
        spec = ADOPTION_STAGES[stage]
        etas[stage] = (
            spec["log_hr_age_per_year"] * (age_bin - ADOPTION_AGE_CENTRE) + spec["log_hr_male"] * male + effect[stage]
        )
    pairs, pair_of_row = np.unique(
        np.round(np.column_stack([etas["decision"], etas["order"]]), 9), axis=0, return_inverse=True
    )
    out = np.empty(len(rows))
    for j, (eta_decision, eta_order) in enumerate(pairs):
        same = pair_of_row.ravel() == j
        ends = spectrum(_stage_day_pmf("decision", eta_decision, days)) * spectrum(
            _stage_day_pmf("order", eta_order, days)
        )
        # index k of a four-stage sum holds P(k + 4 days)
        low, high = np.maximum(shortest[same] - 4, 0), longest[same] - 4
        total = _mass_between(np.fft.irfft(gap * ends, size), low, high)
        timely = 0.75 * _mass_between(np.fft.irfft(within[0] * ends, size), low, high)
        timely += 0.25 * _mass_between(np.fft.irfft(within[1] * ends, size), low, high)
        out[same] = timely / total
    return out


def _plant(rng: np.random.Generator, sim_years: list[int], effects: dict[str, float]) -> _Planted:
    n = len(sim_years)

    def series(base, effect_scale, effect, year_sd, low, high):
        return np.clip(base + effect_scale * effect + rng.normal(0.0, year_sd, n), low, high)

    move_multiplier = np.exp(MOVE_LA_EFFECT_SCALE * effects["stability"] + rng.normal(0.0, MOVE_YEAR_SD, n))
    rng.normal(0.0, 1.0, n)  # the draws of a former second stability series: the other series stay as they were
    return _Planted(
        first_year=sim_years[0],
        move_multiplier=move_multiplier,
        ni61=series(0.75, 0.09, effects["adoption"], 0.02, 0.30, 0.97),
        ni58=series(14.0, 1.0, effects["sdq"], 0.15, 10.0, 19.0),
        ni66=series(0.88, 0.05, effects["reviews"], 0.01, 0.55, 0.99),
        in_touch=series(0.90, 0.03, effects["leavers"], 0.01, 0.70, 0.98),
        suitable=series(0.90, 0.04, effects["leavers"], 0.01, 0.60, 0.99),
        eet=series(0.55, 0.07, effects["leavers"], 0.015, 0.25, 0.85),
        with_parents=series(0.05, 0.02, effects["with_parents"], 0.003, 0.01, 0.12),
    )


# --------------------------------------------------------------------------- simulation


def _draw_codes(rng: np.random.Generator, codes, shares, size: int) -> np.ndarray:
    shares = np.asarray(shares, dtype=float)
    return np.asarray(codes, dtype=object)[rng.choice(len(codes), size=size, p=shares / shares.sum())]


def _distinct_days(rng: np.random.Generator, low: np.ndarray, count: np.ndarray, k: int) -> np.ndarray:
    """``k`` distinct days per row in ``[low, low + count)``; columns beyond what fits are NO_DATE.

    Rows with fewer than k free days get as many as fit; collisions are redrawn.
    """
    n = len(low)
    picks = np.full((n, k), NO_DATE, dtype=np.int64)
    usable = np.minimum(count, k)
    for j in range(k):
        rows = np.flatnonzero(usable > j)
        candidate = low[rows] + (rng.random(len(rows)) * count[rows]).astype(np.int64)
        clash = (picks[rows, :j] == candidate[:, None]).any(axis=1) if j else np.zeros(len(rows), bool)
        while clash.any():
            redraw = rows[clash]
            candidate[clash] = low[redraw] + (rng.random(len(redraw)) * count[redraw]).astype(np.int64)
            clash = (picks[rows, :j] == candidate[:, None]).any(axis=1)
        picks[rows, j] = candidate
    return picks


@dataclass
class _Moves:
    """Each period's first placement and its moves, sorted by period and day (types as _PLACE_CODES indices)."""

    entry_place: np.ndarray  # placement type at entry, per period
    child: np.ndarray
    day: np.ndarray
    place: np.ndarray  # the new placement's type

    def state_at(self, c: _Children, child: np.ndarray, day: np.ndarray):
        """Each ``child``'s placement at the end of ``day``: its move group, the day it began, the moves made."""
        key = self.child * _DAY_SPAN + self.day
        first = np.searchsorted(key, child * _DAY_SPAN, side="left")
        upto = np.searchsorted(key, child * _DAY_SPAN + day, side="right")
        moved = upto - first
        latest = np.maximum(upto - 1, 0)
        place = np.where(moved > 0, self.place[latest] if len(key) else 0, self.entry_place[child])
        began = np.where(moved > 0, self.day[latest] if len(key) else 0, c.entry[child])
        return _PLACE_GROUP[place], began, moved


# move days are keyed by period * _DAY_SPAN + day (days since 1970 are positive and below this span)
_DAY_SPAN = 1 << 20


def _draw_moves(rng, c: _Children, planted: _Planted, horizon_end: int) -> _Moves:
    """Placement types at entry and every move (MOVE_RATES), on ``rng``: a stream of its own.

    A child is at risk of a move on each day after entering care up to the day before they leave, or before they
    move in with adopters (that placement is no move); the rate changes on a move (group and history) and on
    1 April (the LA-year's multiplier) and on the placement's first anniversary, and the waiting time is drawn
    afresh then (memoryless, so exact).
    """
    n = len(c.entry)
    last = np.minimum(c.exit - 1, horizon_end)
    placed = (c.route == ADOPT) & (c.placed != NO_DATE)
    last = np.where(placed, np.minimum(last, c.placed - 1), last)
    entry_place = _draw_placements(rng, c, planted, np.arange(n), c.entry)
    at = c.entry.astype(np.int64)
    began = at.copy()
    group = _PLACE_GROUP[entry_place]
    made = np.zeros(n, np.int64)
    out_child, out_day, out_place = [], [], []
    active = np.flatnonzero(at < last)
    while active.size:
        t = at[active]
        year = _collection_year(t + 1)
        new = t - began[active] < MOVE_NEW_PLACEMENT_DAYS
        first_year_end = np.where(new, began[active] + MOVE_NEW_PLACEMENT_DAYS, last[active])
        segment_end = np.minimum(np.minimum(_year_ends(year), last[active]), first_year_end)
        rate = _MOVE_RATE[group[active]] * _MOVE_HISTORY_RATIO[np.minimum(made[active], 2)]
        rate = rate * np.where(new, MOVE_NEW_PLACEMENT_RATIO, 1.0) * planted.at("move_multiplier", year)
        # ceil(Exp / -log(1 - q)) is geometric: a move on each day with probability q = rate / 365.25
        wait = np.ceil(rng.exponential(1.0, len(active)) / _daily_log_survival(rate))
        day = t + np.maximum(wait, 1).astype(np.int64)
        moved = day <= segment_end
        who = active[moved]
        new_place = _draw_placements(rng, c, planted, who, day[moved])
        out_child.append(who)
        out_day.append(day[moved])
        out_place.append(new_place)
        group[who] = _PLACE_GROUP[new_place]
        began[who] = day[moved]
        made[who] += 1
        at[active] = np.where(moved, day, segment_end)
        active = active[at[active] < last[active]]
    child = np.concatenate(out_child) if out_child else np.zeros(0, np.int64)
    day = np.concatenate(out_day) if out_day else np.zeros(0, np.int64)
    place = np.concatenate(out_place) if out_place else np.zeros(0, np.int64)
    order = np.lexsort((day, child))
    return _Moves(entry_place, child[order], day[order], place[order])


@dataclass
class _Children:
    dob: np.ndarray
    entry: np.ndarray
    exit: np.ndarray  # may lie beyond the last collection year: still looked after
    route: np.ndarray
    reason: np.ndarray
    sex: np.ndarray
    ethnic: np.ndarray
    cin: np.ndarray
    uasc: np.ndarray
    decision: np.ndarray  # adoption decision (NO_DATE if none)
    matched: np.ndarray  # matched with adopters (NO_DATE if none)
    placed: np.ndarray  # placed for adoption (NO_DATE if none)
    decision_ceased: np.ndarray
    decision_ceased_reason: np.ndarray
    adopter_is_carer: np.ndarray
    ids: np.ndarray
    first_child_born: np.ndarray  # a girl's first child's birth (NO_DATE if none while in care)
    previous_exit: np.ndarray  # end of the child's earlier period of care (NO_DATE for a first period)


def _stock_path(sim_years: list[int]) -> np.ndarray:
    """England's looked-after stock at 31 March of each simulated year (ENGLAND_LOOKED_AFTER, interpolated)."""
    published = sorted(ENGLAND_LOOKED_AFTER)
    return np.interp(sim_years, published, [ENGLAND_LOOKED_AFTER[y] for y in published])


def _entries_for_stock(stock: np.ndarray, open_per_entry: np.ndarray) -> np.ndarray:
    """Expected first entries in each year so that the expected stock at each 31 March is ``stock``.

    With e[y] first entries in year y and g[k] the periods open at the k-th 31 March after a first entry
    (k = 0: the March ending the entry's year; re-entries included), the stock at 31 March of year y is
    sum_k e[y - k] g[k].  Solved year by year for e[y] = (stock[y] - sum_{k >= 1} e[y - k] g[k]) / g[0],
    the years before the first taken in steady state (stock[0] / sum g a year); never negative.
    """
    entries = np.zeros(len(stock))
    before = stock[0] / open_per_entry.sum()
    for y in range(len(stock)):
        k = np.arange(1, len(open_per_entry))
        earlier = np.where(y - k >= 0, entries[np.maximum(y - k, 0)], before)
        carried = float((earlier * open_per_entry[1:]).sum())
        entries[y] = max(stock[y] - carried, 0.0) / open_per_entry[0]
    return entries


@functools.cache
def _open_periods_per_entry() -> np.ndarray:
    """g[k]: periods of care open at the k-th 31 March after a first entry (re-entries included), per first entry.

    Measured (once a process) on PILOT_ENTRIES first periods drawn by this generator -- the age, UASC and route
    mix and durations below, the planted adoption stages without LA effects -- entering uniformly over one year,
    on streams of their own (a property of the model, so the same whatever a run's seed): the entry rate then
    follows from the stock targets (_entries_for_stock) whatever the mix, with nothing tuned by hand.
    """
    first_year, span = 2000, 21  # a period lasts under 18 years, and a re-entry starts before 17
    sim_years = list(range(first_year, first_year + span))
    rng = np.random.default_rng([PILOT_SEED, 1])
    no_effects = dict.fromkeys(("stability", "adoption", "sdq", "reviews", "leavers", "with_parents"), 0.0)
    planted = _plant(rng, sim_years, no_effects)
    planted.adoption_la_effect = dict.fromkeys(ADOPTION_STAGES, 0.0)
    entry = rng.integers(_year_start(first_year), _year_end(first_year) + 1, PILOT_ENTRIES).astype(np.int64)
    pilot = _first_periods(rng, np.random.default_rng([PILOT_SEED, 2]), planted, sim_years, entry)
    pilot = _with_reentries(
        np.random.default_rng([PILOT_SEED, 3]), np.random.default_rng([PILOT_SEED, 4]), pilot, planted, sim_years
    )
    ends = _year_ends(np.array(sim_years))
    return np.array([((pilot.entry <= end) & (pilot.exit > end)).sum() for end in ends]) / PILOT_ENTRIES


def _simulate_children(
    rng, timing_rng, planted: _Planted, sim_years: list[int], stock_target: float, open_per_entry: np.ndarray
) -> _Children:
    """First periods of care of one authority whose stock at 31 March follows England's, ``stock_target`` at the last.

    ``open_per_entry``: _open_periods_per_entry, which turns the stock path into entries.
    """
    stock = _stock_path(sim_years)
    counts = rng.poisson(_entries_for_stock(stock * stock_target / stock[-1], open_per_entry))
    entry = np.concatenate(
        [rng.integers(_year_start(y), _year_end(y) + 1, size=c) for y, c in zip(sim_years, counts, strict=False)]
    ).astype(np.int64)
    return _first_periods(rng, timing_rng, planted, sim_years, entry)


def _first_periods(rng, timing_rng, planted: _Planted, sim_years: list[int], entry: np.ndarray) -> _Children:
    """Children entering care on ``entry`` for the first time: who they are, and their periods of care."""
    n = len(entry)
    group = rng.choice(len(AGE_GROUP_SHARES), size=n, p=AGE_GROUP_SHARES)
    age_days = rng.integers(AGE_GROUP_DAYS[group, 0], AGE_GROUP_DAYS[group, 1] + 1)
    dob = entry - age_days
    sex = np.where(rng.random(n) < MALE_SHARE, "1", "2").astype(object)
    age_entry = _age(dob, entry)
    uasc = rng.random(n) < np.select([age_entry >= 16, age_entry >= 14], list(UASC_SHARE_OF_ENTRANTS), 0.0)
    sex[uasc & (rng.random(n) < 0.92)] = "1"
    ethnic = _draw_codes(rng, ETHNIC_CODES, ETHNIC_SHARES, n)
    ethnic[uasc] = _draw_codes(rng, ("BAFR", "AOTH", "OOTH", "MOTH"), (0.35, 0.35, 0.25, 0.05), int(uasc.sum()))
    cin = _draw_codes(rng, CIN_CODES, CIN_SHARES, n)
    cin[uasc] = "N8"
    return _periods(rng, timing_rng, planted, sim_years, entry, dob, group, sex, ethnic, cin, uasc)


def _periods(
    rng, timing_rng, planted: _Planted, sim_years: list[int], entry, dob, group, sex, ethnic, cin, uasc
) -> _Children:
    """Periods of care starting on ``entry`` for children of these characteristics: route, exit and dates.

    ``timing_rng`` draws the adoption stages (a stream of its own, so they leave every other draw as it was).
    """
    n = len(entry)
    age_entry = _age(dob, entry)
    cumulative = ROUTE_BY_AGE_GROUP.cumsum(axis=1)[group]
    route = (rng.random(n)[:, None] > cumulative).sum(axis=1)
    route = np.minimum(route, len(ROUTES) - 1)
    route[uasc] = AGE18
    eighteenth = _anniversary(dob, 18)

    year = 365.25
    duration = np.select(
        [route == SGO, route == CAO, route == HOME, route == OTHER],
        [
            rng.uniform(1.0, 3.5, n) * year,
            rng.uniform(0.7, 3.0, n) * year,
            rng.gamma(*HOME_STAY_GAMMA, n) * year + 1,
            rng.gamma(*OTHER_STAY_GAMMA, n) * year + 1,
        ],
        0.0,  # adoption: the stages below
    ).astype(np.int64)
    _spend_former_adoption_draws(rng, n)
    milestones = _adoption_milestones(timing_rng, planted, entry, dob, sex, route == ADOPT)
    duration = np.where(route == ADOPT, milestones["order"] - entry, duration)
    exit_ = np.where(route == AGE18, eighteenth, entry + np.maximum(duration, 1))
    aged_out = exit_ >= eighteenth
    route = np.where(aged_out, AGE18, route)
    exit_ = np.minimum(exit_, eighteenth)
    adopted = route == ADOPT
    decision = np.where(adopted, milestones["decision"], NO_DATE)
    matched = np.where(adopted, milestones["matched"], NO_DATE)
    placed = np.where(adopted, milestones["placed"], NO_DATE)
    adopter_is_carer = adopted & (rng.random(n) < 0.15)

    # Young children on other permanence routes sometimes had an adoption decision reversed (drift).
    decision_ceased = np.full(n, NO_DATE, dtype=np.int64)
    reversed_plan = np.isin(route, (SGO, AGE18, CAO)) & (age_entry < 5) & (rng.random(n) < 0.2)
    reversed_plan &= (exit_ - entry) > 400
    decision[reversed_plan] = entry[reversed_plan] + rng.integers(150, 300, int(reversed_plan.sum()))
    decision_ceased[reversed_plan] = decision[reversed_plan] + rng.integers(60, 240, int(reversed_plan.sum()))
    reversed_plan &= decision_ceased < exit_
    decision[np.isin(route, (SGO, AGE18, CAO)) & ~reversed_plan] = NO_DATE
    decision_ceased[~reversed_plan] = NO_DATE
    decision_ceased_reason = np.where(
        reversed_plan, _draw_codes(rng, ("RD1", "RD2", "RD3", "RD4"), (0.3, 0.2, 0.3, 0.2), n), ""
    )

    reason = _reasons_ceased(rng, route, exit_, uasc)
    ids = _child_ids(rng, n)
    # Some girls have a child while looked after, once: the Header's MOTHER and MC_DOB then hold it in
    # every later return (rules 207, 624).
    becomes_mother = (sex == "2") & (rng.random(n) < 0.04)
    earliest = np.maximum(_anniversary(dob, 14), entry)
    born = earliest + rng.integers(0, 3 * 365, n)
    first_child_born = np.where(becomes_mother & (born < exit_), born, NO_DATE)
    return _Children(
        dob,
        entry,
        exit_,
        route,
        reason,
        sex,
        ethnic,
        cin,
        uasc,
        decision,
        matched,
        placed,
        decision_ceased,
        decision_ceased_reason,
        adopter_is_carer,
        ids,
        first_child_born,
        np.full(n, NO_DATE, dtype=np.int64),
    )


def _spend_former_adoption_draws(rng, n: int) -> None:
    """Make the main-stream draws the adoption timing once made, unused, so every later draw is as it was.

    (The reasons ceased, identifiers and mothers of every child then stay those of earlier versions.)
    """
    rng.exponential(0.45, n)
    rng.uniform(0.25, 0.40, n)
    rng.integers(0, 61, n)
    rng.integers(70, 147, n)
    rng.random(n)
    rng.integers(30, 365, n)
    rng.integers(366, 451, n)


def _adoption_milestones(rng, planted: _Planted, entry, dob, sex, adopted) -> dict[str, np.ndarray]:
    """Day of each adoption milestone (ADOPTION_STAGES, in turn from ``entry``) for the ``adopted`` rows, else NO_DATE.

    Each stage is drawn as planted, whatever the calendar (the planted NI 62 and NI 63 take each child's
    adoptive placement as it falls: ``_planted_ni62``, ``_planted_ni63``).
    """
    rows = np.flatnonzero(adopted)
    age = (entry[rows] - dob[rows]) / 365.25
    male = (sex[rows] == "1").astype(float)
    day = entry[rows].astype(np.int64)
    out = {}
    for stage, spec in ADOPTION_STAGES.items():
        eta = spec["log_hr_age_per_year"] * (age - ADOPTION_AGE_CENTRE) + spec["log_hr_male"] * male
        eta = eta + planted.adoption_la_effect[stage]
        exposure = rng.exponential(1.0, len(rows))
        years = spec["median_years"] * (exposure / (np.log(2) * np.exp(eta))) ** (1 / spec["shape"])
        day = day + np.maximum(np.round(years * 365.25), 1).astype(np.int64)
        out[stage] = np.full(len(entry), NO_DATE, dtype=np.int64)
        out[stage][rows] = day
    return out


def _daily_log_survival(rate) -> np.ndarray:
    """-log(1 - q) for a daily move probability q = rate / 365.25 (rate in moves per child-year)."""
    return -np.log1p(-np.asarray(rate, dtype=float) / 365.25)


def _geometric_sum(r: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """sum of exp(r * i) for i from ``first`` to ``last`` (0 where last < first), elementwise."""
    count = np.maximum(last - first + 1, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(np.abs(r) > 1e-12, np.expm1(r * count) / np.expm1(r), count)
    return np.exp(r * first) * ratio


def _band(dob: np.ndarray, day: np.ndarray) -> np.ndarray:
    return np.searchsorted(PLACE_BAND_AGES, _age(dob, day), side="right")


def _planted_ni62(c: _Children, moves: _Moves, planted: _Planted, year: int) -> float:
    """P(3+ placements in the year) the planted move rates give, averaged over the year's 31 March cohort.

    Each child's probability is taken given what the planted rates do not govern: the placement held at the start
    of the year (or on entry) -- its group, the day it began and the moves made before it -- the days the child
    could move in the year (to 31 March, or to the day before moving in with adopters, which adds a placement),
    and the age bands and P1 share the next placement's type is drawn from.  Days are discrete, as drawn: with
    a(j) = -log(1 - q(j)) for the daily move probability q(j), P(no move in J days) = exp(-sum a), and one move on
    day i to a group of daily b_g (drawn with share s_g(i)), none after it, has probability
    exp(-sum_{j<i} a(j)) (1 - exp(-a(i))) s_g(i)
    exp(-b_g (J - i)); a(i) changes at most once (the placement's first anniversary) and s(i) at most once (an
    age band), so the sum over i is three geometric sums.  (The new placement stays in its first year to 31 March.)
    """
    start, end = _year_start(year), _year_end(year)
    cohort = np.flatnonzero((c.entry <= end) & (c.exit > end))
    multiplier = float(planted.at("move_multiplier", year))
    if not cohort.size:  # the LA's reference child: foster care (other carer), no move yet, a whole later year
        x = MOVE_RATES["foster_other"] * multiplier
        return float(1 - np.exp(-x) * (1 + x))
    w0 = np.maximum(c.entry[cohort], start - 1)
    placed = c.placed[cohort]
    adoptive = (c.route[cohort] == ADOPT) & (placed != NO_DATE)
    adoptive_in_year = adoptive & (placed >= start) & (placed <= end)
    last = np.where(adoptive, np.minimum(end, placed - 1), end)
    days = np.maximum(last - w0, 0)
    group, began, made = moves.state_at(c, cohort, w0)
    base = _MOVE_RATE[group] * _MOVE_HISTORY_RATIO[np.minimum(made, 2)] * multiplier
    a_new, a_old = _daily_log_survival(base * MOVE_NEW_PLACEMENT_RATIO), _daily_log_survival(base)
    b = _MOVE_RATE[None, :] * _MOVE_HISTORY_RATIO[np.minimum(made + 1, 2)][:, None]
    b = _daily_log_survival(b * MOVE_NEW_PLACEMENT_RATIO * multiplier)
    # day w0 + i is in the placement's first year while i < old_from; the next placement's type is drawn in the
    # child's age band on its day, the later band from band_from (at most one change in a year)
    old_from = np.clip(began + MOVE_NEW_PLACEMENT_DAYS + 1 - w0, 1, days + 1)
    none = np.exp(-(a_new * (old_from - 1) + a_old * (days - old_from + 1)))
    dob = c.dob[cohort]
    band_first, band_last = _band(dob, w0 + 1), _band(dob, np.maximum(last, w0 + 1))
    edge = np.asarray(PLACE_BAND_AGES)[np.minimum(band_first, len(PLACE_BAND_AGES) - 1)]
    band_from = np.where(band_last != band_first, _anniversary(dob, edge) - w0, days + 1)
    with_parents = planted.at("with_parents", year) * ~c.uasc[cohort]
    one_hot = np.eye(len(_MOVE_GROUP_NAMES))[_WITH_PARENTS]
    cuts = np.sort(np.stack([old_from, band_from]), axis=0)
    one = np.zeros(len(cohort))
    for low, high in ((np.ones_like(days), cuts[0] - 1), (cuts[0], cuts[1] - 1), (cuts[1], days)):
        new = low < old_from
        alpha = np.where(new, a_new, a_old)
        # exp(-sum_{j<i} a(j)) = scale * exp(-alpha * i) on this piece
        log_scale = np.where(new, a_new, -a_new * (old_from - 1) + a_old * old_from)
        band = np.where(low < band_from, band_first, band_last)
        shares = (1 - with_parents)[:, None] * _BAND_GROUP_SHARES[band] + with_parents[:, None] * one_hot
        r = b - alpha[:, None]
        piece = np.exp(log_scale[:, None] - b * days[:, None]) * _geometric_sum(r, low[:, None], high[:, None])
        one += -np.expm1(-alpha) * (shares * piece).sum(axis=1)
    three_or_more = np.where(adoptive_in_year, 1 - none, 1 - none - one)
    return float(three_or_more.mean())


def _planted_ni63(c: _Children, moves: _Moves, planted: _Planted, year: int) -> float:
    """P(no move in the two years to 31 March) the planted rates give, averaged over the year's NI 63 cohort.

    Given the placement each child held on 31 March two years before (its group, the day it began, the moves made
    before it); moving in with adopters is no move (NI 63's adoption clause), so the days at risk end the day
    before.  The daily rate changes on 1 April (the LA-year's multiplier) and on the placement's first anniversary.
    """
    end, middle, w0 = _year_end(year), _year_end(year - 1), _year_end(year - 2)
    in_care = np.flatnonzero((c.entry <= end) & (c.exit > end))
    cohort = in_care[_in_stability_cohort(c.dob[in_care], c.entry[in_care], c.exit[in_care], year)]
    m_before, m_now = (float(planted.at("move_multiplier", y)) for y in (year - 1, year))
    if not cohort.size:  # the LA's reference child: an established foster placement (other carer), one move before
        rate = MOVE_RATES["foster_other"] * MOVE_HISTORY_RATIOS["one"]
        return float(np.exp(-365 * (_daily_log_survival(rate * m_before) + _daily_log_survival(rate * m_now))))
    placed = c.placed[cohort]
    adoptive = (c.route[cohort] == ADOPT) & (placed != NO_DATE)
    last = np.where(adoptive, np.minimum(end, placed - 1), end)
    group, began, made = moves.state_at(c, cohort, np.full(len(cohort), w0))
    rate = _MOVE_RATE[group] * _MOVE_HISTORY_RATIO[np.minimum(made, 2)]
    new_until = began + MOVE_NEW_PLACEMENT_DAYS

    def days(low, high):  # days of (low, high] within (w0, last]
        return np.clip(np.minimum(high, last) - np.maximum(low, w0), 0, None)

    new, old = MOVE_NEW_PLACEMENT_RATIO, 1.0
    hazard = (
        _daily_log_survival(rate * m_before * new) * days(w0, np.minimum(middle, new_until))
        + _daily_log_survival(rate * m_before * old) * days(new_until, middle)
        + _daily_log_survival(rate * m_now * new) * days(middle, np.maximum(middle, new_until))
        + _daily_log_survival(rate * m_now * old) * days(np.maximum(middle, new_until), end)
    )
    return float(np.exp(-hazard).mean())


# Re-entry: a child under 15 who went home (E4A, E4B, E13) comes back into care, once, with this probability; the
# new period starts a gamma-distributed time (mean about a year) after the next 1 April, so the two periods never
# share a collection year (each year's counts of children starting and ceasing stay counts of periods).
REENTRY_SHARE = 0.3
REENTRY_MAX_AGE = 15


def _with_reentries(rng, timing_rng, c: _Children, planted: _Planted, sim_years: list[int]) -> _Children:
    """The periods of ``c`` and, for some children who went home, a later period of the same child.

    ``timing_rng`` draws the adoption stages of the later periods.
    """
    went_home = (c.route == HOME) & ~c.uasc & (c.first_child_born == NO_DATE)
    went_home &= _age(c.dob, c.exit) < REENTRY_MAX_AGE
    again = np.flatnonzero(went_home & (rng.random(len(c.entry)) < REENTRY_SHARE))
    entry = _year_starts(_collection_year(c.exit[again]) + 1) + rng.gamma(1.5, 250.0, len(again)).astype(np.int64)
    seen = (entry <= _year_end(sim_years[-1])) & (entry < _anniversary(c.dob[again], 17))
    again, entry = again[seen], entry[seen]
    dob = c.dob[again]
    group = np.searchsorted(AGE_GROUP_DAYS[:, 0], entry - dob, side="right") - 1
    uasc = np.zeros(len(again), bool)
    cin = _draw_codes(rng, CIN_CODES[:-1], CIN_SHARES[:-1], len(again))  # N8 (absent parenting) is for UASC mostly
    later = _periods(rng, timing_rng, planted, sim_years, entry, dob, group, c.sex[again], c.ethnic[again], cin, uasc)
    later.ids = c.ids[again]
    later.previous_exit = c.exit[again]
    later.first_child_born[:] = NO_DATE  # a mother in the first period would be one in the second (rule 207)
    return _Children(
        *(np.concatenate([getattr(c, f.name), getattr(later, f.name)]) for f in dataclasses.fields(_Children))
    )


# A care leaver is in OC3 until 21, so a period that ended up to this many years before the first collection year
# can still be seen in a return (a child leaving at 17 is 21 four years later).
OC3_REACH_YEARS = 5


def _in_reach_of_returns(c: _Children, first_year: int) -> _Children:
    """The periods a return from ``first_year`` on can show: those that ended OC3_REACH_YEARS or less before it,
    and every period of a child who came back.

    The burn-in draws every child who could be looked after in the first collection year; most of its earlier
    periods ended long before, and drawing their placements and reviews would be work no return shows.
    """
    came_back = set(c.ids[c.previous_exit != NO_DATE])
    keep = (c.exit >= _year_start(first_year - OC3_REACH_YEARS)) | pd.Series(c.ids).isin(came_back).to_numpy()
    return _Children(*(getattr(c, f.name)[keep] for f in dataclasses.fields(_Children)))


def _reasons_ceased(rng, route: np.ndarray, exit_: np.ndarray, uasc: np.ndarray) -> np.ndarray:
    n = len(route)
    reason = np.empty(n, dtype=object)
    by_route = {
        ADOPT: (("E11", "E12"), (0.4, 0.6)),
        CAO: (("E41",), (1.0,)),
        HOME: (("E4A", "E4B", "E13"), (0.75, 0.10, 0.15)),
        AGE18: (("E17", "E5", "E6", "E8", "E13", "E7", "E4A"), (0.25, 0.33, 0.15, 0.14, 0.05, 0.03, 0.05)),
        OTHER: (("E8", "E3", "E9", "E16", "E14", "E2"), (0.45, 0.25, 0.10, 0.08, 0.10, 0.02)),
    }
    for route_code, (codes, shares) in by_route.items():
        rows = route == route_code
        reason[rows] = _draw_codes(rng, codes, shares, int(rows.sum()))
    sgo = route == SGO
    new_codes = _collection_year(exit_) >= 2019  # E45-E48 replaced E43/E44 in the 2019 specification
    reason[sgo & new_codes] = _draw_codes(
        rng, ("E45", "E46", "E47", "E48"), (0.35, 0.15, 0.35, 0.15), int((sgo & new_codes).sum())
    )
    reason[sgo & ~new_codes] = _draw_codes(rng, ("E43", "E44"), (0.4, 0.6), int((sgo & ~new_codes).sum()))
    assessed_adult = uasc & (rng.random(n) < 0.04)
    reason[assessed_adult] = "E15"
    return reason


def _child_ids(rng, n: int) -> np.ndarray:
    """Pseudonymous 10-digit child identifiers, unique within the LA."""
    ids = rng.integers(10**9, 10**10, size=n)
    while True:
        _, first = np.unique(ids, return_index=True)
        duplicate = np.ones(n, bool)
        duplicate[first] = False
        if not duplicate.any():
            return ids.astype(str).astype(object)
        ids[duplicate] = rng.integers(10**9, 10**10, size=int(duplicate.sum()))


def _in_stability_cohort(dob: np.ndarray, entry: np.ndarray, exit_: np.ndarray, year: np.ndarray) -> np.ndarray:
    """NI 63 cohort at 31 March of ``year``: under 16, looked after continuously 2.5+ years.

    Continuously since 30 September 2.5 years before.
    """
    march = _year_ends(year)
    cutoff = ((np.asarray(year, dtype=np.int64) - 3 - 1970) * 12 + 8).astype("datetime64[M]").astype(
        "datetime64[D]"
    ).astype(np.int64) + 29
    return (entry <= cutoff) & (exit_ > march) & (_age(dob, march) < 16)


def _year_ends(years: np.ndarray) -> np.ndarray:
    years = np.asarray(years, dtype=np.int64)
    return ((years - 1970) * 12 + 2).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) + 30


def _year_starts(years: np.ndarray) -> np.ndarray:
    years = np.asarray(years, dtype=np.int64)
    return ((years - 1 - 1970) * 12 + 3).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def _simulate_episodes(rng, c: _Children, moves: _Moves, horizon_end: int, la_prefix: str) -> pd.DataFrame:
    n = len(c.entry)
    keep_moves = moves.day <= horizon_end
    move_child, move_day, move_place = moves.child[keep_moves], moves.day[keep_moves], moves.place[keep_moves]

    # ---- legal status changes
    ls_child, ls_day, ls_code, first_ls = _legal_status_events(rng, c)

    # ---- events: entry, moves, adoptive placement, legal status changes
    adopted = np.flatnonzero((c.route == ADOPT) & (c.placed <= horizon_end))
    ev_child = np.concatenate([np.arange(n), move_child, adopted, ls_child])
    ev_day = np.concatenate([c.entry, move_day, c.placed[adopted], ls_day])
    ev_kind = np.concatenate(
        [
            np.full(n, EVENT_START),
            np.full(len(move_child), EVENT_MOVE),
            np.full(len(adopted), EVENT_ADOPTIVE),
            np.full(len(ls_child), EVENT_LEGAL),
        ]
    )
    ev_ls = np.concatenate([first_ls, np.full(len(move_child) + len(adopted), None), ls_code]).astype(object)
    ev_place = np.concatenate(
        [_PLACE_CODES[moves.entry_place], _PLACE_CODES[move_place], np.full(len(adopted) + len(ls_child), None)]
    )
    keep = ev_day <= horizon_end
    events = [column[keep] for column in (ev_child, ev_day, ev_kind, ev_ls, ev_place.astype(object))]
    order = np.lexsort((events[2], events[1], events[0]))
    ev_child, ev_day, ev_kind, ev_ls, ev_place = (column[order] for column in events)
    # events of one child on one day make one episode (a move and a legal status change together: RNE B)
    new_episode = np.ones(len(ev_child), bool)
    new_episode[1:] = (ev_child[1:] != ev_child[:-1]) | (ev_day[1:] != ev_day[:-1])
    starts = np.flatnonzero(new_episode)
    episode_of_event = np.cumsum(new_episode) - 1
    kinds = np.bitwise_or.reduceat(ev_kind, starts) if len(starts) else np.zeros(0, np.int64)
    ls_first = np.full(len(starts), None, dtype=object)
    has_ls = ev_ls != None  # noqa: E711 (object array: elementwise)
    episodes_with_ls, first_event = np.unique(episode_of_event[has_ls], return_index=True)
    ls_first[episodes_with_ls] = ev_ls[has_ls][first_event]
    merged = pd.DataFrame({"child": ev_child[starts], "day": ev_day[starts], "LS": ls_first})
    placement_change = (kinds & (EVENT_START | EVENT_MOVE | EVENT_ADOPTIVE)) != 0
    legal_change = (kinds & EVENT_LEGAL) != 0
    is_start = (kinds & EVENT_START) != 0
    is_adoptive = (kinds & EVENT_ADOPTIVE) != 0
    merged["RNE"] = np.select(
        [
            is_start,
            placement_change & legal_change,
            is_adoptive & c.adopter_is_carer[merged["child"].to_numpy()],
            placement_change,
        ],
        ["S", "B", "T", "P"],
        "L",
    )
    merged["LS"] = merged.groupby("child")["LS"].ffill()

    # ---- placement types: those drawn with the moves (_draw_moves); a day holds at most one start or move
    child_idx = merged["child"].to_numpy()
    day = merged["day"].to_numpy()
    has_place = ev_place != None  # noqa: E711 (object array: elementwise)
    place = np.full(len(starts), None, dtype=object)
    place[episode_of_event[has_place]] = ev_place[has_place]
    consent = merged["LS"].to_numpy() == "V2"
    with_carer = c.adopter_is_carer[child_idx]
    place = np.where(
        is_adoptive, np.where(consent, np.where(with_carer, "A3", "A4"), np.where(with_carer, "A5", "A6")), place
    )
    # Independent living (P2) is no placement type from 28 October 2023 (rule 217t): semi-independent living.
    place = np.where((place == "P2") & (day >= _day(2023, 10, 28)), "H5", place)
    place = np.where(placement_change, place, None)
    # A child placed with parents is on a care order, never accommodated under section 20 (V2, rule 378):
    # a child drawn P1 while V2 is on a full care order (C2) wherever V2 stood.
    legal = merged["LS"].to_numpy(dtype=object)
    with_parents_on_v2 = np.unique(child_idx[(place == "P1") & (legal == "V2")])
    merged["LS"] = np.where(np.isin(child_idx, with_parents_on_v2) & (legal == "V2"), "C2", legal)
    merged["PLACE"] = pd.Series(place, dtype=object)
    merged["PLACE"] = merged.groupby("child")["PLACE"].ffill()
    provider, urn = _providers(rng, merged["PLACE"].to_numpy(dtype=object))
    # a placement needing no provider (Z1, T0-T4) has a blank one, never the one before it carried on (178)
    merged["PLACE_PROVIDER"] = np.where(placement_change, np.where(provider == None, "", provider), None)  # noqa: E711
    merged["URN"] = np.where(placement_change, urn, None)
    merged["PL_POST"] = np.where(placement_change, _postcodes(rng, la_prefix, len(merged)), None)
    for column in ("PLACE_PROVIDER", "URN", "PL_POST"):
        merged[column] = merged.groupby("child")[column].ffill()

    # ---- episode ends
    next_day = merged.groupby("child")["day"].shift(-1)
    last = next_day.isna().to_numpy()
    exit_day = c.exit[child_idx]
    merged["DEC"] = np.where(
        last, np.where(exit_day <= horizon_end, exit_day, NO_DATE), next_day.fillna(0).to_numpy()
    ).astype(np.int64)
    merged["REC"] = np.where(last, np.where(exit_day <= horizon_end, c.reason[child_idx], ""), "X1")
    # no independent living (P2) placement runs past 27 October 2023 (rule 217t): semi-independent living instead
    past_p2 = (merged["PLACE"].to_numpy(dtype=object) == "P2") & (
        (merged["DEC"].to_numpy() == NO_DATE) | (merged["DEC"].to_numpy() > _day(2023, 10, 28))
    )
    recoded = np.isin(child_idx, child_idx[past_p2]) & (merged["PLACE"].to_numpy(dtype=object) == "P2")
    merged["PLACE"] = np.where(recoded, "H5", merged["PLACE"].to_numpy(dtype=object))
    # special guardianship to former foster carers (E45, E46) is from a foster placement (U1-U6, rule 516)
    not_foster = ~np.isin(merged["PLACE"].to_numpy(dtype=object), ("U1", "U2", "U3", "U4", "U5", "U6"))
    merged["REC"] = np.where(
        not_foster, pd.Series(merged["REC"]).replace({"E45": "E47", "E46": "E48"}).to_numpy(), merged["REC"]
    )
    next_rne = merged.groupby("child")["RNE"].shift(-1).fillna("").to_numpy()
    change_reason = _draw_codes(rng, PLACE_CHANGE_REASONS, PLACE_CHANGE_SHARES, len(merged))
    next_place = merged.groupby("child")["PLACE"].shift(-1).fillna("").to_numpy()
    change_reason = np.where((next_place == "R5") & (_collection_year(day) >= 2019), "CUSTOD", change_reason)
    merged["REASON_PLACE_CHANGE"] = np.where(np.isin(next_rne, ("P", "B", "T", "U")), change_reason, "")
    merged = merged.rename(columns={"day": "DECOM"})
    return merged[
        [
            "child",
            "DECOM",
            "RNE",
            "LS",
            "PLACE",
            "PLACE_PROVIDER",
            "DEC",
            "REC",
            "REASON_PLACE_CHANGE",
            "PL_POST",
            "URN",
        ]
    ]


# Temporary placements (T0-T4): an episode of 120 days or more, other than an adoptive placement or a
# placement with parents, is interrupted once with this probability by a temporary placement (hospital, holiday,
# respite while the carer is away), after which the child returns to the same carer (same PLACE, URN and PL_POST),
# as the 903 guidance records it: the temporary placement begins with RNE P and ends with REC X1, no reason for
# the change on it or the episode before it (rules 226, 380, 381), and the return is RNE P to the placement before
# (rule 383).  Neither the temporary placement nor the return counts as a new placement (NI 62, NI 63).
TEMPORARY_SHARE = 0.05
TEMPORARY_MIN_EPISODE_DAYS = 120
TEMPORARY_CODES = ("T0", "T1", "T2", "T3", "T4")
TEMPORARY_CODE_SHARES = np.array([0.10, 0.20, 0.10, 0.25, 0.35])
# Longest stay by code: hospital at most six weeks (rule 375), T4 seven days or less (rule 379).
TEMPORARY_MAX_DAYS = np.array([28, 42, 21, 14, 7])
TEMPORARY_MARGIN_DAYS = 15  # from the episode's start and end, so no other event falls inside


def _temporary_placements(rng, episodes: pd.DataFrame, horizon_end: int, la_prefix: str) -> pd.DataFrame:
    """Split chosen episodes into the placement, a temporary placement and the return to the same carer.

    The temporary placement lies within one collection year (it never straddles 31 March), so every return
    that holds it holds the placement before it too.
    """
    decom = episodes["DECOM"].to_numpy()
    dec = episodes["DEC"].to_numpy()
    end = np.where(dec == NO_DATE, horizon_end, dec)
    place = episodes["PLACE"].to_numpy(dtype=object)
    eligible = (end - decom >= TEMPORARY_MIN_EPISODE_DAYS) & ~np.isin(place, ("A3", "A4", "A5", "A6", "P1"))
    eligible &= ~np.isin(episodes["LS"].to_numpy(dtype=object), ("V3", "V4"))
    chosen = np.flatnonzero(eligible & (rng.random(len(episodes)) < TEMPORARY_SHARE))
    code = rng.choice(len(TEMPORARY_CODES), size=len(chosen), p=TEMPORARY_CODE_SHARES)
    days = rng.integers(1, TEMPORARY_MAX_DAYS[code] + 1)
    low = decom[chosen] + TEMPORARY_MARGIN_DAYS
    high = end[chosen] - TEMPORARY_MARGIN_DAYS - days
    start = low + (rng.random(len(chosen)) * (high - low + 1)).astype(np.int64)
    # one that would straddle 31 March ends on it instead, or starts on 1 April (the episode is long enough
    # for one of the two: 120 days > 2 x 42 + 2 x 15 + 1)
    march = _year_ends(_collection_year(start))
    straddles = start + days > march
    start = np.where(straddles, np.where(march - days >= low, march - days, march + 1), start)
    back = start + days

    before = episodes.iloc[chosen].copy()
    before["DEC"], before["REC"], before["REASON_PLACE_CHANGE"] = start, "X1", ""
    temporary = episodes.iloc[chosen].copy()
    temporary["DECOM"], temporary["DEC"], temporary["REC"], temporary["REASON_PLACE_CHANGE"] = start, back, "X1", ""
    temporary["RNE"] = "P"
    temporary["PLACE"] = np.asarray(TEMPORARY_CODES, dtype=object)[code]
    temporary["PLACE_PROVIDER"], temporary["URN"] = "", "XXXXXXX"
    temporary["PL_POST"] = _postcodes(rng, la_prefix, len(chosen))
    returned = episodes.iloc[chosen].copy()
    returned["DECOM"], returned["RNE"] = back, "P"
    kept = np.ones(len(episodes), bool)
    kept[chosen] = False
    out = pd.concat([episodes[kept], before, temporary, returned], ignore_index=True)
    return out.sort_values(["child", "DECOM"], kind="stable", ignore_index=True)


# Short breaks (legal status V3/V4): disabled children accommodated under an agreed series of short-term breaks,
# outside the looked-after counts and every indicator.  New series a year are sized so that about this share of the
# looked-after stock is on a series at a time.  Each break is its own episode (RNE S, rule 366) of 1-4 nights
# (at most 17, rule 365; at most 75 nights a year, rule 367), ending with a return home (E4A); a child is V3 (one
# setting) or V4 (two settings) for the whole series (rule 426).  No placement postcode, URN or home postcode
# (rules 214, 398): the settings are those with no Ofsted URN to give (R1 care homes, Z1 other), since the rules
# ask an Ofsted setting for a URN (218) that a V3/V4 episode must leave blank.
SHORT_BREAK_SHARE = 0.04
SHORT_BREAK_SERIES_YEARS = (1.0, 4.0)
SHORT_BREAK_V4_SHARE = 0.2


@dataclass
class _ShortBreaks:
    ids: np.ndarray
    dob: np.ndarray
    sex: np.ndarray
    ethnic: np.ndarray
    cin: np.ndarray
    episodes: dict[str, np.ndarray]  # columns as in _simulate_episodes, ``child`` indexing this group


def _simulate_short_breaks(rng, sim_years: list[int], horizon_end: int, stock_target: float, taken) -> _ShortBreaks:
    """Children on a series of short breaks and their breaks; ``taken``: the LA's other child identifiers."""
    low_years, high_years = SHORT_BREAK_SERIES_YEARS
    starts_per_year = SHORT_BREAK_SHARE * stock_target / ((low_years + high_years) / 2)
    counts = rng.poisson(starts_per_year, len(sim_years))
    first = np.concatenate(
        [rng.integers(_year_start(y), _year_end(y) + 1, size=k) for y, k in zip(sim_years, counts, strict=True)]
    ).astype(np.int64)
    n = len(first)
    dob = first - rng.integers(5 * 365, 16 * 365, n)
    last = np.minimum(first + (rng.uniform(low_years, high_years, n) * 365.25).astype(np.int64), _anniversary(dob, 18))
    ids = _child_ids(rng, n)
    taken = set(taken)  # a set: np.isin on object arrays compares element by element (seconds at national scale)

    def clashes():
        return np.fromiter((i in taken for i in ids), bool, n) | pd.Series(ids).duplicated().to_numpy()

    clash = clashes()
    while clash.any():
        ids[clash] = rng.integers(10**9, 10**10, int(clash.sum())).astype(str).astype(object)
        clash = clashes()
    sex = np.where(rng.random(n) < 0.65, "1", "2").astype(object)
    ethnic = _draw_codes(rng, ETHNIC_CODES, ETHNIC_SHARES, n)
    cin = np.where(rng.random(n) < 0.85, "N4", "N8").astype(object)  # disability, else absent parenting
    multiple = rng.random(n) < SHORT_BREAK_V4_SHARE
    settings = np.array([["R1", "Z1"], ["Z1", "R1"]], dtype=object)[rng.integers(0, 2, n)]

    # breaks every 3-8 weeks from the first; at most 17 breaks of 4 nights in a year, so never over 75 nights
    most = int(np.ceil((last - first).max() / 21)) + 1 if n else 1
    gaps = rng.integers(21, 57, (n, most))
    gaps[:, 0] = 0
    decom = first[:, None] + gaps.cumsum(axis=1)
    nights = rng.integers(1, 5, (n, most))
    child = np.broadcast_to(np.arange(n)[:, None], decom.shape)
    setting = np.where(multiple[:, None] & (np.arange(most)[None, :] % 2 == 1), settings[:, 1:2], settings[:, 0:1])
    dec = decom + nights
    # breaks within the series and the years simulated, none across 31 March (each return shows whole breaks)
    keep = (dec <= last[:, None]) & (dec <= horizon_end) & (dec <= _year_ends(_collection_year(decom)))
    place = setting[keep]
    k = len(place)
    episodes = {
        "child": child[keep],
        "DECOM": decom[keep],
        "RNE": np.full(k, "S", dtype=object),
        "LS": np.where(multiple[child[keep]], "V4", "V3").astype(object),
        "PLACE": place,
        "PLACE_PROVIDER": np.where(place == "R1", _draw_codes(rng, ("PR1", "PR4"), (0.6, 0.4), k), "").astype(object),
        "DEC": dec[keep],
        "REC": np.full(k, "E4A", dtype=object),
        **{column: np.full(k, "", dtype=object) for column in ("REASON_PLACE_CHANGE", "PL_POST", "URN")},
    }
    return _ShortBreaks(ids, dob, sex, ethnic, cin, episodes)


# Event kinds as bits, in the order events of one day are taken (the legal status of the first one with it).
EVENT_ADOPTIVE, EVENT_LEGAL, EVENT_MOVE, EVENT_START = 1, 2, 4, 8


def _legal_status_events(rng, c: _Children):
    """Legal status at entry and its later changes: (child, day, new status) arrays plus the first status."""
    n = len(c.entry)
    age = _age(c.dob, c.entry)
    first = _draw_codes(rng, ("V2", "C1", "L1", "L2", "C2"), (0.45, 0.40, 0.07, 0.05, 0.03), n)
    adopted = c.route == ADOPT
    first[adopted] = _draw_codes(rng, ("C1", "V2", "L2"), (0.75, 0.15, 0.10), int(adopted.sum()))
    remand = (c.route == OTHER) & (age >= 10) & (c.reason == "E14")
    first[remand] = "J1"
    first[c.uasc] = "V2"

    events_child, events_day, events_code = [], [], []
    current = first.copy()
    current_day = c.entry.copy()

    def add(rows, days, code):
        ok = rows & (days > current_day) & (days < c.exit) & (days < np.where(adopted, c.placed, c.exit))
        events_child.append(np.flatnonzero(ok))
        events_day.append(days[ok])
        events_code.append(np.full(int(ok.sum()), code, dtype=object) if isinstance(code, str) else code[ok])
        current[ok] = code if isinstance(code, str) else code[ok]
        current_day[ok] = days[ok]

    # protection (L1/L2) lasts days, then a care order application or accommodation
    protected = np.isin(first, ("L1", "L2"))
    next_status = np.where(adopted | (rng.random(n) < 0.6), "C1", "V2").astype(object)
    protection_days = np.where(first == "L1", rng.integers(1, 4, n), rng.integers(1, 9, n))
    add(protected, c.entry + protection_days, next_status)
    # some accommodated children become subject to care proceedings
    to_proceedings = (current == "V2") & ~adopted & ~c.uasc & ((c.exit - c.entry) > 200) & (rng.random(n) < 0.25)
    add(to_proceedings, c.entry + rng.integers(30, 151, n), "C1")
    # interim to full care order; for adoption, around the adoption decision
    care_order_day = np.where(adopted, c.decision - rng.integers(10, 61, n), current_day + rng.integers(120, 331, n))
    add(current == "C1", care_order_day, "C2")
    # placement order between the decision and the match (the scorecard's A2 runs from the order to the match)
    placement_order_day = c.decision + ((c.matched - c.decision) * rng.uniform(0.2, 0.8, n)).astype(np.int64)
    # (from an interim order too: a decision soon after entry leaves no room for the full order before it, and a
    # child placed with adopters without consent needs the placement order, rule 408)
    add(adopted & np.isin(current, ("C1", "C2")), placement_order_day, "E1")
    return np.concatenate(events_child), np.concatenate(events_day), np.concatenate(events_code), first


def _draw_placements(rng, c: _Children, planted: _Planted, child: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Placement types (indices into _PLACE_CODES) by the child's age band on ``day``, P1 mixed in (not for UASC)."""
    band = _band(c.dob[child], day)
    pick = rng.random(len(child))
    index = np.empty(len(child), dtype=np.int64)
    for b, (codes, cumulative) in enumerate(_BAND_PLACES):
        rows = band == b
        index[rows] = codes[np.minimum(np.searchsorted(cumulative, pick[rows], side="right"), len(codes) - 1)]
    with_parents = rng.random(len(child)) < planted.at(
        "with_parents", np.clip(_collection_year(day), planted.first_year, None)
    )
    with_parents &= ~c.uasc[child]
    index[with_parents] = _PLACE_INDEX["P1"]
    return index


def _providers(rng, place: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(place)
    provider = _draw_codes(rng, ("PR1", "PR4", "PR2", "PR3", "PR5"), (0.55, 0.33, 0.05, 0.05, 0.02), n)
    provider[np.isin(place, ("P1",))] = "PR0"
    provider[np.isin(place, ("U1", "U2", "U3"))] = "PR1"
    provider[np.isin(place, ("A3", "A4", "A5", "A6"))] = np.where(rng.random(n) < 0.8, "PR1", "PR5")[
        np.isin(place, ("A3", "A4", "A5", "A6"))
    ]
    provider[place == "R5"] = "PR5"
    not_public = np.isin(place, ("P1", "A3", "A4", "A5", "A6", "K1", "K2", "U1", "U2", "U3", "U4", "U5", "U6"))
    provider[not_public & (provider == "PR3")] = "PR5"
    provider[np.isin(place, ("T0", "T1", "T2", "T3", "T4", "Z1"))] = None
    registered = np.isin(place, REGISTERED_SETTINGS)
    # Ofsted URNs for registered settings; DfE's placeholder for placements that need none
    ofsted = np.char.add("SC", np.char.zfill(rng.integers(0, 10**6, n).astype(str), 6))
    urn = np.where(registered, ofsted, "XXXXXXX").astype(object)
    return provider, urn


def _postcodes(rng, prefix: str, n: int) -> np.ndarray:
    """Partial postcodes as the 903 holds them (outward code and sector digit)."""
    district = rng.integers(1, 30, n)
    sector = rng.integers(0, 10, n)
    # the 290 possible sectors written once and picked by number (text operations on every cell cost more)
    sectors = np.array([f"{prefix}{d} {s}" for d in range(1, 30) for s in range(10)], dtype=object)
    return sectors[(district - 1) * 10 + sector]


def _review_days(rng, c: _Children, planted: _Planted, horizon_end: int) -> tuple[np.ndarray, np.ndarray]:
    """Reviews held: (child, day).  First due 28 days after entry, then 3 months, then every 6 months.

    In a year drawn as "not all on time" (probability 1 - planted NI 66) the
    first review due in that year is held 1-45 days late.
    """
    sim_first, sim_last = planted.first_year, planted.first_year + len(planted.ni66) - 1
    late_draw = rng.random((len(c.entry), sim_last - sim_first + 1)) >= planted.ni66[None, :]
    held_child, held_day = [], []
    due = c.entry + 28
    previous_held = c.entry.copy()
    previous_due_year = np.full(len(c.entry), -1)
    active = np.flatnonzero((due < c.exit) & (c.entry <= horizon_end))
    number = 1
    while len(active):
        d = due[active]
        due_year = _collection_year(d)
        first_in_year = due_year > previous_due_year[active]
        late = first_in_year & late_draw[active, np.clip(due_year, sim_first, sim_last) - sim_first]
        early = np.minimum(rng.integers(0, 21, len(active)), d - previous_held[active] - 1)
        held = np.where(late, d + rng.integers(1, 46, len(active)), d - np.maximum(early, 0))
        kept = (held < c.exit[active]) & (held <= horizon_end)
        held_child.append(active[kept])
        held_day.append(held[kept])
        previous_held[active] = held
        previous_due_year[active] = due_year
        due[active] = _add_months(held, 3 if number == 1 else 6)
        active = active[kept]
        active = active[due[active] < c.exit[active]]
        number += 1
    return np.concatenate(held_child), np.concatenate(held_day)


# --------------------------------------------------------------------------- tables per year


def _frame(columns: list[str], data: dict) -> dict[str, np.ndarray]:
    """One table as text columns in the specification's order; absent columns and missing values blank."""
    length = len(next(iter(data.values())))
    table = {}
    for name in columns:
        value = data.get(name)
        if value is None:
            table[name] = np.full(length, "", dtype=object)
            continue
        column = np.asarray(value, dtype=object)
        missing = pd.isna(column)
        if missing.any():
            column = column.copy()
            column[missing] = ""
        table[name] = column
    return table


def _write_csv(path: Path, table: dict[str, np.ndarray]) -> None:
    """A CSV as LA exporters write it: header row, no quoting (no value holds a comma), LF line ends.

    Each line joined from the text columns (a third less CPU than converting them to Arrow to write); a count of
    the commas, line ends and quotes checks that no value held one.
    """
    lines = [",".join(table), *map(",".join, zip(*table.values(), strict=True))]
    text = "\n".join(lines) + "\n"
    if text.count(",") != len(lines) * (len(table) - 1) or text.count("\n") != len(lines) or '"' in text:
        raise ValueError(f"{path.name}: a value holds a comma, quote or line end, which this writer does not quote")
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)


@dataclass
class _LaArrays:
    """What every year's return of one LA picks its rows from, worked out once per LA rather than once a year.

    ``episodes``: one array per column (filtering the Arrow-backed frame each year copied every text column);
    ``last_groups``: each child's last placement group (``_last_placement_groups``); ``home_postcode`` and
    ``upn``: each child's, derived from the identifier (text conversions of the whole column).
    """

    episodes: dict[str, np.ndarray]
    last_groups: np.ndarray
    home_postcode: np.ndarray
    upn: np.ndarray
    missing: _MissingPeriods

    @classmethod
    def of(cls, episodes: pd.DataFrame, c: _Children, missing_rng, horizon_end: int) -> _LaArrays:
        columns = {column: episodes[column].to_numpy() for column in episodes.columns}
        return cls(
            episodes=columns,
            last_groups=_last_placement_groups(episodes, len(c.entry)),
            home_postcode=_home_postcode(c.ids),
            upn=_upn(c.ids),
            missing=_missing_periods(missing_rng, columns, c, horizon_end),
        )


def _year_tables(
    rng,
    year: int,
    c: _Children,
    la: _LaArrays,
    reviews: tuple,
    planted: _Planted,
    other_las: list[str],
    short_breaks: _ShortBreaks | None = None,
) -> dict[str, dict[str, np.ndarray]]:
    """Every table of one LA's return for one collection year, as text columns ready to write."""
    spec = tables_for_year(year)
    start, end = _year_start(year), _year_end(year)
    in_year = (c.entry <= end) & (c.exit >= start)
    age_end = _age(c.dob, end)
    schema_year = schema_year_for(year)

    # Episodes open at any time in the year; ends after 31 March are not yet known.
    open_in_year = (la.episodes["DECOM"] <= end) & ((la.episodes["DEC"] >= start) | (la.episodes["DEC"] == NO_DATE))
    ep = {column: values[open_in_year] for column, values in la.episodes.items()}
    ended = (ep["DEC"] <= end) & (ep["DEC"] != NO_DATE)
    children_ep = ep["child"]
    episodes_out = _frame(
        spec["Episodes"].column_names,
        {
            "CHILD": c.ids[children_ep],
            "DECOM": _format_dates(ep["DECOM"]),
            "RNE": ep["RNE"],
            "LS": ep["LS"],
            "CIN": c.cin[children_ep],
            "PLACE": ep["PLACE"],
            "PLACE_PROVIDER": ep["PLACE_PROVIDER"],
            "DEC": _format_dates(np.where(ended, ep["DEC"], NO_DATE)),
            "REC": np.where(ended, ep["REC"], ""),
            "REASON_PLACE_CHANGE": np.where(ended, ep["REASON_PLACE_CHANGE"], ""),
            "HOME_POST": la.home_postcode[children_ep],
            "PL_POST": ep["PL_POST"],
            "URN": ep["URN"],
        },
    )

    if short_breaks is not None:
        episodes_out, breaks_rows = _with_short_breaks(episodes_out, short_breaks, spec, start, end)

    oc3, oc3_rows = _oc3(rng, year, c, planted, spec, schema_year, la.last_groups)
    # The Header lists every child in the return: those looked after in the year and the care leavers in OC3.
    looked_after = np.flatnonzero(in_year)
    rows = np.union1d(looked_after, oc3_rows)
    in_care = np.isin(rows, looked_after)
    # Mother: 0 or 1 for every girl looked after in the year, blank for boys and care leavers (rules 165, 393, 607)
    girls = (c.sex[rows] == "2") & in_care
    born = c.first_child_born[rows]
    mother = np.where(girls, np.where((born != NO_DATE) & (born <= end), "1", "0"), "")
    upn = np.where(age_end[rows] < 5, "UN1", la.upn[rows])
    header = _frame(
        spec["Header"].column_names,
        {
            "CHILD": c.ids[rows],
            "SEX": c.sex[rows],
            "DOB": _format_dates(c.dob[rows]),
            "ETHNIC": c.ethnic[rows],
            "UPN": upn,
            "MOTHER": mother,
            "MC_DOB": _format_dates(np.where(mother == "1", born, NO_DATE)),
        },
    )

    if short_breaks is not None:
        header = {column: np.concatenate([header[column], breaks_rows["Header"][column]]) for column in header}

    uasc_rows = looked_after[c.uasc[looked_after]]
    uasc = _frame(
        spec["UASC"].column_names,
        {
            "CHILD": c.ids[uasc_rows],
            "DOB": _format_dates(c.dob[uasc_rows]),
            "SEX": c.sex[uasc_rows],
            "DUC": _format_dates(_anniversary(c.dob[uasc_rows], 18)),
        },
    )

    tables = {
        "Header": header,
        "Episodes": episodes_out,
        "UASC": uasc,
        "OC2": _oc2(rng, year, c, planted, spec),
        "OC3": oc3,
        "AD1": _ad1(rng, year, c, spec),
        "PlacedAdoption": _placed_adoption(year, c, spec),
        "PrevPerm": _prev_perm(rng, year, c, spec, other_las),
        "Missing": _missing(year, c, la.missing, spec),
        "Reviews": _reviews(rng, year, c, reviews, spec),
    }
    if short_breaks is not None:
        tables["PrevPerm"] = {
            column: np.concatenate([values, breaks_rows["PrevPerm"][column]])
            for column, values in tables["PrevPerm"].items()
        }
    return tables


def _with_short_breaks(episodes_out: dict, b: _ShortBreaks, spec, start: int, end: int) -> tuple[dict, dict]:
    """The year's Episodes with the short breaks in it added, and Header and PrevPerm rows for their children.

    A child known only for short breaks has no mother field, reviews or care-leaver data (rule 399).
    """
    in_year = (b.episodes["DECOM"] <= end) & (b.episodes["DEC"] >= start)
    if not in_year.any():
        return episodes_out, {
            t: {k: np.empty(0, dtype=object) for k in spec[t].column_names} for t in ("Header", "PrevPerm")
        }
    ep = {column: values[in_year] for column, values in b.episodes.items()}
    child = ep["child"]
    breaks = _frame(
        spec["Episodes"].column_names,
        {
            "CHILD": b.ids[child],
            "DECOM": _format_dates(ep["DECOM"]),
            "RNE": ep["RNE"],
            "LS": ep["LS"],
            "CIN": b.cin[child],
            "PLACE": ep["PLACE"],
            "PLACE_PROVIDER": ep["PLACE_PROVIDER"],
            "DEC": _format_dates(ep["DEC"]),
            "REC": ep["REC"],
            "REASON_PLACE_CHANGE": ep["REASON_PLACE_CHANGE"],
            "HOME_POST": np.full(len(child), "", dtype=object),
            "PL_POST": ep["PL_POST"],
            "URN": ep["URN"],
        },
    )
    rows = np.unique(child)
    header = _frame(
        spec["Header"].column_names,
        {
            "CHILD": b.ids[rows],
            "SEX": b.sex[rows],
            "DOB": _format_dates(b.dob[rows]),
            "ETHNIC": b.ethnic[rows],
            "UPN": np.where(_age(b.dob[rows], end) < 5, "UN1", _upn(b.ids[rows])),
            "MOTHER": np.full(len(rows), "", dtype=object),
            "MC_DOB": np.full(len(rows), "", dtype=object),
        },
    )
    # every child with a new period in the year has a previous-permanence row (rule 630): none before (Z1)
    prev_perm = _frame(
        spec["PrevPerm"].column_names,
        {"CHILD": b.ids[rows], "DOB": _format_dates(b.dob[rows]), "PREV_PERM": np.full(len(rows), "Z1", dtype=object)},
    )
    merged = {column: np.concatenate([episodes_out[column], breaks[column]]) for column in episodes_out}
    return merged, {"Header": header, "PrevPerm": prev_perm}


def _home_postcode(ids: np.ndarray) -> np.ndarray:
    # A stable partial postcode per child, derived from the pseudonymous id (not a real address).
    numbers = np.asarray(ids, dtype=str).astype(np.int64)
    return np.char.add(
        np.char.add("ZZ", (numbers % 29 + 1).astype(str)), np.char.add(" ", (numbers % 10).astype(str))
    ).astype(object)


def _upn(ids: np.ndarray) -> np.ndarray:
    # Pseudonymous pupil numbers: a letter and 12 digits, derived from the child id.
    letters = np.array(list("ABCDEFGHJKLMNPQRTUVWXYZ"))
    numbers = np.asarray(ids, dtype=str).astype(np.int64)
    return np.char.add(
        letters[numbers % len(letters)], np.char.zfill(((numbers * 7919) % 10**12).astype(str), 12)
    ).astype(object)


def _oc2(rng, year, c, planted, spec):
    start, end = _year_start(year), _year_end(year)
    rows = np.flatnonzero((c.entry <= start) & (c.exit > end))  # looked after for the whole year
    age = _age(c.dob[rows], end)
    n = len(rows)
    # An SDQ score or the reason there is none for every child aged 4 to 17 at 31 March (turning 4 or
    # 17 in the year included: DfE rule 197B); SDQ1, "out of the age range", never applies to them.
    sdq_age = (age >= 4) & (age <= 17)
    has_score = sdq_age & (rng.random(n) < 0.8)
    mean = planted.at("ni58", np.full(n, year)) / 40.0
    p = rng.beta(mean * SDQ_CONCENTRATION, (1 - mean) * SDQ_CONCENTRATION)
    score = rng.binomial(40, p)
    older = age >= 10
    # Health items for every child; the health promotion (development) check only under 5 (rules 546, 547, 182).
    substance = np.where(older & (rng.random(n) < 0.06), "1", "0")
    flag = lambda share: np.where(rng.random(n) < share, "1", "0")  # noqa: E731
    received = np.where(substance == "1", flag(0.6), "")
    return _frame(
        spec["OC2"].column_names,
        {
            "CHILD": c.ids[rows],
            "DOB": _format_dates(c.dob[rows]),
            "SDQ_SCORE": np.where(has_score, score.astype(str), ""),
            "SDQ_REASON": np.where(
                sdq_age & ~has_score,
                _draw_codes(rng, ("SDQ2", "SDQ3", "SDQ4", "SDQ5"), (0.3, 0.3, 0.25, 0.15), n),
                "",
            ),
            "CONVICTED": np.where(older, np.where(rng.random(n) < 0.03, "1", "0"), ""),
            "HEALTH_CHECK": np.where(age < 5, flag(0.90), ""),
            "IMMUNISATIONS": flag(0.85),
            "TEETH_CHECK": flag(0.85),
            "HEALTH_ASSESSMENT": flag(0.89),
            "SUBSTANCE_MISUSE": substance,
            "INTERVENTION_RECEIVED": received,
            # whether one was offered is asked only of those who did not receive one (rule 158)
            "INTERVENTION_OFFERED": np.where(received == "0", flag(0.7), ""),
        },
    )


# Planted log-odds of being in education, employment or training at 19-21 by the last placement before leaving
# care (issue 15), against foster care; see _eet_with_last_placement.
OC3_EET_LAST_PLACEMENT_LOG_ODDS = {"foster": 0.0, "residential": -0.6, "independent": -0.3, "other": 0.0}


def _last_placement_groups(episodes: pd.DataFrame, n_children: int) -> np.ndarray:
    """Each child's last placement (temporary moves aside) grouped: foster, residential, independent, other.

    One array over the LA's children (index = child), worked out once per LA: every OC3 year reads from it.
    """
    lasting = episodes[~episodes["PLACE"].astype(str).str.startswith("T")]
    last = lasting.sort_values(["child", "DECOM"], kind="stable").groupby("child")["PLACE"].last()
    place = last.reindex(np.arange(n_children)).fillna("").astype(str).to_numpy()
    first = np.array([p[:1] for p in place])
    return np.select(
        [first == "U", np.isin(first, ["K", "R", "S"]) & (place != "R3"), np.isin(place, ["H5", "P2", "P3"])],
        ["foster", "residential", "independent"],
        "other",
    )


def _eet_with_last_placement(p: np.ndarray, group: np.ndarray) -> np.ndarray:
    """The planted EET share shifted on the log-odds scale by last placement, centred on these care leavers.

    Centring keeps the LA-year's share near its NI 148 target; differences between groups are the planted
    log-odds ratios.
    """
    shift = np.array([OC3_EET_LAST_PLACEMENT_LOG_ODDS[g] for g in group])
    if len(shift):
        shift = shift - shift.mean()
    logit = np.log(p) - np.log1p(-p) + shift
    return 1.0 / (1.0 + np.exp(-logit))


def _oc3(rng, year, c, planted, spec, schema_year, last_groups):
    _start, end = _year_start(year), _year_end(year)
    fourteenth = _anniversary(c.dob, 14)
    sixteenth = _anniversary(c.dob, 16)
    # former relevant children: 13+ weeks looked after after 14, some of it after 16
    eligible = ((c.exit - np.maximum(c.entry, fourteenth)) >= 91) & (c.exit > sixteenth)
    eligible &= ~np.isin(c.reason, ("E2",))
    age = _age(c.dob, end)
    rows = np.flatnonzero(eligible & np.isin(age, (19, 20, 21)) & (c.exit <= end))
    n = len(rows)
    died = rng.random(n) < DIED_SHARE
    in_touch = ~died & (rng.random(n) < planted.at("in_touch", np.full(n, year)))
    suitable = rng.random(n) < planted.at("suitable", np.full(n, year))
    eet = rng.random(n) < _eet_with_last_placement(planted.at("eet", np.full(n, year)), last_groups[rows])
    eet_codes = (
        ("F1", "P1", "F2", "P2", "F3", "P3") if schema_year < 2022 else ("F1", "P1", "F2", "P2", "F4", "P4", "F5", "P5")
    )
    eet_shares = (
        (0.10, 0.02, 0.25, 0.05, 0.45, 0.13) if schema_year < 2022 else (0.10, 0.02, 0.25, 0.05, 0.20, 0.08, 0.22, 0.08)
    )
    status = np.where(died, "DIED", np.where(in_touch, "YES", _draw_codes(rng, NOT_IN_TOUCH, NOT_IN_TOUCH_SHARES, n)))
    activity = np.where(
        eet, _draw_codes(rng, eet_codes, eet_shares, n), _draw_codes(rng, NEET_ACTIVITY, (0.2, 0.6, 0.2), n)
    )
    accommodation = np.where(
        suitable,
        _draw_codes(rng, SUITABLE_ACCOM, np.ones(len(SUITABLE_ACCOM)), n),
        _draw_codes(rng, UNSUITABLE_ACCOM, np.ones(len(UNSUITABLE_ACCOM)), n),
    )
    table = _frame(
        spec["OC3"].column_names,
        {
            "CHILD": c.ids[rows],
            "DOB": _format_dates(c.dob[rows]),
            "IN_TOUCH": status,
            "ACTIV": np.where(in_touch, activity, "0"),
            "ACCOM": np.where(in_touch, accommodation, "0"),
        },
    )
    return table, rows


def _ad1(rng, year, c, spec):
    start, end = _year_start(year), _year_end(year)
    rows = np.flatnonzero((c.route == ADOPT) & (c.exit >= start) & (c.exit <= end))
    n = len(rows)
    couple = rng.random(n) < 0.85
    couple_sex = _draw_codes(rng, ("MF", "FF", "MM"), (0.88, 0.06, 0.06), n)
    sex = np.where(couple, couple_sex, _draw_codes(rng, ("F1", "M1"), (0.9, 0.1), n))
    # L0 single adopter; L11 / L12 married or civil partners (opposite / same sex); L2 unmarried couple
    legal = np.where(
        couple,
        np.where(
            couple_sex == "MF",
            _draw_codes(rng, ("L11", "L2"), (0.8, 0.2), n),
            _draw_codes(rng, ("L12", "L2"), (0.6, 0.4), n),
        ),
        "L0",
    )
    decision, match = c.decision[rows], c.matched[rows]
    return _frame(
        spec["AD1"].column_names,
        {
            "CHILD": c.ids[rows],
            "DOB": _format_dates(c.dob[rows]),
            "DATE_INT": _format_dates(decision),
            "DATE_MATCH": _format_dates(match),
            "FOSTER_CARE": np.where(c.adopter_is_carer[rows], "1", "0"),
            "NB_ADOPTR": np.where(couple, "2", "1"),
            "SEX_ADOPTR": sex,
            "LS_ADOPTR": legal,
        },
    )


def _placed_adoption(year, c, spec):
    start, end = _year_start(year), _year_end(year)
    has_decision = (c.decision != NO_DATE) & (c.decision <= end) & (c.entry <= end) & (c.exit >= start)
    still_relevant = (c.decision_ceased == NO_DATE) | (c.decision_ceased >= start)
    rows = np.flatnonzero(has_decision & still_relevant)
    ceased_known = (c.decision_ceased[rows] != NO_DATE) & (c.decision_ceased[rows] <= end)
    return _frame(
        spec["PlacedAdoption"].column_names,
        {
            "CHILD": c.ids[rows],
            "DOB": _format_dates(c.dob[rows]),
            "DATE_PLACED": _format_dates(c.decision[rows]),
            "DATE_PLACED_CEASED": _format_dates(np.where(ceased_known, c.decision_ceased[rows], NO_DATE)),
            "REASON_PLACED_CEASED": np.where(ceased_known, c.decision_ceased_reason[rows], ""),
        },
    )


def _prev_perm(rng, year, c, spec, other_las):
    start, end = _year_start(year), _year_end(year)
    rows = np.flatnonzero((c.entry >= start) & (c.entry <= end))
    n = len(rows)
    code = _draw_codes(rng, ("Z1", "P1", "P2", "P3", "P4"), (0.93, 0.02, 0.03, 0.01, 0.01), n)
    had_order = code != "Z1"
    order_day = c.dob[rows] + ((c.entry[rows] - c.dob[rows]) * rng.uniform(0.1, 0.9, n)).astype(np.int64)
    la_perm = np.asarray(PREVIOUS_PERMANENCE_LAS, dtype=object)[rng.integers(0, len(PREVIOUS_PERMANENCE_LAS), n)]
    return _frame(
        spec["PrevPerm"].column_names,
        {
            "CHILD": c.ids[rows],
            "DOB": _format_dates(c.dob[rows]),
            "PREV_PERM": code,
            "LA_PERM": np.where(had_order, la_perm, ""),
            "DATE_PERM": _format_dates(np.where(had_order, order_day, NO_DATE)),
        },
    )


# Missing or away from placement: periods a year by age at the period's start (13+, 10-12, younger);
# each lasts a geometric number of days (mean 2); 70% missing (M), the rest away without authorisation (A).
MISSING_RATE_BY_AGE = ((13, 0.6), (10, 0.15), (0, 0.02))
MISSING_SHARE_MISSING = 0.7


@dataclass
class _MissingPeriods:
    """Every missing or away period of one LA's children, in order of child and start."""

    child: np.ndarray
    begin: np.ndarray
    finish: np.ndarray  # may lie beyond the returns: open at the last 31 March
    kind: np.ndarray  # M or A


def _missing_periods(rng, episodes: dict[str, np.ndarray], c: _Children, horizon_end: int) -> _MissingPeriods:
    """Periods drawn once per LA within the episodes, so that each year's return agrees with the last.

    A period starts after the first day of a placement and ends before the placement does (rules 575,
    577, 580: no period is left open when the placement or the care ends), periods of a child never
    overlap (574), and one open at 31 March is the same period, same start, in the next return (576).
    """
    decom, dec, child = episodes["DECOM"], episodes["DEC"], episodes["child"]
    stop = np.where(dec == NO_DATE, horizon_end + 366, dec)  # an open placement runs on past the returns
    days = np.maximum(stop - decom - 1, 0)  # the days after the first and before the last
    top_rate = MISSING_RATE_BY_AGE[0][1]
    # a Poisson process at the highest rate, each period then kept with its age's share of that rate
    count = rng.poisson(top_rate * days / 365.25)
    row = np.repeat(np.arange(len(decom)), count)
    begin = decom[row] + 1 + (rng.random(len(row)) * days[row]).astype(np.int64)
    age = _age(c.dob[child[row]], begin)
    rate = np.select([age >= low for low, _ in MISSING_RATE_BY_AGE], [r for _, r in MISSING_RATE_BY_AGE], 0.0)
    kept = rng.random(len(row)) < rate / top_rate
    row, begin = row[kept], begin[kept]
    finish = np.minimum(begin + rng.geometric(0.5, len(row)) - 1, stop[row] - 1)
    who = child[row]
    order = np.lexsort((begin, who))
    who, begin, finish = who[order], begin[order], finish[order]
    # a period starting before an earlier one of the child has ended is not drawn
    latest_end = pd.Series(finish).groupby(who).cummax().groupby(who).shift(1).to_numpy()
    apart = ~(begin <= latest_end)  # NaN (the child's first period) compares False
    kind = np.where(rng.random(len(who)) < MISSING_SHARE_MISSING, "M", "A").astype(object)
    return _MissingPeriods(who[apart], begin[apart], finish[apart], kind[apart])


def _missing(year: int, c: _Children, periods: _MissingPeriods, spec):
    """The periods under way at any time in the year; an end after 31 March is not yet known."""
    start, end = _year_start(year), _year_end(year)
    rows = np.flatnonzero((periods.begin <= end) & (periods.finish >= start))
    child = periods.child[rows]
    return _frame(
        spec["Missing"].column_names,
        {
            "CHILD": c.ids[child],
            "DOB": _format_dates(c.dob[child]),
            "MISSING": periods.kind[rows],
            "MIS_START": _format_dates(periods.begin[rows]),
            "MIS_END": _format_dates(np.where(periods.finish[rows] <= end, periods.finish[rows], NO_DATE)),
        },
    )


def _reviews(rng, year, c, reviews, spec):
    start, end = _year_start(year), _year_end(year)
    child, day = reviews
    in_year = (day >= start) & (day <= end)
    child, day = child[in_year], day[in_year]
    age = _age(c.dob[child], day)
    code = np.where(age < 4, "PN0", _draw_codes(rng, REVIEW_CODES, REVIEW_CODE_SHARES, len(child)))
    return _frame(
        spec["Reviews"].column_names,
        {"CHILD": c.ids[child], "DOB": _format_dates(c.dob[child]), "REVIEW": _format_dates(day), "REVIEW_CODE": code},
    )


# Social workers (the SocialWorker table, from the 2023-24 collection): one allocation at the start
# of each period of care, then changes as a Poisson process.  The rate and the reasons are assumed
# (the DfE publishes no national figure for children looked after); a caseload sizes each LA's pool.
SOCIAL_WORKER_CHANGES_PER_YEAR = 0.9
SOCIAL_WORKER_CASELOAD = 15
SOCIAL_WORKER_REASONS = ("LEFTRL", "MANAGE", "TSPROC", "ORGRST", "ABSENC", "CHCHAN", "FCONTA", "PCCHAN", "OTHERS")
SOCIAL_WORKER_REASON_SHARES = (0.36, 0.2, 0.2, 0.06, 0.06, 0.06, 0.02, 0.02, 0.02)


@dataclass
class _SocialWorkers:
    """Every allocation of a social worker to a period of care (rows of ``_Children``), in time order."""

    period: np.ndarray
    start: np.ndarray
    end: np.ndarray  # the next allocation's start, or the end of the period (may lie beyond the returns)
    worker: np.ndarray
    reason: np.ndarray  # why the worker changed (TSPROC for a period's first allocation)


def _social_workers(rng, c: _Children, first_year: int, horizon_end: int, la_number: int, stock_target: float):
    """Allocations for the periods of care open on or after 1 April of ``first_year``, over the whole period.

    Drawn once per LA so that a child's worker and start date agree from one year's return to the next.
    """
    periods = np.flatnonzero((c.exit >= _year_start(first_year)) & (c.entry <= horizon_end))
    stop = np.minimum(c.exit[periods], horizon_end)
    days = stop - c.entry[periods]
    changes = rng.poisson(SOCIAL_WORKER_CHANGES_PER_YEAR * np.maximum(days, 0) / 365.25)
    changes = np.minimum(changes, np.maximum(days - 1, 0))  # at most one change a day
    change_days = _distinct_days(rng, c.entry[periods] + 1, np.maximum(days - 1, 0), int(changes.max(initial=0)))
    starts = np.column_stack([c.entry[periods], change_days])
    starts = np.where(np.arange(starts.shape[1]) <= changes[:, None], starts, NO_DATE)
    starts.sort(axis=1)  # NO_DATE (most negative) first, then the days in order
    keep = starts != NO_DATE
    period = np.repeat(periods, keep.sum(axis=1))
    start = starts[keep]
    first = np.r_[True, period[1:] != period[:-1]]
    last = np.r_[period[1:] != period[:-1], True]
    end = np.where(last, c.exit[period], np.r_[start[1:], NO_DATE])
    pool = max(3, int(round(stock_target / SOCIAL_WORKER_CASELOAD)))
    # the first worker is any in the pool; each change moves 1 to pool-1 places on, so to another worker
    step = np.where(first, rng.integers(0, pool, len(start)), rng.integers(1, pool, len(start)))
    total = np.cumsum(step)
    first_rows = np.flatnonzero(first)
    before = np.repeat(total[first_rows] - step[first_rows], np.diff(np.r_[first_rows, len(start)]))
    worker = (total - before) % pool
    ids = np.array([f"SW{la_number:03d}{k:04d}" for k in range(pool)], dtype=object)
    # The DfE's 2023-24 rules want a reason on every allocation reported (SW03, SW13): a child's first
    # worker in care comes by transfer from the assessment team (TSPROC).
    changed = _draw_codes(rng, SOCIAL_WORKER_REASONS, SOCIAL_WORKER_REASON_SHARES, len(start))
    reason = np.where(first, "TSPROC", changed)
    return _SocialWorkers(period, start, end, ids[worker], reason)


def _social_worker_table(year: int, c: _Children, workers: _SocialWorkers, spec) -> dict[str, np.ndarray]:
    """The allocations open at any time in the year; an end after 31 March is not yet known."""
    start, end = _year_start(year), _year_end(year)
    rows = np.flatnonzero((workers.start <= end) & (workers.end >= start))
    child = workers.period[rows]
    ended = workers.end[rows] <= end
    return _frame(
        spec["SocialWorker"].column_names,
        {
            "CHILD": c.ids[child],
            "DOB": _format_dates(c.dob[child]),
            "SW_ID": workers.worker[rows],
            "SW_DECOM": _format_dates(workers.start[rows]),
            "SW_DEC": _format_dates(np.where(ended, workers.end[rows], NO_DATE)),
            "SW_REASON": workers.reason[rows],
        },
    )


# --------------------------------------------------------------------------- public


def _file_name(style: int, year: int, table: str) -> str:
    return FILE_NAME_STYLES[style].format(year=year, table=table, table_lower=table.lower())


def _postcode_prefix(name: str) -> str:
    letters = [ch for ch in name.upper() if ch.isalpha()]
    return "".join(letters[:2])


def _la_sizes(seed: int) -> np.ndarray:
    """Each authority's share of England's looked-after children (sums to 1), in LOCAL_AUTHORITIES order.

    Drawn (log-normal, so the largest are some 40 times the smallest, as in the DfE's tables), not
    the authorities' published counts, which the project does not carry; the Isles of Scilly is
    kept as small as it is.
    """
    weights = np.exp(np.random.default_rng([seed, 10**6]).normal(0.0, 0.55, len(LOCAL_AUTHORITIES)))
    weights[[code for code, _ in LOCAL_AUTHORITIES].index("E06000053")] = 0.02
    return weights / weights.sum()


def _resolve_scale(n_las: int | str, children_per_la: int | str) -> int:
    """The number of authorities to write; a value the generator cannot take is one clear error."""
    if children_per_la != "national" and (
        isinstance(children_per_la, bool) or not isinstance(children_per_la, int) or children_per_la < 1
    ):
        raise ValueError(f'children_per_la must be "national" or a positive whole number, not {children_per_la!r}')
    if n_las == "all":
        return len(LOCAL_AUTHORITIES)
    if isinstance(n_las, bool) or not isinstance(n_las, int) or not 1 <= n_las <= len(LOCAL_AUTHORITIES):
        raise ValueError(f'n_las must be "all" or a whole number from 1 to {len(LOCAL_AUTHORITIES)}, not {n_las!r}')
    return n_las


def write_synthetic_returns(
    out_dir: Path, *, seed: int, years: list[int], n_las: int | str = "all", children_per_la: int | str = "national"
) -> dict:
    """Write synthetic SSDA903 returns and return the planted truth (``_write_returns``, without the text tables)."""
    return _write_returns(out_dir, seed=seed, years=years, n_las=n_las, children_per_la=children_per_la)[0]


def _write_returns(
    out_dir: Path, *, seed: int, years: list[int], n_las: int | str = "all", children_per_la: int | str = "national"
) -> tuple[dict, dict[str, pd.DataFrame]]:
    """Write synthetic SSDA903 returns; return the planted truth and the Header and Episodes text as written.

    Layout: ``out_dir/<LA code>/<file per table per year>``; each LA exports
    with one of three naming styles (``SSDA903_2019_Episodes.csv``,
    ``2019-episodes.csv``, ``episodes_2019.csv``) as real exporters differ.

    Scale: ``n_las="all"`` writes every English authority that submits the
    903; a number draws that many.  ``children_per_la="national"`` sizes
    each authority to its share of England's published count looked after
    at 31 March (ENGLAND_LOOKED_AFTER), which it follows year by year; a
    number is the target looked after at 31 March of the last collection
    year in an average-sized authority (tests), on the same path scaled.

    Returns ``{"generator": {...}, "local_authorities": [...], "indicators": [...], "files": [...]}``:
    ``indicators`` holds one record per LA, year and indicator with the
    planted value and whether it is a target probability/mean or a realised count.

    The text tables (every LA and year, with ``LA`` and ``YEAR`` columns) are
    what the linked pupil table is drawn from, so the generator needs no reader.
    """
    out_dir = Path(out_dir)
    years = sorted(int(y) for y in dict.fromkeys(years))
    if not years:
        raise ValueError("years must not be empty")
    n_las = _resolve_scale(n_las, children_per_la)
    if n_las == len(LOCAL_AUTHORITIES):
        chosen = np.arange(n_las)
    else:
        selection_rng = np.random.default_rng([seed, 0])
        chosen = np.sort(selection_rng.choice(len(LOCAL_AUTHORITIES), size=n_las, replace=False))
    las = [LOCAL_AUTHORITIES[i] for i in chosen]
    shares = _la_sizes(seed)[chosen]
    if children_per_la == "national":
        stock_targets = _stock_path([years[-1]])[0] * shares
    else:
        stock_targets = children_per_la * shares / shares.mean()
    sim_years = list(range(years[0] - BURN_IN_YEARS, years[-1] + 1))
    horizon_end = _year_end(years[-1])

    la_records, indicator_records, short_break_records, reentry_records, files = [], [], [], [], []
    social_years = [year for year in years if "SocialWorker" in tables_for_year(year)]
    adoption_effects, move_multipliers = {}, {}
    written = {table: [] for table in LINKED_TABLES}
    open_per_entry = _open_periods_per_entry()
    for position, (code, name) in enumerate(las, start=1):
        rng = np.random.default_rng([seed, position])
        effects = {
            key: float(rng.normal()) for key in ("stability", "adoption", "sdq", "reviews", "leavers", "with_parents")
        }
        planted = _plant(rng, sim_years, effects)
        # the adoption stages on streams of their own: LA effects and first periods, then re-entries
        timing_rng = np.random.default_rng([seed, position, 4])
        _plant_adoption(timing_rng, planted, effects["adoption"])
        stock_target = float(stock_targets[position - 1])
        children = _simulate_children(rng, timing_rng, planted, sim_years, stock_target, open_per_entry)
        children = _with_reentries(
            np.random.default_rng([seed, position, 3]),
            np.random.default_rng([seed, position, 5]),
            children,
            planted,
            sim_years,
        )
        children = _in_reach_of_returns(children, years[0])
        # the moves and placement types on a stream of their own
        moves = _draw_moves(np.random.default_rng([seed, position, 7]), children, planted, horizon_end)
        episodes = _simulate_episodes(rng, children, moves, horizon_end, _postcode_prefix(name))
        # a stream of their own, so adding temporary placements leaves every other draw as it was
        temporary_rng = np.random.default_rng([seed, position, 1])
        episodes = _temporary_placements(temporary_rng, episodes, horizon_end, _postcode_prefix(name))
        short_breaks = _simulate_short_breaks(
            np.random.default_rng([seed, position, 2]), sim_years, horizon_end, stock_target, children.ids
        )
        reviews = _review_days(rng, children, planted, horizon_end)
        # NI 61's planted value for the children adopted in each collection year written
        adopted_in_returns = np.flatnonzero(
            (children.route == ADOPT) & (children.exit >= _year_start(years[0])) & (children.exit <= horizon_end)
        )
        timely = pd.Series(_timely_given_journey(children, planted, adopted_in_returns), index=adopted_in_returns)
        # the missing periods on a stream of their own
        la_arrays = _LaArrays.of(episodes, children, np.random.default_rng([seed, position, 8]), horizon_end)
        other_las = [c for c, _ in LOCAL_AUTHORITIES if c != code]
        style = (position - 1) % len(FILE_NAME_STYLES)
        la_dir = out_dir / code
        la_dir.mkdir(parents=True, exist_ok=True)
        if social_years:  # a stream of their own: the other tables are drawn as before
            workers_rng = np.random.default_rng([seed, position, 6])
            workers = _social_workers(
                workers_rng, children, social_years[0], horizon_end, int(chosen[position - 1]) + 1, stock_target
            )
        for year in years:
            tables = _year_tables(rng, year, children, la_arrays, reviews, planted, other_las, short_breaks)
            if year in social_years:
                tables["SocialWorker"] = _social_worker_table(year, children, workers, tables_for_year(year))
            for table, frame in tables.items():
                path = la_dir / _file_name(style, year, table)
                _write_csv(path, frame)
                files.append(path.relative_to(out_dir).as_posix())
                if table in written:
                    written[table].append(({column: frame[column] for column in LINKED_TABLES[table]}, code, year))
            indicator_records.extend(_truth_records(code, year, children, moves, planted, timely))
            breaks = short_breaks.episodes
            had_break = breaks["child"][(breaks["DECOM"] <= _year_end(year)) & (breaks["DEC"] >= _year_start(year))]
            short_break_records.append({"LA": code, "YEAR": year, "children": len(np.unique(had_break))})
            # children starting a new period in the year whose earlier period ended within the returns written
            back = (
                (children.entry >= _year_start(year))
                & (children.entry <= _year_end(year))
                & (children.previous_exit >= _year_start(years[0]))
            )
            reentry_records.append({"LA": code, "YEAR": year, "children": int(back.sum())})
        la_records.append(
            {
                "code": code,
                "name": name,
                "stock_target": round(stock_target, 3),
                **{f"effect_{k}": round(v, 6) for k, v in effects.items()},
            }
        )
        adoption_effects[code] = planted.adoption_la_effect
        move_multipliers[code] = {year: round(float(planted.at("move_multiplier", year)), 6) for year in years}

    truth = {
        "generator": {
            "module": __name__,
            "seed": int(seed),
            "years": years,
            "n_las": int(n_las),
            "children_per_la": children_per_la if children_per_la == "national" else int(children_per_la),
            "burn_in_years": BURN_IN_YEARS,
            "temporary_placement_share": TEMPORARY_SHARE,
            "temporary_placement_min_episode_days": TEMPORARY_MIN_EPISODE_DAYS,
            "short_break_share": SHORT_BREAK_SHARE,
            "reentry_share": REENTRY_SHARE,
            # England's number looked after at 31 March that each authority follows, scaled to its stock_target
            "looked_after_31_march_path": {
                int(y): round(float(v), 1) for y, v in zip(years, _stock_path(years), strict=True)
            },
            "social_worker_changes_per_year": SOCIAL_WORKER_CHANGES_PER_YEAR,
        },
        "adoption": _adoption_truth(adoption_effects),
        "stability": _stability_truth(move_multipliers),
        "local_authorities": la_records,
        "indicators": indicator_records,
        "leaving_care": {
            "eet_log_odds_by_last_placement": dict(OC3_EET_LAST_PLACEMENT_LOG_ODDS),
            "reference": "foster",
            "groups": "foster U*; residential K*, R* (not R3), S1; independent H5, P2, P3; other the rest",
            "per_year_looked_after": 0.0,
        },
        # children with at least one short break (V3/V4) in the year: realised, outside every indicator
        "short_breaks": short_break_records,
        # children starting a second period of care in the year, the first having ended within the returns: realised
        "reentries": reentry_records,
        "files": sorted(files),
    }
    return truth, {table: _stacked(parts, LINKED_TABLES[table]) for table, parts in written.items()}


def _stacked(parts: list[tuple[dict, str, int]], columns: list[str]) -> pd.DataFrame:
    """One frame of the text columns written for every LA and year, with ``LA`` and ``YEAR``: built once."""
    lengths = [len(next(iter(columns_written.values()))) for columns_written, _, _ in parts]
    frame = {column: np.concatenate([part[column] for part, _, _ in parts]) for column in columns}
    frame["LA"] = np.repeat(np.array([code for _, code, _ in parts], dtype=object), lengths)
    frame["YEAR"] = np.repeat(np.array([year for _, _, year in parts], dtype=np.int64), lengths)
    return pd.DataFrame(frame)


def _adoption_truth(la_effects: dict[str, dict[str, float]]) -> dict:
    """The planted adoption stages for truth.yaml: the model, its parameters and each LA's reference median."""
    return {
        "model": (
            "stage k runs from the previous milestone (decision: from entering care) to milestone k; its duration "
            "T_k in years has cumulative hazard log(2) * (t / median_years) ** shape * exp(eta_k), eta_k = "
            "log_hr_age_per_year * (age_at_entry - age_centre) + log_hr_male * male + la_effect[k][LA]; "
            "durations are rounded to whole days, at least one"
        ),
        "stages": {stage: {"span": ADOPTION_STAGE_SPANS[stage], **spec} for stage, spec in ADOPTION_STAGES.items()},
        "age_centre": ADOPTION_AGE_CENTRE,
        "age_at_entry": "exact years at the start of the period of care (days / 365.25)",
        "reference": "age at entry 5, female",
        "la_effect": {s: {la: round(e[s], 6) for la, e in la_effects.items()} for s in ADOPTION_STAGES},
        "reference_median_years_by_la": {
            s: {
                la: round(spec["median_years"] * float(np.exp(-e[s] / spec["shape"])), 6)
                for la, e in la_effects.items()
            }
            for s, spec in ADOPTION_STAGES.items()
        },
        "ni61": (
            "NI 61's planted value for an LA-year is the mean over the children adopted in it of P(matched + placed "
            "stages <= 12 months | the child's entry date and that the order fell in that collection year)"
        ),
    }


def _stability_truth(move_multipliers: dict[str, dict[int, float]]) -> dict:
    """The planted move rates for truth.yaml: the model, the rates and ratios, each LA-year's multiplier."""
    return {
        "model": (
            "a child in care moves placement on each day with probability rate / 365.25, rate = "
            "moves_per_year[group of the current placement] * new_placement_ratio (while the placement is in its "
            "first new_placement_days) * history_ratio[moves already made in the period of care] * "
            "multiplier[LA][collection year of the day]; at risk from the day after entering care to the day "
            "before leaving or moving in with adopters (no move); temporary placements and returns to the same "
            "carer are no moves"
        ),
        "groups": {group: list(codes) for group, codes in MOVE_GROUPS.items()},
        "moves_per_year": dict(MOVE_RATES),
        "reference": "foster_other",
        "history_ratio": dict(MOVE_HISTORY_RATIOS),
        "new_placement_ratio": MOVE_NEW_PLACEMENT_RATIO,
        "new_placement_days": MOVE_NEW_PLACEMENT_DAYS,
        "la_multiplier": f"exp({MOVE_LA_EFFECT_SCALE} * effect_stability + normal(0, {MOVE_YEAR_SD}) per year)",
        "multiplier": move_multipliers,
        "ni62_ni63": (
            "NI 62 and NI 63's planted values are the means over each LA-year's cohort of the probabilities these "
            "rates give each child, given the placement held at the start of the window (its group, the day it "
            "began, the moves before it), the days at risk and the age bands the next placement's type is drawn in"
        ),
    }


PLANTED_KINDS = {
    "CLA_31MAR": "realised",
    "STARTED": "realised",
    "CEASED": "realised",
    "P1_31MAR": "target",
    "NI58": "target",
    "NI61": "target",
    "NI62": "target",
    "NI63": "target",
    "NI66": "target",
    "NI147": "target",
    "NI148": "target",
}


def _truth_records(la: str, year: int, c: _Children, moves: _Moves, planted: _Planted, timely: pd.Series) -> list[dict]:
    """The LA-year's planted indicator values; ``timely``: each adopted child's NI 61 probability, by row."""
    start, end = _year_start(year), _year_end(year)
    adopted = timely[(c.exit[timely.index] >= start) & (c.exit[timely.index] <= end)]
    values = {
        "CLA_31MAR": int(((c.entry <= end) & (c.exit > end)).sum()),
        "STARTED": int(((c.entry >= start) & (c.entry <= end)).sum()),
        "CEASED": int(((c.exit >= start) & (c.exit <= end)).sum()),
        "P1_31MAR": planted.at("with_parents", year),
        "NI58": planted.at("ni58", year),
        # the mean over the children adopted in the year (the LA's own probability when there are none)
        "NI61": adopted.mean() if len(adopted) else planted.at("ni61", year),
        "NI62": _planted_ni62(c, moves, planted, year),
        "NI63": _planted_ni63(c, moves, planted, year),
        "NI66": planted.at("ni66", year),
        "NI147": planted.at("in_touch", year) * planted.at("suitable", year),
        "NI148": planted.at("in_touch", year) * planted.at("eet", year),
    }
    return [
        {
            "LA": la,
            "YEAR": int(year),
            "indicator": key,
            "kind": PLANTED_KINDS[key],
            "planted": value if isinstance(value, int) else round(float(value), 6),
        }
        for key, value in values.items()
    ]


def simulate_england(
    out_dir: Path, *, seed: int, years: list[int], n_las: int | str = "all", children_per_la: int | str = "national"
) -> dict:
    """The pipeline's ``simulate_england`` step: synthetic returns under ``out_dir`` and ``out_dir/truth.yaml``.

    The returns are written to a staging folder beside ``out_dir`` and swapped
    in whole, so ``out_dir`` never mixes LA folders of an earlier run (with
    other settings) with this one's, and ``truth.yaml`` -- the step's declared
    output, listing every file -- appears only once every file is complete.
    """
    import shutil

    from lac_outcomes.io import truth_yaml, write_text

    out_dir = Path(out_dir)
    staging = out_dir.parent / f".{out_dir.name}.staging"
    previous = out_dir.parent / f".{out_dir.name}.previous"
    for leftover in (staging, previous):
        shutil.rmtree(leftover, ignore_errors=True)
    truth, text_tables = _write_returns(staging, seed=seed, years=years, n_las=n_las, children_per_la=children_per_la)
    if out_dir.exists():
        out_dir.rename(previous)
    staging.rename(out_dir)
    shutil.rmtree(previous, ignore_errors=True)
    # The linked pupil table (issue 17), before truth.yaml, which marks the returns complete and lists every file.
    truth["files"] = sorted(truth["files"] + simulate_education(out_dir, text_tables, seed=seed, years=years)["files"])
    # the planted indicator values (one record per LA, year and indicator) as a CSV block: read_truth reads it back
    write_text(out_dir / "truth.yaml", truth_yaml(truth, tables=("indicators",)))
    return truth
