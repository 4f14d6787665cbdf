"""Scottish adapter of the projection model: episodes to the common state histories, and the planted rates.

States from the published placement categories: at home with parents (home
supervision), with friends/relatives (kinship), foster carers provided or
purchased by the LA and prospective adopters (foster), secure accommodation
(secure), in other community (other), and every other residential setting
(residential).  Looked-after years end on 31 July.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from lac_outcomes.io import read_parquet
from lac_outcomes.projection import Histories, check_transitions
from lac_outcomes.scotland.derive import as_dates

STATE_OF_PLACEMENT = {
    "at_home_with_parents": "home",
    "with_friends_relatives": "kinship",
    "with_foster_carers_la": "foster",
    "with_foster_carers_purchased": "foster",
    "with_prospective_adopters": "foster",
    "other_community": "other",
    "secure": "secure",
    "la_home": "residential",
    "voluntary_home": "residential",
    "residential_school": "residential",
    "crisis_care": "residential",
    "other_residential": "residential",
}


def histories(tables: dict, first_year: int, last_year: int) -> Histories:
    """Episodes (with each child's authority and date of birth) as projection states, 1 August first_year-1 onwards."""
    episodes, children = tables["episodes"], tables["children"].set_index("child_id")
    dob = as_dates(children["date_of_birth"]).set_axis(children.index)
    frame = pd.DataFrame(
        {
            "child": episodes["child_id"].astype(str).to_numpy(),
            "la": children["la_code"].reindex(episodes["child_id"]).to_numpy(),
            "dob": dob.reindex(episodes["child_id"]).to_numpy(),
            "start": as_dates(episodes["episode_start"]).to_numpy(),
            "end": as_dates(episodes["episode_end"]).to_numpy(),
            "state": episodes["placement_type"].map(STATE_OF_PLACEMENT).to_numpy(),
        }
    )
    frame = frame.dropna(subset=["la"])
    return Histories(frame, pd.Timestamp(first_year - 1, 8, 1), pd.Timestamp(last_year, 7, 31), 7, "scotland")


def planted_transitions(truth: dict | None) -> dict[tuple[str, str], float] | None:
    """The generator's monthly probabilities of moving between residential and secure care.

    The Scottish generator is not a Markov chain over these states (spell
    lengths are lognormal by group), but placement moves within a spell in
    residential care are a Poisson process at ``moves_per_year["residential"]``
    and each new placement is drawn afresh from
    ``residential_placement_probabilities``, secure with probability q.  So a
    child in secure care moves to another residential setting at rate r(1-q) a
    year, and one in other residential care moves to secure at rate r q: in a
    month, 1 - exp(-rate / 12).  Read from the run's truth.yaml.
    """
    if not truth:
        return None
    assumptions = truth.get("care_histories", {}).get("assumptions", {})
    try:
        rate = float(assumptions["moves_per_year"]["residential"])
        secure = float(assumptions["residential_placement_probabilities"]["secure"])
    except (KeyError, TypeError):
        return None
    return {
        ("secure", "residential"): 1 - math.exp(-rate * (1 - secure) / 12),
        ("residential", "secure"): 1 - math.exp(-rate * secure / 12),
    }


PLANTED_NOTE = (
    "The Scottish generator is not a Markov chain over these states (spell lengths are lognormal by placement "
    "group), so the check is on what it does plant as a rate: placement moves within residential care are a "
    "Poisson process and each new setting is drawn afresh, secure with a fixed probability, which fixes the "
    "monthly probabilities of moving from secure to other residential care and back."
)


def load(processed_dir, first_year: int, last_year: int) -> Histories:
    """The processed Scottish tables as projection histories."""
    tables = {name: read_parquet(Path(processed_dir) / f"{name}.parquet") for name in ("children", "episodes")}
    return histories(tables, first_year, last_year)


def planted_check(truth: dict | None):
    """The planted-truth check of the report (panel, fit -> table), or None when the truth is unknown."""
    rates = planted_transitions(truth)
    if rates is None:
        return None
    return lambda panel, fitted: check_transitions(fitted.counts, rates)
