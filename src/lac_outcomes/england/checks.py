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


def compare_with_planted(
    indicators: pd.DataFrame, planted: pd.DataFrame, *, standard_errors: float = STANDARD_ERRORS
) -> pd.DataFrame:
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


# What a withheld LA-year's check must not carry: each gives back the count (the planted realised
# count is the count itself; n falls out of a tolerance of k * sqrt(p(1 - p) / n) given p).
WITHHELD_FIELDS = ("n", "planted", "computed", "difference", "tolerance")


def withhold(check: pd.DataFrame, hidden: pd.DataFrame) -> pd.DataFrame:
    """The check as it may be published: withheld LA-years keep only whether they were checked and held.

    ``hidden`` has ``LA, YEAR, indicator, hidden`` and optionally
    ``denominator_hidden`` (the report's suppression pattern); an LA-year
    missing from it is withheld.  The planted value, the computed value, their
    difference and the tolerance go with the value; the cohort ``n`` goes with
    the denominator, so the check withholds exactly what the tables withhold.
    Adds ``suppressed``.
    """
    columns = ["LA", "YEAR", "indicator", "hidden", *(["denominator_hidden"] if "denominator_hidden" in hidden else [])]
    flags = check[["LA", "YEAR", "indicator"]].merge(
        hidden[columns], how="left", on=["LA", "YEAR", "indicator"], validate="one_to_one"
    )
    suppressed = flags["hidden"].astype("boolean").fillna(True).astype(bool).to_numpy()
    cohort_hidden = (
        flags["denominator_hidden"].astype("boolean").fillna(True).astype(bool).to_numpy()
        if "denominator_hidden" in flags
        else suppressed
    )
    out = check.copy()
    for column in WITHHELD_FIELDS:
        out[column] = out[column].astype("float64").mask(cohort_hidden if column == "n" else suppressed)
    out["suppressed"] = suppressed
    return out


def summarise(check: pd.DataFrame, *, standard_errors: float = STANDARD_ERRORS) -> pd.DataFrame:
    """Per indicator: LA-years checked, how many held, the rule and the largest difference among those shown.

    ``check`` is the output of :func:`withhold`: the largest difference is taken
    over LA-years whose values are shown, so it carries nothing withheld.
    """
    checked = check[check["checked"].astype(bool)]
    rows = []
    for indicator, group in checked.groupby("indicator", sort=False):
        realised = bool(group["kind"].eq("realised").all())
        shown = group.loc[~group["suppressed"], "difference"].abs()
        largest = shown.max() if len(shown) else np.nan
        if pd.isna(largest):
            text = "withheld"
        elif realised:
            text = f"{largest:.0f}"
        elif indicator == "NI58":
            text = f"{largest:.3f}"
        else:
            text = f"{100 * largest:.1f} points"
        rows.append(
            {
                "indicator": indicator,
                "LA-years checked": len(group),
                "LA-years within": int(group["within"].fillna(False).astype(bool).sum()),
                "rule": "exactly equal" if realised else f"within {standard_errors:g} standard errors",
                "largest difference (values shown)": text,
                "LA-years withheld": int(group["suppressed"].sum()),
            }
        )
    return pd.DataFrame(rows)


def verdict(check: pd.DataFrame, *, standard_errors: float = STANDARD_ERRORS) -> str:
    """One clause for the summary line: realised counts equal, how many targets held."""
    checked = check[check["checked"].astype(bool)]
    realised = checked[checked["kind"] == "realised"]
    targets = checked[checked["kind"] == "target"]
    exact = bool(realised["within"].fillna(False).astype(bool).all())
    held = int(targets["within"].fillna(False).astype(bool).sum())
    return (
        f"realised counts {'all equal' if exact else 'NOT all equal'} to those planted; "
        f"{held:,} of {len(targets):,} planted targets within {standard_errors:g} standard errors"
    )
