"""The CLI's side of the write guard (evidence.write_guard): the repository root a command
works in, and whether `--allow-outside-root` lifts the guard."""

from __future__ import annotations

import argparse
from pathlib import Path

from lane_tasks.config import find_config
from lane_tasks.errors import ConfigError
from lane_tasks.evidence.write_guard import guarded_output

__all__ = ["output_path"]


def _root(args: argparse.Namespace) -> Path:
    """The repository root: the directory of lanes.toml (--config or found), else the cwd."""
    if getattr(args, "config", None):
        return Path(args.config).resolve().parent
    try:
        return find_config().resolve().parent
    except ConfigError:
        return Path.cwd().resolve()


def output_path(
    args: argparse.Namespace, value: str, key: str = "--out", *, directory: bool = False
) -> Path:
    """`value` as a path to write, after the guard; ConfigError (exit 2) when refused."""
    return guarded_output(
        value,
        root=_root(args),
        allow_outside=bool(getattr(args, "allow_outside_root", False)),
        key=key,
        directory=directory,
    )
