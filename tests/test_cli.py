"""The front door: version, help on every command, one-line usage errors."""

from __future__ import annotations

import argparse

import pytest
from helpers import REPO_ROOT, run_cli

from lane_tasks import __version__
from lane_tasks.cli.parser import build_parser


def commands(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> list[tuple[str, ...]]:
    out = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out += commands(sub, (*prefix, name))
    return out


def test_version() -> None:
    r = run_cli(REPO_ROOT, "--version")
    assert r.returncode == 0
    assert r.stdout.strip() == f"lane-tasks {__version__}"


@pytest.mark.parametrize("cmd", commands(build_parser()), ids=lambda c: " ".join(c) or "root")
def test_help_on_every_command(cmd: tuple[str, ...]) -> None:
    r = run_cli(REPO_ROOT, *cmd, "--help")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("usage: lane-tasks")


@pytest.mark.e2e
def test_unknown_option_is_one_line_with_a_suggestion() -> None:
    r = run_cli(REPO_ROOT, "gate", "fast", "--fromat", "json")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1
    assert "did you mean '--format'" in r.stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [
        # the option exists, on lane-tasks itself: "did you mean '--config'" would name itself
        (["lanes", "validate", "--config", "lanes.toml"],
         "--config is an option of lane-tasks itself: give it before the command"),
        (["doctor", "--offline"], "--offline belongs to another command: see its --help"),
    ],
)  # fmt: skip
def test_an_option_in_the_wrong_place_says_where_it_goes(args: list[str], said: str) -> None:
    r = run_cli(REPO_ROOT, *args)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1
    assert said in r.stderr and "did you mean" not in r.stderr


def test_unknown_command_is_one_line_with_a_suggestion() -> None:
    r = run_cli(REPO_ROOT, "doctr")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1
    assert "did you mean 'doctor'" in r.stderr


def test_python_m_and_script_agree() -> None:
    import shutil
    import subprocess

    script = shutil.which("lane-tasks")
    assert script, "the lane-tasks console script is installed"
    r = subprocess.run([script, "--version"], capture_output=True, text=True, check=False)
    assert r.stdout.strip() == f"lane-tasks {__version__}"


def test_no_lanes_toml_is_a_config_error(tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    r = run_cli(tmp_path, "lanes", "list")
    assert r.returncode == 2
    assert "no lanes.toml" in r.stderr and "lane-tasks init" in r.stderr
