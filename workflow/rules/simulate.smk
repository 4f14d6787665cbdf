rule simulate_scotland:
    """Synthetic Scottish returns and their planted truth: lac_outcomes.scotland.simulate.simulate_scotland."""
    input:
        published="data/raw/published/published_figures.csv",
        code=step_sources("lac_outcomes.scotland.simulate"),
    output:
        expand("data/raw/synthetic/scotland/{table}.csv", table=TABLES["scotland"]),
        truth="data/raw/synthetic/scotland/truth.yaml",
    log:
        "logs/simulate_scotland/simulate_scotland.log",
    benchmark:
        "logs/simulate_scotland/simulate_scotland.benchmark.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        # Not measured at national scale: the previous request, doubled on each retry.
        mem_mb=lambda wildcards, attempt: 4000 * attempt,
        runtime=20,
    params:
        seed=config["scotland"]["synthetic"]["seed"],
        scale=config["scotland"]["synthetic"]["scale"],
        years=years("scotland"),
        local_authorities=(
            None
            if config["scotland"]["synthetic"]["local_authorities"] == "all"
            else config["scotland"]["synthetic"]["local_authorities"]
        ),
    script:
        "../scripts/simulate_scotland.py"


checkpoint simulate_england:
    """Synthetic SSDA903 returns, one folder per LA, and truth.yaml: lac_outcomes.england.simulate.simulate_england."""
    input:
        code=step_sources("lac_outcomes.england.simulate"),
    output:
        # written last, listing every file: the returns are complete once it exists
        truth="data/raw/synthetic/england/truth.yaml",
    log:
        "logs/simulate_england/simulate_england.log",
    benchmark:
        "logs/simulate_england/simulate_england.benchmark.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        # England at national scale peaked at 2.6 GB (issue 13); doubled on each retry.
        mem_mb=lambda wildcards, attempt: 4000 * attempt,
        runtime=20,
    params:
        seed=config["england"]["synthetic"]["seed"],
        years=years("england"),
        n_las=config["england"]["synthetic"]["n_las"],
        children_per_la=config["england"]["synthetic"]["children_per_la"],
    script:
        "../scripts/simulate_england.py"
