"""An import checked as a whole, against itself and the history it goes into.

Each row is fine on its own (`kpi.history_row`); these checks need all of them at once: two
rows with one key and different values (in the files, or a file and the history), a step of a
run that is nowhere, a run whose status its own steps (imported or already kept) contradict.
Any of them refuses the whole import, so the history never says what one of its sources did
not.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from lane_tasks.errors import ConfigError
from lane_tasks.evidence.history import TABLES
from lane_tasks.evidence.status import problem_status
from lane_tasks.kpi.history_row import Row

__all__ = ["KEYS", "check_run_status", "check_steps_have_runs", "stored_repos", "unique"]


KEYS = {"runs": 2, "steps": 3, "records": 3, "events": 2}
"""How many leading columns of each table make its primary key."""


def _where(path: Path, line: int | None) -> str:
    return f"{path}:{line}" if line is not None else str(path)


def stored_repos(rows: list[Row], conn: sqlite3.Connection) -> dict[str, set[str]]:
    """Per table, the repositories of the import that already have rows of it in the
    history: only their rows can meet a stored row (every key starts with the repository), so
    merging into an empty history, or adding a new repository, asks nothing row by row."""
    repos = {values[0] for _, values, _, _ in rows}
    return {
        table: {
            repo
            for repo in repos
            if conn.execute(f"SELECT 1 FROM {table} WHERE repo = ? LIMIT 1", (repo,)).fetchone()  # noqa: S608
        }
        for table in TABLES
    }


def unique(
    rows: list[Row], conn: sqlite3.Connection, stored: dict[str, set[str]] | None = None
) -> list[Row]:
    """The rows without repeats; ConfigError when two rows (in the files, or a file and the
    history) share a key with different values: keeping either one silently would make the
    history say what one of its sources did not. `stored`: `stored_repos` of these rows."""
    if stored is None:
        stored = stored_repos(rows, conn)
    seen: dict[tuple[str, tuple[Any, ...]], Row] = {}
    out: list[Row] = []
    lookups = {
        table: f"SELECT * FROM {table} WHERE "  # noqa: S608
        + " AND ".join(f"{c} = ?" for c in TABLES[table][: KEYS[table]])
        for table in TABLES
    }
    for row in rows:
        table, values, path, line = row
        key = (table, values[: KEYS[table]])
        first = seen.get(key)
        if first is None:
            seen[key] = row
            out.append(row)
            if values[0] not in stored[table]:
                continue
            stored_row = conn.execute(lookups[table], key[1]).fetchone()
            if stored_row is not None and tuple(stored_row) != values:
                raise _conflict(
                    table, values, tuple(stored_row), path, line, "the row already in the history"
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


def check_steps_have_runs(rows: list[Row], conn: sqlite3.Connection) -> None:
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


def check_run_status(
    rows: list[Row], conn: sqlite3.Connection, stored: dict[str, set[str]] | None = None
) -> None:
    """A run row must say what the history itself would say of it: an interrupted run is an
    error, never a pass; a run one of whose steps (imported or already kept) failed or erred
    did not pass. Else the history would list as passing what its own rows contradict.
    `stored`: `stored_repos` of these rows (a repository with no steps kept has none to ask)."""
    if stored is None:
        stored = stored_repos(rows, conn)
    kept = stored["steps"]
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
        statuses = steps.get(values[:2], [])
        if values[0] in kept:
            statuses = statuses + [
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
