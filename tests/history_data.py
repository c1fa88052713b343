"""A generated history whose six KPIs are known, in the JSONL format of `history export`
(runs, steps and records) and of `events import` (events). Days are February 2026."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from lane_tasks import __version__

NOW = "2026-03-02T12:00:00Z"
TOOL = {"name": "lane-tasks", "version": __version__}
SHA = "a" * 40


def t(day: int, hour: int = 10, minute: int = 0) -> str:
    """A time in February 2026 (day > 28 runs into March)."""
    return (datetime(2026, 2, 1, hour, minute, tzinfo=UTC) + timedelta(days=day - 1)).isoformat()


def week(day: int) -> str:
    y, w, _ = (datetime(2026, 2, 1, tzinfo=UTC) + timedelta(days=day - 1)).isocalendar()
    return f"{y}-W{w:02d}"


class History:
    """JSONL rows of a generated history, written in the export format."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.n = 0

    def run(self, repo: str, lane: str | None, status: str, actor: str, at: str, **kw: Any) -> str:
        self.n += 1
        run_id = f"{at[:10].replace('-', '')}T000000Z-{self.n:06x}"
        self.rows.append(
            {
                "type": "run", "repo": repo, "run_id": run_id, "source": kw.get("source", "nox"),
                "lane": lane, "status": status, "state": kw.get("state", "complete"),
                "commit_sha": SHA, "version": None, "actor": actor, "ci": None,
                "started_at": at, "ended_at": at,
            }
        )  # fmt: skip
        return run_id

    def gate_release(self, repo: str, run_id: str, status: str, at: str, version: str) -> None:
        results = [{"id": "build", "status": status, "owner": "release", "message": ""}]
        self.rows.append(
            {
                "type": "step", "repo": repo, "run_id": run_id, "step": "gate-release",
                "status": status, "lane": None, "commit_sha": SHA, "version": version,
                "started_at": at, "ended_at": at, "results": json.dumps(results),
            }
        )  # fmt: skip

    def record(self, repo: str, kind: str, key: str, at: str, data: dict[str, Any]) -> None:
        doc = {"schema": f"lane-tasks/{kind}", "schema_version": "1.0", "tool": TOOL, **data}
        self.rows.append(
            {
                "type": "record", "repo": repo, "kind": kind, "key": key, "at": at,
                "version": data.get("version"), "run_id": data.get("run_id"),
                "owner": data.get("owner"), "data": json.dumps(doc),
            }
        )  # fmt: skip

    def decision(self, repo: str, version: str, decision: str, *times: str) -> None:
        """A decision record; earlier `times` are superseded decisions, the last is current."""

        def one(at: str) -> dict[str, Any]:
            return {
                "version": version, "commit": SHA, "decision": decision, "owner": "lead",
                "reason": None, "decided_at": at, "preflight": None, "override_reason": None,
                "evidence_problem": None, "superseded": [],
            }  # fmt: skip

        data = one(times[-1]) | {"superseded": [one(x) for x in times[:-1]]}
        key = f"release-evidence/releases/{version}/decision.json"
        self.record(repo, "release-decision", key, times[-1], data)

    def triage(self, repo: str, run_id: str, started: str, at: str) -> None:
        data = {
            "run_id": run_id, "repository": repo, "lane": "startup", "run_status": "fail",
            "run_started_at": started, "owner": "ana", "note": None, "triaged_at": at,
        }  # fmt: skip
        self.record(repo, "triage", f"release-evidence/triage/{run_id}.json", at, data)

    def rollback(self, repo: str, version: str, at: str) -> None:
        data = {
            "version": version, "commit": SHA, "owner": "lead", "reason": "broken wheel",
            "rolled_back_at": at, "decision_sha256": "b" * 64,
        }  # fmt: skip
        self.record(
            repo, "rollback", f"release-evidence/releases/{version}/rollback.json", at, data
        )

    def event(self, kind: str, at: str) -> None:
        """An adoption event, in the JSONL line format of `lane-tasks events import`."""
        self.n += 1
        self.events.append({"type": kind, "at": at, "id": f"e{self.n}"})

    def write(self, path: Path) -> Path:
        path.write_text("".join(json.dumps(r) + "\n" for r in self.rows))
        return path


def generated() -> History:
    """The history whose KPIs the tests know. Days are February 2026; now is March 2."""
    h = History()
    app, lib = "acme/app", "acme/lib"
    # first-time success: (app, ana) first fails; (app, bo), (lib, ana), (lib, cy) first pass
    r1 = h.run(app, "startup", "fail", "ana", t(10))
    h.gate_release(app, r1, "fail", t(10), "1.0.0")
    h.triage(app, r1, t(10), t(10, 13))  # 3 hours after the streak began
    r2 = h.run(app, "startup", "pass", "ana", t(11))
    h.gate_release(app, r2, "pass", t(11), "1.0.0")
    r3 = h.run(app, "startup", "pass", "bo", t(12))
    h.gate_release(app, r3, "pass", t(12), "1.0.0")
    h.run(lib, "scale", "pass", "ana", t(20))
    h.run(lib, "scale", "pass", "cy", t(25))
    r6 = h.run(lib, "scale", "fail", "cy", t(26, 8))
    r7 = h.run(lib, "scale", "error", "cy", t(27))
    h.gate_release(lib, r7, "error", t(27), "0.5.0")
    h.triage(lib, r7, t(27), t(27, 12))  # the streak began at r6: 28 hours
    del r6
    h.run(app, "scale", "fail", "bo", t(28))  # a streak nobody triaged
    # not counted for first-time success: interrupted, still running, and outside nox
    r_int = h.run(lib, "scale", "error", "dee", t(5), state="interrupted")
    h.gate_release(lib, r_int, "error", t(5), "0.5.0")  # stopped: no verdict, no failed gate
    h.run(lib, "scale", "running", "eve", t(6), state="running")
    r8 = h.run(lib, None, "pass", "fay", t(25, 9), source="cli")
    h.gate_release(lib, r8, "pass", t(25, 9), "0.5.0")
    # decisions: 1.0.0 2h after its first gate-release run; 0.5.0 the first decision 30 min
    # after its first run at day 25 09:00, then superseded; 1.1.0 has no gate-release run
    h.decision(app, "1.0.0", "go", t(10, 12))
    h.decision(lib, "0.5.0", "go", t(25, 9, 30), t(28))
    h.decision(app, "1.1.0", "go", t(27))
    h.decision(app, "1.2.0", "no-go", t(28))
    h.rollback(app, "1.0.0", t(14))
    for day in (2, 3, 4, 5, 6, 20, 21, 22, 23, 24):
        h.event("docs-view", t(day))
    h.event("adoption", t(6))
    h.event("adoption", t(23))
    return h
