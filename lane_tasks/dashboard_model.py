"""What the program dashboard shows, read from the run history: a JSON-able model that
`lane_tasks.dashboard.render_dashboard` turns into one HTML file.

Aggregated in SQL (latest run per repository and lane, the last runs), so its size does not
grow with the history: a store of 100,000 runs gives a model of a few hundred rows.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from typing import Any

from lane_tasks import __version__
from lane_tasks.catalog import KPIS
from lane_tasks.clock import parse_time
from lane_tasks.config import Config
from lane_tasks.history import history_path, iso, open_history
from lane_tasks.kpi import compute_kpis

__all__ = ["RECENT_RUNS", "build_model"]

RECENT_RUNS = 50


def _controls(conn: sqlite3.Connection, repo: str, lane: str) -> tuple[list[Any], str | None]:
    """The controls of the newest controls step of this repository and lane."""
    row = conn.execute(
        "SELECT run_id, results FROM steps WHERE repo = ? AND lane = ? AND step = 'controls' "
        "ORDER BY started_at DESC LIMIT 1",
        (repo, lane),
    ).fetchone()
    if row is None:
        return [], None
    controls = [
        {"id": r["id"], "status": r["status"], "message": r.get("message") or ""}
        for r in json.loads(row["results"])
    ]
    return controls, row["run_id"]


def _repos(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    latest = conn.execute(
        "SELECT repo, lane, run_id, status, max(started_at) AS started_at, commit_sha, version, "
        "actor, state FROM runs WHERE source = 'nox' AND lane IS NOT NULL "
        "GROUP BY repo, lane ORDER BY repo, lane"
    ).fetchall()
    repos: dict[str, list[dict[str, Any]]] = {}
    for row in latest:
        controls, controls_run = _controls(conn, row["repo"], row["lane"])
        status = "interrupted" if row["state"] == "interrupted" else row["status"]
        repos.setdefault(row["repo"], []).append(
            {
                "lane": row["lane"],
                "run_id": row["run_id"],
                "status": status,
                "started_at": row["started_at"],
                "commit": row["commit_sha"],
                "version": row["version"],
                "actor": row["actor"],
                "controls": controls,
                "controls_run_id": controls_run,
            }
        )
    return [{"repo": repo, "lanes": lanes} for repo, lanes in repos.items()]


def _failing(results: str, step: str, status: str) -> list[dict[str, Any]]:
    bad = [r for r in json.loads(results) if r.get("status") in ("fail", "error")]
    if not bad and status in ("fail", "error"):
        return [{"step": step, "check": step, "status": status, "owner": None, "message": ""}]
    return [
        {
            "step": step,
            "check": r.get("id"),
            "status": r.get("status"),
            "owner": r.get("owner"),
            "message": r.get("message") or "",
        }
        for r in bad
        if r.get("severity", "error") == "error"
    ]


def _recent(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    runs = conn.execute(
        "SELECT * FROM runs ORDER BY started_at DESC, run_id DESC LIMIT ?", (RECENT_RUNS,)
    ).fetchall()
    out = []
    for run in runs:
        steps = conn.execute(
            "SELECT step, status, results FROM steps WHERE repo = ? AND run_id = ? "
            "ORDER BY started_at",
            (run["repo"], run["run_id"]),
        ).fetchall()
        failing = [f for s in steps for f in _failing(s["results"], s["step"], s["status"])]
        out.append(
            {
                "repo": run["repo"],
                "run_id": run["run_id"],
                "lane": run["lane"],
                "status": "interrupted" if run["state"] == "interrupted" else run["status"],
                "started_at": run["started_at"],
                "commit": run["commit_sha"],
                "actor": run["actor"],
                "steps": [{"step": s["step"], "status": s["status"]} for s in steps],
                "failing": failing,
            }
        )
    return out


def _review(conn: sqlite3.Connection, config: Config, now: datetime) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT key, at, owner, data FROM records WHERE kind = 'kpi-review' "
        "ORDER BY at DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    age = max(now - parse_time(row["at"]), timedelta(0))
    period = config.kpi.review_period_days
    return {
        "reviewed_at": row["at"],
        "reviewer": row["owner"],
        "lane": json.loads(row["data"]).get("lane"),
        "age_days": round(age.total_seconds() / 86400, 1),
        "period_days": period,
        "overdue": age > timedelta(days=period),
        "path": row["key"],
    }


def build_model(config: Config, *, since: datetime | None, now: datetime) -> dict[str, Any]:
    """Everything the dashboard shows, from the history (evidence records synced first)."""
    with open_history(config) as conn:
        kpis = compute_kpis(config, list(KPIS), since=since, now=now, conn=conn)
        totals = conn.execute(
            "SELECT count(*) AS runs, count(DISTINCT repo) AS repos, "
            "count(DISTINCT lane) AS lanes FROM runs"
        ).fetchone()
        repos = _repos(conn)
        recent = _recent(conn)
        review = _review(conn, config, now)
    emphasis: dict[str, list[str]] = {k: [] for k in KPIS}
    for lane in config.resolved_lanes():
        for item in lane.kpis:
            emphasis[item.id].append(lane.name)
    return {
        "generated_at": iso(now),
        "tool_version": __version__,
        "history": history_path(config).relative_to(config.root).as_posix(),
        "window": {"since": None if since is None else iso(since), "until": iso(now)},
        "totals": {"runs": totals["runs"], "repos": totals["repos"], "lanes": totals["lanes"]},
        "repos": repos,
        "kpis": [{**k.to_json(), "lanes": emphasis[k.id]} for k in kpis],
        "recent_runs": recent,
        "kpi_review": review,
    }
