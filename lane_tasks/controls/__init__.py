"""Controls: each control id of the catalog has one verifier, in the module named for it, that
reads evidence and decides."""

from __future__ import annotations

from lane_tasks.controls import (
    artifact_retention,
    compat_policy,
    deprecation_windows,
    ownership_matrix,
    release_checklist_evidence,
    release_confidence_path,
    release_owner,
    reproducible_build,
    sbom,
    severity_model,
    weekly_kpi_review,
)
from lane_tasks.controls.base import CONTROLS, Control, ControlContext, verify_lane

__all__ = ["CONTROLS", "Control", "ControlContext", "verify_lane"]

_MODULES = (  # imported for their registration; lookups are by id, so order does not matter
    release_confidence_path,
    artifact_retention,
    release_owner,
    ownership_matrix,
    severity_model,
    compat_policy,
    deprecation_windows,
    weekly_kpi_review,
    release_checklist_evidence,
    reproducible_build,
    sbom,
)
