"""Provenance for every rendered report: what produced it, from what, with what."""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import json
import platform
import subprocess
from functools import cache
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
]


def config_digest(config: dict) -> str:
    """sha256 of the config as canonical JSON: equal configs give equal digests."""
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _module_file(module: str, src: Path) -> Path | None:
    base = src.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_names(path: Path, module: str) -> list[str]:
    """Absolute names of what ``path`` imports (``from x import y`` gives both ``x`` and ``x.y``)."""
    # Snakemake asks for the sources of every job when it starts: each file is parsed once per
    # process (and again only if it changes), not once per job.
    stat = Path(path).stat()
    return list(_parsed_imports(str(path), module, stat.st_mtime_ns, stat.st_size))


@cache
def _parsed_imports(path: str, module: str, mtime_ns: int, size: int) -> tuple[str, ...]:
    path = Path(path)
    is_package = path.name == "__init__.py"
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                package = module.split(".")[: len(module.split(".")) - node.level + is_package]
                base = ".".join([*package, *([base] if base else [])])
            names += [base, *(f"{base}.{alias.name}" for alias in node.names)]
    return tuple(names)


def package_sources(modules, src: Path, *, notebooks=()) -> list[str]:
    """Source files under ``src`` that ``modules`` (and the scripts ``notebooks``) run, imports followed.

    A rule declares these as inputs, so editing a module reruns exactly the rules
    whose outputs it can change. Paths are relative to the current directory when
    ``src`` is under it, as Snakemake inputs are.
    """
    src = Path(src)
    pending = list(modules)
    for script in notebooks:
        pending += [n for n in _imported_names(Path(script), "__main__") if n.split(".")[0] == "lac_outcomes"]
    seen: dict[str, Path] = {}
    while pending:
        name = pending.pop()
        parts = name.split(".")
        # A module's parent packages run first (their __init__), so they count too.
        pending += [".".join(parts[:i]) for i in range(1, len(parts)) if ".".join(parts[:i]) not in seen]
        path = _module_file(name, src)
        if name in seen or path is None:
            continue
        seen[name] = path
        pending += [n for n in _imported_names(path, name) if n.split(".")[0] == "lac_outcomes" and n not in seen]
    cwd = Path.cwd().resolve()
    files = set()
    for path in seen.values():
        resolved = path.resolve()
        files.add(str(resolved.relative_to(cwd)) if resolved.is_relative_to(cwd) else str(resolved))
    return sorted(files)


def git_commit(repo: Path | None = None) -> str:
    """The checked-out commit, with ``-dirty`` when tracked files have changed."""
    cwd = repo or Path.cwd()
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
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
        "run_date": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
    }


def to_html(record: dict) -> str:
    """The provenance block appended to each report."""

    def text(value):
        return value if isinstance(value, str) else json.dumps(value)

    def rows(mapping):
        return "".join(
            f"<tr><th>{escape(str(k))}</th><td><code>{escape(text(v))}</code></td></tr>" for k, v in mapping.items()
        )

    return (
        "<section id='provenance' class='provenance'><h2>Provenance</h2>"
        "<table class='provenance-table'>"
        f"<tr><th>Git commit</th><td><code>{escape(record['git_commit'])}</code></td></tr>"
        "<tr><th>Config digest (sha256 of the settings this report uses)</th>"
        f"<td><code>{escape(record['config_sha256'])}</code></td></tr>"
        f"<tr><th>Run date (UTC)</th><td class='run-date'>{escape(record['run_date'])}</td></tr>"
        "</table>"
        f"<h3>Parameters</h3><table class='provenance-table'>{rows(record['parameters'])}</table>"
        f"<h3>Input checksums (sha256)</h3><table class='provenance-table'>{rows(record['inputs_sha256'])}</table>"
        f"<h3>Package versions</h3><table class='provenance-table'>{rows(record['packages'])}</table>"
        "</section>"
    )
