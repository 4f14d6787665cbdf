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
* **The risk of a move**: each placement (an episode that begins one, by
  NI 62's rule) of a period of care seen from its start is at risk of a move
  from the day after it began to the day a new placement begins (a move), or
  to the day before the child leaves care or moves in with adopters (not a
  move; moving in with adopters is a planned move to permanence), or to the
  last 31 March loaded.  Moves per child-year by placement group, and a
  Poisson model of moves with a log child-years offset (a piecewise-constant
  hazard: the continuous-time limit of a discrete-time model) on placement
  group, the moves already made in the period (history), whether the
  placement is in its first year, and an effect for each LA and collection
  year (profiled out).

Figures come from a history merged across the loaded returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from lac_outcomes import journeys
from lac_outcomes.disclosure import DisclosurePolicy, Linked, SuppressedTable
from lac_outcomes.display import format_plain
from lac_outcomes.england import indicators
from lac_outcomes.england.layout import ADOPTION_PLACEMENTS, MOVE_GROUPS, collection_year_bounds
from lac_outcomes.england.permanence import ROUTE_OF_REASON
from lac_outcomes.stats import binomial_interval

TABLES = ("Header", "Episodes", "indicators")
MOVE_GROUP_LABELS = {
    "foster_other": "Foster: other carer",
    "foster_relative": "Foster: relative or friend",
    "residential": "Residential (homes, secure, hospital, custody)",
    "semi_independent_other": "Semi-independent, family centre, other",
    "with_parents": "Placed with parents",
}
REFERENCE_GROUP = "foster_other"
PRIOR_MOVES = ("none", "one", "two or more")
FIRST_YEAR_DAYS = 365  # a day up to this many days after the placement began is in its first year
MIN_MOVES_FOR_MODEL = 30
_GROUP_OF = {code: group for group, codes in MOVE_GROUPS.items() for code in codes}
PUBLISHED = {
    "three_or_more_placements_previous_2y": "three or more placements over two years",
    "long_term_stability_same_carer_2y": "NI 63 / same carer for two years",
}


TWO_YEAR_COHORT = "looked after 31 March, both years"  # the two-year measure's children (its table column)


def three_placements_in_two_years(history: pd.DataFrame, year: int) -> pd.DataFrame:
    """Children looked after at 31 March of ``year`` and of the year before, and whether they had three or more
    placements in the two years to 31 March of ``year``.

    The DfE's cohort is "CLA 2 years on 31 March": children looked after on 31 March of both years. Its 2024 total,
    60,430 of the 83,630 looked after on 31 March 2024 (Stability measures for children looked after in England,
    placement stability data set), is the count of that definition; a child who came into care in the year cannot
    have been placed for two years and is not in it.
    """
    _, end = collection_year_bounds(year)
    _, year_before_end = collection_year_bounds(year - 1)
    window_start = end - pd.DateOffset(years=2) + pd.Timedelta(days=1)
    current = indicators.at_31_march(history, end)  # the one definition of "looked after at 31 March"
    before = indicators.at_31_march(history, year_before_end)[["LA", "CHILD"]].drop_duplicates()
    current = current.merge(before, on=["LA", "CHILD"])
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
    # only whole collection years: the periods ending on 1 April of the last one alone made a row of their own
    whole_year = [collection_year_bounds(y)[1] + pd.Timedelta(days=window_days) <= censor_date for y in out["year"]]
    return out[whole_year].reset_index()


def placement_spells(history: pd.DataFrame, first_year: int, last_year: int) -> pd.DataFrame:
    """One row per placement of the periods of care that began inside the loaded years (their history is known).

    Columns: ``LA``, ``CHILD``, ``spell``, ``group`` (MOVE_GROUPS; missing for adoptive placements and types in no
    group), ``start``, ``end`` (the last day at risk), ``moved`` (a new placement began on ``end``),
    ``prior`` (moves made earlier in the period: none, one, two or more).
    """
    first_start, _ = collection_year_bounds(first_year)
    _, censor = collection_year_bounds(last_year)
    seen = history["spell_start_known"] & (history["spell_start"] >= first_start)
    rows = history.loc[seen & history["begins_placement"], ["LA", "CHILD", "spell", "PLACE", "DECOM", "spell_end"]]
    rows = rows.sort_values(["spell", "DECOM"], kind="stable")
    next_start = rows.groupby("spell")["DECOM"].shift(-1)
    next_adoptive = rows.groupby("spell")["PLACE"].shift(-1).isin(ADOPTION_PLACEMENTS)
    moved = next_start.notna() & ~next_adoptive
    one_day = pd.Timedelta(days=1)
    # the day a child leaves care or moves in with adopters is no day at risk of a move
    ends = np.where(moved, next_start, np.where(next_start.notna(), next_start - one_day, rows["spell_end"] - one_day))
    ends = pd.Series(pd.to_datetime(ends), index=rows.index)
    open_ = ends.isna() | (ends > censor)
    out = pd.DataFrame(
        {
            "LA": rows["LA"],
            "CHILD": rows["CHILD"],
            "spell": rows["spell"],
            "group": rows["PLACE"].map(_GROUP_OF),
            "start": rows["DECOM"],
            "end": ends.where(~open_, censor),
            "moved": moved & ~open_,
        }
    )
    made = out["moved"].astype(int).groupby(out["spell"]).cumsum() - out["moved"].astype(int)
    out["prior"] = np.asarray(PRIOR_MOVES, dtype=object)[np.minimum(made.to_numpy(), 2)]
    return out.reset_index(drop=True)


def move_exposure(placements: pd.DataFrame, first_year: int, last_year: int) -> pd.DataFrame:
    """Child-years at risk and moves by LA, collection year, group, prior moves and first year of the placement.

    A placement's days at risk are the days after its start up to ``end``; each is in the collection year holding
    it and in the placement's first year while at most FIRST_YEAR_DAYS after the start.  A move counts in the
    cell of its day.
    """
    at_risk = placements[placements["group"].notna()]
    start = at_risk["start"].to_numpy("datetime64[D]").astype(np.int64)
    end = at_risk["end"].to_numpy("datetime64[D]").astype(np.int64)
    anniversary = start + FIRST_YEAR_DAYS
    keys = at_risk[["LA", "group", "prior"]].reset_index(drop=True)
    moved = at_risk["moved"].to_numpy()
    parts = []
    for year in range(first_year, last_year + 1):
        year_start, year_end = (d.to_datetime64().astype("datetime64[D]").astype(np.int64)
                                for d in collection_year_bounds(year))  # fmt: skip
        for first, low, high in ((True, start, np.minimum(end, anniversary)), (False, anniversary, end)):
            low, high = np.maximum(low, np.maximum(start, year_start - 1)), np.minimum(high, year_end)
            days = np.clip(high - low, 0, None)
            move_here = moved & (end >= year_start) & (end <= year_end) & ((end <= anniversary) == first)
            use = (days > 0) | move_here
            part = keys[use].copy()
            part["year"], part["first_year"] = year, "first year" if first else "later"
            part["years"], part["moves"] = days[use] / 365.25, move_here[use].astype(int)
            parts.append(part)
    cells = pd.concat(parts, ignore_index=True)
    return cells.groupby(["LA", "year", "group", "prior", "first_year"], as_index=False)[["years", "moves"]].sum()


def poisson_rates(cells: pd.DataFrame, by: str) -> pd.DataFrame:
    """Moves, child-years and moves per child-year with an exact Poisson 95% interval, by ``by``."""
    grouped = cells.groupby(by).agg(moves=("moves", "sum"), years=("years", "sum")).reset_index()
    k, t = grouped["moves"].to_numpy(), grouped["years"].to_numpy()
    grouped["rate"] = k / t
    grouped["ci_low"] = np.where(k > 0, stats.chi2.ppf(0.025, 2 * k) / (2 * t), 0.0)
    grouped["ci_high"] = stats.chi2.ppf(0.975, 2 * k + 2) / (2 * t)
    return grouped


TERMS = (
    *(f"C(group)[T.{g}]" for g in MOVE_GROUPS if g != REFERENCE_GROUP),
    *(f"C(prior)[T.{p}]" for p in PRIOR_MOVES[1:]),
    "C(first_year)[T.first year]",
)


@dataclass
class MoveModel:
    """Log rate ratios of a Poisson model with LA-year effects conditioned out (``fit_move_model``)."""

    params: pd.Series
    bse: pd.Series
    scale: float  # Pearson chi-squared over its residual degrees of freedom
    df_resid: int

    def conf_int(self) -> pd.DataFrame:
        z = stats.norm.ppf(0.975)
        return pd.DataFrame({0: self.params - z * self.bse, 1: self.params + z * self.bse})


def fit_move_model(cells: pd.DataFrame, *, iterations: int = 50) -> MoveModel:
    """Poisson model of moves per cell with a log child-years offset and an effect for every LA-year.

    moves ~ placement group + prior moves + first year of the placement + LA x collection year: coefficients are
    log rate ratios.  The LA-year effects are profiled out (for Poisson, the conditional likelihood within each
    LA-year gives the same estimates and standard errors as fitting them), so the fit is Newton's method on
    seven parameters; the standard errors are widened by the dispersion (Pearson), as a quasi-Poisson model's.
    """
    cells = cells[cells["years"] > 0]
    columns = {term: np.zeros(len(cells)) for term in TERMS}
    for group in MOVE_GROUPS:
        if group != REFERENCE_GROUP:
            columns[f"C(group)[T.{group}]"] = (cells["group"] == group).to_numpy(float)
    for prior in PRIOR_MOVES[1:]:
        columns[f"C(prior)[T.{prior}]"] = (cells["prior"] == prior).to_numpy(float)
    columns["C(first_year)[T.first year]"] = (cells["first_year"] == "first year").to_numpy(float)
    present = [term for term, column in columns.items() if column.any()]
    x = np.column_stack([columns[term] for term in present])
    stratum = pd.factorize(cells["LA"].astype(str) + "\x1f" + cells["year"].astype(str))[0]
    y, offset = cells["moves"].to_numpy(float), np.log(cells["years"].to_numpy(float))
    moves_in = np.bincount(stratum, weights=y)
    with_moves = moves_in > 0

    def log_likelihood(beta):  # the conditional (multinomial) log likelihood within LA-years
        eta = x @ beta + offset
        return float(y @ eta - moves_in[with_moves] @ np.log(np.bincount(stratum, weights=np.exp(eta))[with_moves]))

    beta = np.zeros(x.shape[1])
    for _ in range(iterations):
        raw = np.exp(x @ beta + offset)
        mu = raw * (moves_in / np.bincount(stratum, weights=raw))[stratum]  # each LA-year's effect at its MLE
        weighted = np.stack([np.bincount(stratum, weights=mu * x[:, j]) for j in range(x.shape[1])], axis=1)
        between = weighted[with_moves] / np.sqrt(moves_in[with_moves, None])
        information = (x * mu[:, None]).T @ x - between.T @ between
        step = np.linalg.solve(information, x.T @ (y - mu))
        current = log_likelihood(beta)
        while log_likelihood(beta + step) < current and np.abs(step).max() > 1e-12:
            step = step / 2  # Newton's step halved until the likelihood rises
        beta = beta + step
        if np.abs(step).max() < 1e-10:
            break
    raw = np.exp(x @ beta + offset)
    mu = raw * (moves_in / np.bincount(stratum, weights=raw))[stratum]
    used = with_moves[stratum]
    df_resid = int(used.sum() - len(present) - with_moves.sum())
    pearson = float(((y - mu)[used] ** 2 / mu[used]).sum())
    scale = pearson / df_resid if df_resid > 0 else 1.0
    bse = np.sqrt(np.diag(np.linalg.inv(information)) * scale)
    return MoveModel(pd.Series(beta, index=present), pd.Series(bse, index=present), scale, df_resid)


def term_label(term: str) -> str:
    """A readable name for a model term."""
    level = term.split("[T.")[1].rstrip("]") if "[T." in term else term
    if term.startswith("C(group"):
        return f"{MOVE_GROUP_LABELS.get(level, level)} (vs foster: other carer)"
    if term.startswith("C(prior"):
        return f"moves already made in the period: {level} (vs none)"
    if term.startswith("C(first_year"):
        return "placement in its first year (vs later)"
    return term


def planted_moves(truth: dict | None) -> dict | None:
    """The generator's planted move rates (truth.yaml ``stability``), if any."""
    planted = (truth or {}).get("stability")
    return planted if planted and planted.get("moves_per_year") else None


def planted_cell_rates(cells: pd.DataFrame, planted: dict) -> pd.Series:
    """The planted moves per child-year in each cell: group rate x ratios x the LA-year's multiplier."""
    multiplier = pd.Series(
        {(la, int(year)): m for la, by_year in planted["multiplier"].items() for year, m in by_year.items()}
    )
    key = pd.MultiIndex.from_arrays([cells["LA"], cells["year"].astype(int)])
    return (
        cells["group"].map(planted["moves_per_year"]).astype(float)
        * cells["prior"].map(planted["history_ratio"]).astype(float)
        * np.where(cells["first_year"] == "first year", float(planted["new_placement_ratio"]), 1.0)
        * multiplier.reindex(key).to_numpy()
    )


def planted_log_ratio(term: str, planted: dict) -> float:
    """The planted log rate ratio of a model term (NaN for LA and year terms: nuisance, not checked)."""
    level = term.split("[T.")[1].rstrip("]") if "[T." in term else ""
    if term.startswith("C(group"):
        rates = planted["moves_per_year"]
        return float(np.log(rates[level] / rates[planted["reference"]]))
    if term.startswith("C(prior"):
        return float(np.log(planted["history_ratio"][level]))
    if term.startswith("C(first_year"):
        return float(np.log(planted["new_placement_ratio"]))
    return np.nan


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


def build(tables, policy: DisclosurePolicy, *, published: pd.DataFrame | None = None, truth=None) -> Report:
    """Every table and result of the English stability report."""
    years = sorted(int(y) for y in tables["Episodes"]["YEAR"].unique())
    report = Report(years)
    history = indicators.episode_history(indicators.without_short_breaks(tables["Episodes"]))
    cells = move_exposure(placement_spells(history, years[0], years[-1]), years[0], years[-1])
    _move_rates(report, cells, planted_moves(truth))
    ind = tables["indicators"]
    rows = []
    # Two-year measure from the second loaded year (the window needs a year before it).
    for year in years:
        national = {"year": year}
        parts = {name: ind[(ind["YEAR"] == year) & (ind["indicator"] == name)] for name in ("NI62", "NI63")}
        for name, part in parts.items():
            national[f"{name} children"] = part["denominator"].sum() if len(part) else np.nan
            national[f"{name} yes"] = part["numerator"].sum() if len(part) else np.nan
        # NI 63 looks back 2.5 years: in the first years loaded its cohort misses children whose care began earlier
        complete = parts["NI63"]["history_complete"].all()
        national["NI 63 history"] = ("complete" if complete else "incomplete") if len(parts["NI63"]) else ""
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
            "2y children": TWO_YEAR_COHORT,
            "2y yes": "3+ placements in two years",
            "2y %": "3+ in two years %",
        }
    )
    table = table[[c for c in table.columns if c != "NI 63 history"] + ["NI 63 history"]]  # a note, last
    counts = [c for c in table.columns if not c.endswith(("%", "history"))]
    rates = {
        "NI 62 %": "NI 62: 3+ placements in the year",
        "NI 63 %": "NI 63: same carer 2 years",
        "3+ in two years %": "3+ placements in two years",
    }
    complements = {
        "NI 62: 3+ placements in the year": "NI 62 children",
        "NI 63: same carer 2 years": "NI 63 children",
        "3+ placements in two years": TWO_YEAR_COHORT,
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
        report.linked["reentry"] = journeys.reentry_table(back, "periods of care ended")
        report.captions["reentry"] = (
            "Periods of care ended (not by an order) and the share followed by a new one within 12 months"
        )
    report.tables.update(policy.suppress_together(report.linked))
    _move_model(report, cells, planted_moves(truth))
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


RATE_COLUMNS = {
    "years": "child-years",
    "rate": "moves per child-year",
    "ci_low": "95% CI low",
    "ci_high": "95% CI high",
}


def _move_rates(report: Report, cells: pd.DataFrame, planted: dict | None) -> None:
    """Moves per child-year by placement group (and in all), with the planted rate for the same cells."""
    rates = (
        poisson_rates(cells, "group").set_index("group").reindex([g for g in MOVE_GROUPS if g in set(cells["group"])])
    )
    if planted:
        expected = (planted_cell_rates(cells, planted) * cells["years"]).groupby(cells["group"]).sum()
        rates["planted"] = expected / rates["years"]
    total = poisson_rates(cells.assign(all="All placements"), "all").set_index("all")
    shown = pd.concat([rates.rename(index=MOVE_GROUP_LABELS), total])
    shown["years"] = shown["years"].round(1)
    shown = shown.rename(columns={**RATE_COLUMNS, "planted": "planted rate"})
    shown["child-years"] = format_plain(shown[["child-years"]])["child-years"]  # 314,957.3, as counts read
    report.linked["rates"] = Linked(
        shown,
        ["moves"],
        keys={"moves": [None] * (len(shown) - 1) + [("moves", "all")]},
        options=dict(
            rate_columns={c: "moves" for c in shown.columns if c not in ("moves", "child-years")},
            total_row="All placements",
            decimals=3,
        ),
    )
    report.captions["rates"] = (
        "Moves per child-year by placement group, periods of care that began in the years loaded (exact Poisson 95% CI)"
    )
    report.figures["move_rates"] = rates.reset_index()


def _move_model(report: Report, cells: pd.DataFrame, planted: dict | None) -> None:
    """The Poisson model of moves (groups whose moves are withheld left out) and the planted-truth check."""
    if cells["moves"].sum() < MIN_MOVES_FOR_MODEL:
        return
    groups = report.figures["move_rates"]["group"].tolist()
    hidden = report.tables["rates"].suppressed["moves"].to_numpy()[: len(groups)]
    withheld = [group for group, withhold in zip(groups, hidden, strict=True) if withhold]
    # a group whose moves are withheld is left out of the model (its rate ratio would estimate them)
    fitted = fit_move_model(cells[~cells["group"].isin(withheld)])
    ci = fitted.conf_int()
    rows = pd.DataFrame(
        {"term": fitted.params.index, "estimate": fitted.params.to_numpy(), "ci_low": ci[0].to_numpy(),
         "ci_high": ci[1].to_numpy()}
    )  # fmt: skip
    rows = rows[rows["term"].str.startswith(("C(group", "C(prior", "C(first_year"))]
    shown = rows.assign(term=rows["term"].map(term_label)).set_index("term")
    shown = shown.assign(**{"rate ratio": np.exp(shown["estimate"])}).rename(
        columns={"estimate": "log rate ratio", "ci_low": "95% CI low", "ci_high": "95% CI high"}
    )
    report.tables["model"] = shown
    report.captions["model"] = (
        "Poisson model of moves with an effect for each LA-year (log rate ratios, 95% CI with the dispersion "
        "estimated; offset log child-years)"
    )
    report.figures["model"] = rows
    report.texts["diagnostics"] = (
        f"Dispersion {fitted.scale:.2f} over {int(fitted.df_resid):,} residual degrees of freedom "
        f"(cells of LA, year, group, moves already made and first year of the placement; an effect for each LA-year)."
    )
    report.results["move_model"] = {
        "dispersion": float(fitted.scale),
        "terms": shown.reset_index().to_dict(orient="records"),
    }
    if planted:
        _planted(report, rows, planted)


def _planted(report: Report, model_rows: pd.DataFrame, planted: dict) -> None:
    """Planted rates and ratios beside the estimates with 95% intervals: how many the intervals cover."""
    rates = report.figures["move_rates"]
    visible = ~report.tables["rates"].suppressed["moves"].to_numpy()[: len(rates)]
    checks = rates[visible][["group", "planted", "rate", "ci_low", "ci_high"]].rename(
        columns={"group": "what", "rate": "estimate"}
    )
    checks["what"] = "moves per child-year: " + checks["what"].map(MOVE_GROUP_LABELS)
    model = model_rows.assign(
        what="model: " + model_rows["term"].map(term_label),
        planted=model_rows["term"].map(lambda t: planted_log_ratio(t, planted)),
    )[["what", "planted", "estimate", "ci_low", "ci_high"]]
    checks = pd.concat([checks, model], ignore_index=True)
    checks["covered"] = (checks["ci_low"] <= checks["planted"]) & (checks["planted"] <= checks["ci_high"])
    report.tables["planted"] = checks.set_index("what").assign(
        covered=lambda f: f["covered"].map({True: "yes", False: "no"})
    )
    report.captions["planted"] = (
        "Planted values beside the estimates (95% intervals): rates in moves per child-year, model terms as log "
        "rate ratios"
    )
    covered = int(checks["covered"].sum())
    report.texts["planted"] = (
        f"{covered} of {len(checks)} planted values lie inside their 95% intervals (the group rates against the "
        "planted rate for the same children, LAs and years; the model's rate ratios against the planted ratios)."
    )
    report.results["planted_coverage"] = {"covered": covered, "checked": len(checks)}


def _published(report, table, published):
    """The latest year's national figures beside the latest published ones (with a binomial 95% CI)."""
    latest = table.index.max()
    rows = []
    for measure, (count, yes) in {
        "three_or_more_placements_previous_2y": (TWO_YEAR_COHORT, "3+ placements in two years"),
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
