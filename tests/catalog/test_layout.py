"""catalog/layout: the names of files and environment variables, as data at the bottom."""

from __future__ import annotations

import ast
from pathlib import Path

from lane_tasks import console
from lane_tasks.catalog import layout
from lane_tasks.evidence import lease, store
from lane_tasks.util import clock, procs


def test_layout_imports_nothing_of_lane_tasks() -> None:
    tree = ast.parse(Path(layout.__file__).read_text(encoding="utf-8"))
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)] + [
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    ]
    assert [m for m in imported if m.startswith("lane_tasks") and m != "lane_tasks.errors"] == []


def test_environment_names_are_the_public_ones() -> None:
    assert layout.NOX_PID_ENV == "LANE_TASKS_NOX_PID"
    assert layout.NOW_ENV == "LANE_TASKS_NOW"
    assert layout.ACTOR_ENV == "LANE_TASKS_ACTOR"
    assert layout.RUN_STARTED_ENV == "LANE_TASKS_RUN_STARTED"
    assert layout.COLOR_ENV == "LANE_TASKS_COLOR"


def test_old_import_paths_are_the_same_objects() -> None:
    assert lease.NOX_PID_ENV is layout.NOX_PID_ENV
    assert store.RUN_STARTED_ENV is layout.RUN_STARTED_ENV
    assert store.MANIFEST is layout.MANIFEST
    assert clock.NOW_ENV is layout.NOW_ENV
    assert console.COLOR_ENV is layout.COLOR_ENV
    assert procs.NOX_PID_ENV is layout.NOX_PID_ENV  # type: ignore[attr-defined]


def test_artifact_paths_are_relative_posix() -> None:
    for name in layout.__all__:
        value = getattr(layout, name)
        assert isinstance(value, str)
        if not name.endswith("_ENV"):
            assert not value.startswith("/") and "\\" not in value and ".." not in value
    assert layout.HISTORY == "lanes/history.sqlite"
    assert layout.RUNS_DIR == "lanes/runs"
