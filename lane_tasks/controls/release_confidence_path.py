"""release-confidence-path: the canonical path (gate fast, gate release, doctor) ran
and its artifacts say so."""

from __future__ import annotations

from lane_tasks.catalog import CONTROLS as CATALOG
from lane_tasks.controls.base import (
    Control,
    ControlContext,
    Verdict,
    no_run,
    register,
)
from lane_tasks.evidence.artifacts import read_artifact
from lane_tasks.evidence.consistency import step_problem
from lane_tasks.project.git import subject


@register
class ReleaseConfidencePath(Control):
    """This run ran gate-fast, gate-release and doctor for the current commit; each left a
    passing artifact that validates against its schema and whose status its results bear out,
    gate-fast's covers the whole configured gate on a tree that was not dirty, and all three
    name the same commit."""

    id = "release-confidence-path"
    evidence = "the run's manifest and its gate-fast, release-preflight and doctor artifacts"
    fix = "run the whole lane (`nox -s <lane>`) on a committed tree and fix the failing step"

    def verify(self, ctx: ControlContext) -> Verdict:
        missing_run = no_run(ctx)
        if missing_run:
            return missing_run
        assert ctx.manifest is not None and ctx.run_path is not None
        # a step's artifact lies at the top of the run; files below it are what it kept
        by_step = {
            a.get("step"): a
            for a in ctx.manifest.get("artifacts", [])
            if "/" not in str(a.get("path"))
        }
        problems: list[str] = []
        commits: dict[str, str | None] = {}
        for step in CATALOG[self.id].needs_steps:
            entry = by_step.get(step)
            if entry is None:
                problems.append(f"{step} did not run in run {ctx.run_id}")
                continue
            doc, problem = read_artifact(ctx.run_path / str(entry.get("path")))
            if problem or doc is None:
                problems.append(f"{step}: {problem}")
                continue
            if doc.get("step") != step:
                problems.append(f"{step}: artifact says step '{doc.get('step')}'")
            of = doc.get("subject", {}).get("commit")
            if doc.get("status") != "pass":
                problems.append(f"{step} did not pass (status {doc.get('status')})")
            elif why := step_problem(
                doc, step, commit=of, checks=ctx.config.checks, clean=step == "gate-fast"
            ):
                problems.append(f"{step}: {why}")
            commits[step] = of
        if problems:
            return Verdict("fail", "; ".join(problems))
        distinct = set(commits.values())
        if len(distinct) != 1 or None in distinct:
            listed = ", ".join(f"{s}={(c or 'none')[:12]}" for s, c in commits.items())
            return Verdict("fail", f"artifacts disagree on the commit: {listed}")
        head = subject(ctx.config.root, (ctx.config.artifacts_dir,)).commit
        (commit,) = distinct
        if commit != head:
            return Verdict(
                "fail", f"artifacts are for commit {str(commit)[:12]}, but HEAD is {str(head)[:12]}"
            )
        return Verdict("pass", f"gate-fast, gate-release and doctor passed for {str(commit)[:12]}")
