# One command to run the pipeline, one to run the tests; each bootstraps .venv
# from the pinned lock file when it is missing or older than the pins.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format notebooks benchmark clean-outputs

run: $(STAMP)
	$(BIN)/snakemake

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile workflow/rules

format: $(STAMP)
	$(BIN)/snakefmt Snakefile workflow/rules

# After editing a notebook's .py (or .ipynb) outside JupyterLab: pair, then strip as git will.
notebooks: $(STAMP)
	cd notebooks && ../$(BIN)/jupytext --sync *.py
	$(BIN)/nbstripout notebooks/*.ipynb

benchmark: $(STAMP)
	$(BIN)/python benchmarks/render_overhead.py

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	# Register the venv's kernel so JupyterLab and papermill find "python3" here.
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (lac-outcomes)"
	# Strip notebook outputs on commit (they can hold data); only inside a git checkout.
	if git rev-parse --git-dir >/dev/null 2>&1; then $(BIN)/nbstripout --install; fi
	# Debian's chromium for the screenshot tests (as root, when missing; otherwise says what to install).
	sh scripts/install_system_packages.sh
	touch $(STAMP)

clean-outputs:
	rm -rf data/processed/* reports/* results/* logs/ .snakemake/
