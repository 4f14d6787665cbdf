import os
import sys

from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

# The package lives in src/: importable here whether or not it is installed
# (a conda env built from environment.yml does not install it).
SRC = Path(workflow.basedir) / "src"
sys.path.insert(0, str(SRC))

from lac_outcomes import one_thread_per_job, skip_unused_iri_grammars

skip_unused_iri_grammars()  # before jsonschema is first imported: about 1 s of every snakemake start
one_thread_per_job()  # every rule asks for one core; the jobs inherit this process's environment

import jsonschema
import yaml

from lac_outcomes.cli import notebook_parameters
from lac_outcomes.england.layout import CORE_TABLES
from lac_outcomes.provenance import config_digest, package_sources
from lac_outcomes.scotland.clean import OPTIONAL_TABLES as SCOTLAND_OPTIONAL
from lac_outcomes.scotland.layout import TABLES as SCOTLAND_LAYOUT


def config_problem(config, schema_path):
    """The first fault in the config as one line naming the key ('' if none)."""
    schema = yaml.safe_load(Path(schema_path).read_text(encoding="utf-8"))
    errors = sorted(
        jsonschema.Draft202012Validator(schema).iter_errors(config),
        key=lambda e: list(map(str, e.absolute_path)),
    )
    if not errors:
        return ""
    where = ".".join(map(str, errors[0].absolute_path)) or "(top level)"
    return f"config {where}: {errors[0].message}"


SCHEMA = Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml"
if problem := config_problem(config, SCHEMA):
    raise WorkflowError(problem)
validate(config, schema=str(SCHEMA))  # fills in the defaults

COUNTRIES = ("scotland", "england")
TABLES = {"scotland": list(SCOTLAND_LAYOUT), "england": list(CORE_TABLES)}
NOTEBOOK_DIR = "notebooks"
PUBLISHED_FIGURES = "data/raw/published/published_figures.csv"


def synthetic(country):
    return config[country]["dataset"] == "synthetic"


def raw_dir(country):
    """Where a country's returns are read from: the synthetic ones the first rule writes, or the configured folder."""
    return (
        f"data/raw/synthetic/{country}"
        if synthetic(country)
        else config[country]["dataset"]
    )


def years(country):
    """Every year from first to last in the config, as the package functions take them."""
    span = config[country]["years"]
    return list(range(span["first"], span["last"] + 1))


def processed(country, name):
    return f"data/processed/{country}/{name}"


def truth_file(country):
    """Planted values to check the reports against: the synthetic run's, or a file named in config ('' if none)."""
    if config[country].get("truth"):
        return config[country]["truth"]
    return f"{raw_dir(country)}/truth.yaml" if synthetic(country) else ""


def raw_input(country):
    """Inputs of clean_<country>: the synthetic run's truth.yaml (written last), or the real folder and its files.

    The folder itself is an input, so a misspelt or missing dataset path stops the
    run before any job starts, naming it; every CSV under it is an input too, so a
    changed or added file reruns the cleaning.
    """
    if synthetic(country):
        return [f"{raw_dir(country)}/truth.yaml"]
    folder = Path(raw_dir(country))
    if country == "scotland":
        # A return may lack an optional table (permanence, aftercare): the cleaner reads it as empty.
        return [
            str(folder / f"{table}.csv")
            for table in TABLES[country]
            if table not in SCOTLAND_OPTIONAL or (folder / f"{table}.csv").exists()
        ]
    csvs = sorted(str(p) for p in folder.rglob("*") if p.suffix.lower() == ".csv")
    return [str(folder), *csvs]


def england_parts():
    """The read_england jobs: LA folders in batches of england.las_per_job, each named by its LA (or first-last LAs).

    Synthetic LAs are known once simulate_england (a checkpoint) has written them;
    a real dataset's LA folders are listed when the workflow starts.
    """
    if synthetic("england"):
        checkpoints.simulate_england.get()
    folder = Path(raw_dir("england"))
    las = (
        sorted(p.name for p in folder.iterdir() if p.is_dir())
        if folder.is_dir()
        else []
    )
    size = config["england"]["las_per_job"]
    batches = [las[i : i + size] for i in range(0, len(las), size)]
    return {(b[0] if len(b) == 1 else f"{b[0]}-{b[-1]}"): b for b in batches}


def england_part_files(wildcards):
    """Inputs of clean_england: every read_england job's output, in LA order.

    A real dataset's folder comes first, so a misspelt or missing path stops the
    run before any job starts, naming it.
    """
    parts = [f"data/interim/england/{part}.pickle" for part in england_parts()]
    return parts if synthetic("england") else [raw_dir("england"), *parts]


def england_part_input(wildcards):
    """Inputs of one read_england job: the synthetic run's truth.yaml, or its LA folders and their CSV and XML files.

    A changed or added file under an LA's folder reruns that LA's job only.
    """
    if synthetic("england"):
        return [f"{raw_dir('england')}/truth.yaml"]
    files = []
    for la in england_parts()[wildcards.part]:
        folder = Path(raw_dir("england")) / la
        files.append(str(folder))
        files += sorted(
            str(p) for p in folder.rglob("*") if p.suffix.lower() in (".csv", ".xml")
        )
    return files


def england_read_sources():
    """Package code a read_england job runs: the reader and england/clean.py (not the indicators it combines with)."""
    clean_module = [
        p
        for p in step_sources("lac_outcomes.england.clean")
        if p.endswith("england/clean.py")
    ]
    return sorted(set(step_sources("lac_outcomes.england.reader") + clean_module))


def raw_folder(raw):
    """The folder the returns are read from, from the clean job's inputs (so it works without a shared path)."""
    first = raw[0]
    return first if os.path.isdir(first) else os.path.dirname(first)


def step_sources(*modules):
    """The package source files a step runs (its modules and everything they import from the package)."""
    return package_sources(modules, SRC)


def notebook_pair(notebook):
    """The notebook and its py:percent pair: editing either reruns the report."""
    pair = Path(notebook).with_suffix(".py")
    return [notebook, str(pair)] if pair.exists() else [notebook]


def report_country(name):
    return config["reports"][name]["data"]


def report_data(name):
    """Processed files a report reads, by the data group named in config, and the published files it names."""
    if is_england_education(name):
        # The linked pupils; Scotland's returns feed the section that sets the two nations side by side.
        scotland = [processed("scotland", f"{t}.parquet") for t in TABLES["scotland"]]
        return [f"{PUPILS_DIR}/pupils.parquet", f"{PUPILS_DIR}/quality.json", *scotland]
    country = report_country(name)
    names = [f"{t}.parquet" for t in TABLES[country]] + ["quality.json"]
    if country == "england":
        names += ["indicators.parquet", "quarantine.parquet"]
    files = [processed(country, n) for n in names]
    # Reports compare with the published figures; a report parameter may name another published file (unit costs).
    files.append(PUBLISHED_FIGURES)
    files += published_parameters(name)
    if truth_file(country):
        files.append(truth_file(country))
    return files


def published_parameters(name):
    """Tracked published files a report's parameters name (paths relative to notebooks/): editing one reruns it."""
    values = config["reports"][name].get("parameters", {}).values()
    paths = [
        os.path.normpath(os.path.join(NOTEBOOK_DIR, v))
        for v in values
        if isinstance(v, str)
    ]
    return [
        p for p in paths if p.startswith("data/raw/published/") and os.path.isfile(p)
    ]


def report_sources(name):
    """Package code a report runs: the renderer and whatever the notebook imports from the package."""
    notebook = config["reports"][name]["notebook"]
    return package_sources(
        ["lac_outcomes.render"], SRC, notebooks=notebook_pair(notebook)[1:]
    )


def from_notebook_dir(path):
    """Paths handed to notebooks are relative to notebooks/, where they run."""
    return os.path.relpath(path, NOTEBOOK_DIR) if path else ""


def report_config(name):
    """The slice of the config a report depends on: changing another report's entry leaves this one alone."""
    country = report_country(name)
    return {
        "disclosure": config["disclosure"],
        country: config[country],
        "quarantine": config["quarantine"],
        "report": config["reports"][name],
    }


def report_parameters(name, results_path):
    """Papermill parameters of one report: the data paths its notebook declares, its own parameters from config.

    The paths and settings every report of a nation may take go only to a notebook that declares them
    (papermill warns of any other); a parameter set in the report's own config entry always goes.
    """
    country = report_country(name)
    parameters = {
        "disclosure_threshold": config["disclosure"]["threshold"],
        # Machine-readable results (estimates, figures) the notebook writes for tests and reuse.
        "results_path": from_notebook_dir(results_path),
        "processed_dir": from_notebook_dir(processed(country, "").rstrip("/")),
        "truth_path": from_notebook_dir(truth_file(country)),
    }
    if country == "scotland":
        parameters["published_figures"] = from_notebook_dir(PUBLISHED_FIGURES)
        # Synthetic wording and the observation period follow the config, not the data found.
        parameters["synthetic"] = synthetic(country)
        parameters["first_year"] = config[country]["years"]["first"]
        parameters["last_year"] = config[country]["years"]["last"]
    if is_england_education(name):
        parameters["processed_dir"] = from_notebook_dir(PUPILS_DIR)
        parameters["truth_path"] = from_notebook_dir(pupils_truth())
        parameters["scotland_dir"] = from_notebook_dir(
            processed("scotland", "").rstrip("/")
        )
    declared = notebook_parameters(config["reports"][name]["notebook"])
    parameters = {key: value for key, value in parameters.items() if key in declared}
    parameters.update(config["reports"][name].get("parameters", {}))
    return parameters
