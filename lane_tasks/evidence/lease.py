"""Who writes the top-level artifacts (`build/gate-fast.json` …) while lanes run at once.

Every run keeps all its artifacts in its own run directory. The top-level copies are what
people and later commands read (`release decide` reads build/release-preflight.json), so while
one nox invocation is running, it alone writes them: a second invocation started meanwhile
keeps its artifacts in its run directory only and says so. The top level therefore never mixes
two concurrent runs' files; each write is atomic, so none is ever half-written.

The owner is recorded in `<artifacts_dir>/lanes/top-level.json` (run id, the nox process id,
whether it is still running, and the files it wrote with their sha256), read and written under
an exclusive lock; an owner whose process has ended, or whose run has finished, no longer holds
the top level, and the next run to write there replaces its files.

The owner file is only a claim, not proof: anyone who can write the artifacts directory can
forge it. So a file it lists is removed only when it is a regular file (not a symlink, not a
directory) inside the artifacts directory, reached through real directories only, whose bytes
still have the digest recorded when this tool wrote it. Anything else is left alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from lane_tasks.catalog.layout import (
    NOX_PID_ENV,
    TOP_LEVEL_LOCK,
    TOP_LEVEL_OWNER,
    TOP_LEVEL_REFUSED,
)
from lane_tasks.config import Config
from lane_tasks.util.jsonio import (
    atomic_write,
    canonical_json,
    encodable,
    read_text_regular,
    sha256_file,
)
from lane_tasks.util.locks import exclusive_lock

__all__ = ["NOX_PID_ENV", "alive", "claim", "holder_of", "record_written", "release"]


def _owner_file(config: Config) -> Path:
    return config.artifacts_path() / TOP_LEVEL_OWNER


@contextlib.contextmanager
def _locked(config: Config) -> Iterator[Path]:
    with exclusive_lock(config.artifacts_path() / TOP_LEVEL_LOCK):
        yield _owner_file(config)


def _read_regular(path: Path) -> str | None:
    """A regular file's text; None when it is missing, unreadable or anything else (a FIFO
    or a directory planted there is refused by read_text_regular, never waited on)."""
    try:
        return read_text_regular(path)
    except (OSError, UnicodeDecodeError):
        return None


def alive(pid: object) -> bool:
    """Whether a process with this id exists (a pid from a record: anything else is False)."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _current(path: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads(_read_regular(path) or "null")
    except (ValueError, RecursionError):
        return None
    return doc if isinstance(doc, dict) else None


def holder_of(config: Config) -> str | None:
    """The run that holds the top level now (a lane still running), else None: a step run
    outside a lane then leaves the top level to it."""
    owner = _current(_owner_file(config))
    if owner is not None and owner.get("active") and alive(owner.get("pid")):
        return str(owner.get("run_id"))
    return None


def _refused_marker(config: Config, run_id: str) -> Path:
    return config.artifacts_path() / TOP_LEVEL_REFUSED / run_id


def claim(config: Config, run_id: str) -> str | None:
    """Take (or keep) the top level for `run_id`: None when it may write there, else the id
    of the run that holds it. Record what it then writes with `record_written`.

    A run refused once is refused for good (so it cannot add its later steps over another
    run's earlier ones), and a run that takes over from a finished one first removes that
    run's top-level files: the top level is always one run's artifacts, never two runs'."""
    marker = _refused_marker(config, run_id)
    if os.path.lexists(marker):  # whatever is there (a FIFO, a directory) refuses, unread
        return (_read_regular(marker) or "").strip() or "another run"
    pid = int(os.environ.get(NOX_PID_ENV, "0") or 0) or os.getpid()
    with _locked(config) as path:
        owner = _current(path)
        mine = owner is not None and owner.get("run_id") == run_id
        if owner is not None and not mine and owner.get("active") and alive(owner.get("pid")):
            holder = str(owner.get("run_id"))
            atomic_write(marker, holder + "\n")
            return holder
        if mine and owner is not None:
            return None
        for entry in _entries(owner):
            _remove_if_ours(config, entry)
        owner = {"run_id": run_id, "pid": pid, "active": True, "files": []}
        atomic_write(path, canonical_json(owner))
    return None


def record_written(config: Config, run_id: str, paths: Iterable[str | Path]) -> None:
    """The run holding the top level wrote `paths`: list each one inside the artifacts
    directory with its digest, so that the next run removes exactly these bytes and nothing
    else (a file outside the artifacts directory is never listed, so never removed)."""
    with _locked(config) as path:
        owner = _current(path)
        if owner is None or owner.get("run_id") != run_id:
            return
        files = {e["path"]: e for e in _entries(owner)}
        for p in paths:
            rel = _rel(config, Path(p))
            if rel is not None:
                files[rel] = {"path": rel, "sha256": sha256_file(config.root / rel)}
        atomic_write(path, canonical_json({**owner, "files": sorted(files.values(), key=_key)}))


def _key(entry: dict[str, str]) -> str:
    return entry["path"]


def _entries(owner: dict[str, Any] | None) -> list[dict[str, str]]:
    """The well-formed file entries of an owner record (path and digest, both strings); an
    older or forged record's bare paths have no digest and are never removed."""
    raw = (owner or {}).get("files")
    if not isinstance(raw, list):
        return []
    return [
        {"path": e["path"], "sha256": e["sha256"]}
        for e in raw
        if isinstance(e, dict)
        and all(isinstance(e.get(k), str) and encodable(e[k]) for k in ("path", "sha256"))
    ]


def _remove_if_ours(config: Config, entry: dict[str, str]) -> None:
    """Remove a listed top-level file only if it is provably the one this tool wrote: a
    regular file inside the artifacts directory, reached through real directories, with its
    recorded sha256. The walk holds each directory open and works relative to it (openat,
    unlinkat), so a directory swapped for a symlink meanwhile cannot redirect the unlink."""
    inner = _inner_parts(config, entry["path"])
    if inner is None:
        return
    walk = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    fds: list[int] = []
    try:
        fds.append(os.open(config.artifacts_path(), walk))
        for part in inner[:-1]:
            fds.append(os.open(part, walk, dir_fd=fds[-1]))
        fd = os.open(inner[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=fds[-1])
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                return
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
        if digest == entry["sha256"]:
            os.unlink(inner[-1], dir_fd=fds[-1])
    except OSError:
        return  # a symlink, a non-directory on the way, changed or gone: not ours to chase
    finally:
        for d in fds:
            os.close(d)


def _inner_parts(config: Config, rel: str) -> tuple[str, ...] | None:
    """`rel` (relative to the repository) as its components below the artifacts directory,
    None for anything that is not a path strictly inside it."""
    p = Path(rel)
    if p.is_absolute() or ".." in p.parts or "\x00" in rel or not p.parts:
        return None
    try:
        inner = (config.root / p).relative_to(config.artifacts_path())
    except ValueError:
        return None
    return inner.parts or None  # the artifacts directory itself: never a file of ours


def _rel(config: Config, out: Path) -> str | None:
    """`out` relative to the repository when it is a file inside the artifacts directory."""
    absolute = Path(os.path.normpath(out if out.is_absolute() else Path.cwd() / out))
    try:
        absolute.relative_to(config.artifacts_path())
        return absolute.relative_to(config.root).as_posix()
    except ValueError:
        return None  # elsewhere in (or outside) the repository: not ours to remove


def release(config: Config, run_id: str) -> None:
    """The run ended: the top level is free for the next run, which replaces its files."""
    with contextlib.suppress(OSError):  # a directory planted there: the run stays refused
        _refused_marker(config, run_id).unlink(missing_ok=True)
    with _locked(config) as path:
        owner = _current(path)
        if owner is not None and owner.get("run_id") == run_id:
            atomic_write(path, canonical_json({**owner, "active": False}))
