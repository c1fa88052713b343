"""The ownership-matrix control: every gate check, step and control of a lane has an owning
team, and every owning team is defined in [teams] with a contact someone can reach.

The matrix is computed here once, for the control and for `lane-tasks ownership show`, so what
a person reads is exactly what the lane is judged on.
"""

from __future__ import annotations

from lane_tasks.controls.base import Control, ControlContext, Verdict, register
from lane_tasks.governance import (
    UNDEFINED,
    ownership_matrix,
)


@register
class OwnershipMatrixControl(Control):
    """Every gate check, step and control of the lane is owned by a team ([ownership], or a
    gate check's own `owner`), every owner is a team defined in [teams], and every such team
    has a contact."""

    id = "ownership-matrix"
    evidence = "lanes.toml: [teams], [ownership] and [gate.fast.checks.<id>] owner"
    fix = (
        'define each team as [teams.<name>] contact = "..." and map every item in '
        "[ownership.checks|steps|controls]; see `lane-tasks ownership show --lane <lane>`"
    )

    def verify(self, ctx: ControlContext) -> Verdict:
        matrix = ownership_matrix(ctx.config, ctx.lane)
        problems = matrix.problems(ctx.config.teams)
        if problems:
            if any(r.problem == UNDEFINED for r in matrix.rows):
                problems.append(f"defined teams: {', '.join(ctx.config.teams) or 'none'}")
            return Verdict("fail", "; ".join(problems))
        teams = matrix.teams()
        return Verdict(
            "pass",
            f"{len(matrix.rows)} item(s) owned by {len(teams)} team(s) with a contact: "
            f"{', '.join(teams)}",
        )
