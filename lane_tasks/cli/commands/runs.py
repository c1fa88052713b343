"""`runs list`: the runs kept in the run store, newest first."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from lane_tasks.cli.common import config_of
from lane_tasks.errors import EXIT_OK
from lane_tasks.evidence.artifacts import canonical_json

__all__ = ["list_runs"]


def list_runs(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.evidence.store import list_runs, shown_status
    from lane_tasks.util.durations import elapsed

    config = config_of(args)
    rows: list[dict[str, Any]] = []
    for rec in list_runs(config):
        m = rec.manifest or {}
        run = m.get("run") or {}
        rows.append(
            {
                "id": rec.id,
                "lane": m.get("lane"),
                "status": shown_status(m),
                "state": run.get("state"),
                "started_at": run.get("started_at"),
                "duration_s": run.get("duration_s"),
                "commit": (m.get("subject") or {}).get("commit"),
                "steps": {r["id"]: r["status"] for r in m.get("results", [])},
                "problem": rec.problem,
            }
        )
    if args.format == "json":
        sys.stdout.write(canonical_json(rows))
        return EXIT_OK
    if not rows:
        sys.stdout.write("no runs yet (run a lane: nox -s <lane>)\n")
    else:  # the run id is its UTC start (20261202T051256Z): said once, in the header
        head = f"{'RUN (UTC START)':<23}  {'LANE':<10} {'STATUS':<11} {'TOOK':>10}  {'COMMIT':<12}"
        sys.stdout.write(f"{head}  STEPS\n")
    for r in rows:
        steps = " ".join(f"{k}={v}" for k, v in r["steps"].items())
        commit = (r["commit"] or "-")[:12]
        took = r["duration_s"]
        took = elapsed(took) if isinstance(took, int | float) else "-"
        sys.stdout.write(
            f"{r['id']}  {r['lane'] or '-':<10} {r['status']:<11} {took:>10}  {commit}  {steps}"
            f"{'  ' + r['problem'] if r['problem'] else ''}\n"
        )
    return EXIT_OK
