"""Care Matters national indicators and headline counts from SSDA903 returns: one registry.

Each indicator is one function of a :class:`YearData` (one collection year's
rows, every LA loaded for it), registered with its name, labels, kind
(count, proportion or mean), definition and the tables it needs.  The
report, the results file and ``docs/england_indicators.md`` read the
registry (:data:`REGISTRY`); :func:`compute_indicators` runs every function
for every collection year.

Which rows make a year's figures (``history``):

* ``"submitted"`` (the default, as the DfE publishes): figures for collection
  year Y come from year Y's return, the rows with ``YEAR == Y``.  Where an
  indicator looks back before the year (NI 63's 2.5 years, NI 66's previous
  review, NI 61's adoption decision, a period of care begun years ago),
  earlier returns fill in only what year Y's return does not hold: episodes
  that ended before 1 April of year Y, reviews held before the year, a decision
  or date of birth the year's rows lack.  Later returns are never used, so
  loading another year changes no earlier year's figures.
* ``"merged"``: every loaded return is merged into one history per child (an
  episode repeated in several returns is taken from the latest, which knows
  its end) and every year is computed from it.  For longitudinal analyses of
  whole care histories: an episode closed in a later return closes in every
  year, and a child whose episode was left open in one return and who is
  absent from the next stays looked after in the merged history (the
  cross-return checks count such children).

Output: one row per LA, collection year and indicator with ``numerator``,
``denominator``, ``value`` (a proportion 0-1, a mean, or a count), ``sd`` (the
spread of NI 58's scores, for funnel limits), ``status`` (``""``, or ``"x"``
where a table the indicator needs is absent from that LA-year's return) and
``reason``, and ``history_complete`` (False where the indicator looks back to
earlier returns that were not loaded; the value is still computed from what
is there).  An unavailable value is never shown as 0.  No disclosure control
here (the reports apply it).

Children looked after under an agreed series of short-term breaks (legal
status V3/V4) are excluded from every indicator: their episodes are removed
before anything is counted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lac_outcomes.england.layout import (
    ADOPTION_PLACEMENTS,
    ADOPTION_REASONS,
    CONTINUING_REASON,
    OC3_ACTIVITY_EET_PREFIXES,
    RNE_NEW_PLACEMENT,
    SHORT_BREAK_LEGAL_STATUS,
    TEMPORARY_PLACEMENTS,
    collection_year_bounds,
)

HISTORY_MODES = ("submitted", "merged")
KINDS = ("count", "proportion", "mean")
STATUS_UNAVAILABLE = "x"  # Government Statistical Service symbol: unavailable
OUTPUT_COLUMNS = [
    "LA",
    "YEAR",
    "indicator",
    "numerator",
    "denominator",
    "value",
    "sd",
    "status",
    "reason",
    "history_complete",
]


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class Indicator:
    """One registered indicator.

    ``needs`` lists the tables it is computed from; an entry that is a tuple is
    a set of alternatives (any one present suffices).  ``look_back`` is the
    number of earlier collection years it needs for a complete history.
    ``compute`` returns, per LA, ``numerator`` and (for proportions and means)
    ``denominator``, and optionally ``sd``.
    """

    name: str
    label: str
    short_label: str
    kind: str
    definition: str
    needs: tuple[str | tuple[str, ...], ...]
    compute: Callable[[YearData], pd.DataFrame]
    look_back: int = 0

    def needs_text(self) -> str:
        return ", ".join(" or ".join(need) if isinstance(need, tuple) else need for need in self.needs)

    def missing_tables(self, present: set[str]) -> list[str]:
        """The needs not met by the tables ``present`` (alternatives joined by 'or')."""
        missing = []
        for need in self.needs:
            options = need if isinstance(need, tuple) else (need,)
            if not any(option in present for option in options):
                missing.append(" or ".join(options))
        return missing


REGISTRY: dict[str, Indicator] = {}


def indicator(*, name, label, short_label, kind, needs, definition, look_back=0):
    """Register the decorated function as the indicator ``name``."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")

    def register(function):
        REGISTRY[name] = Indicator(
            name, label, short_label, kind, " ".join(definition.split()), tuple(needs), function, look_back
        )
        return function

    return register


# --------------------------------------------------------------------------- one collection year's data


@dataclass
class YearData:
    """What the indicator functions see for one collection year (every LA loaded for it).

    ``history``: episodes (short breaks removed) as of the year, one row per
    episode with its period of care (:func:`episode_history`); ``current``: one
    row per child looked after at 31 March.  ``dob``, ``decisions``: dates per
    (LA, CHILD); ``reviews``: reviews held up to the end of the year;
    ``oc2``, ``oc3``: the year's own rows.
    """

    year: int
    las: pd.Index
    history: pd.DataFrame
    dob: pd.Series
    decisions: pd.Series
    reviews: pd.DataFrame
    oc2: pd.DataFrame
    oc3: pd.DataFrame
    history_start: pd.Series  # first day of the first loaded year, per LA
    start: pd.Timestamp = field(init=False)
    end: pd.Timestamp = field(init=False)
    current: pd.DataFrame = field(init=False)

    def __post_init__(self):
        self.start, self.end = collection_year_bounds(self.year)
        self.current = at_31_march(self.history, self.end)


# --------------------------------------------------------------------------- helpers


def age_in_years(dob: pd.Series, at: pd.Timestamp | pd.Series) -> pd.Series:
    """Completed years of age on ``at`` (a 29 February birthday is reached on 1 March in other years)."""
    at_year = at.year if isinstance(at, pd.Timestamp) else at.dt.year
    at_md = at.month * 100 + at.day if isinstance(at, pd.Timestamp) else at.dt.month * 100 + at.dt.day
    before_birthday = at_md < dob.dt.month * 100 + dob.dt.day
    return (at_year - dob.dt.year - before_birthday.astype("int64")).astype("Int64")


def without_short_breaks(episodes: pd.DataFrame) -> pd.DataFrame:
    """Episodes other than short-term breaks (legal status V3/V4); a blanked legal status is kept."""
    return episodes.loc[~episodes["LS"].isin(SHORT_BREAK_LEGAL_STATUS)]


def _child_codes(frame: pd.DataFrame) -> np.ndarray:
    """An integer per (LA, CHILD), numbered in the order of LA then CHILD (as a sort by the two would put them)."""
    la = pd.factorize(frame["LA"], sort=True)[0].astype(np.int64)
    child = pd.factorize(frame["CHILD"], sort=True)[0].astype(np.int64)
    return la * (int(child.max(initial=0)) + 1) + child


def _sortable_days(dates: pd.Series) -> np.ndarray:
    """Dates as integers that sort as ``sort_values`` sorts them (a blank date last)."""
    values = dates.to_numpy(dtype="datetime64[ns]").view(np.int64)
    return np.where(pd.isna(dates).to_numpy(), np.iinfo(np.int64).max, values)


def latest_copies(episodes: pd.DataFrame) -> pd.DataFrame:
    """One row per LA, child and start date: the copy from the latest return that holds it.

    In the order of LA, child and start (sorted on integer codes: half the time of a sort by the text
    columns, measured on a national year).
    """
    child = _child_codes(episodes)
    start = _sortable_days(episodes["DECOM"])
    order = np.lexsort((episodes["YEAR"].to_numpy(dtype=np.int64), start, child))
    child, start = child[order], start[order]
    last_copy = np.ones(len(order), bool)
    last_copy[:-1] = (child[1:] != child[:-1]) | (start[1:] != start[:-1])
    return episodes.take(order[last_copy]).reset_index(drop=True)


def episodes_as_submitted(episodes: pd.DataFrame, year: int) -> pd.DataFrame:
    """Year ``year``'s own episodes, with earlier returns' episodes that ended before the year began.

    A return holds the episodes open at some time in its year; what ended
    before comes from the latest earlier return holding it.  An episode an
    earlier return left open but the year's return lacks is not taken (the
    year's return is the authority on who was looked after in it).
    """
    start, _ = collection_year_bounds(year)
    own = episodes["YEAR"] == year
    ended_before = (episodes["YEAR"] < year) & episodes["DEC"].notna() & (episodes["DEC"] < start)
    return episodes.loc[own | ended_before]


def episode_history(episodes: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct episode per LA and child, with its period of care.

    Where an episode appears in several of the given rows the latest return's
    copy wins.  A period of care (spell) starts at an episode with reason S, or
    wherever an episode does not follow straight on from the previous one (the
    previous ended that day with reason X1, or with a blank reason).  Adds
    ``spell``, ``spell_start``, ``spell_start_known`` (the spell's S episode is
    loaded), ``spell_end``, ``spell_reason`` (reason ceased), ``last_of_spell``,
    ``begins_placement`` and ``placement_start`` (start of the placement this
    episode belongs to).
    """
    history = latest_copies(episodes)
    by_child = history.groupby(_child_codes(history))
    previous_reason = by_child["REC"].shift(1)
    continues = (previous_reason == CONTINUING_REASON) | previous_reason.isna()
    follows_on = (by_child["DEC"].shift(1) == history["DECOM"]) & continues
    new_spell = (history["RNE"] == "S") | ~follows_on
    history["spell"] = new_spell.cumsum()
    spells = history.groupby("spell")
    history["spell_start"] = spells["DECOM"].transform("first")
    history["spell_start_known"] = spells["RNE"].transform("first") == "S"
    # taken from the spell's last episode itself (groupby "last" would skip an open episode's blank end)
    last_of_spell = history["spell"].ne(history["spell"].shift(-1))
    history["last_of_spell"] = last_of_spell
    history["spell_end"] = history["DEC"].where(last_of_spell).groupby(history["spell"]).transform("max")
    history["spell_reason"] = history["REC"].where(last_of_spell).groupby(history["spell"]).transform("first")

    temporary = history["PLACE"].isin(TEMPORARY_PLACEMENTS)
    # Coming back from a temporary placement to the carer of the last real placement (same PLACE,
    # URN and PL_POST) continues that placement rather than beginning a new one.
    carer = (
        history["PLACE"].astype(str)
        + "\x1f"
        + history["URN"].fillna("").astype(str)
        + "\x1f"
        + history["PL_POST"].fillna("").astype(str)
    )
    last_real_carer = carer.where(~temporary).groupby(history["spell"]).ffill().groupby(history["spell"]).shift(1)
    after_temporary = temporary.groupby(history["spell"]).shift(1, fill_value=False).astype(bool)
    returns_to_carer = after_temporary & (carer == last_real_carer) & ~new_spell
    begins_placement = (history["RNE"].isin(RNE_NEW_PLACEMENT) | new_spell) & ~temporary & ~returns_to_carer
    history["begins_placement"] = begins_placement
    placement_start = history["DECOM"].where(begins_placement)
    history["placement_start"] = placement_start.groupby(history["spell"]).ffill()
    return history


def at_31_march(history: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    open_at_end = (history["DECOM"] <= end) & (history["DEC"].isna() | (history["DEC"] > end))
    return history.loc[open_at_end].drop_duplicates(["LA", "CHILD"], keep="last")


def _per_la(numerator: pd.Series, denominator: pd.Series | None = None, sd: pd.Series | None = None) -> pd.DataFrame:
    parts = {"numerator": numerator}
    if denominator is not None:
        parts["denominator"] = denominator
    if sd is not None:
        parts["sd"] = sd
    return pd.DataFrame(parts)


def _children(frame: pd.DataFrame) -> pd.Series:
    return frame.drop_duplicates(["LA", "CHILD"]).groupby("LA").size()


def _lookup_dates(values: pd.Series, rows: pd.DataFrame) -> pd.Series:
    """Dates per (LA, CHILD) aligned to ``rows`` (NaT where the child has none)."""
    key = pd.MultiIndex.from_frame(rows[["LA", "CHILD"]])
    return pd.Series(pd.to_datetime(values.reindex(key).to_numpy()), index=rows.index)


# --------------------------------------------------------------------------- the indicators


@indicator(
    name="CLA_31MAR",
    label="Looked after at 31 March",
    short_label="Looked after at 31 March",
    kind="count",
    needs=("Episodes",),
    definition="""Children looked after at 31 March (an episode open at the end of 31 March),
    excluding children looked after under an agreed series of short-term breaks (V3/V4).""",
)
def cla_31mar(data: YearData) -> pd.DataFrame:
    return _per_la(data.current.groupby("LA").size())


@indicator(
    name="STARTED",
    label="Started to be looked after",
    short_label="Started to be looked after",
    kind="count",
    needs=("Episodes",),
    definition="""Children who started to be looked after during the year (an episode with reason for new
    episode S starting between 1 April and 31 March), excluding short-term breaks.""",
)
def started(data: YearData) -> pd.DataFrame:
    history = data.history
    starters = history.loc[(history["RNE"] == "S") & history["DECOM"].between(data.start, data.end)]
    return _per_la(_children(starters))


@indicator(
    name="CEASED",
    label="Ceased to be looked after",
    short_label="Ceased to be looked after",
    kind="count",
    needs=("Episodes",),
    definition="""Children who ceased to be looked after during the year (the last episode of a period of
    care ending between 1 April and 31 March with a reason other than X1; an episode whose reason was
    blanked as invalid ends care unless another episode starts that day), excluding short-term breaks.""",
)
def ceased(data: YearData) -> pd.DataFrame:
    history = data.history
    ends_care = history["last_of_spell"] & history["DEC"].notna() & (history["REC"] != CONTINUING_REASON).fillna(True)
    leavers = history.loc[ends_care & history["DEC"].between(data.start, data.end)]
    return _per_la(_children(leavers))


@indicator(
    name="P1_31MAR",
    label="Placed with parents at 31 March",
    short_label="Placed with parents at 31 March",
    kind="proportion",
    needs=("Episodes",),
    definition="""Share of children looked after at 31 March who were placed with their own parents or other
    persons with parental responsibility (placement P1).""",
)
def p1_31mar(data: YearData) -> pd.DataFrame:
    current = data.current
    return _per_la(current.loc[current["PLACE"] == "P1"].groupby("LA").size(), current.groupby("LA").size())


def _ni58_scored(current: pd.DataFrame, oc2: pd.DataFrame, year: int) -> pd.DataFrame:
    """OC2 rows in the NI 58 cohort: looked after throughout the year, aged 4 to 16 at 31 March, with a score."""
    start, end = collection_year_bounds(year)
    whole_year = current.loc[current["spell_start"] <= start, ["LA", "CHILD"]]
    scored = oc2.loc[(oc2["YEAR"] == year) & oc2["SDQ_SCORE"].notna()]
    scored = scored.merge(whole_year, on=["LA", "CHILD"], how="inner")
    sdq_age = age_in_years(scored["DOB"], end)
    return scored.loc[((sdq_age >= 4) & (sdq_age <= 16)).fillna(False).to_numpy()]


@indicator(
    name="NI58",
    label="NI 58 Emotional and behavioural health (mean SDQ score)",
    short_label="NI 58 Emotional and behavioural health",
    kind="mean",
    needs=("Episodes", "OC2"),
    definition="""NI 58 Emotional and behavioural health of children in care: the average Strengths and
    Difficulties Questionnaire (SDQ) total score (0-40, higher is worse) of children aged 4 to 16 at 31 March
    who had been looked after continuously for at least 12 months at 31 March (looked after throughout the
    collection year) and had a score recorded in the OC2 return.""",
)
def ni58(data: YearData) -> pd.DataFrame:
    scores = _ni58_scored(data.current, data.oc2, data.year).groupby("LA")["SDQ_SCORE"]
    spread = scores.agg(lambda v: float(v.astype("float64").std(ddof=1)) if len(v) > 1 else np.nan)
    return _per_la(scores.sum().astype("int64"), scores.size(), spread)


@indicator(
    name="NI61",
    label="NI 61 Timeliness of adoption placements",
    short_label="NI 61 Timeliness of adoption placements",
    kind="proportion",
    needs=("Episodes", ("AD1", "PlacedAdoption")),
    look_back=1,
    definition="""NI 61 Timeliness of placements of looked after children for adoption: of the children who
    ceased to be looked after during the year because they were adopted (E11, E12), the percentage who were
    placed for adoption within 12 months of the agency decision that they should be placed for adoption. The
    decision is DATE_INT in AD1 (DATE_PLACED in PlacedAdoption when the child has no AD1 record); the
    placement is the start of the first adoptive placement (A3-A6) in that period of care. Adopted children
    with no recorded decision or adoptive placement count in the denominator only. Unavailable (x) when the
    return has neither an AD1 nor a PlacedAdoption table.""",
)
def ni61(data: YearData) -> pd.DataFrame:
    history = data.history
    adopted = history.loc[history["DEC"].between(data.start, data.end) & history["REC"].isin(ADOPTION_REASONS)]
    adopted = adopted.drop_duplicates(["LA", "CHILD"], keep="last")
    adoptive = history.loc[history["PLACE"].isin(ADOPTION_PLACEMENTS) & history["begins_placement"]]
    first_adoptive = adoptive.groupby("spell")["DECOM"].min()
    placed_day = pd.Series(pd.to_datetime(first_adoptive.reindex(adopted["spell"]).to_numpy()), index=adopted.index)
    decided = _lookup_dates(data.decisions, adopted)
    timely = (placed_day <= decided + pd.DateOffset(months=12)).fillna(False)
    return _per_la(adopted.loc[timely.to_numpy()].groupby("LA").size(), adopted.groupby("LA").size())


def placements_in_year(history: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Number of placements each child had during the year, indexed by (LA, CHILD)."""
    in_year = (history["DECOM"] <= end) & (history["DEC"].isna() | (history["DEC"] >= start))
    overlapping = history.loc[in_year & ~history["PLACE"].isin(TEMPORARY_PLACEMENTS)]
    first_in_year = ~overlapping.duplicated(["LA", "CHILD"], keep="first")
    counted = overlapping["begins_placement"] | first_in_year
    return counted.groupby([overlapping["LA"], overlapping["CHILD"]]).sum()


@indicator(
    name="NI62",
    label="NI 62 Three or more placements in the year",
    short_label="NI 62 Three or more placements in the year",
    kind="proportion",
    needs=("Episodes",),
    definition="""NI 62 Stability of placements of looked after children, number of moves: the percentage of
    children looked after at 31 March who had three or more separate placements during the year. The
    placement in progress on 1 April (or at entry) counts as one; each later episode that began a new
    placement (reason S, P, T, B or U) counts as another; changes of legal status only (L) and temporary
    placements (T0-T4) do not, nor does coming back from a temporary placement to the same carer (same
    PLACE, URN and PL_POST), nor any short-term break (V3/V4).""",
)
def ni62(data: YearData) -> pd.DataFrame:
    current = data.current
    placements = placements_in_year(data.history, data.start, data.end)
    key = pd.MultiIndex.from_frame(current[["LA", "CHILD"]])
    moved = placements.reindex(key, fill_value=1).to_numpy() >= 3
    return _per_la(current.loc[moved].groupby("LA").size(), current.groupby("LA").size())


def _stable_long_term(current: pd.DataFrame, history: pd.DataFrame, end: pd.Timestamp) -> pd.Series:
    """NI 63 numerator test for each child in ``current`` (their episode open at 31 March)."""
    two_years_before = end - pd.DateOffset(years=2)
    same_placement = current["placement_start"] <= two_years_before
    # Adoption clause: the placement before the adoptive one started 2+ years before 31 March.
    placement_starts = history.loc[history["begins_placement"], ["spell", "DECOM"]]
    previous_start = placement_starts.groupby("spell")["DECOM"].shift(1)
    previous_by_start = pd.Series(
        previous_start.to_numpy(), index=pd.MultiIndex.from_frame(placement_starts[["spell", "DECOM"]])
    )
    key = pd.MultiIndex.from_arrays([current["spell"], current["placement_start"]])
    previous_placement = pd.Series(previous_by_start.reindex(key).to_numpy(), index=current.index)
    adoptive = current["PLACE"].isin(ADOPTION_PLACEMENTS)
    return same_placement | (adoptive & (previous_placement <= two_years_before))


@indicator(
    name="NI63",
    label="NI 63 Long-term placement stability",
    short_label="NI 63 Long-term placement stability",
    kind="proportion",
    needs=("Episodes", "Header"),
    look_back=2,
    definition="""NI 63 Stability of placements of looked after children, length of placement: of children
    under 16 at 31 March who had been looked after continuously for at least 2.5 years, the percentage who
    had been in the same placement for at least 2 years, or who were placed for adoption and whose adoptive
    placement together with the placement immediately before it lasted at least 2 years.""",
)
def ni63(data: YearData) -> pd.DataFrame:
    current, end = data.current, data.end
    ages = age_in_years(_lookup_dates(data.dob, current), end)
    long_term = current["spell_start"] <= end - pd.DateOffset(months=30)
    cohort = current.loc[(ages < 16).fillna(False).to_numpy() & long_term.to_numpy()]
    stable = _stable_long_term(cohort, data.history, end)
    return _per_la(cohort.loc[stable].groupby("LA").size(), cohort.groupby("LA").size())


def _reviews_on_time(
    denominator: pd.DataFrame, reviews: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, history_start: pd.Series
) -> np.ndarray:
    """Per child in ``denominator`` (one row each, spell columns present): were all reviews due in the year on time?"""
    spells = denominator[["LA", "CHILD", "spell", "spell_start", "spell_end", "spell_start_known"]].copy()
    spells["chain_known"] = spells["spell_start_known"] & (spells["spell_start"] >= spells["LA"].map(history_start))
    held = reviews.merge(spells, on=["LA", "CHILD"], how="inner")
    in_spell = (held["REVIEW"] >= held["spell_start"]) & (
        held["spell_end"].isna() | (held["REVIEW"] <= held["spell_end"])
    )
    held = held.loc[in_spell].sort_values(["spell", "REVIEW"], kind="stable")
    rank = held.groupby("spell").cumcount() + 1
    previous = held.groupby("spell")["REVIEW"].shift(1)
    chain_known = held["chain_known"]
    due = pd.Series(pd.NaT, index=held.index, dtype=held["REVIEW"].dtype)
    due = due.mask(chain_known & (rank == 1), held["spell_start"] + pd.Timedelta(days=28))
    due = due.mask(chain_known & (rank == 2), previous + pd.DateOffset(months=3))
    due = due.mask((chain_known & (rank >= 3)) | (~chain_known & (rank >= 2)), previous + pd.DateOffset(months=6))
    judged = pd.DataFrame({"spell": held["spell"], "due": due, "held": held["REVIEW"]})

    # the review due after the last one held: 3 months after a first review, otherwise 6
    last = held.groupby("spell").tail(1)
    after_first = (last["chain_known"] & (rank.loc[last.index] == 1)).to_numpy()
    pending_after_last = pd.DataFrame(
        {
            "spell": last["spell"],
            "due": np.where(
                after_first, last["REVIEW"] + pd.DateOffset(months=3), last["REVIEW"] + pd.DateOffset(months=6)
            ),
            "held": pd.NaT,
        }
    )
    no_reviews = spells.loc[~spells["spell"].isin(held["spell"]) & spells["chain_known"]]
    pending_first = pd.DataFrame(
        {"spell": no_reviews["spell"], "due": no_reviews["spell_start"] + pd.Timedelta(days=28), "held": pd.NaT}
    )
    all_due = pd.concat([judged, pending_after_last, pending_first], ignore_index=True)
    all_due["held"] = pd.to_datetime(all_due["held"])
    in_year = all_due.loc[all_due["due"].between(start, end)]
    late = in_year["held"].isna() | (in_year["held"] > in_year["due"])
    late_spells = set(in_year.loc[late, "spell"].tolist())
    # Whatever the chain (even one begun before the loaded data), a child looked after 6+ months
    # with no review in the last 6 months of the year had a review overdue at 31 March.
    six_months_before = end - pd.DateOffset(months=6)
    recent = held.loc[held["REVIEW"].between(six_months_before, end), "spell"]
    overdue = spells.loc[(spells["spell_start"] <= six_months_before) & ~spells["spell"].isin(recent), "spell"]
    late_spells |= set(overdue.tolist())
    return ~spells["spell"].isin(late_spells).to_numpy()


@indicator(
    name="NI66",
    label="NI 66 Reviews on time",
    short_label="NI 66 Reviews on time",
    kind="proportion",
    needs=("Episodes", "Reviews"),
    look_back=1,
    definition="""NI 66 Looked after children cases which were reviewed within required timescales: of
    children looked after at 31 March who had been looked after continuously for at least 4 weeks, the
    percentage whose reviews due during the year were all held on time. The first review is due within 28
    days (20 working days) of starting to be looked after, the second within 3 months of the first, and later
    ones within 6 months of the previous; a review due in the year but not held by 31 March counts as late,
    and so does a child looked after for 6 months or more with no review in the last 6 months before
    31 March.""",
)
def ni66(data: YearData) -> pd.DataFrame:
    settled = data.current.loc[data.current["spell_start"] <= data.end - pd.Timedelta(days=28)]
    if settled.empty:
        return _per_la(pd.Series(dtype="int64"), pd.Series(dtype="int64"))
    on_time = _reviews_on_time(settled, data.reviews, data.start, data.end, data.history_start)
    return _per_la(settled.loc[on_time].groupby("LA").size(), settled.groupby("LA").size())


def suitable_accommodation(accom: pd.Series) -> pd.Series:
    """NI 147's rule: an OC3 ACCOM code ending 1 is suitable (blank or 0, no information, is not)."""
    accommodation = accom.fillna("")
    return accommodation.str.len().eq(2) & accommodation.str.endswith("1")


def in_education_employment_training(activ: pd.Series) -> pd.Series:
    """NI 148's rule: an OC3 ACTIV code beginning F or P (full- or part-time) is EET."""
    return activ.str[0].isin(OC3_ACTIVITY_EET_PREFIXES)


def _care_leavers_19_to_21(data: YearData) -> pd.DataFrame:
    oc3 = data.oc3.loc[data.oc3["IN_TOUCH"] != "DIED"]
    age = age_in_years(oc3["DOB"], data.end)
    return oc3.loc[age.isin([19, 20, 21]).fillna(False).to_numpy()]


@indicator(
    name="NI147",
    label="NI 147 Care leavers in suitable accommodation",
    short_label="NI 147 Care leavers in suitable accommodation",
    kind="proportion",
    needs=("OC3",),
    definition="""NI 147 Care leavers in suitable accommodation: of former relevant care leavers in the OC3
    return who turned 19, 20 or 21 during the year (excluding those who died), the percentage in
    accommodation recorded as suitable (ACCOM code ending 1). Those the LA was not in touch with count in
    the denominator only.""",
)
def ni147(data: YearData) -> pd.DataFrame:
    leavers = _care_leavers_19_to_21(data)
    suitable = suitable_accommodation(leavers["ACCOM"])
    return _per_la(leavers.loc[suitable].groupby("LA").size(), leavers.groupby("LA").size())


@indicator(
    name="NI148",
    label="NI 148 Care leavers in education, employment or training",
    short_label="NI 148 Care leavers in education, employment or training",
    kind="proportion",
    needs=("OC3",),
    definition="""NI 148 Care leavers in education, employment or training: of the same care leavers as
    NI 147, the percentage in full- or part-time education, training or employment (ACTIV code beginning
    F or P).""",
)
def ni148(data: YearData) -> pd.DataFrame:
    leavers = _care_leavers_19_to_21(data)
    eet = in_education_employment_training(leavers["ACTIV"])
    return _per_la(leavers.loc[eet].groupby("LA").size(), leavers.groupby("LA").size())


# Views of the registry kept for existing readers (the report's definitions list).
INDICATORS = tuple(REGISTRY)
DEFINITIONS = {name: entry.definition for name, entry in REGISTRY.items()}
HISTORY_YEARS_NEEDED = {name: entry.look_back for name, entry in REGISTRY.items() if entry.look_back}


# --------------------------------------------------------------------------- the engine


def _dates_by_child(frame: pd.DataFrame, column: str) -> pd.Series:
    """Latest return's ``column`` per (LA, CHILD) among the rows given (the later row of one return)."""
    child = _child_codes(frame)
    order = np.lexsort((frame["YEAR"].to_numpy(dtype=np.int64), child))
    last_of_child = np.ones(len(order), bool)
    last_of_child[:-1] = child[order][1:] != child[order][:-1]
    latest = frame[["LA", "CHILD", column]].take(order[last_of_child])
    return pd.Series(latest[column].to_numpy(), index=pd.MultiIndex.from_frame(latest[["LA", "CHILD"]]))


def _adoption_decisions(ad1: pd.DataFrame, placed: pd.DataFrame) -> pd.Series:
    """Date of the decision that the child should be placed for adoption, per (LA, CHILD).

    AD1's DATE_INT where present; otherwise the latest PlacedAdoption decision not reversed.
    """
    ad1 = ad1[["LA", "CHILD", "YEAR", "DATE_INT"]].rename(columns={"DATE_INT": "decision"})
    placed = placed.loc[placed["DATE_PLACED_CEASED"].isna(), ["LA", "CHILD", "YEAR", "DATE_PLACED"]]
    placed = placed.rename(columns={"DATE_PLACED": "decision"})
    # AD1 outranks PlacedAdoption; within a source the latest return wins
    combined = pd.concat([placed.assign(priority=0), ad1.assign(priority=1)], ignore_index=True)
    combined = combined.sort_values(["priority", "YEAR"], kind="stable").drop_duplicates(["LA", "CHILD"], keep="last")
    return pd.Series(combined["decision"].to_numpy(), index=pd.MultiIndex.from_frame(combined[["LA", "CHILD"]]))


def year_data(
    tables: dict[str, pd.DataFrame],
    year: int,
    las: pd.Index,
    history_start: pd.Series,
    *,
    history: str = "submitted",
    merged_history: pd.DataFrame | None = None,
) -> YearData:
    """The rows collection year ``year``'s figures are made from (see the module docstring).

    ``merged_history`` (``history="merged"`` only) saves rebuilding the one
    merged history for every year.
    """
    if history not in HISTORY_MODES:
        raise ValueError(f"history must be one of {HISTORY_MODES}, not {history!r}")
    submitted = history == "submitted"

    def upto(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.loc[frame["YEAR"] <= year] if submitted else frame

    if submitted:
        episodes = episode_history(without_short_breaks(episodes_as_submitted(tables["Episodes"], year)))
    else:
        episodes = (
            merged_history if merged_history is not None else episode_history(without_short_breaks(tables["Episodes"]))
        )
    return YearData(
        year=year,
        las=las,
        history=episodes,
        dob=_dates_by_child(upto(tables["Header"]), "DOB"),
        decisions=_adoption_decisions(upto(tables["AD1"]), upto(tables["PlacedAdoption"])),
        reviews=upto(tables["Reviews"])[["LA", "CHILD", "REVIEW"]].drop_duplicates(),
        oc2=tables["OC2"].loc[tables["OC2"]["YEAR"] == year],
        oc3=tables["OC3"].loc[tables["OC3"]["YEAR"] == year],
        history_start=history_start,
    )


# Columns the functions read, with their types: a table not given at all is an empty frame of them, and a
# table given with no rows (absent from every return) may come untyped.  Only these are kept (with LA and
# YEAR): every filter and sort then moves 11 columns of the episodes, not 15.
_READ_COLUMNS = {
    "Episodes": {
        "CHILD": "str",
        "DECOM": "datetime64[ns]",
        "DEC": "datetime64[ns]",
        "RNE": "str",
        "LS": "str",
        "PLACE": "str",
        "REC": "str",
        "URN": "str",
        "PL_POST": "str",
    },
    "Header": {"CHILD": "str", "DOB": "datetime64[ns]"},
    "AD1": {"CHILD": "str", "DATE_INT": "datetime64[ns]"},
    "PlacedAdoption": {"CHILD": "str", "DATE_PLACED": "datetime64[ns]", "DATE_PLACED_CEASED": "datetime64[ns]"},
    "Reviews": {"CHILD": "str", "REVIEW": "datetime64[ns]"},
    "OC2": {"CHILD": "str", "DOB": "datetime64[ns]", "SDQ_SCORE": "Int64"},
    "OC3": {"CHILD": "str", "DOB": "datetime64[ns]", "IN_TOUCH": "str", "ACTIV": "str", "ACCOM": "str"},
}


def _with_every_table(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables the indicators read, with the columns they read, typed, and LA and CHILD as categories.

    LA and CHILD are categoricals with one set of (sorted) categories across the tables, so that sorts,
    merges, de-duplications and groupings by child work on integers: at national scale the indicators
    took 19.5 s of CPU with the keys as text, 16.5 s as categories.
    """
    out = dict(tables)
    read = [name for name in _READ_COLUMNS if name in tables]
    bounds = np.cumsum([0, *(len(tables[name]) for name in read)])
    keys = {}  # key -> {table: Categorical}, from one factorization of the key over every table
    for key in ("LA", "CHILD"):
        values = pd.concat([tables[name][key] for name in read], ignore_index=True) if read else pd.Series([])
        codes, categories = pd.factorize(values, sort=True)
        dtype = pd.CategoricalDtype(categories)
        keys[key] = {
            name: pd.Categorical.from_codes(codes[bounds[i] : bounds[i + 1]], dtype=dtype)
            for i, name in enumerate(read)
        }
    for name, columns in _READ_COLUMNS.items():
        if name not in out:
            dtypes = {"LA": "str", "YEAR": "int64", **columns}
            out[name] = pd.DataFrame({c: pd.Series(dtype=t) for c, t in dtypes.items()})
            continue
        frame = out[name]
        wanted = {"LA", "YEAR", *columns}
        frame = frame[[c for c in frame.columns if c in wanted]].copy()
        for key, by_table in keys.items():
            frame[key] = by_table[name]
        dates = [
            c
            for c, t in columns.items()
            if t.startswith("datetime") and not pd.api.types.is_datetime64_any_dtype(frame[c])
        ]
        numbers = [c for c, t in columns.items() if t == "Int64" and not pd.api.types.is_numeric_dtype(frame[c])]
        if dates or numbers:
            for column in dates:
                frame[column] = pd.to_datetime(frame[column], errors="coerce")
            for column in numbers:
                frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
        out[name] = frame
    return out


def _year_datas(tables: dict[str, pd.DataFrame], absent: pd.DataFrame, history: str):
    """(year, YearData) for every collection year loaded, in order."""
    if history not in HISTORY_MODES:
        raise ValueError(f"history must be one of {HISTORY_MODES}, not {history!r}")
    frames = [tables[name][["LA", "YEAR"]] for name in ("Episodes", "Header") if name in tables]
    la_years = pd.concat([*frames, absent[["LA", "YEAR"]]], ignore_index=True).drop_duplicates()
    la_years["YEAR"] = la_years["YEAR"].astype("int64")
    history_start = la_years.groupby("LA")["YEAR"].min().map(lambda y: collection_year_bounds(int(y))[0])
    merged = episode_history(without_short_breaks(tables["Episodes"])) if history == "merged" else None
    loaded = set(zip(la_years["LA"], la_years["YEAR"], strict=False))
    for year in sorted(la_years["YEAR"].unique().tolist()):
        las = pd.Index(sorted(la_years.loc[la_years["YEAR"] == year, "LA"]), name="LA")
        yield year, loaded, year_data(tables, year, las, history_start, history=history, merged_history=merged)


def _absent_frame(absent: pd.DataFrame | None) -> pd.DataFrame:
    if absent is None:
        return pd.DataFrame(
            {"LA": pd.Series(dtype="str"), "YEAR": pd.Series(dtype="int64"), "table": pd.Series(dtype="str")}
        )
    return absent[["LA", "YEAR", "table"]].astype({"LA": "str", "YEAR": "int64", "table": "str"})


def compute_indicators(
    tables: dict[str, pd.DataFrame], absent: pd.DataFrame | None = None, *, history: str = "submitted"
) -> pd.DataFrame:
    """Every registered indicator per LA and collection year.

    ``tables`` maps 903 table names to the reader's kept rows (with ``LA`` and
    ``YEAR``); a table missing from the mapping is absent for every LA-year.
    ``absent`` lists ``LA, YEAR, table`` for tables a return did not have
    (absent, empty, header-only): an indicator that needs one is ``x`` for that
    LA-year, with the reason.  ``history``: ``"submitted"`` or ``"merged"``.
    """
    given = set(tables)
    absent = _absent_frame(absent)
    absent_by_la_year = absent.groupby(["LA", "YEAR"])["table"].agg(set).to_dict()
    out = []
    for year, loaded, data in _year_datas(_with_every_table(tables), absent, history):
        for entry in REGISTRY.values():
            frame = _rows(entry, year, data.las, entry.compute(data))
            present = [given - absent_by_la_year.get((la, year), set()) for la in data.las]
            frame["reason"] = [_reason(entry.missing_tables(tables_there)) for tables_there in present]
            frame["status"] = np.where(frame["reason"] != "", STATUS_UNAVAILABLE, "")
            unavailable = frame["status"] == STATUS_UNAVAILABLE
            frame.loc[unavailable, ["numerator", "denominator", "value", "sd"]] = np.nan
            frame["history_complete"] = [
                all((la, year - back) in loaded for back in range(1, entry.look_back + 1)) for la in data.las
            ]
            out.append(frame)
    if not out:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in OUTPUT_COLUMNS})
    result = pd.concat(out, ignore_index=True)
    result["numerator"] = pd.array(result["numerator"].astype("float64").round(), dtype="Int64")
    result["denominator"] = pd.array(result["denominator"].astype("float64").round(), dtype="Int64")
    result["value"] = result["value"].astype("Float64")
    result["sd"] = result["sd"].astype("Float64")
    result["status"] = result["status"].astype("str")
    result["reason"] = result["reason"].astype("str")
    result["history_complete"] = result["history_complete"].astype("bool")
    order = {name: i for i, name in enumerate(REGISTRY)}
    result = result.sort_values(
        ["LA", "YEAR", "indicator"], key=lambda s: s.map(order) if s.name == "indicator" else s, kind="stable"
    )
    return result[OUTPUT_COLUMNS].reset_index(drop=True)


def _reason(missing: list[str]) -> str:
    if not missing:
        return ""
    return "needs " + "; ".join(missing) + ", absent from this return"


def _rows(entry: Indicator, year: int, las: pd.Index, figures: pd.DataFrame) -> pd.DataFrame:
    """One row per LA loaded for the year (zero where nothing was counted)."""
    # an LA with no child counted is 0 (a frame built from several counts leaves NaN where one had none)
    numerator = figures["numerator"].reindex(las).fillna(0).to_numpy(dtype="float64")
    frame = pd.DataFrame({"LA": las, "YEAR": year, "indicator": entry.name, "numerator": numerator})
    if entry.kind == "count":
        frame["denominator"] = np.nan
        frame["value"] = numerator
    else:
        denominator = figures["denominator"].reindex(las).fillna(0).to_numpy(dtype="float64")
        frame["denominator"] = denominator
        with np.errstate(invalid="ignore", divide="ignore"):
            frame["value"] = np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan)
    frame["sd"] = figures["sd"].reindex(las).to_numpy(dtype="float64") if "sd" in figures else np.nan
    return frame


def ni58_scores(tables: dict[str, pd.DataFrame], *, history: str = "submitted") -> pd.DataFrame:
    """The SDQ scores NI 58 averages, one row per child in its cohort: ``LA, YEAR, SDQ_SCORE``.

    For checks of the spread of scores; no identifier is returned.
    """
    parts = [
        _ni58_scored(data.current, data.oc2, year)[["LA", "YEAR", "SDQ_SCORE"]]
        for year, _, data in _year_datas(_with_every_table(tables), _absent_frame(None), history)
    ]
    scores = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["LA", "YEAR", "SDQ_SCORE"])
    scores["YEAR"] = scores["YEAR"].astype("int64")
    return scores.sort_values(["LA", "YEAR"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- documentation


def registry_markdown() -> str:
    """``docs/england_indicators.md``: every registered indicator, as the report and results use it."""
    lines = [
        "# Care Matters indicators computed from SSDA903 returns",
        "",
        "Generated from the indicator registry in `src/lac_outcomes/england/indicators.py`",
        "(`python -m lac_outcomes.england.indicators > docs/england_indicators.md`); a test keeps it in step.",
        "",
        "Figures for a collection year come from that year's return as submitted (config",
        "`england.history: submitted`, the default); earlier returns fill in only what a look-back needs and",
        "the year's return does not hold, never later ones. `england.history: merged` computes every year from",
        "one history per child merged across all loaded returns instead (for longitudinal work: an episode",
        "closed in a later return closes in every year, so earlier years' figures change as returns are added).",
        "",
        "Children looked after under an agreed series of short-term breaks (legal status V3/V4) are excluded",
        "from every indicator. An indicator whose tables are absent from an LA's return for a year is shown",
        "as `x` (unavailable) with the reason, never as 0.",
        "",
        "| name | label | kind | tables needed | earlier returns for a complete history |",
        "| --- | --- | --- | --- | --- |",
    ]
    for entry in REGISTRY.values():
        lines.append(f"| `{entry.name}` | {entry.label} | {entry.kind} | {entry.needs_text()} | {entry.look_back} |")
    lines.append("")
    for entry in REGISTRY.values():
        lines += [
            f"## {entry.label} (`{entry.name}`)",
            "",
            entry.definition,
            "",
            f"Tables needed: {entry.needs_text()}.",
            "",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(registry_markdown(), end="")
