"""The Care Matters report's tables, figure data and results, on hand-made indicator frames."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pandas as pd
import pytest

from lac_outcomes.disclosure import DisclosurePolicy
from lac_outcomes.england import care_matters as cm

matplotlib.use("Agg")

POLICY = DisclosurePolicy(threshold=5)
COLUMNS = ["LA", "YEAR", "indicator", "numerator", "denominator", "value", "sd", "status", "reason"]
# Barnet, Camden, Croydon (real codes, so names show)
LAS = ["E09000003", "E09000007", "E09000008"]


def _row(la, year, code, numerator, denominator=None, value=None, sd=None, status="", reason=""):
    if value is None and status != "x":
        value = numerator if denominator is None else (numerator / denominator if denominator else np.nan)
    return (la, year, code, numerator, denominator, value, sd, status, reason)


def _frame(rows):
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["history_complete"] = True
    return frame


def hand_made():
    """Two years, three LAs; NI 61 absent (status x, with a zero the exporter left behind) in one LA."""
    rows = []
    for year in (2020, 2021):
        for la, cla, started, ceased, p1, ni62, leavers, suitable, eet in [
            (LAS[0], 40, 12, 10, 3, 6, 20, 16, 9),  # P1 3: primary
            (LAS[1], 60, 20, 18, 9, 8, 25, 21, 12),
            (LAS[2], 80, 25, 22, 11, 12, 30, 26, 15),
        ]:
            rows += [
                _row(la, year, "CLA_31MAR", cla),
                _row(la, year, "STARTED", started),
                _row(la, year, "CEASED", ceased),
                _row(la, year, "P1_31MAR", p1, cla),
                _row(la, year, "NI62", ni62, cla),
                _row(la, year, "NI58", 14 * 20, 20, 14.0, 6.0),
                _row(la, year, "NI147", suitable, leavers),
                _row(la, year, "NI148", eet, leavers),
            ]
            if la == LAS[1]:
                rows.append(
                    _row(la, year, "NI61", 0, 0, value=np.nan, status="x", reason="AD1 and PlacedAdoption absent")
                )
            else:
                rows.append(_row(la, year, "NI61", 6, 8))
    return _frame(rows)


def test_describe_reads_the_definitions_and_knows_each_kind():
    assert cm.describe("NI62").kind == "proportion" and "three or more" in cm.describe("NI62").definition
    assert cm.describe("NI58").kind == "mean" and cm.describe("STARTED").kind == "count"
    assert cm.describe("NEW1").label == "NEW1"  # an indicator the report has no label for yet still shows
    assert cm.authority_label("E09000003") == "Barnet (E09000003)" and cm.authority_label("Z99") == "Z99"


def test_unavailable_is_x_with_its_reason_never_zero():
    report = cm.build(hand_made(), POLICY)
    camden = report.frame[(report.frame["LA"] == LAS[1]) & (report.frame["indicator"] == "NI61")]
    assert camden[["numerator", "denominator", "value"]].isna().all().all()  # the exporter's 0 is not kept
    shown = report.indicators_by_la_year()
    row = shown.table.display.loc[("NI 61 Timeliness of adoption placements", "Camden (E09000007)", 2021)]
    assert row.tolist()[:3] == ["x", "x", "x"]
    assert "NI 61 Timeliness of adoption placements, 2020-2021: AD1 and PlacedAdoption absent." in shown.notes
    # the national figure sums the LAs that have it, and says so
    national = report.national.set_index(["indicator", "YEAR"]).loc[("NI61", 2021)]
    assert national["numerator"] == 12 and national["denominator"] == 16
    assert "1 of 3 LAs unavailable" in national["reason"]
    # a mean has no children "meeting it": z, not x
    assert (
        shown.table.display.loc[("NI 58 Emotional and behavioural health", "Barnet (E09000003)", 2020)].iloc[1] == "z"
    )


def test_an_indicator_absent_everywhere_is_unavailable_nationally_and_explained():
    frame = hand_made()
    frame.loc[frame["indicator"] == "NI61", ["status", "reason"]] = ["x", "AD1 absent"]
    report = cm.build(frame, POLICY)
    national = report.national[report.national["indicator"] == "NI61"]
    assert (national["status"] == "x").all() and national["value"].isna().all()
    assert any("Unavailable: NI 61" in line and "AD1 absent" in line for line in report.cannot_estimate())
    results = report.results()
    assert all(r["status"] == "x" and r["value"] is None for r in results["national"] if r["indicator"] == "NI61")


def _recover(cells: pd.DataFrame) -> list:
    """An attacker independent of the suppression code: any line (indicator, year, role) with one unknown cell."""
    recovered = []
    for (code, year, role), line in cells.groupby(["indicator", "YEAR", "role"]):
        total = line[line["LA"] == "national"]
        parts = line[line["LA"] != "national"]
        unknown = line[line["shown"].isna() & line["true"].notna()]
        if len(unknown) == 1 and len(total) == 1:
            known = parts["shown"].sum(min_count=0)
            if unknown["LA"].iloc[0] == "national":
                recovered.append((code, year, role, "national"))
            elif total["shown"].notna().all():
                guess = total["shown"].iloc[0] - known
                if guess == unknown["true"].iloc[0]:
                    recovered.append((code, year, role, unknown["LA"].iloc[0]))
    # looked after at 31 March follows from the year before: CLA(y) = CLA(y - 1) + STARTED(y) - CEASED(y)
    numerators = cells[cells["role"] == "numerator"].set_index(["LA", "YEAR", "indicator"])
    for la, year in {(la, y) for la, y in zip(cells["LA"], cells["YEAR"], strict=False)}:
        keys = [(la, year - 1, "CLA_31MAR"), (la, year, "STARTED"), (la, year, "CEASED"), (la, year, "CLA_31MAR")]
        if not all(key in numerators.index for key in keys):
            continue
        shown = [numerators.loc[key, "shown"] for key in keys]
        missing = [i for i, value in enumerate(shown) if pd.isna(value)]
        if len(missing) == 1:
            i = missing[0]
            signs = [1, 1, -1, -1]
            guess = (
                -sum(sign * value for j, (sign, value) in enumerate(zip(signs, shown, strict=False)) if j != i)
                / signs[i]
            )
            if guess == numerators.loc[keys[i], "true"]:
                recovered.append(("flow", *keys[i]))
    return recovered


def _published_cells(report, frame):
    results = report.results()
    shown = pd.DataFrame(results["indicators"] + results["national"])
    rows = []
    prepared = cm.prepare(frame)  # what the report counts: an unavailable cell has no true count
    truth = pd.concat([prepared, cm.national_frame(prepared)], ignore_index=True)
    truth = truth.set_index(["LA", "YEAR", "indicator"])
    for record in shown.itertuples():
        true = truth.loc[(record.LA, record.YEAR, record.indicator)]
        kind = cm.describe(record.indicator).kind
        if kind != "mean":
            rows.append((record.LA, record.YEAR, record.indicator, "numerator", record.numerator, true["numerator"]))
        if kind != "count":
            rows.append(
                (record.LA, record.YEAR, record.indicator, "denominator", record.denominator, true["denominator"])
            )
    cells = pd.DataFrame(rows, columns=["LA", "YEAR", "indicator", "role", "shown", "true"])
    cells["shown"] = pd.to_numeric(cells["shown"]).astype("float64")
    cells["true"] = pd.to_numeric(cells["true"]).astype("float64")
    return cells


def test_one_pattern_withholds_small_counts_and_no_line_gives_one_back():
    frame = hand_made()
    report = cm.build(frame, POLICY)
    cells = _published_cells(report, frame)
    # every count of 1 to 4 is withheld, and so is every count whose complement is 1 to 4
    small = cells["true"].between(1, 4)
    assert small.any() and cells.loc[small, "shown"].isna().all()
    assert not _recover(cells)
    # the same count under two indicators is hidden in both: P1's cohort is the number looked after
    la = report.frame.set_index(["LA", "YEAR", "indicator"])
    for year in (2020, 2021):
        for code in LAS:
            assert (
                la.loc[(code, year, "P1_31MAR"), "denominator_hidden"]
                == la.loc[(code, year, "CLA_31MAR"), "numerator_hidden"]
            )
            assert (
                la.loc[(code, year, "NI62"), "denominator_hidden"]
                == la.loc[(code, year, "CLA_31MAR"), "numerator_hidden"]
            )
    # Barnet's P1 (3) is primary; its partner in the line is hidden too
    p1 = report.frame[(report.frame["indicator"] == "P1_31MAR") & (report.frame["YEAR"] == 2021)]
    assert (
        p1["numerator_hidden"].sum()
        + bool(report.national.set_index(["indicator", "YEAR"]).loc[("P1_31MAR", 2021), "numerator_hidden"])
        >= 2
    )


def test_a_small_count_in_one_la_is_hidden_in_its_cohort_copies_too():
    frame = hand_made()
    # Croydon's looked-after count is small: it is also P1's and NI 62's cohort
    croydon = (frame["LA"] == LAS[2]) & (frame["YEAR"] == 2021)
    frame.loc[croydon & (frame["indicator"] == "CLA_31MAR"), ["numerator", "value"]] = [4, 4.0]
    frame.loc[croydon & frame["indicator"].isin(["P1_31MAR", "NI62"]), "denominator"] = 4
    frame.loc[croydon & frame["indicator"].isin(["P1_31MAR", "NI62"]), "numerator"] = 0
    frame.loc[croydon & frame["indicator"].isin(["P1_31MAR", "NI62"]), "value"] = 0.0
    report = cm.build(frame, POLICY)
    cells = _published_cells(report, frame)
    mine = cells[(cells["LA"] == LAS[2]) & (cells["YEAR"] == 2021)]
    assert mine.loc[mine["indicator"] == "CLA_31MAR", "shown"].isna().all()
    assert (
        mine.loc[mine["indicator"].isin(["P1_31MAR", "NI62"]) & (mine["role"] == "denominator"), "shown"].isna().all()
    )
    assert not _recover(cells)
    table = report.headline_by_la().table.display
    assert table.loc[("Croydon (E09000008)", 2021), "looked after at 31 March"] == "c"


def test_one_la_hides_the_national_copy_of_its_hidden_counts():
    frame = hand_made()
    frame = frame[frame["LA"] == LAS[0]]
    report = cm.build(frame, POLICY)
    national = report.national.set_index(["indicator", "YEAR"])
    la = report.frame.set_index(["indicator", "YEAR"])
    assert (national["numerator_hidden"] == la["numerator_hidden"].reindex(national.index)).all()
    assert national.loc[("P1_31MAR", 2021), "numerator_hidden"]
    fig, _ = cm.figure_funnels(report)
    assert fig is None
    assert any("only one local authority" in line for line in report.cannot_estimate())
    assert "1 English LA," in report.summary_line("t") and "no funnel comparison" in report.summary_line("t")


def test_figures_draw_only_what_the_tables_show():
    frame = hand_made()
    # a small national number starting in 2020 (all LAs small): the line leaves that year out
    frame.loc[(frame["indicator"] == "STARTED") & (frame["YEAR"] == 2020), ["numerator", "value"]] = [1, 1.0]
    report = cm.build(frame, POLICY)
    counts = report.national_counts_shown()
    started = counts[counts["indicator"] == "STARTED"].set_index("YEAR")["children"]
    assert np.isnan(started[2020]) and started[2021] == 57
    national_table = report.headline_national().table.display
    assert national_table.loc[2020, "started"] == "c" and national_table.loc[2021, "started"] == "57"
    fig, alt = cm.figure_counts(report)
    ax = fig.axes[0]
    plotted = {line.get_label(): line.get_ydata() for line in ax.get_lines()}
    assert np.isnan(plotted["Started to be looked after"][0])
    assert "withheld" in alt
    national, las = report.trend_shown()
    assert not national["hidden"].any() and not las["hidden"].any()


def test_funnel_points_leave_out_withheld_values_and_only_outliers_are_named():
    frame = hand_made()
    # Croydon far above the others on NI 147: outside 99.8%
    croydon = (frame["LA"] == LAS[2]) & (frame["indicator"] == "NI147")
    frame.loc[croydon, ["numerator", "denominator", "value"]] = [60, 60, 1.0]
    frame.loc[(frame["LA"] != LAS[2]) & (frame["indicator"] == "NI147"), ["numerator", "denominator"]] = [200, 400]
    frame.loc[(frame["LA"] != LAS[2]) & (frame["indicator"] == "NI147"), "value"] = 0.5
    report = cm.build(frame, POLICY)
    points = report.funnel_points()
    hidden = report.frame[report.frame["hidden"] & (report.frame["YEAR"] == 2021)]
    assert not set(zip(hidden["LA"], hidden["indicator"], strict=False)) & set(
        zip(points["LA"], points["indicator"], strict=False)
    )
    outliers = report.outliers()
    assert list(zip(outliers["LA"], outliers["indicator"], strict=False)) == [(LAS[2], "NI147")]
    fig, alt = cm.figure_funnels(report)
    labels = [
        text.get_text() for ax in fig.axes for text in ax.texts if text.get_text() in {"Barnet", "Camden", "Croydon"}
    ]
    assert labels == ["Croydon"]
    assert "Croydon" in alt and "above 99.8%" in alt
    # the outlier has a shape of its own, not only a colour
    panel = next(ax for ax in fig.axes if "NI 147" in ax.get_title())
    markers = {c.get_paths()[0].vertices.tobytes() for c in panel.collections if len(c.get_offsets())}
    assert len(markers) == 2


def test_results_json_carries_nothing_withheld():
    frame = hand_made()
    report = cm.build(frame, POLICY)
    results = report.results()
    json.dumps(results)  # serialisable as it stands
    for record in results["indicators"] + results["national"]:
        if record["suppressed"]:
            assert record["status"] == "c" and record["value"] is None and record["sd"] is None
    hidden = report.frame.set_index(["LA", "YEAR", "indicator"])
    for record in results["indicators"]:
        flags = hidden.loc[(record["LA"], record["YEAR"], record["indicator"])]
        if flags["numerator_hidden"]:
            assert record["numerator"] is None
        if flags["denominator_hidden"]:
            assert record["denominator"] is None
    assert {(p["LA"], p["indicator"]) for p in results["funnel"]}.isdisjoint(
        {(r["LA"], r["indicator"]) for r in results["indicators"] if r["suppressed"] and r["YEAR"] == 2021}
    )


def test_selected_local_authorities_and_a_bad_year_or_code():
    report = cm.build(hand_made(), POLICY, local_authorities=[LAS[0]], year=2020)
    assert set(report.shown_las["LA"]) == {LAS[0]} and report.year == 2020
    with pytest.raises(ValueError, match="year 2019 is not among"):
        cm.build(hand_made(), POLICY, year=2019)
    with pytest.raises(ValueError, match="not in the data"):
        cm.build(hand_made(), POLICY, local_authorities=["E0"])


def test_looked_after_counts_that_follow_from_the_year_before_protect_each_other():
    frame = hand_made()
    # Barnet 2021: 40 + 5 - 3 = 42 looked after; the 3 ceasing is primary, and three shown counts of the
    # flow would give it back, so a second count in the flow is hidden
    barnet = frame["LA"] == LAS[0]
    for code, value in [("STARTED", 5), ("CEASED", 3), ("CLA_31MAR", 42)]:
        frame.loc[barnet & (frame["YEAR"] == 2021) & (frame["indicator"] == code), ["numerator", "value"]] = [
            value,
            value,
        ]
    frame.loc[barnet & (frame["YEAR"] == 2021) & frame["indicator"].isin(["P1_31MAR", "NI62"]), "denominator"] = 42
    report = cm.build(frame, POLICY)
    cells = _published_cells(report, frame)
    flow = cells[
        (cells["LA"] == LAS[0])
        & (cells["role"] == "numerator")
        & cells["indicator"].isin(["CLA_31MAR", "STARTED", "CEASED"])
    ]
    assert flow["shown"].isna().sum() >= 2
    assert not _recover(cells)


def test_key_points_name_a_few_outliers_and_count_the_rest(monkeypatch):
    report = cm.build(hand_made(), POLICY)
    many = pd.DataFrame(
        {"LA": [LAS[i % 3] for i in range(8)], "indicator": ["NI147"] * 8, "position": ["above 99.8%"] * 8}
    )
    monkeypatch.setattr(type(report), "outliers", lambda self: many)
    points = report.key_points("all planted values recovered")
    line = next(p for p in points.splitlines() if "funnel limits" in p)
    assert line.startswith("- 8 authority values outside") and line.count("above 99.8%)") == 5
    assert line.endswith("and 3 more, named in the funnel plots.")
