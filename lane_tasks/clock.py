"""The one clock: real UTC time, or a fixed one for tests.

`utc_now()` is the real UTC time unless the environment variable `LANE_TASKS_NOW` holds an ISO
8601 time (UTC when it names no offset), or a caller passes one (`kpi review --now`, hidden).
Both exist so tests can make a record, or a control's "now", days old without waiting;
nothing else should set them.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from lane_tasks.errors import ConfigError

__all__ = ["NOW_ENV", "parse_now", "parse_time", "utc_now"]

NOW_ENV = "LANE_TASKS_NOW"


def parse_time(text: str) -> datetime:
    """An ISO 8601 time as an aware UTC datetime (naive means UTC; `Z` is accepted);
    ValueError when it is none."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is a valid time before year 1 in UTC
        raise ValueError(f"{text!r} is out of range in UTC") from None


def parse_now(text: str, source: str) -> datetime:
    """parse_time for user input: a ConfigError naming `source` instead of ValueError."""
    try:
        return parse_time(text)
    except ValueError:
        raise ConfigError(
            f"'{text}' is not an ISO 8601 time (like 2026-01-31T12:00:00Z)", key=source
        ) from None


def utc_now(override: str | None = None) -> datetime:
    """Now, in UTC, to the second: `override`, else $LANE_TASKS_NOW, else the clock."""
    if override:
        return parse_now(override, "--now")
    env = os.environ.get(NOW_ENV)
    if env:
        return parse_now(env, NOW_ENV)
    return datetime.now(UTC).replace(microsecond=0)
