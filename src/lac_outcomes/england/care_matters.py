"""The Care Matters indicators report: its tables, figure data and results file, under one disclosure pattern.

The notebook ``care_matters_indicators`` narrates; everything it shows comes
from here.  One suppression pattern, :func:`disclosure_pattern`, is worked out
once over every local authority loaded and the national rows together, and
every output reads from it: the by-LA-and-year tables, the national by-year
tables, the figures (which draw only cells the tables show), the funnel plots
and ``results.json``.

The pattern treats each indicator and year as a line whose cells add up: the
authorities' counts and the national count (their sum).  A line never has
exactly one hidden cell, so no hidden count is a difference of shown ones.
Counts that are the same quantity in two indicators (children looked after at
31 March are P1's and NI 62's cohort; NI 147 and NI 148 share their cohort)
are hidden together, and the lines are re-protected until nothing changes.
Each unit's looked-after count also follows from the year before (looked after
at the start, plus starters, less leavers), so those four counts form a line
too.  Lines that cross indicators and years are a suppression feature
:mod:`lac_outcomes.disclosure` does not have; they live here, built from its
``suppress``.

An indicator whose ``status`` is ``x`` (the tables it needs are absent), or
whose value is missing, is unavailable: shown as ``x`` with its reason under
the table, never as 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lac_outcomes.disclosure import CONFIDENTIAL, NOT_APPLICABLE, UNAVAILABLE, DisclosurePolicy, SuppressedTable
from lac_outcomes.england import funnel
from lac_outcomes.england import indicators as indicator_definitions
from lac_outcomes.england.local_authorities import LOCAL_AUTHORITIES

NATIONAL = "national"  # the LA code of national rows (every LA loaded)
KEY = ["LA", "YEAR", "indicator"]
HEADLINE = ("CLA_31MAR", "STARTED", "CEASED", "P1_31MAR")
# Authority values outside the funnel limits named in the key points; the rest are counted.
KEY_POINT_OUTLIERS = 5
# The same count under two indicators: (indicator, column) -> (indicator, column) it equals.
SAME_COUNT = {
    ("P1_31MAR", "denominator"): ("CLA_31MAR", "numerator"),
    ("NI62", "denominator"): ("CLA_31MAR", "numerator"),
    ("NI148", "denominator"): ("NI147", "denominator"),
}
# Okabe-Ito colours (safe for the common colour-vision deficiencies), with a shape per position.
POSITION_STYLE = {
    "within 95%": ("#0072B2", "o", "within the 95% limits"),
    "above 95%": ("#E69F00", "s", "outside the 95% limits"),
    "below 95%": ("#E69F00", "s", "outside the 95% limits"),
    "above 99.8%": ("#D55E00", "^", "above the 99.8% limits"),
    "below 99.8%": ("#D55E00", "v", "below the 99.8% limits"),
}
LA_NAMES = dict(LOCAL_AUTHORITIES)


@dataclass(frozen=True)
class IndicatorInfo:
    code: str
    label: str
    short: str
    kind: str  # "count", "proportion" or "mean"
    definition: str


def describe(code: str) -> IndicatorInfo:
    """What the report knows about an indicator: label, short label, kind and definition text.

    Read from the indicator registry, the one place indicators are defined.
    An unknown code is shown by its code as a proportion.
    """
    registered = indicator_definitions.REGISTRY.get(code)
    if registered is None:
        return IndicatorInfo(code, code, code, "proportion", "")
    return IndicatorInfo(code, registered.label, registered.short_label, registered.kind, registered.definition)


def definitions_table() -> pd.DataFrame:
    """Every indicator's label and definition text, in the order they are defined."""
    infos = [describe(code) for code in indicator_definitions.REGISTRY]
    return pd.DataFrame({"Indicator": [i.label for i in infos], "Definition": [i.definition for i in infos]})


def authority_label(code: str) -> str:
    """``Barnet (E09000003)``; the code alone where the name is unknown."""
    if code == NATIONAL:
        return "All local authorities loaded"
    name = LA_NAMES.get(code)
    return f"{name} ({code})" if name else str(code)


def authority_name(code: str) -> str:
    return LA_NAMES.get(code, str(code))


def _kinds(codes: pd.Series) -> pd.Series:
    return codes.map(lambda c: describe(c).kind)


def prepare(indicators: pd.DataFrame) -> pd.DataFrame:
    """The processed indicators with ``status``, ``reason``, ``sd`` and ``history_complete`` always present.

    A row with ``status == "x"`` has no numerator, denominator or value (never 0);
    a row with a missing value is unavailable too, with the reason.
    """
    frame = indicators.copy().reset_index(drop=True)
    for column, default in [("status", ""), ("reason", ""), ("sd", np.nan), ("history_complete", True)]:
        if column not in frame:
            frame[column] = default
    frame["status"] = frame["status"].fillna("").astype(str)
    frame["reason"] = frame["reason"].fillna("").astype(str)
    frame["YEAR"] = frame["YEAR"].astype("int64")
    frame["history_complete"] = frame["history_complete"].fillna(True).astype(bool)
    for column in ["numerator", "denominator", "value", "sd"]:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    unavailable = frame["status"].eq(UNAVAILABLE)
    frame.loc[unavailable, ["numerator", "denominator", "value", "sd"]] = np.nan
    no_value = ~unavailable & frame["value"].isna()
    no_cohort = no_value & frame["denominator"].eq(0)
    frame.loc[no_cohort & frame["reason"].eq(""), "reason"] = "no child in the cohort"
    frame.loc[no_value & ~no_cohort & frame["reason"].eq(""), "reason"] = "not computed"
    frame.loc[unavailable & frame["reason"].eq(""), "reason"] = "unavailable"
    frame["kind"] = _kinds(frame["indicator"])
    return frame


def national_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per indicator and year over every LA whose indicator was computed (status not ``x``).

    A national rate is the sum of numerators over the sum of denominators;
    NI 58's spread is pooled from the authorities' own.
    """
    rows = []
    for (code, year), group in frame.groupby(["indicator", "YEAR"], sort=False):
        kind = describe(code).kind
        computed = group[group["status"] != UNAVAILABLE]
        row = {
            "LA": NATIONAL,
            "YEAR": int(year),
            "indicator": code,
            "kind": kind,
            "status": "",
            "reason": "",
            "history_complete": bool(group["history_complete"].all()),
            "sd": np.nan,
        }
        if computed.empty:
            reasons = sorted(set(group["reason"]) - {""})
            row.update(
                numerator=np.nan,
                denominator=np.nan,
                value=np.nan,
                status=UNAVAILABLE,
                reason="; ".join(reasons) or "unavailable",
            )
        else:
            numerator = float(computed["numerator"].sum())
            denominator = np.nan if kind == "count" else float(computed["denominator"].sum())
            value = numerator if kind == "count" else (numerator / denominator if denominator > 0 else np.nan)
            row.update(numerator=numerator, denominator=denominator, value=value)
            if kind == "mean":
                row["sd"] = funnel.pooled_sd(computed["denominator"], computed["value"], computed["sd"])
            if kind != "count" and not denominator > 0:
                row["reason"] = "no child in the cohort"
            missing = len(group) - len(computed)
            if missing:
                row["reason"] = f"{missing} of {len(group)} LAs unavailable, left out of the national figure"
        rows.append(row)
    return pd.DataFrame(rows, columns=[*frame.columns])


def _counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Numerator and denominator as counts of children: NI 58's numerator is a sum of scores, a count has no cohort."""
    out = frame[KEY].copy()
    out["numerator"] = frame["numerator"].where(frame["kind"] != "mean")
    out["denominator"] = frame["denominator"].where(frame["kind"] != "count")
    return out.reset_index(drop=True)


def _link_same_counts(cells: pd.DataFrame, hidden: pd.DataFrame) -> None:
    """Hide every copy of a count where one copy is hidden (in place)."""
    unit = cells["LA"] + "\x1f" + cells["YEAR"].astype(str)
    for (code, column), (source, source_column) in SAME_COUNT.items():
        target_rows, source_rows = cells["indicator"] == code, cells["indicator"] == source
        target = pd.Series(hidden.loc[target_rows, column].to_numpy(), index=unit[target_rows])
        origin = pd.Series(hidden.loc[source_rows, source_column].to_numpy(), index=unit[source_rows])
        either = target.reindex(target.index.union(origin.index), fill_value=False) | origin.reindex(
            target.index.union(origin.index), fill_value=False
        )
        hidden.loc[target_rows, column] = either.reindex(unit[target_rows]).to_numpy()
        hidden.loc[source_rows, source_column] = either.reindex(unit[source_rows]).to_numpy()


def _flow_members(cells: pd.DataFrame) -> pd.DataFrame:
    """Members of each flow line: looked after at the start of a year, starters, leavers, looked after at its end.

    CLA(y) = CLA(y - 1) + STARTED(y) - CEASED(y) holds for each unit when each child starts and ceases at most
    once in a year (exactly, on the synthetic data), so any three give the fourth.  Returns ``line, cell``
    (``cell`` a row position in ``cells``).
    """
    position = pd.Series(np.arange(len(cells)), index=pd.MultiIndex.from_frame(cells[KEY]))
    rows = []
    for unit, year in cells.loc[cells["indicator"] == "CLA_31MAR", ["LA", "YEAR"]].itertuples(index=False):
        keys = [
            (unit, year - 1, "CLA_31MAR"),
            (unit, year, "STARTED"),
            (unit, year, "CEASED"),
            (unit, year, "CLA_31MAR"),
        ]
        if all(key in position.index for key in keys):
            rows += [(f"{unit}\x1f{year}", int(position[key])) for key in keys]
    return pd.DataFrame(rows, columns=["line", "cell"])


def disclosure_pattern(frame: pd.DataFrame, national: pd.DataFrame, policy: DisclosurePolicy) -> pd.DataFrame:
    """Which counts every output withholds, for LA and national rows alike.

    Returns ``LA, YEAR, indicator, numerator_hidden, denominator_hidden, hidden``
    (``hidden``: the value rests on a withheld count).  Primary suppression with
    complements, then secondary until stable over three kinds of line: each
    indicator and year over the LAs and the national row; each unit's flow from
    one year's looked-after count to the next (:func:`_flow_members`); and the
    same count under two indicators (hidden in both).
    """
    cells = _counts(pd.concat([frame, national], ignore_index=True))
    columns = ["numerator", "denominator"]
    groups = ["indicator", "YEAR"]
    hidden = policy.suppress(cells, columns, complements={"numerator": "denominator"}, groups=groups).suppressed[
        columns
    ]
    hidden = hidden.copy()
    flows = _flow_members(cells)
    flow_counts = flows.assign(count=cells["numerator"].to_numpy()[flows["cell"].to_numpy()])
    while True:
        before = hidden.copy()
        _link_same_counts(cells, hidden)
        for column in columns:
            withheld = hidden[column]
            hidden[column] = policy.suppress(cells, [column], groups=groups, withheld=withheld).suppressed[column]
        if len(flows):
            withheld = pd.Series(hidden["numerator"].to_numpy()[flows["cell"].to_numpy()], index=flow_counts.index)
            in_flow = policy.suppress(flow_counts, ["count"], groups=["line"], withheld=withheld).suppressed["count"]
            newly = flows.loc[in_flow.to_numpy(), "cell"].unique()
            hidden.iloc[newly, hidden.columns.get_loc("numerator")] = True
        if hidden.equals(before):
            break
    out = cells[KEY].copy()
    out["numerator_hidden"] = hidden["numerator"].to_numpy()
    out["denominator_hidden"] = hidden["denominator"].to_numpy()
    out["hidden"] = out["numerator_hidden"] | out["denominator_hidden"]
    return out


@dataclass
class Shown:
    """A table ready for ``display.show_table``, with the reasons for its ``x`` cells."""

    table: SuppressedTable
    caption: str
    name: str
    notes: list[str] = field(default_factory=list)

    def notes_markdown(self) -> str:
        return "\n".join(f"- {note}" for note in self.notes)


def _masked(policy, table, index, count_columns, rate_columns, hidden: pd.DataFrame, also=()) -> SuppressedTable:
    """A :class:`SuppressedTable` whose hidden cells are the pattern's (a superset of the primary ones).

    ``hidden`` holds a bool column per count, rate and ``also`` column (text that
    stands on a hidden value, such as a funnel position).
    """
    base = policy.suppress(table, count_columns, rate_columns=rate_columns)
    mask = base.suppressed.copy()
    for column in [*count_columns, *also]:
        mask[column] = mask[column].to_numpy() | hidden[column].to_numpy(dtype=bool)
    for rate, sources in rate_columns.items():
        mask[rate] = (
            mask[rate].to_numpy() | hidden[rate].to_numpy(dtype=bool) | mask[list(sources)].any(axis=1).to_numpy()
        )
    display = base.display.mask(mask, CONFIDENTIAL).set_index(index)
    mask = mask.drop(columns=index).set_axis(display.index)
    return SuppressedTable(
        display=display, suppressed=mask, threshold=policy.threshold, count_columns=tuple(count_columns)
    )


def _unavailable_notes(rows: pd.DataFrame) -> list[str]:
    """``x`` explained: one line per indicator and reason."""
    notes = []
    gone = rows[rows["reason"] != ""]
    for (code, reason), group in gone.groupby(["indicator", "reason"], sort=False):
        years = sorted(int(y) for y in group["YEAR"].unique())
        span = f"{years[0]}" if len(years) == 1 else f"{years[0]}-{years[-1]}"
        notes.append(f"{describe(code).short}, {span}: {reason}.")
    return notes


@dataclass
class CareMatters:
    """Everything the Care Matters report shows, under one policy and one suppression pattern."""

    frame: pd.DataFrame  # LA rows, prepared, with the pattern's hidden flags
    national: pd.DataFrame  # national rows, likewise
    policy: DisclosurePolicy
    year: int
    years: list[int]
    loaded: list[str]
    selected: list[str]

    # ------------------------------------------------------------------ views
    @property
    def shown_las(self) -> pd.DataFrame:
        return self.frame[self.frame["LA"].isin(self.selected)]

    def _headline_wide(self, rows: pd.DataFrame, index: list[str]) -> Shown:
        """Looked after, started, ceased, placed with parents (and its share) as columns, a row per unit and year."""
        rows = rows[rows["indicator"].isin(HEADLINE)]
        names = {
            "CLA_31MAR": "looked after at 31 March",
            "STARTED": "started",
            "CEASED": "ceased",
            "P1_31MAR": "placed with parents",
        }
        keys = ["authority", "YEAR"]
        by_unit = rows.set_index([*keys, "indicator"])
        values = by_unit["numerator"].unstack().reindex(columns=list(HEADLINE)).rename(columns=names)
        mask = by_unit["numerator_hidden"].unstack().reindex(columns=list(HEADLINE)).rename(columns=names)
        mask = mask.astype("boolean").fillna(False).astype(bool)
        share = "placed with parents (%)"
        cla = values["looked after at 31 March"]
        values[share] = 100 * values["placed with parents"] / cla.where(cla > 0)
        mask[share] = (
            by_unit["hidden"].xs("P1_31MAR", level="indicator").reindex(mask.index).astype("boolean").fillna(False)
        )
        labels = {"authority": "Local authority", "YEAR": "Year"}
        table = values.rename_axis(columns=None).reset_index().rename(columns=labels)
        mask = mask.rename_axis(columns=None).reset_index().rename(columns=labels)
        if "Local authority" not in index:
            table, mask = table.drop(columns="Local authority"), mask.drop(columns="Local authority")
        counts = list(names.values())
        shown = _masked(
            self.policy, table, index, counts, {share: ["placed with parents", "looked after at 31 March"]}, mask
        )
        return Shown(shown, "", "", _unavailable_notes(rows))

    def headline_by_la(self) -> Shown:
        """Looked after, started, ceased and placed with parents by LA and year."""
        out = self._headline_wide(self.shown_las, ["Local authority", "Year"])
        out.caption = (
            "Children looked after at 31 March, starting and ceasing in the year, and placed with parents, "
            "by local authority and collection year"
        )
        out.name = "headline_by_local_authority"
        return out

    def headline_national(self) -> Shown:
        out = self._headline_wide(self.national, ["Year"])
        out.caption = "All local authorities loaded: children looked after, starting, ceasing and placed with parents"
        out.name = "headline_national"
        return out

    def _indicator_table(self, rows: pd.DataFrame, index: list[str], position: bool = False) -> SuppressedTable:
        rows = rows[rows["kind"] != "count"]
        table = pd.DataFrame(
            {
                "Indicator": rows["indicator"].map(lambda c: describe(c).short),
                "Local authority": rows["authority"],
                "Year": rows["YEAR"],
                "cohort (children)": rows["denominator"],
                "meeting it (children)": rows["numerator"].where(rows["kind"] != "mean"),
                "percent (mean score for NI 58)": np.where(rows["kind"] == "mean", rows["value"], 100 * rows["value"]),
                "history": np.where(rows["history_complete"], "complete", "incomplete"),
            }
        ).reset_index(drop=True)
        hidden = pd.DataFrame(
            {
                "cohort (children)": rows["denominator_hidden"].to_numpy(),
                "meeting it (children)": rows["numerator_hidden"].to_numpy(),
                "percent (mean score for NI 58)": rows["hidden"].to_numpy(),
            }
        )
        also = ()
        if position:
            table["against national"] = rows["position"].fillna(UNAVAILABLE).to_numpy()
            hidden["against national"] = rows["hidden"].to_numpy()
            also = ("against national",)
        table = table[[*index, *[c for c in table.columns if c not in ("Indicator", "Local authority", "Year")]]]
        counts = ["cohort (children)", "meeting it (children)"]
        rates = {"percent (mean score for NI 58)": counts}
        shown = _masked(self.policy, table, index, counts, rates, hidden, also=also)
        # a mean score has no children "meeting it": not applicable, not unavailable
        column = shown.display.columns.get_loc("meeting it (children)")
        shown.display.iloc[np.flatnonzero(rows["kind"].to_numpy() == "mean"), column] = NOT_APPLICABLE
        return shown

    def indicators_national(self) -> Shown:
        table = self._indicator_table(self.national, ["Indicator", "Year"])
        return Shown(
            table,
            "Care Matters indicators, all local authorities loaded, by collection year",
            "indicators_national",
            _unavailable_notes(self.national[self.national["kind"] != "count"]),
        )

    def indicators_by_la_year(self) -> Shown:
        rows = self.shown_las
        table = self._indicator_table(rows, ["Indicator", "Local authority", "Year"])
        return Shown(
            table,
            "Care Matters indicators by local authority and collection year",
            "indicators_by_local_authority_and_year",
            _unavailable_notes(rows[rows["kind"] != "count"]),
        )

    def indicators_in_year(self) -> Shown:
        """The selected year by LA, with where each LA falls in the funnel plot."""
        rows = self.shown_las[self.shown_las["YEAR"] == self.year]
        positions = self.funnel_points(include_hidden=True)[[*KEY, "position"]]
        rows = rows.merge(positions, on=KEY, how="left")
        table = self._indicator_table(rows, ["Indicator", "Local authority"], position=True)
        return Shown(
            table,
            f"Care Matters indicators by local authority, collection year {self.year} "
            f"(1 April {self.year - 1} to 31 March {self.year})",
            f"indicators_by_local_authority_{self.year}",
            _unavailable_notes(rows[rows["kind"] != "count"]),
        )

    # ------------------------------------------------------------------ figure data
    def national_counts_shown(self) -> pd.DataFrame:
        """National looked after, started and ceased by year as the table shows them (withheld: missing)."""
        rows = self.national[self.national["kind"] == "count"]
        return rows.assign(
            children=rows["numerator"].where(~rows["numerator_hidden"]),
            measure=rows["indicator"].map(lambda c: describe(c).label),
        )[["YEAR", "indicator", "measure", "children"]]

    def trend_shown(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Indicator values by year, national and by LA, only where the tables show them (in display units)."""

        def shown(rows):
            rows = rows[(rows["kind"] != "count") & ~rows["hidden"] & rows["value"].notna()]
            return rows.assign(shown=np.where(rows["kind"] == "mean", rows["value"], 100 * rows["value"]))

        return shown(self.national), shown(self.shown_las)

    def funnel_centres(self) -> pd.DataFrame:
        """National value (and spread for a mean) per indicator in the selected year, where it can be shown."""
        rows = self.national[(self.national["YEAR"] == self.year) & (self.national["kind"] != "count")]
        usable = ~rows["hidden"] & rows["value"].notna() & ((rows["kind"] != "mean") | rows["sd"].notna())
        return rows[usable]

    def funnel_points(self, include_hidden: bool = False) -> pd.DataFrame:
        """Each LA's value against the national value in the selected year, with its limits and position.

        Only LA values the tables show (``include_hidden`` is for the table's own masking).
        """
        parts = []
        rows = self.shown_las[self.shown_las["YEAR"] == self.year]
        for centre in self.funnel_centres().itertuples():
            group = rows[(rows["indicator"] == centre.indicator) & rows["value"].notna() & (rows["denominator"] > 0)]
            if not include_hidden:
                group = group[~group["hidden"]]
            if group.empty:
                continue
            sd = centre.sd if centre.kind == "mean" else None
            parts.append(
                funnel.classify(group, centre.kind, centre.value, sd=sd).assign(
                    centre=centre.value, national_sd=centre.sd
                )
            )
        if not parts:
            return pd.DataFrame(columns=[*self.frame.columns, "centre", "national_sd", "position"])
        return pd.concat(parts, ignore_index=True)

    def outliers(self) -> pd.DataFrame:
        points = self.funnel_points()
        return points[points["position"].str.contains("99.8", regex=False)]

    # ------------------------------------------------------------------ words
    def cannot_estimate(self) -> list[str]:
        """What this run cannot estimate, in plain words."""
        lines = []
        if len(self.loaded) < 2:
            lines.append(
                "Funnel plots: only one local authority is loaded, so there is no other authority to compare "
                "it with; the national figures are that authority's own."
            )
        missing_centre = sorted(
            set(
                self.national.loc[
                    (self.national["YEAR"] == self.year) & (self.national["kind"] != "count"), "indicator"
                ]
            )
            - set(self.funnel_centres()["indicator"])
        )
        if missing_centre and len(self.loaded) >= 2:
            names = ", ".join(describe(c).short for c in missing_centre)
            lines.append(f"No funnel plot in {self.year} for {names}: the national value is withheld or unavailable.")
        incomplete = self.national[~self.national["history_complete"]]
        for code, group in incomplete.groupby("indicator", sort=False):
            years = ", ".join(str(y) for y in sorted(group["YEAR"]))
            lines.append(
                f"{describe(code).short} in {years}: the earlier returns it looks back to were not loaded "
                "(shown, marked history incomplete, not checked against planted values)."
            )
        unavailable = self.national[self.national["status"] == UNAVAILABLE]
        lines += [f"Unavailable: {note}" for note in _unavailable_notes(unavailable)]
        withheld = self.national[self.national["hidden"]]
        if len(withheld):
            lines.append(
                f"{len(withheld)} national values rest on counts under the disclosure threshold and are "
                "withheld (shown as c)."
            )
        return lines

    def summary_line(self, truth_line: str) -> str:
        las = f"{len(self.loaded)} English LA" + ("s" if len(self.loaded) != 1 else "")
        compared = (
            f"{len(self.outliers())} LA values outside the 99.8% funnel limits"
            if len(self.loaded) > 1
            else "one LA, so no funnel comparison"
        )
        span = f"{self.years[0]}-{self.years[-1]}"
        return f"Care Matters indicators for {las}, {span}: in {self.year}, {compared}; {truth_line}."

    def key_points(self, truth_line: str) -> str:
        latest = self.national[(self.national["YEAR"] == self.year) & (self.national["indicator"] == "CLA_31MAR")]
        cla = (
            "withheld (small count)"
            if latest.empty or bool(latest["hidden"].iloc[0]) or latest["value"].isna().iloc[0]
            else f"{int(latest['value'].iloc[0]):,}"
        )
        las = f"{len(self.loaded)} local authorit" + ("ies" if len(self.loaded) != 1 else "y")
        points = [
            (
                f"{las}, collection years {self.years[0]} to {self.years[-1]}; "
                f"children looked after at 31 March {self.year} (all authorities loaded): {cla}."
            )
        ]
        if len(self.loaded) >= 2:
            outliers = self.outliers()
            # At national scale hundreds lie outside: name a few, count the rest (the funnel plots show them all).
            named = "; ".join(
                f"{authority_name(r.LA)} ({describe(r.indicator).short}, {r.position})"
                for r in outliers.head(KEY_POINT_OUTLIERS).itertuples()
            )
            if len(outliers) > KEY_POINT_OUTLIERS:
                named += f"; and {len(outliers) - KEY_POINT_OUTLIERS} more, named in the funnel plots"
            points.append(
                f"{len(outliers)} authority values outside the 99.8% funnel limits in {self.year}"
                + (f": {named}." if named else ".")
            )
        points.append(f"Against planted values: {truth_line}.")
        points += self.cannot_estimate()
        return "\n".join(f"- {p}" for p in points)

    # ------------------------------------------------------------------ results file
    def results(self, check: pd.DataFrame | None = None) -> dict:
        """``results.json``: every number as the tables show it; withheld cells are null with ``status: c``."""

        def records(rows):
            out = []
            for row in rows.itertuples():
                status = CONFIDENTIAL if row.hidden else (UNAVAILABLE if pd.isna(row.value) else "")
                out.append(
                    {
                        "LA": row.LA,
                        "YEAR": int(row.YEAR),
                        "indicator": row.indicator,
                        "status": status,
                        "suppressed": bool(row.hidden),
                        "reason": row.reason,
                        "numerator": _number(row.numerator, row.numerator_hidden or row.kind == "mean"),
                        "denominator": _number(row.denominator, row.denominator_hidden),
                        "value": _number(row.value, row.hidden, integer=False),
                        "sd": _number(row.sd, row.hidden, integer=False),
                        "history_complete": bool(row.history_complete),
                    }
                )
            return out

        points = self.funnel_points()
        funnel_columns = [
            "LA",
            "indicator",
            "denominator",
            "value",
            "centre",
            "lower_0.95",
            "upper_0.95",
            "lower_0.998",
            "upper_0.998",
            "position",
        ]
        result = {
            "year": self.year,
            "years": self.years,
            "local_authorities": self.selected,
            "disclosure_threshold": self.policy.threshold,
            "indicators": records(self.shown_las),
            "national": records(self.national),
            "funnel": [
                {k: (v.item() if hasattr(v, "item") else v) for k, v in rec.items()}
                for rec in points[funnel_columns].to_dict(orient="records")
            ],
            "cannot_estimate": self.cannot_estimate(),
            "truth_known": check is not None,
        }
        if check is not None:
            result["check"] = check.astype(object).where(check.notna(), None).to_dict(orient="records")
        return result

    def hidden_keys(self) -> pd.DataFrame:
        """``LA, YEAR, indicator, hidden, denominator_hidden`` for every LA row (for withholding the check)."""
        return self.frame[[*KEY, "hidden", "denominator_hidden"]]


def _number(value, hidden, integer=True):
    if hidden or value is None or pd.isna(value):
        return None
    return round(float(value)) if integer else float(value)


def build(indicators: pd.DataFrame, policy: DisclosurePolicy, *, year=None, local_authorities="all") -> CareMatters:
    """The report's data: prepared LA rows, national rows and one suppression pattern over both.

    ``year`` is the collection year of the by-LA tables and funnel plots (None:
    the latest loaded); ``local_authorities`` is ``"all"`` or a list of codes to
    show (the pattern and national figures always use every LA loaded).
    """
    frame = prepare(indicators)
    years = sorted(int(y) for y in frame["YEAR"].unique())
    if not years:
        raise ValueError("the indicators file holds no local authority or year")
    year = int(year) if year is not None else years[-1]
    if year not in years:
        raise ValueError(f"year {year} is not among the collection years loaded ({years[0]}-{years[-1]})")
    loaded = sorted(frame["LA"].unique())
    if NATIONAL in loaded:
        raise ValueError(
            f"a local authority folder is named {NATIONAL!r}, the name this report gives the national rows"
        )
    selected = loaded if local_authorities == "all" else [str(code) for code in local_authorities]
    unknown = sorted(set(selected) - set(loaded))
    if unknown:
        raise ValueError(f"local authorities not in the data: {unknown}; loaded: {loaded}")
    national = national_frame(frame)
    pattern = disclosure_pattern(frame, national, policy)
    flags = ["numerator_hidden", "denominator_hidden", "hidden"]
    frame = frame.merge(pattern, on=KEY, how="left", validate="one_to_one")
    national = national.merge(pattern, on=KEY, how="left", validate="one_to_one")
    for part in (frame, national):
        part[flags] = part[flags].fillna(False).astype(bool)
        part["authority"] = part["LA"].map(authority_label)
    return CareMatters(
        frame=frame, national=national, policy=policy, year=year, years=years, loaded=loaded, selected=selected
    )


# ---------------------------------------------------------------------------- figures
# Each returns (figure, alt text) and draws only what the tables show.

INDICATOR_ORDER = ("P1_31MAR", "NI58", "NI61", "NI62", "NI63", "NI66", "NI147", "NI148")
COUNT_STYLE = {"CLA_31MAR": ("#0072B2", "o"), "STARTED": ("#009E73", "s"), "CEASED": ("#D55E00", "^")}


def _unit(kind: str) -> str:
    return "Mean SDQ score (0-40)" if kind == "mean" else "Percent of cohort"


def _year_axis(ax, years: list[int]) -> None:
    """Whole collection years, the loaded span (a lone point must not stretch the axis over centuries)."""
    ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)
    ax.set_xticks(list(range(years[0], years[-1] + 1)))


def _panel_title(code: str) -> str:
    return describe(code).short.replace(" (", "\n(")


def figure_counts(report: CareMatters):
    """National looked after, started and ceased by year, and the share placed with parents; withheld years left out."""
    import matplotlib.pyplot as plt

    counts = report.national_counts_shown()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    for code, (colour, marker) in COUNT_STYLE.items():
        line = counts[counts["indicator"] == code]
        axes[0].plot(line["YEAR"], line["children"], color=colour, marker=marker, label=describe(code).label)
    axes[0].set(
        title="Children looked after, starting and ceasing",
        xlabel="Collection year (ending 31 March)",
        ylabel="Children",
    )
    axes[0].set_ylim(bottom=0)
    axes[0].legend(title=None, fontsize=9)
    national, _ = report.trend_shown()
    p1 = national[national["indicator"] == "P1_31MAR"]
    axes[1].plot(p1["YEAR"], p1["shown"], color="#0072B2", marker="o")
    axes[1].set(
        title="Placed with parents at 31 March",
        xlabel="Collection year (ending 31 March)",
        ylabel="Percent of children looked after",
        ylim=(0, None),
    )
    for ax in axes:
        _year_axis(ax, report.years)
    fig.tight_layout()
    withheld = int(counts["children"].isna().sum())
    alt = (
        f"Line charts by collection year {report.years[0]} to {report.years[-1]}, all local authorities loaded: "
        "children looked after at 31 March, starting and ceasing to be looked after, and the percentage placed "
        "with parents; values as in the national table"
        + (f" ({withheld} withheld counts left out)." if withheld else ".")
    )
    return fig, alt


def figure_trends(report: CareMatters):
    """Each indicator by year: national (black) and each LA shown (grey); hollow where history is incomplete."""
    import matplotlib.pyplot as plt

    national, las = report.trend_shown()
    fig, axes = plt.subplots(3, 3, figsize=(13, 10.5), sharex=True)
    axes.flat[-1].set_axis_off()
    for ax, code in zip(axes.flat, INDICATOR_ORDER, strict=False):
        if national[national["indicator"] == code].empty:
            ax.text(
                0.5,
                0.5,
                "national value withheld\nor unavailable in every year",
                ha="center",
                va="center",
                transform=ax.transAxes,
                fontsize=10,
            )
        for _, group in las[las["indicator"] == code].groupby("LA"):
            ax.plot(group["YEAR"], group["shown"], color="0.7", linewidth=0.8)
        line = national[national["indicator"] == code]
        ax.plot(line["YEAR"], line["shown"], color="black", marker="o", linewidth=2)
        incomplete = line[~line["history_complete"]]
        ax.plot(
            incomplete["YEAR"],
            incomplete["shown"],
            linestyle="none",
            marker="o",
            markerfacecolor="white",
            markeredgecolor="black",
        )
        ax.set(title=_panel_title(code), xlabel="Collection year", ylabel=_unit(describe(code).kind))
        ax.title.set_fontsize(10)
        _year_axis(ax, report.years)
        if describe(code).kind == "proportion":  # a percentage stays within 0-100
            low, high = ax.get_ylim()
            ax.set_ylim(max(low, -0.5), min(high, 100.5))
    fig.suptitle("Care Matters indicators by collection year: all LAs loaded (black) and each LA (grey)")
    fig.tight_layout()
    alt = (
        f"Eight small line charts, one per indicator, collection years {report.years[0]} to {report.years[-1]}: "
        "the national value in black and each local authority's in grey, only where the tables show the value; "
        "hollow points mark years whose history is incomplete."
    )
    return fig, alt


def figure_funnels(report: CareMatters):
    """Funnel plots for the selected year; None when there is nothing to compare (fewer than two LAs)."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    if len(report.loaded) < 2:
        return None, ""
    points = report.funnel_points()
    centres = report.funnel_centres().set_index("indicator")
    fig, axes = plt.subplots(3, 3, figsize=(13, 12))
    axes.flat[-1].set_axis_off()
    drawn = []
    for ax, code in zip(axes.flat, INDICATOR_ORDER, strict=False):
        rows = points[points["indicator"] == code]
        if code not in centres.index or rows.empty:
            ax.set_axis_off()
            ax.text(
                0.5,
                0.5,
                f"{_panel_title(code)}\n\nnot shown: national value\nwithheld or unavailable",
                ha="center",
                va="center",
                fontsize=10,
                transform=ax.transAxes,
            )
            continue
        drawn.append(code)
        centre = centres.loc[code]
        kind = centre["kind"]
        scale = 1 if kind == "mean" else 100
        lines = funnel.curve(
            kind,
            centre["value"],
            max(float(rows["denominator"].max()), 10.0) * 1.1,
            sd=centre["sd"] if kind == "mean" else None,
        )
        for level, style in [(0.95, "--"), (0.998, ":")]:
            ax.plot(lines["n"], scale * lines[f"lower_{level:g}"], color="0.35", linestyle=style, linewidth=1)
            ax.plot(lines["n"], scale * lines[f"upper_{level:g}"], color="0.35", linestyle=style, linewidth=1)
        ax.axhline(scale * centre["value"], color="black", linewidth=1)
        for position, (colour, marker, _) in POSITION_STYLE.items():
            group = rows[rows["position"] == position]
            ax.scatter(
                group["denominator"],
                scale * group["value"],
                color=colour,
                marker=marker,
                s=45,
                zorder=3,
                edgecolor="black",
                linewidth=0.4,
            )
        outside = rows[rows["position"].str.contains("99.8", regex=False)]
        for i, row in enumerate(outside.itertuples()):
            ax.annotate(
                authority_name(row.LA),
                (row.denominator, scale * row.value),
                fontsize=9,
                xytext=(5, 5 if i % 2 == 0 else -12),
                textcoords="offset points",
            )
        ax.set(title=_panel_title(code), xlabel="Cohort size (children)", ylabel=_unit(kind))
        spread = pd.concat([scale * rows["value"], pd.Series([scale * centre["value"]])])
        pad = 2.0 if kind == "mean" else 15.0
        ax.set_ylim(max(0, spread.min() - pad), min(40 if kind == "mean" else 100, spread.max() + pad))
        ax.title.set_fontsize(10)
    handles = [
        Line2D([], [], color="black", label="national value"),
        Line2D([], [], color="0.35", linestyle="--", label="95% limits"),
        Line2D([], [], color="0.35", linestyle=":", label="99.8% limits"),
    ]
    seen = set()
    for colour, marker, label in POSITION_STYLE.values():
        if (marker, label) not in seen and label != "below the 99.8% limits":
            seen.add((marker, label))
            handles.append(
                Line2D([], [], color=colour, marker=marker, linestyle="none", markeredgecolor="black", label=label)
            )
    handles.append(
        Line2D(
            [],
            [],
            color="#D55E00",
            marker="v",
            linestyle="none",
            markeredgecolor="black",
            label="below the 99.8% limits",
        )
    )
    axes.flat[-1].legend(handles=handles, loc="center", fontsize=10, frameon=False)
    fig.suptitle(
        f"Funnel plots, collection year {report.year - 1}/{str(report.year)[-2:]}: local authorities "
        "against the national value\n(named: outside the 99.8% limits)"
    )
    fig.tight_layout()
    outliers = report.outliers()
    named = "; ".join(
        f"{authority_name(r.LA)}, {describe(r.indicator).short}, {r.position}" for r in outliers.itertuples()
    )
    alt = (
        f"Funnel plots for {len(drawn)} indicators in collection year {report.year}: each local authority's value "
        "against its cohort size, with the national value and 95% and 99.8% control limits. "
        + (f"Outside the 99.8% limits: {named}." if named else "No authority is outside the 99.8% limits.")
    )
    return fig, alt


def figure_check(check: pd.DataFrame):
    """Computed against planted targets, for LA-years whose values the tables show."""
    import matplotlib.pyplot as plt

    targets = check[(check["kind"] == "target") & check["checked"] & ~check["suppressed"]]
    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    proportions = targets[targets["indicator"] != "NI58"]
    markers = "osD^vP*X"
    for (code, group), marker in zip(proportions.groupby("indicator", sort=False), markers, strict=False):
        axes[0].scatter(
            100 * group["planted"], 100 * group["computed"], marker=marker, s=30, label=describe(code).short
        )
    axes[0].axline((0, 0), slope=1, color="black", linewidth=1)
    axes[0].set(title="Proportions: computed against planted", xlabel="Planted (percent)", ylabel="Computed (percent)")
    if len(proportions):
        axes[0].legend(fontsize=8, title=None)
    sdq = targets[targets["indicator"] == "NI58"]
    axes[1].scatter(sdq["planted"], sdq["computed"], s=30, color="#CC79A7")
    if len(sdq):
        middle = float(sdq["planted"].mean())
        axes[1].axline((middle, middle), slope=1, color="black", linewidth=1)
    axes[1].set(
        title="NI 58: computed against planted mean SDQ score",
        xlabel="Planted mean score (0-40)",
        ylabel="Computed mean score (0-40)",
    )
    fig.tight_layout()
    alt = (
        f"Two scatter plots of computed against planted values with the line of equality: {len(proportions)} "
        f"proportions and {len(sdq)} mean SDQ scores, for local-authority years whose values the tables show."
    )
    return fig, alt
