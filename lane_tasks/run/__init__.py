"""One lane run: the only writer of a run's evidence.

A front door (the CLI's step commands and `controls verify`, the nox sessions) opens or joins
a `Run`, calls `run_step` for each step and `verify_controls` for the lane, and the process
that opened the run calls `finish` once when it ends. Here, and nowhere else, a run's evidence
is written: the top-level artifacts under the lease, the run store and the history. What the
person sees (the report on stdout, notices on stderr) stays with the front door.
"""

from __future__ import annotations

from lane_tasks.run.controls import ControlsDone, kpi_lines, verify_controls
from lane_tasks.run.finish import finish
from lane_tasks.run.model import Run, StepDone, StepOptions, TopLevel, join_run, open_run
from lane_tasks.run.step import run_step, step_config

__all__ = [
    "ControlsDone",
    "Run",
    "StepDone",
    "StepOptions",
    "TopLevel",
    "finish",
    "join_run",
    "kpi_lines",
    "open_run",
    "run_step",
    "step_config",
    "verify_controls",
]
