import itertools

import numpy as np
import pandas as pd
import pytest

from lac_outcomes.disclosure import CONFIDENTIAL, suppress


def _recoverable(display: pd.DataFrame, counts: pd.DataFrame, lines) -> list:
    """Cells a reader could work out: the only suppressed cell in a line whose other cells and total are shown."""
    found = []
    for line in lines:
        hidden = [cell for cell in line if display.loc[cell] == CONFIDENTIAL]
        if len(hidden) == 1:
            found.append(hidden[0])
    return found


def test_primary_suppression_hides_counts_under_threshold_but_not_zero():
    table = pd.DataFrame({"children": [0, 1, 4, 5, 120]}, index=list("abcde"))
    shown = suppress(table, ["children"], threshold=5).display
    assert shown["children"].tolist() == ["0", "c", "c", "5", "120"]


def test_threshold_comes_from_the_caller():
    table = pd.DataFrame({"children": [9, 10]}, index=["a", "b"])
    assert suppress(table, ["children"], threshold=10).display["children"].tolist() == ["c", "10"]


def test_secondary_suppression_protects_row_and_column_totals():
    counts = pd.DataFrame(
        {"home": [3, 10, 8, 21], "away": [20, 30, 12, 62], "total": [23, 40, 20, 83]},
        index=["A", "B", "C", "Total"],
    )
    shown = suppress(counts, ["home", "away", "total"], total_row="Total", total_column="total").display
    assert shown.loc["A", "home"] == CONFIDENTIAL
    # Every row (with its total) and every column (with the total row) has 0 or 2+ suppressed cells.
    rows = [[(r, c) for c in counts.columns] for r in counts.index]
    cols = [[(r, c) for r in counts.index] for c in counts.columns]
    assert _recoverable(shown, counts, rows + cols) == []
    # The smallest other cell in the row was chosen, not the total.
    assert shown.loc["A", "away"] == CONFIDENTIAL and shown.loc["A", "total"] == "23"


def test_secondary_suppression_within_published_groups():
    table = pd.DataFrame(
        {
            "la": ["X", "X", "X", "Y", "Y"],
            "placement": ["home", "foster", "residential", "home", "foster"],
            "children": [2, 40, 7, 30, 50],
        }
    )
    shown = suppress(table, ["children"], groups=["la"]).display
    assert shown["children"].tolist() == ["c", "40", "c", "30", "50"]


def test_rates_on_suppressed_counts_are_suppressed():
    table = pd.DataFrame({"excluded": [2, 50], "pupils": [40, 400]}, index=["home", "foster"])
    table["per_1000"] = 1000 * table["excluded"] / table["pupils"]
    shown = suppress(table, ["excluded", "pupils"], rate_columns={"per_1000": ["excluded", "pupils"]}).display
    assert shown.loc["home", "per_1000"] == CONFIDENTIAL
    assert shown.loc["foster", "per_1000"] == "125.0"


def test_random_tables_never_leave_a_recoverable_cell():
    rng = np.random.default_rng(7)
    for _ in range(200):
        body = pd.DataFrame(rng.integers(0, 12, size=(4, 3)), columns=["a", "b", "c"], index=list("pqrs"))
        body["total"] = body.sum(axis=1)
        body.loc["Total"] = body.sum()
        shown = suppress(body, list(body.columns), total_row="Total", total_column="total").display
        rows = [[(r, c) for c in body.columns] for r in body.index]
        cols = [[(r, c) for r in body.index] for c in body.columns]
        assert _recoverable(shown, body, rows + cols) == []
        small = (body > 0) & (body < 5)
        for r, c in itertools.product(body.index, body.columns):
            if small.loc[r, c]:
                assert shown.loc[r, c] == CONFIDENTIAL


def test_unknown_columns_are_an_error():
    with pytest.raises(KeyError):
        suppress(pd.DataFrame({"a": [1]}), ["b"])


def test_numerator_is_suppressed_when_the_children_left_out_are_few():
    table = pd.DataFrame({"meeting": [48, 30], "cohort": [50, 60]}, index=["A", "B"])
    table["percent"] = 100 * table["meeting"] / table["cohort"]
    shown = suppress(
        table, ["meeting", "cohort"], rate_columns={"percent": ["meeting", "cohort"]}, complements={"meeting": "cohort"}
    ).display
    # 50 - 48 = 2 children not meeting it: the 48 (and its percentage) would reveal them.
    assert shown.loc["A"].tolist() == ["c", "50", "c"]
    assert shown.loc["B"].tolist() == ["30", "60", "50.0"]


def test_rows_resting_on_small_counts_match_what_suppress_hides():
    from lac_outcomes.disclosure import rests_on_small_counts

    table = pd.DataFrame({"meeting": [48, 30, 3, 0], "cohort": [50, 60, 40, 0]})
    flags = rests_on_small_counts(table, ["meeting", "cohort"], complements={"meeting": "cohort"})
    assert flags.tolist() == [True, False, True, False]
    hidden = suppress(table, ["meeting", "cohort"], complements={"meeting": "cohort"}).suppressed
    assert (hidden[["meeting", "cohort"]].any(axis=1) >= flags).all()


def _stock(rng, las, years):
    """Children by authority and year, some of them few, with national totals: three tables of one population."""
    by_la = pd.DataFrame(
        [(la, y, int(rng.choice([0, 1, 2, 3, 4, 6, 9, 20, 40]))) for la in las for y in years],
        columns=["la", "year", "children"],
    )
    national = by_la.groupby("year", as_index=False)["children"].sum()
    latest = by_la[by_la["year"] == years[-1]].set_index("la")[["children"]]
    return by_la, national, latest


def _linked_stock(by_la, national, latest, threshold=5):
    from lac_outcomes.disclosure import Linked, suppress_together

    years, las = sorted(national["year"]), sorted(by_la["la"].unique())
    tables = {
        "by_la": Linked(by_la, ["children"], keys={"children": list(zip(by_la["la"], by_la["year"], strict=False))}),
        "national": Linked(national, ["children"], keys={"children": [("all", y) for y in national["year"]]}),
        "latest": Linked(latest, ["children"], keys={"children": [(la, years[-1]) for la in latest.index]}),
    }
    lines = [[("all", y)] + [(la, y) for la in las] for y in years]
    return suppress_together(tables, threshold=threshold, lines=lines)


def test_linked_tables_share_suppression_and_protect_national_totals():
    by_la = pd.DataFrame({"la": ["A", "B", "C"], "year": [2021] * 3, "children": [3, 30, 40]})
    national = pd.DataFrame({"year": [2021], "children": [73]})
    latest = by_la.set_index("la")[["children"]]
    shown = _linked_stock(by_la, national, latest)
    # A's 3 is hidden; the national 73 is shown, so B (the smallest other) is hidden too, in both tables.
    assert shown["by_la"].display["children"].tolist() == ["c", "c", "40"]
    assert shown["latest"].display["children"].tolist() == ["c", "c", "40"]
    assert shown["national"].display["children"].tolist() == ["73"]


def test_suppress_alone_would_leave_the_national_total_to_give_a_cell_away():
    latest = pd.DataFrame({"children": [3, 30, 40]}, index=["A", "B", "C"])
    alone = suppress(latest, ["children"]).display["children"].tolist()
    assert alone == ["c", "30", "40"]  # 73 - 30 - 40 = 3: why reports link their tables


def test_one_authority_hides_the_national_figure_with_it():
    by_la = pd.DataFrame({"la": ["A", "A"], "year": [2020, 2021], "children": [2, 12]})
    national = by_la.groupby("year", as_index=False)["children"].sum()
    shown = _linked_stock(by_la, national, by_la[by_la["year"] == 2021].set_index("la")[["children"]])
    assert shown["national"].display["children"].tolist() == ["c", "12"]


def test_linked_cells_must_hold_the_same_count():
    from lac_outcomes.disclosure import Linked, suppress_together

    a = pd.DataFrame({"n": [10]})
    b = pd.DataFrame({"n": [11]})
    with pytest.raises(ValueError, match="linked cell"):
        suppress_together({"a": Linked(a, ["n"], keys={"n": ["x"]}), "b": Linked(b, ["n"], keys={"n": ["x"]})})


def test_random_linked_stock_tables_never_leave_a_cell_to_subtraction():
    rng = np.random.default_rng(11)
    for _ in range(100):
        las, years = [f"L{i}" for i in range(int(rng.integers(1, 6)))], [2019, 2020, 2021]
        by_la, national, latest = _stock(rng, las, years)
        shown = _linked_stock(by_la, national, latest)
        # What a reader sees, cell by cell, from all three tables (written without the suppression code).
        seen = {}
        for (la, year), text in zip(
            zip(by_la["la"], by_la["year"], strict=False), shown["by_la"].display["children"], strict=False
        ):
            seen[(la, year)] = text
        for la, text in zip(latest.index, shown["latest"].display["children"], strict=False):
            assert text == seen[(la, years[-1])]
        for year, text in zip(national["year"], shown["national"].display["children"], strict=False):
            seen[("all", year)] = text
        for key, text in seen.items():
            value = (
                int(national.set_index("year").loc[key[1], "children"])
                if key[0] == "all"
                else int(by_la.set_index(["la", "year"]).loc[key, "children"])
            )
            assert (text == CONFIDENTIAL) or not 0 < value < 5
        for year in years:
            line = [seen[("all", year)]] + [seen[(la, year)] for la in las]
            assert sum(text == CONFIDENTIAL for text in line) != 1, (year, line)


def test_a_line_naming_a_cell_no_table_shows_is_no_sum_a_reader_can_see():
    from lac_outcomes.disclosure import Linked, suppress_together

    table = pd.DataFrame({"n": [3, 30]}, index=["A", "B"])
    shown = suppress_together(
        {"t": Linked(table, ["n"], keys={"n": ["A", "B"]})}, lines=[["total", "A", "B"], ["A", "B"]]
    )
    # ["A", "B"] adds up to nothing shown either, but it is a line given: B goes with A.
    assert shown["t"].display["n"].tolist() == ["c", "c"]
    alone = suppress_together({"t": Linked(table, ["n"], keys={"n": ["A", "B"]})}, lines=[["total", "A", "B"]])
    assert alone["t"].display["n"].tolist() == ["c", "30"]


def test_a_p_value_column_is_withheld_with_its_count_but_shown_as_a_p_value():
    table = pd.DataFrame({"n": [3, 40, 50], "p_value": [0.2, 0.00002, 0.0312]}, index=["small", "big", "bigger"])
    shown = suppress(table, ["n"], threshold=5, rate_columns={"p_value": "n"}, decimals=3).display
    assert shown["p_value"].tolist() == ["c", "<0.001", "0.031"]  # never "low" or "0.000"
