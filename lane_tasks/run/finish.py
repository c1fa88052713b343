"""finish: a run ends once, whatever ended it (the lane's last step, a failure, a Ctrl-C)."""

from __future__ import annotations

import sys
from collections.abc import Callable

from lane_tasks.config import Config
from lane_tasks.errors import LaneTasksError, os_problem
from lane_tasks.evidence.history_record import record_run_state
from lane_tasks.evidence.lease import release
from lane_tasks.evidence.store import finish_run, run_dir
from lane_tasks.exports.markdown import append_github_summary
from lane_tasks.run.model import Run
from lane_tasks.util.interrupts import shielded

__all__ = ["finish"]

_finished: set[str] = set()
"""Runs this process has finished: a second call is a no-op, never a second record."""


def finish(config: Config, run: Run, state: str, *, unrecorded: tuple[str, ...] = ()) -> bool:
    """Release the top level, mark the run ended in the run store and the history, and
    summarise it for CI (GITHUB_STEP_SUMMARY). `unrecorded`: steps that failed, perhaps
    before they could record anything (a full or read-only disk): the run is then never a
    pass. A fault here is one line on stderr, never a traceback, and a second Ctrl-C cannot
    cut it short. Returns False when the run was finished already."""
    if run.id is None or run.id in _finished:
        return False
    _finished.add(run.id)
    run_id = run.id
    lane = run.lane
    parts: tuple[Callable[[], object], ...] = (
        lambda: release(config, run_id),
        lambda: finish_run(config, run_id, lane=lane, state=state, unrecorded=unrecorded),
        lambda: record_run_state(config, run_id, state, lane=lane, unrecorded=unrecorded),
        lambda: append_github_summary(run_dir(config, run_id)),
    )
    with shielded(reraise=False):
        for part in parts:
            try:
                part()
            except LaneTasksError as exc:
                sys.stderr.write(f"lane-tasks: error: {exc}\n")
            except OSError as exc:
                sys.stderr.write(f"lane-tasks: error: {os_problem(exc)}\n")
    return True
