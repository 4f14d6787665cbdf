rule simulate_scotland:
    input:
        published="data/raw/published/published_figures.csv",
    output:
        expand("data/raw/synthetic/scotland/{table}.csv", table=SCOTLAND_TABLES),
        truth="data/raw/synthetic/scotland/truth.yaml",
    params:
        out_dir="data/raw/synthetic/scotland",
        seed=config["scotland"]["synthetic"]["seed"],
        scale=config["scotland"]["synthetic"]["scale"],
        years=scotland_years(),
        local_authorities=lambda w: (
            "all"
            if config["scotland"]["synthetic"]["local_authorities"] == "all"
            else ",".join(config["scotland"]["synthetic"]["local_authorities"])
        ),
    log:
        "logs/simulate_scotland/simulate_scotland.log",
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    shell:
        "{PYTHON} -m lac_outcomes --log {log} simulate-scotland --out-dir {params.out_dir} "
        "--seed {params.seed} --years {params.years} --scale {params.scale} "
        "--local-authorities {params.local_authorities} --published {input.published}"
