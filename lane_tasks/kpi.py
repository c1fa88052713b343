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
from datetime import datetime, timedelta
from typing import Any

from lane_tasks.catalog import KPIS
from lane_tasks.clock import parse_time, utc_now
from lane_tasks.config import Config
from lane_tasks.history import history_path, iso, open_history
from lane_tasks.records import sync_evidence

__all__ = ["Kpi", "Point", "Window", "compute_kpis", "format_value", "render_kpis"]

TREND_WEEKS = 12


@dataclass(frozen=True)
class Window:
    """The time range a KPI looks at: `since` (None: all history) up to `until` (now)."""

    since: datetime | None
    until: datetime

    def holds(self, when: str) -> bool:
        return (self.since is None or when >= iso(self.since)) and when <= iso(self.until)

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
    value = parse_time(when) if isinstance(when, str) else when
    year, week, _ = value.isocalendar()
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
    """Rows read once per computation, lazily, filtered to one repository when asked."""

    conn: sqlite3.Connection
    repo: str | None
    _cache: dict[str, list[sqlite3.Row]] = field(default_factory=dict)

    def rows(self, name: str, sql: str) -> list[sqlite3.Row]:
        if name not in self._cache:
            where = " AND repo = ?" if self.repo else ""
            params = (self.repo,) if self.repo else ()
            self._cache[name] = self.conn.execute(sql.format(repo=where), params).fetchall()
        return self._cache[name]

    def lane_runs(self) -> list[sqlite3.Row]:
        """Finished lane runs (nox, a lane, not interrupted), oldest first."""
        return self.rows(
            "lane_runs",
            "SELECT repo, run_id, lane, status, actor, started_at FROM runs "
            "WHERE source = 'nox' AND lane IS NOT NULL AND status IN ('pass', 'fail', 'error') "
            "AND state != 'interrupted'{repo} ORDER BY started_at, run_id",
        )

    def finished_runs(self) -> list[sqlite3.Row]:
        return self.rows(
            "finished_runs",
            "SELECT repo, run_id, lane, status, started_at FROM runs "
            "WHERE status IN ('pass', 'fail', 'error') AND state != 'interrupted'{repo} "
            "ORDER BY started_at, run_id",
        )

    def release_gates(self) -> list[sqlite3.Row]:
        return self.rows(
            "release_gates",
            "SELECT repo, run_id, status, version, started_at FROM steps "
            "WHERE step = 'gate-release' AND status IN ('pass', 'fail', 'error'){repo} "
            "ORDER BY started_at",
        )

    def records(self, kind: str) -> list[sqlite3.Row]:
        return self.rows(
            f"records:{kind}",
            f"SELECT repo, key, at, version, run_id, owner, data FROM records "  # noqa: S608
            f"WHERE kind = '{kind}'{{repo}} ORDER BY at",
        )

    def events(self) -> list[sqlite3.Row]:
        return self.rows("events", "SELECT type, at FROM events WHERE 1 = 1{repo} ORDER BY at")


# ---- the six KPIs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sample:
    """One data point of a KPI: when it counts, and its value (a 0/1 outcome or seconds)."""

    at: str
    value: float


Reducer = Callable[[Sequence[float]], float]


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def _median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def _first_time_success(data: _Data) -> tuple[list[_Sample], dict[str, Any]]:
    """Share of (repository, actor) pairs whose first recorded lane run passed; a pair counts
    in the week of that first run."""
    first: dict[tuple[str, str], sqlite3.Row] = {}
    for run in data.lane_runs():
        first.setdefault((run["repo"], run["actor"] or "unknown"), run)
    return [_Sample(r["started_at"], float(r["status"] == "pass")) for r in first.values()], {}


def _decision_times(data: _Data) -> tuple[list[_Sample], dict[str, Any]]:
    """Per version: from its first gate-release run to its first decision record after it;
    the KPI is the median over versions decided in the window."""
    first_gate: dict[tuple[str, str], str] = {}
    for step in data.release_gates():
        if step["version"]:
            first_gate.setdefault((step["repo"], step["version"]), step["started_at"])
    samples: list[_Sample] = []
    unmatched = 0
    for rec in data.records("release-decision"):
        doc = json.loads(rec["data"])
        times = [doc["decided_at"], *(d.get("decided_at") for d in doc.get("superseded", []))]
        start = first_gate.get((rec["repo"], rec["version"]))
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
    return [
        _Sample(s["started_at"], 0.0 if s["status"] == "pass" else 1.0)
        for s in data.release_gates()
    ], {}


def _time_to_triage(data: _Data) -> tuple[list[_Sample], dict[str, Any]]:
    """A streak is a run of consecutive failed runs of one repository and lane; from its
    first failed run to the first triage record of any run in it. Mean over triaged streaks
    that started in the window; untriaged streaks are counted, not guessed."""
    triaged: dict[str, str] = {}
    for rec in data.records("triage"):
        if rec["run_id"]:
            triaged.setdefault(rec["run_id"], rec["at"])
    by_lane: dict[tuple[str, str | None], list[sqlite3.Row]] = defaultdict(list)
    for run in data.finished_runs():
        by_lane[(run["repo"], run["lane"])].append(run)
    samples: list[_Sample] = []
    open_streaks = 0
    for runs in by_lane.values():
        streak: list[sqlite3.Row] = []
        ends: list[sqlite3.Row | None] = [*runs, None]  # None closes the last streak
        for nxt in ends:
            if nxt is not None and nxt["status"] != "pass":
                streak.append(nxt)
                continue
            if streak:
                start = streak[0]["started_at"]
                marks = [triaged[r["run_id"]] for r in streak if r["run_id"] in triaged]
                marks = [m for m in marks if m >= start]
                if marks:
                    seconds = (parse_time(min(marks)) - parse_time(start)).total_seconds()
                    samples.append(_Sample(start, seconds))
                else:
                    open_streaks += 1
            streak = []
    return samples, {"untriaged_streaks": open_streaks}


def _rollbacks(data: _Data) -> tuple[list[_Sample], dict[str, Any]]:
    """Rollback records over releases with a go decision, by the week of the decision."""
    rolled = {(r["repo"], r["version"]) for r in data.records("rollback")}
    samples = []
    for rec in data.records("release-decision"):
        if json.loads(rec["data"]).get("decision") == "go":
            hit = (rec["repo"], rec["version"]) in rolled
            samples.append(_Sample(rec["at"], 1.0 if hit else 0.0))
    return samples, {}


def _docs_to_adoption(data: _Data) -> tuple[list[_Sample], dict[str, Any]]:
    """Adoption events over docs-view events in the window (imported events)."""
    views = [e["at"] for e in data.events() if e["type"] == "docs-view"]
    adoptions = [e["at"] for e in data.events() if e["type"] == "adoption"]
    return [_Sample(at, 0.0) for at in views], {"adoptions": adoptions}


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
    counted: list[str] | None = detail.pop("adoptions", None)

    def value_of(samples: list[_Sample], period: Callable[[str], bool]) -> float:
        if counted is not None:
            return sum(1 for at in counted if period(at)) / len(samples)
        return d.reduce([s.value for s in samples])

    samples = [s for s in all_samples if window.holds(s.at)]
    if counted is not None:
        detail["adoptions"] = sum(1 for at in counted if window.holds(at))
    by_week: dict[str, list[_Sample]] = defaultdict(list)
    for s in samples:
        by_week[week_of(s.at)].append(s)

    def in_week(week: str) -> Callable[[str], bool]:
        return lambda at: week_of(at) == week and window.holds(at)

    trend = tuple(
        Point(w, value_of(by_week[w], in_week(w)) if by_week[w] else None, len(by_week[w]))
        for w in window.weeks()
    )
    since = "all recorded history" if window.since is None else f"since {iso(window.since)[:10]}"
    reason = None
    value: float | None = None
    if not samples:
        reason = f"no {d.what} recorded ({since})"
    elif len(samples) < min_sample:
        reason = (
            f"too little data: {len(samples)} {d.what} ({since}), "
            f"fewer than kpi.min_sample = {min_sample}"
        )
    else:
        value = value_of(samples, window.holds)
    return Kpi(kpi_id, d.unit, d.better, value, len(samples), window, trend, reason, detail)


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
