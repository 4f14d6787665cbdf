"""Jobs get one numerical-library thread each unless the user set another count."""

from __future__ import annotations

import re
from pathlib import Path

from lac_outcomes import THREAD_VARIABLES, one_thread_per_job

ROOT = Path(__file__).resolve().parents[1]


def test_unset_variables_become_one(monkeypatch):
    for variable in THREAD_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    one_thread_per_job()
    import os

    assert {os.environ[v] for v in THREAD_VARIABLES} == {"1"}


def test_a_count_the_user_set_is_kept(monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    one_thread_per_job()
    import os

    assert os.environ["OPENBLAS_NUM_THREADS"] == "4" and os.environ["OMP_NUM_THREADS"] == "1"


def test_every_rule_asks_for_the_one_core_its_libraries_are_given():
    """one_thread_per_job is right only while every rule declares threads: 1."""
    declared = []
    for path in sorted((ROOT / "workflow" / "rules").glob("*.smk")):
        declared += re.findall(r"^\s+threads:\s*(\S+)", path.read_text(), flags=re.MULTILINE)
    assert declared and set(declared) == {"1"}
