"""The steps a lane runs. Each module registers one runner per step id of the catalog."""

from __future__ import annotations

from lane_tasks.steps import contract_index, doctor, drift, gate_fast, gate_release
from lane_tasks.steps.base import RUNNERS, StepContext, StepReport, run_step

__all__ = ["RUNNERS", "StepContext", "StepReport", "run_step"]

_MODULES = (gate_fast, gate_release, doctor, drift, contract_index)
