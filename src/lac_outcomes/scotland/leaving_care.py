"""Leaving care (Scotland): young people eligible for aftercare, their outcomes, last placement and time in care.

Definitions (the report and its tests use these and nothing else):

* a row of the aftercare return is a young person eligible for aftercare on
  31 July of ``year`` (left care on or after their 16th birthday, under 26);
* **in touch** = receiving aftercare (``receiving_aftercare`` Y; blank is not
  known and counts as not in touch, as a return that does not say);
* **EET** = economic activity in :data:`layout.ECONOMIC_ACTIVITY_EET`; not
  known (or blank) is unknown;
* **suitable accommodation** = the accommodation code's suitability in
  :data:`layout.AFTERCARE_ACCOMMODATION` (other and not known are unknown);
* **last placement group**: the published group of the last episode of the
  child's last spell that ended on or before 31 July of ``year``;
  **years looked after**: the total length of every episode up to the end of
  that spell (all spells);
* a young person not in children.csv, or with no spell ended by then, has no
  care history here (kept in the rates, left out of the model).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lac_outcomes import journeys
from lac_outcomes.disclosure import DisclosurePolicy
from lac_outcomes.scotland import derive
from lac_outcomes.scotland.layout import (
    AFTERCARE_ACCOMMODATION,
    ECONOMIC_ACTIVITY_EET,
    PLACEMENT_GROUP_LABELS,
    PLACEMENT_GROUPS,
)

TABLES = ("children", "episodes", "aftercare")
REFERENCE_GROUP = "with_foster_carers"
BY = ["year"]
SUITABLE = {code: suitable for code, (_, suitable) in AFTERCARE_ACCOMMODATION.items()}


def care_history(children: pd.DataFrame, episodes: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """For each (child_id, year) in ``pairs``: last placement group, years looked after and age on 31 July.

    Columns: child_id, year, group, years_looked_after, age (NA where the child has no spell ended by then).
    """
    eps = episodes.copy()
    eps["episode_start"] = derive.as_dates(eps["episode_start"])
    eps["episode_end"] = derive.as_dates(eps["episode_end"])
    eps = eps.sort_values(["child_id", "episode_start"], kind="stable")
    eps["group"] = eps["placement_type"].map(PLACEMENT_GROUPS)
    eps["days"] = (eps["episode_end"] - eps["episode_start"]).dt.days
    # Each episode with the end of its spell (NaT while the spell is open).
    spells = derive.spells(episodes)[["child_id", "spell_start", "spell_end"]]
    eps = eps.merge(spells, on="child_id")
    eps = eps[(eps["episode_start"] >= eps["spell_start"]) & (eps["episode_end"] <= eps["spell_end"])]
    merged = pairs[["child_id", "year"]].drop_duplicates().merge(eps, on="child_id", how="inner")
    census = pd.to_datetime(merged["year"].astype(int).astype(str) + "-07-31")
    # Every episode of every spell ended by 31 July (a spell still open then is not yet a leaving).
    ended = merged[merged["spell_end"] <= census].sort_values(["child_id", "year", "episode_start"], kind="stable")
    grouped = ended.groupby(["child_id", "year"])
    out = pd.DataFrame(
        {"group": grouped["group"].last(), "years_looked_after": grouped["days"].sum() / derive.DAYS_PER_YEAR}
    ).reset_index()
    out = pairs[["child_id", "year"]].drop_duplicates().merge(out, on=["child_id", "year"], how="left")
    dob = derive.as_dates(children.set_index("child_id")["date_of_birth"]).reindex(out["child_id"]).to_numpy()
    census = pd.to_datetime(out["year"].astype(int).astype(str) + "-07-31")
    out["age"] = np.floor((census - pd.to_datetime(dob)).dt.days / derive.DAYS_PER_YEAR)
    return out


def leavers(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per young person eligible for aftercare per year, in the shape both nations share."""
    aftercare = tables["aftercare"]
    receiving = aftercare["receiving_aftercare"].map({"Y": True, "N": False})
    activity = aftercare["economic_activity"]
    known = activity.notna() & (activity != "not_known")
    eet = activity.isin(ECONOMIC_ACTIVITY_EET).where(known).astype("boolean")
    suitable = aftercare["accommodation"].map(SUITABLE).astype("boolean")
    frame = pd.DataFrame(
        {
            "person": aftercare["child_id"].to_numpy(),
            "la_code": aftercare["la_code"].to_numpy(),
            "year": aftercare["year"].astype(int).to_numpy(),
            "contact": receiving.fillna(False).astype(bool).to_numpy(),
            "eet": eet.to_numpy(),
            "suitable": suitable.to_numpy(),
        }
    )
    pairs = aftercare[["child_id", "year"]].astype({"year": int})
    history = care_history(tables["children"], tables["episodes"], pairs)
    history = history.rename(columns={"child_id": "person"})
    frame = frame.merge(history, on=["person", "year"], how="left")
    return frame[list(journeys.LEAVER_COLUMNS)]


def planted_effects(truth: dict | None) -> dict[str, float]:
    """Planted log-odds ratios of EET (last placement group against foster carers; per year looked after)."""
    plan = ((truth or {}).get("aftercare") or {}).get("eet_log_odds") or {}
    if not plan:
        return {}
    effects = {g: float(v) for g, v in plan["last_placement"].items()}
    return {**effects, "years_looked_after": float(plan["per_year_looked_after"])}


def build(tables, policy: DisclosurePolicy, *, truth=None) -> journeys.Report:
    """Every table and result of the Scottish leaving care report."""
    frame = leavers(tables)
    report = journeys.Report()
    years = f"{frame['year'].min()} to {frame['year'].max()}" if len(frame) else "none"
    report.texts["data"] = (
        f"Young people eligible for aftercare on 31 July, years {years}; {journeys.history_text(frame, policy)}."
    )
    return journeys.build_leaving_care(
        report,
        frame,
        policy,
        by=BY,
        labels=PLACEMENT_GROUP_LABELS,
        reference=REFERENCE_GROUP,
        planted=planted_effects(truth),
    )


show = journeys.show
