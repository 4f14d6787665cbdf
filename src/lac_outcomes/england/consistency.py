"""Consecutive SSDA903 returns of one local authority checked against each other.

A return holds every episode open at some time in its year, so an episode
still open at the end of year Y must appear again, unchanged but for its end,
in year Y+1's return.  Three checks, counted by LA and year (the earlier
return's year); no child identifier leaves this module:

* ``open_episode_not_carried``: an episode open at the end of year Y that is
  missing from year Y+1's return, or there with a different start, legal
  status, placement, provider, postcode or URN.
* ``looked_after_then_absent``: a child looked after at 31 March of year Y who
  is absent from year Y+1's Episodes altogether (so no episode ever says how
  care ended).  With returns as submitted such a child leaves the figures in
  Y+1; in a merged history they would stay looked after for good.
* ``date_of_birth_changed``: a child ID whose Header date of birth differs
  between the two returns.

Only pairs of consecutive years both loaded for the LA are compared.
"""

from __future__ import annotations

import pandas as pd

CHECKS = {
    "open_episode_not_carried": "episode open at the end of the year missing or different in the next year's return",
    "looked_after_then_absent": "child looked after at 31 March absent from the next year's return (no ceased episode)",
    "date_of_birth_changed": "child ID with a different date of birth in the next year's return",
}
COLUMNS = ["LA", "YEAR", "NEXT_YEAR", "check", "count"]
# What an episode carried into the next return must keep (its end and reason may be filled in).
EPISODE_IDENTITY = ("RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "HOME_POST", "PL_POST", "URN")


def _consecutive_pairs(la_years: pd.DataFrame) -> pd.DataFrame:
    loaded = la_years[["LA", "YEAR"]].drop_duplicates()
    nxt = loaded.assign(YEAR=loaded["YEAR"] - 1, NEXT_YEAR=loaded["YEAR"])
    return loaded.merge(nxt, on=["LA", "YEAR"], how="inner").sort_values(["LA", "YEAR"]).reset_index(drop=True)


def _same(left: pd.Series, right: pd.Series) -> pd.Series:
    """Equal, counting two blanks as equal."""
    return (left == right).fillna(False).astype(bool) | (left.isna() & right.isna())


def _open_episodes_not_carried(episodes: pd.DataFrame, pairs: pd.DataFrame) -> pd.Series:
    """Count per (LA, YEAR) of episodes open at the end of YEAR missing or changed in NEXT_YEAR."""
    identity = [c for c in EPISODE_IDENTITY if c in episodes]
    open_at_end = episodes.loc[episodes["DEC"].isna(), ["LA", "YEAR", "CHILD", "DECOM", *identity]]
    open_at_end = open_at_end.merge(pairs, on=["LA", "YEAR"], how="inner")
    following = episodes[["LA", "YEAR", "CHILD", "DECOM", *identity]].rename(columns={"YEAR": "NEXT_YEAR"})
    following = following.drop_duplicates(["LA", "NEXT_YEAR", "CHILD", "DECOM"])
    matched = open_at_end.merge(
        following, on=["LA", "NEXT_YEAR", "CHILD", "DECOM"], how="left", indicator=True, suffixes=("", "_next")
    )
    carried = matched["_merge"] == "both"
    for column in identity:
        carried &= _same(matched[column], matched[f"{column}_next"])
    return matched.loc[~carried].groupby(["LA", "YEAR"]).size()


def _looked_after_then_absent(episodes: pd.DataFrame, pairs: pd.DataFrame) -> pd.Series:
    """Count per (LA, YEAR) of children with an episode open at the end of YEAR and no episode in NEXT_YEAR."""
    open_at_end = episodes.loc[episodes["DEC"].isna(), ["LA", "YEAR", "CHILD"]].drop_duplicates()
    open_at_end = open_at_end.merge(pairs, on=["LA", "YEAR"], how="inner")
    present_next = episodes[["LA", "YEAR", "CHILD"]].drop_duplicates().rename(columns={"YEAR": "NEXT_YEAR"})
    matched = open_at_end.merge(present_next, on=["LA", "NEXT_YEAR", "CHILD"], how="left", indicator=True)
    return matched.loc[matched["_merge"] == "left_only"].groupby(["LA", "YEAR"]).size()


def _date_of_birth_changed(header: pd.DataFrame, pairs: pd.DataFrame) -> pd.Series:
    """Count per (LA, YEAR) of children whose Header DOB in NEXT_YEAR differs from YEAR's."""
    dob = header.loc[header["DOB"].notna(), ["LA", "YEAR", "CHILD", "DOB"]].drop_duplicates(["LA", "YEAR", "CHILD"])
    this_year = dob.merge(pairs, on=["LA", "YEAR"], how="inner")
    next_year = dob.rename(columns={"YEAR": "NEXT_YEAR", "DOB": "DOB_next"})
    both = this_year.merge(next_year, on=["LA", "NEXT_YEAR", "CHILD"], how="inner")
    return both.loc[both["DOB"] != both["DOB_next"]].groupby(["LA", "YEAR"]).size()


def check_returns(tables: dict[str, pd.DataFrame], la_years: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every check on every pair of consecutive loaded returns: ``LA, YEAR, NEXT_YEAR, check, count``.

    ``tables`` are the reader's kept rows (Episodes and Header, with ``LA`` and
    ``YEAR``); ``la_years`` the LA-years loaded (default: those in Episodes and
    Header).  A zero count is listed too, so a pair that was checked shows.
    """
    episodes, header = tables["Episodes"], tables["Header"]
    if la_years is None:
        la_years = pd.concat([episodes[["LA", "YEAR"]], header[["LA", "YEAR"]]], ignore_index=True)
    pairs = _consecutive_pairs(la_years)
    counts = {
        "open_episode_not_carried": _open_episodes_not_carried(episodes, pairs),
        "looked_after_then_absent": _looked_after_then_absent(episodes, pairs),
        "date_of_birth_changed": _date_of_birth_changed(header, pairs),
    }
    index = pd.MultiIndex.from_frame(pairs[["LA", "YEAR"]])
    frames = [
        pairs.assign(check=check, count=found.reindex(index, fill_value=0).to_numpy().astype("int64"))
        for check, found in counts.items()
    ]
    if pairs.empty:
        return pd.DataFrame(
            {c: pd.Series(dtype="int64" if c in ("YEAR", "NEXT_YEAR", "count") else "str") for c in COLUMNS}
        )
    out = pd.concat(frames, ignore_index=True)[COLUMNS]
    out[["YEAR", "NEXT_YEAR"]] = out[["YEAR", "NEXT_YEAR"]].astype("int64")
    return out.sort_values(["LA", "YEAR", "check"], kind="stable").reset_index(drop=True)


def quality_record(found: pd.DataFrame) -> dict:
    """The ``cross_return`` entry of ``quality.json``: what each check means and its counts by LA and year."""
    return {
        "checks": dict(CHECKS),
        "counts": [
            {
                "LA": str(r["LA"]),
                "YEAR": int(r["YEAR"]),
                "NEXT_YEAR": int(r["NEXT_YEAR"]),
                "check": r["check"],
                "count": int(r["count"]),
            }
            for r in found.to_dict("records")
        ],
    }
