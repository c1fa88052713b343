"""The one clock: real UTC time, or a fixed one for tests.

`utc_now()` is the real UTC time unless the environment variable `LANE_TASKS_NOW` holds an ISO
8601 time (UTC when it names no offset), or a caller passes one (`kpi review --now`, hidden).
Both exist so tests can make a record, or a control's "now", days old without waiting;
nothing else should set them.

A record dated later than now (beyond CLOCK_SKEW, for clocks of two machines that differ a
little) is no evidence of anything: `future_problem` says so, and every control reading a dated
record asks it (a review "0 days ago" that has not happened yet satisfies nothing).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from lane_tasks.catalog.layout import NOW_ENV
from lane_tasks.errors import ConfigError

__all__ = ["CLOCK_SKEW", "NOW_ENV", "future_problem", "parse_now", "parse_time", "utc_now"]

CLOCK_SKEW = timedelta(minutes=5)
"""How far in the future a record's time may be and still count (clocks differ a little)."""


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


def future_problem(when: datetime | str, what: str, now: datetime | None = None) -> str | None:
    """Why a record dated `when` is no evidence because it is in the future (beyond
    CLOCK_SKEW of `now`, default utc_now()), or None. A time that does not parse is a
    problem too."""
    try:
        at = parse_time(when) if isinstance(when, str) else when
    except ValueError:
        return f"{what} {when!r} is not an ISO 8601 time"
    current = now or utc_now()
    if at - current > CLOCK_SKEW:
        return (
            f"{what} {at.isoformat(timespec='seconds')} is in the future "
            f"(now {current.isoformat(timespec='seconds')}): not evidence"
        )
    return None
