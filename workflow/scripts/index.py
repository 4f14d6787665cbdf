"""Rule index: lac_outcomes.report_index.write_index."""

import sys
from pathlib import Path

# Importable whether or not the package is installed (a conda env built from environment.yml does not install it).
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))

from lac_outcomes.cli import rule_step
from lac_outcomes.report_index import write_index

with rule_step(snakemake.log[0], snakemake.rule):
    write_index([Path(p) for p in snakemake.input.meta], Path(snakemake.output[0]), title=snakemake.params.title)
