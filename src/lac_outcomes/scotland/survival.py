"""Home supervision (Scotland): counts, spell durations, how spells end, and what predicts leaving.

Home supervision is a compulsory supervision order with no condition of
residence: the child is looked after at home with parents.  Spells of it come
from :func:`lac_outcomes.scotland.derive.home_supervision_spells`.

Survival conventions (time = years since the spell started, days / 365.25):

* a spell still open at the end of the data is censored there;
* a spell still running on the 18th birthday is censored at 18
  (supervision cannot continue past 18, so reaching 18 is not "leaving");
* a spell that began before the observation period is seen only because the
  child was looked after in the period (left truncation): it enters the risk
  set at the period start (delayed entry);
* spells that ended before the period are not used for survival.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.duration.survfunc import SurvfuncRight

from lac_outcomes.scotland import derive
from lac_outcomes.stats import binomial_interval

ENDINGS = ("discharged", "moved_away_from_home", "permanence")
HOME_LEGAL = "cso_home"
HOME_PLACEMENT = "at_home_with_parents"
COX_TERMS = ("age_at_start_minus_8", "male", "simd_quintile_minus_1")


# --------------------------------------------------------------------------
# counts on 31 July
# --------------------------------------------------------------------------
def stock_by_year(episodes: pd.DataFrame, children: pd.DataFrame, years) -> pd.DataFrame:
    """Children looked after on 31 July of each year, by LA: all, and at home on supervision.

    Returns year, la_code, looked_after, home_supervision (counts of
    children).  Looked-after years are labelled by their end, so year Y is the
    stock on 31 July Y.
    """
    la = children.set_index("child_id")["la_code"]
    parts = []
    on_each = derive.looked_after_on_each(episodes, [pd.Timestamp(int(year), 7, 31) for year in years])
    for year, on in zip(years, on_each, strict=True):
        on["la_code"] = la.reindex(on["child_id"]).to_numpy()
        on["home"] = (on["legal_reason"] == HOME_LEGAL) & (on["placement_type"] == HOME_PLACEMENT)
        grouped = (
            on.groupby("la_code").agg(looked_after=("child_id", "size"), home_supervision=("home", "sum")).reset_index()
        )
        grouped.insert(0, "year", int(year))
        parts.append(grouped)
    out = pd.concat(parts, ignore_index=True)
    out["home_supervision"] = out["home_supervision"].astype(int)
    return out


def long_spells_on(runs: pd.DataFrame, date, min_years: float = 5.0) -> pd.DataFrame:
    """Spells in progress on ``date`` (start <= date < end, or open), with years at home so far.

    Adds ``years_so_far`` (days since start / 365.25) and ``long`` (at least
    ``min_years``).
    """
    day = pd.Timestamp(date)
    current = (runs["start"] <= day) & (runs["end"].isna() | (runs["end"] > day))
    out = runs[current].copy()
    out["years_so_far"] = (day - out["start"]).dt.days / derive.DAYS_PER_YEAR
    out["long"] = out["years_so_far"] >= min_years
    return out


# --------------------------------------------------------------------------
# survival data
# --------------------------------------------------------------------------
def survival_data(runs: pd.DataFrame, children: pd.DataFrame, period_start, censor_date) -> pd.DataFrame:
    """Spells ready for survival analysis: time, event, cause, entry and model covariates.

    ``runs`` is :func:`derive.home_supervision_spells` output with children
    (computed with the same ``censor_date``).  Spells ending on or before
    ``period_start`` are left out.  Columns added: ``time`` (years),
    ``event`` (1 = left home supervision), ``cause`` (ended_by, or "censored";
    spells reaching 18 are censored at the 18th birthday), ``entry`` (years from
    the start to the period start for spells that began before it, else 0),
    ``age_at_start_minus_8``, ``male``, ``simd_quintile_minus_1``.
    """
    period_start = pd.Timestamp(period_start)
    censor_date = pd.Timestamp(censor_date)
    keep = runs["end"].isna() | (runs["end"] > period_start)
    data = runs[keep & (runs["start"] <= censor_date)].copy().reset_index(drop=True)
    dob = derive.as_dates(children.set_index("child_id")["date_of_birth"])
    dob.index = children["child_id"].to_numpy()
    eighteenth = derive.birthday(pd.Series(dob.reindex(data["child_id"]).to_numpy()), 18)
    eighteenth = pd.Series(eighteenth.to_numpy(), index=data.index)
    stop = data["end"].fillna(censor_date)
    # An open spell of someone 18 by the censor date is also cut at 18 (supervision cannot go on past it).
    reached = data["reached_age_18"].fillna(False).astype(bool) | (data["end"].isna() & (eighteenth <= censor_date))
    stop = stop.where(~reached, eighteenth)
    data["reached_age_18"] = reached
    data["time"] = (stop - data["start"]).dt.days / derive.DAYS_PER_YEAR
    data["event"] = ((data["ended_by"] != "censored") & ~reached).astype(int)
    data["cause"] = np.where(data["event"] == 1, data["ended_by"], "censored")
    data["entry"] = np.maximum((period_start - data["start"]).dt.days / derive.DAYS_PER_YEAR, 0.0)
    data["age_at_start_minus_8"] = data["age_at_start"] - 8
    data["male"] = (data["sex"] == "M").astype(float)
    data["simd_quintile_minus_1"] = data["simd_quintile"].astype(float) - 1
    # A spell must be at risk for a positive time after it enters.
    return data[data["time"] > data["entry"]].reset_index(drop=True)


# --------------------------------------------------------------------------
# Kaplan-Meier and Aalen-Johansen
# --------------------------------------------------------------------------
def kaplan_meier(time, event, entry=None) -> SurvfuncRight:
    """Kaplan-Meier estimate (statsmodels ``SurvfuncRight``), with delayed entry if ``entry`` is given."""
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=int)
    entry = None if entry is None else np.asarray(entry, dtype=float)
    if entry is not None and not (entry > 0).any():
        entry = None
    return SurvfuncRight(time, event, entry=entry)


def km_median(survfunc: SurvfuncRight) -> float:
    """Smallest time at which the Kaplan-Meier survival is 0.5 or lower (NaN if never reached)."""
    below = np.flatnonzero(np.asarray(survfunc.surv_prob) <= 0.5)
    return float(survfunc.surv_times[below[0]]) if below.size else float("nan")


def km_median_interval(survfunc: SurvfuncRight, alpha: float = 0.05) -> tuple[float, float]:
    """Confidence interval of the median (Brookmeyer-Crowley, as statsmodels computes it)."""
    try:
        low, high = survfunc.quantile_ci(0.5, alpha=alpha)
    except Exception:  # too few events for an interval
        return (float("nan"), float("nan"))
    return (float(low) if low is not None else float("nan"), float(high) if high is not None else float("nan"))


def km_table(survfunc: SurvfuncRight) -> pd.DataFrame:
    """Time, survival, pointwise 95% interval (log-log) and number at risk at each event time."""
    low, high = _pointwise(survfunc)
    return pd.DataFrame(
        {
            "time": survfunc.surv_times,
            "survival": survfunc.surv_prob,
            "ci_low": low,
            "ci_high": high,
            "at_risk": survfunc.n_risk,
        }
    )


def _pointwise(survfunc: SurvfuncRight, z: float = 1.959964) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(survfunc.surv_prob, dtype=float)
    se = np.asarray(survfunc.surv_prob_se, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_s = np.log(s)
        theta = np.log(-log_s)
        se_theta = se / (s * np.abs(log_s))
        low = np.exp(-np.exp(theta + z * se_theta))
        high = np.exp(-np.exp(theta - z * se_theta))
    low = np.where(np.isfinite(low), low, s)
    high = np.where(np.isfinite(high), high, s)
    return low, high


def survival_at(survfunc: SurvfuncRight, t: float) -> float:
    """Kaplan-Meier survival at time ``t`` (right-continuous step function)."""
    times = np.asarray(survfunc.surv_times)
    index = np.searchsorted(times, t, side="right") - 1
    return 1.0 if index < 0 else float(survfunc.surv_prob[index])


def cumulative_incidence(time, cause, causes=ENDINGS, entry=None, censored: str = "censored") -> pd.DataFrame:
    """Aalen-Johansen cumulative incidence of each cause of ending, with competing causes.

    At each distinct event time t_j with n_j at risk (entry < t_j <= time) and
    d_j events of any cause, of which d_kj of cause k:

        S(t_j) = S(t_{j-1}) * (1 - d_j / n_j)          (Kaplan-Meier, all causes)
        F_k(t_j) = F_k(t_{j-1}) + S(t_{j-1}) * d_kj / n_j

    Rows whose cause is ``censored`` are censored at their time.  Returns one
    row per event time: time, at_risk, events, survival and one column per
    cause; F_1 + ... + F_K + S = 1 at every time.
    """
    time = np.asarray(time, dtype=float)
    cause = np.asarray(cause, dtype=object)
    entry = np.zeros_like(time) if entry is None else np.asarray(entry, dtype=float)
    is_event = cause != censored
    event_times = np.unique(time[is_event])
    order_time = np.sort(time)
    order_entry = np.sort(entry)
    # at risk at t: entry < t and time >= t
    at_risk = (len(time) - np.searchsorted(order_time, event_times, side="left")) - (
        len(entry) - np.searchsorted(order_entry, event_times, side="left")
    )
    index = np.searchsorted(event_times, time[is_event])
    total = np.bincount(index, minlength=event_times.size).astype(float)
    survival_before = 1.0
    incidence = {k: np.zeros(event_times.size) for k in causes}
    per_cause = {k: np.bincount(index[cause[is_event] == k], minlength=event_times.size).astype(float) for k in causes}
    running = {k: 0.0 for k in causes}
    survival = np.zeros(event_times.size)
    for j in range(event_times.size):
        n = at_risk[j]
        for k in causes:
            running[k] += survival_before * per_cause[k][j] / n
            incidence[k][j] = running[k]
        survival_before *= 1 - total[j] / n
        survival[j] = survival_before
    out = pd.DataFrame({"time": event_times, "at_risk": at_risk, "events": total.astype(int), "survival": survival})
    for k in causes:
        out[k] = incidence[k]
    return out


def incidence_at(table: pd.DataFrame, t: float) -> dict[str, float]:
    """Cumulative incidence of each cause at time ``t`` from :func:`cumulative_incidence`."""
    index = np.searchsorted(table["time"].to_numpy(), t, side="right") - 1
    causes = [c for c in table.columns if c not in ("time", "at_risk", "events", "survival")]
    if index < 0:
        return {c: 0.0 for c in causes}
    return {c: float(table[c].iloc[index]) for c in causes}


# --------------------------------------------------------------------------
# Cox model
# --------------------------------------------------------------------------
COX_FORMULA = "time ~ " + " + ".join(COX_TERMS)


def fit_cox(data: pd.DataFrame, stratify_by: str | None = "la_code"):
    """Cox model of time to leaving home supervision (statsmodels ``PHReg``).

    Baseline hazard stratified by ``stratify_by`` (each LA its own baseline,
    so LA differences need no proportional-hazards assumption and do not bias
    the covariate effects), delayed entry from ``data["entry"]`` and Efron
    ties.  Standard errors are model-based; see :func:`robust_cox_covariance`.
    """
    model = PHReg.from_formula(
        COX_FORMULA,
        data,
        status=data["event"].to_numpy(),
        entry=data["entry"].to_numpy(),
        strata=data[stratify_by].to_numpy() if stratify_by else None,
        ties="efron",
    )
    return model.fit()


def cox_score_residuals(model, params) -> np.ndarray:
    """Score residuals of a ``PHReg`` (Lin and Wei), honouring delayed entry and strata.

    For spell i with covariates x_i, weight w_i = exp(x_i b), entry e_i, time t_i
    and event indicator d_i, in its stratum:

        U_i = d_i (x_i - xbar(t_i)) - w_i * sum over event times t_j in (e_i, t_i]
              of (d_j / S0(t_j)) (x_i - xbar(t_j))

    where the risk set at t is {k: e_k < t <= t_k}, S0 its summed weights and
    xbar its weighted mean covariates; d_j is the number of events at t_j
    (Breslow form).  statsmodels 0.15's ``score_residuals`` ignores entry times
    (checked: its residuals do not sum to zero at the fit once entry is given).
    """
    x = np.asarray(model.exog, dtype=float)
    time = np.asarray(model.endog, dtype=float)
    status = np.asarray(model.status, dtype=float)
    entry = np.asarray(model.entry, dtype=float) if model.entry is not None else np.zeros_like(time)
    weight = np.exp(x @ np.asarray(params, dtype=float))
    strata = np.zeros(len(time), dtype=int)
    for code, rows in enumerate(model.surv.stratum_rows):
        strata[rows] = code
    residuals = np.zeros_like(x)
    for code in np.unique(strata):
        rows = np.flatnonzero(strata == code)
        xs, ts, es, ds, ws = x[rows], time[rows], entry[rows], status[rows], weight[rows]
        event_times, deaths = np.unique(ts[ds == 1], return_counts=True)
        if len(event_times) == 0:
            continue
        # Risk set sums at each event time: those with time >= t, less those not yet entered (entry >= t).
        by_time, by_entry = np.argsort(ts), np.argsort(es)

        def tail(values, order):
            return np.concatenate([np.cumsum(values[order][::-1], axis=0)[::-1], np.zeros((1,) + values.shape[1:])])

        s0_time, s1_time = tail(ws, by_time), tail(ws[:, None] * xs, by_time)
        s0_entry, s1_entry = tail(ws, by_entry), tail(ws[:, None] * xs, by_entry)
        at_time = np.searchsorted(ts[by_time], event_times, side="left")
        at_entry = np.searchsorted(es[by_entry], event_times, side="left")
        s0 = s0_time[at_time] - s0_entry[at_entry]
        s1 = s1_time[at_time] - s1_entry[at_entry]
        xbar = s1 / s0[:, None]
        hazard = deaths / s0
        cum_h = np.concatenate([[0.0], np.cumsum(hazard)])
        cum_hx = np.vstack([np.zeros((1, x.shape[1])), np.cumsum(hazard[:, None] * xbar, axis=0)])
        upto_time = np.searchsorted(event_times, ts, side="right")
        upto_entry = np.searchsorted(event_times, es, side="right")
        h = cum_h[upto_time] - cum_h[upto_entry]
        hx = cum_hx[upto_time] - cum_hx[upto_entry]
        own = np.searchsorted(event_times, ts, side="left")
        own_xbar = xbar[np.minimum(own, len(event_times) - 1)]
        residuals[rows] = ds[:, None] * (xs - own_xbar) - ws[:, None] * (xs * h[:, None] - hx)
    return residuals


def robust_cox_covariance(result, groups) -> np.ndarray:
    """Sandwich covariance of a fitted ``PHReg``, clustered by ``groups`` (e.g. child: several spells).

    H^-1 (sum_g U_g U_g') H^-1 with U_g the summed score residuals of group g
    (:func:`cox_score_residuals`, which respects delayed entry).
    """
    params = np.asarray(result.params)
    scores = cox_score_residuals(result.model, params)
    codes = pd.factorize(np.asarray(groups))[0]
    summed = np.zeros((codes.max() + 1, scores.shape[1]))
    np.add.at(summed, codes, scores)
    bread = np.linalg.inv(result.model.hessian(params))
    return bread @ (summed.T @ summed) @ bread


def cox_table(result, cov: np.ndarray | None = None, alpha: float = 0.05) -> pd.DataFrame:
    """Log hazard ratios, standard errors (from ``cov`` if given), intervals and hazard ratios."""
    from scipy import stats

    names = list(result.model.exog_names)
    params = np.asarray(result.params)
    se = np.sqrt(np.diag(cov)) if cov is not None else np.asarray(result.bse)
    z = stats.norm.ppf(1 - alpha / 2)
    low, high = params - z * se, params + z * se
    return pd.DataFrame(
        {
            "term": names,
            "estimate": params,
            "std_error": se,
            "ci_low": low,
            "ci_high": high,
            "hazard_ratio": np.exp(params),
            "hr_low": np.exp(low),
            "hr_high": np.exp(high),
        }
    )


def planted_cox(truth: dict) -> dict[str, float]:
    """Planted log hazard ratios, named as the Cox model's terms."""
    log_hr = truth["home_supervision"]["log_hazard_ratio"]
    return {
        "age_at_start_minus_8": float(log_hr["age_at_start_per_year"]),
        "male": float(log_hr["male"]),
        "simd_quintile_minus_1": float(log_hr["simd_quintile_per_quintile"]),
    }


def cause_shares(data: pd.DataFrame, causes=ENDINGS) -> pd.DataFrame:
    """Share of observed endings by cause, with Wilson 95% intervals (n = spells that ended)."""

    ended = data[data["event"] == 1]
    rows = []
    for cause in causes:
        k = int((ended["cause"] == cause).sum())
        low, high = binomial_interval(k, len(ended))
        rows.append((cause, k, len(ended), k / len(ended) if len(ended) else np.nan, low, high))
    return pd.DataFrame(rows, columns=["cause", "endings", "n", "share", "ci_low", "ci_high"])
