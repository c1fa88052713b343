"""Session fixtures: a git identity and a private user cache directory for every test.
Helpers live in tests/helpers.py."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def _git_identity() -> Iterator[None]:
    """Commits need an identity; a fresh CI machine may have none configured."""
    keys = {
        "GIT_AUTHOR_NAME": "Lane Tester",
        "GIT_AUTHOR_EMAIL": "tester@example.org",
        "GIT_COMMITTER_NAME": "Lane Tester",
        "GIT_COMMITTER_EMAIL": "tester@example.org",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    old = {k: os.environ.get(k) for k in keys}
    os.environ.update(keys)
    yield
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(autouse=True, scope="session")
def _user_cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The gate fast cache keeps its per-user secret in the user cache directory: one for the
    test session, not the real ~/.cache."""
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("user-cache"))
    yield
    if old is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = old


_TOOL_ENV = {"MYPY_CACHE_DIR": None, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


@pytest.fixture(autouse=True, scope="session")
def _project_tools(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The generated projects' tools start as a developer's would on a warm machine: their
    mypy runs share one cache per test process (a cold mypy spends most of its second on the
    standard library; each project's own modules are still checked, the cache being keyed by
    path and content), and their pytest loads no plugins of this environment (xdist,
    hypothesis: the projects use none, and importing them is most of a small pytest run)."""
    values = {**_TOOL_ENV, "MYPY_CACHE_DIR": str(tmp_path_factory.mktemp("mypy-cache"))}
    old = {k: os.environ.get(k) for k in values}
    os.environ.update({k: v for k, v in values.items() if v is not None})
    yield
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
