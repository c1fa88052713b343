"""Controls: each control id of the catalog has one verifier that reads evidence and decides."""

from __future__ import annotations

from lane_tasks.controls import pending, startup
from lane_tasks.controls.base import CONTROLS, Control, ControlContext, verify_lane

__all__ = ["CONTROLS", "Control", "ControlContext", "verify_lane"]

_MODULES = (startup, pending)
