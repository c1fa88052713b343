"""The six KPIs, computed from the run history and the records synced into it.

Nothing here has a default value: a KPI is a number computed from recorded rows, or `unknown`
with the reason (no data, or fewer data points than `kpi.min_sample`). Each KPI is defined in
the README ("KPIs"); the docstring of each function below is that definition in short.

Every KPI reports its value, the sample it was computed from, the window and a weekly trend
(the last 12 ISO weeks of the window, a point per week, `null` where the week has no data).
"""

from __future__ import annotations

import json
import sqlite3
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from lane_tasks.catalog import KPIS
from lane_tasks.config import Config
from lane_tasks.evidence.history import history_path, iso, open_history
from lane_tasks.kpi.records import sync_evidence
from lane_tasks.util.clock import parse_time, utc_now

__all__ = ["Kpi", "Point", "Window", "compute_kpis", "format_value", "render_kpis"]

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


# ---- the data -------------------------------------------------------------------------------


@dataclass
class _Data:
    """Rows read once per computation, lazily, as plain tuples (100,000 runs are read in a
    fraction of a second), filtered to one repository when asked."""

    conn: sqlite3.Connection
    repo: str | None
    _cache: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)

    def rows(self, name: str, sql: str) -> list[tuple[Any, ...]]:
        if name not in self._cache:
            where = " AND repo = ?" if self.repo else ""
            params = (self.repo,) if self.repo else ()
            cur = self.conn.cursor()
            cur.row_factory = None
            self._cache[name] = cur.execute(sql.format(repo=where), params).fetchall()
        return self._cache[name]

    def first_lane_runs(self) -> list[tuple[Any, ...]]:
        """(started_at, status) of each (repository, actor) pair's first finished lane run
        (nox, a lane, not interrupted): SQLite takes a bare column from the min() row."""
        return self.rows(
            "first_lane_runs",
            "SELECT min(started_at), status FROM runs "
            "WHERE source = 'nox' AND lane IS NOT NULL AND status IN ('pass', 'fail', 'error') "
            "AND state != 'interrupted'{repo} GROUP BY repo, coalesce(actor, '')",
        )

    def finished_runs(self) -> list[tuple[Any, ...]]:
        """(repo, lane, run_id, status, started_at) of finished runs, oldest first."""
        return self.rows(
            "finished_runs",
            "SELECT repo, lane, run_id, status, started_at FROM runs "
            "WHERE status IN ('pass', 'fail', 'error') AND state != 'interrupted'{repo} "
            "ORDER BY started_at",
        )

    def release_gates(self) -> list[tuple[Any, ...]]:
        """(repo, status, version, started_at) of gate-release runs, oldest first.

        A gate release stopped by SIGINT/SIGTERM (an `error` step in a run whose state is
        `interrupted`) gave no verdict: it is neither a failed gate nor a passed one, so it is
        left out. One that had finished with pass or fail before the run was stopped counts."""
        return self.rows(
            "release_gates",
            "SELECT repo, status, version, started_at FROM steps "
            "WHERE step = 'gate-release' AND status IN ('pass', 'fail', 'error') "
            "AND NOT (status = 'error' AND EXISTS (SELECT 1 FROM runs WHERE runs.repo = "
            "steps.repo AND runs.run_id = steps.run_id AND runs.state = 'interrupted')){repo} "
            "ORDER BY started_at",
        )

    def records(self, kind: str) -> list[tuple[Any, ...]]:
        """(repo, at, version, run_id, data) of one kind of record, oldest first."""
        return self.rows(
            f"records:{kind}",
            f"SELECT repo, at, version, run_id, data FROM records "  # noqa: S608
            f"WHERE kind = '{kind}'{{repo}} ORDER BY at",
        )

    def events(self) -> list[tuple[Any, ...]]:
        """(type, day, count) of events per UTC day, from the daily counts the history keeps
        (a day as the time `iso()` gives its midnight)."""
        return self.rows(
            "events",
            "SELECT type, day || 'T00:00:00.000+00:00', sum(n) FROM event_days "
            "WHERE 1 = 1{repo} GROUP BY type, day ORDER BY day",
        )


# ---- the six KPIs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sample:
    """Data points of a KPI: when they count, their value (a 0/1 outcome or seconds) and how
    many points share that time and value (events are counted per day in SQL)."""

    at: str
    value: float
    weight: int = 1


Reducer = Callable[[Sequence[_Sample]], float]


def _mean(samples: Sequence[_Sample]) -> float:
    return sum(s.value * s.weight for s in samples) / sum(s.weight for s in samples)


def _median(samples: Sequence[_Sample]) -> float:
    return float(statistics.median(v for s in samples for v in [s.value] * s.weight))


def _first_time_success(data: _Data) -> tuple[list[_Sample], dict[str, Any]]:
    """Share of (repository, actor) pairs whose first recorded lane run passed; a pair counts
    in the week of that first run."""
    return [_Sample(at, float(status == "pass")) for at, status in data.first_lane_runs()], {}


def _decision_times(data: _Data) -> tuple[list[_Sample], dict[str, Any]]:
    """Per version: from its first gate-release run to its first decision record after it;
    the KPI is the median over versions decided in the window."""
    first_gate: dict[tuple[str, str], str] = {}
    for repo, _, version, started in data.release_gates():
        if version:
            first_gate.setdefault((repo, version), started)
    samples: list[_Sample] = []
    unmatched = 0
    for repo, _, version, _, raw in data.records("release-decision"):
        doc = json.loads(raw)
        times = [doc["decided_at"], *(d.get("decided_at") for d in doc.get("superseded", []))]
        start = first_gate.get((repo, version))
        decided = sorted(iso(parse_time(t)) for t in times if isinstance(t, str))
        after = [t for t in decided if start is not None and t >= start]
        if start is None or not after:
            unmatched += 1
            continue
        seconds = (parse_time(after[0]) - parse_time(start)).total_seconds()
        samples.append(_Sample(after[0], seconds))
    return samples, {"decisions_without_a_gate_release_run": unmatched}


def _failed_release_gates(data: _Data) -> tuple[list[_Sample], dict[str, Any]]:
    """Failed (fail or error) gate-release runs over all gate-release runs, per week."""
    return [_Sample(at, float(status != "pass")) for _, status, _, at in data.release_gates()], {}


def _time_to_triage(data: _Data) -> tuple[list[_Sample], dict[str, Any]]:
    """A streak is a run of consecutive failed runs of one repository and lane; from its
    first failed run to the first triage record of any run in it. Mean over triaged streaks
    that started in the window; untriaged streaks are counted, not guessed."""
    triaged: dict[str, str] = {}
    for _, at, _, run_id, _ in data.records("triage"):
        if run_id:
            triaged.setdefault(run_id, at)
    # per (repository, lane): the start of the open streak and its first triage so far
    open_: dict[tuple[str, str | None], tuple[str, str | None]] = {}
    samples: list[_Sample] = []
    untriaged = 0

    def close(start: str, mark: str | None) -> None:
        nonlocal untriaged
        if mark is None:
            untriaged += 1
        else:
            samples.append(_Sample(start, (parse_time(mark) - parse_time(start)).total_seconds()))

    for repo, lane, run_id, status, started in data.finished_runs():
        key = (repo, lane)
        streak = open_.get(key)
        if status == "pass":
            if streak is not None:
                close(*open_.pop(key))
            continue
        mark = triaged.get(run_id)
        mark = mark if mark is not None and mark >= (streak or (started,))[0] else None
        if streak is None:
            open_[key] = (started, mark)
        elif mark is not None and (streak[1] is None or mark < streak[1]):
            open_[key] = (streak[0], mark)
    for start, mark in open_.values():
        close(start, mark)
    return samples, {"untriaged_streaks": untriaged}


def _rollbacks(data: _Data) -> tuple[list[_Sample], dict[str, Any]]:
    """Rollback records over releases with a go decision, by the week of the decision."""
    rolled = {(repo, version) for repo, _, version, _, _ in data.records("rollback")}
    samples = []
    for repo, at, version, _, raw in data.records("release-decision"):
        if json.loads(raw).get("decision") == "go":
            samples.append(_Sample(at, float((repo, version) in rolled)))
    return samples, {}


def _docs_to_adoption(data: _Data) -> tuple[list[_Sample], dict[str, Any]]:
    """Adoption events over docs-view events in the window (imported events, counted per UTC
    day: a window starting mid-day counts that whole day)."""
    views = [_Sample(day, 0.0, n) for kind, day, n in data.events() if kind == "docs-view"]
    adoptions = [_Sample(day, 1.0, n) for kind, day, n in data.events() if kind == "adoption"]
    return views, {"adoptions": adoptions}


@dataclass(frozen=True)
class _Definition:
    unit: str
    better: str
    compute: Callable[[_Data], tuple[list[_Sample], dict[str, Any]]]
    reduce: Reducer
    what: str
    """What one data point is, for the `unknown` reason ("gate-release runs")."""


DEFINITIONS: dict[str, _Definition] = {
    "first-time-success-rate": _Definition(
        "ratio", "up", _first_time_success, _mean, "(repository, actor) pairs with a lane run"
    ),
    "median-release-decision-time": _Definition(
        "seconds", "down", _decision_times, _median, "decided versions with a gate-release run"
    ),
    "failed-release-gate-frequency": _Definition(
        "ratio", "down", _failed_release_gates, _mean, "gate-release runs"
    ),
    "mean-time-to-triage": _Definition(
        "seconds", "down", _time_to_triage, _mean, "triaged failure streaks"
    ),
    "rollback-rate": _Definition("ratio", "down", _rollbacks, _mean, "releases with a go decision"),
    "docs-to-adoption-conversion": _Definition(
        "ratio", "up", _docs_to_adoption, _mean, "docs views"
    ),
}


def _one(kpi_id: str, data: _Data, window: Window, min_sample: int) -> Kpi:
    d = DEFINITIONS[kpi_id]
    all_samples, detail = d.compute(data)
    # docs-to-adoption counts adoption events over the views of the same period
    counted: list[_Sample] | None = detail.pop("adoptions", None)

    def value_of(samples: list[_Sample], period: Callable[[str], bool]) -> float:
        if counted is not None:
            hits = sum(c.weight for c in counted if period(c.at))
            return hits / sum(s.weight for s in samples)
        return d.reduce(samples)

    samples = [s for s in all_samples if window.holds(s.at)]
    size = sum(s.weight for s in samples)
    if counted is not None:
        detail["adoptions"] = sum(c.weight for c in counted if window.holds(c.at))
    by_week: dict[str, list[_Sample]] = defaultdict(list)
    for s in samples:
        by_week[week_of(s.at)].append(s)

    def in_week(week: str) -> Callable[[str], bool]:
        return lambda at: week_of(at) == week and window.holds(at)

    trend = tuple(
        Point(
            w,
            value_of(by_week[w], in_week(w)) if by_week[w] else None,
            sum(s.weight for s in by_week[w]),
        )
        for w in window.weeks()
    )
    since = "all recorded history" if window.since is None else f"since {iso(window.since)[:10]}"
    reason = None
    value: float | None = None
    if not samples:
        reason = f"no {d.what} recorded ({since})"
    elif size < min_sample:
        reason = (
            f"too little data: {size} {d.what} ({since}), fewer than kpi.min_sample = {min_sample}"
        )
    else:
        value = value_of(samples, window.holds)
    return Kpi(kpi_id, d.unit, d.better, value, size, window, trend, reason, detail)


def compute_kpis(
    config: Config,
    ids: Iterable[str],
    *,
    since: datetime | None = None,
    repo: str | None = None,
    now: datetime | None = None,
    conn: sqlite3.Connection | None = None,
) -> list[Kpi]:
    """The KPIs `ids`, in that order, from this repository's history (all repositories in it
    unless `repo` names one). Evidence records are synced into the history first."""
    window = Window(since, now or utc_now())
    wanted = list(dict.fromkeys(ids))
    if conn is not None:
        sync_evidence(config, conn)
        data = _Data(conn, repo)
        return [_one(k, data, window, config.kpi.min_sample) for k in wanted]
    with open_history(config) as own:
        sync_evidence(config, own)
        data = _Data(own, repo)
        return [_one(k, data, window, config.kpi.min_sample) for k in wanted]


def render_kpis(kpis: Sequence[Kpi], *, heading: str, config: Config | None = None) -> str:
    """Text for people: one line per KPI, value or `unknown` with the reason."""
    source = f" from {history_path(config).relative_to(config.root)}" if config else ""
    lines = [f"KPIs ({heading}){source}:"]
    width = max((len(k.id) for k in kpis), default=0)
    for k in kpis:
        if k.value is None:
            lines.append(f"  {k.id:<{width}}  unknown: {k.reason}")
            continue
        arrow = {"up": "↑", "down": "↓", "flat": "→"}.get(k.direction, "")
        trend = f"  trend {arrow}" if arrow else ""
        lines.append(f"  {k.id:<{width}}  {k.display()} (n={k.sample}){trend}")
    return "\n".join(lines) + "\n"
