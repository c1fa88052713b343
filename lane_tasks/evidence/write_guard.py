"""Where lane-tasks may write: inside the repository, unless the user says otherwise.

A `--out` (or `--out-dir`) that resolves outside the repository root, directly or through a
symlink anywhere on its way, is refused with exit 2 unless `--allow-outside-root` is given: a
lanes.toml, a CI variable or a typo must not make lane-tasks overwrite files elsewhere. An
`--out` that is an existing directory, or lies in the repository's `.git` directory (git's
config, hooks and index), or is an existing symlink, FIFO or device (the write would replace
that entry: as root, `/dev/stdout` itself), is refused too (exit 2), before anything runs.

One rule for every front door: the CLI's `--out` (cli.paths) and the artifacts the nox
sessions write.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from lane_tasks.catalog.commands import ALLOW_FLAG
from lane_tasks.errors import ConfigError

__all__ = ["guarded_output"]


def guarded_output(
    value: str,
    *,
    root: Path,
    allow_outside: bool = False,
    key: str = "--out",
    directory: bool = False,
) -> Path:
    """`value` as a path to write under the repository `root`, after the guard; ConfigError
    (exit 2) when refused. A file to write (not `directory`) that is an existing directory is
    refused as well."""
    path = Path(value)
    if not directory and path.is_dir():
        raise ConfigError(
            f"'{value}' is a directory; give a file name (such as "
            f"{value.rstrip('/') or '.'}/report.json)",
            key=key,
        )
    real = Path(os.path.realpath(path if path.is_absolute() else Path.cwd() / path))
    if real.is_relative_to(root) and ".git" in real.relative_to(root).parts:
        # git's own files (config, hooks, the index) are never a report: a typo or a
        # variable must not overwrite them, and no flag lifts this
        raise ConfigError(
            f"'{value}' is inside the repository's .git directory; write the report elsewhere",
            key=key,
        )
    inside = real == root or real.is_relative_to(root)
    if inside or allow_outside:
        if not directory and (why := _not_a_plain_file(path)):
            # atomic_write renames a new file over the target: over a symlink, FIFO or device
            # it would replace that entry itself (as root, /dev/stdout), never what is meant
            raise ConfigError(f"'{value}' is {why}; give a regular file to write", key=key)
        return path
    via = ""
    lexical = Path(os.path.normpath(Path.cwd() / path))
    if lexical.is_relative_to(root):
        via = f" (through a symlink: it resolves to {real})"
    raise ConfigError(
        f"'{value}' is outside the repository {root}{via}; pass {ALLOW_FLAG} to write there",
        key=key,
    )


def _not_a_plain_file(path: Path) -> str | None:
    """What an existing `path` is when it is not a regular file (or absent), else None."""
    try:
        mode = path.lstat().st_mode
    except OSError:
        return None  # absent (or unreadable: the write itself reports that with the path)
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return f"a symlink (to {path.readlink()})"
    return "a FIFO, socket or device, not a regular file"
