"""Permanence (Scotland): how long children wait, by which route, and at which stage the delay sits.

The permanence-planning table (``permanence.csv``, one row per child per
milestone) is joined to the spells of being looked after
(:func:`lac_outcomes.scotland.derive.spells`).  Conventions:

* a milestone belongs to the spell during which it happened (spell start <=
  date <= spell end, or the spell is open); one after the end of every spell
  of the child is *unattached* (counted, not used);
* a milestone after ``censor_date`` has not happened yet (an order granted
  after the period ends is not an order in the period);
* the first record of each milestone in a spell is used; a milestone dated
  before the milestone the process puts before it is *out of order*: the two
  stages that use its date are set aside (counted), the rest of the spell used;
* time is in years (days / 365.25) from the start of the stage; a spell that
  began before the period enters the risk set at the period start (delayed
  entry); the end of the spell (leaving care) ends a stage without its
  milestone, and the end of the data censors it.

Models use :mod:`lac_outcomes.scotland.survival` (Kaplan-Meier with delayed
entry, Aalen-Johansen, Cox with strata).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lac_outcomes import journeys
from lac_outcomes.disclosure import DisclosurePolicy, Linked, SuppressedTable
from lac_outcomes.scotland import derive, survival
from lac_outcomes.scotland.areas import Area, Period, la_name
from lac_outcomes.scotland.layout import ORDER_TYPES, PERMANENCE_MILESTONES
from lac_outcomes.stats import binomial_interval

MILESTONES = list(PERMANENCE_MILESTONES)
STAGE_LABELS = {
    "plan_agreed": "start of spell to plan agreed",
    "panel_recommendation": "plan to panel recommendation",
    "agency_decision": "panel to agency decision",
    "application_lodged": "agency decision to court application",
    "order_granted": "court application to order granted",
}
LEFT_CARE = "left_care_without_order"
ROUTES = list(ORDER_TYPES)
CAUSES = [*ROUTES, LEFT_CARE]
CAUSE_LABELS = {**ORDER_TYPES, LEFT_CARE: "Left care without an order"}
AGE_CENTRE = 5.0
COX_TERMS = journeys.COX_TERMS
TERM_LABELS = journeys.TERM_LABELS
AGE_BANDS = ([0, 5, 12, 16, 200], ["under 5", "5 to 11", "12 to 15", "16 and over"])
HORIZONS = (1, 2, 3, 5)
STAGE_COLUMNS = {
    "median_days": "median days",
    "ci_low": "95% CI low",
    "ci_high": "95% CI high",
    "timescale_days": "timescale (days)",
    "percent_over_timescale": "% still waiting at the timescale",
}
MIN_EVENTS_PER_TERM = 10


# --------------------------------------------------------------------------
# derived milestones and durations
# --------------------------------------------------------------------------
def planning_spells(episodes: pd.DataFrame, permanence: pd.DataFrame, censor_date) -> pd.DataFrame:
    """One row per spell with the date of each milestone in it, the order sought and out-of-order flags.

    Columns: child_id, spell_number, spell_start, spell_end, reason_ended, one
    date column per milestone (NaT if not reached by ``censor_date``),
    ``order_sought`` (on the order_granted row if there is one, else the latest
    row that names one), ``out_of_order_<milestone>`` (bool).  ``attrs``
    holds ``unattached`` (milestones in no spell) and ``after_censor``.
    """
    censor_date = pd.Timestamp(censor_date)
    spells = derive.spells(episodes).reset_index(drop=True)
    spells["spell_index"] = np.arange(len(spells))
    rows = permanence.copy()
    rows["milestone_date"] = derive.as_dates(rows["milestone_date"])
    after = rows["milestone_date"] > censor_date
    rows = rows[~after & rows["milestone_date"].notna()]
    merged = rows.reset_index(names="row").merge(
        spells[["child_id", "spell_index", "spell_start", "spell_end"]], on="child_id", how="inner"
    )
    inside = (merged["milestone_date"] >= merged["spell_start"]) & (
        merged["spell_end"].isna() | (merged["milestone_date"] <= merged["spell_end"])
    )
    # A milestone on the day one spell ends and the next begins belongs to the earlier spell.
    placed = merged[inside].sort_values(["row", "spell_index"]).drop_duplicates("row", keep="first")
    order = {m: i for i, m in enumerate(MILESTONES)}
    placed = placed.assign(_rank=placed["milestone"].map(order)).sort_values(
        ["spell_index", "milestone_date", "_rank"], kind="stable"
    )
    first = placed.drop_duplicates(["spell_index", "milestone"], keep="first")
    dates = first.pivot(index="spell_index", columns="milestone", values="milestone_date")
    out = spells.copy()
    for milestone in MILESTONES:
        out[milestone] = dates[milestone].reindex(out["spell_index"]).to_numpy() if milestone in dates else pd.NaT
        out[milestone] = pd.to_datetime(out[milestone])
    granted = first[first["milestone"] == "order_granted"].set_index("spell_index")["order_sought"]
    named = placed[placed["order_sought"].notna()].groupby("spell_index")["order_sought"].last()
    out["order_sought"] = granted.reindex(out["spell_index"]).fillna(named.reindex(out["spell_index"])).to_numpy()
    previous = out["spell_start"]
    for milestone in MILESTONES:
        out[f"out_of_order_{milestone}"] = (out[milestone] < previous).fillna(False).astype(bool)
        previous = out[milestone].fillna(previous)
    out.attrs["unattached"] = int(len(rows) - len(placed))
    out.attrs["after_censor"] = int(after.sum())
    return out.drop(columns="spell_index")


def _covariates(frame: pd.DataFrame, children: pd.DataFrame) -> pd.DataFrame:
    child = children.set_index("child_id")
    dob = derive.as_dates(child["date_of_birth"]).reindex(frame["child_id"]).to_numpy()
    frame = frame.copy()
    frame["la_code"] = child["la_code"].reindex(frame["child_id"]).to_numpy()
    frame["male"] = (child["sex"].reindex(frame["child_id"]) == "M").to_numpy().astype(float)
    frame["age_at_entry"] = (frame["spell_start"] - pd.to_datetime(dob)).dt.days.to_numpy() / derive.DAYS_PER_YEAR
    frame["age_at_entry_minus_5"] = frame["age_at_entry"] - AGE_CENTRE
    frame["age_band"] = pd.cut(frame["age_at_entry"], AGE_BANDS[0], right=False, labels=AGE_BANDS[1]).astype(str)
    return frame


def _in_scope(spells: pd.DataFrame, period_start, censor_date) -> pd.Series:
    """Spells looked after on some day of the period: not ended by its start, started by its end."""
    return (spells["spell_end"].isna() | (spells["spell_end"] > period_start)) & (spells["spell_start"] <= censor_date)


def stage_data(spells: pd.DataFrame, stage: str, period_start, censor_date) -> pd.DataFrame:
    """Time to ``stage``'s milestone from the previous one (plan_agreed: from the spell start), for survival.

    Rows: spells in the period that reached the previous milestone, with both
    dates in order.  Columns added: ``time`` (years), ``event`` (1 = reached),
    ``entry`` (delayed entry at the period start), ``days`` (the duration in
    days where reached).  Rows with ``time <= entry`` (done before the period)
    are left out.
    """
    period_start, censor_date = pd.Timestamp(period_start), pd.Timestamp(censor_date)
    index = MILESTONES.index(stage)
    began = spells["spell_start"] if index == 0 else spells[MILESTONES[index - 1]]
    usable = _in_scope(spells, period_start, censor_date) & began.notna() & ~spells[f"out_of_order_{stage}"]
    if index > 0:
        usable &= ~spells[f"out_of_order_{MILESTONES[index - 1]}"]
    data = spells[usable].copy()
    began = began[usable]
    stop = data["spell_end"].fillna(censor_date).clip(upper=censor_date)
    reached = data[stage].notna()
    end = data[stage].where(reached, stop)
    data["event"] = reached.astype(int)
    data["days"] = (end - began).dt.days.where(reached)
    data["time"] = np.maximum((end - began).dt.days, 0.5) / derive.DAYS_PER_YEAR
    data["entry"] = np.maximum((period_start - began).dt.days / derive.DAYS_PER_YEAR, 0.0)
    return data[data["time"] > data["entry"]].reset_index(drop=True)


def permanence_data(spells: pd.DataFrame, period_start, censor_date) -> pd.DataFrame:
    """Time from the start of the spell to an order (cause = the order made) or leaving care without one.

    ``cause`` is the order sought on the order_granted row (``order (kind not
    recorded)`` when blank), :data:`LEFT_CARE` when the spell ended first, or
    ``censored`` at ``censor_date``.  Delayed entry as in :func:`stage_data`.
    """
    period_start, censor_date = pd.Timestamp(period_start), pd.Timestamp(censor_date)
    data = spells[_in_scope(spells, period_start, censor_date)].copy()
    order = data["order_granted"]
    left = data["spell_end"].notna() & (data["spell_end"] <= censor_date) & order.isna()
    end = order.fillna(data["spell_end"].where(left, censor_date))
    data["cause"] = np.where(
        order.notna(), data["order_sought"].fillna("order (kind not recorded)"), np.where(left, LEFT_CARE, "censored")
    )
    data["event"] = (data["cause"] != "censored").astype(int)
    data["any_order"] = order.notna().astype(int)
    data["time"] = np.maximum((end - data["spell_start"]).dt.days, 0.5) / derive.DAYS_PER_YEAR
    data["entry"] = np.maximum((period_start - data["spell_start"]).dt.days / derive.DAYS_PER_YEAR, 0.0)
    return data[data["time"] > data["entry"]].reset_index(drop=True)


# --------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------
def _cox_or_none(data, event):
    needed = MIN_EVENTS_PER_TERM * len(COX_TERMS)
    if int(data[event].sum()) < needed:
        return None
    try:
        table = journeys.fit_cox(data, event)
    except (np.linalg.LinAlgError, ValueError):
        return None
    return table if np.isfinite(table[["estimate", "std_error"]].to_numpy()).all() else None


def share_over(survfunc, years: float) -> float:
    """Kaplan-Meier share of stages not finished ``years`` after they began (over the timescale)."""
    return survival.survival_at(survfunc, years)


# --------------------------------------------------------------------------
# the report
# --------------------------------------------------------------------------
@dataclass
class Report(journeys.Report):
    """What the notebook shows: tables (suppressed or plain model tables), figure data, texts, results."""

    area: Area
    period: Period


def build(
    tables: dict[str, pd.DataFrame],
    policy: DisclosurePolicy,
    *,
    first_year: int | None = None,
    last_year: int | None = None,
    truth: dict | None = None,
    guidance_days: dict[str, float] | None = None,
) -> Report:
    """Every table, figure's data and result of the Scottish permanence report.

    ``tables`` holds the processed children, episodes, pupils and permanence;
    ``guidance_days`` the timescale for each stage (days; the notebook states
    its source); ``truth`` a truth.yaml in the generator's shape, or None.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return _build(tables, policy, first_year, last_year, truth, guidance_days or {})


def _build(tables, policy, first_year, last_year, truth, guidance_days) -> Report:
    children = tables["children"]
    period = Period.configured(first_year, last_year, tables.get("pupils"))
    report = Report(Area.loaded(children), period)
    spells = planning_spells(tables["episodes"], tables["permanence"], period.end)
    spells = _covariates(spells, children)
    outcome = permanence_data(spells, period.start, period.end)
    stages = {s: stage_data(spells, s, period.start, period.end) for s in MILESTONES}
    _counts(report, policy, spells, outcome, stages)
    _stage_table(report, policy, stages, guidance_days)
    _incidence(report, policy, outcome)
    _models(report, policy, outcome, stages)
    planted = _planted(report, truth, spells, period)
    report.tables = policy.suppress_together(report.linked, lines=report.lines)
    if planted is not None:
        _planted_text(report, planted)
    report.results.update(
        {
            name: table.display.reset_index().to_dict(orient="records")
            for name, table in report.tables.items()
            if isinstance(table, SuppressedTable)
        }
    )
    return report


def _counts(report, policy, spells, outcome, stages):
    in_scope = _in_scope(spells, report.period.start, report.period.end)
    rows = {
        "spells looked after in the period": int(in_scope.sum()),
        "began before the period (delayed entry)": int((outcome["entry"] > 0).sum()),
        "with a permanence plan agreed": int((in_scope & spells["plan_agreed"].notna()).sum()),
    }
    for milestone in MILESTONES[1:]:
        rows[f"reaching: {PERMANENCE_MILESTONES[milestone].lower()}"] = int(
            (in_scope & spells[milestone].notna()).sum()
        )
    for route in ROUTES:
        rows[f"order granted: {ORDER_TYPES[route].lower()}"] = int((outcome["cause"] == route).sum())
    rows["milestones out of order (stages set aside)"] = int(
        sum(spells.loc[in_scope, f"out_of_order_{m}"].sum() for m in MILESTONES)
    )
    rows["milestones in no spell (not used)"] = int(spells.attrs.get("unattached", 0))
    counts = pd.DataFrame({"count": list(rows.values())}, index=list(rows))
    counts.index.name = ""
    keys = [None] * len(counts)
    for i, label in enumerate(counts.index):
        for route in ROUTES:
            if label == f"order granted: {ORDER_TYPES[route].lower()}":
                keys[i] = ("route events", route)
    report.linked["counts"] = Linked(counts, ["count"], keys={"count": keys})
    report.captions["counts"] = "Spells, milestones and orders in the period"


def _stage_table(report, policy, stages, guidance_days):
    rows, curves = [], []
    for stage, data in stages.items():
        row = {"stage": STAGE_LABELS[stage], "stages begun": len(data), "reached": int(data["event"].sum())}
        if row["reached"] >= MIN_EVENTS_PER_TERM:
            km = survival.kaplan_meier(data["time"], data["event"], data["entry"])
            low, high = survival.km_median_interval(km)
            row.update(
                median_days=survival.km_median(km) * derive.DAYS_PER_YEAR,
                ci_low=low * derive.DAYS_PER_YEAR,
                ci_high=high * derive.DAYS_PER_YEAR,
            )
            guidance = guidance_days.get(stage)
            if guidance:
                row["timescale_days"] = guidance
                row["percent_over_timescale"] = 100 * share_over(km, guidance / derive.DAYS_PER_YEAR)
            curve = survival.km_table(km)
            curve["stage"] = STAGE_LABELS[stage]
            curves.append(curve[curve["at_risk"] >= max(10, policy.threshold)])
        rows.append(row)
    table = pd.DataFrame(rows).set_index("stage").rename(columns=STAGE_COLUMNS)
    value_columns = [c for c in table.columns if c not in ("stages begun", "reached")]
    report.linked["stages"] = Linked(
        table,
        ["stages begun", "reached"],
        keys={
            "stages begun": [("stage begun", s) for s in stages],
            "reached": [("stage reached", s) for s in stages],
        },
        options=dict(
            rate_columns={c: "reached" for c in value_columns}, complements={"reached": "stages begun"}, decimals=0
        ),
    )
    report.captions["stages"] = (
        "Stage by stage: median days (Kaplan-Meier with delayed entry, 95% CI) and the share still waiting at the "
        "timescale"
    )
    report.figures["stage_curves"] = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame()


def _incidence(report, policy, outcome):
    causes = [c for c in CAUSES if (outcome["cause"] == c).any()]
    table = survival.cumulative_incidence(outcome["time"], outcome["cause"], causes=causes, entry=outcome["entry"])
    rows = []
    for t in HORIZONS:
        values = survival.incidence_at(table, t)
        rows.append(
            {
                "spells at risk": int(((outcome["entry"] < t) & (outcome["time"] >= t)).sum()),
                **{CAUSE_LABELS[c]: 100 * v for c, v in values.items()},
            }
        )
    shown = pd.DataFrame(rows, index=[f"{t} years" for t in HORIZONS])
    shown.index.name = "since the spell began"
    report.linked["incidence"] = Linked(
        shown, ["spells at risk"], options=dict(rate_columns={c: "spells at risk" for c in shown.columns[1:]})
    )
    report.captions["incidence"] = "Cumulative incidence (%) of each order and of leaving care without one"
    drawn = table[table["at_risk"] >= max(10, policy.threshold)]
    report.figures["incidence"] = drawn.rename(columns=CAUSE_LABELS)
    with_entry = survival.kaplan_meier(outcome["time"], outcome["any_order"], outcome["entry"])
    naive = survival.kaplan_meier(outcome["time"], outcome["any_order"])
    curves = []
    for label, km in (("with delayed entry", with_entry), ("ignoring delayed entry (biased)", naive)):
        curve = survival.km_table(km)
        curve["method"] = label
        curves.append(curve[curve["at_risk"] >= max(10, policy.threshold)])
    report.figures["any_order"] = pd.concat(curves, ignore_index=True)


def _models(report, policy, outcome, stages):
    parts = []
    for route in [r for r in ROUTES if (outcome["cause"] == r).any()]:
        data = outcome.assign(route_event=(outcome["cause"] == route).astype(int))
        table = _cox_or_none(data, "route_event")
        if table is not None:
            events = int(data["route_event"].sum())
            parts.append(table.assign(model=f"order: {ORDER_TYPES[route].lower()}", events=events, key=route))
    for stage, data in stages.items():
        table = _cox_or_none(data, "event")
        if table is not None:
            events = int(data["event"].sum())
            parts.append(table.assign(model=f"stage: {STAGE_LABELS[stage]}", events=events, stage=stage, key=stage))
    if not parts:
        return
    cox = pd.concat(parts, ignore_index=True)
    cox["term"] = cox["term"].map(TERM_LABELS)
    report.figures["cox"] = cox
    shown = cox.set_index(["model", "term"])[["events", "hazard_ratio", "hr_low", "hr_high"]]
    shown = shown.rename(columns={"hazard_ratio": "hazard ratio", "hr_low": "95% CI low", "hr_high": "95% CI high"})
    keys = [("stage reached", k) if k in STAGE_LABELS else ("route events", k) for k in cox["key"]]
    values = ("hazard ratio", "95% CI low", "95% CI high")
    report.linked["cox"] = Linked(
        shown, ["events"], keys={"events": keys}, options=dict(rate_columns={c: "events" for c in values}, decimals=2)
    )
    report.captions["cox"] = (
        "Cause-specific Cox models (hazard ratios, 95% CI; local authority strata, delayed entry, robust SEs by child)"
    )


def planted_stage_effects(truth: dict) -> pd.DataFrame:
    """Planted log hazard ratios per stage (age at entry per year, male), named as the Cox terms.

    The first stage is left out: only some spells are ever planned for (a share that depends on age), so the
    hazard of a plan among all spells is a mixture whose ratio is not the planted one.
    """
    stages = ((truth or {}).get("permanence") or {}).get("stages") or {}
    rows = []
    for stage, spec in list(stages.items())[1:]:
        rows.append((stage, TERM_LABELS["age_at_entry_minus_5"], float(spec["log_hr_age_per_year"])))
        rows.append((stage, TERM_LABELS["male"], float(spec["log_hr_male"])))
    return pd.DataFrame(rows, columns=["stage", "term", "planted"])


def _planted(report, truth, spells, period) -> pd.DataFrame | None:
    """Planted beside estimated: stage log hazard ratios, and the share of plans seeking each order by age."""
    planted = planted_stage_effects(truth)
    if planted.empty or "cox" not in report.figures:
        return None
    cox = report.figures["cox"].dropna(subset=["stage"]) if "stage" in report.figures["cox"] else pd.DataFrame()
    rows = planted.merge(cox, on=["stage", "term"], how="inner")
    rows = rows.assign(
        what=rows["stage"].map(STAGE_LABELS) + ": " + rows["term"],
        key=[("stage reached", s) for s in rows["stage"]],
        plans=np.nan,
    )
    rows = rows[["what", "key", "events", "plans", "planted", "estimate", "ci_low", "ci_high"]]
    by_age = (truth["permanence"] or {}).get("order_sought_by_age") or {}
    planned = spells[_in_scope(spells, period.start, period.end) & spells["plan_agreed"].notna()]
    shares = []
    for band, probabilities in by_age.items():
        group = planned[(planned["age_band"] == band) & planned["order_sought"].notna()]
        line = [("plans", band)]
        for route, p in probabilities.items():
            if not p:  # a route never planted for this age: nothing to recover
                continue
            k, n = int((group["order_sought"] == route).sum()), len(group)
            line.append(("share", band, route))
            low, high = binomial_interval(k, n)
            shares.append(
                {
                    "what": f"share of plans seeking {ORDER_TYPES[route].lower()}, entry age {band}",
                    "key": ("share", band, route),
                    "events": k,
                    "plans": n,
                    "planted": float(p),
                    "estimate": k / n if n else np.nan,
                    "ci_low": low,
                    "ci_high": high,
                    "plans_key": ("plans", band),
                }
            )
        report.lines.append(line)
    rows = pd.concat([rows, pd.DataFrame(shares), *_planted_medians(report, truth, spells, period)], ignore_index=True)
    rows["covered"] = (rows["ci_low"] <= rows["planted"]) & (rows["planted"] <= rows["ci_high"])
    shown = rows.set_index("what")[["events", "plans", "planted", "estimate", "ci_low", "ci_high"]].copy()
    shown["covered"] = rows["covered"].map({True: "yes", False: "no"}).to_numpy()
    values = ("planted", "estimate", "ci_low", "ci_high")
    plans_keys = rows["plans_key"].tolist() if "plans_key" in rows else [None] * len(rows)
    report.linked["planted"] = Linked(
        shown,
        ["events", "plans"],
        keys={"events": rows["key"].tolist(), "plans": [k if isinstance(k, tuple) else None for k in plans_keys]},
        options=dict(rate_columns={c: ["events", "plans"] for c in values}, decimals=3),
    )
    report.captions["planted"] = "Planted values beside the estimates (95% intervals)"
    return rows


def _planted_medians(report, truth, spells, period) -> list[pd.DataFrame]:
    """Each stage's planted Weibull shape and median by authority (age 5 at entry, female) beside a Weibull fit."""
    spec = (truth.get("permanence") or {}).get("stages") or {}
    medians = (truth.get("permanence") or {}).get("reference_median_years_by_la") or {}
    parts = []
    for stage in MILESTONES[1:]:
        if stage not in medians or stage not in spec:
            continue
        data = stage_data(spells, stage, period.start, period.end)
        if data["event"].sum() < MIN_EVENTS_PER_TERM * 4:
            continue
        try:
            fit = journeys.fit_weibull_by_la(data)
        except (np.linalg.LinAlgError, ValueError):
            continue
        if not np.isfinite(fit[["median", "ci_low", "ci_high"]].to_numpy()).all():
            continue
        report.lines.append([("stage reached", stage), *(("stage events by LA", stage, la) for la in fit["la_code"])])
        label = STAGE_LABELS[stage]
        low, high = fit.attrs["shape_ci"]
        shape = {
            "what": f"{label}: Weibull shape",
            "key": ("stage reached", stage),
            "events": int(data["event"].sum()),
            "planted": float(spec[stage]["shape"]),
            "estimate": fit.attrs["shape"],
            "ci_low": low,
            "ci_high": high,
        }
        by_la = pd.DataFrame(
            {
                "what": [f"{label}: median years, {la_name(c)}" for c in fit["la_code"]],
                "key": [("stage events by LA", stage, c) for c in fit["la_code"]],
                "events": fit["events"],
                "planted": fit["la_code"].map(medians[stage]).astype(float),
                "estimate": fit["median"],
                "ci_low": fit["ci_low"],
                "ci_high": fit["ci_high"],
            }
        )
        parts += [pd.DataFrame([shape]), by_la]
    return parts


def _planted_text(report, rows):
    journeys.withhold_coverage(report.tables["planted"])
    visible = ~report.tables["planted"].suppressed["estimate"].to_numpy()
    checked = rows[visible & rows["estimate"].notna().to_numpy()]
    report.texts["planted"] = (
        f"{int(checked['covered'].sum()):,} of {len(checked):,} planted values shown lie inside their 95% intervals "
        f"({checked['covered'].mean():.0%}; about 95% is expected)."
        if len(checked)
        else "No planted value can be shown at this size."
    )
    report.results["planted_coverage"] = {"covered": int(checked["covered"].sum()), "checked": len(checked)}


show = journeys.show
