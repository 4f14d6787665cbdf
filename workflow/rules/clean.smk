rule clean_scotland:
    input:
        expand("{raw}/{table}.csv", raw=scotland_raw_dir(), table=SCOTLAND_TABLES),
    output:
        expand("data/processed/scotland/{table}.parquet", table=SCOTLAND_TABLES),
        quarantine="data/processed/scotland/quarantine.parquet",
        quality="data/processed/scotland/quality.json",
    params:
        raw_dir=scotland_raw_dir(),
        years=scotland_years(),
    log:
        "logs/clean_scotland/clean_scotland.log",
    threads: 1
    resources:
        mem_mb=6000,
        runtime=20,
    shell:
        "{PYTHON} -m lac_outcomes --log {log} clean-scotland --raw-dir {params.raw_dir} "
        "--out-dir data/processed/scotland --years {params.years}"
