"""What every command shares: the lanes.toml a command reads (the caller's, when a nox
session already loaded it), the note on an unsigned record, and errors mapped to one line and
an exit code.

Handlers in `cli/commands/` import these; `main` runs the command's handler through
`run_handler`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from lane_tasks.config import Config, find_config, load_config
from lane_tasks.errors import ConfigError, exit_code_of

__all__ = [
    "config_of",
    "load_named",
    "loaded_config",
    "run_handler",
    "sarif_config",
    "sign_key",
    "signed_note",
    "wrote",
]


def loaded_config(args: argparse.Namespace) -> Config | None:
    """The Config the caller already loaded (a nox session: one load per nox invocation, not
    one per step), when --config names that same file."""
    loaded: Config | None = getattr(args, "loaded_config", None)
    if loaded is not None and (not args.config or Path(args.config) == loaded.path):
        return loaded
    return None


def load_named(args: argparse.Namespace) -> Config:
    """lanes.toml as --config names it (default: found upward from the cwd), loaded now."""
    return load_config(Path(args.config) if args.config else None)


def config_of(args: argparse.Namespace) -> Config:
    """lanes.toml as --config names it (or as the caller loaded it)."""
    loaded = loaded_config(args)
    return loaded if loaded is not None else load_named(args)


def sarif_config(args: argparse.Namespace) -> Path | None:
    """The lanes.toml SARIF output locates results in (besides the repository), if any."""
    if args.format != "sarif":
        return None
    try:
        return Path(args.config) if args.config else find_config()
    except ConfigError:
        return None


def signed_note(config: Config, args: argparse.Namespace, record: Path) -> str:
    """` and its signature X.dsse.json`, or nothing (with a note on stderr when lanes.toml
    lists [signing.keys], whose controls refuse an unsigned record)."""
    # start-up cost: loaded only when this command runs
    from lane_tasks.evidence.record_signature import envelope_path

    if args.sign_key:
        return f" and its signature {config.shown(envelope_path(record))}"
    if config.signing.keys:
        sys.stderr.write(
            f"lane-tasks: note: {config.shown(record)} is not signed; lanes.toml lists "
            "[signing.keys], so the controls will refuse it: record it again with --sign-key\n"
        )
    return ""


def sign_key(args: argparse.Namespace) -> Path | None:
    """The private key --sign-key names, if any."""
    return Path(args.sign_key) if args.sign_key else None


def wrote(config: Config, args: argparse.Namespace, record: Path, commit: str = "commit it") -> str:
    """`wrote X[ and its signature Y] (commit it)`: how a command says it recorded something."""
    return f"wrote {config.shown(record)}{signed_note(config, args, record)} ({commit})"


def run_handler(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a command: its errors become one line on stderr and their exit code."""
    return exit_code_of(lambda: handler(args))
