# lac-outcomes: synthetic or real returns -> validated parquet -> notebooks -> HTML reports.
# Rules are thin: each names its files and calls the lac_outcomes package.


configfile: "config/config.yaml"


envvars:
    "PATH",


include: "workflow/rules/common.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/clean.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        "reports/index.html",
