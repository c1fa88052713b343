"""Controls whose verifiers later issues build. Registered so a lane that lists one fails
with a clear "not implemented yet" error: never a skip, never a pass."""

from __future__ import annotations

from lane_tasks.controls.base import Control, ControlContext, Verdict, register

_PENDING = {
    "ownership-matrix": 5,
    "weekly-kpi-review": 5,
    "compat-policy": 5,
    "severity-model": 5,
    "deprecation-windows": 5,
    "release-checklist-evidence": 5,
}


def _pending(control_id: str, issue: int) -> type[Control]:
    class Pending(Control):
        __doc__ = f"Not implemented yet (issue #{issue})."
        id = control_id
        evidence = f"not defined yet (issue #{issue})"
        fix = f"this control cannot pass until issue #{issue} lands"

        def verify(self, ctx: ControlContext) -> Verdict:
            return Verdict(
                "error", f"control '{control_id}' is not implemented yet (issue #{issue})"
            )

    Pending.__name__ = Pending.__qualname__ = f"Pending_{control_id.replace('-', '_')}"
    return register(Pending)


PENDING = {cid: _pending(cid, issue) for cid, issue in _PENDING.items()}
