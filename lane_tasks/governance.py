"""Governance rules of a lane: who owns each gate check, step and control (the ownership
matrix), and whether the support severity model is complete. Rules, not verification: the
ownership-matrix and severity-model controls, `ownership show` and init use them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from itertools import pairwise
from typing import Any

from lane_tasks.config import Config, ResolvedLane, SeverityLevel
from lane_tasks.errors import did_you_mean
from lane_tasks.util.durations import format_duration, parse_duration

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


SLOS = ("ack", "resolve")
"""The SLO keys of a level, each a duration; ack must not exceed resolve."""


def _slos(level: SeverityLevel, problems: list[str]) -> dict[str, timedelta] | None:
    """The level's parsed SLOs, or None (with the reasons added to `problems`)."""
    out: dict[str, timedelta] = {}
    for key in SLOS:
        raw = getattr(level, key)
        if raw is None:
            problems.append(f"{level.name}: no {key} SLO")
            continue
        try:
            value = parse_duration(raw)
        except ValueError as exc:
            problems.append(f"{level.name}.{key}: {exc}")
            continue
        if value <= timedelta(0):
            problems.append(f"{level.name}.{key}: '{raw}' must be longer than zero")
            continue
        out[key] = value
    if len(out) != len(SLOS):
        return None
    if out["ack"] > out["resolve"]:
        problems.append(f"{level.name}: ack {level.ack} is longer than resolve {level.resolve}")
    return out


def severity_problems(config: Config) -> tuple[list[str], dict[str, dict[str, timedelta]]]:
    """Every gap in the model, and the SLOs of the levels that parsed."""
    support = config.support
    problems: list[str] = []
    if not support.levels:
        problems.append("support.levels is empty: define at least one severity level")
    missing = [lv for lv in support.levels if lv not in support.severity]
    if missing:
        problems.append("levels without a [support.severity.<level>] table: " + ", ".join(missing))
    for name in support.severity:
        if name not in support.levels:
            problems.append(
                f"[support.severity.{name}] is not a listed level"
                f"{did_you_mean(name, support.levels)}; support.levels: "
                f"{', '.join(support.levels)}"
            )
    slos: dict[str, dict[str, timedelta]] = {}
    for name in support.levels:
        level = support.severity.get(name)
        if level is None:
            continue
        parsed = _slos(level, problems)
        if parsed is not None:
            slos[name] = parsed
        team = level.escalation
        if team is None:
            problems.append(f"{name}: no escalation team")
        elif team not in config.teams:
            problems.append(
                f"{name}: escalation to undefined team '{team}'"
                f"{did_you_mean(team, config.teams)}; defined teams: "
                f"{', '.join(config.teams) or 'none'}"
            )
        elif config.teams[team].contact is None:
            problems.append(f"{name}: escalation team '{team}' has no contact")
    ordered = [lv for lv in support.levels if lv in slos]
    for stricter, looser in pairwise(ordered):
        for key in SLOS:
            a, b = slos[stricter][key], slos[looser][key]
            if a >= b:
                problems.append(
                    f"{stricter} is stricter than {looser} but its {key} "
                    f"{format_duration(a)} is not shorter than {format_duration(b)}"
                )
    return problems, slos
