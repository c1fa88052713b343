"""The argparse parser, built from the command tree (`lane_tasks.catalog.commands`).

Every command, option and sub-command list comes from the data, so the parser, the CLI surface
drift checks docs against and the compat snapshot cannot disagree. argparse is fitted with
one-line errors and a did-you-mean; each command's handler stays a `"module:function"` string
until the command runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from lane_tasks import __version__
from lane_tasks.catalog.commands import Command, Option, children, command
from lane_tasks.cli.help import apply_help
from lane_tasks.errors import EXIT_USAGE, did_you_mean

__all__ = ["build_parser", "resolve_handler"]


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors and a did-you-mean for options and commands."""

    def error(self, message: str) -> NoReturn:
        hint = ""
        if "unrecognized arguments:" in message:
            bad = message.split(":", 1)[1].split()[0]
            name = bad.split("=", 1)[0]
            own = {o for a in self._actions for o in a.option_strings}
            if name in own:  # an option of lane-tasks itself, given after the command
                hint = f" ({name} is an option of {self.prog} itself: give it before the command)"
            elif name in _options_below(self):
                hint = f" ({name} belongs to another command: see its --help)"
            else:
                hint = did_you_mean(name, _options_below(self))
        elif "invalid choice:" in message:
            bad = message.split("'")[1] if "'" in message else ""
            choices = [c for a in self._actions if a.choices for c in a.choices]
            hint = did_you_mean(bad, [str(c) for c in choices])
        sys.stderr.write(f"{self.prog}: error: {message}{hint}\n")
        sys.exit(EXIT_USAGE)


def _options_below(parser: argparse.ArgumentParser) -> set[str]:
    """Every option of a parser and its sub-commands (argparse reports leftovers at the top)."""
    found: set[str] = set()
    for action in parser._actions:
        found.update(action.option_strings)
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found |= _options_below(sub)
    return found


_TYPES: dict[str, Callable[[str], Any]] = {"int": int}
"""`Option.type` to argparse's `type` (a string needs none)."""


def _add_option(target: Any, opt: Option) -> None:
    """`add_argument` with only what the option sets, so argparse keeps its own defaults."""
    kwargs: dict[str, Any] = {}
    if opt.action == "boolean_optional":
        kwargs["action"] = argparse.BooleanOptionalAction
    elif opt.action == "version":
        kwargs["action"] = "version"
        kwargs["version"] = f"lane-tasks {__version__}"
    elif opt.action != "store":
        kwargs["action"] = opt.action
    if opt.type in _TYPES:
        kwargs["type"] = _TYPES[opt.type]
    if opt.nargs is not None:
        kwargs["nargs"] = opt.nargs
    if opt.default is not None:
        kwargs["default"] = opt.default
    if opt.choices is not None:
        kwargs["choices"] = opt.choices
    if opt.required:
        kwargs["required"] = True
    if opt.metavar is not None:
        kwargs["metavar"] = opt.metavar
    if opt.hidden:
        kwargs["help"] = argparse.SUPPRESS
    elif opt.help is not None:
        kwargs["help"] = opt.help
    target.add_argument(*opt.flags, **kwargs)


def _fill(parser: argparse.ArgumentParser, cmd: Command) -> None:
    """The command's options (in order, each exclusive group made at its first member), its
    handler and --format's choices, then the list of its sub-commands, each filled in turn."""
    groups: dict[str, Any] = {}
    for opt in cmd.options:
        target: Any = parser
        if opt.group is not None:
            if opt.group not in groups:
                groups[opt.group] = parser.add_mutually_exclusive_group()
            target = groups[opt.group]
        _add_option(target, opt)
    if cmd.handler is not None:
        # start-up cost: only the name is kept; resolve_handler imports the one module that
        # runs, so `--help`, completion and a usage error load no command's dependencies
        parser.set_defaults(handler=cmd.handler)
    if cmd.out_formats is not None:
        parser.set_defaults(out_formats=cmd.out_formats)  # what the --out suffix may give
    subs = children(cmd.path)
    if not subs:
        return
    dest = cmd.path[-1].replace("-", "_") if cmd.path else "command"
    # a group needs one of its sub-commands; a command that runs alone shows them as optional
    metavar = cmd.metavar if cmd.handler is None else f"[{'|'.join(c.path[-1] for c in subs)}]"
    sub = parser.add_subparsers(dest=dest, metavar=metavar, parser_class=_Parser)
    sub.required = cmd.handler is None
    for child in subs:
        _fill(sub.add_parser(child.path[-1], help=child.help), child)


def build_parser() -> argparse.ArgumentParser:
    root = command(())  # the program itself
    parser = _Parser(prog="lane-tasks", description=root.description)
    _fill(parser, root)
    apply_help(parser)  # each command's description and example: lane_tasks/cli/help.py
    return parser


def resolve_handler(spec: str) -> Callable[[argparse.Namespace], int]:
    """The function a command's `"module:function"` names, imported now (it runs next)."""
    module, _, name = spec.partition(":")
    func: Callable[[argparse.Namespace], int] = getattr(importlib.import_module(module), name)
    return func
