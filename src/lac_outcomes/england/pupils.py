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

from dataclasses import dataclass
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
    return yearly_child_covariates(header, episodes, [year])[year]


def _child_keys(header: pd.DataFrame, episodes: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """One integer per (LA, CHILD), ordered as the pairs sort as text, for the Header's and the Episodes' rows.

    Both are cleaned tables, so neither LA nor CHILD is ever blank.
    """
    la, _ = pd.factorize(pd.concat([header["LA"], episodes["LA"]], ignore_index=True), sort=True)
    child, children = pd.factorize(pd.concat([header["CHILD"], episodes["CHILD"]], ignore_index=True), sort=True)
    key = la.astype(np.int64) * max(len(children), 1) + child
    return key[: len(header)], key[len(header) :]


def _last_of_runs(values: np.ndarray) -> np.ndarray:
    """True on the last of each run of equal neighbours."""
    last = np.ones(len(values), bool)
    last[:-1] = values[1:] != values[:-1]
    return last


@dataclass
class _Histories:
    """The dated episodes of every return in history order (child, start, return), as arrays."""

    key: np.ndarray
    start: np.ndarray
    end: np.ndarray
    return_year: np.ndarray
    is_move: np.ndarray  # a placement change: a move (the start of a period is not)
    row: np.ndarray  # the row of ``episodes`` (PLACE and LS are taken from there for the few rows needed)

    @classmethod
    def of(cls, episodes: pd.DataFrame, episode_key: np.ndarray) -> _Histories:
        dated = np.flatnonzero(episodes["DECOM"].notna().to_numpy())
        start, return_year = episodes["DECOM"].to_numpy(), episodes["YEAR"].to_numpy()
        # a stable sort, so a return's own order breaks ties, as sort_values on the three columns does
        order = dated[np.lexsort((return_year[dated], start[dated].view(np.int64), episode_key[dated]))]
        rne = episodes["RNE"]
        return cls(
            key=episode_key[order],
            start=start[order],
            end=episodes["DEC"].to_numpy()[order],
            return_year=return_year[order],
            is_move=(rne.isin(RNE_NEW_PLACEMENT) & (rne != "S")).to_numpy(dtype=bool)[order],
            row=order,
        )


def yearly_child_covariates(header: pd.DataFrame, episodes: pd.DataFrame, years) -> dict[int, pd.DataFrame]:
    """:func:`child_covariates` for each of ``years`` (``{year: frame}``), the histories put in order once.

    Each year takes the rows of its return and the earlier ones from the
    ordered histories (a subset keeps the order), and children are keyed by
    integers rather than grouped on their text: ten result years at national
    scale sorted and grouped some 1.5 million text keys ten times.
    """
    head_key, episode_key = _child_keys(header, episodes)
    histories = _Histories.of(episodes, episode_key)
    return {int(y): _covariates_for_year(header, head_key, histories, episodes, int(y)) for y in years}


def _covariates_for_year(
    header: pd.DataFrame, head_key: np.ndarray, h: _Histories, episodes: pd.DataFrame, year: int
) -> pd.DataFrame:
    march = np.datetime64(pd.Timestamp(year, 3, 31)).astype(h.start.dtype)
    year_start = np.datetime64(pd.Timestamp(year - 1, 4, 1)).astype(h.start.dtype)
    august = pd.Timestamp(year - 1, 8, 31)
    in_return = np.flatnonzero(header["YEAR"].to_numpy() == year)
    _, first_row = np.unique(head_key[in_return], return_index=True)
    in_return = in_return[np.sort(first_row)]  # each child once, in the return's order
    children = head_key[in_return]

    rows = np.flatnonzero(h.return_year <= year)
    # the latest return's account of an episode: the last of each (child, start) run
    keep = _last_of_runs(h.key[rows]) | _last_of_runs(h.start[rows])
    rows = rows[keep & np.isin(h.key[rows], children)]
    key, start, end = h.key[rows], h.start[rows], h.end[rows]
    # a period of care starts with a child's first episode, or one that begins after the previous one ended
    previous_end = np.full(len(rows), np.datetime64("NaT"), dtype=end.dtype)
    same_child = np.flatnonzero(key[1:] == key[:-1]) + 1
    previous_end[same_child] = end[same_child - 1]
    new_period = np.isnat(previous_end) | (start > previous_end)
    period_start = start[new_period][np.cumsum(new_period) - 1]

    open_at_march = np.flatnonzero((start <= march) & (np.isnat(end) | (end > march)))
    at_march = open_at_march[_last_of_runs(key[open_at_march])]  # the last episode open, per child
    found = pd.Index(key[at_march]).get_indexer(children)  # -1: none open at 31 March
    has = found >= 0
    chosen = at_march[found[has]]
    moved = h.is_move[rows] & (start > year_start) & (start <= march)
    move_children, move_counts = np.unique(key[moved], return_counts=True)
    counted = pd.Index(move_children).get_indexer(children)

    out = header.iloc[in_return][["LA", "CHILD", "SEX", "DOB"]].reset_index(drop=True)
    first_day = np.full(len(children), np.datetime64("NaT"), dtype=start.dtype)
    first_day[has] = period_start[chosen]
    out["period_start"] = pd.Series(first_day, dtype=episodes["DECOM"].dtype)
    for column in ("PLACE", "LS"):
        shown = np.full(len(children), np.nan, dtype=object)
        shown[has] = episodes[column].take(h.row[rows[chosen]]).to_numpy(dtype=object)
        out[column] = pd.Series(shown, dtype=episodes[column].dtype)
    moves = np.zeros(len(children), dtype=np.int64)
    moves[counted >= 0] = move_counts[counted[counted >= 0]]
    out["moves"] = moves
    out["age_31_august"] = _age(out["DOB"], august)
    out["cla_12m"] = (
        out["period_start"].notna() & (out["period_start"] <= year_start) & ~out["LS"].isin(SHORT_BREAK_LEGAL_STATUS)
    )
    out["placement_type"] = out["PLACE"].map(_GROUP_OF)
    out["years_in_care"] = ((pd.Timestamp(year, 3, 31) - out["period_start"]).dt.days / 365.25).round(3)
    out["age_at_entry"] = (out["period_start"] - out["DOB"]).dt.days / 365.25
    out["age_at_entry"] = out["age_at_entry"].clip(lower=0).round(3)
    return out[
        ["LA", "CHILD", "SEX", "age_31_august", "cla_12m", "placement_type", "moves", "years_in_care", "age_at_entry"]
    ]


def link(pupils: pd.DataFrame, header: pd.DataFrame, episodes: pd.DataFrame) -> pd.DataFrame:
    """Pupils with covariates and group: ``looked_after`` (12 months at 31 March), ``not_looked_after``, ``other``.

    ``other``: matched to a child who was not looked after continuously for 12
    months at 31 March of the result year, or whose 903 key the returns do not
    hold; the DfE's statistics leave these out of both groups.
    """
    years = sorted(int(y) for y in pupils["RESULT_YEAR"].dropna().unique())
    by_year = yearly_child_covariates(header, episodes, years)
    covariates = pd.concat([by_year[y].assign(RESULT_YEAR=y) for y in years], ignore_index=True)
    covariates = covariates.drop(columns=["SEX"])
    linked = pupils.merge(
        covariates, left_on=["LA_903", "CHILD", "RESULT_YEAR"], right_on=["LA", "CHILD", "RESULT_YEAR"], how="left"
    ).drop(columns=["LA"])
    matched = linked["CHILD"].notna()
    linked["group"] = np.where(
        ~matched, "not_looked_after", np.where(linked["cla_12m"].fillna(False).astype(bool), "looked_after", "other")
    )
    return linked


def _key_rules(frame: pd.DataFrame, known: pd.MultiIndex | None) -> list[RowRule]:
    half = frame["LA_903"].isna() != frame["CHILD"].isna()
    rules = [
        RowRule(RULE_HALF_KEY, "LA_903", lambda f, bad=half: bad, BLANK),
        RowRule(RULE_HALF_KEY, "CHILD", lambda f, bad=half: bad, BLANK),
    ]
    if known is not None:
        # (LA_903, CHILD) pairs looked up as an index: a tuple per row took seconds at national scale
        found = pd.MultiIndex.from_arrays([frame["LA_903"], frame["CHILD"]]).isin(known)
        unknown = frame["CHILD"].notna() & ~half & ~pd.Series(found, index=frame.index)
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
        known = pd.MultiIndex.from_arrays(
            [header["LA"].astype(str).str.upper(), header["CHILD"].astype(str).str.upper()]
        )
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
