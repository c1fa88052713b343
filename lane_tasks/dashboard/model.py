"""What the program dashboard shows, read from the run history: a JSON-able model that
`lane_tasks.dashboard.render.render_dashboard` turns into one HTML file.

Aggregated in SQL (latest run per repository and lane, the last runs), so its size does not
grow with the history: a store of 100,000 runs gives a model of a few hundred rows.

Every fact about a run comes from that run: its card lists its own controls (or says they were
not reached), its failing checks carry the first diagnostic line of their own excerpt and a
link, relative to the dashboard file, to the artifact in its run directory. Links are relative
so the page still works when the artifacts directory is downloaded as a CI artifact.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from lane_tasks import __version__
from lane_tasks.catalog import KPIS
from lane_tasks.config import Config
from lane_tasks.evidence.artifacts import read_text_regular
from lane_tasks.evidence.history import history_path, iso, open_history, repository_id
from lane_tasks.evidence.store import RunRecord, list_runs
from lane_tasks.kpi.compute import compute_kpis
from lane_tasks.kpi.records import with_evidence
from lane_tasks.project.pyproject import read_pyproject
from lane_tasks.util.clock import parse_time

__all__ = ["RECENT_RUNS", "RELEASES", "build_model", "default_out", "first_failure_line"]

RECENT_RUNS = 50
RELEASES = 30
EXCERPT_CHARS = 4000
"""An excerpt is shown up to this long; the linked artifact has all of it."""


def default_out(config: Config) -> Path:
    return config.artifacts_path() / "dashboard" / "index.html"


# ---- failure lines --------------------------------------------------------------------------

_DIAGNOSTIC = re.compile(
    r"""^\s*(?:
        [^\s:]+:\d+(?::\d+)?:        # path:line[:col]: (ruff, mypy, flake8, gcc)
      | E\s{2,}\S                    # pytest's assertion lines
      | (?:FAILED|ERROR)\s           # pytest's short summary
      | [\w.]*(?:Error|Exception)\b  # a Python exception
      | (?:error|fatal)(?:\[\w+\])?:  # compilers, pip, git
    )""",
    re.X,
)
_RULE_LINE = re.compile(r"^[\s=_\-*#~.]*$")


def first_failure_line(excerpt: str, message: str = "") -> str:
    """The line a person should read first: the first one that looks like a diagnostic,
    else the first line with words in it, else the check's message."""
    lines = [line.rstrip() for line in excerpt.splitlines()]
    for line in lines:
        if _DIAGNOSTIC.match(line):
            return line.strip()[:300]
    for line in lines:
        if line.strip() and not _RULE_LINE.match(line):
            return line.strip()[:300]
    return message.strip()[:300]


# ---- paths ----------------------------------------------------------------------------------


def _link(target: Path, out_dir: Path) -> str:
    """`target` relative to the dashboard's directory, with forward slashes."""
    return Path(os.path.relpath(target, out_dir)).as_posix()


def _run_files(
    kept: dict[str, RunRecord], run_id: str, out_dir: Path
) -> dict[tuple[str, str], dict[str, Any]]:
    """(step, check) -> excerpt and links, from a kept run's own artifacts."""
    rec = kept.get(run_id)
    if rec is None or rec.manifest is None:
        return {}
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for step in rec.manifest.get("results", []):
        name = step.get("artifact")
        if not isinstance(name, str) or "/" in name or name.startswith("."):
            continue
        artifact = rec.path / name
        try:
            doc = json.loads(read_text_regular(artifact))
        except (OSError, ValueError, RecursionError):
            continue
        results = doc.get("results") if isinstance(doc, dict) else None
        for r in results if isinstance(results, list) else []:
            if not isinstance(r, dict) or r.get("status") not in ("fail", "error"):
                continue
            excerpt = r.get("excerpt") if isinstance(r.get("excerpt"), str) else ""
            entry: dict[str, Any] = {"excerpt": excerpt, "artifact": _link(artifact, out_dir)}
            log = r.get("log")
            ours = isinstance(log, str) and not log.startswith(("/", ".")) and ".." not in log
            if ours and (rec.path / str(log)).is_file():
                entry["log"] = _link(rec.path / str(log), out_dir)
            found[(str(step.get("id")), str(r.get("id")))] = entry
        found.setdefault((str(step.get("id")), "*"), {"artifact": _link(artifact, out_dir)})
    return found


# ---- runs -----------------------------------------------------------------------------------


def _duration(row: sqlite3.Row) -> float | None:
    """The run's own duration (its start to its end), None while it runs."""
    if row["state"] == "running" or not row["ended_at"]:
        return None
    try:
        seconds = (parse_time(row["ended_at"]) - parse_time(row["started_at"])).total_seconds()
    except ValueError:
        return None
    return round(max(seconds, 0.0), 3)


def _status(row: sqlite3.Row) -> str:
    return "interrupted" if row["state"] == "interrupted" else str(row["status"])


def _failing(
    results: str, step: str, status: str, interrupted: bool, files: dict[tuple[str, str], Any]
) -> list[dict[str, Any]]:
    bad = [r for r in json.loads(results) if r.get("status") in ("fail", "error")]
    items = [
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
    if not bad and status in ("fail", "error"):
        items = [{"step": step, "check": step, "status": status, "owner": None, "message": ""}]
    for item in items:
        if interrupted and item["status"] == "error":
            item["status"] = "interrupted"  # stopped, not broken
        found = files.get((step, str(item["check"]))) or {}
        excerpt = str(found.get("excerpt") or "")
        item["first_line"] = first_failure_line(excerpt, item["message"])
        item["excerpt"] = excerpt[:EXCERPT_CHARS]
        item["excerpt_cut"] = len(excerpt) > EXCERPT_CHARS
        item["artifact"] = found.get("artifact") or (files.get((step, "*")) or {}).get("artifact")
        item["log"] = found.get("log")
    return items


class _Runs:
    """Reads one run's steps, controls, triage and kept artifacts, for cards and rows alike."""

    def __init__(self, conn: sqlite3.Connection, config: Config, out_dir: Path) -> None:
        self.conn = conn
        self.here = repository_id(config)
        self.out_dir = out_dir
        self.kept = {r.id: r for r in list_runs(config) if r.manifest is not None}

    def triage(self, repo: str, run_id: str) -> dict[str, Any] | None:
        """The run's latest triage record, read for the runs shown only (a program's history
        holds tens of thousands)."""
        rows = self.conn.execute(
            "SELECT owner, at, data FROM records WHERE repo = ? AND kind = 'triage' "
            "AND run_id = ? ORDER BY at",
            (repo, run_id),
        ).fetchall()
        if not rows:
            return None
        row = rows[-1]
        note = json.loads(row["data"]).get("note")
        return {
            "owner": row["owner"],
            "at": row["at"],
            "note": note if isinstance(note, str) else None,
        }

    def describe(self, run: sqlite3.Row) -> dict[str, Any]:
        steps = self.conn.execute(
            "SELECT step, status, results FROM steps WHERE repo = ? AND run_id = ? "
            "ORDER BY started_at",
            (run["repo"], run["run_id"]),
        ).fetchall()
        files = (
            _run_files(self.kept, run["run_id"], self.out_dir) if run["repo"] == self.here else {}
        )
        interrupted = run["state"] == "interrupted"
        failing = [
            f
            for s in steps
            for f in _failing(s["results"], s["step"], s["status"], interrupted, files)
        ]
        controls = next((s for s in steps if s["step"] == "controls"), None)
        status = _status(run)
        return {
            "repo": run["repo"],
            "run_id": run["run_id"],
            "lane": run["lane"],
            "status": status,
            "started_at": run["started_at"],
            "duration_s": _duration(run),
            "commit": run["commit_sha"],
            "version": run["version"],
            "actor": run["actor"],
            "steps": [{"step": s["step"], "status": s["status"]} for s in steps],
            "failing": failing,
            "controls": None
            if controls is None
            else [
                {"id": r["id"], "status": r["status"], "message": r.get("message") or ""}
                for r in json.loads(controls["results"])
            ],
            "triage": self.triage(run["repo"], run["run_id"]),
        }


def _repos(runs: _Runs, config: Config) -> list[dict[str, Any]]:
    """The latest run per repository and lane, each described from itself; this repository's
    configured lanes that never ran are listed as `not-run`."""
    # the newest time per repository and lane from an index, then that run's row (of two
    # runs at that very time, the first recorded)
    newest = runs.conn.execute(
        "SELECT repo, lane, max(started_at) FROM runs WHERE source = 'nox' AND lane IS NOT NULL "
        "GROUP BY repo, lane ORDER BY repo, lane"
    ).fetchall()
    latest = [
        runs.conn.execute(
            "SELECT * FROM runs WHERE repo = ? AND lane = ? AND started_at = ? "
            "AND source = 'nox' ORDER BY rowid LIMIT 1",
            tuple(key),
        ).fetchone()
        for key in newest
    ]
    repos: dict[str, list[dict[str, Any]]] = {}
    for row in latest:
        repos.setdefault(row["repo"], []).append(runs.describe(row))
    ran = {lane["lane"] for lane in repos.get(runs.here, [])}
    missing = [
        {"lane": name, "status": "not-run", "session": config.session(name)}
        for name in config.lanes
        if name not in ran
    ]
    if missing or runs.here not in repos:
        repos[runs.here] = repos.get(runs.here, []) + missing
    here = [{"repo": runs.here, "lanes": repos.pop(runs.here)}]
    return here + [{"repo": repo, "lanes": lanes} for repo, lanes in sorted(repos.items())]


def _recent(runs: _Runs) -> list[dict[str, Any]]:
    rows = runs.conn.execute(
        "SELECT * FROM runs ORDER BY started_at DESC, run_id DESC LIMIT ?", (RECENT_RUNS,)
    ).fetchall()
    return [runs.describe(row) for row in rows]


# ---- releases -------------------------------------------------------------------------------


def _releases(conn: sqlite3.Connection, config: Config, out_dir: Path) -> list[dict[str, Any]]:
    """Per repository and version: its decision, checklist and rollback records."""
    here = repository_id(config)

    def link(repo: str, key: str) -> str | None:
        path = config.root / key
        return _link(path, out_dir) if repo == here and path.is_file() else None

    kinds = "kind IN ('release-decision', 'release-checklist', 'rollback') AND version IS NOT NULL"
    # the RELEASES versions shown (newest record first), then only their records
    shown = conn.execute(
        f"SELECT repo, version, max(at) AS latest FROM records WHERE {kinds} "  # noqa: S608
        "GROUP BY repo, version ORDER BY latest DESC, repo DESC LIMIT ?",
        (RELEASES,),
    ).fetchall()
    if not shown:
        return []
    pairs = ", ".join("(?, ?)" for _ in shown)
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for row in conn.execute(
        f"SELECT repo, kind, key, at, version, owner, data FROM records WHERE {kinds} "  # noqa: S608
        f"AND (repo, version) IN (VALUES {pairs}) ORDER BY at",
        [v for r in shown for v in (r["repo"], r["version"])],
    ):
        data = json.loads(row["data"])
        entry = out.setdefault(
            (row["repo"], row["version"]),
            {"repo": row["repo"], "version": row["version"], "latest_at": row["at"]},
        )
        entry["latest_at"] = max(entry["latest_at"], row["at"])
        where = {"path": row["key"], "href": link(row["repo"], row["key"])}
        if row["kind"] == "release-decision":
            preflight = data.get("preflight") if isinstance(data.get("preflight"), dict) else {}
            entry["decision"] = {
                "decision": data.get("decision"),
                "owner": row["owner"],
                "at": row["at"],
                "reason": data.get("reason"),
                "preflight": preflight.get("status"),
                "override_reason": data.get("override_reason"),
                "evidence_problem": data.get("evidence_problem"),
                "superseded": len(data.get("superseded") or []),
                **where,
            }
        elif row["kind"] == "release-checklist":
            items = [i for i in data.get("items") or [] if isinstance(i, dict)]
            entry["checklist"] = {
                "at": row["at"],
                "done": sum(1 for i in items if i.get("done") is True),
                "items": len(items),
                "run_id": data.get("run_id"),
                **where,
            }
        else:
            entry["rollback"] = {
                "owner": row["owner"],
                "at": row["at"],
                "reason": data.get("reason"),
                **where,
            }
    ordered = sorted(out.values(), key=lambda e: (e["latest_at"], e["repo"]), reverse=True)
    return ordered[:RELEASES]


# ---- KPIs and the review --------------------------------------------------------------------


def _direction(values: list[float]) -> str:
    if len(values) < 2:
        return "unknown"
    if abs(values[-1] - values[-2]) < 1e-9:
        return "flat"
    return "up" if values[-1] > values[-2] else "down"


def _kpi(doc: dict[str, Any], min_sample: int, lanes: list[str]) -> dict[str, Any]:
    """A week with fewer data points than `kpi.min_sample` is no trend point, as the headline
    is unknown below it: it is a gap that says so, and the direction ignores it."""
    trend = []
    for point in doc["trend"]:
        if point["value"] is not None and point["sample"] < min_sample:
            point = {**point, "value": None, "display": "too little data", "below_min": True}
        trend.append(point)
    known = [p["value"] for p in trend if p["value"] is not None]
    return {**doc, "trend": trend, "direction": _direction(known), "min_sample": min_sample,
            "lanes": lanes}  # fmt: skip


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


def _project_name(config: Config) -> str:
    """The name a person knows the repository by: pyproject's project name, else its
    directory's name."""

    try:
        name = read_pyproject(config.root).get("project", {}).get("name")
    except (OSError, ValueError, AttributeError):
        name = None
    return name.strip() if isinstance(name, str) and name.strip() else config.root.name


def build_model(
    config: Config, *, since: datetime | None, now: datetime, out: Path | None = None
) -> dict[str, Any]:
    """Everything the dashboard shows, from the history and the evidence records; links are
    relative to `out`, where the dashboard is written."""
    out_dir = (out or default_out(config)).resolve().parent
    with open_history(config) as conn, with_evidence(config, conn):
        kpis = compute_kpis(config, list(KPIS), since=since, now=now, conn=conn)
        totals = conn.execute(
            "SELECT count(*) AS runs, count(DISTINCT repo) AS repos, "
            "count(DISTINCT lane) AS lanes FROM runs"
        ).fetchone()
        runs = _Runs(conn, config, out_dir)
        repos = _repos(runs, config)
        recent = _recent(runs)
        releases = _releases(conn, config, out_dir)
        review = _review(conn, config, now)
    emphasis: dict[str, list[str]] = {k: [] for k in KPIS}
    for lane in config.resolved_lanes():
        for item in lane.kpis:
            emphasis[item.id].append(lane.name)
    min_sample = config.kpi.min_sample
    return {
        "generated_at": iso(now),
        "tool_version": __version__,
        "project": _project_name(config),
        "repository": runs.here,
        "history": history_path(config).relative_to(config.root).as_posix(),
        "window": {"since": None if since is None else iso(since), "until": iso(now)},
        "totals": {"runs": totals["runs"], "repos": totals["repos"], "lanes": totals["lanes"]},
        "repos": repos,
        "releases": releases,
        "kpis": [_kpi(k.to_json(), min_sample, emphasis[k.id]) for k in kpis],
        "recent_runs": recent,
        "kpi_review": review,
    }
