"""Statistics shared by both nations' analyses: intervals and model diagnostics."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def binomial_interval(successes: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval of a proportion."""
    if n == 0:
        return (np.nan, np.nan)
    z = stats.norm.ppf(1 - alpha / 2)
    p = successes / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return (centre - half, centre + half)


def binned_residuals(fitted, observed, bins: int = 30, min_rows_per_bin: int = 30) -> pd.DataFrame:
    """Mean observed minus mean fitted within quantile bins of the fitted value, with a 2-SE band.

    For a logistic model the raw residuals are 0/1 noise; averaged within
    bins of similar fitted probability they should scatter around zero inside
    +/- 2 standard errors when the model fits.  Fewer bins are used on small
    data, so each holds at least ``min_rows_per_bin`` rows (a bin's mean is
    then no small count in disguise).
    """
    frame = pd.DataFrame({"fitted": np.asarray(fitted, float), "observed": np.asarray(observed, float)})
    bins = max(1, min(bins, len(frame) // min_rows_per_bin))
    frame["bin"] = pd.qcut(frame["fitted"].rank(method="first"), bins, labels=False)
    grouped = frame.groupby("bin")
    out = grouped.agg(fitted=("fitted", "mean"), observed=("observed", "mean"), n=("fitted", "size")).reset_index(
        drop=True
    )
    out["residual"] = out["observed"] - out["fitted"]
    out["band"] = 2 * np.sqrt(out["fitted"] * (1 - out["fitted"]) / out["n"])
    return out


def logistic_maximum(x, y, tol: float = 1e-10, max_iter: int = 50) -> np.ndarray | None:
    """Maximum-likelihood coefficients of a logistic regression by Newton's method on the design held sparse.

    A design of indicator columns (fixed effects) is mostly zeros, so X'WX costs little sparse.  Steps that
    lower the likelihood are halved; None if Newton does not settle (statsmodels then starts on its own).
    """
    from scipy import sparse, special

    x, y = sparse.csr_matrix(np.asarray(x, dtype=float)), np.asarray(y, dtype=float)

    def loglik(beta):
        eta = x @ beta
        return float(y @ eta - np.logaddexp(0, eta).sum())

    beta = np.zeros(x.shape[1])
    current = loglik(beta)
    for _ in range(max_iter):
        mu = special.expit(x @ beta)
        information = (x.T @ x.multiply((mu * (1 - mu))[:, None])).toarray()
        try:
            step = np.linalg.solve(information, x.T @ (y - mu))
        except np.linalg.LinAlgError:
            return None
        for _ in range(30):
            trial = loglik(beta + step)
            if trial >= current - 1e-12 * abs(current):
                break
            step = step / 2
        beta, current = beta + step, trial
        if np.max(np.abs(step)) < tol:
            return beta
    return None
