rule clean_scotland:
    input:
        expand("{raw}/{table}.csv", raw=scotland_raw_dir(), table=SCOTLAND_TABLES),
    output:
        expand("data/processed/scotland/{table}.parquet", table=SCOTLAND_TABLES),
        quarantine="data/processed/scotland/quarantine.parquet",
        quality="data/processed/scotland/quality.json",
    log:
        "logs/clean_scotland/clean_scotland.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=6000,
        runtime=20,
    params:
        raw_dir=lambda w, input: os.path.dirname(input[0]),
        years=scotland_years(),
    shell:
        "python workflow/scripts/lac_outcomes_cli.py --log {log} clean-scotland --raw-dir {params.raw_dir} "
        "--out-dir data/processed/scotland --years {params.years}"


rule clean_england:
    input:
        england_raw_input(),
    output:
        expand("data/processed/england/{table}.parquet", table=ENGLAND_TABLES),
        indicators="data/processed/england/indicators.parquet",
        quarantine="data/processed/england/quarantine.parquet",
        quality="data/processed/england/quality.json",
    log:
        "logs/clean_england/clean_england.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        raw_dir=lambda w: england_raw_dir(),
        years=england_years(),
        file_year_label=config["england"].get("file_year_label", "end"),
    shell:
        "python workflow/scripts/lac_outcomes_cli.py --log {log} clean-england --raw-dir {params.raw_dir} "
        "--out-dir data/processed/england --years {params.years} "
        "--file-year-label {params.file_year_label}"
