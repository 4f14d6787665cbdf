"""Provenance for every rendered report: what produced it, from what, with what."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import subprocess
from html import escape
from importlib import metadata
from pathlib import Path

from lac_outcomes.io import sha256_file

PACKAGES = [
    "lac-outcomes",
    "snakemake",
    "papermill",
    "nbconvert",
    "pandas",
    "numpy",
    "statsmodels",
    "scipy",
    "seaborn",
    "matplotlib",
    "pyarrow",
    "pandera",
]


def config_digest(config: dict) -> str:
    """sha256 of the config as canonical JSON: equal configs give equal digests."""
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def git_commit(repo: Path | None = None) -> str:
    """The checked-out commit, with ``-dirty`` when tracked files have changed."""
    cwd = repo or Path.cwd()
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{commit}-dirty" if dirty else commit


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def input_checksums(paths) -> dict[str, str]:
    """sha256 of each input file, keyed by its path as given (relative paths stay relative)."""
    return {str(p): sha256_file(p) for p in sorted(map(str, paths)) if Path(p).is_file()}


def collect(*, inputs, parameters: dict, config_sha256: str, repo: Path | None = None) -> dict:
    return {
        "git_commit": git_commit(repo),
        "config_sha256": config_sha256,
        "inputs_sha256": input_checksums(inputs),
        "parameters": parameters,
        "packages": package_versions(),
        "run_date": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
    }


def to_html(record: dict) -> str:
    """The provenance block appended to each report."""

    def rows(mapping):
        return "".join(
            f"<tr><th>{escape(str(k))}</th><td><code>{escape(json.dumps(v) if not isinstance(v, str) else v)}</code></td></tr>"
            for k, v in mapping.items()
        )

    return (
        "<section id='provenance' class='provenance'><h2>Provenance</h2>"
        "<table class='provenance-table'>"
        f"<tr><th>Git commit</th><td><code>{escape(record['git_commit'])}</code></td></tr>"
        f"<tr><th>Config digest (sha256)</th><td><code>{escape(record['config_sha256'])}</code></td></tr>"
        f"<tr><th>Run date (UTC)</th><td class='run-date'>{escape(record['run_date'])}</td></tr>"
        "</table>"
        f"<h3>Parameters</h3><table class='provenance-table'>{rows(record['parameters'])}</table>"
        f"<h3>Input checksums (sha256)</h3><table class='provenance-table'>{rows(record['inputs_sha256'])}</table>"
        f"<h3>Package versions</h3><table class='provenance-table'>{rows(record['packages'])}</table>"
        "</section>"
    )
