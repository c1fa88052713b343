"""Run history: every step and lane run appended to one SQLite file, merged across repositories.

KPIs are computed from this store and nothing else, so every number can be traced back to a
recorded run or record. SQLite through the standard library, in WAL mode with a busy timeout,
so two lanes writing at once both keep every row. Every table's primary key starts with the
repository, and rows are only ever inserted-or-ignored (runs and steps) or replaced by the same
key (records), so importing the same history twice adds nothing.

Tables:
- `runs`: one row per run (a nox invocation, or one CLI step run outside nox).
- `steps`: one row per step of a run, with its per-check results (id, status, owner, message).
- `records`: decisions, rollbacks, triage and KPI reviews, synced from the tracked evidence
  directory (their home) so a program's history carries them too.
- `events`: imported docs-view and adoption events.

Besides each table's key, indexes answer the KPIs' queries (`kpi.definitions.HistoryRows`)
from the index alone: first lane runs per (repository, actor), finished runs in time order,
gate-release steps in time order; and the dashboard's latest lane run per repository.

This module is the store itself (its tables, opening it, transactions, the repository a row
belongs to); what a step or a run writes into it is `evidence.history_record`.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from lane_tasks.catalog.layout import HISTORY, HISTORY_NAME
from lane_tasks.config import Config
from lane_tasks.errors import ConfigError, EnvironmentProblem, LaneTasksError
from lane_tasks.project.git import git
from lane_tasks.util.clock import parse_time

__all__ = [
    "HISTORY_NAME",
    "RunRow",
    "connect",
    "count_event_days",
    "history_path",
    "iso",
    "open_history",
    "parse_time",
    "repository_id",
]

SCHEMA_VERSION = 1

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    repo TEXT NOT NULL, run_id TEXT NOT NULL, source TEXT NOT NULL, lane TEXT,
    status TEXT NOT NULL, state TEXT NOT NULL, commit_sha TEXT, version TEXT,
    actor TEXT, ci TEXT, started_at TEXT NOT NULL, ended_at TEXT,
    PRIMARY KEY (repo, run_id));
CREATE TABLE IF NOT EXISTS steps (
    repo TEXT NOT NULL, run_id TEXT NOT NULL, step TEXT NOT NULL, status TEXT NOT NULL,
    lane TEXT, commit_sha TEXT, version TEXT, started_at TEXT NOT NULL, ended_at TEXT NOT NULL,
    results TEXT NOT NULL,
    PRIMARY KEY (repo, run_id, step));
CREATE TABLE IF NOT EXISTS records (
    repo TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, at TEXT NOT NULL,
    version TEXT, run_id TEXT, owner TEXT, data TEXT NOT NULL,
    PRIMARY KEY (repo, kind, key));
CREATE TABLE IF NOT EXISTS events (
    repo TEXT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL, at TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (repo, id));
CREATE TABLE IF NOT EXISTS event_days (
    repo TEXT NOT NULL, type TEXT NOT NULL, day TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (repo, type, day));
CREATE INDEX IF NOT EXISTS events_by_day ON events (repo, at);
CREATE INDEX IF NOT EXISTS steps_by_step ON steps (step, started_at);
CREATE INDEX IF NOT EXISTS steps_by_lane ON steps (repo, step, lane, started_at);
CREATE INDEX IF NOT EXISTS runs_by_time ON runs (started_at);
CREATE INDEX IF NOT EXISTS runs_first_lane ON runs (repo, coalesce(actor, ''), started_at, status)
    WHERE source = 'nox' AND lane IS NOT NULL AND status IN ('pass', 'fail', 'error')
    AND state != 'interrupted';
CREATE INDEX IF NOT EXISTS runs_finished ON runs (started_at, repo, lane, run_id, status)
    WHERE status IN ('pass', 'fail', 'error') AND state != 'interrupted';
CREATE INDEX IF NOT EXISTS runs_latest ON runs (repo, lane, started_at)
    WHERE source = 'nox' AND lane IS NOT NULL;
CREATE INDEX IF NOT EXISTS steps_covering ON steps
    (step, started_at, status, repo, version, run_id);
"""

TABLES: dict[str, tuple[str, ...]] = {
    "runs": (
        "repo", "run_id", "source", "lane", "status", "state", "commit_sha", "version",
        "actor", "ci", "started_at", "ended_at",
    ),
    "steps": (
        "repo", "run_id", "step", "status", "lane", "commit_sha", "version", "started_at",
        "ended_at", "results",
    ),
    "records": ("repo", "kind", "key", "at", "version", "run_id", "owner", "data"),
    "events": ("repo", "id", "type", "at", "data"),
}  # fmt: skip
"""Columns of each table, in order: the export and import formats are built from these."""

REQUIRED: dict[str, tuple[str, ...]] = {
    "runs": ("repo", "run_id", "source", "status", "state", "started_at"),
    "steps": ("repo", "run_id", "step", "status", "started_at", "ended_at", "results"),
    "records": ("repo", "kind", "key", "at", "data"),
    "events": ("repo", "id", "type", "at", "data"),
}


def iso(when: datetime) -> str:
    """One time format for every row, so that text order is time order."""
    return when.astimezone(UTC).isoformat(timespec="milliseconds")


def history_path(config: Config) -> Path:
    rel = config.history.path or f"{config.artifacts_dir}/{HISTORY}"
    return config.root / rel


_BUSY = 5
"""SQLITE_BUSY: another connection holds the lock."""

_BUSY_WAIT_S = 30.0


def _journal_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL. SQLite answers SQLITE_BUSY at once, without waiting out the busy
    timeout, when another process is switching the same new file to WAL at that moment (two
    lane-tasks processes starting on a project without a history yet): wait for it here, as
    long as the busy timeout would have."""
    deadline = time.monotonic() + _BUSY_WAIT_S
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            code = getattr(exc, "sqlite_errorcode", None)
            if code is None or code & 0xFF != _BUSY or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating) a history file: WAL, a generous busy timeout, the tables in place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(path, timeout=_BUSY_WAIT_S, isolation_level=None)
    except sqlite3.Error as exc:
        raise storage_problem(path, exc) from None
    conn.row_factory = sqlite3.Row
    try:
        conn.execute("PRAGMA busy_timeout = 30000")
        _journal_wal(conn)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.executescript(_DDL)
        conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
            (str(SCHEMA_VERSION),),
        )
    except sqlite3.Error as exc:
        conn.close()
        raise storage_problem(path, exc) from None
    return conn


_NOT_A_HISTORY = (11, 26)
"""SQLITE_CORRUPT and SQLITE_NOTADB: the file is not (or no longer) a database. Every other
error (SQLITE_IOERR, SQLITE_FULL, SQLITE_READONLY, SQLITE_CANTOPEN …) is the disk's."""


def storage_problem(path: Path, exc: sqlite3.Error) -> LaneTasksError:
    """A history that is not one is bad input (exit 2); a read-only or full disk under a good
    one is the environment's (exit 3), named as such, not as "not a lane-tasks history"."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None and code & 0xFF in _NOT_A_HISTORY:
        return ConfigError(f"not a lane-tasks history ({exc})", path=path)
    return EnvironmentProblem(f"{path}: cannot write the history: {exc}{_os_reason(path)}")


def _os_reason(path: Path) -> str:
    """What the OS says about writing there (SQLite's own message names no errno)."""
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o666))
    except OSError as exc:
        return f" ({path}: {exc.strerror or exc})"
    try:  # its journal files go beside it
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as exc:
        return f" ({path.parent}: {exc.strerror or exc})"
    return ""


@contextlib.contextmanager
def open_history(config: Config) -> Iterator[sqlite3.Connection]:
    path = history_path(config)
    conn = connect(path)
    try:
        yield conn
    except sqlite3.OperationalError as exc:
        raise storage_problem(path, exc) from None
    finally:
        conn.close()


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE: take the write lock up front, so two writers queue instead of failing
    half-way (the busy timeout makes the second one wait)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


_DAYS_BY_REPO = 30
"""An import touching more days than this per repository recounts those repositories whole
(one pass over their events) instead of day by day: the counts are the same either way."""


def count_event_days(conn: sqlite3.Connection, days: set[tuple[str, str]] | None) -> None:
    """Recount `event_days` (events per repository, type and UTC day, which KPIs read instead
    of every event) for the (repo, day) pairs an import touched, or for all of them (None).
    Call inside the import's transaction."""
    if days is None:
        conn.execute("DELETE FROM event_days")
        conn.execute(
            "INSERT INTO event_days SELECT repo, type, substr(at, 1, 10), count(*) FROM events "
            "GROUP BY repo, type, substr(at, 1, 10)"
        )
        return
    repos = sorted({repo for repo, _ in days})
    if len(days) > _DAYS_BY_REPO * len(repos):  # a repository's year, say: recount it whole
        conn.executemany("DELETE FROM event_days WHERE repo = ?", [(r,) for r in repos])
        conn.executemany(
            "INSERT INTO event_days SELECT repo, type, substr(at, 1, 10), count(*) FROM events "
            "WHERE repo = ? GROUP BY type, substr(at, 1, 10)",
            [(r,) for r in repos],
        )
        return
    pairs = sorted(days)
    conn.executemany("DELETE FROM event_days WHERE repo = ? AND day = ?", pairs)
    conn.executemany(
        "INSERT INTO event_days SELECT repo, type, substr(at, 1, 10), count(*) FROM events "
        "WHERE repo = ? AND at >= ? AND at < ? GROUP BY type",
        [(repo, day, day + "\x7f") for repo, day in pairs],
    )


# ---- the repository -------------------------------------------------------------------------


def _normalise_remote(url: str) -> str:
    """`git@github.com:acme/app.git`, `https://user:tok@github.com/acme/app` -> host/path."""
    url = url.strip()
    if "://" in url:
        rest = url.split("://", 1)[1]
        rest = rest.split("@", 1)[1] if "@" in rest.split("/", 1)[0] else rest
    elif "@" in url and ":" in url:
        rest = url.split("@", 1)[1].replace(":", "/", 1)
    else:
        rest = url
    rest = rest.rstrip("/")
    return rest.removesuffix(".git")


@cache
def _repository_id(root: Path, configured: str | None) -> str:
    if configured:
        return configured
    remote = git(root, "remote", "get-url", "origin")
    if remote.returncode == 0 and remote.stdout.strip():
        return _normalise_remote(remote.stdout)
    return root.name


def repository_id(config: Config) -> str:
    """This repository's name in a (possibly shared) history."""
    return _repository_id(config.root, config.history.repository)


@dataclass(frozen=True)
class RunRow:
    repo: str
    run_id: str
    source: str
    lane: str | None
    status: str
    state: str
    commit_sha: str | None
    version: str | None
    actor: str | None
    ci: str | None
    started_at: str
    ended_at: str | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> RunRow:
        return cls(**{k: row[k] for k in TABLES["runs"]})
