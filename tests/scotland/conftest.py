"""Shared small simulated datasets for the Scottish tests (built once per session)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from lac_outcomes.scotland.simulate import simulate_scotland

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = ROOT / "data" / "raw" / "published" / "published_figures.csv"
# Glasgow (largest), Edinburgh, Fife and Orkney (tiny): about 30% of Scotland.
SMALL_LAS = ["S12000049", "S12000036", "S12000047", "S12000023"]
SMALL_YEARS = list(range(2009, 2024))
SMALL_SCALE = 0.05
SMALL_SEED = 20090731


def simulate_small(out_dir: Path, seed: int = SMALL_SEED, local_authorities=None, scale: float = SMALL_SCALE) -> dict:
    return simulate_scotland(
        out_dir,
        seed=seed,
        years=SMALL_YEARS,
        scale=scale,
        local_authorities=SMALL_LAS if local_authorities is None else local_authorities,
        published_figures=PUBLISHED,
    )


def read_tables(directory: Path) -> dict[str, pd.DataFrame]:
    """The CSVs as strings, blanks kept as empty strings (as a reader would see them)."""
    return {
        name: pd.read_csv(directory / f"{name}.csv", dtype=str, keep_default_na=False)
        for name in ("children", "episodes", "pupils", "leavers", "permanence", "aftercare")
    }


@pytest.fixture(scope="session")
def small_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("scotland_small")
    truth = simulate_small(out)
    return {
        "dir": out,
        "truth": truth,
        "tables": read_tables(out),
        "truth_file": yaml.safe_load((out / "truth.yaml").read_text()),
    }
