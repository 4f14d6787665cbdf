import re


rule render_report:
    """A notebook through papermill, then HTML with code hidden and provenance: lac_outcomes.render.render."""
    input:
        notebook=lambda w: config["reports"][w.report]["notebook"],
        # Its py:percent pair too: editing either reruns this report.
        pair=lambda w: notebook_pair(config["reports"][w.report]["notebook"])[1:],
        data=lambda w: report_data(w.report),
        code=lambda w: report_sources(w.report),
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
    benchmark:
        "logs/render_report/{report}.benchmark.tsv"
    wildcard_constraints:
        # Only configured reports: reports/index.html belongs to rule index.
        report="|".join(map(re.escape, config["reports"])),
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        # The largest, leaving_care_england, peaked at 3.6 GB at national scale (its model's LA effects,
        # 195,000 rows); the others at 1.9 GB or less. Doubled on each retry.
        mem_mb=lambda wildcards, attempt: 4000 * attempt,
        runtime=30,
    params:
        # Only this report's slice of the config: editing another report's entry leaves this one alone.
        title=lambda w: config["reports"][w.report].get("title", ""),
        parameters=lambda w, output: report_parameters(w.report, output.results),
        config_sha256=lambda w: config_digest(report_config(w.report)),
    script:
        "../scripts/render_report.py"


rule index:
    """The index page of every report with its one-line summary: lac_outcomes.report_index.write_index."""
    input:
        meta=expand("reports/{report}.meta.json", report=list(config["reports"])),
        html=expand("reports/{report}.html", report=list(config["reports"])),
        tables=expand("reports/{report}/tables", report=list(config["reports"])),
        code=step_sources("lac_outcomes.report_index"),
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
        # About 400 MB at national scale (issue 13); doubled on each retry.
        mem_mb=lambda wildcards, attempt: 800 * attempt,
        runtime=5,
    params:
        title="lac-outcomes reports",
    script:
        "../scripts/index.py"
