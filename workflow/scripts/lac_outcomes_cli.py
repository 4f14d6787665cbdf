"""Entry point for the rules: the package's CLI, importable from src/ whether or not it is installed.

In the project's .venv the package is installed; in a conda env that snakemake
builds from environment.yml (--use-conda) it is not, so src/ goes on the path.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from lac_outcomes.cli import main  # noqa: E402

sys.exit(main())
