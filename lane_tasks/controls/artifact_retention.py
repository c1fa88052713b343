"""artifact-retention: every run's machine-readable artifacts are kept, whole and unchanged."""

from __future__ import annotations

from lane_tasks.controls.base import (
    Control,
    ControlContext,
    Verdict,
    no_run,
    register,
)
from lane_tasks.evidence.artifacts import schema_errors, sha256_file
from lane_tasks.evidence.store import MANIFEST, list_runs


@register
class ArtifactRetention(Control):
    """This run's artifacts are kept in the run store with a manifest whose sha256 digests
    match the files, and retention (runs.keep) is in force."""

    id = "artifact-retention"
    evidence = "<artifacts_dir>/lanes/runs/<run-id>/manifest.json and the files it lists"
    fix = "run the lane through nox so every step records into the run store; do not edit runs"

    def verify(self, ctx: ControlContext) -> Verdict:
        missing_run = no_run(ctx)
        if missing_run:
            return missing_run
        assert ctx.manifest is not None and ctx.run_path is not None
        problem = schema_errors(ctx.manifest)
        if problem:
            return Verdict("fail", f"manifest: {problem}")
        entries = ctx.manifest["artifacts"]
        if not entries:
            return Verdict("fail", f"run {ctx.run_id} recorded no artifacts")
        problems = []
        listed = set()
        for a in entries:
            path = ctx.run_path / a["path"]
            listed.add(a["path"])
            if not path.is_file():
                problems.append(f"{a['path']} is listed but missing")
            elif sha256_file(path) != a["sha256"]:
                problems.append(f"{a['path']} does not match its sha256 in the manifest")
        tops = {path.split("/", 1)[0] for path in listed}
        stray = sorted(p.name for p in ctx.run_path.iterdir() if p.name not in tops | {MANIFEST})
        if stray:
            problems.append(f"not in the manifest: {', '.join(stray)}")
        steps_run = {r["id"] for r in ctx.manifest["results"]}
        unrecorded = [
            s
            for s in ctx.lane.step_ids()
            if s in steps_run and s not in {a["step"] for a in entries}
        ]
        if unrecorded:
            problems.append(f"steps without a kept artifact: {', '.join(unrecorded)}")
        kept = len(list_runs(ctx.config))
        if kept > ctx.config.runs_keep:
            problems.append(f"{kept} runs kept, more than runs.keep = {ctx.config.runs_keep}")
        if problems:
            return Verdict("fail", "; ".join(problems))
        beside = sum("/" in str(a["path"]) for a in entries)  # gate fast's logs and reports
        also = f" and {beside} kept file(s)" if beside else ""
        return Verdict(
            "pass",
            f"{len(entries) - beside} artifact(s){also} kept with matching sha256; "
            f"{kept} of at most {ctx.config.runs_keep} runs kept",
        )
