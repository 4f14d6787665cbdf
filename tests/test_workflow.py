"""The workflow layer: config that cannot be wrong silently, no input that reaches code,
profiles that compose, reruns that follow what changed, linters clean."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from pipeline_support import ROOT, SNAKEMAKE, copy_project, copy_run, planned_jobs, processed_bytes, snakemake
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from lac_outcomes import cli
from lac_outcomes.provenance import package_sources

SCHEMA = str(ROOT / "workflow" / "schemas" / "config.schema.yaml")
BIN = Path(sys.executable).parent


def default_config() -> dict:
    return yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


def refusal(config: dict) -> str:
    """The schema's message for ``config``, which must be refused."""
    with pytest.raises(WorkflowError) as refused:
        validate(copy.deepcopy(config), SCHEMA)
    return str(refused.value)


# --- config schema -----------------------------------------------------------------------------


def test_the_default_and_test_configs_are_valid():
    for path in [ROOT / "config" / "config.yaml", *sorted((ROOT / "tests" / "config").glob("*.yaml"))]:
        validate(yaml.safe_load(path.read_text()), SCHEMA)


@pytest.mark.parametrize(
    "section, key",
    [
        ([], "reprots"),
        (["disclosure"], "threshhold"),
        (["england", "synthetic"], "nlas"),
        (["scotland", "years"], "frist"),
        (["reports", "calibration"], "paramters"),
        (["quarantine"], "flagshare"),
    ],
)
def test_a_misspelt_key_at_any_level_is_an_error_naming_it(section, key):
    config = default_config()
    config.setdefault("quarantine", {})
    target = config
    for name in section:
        target = target[name]
    target[key] = 10
    assert key in refusal(config)


def test_the_disclosure_threshold_cannot_go_below_3():
    config = default_config()
    for threshold in (0, 1, 2):
        config["disclosure"]["threshold"] = threshold
        assert "threshold" in refusal(config) or "minimum" in refusal(config)
    config["disclosure"]["threshold"] = 3
    validate(config, SCHEMA)


@pytest.mark.parametrize("name", ["../x", "x/../../etc", "reports/x", "my report", "class", ""])
def test_report_names_are_identifiers_so_outputs_stay_under_reports_and_results(name):
    config = default_config()
    config["reports"][name] = {"notebook": "notebooks/calibration.ipynb", "data": "scotland"}
    refusal(config)


@pytest.mark.parametrize("name", ["__import__('os').system('touch pwned')", "x=1;y", "import", "a b", "1x"])
def test_report_parameter_names_that_are_not_identifiers_are_refused(name):
    config = default_config()
    config["reports"]["calibration"]["parameters"][name] = 1
    refusal(config)


def test_a_notebook_outside_notebooks_is_refused():
    config = default_config()
    config["reports"]["calibration"]["notebook"] = "../elsewhere/calibration.ipynb"
    refusal(config)


def test_keys_other_work_adds_have_their_defaults():
    config = default_config()
    for key in ("quarantine",):
        config.pop(key, None)
    for country in ("scotland", "england"):
        config[country].pop("truth", None)
    config["england"].pop("history", None)
    validate(config, SCHEMA)
    assert config["quarantine"]["flag_share"] == 0.02
    assert config["england"]["history"] == "submitted"
    assert config["scotland"]["truth"] is None and config["england"]["truth"] is None
    for bad in ({"quarantine": {"flag_share": 1.5}}, {"england": {**config["england"], "history": "mergd"}}):
        refusal({**config, **bad})


def test_a_refused_config_stops_snakemake_with_a_message_naming_the_key(tmp_path):
    workdir = copy_project(tmp_path / "project")
    config = yaml.safe_load((ROOT / "tests/config/small.yaml").read_text())
    config["disclosure"]["threshhold"] = 10
    (workdir / "bad.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(workdir, "--dry-run", configfile="bad.yaml", check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert (
        "config disclosure: Additional properties are not allowed ('threshhold' was unexpected)" in output.splitlines()
    )
    assert "Traceback" not in output


# --- no input reaches code ------------------------------------------------------------------------


def test_parameter_names_are_checked_before_papermill_sees_them():
    cli.check_parameter_names({"year": 2020, "outcome": "attendance"}, "test")
    for name in ["__import__('os').system('touch pwned')", "x=1", "lambda", "", 3]:
        with pytest.raises(cli.ConfigError, match="not Python identifiers"):
            cli.check_parameter_names({name: 1}, "config reports.x.parameters")


def test_the_render_command_refuses_a_parameter_name_that_is_python_with_one_line(tmp_path):
    result = subprocess.run(
        [
            sys.executable, "-m", "lac_outcomes", "render", "--notebook", "notebooks/calibration.ipynb",
            "--executed", str(tmp_path / "x.ipynb"), "--html", str(tmp_path / "x.html"),
            "--meta", str(tmp_path / "m.json"),
            "--config-sha256", "0", "--parameters", json.dumps({"__import__('os').system('touch pwned')": 1}),
        ],
        cwd=tmp_path, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if "ERROR" in line and "lac-outcomes render" in line]
    assert len(errors) == 1 and "not Python identifiers" in errors[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "x.html").exists()


def test_an_option_the_package_does_not_take_yet_is_refused_unless_default():
    def clean(raw_dir, *, years, flag_share=0.02):
        return raw_dir

    options = {
        "flag_share": ("quarantine.flag_share", 0.05, 0.02),
        "history": ("england.history", "submitted", "submitted"),
    }
    assert cli.supported_options(clean, options) == {"flag_share": 0.05}
    options["history"] = ("england.history", "merged", "submitted")
    with pytest.raises(cli.ConfigError, match="england.history"):
        cli.supported_options(clean, options)


def test_a_notebook_out_of_step_with_its_pair_stops_with_one_message(tmp_path):
    for suffix in (".ipynb", ".py"):
        (tmp_path / f"calibration{suffix}").write_bytes((ROOT / "notebooks" / f"calibration{suffix}").read_bytes())
    cli.notebook_in_step(tmp_path / "calibration.ipynb")
    pair = tmp_path / "calibration.py"
    pair.write_text(pair.read_text().replace("# # Calibration:", "# # Calibration (edited):", 1))
    with pytest.raises(cli.ConfigError, match="make notebooks"):
        cli.notebook_in_step(tmp_path / "calibration.ipynb")


HOSTILE = "data/raw/my returns $(touch pwned) `touch pwned2`"


@pytest.mark.pipeline
def test_a_dataset_path_with_spaces_and_shell_syntax_is_read_literally(tmp_path):
    from lac_outcomes.england.simulate import simulate_england
    from lac_outcomes.scotland.simulate import simulate_scotland

    workdir = copy_project(tmp_path / "project")
    years = [2019, 2020, 2021]
    simulate_scotland(
        workdir / HOSTILE / "scotland", seed=7, years=years, scale=0.1, local_authorities=["S12000036"],
        published_figures=ROOT / "data/raw/published/published_figures.csv",
    )  # fmt: skip
    simulate_england(workdir / HOSTILE / "england", seed=11, years=years, n_las=1, children_per_la=30)
    config = yaml.safe_load((ROOT / "tests/config/small.yaml").read_text())
    config["scotland"]["dataset"] = f"{HOSTILE}/scotland"
    config["england"]["dataset"] = f"{HOSTILE}/england"
    (workdir / "hostile.yaml").write_text(yaml.safe_dump(config))
    targets = ["data/processed/scotland/quality.json", "data/processed/england/quality.json"]
    snakemake(workdir, *targets, configfile="hostile.yaml")
    for target in targets:
        counts = json.loads((workdir / target).read_text())["tables"]
        assert counts and all(c["rows_in"] == c["rows_kept"] + c["rows_quarantined"] for c in counts.values())
    assert not list(tmp_path.rglob("pwned*")) and not (ROOT / "pwned").exists()


@pytest.mark.parametrize("country", ["scotland", "england"])
def test_a_missing_dataset_folder_stops_the_run_naming_it(tmp_path, country):
    workdir = copy_project(tmp_path / "project")
    config = yaml.safe_load((ROOT / "tests/config/small.yaml").read_text())
    config[country]["dataset"] = "data/raw/no such folder"
    (workdir / "missing.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(workdir, "--dry-run", configfile="missing.yaml", check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"Missing input files for rule clean_{country}:" in output
    assert "data/raw/no such folder" in output
    assert "Traceback" not in output


# --- England spreads: one read job per LA, then one combining job ----------------------------------


def with_england(workdir: Path, name: str, **england) -> str:
    """A copy of the small config with some england keys changed, written into ``workdir``."""
    config = yaml.safe_load((ROOT / "tests/config/small.yaml").read_text())
    config["england"].update(england)
    (workdir / name).write_text(yaml.safe_dump(config))
    return name


def test_england_read_one_job_per_la_gives_the_processed_bytes_of_one_job(reference_run, tmp_path):
    reference, _ = reference_run
    run = copy_run(reference, tmp_path / "run")
    per_la = with_england(run, "per_la.yaml", las_per_job=1)
    target = "data/processed/england/quality.json"
    assert planned_jobs(run, target, configfile=per_la) == {"read_england": 3, "clean_england": 1}
    snakemake(run, target, configfile=per_la)
    assert len(list((run / "data/interim/england").glob("E*.pickle"))) == 3 + 1  # three LAs; the batch of three
    england = {k: v for k, v in processed_bytes(run).items() if "/england/" in k}
    assert england == {k: v for k, v in processed_bytes(reference).items() if "/england/" in k}


def test_a_bad_la_stops_the_run_naming_that_la_and_the_others_are_read(tmp_path):
    from lac_outcomes.england.simulate import simulate_england

    workdir = copy_project(tmp_path / "project")
    returns = workdir / "data/raw/returns"
    simulate_england(returns, seed=11, years=[2019, 2020, 2021], n_las=2, children_per_la=30)
    bad_la, good_la = sorted(p.name for p in returns.iterdir() if p.is_dir())
    episodes = next(p for p in (returns / bad_la).iterdir() if "2020" in p.name and "pisode" in p.name)
    lines = episodes.read_text().splitlines()
    start = lines[0].split(",").index("DECOM")
    # Every episode start unreadable: the file loses every row, which stops the run (README, "Bad input").
    body = [",".join(f if i != start else "2020-13-45" for i, f in enumerate(line.split(","))) for line in lines[1:]]
    episodes.write_text("\n".join([lines[0], *body]) + "\n")
    config = with_england(workdir, "bad_la.yaml", dataset="data/raw/returns", las_per_job=1)
    result = snakemake(workdir, "--keep-going", "data/processed/england/quality.json", configfile=config, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    line = next(x for x in output.splitlines() if "ERROR:" in x)
    assert line.startswith(f"lac-outcomes read_england {bad_la}: ERROR: ") and episodes.name in line
    assert "Traceback" not in output
    # Each LA is its own job: the others finish, so a rerun after the fix reads the bad LA only.
    assert (workdir / f"data/interim/england/{good_la}.pickle").exists()
    assert not (workdir / f"data/interim/england/{bad_la}.pickle").exists()
    assert not (workdir / "data/processed/england/quality.json").exists()


# --- reruns follow what changed --------------------------------------------------------------------


def write_module(root: Path, name: str, text: str) -> None:
    path = root.joinpath(*name.split(".")).with_suffix(".py")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_package_sources_follow_imports_within_the_package_only(tmp_path, monkeypatch):
    src = tmp_path / "src"
    write_module(src, "lac_outcomes.__init__", "")
    write_module(src, "lac_outcomes.a.__init__", "")
    write_module(
        src, "lac_outcomes.a.step", "import json\nfrom . import helper\nfrom lac_outcomes.shared import thing\n"
    )
    write_module(src, "lac_outcomes.a.helper", "from ..deep.leaf import f\n")
    write_module(src, "lac_outcomes.deep.__init__", "")
    write_module(src, "lac_outcomes.deep.leaf", "def f(): pass\n")
    write_module(src, "lac_outcomes.shared", "thing = 1\n")
    write_module(src, "lac_outcomes.unused", "import lac_outcomes.a.step\n")
    notebook = tmp_path / "analysis.py"
    notebook.write_text("# %%\nimport lac_outcomes.unused as u\n")
    monkeypatch.chdir(tmp_path)
    expected = {
        "src/lac_outcomes/__init__.py",
        "src/lac_outcomes/a/__init__.py",
        "src/lac_outcomes/a/step.py",
        "src/lac_outcomes/a/helper.py",
        "src/lac_outcomes/deep/__init__.py",
        "src/lac_outcomes/deep/leaf.py",
        "src/lac_outcomes/shared.py",
    }
    assert set(package_sources(["lac_outcomes.a.step"], src)) == expected
    assert set(package_sources([], src, notebooks=[notebook])) == expected | {"src/lac_outcomes/unused.py"}


@pytest.fixture
def finished(reference_run, tmp_path):
    """A copy of the finished small run to edit."""
    reference, _ = reference_run
    return copy_run(reference, tmp_path / "run")


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def rendered_reports(workdir: Path) -> set[str]:
    """The reports a dry run would render (render_report is the one rule with a ``report`` wildcard)."""
    return set(re.findall(r"wildcards: report=(\w+)", snakemake(workdir, "--dry-run").stdout))


# Reports reading England's processed returns, and the Scottish reports whose notebook also serves England (it
# imports England's modules, so editing one reruns them too).
ENGLAND_REPORTS = {
    "calibration_england",
    "data_quality_england",
    "care_matters_indicators",
    "projection_england",
    "permanence_england",
    "stability_england",
    "education_england",
    "leaving_care_england",
}
SHARED_NOTEBOOK_REPORTS = {"projection_scotland", "permanence", "stability", "leaving_care"}


def test_editing_a_package_module_reruns_the_rules_that_use_it(finished):
    append(finished / "src/lac_outcomes/england/indicators.py", "\n# edited\n")
    reports = ENGLAND_REPORTS | SHARED_NOTEBOOK_REPORTS
    assert planned_jobs(finished) == {
        "clean_england": 1,
        "clean_england_pupils": 1,  # it links to the restacked Header and Episodes
        "render_report": len(reports),
        "index": 1,
        "all": 1,
    }
    assert rendered_reports(finished) == reports


def test_editing_the_england_reader_rereads_the_las_then_restacks(finished):
    # The generator writes returns without the reader, so the synthetic data is not redrawn; no notebook
    # imports the reader, so only the reports on England's restacked data rerun.
    append(finished / "src/lac_outcomes/england/reader.py", "\n# edited\n")
    assert planned_jobs(finished) == {
        "read_england": 1,
        "clean_england": 1,
        "clean_england_pupils": 1,
        "render_report": len(ENGLAND_REPORTS),
        "index": 1,
        "all": 1,
    }
    assert rendered_reports(finished) == ENGLAND_REPORTS


def test_editing_a_module_one_notebook_imports_reruns_only_that_report(finished):
    append(finished / "src/lac_outcomes/scotland/calibration.py", "\n# edited\n")
    assert planned_jobs(finished) == {"render_report": 1, "index": 1, "all": 1}
    assert "results/calibration/results.json" in snakemake(finished, "--dry-run").stdout


def test_editing_a_notebooks_py_pair_reruns_its_report(finished):
    append(finished / "notebooks/home_supervision.py", "\n# %%\n# edited\n")
    assert planned_jobs(finished) == {"render_report": 1, "index": 1, "all": 1}


def test_changing_one_reports_title_reruns_that_report_only(finished):
    config = yaml.safe_load((finished / "tests/config/small.yaml").read_text())
    config["reports"]["data_quality"]["title"] = "Data quality: Scottish returns (edited)"
    (finished / "edited.yaml").write_text(yaml.safe_dump(config))
    assert planned_jobs(finished, configfile="edited.yaml") == {"render_report": 1, "index": 1, "all": 1}
    assert "reports/data_quality.html" in snakemake(finished, "--dry-run", configfile="edited.yaml").stdout


# --- profiles -------------------------------------------------------------------------------------


def job_resources(dry_run_output: str) -> dict[str, list[str]]:
    """Each job's ``resources:`` line, by rule, from a dry run's job listing."""
    jobs, rule = {}, None
    for line in dry_run_output.splitlines():
        if match := re.match(r"^(?:local)?(?:rule|checkpoint) (\w+):", line.strip()):
            rule = match.group(1)
        elif rule and line.strip().startswith("resources:"):
            jobs.setdefault(rule, []).append(line.strip())
    return jobs


def test_the_default_profile_holds_nothing_a_cluster_profile_sets():
    default = yaml.safe_load((ROOT / "profiles/default/config.yaml").read_text())
    slurm = yaml.safe_load((ROOT / "profiles/slurm/config.yaml").read_text())
    # snakemake applies profiles/default on top of --profile, key by key: a shared key would override the cluster's.
    assert not set(default) & set(slurm)
    assert {"slurm_account", "slurm_partition"} <= set(slurm["default-resources"])
    assert slurm["latency-wait"] >= 60 and slurm["retries"] >= 1
    # short jobs: the first status poll after a submission comes in seconds, not the plugin's 40
    assert slurm["slurm-init-seconds-before-status-checks"] <= 15


def test_the_slurm_profiles_account_and_partition_reach_every_job(tmp_path):
    pytest.importorskip(
        "snakemake_executor_plugin_slurm", reason="the SLURM plugin: pip install -r requirements-slurm.lock"
    )
    workdir = copy_project(tmp_path / "project")
    profile = workdir / "profiles/slurm/config.yaml"
    # As a user would: edit the account and partition in the profile.
    profile.write_text(profile.read_text().replace('"CHANGE_ME"', '"proj123"').replace('"standard"', '"short"'))
    result = snakemake(workdir, "--profile", "profiles/slurm", "--dry-run")
    jobs = job_resources(result.stdout)
    assert set(jobs) >= {
        "simulate_scotland",
        "simulate_england",
        "clean_scotland",
        "clean_england",
        "render_report",
        "index",
    }
    for rule, lines in jobs.items():
        if rule == "all":
            continue  # a local rule: nothing is submitted
        for line in lines:
            assert "slurm_account=proj123" in line and "slurm_partition=short" in line, (rule, line)
            assert re.search(r"\bmem_mb=\d+", line) and re.search(r"\bruntime=\d+", line), (rule, line)


def test_memory_grows_with_each_attempt():
    rules = "\n".join(p.read_text() for p in sorted((ROOT / "workflow/rules").glob("*.smk")))
    requests = re.findall(r"mem_mb=(.+)", rules)
    assert requests and all(re.fullmatch(r"lambda wildcards, attempt: \d+ \* attempt,", r) for r in requests), requests


# --- one hop from a rule --------------------------------------------------------------------------


def test_every_rule_names_the_package_function_it_calls_and_its_script_calls_it():
    rules = "\n".join(p.read_text() for p in sorted((ROOT / "workflow/rules").glob("*.smk")))
    for name, docstring, script in re.findall(
        r'^rule (\w+):\n    """(.+?)"""\n.*?script:\n\s+"(.+?)"', rules, re.M | re.S
    ):
        functions = re.findall(r"lac_outcomes(?:\.\w+)+", docstring)
        assert functions, f"rule {name}: docstring names no lac_outcomes function"
        source = (ROOT / "workflow" / "rules" / script).resolve().read_text()
        module, _, function = functions[0].rpartition(".")
        assert function in source and module.rsplit(".", 1)[-1] in source, (name, functions[0])
    assert "shell:" not in rules and "os.environ" not in rules


# --- hygiene --------------------------------------------------------------------------------------


def lock(path: Path) -> dict[str, str]:
    lines = [line for line in path.read_text().splitlines() if "==" in line and not line.startswith("#")]
    return {name.lower(): version for name, version in (line.split("==", 1) for line in lines)}


def test_ruff_is_pinned_alike_everywhere_and_pandera_nowhere():
    pins = lock(ROOT / "requirements.lock")
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert f"ruff={pins['ruff']}" in environment
    assert f"ruff=={pins['ruff']}" in project["optional-dependencies"]["dev"]
    assert "pandera" not in pins and not any("pandera" in str(d) for d in environment + project["dependencies"])


def test_the_slurm_extra_and_its_lock_agree():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extra = dict(r.lower().split("==") for r in project["optional-dependencies"]["slurm"])
    assert extra == lock(ROOT / "requirements-slurm.lock") and "snakemake-executor-plugin-slurm" in extra


def test_python_sources_are_ruff_clean_and_formatted():
    sources = re.search(r"^PY_SOURCES := (.+)$", (ROOT / "Makefile").read_text(), re.M).group(1).split()
    paths = [str(p.relative_to(ROOT)) for pattern in sources for p in sorted(ROOT.glob(pattern))]
    check = subprocess.run([str(BIN / "ruff"), "check", *paths], cwd=ROOT, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-4000:]
    fmt = subprocess.run([str(BIN / "ruff"), "format", "--check", *paths], cwd=ROOT, capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout[-4000:]


def test_snakemake_lint_and_snakefmt_are_clean():
    lint = subprocess.run([str(SNAKEMAKE), "--lint"], cwd=ROOT, capture_output=True, text=True)
    assert lint.returncode == 0 and "Congratulations" in lint.stdout + lint.stderr, lint.stdout + lint.stderr
    rule_files = ["Snakefile", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "workflow/rules").glob("*.smk"))]
    fmt = subprocess.run([str(BIN / "snakefmt"), "--check", *rule_files], cwd=ROOT, capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stderr


def test_a_notebook_declares_the_names_its_parameters_cell_assigns(tmp_path):
    notebook = tmp_path / "n.ipynb"
    cells = [
        {"cell_type": "code", "metadata": {}, "source": "ignored = 1\n"},
        {
            "cell_type": "code",
            "metadata": {"tags": ["parameters"]},
            "source": ["a = 1\n", "b, c = 2, 3\n", "d: int = 4"],
        },
        {"cell_type": "markdown", "metadata": {"tags": ["parameters"]}, "source": "not code"},
    ]
    notebook.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    assert cli.notebook_parameters(notebook) == {"a", "b", "c", "d"}


@pytest.mark.pipeline
def test_no_report_is_passed_a_parameter_its_notebook_does_not_declare(reference_run):
    """Papermill warns of a parameter the notebook does not declare: the nation's paths went to every report."""
    workdir, _ = reference_run
    logs = sorted((workdir / "logs" / "render_report").glob("*.log"))
    assert logs
    warned = [
        f"{log.name}: {line}" for log in logs for line in log.read_text().splitlines() if "unknown parameter" in line
    ]
    assert not warned, "\n".join(warned)
