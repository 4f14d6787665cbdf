"""lac-outcomes: outcomes of looked-after children in Scotland and England."""

__version__ = "0.1.0"


def skip_unused_iri_grammars() -> None:
    """Let jsonschema import without rfc3987_syntax, which it would use only to check IRI formats.

    With rfc3987-syntax installed (jupyterlab's dependencies pull it in) jsonschema builds
    some 40 grammars when imported: about 1 s of CPU in every process that imports it
    (a snakemake start, a render).  Neither the config schema nor notebook validation
    checks an IRI format.  Call before jsonschema (or nbformat) is first imported.
    """
    import sys

    sys.modules.setdefault("rfc3987_syntax", None)


# The variables the numerical libraries under numpy, scipy and statsmodels read for their thread count.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


def one_thread_per_job() -> None:
    """Let the jobs snakemake starts use the one core each asks for (``threads: 1``), unless the user says otherwise.

    Snakemake sets these variables from a job's threads for ``shell:`` rules, not for ``script:`` rules
    like ours: OpenBLAS then starts a thread per core in every job, and two jobs on two cores spin
    against each other.  Measured on this project's 2-core machine with the cores busy:
    simulate_scotland took 72 s of wall time and 24 s of CPU with two threads, 28 s and 11 s with one.
    Call in the snakemake process before any job starts (the jobs inherit its environment).
    """
    import os

    for variable in THREAD_VARIABLES:
        os.environ.setdefault(variable, "1")
