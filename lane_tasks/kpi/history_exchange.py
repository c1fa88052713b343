"""Moving history between stores: `history export` (JSONL) and `history import` (JSONL, another
history file, or a run manifest from the run store).

A program sees many repositories (and many CI jobs) in one store by importing their exports.
Every row keeps its primary key, and import inserts-or-ignores, so importing the same file
twice adds nothing. An import validates every row first and writes them in one transaction:
a bad row names its file, line and key, and nothing of that import is written.
"""

from __future__ import annotations

import json
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
from lane_tasks.kpi.records import ImportCount, sync_evidence

__all__ = ["export_jsonl", "import_files"]


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
                obj = {EXPORT_NAMES.get(c, c): row[c] for c in cols} | {"type": kind}
                out.write(json.dumps(obj, sort_keys=True, ensure_ascii=False) + "\n")
                n += 1
            counts[table] = n
    return counts


def import_files(config: Config, paths: list[Path]) -> dict[str, ImportCount]:
    """Merge every file into this repository's history; all or nothing."""
    rows: list[Row] = []
    target = history_path(config).resolve()
    for path in paths:
        if path.is_dir() and (path / MANIFEST).is_file():
            path = path / MANIFEST
        if path.resolve() == target:
            raise ConfigError("is this repository's own history", path=path)
        rows += rows_of(config, path)
    counts = {t: [0, 0] for t in TABLES}
    conn = connect(history_path(config))
    try:
        with transaction(conn):
            stored = stored_repos(rows, conn)
            rows = unique(rows, conn, stored)
            check_steps_have_runs(rows, conn)
            check_run_status(rows, conn, stored)
            by_table: dict[str, list[tuple[Any, ...]]] = {t: [] for t in TABLES}
            for table, values, _, _ in rows:
                by_table[table].append(values)
            for table, values_of in by_table.items():
                marks = ",".join("?" * len(TABLES[table]))
                before = conn.total_changes
                conn.executemany(f"INSERT OR IGNORE INTO {table} VALUES ({marks})", values_of)  # noqa: S608
                added = conn.total_changes - before
                counts[table] = [added, len(values_of) - added]
            days = {(v[0], v[3][:10]) for table, v, _, _ in rows if table == "events"}
            if days:
                count_event_days(conn, days)
    finally:
        conn.close()
    return {t: ImportCount(a, p) for t, (a, p) in counts.items()}
