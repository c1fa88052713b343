"""The `lane-tasks` command tree, declared once as data.

The argparse parser (`lane_tasks.cli.parser`) is built from `COMMANDS`; the CLI surface that the
drift step checks docs against and that the compat snapshot records (`cli_surface()`) is derived
from the same data, so neither walks argparse and neither imports the front door. Each command
carries its `--help` description and an example (a test parses every example), its options and
its handler as `"module:function"`, imported only when the command runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from lane_tasks.catalog.commands import records, rules, steps
from lane_tasks.catalog.commands.spec import ALLOW_FLAG, Command, CommandSurface, Option

__all__ = [
    "ALLOW_FLAG",
    "COMMANDS",
    "HELP",
    "Command",
    "CommandSurface",
    "Option",
    "children",
    "cli_surface",
    "command",
]

COMMANDS: tuple[Command, ...] = (*steps.COMMANDS, *rules.COMMANDS, *records.COMMANDS)
"""Every command, parents before their sub-commands, each list in the order `--help` shows."""

_BY_PATH: dict[tuple[str, ...], Command] = {c.path: c for c in COMMANDS}

HELP: Mapping[tuple[str, ...], tuple[str, str]] = {
    c.path: (c.description, c.example) for c in COMMANDS if c.path
}
"""Command path -> (what it does and why, an example invocation)."""


def command(path: tuple[str, ...]) -> Command:
    return _BY_PATH[path]


def children(path: tuple[str, ...]) -> tuple[Command, ...]:
    """The sub-commands of `path`, in order."""
    return tuple(c for c in COMMANDS if len(c.path) == len(path) + 1 and c.path[:-1] == path)


@cache
def cli_surface() -> dict[tuple[str, ...], CommandSurface]:
    """Every command path with its options (argparse's own `-h`/`--help` first, as the parser
    has them) and sub-commands: what drift checks docs against and the compat snapshot keeps."""
    out: dict[tuple[str, ...], CommandSurface] = {}
    for cmd in COMMANDS:
        options = {"-h": False, "--help": False}
        for opt in cmd.options:
            options.update(dict.fromkeys(opt.option_strings(), opt.takes_value))
        subs = tuple(c.path[-1] for c in children(cmd.path))
        out[cmd.path] = CommandSurface(cmd.path, options, subs)
    return out
