"""Adoption on generated projects shaped like real ones that broke it: a flit project whose
package is named `build`, pre-commit-driven linting, and a setuptools-scm version that is a dev
version on every commit between releases. Each runs `lane-tasks init` and the lane through nox,
offline, as a new user would."""

from __future__ import annotations

import importlib.util
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from helpers import commit_all, git, make_git_repo, run_cli, run_nox, write

pytestmark = pytest.mark.slow

README = "# {name}\n\nA project shaped like a real one.\n"
CHANGELOG = "# Changelog\n\n## 0.1.0 - 2026-11-30\n\n- First release.\n"
TEST = "from {pkg} import answer\n\n\ndef test_answer() -> None:\n    assert answer() == 42\n"
MODULE = '"""{name}."""\n\n__version__ = "0.1.0"\n\n\ndef answer() -> int:\n    return 42\n'


def needs(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.fail(f"{module} is a test dependency (pip install -e '.[test]')")


def adopt(root: Path, *extra: str) -> dict[str, Any]:
    """init, offline builds (no network here), commit; the lanes.toml as data."""
    r = run_cli(root, "init", *extra)
    assert r.returncode == 0, r.stdout + r.stderr
    with (root / "lanes.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n[gate.release]\noffline = true\n")
    commit_all(root, "adopt lane-tasks")
    return tomllib.loads((root / "lanes.toml").read_text(encoding="utf-8"))


def artifact(root: Path, name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((root / ".lane-tasks" / name).read_text(encoding="utf-8"))
    return doc


def by_id(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in doc["results"]}


@pytest.mark.e2e
def test_flit_package_named_build_keeps_building(tmp_path: Path) -> None:
    """`build/` beside `src/build` made flit refuse the project; `.lane-tasks/` cannot."""
    needs("flit_core")
    root = make_git_repo(tmp_path / "pypa-like")
    write(
        root,
        "pyproject.toml",
        """
        [build-system]
        requires = ["flit_core>=3.12"]
        build-backend = "flit_core.buildapi"

        [project]
        name = "build"
        version = "0.1.0"
        description = "A package named like a directory."
        readme = "README.md"
        license = "MIT"
        requires-python = ">=3.11"

        [tool.pytest.ini_options]
        pythonpath = ["src"]

        [tool.check-wheel-contents]
        ignore = ["W005"]  # a top-level `build/` is the package itself, as pypa/build says
        """,
    )
    write(root, "README.md", README.format(name="build"))
    write(root, "CHANGELOG.md", CHANGELOG)
    write(root, "src/build/__init__.py", MODULE.format(name="build"))
    write(root, "tests/test_answer.py", TEST.format(pkg="build"))
    commit_all(root, "initial")
    adopt(root)
    r = run_nox(root, "-s", "startup")
    assert r.returncode == 0, r.stdout + r.stderr
    pre = by_id(artifact(root, "release-preflight.json"))
    assert pre["build"]["status"] == "pass", pre["build"]
    assert "build-0.1.0-py3-none-any.whl" in pre["build"]["message"]
    assert not (root / "build").exists()
    assert git(root, "status", "--porcelain") == ""


PRE_COMMIT = """
repos:
  - repo: local
    hooks:
      - id: ruff
        name: ruff
        entry: ruff check
        language: system
        types: [python]
      - id: ruff-format
        name: ruff format
        entry: ruff format --check
        language: system
        types: [python]
"""


@pytest.mark.e2e
def test_pre_commit_project_is_gated_by_its_own_hooks(tmp_path: Path) -> None:
    needs("pre_commit")
    root = make_git_repo(tmp_path / "hooks")
    write(
        root,
        "pyproject.toml",
        """
        [project]
        name = "hooked"
        version = "0.1.0"
        requires-python = ">=3.11"

        [tool.ruff]
        line-length = 100
        """,
    )
    write(root, ".pre-commit-config.yaml", PRE_COMMIT)
    write(root, "hooked/__init__.py", MODULE.format(name="hooked"))
    write(root, "tests/test_answer.py", TEST.format(pkg="hooked"))
    commit_all(root, "initial")
    config = adopt(root)
    checks = config["gate"]["fast"]["checks"]
    assert set(checks) == {"pre-commit", "pytest"}  # ruff runs inside pre-commit, not twice
    r = run_nox(root, "-s", "gate-fast")
    assert r.returncode == 0, r.stdout + r.stderr
    assert by_id(artifact(root, "gate-fast.json"))["pre-commit"]["status"] == "pass"
    write(root, "hooked/extra.py", "import os\n")  # F401: the project's own hook catches it
    commit_all(root, "an unused import")
    r = run_nox(root, "-s", "gate-fast")
    assert r.returncode != 0
    failed = by_id(artifact(root, "gate-fast.json"))["pre-commit"]
    assert failed["status"] == "fail" and "F401" in failed["excerpt"], failed


@pytest.mark.e2e
def test_setuptools_scm_lane_is_green_at_the_tag_and_between_releases(tmp_path: Path) -> None:
    needs("setuptools_scm")
    root = make_git_repo(tmp_path / "scm")
    git(root, "config", "user.email", "tester@example.org")  # init names them release owner
    write(
        root,
        "pyproject.toml",
        """
        [build-system]
        requires = ["setuptools>=77", "setuptools-scm>=8"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "scmproj"
        dynamic = ["version"]
        description = "Its version comes from git tags."
        readme = "README.md"
        license = "MIT"
        requires-python = ">=3.11"

        [tool.setuptools_scm]

        [tool.ruff]
        """,
    )
    write(root, "README.md", README.format(name="scmproj"))
    write(root, "CHANGELOG.md", CHANGELOG)
    write(root, "scmproj/__init__.py", '"""scmproj."""\n\n\ndef answer() -> int:\n    return 42\n')
    write(root, "tests/test_answer.py", TEST.format(pkg="scmproj"))
    commit_all(root, "initial")
    adopt(root)
    owner = "tester@example.org"

    def lane(expect_candidate: bool) -> dict[str, Any]:
        r = run_nox(root, "-s", "startup")
        assert r.returncode == 0, r.stdout + r.stderr
        pre = artifact(root, "release-preflight.json")
        assert pre["candidate"] is expect_candidate, pre
        return pre

    # the release flow: the lane as 0.1.0 (the tag comes after the decision), decide, commit
    # the record, tag that commit, and the lane on the tag is green
    bad = run_nox(root, "-s", "startup", "--", "--bogus", "x")
    assert bad.returncode != 0 and "lane-tasks takes only --version with a value" in bad.stderr
    r = run_nox(root, "-s", "startup", "--", "--version", "0.1.0")
    assert r.returncode == 0, r.stdout + r.stderr
    pre = artifact(root, "release-preflight.json")
    assert pre["candidate"] is True and pre["version"] == "0.1.0", pre
    assert "scmproj-0.1.0-py3-none-any.whl" in by_id(pre)["build"]["message"]
    r = run_cli(root, "release", "decide", "--version", "0.1.0", "--decision", "go",
                "--owner", owner)  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    commit_all(root, "release 0.1.0: decision")
    git(root, "tag", "v0.1.0")
    pre = lane(expect_candidate=True)
    assert pre["version"] == "0.1.0"
    controls = by_id(artifact(root, "controls.json"))
    assert controls["release-owner"]["status"] == "pass", controls["release-owner"]

    # an ordinary commit after the release: a dev version again, and still green
    write(root, "scmproj/more.py", '"""More."""\n')
    commit_all(root, "an ordinary commit")
    pre = lane(expect_candidate=False)
    assert ".dev" in pre["version"]
    version = by_id(pre)["version"]
    assert version["status"] == "skip" and "not a release candidate" in version["message"]
    assert by_id(pre)["build"]["status"] == "pass"  # every other check still ran
    decide = run_cli(root, "release", "decide", "--version", pre["version"],
                     "--decision", "go", "--owner", owner)  # fmt: skip
    assert decide.returncode == 1 and "found no release candidate" in decide.stderr
