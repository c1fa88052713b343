"""The shapes of the command tree (`lane_tasks.catalog.commands`): options and commands.

Separate from the tree so the data reads as data; nothing here knows argparse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = ["ALLOW_FLAG", "Command", "CommandSurface", "Option"]

ALLOW_FLAG = "--allow-outside-root"
"""The flag that lets `--out` write outside the repository (the guard in `evidence.write_guard`)."""

Action = Literal["store", "store_true", "append", "version", "boolean_optional"]


@dataclass(frozen=True, kw_only=True)
class Option:
    """One argument of a command, as argparse's `add_argument` takes it."""

    flags: tuple[str, ...]
    """Option strings (`("--jobs", "-j")`), or the one name of a positional argument."""
    help: str | None = None
    hidden: bool = False
    """Accepted but kept out of --help (`--now`, for tests): still part of the surface."""
    metavar: str | None = None
    choices: tuple[str, ...] | None = None
    default: str | None = None
    """None: argparse's own default for the action."""
    action: Action = "store"
    type: Literal["str", "int"] = "str"
    nargs: Literal["?", "+"] | None = None
    required: bool = False
    group: str | None = None
    """Options naming the same group exclude each other (`kpi --lane | --all`)."""

    @property
    def positional(self) -> bool:
        return not self.flags[0].startswith("-")

    @property
    def takes_value(self) -> bool:
        return self.action in ("store", "append")

    def option_strings(self) -> tuple[str, ...]:
        """What the command line accepts (`--audit` also gives `--no-audit`)."""
        if self.positional:
            return ()
        if self.action == "boolean_optional":
            return tuple(s for f in self.flags for s in (f, f"--no-{f[2:]}"))
        return self.flags


@dataclass(frozen=True, kw_only=True)
class Command:
    """One command path (`("gate", "fast")`; the program itself is `()`)."""

    path: tuple[str, ...]
    help: str
    """The line in the parent's list of commands."""
    description: str
    """What `--help` says it does and why (wrapped at 78 columns)."""
    example: str
    """One invocation that parses (a test runs each one through the parser)."""
    options: tuple[Option, ...] = ()
    handler: str | None = None
    """`"module:function"` taking the parsed namespace and returning the exit code; None for
    a group that needs one of its sub-commands."""
    out_formats: tuple[str, ...] | None = None
    """The formats `--format` and the `--out` suffix may give, for commands writing artifacts."""
    metavar: str = "ACTION"
    """How the list of sub-commands is named in usage, for a group without a handler."""

    @property
    def name(self) -> str:
        return " ".join(("lane-tasks", *self.path))


@dataclass(frozen=True)
class CommandSurface:
    """One `lane-tasks` command: its option strings (-> takes a value) and sub-commands."""

    path: tuple[str, ...]
    options: Mapping[str, bool]
    subcommands: tuple[str, ...]

    def name(self) -> str:
        return " ".join(("lane-tasks", *self.path))
