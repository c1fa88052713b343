"""init proposes the project's own checks: its nox sessions, tox and hatch environments,
pre-commit hooks; then tools it configures; never overriding their configuration."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest
from helpers import write

from lane_tasks.adopt.gate_detect import propose_checks
from lane_tasks.adopt.noxfile import project_sessions

MISSING = "--error-on-missing-interpreters"
"""A session nox skips for want of its interpreter exits 0: a gate must fail instead."""


def proposed(root: Path) -> dict[str, tuple[str, ...]]:
    pyproject = root / "pyproject.toml"
    data = tomllib.loads(pyproject.read_text()) if pyproject.exists() else {}
    noxfile = root / "noxfile.py"
    text = noxfile.read_text() if noxfile.exists() else ""
    sessions = project_sessions(ast.parse(text), text)
    return {p.id: p.cmd for p in propose_checks(root, data, sessions)}


def test_black_isort_flake8_project_gets_its_own_tools_not_ruff(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", "[tool.black]\nline-length = 88\n[tool.isort]\n")
    write(tmp_path, ".flake8", "[flake8]\nmax-line-length = 88\n")
    write(tmp_path, "pkg/__init__.py", "")
    write(tmp_path, "tests/test_a.py", "def test_a(): pass\n")
    got = proposed(tmp_path)
    assert got == {
        "flake8": ("flake8",),
        "black": ("black", "--check", "--diff", "."),
        "isort": ("isort", "--check-only", "--diff", "."),
        "pytest": ("{python}", "-m", "pytest", "-q", "--junitxml={report}"),
    }


def test_pre_commit_covers_linting_and_the_tools_it_runs(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", "[tool.black]\n[tool.mypy]\nfiles = ['pkg']\n")
    write(
        tmp_path,
        ".pre-commit-config.yaml",
        """
        repos:
          - repo: https://example.invalid/black
            rev: 24.1.0
            hooks: [{id: black}]
          - repo: https://example.invalid/flake8
            rev: 7.0.0
            hooks: [{id: flake8}]
        """,
    )
    got = proposed(tmp_path)
    assert got["pre-commit"] == ("pre-commit", "run", "--all-files", "--show-diff-on-failure")
    assert "black" not in got and "flake8" not in got  # pre-commit runs them
    # `files` is set: no paths that would override it
    assert got["mypy"] == ("mypy", "--junit-xml", "{report}")


def test_mypy_without_files_gets_the_source_paths(tmp_path: Path) -> None:
    write(tmp_path, "mypy.ini", "[mypy]\nstrict = True\n")
    write(tmp_path, "src/pkg/__init__.py", "")
    assert proposed(tmp_path)["mypy"] == ("mypy", "--junit-xml", "{report}", "src")


def test_mypy_files_in_setup_cfg_is_respected(tmp_path: Path) -> None:
    write(tmp_path, "setup.cfg", "[mypy]\nfiles = pkg\n")
    assert proposed(tmp_path)["mypy"] == ("mypy", "--junit-xml", "{report}")


def test_project_nox_sessions_win_and_python_parametrized_runs_once(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", "[tool.ruff]\n[tool.mypy]\n")
    write(
        tmp_path,
        "noxfile.py",
        """
        import nox

        @nox.session(python=["3.11", "3.12"])
        def tests(session): ...

        @nox.session(name="lint")
        def run_linters(session): ...

        @nox.session
        def format(session): ...
        """,
    )
    got = proposed(tmp_path)
    assert got["nox-tests"] == (
        "{python}", "-m", "nox", "-s", "tests", "--error-on-missing-interpreters",
        "--force-python", "{python_version}",
    )  # fmt: skip
    assert got["nox-lint"] == ("{python}", "-m", "nox", "-s", "lint", MISSING)
    assert "ruff-check" not in got and "pytest" not in got
    # no typing session: the configured tool
    assert got["mypy"] == ("mypy", "--junit-xml", "{report}", ".")
    assert not any("format" in cmd for cmd in got.values())  # a rewriting session never


def test_tox_environments(tmp_path: Path) -> None:
    write(tmp_path, "tox.ini", "[tox]\nenvlist = py311, lint\n[testenv]\n[testenv:typing]\n")
    got = proposed(tmp_path)
    assert got == {
        "tox-typing": ("tox", "-e", "typing"),
        "tox-lint": ("tox", "-e", "lint"),
        "tox-py": ("tox", "-e", "py"),
    }


def test_hatch_scripts(tmp_path: Path) -> None:
    write(
        tmp_path,
        "pyproject.toml",
        """
        [tool.hatch.envs.default.scripts]
        test = "pytest {args}"
        [tool.hatch.envs.lint.scripts]
        typing = "mypy src"
        style = "ruff check ."
        fmt = "ruff format ."
        """,
    )
    got = proposed(tmp_path)
    assert got == {
        "hatch-test": ("hatch", "run", "test"),
        "hatch-lint-typing": ("hatch", "run", "lint:typing"),
        "hatch-lint-style": ("hatch", "run", "lint:style"),
    }


def test_a_project_that_configures_nothing_is_byte_compiled(tmp_path: Path) -> None:
    write(tmp_path, "pkg/__init__.py", "")
    assert proposed(tmp_path) == {"compileall": ("{python}", "-m", "compileall", "-q", "pkg")}


@pytest.mark.parametrize("fmt", ["[tool.ruff.format]\n", "[tool.ruff]\n[tool.ruff.format]\n"])
def test_ruff_format_only_when_the_project_formats_with_ruff(tmp_path: Path, fmt: str) -> None:
    write(tmp_path, "pyproject.toml", fmt)
    got = proposed(tmp_path)
    assert got["ruff-format"] == ("ruff", "format", "--check", ".")
    write(tmp_path, "pyproject.toml", "[tool.ruff]\n")
    assert "ruff-format" not in proposed(tmp_path)


def test_a_session_naming_one_python_runs_with_ours_and_never_skips(tmp_path: Path) -> None:
    write(
        tmp_path,
        "noxfile.py",
        """
        import nox

        @nox.session(python="3.12")
        def lint(session):
            session.run("pre-commit", "run", "--all-files")
        """,
    )
    write(tmp_path, ".pre-commit-config.yaml", "repos: []\n")
    got = proposed(tmp_path)
    assert got["nox-lint"] == (
        "{python}", "-m", "nox", "-s", "lint", MISSING, "--force-python", "{python_version}",
    )  # fmt: skip
    assert "pre-commit" not in got  # the lint session runs the hooks: not twice


def test_a_tox_pre_commit_environment_is_the_hooks_once(tmp_path: Path) -> None:
    write(tmp_path, "tox.ini", "[tox]\nenvlist = pre-commit, py\n[testenv]\n")
    write(
        tmp_path,
        ".pre-commit-config.yaml",
        "repos:\n  - repo: local\n    hooks: [{id: mypy}]\n",
    )
    got = proposed(tmp_path)
    assert got == {"tox-pre-commit": ("tox", "-e", "pre-commit"), "tox-py": ("tox", "-e", "py")}


def test_tox_toml_environments(tmp_path: Path) -> None:
    """tox 4's own TOML (filelock, pypa/build): env_list, [env.NAME], [env_run_base]."""
    write(
        tmp_path,
        "tox.toml",
        """
        env_list = ["3.13", "fix", "type"]

        [env_run_base]
        commands = [["pytest"]]

        [env.fix]
        commands = [["pre-commit", "run", "--all-files"]]

        [env.type]
        commands = [["mypy", "src"]]
        """,
    )
    write(tmp_path, "pyproject.toml", "[tool.mypy]\nfiles = ['src']\n")
    got = proposed(tmp_path)
    assert got == {"tox-type": ("tox", "-e", "type"), "tox-py": ("tox", "-e", "py")}
