"""drift-check: is lanes.toml still the one release path, or does the repository say otherwise?

lanes.toml declares the canonical path. Drift is anywhere else that disagrees: a lane or step
without its nox session, CI running a session that does not exist (or never running a lane it
must), docs naming sessions, `lane-tasks` commands or options that are gone, a published
docs/lanes.md that no longer matches. Each problem is a finding with file, line, what was found
and what was expected; lanes.toml may waive one with a reason, which is then shown, not hidden.

Every source is read for what it is: the session list comes from the real noxfile (run in a
subprocess, so sessions that are not run by default count too), CI files are parsed as YAML
(each scalar keeps its line), commands are split as a shell splits them, and the `lane-tasks`
commands and options come from the command data (lane_tasks.catalog.commands). The noxfile
subprocess starts first and the file scans run while it loads: about one interpreter start.

The package holds one module per job: findings, noxfile_sessions, shell_words, ci_config,
cli_commands, docs_refs, facts and families; this module runs the families as the step.
"""

from __future__ import annotations

from lane_tasks.catalog.checks import FINDINGS
from lane_tasks.config import key_lines
from lane_tasks.evidence.artifacts import Result
from lane_tasks.steps.base import StepContext, StepOutcome, register
from lane_tasks.steps.drift.ci_config import action_lanes
from lane_tasks.steps.drift.facts import _Facts, _n, _Outcome
from lane_tasks.steps.drift.families import _RUN_ORDER, FAMILIES, LANES_DOC, Family
from lane_tasks.steps.drift.findings import _waive
from lane_tasks.steps.drift.noxfile_sessions import _NoxProbe

__all__ = ["LANES_DOC", "action_lanes", "run"]


def _result(family: Family, outcome: _Outcome) -> Result:
    if outcome.skip is not None:
        return Result(id=family.id, status="skip", message=outcome.skip)
    open_ = [x for x in outcome.findings if x.waived is None]
    waived = [x for x in outcome.findings if x.waived is not None]
    status = "pass"
    if open_:
        status = "error" if any(FINDINGS[x.id].status == "error" for x in open_) else "fail"
    parts = [outcome.error or outcome.summary] if status == "error" else [outcome.summary]
    if open_:
        parts.append(_n(len(open_), "finding"))
    parts += [f"waived {x.id} at {x.where()}: {x.waived}" for x in waived]
    lines = [f"{x.where()}: {x.id}: {x.message}" for x in open_]
    lines += [f"{x.where()}: {x.id}: {x.message} [waived: {x.waived}]" for x in waived]
    return Result(
        id=family.id,
        status=status,
        message="; ".join(p for p in parts if p),
        excerpt="\n".join(lines) if open_ else "",
        fix=family.fix if open_ else None,
    )


@register("drift-check")
def run(ctx: StepContext) -> StepOutcome:
    config = ctx.config
    facts = _Facts(
        config=config,
        probe=_NoxProbe(config.root),
        line_of=key_lines(config.path),
        config_rel=config.shown(config.path),
    )
    try:
        outcomes = {fid: FAMILIES[fid].check(facts) for fid in _RUN_ORDER}
    finally:
        facts.probe.close()
    waivers = config.drift.waive
    for outcome in outcomes.values():
        found = sorted(outcome.findings, key=lambda x: (x.path, x.line or 0))
        outcome.findings = [_waive(x, waivers) for x in found]
    results = [_result(fam, outcomes[fid]) for fid, fam in FAMILIES.items()]
    findings = [x.to_json() for fid in FAMILIES for x in outcomes[fid].findings]
    return StepOutcome(results=results, fields={"findings": findings})
