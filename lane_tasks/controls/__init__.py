"""Controls: each control id of the catalog has one verifier that reads evidence and decides."""

from __future__ import annotations

from lane_tasks.controls import (
    checklist,
    compat,
    deprecations,
    kpi_review,
    ownership,
    severity,
    startup,
)
from lane_tasks.controls.base import CONTROLS, Control, ControlContext, verify_lane

__all__ = ["CONTROLS", "Control", "ControlContext", "verify_lane"]

_MODULES = (
    startup,
    ownership,
    severity,
    compat,
    deprecations,
    kpi_review,
    checklist,
)
