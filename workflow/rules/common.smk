import json
import os
import sys

from pathlib import Path

from snakemake.utils import validate

# The package lives in src/: importable here whether or not it is installed.
# Jobs run workflow/scripts/lac_outcomes_cli.py with the interpreter snakemake
# runs in (the project's .venv), whatever is first on PATH; with --use-conda the
# rule's environment.yml env comes first.
sys.path.insert(0, str(Path(workflow.basedir) / "src"))
os.environ["PATH"] = os.pathsep.join(
    [str(Path(sys.executable).parent), os.environ["PATH"]]
)

from lac_outcomes.provenance import config_digest

validate(config, schema="../schemas/config.schema.yaml")

SCOTLAND_TABLES = ["children", "episodes", "pupils", "leavers"]
# SSDA903 tables every return holds (lac_outcomes.england.schema.CORE_TABLES).
ENGLAND_TABLES = [
    "Header",
    "Episodes",
    "UASC",
    "OC2",
    "OC3",
    "AD1",
    "PlacedAdoption",
    "PrevPerm",
    "Missing",
    "Reviews",
]
ENGLAND_SYNTHETIC = "data/raw/synthetic/england"
NOTEBOOK_DIR = "notebooks"


def scotland_years():
    years = config["scotland"]["years"]
    return f"{years['first']}-{years['last']}"


def scotland_raw_dir():
    dataset = config["scotland"]["dataset"]
    return "data/raw/synthetic/scotland" if dataset == "synthetic" else dataset


def scotland_truth():
    """Planted values to check the models against: scotland.truth, else the generator's; "" when none."""
    if config["scotland"].get("truth"):
        return config["scotland"]["truth"]
    if config["scotland"]["dataset"] == "synthetic":
        return f"{scotland_raw_dir()}/truth.yaml"
    return ""


def scotland_processed(table):
    return f"data/processed/scotland/{table}.parquet"


def england_years():
    years = config["england"]["years"]
    return f"{years['first']}-{years['last']}"


def england_raw_dir():
    dataset = config["england"]["dataset"]
    return ENGLAND_SYNTHETIC if dataset == "synthetic" else dataset


def england_raw_input():
    """What clean_england waits for: the synthetic run's truth.yaml (written last), or the real files."""
    if config["england"]["dataset"] == "synthetic":
        return f"{ENGLAND_SYNTHETIC}/truth.yaml"
    # Every CSV under the real folder, so a changed or added file reruns the cleaning.
    return sorted(
        str(p)
        for p in Path(config["england"]["dataset"]).rglob("*")
        if p.suffix.lower() == ".csv"
    )


def england_processed(table):
    return f"data/processed/england/{table}.parquet"


def report_data(name):
    """Processed files a report reads, by the data group named in config."""
    group = config["reports"][name]["data"]
    if group == "scotland":
        files = [scotland_processed(t) for t in SCOTLAND_TABLES]
        files += [
            "data/processed/scotland/quality.json",
            "data/raw/published/published_figures.csv",
        ]
        if scotland_truth():
            files.append(scotland_truth())
        return files
    if group == "england":
        files = [
            england_processed(t) for t in [*ENGLAND_TABLES, "indicators", "quarantine"]
        ]
        files.append("data/processed/england/quality.json")
        if config["england"]["dataset"] == "synthetic":
            files.append(f"{ENGLAND_SYNTHETIC}/truth.yaml")
        return files
    raise ValueError(f"unknown data group {group!r} for report {name!r}")


def from_notebook_dir(path):
    """Paths handed to notebooks are relative to notebooks/, where they run."""
    return os.path.relpath(path, NOTEBOOK_DIR)


def report_parameters(name):
    group = config["reports"][name]["data"]
    parameters = {
        "disclosure_threshold": config["disclosure"]["threshold"],
        # Machine-readable results (estimates, figures) the notebook writes for tests and reuse.
        "results_path": from_notebook_dir(f"results/{name}/results.json"),
    }
    if group == "scotland":
        parameters["processed_dir"] = from_notebook_dir("data/processed/scotland")
        parameters["published_figures"] = from_notebook_dir(
            "data/raw/published/published_figures.csv"
        )
        parameters["truth_path"] = (
            from_notebook_dir(scotland_truth()) if scotland_truth() else ""
        )
        parameters["synthetic"] = config["scotland"]["dataset"] == "synthetic"
        parameters["first_year"] = config["scotland"]["years"]["first"]
        parameters["last_year"] = config["scotland"]["years"]["last"]
    if group == "england":
        parameters["processed_dir"] = from_notebook_dir("data/processed/england")
        parameters["truth_path"] = (
            from_notebook_dir(f"{ENGLAND_SYNTHETIC}/truth.yaml")
            if config["england"]["dataset"] == "synthetic"
            else ""
        )
    parameters.update(config["reports"][name].get("parameters", {}))
    return parameters


CONFIG_SHA256 = config_digest(config)
