"""Leaving care (England, SSDA903 OC3): care leavers' outcomes by age, last placement and time looked after.

Definitions (the report and its tests use these and nothing else):

* a row of OC3 is a former relevant child in the year's return; those who
  died are left out (counted in the data text);
* **age**: completed years on 31 March of the collection year;
* **in touch** = IN_TOUCH is YES;
* **EET** and **suitable accommodation**: NI 148's and NI 147's rules
  (:func:`indicators.in_education_employment_training`,
  :func:`indicators.suitable_accommodation`) for young people in touch; for
  those not in touch the return says nothing (unknown: counted in the
  indicator's denominator only, as NI 147/148 do);
* **last placement group**: the last placement (temporary placements and
  short breaks aside) of the child's last period of care ended on or before
  31 March of the year, in the merged history of the loaded returns: foster
  (U1-U6), residential (K1, K2, R1, R2, R5, S1), independent or
  semi-independent living (H5, P2, P3), other (with parents, placed for
  adoption, family centre, other);
* **years looked after**: the total length of that child's episodes in the
  loaded returns up to the end of that period -- the returns reach back only
  as far as the first loaded year, so it is a lower bound;
* an OC3 row for a child with no ended period in the loaded returns (one who
  left care before the first loaded year) has no care history here: kept in
  the rates, left out of the model.
"""

from __future__ import annotations

import pandas as pd

from lac_outcomes import journeys
from lac_outcomes.disclosure import DisclosurePolicy
from lac_outcomes.england import indicators
from lac_outcomes.england.layout import TEMPORARY_PLACEMENTS, collection_year_bounds

TABLES = ("Episodes", "OC3")
REFERENCE_GROUP = "foster"
BY = ["year", "age"]
GROUP_LABELS = {
    "foster": "Foster care",
    "residential": "Residential",
    "independent": "Independent or semi-independent living",
    "other": "Other (with parents, for adoption, other)",
}
RESIDENTIAL = ("K1", "K2", "R1", "R2", "R5", "S1")
INDEPENDENT = ("H5", "P2", "P3")


def placement_group(place: pd.Series) -> pd.Series:
    """The last placement groups above, from PLACE codes (blank stays blank)."""
    text = place.astype("string")
    group = pd.Series("other", index=place.index, dtype="object")
    group[text.str.startswith("U").fillna(False).to_numpy()] = "foster"
    group[text.isin(RESIDENTIAL).fillna(False).to_numpy()] = "residential"
    group[text.isin(INDEPENDENT).fillna(False).to_numpy()] = "independent"
    return group.where(text.notna().to_numpy())


def census_dates(years: pd.Series) -> pd.Series:
    """31 March of each collection year, as collection_year_bounds gives it, looked up once per distinct year."""
    census = {year: collection_year_bounds(int(year))[1] for year in years.unique()}
    return years.map(census).astype("datetime64[us]")


def care_history(episodes: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """For each (LA, CHILD, YEAR) in ``pairs``: last placement group and years looked after (see the module)."""
    history = indicators.episode_history(indicators.without_short_breaks(episodes)).drop(columns="YEAR")
    keys_cols = ["LA", "CHILD", "YEAR"]
    keys = pairs[keys_cols].drop_duplicates()
    keys["census"] = census_dates(keys["YEAR"])
    merged = keys.merge(history, on=["LA", "CHILD"], how="inner")
    merged = merged[merged["spell_end"].notna() & (merged["spell_end"] <= merged["census"])]
    merged["last_end"] = merged.groupby(keys_cols)["spell_end"].transform("max")
    before = merged[merged["DEC"].notna() & (merged["DEC"] <= merged["last_end"])].copy()
    before["days"] = (before["DEC"] - before["DECOM"]).dt.days
    lasting = before[(before["spell_end"] == before["last_end"]) & ~before["PLACE"].isin(TEMPORARY_PLACEMENTS)]
    out = pd.DataFrame(
        {
            "years_looked_after": before.groupby(keys_cols)["days"].sum() / 365.25,
            "place": lasting.sort_values("DECOM", kind="stable").groupby(keys_cols)["PLACE"].last(),
        }
    ).reset_index()
    out["group"] = placement_group(out["place"])
    return keys[keys_cols].merge(out[[*keys_cols, "group", "years_looked_after"]], on=keys_cols, how="left")


def leavers(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per care leaver in OC3 per year (died left out), in the shape both nations share."""
    oc3 = tables["OC3"]
    oc3 = oc3[oc3["IN_TOUCH"] != "DIED"].reset_index(drop=True)
    census = census_dates(oc3["YEAR"])
    contact = oc3["IN_TOUCH"].eq("YES").fillna(False).astype(bool)
    eet = indicators.in_education_employment_training(oc3["ACTIV"].fillna("")).where(contact & oc3["ACTIV"].notna())
    suitable = indicators.suitable_accommodation(oc3["ACCOM"]).where(contact & oc3["ACCOM"].notna())
    frame = pd.DataFrame(
        {
            "person": (oc3["LA"] + ":" + oc3["CHILD"]).to_numpy(),
            "LA": oc3["LA"].to_numpy(),
            "CHILD": oc3["CHILD"].to_numpy(),
            "la_code": oc3["LA"].to_numpy(),
            "year": oc3["YEAR"].astype(int).to_numpy(),
            "age": indicators.age_in_years(oc3["DOB"], census).astype("Float64").to_numpy(),
            "contact": contact.to_numpy(),
            "eet": eet.astype("boolean").to_numpy(),
            "suitable": suitable.astype("boolean").to_numpy(),
        }
    )
    history = care_history(tables["Episodes"], oc3[["LA", "CHILD", "YEAR"]]).rename(columns={"YEAR": "year"})
    frame = frame.merge(history, on=["LA", "CHILD", "year"], how="left")
    frame["age"] = frame["age"].astype(float)
    frame.attrs["died"] = int((tables["OC3"]["IN_TOUCH"] == "DIED").sum())
    return frame[list(journeys.LEAVER_COLUMNS)]


def planted_effects(truth: dict | None) -> dict[str, float]:
    """Planted log-odds ratios of EET by last placement (against foster care) and per year looked after."""
    plan = (truth or {}).get("leaving_care") or {}
    if not plan:
        return {}
    effects = {g: float(v) for g, v in plan["eet_log_odds_by_last_placement"].items() if g != plan["reference"]}
    return {**effects, "years_looked_after": float(plan.get("per_year_looked_after", 0.0))}


def build(tables, policy: DisclosurePolicy, *, truth=None) -> journeys.Report:
    """Every table and result of the English leaving care report."""
    frame = leavers(tables)
    report = journeys.Report()
    years = f"{frame['year'].min()} to {frame['year'].max()}" if len(frame) else "none"
    report.texts["data"] = (
        f"Care leavers in OC3 (those who died left out), collection years {years}; "
        f"{journeys.history_text(frame, policy)}."
    )
    frame = frame.assign(age=frame["age"].astype("Int64"))
    return journeys.build_leaving_care(
        report, frame, policy, by=BY, labels=GROUP_LABELS, reference=REFERENCE_GROUP, planted=planted_effects(truth)
    )


show = journeys.show
