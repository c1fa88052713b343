"""Who writes the top-level artifacts (`build/gate-fast.json` …) while lanes run at once.

Every run keeps all its artifacts in its own run directory. The top-level copies are what
people and later commands read (`release decide` reads build/release-preflight.json), so while
one nox invocation is running, it alone writes them: a second invocation started meanwhile
keeps its artifacts in its run directory only and says so. The top level therefore never mixes
two concurrent runs' files; each write is atomic, so none is ever half-written.

The owner is recorded in `<artifacts_dir>/lanes/top-level.json` (run id, the nox process id,
whether it is still running, and the files it wrote), read and written under an exclusive
lock; an owner whose process has ended, or whose run has finished, no longer holds the top
level, and the next run to write there replaces its files.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lane_tasks.artifacts import atomic_write, canonical_json
from lane_tasks.config import Config

__all__ = ["NOX_PID_ENV", "alive", "claim", "release"]

NOX_PID_ENV = "LANE_TASKS_NOX_PID"
"""Set by the noxfile: the process whose life is the run's (inherited by venv-backend steps)."""


def _owner_file(config: Config) -> Path:
    return config.artifacts_path() / "lanes" / "top-level.json"


@contextlib.contextmanager
def _locked(config: Config) -> Iterator[Path]:
    path = _owner_file(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    with (path.parent / ".top-level.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield path
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


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
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def _refused_marker(config: Config, run_id: str) -> Path:
    return config.artifacts_path() / "lanes" / "top-level-refused" / run_id


def claim(config: Config, run_id: str, out: str | Path | None = None) -> str | None:
    """Take (or keep) the top level for `run_id`, recording `out` as one of its files: None
    when it may write there, else the id of the run that holds it.

    A run refused once is refused for good (so it cannot add its later steps over another
    run's earlier ones), and a run that takes over from a finished one first removes that
    run's top-level files: the top level is always one run's artifacts, never two runs'."""
    marker = _refused_marker(config, run_id)
    if marker.exists():
        return marker.read_text(encoding="utf-8").strip() or "another run"
    pid = int(os.environ.get(NOX_PID_ENV, "0") or 0) or os.getpid()
    with _locked(config) as path:
        owner = _current(path)
        mine = owner is not None and owner.get("run_id") == run_id
        if owner is not None and not mine and owner.get("active") and alive(owner.get("pid")):
            holder = str(owner.get("run_id"))
            atomic_write(marker, holder + "\n")
            return holder
        if owner is None or not mine:
            for rel in owner.get("files", []) if owner else []:
                (config.root / str(rel)).unlink(missing_ok=True)
            owner = {"run_id": run_id, "pid": pid, "active": True, "files": []}
        files = [str(f) for f in owner.get("files") or []]
        if out is not None:
            rel = _rel(config, Path(out))
            if rel is not None and rel not in files:
                files.append(rel)
        atomic_write(path, canonical_json({**owner, "files": sorted(files)}))
    return None


def _rel(config: Config, out: Path) -> str | None:
    try:
        return (
            (out if out.is_absolute() else Path.cwd() / out)
            .resolve()
            .relative_to(config.root)
            .as_posix()
        )
    except ValueError:
        return None  # written outside the repository (--allow-outside-root): not ours to remove


def release(config: Config, run_id: str) -> None:
    """The run ended: the top level is free for the next run, which replaces its files."""
    _refused_marker(config, run_id).unlink(missing_ok=True)
    with _locked(config) as path:
        owner = _current(path)
        if owner is not None and owner.get("run_id") == run_id:
            atomic_write(path, canonical_json({**owner, "active": False}))
