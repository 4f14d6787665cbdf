"""Journeys through care, machinery shared by both nations: cause-specific Cox models and the figures.

Each nation's ``permanence`` module derives its own periods of care and
milestones, and each nation's ``leaving_care`` module its care leavers (the
rates, the EET model and the planted check of leaving care are shared here);
the survival estimators (Kaplan-Meier with delayed entry, Aalen-Johansen) are
in :mod:`lac_outcomes.scotland.survival`.  Each nation's permanence and
stability report is a :class:`Report` with the period it covers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsmodels.duration.hazard_regression import PHReg

from lac_outcomes.disclosure import CONFIDENTIAL, Linked
from lac_outcomes.scotland import survival
from lac_outcomes.stats import binned_residuals, binomial_interval, logistic_maximum


@dataclass(kw_only=True)
class Report:
    """What a journeys notebook shows: tables (suppressed or plain model tables), figure data, texts, results."""

    tables: dict = field(default_factory=dict)
    # Every table with counts, protected as one (a count shown in two tables is one cell).
    linked: dict[str, Linked] = field(default_factory=dict)
    lines: list = field(default_factory=list)
    captions: dict[str, str] = field(default_factory=dict)
    figures: dict[str, pd.DataFrame] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    results: dict = field(default_factory=dict)


def reentry_table(back: pd.DataFrame, ended: str) -> Linked:
    """Periods ended by year (column ``ended``) and how many were followed by a new one within 12 months, linked."""
    returned = "back within 12 months"
    again = back.groupby("year").agg(**{ended: ("returned", "size"), returned: ("returned", "sum")})
    again["percent"] = 100 * again[returned] / again[ended]
    return Linked(
        again,
        [ended, returned],
        options=dict(rate_columns={"percent": returned}, complements={returned: ended}),
    )


COX_TERMS = ("age_at_entry_minus_5", "male")
TERM_LABELS = {"age_at_entry_minus_5": "age at entry (per year)", "male": "male"}


def withhold_coverage(table, estimate: str = "estimate", covered: str = "covered") -> None:
    """Show ``c`` in the covered column where the estimate is withheld (whether it is covered says something)."""
    hidden = table.suppressed[estimate].to_numpy()
    table.display.loc[hidden, covered] = CONFIDENTIAL


def fit_cox(data: pd.DataFrame, event: str = "event"):
    """Cox model (statsmodels ``PHReg``) of ``time`` by age at entry and sex, LA strata, delayed entry, Efron ties."""
    model = EfronCox.from_formula(
        "time ~ " + " + ".join(COX_TERMS),
        data,
        status=data[event].to_numpy(),
        entry=data["entry"].to_numpy(),
        strata=data["la_code"].to_numpy(),
        ties="efron",
    )
    result = model.fit()
    return survival.cox_table(result, survival.robust_cox_covariance(result, data["child_id"]))


class EfronCox(PHReg):
    """statsmodels' ``PHReg`` with its Efron-ties log-likelihood, score and Hessian from :func:`efron_cox_derivatives`.

    PHReg computes them in a Python loop over every event time of every stratum: at national scale its Newton
    steps and the Hessians for the covariances took most of each permanence report (issue 13).  The same
    quantities from cumulative sums (tested equal to PHReg's own); everything else is PHReg's.  With an offset
    or Breslow ties, PHReg's own code runs.
    """

    def _derivatives(self, params):
        params = np.asarray(params, dtype=float)
        if getattr(self, "_cached", (None,))[0] != params.tobytes():
            if not hasattr(self, "_strata"):
                # Rows PHReg leaves out (strata without events, rows never at risk) carry no events: stratum -1.
                self._strata = np.full(len(self.endog), -1)
                for code, rows in enumerate(self.surv.stratum_rows):
                    self._strata[rows] = code
            entry = self.entry if self.entry is not None else np.zeros(len(self.endog))
            self._cached = (
                params.tobytes(),
                efron_cox_derivatives(self.exog, self.endog, self.status, entry, self._strata, params),
            )
        return self._cached[1]

    def efron_loglike(self, params):
        return super().efron_loglike(params) if self.offset is not None else self._derivatives(params)[0]

    def efron_gradient(self, params):
        return super().efron_gradient(params) if self.offset is not None else self._derivatives(params)[1].copy()

    def efron_hessian(self, params):
        return super().efron_hessian(params) if self.offset is not None else self._derivatives(params)[2].copy()


def efron_cox_derivatives(x, time, status, entry, strata, params):
    """Log partial likelihood of a stratified Cox model with delayed entry and Efron ties, its gradient and Hessian.

    The same quantities as statsmodels' ``PHReg`` (``efron_loglike``, ``efron_gradient``, ``efron_hessian``),
    from cumulative sums rather than a Python loop over event times.  The risk set at event time u is
    {i: entry_i <= u <= time_i} within the stratum, as statsmodels has it; with d events at u, Efron's
    j-th of them (j = 0 .. d-1) sees the risk set's sums less j/d of the events' own.
    """
    x = np.asarray(x, dtype=float)
    time, status, entry = (np.asarray(v, dtype=float) for v in (time, status, entry))
    n_params = x.shape[1]
    loglik, gradient, hessian = 0.0, np.zeros(n_params), np.zeros((n_params, n_params))
    for code in pd.unique(strata):
        rows = np.flatnonzero(strata == code)
        xs, ts, es, ds = x[rows], time[rows], entry[rows], status[rows] == 1
        event_times, deaths = np.unique(ts[ds], return_counts=True)
        if len(event_times) == 0:
            continue
        linear = xs @ params
        weight = np.exp(linear - linear.max())  # a common factor, which cancels
        # Per row: w, w x, w x x' as one block of columns, so each sum below is one cumulative sum.
        moments = np.column_stack(
            [
                weight,
                weight[:, None] * xs,
                (weight[:, None, None] * xs[:, :, None] * xs[:, None, :]).reshape(len(rows), -1),
            ]
        )

        by_time, by_entry = np.argsort(ts, kind="stable"), np.argsort(es, kind="stable")
        at_time = np.searchsorted(ts[by_time], event_times, side="left")  # first with time >= u
        after_entry = np.searchsorted(es[by_entry], event_times, side="right")  # first with entry > u
        risk = _tail_sums(moments, by_time)[at_time] - _tail_sums(moments, by_entry)[after_entry]
        failing = np.zeros_like(risk)
        np.add.at(failing, np.searchsorted(event_times, ts[ds]), moments[ds])
        # One row per event: its event time and Efron's j/d.
        which = np.repeat(np.arange(len(event_times)), deaths)
        share = (np.arange(len(which)) - np.repeat(np.cumsum(deaths) - deaths, deaths)) / deaths[which]
        c = risk[which] - share[:, None] * failing[which]
        c0, c1 = c[:, 0], c[:, 1 : 1 + n_params]
        c2 = c[:, 1 + n_params :].reshape(-1, n_params, n_params)
        loglik += (linear[ds] - linear.max()).sum() - np.log(c0).sum()
        gradient += xs[ds].sum(axis=0) - (c1 / c0[:, None]).sum(axis=0)
        hessian -= (c2 / c0[:, None, None]).sum(axis=0) - np.einsum("ij,ik->jk", c1 / c0[:, None], c1 / c0[:, None])
    return loglik, gradient, hessian


def _tail_sums(values, order):
    """Sums of ``values`` over the rows from each position of ``order`` to its end, and a row of zeros after."""
    sums = np.cumsum(values[order][::-1], axis=0)[::-1]
    return np.vstack([sums, np.zeros((1, values.shape[1]))])


def _plotting():
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    return plt


def draw_incidence(report):
    """Stacked cumulative incidence of each route and of leaving care, with what remains, by years since entry."""
    data = report.figures.get("incidence")
    if data is None or data.empty:
        return None
    plt = _plotting()
    fig, ax = plt.subplots(figsize=(9, 4.5))
    labels = [c for c in data.columns if c not in ("time", "at_risk", "events", "survival")]
    ax.stackplot(data["time"], *[100 * data[c] for c in labels], labels=labels, step="post", alpha=0.8)
    ax.set(xlabel="Years since the spell began", ylabel="Percent of spells", xlim=(0, 8), ylim=(0, 100))
    ax.legend(loc="upper left", fontsize="small")
    alt = "Stacked areas of the cumulative percentage of spells ending in each order or in leaving care, by years."
    return fig, alt


def _step_chart(data, by: str, xlabel: str, ylabel: str, xlim: tuple[float, float]):
    """Kaplan-Meier curves of ``data`` (time, survival), one step line per value of ``by``, as percentages."""
    plt = _plotting()
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for label, curve in data.groupby(by, sort=False):
        ax.step(curve["time"], 100 * curve["survival"], where="post", label=label)
    ax.set(xlabel=xlabel, ylabel=ylabel, xlim=xlim, ylim=(0, 100))
    ax.legend(fontsize="small")
    return fig


def draw_stages(report):
    """Kaplan-Meier curves of each stage: share still waiting by years since the stage began."""
    data = report.figures.get("stage_curves")
    if data is None or data.empty:
        return None
    fig = _step_chart(data, "stage", "Years since the stage began", "Percent still waiting", (0, 4))
    alt = "Step chart of the percentage still waiting at each stage of permanence planning by years since it began."
    return fig, alt


def draw_any_order(report):
    """Kaplan-Meier of the time to any permanence order, with and without delayed entry."""
    data = report.figures.get("any_order")
    if data is None or data.empty:
        return None
    fig = _step_chart(data, "method", "Years since entering care", "Percent without an order", (0, 10))
    alt = (
        "Step chart of the percentage of children without a permanence order by years since entering care, "
        "estimated with and without delayed entry for those already in care when the data begin."
    )
    return fig, alt


DRAWERS = {"incidence_figure": draw_incidence, "stage_figure": draw_stages, "any_order_figure": draw_any_order}


def show(report, *names: str) -> None:
    """Show tables and figures by name, in order (what cannot be drawn is skipped)."""
    from lac_outcomes import display

    for name in names:
        if name in report.tables:
            display.show_table(report.tables[name], report.captions[name], name=name)
        elif name in DRAWERS:
            drawn = DRAWERS[name](report)
            if drawn is not None:
                display.show_figure(*drawn)


def fit_weibull_by_la(data: pd.DataFrame):
    """Weibull proportional hazards with one baseline scale per LA, delayed entry: per-LA median at reference.

    Cumulative hazard H(t) = lambda_LA * t ** k * exp(b_age * (age - 5) + b_male * male); log-likelihood
    sum of d_i (log(lambda k) + (k - 1) log t_i + x_i b) - lambda e^{x_i b} (t_i^k - e_i^k), fitted by
    maximum likelihood: each LA's log lambda has a closed form given k and b, so the optimiser (scipy BFGS)
    works on the profile likelihood of (log k, b) alone, and the covariance of every parameter is the inverse
    of the analytic information matrix (fast with a hundred and more authorities).
    Returns a frame: la_code, events, median (years, age 5 at entry, female) and its delta-method 95% CI
    (NaN for an LA with no event: its scale has no estimate); ``attrs`` holds the shape k and its 95% CI, and
    ``coefficients``: the log hazard ratios b (term, estimate, ci_low, ci_high).
    """
    from scipy.optimize import minimize

    codes, las = pd.factorize(data["la_code"], sort=True)
    time = data["time"].to_numpy(float)
    entry = data["entry"].to_numpy(float)
    status = data["event"].to_numpy(float)
    x = data[list(COX_TERMS)].to_numpy(float)
    events = np.bincount(codes, weights=status, minlength=len(las))
    # An LA with no event has no finite scale estimate: its rows add nothing to (k, b) at lambda = 0.
    fitted = events[codes] > 0
    time, entry, status, x, codes = time[fitted], entry[fitted], status[fitted], x[fitted], codes[fitted]
    log_time = np.log(time)
    log_entry = np.log(np.where(entry > 0, entry, 1.0))  # 0 ** k log 0 terms are 0

    def exposure(k):
        """A_i = t^k - e^k and its first two derivatives in k (B, C)."""
        tk, ek = time**k, np.where(entry > 0, entry**k, 0.0)
        return tk - ek, tk * log_time - ek * log_entry, tk * log_time**2 - ek * log_entry**2

    def profile(params):
        log_k, beta = params[0], params[1:]
        k = np.exp(log_k)
        weight = np.exp(x @ beta) * exposure(k)[0]
        scale = np.bincount(codes, weights=weight, minlength=len(las))[events > 0]
        return -(
            status @ (log_k + x @ beta + (k - 1) * log_time)
            + events[events > 0] @ (np.log(events[events > 0]) - np.log(scale))
            - events.sum()
        )

    start = np.zeros(1 + x.shape[1])
    optimum = minimize(profile, start, method="BFGS", options={"gtol": 1e-8, "maxiter": 2000})
    log_k, beta = optimum.x[0], optimum.x[1:]
    k = np.exp(log_k)
    a, b, c = exposure(k)
    linear = np.exp(x @ beta)
    log_lambda = np.full(len(las), np.nan)
    observed = events > 0
    log_lambda[observed] = np.log(events[observed]) - np.log(
        np.bincount(codes, weights=linear * a, minlength=len(las))[observed]
    )
    mu = linear * np.exp(log_lambda[codes])
    # Information matrix (minus the Hessian) in (log k, b, log lambda of each LA with an event).
    la_index = np.cumsum(observed) - 1
    p = 1 + x.shape[1]
    info = np.zeros((p + int(observed.sum()),) * 2)
    d_log_k = mu * k * b  # d(mu A)/d log k
    info[0, 0] = -(status @ (k * log_time)) + mu @ (k * b + k**2 * c)
    info[0, 1:p] = info[1:p, 0] = d_log_k @ x
    info[1:p, 1:p] = (x * (mu * a)[:, None]).T @ x
    cells = p + la_index[codes]
    np.add.at(info, (0, cells), d_log_k)
    np.add.at(info, (cells, 0), d_log_k)
    for j in range(x.shape[1]):
        np.add.at(info, (1 + j, cells), mu * a * x[:, j])
        np.add.at(info, (cells, 1 + j), mu * a * x[:, j])
    np.add.at(info, (cells, cells), mu * a)
    cov = np.linalg.inv(info)
    rows = []
    for j, la in enumerate(las):
        row = {"la_code": la, "events": int(events[j]), "median": np.nan, "ci_low": np.nan, "ci_high": np.nan}
        if observed[j]:
            log_median = (np.log(np.log(2)) - log_lambda[j]) / k
            # d log_median / d log_k = -log_median; d / d log_lambda = -1 / k
            gradient = np.zeros(len(cov))
            gradient[0], gradient[p + la_index[j]] = -log_median, -1 / k
            se = float(np.sqrt(gradient @ cov @ gradient))
            row.update(
                median=float(np.exp(log_median)),
                ci_low=float(np.exp(log_median - 1.959964 * se)),
                ci_high=float(np.exp(log_median + 1.959964 * se)),
            )
        rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs["shape"] = float(k)
    out.attrs["shape_ci"] = tuple(float(np.exp(log_k + z * np.sqrt(cov[0, 0]))) for z in (-1.959964, 1.959964))
    se = np.sqrt(np.diag(cov)[1:p])
    out.attrs["coefficients"] = pd.DataFrame(
        {"term": list(COX_TERMS), "estimate": beta, "ci_low": beta - 1.959964 * se, "ci_high": beta + 1.959964 * se}
    )
    return out


# --------------------------------------------------------------------------
# leaving care, both nations: one frame of young people, the same rates, model and planted check
# --------------------------------------------------------------------------
# Each nation's ``leaving_care.leavers`` returns one row per young person per year with these columns:
# person, la_code, year, age (or NA), contact (in touch / receiving aftercare: bool), eet and suitable (bool, NA
# where the return does not say), group (last placement group, NA without a care history in the data) and
# years_looked_after (NA likewise).
LEAVER_COLUMNS = ("person", "la_code", "year", "age", "contact", "eet", "suitable", "group", "years_looked_after")
# Minimum young people with a known outcome in a last placement group for the group to enter the model.
MIN_GROUP_ROWS = 30
MIN_MODEL_ROWS = 100

DEFINITIONS = pd.DataFrame(
    {
        "measure": ["in touch", "in education, employment or training", "suitable accommodation", "who is counted"],
        "Scotland (aftercare return)": [
            "receiving aftercare on 31 July (Y); continuing care counted as receiving",
            "economic activity higher or further education, employment or training (voluntary work is not)",
            "accommodation code marked suitable (homeless and custody are not; other and not known are unknown)",
            "ceased to be looked after on or after 16th birthday, under 26 on 31 July",
        ],
        "England (SSDA903 OC3)": [
            "IN_TOUCH = YES around the birthday in the year",
            "ACTIV code beginning F or P (full- or part-time), as NI 148",
            "ACCOM code ending 1, as NI 147",
            "former relevant children turning 17 to 21 in the year (19 to 21 for NI 147/148), died excluded",
        ],
        "where they differ": [
            "Scotland asks whether a service is received, England whether the authority is in contact",
            "Scotland records activity only for those receiving aftercare; England's indicator counts those not "
            "in touch as not EET",
            "both are the authority's judgement; Scotland's codes leave 'other' undecided",
            "a census day (31 July) against the birthday; 16 to 25 against 17 to 21",
        ],
    }
).set_index("measure")


EET_OF_ALL = "EET, of all (the indicator's denominator)"
MEASURES = ("in touch", "EET, of those in touch", EET_OF_ALL, "suitable accommodation, of those in touch")


def _measure_rows(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Long table: for each group and measure the young people counted, how many 'yes', percent and 95% CI.

    Among those in touch an unknown activity or accommodation counts as 'no' (as NI 147/148 count those not
    in touch): so each measure's denominator is everyone or those in touch, numbers shown elsewhere.
    """
    everyone = pd.Series(True, index=frame.index)
    contact = frame["contact"].fillna(False).astype(bool)
    eet = frame["eet"].fillna(False).astype(bool) & contact
    suitable = frame["suitable"].fillna(False).astype(bool) & contact
    pairs = [(everyone, contact), (contact, eet), (everyone, eet), (contact, suitable)]
    measures = dict(zip(MEASURES, pairs, strict=True))
    rows = []
    for label, (counted, yes) in measures.items():
        grouped = pd.DataFrame({**{b: frame[b] for b in by}, "n": counted.astype(int), "yes": (counted & yes)})
        for key, part in grouped.groupby(by, sort=True):
            key = key if isinstance(key, tuple) else (key,)
            n, k = int(part["n"].sum()), int(part["yes"].sum())
            low, high = binomial_interval(k, n)
            rows.append(
                {
                    **dict(zip(by, key, strict=True)),
                    "measure": label,
                    "counted": n,
                    "yes": k,
                    "percent": 100 * k / n if n else np.nan,
                    "95% CI low": 100 * low,
                    "95% CI high": 100 * high,
                }
            )
    return pd.DataFrame(rows).set_index([*by, "measure"])


# Which population cell each measure's counts are: the same number shown in two rows is one cell.
_COUNTED_CELL = dict(zip(MEASURES, ["all", "contact", "all", "contact"], strict=True))
_YES_CELL = dict(zip(MEASURES, ["contact", "eet", "eet", "suitable"], strict=True))


def outcome_rates(frame: pd.DataFrame, by: list[str]) -> Linked:
    """The matched measures by ``by`` with Wilson 95% intervals, as one table to protect."""
    table = _measure_rows(frame, by)
    groups = [tuple(key[:-1]) for key in table.index]
    measure = table.index.get_level_values("measure")
    return Linked(
        table,
        ["counted", "yes"],
        keys={
            "counted": [(_COUNTED_CELL[m], g) for g, m in zip(groups, measure, strict=True)],
            "yes": [(_YES_CELL[m], g) for g, m in zip(groups, measure, strict=True)],
        },
        options=dict(
            rate_columns={c: ("yes", "counted") for c in ("percent", "95% CI low", "95% CI high")},
            complements={"yes": "counted"},
        ),
    )


def history_text(frame: pd.DataFrame, policy) -> str:
    """How many rows have no care history, in words that show no count: the tables hold every count shown."""
    without = int(frame["group"].isna().sum())
    if without == 0:
        return "every young person has a care history in the returns"
    if without < policy.threshold:
        return f"fewer than {policy.threshold} young-person-years have no care history in the returns"
    return f"{100 * without / len(frame):.0f}% of young-person-years have no care history in the returns"


def model_data(frame: pd.DataFrame) -> pd.DataFrame:
    """Young people in touch with a known EET status, a last placement group and time looked after."""
    data = frame[frame["contact"].fillna(False).astype(bool)].dropna(subset=["eet", "group", "years_looked_after"])
    data = data.copy()
    data["eet"] = data["eet"].astype(int)
    data["years_looked_after"] = data["years_looked_after"].astype(float)
    data["year"] = data["year"].astype(int)
    return data


def fit_eet_model(data: pd.DataFrame, reference: str):
    """Logistic model (statsmodels GLM, binomial) of EET by last placement group and years looked after.

    LA and year fixed effects, so the coefficients are within-authority, within-year log-odds ratios (conditional
    on the authority, not population-averaged); standard errors clustered by young person (one person is
    counted in several years).
    """
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    model = smf.glm(
        f"eet ~ C(group, Treatment('{reference}')) + years_looked_after + C(la_code) + C(year)",
        data=data,
        family=sm.families.Binomial(),
    )
    # IRLS solves a least-squares problem on the dense design at each step (200,000 rows by 165 columns at
    # national scale, 1.7 s each, issue 13) and then takes two singular value decompositions of it for the
    # covariance.  Newton on the likelihood (the same estimates; for the logit link the same information
    # matrix), started at the maximum found on the sparse design, stops after one step and needs neither.
    start = logistic_maximum(model.exog, model.endog)
    return model.fit(
        start_params=start, method="newton", cov_type="cluster", cov_kwds={"groups": pd.factorize(data["person"])[0]}
    )


def model_table(fitted, labels: dict[str, str], reference: str) -> pd.DataFrame:
    """The placement and time terms of ``fit_eet_model``: term key, label, log-odds ratio and 95% CI."""
    ci = fitted.conf_int()
    rows = []
    for term in fitted.params.index:
        if term.startswith("C(group"):
            key = term.split("[T.")[1].rstrip("]")
            label = f"last placement: {labels.get(key, key)} (vs {labels.get(reference, reference)})"
        elif term == "years_looked_after":
            key, label = term, "years looked after (per year)"
        else:
            continue
        rows.append(
            {
                "key": key,
                "term": label,
                "estimate": float(fitted.params[term]),
                "ci_low": float(ci.loc[term, 0]),
                "ci_high": float(ci.loc[term, 1]),
            }
        )
    return pd.DataFrame(rows)


def add_model(report: Report, frame: pd.DataFrame, labels: dict[str, str], reference: str, planted: dict | None):
    """Fit the EET model where the data allow; add its table, a binned-residual diagnostic and the planted check."""
    data = model_data(frame)
    sizes = data["group"].value_counts()
    small = sorted(g for g, n in sizes.items() if n < MIN_GROUP_ROWS and g != reference)
    data = data[~data["group"].isin(small)]
    if len(data) < MIN_MODEL_ROWS or reference not in set(data["group"]) or data["group"].nunique() < 2:
        report.texts["model"] = f"Too few young people with a known outcome and care history ({len(data)}) to model."
        return
    fitted = fit_eet_model(data, reference)
    rows = model_table(fitted, labels, reference)
    shown = rows.set_index("term")[["estimate", "ci_low", "ci_high"]]
    shown = shown.assign(**{"odds ratio": np.exp(shown["estimate"])}).rename(
        columns={"estimate": "log-odds ratio", "ci_low": "95% CI low", "ci_high": "95% CI high"}
    )
    report.tables["model"] = shown
    report.captions["model"] = (
        "Logistic model of EET (log-odds ratios, 95% CI clustered by young person; LA and year fixed effects)"
    )
    residuals = binned_residuals(fitted.fittedvalues, data["eet"])
    outside = int((residuals["residual"].abs() > residuals["band"]).sum())
    left_out = ", ".join(labels.get(g, g) for g in small)
    report.texts["model"] = (
        f"{len(data)} young-person-years in the model"
        + (f"; groups left out (fewer than {MIN_GROUP_ROWS}): {left_out}" if small else "")
        + f". Binned residuals: {outside} of {len(residuals)} bins outside two standard errors "
        f"(about {0.05 * len(residuals):.0f} expected by chance)."
    )
    report.results["model"] = rows.drop(columns="key").to_dict(orient="records")
    if planted:
        _planted_check(report, rows, planted)


def _planted_check(report: Report, rows: pd.DataFrame, planted: dict[str, float]) -> None:
    checks = rows[rows["key"].isin(list(planted))].copy()
    checks["planted"] = checks["key"].map(planted)
    checks["covered"] = (checks["ci_low"] <= checks["planted"]) & (checks["planted"] <= checks["ci_high"])
    covered = int(checks["covered"].sum())
    report.tables["planted"] = checks.set_index("term")[["planted", "estimate", "ci_low", "ci_high", "covered"]].assign(
        covered=lambda f: f["covered"].map({True: "yes", False: "no"})
    )
    report.captions["planted"] = "Planted log-odds ratios beside the estimates (95% intervals)"
    report.texts["planted"] = f"{covered} of {len(checks)} planted values lie inside their 95% intervals."
    report.results["planted_coverage"] = {"covered": covered, "checked": len(checks)}


def leaving_care_headline(report: Report) -> str:
    """The sentence the index shows: the placement gap in EET the model finds (no counts), and the planted check."""
    terms = [row for row in report.results.get("model", []) if row["term"].startswith("last placement")]
    if not terms:
        return "EET by last placement: " + report.texts.get("model", "no model").rstrip(".")
    widest = min(terms, key=lambda row: row["estimate"])
    text = (
        f"EET, {widest['term'].removeprefix('last placement: ')}: odds ratio {np.exp(widest['estimate']):.2f} "
        f"(95% CI {np.exp(widest['ci_low']):.2f} to {np.exp(widest['ci_high']):.2f}) within authority and year"
    )
    return text + (f"; {report.texts['planted'].rstrip('.')}" if "planted" in report.texts else "")


def build_leaving_care(report: Report, frame: pd.DataFrame, policy, *, by, labels, reference, planted) -> Report:
    """The report both nations share: definitions, rates with intervals, the EET model, the planted check."""
    from lac_outcomes.disclosure import SuppressedTable

    report.tables["definitions"] = DEFINITIONS
    report.captions["definitions"] = "The matched definitions side by side"
    report.linked["rates"] = outcome_rates(frame, by)
    report.captions["rates"] = f"Outcomes of young people who have left care, by {' and '.join(by)} (Wilson 95% CI)"
    report.tables.update(policy.suppress_together(report.linked))
    add_model(report, frame, labels, reference, planted)
    report.results.update(
        {
            n: t.display.reset_index().to_dict(orient="records")
            for n, t in report.tables.items()
            if isinstance(t, SuppressedTable)
        }
    )
    return report
