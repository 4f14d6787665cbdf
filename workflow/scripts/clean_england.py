"""Rule clean_england: lac_outcomes.england.clean.combine, then lac_outcomes.england.clean.write."""

import sys
from pathlib import Path

# Importable whether or not the package is installed (a conda env built from environment.yml does not install it).
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))

from lac_outcomes.cli import rule_step, supported_options
from lac_outcomes.england import clean

with rule_step(snakemake.log[0], snakemake.rule):
    options = supported_options(clean.combine, snakemake.params.options)
    parts = [clean.load_part(Path(path)) for path in snakemake.input.parts if path.endswith(".pickle")]
    result = clean.combine(parts, raw_dir=Path(snakemake.params.raw_dir), years=snakemake.params.years, **options)
    clean.write(result, Path(snakemake.output.quality).parent)
