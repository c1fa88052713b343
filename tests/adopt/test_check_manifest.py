"""init keeps a project's own check-manifest passing: the files it writes join the `ignore`
list where the project configures check-manifest, in place; or init says what to add.

The fast tests call the CLI in process on generated projects; the slow one runs the real
check-manifest (its own sdist build, offline: --no-build-isolation) on the committed result,
and on the same commit without init's edit, where it must fail.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import commit_all, git, make_git_repo, run_cli, write

PYPROJECT = """
[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "proj"
version = "1.0.0"
requires-python = ">=3.11"
"""

CONFIGURED = """
# check-manifest: what git has that the sdist need not
[tool.check-manifest]
ignore = [
    ".editorconfig",  # the editors' business
]
"""

SETUP_CFG = """\
[metadata]
name = proj

[check-manifest]
ignore =
    .editorconfig

[flake8]
max-line-length = 100
"""

PRE_COMMIT = """\
repos:
  - repo: https://github.com/mgedmin/check-manifest
    rev: "0.51"
    hooks:
      - id: check-manifest
"""


def project(tmp_path: Path, shape: str) -> Path:
    """A setuptools project whose check-manifest passes, configured as `shape` says."""
    root = make_git_repo(tmp_path / "proj")
    write(root, "pyproject.toml", PYPROJECT + (CONFIGURED if shape == "pyproject" else ""))
    write(root, "proj/__init__.py", '"""proj."""\n')
    write(root, ".editorconfig", "root = true\n")
    write(root, ".gitignore", "*.egg-info/\n")  # what check-manifest's sdist build leaves
    if shape == "setup.cfg":
        write(root, "setup.cfg", SETUP_CFG)
    if shape == "pre-commit":  # no settings anywhere: the hook's defaults
        write(root, ".pre-commit-config.yaml", PRE_COMMIT)
        write(root, "MANIFEST.in", "include .pre-commit-config.yaml .editorconfig\n")
    commit_all(root, "initial")
    return root


def test_init_adds_its_files_to_the_configured_ignore_list_once(tmp_path: Path) -> None:
    root = project(tmp_path, "pyproject")
    r = run_cli(root, "init")
    assert r.returncode == 0, r.stderr
    text = (root / "pyproject.toml").read_text()
    assert text == PYPROJECT.lstrip("\n") + CONFIGURED.replace(
        '    ".editorconfig",  # the editors\' business\n',
        '    ".editorconfig",  # the editors\' business\n'
        '    "lanes.toml",\n    "noxfile.py",\n    "release-evidence/**",\n',
    )  # every other byte as it was, the comments too
    assert (
        'init: check-manifest (configured in pyproject.toml): "lanes.toml", "noxfile.py", '
        '"release-evidence/**" added to `ignore` in [tool.check-manifest] of pyproject.toml\n'
    ) in r.stdout
    assert "next: git add lanes.toml noxfile.py pyproject.toml &&" in r.stdout
    again = run_cli(root, "init")
    assert again.returncode == 0, again.stderr
    assert "nothing to do" in again.stdout
    assert "check-manifest" not in again.stdout
    assert (root / "pyproject.toml").read_text() == text


def test_a_pre_commit_hook_alone_gets_a_new_table(tmp_path: Path) -> None:
    root = project(tmp_path, "pre-commit")
    r = run_cli(root, "init")
    assert r.returncode == 0, r.stderr
    assert (root / "pyproject.toml").read_text() == PYPROJECT.lstrip("\n") + (
        '\n[tool.check-manifest]\nignore = ["lanes.toml", "noxfile.py", "release-evidence/**"]\n'
    )
    assert "check-manifest (the check-manifest hook in .pre-commit-config.yaml)" in r.stdout


def test_a_setup_cfg_section_gets_the_lines(tmp_path: Path) -> None:
    root = project(tmp_path, "setup.cfg")
    assert run_cli(root, "init").returncode == 0
    assert (root / "setup.cfg").read_text() == SETUP_CFG.replace(
        "    .editorconfig\n",
        "    .editorconfig\n    lanes.toml\n    noxfile.py\n    release-evidence/**\n",
    )


def test_check_manifest_run_by_ci_or_nox_is_found(tmp_path: Path) -> None:
    root = project(tmp_path, "none")
    ci = "jobs:\n  x:\n    steps:\n      - run: check-manifest\n"
    write(root, ".github/workflows/ci.yml", ci)
    commit_all(root)
    r = run_cli(root, "init")
    assert "check-manifest (run in .github/workflows/ci.yml:4)" in r.stdout
    assert "[tool.check-manifest]" in (root / "pyproject.toml").read_text()


def test_a_project_without_check_manifest_is_left_alone(tmp_path: Path) -> None:
    root = project(tmp_path, "none")
    write(root, "noxfile.py", "# check-manifest, one day\nimport nox\n")
    commit_all(root)
    r = run_cli(root, "init")
    assert r.returncode == 0, r.stderr
    assert "check-manifest" not in r.stdout
    assert git(root, "status", "--porcelain", "pyproject.toml") == ""


def test_settings_it_cannot_edit_provably_get_a_one_line_instruction(tmp_path: Path) -> None:
    root = project(tmp_path, "none")
    inline = PYPROJECT + '\n[tool]\ncheck-manifest = { ignore = [".editorconfig"] }\n'
    write(root, "pyproject.toml", inline)
    commit_all(root)
    r = run_cli(root, "init")
    assert r.returncode == 0, r.stderr
    assert (root / "pyproject.toml").read_text() == inline.lstrip("\n")
    [line] = [x for x in r.stdout.splitlines() if "check-manifest" in x]
    assert line == (
        "init: warning: check-manifest (configured in pyproject.toml) fails on the files init "
        'wrote once they are committed: add "lanes.toml", "noxfile.py", "release-evidence/**" '
        "to `ignore` in [tool.check-manifest] of pyproject.toml (init could not edit "
        "pyproject.toml without changing more of it)"
    )
    assert "pyproject.toml" not in r.stdout.split("next: git add", 1)[1].split("\n", 1)[0]


def _check_manifest(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_manifest", "--no-build-isolation", "."],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.parametrize("shape", ["pyproject", "setup.cfg"])  # a hook alone: a new pyproject table
def test_the_projects_check_manifest_passes_after_init_and_fails_without_the_edit(
    tmp_path: Path, shape: str
) -> None:
    """check-manifest reads the settings as init edited them (each of the two files it
    reads); the project passing before init is implied by it passing after."""
    root = project(tmp_path, shape)
    settings = "setup.cfg" if shape == "setup.cfg" else "pyproject.toml"
    r = run_cli(root, "init", "--lane", "scale")  # scale: the compat snapshot too
    assert r.returncode == 0, r.stderr
    assert (root / "compat-snapshot.json").is_file()
    write(root, "release-evidence/kpi-reviews/first.json", "{}\n")  # what the user commits
    commit_all(root, "Adopt lane-tasks")
    ok = _check_manifest(root)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    git(root, "checkout", "HEAD~", "--", settings)  # the same commit without init's edit
    commit_all(root, "without the edit")
    bad = _check_manifest(root)
    assert bad.returncode == 1
    said = bad.stdout + bad.stderr
    assert "missing from sdist" in said
    for name in ("lanes.toml", "noxfile.py", "compat-snapshot.json", "kpi-reviews/first.json"):
        assert name in said
