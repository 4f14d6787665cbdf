"""Placement stability (Scotland): moves per child-year, three or more placements in a year, re-entry.

Definitions (the analysis and its tests use these and nothing else):

* an episode's **placement group** is its placement type grouped as published
  (:data:`lac_outcomes.scotland.layout.PLACEMENT_GROUPS`);
* a later episode of the same spell is a **move** when the placement group
  changes, or when the legal reason is unchanged and the child is not at home
  with parents (two consecutive episodes under one legal reason are two
  placements; a change of legal reason alone, within one group, is not a
  move, and neither is a second episode at home);
* a move **to prospective adopters** is a planned move to permanence: it is
  counted apart and not in the move rates;
* placements in a looked-after year (1 August to 31 July) = the placement the
  child was in on 1 August or on entering care, plus each move in the year;
* **re-entry within 12 months**: a spell that ended (not by adoption) is
  followed by another spell of the same child starting within 365 days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats

from lac_outcomes import journeys
from lac_outcomes.columns import OPEN_END
from lac_outcomes.disclosure import DisclosurePolicy, Linked, SuppressedTable
from lac_outcomes.display import format_plain
from lac_outcomes.scotland import derive
from lac_outcomes.scotland.areas import Area, Period
from lac_outcomes.scotland.layout import PLACEMENT_GROUP_LABELS, PLACEMENT_GROUPS

HOME = "at_home_with_parents"
ADOPTERS = "with_prospective_adopters"
REFERENCE_GROUP = "with_foster_carers"
# Groups in which a child can move (at home and with prospective adopters are not at risk of a move here).
AT_RISK_GROUPS = ("with_friends_relatives", "with_foster_carers", "residential", "other_community")
PRIOR_MOVES = ([0, 1, 2, 100], ["none", "one", "two or more"])
AGE_BANDS = ([0, 5, 12, 16, 100], ["under 5", "5 to 11", "12 to 15", "16 and over"])
MIN_MOVES_FOR_MODEL = 30


def placement_episodes(episodes: pd.DataFrame, children: pd.DataFrame) -> pd.DataFrame:
    """Episodes in spell order with their group, whether each begins with a move, and the moves before it.

    Columns added: ``spell`` (a number per child and spell), ``group``,
    ``first_of_spell``, ``move`` (this episode began with a move),
    ``to_adopters`` (the move was to prospective adopters), ``prior_moves``
    (moves earlier in the spell, not counting this one), ``ends_in_move``
    (the next episode began with a move other than to adopters),
    ``age_at_start``.
    """
    frame = episodes.copy()
    frame["episode_start"] = derive.as_dates(frame["episode_start"])
    frame["episode_end"] = derive.as_dates(frame["episode_end"])
    frame = frame.sort_values(["child_id", "episode_start"], kind="stable").reset_index(drop=True)
    previous_end = frame.groupby("child_id", sort=False)["episode_end"].shift()
    same_child = frame["child_id"].eq(frame["child_id"].shift())
    continues = same_child & previous_end.notna() & (frame["episode_start"] <= previous_end)
    frame["first_of_spell"] = ~continues
    frame["spell"] = frame["first_of_spell"].cumsum()
    frame["group"] = frame["placement_type"].map(PLACEMENT_GROUPS)
    previous_group = frame.groupby("spell")["group"].shift()
    previous_legal = frame.groupby("spell")["legal_reason"].shift()
    changed_group = continues & (frame["group"] != previous_group)
    same_legal_away = continues & (frame["legal_reason"] == previous_legal) & (frame["group"] != "at_home_with_parents")
    frame["move"] = changed_group | same_legal_away
    frame["to_adopters"] = frame["move"] & (frame["group"] == ADOPTERS)
    counted = (frame["move"] & ~frame["to_adopters"]).astype(int)
    frame["prior_moves"] = counted.groupby(frame["spell"]).cumsum() - counted
    frame["ends_in_move"] = counted.groupby(frame["spell"]).shift(-1, fill_value=0).astype(bool)
    dob = derive.as_dates(children.set_index("child_id")["date_of_birth"]).reindex(frame["child_id"]).to_numpy()
    frame["age_at_start"] = (frame["episode_start"] - pd.to_datetime(dob)).dt.days / derive.DAYS_PER_YEAR
    frame["la_code"] = children.set_index("child_id")["la_code"].reindex(frame["child_id"]).to_numpy()
    return frame


def exposure(placed: pd.DataFrame, period_start, censor_date) -> pd.DataFrame:
    """Episodes in groups at risk of a move, clipped to the period: child-years and whether each ended in a move.

    Columns added: ``years`` (time in the episode inside the period), ``moved``
    (the episode ended in a move inside the period), ``prior`` and
    ``age_band`` (for the model).
    """
    period_start, censor_date = pd.Timestamp(period_start), pd.Timestamp(censor_date)
    data = placed[placed["group"].isin(AT_RISK_GROUPS)].copy()
    begin = data["episode_start"].clip(lower=period_start)
    end = data["episode_end"].fillna(censor_date).clip(upper=censor_date)
    data["years"] = (end - begin).dt.days / derive.DAYS_PER_YEAR
    data = data[data["years"] > 0]
    inside = data["episode_end"].notna() & (data["episode_end"] <= censor_date) & (data["episode_end"] > period_start)
    data["moved"] = (data["ends_in_move"] & inside).astype(int)
    data["prior"] = pd.cut(data["prior_moves"], PRIOR_MOVES[0], right=False, labels=PRIOR_MOVES[1]).astype(str)
    data["age_band"] = pd.cut(data["age_at_start"], AGE_BANDS[0], right=False, labels=AGE_BANDS[1]).astype(str)
    return data.reset_index(drop=True)


def move_rates(data: pd.DataFrame, by: str = "group") -> pd.DataFrame:
    """Moves, child-years and the rate per child-year with an exact Poisson 95% interval, by ``by``."""
    grouped = data.groupby(by).agg(moves=("moved", "sum"), years=("years", "sum")).reset_index()
    k, t = grouped["moves"].to_numpy(), grouped["years"].to_numpy()
    grouped["rate"] = k / t
    grouped["ci_low"] = np.where(k > 0, stats.chi2.ppf(0.025, 2 * k) / (2 * t), 0.0)
    grouped["ci_high"] = stats.chi2.ppf(0.975, 2 * k + 2) / (2 * t)
    return grouped


def placements_in_year(placed: pd.DataFrame, year: int) -> pd.DataFrame:
    """Children looked after on 31 July of ``year`` with the number of placements they had in that year."""
    start, end = pd.Timestamp(year - 1, 8, 1), pd.Timestamp(year, 7, 31)
    open_end = placed["episode_end"].fillna(OPEN_END)
    on_day = placed[(placed["episode_start"] <= end) & (open_end > end)]
    spells = on_day[["child_id", "spell", "la_code"]].drop_duplicates("child_id")
    in_year = placed[placed["spell"].isin(spells["spell"]) & (placed["episode_start"] <= end) & (open_end > start)]
    first = in_year.groupby("spell")["episode_start"].transform("min")
    # The placement held on 1 August (or at entry) counts once; each move in the year adds one.
    later_moves = (in_year["move"] & (in_year["episode_start"] > first.clip(lower=start))).groupby(in_year["spell"])
    counts = 1 + later_moves.sum()
    spells["placements"] = counts.reindex(spells["spell"]).fillna(1).astype(int).to_numpy()
    spells["year"] = year
    return spells


def reentries(placed: pd.DataFrame, period_start, censor_date, window_days: int = 365) -> pd.DataFrame:
    """Spells ended in the period (not by adoption) early enough to watch 12 months; did the child come back?"""
    period_start, censor_date = pd.Timestamp(period_start), pd.Timestamp(censor_date)
    spells = placed.groupby("spell").agg(
        child_id=("child_id", "first"),
        start=("episode_start", "first"),
        end=("episode_end", "last"),
        reason=("reason_ended", "last"),
        la_code=("la_code", "first"),
    )
    last_open = placed.drop_duplicates("spell", keep="last").set_index("spell")["episode_end"].isna()
    spells.loc[last_open, "end"] = pd.NaT
    spells = spells.sort_values(["child_id", "start"])
    next_start = spells.groupby("child_id")["start"].shift(-1)
    ended = spells["end"].notna() & (spells["reason"] != "adopted")
    watched = ended & (spells["end"] >= period_start) & (spells["end"] <= censor_date - pd.Timedelta(days=window_days))
    out = spells[watched].copy()
    out["returned"] = ((next_start[watched] - out["end"]).dt.days <= window_days).fillna(False)
    out["year"] = [derive_year(d) for d in out["end"]]
    return out.reset_index()


def derive_year(day: pd.Timestamp) -> int:
    """The looked-after year (labelled by its end) holding ``day``."""
    return day.year + 1 if day.month >= 8 else day.year


def term_label(term: str) -> str:
    """A readable name for a model term."""
    level = term.split("[T.")[1].rstrip("]") if "[T." in term else term
    if term.startswith("C(group"):
        return f"{PLACEMENT_GROUP_LABELS.get(level, level)} (vs foster carers)"
    if term.startswith("C(prior"):
        return f"prior moves in the spell: {level} (vs none)"
    return f"age at placement start: {level} (vs 5 to 11)"


def fit_move_model(data: pd.DataFrame):
    """Poisson model of moves with log child-years offset (piecewise-constant hazard; discrete-time in the limit).

    moves ~ placement group + prior moves in the spell + age band; SEs clustered by child.  Coefficients
    are log rate ratios, population-averaged over the children in each cell.
    """
    model = smf.glm(
        "moved ~ C(group, Treatment('with_foster_carers')) + C(prior, Treatment('none'))"
        " + C(age_band, Treatment('5 to 11'))",
        data=data,
        family=sm.families.Poisson(),
        offset=np.log(data["years"]),
    )
    return model.fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(data["child_id"])[0]})


def planted_rates(truth: dict | None) -> dict[str, float]:
    """Planted moves per year by placement group (the generator's Poisson rates), if any."""
    care = ((truth or {}).get("care_histories") or {}).get("assumptions") or {}
    return {g: float(v) for g, v in (care.get("moves_per_year") or {}).items()}


# --------------------------------------------------------------------------
# the report
# --------------------------------------------------------------------------
@dataclass
class Report(journeys.Report):
    area: Area
    period: Period


def build(tables, policy: DisclosurePolicy, *, first_year=None, last_year=None, truth=None) -> Report:
    """Every table and result of the Scottish stability report."""
    children, episodes = tables["children"], tables["episodes"]
    period = Period.configured(first_year, last_year, tables.get("pupils"))
    report = Report(Area.loaded(children), period)
    placed = placement_episodes(episodes, children)
    data = exposure(placed, period.start, period.end)
    rates = move_rates(data)
    rates["years"] = rates["years"].round(1)
    planted = planted_rates(truth)
    rates["planted"] = rates["group"].map(planted) if planted else np.nan
    rates["covered"] = (rates["ci_low"] <= rates["planted"]) & (rates["planted"] <= rates["ci_high"])
    shown = rates.assign(group=rates["group"].map(PLACEMENT_GROUP_LABELS)).set_index("group")
    shown = shown[["moves", "years", "rate", "ci_low", "ci_high", *(["planted"] if planted else [])]]
    shown = shown.rename(
        columns={
            "years": "child-years",
            "rate": "moves per child-year",
            "ci_low": "95% CI low",
            "ci_high": "95% CI high",
            "planted": "planted rate",
        }
    )
    # Both tables show the total of all moves: the groups and the ages are two splits of it.
    total = move_rates(data.assign(all="All placements"), "all").set_index("all")
    total["years"] = total["years"].round(1)
    total = total[["moves", "years", "rate", "ci_low", "ci_high"]].rename(columns=dict(zip(
        ["years", "rate", "ci_low", "ci_high"], ["child-years", "moves per child-year", "95% CI low", "95% CI high"],
        strict=True,
    )))  # fmt: skip
    shown = pd.concat([shown, total])
    shown["child-years"] = format_plain(shown[["child-years"]])["child-years"]  # 45,684.2, as counts read
    rate_columns = [c for c in shown.columns if c not in ("moves", "child-years")]
    report.linked["rates"] = Linked(
        shown,
        ["moves"],
        keys={"moves": [None] * (len(shown) - 1) + [("moves", "all")]},
        options=dict(rate_columns={c: "moves" for c in rate_columns}, total_row="All placements", decimals=3),
    )
    report.captions["rates"] = "Moves per child-year by placement group (exact Poisson 95% CI)"
    by_age = move_rates(data, "age_band").set_index("age_band")[["moves", "years", "rate", "ci_low", "ci_high"]]
    by_age = by_age.reindex([band for band in AGE_BANDS[1] if band in by_age.index])  # youngest first
    by_age["years"] = by_age["years"].round(1)
    by_age = by_age.rename(
        columns={
            "years": "child-years",
            "rate": "moves per child-year",
            "ci_low": "95% CI low",
            "ci_high": "95% CI high",
        }
    )
    by_age = pd.concat([by_age, total])
    by_age["child-years"] = format_plain(by_age[["child-years"]])["child-years"]
    report.linked["rates_by_age"] = Linked(
        by_age,
        ["moves"],
        keys={"moves": [None] * (len(by_age) - 1) + [("moves", "all")]},
        options=dict(rate_columns={c: "moves" for c in by_age.columns[2:]}, total_row="All placements", decimals=3),
    )
    report.captions["rates_by_age"] = "Moves per child-year by age at the start of the placement"

    yearly = pd.concat([placements_in_year(placed, y) for y in period.years], ignore_index=True)
    three = (
        yearly.assign(three=yearly["placements"] >= 3)
        .groupby("year")
        .agg(**{"looked after 31 July": ("child_id", "size"), "three or more placements": ("three", "sum")})
    )
    children, yes = three.columns
    three["percent"] = 100 * three[yes] / three[children]
    report.linked["three"] = Linked(
        three, [children, yes], options=dict(rate_columns={"percent": yes}, complements={yes: children})
    )
    report.captions["three"] = (
        "Looked after on 31 July with three or more placements in the year (the counterpart of NI 62)"
    )

    back = reentries(placed, period.start, period.end)
    if len(back):
        report.linked["reentry"] = journeys.reentry_table(back, "spells ended")
        report.captions["reentry"] = (
            "Spells ended (not by adoption) and the share followed by a new spell within 12 months"
        )

    report.tables.update(policy.suppress_together(report.linked))
    model_rows = None
    withheld = rates.loc[report.tables["rates"].suppressed["moves"].to_numpy()[: len(rates)], "group"].tolist()
    if data["moved"].sum() >= MIN_MOVES_FOR_MODEL:
        # A group whose moves are withheld is left out of the model (its rate ratio would estimate them).
        fitted = fit_move_model(data[~data["group"].isin(withheld)])
        ci = fitted.conf_int()
        model_rows = pd.DataFrame(
            {
                "term": fitted.params.index,
                "estimate": fitted.params.to_numpy(),
                "ci_low": ci[0].to_numpy(),
                "ci_high": ci[1].to_numpy(),
            }
        )
        model_rows = model_rows[model_rows["term"] != "Intercept"]
        shown = model_rows.assign(term=model_rows["term"].map(term_label)).set_index("term")
        shown = shown.assign(**{"rate ratio": np.exp(shown["estimate"])}).rename(
            columns={"estimate": "log rate ratio", "ci_low": "95% CI low", "ci_high": "95% CI high"}
        )
        report.tables["model"] = shown
        report.captions["model"] = (
            "Poisson model of moves (log rate ratios, 95% CI clustered by child; offset log child-years)"
        )
        report.figures["model"] = model_rows
    _planted(report, rates, model_rows, planted)
    report.results.update(
        {
            n: t.display.reset_index().to_dict(orient="records")
            for n, t in report.tables.items()
            if isinstance(t, SuppressedTable)
        }
    )
    return report


def _planted(report, rates, model_rows, planted):
    if not planted:
        return
    visible = ~report.tables["rates"].suppressed["moves"].to_numpy()[: len(rates)]
    checks = rates[visible & rates["planted"].notna().to_numpy()][
        ["group", "planted", "rate", "ci_low", "ci_high", "covered"]
    ]
    checks = checks.rename(columns={"group": "what", "rate": "estimate"})
    checks["what"] = "moves per child-year: " + checks["what"].map(PLACEMENT_GROUP_LABELS)
    if model_rows is not None:
        reference = planted.get(REFERENCE_GROUP)
        rows = []
        for _, row in model_rows.iterrows():
            term = row["term"]
            if term.startswith("C(group") and reference:
                group = term.split("[T.")[1].rstrip("]")
                value = np.log(planted[group] / reference) if planted.get(group) else np.nan
            else:
                value = 0.0  # prior moves and age have no planted effect on the move rate
            rows.append(
                {
                    "what": f"model: {term_label(term)}",
                    "planted": value,
                    "estimate": row["estimate"],
                    "ci_low": row["ci_low"],
                    "ci_high": row["ci_high"],
                }
            )
        model = pd.DataFrame(rows).dropna(subset=["planted"])
        model["covered"] = (model["ci_low"] <= model["planted"]) & (model["planted"] <= model["ci_high"])
        checks = pd.concat([checks, model], ignore_index=True)
    report.tables["planted"] = checks.set_index("what").assign(
        covered=lambda f: f["covered"].map({True: "yes", False: "no"})
    )
    report.captions["planted"] = "Planted values beside the estimates (95% intervals)"
    covered = int((checks["covered"] == True).sum())  # noqa: E712
    report.texts["planted"] = f"{covered} of {len(checks)} planted values lie inside their 95% intervals."
    report.results["planted_coverage"] = {"covered": covered, "checked": len(checks)}


show = journeys.show
