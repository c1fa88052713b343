"""The steps a lane runs. Each module registers one runner per step id of the catalog.

The step modules are imported by `runners()` (and so by `run_step`), not by this package:
a command that needs one step's helper module (`contract-index verify`) does not load every
step (start-up cost: doctor alone pulls in packaging and importlib.metadata).
"""

from __future__ import annotations

from lane_tasks.steps.base import RUNNERS, Runner, StepContext, StepReport
from lane_tasks.steps.base import run_step as _run_registered

__all__ = ["StepContext", "StepReport", "run_step", "runners"]


def runners() -> dict[str, Runner]:
    """Every step's runner, by step id (importing the step modules registers them)."""
    from lane_tasks.steps import doctor, drift, gate_fast, gate_release  # noqa: F401
    from lane_tasks.steps.contract_index import build  # noqa: F401

    return RUNNERS


def run_step(step_id: str, ctx: StepContext) -> StepReport:
    """Run a registered step (see base.run_step), every step module loaded first."""
    runners()
    return _run_registered(step_id, ctx)
