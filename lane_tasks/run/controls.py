"""verify_controls: the lane's controls step, verified from a run's evidence and recorded."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lane_tasks.config import Config, ResolvedLane
from lane_tasks.controls import ControlContext, verify_lane
from lane_tasks.evidence.artifacts import RunInfo, canonical_json, envelope
from lane_tasks.evidence.record_signature import require_crypto_for
from lane_tasks.evidence.store import finish_run, latest_run, list_runs, run_dir
from lane_tasks.kpi.compute import compute_kpis, render_kpis
from lane_tasks.project.git import subject
from lane_tasks.run.model import Run, TopLevel
from lane_tasks.run.step import _history, _record, write_top_level
from lane_tasks.steps.base import exit_code_for, status_of
from lane_tasks.util.interrupts import shielded

__all__ = ["ControlsDone", "kpi_lines", "verify_controls"]


@dataclass(frozen=True, kw_only=True)
class ControlsDone:
    doc: dict[str, Any]
    exit_code: int
    verified_run: str | None
    written: Path | None = None
    notices: tuple[str, ...] = ()


def verify_controls(
    config: Config, run: Run, lane: str, *, stable: bool, top_level: TopLevel | None = None
) -> ControlsDone:
    """Verify every control of `lane` (own and inherited) from the evidence of `run` (or,
    for a run without an id, the newest run in the store), and record the controls artifact
    into `run`. A run this process does not own is marked finished in the store here, as the
    lane's last step; an owned one by `finish`."""
    resolved = config.resolve(lane)
    t0, started = time.monotonic(), datetime.now(UTC)
    run_id = run.id
    if run_id is None:
        latest = latest_run(config)
        run_id = latest.id if latest else None
    path = run_dir(config, run_id) if run_id else None
    manifest, problem = None, None
    if path is not None:
        rec = next((r for r in list_runs(config) if r.id == run_id), None)
        if rec is None:
            problem = f"run {run_id} is not in the run store"
        else:
            manifest, problem = rec.manifest, rec.problem
    ctx = ControlContext(config, resolved, run_id, path, manifest, problem)
    require_crypto_for(config, resolved)  # exit 3 with the install line, not a crash per control
    results = verify_lane(ctx)
    status = status_of(results)
    doc = envelope(
        kind="controls",
        step="controls",
        lane=resolved.name,
        subject=subject(config.root, (config.artifacts_dir,)).to_json(),
        status=status,
        results=results,
        stable=stable,
        run=RunInfo(run_id, started.isoformat(timespec="seconds"), time.monotonic() - t0),
        extra={"verified_run": run_id},
    )
    recorded = Run(id=run.id, lane=resolved.name, started=run.started, owned=run.owned)
    text = canonical_json(doc)
    with shielded():  # a second Ctrl-C cannot leave half a record
        written, notices = write_top_level(config, recorded, doc, top_level, text)
        if recorded.id:
            _record(config, recorded, "controls", doc, started.isoformat(), text)
            if not recorded.owned:
                finish_run(config, recorded.id, lane=resolved.name)
        took = RunInfo(run_id, started.isoformat(), time.monotonic() - t0)
        _history(config, recorded, doc, took)
    return ControlsDone(
        doc=doc,
        exit_code=exit_code_for(status, results),
        verified_run=run_id,
        written=written,
        notices=notices,
    )


def kpi_lines(config: Config, lane: ResolvedLane | str) -> str:
    """The lane's emphasised KPIs, as a lane's run shows them after its controls."""
    resolved = config.resolve(lane) if isinstance(lane, str) else lane
    return render_kpis(compute_kpis(config, [k.id for k in resolved.kpis]), heading=resolved.name)
