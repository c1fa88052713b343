"""Sub-commands and options of one `lane-tasks …` command line, checked against the real CLI.

Docs that show a `lane-tasks` command that no longer exists mislead every reader; this module
walks one invocation through the command data (lane_tasks.catalog.commands) and reports each
unknown command or option, skipping what is documentation rather than input.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lane_tasks.catalog.commands import CommandSurface as Command
from lane_tasks.errors import did_you_mean
from lane_tasks.project.nox_command import Token
from lane_tasks.steps.drift.shell_words import _placeholder


@dataclass(frozen=True)
class _Problem:
    id: str
    line: int
    found: str
    expected: str
    message: str


def _check_cli(args: Sequence[Token], surface: Mapping[tuple[str, ...], Command]) -> list[_Problem]:
    """Unknown sub-commands and options in one `lane-tasks …` invocation. Words in brackets
    (`[--version X]`) and placeholders (`<lane>`, `X`, `…`) are documentation, not input."""
    node = surface[()]
    problems: list[_Problem] = []
    depth = 0
    skip = False
    for word, line in args:
        if depth or word.startswith("["):
            depth = max(0, depth + word.count("[") - word.count("]"))
            continue
        if skip:
            skip = False
            continue
        if word == "--":
            break
        is_option = word.startswith("-") and len(word) > 1 and not word[1].isdigit()
        if is_option:
            opt, eq, _ = word.partition("=")
            if opt in node.options:
                skip = node.options[opt] and not eq
                continue
            longs = sorted(o for o in node.options if o.startswith("--"))
            problems.append(
                _Problem(
                    "docs-unknown-option",
                    line,
                    f"{node.name()} {opt}",
                    f"an option of `{node.name()}`: {', '.join(longs)}",
                    f"`{node.name()}` has no option {opt}{did_you_mean(opt, node.options)}",
                )
            )
            if node.subcommands:
                break  # whether it took a value is unknown: the next word may be either
        elif _placeholder(word):
            if node.subcommands:
                break  # `lane-tasks COMMAND --help`: nothing more to match
        elif node.subcommands:
            if word not in node.subcommands:
                choices = ", ".join(node.subcommands)
                problems.append(
                    _Problem(
                        "docs-unknown-command",
                        line,
                        f"{node.name()} {word}",
                        f"`{node.name()} <command>` with a command of: {choices}",
                        f"`{node.name()}` has no command '{word}'"
                        f"{did_you_mean(word, node.subcommands)}",
                    )
                )
                break
            node = surface[(*node.path, word)]
    return problems
