"""Journeys through care, machinery shared by both nations: cause-specific Cox models and the figures.

Each nation's ``permanence`` module derives its own periods of care and
milestones; the survival estimators (Kaplan-Meier with delayed entry,
Aalen-Johansen) are in :mod:`lac_outcomes.scotland.survival`.  Each nation's
permanence and stability report is a :class:`Report` with the period it covers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from statsmodels.duration.hazard_regression import PHReg

from lac_outcomes.disclosure import CONFIDENTIAL, Linked
from lac_outcomes.scotland import survival


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
    """Periods ended by year (column ``ended``) and how many were followed by a new one (``returned``), linked."""
    again = back.groupby("year").agg(**{ended: ("returned", "size")}, returned=("returned", "sum"))
    again["percent"] = 100 * again["returned"] / again[ended]
    return Linked(
        again,
        [ended, "returned"],
        options=dict(rate_columns={"percent": "returned"}, complements={"returned": ended}),
    )


COX_TERMS = ("age_at_entry_minus_5", "male")
TERM_LABELS = {"age_at_entry_minus_5": "age at entry (per year)", "male": "male"}


def withhold_coverage(table, estimate: str = "estimate", covered: str = "covered") -> None:
    """Show ``c`` in the covered column where the estimate is withheld (whether it is covered says something)."""
    hidden = table.suppressed[estimate].to_numpy()
    table.display.loc[hidden, covered] = CONFIDENTIAL


def fit_cox(data: pd.DataFrame, event: str = "event"):
    """Cox model (statsmodels ``PHReg``) of ``time`` by age at entry and sex, LA strata, delayed entry, Efron ties."""
    model = PHReg.from_formula(
        "time ~ " + " + ".join(COX_TERMS),
        data,
        status=data[event].to_numpy(),
        entry=data["entry"].to_numpy(),
        strata=data["la_code"].to_numpy(),
        ties="efron",
    )
    result = model.fit()
    return survival.cox_table(result, survival.robust_cox_covariance(result, data["child_id"]))


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


def draw_stages(report):
    """Kaplan-Meier curves of each stage: share still waiting by years since the stage began."""
    data = report.figures.get("stage_curves")
    if data is None or data.empty:
        return None
    plt = _plotting()
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for label, curve in data.groupby("stage", sort=False):
        ax.step(curve["time"], 100 * curve["survival"], where="post", label=label)
    ax.set(xlabel="Years since the stage began", ylabel="Percent still waiting", xlim=(0, 4), ylim=(0, 100))
    ax.legend(fontsize="small")
    alt = "Step chart of the percentage still waiting at each stage of permanence planning by years since it began."
    return fig, alt


def draw_any_order(report):
    """Kaplan-Meier of the time to any permanence order, with and without delayed entry."""
    data = report.figures.get("any_order")
    if data is None or data.empty:
        return None
    plt = _plotting()
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for label, curve in data.groupby("method", sort=False):
        ax.step(curve["time"], 100 * curve["survival"], where="post", label=label)
    ax.set(xlabel="Years since entering care", ylabel="Percent without an order", xlim=(0, 10), ylim=(0, 100))
    ax.legend(fontsize="small")
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
    maximum likelihood (statsmodels ``GenericLikelihoodModel``, numerical Hessian for the covariance).
    Returns a frame: la_code, events, median (years, age 5 at entry, female) and its delta-method 95% CI;
    ``attrs`` holds the shape k and its 95% CI.
    """
    import numpy as np
    from statsmodels.base.model import GenericLikelihoodModel

    codes, las = pd.factorize(data["la_code"], sort=True)
    time = data["time"].to_numpy(float)
    entry = data["entry"].to_numpy(float)
    status = data["event"].to_numpy(float)
    x = data[list(COX_TERMS)].to_numpy(float)

    class Weibull(GenericLikelihoodModel):
        def loglikeobs(self, params):
            log_k, beta, log_lambda = params[0], params[1:3], params[3:]
            k = np.exp(log_k)
            eta = x @ beta + log_lambda[codes]
            cumulative = np.exp(eta) * (time**k - entry**k)
            return status * (log_k + eta + (k - 1) * np.log(time)) - cumulative

    start = np.concatenate([[0.0, 0.0, 0.0], np.full(len(las), np.log(max(status.sum(), 1) / time.sum()))])
    model = Weibull(status, np.ones((len(time), 1)), extra_params_names=[f"p{i}" for i in range(len(start) - 1)])
    result = model.fit(start_params=start, method="bfgs", maxiter=2000, disp=False)
    params, cov = np.asarray(result.params), np.asarray(result.cov_params())
    rows = []
    for j, la in enumerate(las):
        k, log_lambda = np.exp(params[0]), params[3 + j]
        log_median = (np.log(np.log(2)) - log_lambda) / k
        # d log_median / d log_k = -log_median; d / d log_lambda = -1 / k
        gradient = np.zeros(len(params))
        gradient[0], gradient[3 + j] = -log_median, -1 / k
        se = float(np.sqrt(gradient @ cov @ gradient))
        rows.append(
            {
                "la_code": la,
                "events": int(status[codes == j].sum()),
                "median": float(np.exp(log_median)),
                "ci_low": float(np.exp(log_median - 1.959964 * se)),
                "ci_high": float(np.exp(log_median + 1.959964 * se)),
            }
        )
    out = pd.DataFrame(rows)
    out.attrs["shape"] = float(np.exp(params[0]))
    out.attrs["shape_ci"] = tuple(float(np.exp(params[0] + z * np.sqrt(cov[0, 0]))) for z in (-1.959964, 1.959964))
    return out
