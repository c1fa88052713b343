"""The directories lane-tasks writes its own files in, checked before anything is written.

lanes.toml's `artifacts_dir`, `evidence_dir` and `[history] path` are validated as text when
the file is read (config.py: relative, no `..`, no `.git`, apart from each other). What only the
disk can say is checked here, each time lanes.toml is loaded:

- each existing component on the way from the repository root to each of them is a real
  directory (a file there is exit 3 before any step runs), no symlink on the way, and none
  inside them that leads out of them: a symlinked `build/` or `build/lanes/runs` would send
  decisions, reviews, cache entries and the history wherever it points (exit 3, one line);
- the artifacts directory holds no tracked file (`artifacts_dir = "src"`): it is ignored,
  pruned and overwritten, so it must be a directory of its own (a config error, exit 2, naming
  lanes.toml's line and key).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from lane_tasks.config.lines import key_lines, key_name
from lane_tasks.config.model import Config
from lane_tasks.errors import ConfigError, EnvironmentProblem
from lane_tasks.project.git import git

__all__ = ["check_own_dirs"]


def check_own_dirs(config: Config) -> None:
    """Refuse a layout in which our writes could land outside our own directories."""
    dirs = (
        ("artifact", config.artifacts_dir),
        ("evidence", config.evidence_dir),
    )
    for what, rel in dirs:
        _no_symlink_on_the_way(config, rel, what)
        _no_symlink_leading_out(config, config.root / rel, what)
    if config.history.path is not None:
        _no_symlink_on_the_way(config, config.history.path, "history", leaf_is_file=True)
    _no_tracked_files(config)


def _refuse(config: Config, path: Path, what: str) -> EnvironmentProblem:
    target = os.path.realpath(path)
    return EnvironmentProblem(
        f"{_rel(config, path)} is a symlink "
        f"(to {target}): lane-tasks writes its {what} files only through real directories in "
        "the repository; replace the symlink with a directory"
    )


def _rel(config: Config, path: Path) -> str:
    try:
        return path.relative_to(config.root).as_posix()
    except ValueError:
        return str(path)


def _no_symlink_on_the_way(
    config: Config, rel: str, what: str, *, leaf_is_file: bool = False
) -> None:
    """Each existing component from the root down to `rel` itself is a real directory (`rel`
    itself may be a regular file where it names one: the history database)."""
    cur = config.root
    parts = Path(rel).parts
    for i, part in enumerate(parts):
        cur = cur / part
        try:
            mode = os.lstat(cur).st_mode
        except FileNotFoundError:
            return  # created later, by us, as a directory
        except OSError as exc:
            raise EnvironmentProblem(f"{cur}: {exc.strerror or exc}") from None
        if stat.S_ISLNK(mode):
            raise _refuse(config, cur, what)
        if leaf_is_file and i == len(parts) - 1 and stat.S_ISREG(mode):
            return
        if not stat.S_ISDIR(mode):  # a file where our directory goes: say so before any step
            raise EnvironmentProblem(
                f"{cur}: {os.strerror(errno.ENOTDIR)}: lane-tasks keeps its {what} files in a "
                "directory there; move the file away"
            )


def _no_symlink_leading_out(config: Config, base: Path, what: str) -> None:
    """No symlink inside `base` resolves outside it (one that stays inside is harmless)."""
    if not base.is_dir() or base.is_symlink():
        return
    real_base = os.path.realpath(base)
    stack = [base]
    while stack:
        d = stack.pop()
        try:
            entries = list(os.scandir(d))
        except OSError:
            continue
        for entry in entries:
            if entry.is_symlink():
                target = os.path.realpath(entry.path)
                if os.path.commonpath([real_base, target]) != real_base:
                    raise _refuse(config, Path(entry.path), what)
            elif entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))


def _no_tracked_files(config: Config) -> None:
    """The artifacts directory is ours alone: a tracked file in it is refused."""

    r = git(config.root, "ls-files", "-z", "--", f":(literal){config.artifacts_dir}")
    if r.returncode != 0:
        return  # not a git repository (doctor says so): nothing tracked to protect
    tracked = [p for p in r.stdout.split("\0") if p]
    if not tracked:
        return
    more = f" and {len(tracked) - 1} more" if len(tracked) > 1 else ""
    key = ["project", "artifacts_dir"]
    raise ConfigError(
        f"'{config.artifacts_dir}' holds tracked files ({tracked[0]}{more}): the artifacts "
        "directory is ignored, pruned and overwritten, so it must be a directory of its own "
        "(the default is .lane-tasks)",
        path=config.path,
        line=key_lines(config.path)(key),
        key=key_name(config.path, key),
    )
