rule simulate_scotland:
    input:
        published="data/raw/published/published_figures.csv",
    output:
        expand("data/raw/synthetic/scotland/{table}.csv", table=SCOTLAND_TABLES),
        truth="data/raw/synthetic/scotland/truth.yaml",
    log:
        "logs/simulate_scotland/simulate_scotland.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    params:
        out_dir=lambda w, output: os.path.dirname(output.truth),
        seed=config["scotland"]["synthetic"]["seed"],
        scale=config["scotland"]["synthetic"]["scale"],
        years=scotland_years(),
        local_authorities=lambda w: (
            "all"
            if config["scotland"]["synthetic"]["local_authorities"] == "all"
            else ",".join(config["scotland"]["synthetic"]["local_authorities"])
        ),
    shell:
        "python workflow/scripts/lac_outcomes_cli.py --log {log} simulate-scotland --out-dir {params.out_dir} "
        "--seed {params.seed} --years {params.years} --scale {params.scale} "
        "--local-authorities {params.local_authorities} --published {input.published}"


rule simulate_england:
    output:
        # written last, listing every file: the returns are complete once it exists
        truth="data/raw/synthetic/england/truth.yaml",
    log:
        "logs/simulate_england/simulate_england.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=20,
    params:
        out_dir=lambda w, output: os.path.dirname(output.truth),
        seed=config["england"]["synthetic"]["seed"],
        years=england_years(),
        n_las=config["england"]["synthetic"]["n_las"],
        children_per_la=config["england"]["synthetic"]["children_per_la"],
    shell:
        "python workflow/scripts/lac_outcomes_cli.py --log {log} simulate-england --out-dir {params.out_dir} "
        "--seed {params.seed} --years {params.years} --n-las {params.n_las} "
        "--children-per-la {params.children_per_la}"
