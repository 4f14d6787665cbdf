# England's education outcomes (issue 17): the linked pupil table, checked and linked to the 903.


include: "england_education_common.smk"


rule clean_england_pupils:
    """Check the linked pupil table and link it to the 903: lac_outcomes.england.education.clean_education."""
    input:
        pupils=pupils_input,
        header="data/processed/england/Header.parquet",
        episodes="data/processed/england/Episodes.parquet",
        code=step_sources("lac_outcomes.england.education"),
    output:
        pupils=f"{PUPILS_DIR}/pupils.parquet",
        quarantine=f"{PUPILS_DIR}/quarantine.parquet",
        quality=f"{PUPILS_DIR}/quality.json",
    log:
        "logs/clean_england_pupils/clean_england_pupils.log",
    # ahead of ready Scottish reports: the longest chain (see read_england)
    priority: 1
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        # Not measured at national scale: about the size of clean_england's Episodes, doubled on each retry.
        mem_mb=lambda wildcards, attempt: 2000 * attempt,
        runtime=20,
    params:
        pupils=lambda w: pupils_source(),
        flag_share=config["quarantine"]["flag_share"],
    script:
        "../scripts/clean_england_pupils.py"
