"""Which lane to start in: the smallest lane that meets every stated constraint.

The packaging guidance, as data: each constraint names the seed's lane for it and the controls
that make a lane meet it. A lane of the project's lanes.toml meets a constraint when it has all
of those controls (own or inherited); the recommendation is the smallest such lane (fewest
controls, then fewest steps), so a project that renamed or reshaped its lanes still gets an
answer from its own file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lane_tasks.catalog.lanes import SEED_LANES
from lane_tasks.config import Config, ResolvedLane
from lane_tasks.errors import ConfigError, Refused

__all__ = [
    "BASELINE",
    "CONSTRAINTS",
    "Constraint",
    "NoLaneFits",
    "Recommendation",
    "ask",
    "constraints_from",
    "recommend",
]


@dataclass(frozen=True)
class Constraint:
    id: str
    """The `--constraint` value."""
    label: str
    """The seed's wording in the lane-selection table."""
    lane: str
    """The lane the seed starts you in for it."""
    controls: tuple[str, ...]
    """What a lane must verify to meet it."""
    question: str
    """What `lanes recommend` asks interactively (a yes/no question)."""


CONSTRAINTS: tuple[Constraint, ...] = tuple(
    Constraint(seed.constraint, seed.ideal_for, seed.name, seed.controls, seed.question)
    for seed in SEED_LANES.values()
)
BY_ID = {c.id: c for c in CONSTRAINTS}
BASELINE = CONSTRAINTS[0]
"""What every lane must meet, and what is assumed when nothing else is stated."""


class NoLaneFits(Refused):
    """No lane of lanes.toml has the controls the constraints need: exit 1."""


@dataclass(frozen=True)
class Recommendation:
    lane: str
    reason: str
    constraints: tuple[Constraint, ...]
    stated: bool
    """False when no constraint was given and the baseline was assumed."""

    def to_json(self) -> dict[str, Any]:
        return {
            "lane": self.lane,
            "reason": self.reason,
            "assumed": not self.stated,
            "constraints": [
                {"id": c.id, "label": c.label, "controls": list(c.controls)}
                for c in self.constraints
            ],
        }


def constraints_from(
    named: Sequence[str] | None, teams: int | None, audit: bool | None
) -> tuple[Constraint, ...]:
    """The constraints the flags state (empty when none is stated). `--teams N` with N > 1 is
    cross-team; `--audit` is audit; `--no-audit` contradicts `--constraint audit`."""
    ids = list(dict.fromkeys(named or ()))
    if teams is not None:
        if teams < 1:
            raise ConfigError(f"must be at least 1, not {teams}", key="--teams")
        ids.append("cross-team" if teams > 1 else BASELINE.id)
    if audit is True:
        ids.append("audit")
    elif audit is False:
        if "audit" in ids:
            raise ConfigError("contradicts --constraint audit", key="--no-audit")
        ids.append(BASELINE.id)
    return tuple(BY_ID[i] for i in dict.fromkeys(ids))


def _size(lane: ResolvedLane) -> tuple[int, int]:
    return len(lane.controls), len(lane.steps)


def recommend(config: Config, constraints: Sequence[Constraint]) -> Recommendation:
    """The smallest lane with every control the constraints need, with the reason."""
    stated = bool(constraints)
    wanted = tuple(dict.fromkeys([BASELINE, *constraints]))
    needed = list(dict.fromkeys(c for w in wanted for c in w.controls))
    lanes = sorted(config.resolved_lanes(), key=_size)
    fits = [lane for lane in lanes if set(needed) <= set(lane.control_ids())]
    if not fits:
        labels = "; ".join(f"{c.label} ({c.id})" for c in wanted)
        raise NoLaneFits(
            f"no lane in {config.path.name} meets {labels}: none has every control of "
            f"{', '.join(needed)}"
        )
    best = fits[0]
    shown = [c for c in wanted if c is not BASELINE] or [BASELINE]
    shown_controls = [c for w in shown for c in w.controls]
    labels = "; ".join(f"{c.label} ({c.id})" for c in shown)
    smaller = [lane for lane in lanes if _size(lane) < _size(best)]
    why_not = "; ".join(
        f"{lane.name} lacks {', '.join(c for c in needed if c not in lane.control_ids())}"
        for lane in smaller
    )
    if stated:
        reason = f"{best.name} is the smallest lane that meets {labels}"
    else:
        reason = f"no constraint stated, so the smallest lane, for {labels}"
    reason += f": it verifies {', '.join(shown_controls)}"
    if why_not:
        reason += f"; {why_not}"
    if not stated:
        reason += "; state yours with --constraint, --teams or --audit"
    return Recommendation(best.name, reason, wanted, stated)


def ask(read: Callable[[str], str]) -> tuple[Constraint, ...]:
    """The interactive questions: each constraint beyond the baseline, yes or no (default no),
    through `read(prompt) -> answer`."""
    chosen = []
    for c in CONSTRAINTS[1:]:
        while True:
            answer = read(f"{c.question} [y/N] ").strip().lower()
            if answer in ("", "n", "no"):
                break
            if answer in ("y", "yes"):
                chosen.append(c)
                break
    return tuple(chosen)
