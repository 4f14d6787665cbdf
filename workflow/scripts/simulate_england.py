"""Rule simulate_england: lac_outcomes.england.simulate.simulate_england."""

import sys
from pathlib import Path

# Importable whether or not the package is installed (a conda env built from environment.yml does not install it).
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))

from lac_outcomes.cli import rule_step
from lac_outcomes.england.simulate import simulate_england

with rule_step(snakemake.log[0], snakemake.rule):
    simulate_england(
        Path(snakemake.output.truth).parent,
        seed=snakemake.params.seed,
        years=snakemake.params.years,
        n_las=snakemake.params.n_las,
        children_per_la=snakemake.params.children_per_la,
    )
