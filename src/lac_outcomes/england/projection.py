"""English adapter of the projection model: SSDA903 episodes to the common state histories, and the planted shares.

The history is merged across the loaded returns (each episode from the latest
return holding it; short breaks, legal status V3/V4, left out), because a
projection follows children across years.  States from the placement codes:
P1 placed with parents (home); U1-U3 foster care with relatives or friends
(kinship); U4-U6 and placed for adoption A3-A6 (foster); K1 secure children's
home and R5 young offender institution (secure); K2 children's homes, R1
residential care homes, R2 health settings, S1 residential schools
(residential); H5 semi-independent living, P2 independent living, P3
residential employment, R3 family centres and Z1 other (other).  A temporary
move (T0-T4) keeps the state of the placement it interrupts.  Collection years
end on 31 March.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lac_outcomes.england.indicators import latest_copies, without_short_breaks
from lac_outcomes.england.layout import TEMPORARY_PLACEMENTS
from lac_outcomes.io import read_parquet
from lac_outcomes.projection import AGE_BANDS, STATES, Histories, check_entry_shares, entry_counts

STATE_OF_PLACEMENT = {
    "P1": "home",
    **dict.fromkeys(("U1", "U2", "U3"), "kinship"),
    **dict.fromkeys(("U4", "U5", "U6", "A3", "A4", "A5", "A6"), "foster"),
    **dict.fromkeys(("K1", "R5"), "secure"),
    **dict.fromkeys(("K2", "R1", "R2", "S1"), "residential"),
    **dict.fromkeys(("H5", "P2", "P3", "R3", "Z1"), "other"),
}


def histories(tables: dict) -> Histories:
    """Merged episode history (latest copy of each episode) with each child's date of birth, as projection states."""
    episodes = latest_copies(without_short_breaks(tables["Episodes"]))
    header = tables["Header"].sort_values("YEAR").drop_duplicates(["LA", "CHILD"], keep="last")
    dob = header.set_index(["LA", "CHILD"])["DOB"]
    place = episodes["PLACE"].astype(str)
    state = place.map(STATE_OF_PLACEMENT)
    # Temporary moves keep the state of the placement they interrupt; an unknown code counts as "other".
    temporary = place.isin(TEMPORARY_PLACEMENTS)
    state = state.where(temporary | state.notna() | episodes["PLACE"].isna(), "other")
    key = episodes["LA"].astype(str) + ":" + episodes["CHILD"].astype(str)
    state = state.mask(temporary).groupby(key).ffill()
    frame = pd.DataFrame(
        {
            "child": key.to_numpy(),
            "la": episodes["LA"].astype(str).to_numpy(),
            "dob": pd.to_datetime(dob.reindex(pd.MultiIndex.from_frame(episodes[["LA", "CHILD"]])).to_numpy()),
            "start": pd.to_datetime(episodes["DECOM"]).to_numpy(),
            "end": pd.to_datetime(episodes["DEC"]).to_numpy(),
            "state": state.to_numpy(),
        }
    )
    years = tables["Episodes"]["YEAR"]
    first, last = int(years.min()), int(years.max())
    return Histories(frame, pd.Timestamp(first - 1, 4, 1), pd.Timestamp(last, 3, 31), 3, "england")


# The generator's placement age bands (<1, 1-9, 10-15, 16+) hold the projection's age bands.
_GENERATOR_BAND_OF = {"under 1": 0, "1-4": 1, "5-9": 1, "10-15": 2, "16-17": 3}


def planted_entry_shares(truth: dict | None) -> dict[str, dict[str, float]] | None:
    """The generator's share of entries into each state by age band, or None when it cannot be read.

    The English generator draws each new placement (on entry and on every
    move) from fixed shares by age band (``PLACE_BANDS`` in
    ``lac_outcomes.england.simulate``) and then makes it P1 (placed with
    parents) with a planted probability per authority and year (the
    ``P1_31MAR`` targets of truth.yaml, averaged here over authorities and
    years).  Unaccompanied children are never P1, which lowers the share
    slightly among the over-10s (not corrected).  Read from the generator, not
    copied: if it no longer has ``PLACE_BANDS`` the check says so.
    """
    if not truth:
        return None
    try:
        from lac_outcomes.england import simulate as generator

        bands = generator.PLACE_BANDS
        with_parents = [r["planted"] for r in truth["indicators"] if r["indicator"] == "P1_31MAR"]
    except (AttributeError, ImportError, KeyError, TypeError):
        return None
    if not with_parents:
        return None
    p1 = float(np.mean(with_parents))
    planted = {}
    for band in AGE_BANDS:
        shares = bands[_GENERATOR_BAND_OF[band]]
        total = sum(shares.values())
        by_state = dict.fromkeys(STATES, 0.0)
        for code, share in shares.items():
            by_state[STATE_OF_PLACEMENT.get(code, "other")] += (1 - p1) * share / total
        by_state["home"] += p1
        planted[band] = by_state
    return planted


PLANTED_NOTE = (
    "The English generator draws each child's exit route and time in care up front, not month by month, so it is "
    "not a Markov chain over these states; what it plants as fixed shares is the placement a child starts in: "
    "drawn by age band from fixed shares, then placed with parents with the planted probability."
)


def load(processed_dir, first_year=None, last_year=None) -> Histories:
    """The processed SSDA903 tables as projection histories (the years are those of the returns loaded)."""
    # Only the columns the histories use: the returns' other columns are most of the reading time.
    columns = {
        "Episodes": ["LA", "CHILD", "DECOM", "DEC", "PLACE", "LS", "YEAR"],
        "Header": ["LA", "CHILD", "YEAR", "DOB"],
    }
    tables = {name: read_parquet(Path(processed_dir) / f"{name}.parquet", columns) for name, columns in columns.items()}
    return histories(tables)


def planted_check(truth: dict | None):
    """The planted-truth check of the report (panel, fit -> table), or None when the truth is unknown."""
    shares = planted_entry_shares(truth)
    if shares is None:
        return None
    return lambda panel, fitted: check_entry_shares(entry_counts(panel, fitted.window), shares)
