"""England's linked pupil table: read and check it, and link each pupil to the 903.

The table's layout is ``lac_outcomes.england.layout.PUPILS`` (documented in
docs/england_pupil_layout.md).  :func:`clean_pupils` reads the CSV through the
one column engine (``lac_outcomes.columns``): a bad pupil ID, key stage or
result year drops the row, any other bad value is blanked and the row kept,
every fault logged (file, row, column, rule, action; never the value).

:func:`child_covariates` derives, from the cleaned 903 Header and Episodes,
what the DfE's statistics use and the model needs: whether the child was
looked after continuously for 12 months or more at 31 March (short breaks
excluded), the placement type at 31 March, placement moves in the year, years
in the current period of care and age at entry to it.  The synthetic generator
(``simulate_education``) plants its effects on the same covariates.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lac_outcomes.columns import CleanResult, apply_rules, check_columns, flagged, lost_every_row_cause
from lac_outcomes.england.layout import PUPILS, RNE_NEW_PLACEMENT, SHORT_BREAK_LEGAL_STATUS
from lac_outcomes.errors import InputError
from lac_outcomes.readers import read_records
from lac_outcomes.validation import BLANK, QUARANTINE_COLUMNS, RowRule

# Placement type at 31 March, grouped as the DfE's outcome tables group it.
PLACEMENT_GROUPS = {
    "Foster: relative or friend": ("U1", "U2", "U3"),
    "Foster: other carer": ("U4", "U5", "U6"),
    "Placed with parents": ("P1",),
    "Placed for adoption": ("A3", "A4", "A5", "A6"),
    "Residential": ("K1", "K2", "R1", "R2", "R5", "S1", "H5"),
    "Other placement": ("P2", "P3", "R3", "Z1", "T0", "T1", "T2", "T3", "T4"),
}
PLACEMENT_ORDER = list(PLACEMENT_GROUPS)
REFERENCE_PLACEMENT = "Foster: other carer"
_GROUP_OF = {code: group for group, codes in PLACEMENT_GROUPS.items() for code in codes}
KEY_STAGE_AGE = {"KS2": 10, "KS4": 15}  # age at 31 August at the start of the school year of the result
RULE_UNMATCHED = "903 key not found in the 903 returns"
RULE_HALF_KEY = "LA_903 and CHILD must be given together"


def _age(dob: pd.Series, at: pd.Timestamp) -> pd.Series:
    years = at.year - dob.dt.year
    before_birthday = (dob.dt.month > at.month) | ((dob.dt.month == at.month) & (dob.dt.day > at.day))
    return years - before_birthday.astype(int)


def child_covariates(header: pd.DataFrame, episodes: pd.DataFrame, year: int) -> pd.DataFrame:
    """One row per child in ``year``'s return (``LA, CHILD``) with the DfE's looked-after status and covariates.

    Earlier returns (``YEAR`` before ``year``) only supply the start of a
    period of care that began before this return's episodes; later returns are
    never used.  Columns: ``LA, CHILD, SEX, age_31_august, cla_12m,
    placement_type, moves, years_in_care, age_at_entry``.
    """
    march = pd.Timestamp(year, 3, 31)
    year_start = pd.Timestamp(year - 1, 4, 1)
    august = pd.Timestamp(year - 1, 8, 31)
    heads = header.loc[header["YEAR"] == year, ["LA", "CHILD", "SEX", "DOB"]].drop_duplicates(["LA", "CHILD"])
    eps = episodes.loc[episodes["YEAR"] <= year, ["LA", "CHILD", "DECOM", "DEC", "RNE", "LS", "PLACE", "YEAR"]]
    eps = eps.dropna(subset=["DECOM"]).sort_values(["LA", "CHILD", "DECOM", "YEAR"])
    eps = eps.drop_duplicates(["LA", "CHILD", "DECOM"], keep="last")  # the latest return's account of an episode
    eps = eps.merge(heads[["LA", "CHILD"]], on=["LA", "CHILD"])
    previous_end = eps.groupby(["LA", "CHILD"])["DEC"].shift()
    new_period = previous_end.isna() | (eps["DECOM"] > previous_end)
    eps["period"] = new_period.cumsum()
    eps["period_start"] = eps.groupby("period")["DECOM"].transform("min")
    open_at_march = (eps["DECOM"] <= march) & (eps["DEC"].isna() | (eps["DEC"] > march))
    at_march = eps.loc[open_at_march].drop_duplicates(["LA", "CHILD"], keep="last")
    in_year = eps.loc[(eps["DECOM"] > year_start) & (eps["DECOM"] <= march) & eps["RNE"].isin(RNE_NEW_PLACEMENT)]
    # A placement change in the year is a move; the start of a period is not.
    moves = in_year.loc[in_year["RNE"] != "S"].groupby(["LA", "CHILD"]).size().rename("moves")
    out = heads.merge(at_march[["LA", "CHILD", "period_start", "PLACE", "LS"]], on=["LA", "CHILD"], how="left").merge(
        moves, on=["LA", "CHILD"], how="left"
    )
    out["moves"] = out["moves"].fillna(0).astype(int)
    out["age_31_august"] = _age(out["DOB"], august)
    out["cla_12m"] = (
        out["period_start"].notna() & (out["period_start"] <= year_start) & ~out["LS"].isin(SHORT_BREAK_LEGAL_STATUS)
    )
    out["placement_type"] = out["PLACE"].map(_GROUP_OF)
    out["years_in_care"] = ((march - out["period_start"]).dt.days / 365.25).round(3)
    out["age_at_entry"] = (out["period_start"] - out["DOB"]).dt.days / 365.25
    out["age_at_entry"] = out["age_at_entry"].clip(lower=0).round(3)
    return out[
        ["LA", "CHILD", "SEX", "age_31_august", "cla_12m", "placement_type", "moves", "years_in_care", "age_at_entry"]
    ].reset_index(drop=True)


def link(pupils: pd.DataFrame, header: pd.DataFrame, episodes: pd.DataFrame) -> pd.DataFrame:
    """Pupils with covariates and group: ``looked_after`` (12 months at 31 March), ``not_looked_after``, ``other``.

    ``other``: matched to a child who was not looked after continuously for 12
    months at 31 March of the result year, or whose 903 key the returns do not
    hold; the DfE's statistics leave these out of both groups.
    """
    years = sorted(int(y) for y in pupils["RESULT_YEAR"].dropna().unique())
    covariates = pd.concat(
        [child_covariates(header, episodes, y).assign(RESULT_YEAR=y) for y in years], ignore_index=True
    )
    covariates = covariates.drop(columns=["SEX"])
    linked = pupils.merge(
        covariates, left_on=["LA_903", "CHILD", "RESULT_YEAR"], right_on=["LA", "CHILD", "RESULT_YEAR"], how="left"
    ).drop(columns=["LA"])
    matched = linked["CHILD"].notna()
    linked["group"] = np.where(
        ~matched, "not_looked_after", np.where(linked["cla_12m"].fillna(False).astype(bool), "looked_after", "other")
    )
    return linked


def _key_rules(frame: pd.DataFrame, known: set | None) -> list[RowRule]:
    half = frame["LA_903"].isna() != frame["CHILD"].isna()
    rules = [
        RowRule(RULE_HALF_KEY, "LA_903", lambda f, bad=half: bad, BLANK),
        RowRule(RULE_HALF_KEY, "CHILD", lambda f, bad=half: bad, BLANK),
    ]
    if known is not None:
        keys = pd.Series(list(zip(frame["LA_903"], frame["CHILD"], strict=True)), index=frame.index)
        unknown = frame["CHILD"].notna() & ~half & ~keys.isin(known)
        # Counted and kept: the pupil stays, outside both groups (the DfE drops unmatched records the same way).
        rules.append(RowRule(RULE_UNMATCHED, "CHILD", lambda f, bad=unknown: bad, "warn"))
    return rules


def clean_pupils(path: Path, *, header: pd.DataFrame | None = None, flag_share: float = 0.02) -> CleanResult:
    """Read and check the linked pupil table; faults are quarantined at the grain of the fault.

    ``header`` (the cleaned 903 Header) lets a matched key the returns do not
    hold be counted.  A file that loses every row stops the run with the
    likely cause.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "linked pupil file not found (england.pupils: 'synthetic' or the path of pupils.csv)")
    raw, ragged = read_records(path, PUPILS.column_names)
    checked = check_columns(raw, PUPILS.columns, documented_date="yyyy-mm-dd")
    typed = checked.typed
    typed["LA_903"] = typed["LA_903"].str.upper()
    typed["CHILD"] = typed["CHILD"].str.upper()
    known = None
    if header is not None:
        known = set(zip(header["LA"].astype(str).str.upper(), header["CHILD"].astype(str).str.upper(), strict=True))
    key_rules = _key_rules(typed, known)
    warn_rules = [r for r in key_rules if r.action == "warn"]
    rules = [*checked.rules, *[r for r in key_rules if r.action != "warn"]]
    outcome = apply_rules(typed, rules, table="pupils", file=path, ragged=ragged)
    warned = dict(checked.warned)
    for rule in warn_rules:
        count = int(rule.check(typed).loc[outcome.kept.index].sum())
        if count:
            warned[f"{rule.column}: {rule.name}"] = count
    counts = dict(outcome.counts)
    if warned:
        counts["warned"] = warned
    if counts["rows_in"] and not counts["rows_kept"]:
        raise InputError(path, lost_every_row_cause(counts))
    kept = outcome.kept.drop(columns=[c for c in outcome.kept.columns if c not in PUPILS.column_names])
    kept["RESULT_YEAR"] = kept["RESULT_YEAR"].astype("int64")
    return CleanResult(
        tables={"pupils": kept.reset_index(drop=True)},
        quarantine=outcome.quarantine[QUARANTINE_COLUMNS].reset_index(drop=True),
        counts={"pupils": counts},
        warnings=list(checked.notes),
        flagged=[{"table": "pupils"}] if flagged(counts, flag_share) else [],
    )
