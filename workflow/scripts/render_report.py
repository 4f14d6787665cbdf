"""Rule render_report: lac_outcomes.render.render (papermill, then HTML with provenance)."""

import sys
from pathlib import Path

# Importable whether or not the package is installed (a conda env built from environment.yml does not install it).
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))

from lac_outcomes import render
from lac_outcomes.cli import check_parameter_names, notebook_in_step, rule_step

with rule_step(snakemake.log[0], snakemake.rule):
    check_parameter_names(snakemake.params.parameters, f"config reports.{snakemake.wildcards.report}.parameters")
    notebook_in_step(Path(snakemake.input.notebook))
    rendered = render.render(
        snakemake.input.notebook,
        executed=snakemake.output.executed,
        html=snakemake.output.html,
        meta=snakemake.output.meta,
        parameters=snakemake.params.parameters,
        inputs=snakemake.input.data,
        config_sha256=snakemake.params.config_sha256,
        title=snakemake.params.title or None,
    )
    render.log.info("rendered %s: %s", rendered.html_path, rendered.summary)
