"""Recording into the run history: each finished step, and how its run ended.

A step run appends its row (and creates or updates its run's); the end of a nox invocation is
recorded as complete or interrupted. After each write the run's status is worked out again from
its steps (the one status rule, `evidence.status`, then the run's own: a lane that ended without
its controls step, or was interrupted, never passed), so the history never holds a run whose
status its own steps contradict.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from lane_tasks.config import Config
from lane_tasks.evidence.actor import actor, ci_name
from lane_tasks.evidence.history import iso, open_history, repository_id, transaction
from lane_tasks.evidence.status import problem_status

__all__ = ["record_run_state", "record_step"]


def _results(doc: Mapping[str, Any]) -> str:
    """The per-check results a KPI or dashboard needs; excerpts stay in the artifacts."""
    rows = [
        {
            "id": r.get("id"),
            "status": r.get("status"),
            "owner": r.get("owner"),
            "message": r.get("message", ""),
            **({"severity": r["severity"]} if r.get("severity") else {}),
        }
        for r in doc.get("results", [])
    ]
    return json.dumps(rows, sort_keys=True, separators=(",", ":"))


def record_step(
    config: Config,
    doc: Mapping[str, Any],
    *,
    run_id: str,
    source: str,
    lane: str | None,
    started_at: datetime,
    ended_at: datetime,
    run_started_at: datetime | None = None,
) -> None:
    """Append one finished step (and create or update its run). `run_started_at`: when its
    run began (a lane's nox invocation), so the run's row is dated by the run, not its first
    step; the earliest start recorded wins."""
    repo = repository_id(config)
    step = str(doc.get("step"))
    subject = doc.get("subject") or {}
    commit = subject.get("commit")
    version = doc.get("version") if isinstance(doc.get("version"), str) else None
    with open_history(config) as conn, transaction(conn):
        conn.execute(
            "INSERT OR REPLACE INTO steps VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                repo, run_id, step, doc.get("status", "error"), lane, commit, version,
                iso(started_at), iso(ended_at), _results(doc),
            ),
        )  # fmt: skip
        conn.execute(
            """INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?)
               ON CONFLICT (repo, run_id) DO UPDATE SET
                 lane = coalesce(excluded.lane, runs.lane),
                 commit_sha = coalesce(runs.commit_sha, excluded.commit_sha),
                 version = coalesce(excluded.version, runs.version),
                 started_at = min(runs.started_at, excluded.started_at),
                 ended_at = excluded.ended_at""",
            (
                repo, run_id, source, lane, "running", "running", commit, version,
                actor(config.root), ci_name(), iso(min(started_at, run_started_at or started_at)),
                iso(ended_at),
            ),
        )  # fmt: skip
        _refresh_run(conn, repo, run_id, finished=source == "cli" or step == "controls")


def _refresh_run(
    conn: sqlite3.Connection, repo: str, run_id: str, *, finished: bool, unrecorded: bool = False
) -> None:
    rows = conn.execute(
        "SELECT step, status FROM steps WHERE repo = ? AND run_id = ?", (repo, run_id)
    ).fetchall()
    statuses = [r["status"] for r in rows]
    run = conn.execute(
        "SELECT source, lane, state FROM runs WHERE repo = ? AND run_id = ?", (repo, run_id)
    ).fetchone()
    if run is None:
        return
    problem = problem_status(statuses)  # the one rule (evidence.status), then the run's own
    status: str
    if run["state"] == "interrupted":
        status, state = "error", "interrupted"
    elif problem is not None:
        status, state = problem, "complete" if finished else run["state"]
    elif run["source"] == "cli" or (finished and "controls" in [r["step"] for r in rows]):
        status, state = "pass", "complete"
    elif finished and run["lane"] is None:
        status, state = "pass", "complete"  # `nox -s gate-fast doctor`: steps, no lane
    elif finished:
        status, state = "error", "complete"  # a lane that ended without its controls step
    else:
        status, state = "running", run["state"]
    if unrecorded and status == "pass":
        status = "error"  # a step failed without leaving its row: not a passing run
    conn.execute(
        "UPDATE runs SET status = ?, state = ? WHERE repo = ? AND run_id = ?",
        (status, state, repo, run_id),
    )


def record_run_state(
    config: Config,
    run_id: str,
    state: str,
    *,
    lane: str | None,
    unrecorded: tuple[str, ...] = (),
) -> None:
    """The nox invocation ended (`complete`) or was stopped (`interrupted`); `unrecorded`
    names its steps that failed, perhaps without recording a row (never a passing run)."""
    repo = repository_id(config)
    now = iso(datetime.now(UTC))
    with open_history(config) as conn, transaction(conn):
        conn.execute(
            """UPDATE runs SET ended_at = ?, lane = coalesce(lane, ?),
                   state = CASE WHEN ? = 'interrupted' THEN 'interrupted' ELSE state END
               WHERE repo = ? AND run_id = ?""",
            (now, lane, state, repo, run_id),
        )
        _refresh_run(conn, repo, run_id, finished=True, unrecorded=bool(unrecorded))
