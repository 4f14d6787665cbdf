# One command to run the pipeline, one to run the tests; each bootstraps .venv
# from the pinned lock file when it is missing or older than the pins.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint format notebooks benchmark clean-outputs

# What ruff checks and formats: the package, the tests, the notebooks' py:percent pairs, the rules' scripts.
PY_SOURCES := src tests notebooks/*.py workflow/scripts benchmarks

# SLURM_CONF: the SLURM plugin asks `scontrol` for a default at every snakemake start, which waits
# 10 s where SLURM is installed but its controller is not running; a local run needs no SLURM.
run: $(STAMP)
	SLURM_CONF=/dev/null $(BIN)/snakemake

# Everything, as CI runs it (.ci/run): unit tests, linters, end-to-end pipeline runs.
test: $(STAMP)
	$(BIN)/python -m pytest

# The edit loop: unit tests only (no end-to-end runs, no real SLURM).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not pipeline and not slurm" -q

lint: $(STAMP)
	$(BIN)/ruff check $(PY_SOURCES)
	$(BIN)/ruff format --check $(PY_SOURCES)
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile workflow/rules

format: $(STAMP)
	$(BIN)/ruff format $(PY_SOURCES)
	$(BIN)/ruff check --fix $(PY_SOURCES)
	$(BIN)/snakefmt Snakefile workflow/rules

# After editing a notebook's .py (or .ipynb) outside JupyterLab: pair, then strip as git will.
notebooks: $(STAMP)
	cd notebooks && ../$(BIN)/jupytext --sync *.py
	$(BIN)/nbstripout notebooks/*.ipynb

benchmark: $(STAMP)
	$(BIN)/python benchmarks/render_overhead.py
	$(BIN)/python benchmarks/noop_rerun.py

$(STAMP): requirements.lock requirements-slurm.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	# The SLURM executor plugin (small; lets the profile test dry-run profiles/slurm anywhere).
	$(BIN)/python -m pip install --quiet -r requirements-slurm.lock -c requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	# Register the venv's kernel so JupyterLab and papermill find "python3" here.
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (lac-outcomes)"
	# Strip notebook outputs on commit (they can hold data); only inside a git checkout. Refresh the index
	# first, while no filter is set: a fresh clone's notebooks are "racily clean", and once the filter is
	# set, the first `git status` (a report's provenance) runs nbstripout on every one, about 10 s.
	if git rev-parse --git-dir >/dev/null 2>&1; then git update-index -q --refresh; $(BIN)/nbstripout --install; fi
	# Debian's chromium for the screenshot tests (as root, when missing; otherwise says what to install).
	sh scripts/install_system_packages.sh
	touch $(STAMP)

clean-outputs:
	rm -rf data/processed/* reports/* results/* logs/ .snakemake/
