"""Fixtures for England tests."""

from __future__ import annotations

import pytest

from lac_outcomes.england.simulate import write_synthetic_returns


@pytest.fixture(scope="session")
def small_synthetic(tmp_path_factory):
    """A small synthetic run shared by tests: 3 LAs, 6 years, about 300 looked after per LA."""
    out = tmp_path_factory.mktemp("synthetic")
    years = list(range(2014, 2020))
    truth = write_synthetic_returns(out, seed=20240601, years=years, n_las=3, children_per_la=300)
    return out, years, truth
