"""Placement stability (England, SSDA903): the DfE's current measures beside the Care Matters indicators.

* **NI 62** (Care Matters): looked after at 31 March with three or more
  placements in the year; **NI 63**: under-16s looked after 2.5 years or more,
  in the same placement for two years (or placed for adoption): both from the
  indicator registry (:mod:`lac_outcomes.england.indicators`), as submitted.
* **Three or more placements over two years** (the DfE's current short-term
  measure): looked after at 31 March, placements counted over the two years
  ending that day by the same rule as NI 62 (the placement held at the start
  of the window counts once, each new placement adds one; temporary
  placements and returns to the same carer do not).  The DfE's long-term
  measure (same carer for two years, under-16s looked after 2.5 years or more)
  is NI 63's definition.
* **Re-entry within 12 months**: a period of care that ended (not by adoption,
  special guardianship or a child arrangements order) followed by a new
  period of the same child starting within 365 days; periods ending early
  enough for 12 months to be seen.

Figures come from a history merged across the loaded returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lac_outcomes import journeys
from lac_outcomes.disclosure import DisclosurePolicy, Linked, SuppressedTable
from lac_outcomes.england import indicators
from lac_outcomes.england.layout import collection_year_bounds
from lac_outcomes.england.permanence import ROUTE_OF_REASON
from lac_outcomes.stats import binomial_interval

TABLES = ("Header", "Episodes", "indicators")
PUBLISHED = {
    "three_or_more_placements_previous_2y": "three or more placements over two years",
    "long_term_stability_same_carer_2y": "NI 63 / same carer for two years",
}


def three_placements_in_two_years(history: pd.DataFrame, year: int) -> pd.DataFrame:
    """Children looked after at 31 March of ``year`` and whether they had three or more placements in two years."""
    _, end = collection_year_bounds(year)
    window_start = end - pd.DateOffset(years=2) + pd.Timedelta(days=1)
    current = indicators.at_31_march(history, end)  # the one definition of "looked after at 31 March"
    placements = indicators.placements_in_year(history, window_start, end)  # NI 62's counting rule
    key = pd.MultiIndex.from_frame(current[["LA", "CHILD"]])
    out = current[["LA", "CHILD"]].copy()
    out["placements"] = placements.reindex(key, fill_value=1).to_numpy()
    out["three_or_more"] = out["placements"] >= 3
    out["year"] = year
    return out


def reentries(history: pd.DataFrame, censor_date, window_days: int = 365) -> pd.DataFrame:
    """Periods of care ended (not by a permanence order) early enough to watch 12 months; did the child return?"""
    censor_date = pd.Timestamp(censor_date)
    periods = history.groupby("spell").agg(
        LA=("LA", "first"),
        CHILD=("CHILD", "first"),
        start=("spell_start", "first"),
        end=("spell_end", "first"),
        reason=("spell_reason", "first"),
    )
    periods = periods.sort_values(["LA", "CHILD", "start"])
    next_start = periods.groupby(["LA", "CHILD"])["start"].shift(-1)
    ended = periods["end"].notna() & ~periods["reason"].isin(list(ROUTE_OF_REASON))
    watched = ended & (periods["end"] <= censor_date - pd.Timedelta(days=window_days))
    out = periods[watched].copy()
    out["returned"] = ((next_start[watched] - out["end"]).dt.days <= window_days).fillna(False)
    out["year"] = [d.year + 1 if d.month >= 4 else d.year for d in out["end"]]
    return out.reset_index()


def published_value(figures: pd.DataFrame, measure: str) -> tuple[int, float] | None:
    """The latest published national value of ``measure`` (year, percent), if the figures hold it."""
    rows = figures[(figures["jurisdiction"] == "england") & (figures["measure"] == measure)]
    if rows.empty:
        return None
    latest = rows.sort_values("year").iloc[-1]
    return int(latest["year"]), float(latest["value"])


@dataclass
class Report(journeys.Report):
    years: list[int]


def build(tables, policy: DisclosurePolicy, *, published: pd.DataFrame | None = None) -> Report:
    """Every table and result of the English stability report."""
    years = sorted(int(y) for y in tables["Episodes"]["YEAR"].unique())
    report = Report(years)
    history = indicators.episode_history(indicators.without_short_breaks(tables["Episodes"]))
    ind = tables["indicators"]
    rows = []
    # Two-year measure from the second loaded year (the window needs a year before it).
    for year in years:
        national = {"year": year}
        for name in ("NI62", "NI63"):
            part = ind[(ind["YEAR"] == year) & (ind["indicator"] == name)]
            national[f"{name} children"] = part["denominator"].sum() if len(part) else np.nan
            national[f"{name} yes"] = part["numerator"].sum() if len(part) else np.nan
        if year > years[0]:
            two = three_placements_in_two_years(history, year)
            national["2y children"], national["2y yes"] = len(two), int(two["three_or_more"].sum())
        rows.append(national)
    table = pd.DataFrame(rows).set_index("year")
    for prefix in ("NI62", "NI63", "2y"):
        if f"{prefix} children" in table:
            table[f"{prefix} %"] = 100 * table[f"{prefix} yes"] / table[f"{prefix} children"]
    table = table.rename(
        columns={
            "NI62 children": "NI 62 children",
            "NI62 yes": "NI 62: 3+ placements in the year",
            "NI62 %": "NI 62 %",
            "NI63 children": "NI 63 children",
            "NI63 yes": "NI 63: same carer 2 years",
            "NI63 %": "NI 63 %",
            "2y children": "looked after 31 March",
            "2y yes": "3+ placements in two years",
            "2y %": "3+ in two years %",
        }
    )
    counts = [c for c in table.columns if not c.endswith("%")]
    rates = {
        "NI 62 %": "NI 62: 3+ placements in the year",
        "NI 63 %": "NI 63: same carer 2 years",
        "3+ in two years %": "3+ placements in two years",
    }
    complements = {
        "NI 62: 3+ placements in the year": "NI 62 children",
        "NI 63: same carer 2 years": "NI 63 children",
        "3+ placements in two years": "looked after 31 March",
    }
    report.linked["measures"] = Linked(
        table,
        counts,
        options=dict(rate_columns={k: v for k, v in rates.items() if k in table}, complements=complements, decimals=1),
    )
    report.captions["measures"] = (
        "Stability measures, all authorities loaded: Care Matters (NI 62, NI 63) and the DfE's two-year measure"
    )

    censor = collection_year_bounds(years[-1])[1]
    back = reentries(history, censor)
    if len(back):
        report.linked["reentry"] = journeys.reentry_table(back, "periods_ended")
        report.captions["reentry"] = (
            "Periods of care ended (not by an order) and the share followed by a new one within 12 months"
        )
    report.tables.update(policy.suppress_together(report.linked))
    if published is not None:
        _published(report, table, published)
    report.results.update(
        {
            n: t.display.reset_index().to_dict(orient="records")
            for n, t in report.tables.items()
            if isinstance(t, SuppressedTable)
        }
    )
    return report


def _published(report, table, published):
    """The latest year's national figures beside the latest published ones (with a binomial 95% CI)."""
    latest = table.index.max()
    rows = []
    for measure, (count, yes) in {
        "three_or_more_placements_previous_2y": ("looked after 31 March", "3+ placements in two years"),
        "long_term_stability_same_carer_2y": ("NI 63 children", "NI 63: same carer 2 years"),
    }.items():
        found = published_value(published, measure)
        if found is None or count not in table or report.tables["measures"].suppressed.loc[latest, yes]:
            continue
        n, k = table.loc[latest, count], table.loc[latest, yes]
        if not n or np.isnan(n):
            continue
        low, high = binomial_interval(int(k), int(n))
        rows.append(
            {
                "measure": PUBLISHED[measure],
                "year here": int(latest),
                "percent here": 100 * k / n,
                "95% CI low": 100 * low,
                "95% CI high": 100 * high,
                "published year": found[0],
                "published percent": found[1],
            }
        )
    if rows:
        report.tables["published"] = pd.DataFrame(rows).set_index("measure")
        report.captions["published"] = "The latest year here beside the latest published national figure"


show = journeys.show
