"""One row from outside the history, checked against its table before anything is written.

Whatever `history import` reads (a JSONL export, another history file, a run manifest) becomes
rows, and each row passes the same checks: no unknown column, every required column a
non-empty string, times that parse and are not in the future, JSON where the table keeps JSON,
a known status. A bad row is a ConfigError naming its file, line and key, so the import can
refuse it before writing anything. The unknown-key rule is shared with adoption events
(`kpi.records`), which are rows of the history too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from lane_tasks.errors import ConfigError, did_you_mean
from lane_tasks.evidence.artifacts import schema_errors
from lane_tasks.evidence.history import REQUIRED, TABLES, iso
from lane_tasks.util.clock import CLOCK_SKEW, future_problem, parse_time, utc_now

__all__ = ["EXPORT_NAMES", "ROW_TYPES", "Row", "check_row", "reject_unknown_keys"]

ROW_TYPES = {"run": "runs", "step": "steps", "record": "records", "event": "events"}
"""The `type` of a JSONL line and the table it belongs to."""
EXPORT_NAMES = {"type": "event_type"}
"""Columns exported under another name: an event's `type` column would clash with the line's."""
_TIME_COLUMNS = ("started_at", "ended_at", "at")
_STATUSES = {
    "runs": ("pass", "fail", "error", "running"),
    "steps": ("pass", "fail", "error", "skip"),
}

Row = tuple[str, tuple[Any, ...], Path, int | None]
"""A checked row: its table, its values, and the file and line it came from."""


def reject_unknown_keys(
    obj: Mapping[str, Any],
    allowed: Sequence[str],
    problem: str,
    *,
    path: Path,
    line: int | None,
    list_allowed: bool = False,
) -> None:
    """ConfigError naming the first key of `obj` that is not in `allowed`: `problem`, a
    did-you-mean hint and (with `list_allowed`) the allowed keys. One rule for every line
    imported into the history, a history export's row as much as an adoption event."""
    for key in obj:
        if key not in allowed:
            listed = f"; allowed: {', '.join(allowed)}" if list_allowed else ""
            raise ConfigError(
                f"{problem}{did_you_mean(key, allowed)}{listed}", path=path, line=line, key=key
            )


_CANONICAL = re.compile(r"\d{4}-\d\d-\d\dT([01]\d|2[0-3]):\d\d:\d\d\.\d{3}\+00:00")
"""A time already in the form `iso()` writes (every time of a history export)."""


def _history_time(text: str) -> tuple[str, datetime | None]:
    """`text` as `iso()` writes it, and the time when it had to be parsed; ValueError when it
    is no time. A time already in that form (a history export's) is only validated."""
    if _CANONICAL.fullmatch(text):
        datetime.fromisoformat(text)  # a day or hour out of range is no time
        return text, None
    at = parse_time(text)
    return iso(at), at


@lru_cache(maxsize=8)
def _limit(now: datetime) -> str:
    """The latest time a row may hold (as `iso()` text) when the clock says `now`."""
    return iso(now + CLOCK_SKEW)


def check_row(
    table: str,
    row: Mapping[str, Any],
    path: Path,
    line: int | None,
    now: datetime | None = None,
) -> tuple[Any, ...]:
    """A row as the table's tuple, or ConfigError naming file, line and key (a time in the
    future beyond the clock skew included). `now`: the clock, read once per import by callers
    that check many rows (default: read here)."""
    cols = TABLES[table]
    reject_unknown_keys(row, cols, f"unknown column for a {table} row", path=path, line=line)
    for key in REQUIRED[table]:
        value = row.get(key)
        if not isinstance(value, str) or not value:
            raise ConfigError("is required (a non-empty string)", path=path, line=line, key=key)
    try:  # one pass for the common case; the per-key loop names the column that is bad
        "".join([t for key in cols if (t := row.get(key)) is not None]).encode("utf-8")
    except (TypeError, UnicodeEncodeError):
        for key in cols:
            if row.get(key) is not None and not isinstance(row[key], str):
                raise ConfigError(
                    "must be a string or null", path=path, line=line, key=key
                ) from None
            try:
                (row.get(key) or "").encode("utf-8")
            except UnicodeEncodeError:  # what JSON's \ud800 escapes decode to: SQLite cannot
                raise ConfigError(  # store it
                    "is not valid Unicode text (a lone surrogate)", path=path, line=line, key=key
                ) from None
    current = now or utc_now()
    limit = _limit(current)
    values = dict(row)
    for key in _TIME_COLUMNS:
        if key in cols and values.get(key) is not None:
            try:
                text, at = _history_time(values[key])
            except ValueError:
                raise ConfigError(
                    f"'{values[key]}' is not an ISO 8601 time", path=path, line=line, key=key
                ) from None
            # text order is time order: only a time past the limit is asked why
            if text > limit and (late := future_problem(at or parse_time(text), key, current)):
                raise ConfigError(late, path=path, line=line, key=key)  # 2999 would skew KPIs
            values[key] = text
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
    return tuple(map(values.get, cols))
