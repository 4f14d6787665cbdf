"""Computed indicators against the values planted in synthetic returns.

Realised counts (looked after at 31 March, started, ceased) are the simulated
population's own counts, so the files, the reader and the indicators must
give them back exactly.  Targets (probabilities and the mean SDQ score) are
what the generator drew from, so a computed value differs by sampling error:
it is accepted within ``STANDARD_ERRORS`` standard errors of the planted value
for its cohort size, plus a small structural margin where the generator's
target is not exact by design.  With four standard errors a correct
implementation fails about one check in 15,000.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

STANDARD_ERRORS = 4.0
STRUCTURAL_MARGIN = {
    # placements for adoption and of unaccompanied asylum-seeking children are never P1
    "P1_31MAR": 0.015,
    # moves are capped by the days available to a child who entered days before 31 March
    "NI62": 0.005,
}
# Spread of the synthetic SDQ scores (beta-binomial, concentration 8), used where an LA-year has no sd.
SDQ_SD = 7.5


def compare_with_planted(indicators: pd.DataFrame, planted: pd.DataFrame, *, standard_errors: float = STANDARD_ERRORS) -> pd.DataFrame:
    """One row per LA, year and indicator: computed beside planted, the tolerance and whether it holds.

    ``indicators`` is the processed indicator table (``sd`` optional, for NI 58);
    ``planted`` the truth's records (``LA, YEAR, indicator, kind, planted``).
    Adds ``n`` (the cohort size), ``difference``, ``tolerance``, ``checked``
    (history complete and a non-empty cohort, or a realised count) and ``within``
    (missing where not checked).
    """
    merged = indicators.merge(planted, on=["LA", "YEAR", "indicator"], how="inner", validate="one_to_one")
    computed = merged["value"].astype("float64")
    n = pd.to_numeric(merged["denominator"], errors="coerce").astype("float64")
    target = merged["planted"].astype("float64")
    realised = merged["kind"].eq("realised").to_numpy()
    sd = merged["sd"].astype("float64") if "sd" in merged else pd.Series(np.nan, index=merged.index)
    sd = sd.fillna(SDQ_SD)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.where(
            merged["indicator"].eq("NI58"),
            sd / np.sqrt(n),
            np.sqrt(target * (1 - target) / n),
        )
    margin = merged["indicator"].map(STRUCTURAL_MARGIN).fillna(0.0).to_numpy()
    tolerance = np.where(realised, 0.0, standard_errors * se + margin)
    out = merged[["LA", "YEAR", "indicator", "kind", "history_complete"]].copy()
    out["n"] = np.where(realised, np.nan, n)
    out["planted"] = target
    out["computed"] = computed
    out["difference"] = computed - target
    out["tolerance"] = tolerance
    out["checked"] = np.where(realised, True, merged["history_complete"].to_numpy() & (n > 0))
    within = np.where(realised, computed == target, np.abs(computed - target) <= tolerance)
    # missing where not checked (history incomplete, or no child in the cohort)
    out["within"] = pd.array(within, dtype="boolean")
    out.loc[~out["checked"], "within"] = pd.NA
    return out.reset_index(drop=True)
