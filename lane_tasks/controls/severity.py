"""The severity-model control: [support.severity] defines every support level with acknowledge
and resolve SLOs and an escalation team, and the levels get strictly faster as they get more
severe. A model that lets sev1 wait longer than sev2 is written down but is not a control."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

from lane_tasks.config import Config, SeverityLevel
from lane_tasks.controls.base import Control, ControlContext, Verdict, register
from lane_tasks.errors import did_you_mean
from lane_tasks.util.durations import format_duration, parse_duration

__all__ = ["SLOS", "SeverityModel", "severity_problems"]

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


@register
class SeverityModel(Control):
    """[support.severity] defines every level of support.levels (strictest first) with ack and
    resolve SLOs as durations (ack <= resolve), each stricter level strictly faster than the
    next on both, and an escalation team that is defined in [teams] with a contact."""

    id = "severity-model"
    evidence = "lanes.toml: [support] levels, [support.severity.<level>] and [teams]"
    fix = (
        'add [support.severity.<level>] ack = "15m", resolve = "4h", escalation = "<team>" '
        "for every level, strictest first, with shorter SLOs for stricter levels"
    )

    def verify(self, ctx: ControlContext) -> Verdict:
        problems, slos = severity_problems(ctx.config)
        if problems:
            return Verdict("fail", "; ".join(problems))
        levels = ", ".join(
            f"{name} {format_duration(s['ack'])}/{format_duration(s['resolve'])}"
            for name, s in slos.items()
        )
        return Verdict("pass", f"{len(slos)} severity level(s), ack/resolve: {levels}")
