"""Rule index: lac_outcomes.report_index.write_index, then write_site (the folder for snakemake --report)."""

import sys
from pathlib import Path

# Importable whether or not the package is installed (a conda env built from environment.yml does not install it).
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))

from lac_outcomes.cli import rule_step
from lac_outcomes.report_index import write_index, write_site

with rule_step(snakemake.log[0], snakemake.rule):
    meta = [Path(p) for p in snakemake.input.meta]
    write_index(meta, Path(snakemake.output.index), title=snakemake.params.title)
    write_site(Path(snakemake.output.index), meta, Path(snakemake.output.site))
