"""Moving history between stores: `history export` (JSONL) and `history import` (JSONL, another
history file, or a run manifest from the run store).

A program sees many repositories (and many CI jobs) in one store by importing their exports.
Every row keeps its primary key, and import inserts-or-ignores, so importing the same file
twice adds nothing. An import validates every row first and writes them in one transaction:
a bad row names its file, line and key, and nothing of that import is written.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
from collections.abc import Generator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, TextIO

from lane_tasks.config import Config
from lane_tasks.errors import ConfigError
from lane_tasks.evidence.history import (
    TABLES,
    connect,
    count_event_days,
    history_path,
    open_history,
    transaction,
)
from lane_tasks.evidence.store import MANIFEST
from lane_tasks.kpi.history_conflicts import (
    check_run_status,
    check_steps_have_runs,
    stored_repos,
    unique,
)
from lane_tasks.kpi.history_row import EXPORT_NAMES, ROW_TYPES, Row
from lane_tasks.kpi.history_sources import rows_of
from lane_tasks.kpi.records import ImportCount, with_evidence

__all__ = ["export_jsonl", "import_files"]


def export_jsonl(config: Config, out: TextIO) -> dict[str, int]:
    """Every row of the history (this repository's records as its evidence holds them), one
    JSON object a line, ordered by table and key: the same history exports the same bytes.
    A line's `type` is its row kind (run, step, record, event); an event's own type is its
    `event_type`."""
    counts: dict[str, int] = {}
    with open_history(config) as conn, with_evidence(config, conn):
        for kind, table in ROW_TYPES.items():
            cols = TABLES[table]
            n = 0
            for row in conn.execute(f"SELECT * FROM {table} ORDER BY {', '.join(cols[:3])}"):  # noqa: S608
                obj = {EXPORT_NAMES.get(c, c): row[c] for c in cols} | {"type": kind}
                out.write(json.dumps(obj, sort_keys=True, ensure_ascii=False) + "\n")
                n += 1
            counts[table] = n
    return counts


_BULK = 10_000
"""An import of more rows than this, into a table holding fewer than it brings, drops the
table's secondary indexes and builds them again after: one sort instead of a B-tree insert a
row (a program merging its repositories' histories)."""
_CACHE_KIB = 131_072
"""The import's page cache (SQLite's default is 2 MB): its index updates stay in memory."""


def _rows_in(config: Config, path: Path) -> tuple[list[tuple[Any, ...]], tuple[Any, ...] | None]:
    """One file's rows (without its path, sent back once), or the ConfigError's parts: what
    a worker process returns (an exception with keyword arguments does not pickle)."""
    try:
        rows = rows_of(config, path)
    except ConfigError as exc:
        return [], (exc.problem, exc.path, exc.line, exc.key)
    return [(table, values, line) for table, values, _, line in rows], None


def _read_all(config: Config, paths: list[Path]) -> Generator[tuple[Path, list[Row]], None, None]:
    """Each file's rows, in the order given; several files are read by a process each (up to
    the cpus), as reading and checking them is most of an import's time."""
    cpus = os.cpu_count() or 1
    if len(paths) < 2 or cpus < 2:
        for path in paths:
            yield path, rows_of(config, path)
        return
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ProcessPoolExecutor(max_workers=min(cpus, len(paths)), mp_context=ctx) as pool:
        try:
            for path, (rows, error) in zip(
                paths, pool.map(_rows_in, [config] * len(paths), paths), strict=True
            ):
                if error is not None:
                    problem, where, line, key = error
                    raise ConfigError(problem, path=where, line=line, key=key)
                yield path, [(table, values, path, line) for table, values, line in rows]
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _insert(conn: sqlite3.Connection, table: str, values_of: list[tuple[Any, ...]]) -> int:
    """Insert-or-ignore `values_of` into `table`; how many were new."""
    rebuild = []
    if len(values_of) > _BULK:
        held = conn.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0  # noqa: S608
        if len(values_of) > held:
            rebuild = conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                "AND sql IS NOT NULL",
                (table,),
            ).fetchall()
    for name, _ in rebuild:
        conn.execute(f'DROP INDEX "{name}"')
    marks = ",".join("?" * len(TABLES[table]))
    before = conn.total_changes
    conn.executemany(f"INSERT OR IGNORE INTO {table} VALUES ({marks})", values_of)  # noqa: S608
    added = conn.total_changes - before
    for _, sql in rebuild:
        conn.execute(sql)
    return added


def import_files(config: Config, paths: list[Path]) -> dict[str, ImportCount]:
    """Merge every file into this repository's history; all or nothing."""
    target = history_path(config).resolve()
    sources: list[Path] = []
    refused: dict[int, ConfigError] = {}
    for path in paths:
        if path.is_dir() and (path / MANIFEST).is_file():
            path = path / MANIFEST
        if path.resolve() == target:
            refused[len(sources)] = ConfigError("is this repository's own history", path=path)
        sources.append(path)
    rows: list[Row] = []
    readable = [p for i, p in enumerate(sources) if i not in refused]
    read = _read_all(config, readable)
    for i in range(len(sources)):  # the first problem in the order of the files is the one
        if i in refused:
            read.close()
            raise refused[i]
        rows += next(read)[1]
    counts = {t: [0, 0] for t in TABLES}
    conn = connect(history_path(config))
    try:
        conn.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
        with transaction(conn):
            stored = stored_repos(rows, conn)
            rows = unique(rows, conn, stored)
            check_steps_have_runs(rows, conn)
            check_run_status(rows, conn, stored)
            by_table: dict[str, list[tuple[Any, ...]]] = {t: [] for t in TABLES}
            for table, values, _, _ in rows:
                by_table[table].append(values)
            for table, values_of in by_table.items():
                added = _insert(conn, table, values_of)
                counts[table] = [added, len(values_of) - added]
            days = {(v[0], v[3][:10]) for table, v, _, _ in rows if table == "events"}
            if days:
                count_event_days(conn, days)
    finally:
        conn.close()
    return {t: ImportCount(a, p) for t, (a, p) in counts.items()}
