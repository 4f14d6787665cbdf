"""The planted-versus-computed comparison the England report shows."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from lac_outcomes.england.checks import compare_with_planted


def _indicators(rows):
    return pd.DataFrame(
        rows, columns=["LA", "YEAR", "indicator", "numerator", "denominator", "value", "history_complete", "sd"]
    )


def test_realised_counts_must_match_exactly_and_targets_within_four_standard_errors():
    computed = _indicators(
        [
            ("E1", 2020, "CLA_31MAR", 100, None, 100.0, True, None),
            ("E1", 2021, "CLA_31MAR", 101, None, 101.0, True, None),
            ("E1", 2021, "NI62", 10, 100, 0.10, True, None),
            ("E1", 2021, "NI63", 10, 100, 0.40, True, None),
            ("E1", 2020, "NI63", 10, 100, 0.10, False, None),
            ("E1", 2021, "NI58", 1300, 100, 13.0, True, 6.0),
        ]
    )
    planted = pd.DataFrame(
        [
            ("E1", 2020, "CLA_31MAR", "realised", 100),
            ("E1", 2021, "CLA_31MAR", "realised", 100),
            ("E1", 2021, "NI62", "target", 0.12),
            ("E1", 2021, "NI63", "target", 0.60),
            ("E1", 2020, "NI63", "target", 0.60),
            ("E1", 2021, "NI58", "target", 14.0),
        ],
        columns=["LA", "YEAR", "indicator", "kind", "planted"],
    )
    out = compare_with_planted(computed, planted).set_index(["YEAR", "indicator"])
    assert out.loc[(2020, "CLA_31MAR"), "within"] and not out.loc[(2021, "CLA_31MAR"), "within"]
    # NI 62: 4 * sqrt(.12 * .88 / 100) + 0.005 = 0.135; 0.02 off is within
    assert out.loc[(2021, "NI62"), "tolerance"] == pytest.approx(4 * math.sqrt(0.12 * 0.88 / 100) + 0.005)
    assert out.loc[(2021, "NI62"), "within"]
    assert not out.loc[(2021, "NI63"), "within"]  # 0.2 off, tolerance 4 * 0.049 = 0.196
    assert not out.loc[(2020, "NI63"), "checked"] and pd.isna(out.loc[(2020, "NI63"), "within"])
    # NI 58: 4 * 6 / sqrt(100) = 2.4; 1.0 off is within
    assert out.loc[(2021, "NI58"), "tolerance"] == pytest.approx(2.4)
    assert out.loc[(2021, "NI58"), "within"]


def _check_on(n, planted, computed):
    computed_frame = _indicators(
        [
            ("E1", 2021, "NI62", round(computed * n), n, computed, True, None),
            ("E2", 2021, "NI62", 40, 100, 0.40, True, None),
            ("E1", 2021, "CLA_31MAR", n, None, float(n), True, None),
        ]
    )
    planted_frame = pd.DataFrame(
        [
            ("E1", 2021, "NI62", "target", planted),
            ("E2", 2021, "NI62", "target", 0.42),
            ("E1", 2021, "CLA_31MAR", "realised", n),
        ],
        columns=["LA", "YEAR", "indicator", "kind", "planted"],
    )
    return compare_with_planted(computed_frame, planted_frame)


def test_a_withheld_la_year_keeps_no_planted_value_tolerance_or_cohort():
    from lac_outcomes.england.checks import WITHHELD_FIELDS, withhold

    check = _check_on(3, 0.3, 1 / 3)
    # before: n falls out of the tolerance 4 * sqrt(p(1 - p) / n) + margin, given the planted p
    ni62 = check[(check["LA"] == "E1") & (check["indicator"] == "NI62")].iloc[0]
    recovered = 16 * ni62["planted"] * (1 - ni62["planted"]) / (ni62["tolerance"] - 0.005) ** 2
    assert round(recovered) == 3
    hidden = pd.DataFrame(
        {
            "LA": ["E1", "E1", "E2"],
            "YEAR": 2021,
            "indicator": ["NI62", "CLA_31MAR", "NI62"],
            "hidden": [True, True, False],
        }
    )
    out = withhold(check, hidden).set_index(["LA", "indicator"])
    for key in [("E1", "NI62"), ("E1", "CLA_31MAR")]:
        assert out.loc[key, list(WITHHELD_FIELDS)].isna().all(), key  # the realised count is the count itself
        assert out.loc[key, "suppressed"]
    assert out.loc[("E1", "NI62"), "within"]  # whether it held is still said
    assert out.loc[("E2", "NI62"), "planted"] == 0.42 and not out.loc[("E2", "NI62"), "suppressed"]
    # an LA-year the pattern does not know is withheld
    unknown = withhold(check, hidden.iloc[:0])
    assert unknown["suppressed"].all() and unknown["tolerance"].isna().all()


def test_a_shown_cohort_stays_shown_when_only_the_numerator_is_withheld():
    from lac_outcomes.england.checks import withhold

    check = _check_on(3, 0.3, 1 / 3)
    hidden = pd.DataFrame(
        {
            "LA": ["E1", "E1", "E2"],
            "YEAR": 2021,
            "indicator": ["NI62", "CLA_31MAR", "NI62"],
            "hidden": [True, True, False],
            "denominator_hidden": [False, True, False],
        }
    )
    out = withhold(check, hidden).set_index(["LA", "indicator"])
    ni62 = out.loc[("E1", "NI62")]
    # the tables show this cohort, so the check may too; what gives back the numerator stays withheld
    assert ni62["n"] == 3 and ni62[["planted", "computed", "difference", "tolerance"]].isna().all()


def test_summary_counts_checks_and_takes_the_largest_difference_over_shown_values_only():
    from lac_outcomes.england.checks import summarise, verdict, withhold

    check = _check_on(3, 0.3, 1 / 3)
    hidden = pd.DataFrame(
        {
            "LA": ["E1", "E1", "E2"],
            "YEAR": 2021,
            "indicator": ["NI62", "CLA_31MAR", "NI62"],
            "hidden": [True, True, False],
        }
    )
    summary = summarise(withhold(check, hidden)).set_index("indicator")
    assert summary.loc["NI62", "LA-years checked"] == 2 and summary.loc["NI62", "LA-years withheld"] == 1
    assert summary.loc["NI62", "largest difference (values shown)"] == "2.0 points"  # E2 only: 0.40 v 0.42
    assert summary.loc["CLA_31MAR", "largest difference (values shown)"] == "withheld"
    assert verdict(withhold(check, hidden)).startswith("realised counts all equal")
