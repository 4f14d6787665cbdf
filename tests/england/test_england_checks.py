"""The planted-versus-computed comparison the England report shows."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from lac_outcomes.england.checks import compare_with_planted


def _indicators(rows):
    return pd.DataFrame(rows, columns=["LA", "YEAR", "indicator", "numerator", "denominator", "value", "history_complete", "sd"])


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
