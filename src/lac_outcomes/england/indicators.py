"""Care Matters national indicators and headline counts from SSDA903 returns.

Input: the reader's kept tables (``ReadResult.kept()``), every year and LA
stacked, each row tagged with ``LA`` and ``YEAR``.  Episodes from all loaded
years are merged into one history per child (an episode repeated in several
returns is taken from the latest return, which knows its end), because NI 63
looks back 2.5 years and NI 66 needs the review before the year began.

Output: one row per LA, collection year and indicator with numerator,
denominator and value.  No disclosure control here (the reports apply it).
``history_complete`` is False where the indicator needs earlier returns that
were not loaded (NI 63 needs the two previous years, NI 61 and NI 66 the previous one);
the value is still computed from what is there.

Children looked after under an agreed series of short-term breaks (legal
status V3/V4) are excluded throughout, as in the DfE's published figures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lac_outcomes.england.schema import (
    ADOPTION_PLACEMENTS,
    ADOPTION_REASONS,
    CONTINUING_REASON,
    OC3_ACTIVITY_EET_PREFIXES,
    RNE_NEW_PLACEMENT,
    SHORT_BREAK_LEGAL_STATUS,
    TEMPORARY_PLACEMENTS,
    collection_year_bounds,
)

OUTPUT_COLUMNS = ["LA", "YEAR", "indicator", "numerator", "denominator", "value", "history_complete"]

DEFINITIONS = {
    "CLA_31MAR": "Children looked after at 31 March (an episode open at the end of 31 March), "
    "excluding children looked after under an agreed series of short-term breaks (V3/V4).",
    "STARTED": "Children who started to be looked after during the year (an episode with reason for new episode S "
    "starting between 1 April and 31 March), excluding short-term breaks.",
    "CEASED": "Children who ceased to be looked after during the year (an episode ending between 1 April and "
    "31 March with a reason other than X1), excluding short-term breaks.",
    "P1_31MAR": "Share of children looked after at 31 March who were placed with their own parents or other "
    "persons with parental responsibility (placement P1).",
    "NI58": "NI 58 Emotional and behavioural health of children in care: the average Strengths and Difficulties "
    "Questionnaire (SDQ) total score (0-40, higher is worse) of children aged 4 to 16 at 31 March who had been "
    "looked after continuously for at least 12 months at 31 March (looked after throughout the collection year) "
    "and had a score recorded in the OC2 return.",
    "NI61": "NI 61 Timeliness of placements of looked after children for adoption: of the children who ceased to "
    "be looked after during the year because they were adopted (E11, E12), the percentage who were placed for "
    "adoption within 12 months of the agency decision that they should be placed for adoption. The decision is "
    "DATE_INT in AD1 (DATE_PLACED in PlacedAdoption when the child has no AD1 record); the placement is the start "
    "of the first adoptive placement (A3-A6) in that period of care. Adopted children with no recorded decision "
    "or adoptive placement count in the denominator only.",
    "NI62": "NI 62 Stability of placements of looked after children, number of moves: the percentage of children "
    "looked after at 31 March who had three or more separate placements during the year. The placement in "
    "progress on 1 April (or at entry) counts as one; each later episode that began a new placement (reason S, P, "
    "T, B or U) counts as another; changes of legal status only (L) and temporary placements (T0-T4) do not, nor "
    "does coming back from a temporary placement to the same carer (same PLACE, URN and PL_POST).",
    "NI63": "NI 63 Stability of placements of looked after children, length of placement: of children under 16 at "
    "31 March who had been looked after continuously for at least 2.5 years, the percentage who had been in the "
    "same placement for at least 2 years, or who were placed for adoption and whose adoptive placement together "
    "with the placement immediately before it lasted at least 2 years.",
    "NI66": "NI 66 Looked after children cases which were reviewed within required timescales: of children looked "
    "after at 31 March who had been looked after continuously for at least 4 weeks, the percentage whose reviews "
    "due during the year were all held on time. The first review is due within 28 days (20 working days) of "
    "starting to be looked after, the second within 3 months of the first, and later ones within 6 months of the "
    "previous; a review due in the year but not held by 31 March counts as late, and so does a child looked after "
    "for 6 months or more with no review in the last 6 months before 31 March.",
    "NI147": "NI 147 Care leavers in suitable accommodation: of former relevant care leavers in the OC3 return who "
    "turned 19, 20 or 21 during the year (excluding those who died), the percentage in accommodation recorded as "
    "suitable (ACCOM code ending 1). Those the LA was not in touch with count in the denominator only.",
    "NI148": "NI 148 Care leavers in education, employment or training: of the same care leavers as NI 147, the "
    "percentage in full- or part-time education, training or employment (ACTIV code beginning F or P).",
}

INDICATORS = tuple(DEFINITIONS)
# Earlier collection years an indicator needs, beyond its own year, for a complete history
# (NI 61: an adoptive placement begun before the first loaded year would be dated too late).
HISTORY_YEARS_NEEDED = {"NI61": 1, "NI63": 2, "NI66": 1}


# --------------------------------------------------------------------------- helpers


def age_in_years(dob: pd.Series, at: pd.Timestamp | pd.Series) -> pd.Series:
    """Completed years of age on ``at`` (a 29 February birthday is reached on 1 March in other years)."""
    at_year = at.year if isinstance(at, pd.Timestamp) else at.dt.year
    at_md = at.month * 100 + at.day if isinstance(at, pd.Timestamp) else at.dt.month * 100 + at.dt.day
    before_birthday = at_md < dob.dt.month * 100 + dob.dt.day
    return (at_year - dob.dt.year - before_birthday.astype("int64")).astype("Int64")


def episode_history(episodes: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct episode per LA and child, from all loaded returns, with its period of care.

    An episode appears in every return for which it was open; the latest
    return's copy wins (it holds the end date).  A period of care (spell)
    starts at an episode with reason S, or wherever an episode does not follow
    straight on from the previous one.  Adds ``spell``, ``spell_start``,
    ``spell_start_known`` (the spell's S episode is loaded), ``spell_end``,
    ``spell_reason`` (reason ceased) and ``placement_start`` (start of the
    placement this episode belongs to).
    """
    history = episodes.sort_values(["LA", "CHILD", "DECOM", "YEAR"], kind="stable")
    history = history.drop_duplicates(["LA", "CHILD", "DECOM"], keep="last").reset_index(drop=True)
    child_key = history["LA"] + "\x1f" + history["CHILD"]
    previous_end = history.groupby(child_key)["DEC"].shift(1)
    follows_on = (previous_end == history["DECOM"]) & (history.groupby(child_key)["REC"].shift(1) == CONTINUING_REASON)
    new_spell = (history["RNE"] == "S") | ~follows_on
    history["spell"] = new_spell.cumsum()
    spells = history.groupby("spell")
    history["spell_start"] = spells["DECOM"].transform("first")
    history["spell_start_known"] = spells["RNE"].transform("first") == "S"
    # taken from the spell's last episode itself (groupby "last" would skip an open episode's blank end)
    last_of_spell = history["spell"].ne(history["spell"].shift(-1))
    history["spell_end"] = history["DEC"].where(last_of_spell).groupby(history["spell"]).transform("max")
    history["spell_reason"] = history["REC"].where(last_of_spell).groupby(history["spell"]).transform("first")

    temporary = history["PLACE"].isin(TEMPORARY_PLACEMENTS)
    # Coming back from a temporary placement to the carer of the last real placement (same PLACE,
    # URN and PL_POST) continues that placement rather than beginning a new one.
    carer = history["PLACE"].astype(str) + "\x1f" + history["URN"].fillna("").astype(str) + "\x1f" + history["PL_POST"].fillna("").astype(str)
    last_real_carer = carer.where(~temporary).groupby(history["spell"]).ffill().groupby(history["spell"]).shift(1)
    after_temporary = temporary.groupby(history["spell"]).shift(1, fill_value=False).astype(bool)
    returns_to_carer = after_temporary & (carer == last_real_carer) & ~new_spell
    begins_placement = (history["RNE"].isin(RNE_NEW_PLACEMENT) | new_spell) & ~temporary & ~returns_to_carer
    history["begins_placement"] = begins_placement
    placement_start = history["DECOM"].where(begins_placement)
    history["placement_start"] = placement_start.groupby(history["spell"]).ffill()
    return history


def _in_year_frame(la_years: pd.DataFrame, year: int) -> pd.DataFrame:
    return la_years.loc[la_years["YEAR"] == year, ["LA"]].drop_duplicates()


def _rows(indicator: str, year: int, numerator: pd.Series, denominator: pd.Series | None, las: pd.Index, value=None) -> pd.DataFrame:
    """Assemble output rows for every LA loaded for the year (zero where nothing was counted)."""
    numerator = numerator.reindex(las, fill_value=0)
    frame = pd.DataFrame({"LA": las, "YEAR": year, "indicator": indicator, "numerator": numerator.to_numpy()})
    if denominator is None:
        frame["denominator"] = pd.NA
        frame["value"] = numerator.to_numpy(dtype="float64")
    else:
        denominator = denominator.reindex(las, fill_value=0).to_numpy()
        frame["denominator"] = denominator
        ratio = numerator.to_numpy(dtype="float64") / np.where(denominator == 0, np.nan, denominator)
        frame["value"] = ratio if value is None else value.reindex(las).to_numpy(dtype="float64")
    return frame


def _count_children(frame: pd.DataFrame) -> pd.Series:
    return frame.drop_duplicates(["LA", "CHILD"]).groupby("LA").size()


# --------------------------------------------------------------------------- indicators


def _at_31_march(history: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    open_at_end = (history["DECOM"] <= end) & (history["DEC"].isna() | (history["DEC"] > end))
    current = history.loc[open_at_end & ~history["LS"].isin(SHORT_BREAK_LEGAL_STATUS)]
    return current.drop_duplicates(["LA", "CHILD"], keep="last")


def _placements_in_year(history: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Number of placements each child had during the year, indexed by (LA, CHILD)."""
    overlapping = history.loc[
        (history["DECOM"] <= end) & (history["DEC"].isna() | (history["DEC"] >= start)) & ~history["PLACE"].isin(TEMPORARY_PLACEMENTS)
    ]
    first_in_year = ~overlapping.duplicated(["LA", "CHILD"], keep="first")
    counted = overlapping["begins_placement"] | first_in_year
    return counted.groupby([overlapping["LA"], overlapping["CHILD"]]).sum()


def _stable_long_term(current: pd.DataFrame, history: pd.DataFrame, end: pd.Timestamp) -> pd.Series:
    """NI 63 numerator test for each child in ``current`` (their episode open at 31 March)."""
    two_years_before = end - pd.DateOffset(years=2)
    same_placement = current["placement_start"] <= two_years_before
    # Adoption clause: the placement before the adoptive one started 2+ years before 31 March.
    placement_starts = history.loc[history["begins_placement"], ["spell", "DECOM"]]
    previous_start = placement_starts.groupby("spell")["DECOM"].shift(1)
    previous_by_start = pd.Series(previous_start.to_numpy(), index=pd.MultiIndex.from_frame(placement_starts[["spell", "DECOM"]]))
    key = pd.MultiIndex.from_arrays([current["spell"], current["placement_start"]])
    previous_placement = pd.Series(previous_by_start.reindex(key).to_numpy(), index=current.index)
    adoptive = current["PLACE"].isin(ADOPTION_PLACEMENTS)
    return same_placement | (adoptive & (previous_placement <= two_years_before))


def _reviews_on_time(denominator: pd.DataFrame, reviews: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, history_start: pd.Series) -> pd.Series:
    """For each child in ``denominator`` (one row per child, spell columns present): were all reviews due in the year on time?"""
    spells = denominator[["LA", "CHILD", "spell", "spell_start", "spell_end", "spell_start_known"]].copy()
    spells["chain_known"] = spells["spell_start_known"] & (spells["spell_start"] >= spells["LA"].map(history_start))
    held = reviews.merge(spells, on=["LA", "CHILD"], how="inner")
    held = held.loc[(held["REVIEW"] >= held["spell_start"]) & (held["spell_end"].isna() | (held["REVIEW"] <= held["spell_end"]))]
    held = held.sort_values(["spell", "REVIEW"], kind="stable")
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
            "due": np.where(after_first, last["REVIEW"] + pd.DateOffset(months=3), last["REVIEW"] + pd.DateOffset(months=6)),
            "held": pd.NaT,
        }
    )
    no_reviews = spells.loc[~spells["spell"].isin(held["spell"]) & spells["chain_known"]]
    pending_first = pd.DataFrame({"spell": no_reviews["spell"], "due": no_reviews["spell_start"] + pd.Timedelta(days=28), "held": pd.NaT})
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


def compute_indicators(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Headline counts and NI 58, 61, 62, 63, 66, 147, 148 per LA and collection year.

    ``tables`` maps 903 table names to the reader's kept rows (with ``LA`` and
    ``YEAR``).  Episodes, Header, OC2, OC3, AD1, Reviews are used (PlacedAdoption
    as a fallback for the adoption decision).  Returns columns
    ``LA, YEAR, indicator, numerator, denominator, value, history_complete``;
    ``value`` is a proportion (0-1) for shares, a mean for NI 58, a count for counts.
    """
    episodes = tables["Episodes"]
    history = episode_history(episodes)
    la_years = episodes[["LA", "YEAR"]].drop_duplicates().sort_values(["LA", "YEAR"])
    loaded = {(la, int(y)) for la, y in la_years.itertuples(index=False)}
    history_start = la_years.groupby("LA")["YEAR"].min().map(lambda y: collection_year_bounds(int(y))[0])

    dob = _latest_by_child(tables["Header"], "DOB")
    decisions = _adoption_decisions(tables)
    reviews = tables["Reviews"][["LA", "CHILD", "REVIEW"]].drop_duplicates()
    oc2, oc3 = tables["OC2"], tables["OC3"]

    out = []
    for year in sorted(la_years["YEAR"].unique().tolist()):
        start, end = collection_year_bounds(year)
        las = pd.Index(sorted(la_years.loc[la_years["YEAR"] == year, "LA"]), name="LA")
        short_break = history["LS"].isin(SHORT_BREAK_LEGAL_STATUS)

        current = _at_31_march(history, end)
        cla = current.groupby("LA").size()
        out.append(_rows("CLA_31MAR", year, cla, None, las))
        starters = history.loc[(history["RNE"] == "S") & history["DECOM"].between(start, end) & ~short_break]
        out.append(_rows("STARTED", year, _count_children(starters), None, las))
        leavers = history.loc[history["DEC"].between(start, end) & history["REC"].notna() & (history["REC"] != CONTINUING_REASON) & ~short_break]
        out.append(_rows("CEASED", year, _count_children(leavers), None, las))
        out.append(_rows("P1_31MAR", year, current.loc[current["PLACE"] == "P1"].groupby("LA").size(), cla, las))

        # NI 62
        placements = _placements_in_year(history, start, end)
        current_placements = placements.reindex(pd.MultiIndex.from_frame(current[["LA", "CHILD"]]), fill_value=1).to_numpy()
        out.append(_rows("NI62", year, current.loc[current_placements >= 3].groupby("LA").size(), cla, las))

        # NI 63
        ages = age_in_years(_lookup_dates(dob, current), end)
        cohort = current.loc[(ages < 16).fillna(False).to_numpy() & (current["spell_start"] <= end - pd.DateOffset(months=30)).to_numpy()]
        stable = _stable_long_term(cohort, history, end)
        out.append(_rows("NI63", year, cohort.loc[stable].groupby("LA").size(), cohort.groupby("LA").size(), las))

        # NI 58
        scored = _ni58_scored(current, oc2, year)
        sdq_sum = scored.groupby("LA")["SDQ_SCORE"].sum().astype("int64")
        sdq_n = scored.groupby("LA").size()
        out.append(_rows("NI58", year, sdq_sum, sdq_n, las))

        # NI 61
        adopted = history.loc[history["DEC"].between(start, end) & history["REC"].isin(ADOPTION_REASONS)]
        adopted = adopted.drop_duplicates(["LA", "CHILD"], keep="last")
        adoptive = history.loc[history["PLACE"].isin(ADOPTION_PLACEMENTS) & history["begins_placement"]]
        first_adoptive = adoptive.groupby("spell")["DECOM"].min()
        placed_day = pd.Series(pd.to_datetime(first_adoptive.reindex(adopted["spell"]).to_numpy()), index=adopted.index)
        decided = _lookup_dates(decisions, adopted)
        timely = (placed_day <= decided + pd.DateOffset(months=12)).fillna(False)
        out.append(_rows("NI61", year, adopted.loc[timely.to_numpy()].groupby("LA").size(), adopted.groupby("LA").size(), las))

        # NI 66
        settled = current.loc[current["spell_start"] <= end - pd.Timedelta(days=28)]
        on_time = _reviews_on_time(settled, reviews, start, end, history_start) if len(settled) else np.array([], bool)
        out.append(_rows("NI66", year, settled.loc[on_time].groupby("LA").size(), settled.groupby("LA").size(), las))

        # NI 147, NI 148
        leavers_19_21 = oc3.loc[(oc3["YEAR"] == year) & (oc3["IN_TOUCH"] != "DIED")]
        leaver_age = age_in_years(leavers_19_21["DOB"], end)
        leavers_19_21 = leavers_19_21.loc[leaver_age.isin([19, 20, 21]).fillna(False).to_numpy()]
        suitable = leavers_19_21["ACCOM"].str.len().eq(2) & leavers_19_21["ACCOM"].str.endswith("1")
        eet = leavers_19_21["ACTIV"].str[0].isin(OC3_ACTIVITY_EET_PREFIXES)
        leaver_n = leavers_19_21.groupby("LA").size()
        out.append(_rows("NI147", year, leavers_19_21.loc[suitable].groupby("LA").size(), leaver_n, las))
        out.append(_rows("NI148", year, leavers_19_21.loc[eet].groupby("LA").size(), leaver_n, las))

    result = pd.concat(out, ignore_index=True)
    needed = result["indicator"].map(HISTORY_YEARS_NEEDED).fillna(0).astype(int)
    result["history_complete"] = [
        all((la, year - back) in loaded for back in range(1, need + 1))
        for la, year, need in zip(result["LA"], result["YEAR"], needed)
    ]
    result["numerator"] = result["numerator"].astype("Int64")
    result["denominator"] = pd.array(result["denominator"], dtype="Int64")
    result["value"] = result["value"].astype("Float64")
    order = {name: i for i, name in enumerate(INDICATORS)}
    result = result.sort_values(["LA", "YEAR", "indicator"], key=lambda s: s.map(order) if s.name == "indicator" else s, kind="stable")
    return result[OUTPUT_COLUMNS].reset_index(drop=True)


def _ni58_scored(current: pd.DataFrame, oc2: pd.DataFrame, year: int) -> pd.DataFrame:
    """OC2 rows in the NI 58 cohort: looked after throughout the year, aged 4 to 16 at 31 March, with a score."""
    start, end = collection_year_bounds(year)
    whole_year = current.loc[current["spell_start"] <= start, ["LA", "CHILD"]]
    scored = oc2.loc[(oc2["YEAR"] == year) & oc2["SDQ_SCORE"].notna()]
    scored = scored.merge(whole_year, on=["LA", "CHILD"], how="inner")
    sdq_age = age_in_years(scored["DOB"], end)
    return scored.loc[((sdq_age >= 4) & (sdq_age <= 16)).fillna(False).to_numpy()]


def ni58_scores(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The SDQ scores NI 58 averages, one row per child in its cohort: ``LA, YEAR, SDQ_SCORE``.

    For the spread of scores (funnel plot limits for the mean); no identifier is returned.
    """
    history = episode_history(tables["Episodes"])
    parts = []
    for year in sorted(int(y) for y in tables["Episodes"]["YEAR"].unique()):
        current = _at_31_march(history, collection_year_bounds(year)[1])
        parts.append(_ni58_scored(current, tables["OC2"], year)[["LA", "YEAR", "SDQ_SCORE"]])
    scores = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["LA", "YEAR", "SDQ_SCORE"])
    scores["YEAR"] = scores["YEAR"].astype("int64")
    return scores.sort_values(["LA", "YEAR"], kind="stable").reset_index(drop=True)


def _latest_by_child(frame: pd.DataFrame, column: str) -> pd.Series:
    latest = frame.sort_values("YEAR", kind="stable").drop_duplicates(["LA", "CHILD"], keep="last")
    return pd.Series(latest[column].to_numpy(), index=pd.MultiIndex.from_frame(latest[["LA", "CHILD"]]))


def _lookup_dates(values: pd.Series, rows: pd.DataFrame) -> pd.Series:
    """Dates per (LA, CHILD) aligned to ``rows`` (NaT where the child has none)."""
    key = pd.MultiIndex.from_frame(rows[["LA", "CHILD"]])
    return pd.Series(pd.to_datetime(values.reindex(key).to_numpy()), index=rows.index)


def _adoption_decisions(tables: dict[str, pd.DataFrame]) -> pd.Series:
    """Date of the decision that the child should be placed for adoption, per (LA, CHILD).

    AD1's DATE_INT where present; otherwise the latest PlacedAdoption decision not reversed.
    """
    ad1 = tables["AD1"][["LA", "CHILD", "YEAR", "DATE_INT"]].rename(columns={"DATE_INT": "decision"})
    placed = tables["PlacedAdoption"]
    placed = placed.loc[placed["DATE_PLACED_CEASED"].isna(), ["LA", "CHILD", "YEAR", "DATE_PLACED"]]
    placed = placed.rename(columns={"DATE_PLACED": "decision"})
    # AD1 outranks PlacedAdoption; within a source the latest return wins
    combined = pd.concat([placed.assign(priority=0), ad1.assign(priority=1)], ignore_index=True)
    combined = combined.sort_values(["priority", "YEAR"], kind="stable").drop_duplicates(["LA", "CHILD"], keep="last")
    return pd.Series(combined["decision"].to_numpy(), index=pd.MultiIndex.from_frame(combined[["LA", "CHILD"]]))
