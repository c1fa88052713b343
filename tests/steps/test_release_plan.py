"""How gate release asks pypa/build to build: the isolation flags offline and online."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import make_git_repo, write

from lane_tasks.adopt.init_repo import init_repo
from lane_tasks.config import load_config
from lane_tasks.steps.base import StepContext, StepOptions
from lane_tasks.steps.release_plan import build_isolation


def flags(root: Path, requires: str, *, offline: bool) -> list[str]:
    write(
        root,
        "pyproject.toml",
        f"""
        [build-system]
        requires = {requires}
        build-backend = "setuptools.build_meta"

        [project]
        name = "sample"
        version = "0.1.0"
        """,
    )
    make_git_repo(root)
    init_repo(root)
    ctx = StepContext(config=load_config(root / "lanes.toml"), options=StepOptions(offline=offline))
    facts: dict[str, Any] = {}
    return build_isolation(ctx, facts)


def test_online_builds_are_isolated(tmp_path: Path) -> None:
    assert flags(tmp_path, '["setuptools"]', offline=False) == []


def test_offline_with_every_requirement_here_skips_builds_second_look(tmp_path: Path) -> None:
    assert flags(tmp_path, '["setuptools>=61"]', offline=True) == [
        "--no-isolation",
        "--skip-dependency-check",
    ]


@pytest.mark.parametrize(
    "requires",
    ['["setuptools", "no-such-build-plugin-xyz>=1"]', '["setuptools>=9999"]', '"setuptools"'],
    ids=["not-installed", "too-old", "not-a-list"],
)
def test_offline_with_a_requirement_missing_lets_build_name_it(
    tmp_path: Path, requires: str
) -> None:
    assert flags(tmp_path, requires, offline=True) == ["--no-isolation"]
