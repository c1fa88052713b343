"""The six KPI definitions: which history rows each reads, what one data point of it is, and
how its points reduce to a value.

Each KPI is defined in the README ("KPIs"); the docstring of each function below is that
definition in short. The rows come from the history (`HistoryRows`, read once per computation);
`kpi.compute` applies a definition to a window and decides whether there is enough data.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from lane_tasks.evidence.history import iso
from lane_tasks.util.clock import parse_time

__all__ = ["DEFINITIONS", "Definition", "HistoryRows", "Sample"]


@dataclass
class HistoryRows:
    """Rows read once per computation, lazily, as plain tuples (100,000 runs are read in a
    fraction of a second), filtered to one repository when asked."""

    conn: sqlite3.Connection
    repo: str | None
    edges: tuple[str, str] = ("", "")
    """The UTC days (YYYY-MM-DD) the KPI window starts and ends on: counts per day split
    there (`release_gate_outcomes`)."""
    _cache: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    _docs: dict[str, Any] = field(default_factory=dict)

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

    _GATES = (
        "FROM steps WHERE step = 'gate-release' AND status IN ('pass', 'fail', 'error') "
        "AND NOT (status = 'error' AND EXISTS (SELECT 1 FROM runs WHERE runs.repo = "
        "steps.repo AND runs.run_id = steps.run_id AND runs.state = 'interrupted')){repo}"
    )
    """The gate-release runs that gave a verdict.

    A gate release stopped by SIGINT/SIGTERM (an `error` step in a run whose state is
    `interrupted`) gave no verdict: it is neither a failed gate nor a passed one, so it is
    left out. One that had finished with pass or fail before the run was stopped counts."""

    def first_release_gates(self) -> list[tuple[Any, ...]]:
        """(repo, version, started_at) of each version's first gate-release run."""
        return self.rows(
            "first_release_gates",
            f"SELECT repo, version, min(started_at) {self._GATES} "
            "AND version IS NOT NULL AND version != '' GROUP BY repo, version",
        )

    def release_gate_outcomes(self) -> list[tuple[Any, ...]]:
        """(started_at, failed 0/1, n) of gate-release runs, counted per UTC day and outcome
        at the time of the day's first such run: any time of a day lies in the window when
        one does, except on the window's first and last day (`edges`), whose runs are one row
        each, as a window may start or end mid-day."""
        if "release_gate_outcomes" not in self._cache:
            one = " AND repo = ?" if self.repo else ""
            own = (self.repo,) if self.repo else ()
            day = "substr(started_at, 1, 10)"
            sql = (
                f"SELECT started_at, status != 'pass', 1 {self._GATES.format(repo=one)} "
                f"AND {day} IN (?, ?) UNION ALL "
                f"SELECT min(started_at), status != 'pass', count(*) "
                f"{self._GATES.format(repo=one)} AND {day} NOT IN (?, ?) "
                f"GROUP BY {day}, status != 'pass'"
            )
            cur = self.conn.cursor()
            cur.row_factory = None
            params = (*own, *self.edges, *own, *self.edges)
            self._cache["release_gate_outcomes"] = cur.execute(sql, params).fetchall()
        return self._cache["release_gate_outcomes"]

    def doc(self, raw: str) -> Any:
        """A record's JSON, parsed once per computation (two KPIs read the decisions)."""
        docs = self._docs
        if raw not in docs:
            docs[raw] = json.loads(raw)
        return docs[raw]

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


class Sample(NamedTuple):
    """Data points of a KPI: when they count, their value (a 0/1 outcome or seconds) and how
    many points share that time and value (events are counted per day in SQL). A tuple: a
    KPI over 100,000 runs makes a sample of each."""

    at: str
    value: float
    weight: int = 1


def _time(text: str) -> datetime:
    """A time as the history stores it (`iso()` text, with its offset) without parse_time's
    general path; anything else through it."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return parse_time(text)
    return at if at.tzinfo is not None else parse_time(text)


def _seconds(start: str, end: str) -> float:
    return (_time(end) - _time(start)).total_seconds()


Reducer = Callable[[Sequence[Sample]], float]


def _mean(samples: Sequence[Sample]) -> float:
    return sum(s.value * s.weight for s in samples) / sum(s.weight for s in samples)


def _median(samples: Sequence[Sample]) -> float:
    return float(statistics.median(v for s in samples for v in [s.value] * s.weight))


def _first_time_success(data: HistoryRows) -> tuple[list[Sample], dict[str, Any]]:
    """Share of (repository, actor) pairs whose first recorded lane run passed; a pair counts
    in the week of that first run."""
    return [Sample(at, float(status == "pass")) for at, status in data.first_lane_runs()], {}


def _decision_times(data: HistoryRows) -> tuple[list[Sample], dict[str, Any]]:
    """Per version: from its first gate-release run to its first decision record after it;
    the KPI is the median over versions decided in the window."""
    first_gate = {(repo, version): started for repo, version, started in data.first_release_gates()}
    samples: list[Sample] = []
    unmatched = 0
    for repo, _, version, _, raw in data.records("release-decision"):
        doc = data.doc(raw)
        times = [doc["decided_at"], *(d.get("decided_at") for d in doc.get("superseded", []))]
        start = first_gate.get((repo, version))
        decided = sorted(iso(parse_time(t)) for t in times if isinstance(t, str))
        after = [t for t in decided if start is not None and t >= start]
        if start is None or not after:
            unmatched += 1
            continue
        seconds = _seconds(start, after[0])
        samples.append(Sample(after[0], seconds))
    return samples, {"decisions_without_a_gate_release_run": unmatched}


def _failed_release_gates(data: HistoryRows) -> tuple[list[Sample], dict[str, Any]]:
    """Failed (fail or error) gate-release runs over all gate-release runs, per week (a
    sample a day and outcome: a share of 0/1 outcomes is the same counted so)."""
    outcomes = data.release_gate_outcomes()
    return [Sample(at, float(failed), n) for at, failed, n in outcomes], {}


def _time_to_triage(data: HistoryRows) -> tuple[list[Sample], dict[str, Any]]:
    """A streak is a run of consecutive failed runs of one repository and lane; from its
    first failed run to the first triage record of any run in it. Mean over triaged streaks
    that started in the window; untriaged streaks are counted, not guessed."""
    triaged: dict[str, str] = {}
    for _, at, _, run_id, _ in data.records("triage"):
        if run_id:
            triaged.setdefault(run_id, at)
    # per (repository, lane): the start of the open streak and its first triage so far
    open_: dict[tuple[str, str | None], tuple[str, str | None]] = {}
    samples: list[Sample] = []
    untriaged = 0

    def close(start: str, mark: str | None) -> None:
        nonlocal untriaged
        if mark is None:
            untriaged += 1
        else:
            samples.append(Sample(start, _seconds(start, mark)))

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


def _rollbacks(data: HistoryRows) -> tuple[list[Sample], dict[str, Any]]:
    """Rollback records over releases with a go decision, by the week of the decision."""
    rolled = {(repo, version) for repo, _, version, _, _ in data.records("rollback")}
    samples = []
    for repo, at, version, _, raw in data.records("release-decision"):
        if data.doc(raw).get("decision") == "go":
            samples.append(Sample(at, float((repo, version) in rolled)))
    return samples, {}


def _docs_to_adoption(data: HistoryRows) -> tuple[list[Sample], dict[str, Any]]:
    """Adoption events over docs-view events in the window (imported events, counted per UTC
    day: a window starting mid-day counts that whole day)."""
    views = [Sample(day, 0.0, n) for kind, day, n in data.events() if kind == "docs-view"]
    adoptions = [Sample(day, 1.0, n) for kind, day, n in data.events() if kind == "adoption"]
    return views, {"adoptions": adoptions}


@dataclass(frozen=True)
class Definition:
    unit: str
    better: str
    compute: Callable[[HistoryRows], tuple[list[Sample], dict[str, Any]]]
    reduce: Reducer
    what: str
    """What one data point is, for the `unknown` reason ("gate-release runs")."""


DEFINITIONS: dict[str, Definition] = {
    "first-time-success-rate": Definition(
        "ratio", "up", _first_time_success, _mean, "(repository, actor) pairs with a lane run"
    ),
    "median-release-decision-time": Definition(
        "seconds", "down", _decision_times, _median, "decided versions with a gate-release run"
    ),
    "failed-release-gate-frequency": Definition(
        "ratio", "down", _failed_release_gates, _mean, "gate-release runs"
    ),
    "mean-time-to-triage": Definition(
        "seconds", "down", _time_to_triage, _mean, "triaged failure streaks"
    ),
    "rollback-rate": Definition("ratio", "down", _rollbacks, _mean, "releases with a go decision"),
    "docs-to-adoption-conversion": Definition(
        "ratio", "up", _docs_to_adoption, _mean, "docs views"
    ),
}
