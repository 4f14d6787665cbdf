"""Permanence (England, SSDA903): time from entering care to adoption, special guardianship or a CAO.

Periods of care come from :func:`lac_outcomes.england.indicators.episode_history`
over the episodes of every loaded return (latest copy of each episode wins:
a history merged across returns, as longitudinal work needs).  Conventions:

* the route is the reason the period of care ended (REC): E11/E12 adoption,
  E43-E48 special guardianship order, E41 child arrangements (residence)
  order; any other ending is leaving care another way (a competing event);
  a period still open at the end of the data is censored there;
* time is in years from the start of the period of care; a period that began
  before the first loaded year enters the risk set at that year's 1 April
  (delayed entry); a period whose start is not in the data (its S episode is
  in no loaded return) cannot be timed and is set aside, counted;
* the adoption milestones inside a period: the agency decision that the child
  should be placed for adoption (AD1 DATE_INT, else PlacedAdoption
  DATE_PLACED), the placement order (first episode with LS E1), the match
  (AD1 DATE_MATCH) and moving in with the adoptive family (first A3-A6
  placement); a milestone dated outside the period of care is not used.

The adoption scorecard measures: A1, average days from entering care to moving
in with the adoptive family; A2, average days from the placement order to the
match; for children adopted in the year, by LA and year (the DfE publishes
three-year averages; single years here).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lac_outcomes import journeys
from lac_outcomes.disclosure import DisclosurePolicy, Linked, SuppressedTable
from lac_outcomes.england.indicators import collection_year_bounds, episode_history, without_short_breaks
from lac_outcomes.england.layout import ADOPTION_PLACEMENTS, ADOPTION_REASONS, SPECIAL_GUARDIANSHIP_REASONS
from lac_outcomes.scotland import survival
from lac_outcomes.stats import binomial_interval

DAYS_PER_YEAR = 365.25
# The processed tables the report reads.
TABLES = ("Header", "Episodes", "AD1", "PlacedAdoption")
ROUTES = ("adoption", "special_guardianship", "child_arrangements")
LEFT_CARE = "left_care_another_way"
CAUSE_LABELS = {
    "adoption": "Adoption",
    "special_guardianship": "Special guardianship order",
    "child_arrangements": "Child arrangements order",
    LEFT_CARE: "Left care another way",
}
ROUTE_OF_REASON = {
    **{r: "adoption" for r in ADOPTION_REASONS},
    **{r: "special_guardianship" for r in SPECIAL_GUARDIANSHIP_REASONS},
    "E41": "child_arrangements",
}
COX_TERMS = journeys.COX_TERMS
TERM_LABELS = journeys.TERM_LABELS
HORIZONS = (1, 2, 3, 5)
MIN_EVENTS_PER_TERM = 10
# Adoption stages (from, to) for adopted children, and the timescales the documents name (days).
ADOPTION_STAGES = {
    "entering care to agency decision": ("spell_start", "decision"),
    "agency decision to placement order": ("decision", "placement_order"),
    "placement order to match (A2)": ("placement_order", "matched"),
    "agency decision to match": ("decision", "matched"),
    "match to moving in": ("matched", "moved_in"),
    "entering care to moving in (A1)": ("spell_start", "moved_in"),
    "moving in to adoption order": ("moved_in", "spell_end"),
}
TIMESCALES = {
    # Adoption scorecard thresholds (2015-18): A1 426 days (14 months), A2 121 days (4 months).
    "entering care to moving in (A1)": 426,
    "placement order to match (A2)": 121,
}
# NI 61: placed for adoption within 12 months of the decision.
NI61_DAYS = 365
# The stages the generator plants (truth.yaml ``adoption: stages``), each between two milestones of a period.
PLANTED_STAGES = {
    "decision": "entering care to agency decision",
    "matched": "agency decision to match",
    "placed": "match to moving in",
    "order": "moving in to adoption order",
}
# A stage's durations for the planted check come from stages that began at least this many years before the end
# of the data (and not before its start): nearly every one begun then has finished, so the completed durations
# are not cut short by the end of the data (about 3 in 10,000 of the whole journey take longer, on the generator).
SETTLED_YEARS = 5


# --------------------------------------------------------------------------
# periods of care and milestones
# --------------------------------------------------------------------------
def _first_in_spell(periods: pd.DataFrame, dates: pd.DataFrame, column: str) -> pd.Series:
    """The first date in ``dates[column]`` (per LA and CHILD) inside each period of care (start <= d <= end).

    For a period whose start is not in the data the lower bound is the end of the child's previous period.
    """
    if dates.empty:
        return pd.Series(pd.NaT, index=periods.index)
    # A period whose start is not in the data may have begun any time after the child's previous period.
    previous_end = periods.sort_values("spell_start").groupby(["LA", "CHILD"])["spell_end"].shift()
    lower = periods["spell_start"].where(periods["spell_start_known"], previous_end.reindex(periods.index))
    bounds = periods.assign(lower=lower.fillna(pd.Timestamp("1900-01-01")))
    merged = bounds[["LA", "CHILD", "spell", "lower", "spell_end"]].merge(
        dates[["LA", "CHILD", column]].dropna(), on=["LA", "CHILD"]
    )
    inside = (merged[column] >= merged["lower"]) & (
        merged["spell_end"].isna() | (merged[column] <= merged["spell_end"])
    )
    first = merged[inside].groupby("spell")[column].min()
    return pd.Series(first.reindex(periods["spell"]).to_numpy(), index=periods.index)


def periods_of_care(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per period of care with its route, adoption milestones, age at entry and sex.

    ``tables``: the processed 903 tables (Episodes and Header needed; AD1 and
    PlacedAdoption used when present).
    """
    history = episode_history(without_short_breaks(tables["Episodes"]))
    grouped = history.groupby("spell", sort=True)
    periods = grouped.agg(
        LA=("LA", "first"),
        CHILD=("CHILD", "first"),
        spell_start=("spell_start", "first"),
        spell_start_known=("spell_start_known", "first"),
        spell_end=("spell_end", "first"),
        spell_reason=("spell_reason", "first"),
    ).reset_index()
    periods["route"] = periods["spell_reason"].map(ROUTE_OF_REASON)
    order = history[history["LS"] == "E1"].groupby("spell")["DECOM"].min()
    periods["placement_order"] = pd.to_datetime(order.reindex(periods["spell"]).to_numpy())
    adoptive = history[history["PLACE"].isin(ADOPTION_PLACEMENTS) & history["begins_placement"]]
    periods["moved_in"] = pd.to_datetime(adoptive.groupby("spell")["DECOM"].min().reindex(periods["spell"]).to_numpy())
    ad1 = tables.get("AD1", pd.DataFrame())
    placed = tables.get("PlacedAdoption", pd.DataFrame())
    decision = _first_in_spell(periods, ad1, "DATE_INT") if len(ad1) else pd.Series(pd.NaT, index=periods.index)
    if len(placed):
        decision = decision.fillna(_first_in_spell(periods, placed, "DATE_PLACED"))
    periods["decision"] = pd.to_datetime(decision)
    matched = _first_in_spell(periods, ad1, "DATE_MATCH") if len(ad1) else pd.Series(pd.NaT, index=periods.index)
    periods["matched"] = pd.to_datetime(matched)
    header = (
        tables["Header"].sort_values("YEAR").drop_duplicates(["LA", "CHILD"], keep="last").set_index(["LA", "CHILD"])
    )
    key = pd.MultiIndex.from_frame(periods[["LA", "CHILD"]])
    dob = pd.to_datetime(header["DOB"].reindex(key).to_numpy())
    periods["male"] = (header["SEX"].reindex(key).astype(str) == "1").to_numpy().astype(float)
    periods["age_at_entry"] = (periods["spell_start"] - dob).dt.days / DAYS_PER_YEAR
    periods["age_at_entry_minus_5"] = periods["age_at_entry"] - 5
    periods["child_id"] = periods["LA"] + "/" + periods["CHILD"]
    periods["la_code"] = periods["LA"]
    return periods


def permanence_data(periods: pd.DataFrame, data_start, censor_date) -> pd.DataFrame:
    """Time from entering care to each route (cause), leaving another way, or censoring; delayed entry.

    Periods whose start is not in the data are left out (see ``attrs["unknown_start"]``), as are periods
    that ended before ``data_start`` and those whose time is not after their entry.
    """
    data_start, censor_date = pd.Timestamp(data_start), pd.Timestamp(censor_date)
    timed = periods[periods["spell_start_known"]].copy()
    ended = timed["spell_end"].notna() & (timed["spell_end"] <= censor_date)
    timed = timed[
        (timed["spell_end"].isna() | (timed["spell_end"] > data_start)) & (timed["spell_start"] <= censor_date)
    ]
    ended = ended.reindex(timed.index)
    end = timed["spell_end"].where(ended, censor_date)
    timed["cause"] = np.where(ended, timed["route"].fillna(LEFT_CARE), "censored")
    timed["event"] = (timed["cause"] != "censored").astype(int)
    timed["any_order"] = timed["cause"].isin(ROUTES).astype(int)
    timed["time"] = np.maximum((end - timed["spell_start"]).dt.days, 0.5) / DAYS_PER_YEAR
    timed["entry"] = np.maximum((data_start - timed["spell_start"]).dt.days / DAYS_PER_YEAR, 0.0)
    out = timed[timed["time"] > timed["entry"]].reset_index(drop=True)
    out.attrs["unknown_start"] = int((~periods["spell_start_known"]).sum())
    return out


def adopted_in_year(periods: pd.DataFrame, year: int) -> pd.DataFrame:
    """Periods of care that ended in adoption during collection year ``year`` (1 April to 31 March)."""
    start, end = collection_year_bounds(year)
    return periods[(periods["route"] == "adoption") & periods["spell_end"].between(start, end)]


def stage_days(periods: pd.DataFrame) -> pd.DataFrame:
    """Days of each adoption stage per adopted period (NaN where a milestone is missing or out of order)."""
    out = pd.DataFrame(index=periods.index)
    for label, (begin, finish) in ADOPTION_STAGES.items():
        days = (periods[finish] - periods[begin]).dt.days
        # From entering care only where the period's start is in the data (else the first loaded episode's).
        known = periods["spell_start_known"] if begin == "spell_start" else True
        out[label] = days.where((days >= 0) & known)
    return out


def scorecard(periods: pd.DataFrame, years) -> pd.DataFrame:
    """A1 and A2 by LA and collection year: children adopted, mean days and how many each mean rests on."""
    rows = []
    for year in years:
        adopted = adopted_in_year(periods, year)
        days = stage_days(adopted)
        for la, index in adopted.groupby("LA").groups.items():
            a1 = days.loc[index, "entering care to moving in (A1)"].dropna()
            a2 = days.loc[index, "placement order to match (A2)"].dropna()
            rows.append(
                {
                    "LA": la,
                    "year": int(year),
                    "adopted": len(index),
                    "A1 children": len(a1),
                    "A1 mean days": a1.mean() if len(a1) else np.nan,
                    "A2 children": len(a2),
                    "A2 mean days": a2.mean() if len(a2) else np.nan,
                }
            )
    return pd.DataFrame(rows)


def stage_sample(periods: pd.DataFrame, stage: str, data_start, censor_date, settled_years=SETTLED_YEARS):
    """Completed durations of one adoption stage (:data:`PLANTED_STAGES`) for the Weibull and Cox fits.

    Periods that ended in adoption by ``censor_date`` whose stage began between ``data_start`` and
    ``settled_years`` before ``censor_date``, with the stage's closing milestone on or after its opening one
    (entering care only where the period's start is in the data).  Selecting on when the stage began, not
    when the period ended, keeps the durations unbiased however many children entered each year.  Columns
    added: ``days``, ``time`` (years; half a day for a same-day stage), ``event`` (1) and ``entry`` (0).
    """
    begin, finish = ADOPTION_STAGES[PLANTED_STAGES[stage]]
    data_start, censor_date = pd.Timestamp(data_start), pd.Timestamp(censor_date)
    adopted = periods[(periods["route"] == "adoption") & (periods["spell_end"] <= censor_date)]
    started, ended = adopted[begin], adopted[finish]
    latest = censor_date - pd.DateOffset(years=settled_years)
    usable = started.between(data_start, latest) & ended.notna() & (ended >= started)
    if begin == "spell_start":
        usable &= adopted["spell_start_known"]
    data = adopted[usable].copy()
    data["days"] = (ended[usable] - started[usable]).dt.days
    data["time"] = np.maximum(data["days"], 0.5) / DAYS_PER_YEAR
    data["event"], data["entry"] = 1, 0.0
    return data.reset_index(drop=True)


def planted_timeliness(truth: dict | None) -> pd.DataFrame:
    """The planted NI 61 probabilities (placed within 12 months of the decision) by LA and year, if any.

    Read from the generator's ``indicators`` records (``indicator: NI61, kind: target``); an empty frame
    when the truth has none (real data, or a generator that plants adoption timing another way).
    """
    records = (truth or {}).get("indicators") or []
    rows = [
        (r["LA"], int(r["YEAR"]), float(r["planted"]))
        for r in records
        if r.get("indicator") == "NI61" and r.get("kind") == "target" and r.get("planted") is not None
    ]
    return pd.DataFrame(rows, columns=["LA", "year", "planted"])


# --------------------------------------------------------------------------
# the report
# --------------------------------------------------------------------------
@dataclass
class Report(journeys.Report):
    """What the notebook shows (tables, figure data, texts, results), as the Scottish report."""

    years: list[int]


def build(tables: dict[str, pd.DataFrame], policy: DisclosurePolicy, *, truth: dict | None = None) -> Report:
    """Every table, figure's data and result of the English permanence report."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return _build(tables, policy, truth)


def _build(tables, policy, truth) -> Report:
    years = sorted(int(y) for y in tables["Episodes"]["YEAR"].unique())
    report = Report(years)
    data_start, censor = collection_year_bounds(years[0])[0], collection_year_bounds(years[-1])[1]
    periods = periods_of_care(tables)
    outcome = permanence_data(periods, data_start, censor)
    counts = {
        "periods of care timed": len(outcome),
        "began before the data (delayed entry)": int((outcome["entry"] > 0).sum()),
        "start not in the data (set aside)": outcome.attrs["unknown_start"],
        **{f"ended: {CAUSE_LABELS[c].lower()}": int((outcome["cause"] == c).sum()) for c in [*ROUTES, LEFT_CARE]},
    }
    table = pd.DataFrame({"count": list(counts.values())}, index=list(counts))
    table.index.name = ""
    keys = [None, None, None, *(("route events", c) for c in [*ROUTES, LEFT_CARE])]
    report.linked["counts"] = Linked(table, ["count"], keys={"count": keys})
    report.captions["counts"] = "Periods of care and how they ended"
    _incidence(report, outcome)
    _models(report, outcome)
    _stages(report, periods, years)
    planted = {
        "planted_stages": _planted_stages(report, periods, truth, data_start, censor),
        "planted": _planted(report, periods, truth, years),
    }
    planted = {name: rows for name, rows in planted.items() if rows is not None}
    report.tables = policy.suppress_together(report.linked, lines=report.lines)
    if planted:
        shown = []
        for name, rows in planted.items():
            journeys.withhold_coverage(report.tables[name])
            visible = ~report.tables[name].suppressed["estimate"].to_numpy()
            shown.append(rows[visible & rows["estimate"].notna().to_numpy()])
        checked = pd.concat(shown, ignore_index=True)
        report.texts["planted"] = (
            f"{int(checked['covered'].sum()):,} of {len(checked):,} planted values shown lie inside their 95% "
            f"intervals ({checked['covered'].mean():.0%}; about 95% is expected)."
            if len(checked)
            else "No planted value can be shown at this size."
        )
        report.results["planted_coverage"] = {"covered": int(checked["covered"].sum()), "checked": len(checked)}
    report.results.update(
        {
            name: t.display.reset_index().to_dict(orient="records")
            for name, t in report.tables.items()
            if isinstance(t, SuppressedTable)
        }
    )
    return report


def _incidence(report, outcome):
    causes = [c for c in [*ROUTES, LEFT_CARE] if (outcome["cause"] == c).any()]
    table = survival.cumulative_incidence(outcome["time"], outcome["cause"], causes=causes, entry=outcome["entry"])
    rows = []
    for t in HORIZONS:
        values = survival.incidence_at(table, t)
        at_risk = int(((outcome["entry"] < t) & (outcome["time"] >= t)).sum())
        rows.append({"periods at risk": at_risk, **{CAUSE_LABELS[c]: 100 * v for c, v in values.items()}})
    shown = pd.DataFrame(rows, index=[f"{t} years" for t in HORIZONS])
    shown.index.name = "since entering care"
    report.linked["incidence"] = Linked(
        shown, ["periods at risk"], options=dict(rate_columns={c: "periods at risk" for c in shown.columns[1:]})
    )
    report.captions["incidence"] = "Cumulative incidence (%) of each route and of leaving care another way"
    report.figures["incidence"] = table[table["at_risk"] >= 10].rename(columns=CAUSE_LABELS)
    curves = []
    for label, entry in (("with delayed entry", outcome["entry"]), ("ignoring delayed entry (biased)", None)):
        curve = survival.km_table(survival.kaplan_meier(outcome["time"], outcome["any_order"], entry))
        curve["method"] = label
        curves.append(curve[curve["at_risk"] >= 10])
    report.figures["any_order"] = pd.concat(curves, ignore_index=True)


def _models(report, outcome):
    parts = []
    for route in [r for r in ROUTES if (outcome["cause"] == r).sum() >= MIN_EVENTS_PER_TERM * len(COX_TERMS)]:
        data = outcome.assign(route_event=(outcome["cause"] == route).astype(int))
        try:
            table = journeys.fit_cox(data, "route_event")
        except (np.linalg.LinAlgError, ValueError):
            continue
        parts.append(table.assign(model=CAUSE_LABELS[route], events=int(data["route_event"].sum()), key=route))
    if not parts:
        return
    cox = pd.concat(parts, ignore_index=True)
    cox["term"] = cox["term"].map(TERM_LABELS)
    shown = cox.set_index(["model", "term"])[["events", "hazard_ratio", "hr_low", "hr_high"]]
    shown = shown.rename(columns={"hazard_ratio": "hazard ratio", "hr_low": "95% CI low", "hr_high": "95% CI high"})
    values = ("hazard ratio", "95% CI low", "95% CI high")
    report.linked["cox"] = Linked(
        shown,
        ["events"],
        keys={"events": [("route events", k) for k in cox["key"]]},
        options=dict(rate_columns={c: "events" for c in values}, decimals=2),
    )
    report.captions["cox"] = (
        "Cause-specific Cox models (hazard ratios, 95% CI; local authority strata, delayed entry, robust SEs by child)"
    )


def _stages(report, periods, years):
    adopted = pd.concat([adopted_in_year(periods, y) for y in years])
    days = stage_days(adopted)
    rows = []
    for label in ADOPTION_STAGES:
        values = days[label].dropna()
        row = {"stage": label, "children": len(values)}
        if len(values):
            row.update(median_days=values.median(), mean_days=values.mean())
            if label in TIMESCALES:
                row.update(timescale_days=TIMESCALES[label], over=100 * (values > TIMESCALES[label]).mean())
        rows.append(row)
    table = (
        pd.DataFrame(rows)
        .set_index("stage")
        .rename(
            columns={
                "median_days": "median days",
                "mean_days": "mean days",
                "timescale_days": "timescale (days)",
                "over": "% over the timescale",
            }
        )
    )
    report.linked["stages"] = Linked(
        table, ["children"], options=dict(rate_columns={c: "children" for c in table.columns[1:]}, decimals=0)
    )
    report.captions["stages"] = "Adopted children in the period: days at each stage (where both dates are recorded)"
    card = scorecard(periods, years)
    if len(card):
        adopted_keys = [("adopted", la, int(y)) for la, y in zip(card["LA"], card["year"], strict=True)]
        card = card.set_index(["LA", "year"])
        report.linked["scorecard"] = Linked(
            card,
            ["adopted", "A1 children", "A2 children"],
            keys={"adopted": adopted_keys},
            options=dict(rate_columns={"A1 mean days": "A1 children", "A2 mean days": "A2 children"}, decimals=0),
        )
        report.captions["scorecard"] = "Adoption scorecard measures by authority and year (single years)"


def _planted_stages(report, periods, truth, data_start, censor) -> pd.DataFrame | None:
    """Each planted adoption stage: hazard ratios (Cox), Weibull shape and each LA's median beside the truth."""
    planted = (truth or {}).get("adoption") or {}
    stages = planted.get("stages") or {}
    medians = planted.get("reference_median_years_by_la") or {}
    parts = []
    for stage, label in PLANTED_STAGES.items():
        if stage not in stages:
            continue
        data = stage_sample(periods, stage, data_start, censor)
        if len(data) < MIN_EVENTS_PER_TERM * 4:
            continue
        try:
            fit = journeys.fit_weibull_by_la(data)
        except (np.linalg.LinAlgError, ValueError):
            continue
        spec, key = stages[stage], ("stage sample", stage)
        truth_of_term = {"age_at_entry_minus_5": spec["log_hr_age_per_year"], "male": spec["log_hr_male"]}
        for row in fit.attrs["coefficients"].itertuples():
            parts.append(
                {
                    "what": f"{label}: hazard ratio, {TERM_LABELS[row.term]}",
                    "key": key,
                    "children": len(data),
                    "planted": float(np.exp(truth_of_term[row.term])),
                    "estimate": float(np.exp(row.estimate)),
                    "ci_low": float(np.exp(row.ci_low)),
                    "ci_high": float(np.exp(row.ci_high)),
                }
            )
        low, high = fit.attrs["shape_ci"]
        parts.append(
            {
                "what": f"{label}: Weibull shape",
                "key": key,
                "children": len(data),
                "planted": float(spec["shape"]),
                "estimate": fit.attrs["shape"],
                "ci_low": low,
                "ci_high": high,
            }
        )
        by_la = fit[fit["la_code"].isin(list(medians.get(stage, {})))]
        report.lines.append([key, *(("stage sample by LA", stage, la) for la in fit["la_code"])])
        parts.extend(
            {
                "what": f"{label}: median years (age 5 at entry, girl), {row.la_code}",
                "key": ("stage sample by LA", stage, row.la_code),
                "children": row.events,
                "planted": float(medians[stage][row.la_code]),
                "estimate": row.median,
                "ci_low": row.ci_low,
                "ci_high": row.ci_high,
            }
            for row in by_la.itertuples()
        )
    if not parts:
        return None
    rows = pd.DataFrame(parts)
    rows["covered"] = (rows["ci_low"] <= rows["planted"]) & (rows["planted"] <= rows["ci_high"])
    shown = rows.set_index("what")[["children", "planted", "estimate", "ci_low", "ci_high"]].copy()
    shown["covered"] = rows["covered"].map({True: "yes", False: "no"}).to_numpy()
    shown = shown.rename(columns={"ci_low": "95% CI low", "ci_high": "95% CI high"})
    values = ("planted", "estimate", "95% CI low", "95% CI high")
    report.linked["planted_stages"] = Linked(
        shown,
        ["children"],
        keys={"children": rows["key"].tolist()},
        options=dict(rate_columns={c: "children" for c in values}, decimals=3),
    )
    report.captions["planted_stages"] = (
        "Planted adoption stages beside the estimates (Weibull proportional hazards with one scale per authority, "
        "maximum likelihood: hazard ratios, shape and each authority's median; 95% intervals): stages that began "
        f"{SETTLED_YEARS} years or more before the end of the data"
    )
    return rows


def _planted(report, periods, truth, years) -> pd.DataFrame | None:
    planted = planted_timeliness(truth)
    if planted.empty:
        return None
    rows = []
    for year in years:
        adopted = adopted_in_year(periods, year)
        gap = (adopted["moved_in"] - adopted["decision"]).dt.days
        timely = (gap <= NI61_DAYS) & gap.notna()
        for la, index in adopted.groupby("LA").groups.items():
            target = planted[(planted["LA"] == la) & (planted["year"] == year)]["planted"]
            if target.empty:
                continue
            k, n = int(timely.loc[index].sum()), len(index)
            low, high = binomial_interval(k, n)
            rows.append((f"{la} {year}", k, n, float(target.iloc[0]), k / n, low, high, ("adopted", la, int(year))))
    if not rows:
        return None
    columns = ["what", "timely", "adopted", "planted", "estimate", "ci_low", "ci_high", "key"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["covered"] = (frame["ci_low"] <= frame["planted"]) & (frame["planted"] <= frame["ci_high"])
    shown = frame.set_index("what")[["timely", "adopted", "planted", "estimate", "ci_low", "ci_high"]].copy()
    shown["covered"] = frame["covered"].map({True: "yes", False: "no"}).to_numpy()
    values = ("planted", "estimate", "ci_low", "ci_high")
    report.linked["planted"] = Linked(
        shown,
        ["timely", "adopted"],
        keys={"adopted": frame["key"].tolist()},
        options=dict(
            rate_columns={c: ["timely", "adopted"] for c in values}, complements={"timely": "adopted"}, decimals=3
        ),
    )
    report.captions["planted"] = (
        "Planted share placed within 12 months of the decision (NI 61) beside the estimate, by authority and year"
    )
    return frame


show = journeys.show
