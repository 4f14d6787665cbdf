import re


rule render_report:
    input:
        notebook=lambda w: config["reports"][w.report]["notebook"],
        data=lambda w: report_data(w.report),
    output:
        executed="results/{report}/{report}.executed.ipynb",
        results="results/{report}/results.json",
        html=report(
            "reports/{report}.html",
            caption="../report/report.rst",
            category="Reports",
        ),
        meta="reports/{report}.meta.json",
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
    output:
        report("reports/index.html", caption="../report/index.rst", category="Index"),
    log:
        "logs/index/index.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        "python workflow/scripts/lac_outcomes_cli.py --log {log} index --out {output} {input.meta}"
