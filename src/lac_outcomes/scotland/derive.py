"""Analysis variables derived from the Scottish records: the ONE place they are defined.

The simulator generates outcomes from these variables and the analyses model
them, so a planted coefficient means the same thing in both places.

Conventions used by every function here:

* Dates are read with :func:`pandas.to_datetime`; strings ("YYYY-MM-DD"),
  ``datetime64`` columns and blanks (missing) are all accepted.
* An episode covers the days ``episode_start <= day < episode_end``: the end
  date is the first day the child is no longer in that episode (the day they
  moved or left).  A blank ``episode_end`` means the episode is still open.
* Looked-after years run 1 August to 31 July and school years 1 August to
  30 June; both are labelled by the calendar year in which they end.
* Ages are exact completed years (birthdays counted on the day; a 29 February
  birthday falls on 1 March in other years).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from lac_outcomes.columns import OPEN_END
from lac_outcomes.scotland.layout import SCHOOL_STAGES

DAYS_PER_YEAR = 365.25

# Reasons an episode ended that mean the child ceased to be looked after
# without a permanence outcome.
_PERMANENCE_PLACEMENT = "with_prospective_adopters"
_PERMANENCE_LEGAL = "permanence_order"


# --------------------------------------------------------------------------
# dates and ages
# --------------------------------------------------------------------------
def as_dates(values) -> pd.Series:
    """Parse a column of ISO dates (or datetimes) to ``datetime64``; blanks become NaT."""
    series = pd.Series(values)
    if series.dtype == object or pd.api.types.is_string_dtype(series):
        series = series.replace("", None)
    return pd.to_datetime(series, format="ISO8601").astype("datetime64[s]")


def age_on(date_of_birth, on) -> np.ndarray:
    """Exact age in completed years on the date(s) ``on`` (vectorised).

    A child is one year older on their birthday; a 29 February birthday is
    reached on 1 March in non-leap years.  NaT gives -1.
    """
    dob = pd.DatetimeIndex(as_dates(date_of_birth))
    when = pd.DatetimeIndex(as_dates(pd.Series(on, index=range(len(dob))) if np.ndim(on) == 0 else on))
    years = when.year.to_numpy() - dob.year.to_numpy()
    before_birthday = (when.month.to_numpy() * 100 + when.day.to_numpy()) < (
        dob.month.to_numpy() * 100 + dob.day.to_numpy()
    )
    age = years - before_birthday.astype(int)
    return np.where(dob.isna() | when.isna(), -1, age)


def birthday(date_of_birth, years: int) -> pd.Series:
    """Date of the ``years``-th birthday (29 February birthdays on 1 March in non-leap years)."""
    dob = pd.DatetimeIndex(as_dates(date_of_birth))
    year = dob.year + years
    frame = pd.DataFrame({"year": year, "month": dob.month, "day": dob.day})
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    feb29 = (dob.month == 2) & (dob.day == 29) & ~leap
    frame.loc[feb29, ["month", "day"]] = [3, 1]
    return pd.Series(pd.to_datetime(frame).astype("datetime64[s]").to_numpy())


def school_year_window(school_year: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First day (1 August) and the day after the last day (1 July) of a school year."""
    return pd.Timestamp(dt.date(school_year - 1, 8, 1)), pd.Timestamp(dt.date(school_year, 7, 1))


# --------------------------------------------------------------------------
# episodes and spells
# --------------------------------------------------------------------------
def _episodes(episodes: pd.DataFrame) -> pd.DataFrame:
    """Episodes with parsed dates, sorted by child and start (stable)."""
    frame = episodes.copy()
    frame["episode_start"] = as_dates(frame["episode_start"]).to_numpy()
    frame["episode_end"] = as_dates(frame["episode_end"]).to_numpy()
    if "reason_ended" in frame:
        frame["reason_ended"] = frame["reason_ended"].replace("", np.nan)
    return frame.sort_values(["child_id", "episode_start"], kind="mergesort").reset_index(drop=True)


def looked_after_on(episodes: pd.DataFrame, date) -> pd.DataFrame:
    """Children looked after on ``date``, one row each.

    A child is looked after on day d when one of their episodes has
    ``episode_start <= d < episode_end`` (or a blank end).  Returns child_id,
    placement_type, legal_reason and episode_start of that episode, sorted by
    child_id.  (Episodes of a child do not overlap, so there is at most one.)
    """
    return _looked_after_on(_episodes(episodes), date)


def looked_after_on_each(episodes: pd.DataFrame, dates) -> list[pd.DataFrame]:
    """:func:`looked_after_on` for each of ``dates``, the episodes parsed and sorted once (not once a date)."""
    frame = _episodes(episodes)
    return [_looked_after_on(frame, date) for date in dates]


def _looked_after_on(frame: pd.DataFrame, date) -> pd.DataFrame:
    day = pd.Timestamp(date)
    current = (frame["episode_start"] <= day) & (frame["episode_end"].isna() | (frame["episode_end"] > day))
    columns = ["child_id", "placement_type", "legal_reason", "episode_start"]
    return frame.loc[current, columns].drop_duplicates("child_id").reset_index(drop=True)


def spells(episodes: pd.DataFrame) -> pd.DataFrame:
    """Spells of being looked after: runs of contiguous episodes of one child.

    Episodes of a child are taken in start order.  An episode that starts on
    the day the previous one ended continues the spell; one that starts later
    (after a gap) begins a new spell.  Returns one row per spell:

    * child_id, spell_number (1, 2, ... per child),
    * spell_start (start of its first episode), spell_end (end of its last
      episode; NaT while open), n_episodes,
    * reason_ended: reason_ended of its last episode (NaN while open).
    """
    frame = _episodes(episodes)
    previous_end = frame.groupby("child_id", sort=False)["episode_end"].shift()
    same_child = frame["child_id"].eq(frame["child_id"].shift())
    continues = same_child & previous_end.notna() & (frame["episode_start"] <= previous_end)
    frame["spell_number"] = (~continues).astype(int).groupby(frame["child_id"], sort=False).cumsum()
    grouped = frame.groupby(["child_id", "spell_number"], sort=True)
    result = grouped.agg(
        spell_start=("episode_start", "first"),
        spell_end=("episode_end", "last"),
        n_episodes=("episode_start", "size"),
        reason_ended=("reason_ended", "last"),
    ).reset_index()
    # groupby "last" skips NaN: an open last episode must leave the spell open.
    last_rows = frame.groupby(["child_id", "spell_number"], sort=True).tail(1)
    result["spell_end"] = last_rows["episode_end"].to_numpy()
    result["reason_ended"] = last_rows["reason_ended"].to_numpy()
    return result


HOME_SUPERVISION_ENDINGS = ("discharged", "moved_away_from_home", "permanence", "censored")


def home_supervision_spells(
    episodes: pd.DataFrame, children: pd.DataFrame | None = None, censor_date=None
) -> pd.DataFrame:
    """Spells of home supervision: maximal runs of episodes at home on a supervision order.

    An episode is home supervision when legal_reason is ``cso_home`` and
    placement_type is ``at_home_with_parents``.  A run is a maximal sequence of
    such episodes of one child, each starting the day the previous one ended
    (administrative splits of one order are joined).  Returns one row per run:

    * child_id, start, end (NaT while open), n_episodes,
    * duration_days / duration_years: end - start, or ``censor_date`` - start
      for open runs (``censor_date`` defaults to the latest date in the
      episodes, i.e. the end of the data),
    * ended_by, one of:

      - ``censored``: the run is still open;
      - ``permanence``: the run's last episode ended with ``adopted``, or the
        child moved (same day) into an episode under a ``permanence_order`` or
        to ``with_prospective_adopters``;
      - ``moved_away_from_home``: the child moved (same day) into another
        looked-after episode away from home that is not permanence;
      - ``discharged``: the child ceased to be looked after any other way
        (discharged home, to friends/relatives, independent living, other),
        including a ``placement_change`` with no following episode.

    With ``children`` (child_id, date_of_birth, la_code, sex, simd_quintile)
    adds la_code, sex, simd_quintile, age_at_start (exact, in years: days since
    birth / 365.25) and reached_age_18 (the run ended on or after the 18th
    birthday: supervision cannot continue past 18, so an analysis of the
    hazard of leaving should treat these as censored at 18).
    """
    frame = _episodes(episodes)
    if censor_date is None:
        censor_date = max(frame["episode_start"].max(), frame["episode_end"].max())
    censor_date = pd.Timestamp(censor_date)
    is_home = (frame["legal_reason"] == "cso_home") & (frame["placement_type"] == "at_home_with_parents")
    same_child_as_previous = frame["child_id"].eq(frame["child_id"].shift())
    contiguous = same_child_as_previous & frame["episode_start"].eq(frame["episode_end"].shift())
    continues_run = is_home & is_home.shift(fill_value=False) & contiguous
    run_id = (is_home & ~continues_run).cumsum()
    # What follows each episode (same child, starting the day it ended).
    next_contiguous = contiguous.shift(-1, fill_value=False)
    next_legal = frame["legal_reason"].shift(-1)
    next_placement = frame["placement_type"].shift(-1)

    home = frame.loc[is_home].assign(
        run_id=run_id[is_home],
        next_contiguous=next_contiguous[is_home],
        next_permanence=((next_legal == _PERMANENCE_LEGAL) | (next_placement == _PERMANENCE_PLACEMENT))[is_home],
    )
    grouped = home.groupby("run_id", sort=True)
    runs = grouped.agg(
        child_id=("child_id", "first"),
        start=("episode_start", "first"),
        n_episodes=("episode_start", "size"),
    )
    last = grouped.tail(1).set_index("run_id")
    runs["end"] = last["episode_end"]
    reason = last["reason_ended"]
    moved_on = (reason == "placement_change") & last["next_contiguous"]
    ended_by = np.select(
        [
            last["episode_end"].isna(),
            reason == "adopted",
            moved_on & last["next_permanence"],
            moved_on,
        ],
        ["censored", "permanence", "permanence", "moved_away_from_home"],
        default="discharged",
    )
    runs["ended_by"] = ended_by
    stop = runs["end"].fillna(censor_date)
    runs["duration_days"] = (stop - runs["start"]).dt.days.astype(int)
    runs["duration_years"] = runs["duration_days"] / DAYS_PER_YEAR
    runs = runs.reset_index(drop=True)[
        ["child_id", "start", "end", "n_episodes", "duration_days", "duration_years", "ended_by"]
    ]
    if children is not None:
        kids = children.set_index("child_id")
        dob = as_dates(kids["date_of_birth"]).set_axis(kids.index)
        run_dob = dob.reindex(runs["child_id"]).to_numpy()
        for column in ("la_code", "sex", "simd_quintile"):
            runs[column] = kids[column].reindex(runs["child_id"]).to_numpy()
        runs["age_at_start"] = (runs["start"] - run_dob).dt.days / DAYS_PER_YEAR
        eighteenth = birthday(pd.Series(run_dob), 18).to_numpy()
        runs["reached_age_18"] = runs["end"].notna().to_numpy() & (runs["end"].to_numpy() >= eighteenth)
    return runs


# --------------------------------------------------------------------------
# education covariates
# --------------------------------------------------------------------------
def education_covariates(
    children: pd.DataFrame,
    episodes: pd.DataFrame,
    pupils: pd.DataFrame,
    year_column: str = "school_year",
) -> pd.DataFrame:
    """Add the looked-after covariates of each pupil-year (or leaver) to ``pupils``.

    For a row with school year Y (1 August Y-1 to 30 June Y) whose pupil_id is
    a child_id in ``children``:

    * ``days_looked_after``: days looked after within the school year;
    * ``placement_type``: the placement type in which the child spent most days
      of the school year (days summed over episodes of that type); ties go to
      the type whose latest episode started latest;
    * ``n_placements``: number of episodes overlapping the school year by at
      least one day (each episode is one placement under one legal reason);
    * ``years_looked_after``: total time looked after, in years (days / 365.25),
      from the start of the first ever episode to 30 June of year Y inclusive,
      summed over episodes (gaps between spells are not counted);
    * ``looked_after_full_year``: looked after on every day of the school year;
    * ``age``: exact age in completed years on 1 August at the start of the
      school year (Y-1).

    Rows of pupils who are not looked-after children, or who were not looked
    after on any day of the year, get placement_type NaN, n_placements 0,
    days_looked_after 0, years_looked_after NaN and looked_after_full_year
    False; their ``age`` comes from ``stage`` when the frame has one (P1 = 5,
    ..., S6 = 17, the simulator's convention), else NaN.  The input's row
    order and columns are kept; the new columns are appended.
    """
    result = pupils.copy()
    row = np.arange(len(result))
    years = result[year_column].to_numpy().astype(int)
    window_start = pd.to_datetime(pd.DataFrame({"year": years - 1, "month": 8, "day": 1})).to_numpy()
    window_stop = pd.to_datetime(pd.DataFrame({"year": years, "month": 7, "day": 1})).to_numpy()
    keys = pd.DataFrame({"row": row, "child_id": result["pupil_id"].to_numpy(), "w0": window_start, "w1": window_stop})

    frame = _episodes(episodes)[["child_id", "episode_start", "episode_end", "placement_type"]]
    pairs = keys.merge(frame, on="child_id", how="inner", sort=False)
    end = pairs["episode_end"].to_numpy().astype("datetime64[s]")
    end = np.where(np.isnat(end), np.datetime64(OPEN_END, "s"), end)
    start = pairs["episode_start"].to_numpy().astype("datetime64[s]")
    w0 = pairs["w0"].to_numpy().astype("datetime64[s]")
    w1 = pairs["w1"].to_numpy().astype("datetime64[s]")
    day = np.timedelta64(1, "D")
    overlap = np.maximum((np.minimum(end, w1) - np.maximum(start, w0)) // day, 0)
    to_june = np.maximum((np.minimum(end, w1) - start) // day, 0)
    pairs["overlap"] = overlap
    pairs["to_june"] = to_june

    n_rows = len(result)
    days_in_year = np.bincount(pairs["row"], weights=overlap, minlength=n_rows).astype(int)
    n_placements = np.bincount(pairs["row"], weights=(overlap > 0), minlength=n_rows).astype(int)
    total_days = np.bincount(pairs["row"], weights=to_june, minlength=n_rows)
    window_days = ((window_stop - window_start) // day).astype(int)

    in_year = pairs[pairs["overlap"] > 0]
    by_type = (
        in_year.groupby(["row", "placement_type"], sort=True)
        .agg(days=("overlap", "sum"), latest_start=("episode_start", "max"))
        .reset_index()
        .sort_values(["row", "days", "latest_start"], ascending=[True, False, False], kind="mergesort")
        .drop_duplicates("row")
    )
    placement = np.full(n_rows, np.nan, dtype=object)
    placement[by_type["row"].to_numpy()] = by_type["placement_type"].to_numpy()

    looked_after = days_in_year > 0
    result["days_looked_after"] = days_in_year
    result["placement_type"] = placement
    result["n_placements"] = n_placements
    result["years_looked_after"] = np.where(looked_after, total_days / DAYS_PER_YEAR, np.nan)
    result["looked_after_full_year"] = days_in_year == window_days

    age = np.full(n_rows, np.nan)
    if "stage" in result:
        stage_age = {stage: 5 + i for i, stage in enumerate(SCHOOL_STAGES)}
        age = result["stage"].map(stage_age).to_numpy(dtype=float)
    kids = children.set_index("child_id")["date_of_birth"]
    dob = kids.reindex(result["pupil_id"]).to_numpy()
    known = pd.notna(dob) & (dob != "")
    if known.any():
        age_known = age_on(pd.Series(dob[known]), pd.Series(window_start[known]))
        age[known] = age_known
    result["age"] = age
    return result


def leaver_covariates(children: pd.DataFrame, episodes: pd.DataFrame, leavers: pd.DataFrame) -> pd.DataFrame:
    """:func:`education_covariates` for leavers, with the school year of leaving (``leaver_year``)."""
    return education_covariates(children, episodes, leavers, year_column="leaver_year")
