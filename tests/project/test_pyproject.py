"""validate-pyproject as lane-tasks asks it: the same verdicts, without importing the tools a
pyproject.toml has no table for."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lane_tasks.project.pyproject import validation_problem

PROJECT = {"project": {"name": "sample", "version": "0.1.0"}}


def test_a_valid_pyproject_has_no_problem() -> None:
    assert validation_problem({**PROJECT, "tool": {"black": {"line-length": 88}}}) is None


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"project": {"name": "sample", "version": "not a version"}}, "project.version"),
        ({**PROJECT, "tool": {"black": {"line-length": "long"}}}, "tool.black.line-length"),
        ({**PROJECT, "tool": {"setuptools": {"zip-safe": "no"}}}, "tool.setuptools.zip-safe"),
    ],
    ids=["pep621", "a-tool-plugin", "a-builtin-plugin"],
)
def test_what_is_wrong_is_named_in_one_line(data: dict[str, object], needle: str) -> None:
    problem = validation_problem(data)
    assert problem is not None and needle in problem and "\n" not in problem, problem


def test_a_tools_schema_plugin_is_loaded_only_for_its_table() -> None:
    """black's plugin imports black (a tenth of a second in every gate release and doctor)."""
    probe = (
        "import sys; from lane_tasks.project.pyproject import validation_problem as v; "
        "v({'project': {'name': 'sample', 'version': '0.1.0'}}); print('black' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
