"""The severity-model control: [support.severity] defines every support level with acknowledge
and resolve SLOs and an escalation team, and the levels get strictly faster as they get more
severe. A model that lets sev1 wait longer than sev2 is written down but is not a control."""

from __future__ import annotations

from lane_tasks.controls.base import Control, ControlContext, Verdict, register
from lane_tasks.governance import severity_problems
from lane_tasks.util.durations import format_duration


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
