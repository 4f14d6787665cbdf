"""Funnel plots: local authorities against the national value, with control limits.

A funnel plot sets each LA's indicator against the size of its cohort, with
the national value as the centre line and control limits that narrow as the
cohort grows (Spiegelhalter, "Funnel plots for comparing institutional
performance", Statistics in Medicine 2005).  An LA outside the 95% limits
(about 2 standard errors) is worth a look; outside the 99.8% limits (about 3)
it is unlikely to differ by chance alone.

* Proportions: exact binomial limits with Spiegelhalter's interpolation, so
  they are smooth in the cohort size ``n``: for the tail probability ``q``,
  ``r`` is the smallest count with ``P(R <= r) >= q`` for ``R ~ Bin(n, p0)``,
  ``a = (P(R <= r) - q) / P(R = r)`` and the limit is ``(r - a) / n``.
* Means (NI 58, the mean SDQ score): normal limits ``mu0 +/- z * sd / sqrt(n)``,
  with ``sd`` the standard deviation of the individual scores nationally.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

LEVELS = (0.95, 0.998)


def _tails(level: float) -> tuple[float, float]:
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, not {level}")
    return (1 - level) / 2, 1 - (1 - level) / 2


def _binomial_quantile(q: float, n: np.ndarray, p0: float) -> np.ndarray:
    """Spiegelhalter's interpolated binomial quantile, as a proportion of ``n``."""
    n = np.asarray(n, dtype="float64")
    out = np.full(n.shape, np.nan)
    ok = n > 0
    if not ok.any():
        return out
    nn = n[ok]
    r = stats.binom.ppf(q, nn, p0)
    cdf_r = stats.binom.cdf(r, nn, p0)
    pmf_r = stats.binom.pmf(r, nn, p0)
    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.where(pmf_r > 0, (cdf_r - q) / pmf_r, 0.0)
    out[ok] = np.clip((r - a) / nn, 0.0, 1.0)
    return out


def proportion_limits(p0: float, n, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper control limits for a proportion with national value ``p0`` at cohort sizes ``n``."""
    if not 0 <= p0 <= 1:
        raise ValueError(f"p0 must be a proportion, not {p0}")
    low_q, high_q = _tails(level)
    n = np.atleast_1d(np.asarray(n, dtype="float64"))
    return _binomial_quantile(low_q, n, p0), _binomial_quantile(high_q, n, p0)


def mean_limits(mu0: float, sd: float, n, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper control limits for a mean of ``n`` values with national mean ``mu0`` and spread ``sd``."""
    _, high_q = _tails(level)
    z = stats.norm.ppf(high_q)
    n = np.atleast_1d(np.asarray(n, dtype="float64"))
    with np.errstate(invalid="ignore", divide="ignore"):
        half = np.where(n > 0, z * sd / np.sqrt(n), np.nan)
    return mu0 - half, mu0 + half


def limits(kind: str, centre: float, n, level: float, sd: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Limits for ``kind`` ``"proportion"`` or ``"mean"`` (which needs ``sd``)."""
    if kind == "proportion":
        return proportion_limits(centre, n, level)
    if kind == "mean":
        if sd is None or not np.isfinite(sd):
            raise ValueError("a funnel for a mean needs the standard deviation of the individual values")
        return mean_limits(centre, sd, n, level)
    raise ValueError(f"kind must be 'proportion' or 'mean', not {kind!r}")


def pooled_sd(n, mean, sd) -> float:
    """Standard deviation of all values pooled from groups of sizes ``n`` with means and standard deviations.

    A group of one value has no standard deviation of its own (NaN); it adds
    only its distance from the overall mean.
    """
    n = np.asarray(n, dtype="float64")
    mean = np.asarray(mean, dtype="float64")
    sd = np.nan_to_num(np.asarray(sd, dtype="float64"), nan=0.0)
    keep = n > 0
    n, mean, sd = n[keep], mean[keep], sd[keep]
    total = n.sum()
    if total < 2:
        return float("nan")
    overall = (n * mean).sum() / total
    sum_squares = ((n - 1) * sd**2).sum() + (n * (mean - overall) ** 2).sum()
    return float(np.sqrt(sum_squares / (total - 1)))


def curve(
    kind: str, centre: float, n_max: float, *, sd: float | None = None, levels=LEVELS, points: int = 200
) -> pd.DataFrame:
    """The funnel's limit lines from ``n = 1`` to ``n_max``: columns ``n``, and ``lower_<level>``, ``upper_<level>``."""
    n = np.unique(np.round(np.geomspace(1, max(float(n_max), 2.0), points)))
    frame = pd.DataFrame({"n": n})
    for level in levels:
        lower, upper = limits(kind, centre, n, level, sd)
        frame[f"lower_{level:g}"], frame[f"upper_{level:g}"] = lower, upper
    return frame


def classify(
    frame: pd.DataFrame,
    kind: str,
    centre: float,
    *,
    n: str = "denominator",
    value: str = "value",
    sd: float | None = None,
    levels=LEVELS,
) -> pd.DataFrame:
    """Each row's limits at its own cohort size and where its value falls.

    Adds ``lower_<level>``, ``upper_<level>`` for each level and ``position``:
    ``"within 95%"``, ``"above 95%"``, ``"above 99.8%"``, ``"below 95%"``,
    ``"below 99.8%"`` (the widest limit crossed), or ``"no cohort"`` when ``n`` is 0.
    """
    out = frame.copy()
    sizes = out[n].astype("float64").to_numpy()
    values = out[value].astype("float64").to_numpy()
    position = np.where(sizes > 0, f"within {min(levels) * 100:g}%", "no cohort").astype(object)
    for level in sorted(levels):
        lower, upper = limits(kind, centre, sizes, level, sd)
        out[f"lower_{level:g}"], out[f"upper_{level:g}"] = lower, upper
        position = np.where(values > upper, f"above {level * 100:g}%", position)
        position = np.where(values < lower, f"below {level * 100:g}%", position)
    out["position"] = position
    return out
