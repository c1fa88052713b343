"""Moving history between stores: `history export` (JSONL) and `history import` (JSONL, another
history file, or a run manifest from the run store).

A program sees many repositories (and many CI jobs) in one store by importing their exports.
Every row keeps its primary key, and import inserts-or-ignores, so importing the same file
twice adds nothing. An import validates every row first and writes them in one transaction:
a bad row names its file, line and key, and nothing of that import is written.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

from lane_tasks.config import Config
from lane_tasks.errors import ConfigError, did_you_mean
from lane_tasks.evidence.artifacts import read_text_regular, schema_errors
from lane_tasks.evidence.history import (
    REQUIRED,
    TABLES,
    connect,
    count_event_days,
    history_path,
    iso,
    open_history,
    repository_id,
    transaction,
)
from lane_tasks.evidence.status import problem_status
from lane_tasks.evidence.store import MANIFEST
from lane_tasks.kpi.records import ImportCount, sync_evidence
from lane_tasks.util.clock import future_problem, parse_time

__all__ = ["ROW_TYPES", "export_jsonl", "import_files"]

ROW_TYPES = {"run": "runs", "step": "steps", "record": "records", "event": "events"}
_EXPORT_NAMES = {"type": "event_type"}
"""Columns exported under another name: an event's `type` column would clash with the line's."""
"""The `type` of a JSONL line and the table it belongs to."""
_TIME_COLUMNS = ("started_at", "ended_at", "at")
_STATUSES = {
    "runs": ("pass", "fail", "error", "running"),
    "steps": ("pass", "fail", "error", "skip"),
}
_SQLITE_MAGIC = b"SQLite format 3\x00"


def export_jsonl(config: Config, out: TextIO) -> dict[str, int]:
    """Every row of the history (evidence records synced first), one JSON object a line,
    ordered by table and key: the same history exports the same bytes. A line's `type` is its
    row kind (run, step, record, event); an event's own type is its `event_type`."""
    counts: dict[str, int] = {}
    with open_history(config) as conn:
        sync_evidence(config, conn)
        for kind, table in ROW_TYPES.items():
            cols = TABLES[table]
            n = 0
            for row in conn.execute(f"SELECT * FROM {table} ORDER BY {', '.join(cols[:3])}"):  # noqa: S608
                obj = {_EXPORT_NAMES.get(c, c): row[c] for c in cols} | {"type": kind}
                out.write(json.dumps(obj, sort_keys=True, ensure_ascii=False) + "\n")
                n += 1
            counts[table] = n
    return counts


def _check_row(table: str, row: Mapping[str, Any], path: Path, line: int | None) -> tuple[Any, ...]:
    """A row as the table's tuple, or ConfigError naming file, line and key (a time in the
    future beyond the clock skew included)."""
    cols = TABLES[table]
    for key in row:
        if key not in cols:
            raise ConfigError(
                f"unknown column for a {table} row{did_you_mean(key, cols)}",
                path=path,
                line=line,
                key=key,
            )
    for key in REQUIRED[table]:
        value = row.get(key)
        if not isinstance(value, str) or not value:
            raise ConfigError("is required (a non-empty string)", path=path, line=line, key=key)
    for key in cols:
        if row.get(key) is not None and not isinstance(row[key], str):
            raise ConfigError("must be a string or null", path=path, line=line, key=key)
        try:
            (row.get(key) or "").encode("utf-8")
        except UnicodeEncodeError:  # what JSON's \ud800 escapes decode to: SQLite cannot store it
            raise ConfigError(
                "is not valid Unicode text (a lone surrogate)", path=path, line=line, key=key
            ) from None
    values = dict(row)
    for key in _TIME_COLUMNS:
        if key in cols and values.get(key) is not None:
            try:
                at = parse_time(values[key])
            except ValueError:
                raise ConfigError(
                    f"'{values[key]}' is not an ISO 8601 time", path=path, line=line, key=key
                ) from None
            if late := future_problem(at, key):  # a run from 2999 would skew every KPI
                raise ConfigError(late, path=path, line=line, key=key)
            values[key] = iso(at)
    ended = values.get("ended_at")
    if ended is not None and "started_at" in cols and ended < values["started_at"]:
        raise ConfigError(
            f"{ended} is before started_at {values['started_at']}",
            path=path,
            line=line,
            key="ended_at",
        )
    if table in ("records", "steps", "events"):
        column = "results" if table == "steps" else "data"
        try:
            parsed = json.loads(values[column])
        except (ValueError, RecursionError):
            raise ConfigError("is not JSON", path=path, line=line, key=column) from None
        if table == "records":
            problem = schema_errors(parsed)
            if problem is None and parsed.get("schema") != f"lane-tasks/{values['kind']}":
                problem = f"is a {parsed.get('schema')} record, not a {values['kind']} record"
            if problem:
                raise ConfigError(problem, path=path, line=line, key="data")
    allowed = _STATUSES.get(table)
    if allowed and values["status"] not in allowed:
        raise ConfigError(
            f"'{values['status']}' is not one of {', '.join(allowed)}",
            path=path,
            line=line,
            key="status",
        )
    return tuple(values.get(c) for c in cols)


Row = tuple[str, tuple[Any, ...], Path, int | None]
"""A checked row: its table, its values, and the file and line it came from."""


def _jsonl_rows(path: Path, text: str) -> Iterator[Row]:
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
        for column, name in _EXPORT_NAMES.items():
            if table == "events" and name in obj:
                obj[column] = obj.pop(name)
        yield table, _check_row(table, obj, path, n), path, n


def _sqlite_rows(path: Path) -> Iterator[Row]:
    try:
        src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        src.row_factory = sqlite3.Row
        try:
            for table, cols in TABLES.items():
                for row in src.execute(f"SELECT {', '.join(cols)} FROM {table}"):  # noqa: S608
                    yield table, _check_row(table, dict(row), path, None), path, None
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
        yield "steps", *_located(_check_row(
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
    yield "runs", *_located(_check_row(
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


def _rows_of(config: Config, path: Path) -> list[Row]:
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


KEYS = {"runs": 2, "steps": 3, "records": 3, "events": 2}
"""How many leading columns of each table make its primary key."""


def _where(path: Path, line: int | None) -> str:
    return f"{path}:{line}" if line is not None else str(path)


def _unique(rows: list[Row], conn: sqlite3.Connection) -> list[Row]:
    """The rows without repeats; ConfigError when two rows (in the files, or a file and the
    history) share a key with different values: keeping either one silently would make the
    history say what one of its sources did not."""
    seen: dict[tuple[str, tuple[Any, ...]], Row] = {}
    out: list[Row] = []
    for row in rows:
        table, values, path, line = row
        key = (table, values[: KEYS[table]])
        first = seen.get(key)
        if first is None:
            seen[key] = row
            out.append(row)
            stored = conn.execute(
                f"SELECT * FROM {table} WHERE "  # noqa: S608
                + " AND ".join(f"{c} = ?" for c in TABLES[table][: KEYS[table]]),
                key[1],
            ).fetchone()
            if stored is not None and tuple(stored) != values:
                raise _conflict(
                    table, values, tuple(stored), path, line, "the row already in the history"
                )
        elif first[1] != values:
            raise _conflict(table, values, first[1], path, line, _where(first[2], first[3]))
        else:
            out.append(row)  # the same row twice: counted as already there
    return out


def _conflict(
    table: str,
    values: tuple[Any, ...],
    other_values: tuple[Any, ...],
    path: Path,
    line: int | None,
    other: str,
) -> ConfigError:
    cols = TABLES[table]
    n = KEYS[table]
    key = ", ".join(f"{c}={v!r}" for c, v in zip(cols[:n], values[:n], strict=True))
    differ = [c for c, a, b in zip(cols, values, other_values, strict=True) if a != b]
    return ConfigError(
        f"conflicts with {other}: a {table[:-1]} row with the same key ({key}) and another "
        f"{', '.join(differ)}; nothing imported",
        path=path,
        line=line,
        key=differ[0] if differ else None,
    )


def _check_steps_have_runs(rows: list[Row], conn: sqlite3.Connection) -> None:
    runs = {values[:2] for table, values, _, _ in rows if table == "runs"}
    for table, values, path, line in rows:
        if table != "steps" or values[:2] in runs:
            continue
        if (
            conn.execute("SELECT 1 FROM runs WHERE repo = ? AND run_id = ?", values[:2]).fetchone()
            is None
        ):
            raise ConfigError(
                f"a step of run {values[1]!r} of {values[0]!r}, which is neither in the "
                "import nor in the history",
                path=path,
                line=line,
                key="run_id",
            )
        runs.add(values[:2])


_STATES = ("running", "complete", "interrupted")


def _check_run_status(rows: list[Row], conn: sqlite3.Connection) -> None:
    """A run row must say what the history itself would say of it: an interrupted run is an
    error, never a pass; a run one of whose steps (imported or already kept) failed or erred
    did not pass. Else the history would list as passing what its own rows contradict."""
    steps: dict[tuple[Any, ...], list[str]] = {}
    for table, values, _, _ in rows:
        if table == "steps":
            steps.setdefault(values[:2], []).append(values[TABLES["steps"].index("status")])
    cols = TABLES["runs"]
    for table, values, path, line in rows:
        if table != "runs":
            continue
        state, status = values[cols.index("state")], values[cols.index("status")]
        if state not in _STATES:
            raise ConfigError(
                f"'{state}' is not one of {', '.join(_STATES)}", path=path, line=line, key="state"
            )
        if state == "interrupted" and status != "error":
            raise ConfigError(
                f"an interrupted run is an error, not '{status}'",
                path=path,
                line=line,
                key="status",
            )
        if status != "pass":
            continue
        statuses = steps.get(values[:2], []) + [
            r[0]
            for r in conn.execute(
                "SELECT status FROM steps WHERE repo = ? AND run_id = ?", values[:2]
            )
        ]
        bad = problem_status(statuses)
        if bad:
            raise ConfigError(
                f"the run says pass although one of its steps is {bad}",
                path=path,
                line=line,
                key="status",
            )


def import_files(config: Config, paths: list[Path]) -> dict[str, ImportCount]:
    """Merge every file into this repository's history; all or nothing."""
    rows: list[Row] = []
    target = history_path(config).resolve()
    for path in paths:
        if path.is_dir() and (path / MANIFEST).is_file():
            path = path / MANIFEST
        if path.resolve() == target:
            raise ConfigError("is this repository's own history", path=path)
        rows += _rows_of(config, path)
    counts = {t: [0, 0] for t in TABLES}
    conn = connect(history_path(config))
    try:
        with transaction(conn):
            rows = _unique(rows, conn)
            _check_steps_have_runs(rows, conn)
            _check_run_status(rows, conn)
            for table, values, _, _ in rows:
                marks = ",".join("?" * len(values))
                before = conn.total_changes
                conn.execute(f"INSERT OR IGNORE INTO {table} VALUES ({marks})", values)  # noqa: S608
                counts[table][0 if conn.total_changes > before else 1] += 1
            days = {(v[0], v[3][:10]) for table, v, _, _ in rows if table == "events"}
            if days:
                count_event_days(conn, days)
    finally:
        conn.close()
    return {t: ImportCount(a, p) for t, (a, p) in counts.items()}
