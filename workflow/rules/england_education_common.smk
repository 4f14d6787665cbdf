# Helpers of workflow/rules/england_education.smk (issue 17): where the linked pupil table comes from, and what
# the English education report reads.
ENGLAND_EDUCATION_NOTEBOOK = "notebooks/education_england.ipynb"
PUPILS_DIR = "data/processed/england_education"


def pupils_source():
    """The linked pupil table: written by simulate_england beside the synthetic returns, or the configured file."""
    setting = config["england"].get("pupils", "synthetic")
    if setting != "synthetic":
        return setting
    if not synthetic("england"):
        raise WorkflowError(
            "config england.pupils: 'synthetic' needs england.dataset 'synthetic'; "
            "give the path of the linked pupil file for real returns"
        )
    return f"{raw_dir('england')}/pupils.csv"


def pupils_input(wildcards):
    """Input of clean_england_pupils; a function, so a config it cannot use stops the run only when it is needed.

    Synthetic: truth.yaml, which simulate_england writes after the pupil file, so the file is complete once it exists.
    """
    source = pupils_source()
    synthetic_pupils = config["england"].get("pupils", "synthetic") == "synthetic"
    return f"{raw_dir('england')}/truth.yaml" if synthetic_pupils else source


def pupils_truth():
    """Planted values of the synthetic pupil table ('' for a real one)."""
    synthetic_pupils = config["england"].get("pupils", "synthetic") == "synthetic"
    return f"{raw_dir('england')}/pupils_truth.yaml" if synthetic_pupils else ""


def is_england_education(name):
    return config["reports"][name]["notebook"] == ENGLAND_EDUCATION_NOTEBOOK
