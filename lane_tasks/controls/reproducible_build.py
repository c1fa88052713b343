"""reproducible-build: this run's release preflight rebuilt the distributions and got the same
bytes, for the commit under test."""

from __future__ import annotations

from lane_tasks.controls.base import Control, ControlContext, Verdict, no_run, register
from lane_tasks.evidence.artifacts import read_artifact
from lane_tasks.evidence.consistency import step_problem
from lane_tasks.project.git import subject

STEP = "gate-release"
CHECK = "reproducible"


@register
class ReproducibleBuild(Control):
    """This run's gate-release artifact is passing evidence for HEAD, lists the sdist and the
    wheel it built with their sha256, and its `reproducible` check passed: a second build with
    the same SOURCE_DATE_EPOCH gave byte-identical files, whose digests its message names."""

    id = "reproducible-build"
    evidence = "the run's release-preflight artifact: its dists and its reproducible result"
    fix = (
        "run the lane's gate release with [gate.release] reproducible on (the default in a lane "
        "with this control) and make the build deterministic"
    )

    def verify(self, ctx: ControlContext) -> Verdict:
        missing_run = no_run(ctx)
        if missing_run:
            return missing_run
        assert ctx.manifest is not None and ctx.run_path is not None
        entry = next(
            (
                a
                for a in ctx.manifest.get("artifacts", [])
                if a.get("step") == STEP and "/" not in str(a.get("path"))
            ),
            None,
        )
        if entry is None:
            return Verdict("fail", f"{STEP} did not run in run {ctx.run_id}")
        doc, problem = read_artifact(ctx.run_path / str(entry.get("path")))
        if problem or doc is None:
            return Verdict("fail", f"{STEP}: {problem}")
        head = subject(ctx.config.root, (ctx.config.artifacts_dir,)).commit
        if why := step_problem(doc, STEP, commit=head):
            return Verdict("fail", f"{STEP}: {why}")
        dists = doc.get("dists") or []
        kinds = sorted(str(d.get("kind")) for d in dists)
        if kinds != ["sdist", "wheel"]:
            return Verdict(
                "fail", f"{STEP} lists {kinds or 'no'} distributions, not an sdist and a wheel"
            )
        result = next((r for r in doc.get("results", []) if r.get("id") == CHECK), None)
        if result is None or result.get("status") != "pass":
            status = "missing" if result is None else result.get("status")
            said = f": {result.get('message')}" if result else ""
            return Verdict("fail", f"the {CHECK} check did not pass ({status}){said}")
        unnamed = [d["name"] for d in dists if d["sha256"][:12] not in str(result.get("message"))]
        if unnamed:
            return Verdict(
                "fail", f"the {CHECK} result does not name the digest of {', '.join(unnamed)}"
            )
        listed = ", ".join(f"{d['name']} {d['sha256'][:12]}" for d in dists)
        return Verdict("pass", f"rebuilt identically for {str(head)[:12]}: {listed}")
