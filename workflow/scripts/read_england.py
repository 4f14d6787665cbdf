"""Rule read_england: lac_outcomes.england.clean.read_part, then lac_outcomes.england.clean.write_part."""

import sys
from pathlib import Path

# Importable whether or not the package is installed (a conda env built from environment.yml does not install it).
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))

from lac_outcomes.cli import rule_step, supported_options
from lac_outcomes.england import clean

# The LA (or first-last LAs) in the step's name: a fault names the authority whose job it is.
with rule_step(snakemake.log[0], f"{snakemake.rule} {snakemake.wildcards.part}"):
    options = supported_options(clean.read_part, snakemake.params.options)
    part = clean.read_part(
        Path(snakemake.params.raw_dir),
        snakemake.params.las,
        years=snakemake.params.years,
        file_year_label=snakemake.params.file_year_label,
        **options,
    )
    clean.write_part(part, Path(snakemake.output[0]))
