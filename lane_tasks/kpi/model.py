"""What a computed KPI is: its value (or `unknown` and why), the window it looked at, its weekly
trend, and how a value is shown.

Every KPI reports its value, the sample it was computed from, the window and a weekly trend
(the last 12 ISO weeks of the window, a point per week, `null` where the week has no data).
These are the plain results `kpi.compute` returns and the review, the dashboard and the CLI
show; nothing here reads the history.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from lane_tasks.catalog import KPIS
from lane_tasks.evidence.history import iso

__all__ = ["TREND_WEEKS", "Kpi", "Point", "Window", "format_value", "week_of"]

TREND_WEEKS = 12


@dataclass(frozen=True)
class Window:
    """The time range a KPI looks at: `since` (None: all history) up to `until` (now)."""

    since: datetime | None
    until: datetime
    _lo: str = field(init=False, repr=False, compare=False)
    _hi: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # rows store times as `iso()` text, so the bounds compare as text, computed once
        object.__setattr__(self, "_lo", "" if self.since is None else iso(self.since))
        object.__setattr__(self, "_hi", iso(self.until))

    @property
    def bounds(self) -> tuple[str, str]:
        """The window as `iso()` text: a time `t` is in it when lo <= t <= hi."""
        return self._lo, self._hi

    def holds(self, when: str) -> bool:
        return self._lo <= when <= self._hi

    def weeks(self) -> list[str]:
        """The ISO weeks of the trend, oldest first."""
        out: list[str] = []
        day = self.until
        for _ in range(TREND_WEEKS):
            if self.since is not None and day < self.since - timedelta(days=6):
                break
            out.append(week_of(day))
            day -= timedelta(days=7)
        return sorted(set(out))

    def to_json(self) -> dict[str, str | None]:
        return {"since": None if self.since is None else iso(self.since), "until": iso(self.until)}


def week_of(when: datetime | str) -> str:
    """The ISO week (`2026-W07`) of a time, or of a time as the history stores it (`iso()`
    text, UTC, so its first ten characters are its UTC day)."""
    if isinstance(when, str):
        return _week_of_day(when[:10])
    return _week_of_day(when.astimezone(UTC).date().isoformat())


@cache
def _week_of_day(day: str) -> str:
    year, week, _ = date.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Point:
    period: str
    value: float | None
    sample: int


@dataclass(frozen=True)
class Kpi:
    """One KPI as computed: `value` None means unknown, and `reason` says why."""

    id: str
    unit: str
    """`ratio` (0..1) or `seconds`."""
    better: str
    """Which way is good: `up` or `down`."""
    value: float | None
    sample: int
    window: Window
    trend: tuple[Point, ...]
    reason: str | None
    detail: Mapping[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return KPIS[self.id].title

    @property
    def status(self) -> str:
        return "unknown" if self.value is None else "known"

    @property
    def direction(self) -> str:
        """The last week with data against the one before it."""
        known = [p.value for p in self.trend if p.value is not None]
        if len(known) < 2:
            return "unknown"
        if abs(known[-1] - known[-2]) < 1e-9:
            return "flat"
        return "up" if known[-1] > known[-2] else "down"

    def display(self) -> str:
        return format_value(self.value, self.unit)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "value": self.value,
            "display": self.display(),
            "unit": self.unit,
            "better": self.better,
            "sample": self.sample,
            "window": self.window.to_json(),
            "reason": self.reason,
            "direction": self.direction,
            "trend": [
                {
                    "period": p.period,
                    "value": p.value,
                    "display": format_value(p.value, self.unit),
                    "sample": p.sample,
                }
                for p in self.trend
            ],
            "detail": dict(self.detail),
        }

    def review_entry(self) -> dict[str, Any]:
        """What a KPI review records of it."""
        return {
            "id": self.id,
            "title": self.title,
            "value": self.value,
            "status": self.status,
            "reason": self.reason,
            "unit": self.unit,
            "display": self.display(),
            "sample": self.sample,
            "window": self.window.to_json(),
        }


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "unknown"
    if unit == "ratio":
        return f"{value * 100:.1f}%".replace(".0%", "%")
    return _duration(value)


def _duration(seconds: float) -> str:
    for size, name in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds / size:.1f} {name}".replace(".0 ", " ")
    return f"{seconds:.0f} s"
