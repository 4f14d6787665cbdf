# lac-outcomes: synthetic or real returns -> validated parquet -> notebooks -> HTML reports.
# Rules are thin: each names its files and calls one lac_outcomes function through
# a script in workflow/scripts; its docstring names that function.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/clean.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/england_education.smk"


localrules:
    all,


rule all:
    default_target: True
    input:
        "reports/index.html",
