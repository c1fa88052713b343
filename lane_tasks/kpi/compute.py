"""The six KPIs, computed from the run history and the evidence records.

Nothing here has a default value: a KPI is a number computed from recorded rows, or `unknown`
with the reason (no data, or fewer data points than `kpi.min_sample`). What each KPI counts is
`kpi.definitions`; what a computed KPI holds (value, window, weekly trend) is `kpi.model`. This
module applies the definitions to a window, and renders the result for people.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from lane_tasks.config import Config
from lane_tasks.evidence.history import history_path, iso, open_history
from lane_tasks.kpi.definitions import DEFINITIONS, HistoryRows, Sample
from lane_tasks.kpi.model import Kpi, Point, Window, week_of
from lane_tasks.kpi.records import with_evidence
from lane_tasks.util.clock import utc_now

__all__ = ["compute_kpis", "render_kpis"]


def _one(kpi_id: str, data: HistoryRows, window: Window, min_sample: int) -> Kpi:
    d = DEFINITIONS[kpi_id]
    all_samples, detail = d.compute(data)
    # docs-to-adoption counts adoption events over the views of the same period
    counted: list[Sample] | None = detail.pop("adoptions", None)

    def value_of(samples: list[Sample], period: Callable[[str], bool]) -> float:
        if counted is not None:
            hits = sum(c.weight for c in counted if period(c.at))
            return hits / sum(s.weight for s in samples)
        return d.reduce(samples)

    lo, hi = window.bounds
    samples = [s for s in all_samples if lo <= s.at <= hi]  # window.holds, without a call each
    size = sum(s.weight for s in samples)
    if counted is not None:
        detail["adoptions"] = sum(c.weight for c in counted if window.holds(c.at))
    by_week: dict[str, list[Sample]] = defaultdict(list)
    weeks: dict[str, str] = {}  # a sample's day -> its week (week_of, once a day)
    for s in samples:
        day = s.at[:10]
        week = weeks.get(day)
        if week is None:
            week = weeks[day] = week_of(day)
        by_week[week].append(s)

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
    unless `repo` names one) and its evidence records. A `conn` given is read as it is: its
    caller wraps it in `with_evidence` (the dashboard reads the same records after)."""
    window = Window(since, now or utc_now())
    wanted = list(dict.fromkeys(ids))
    lo, hi = window.bounds
    edges = (lo[:10], hi[:10])
    if conn is not None:
        data = HistoryRows(conn, repo, edges)
        return [_one(k, data, window, config.kpi.min_sample) for k in wanted]
    with open_history(config) as own, with_evidence(config, own):
        data = HistoryRows(own, repo, edges)
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
