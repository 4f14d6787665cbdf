"""Rule clean_england_pupils: lac_outcomes.england.education.clean_education."""

import sys
from pathlib import Path

# Importable whether or not the package is installed (a conda env built from environment.yml does not install it).
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))

from lac_outcomes.cli import rule_step
from lac_outcomes.england.education import clean_education

with rule_step(snakemake.log[0], snakemake.rule):
    clean_education(
        Path(snakemake.params.pupils),
        Path(snakemake.input.header).parent,
        Path(snakemake.output.pupils).parent,
        flag_share=snakemake.params.flag_share,
    )
