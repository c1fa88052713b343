"""The gate fast cache's per-user secret: the key its entries are authenticated with.

A cache entry is replayed as a check's result, so one edited, or copied from another machine
or user (a restored CI cache, a copied build directory), must not verify: each user has a
random secret of their own in the user cache directory (`gate-cache.key`), never in the
artifacts directory a copied tree carries. Where it lives, how two first runs agree on one,
and when one is refused (readable by others, the wrong size) is this module's job.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from lane_tasks.evidence.artifacts import open_regular

__all__ = ["KEY_FILE", "load_secret", "secret_path", "user_cache_dir"]

KEY_FILE = "gate-cache.key"
_KEY_BYTES = 32


def user_cache_dir() -> Path:
    """The user cache directory: $XDG_CACHE_HOME (when absolute, on every platform), else
    ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows, ~/.cache elsewhere (as platformdirs
    resolves them)."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg)
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches"
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"])
    return Path.home() / ".cache"


def secret_path() -> Path:
    return user_cache_dir() / "lane-tasks" / KEY_FILE


def load_secret(path: Path) -> bytes:
    """This user's cache secret, created on first use: random bytes in a 0600 file, written
    to a temp file and linked into place (O_EXCL semantics, so two first runs agree on one
    secret and none reads a half-written one). Raises OSError or ValueError."""
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(os.urandom(_KEY_BYTES))
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):  # another run made it first: use theirs
            os.link(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return _read_secret(path)


def _read_secret(path: Path) -> bytes:
    with open_regular(path) as fh:  # a FIFO put in its place is refused, never waited on
        st = os.fstat(fh.fileno())
        if os.name == "posix" and (st.st_mode & 0o077 or st.st_uid != os.geteuid()):
            raise ValueError("others can read or write it (it must be yours, mode 0600)")
        data = fh.read(_KEY_BYTES + 1)
    if len(data) != _KEY_BYTES:
        raise ValueError(f"holds {len(data)} bytes, not {_KEY_BYTES}")
    return data
