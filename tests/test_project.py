"""Project hygiene: pins agree, notebooks paired and stripped, no record-level data tracked."""

import re
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            pins[_canonical(name)] = version.strip()
    return pins


def test_environment_yml_pins_agree_with_the_lock_file():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins = lock_pins()
    checked = 0
    for dependency in environment["dependencies"]:
        if not isinstance(dependency, str) or "=" not in dependency or dependency.startswith("python="):
            continue
        name, version = dependency.split("=", 1)
        assert pins.get(_canonical(name)) == version, (
            f"{name}: environment.yml {version}, requirements.lock {pins.get(_canonical(name))}"
        )
        checked += 1
    assert checked >= 10


def test_pyproject_pins_agree_with_the_lock_file():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = lock_pins()
    for requirement in project["dependencies"] + project["optional-dependencies"]["dev"]:
        name, version = requirement.split("==")
        assert pins[_canonical(name)] == version, requirement


def tracked_files() -> list[str]:
    return subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.splitlines()


def test_no_record_level_data_is_tracked():
    data = [f for f in tracked_files() if f.startswith("data/")]
    allowed = re.compile(r"^data/(raw/published/[^/]+\.csv|raw/README\.md|processed/\.gitkeep)$")
    assert [f for f in data if not allowed.match(f)] == []
    assert not [f for f in tracked_files() if f.endswith((".parquet", ".feather"))]


def test_notebooks_are_paired_stripped_and_parameterised():
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        assert nb.metadata["kernelspec"]["name"] == "python3", path.name
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), f"{path.name} has outputs"
        assert sum("parameters" in c.metadata.get("tags", []) for c in code) == 1, path.name
        assert sum("summary" in c.metadata.get("tags", []) for c in code) == 1, path.name
        # Exactly as nbstripout (the git filter the set-up installs) leaves it, or every clone shows it modified.
        stripped = subprocess.run(
            [str(Path(sys.executable).parent / "nbstripout"), "-t"],
            input=path.read_text(),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert stripped == path.read_text(), f"{path.name} is not in stripped form: run make notebooks"
        paired = path.with_suffix(".py")
        assert paired.exists(), f"{path.name} has no py:percent pair"
        script = jupytext.read(paired)
        assert [c.source for c in script.cells] == [c.source for c in nb.cells], (
            f"{path.name} and {paired.name} differ: run jupytext --sync"
        )


def test_scottish_layout_document_matches_the_code():
    from lac_outcomes.scotland.layout import to_markdown

    assert (ROOT / "docs/scottish_layout.md").read_text() == to_markdown(), (
        "regenerate docs/scottish_layout.md from layout.to_markdown()"
    )
