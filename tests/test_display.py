import math

import pandas as pd
import pytest

from lac_outcomes import display
from lac_outcomes.disclosure import DisclosurePolicy


@pytest.fixture
def shown(monkeypatch):
    """What show_table hands to IPython, as HTML text."""
    captured = []
    monkeypatch.setattr("IPython.display.display", lambda obj: captured.append(obj.data))
    yield captured
    display.configure(None)


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.0004, "<0.001"), (0.001, "0.001"), (0.04999, "0.050"), (0.5, "0.500"), (math.nan, "x"), (None, "x")],
)
def test_format_p(value, text):
    assert display.format_p(value) == text


@pytest.mark.parametrize(
    ("value", "text"), [(4386.0, "4,386"), (12, "12"), (1234567, "1,234,567"), (math.nan, "x"), ("c", "c")]
)
def test_format_count(value, text):
    assert display.format_count(value) == text


def test_plain_tables_print_integers_as_integers_and_small_p_values_as_under_0_001():
    table = pd.DataFrame(
        {"term": ["at home", "foster"], "pupils": [4386.0, 1200.0], "estimate": [-0.5, 1.25], "P>|z|": [0.00002, 0.31]}
    )
    table["share"] = [1234.5, 0.0002]
    table["source"] = ["PSSRU", None]
    assert display.format_plain(table).to_dict("list") == {
        "term": ["at home", "foster"],
        "pupils": ["4,386", "1,200"],
        "estimate": ["-0.50", "1.25"],
        "P>|z|": ["<0.001", "0.310"],
        "share": ["1,234.5", "low"],  # non-zero, but zero at the column's one decimal
        "source": ["PSSRU", "x"],  # a missing text is unavailable, never "NaN" or "None"
    }


def test_show_table_writes_the_csv_beside_the_report_and_links_it(tmp_path, shown):
    folder = tmp_path / "reports" / "home_supervision" / "tables"
    display.configure(folder)
    table = DisclosurePolicy(threshold=5).suppress(
        pd.DataFrame({"authority": ["Fife", "Highland"], "children": [3, 1250]}), ["children"]
    )
    display.show_table(table, "Children by authority")
    display.show_table(pd.DataFrame({"rule": ["a"], "rows": [float("nan")]}), "Children by authority", index=False)
    first = (folder / "children_by_authority.csv").read_text().splitlines()
    assert first == [",authority,children", "0,Fife,c", "1,Highland,1250"]  # as shown; no separator inside numbers
    assert (folder / "children_by_authority_2.csv").read_text().splitlines() == ["rule,rows", "a,x"]
    assert 'href="home_supervision/tables/children_by_authority.csv"' in shown[0]
    assert "c = confidential" in shown[0]
    assert "x = unavailable" in shown[1]  # a GSS symbol in a plain table is explained under it


def test_without_a_download_folder_no_csv_and_no_link(tmp_path, shown, monkeypatch):
    monkeypatch.chdir(tmp_path)
    display.configure(None)
    display.show_table(pd.DataFrame({"a": [1]}), "A table")
    assert "Download" not in shown[0] and not list(tmp_path.rglob("*.csv"))


def test_a_column_of_years_has_no_thousands_separator_but_counts_and_child_years_do():
    table = pd.DataFrame(
        {"year here": [2024, 2023], "published year": [2024.0, None], "child-years": [314957.0, 1200.0], "n": [2024, 5]}
    )
    shown = display.format_plain(table)
    assert shown["year here"].tolist() == ["2024", "2023"]
    assert shown["published year"].tolist() == ["2024", "x"]
    assert shown["child-years"].tolist() == ["314,957", "1,200"]
    assert shown["n"].tolist() == ["2,024", "5"]


def test_model_columns_read_in_words_on_the_page_and_in_the_download(tmp_path, shown):
    folder = tmp_path / "reports" / "stability" / "tables"
    display.configure(folder)
    model = pd.DataFrame(
        {"estimate": [0.5], "std_error": [0.1], "ci_low": [0.3], "ci_high": [0.7], "p_value": [0.0001]},
        index=pd.Index(["foster"], name="placement_type"),
    )
    display.show_table(model, "Model")
    rates = DisclosurePolicy(threshold=5).suppress(
        pd.DataFrame({"moves": [3, 40], "ci_low": [0.1, 0.2]}, index=["a", "b"]),
        ["moves"],
        rate_columns={"ci_low": "moves"},
    )
    display.show_table(rates, "Rates")
    for html in shown:
        assert "ci_low" not in html and "std_error" not in html and "placement_type" not in html
    assert "95% CI low" in shown[0] and "standard error" in shown[0] and "placement type" in shown[0]
    assert "&lt;0.001" in shown[0]  # the p-value column is still read as p-values (escaped)
    assert 'data-count-columns="moves"' in shown[1] and ">c<" in shown[1]  # the count and its suppression kept
    header = (folder / "model.csv").read_text().splitlines()[0]
    assert header == "placement type,estimate,standard error,95% CI low,95% CI high,p-value"
