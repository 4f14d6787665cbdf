rule clean_scotland:
    """Validate Scottish returns into parquet and a quarantine log: lac_outcomes.scotland.clean.clean, then .write."""
    input:
        raw=raw_input("scotland"),
        code=step_sources("lac_outcomes.scotland.clean"),
    output:
        expand("data/processed/scotland/{table}.parquet", table=TABLES["scotland"]),
        quarantine="data/processed/scotland/quarantine.parquet",
        quality="data/processed/scotland/quality.json",
    log:
        "logs/clean_scotland/clean_scotland.log",
    benchmark:
        "logs/clean_scotland/clean_scotland.benchmark.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        # Peaked at 1.1 GB at national scale (issue 13); 1.5 times that, doubled on each retry.
        mem_mb=lambda wildcards, attempt: 1700 * attempt,
        runtime=20,
    params:
        raw_dir=lambda w, input: raw_folder(input.raw),
        years=years("scotland"),
        options={
            "flag_share": (
                "quarantine.flag_share",
                config["quarantine"]["flag_share"],
                0.02,
            ),
        },
    script:
        "../scripts/clean_scotland.py"


rule read_england:
    """Read and validate the SSDA903 returns of one LA, or a batch of england.las_per_job LAs: lac_outcomes.england.clean.read_part, then .write_part."""
    input:
        raw=england_part_input,
        code=england_read_sources(),
    output:
        "data/interim/england/{part}.pickle",
    log:
        "logs/read_england/{part}.log",
    benchmark:
        "logs/read_england/{part}.benchmark.tsv"
    # England is the pipeline's longest chain (simulate, read, clean, then its reports): its steps go
    # ahead of Scottish reports that are ready at the same time, so the two cores end together.
    priority: 1
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        # 15 LAs a job at national scale peaked at 491 MB with plain files parsed together (643 MB line by line);
        # 1.5 times that, doubled on each retry.
        mem_mb=lambda wildcards, attempt: 750 * attempt,
        runtime=10,
    params:
        raw_dir=raw_dir("england"),
        las=lambda wildcards: england_parts()[wildcards.part],
        years=years("england"),
        file_year_label=config["england"]["file_year_label"],
        options={
            "flag_share": (
                "quarantine.flag_share",
                config["quarantine"]["flag_share"],
                0.02,
            ),
        },
    script:
        "../scripts/read_england.py"


rule clean_england:
    """Stack the LAs' reads; indicators, cross-return checks, parquet and the quality record: lac_outcomes.england.clean.combine, then .write."""
    input:
        parts=england_part_files,
        code=step_sources("lac_outcomes.england.clean"),
    output:
        expand("data/processed/england/{table}.parquet", table=TABLES["england"]),
        indicators="data/processed/england/indicators.parquet",
        quarantine="data/processed/england/quarantine.parquet",
        quality="data/processed/england/quality.json",
    log:
        "logs/clean_england/clean_england.log",
    benchmark:
        "logs/clean_england/clean_england.benchmark.tsv"
    # ahead of ready Scottish reports: the longest chain (see read_england)
    priority: 1
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        # Combining 145 LAs peaked at 1.9 GB (the single clean job before issue 13: 3.5 GB); 1.5 times that,
        # doubled on each retry.
        mem_mb=lambda wildcards, attempt: 2800 * attempt,
        runtime=30,
    params:
        raw_dir=raw_dir("england"),
        years=years("england"),
        options={
            "history": (
                "england.history",
                config["england"]["history"],
                "submitted",
            ),
        },
    script:
        "../scripts/clean_england.py"
