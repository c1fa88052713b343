"""The command tree as data: the CLI surface and every --help page derive from it unchanged."""

from __future__ import annotations

import argparse
import json

import pytest
from helpers import TESTS_DIR

from lane_tasks import cli
from lane_tasks.catalog.commands import (
    COMMANDS,
    HELP,
    CommandSurface,
    children,
    cli_surface,
    command,
)
from lane_tasks.cli.parser import build_parser

PAGES = json.loads((TESTS_DIR / "cli_help_pages.json").read_text(encoding="utf-8"))
"""`lane-tasks <cmd> --help` of every command at COLUMNS=100, captured from the parser as it
was before it was built from the data (Python 3.11's argparse)."""


def _walk_parser() -> dict[tuple[str, ...], CommandSurface]:
    """The surface of the real argparse parser, walked (what drift did before the data): the
    parser is built from the data, so this guards the builder."""
    out: dict[tuple[str, ...], CommandSurface] = {}

    def walk(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> None:
        options: dict[str, bool] = {}
        subs: dict[str, argparse.ArgumentParser] = {}
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                subs.update(action.choices)
            for opt in action.option_strings:
                options[opt] = action.nargs != 0
        out[path] = CommandSurface(path, options, tuple(subs))
        for name, sub in subs.items():
            walk(sub, (*path, name))

    walk(build_parser(), ())
    return out


def test_surface_from_the_data_is_the_surface_of_the_parser() -> None:
    """Same paths, options (with takes-a-value, in order) and sub-commands as walking argparse."""
    walked = _walk_parser()
    derived = cli_surface()
    assert list(derived) == list(walked)
    for path, cmd in walked.items():
        assert list(derived[path].options.items()) == list(cmd.options.items()), path
        assert derived[path].subcommands == cmd.subcommands, path
        assert derived[path].name() == cmd.name()


def test_every_command_is_reached_from_its_parent_and_has_a_handler_or_children() -> None:
    paths = [c.path for c in COMMANDS]
    assert len(paths) == len(set(paths))
    for c in COMMANDS:
        if c.path:
            assert command(c.path[:-1]) is not None and c in children(c.path[:-1])
        assert c.handler is not None or children(c.path), c.path
        if c.handler is not None:
            module, _, func = c.handler.partition(":")
            assert module.startswith("lane_tasks.cli.commands.") and func.isidentifier()
    assert set(HELP) == {c.path for c in COMMANDS if c.path}


@pytest.mark.parametrize("path", [c.path for c in COMMANDS], ids=lambda p: " ".join(p) or "-")
def test_help_page_is_unchanged(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    with pytest.raises(SystemExit) as exc:
        cli.main([*path, "--help"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == PAGES[" ".join(path)]
