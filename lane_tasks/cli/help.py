"""Each command's `--help` description and example, from the command tree
(`lane_tasks.catalog.commands`), applied to the parser."""

from __future__ import annotations

import argparse
import textwrap

from lane_tasks.catalog.commands import HELP

__all__ = ["HELP", "apply_help", "commands"]


def commands(parser: argparse.ArgumentParser) -> dict[tuple[str, ...], argparse.ArgumentParser]:
    """Every sub-command parser below `parser`, by command path."""
    out: dict[tuple[str, ...], argparse.ArgumentParser] = {}

    def walk(p: argparse.ArgumentParser, path: tuple[str, ...]) -> None:
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    out[(*path, name)] = sub
                    walk(sub, (*path, name))

    walk(parser, ())
    return out


def apply_help(parser: argparse.ArgumentParser) -> None:
    """Give each sub-command its description and example; the example keeps its line."""
    for path, sub in commands(parser).items():
        entry = HELP.get(path)
        if entry is None:  # tests/cli/test_help.py fails on a command missing from HELP
            continue
        description, example = entry
        sub.description = textwrap.fill(
            description, width=78, break_on_hyphens=False, break_long_words=False
        )
        sub.epilog = f"example:\n  {example}"
        sub.formatter_class = argparse.RawDescriptionHelpFormatter
