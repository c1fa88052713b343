"""The one exclusive file lock: the top-level lease and gate release's dist turn-taking."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from lane_tasks.errors import EnvironmentProblem

__all__ = ["exclusive_lock"]


@contextlib.contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created as a regular file, its directory too) while
    the body runs. A FIFO, a directory or anything else planted there is refused at once
    (EnvironmentProblem, exit 3, naming it) instead of blocking the open until a reader
    appears."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NONBLOCK", 0)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        raise EnvironmentProblem(f"{path}: {exc.strerror or exc}") from None
    import fcntl  # POSIX only: imported here so Windows reaches cli.main's one-line refusal

    with os.fdopen(fd, "a") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise EnvironmentProblem(f"{path}: not a regular file (remove it)")
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
