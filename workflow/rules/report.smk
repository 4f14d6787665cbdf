import re


rule render_report:
    input:
        notebook=lambda w: config["reports"][w.report]["notebook"],
        data=lambda w: report_data(w.report),
    output:
        executed="results/{report}/{report}.executed.ipynb",
        results=report(
            "results/{report}/results.json",
            caption="../report/report.rst",
            category="Results",
            subcategory="{report}",
        ),
        # Pages are in snakemake --report through rule index's site, where their links work.
        html="reports/{report}.html",
        meta="reports/{report}.meta.json",
        tables=directory("reports/{report}/tables"),
    log:
        "logs/render_report/{report}.log",
    wildcard_constraints:
        # Only configured reports: reports/index.html belongs to rule index.
        report="|".join(map(re.escape, config["reports"])),
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=30,
    params:
        title=lambda w: config["reports"][w.report].get("title", ""),
        parameters=lambda w: json.dumps(report_parameters(w.report), sort_keys=True),
        config_sha256=CONFIG_SHA256,
    shell:
        "python workflow/scripts/lac_outcomes_cli.py --log {log} render --notebook {input.notebook} "
        "--executed {output.executed} --html {output.html} --meta {output.meta} --title={params.title:q} "
        "--parameters {params.parameters:q} --config-sha256 {params.config_sha256} "
        "--inputs {input.data}"


rule index:
    input:
        meta=expand("reports/{report}.meta.json", report=list(config["reports"])),
        html=expand("reports/{report}.html", report=list(config["reports"])),
        tables=expand("reports/{report}/tables", report=list(config["reports"])),
    output:
        index="reports/index.html",
        # The index, pages and tables in one folder: the links between them work inside the report zip.
        site=report(
            directory("results/report_site"),
            htmlindex="index.html",
            caption="../report/index.rst",
            category="Reports",
        ),
    log:
        "logs/index/index.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        "python workflow/scripts/lac_outcomes_cli.py --log {log} index --out {output.index} "
        "--site {output.site} {input.meta}"
