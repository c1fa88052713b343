"""The ownership-matrix control: every gate check, step and control of a lane has an owning
team, and every owning team is defined in [teams] with a contact someone can reach.

The matrix is computed here once, for the control and for `lane-tasks ownership show`, so what
a person reads is exactly what the lane is judged on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lane_tasks.config import Config, ResolvedLane
from lane_tasks.controls.base import Control, ControlContext, Verdict, register
from lane_tasks.errors import did_you_mean

__all__ = ["KINDS", "OwnershipMatrix", "OwnershipRow", "ownership_matrix"]

KINDS = ("check", "step", "control")
"""Item kinds, in the order the matrix lists them."""

UNOWNED = "unowned"
UNDEFINED = "undefined team"
NO_CONTACT = "no contact"


@dataclass(frozen=True)
class OwnershipRow:
    """One owned item: who owns it, where that was said, and what is wrong with it, if anything."""

    kind: str
    id: str
    team: str | None
    source: str | None
    """The lanes.toml key that names the team (None when nothing does)."""
    contact: str | None
    problem: str | None
    """None, UNOWNED, UNDEFINED or NO_CONTACT."""

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "team": self.team,
            "source": self.source,
            "contact": self.contact,
            "problem": self.problem,
        }


def _owner(config: Config, kind: str, item: str) -> tuple[str | None, str | None]:
    """The owning team of an item and the key that says so; [ownership] wins over a check's
    own `owner` field, so a team map can be kept in one place."""
    own = config.ownership
    team = {"check": own.checks, "step": own.steps, "control": own.controls}[kind].get(item)
    if team is not None:
        return team, f"ownership.{kind}s.{item}"
    if kind == "check" and config.checks[item].owner:
        return config.checks[item].owner, f"gate.fast.checks.{item}.owner"
    return None, None


def _items(config: Config, lanes: list[ResolvedLane]) -> list[tuple[str, str]]:
    """(kind, id) of everything the lanes run, each once: gate checks when a lane runs
    gate-fast, then steps, then controls (own and inherited)."""
    found: dict[tuple[str, str], None] = {}
    for lane in lanes:
        if "gate-fast" in lane.step_ids():
            found |= {("check", c): None for c in config.checks}
    for lane in lanes:
        found |= {("step", s): None for s in lane.step_ids()}
    for lane in lanes:
        found |= {("control", c): None for c in lane.control_ids()}
    return sorted(found, key=lambda k: KINDS.index(k[0]))


@dataclass(frozen=True)
class OwnershipMatrix:
    rows: tuple[OwnershipRow, ...]

    def problems(self, defined: Iterable[str] = ()) -> list[str]:
        """Each gap, grouped compactly: what is unowned, which teams are undefined (with a
        did-you-mean among the `defined` ones), which used teams have no contact."""
        defined = list(defined)
        rows = self.rows
        out: list[str] = []
        unowned = [f"{r.kind} {r.id}" for r in rows if r.problem == UNOWNED]
        if unowned:
            out.append(f"unowned: {', '.join(unowned)}")
        undefined: dict[str, list[str]] = {}
        for r in rows:
            if r.problem == UNDEFINED and r.team is not None:
                undefined.setdefault(r.team, []).append(f"{r.kind} {r.id}")
        for team, users in undefined.items():
            hint = did_you_mean(team, defined)
            out.append(f"undefined team '{team}'{hint} owns {', '.join(users)}")
        silent = sorted({r.team for r in rows if r.problem == NO_CONTACT and r.team})
        if silent:
            out.append(f"teams without a contact: {', '.join(silent)}")
        return out

    def teams(self) -> list[str]:
        return sorted({r.team for r in self.rows if r.team is not None})


def ownership_matrix(config: Config, lane: ResolvedLane | None = None) -> OwnershipMatrix:
    """The matrix of one lane, or of every lane when `lane` is None."""
    lanes = [lane] if lane is not None else config.resolved_lanes()
    rows = []
    for kind, item in _items(config, lanes):
        team, source = _owner(config, kind, item)
        defined = config.teams.get(team) if team is not None else None
        contact = defined.contact if defined is not None else None
        if team is None:
            problem: str | None = UNOWNED
        elif defined is None:
            problem = UNDEFINED
        elif contact is None:
            problem = NO_CONTACT
        else:
            problem = None
        rows.append(OwnershipRow(kind, item, team, source, contact, problem))
    return OwnershipMatrix(tuple(rows))


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
