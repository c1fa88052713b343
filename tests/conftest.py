"""Session fixtures: the environment every test runs in (a git identity, a private user cache
directory, warm tools for the generated projects). Helpers live in tests/helpers.py."""

from __future__ import annotations

import compileall
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import Templates

import lane_tasks


def pytest_configure(config: pytest.Config) -> None:
    """Byte-compile lane_tasks once, before any worker starts, as installing a wheel does.
    Where PYTHONDONTWRITEBYTECODE is set (this machine sets it) an editable checkout has no
    `.pyc` files, and each of the suite's hundreds of lane-tasks and nox processes would
    compile every module it imports from source again."""
    if not hasattr(config, "workerinput"):  # the xdist controller, or a run without xdist
        compileall.compile_dir(Path(lane_tasks.__file__).parent, quiet=1)


@pytest.fixture(autouse=True, scope="session")
def _session_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Set for the session, put back after it:

    - a git identity: commits need one, and a fresh CI machine may have none configured;
    - XDG_CACHE_HOME: the gate fast cache keeps its per-user secret in the user cache
      directory, one for the test session rather than the real ~/.cache;
    - the generated projects' tools start as a developer's would on a warm machine: their mypy
      runs share one cache per test process (a cold mypy spends most of its second on the
      standard library; each project's own modules are still checked, the cache being keyed by
      path and content), and their pytest loads no plugins of this environment (xdist,
      hypothesis: the projects use none, and importing them is most of a small pytest run).
    """
    values = {
        "GIT_AUTHOR_NAME": "Lane Tester",
        "GIT_AUTHOR_EMAIL": "tester@example.org",
        "GIT_COMMITTER_NAME": "Lane Tester",
        "GIT_COMMITTER_EMAIL": "tester@example.org",
        "GIT_CONFIG_NOSYSTEM": "1",
        "XDG_CACHE_HOME": str(tmp_path_factory.mktemp("user-cache")),
        "MYPY_CACHE_DIR": str(tmp_path_factory.mktemp("mypy-cache")),
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    with pytest.MonkeyPatch.context() as mp:
        for name, value in values.items():
            mp.setenv(name, value)
        yield


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    """Finished runs and projects built once per test process, copied per test (see
    helpers.Templates)."""
    return Templates(tmp_path_factory.mktemp("templates"))
