"""The home supervision report (Scotland): every table, figure and result the notebook shows.

:func:`build` computes the counts on 31 July, the spells of home supervision
and their survival analysis (:mod:`lac_outcomes.scotland.survival`), and puts
every table through one :class:`~lac_outcomes.disclosure.DisclosurePolicy` at
once (:func:`~lac_outcomes.disclosure.suppress_together`): the stock by
authority and year, the national totals by year, the latest year by authority,
the 5+ year counts and their characteristics are one population, the spell
counts, endings and planted shares another.  Figures are drawn from what the
tables show (a cell suppressed in any table is left out of every figure) and
``results.json`` carries the symbol ``c`` wherever the report does.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lac_outcomes.disclosure import CONFIDENTIAL, NOT_APPLICABLE, DisclosurePolicy, Linked, SuppressedTable
from lac_outcomes.scotland import derive, survival
from lac_outcomes.scotland.areas import Area, Period, la_name

ENDING_LABELS = {"discharged": "Discharged", "moved_away_from_home": "Moved away from home", "permanence": "Permanence"}
AGE_BANDS = ([0, 5, 10, 14, 18], ["under 5", "5 to 9", "10 to 13", "14 to 17"])
HORIZONS = (1, 2, 5, 10)
TERM_LABELS = {
    "age_at_start_minus_8": "age at start (per year)",
    "male": "male",
    "simd_quintile_minus_1": "SIMD quintile (per quintile)",
}
# Curves are drawn only while this many spells (or the disclosure threshold, if larger) are at risk.
MIN_AT_RISK_DRAWN = 10
# A Cox model with fewer endings than this per term is not estimated (too few for stable hazard ratios).
MIN_EVENTS_PER_TERM = 10
# A curve by age group needs this many spells in the group.
MIN_SPELLS_PER_GROUP = 30

HOME, ALL = "at home on supervision", "all looked after"


@dataclass
class Report:
    """What the notebook shows: tables with captions, figure data, texts and the results file."""

    area: Area
    period: Period
    long_years: float
    tables: dict[str, SuppressedTable] = field(default_factory=dict)
    captions: dict[str, str] = field(default_factory=dict)
    figures: dict[str, pd.DataFrame] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    cannot_estimate: list[str] = field(default_factory=list)
    results: dict = field(default_factory=dict)
    # Model objects kept for the diagnostics figure (no counts in them are shown).
    cox: object = None


def _hidden(table: SuppressedTable, row, column) -> bool:
    return bool(table.suppressed.loc[row, column])


def _shown(policy: DisclosurePolicy, table: SuppressedTable, row, column, value):
    """A value for results.json or text: the symbol wherever the table shows it."""
    return policy.withhold(value, _hidden(table, row, column))


def _percent(text_value) -> str:
    return text_value if isinstance(text_value, str) else f"{text_value:.1f}%"


# --------------------------------------------------------------------------
# the stock on 31 July: by authority and year, national, latest year, 5+ years
# --------------------------------------------------------------------------
def stock_grid(episodes, children, area: Area, years) -> pd.DataFrame:
    """Every loaded authority x year (zeros where no child was looked after), with the shares."""
    stock = survival.stock_by_year(episodes, children, years)
    grid = pd.MultiIndex.from_product([years, area.codes], names=["year", "la_code"])
    stock = stock.set_index(["year", "la_code"]).reindex(grid, fill_value=0).reset_index()
    stock["la_name"] = stock["la_code"].map(la_name)
    return stock


def _share(numerator, denominator):
    numerator, denominator = np.asarray(numerator, float), np.asarray(denominator, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, 100 * numerator / denominator, np.nan)


def _stock_tables(stock: pd.DataFrame, area: Area, years, long_table: pd.DataFrame, characteristics: pd.DataFrame):
    """The linked tables of the population looked after on 31 July, with keys and lines."""
    latest_year = years[-1]
    national = stock.groupby("year")[["home_supervision", "looked_after"]].sum()
    national_table = pd.DataFrame(
        {HOME: national["home_supervision"].to_numpy(), ALL: national["looked_after"].to_numpy()},
        index=national.index.astype(str),
    )
    national_table["share of looked after (%)"] = _share(national_table[HOME], national_table[ALL])
    national_table["per 1,000 children"] = np.nan  # no population denominator in the returns
    national_table.index.name = "year ending 31 July"
    share_rates = {"share of looked after (%)": [HOME, ALL], "per 1,000 children": HOME}
    tables = {
        "national": Linked(
            national_table,
            [HOME, ALL],
            keys={
                HOME: [("home", "total", y) for y in national.index],
                ALL: [("all", "total", y) for y in national.index],
            },
            options=dict(rate_columns=share_rates, complements={HOME: ALL}),
        ),
    }
    by_la = stock.rename(columns={"home_supervision": HOME, "looked_after": ALL})
    by_la["share (%)"] = _share(by_la[HOME], by_la[ALL])
    tables["by_la"] = Linked(
        by_la,
        [HOME, ALL],
        keys={
            HOME: [("home", c, y) for c, y in zip(by_la["la_code"], by_la["year"], strict=False)],
            ALL: [("all", c, y) for c, y in zip(by_la["la_code"], by_la["year"], strict=False)],
        },
        options=dict(rate_columns={"share (%)": [HOME, ALL]}, complements={HOME: ALL}),
    )
    latest = by_la[by_la["year"] == latest_year].set_index("la_name")[[HOME, ALL, "share (%)"]]
    codes = list(by_la.loc[by_la["year"] == latest_year, "la_code"])
    total_row = None
    if len(area.codes) > 1:
        total_row = area.total_label
        latest.loc[total_row] = [national_table[HOME].iloc[-1], national_table[ALL].iloc[-1], np.nan]
        latest.loc[total_row, "share (%)"] = _share(latest.loc[total_row, HOME], latest.loc[total_row, ALL])
        codes.append("total")
    latest["per 1,000 children"] = np.nan
    latest.index.name = "local authority"
    tables["latest"] = Linked(
        latest,
        [HOME, ALL],
        keys={HOME: [("home", c, latest_year) for c in codes], ALL: [("all", c, latest_year) for c in codes]},
        options=dict(
            rate_columns={"share (%)": [HOME, ALL], "per 1,000 children": HOME},
            complements={HOME: ALL},
            total_row=total_row,
        ),
    )
    long_label = long_table.columns[1]
    tables["long"] = Linked(
        long_table,
        [HOME, long_label],
        keys={
            HOME: [
                ("home", "total", int(y)) if long_table.attrs.get("same_as_stock") else ("long-home", int(y))
                for y in long_table.index
            ],
            long_label: [("long", int(y)) for y in long_table.index],
        },
        options=dict(rate_columns={"share (%)": [long_label, HOME]}, complements={long_label: HOME}),
    )
    char_long, char_all = characteristics.columns[2], characteristics.columns[3]
    tables["characteristics"] = Linked(
        characteristics,
        [char_long, char_all],
        keys={
            char_long: [
                ("char-long", c, v)
                for c, v in zip(characteristics["characteristic"], characteristics["value"], strict=False)
            ],
            char_all: [
                ("char-all", c, v)
                for c, v in zip(characteristics["characteristic"], characteristics["value"], strict=False)
            ],
        },
        options=dict(
            rate_columns={f"{char_long} (%)": char_long, f"{char_all} (%)": char_all},
            complements={char_long: char_all},
            groups=["characteristic"],
        ),
    )
    lines = []
    for year in years:
        for measure in ("home", "all"):
            lines.append([(measure, "total", year)] + [(measure, code, year) for code in area.codes])
    for variable, values in characteristics.groupby("characteristic", sort=False)["value"]:
        lines.append([("long", latest_year)] + [("char-long", variable, v) for v in values])
        at_home = (
            ("home", "total", latest_year) if long_table.attrs.get("same_as_stock") else ("long-home", latest_year)
        )
        lines.append([at_home] + [("char-all", variable, v) for v in values])
    return tables, lines


def _long_duration(runs, stock, years, long_years: float, children):
    """5+ year spells on 31 July of each year, and the characteristics of those on the last one."""
    long_label = f"{long_years:g}+ years"
    rows, current = [], None
    for year in years:
        current = survival.long_spells_on(runs, pd.Timestamp(year, 7, 31), min_years=long_years)
        rows.append({"year": str(year), HOME: len(current), long_label: int(current["long"].sum())})
    table = pd.DataFrame(rows).set_index("year")
    national_home = stock.groupby("year")["home_supervision"].sum()
    # Normally the same children as the stock at home; if a return's episodes overlap they may not be,
    # and the two columns are then protected as different counts.
    table.attrs["same_as_stock"] = bool((table[HOME].to_numpy() == national_home.reindex(years).to_numpy()).all())
    table["share (%)"] = _share(table[long_label], table[HOME])
    table.index.name = "year ending 31 July"
    day = pd.Timestamp(years[-1], 7, 31)
    kids = children.set_index("child_id")
    current = current.copy()
    age = derive.age_on(current["child_id"].map(kids["date_of_birth"]), day)
    bands = pd.cut(
        pd.Series(age, index=current.index).where(lambda a: a >= 0), AGE_BANDS[0], right=False, labels=AGE_BANDS[1]
    )
    values = {
        "sex": current["sex"].astype("string").fillna("unknown"),
        "age band": bands.astype("string").fillna("unknown"),
        "SIMD quintile": current["simd_quintile"].map(lambda q: "unknown" if pd.isna(q) else str(int(q))),
    }
    char_rows = []
    for variable, column in values.items():
        order = {label: i for i, label in enumerate(AGE_BANDS[1])}
        for value in sorted(column.unique(), key=lambda v: (v == "unknown", order.get(v, -1), v)):
            members = column == value
            char_rows.append(
                {
                    "characteristic": variable,
                    "value": value,
                    long_label: int(current.loc[members, "long"].sum()),
                    "all at home on supervision": int(members.sum()),
                }
            )
    chars = pd.DataFrame(char_rows, columns=["characteristic", "value", long_label, "all at home on supervision"])
    for column in [long_label, "all at home on supervision"]:
        totals = chars.groupby("characteristic")[column].transform("sum")
        chars[f"{column} (%)"] = _share(chars[column], totals)
    return table, chars


# --------------------------------------------------------------------------
# spells: survival, endings, Cox model
# --------------------------------------------------------------------------
def _spell_tables(spells: pd.DataFrame, incidence, km):
    counts = pd.DataFrame(
        {
            "spells": [
                len(spells),
                int((spells["entry"] > 0).sum()),
                int(spells["event"].sum()),
                int((spells["cause"] == "censored").sum()),
                int(spells["reached_age_18"].fillna(False).astype(bool).sum()),
            ]
        },
        index=[
            "spells analysed",
            "began before the period (delayed entry)",
            "ended (left home supervision)",
            "censored",
            "of which censored at 18",
        ],
    )
    counts.index.name = ""
    keys = [
        ("spells", "analysed"),
        ("spells", "delayed"),
        ("spells", "ended"),
        ("spells", "censored"),
        ("spells", "at 18"),
    ]
    ended = spells[spells["event"] == 1]["cause"].value_counts().reindex(list(survival.ENDINGS), fill_value=0)
    endings = pd.DataFrame({"spells": ended.rename(index=ENDING_LABELS)})
    endings.loc["Total"] = endings["spells"].sum()
    endings["percent"] = _share(endings["spells"], endings.loc["Total", "spells"])
    endings.index.name = "how the spell ended"
    rows = []
    for t in HORIZONS:
        values = survival.incidence_at(incidence, t) if incidence is not None else {k: np.nan for k in survival.ENDINGS}
        rows.append(
            {
                "spells at risk": int(((spells["entry"] < t) & (spells["time"] >= t)).sum()),
                **{ENDING_LABELS[k]: 100 * v for k, v in values.items()},
                "still on supervision": 100 * survival.survival_at(km, t) if km is not None else np.nan,
            }
        )
    cif = pd.DataFrame(rows, index=[f"{t} year{'s' if t > 1 else ''}" for t in HORIZONS])
    cif.index.name = "years since the spell started"
    tables = {
        "spell_counts": Linked(counts, ["spells"], keys={"spells": keys}),
        "endings": Linked(
            endings,
            ["spells"],
            keys={"spells": [("ending", k) for k in survival.ENDINGS] + [("spells", "ended")]},
            options=dict(rate_columns={"percent": "spells"}, total_row="Total"),
        ),
        "incidence": Linked(
            cif,
            ["spells at risk"],
            keys={"spells at risk": [("at risk", t) for t in HORIZONS]},
            options=dict(rate_columns={c: "spells at risk" for c in cif.columns[1:]}),
        ),
    }
    lines = [[("spells", "analysed"), ("spells", "ended"), ("spells", "censored")]]
    return tables, lines


def _fit_cox(spells, report: Report):
    events = int(spells["event"].sum())
    needed = MIN_EVENTS_PER_TERM * len(survival.COX_TERMS)
    if events < needed:
        report.cannot_estimate.append(
            f"The Cox model is not estimated: fewer than {needed} spells ended in the period "
            f"({MIN_EVENTS_PER_TERM} endings per term are needed for stable hazard ratios)."
        )
        return None, None
    try:
        cox = survival.fit_cox(spells, stratify_by="la_code")
        estimates = survival.cox_table(cox, survival.robust_cox_covariance(cox, spells["child_id"]))
    except (np.linalg.LinAlgError, ValueError) as error:
        report.cannot_estimate.append(f"The Cox model could not be estimated on these data ({type(error).__name__}).")
        return None, None
    if not np.isfinite(estimates[["estimate", "std_error"]].to_numpy()).all():
        report.cannot_estimate.append("The Cox model did not converge to finite estimates on these data.")
        return None, None
    return cox, estimates


def _cox_table(estimates: pd.DataFrame, n_spells: int) -> pd.DataFrame:
    shown = estimates.set_index("term")[
        ["estimate", "std_error", "ci_low", "ci_high", "hazard_ratio", "hr_low", "hr_high"]
    ]
    shown = shown.rename(
        index=TERM_LABELS,
        columns={
            "estimate": "log hazard ratio",
            "std_error": "std error",
            "ci_low": "95% CI low",
            "ci_high": "95% CI high",
            "hazard_ratio": "hazard ratio",
            "hr_low": "HR 95% low",
            "hr_high": "HR 95% high",
        },
    )
    shown.index.name = "term"
    shown.insert(0, "spells", n_spells)
    return shown


# --------------------------------------------------------------------------
# planted truth
# --------------------------------------------------------------------------
def _planted_rows(truth: dict | None, estimates, spells) -> pd.DataFrame | None:
    """Planted beside estimated: Cox log hazard ratios and the share of endings of each kind."""
    planted = (truth or {}).get("home_supervision") or {}
    parts = []
    if estimates is not None and "log_hazard_ratio" in planted:
        cox = estimates[["term", "estimate", "std_error", "ci_low", "ci_high"]].copy()
        cox["planted"] = cox["term"].map(survival.planted_cox(truth))
        cox["kind"] = "log_hazard_ratio"
        cox["spells"], cox["endings"] = len(spells), np.nan
        parts.append(cox)
    probabilities = planted.get("cause_of_end_probabilities")
    ended = int(spells["event"].sum())
    if probabilities and ended:
        shares = survival.cause_shares(spells)
        parts.append(
            pd.DataFrame(
                {
                    "term": "share ending " + shares["cause"],
                    "estimate": shares["share"],
                    "std_error": np.sqrt(shares["share"] * (1 - shares["share"]) / shares["n"]),
                    "ci_low": shares["ci_low"],
                    "ci_high": shares["ci_high"],
                    "planted": shares["cause"].map(probabilities).astype(float),
                    "kind": "cause_of_end_probability",
                    "spells": shares["n"],
                    "endings": shares["endings"],
                }
            )
        )
    if not parts:
        return None
    rows = pd.concat(parts, ignore_index=True)
    rows["covered"] = (rows["ci_low"] <= rows["planted"]) & (rows["planted"] <= rows["ci_high"])
    return rows


def _planted_linked(rows: pd.DataFrame) -> Linked:
    table = rows.set_index("term")[["spells", "endings", "planted", "estimate", "ci_low", "ci_high"]].copy()
    table["covered"] = rows["covered"].map({True: "yes", False: "no"}).to_numpy()
    is_share = (rows["kind"] == "cause_of_end_probability").to_numpy()
    causes = rows["term"].str.replace("share ending ", "", regex=False)
    keys = {
        "spells": [("spells", "ended") if share else ("spells", "analysed") for share in is_share],
        "endings": [("ending", c) if share else None for c, share in zip(causes, is_share, strict=False)],
    }
    values = ["planted", "estimate", "ci_low", "ci_high"]
    return Linked(
        table,
        ["spells", "endings"],
        keys=keys,
        options=dict(rate_columns={c: ["spells", "endings"] for c in values}, decimals=3),
    )


# --------------------------------------------------------------------------
# the whole report
# --------------------------------------------------------------------------
def build(
    tables: dict[str, pd.DataFrame],
    policy: DisclosurePolicy,
    *,
    first_year: int | None = None,
    last_year: int | None = None,
    truth: dict | None = None,
    synthetic: bool = False,
    long_years: float = 5.0,
) -> Report:
    """Every table, figure's data, text and result of the home supervision report.

    ``tables`` holds the processed ``children``, ``episodes`` and ``pupils``.
    ``truth`` (a ``truth.yaml`` in the generator's shape, or ``None``) adds the
    planted-truth check; ``synthetic`` says whether the data are the project's
    synthetic default (for the wording only).
    """
    with warnings.catch_warnings():  # statsmodels' interval code takes log(0) at the ends of a curve
        warnings.simplefilter("ignore", RuntimeWarning)
        return _build(tables, policy, first_year, last_year, truth, synthetic, long_years)


def _build(tables, policy, first_year, last_year, truth, synthetic, long_years) -> Report:
    children, episodes = tables["children"], tables["episodes"]
    period = Period.configured(first_year, last_year, tables.get("pupils"))
    area = Area.loaded(children)
    report = Report(area=area, period=period, long_years=long_years)
    years = period.years

    stock = stock_grid(episodes, children, area, years)
    runs = derive.home_supervision_spells(episodes, children, censor_date=period.end)
    # As in the stock, only children with a responsible authority (the Cox strata need it too).
    runs = runs[runs["la_code"].notna()].reset_index(drop=True)
    long_table, characteristics = _long_duration(runs, stock, years, long_years, children)
    linked, lines = _stock_tables(stock, area, years, long_table, characteristics)

    spells = survival.survival_data(runs, children, period.start, period.end)
    km = incidence = None
    if spells["event"].sum() > 0:
        km = survival.kaplan_meier(spells["time"], spells["event"], spells["entry"])
        incidence = survival.cumulative_incidence(spells["time"], spells["cause"], entry=spells["entry"])
    else:
        report.cannot_estimate.append(
            "No spell of home supervision ended in the period: durations cannot be estimated."
        )
    spell_linked, spell_lines = _spell_tables(spells, incidence, km)
    linked.update(spell_linked)
    lines += spell_lines
    cox, estimates = _fit_cox(spells, report) if len(spells) else (None, None)
    if estimates is not None:
        linked["cox"] = Linked(
            _cox_table(estimates, len(spells)),
            ["spells"],
            keys={"spells": [("spells", "analysed")] * 3},
            options=dict(rate_columns={c: "spells" for c in _cox_table(estimates, 0).columns[1:]}, decimals=3),
        )
    planted = _planted_rows(truth, estimates, spells)
    if planted is not None:
        linked["planted"] = _planted_linked(planted)

    shown = policy.suppress_together(linked, lines=lines)
    incidence_table = shown["incidence"]
    for label in ENDING_LABELS.values():
        # A cumulative incidence far out is close to a share of endings: hidden with that ending's count.
        if _hidden(shown["endings"], label, "spells"):
            incidence_table.suppressed[label] = True
            incidence_table.display[label] = CONFIDENTIAL
    report.tables = {name: table for name, table in shown.items() if name != "by_la"}
    if "planted" in shown:
        hidden_rows = shown["planted"].suppressed["estimate"].to_numpy()
        shown["planted"].display.loc[hidden_rows, "covered"] = CONFIDENTIAL
        cox_rows = planted["kind"].eq("log_hazard_ratio").to_numpy()
        shown["planted"].display.loc[cox_rows, "endings"] = NOT_APPLICABLE
    characteristics_table = report.tables["characteristics"]
    characteristics_table.display = characteristics_table.display.set_index(["characteristic", "value"])
    characteristics_table.suppressed = characteristics_table.suppressed.drop(
        columns=["characteristic", "value"]
    ).set_axis(characteristics_table.display.index)
    report.cox = cox
    where = area.name
    last = years[-1]
    long_label = f"{long_years:g}+ years"
    report.captions = {
        "national": f"Children looked after at home on supervision on 31 July, {where}",
        "latest": f"Children at home on supervision by local authority, 31 July {last}",
        "spell_counts": "Spells of home supervision in the survival analysis",
        "incidence": "Percent of spells ended each way, and still going, by years since the spell started",
        "endings": "Spells that ended, by how they ended",
        "cox": "Cox model of time to leaving home supervision (stratified by local authority)",
        "long": f"Children on home supervision for {long_label}, 31 July, {where}",
        "characteristics": f"Characteristics of children on home supervision {long_label}, 31 July {last}, {where}",
        "planted": "Planted and estimated: Cox log hazard ratios and probabilities of each ending",
    }
    _figures(report, shown, stock, spells, km, incidence, estimates, policy)
    _texts(report, shown, spells, km, estimates, planted, truth, synthetic, policy)
    report.results = _results(report, shown, spells, km, incidence, estimates, planted, truth, policy)
    return report


def _figures(report, shown, stock, spells, km, incidence, estimates, policy):
    national = shown["national"]
    visible = ~national.suppressed[[HOME, "share of looked after (%)"]].any(axis=1)
    table = national.display.index.to_series()
    counts = shown["national"].display[HOME]
    report.figures["stock"] = pd.DataFrame(
        {
            "year": table.astype(int).to_numpy(),
            "children": pd.to_numeric(counts.str.replace(",", ""), errors="coerce").where(visible).to_numpy(),
            "share": pd.to_numeric(national.display["share of looked after (%)"].str.replace(",", ""), errors="coerce")
            .where(visible)
            .to_numpy(),
        }
    )
    by_la = shown["by_la"]
    share = by_la.display["share (%)"]
    heat = stock.assign(
        share=pd.to_numeric(share.str.replace(",", ""), errors="coerce").where(~by_la.suppressed["share (%)"])
    )
    report.figures["heatmap"] = heat.pivot(index="la_name", columns="year", values="share").reindex(
        [la_name(c) for c in report.area.codes]
    )
    long = shown["long"]
    long_label = f"{report.long_years:g}+ years"
    long_visible = ~long.suppressed[long_label]
    report.figures["long_trend"] = pd.DataFrame(
        {
            "year": long.display.index.astype(int),
            "children": pd.to_numeric(long.display[long_label].str.replace(",", ""), errors="coerce").where(
                long_visible
            ),
        }
    ).dropna()
    floor = max(policy.threshold, MIN_AT_RISK_DRAWN)
    if km is not None:
        frames = [_km_frame(spells, "All spells", floor)]
        bands = pd.cut(spells["age_at_start"], AGE_BANDS[0], right=False, labels=AGE_BANDS[1])
        for band in AGE_BANDS[1]:
            members = spells[bands == band]
            if len(members) >= MIN_SPELLS_PER_GROUP and members["event"].sum() > 0:
                frames.append(_km_frame(members, f"age {band}", floor))
        report.figures["km"] = pd.concat(frames, ignore_index=True)
        at_risk = incidence[incidence["at_risk"] >= floor]
        long_form = at_risk.melt(
            id_vars=["time"], value_vars=list(survival.ENDINGS), var_name="ending", value_name="incidence"
        )
        long_form["ending"] = long_form["ending"].map(ENDING_LABELS)
        long_form["incidence"] *= 100
        report.figures["incidence_curves"] = long_form
    if estimates is not None:
        report.figures["hazard_ratios"] = estimates.assign(label=estimates["term"].map(TERM_LABELS))
        residuals = report.cox.schoenfeld_residuals
        events = ~np.isnan(residuals[:, 0])
        bins = min(20, int(events.sum()) // 5)
        if bins >= 2:
            parts = []
            for j, term in enumerate(survival.COX_TERMS):
                frame = pd.DataFrame({"time": report.cox.model.endog[events], "residual": residuals[events, j]})
                frame["bin"] = pd.qcut(frame["time"].rank(method="first"), bins, labels=False)
                binned = frame.groupby("bin").agg(time=("time", "mean"), residual=("residual", "mean"))
                parts.append(binned.assign(term=TERM_LABELS[term]))
            report.figures["schoenfeld"] = pd.concat(parts, ignore_index=True)


def _km_frame(subset, label, floor):
    fitted = survival.kaplan_meier(subset["time"], subset["event"], subset["entry"])
    table = survival.km_table(fitted)
    table = table[table["at_risk"] >= floor]
    start = pd.DataFrame({"time": [0.0], "survival": [1.0], "ci_low": [1.0], "ci_high": [1.0]})
    return pd.concat([start, table.drop(columns="at_risk")], ignore_index=True).assign(group=label)


def _number(policy, table, row, column, value, fmt="{:,}"):
    return CONFIDENTIAL if _hidden(table, row, column) else fmt.format(value)


def _texts(report, shown, spells, km, estimates, planted, truth, synthetic, policy):
    area, period = report.area, report.period
    last = period.last_year
    national = shown["national"]
    home = national.display.loc[str(last), HOME]
    share = national.display.loc[str(last), "share of looked after (%)"]
    share = share if share == CONFIDENTIAL else f"{share}%"
    data_kind = (
        "the project's synthetic returns (made from a fixed seed, with planted effects)"
        if synthetic
        else "the returns loaded for this run"
    )
    report.texts["data"] = f"Data: {data_kind}, from {area.coverage}. Period: {period.text}."
    median = survival.km_median(km) if km is not None else float("nan")
    low, high = survival.km_median_interval(km) if km is not None else (float("nan"), float("nan"))
    if km is None:
        median_text = "The median duration cannot be estimated: no spell ended in the period."
    elif np.isnan(median):
        median_text = (
            "The median duration is not reached: more than half the spells were still going at the longest "
            "duration seen."
        )
    else:
        ci = "" if np.isnan(low) or np.isnan(high) else f" (95% CI {low:.2f} to {high:.2f})"
        median_text = f"**Median duration** (Kaplan-Meier): {median:.2f} years{ci}."
    if km is not None:
        median_text += (
            " Still on home supervision after "
            + ", ".join(
                f"{t:g} year{'s' if t > 1 else ''}: {100 * survival.survival_at(km, t):.1f}%"
                for t in (1, 2, report.long_years)
            )
            + "."
        )
    report.texts["median"] = median_text
    report.texts["median_value"] = median
    endings = shown["endings"]
    ending_parts = [
        f"{label.lower()} {endings.display.loc[label, 'percent']}" + ("" if _hidden(endings, label, "percent") else "%")
        for label in ENDING_LABELS.values()
    ]
    long = shown["long"]
    long_label = f"{report.long_years:g}+ years"
    points = [
        f"{home} children were looked after at home on supervision on 31 July {last} in {area.name} ({share} of all "
        f"looked-after children).",
        median_text.replace("**", ""),
        "Of the spells that ended, " + "; ".join(ending_parts) + ".",
        f"{long.display.loc[str(last), long_label]} children had been on home supervision for {long_label} "
        f"on 31 July {last}.",
    ]
    if estimates is not None:
        effects = ", ".join(
            f"{TERM_LABELS[r.term]} HR {r.hazard_ratio:.2f} ({r.hr_low:.2f} to {r.hr_high:.2f})"
            for r in estimates.itertuples()
        )
        points.append(f"Cox model (stratified by authority): {effects}.")
    if planted is not None:
        points.append(f"{int(planted['covered'].sum())} of {len(planted)} planted values lie in their 95% interval.")
    points += report.cannot_estimate
    report.texts["key_points"] = "\n".join(f"- {p}" for p in points)
    n_strata = spells["la_code"].nunique() if len(spells) else 0
    counts = shown["spell_counts"]
    analysed = _number(policy, counts, "spells analysed", "spells", len(spells))
    ended = _number(policy, counts, "ended (left home supervision)", "spells", int(spells["event"].sum()))
    report.texts["cox_note"] = f"{analysed} spells; {ended} endings; {n_strata} local authority strata."
    coverage = (
        "truth unknown"
        if planted is None
        else f"{int(planted['covered'].sum())} of {len(planted)} planted values in their 95% CI"
    )
    median_short = "not estimable" if np.isnan(median) else f"{median:.1f} years"
    report.texts["summary"] = (
        f"{home} children at home on supervision on 31 July {last} in {area.name} ({share} of looked after); "
        f"median spell {median_short}; {coverage}."
    )
    report.texts["planted"] = _planted_text(report, shown, planted, truth, synthetic)


def _planted_text(report, shown, planted, truth, synthetic) -> str:
    if planted is None:
        return ""
    source = (
        "The default data are synthetic: spell durations were drawn from a Weibull proportional hazards model "
        "with known log hazard ratios, and each ending drawn with known probabilities independent of duration "
        "(`truth.yaml`)."
        if synthetic
        else "The data come with a file of planted values (`scotland.truth` in the config), in the shape of the "
        "generator's `truth.yaml`."
    )
    text = (
        f"{source} The Cox model should recover the log hazard ratios (whatever the baseline hazard and the "
        f"authority effects, which the strata absorb), and the share of endings of each kind should match its "
        f"probability. {int(planted['covered'].sum())} of {len(planted)} planted values lie in their 95% interval."
    )
    long_truth = ((truth or {}).get("home_supervision") or {}).get("long_duration") or {}
    generator_count = long_truth.get("children_at_home_5_years_or_more_on_period_end")
    if generator_count is not None and report.long_years == 5.0:
        here = shown["long"].display.loc[str(report.period.last_year), "5+ years"]
        text += (
            f" Children at home 5+ years on {report.period.end:%d %B %Y}: {here} here, "
            f"{generator_count if generator_count == 0 or generator_count >= shown['long'].threshold else CONFIDENTIAL}"
            f" by the generator's own count."
        )
    return text


def _results(report, shown, spells, km, incidence, estimates, planted, truth, policy) -> dict:
    national = shown["national"]
    stock_rows = []
    for year in national.display.index:
        stock_rows.append(
            {
                "year": int(year),
                "home_supervision": _value(national, year, HOME),
                "looked_after": _value(national, year, ALL),
                "share": _value(national, year, "share of looked after (%)", rate=True),
            }
        )
    counts = shown["spell_counts"]
    endings = shown["endings"]
    ending_shares = {}
    cause_shares = survival.cause_shares(spells).set_index("cause") if spells["event"].sum() else None
    for cause, label in ENDING_LABELS.items():
        hidden = _hidden(endings, label, "spells")
        entry = {
            "endings": _value(endings, label, "spells"),
            "share_percent": _value(endings, label, "percent", rate=True),
        }
        if cause_shares is not None:
            entry["ci_low"] = policy.withhold(float(cause_shares.loc[cause, "ci_low"]), hidden)
            entry["ci_high"] = policy.withhold(float(cause_shares.loc[cause, "ci_high"]), hidden)
        ending_shares[cause] = entry
    long = shown["long"]
    long_label = f"{report.long_years:g}+ years"
    median = report.texts["median_value"]
    low, high = survival.km_median_interval(km) if km is not None else (float("nan"), float("nan"))
    planted_records = None
    if planted is not None:
        hidden = shown["planted"].suppressed["estimate"].to_numpy()
        records = planted.drop(columns=["spells", "endings"]).astype(object)
        for column in ["estimate", "std_error", "ci_low", "ci_high", "planted", "covered"]:
            records.loc[hidden, column] = CONFIDENTIAL
        planted_records = [{k: _plain(v) for k, v in r.items()} for r in records.to_dict("records")]
    return {
        "period": {
            "start": str(report.period.start.date()),
            "end": str(report.period.end.date()),
            "first_year": report.period.first_year,
            "last_year": report.period.last_year,
        },
        "area": {
            "name": report.area.name,
            "all_scotland": report.area.is_scotland,
            "local_authorities": list(report.area.codes),
        },
        "stock_national": stock_rows,
        "rate_per_1000_children": "x (unavailable: no population denominator in the returns)",
        "spells": {
            "analysed": _value(counts, "spells analysed", "spells"),
            "delayed_entry": _value(counts, "began before the period (delayed entry)", "spells"),
            "ended": _value(counts, "ended (left home supervision)", "spells"),
            "censored": _value(counts, "censored", "spells"),
        },
        "ending_shares": ending_shares,
        "km_median_years": None if np.isnan(median) else median,
        "km_median_ci": [None if np.isnan(v) else v for v in (low, high)],
        "km_survival_at": None if km is None else {str(t): survival.survival_at(km, t) for t in HORIZONS},
        "cumulative_incidence_at": None
        if incidence is None
        else {
            str(t): {
                cause: policy.withhold(value, _hidden(endings, ENDING_LABELS[cause], "spells"))
                for cause, value in survival.incidence_at(incidence, t).items()
            }
            for t in HORIZONS
        },
        "cox": None
        if estimates is None
        else [{k: _plain(v) for k, v in r.items()} for r in estimates.to_dict("records")],
        "cox_strata": "la_code",
        "long_duration": [
            {
                "year": int(y),
                "at_home_on_supervision": _value(long, y, HOME),
                "long": _value(long, y, long_label),
                "share": _value(long, y, "share (%)", rate=True),
            }
            for y in long.display.index
        ],
        "long_years": report.long_years,
        "cannot_estimate": list(report.cannot_estimate),
        "truth_known": planted is not None,
        "planted_vs_estimated": planted_records,
        "coverage": None if planted is None else {"covered": int(planted["covered"].sum()), "total": int(len(planted))},
        "disclosure": {"threshold": policy.threshold, "symbol": CONFIDENTIAL},
    }


def _plain(value):
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if np.isnan(value) else float(value)
    return value


def _value(table: SuppressedTable, row, column, rate: bool = False):
    """The number a table shows in a cell, as a number (``c`` where suppressed, None where unavailable)."""
    if _hidden(table, row, column):
        return CONFIDENTIAL
    text = table.display.loc[row, column]
    if not isinstance(text, str):
        return _plain(text)
    cleaned = text.replace(",", "")
    try:
        return float(cleaned) if rate else int(cleaned)
    except ValueError:
        return None


# --------------------------------------------------------------------------
# drawing: each figure from its disclosure-controlled data, with alt text
# --------------------------------------------------------------------------
def _plotting():
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    return plt, sns


def _draw_stock(report: Report, data):
    plt, sns = _plotting()
    where = report.area.name
    fig, ax1 = plt.subplots(figsize=(8, 4))
    ax1.plot(data["year"], data["children"], marker="o", label="Children at home on supervision")
    ax1.set(
        title=f"Children looked after at home on supervision, 31 July, {where}",
        xlabel="Year ending 31 July",
        ylabel="Children",
        ylim=(0, None),
    )
    ax1.set_xticks(data["year"])
    ax2 = ax1.twinx()
    ax2.plot(data["year"], data["share"], marker="s", color="#b2182b", label="Share of all looked after (right axis)")
    ax2.set(ylabel="Percent of looked-after children", ylim=(0, 60))
    ax2.grid(False)
    handles = ax1.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    ax1.legend(handles, [h.get_label() for h in handles], loc="lower left")
    alt = (
        f"Line chart by year ending 31 July, {data['year'].min()} to {data['year'].max()}: children looked after "
        f"at home on supervision in {where} (left axis) and their share of all looked-after children (right "
        f"axis); years whose counts are suppressed in the table are left out."
    )
    return fig, alt


def _draw_heatmap(report: Report, data):
    plt, sns = _plotting()
    values = data.to_numpy(dtype=float)
    top = max(60.0, float(np.nanmax(values))) if np.isfinite(values).any() else 60.0
    fig, ax = plt.subplots(figsize=(10, 0.3 * len(data) + 2))
    sns.heatmap(
        data,
        cmap="viridis",
        vmin=0,
        vmax=top,
        ax=ax,
        cbar_kws={"label": "Percent of looked-after children at home on supervision"},
    )
    ax.set(
        title="Share of looked-after children at home on supervision, by local authority, 31 July",
        xlabel="Year ending 31 July",
        ylabel="Local authority",
    )
    alt = (
        f"Heatmap of the percentage of looked-after children at home on supervision, {len(data)} local "
        f"authorities by year; cells whose counts are suppressed in any table are blank."
    )
    return fig, alt


def _draw_km(report: Report, data):
    plt, sns = _plotting()
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    overall = data[data["group"] == "All spells"]
    axes[0].step(overall["time"], 100 * overall["survival"], where="post", color="black")
    axes[0].fill_between(
        overall["time"], 100 * overall["ci_low"], 100 * overall["ci_high"], step="post", alpha=0.3, color="grey"
    )
    axes[0].axhline(50, color="grey", linestyle=":")
    axes[0].set(title="Kaplan-Meier: spells still on home supervision (95% CI)")
    for label, group in data[data["group"] != "All spells"].groupby("group", sort=False):
        axes[1].step(group["time"], 100 * group["survival"], where="post", label=label)
    if axes[1].lines:
        axes[1].legend(title="Age at start")
    axes[1].set(title="Kaplan-Meier by age at start of the spell")
    for ax in axes:
        ax.set(
            xlabel="Years since the spell started",
            ylabel="Percent of spells still going",
            xlim=(0, 12),
            ylim=(0, 100),
        )
    fig.tight_layout()
    groups = [g for g in data["group"].unique() if g != "All spells"]
    alt = (
        "Two step charts of the percentage of spells of home supervision still going by years since the spell "
        "started: all spells with a 95% band, and "
        + (f"by age at start ({', '.join(groups)})" if groups else "no age group large enough to draw")
        + "."
    )
    return fig, alt


def _draw_incidence_curves(report: Report, data):
    plt, sns = _plotting()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    sns.lineplot(data=data, x="time", y="incidence", hue="ending", drawstyle="steps-post", ax=ax)
    ax.set(
        title="How spells of home supervision end: cumulative incidence",
        xlabel="Years since the spell started",
        ylabel="Percent of spells ended this way",
        xlim=(0, 12),
        ylim=(0, 100),
    )
    ax.legend(title="Ending")
    alt = (
        "Step chart of the cumulative percentage of spells ended by discharge, by a move away from home and by "
        "permanence, by years since the spell started."
    )
    return fig, alt


def _draw_hazard_ratios(report: Report, data):
    plt, sns = _plotting()
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.errorbar(
        data["hazard_ratio"],
        data["label"],
        xerr=[data["hazard_ratio"] - data["hr_low"], data["hr_high"] - data["hazard_ratio"]],
        fmt="o",
        color="black",
    )
    ax.axvline(1, color="grey", linestyle="--")
    ax.set(
        title="Hazard ratios for leaving home supervision (95% CI)",
        xlabel="Hazard ratio (above 1: leave sooner)",
        ylabel="",
    )
    alt = (
        "Hazard ratios with 95% intervals: "
        + "; ".join(f"{r.label} {r.hazard_ratio:.2f} ({r.hr_low:.2f} to {r.hr_high:.2f})" for r in data.itertuples())
        + "."
    )
    return fig, alt


def _draw_schoenfeld(report: Report, data):
    plt, sns = _plotting()
    terms = list(data["term"].unique())
    fig, axes = plt.subplots(1, len(terms), figsize=(14, 3.8), squeeze=False)
    for ax, term in zip(axes[0], terms, strict=False):
        part = data[data["term"] == term]
        ax.plot(part["time"], part["residual"], marker="o")
        ax.axhline(0, color="black")
        ax.set(title=f"Schoenfeld residuals: {term}", xlabel="Years since the spell started", ylabel="Mean residual")
    fig.tight_layout()
    alt = (
        f"Mean scaled Schoenfeld residuals in bins of duration for {', '.join(terms)}: flat lines near zero "
        f"mean the effect is the same at every duration."
    )
    return fig, alt


def _draw_long_trend(report: Report, data):
    plt, sns = _plotting()
    where = report.area.name
    long_label = f"{report.long_years:g}+ years"
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(data["year"], data["children"], marker="o")
    ax.set_xticks(data["year"])
    ax.set(
        title=f"Children on home supervision for {long_label}, 31 July, {where}",
        xlabel="Year ending 31 July",
        ylabel="Children",
        ylim=(0, None),
    )
    alt = (
        f"Line chart of children on home supervision for {long_label} on 31 July by year, {where}; years whose "
        f"count is suppressed in the table are left out."
    )
    return fig, alt


_DRAWERS = {
    "stock": _draw_stock,
    "heatmap": _draw_heatmap,
    "km": _draw_km,
    "incidence_curves": _draw_incidence_curves,
    "hazard_ratios": _draw_hazard_ratios,
    "schoenfeld": _draw_schoenfeld,
    "long_trend": _draw_long_trend,
}


def draw(report: Report, name: str):
    """The figure ``name`` as (matplotlib figure, alt text), or None when there is nothing to draw."""
    if name not in _DRAWERS:
        raise KeyError(f"no figure named {name!r}")
    data = report.figures.get(name)
    if data is None or len(data) == 0:
        return None
    return _DRAWERS[name](report, data)


FIGURES = ("stock", "heatmap", "km", "incidence_curves", "hazard_ratios", "schoenfeld", "long_trend")


def show(report: Report, *names: str) -> None:
    """Show tables and figures of the report by name, in order (what cannot be drawn is skipped)."""
    from lac_outcomes import display

    for name in names:
        if name in report.tables:
            display.show_table(report.tables[name], report.captions[name], name=name)
        elif name in FIGURES:
            drawn = draw(report, name)
            if drawn is not None:
                display.show_figure(*drawn)
