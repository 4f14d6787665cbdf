"""Rule simulate_scotland: lac_outcomes.scotland.simulate.simulate_scotland."""

import sys
from pathlib import Path

# Importable whether or not the package is installed (a conda env built from environment.yml does not install it).
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))

from lac_outcomes.cli import rule_step
from lac_outcomes.scotland.simulate import simulate_scotland

with rule_step(snakemake.log[0], snakemake.rule):
    simulate_scotland(
        Path(snakemake.output.truth).parent,
        seed=snakemake.params.seed,
        years=snakemake.params.years,
        scale=snakemake.params.scale,
        local_authorities=snakemake.params.local_authorities,
        published_figures=Path(snakemake.input.published),
    )
