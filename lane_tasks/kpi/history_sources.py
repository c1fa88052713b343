"""The files `history import` reads, each turned into checked rows: a JSONL history export,
another history file (SQLite), or a run manifest from the run store with its step artifacts.

The kind of a file is told by its bytes (SQLite's magic, a JSON document's `schema`, else
JSONL), so a program can import whatever its CI jobs left behind. Each row is checked by
`kpi.history_row` as it is read; the import as a whole is checked by `kpi.history_conflicts`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from lane_tasks.config import Config
from lane_tasks.errors import ConfigError, did_you_mean
from lane_tasks.evidence.artifacts import read_text_regular, schema_errors
from lane_tasks.evidence.history import TABLES, iso, repository_id
from lane_tasks.evidence.store import MANIFEST
from lane_tasks.kpi.history_row import EXPORT_NAMES, ROW_TYPES, Row, check_row
from lane_tasks.util.clock import parse_time, utc_now

__all__ = ["rows_of"]

_SQLITE_MAGIC = b"SQLite format 3\x00"


def _jsonl_rows(path: Path, text: str) -> Iterator[Row]:
    now = utc_now()
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError) as exc:
            raise ConfigError(f"not JSON: {exc}", path=path, line=n) from None
        if not isinstance(obj, dict):
            raise ConfigError("a history line is a JSON object", path=path, line=n)
        kind = obj.pop("type", None)
        if not isinstance(kind, str) or kind not in ROW_TYPES:
            hint = did_you_mean(str(kind), ROW_TYPES) if isinstance(kind, str) else ""
            raise ConfigError(
                f"must be one of {', '.join(ROW_TYPES)}, not {kind!r}{hint}",
                path=path,
                line=n,
                key="type",
            )
        table = ROW_TYPES[kind]
        for column, name in EXPORT_NAMES.items():
            if table == "events" and name in obj:
                obj[column] = obj.pop(name)
        yield table, check_row(table, obj, path, n, now), path, n


def _sqlite_rows(path: Path) -> Iterator[Row]:
    try:
        src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        src.row_factory = sqlite3.Row
        now = utc_now()
        try:
            for table, cols in TABLES.items():
                for row in src.execute(f"SELECT {', '.join(cols)} FROM {table}"):  # noqa: S608
                    yield table, check_row(table, dict(row), path, None, now), path, None
        finally:
            src.close()
    except sqlite3.DatabaseError as exc:
        raise ConfigError(f"not a lane-tasks history ({exc})", path=path) from None


def _manifest_rows(config: Config, path: Path, doc: Mapping[str, Any]) -> Iterator[Row]:
    """A run manifest (and the step artifacts beside it) as a run and its steps."""
    run = doc["run"]
    repo = doc.get("repository") or repository_id(config)
    started = _time(path, "run", run["started_at"])
    ended = _time(path, "run", run["started_at"], run.get("duration_s"))
    commit = (doc.get("subject") or {}).get("commit")
    version = None
    for result in doc.get("results", []):
        artifact = path.parent / str(result.get("artifact", ""))
        try:
            step_doc = json.loads(read_text_regular(artifact))
        except (OSError, ValueError, RecursionError):
            step_doc = {}
        if schema_errors(step_doc) is not None:
            step_doc = {}
        step_run = step_doc.get("run") or {}
        s_start, s_end = started, started
        if step_run:
            s_start = _time(artifact, "run", step_run["started_at"])
            s_end = _time(artifact, "run", step_run["started_at"], step_run["duration_s"])
        v = step_doc.get("version") if isinstance(step_doc.get("version"), str) else None
        version = version or v
        results = [
            {k: r.get(k) for k in ("id", "status", "owner", "message")}
            for r in step_doc.get("results", [])
        ]
        yield "steps", *_located(check_row(
            "steps",
            {
                "repo": repo, "run_id": run["id"], "step": result["id"],
                "status": result["status"], "lane": doc.get("lane"), "commit_sha": commit,
                "version": v, "started_at": s_start, "ended_at": s_end,
                "results": json.dumps(results, sort_keys=True, separators=(",", ":")),
            },
            path,
            None,
        ), path)  # fmt: skip
    state = run.get("state", "complete")
    status = doc["status"]
    if state == "interrupted":
        status = "error"
    elif doc.get("lane") and "controls" not in [r["id"] for r in doc.get("results", [])]:
        status = status if status in ("fail", "error") else "error"
    yield "runs", *_located(check_row(
        "runs",
        {
            "repo": repo, "run_id": run["id"], "source": "nox", "lane": doc.get("lane"),
            "status": status, "state": "interrupted" if state == "interrupted" else "complete",
            "commit_sha": commit, "version": version, "actor": doc.get("actor"),
            "ci": doc.get("ci"), "started_at": started, "ended_at": ended,
        },
        path,
        None,
    ), path)  # fmt: skip


def _located(values: tuple[Any, ...], path: Path) -> tuple[tuple[Any, ...], Path, None]:
    return values, path, None


def _time(path: Path, key: str, started_at: str, duration_s: Any = None) -> str:
    """`started_at` (plus `duration_s` seconds) as a history time, or ConfigError: the schema
    checks only their form, which a leap second (12:00:60), a time before year 1 in UTC or a
    NaN or 1e308 duration pass."""
    try:
        return iso(parse_time(started_at) + timedelta(seconds=float(duration_s or 0.0)))
    except (ValueError, OverflowError):
        raise ConfigError(
            f"started_at {started_at!r} with duration_s {duration_s!r} is not a recordable time",
            path=path,
            key=key,
        ) from None


def rows_of(config: Config, path: Path) -> list[Row]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", path=path) from None
    if raw.startswith(_SQLITE_MAGIC):
        return list(_sqlite_rows(path))
    text = raw.decode("utf-8", "replace")
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        doc = None
    # a one-line history export is a JSON object too: a row has a `type`, a document a `schema`
    if isinstance(doc, dict) and not ("schema" not in doc and doc.get("type") in ROW_TYPES):
        if doc.get("schema") != "lane-tasks/run-manifest":
            raise ConfigError(
                f"a JSON document of schema {doc.get('schema')!r}: history import takes a "
                f"run manifest ({MANIFEST}), a history export (JSONL) or a history file",
                path=path,
            )
        problem = schema_errors(doc)
        if problem:
            raise ConfigError(f"invalid run manifest: {problem}", path=path)
        return list(_manifest_rows(config, path, doc))
    return list(_jsonl_rows(path, text))
