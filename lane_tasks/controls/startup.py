"""The startup lane's evidence controls: the canonical path ran, and its artifacts are kept."""

from __future__ import annotations

from lane_tasks.catalog import CONTROLS as CATALOG
from lane_tasks.controls.base import (
    Control,
    ControlContext,
    Verdict,
    register,
    tags_since_adoption,
)
from lane_tasks.evidence import record_signature
from lane_tasks.evidence.artifacts import read_artifact, schema_errors, sha256_file
from lane_tasks.evidence.consistency import step_problem
from lane_tasks.evidence.store import MANIFEST, list_runs
from lane_tasks.project.git import subject
from lane_tasks.releases.decision import decision_path, go_record_problem, load_decision

__all__ = ["ArtifactRetention", "ReleaseConfidencePath", "ReleaseOwner"]


def _no_run(ctx: ControlContext) -> Verdict | None:
    if ctx.run_path is None or ctx.run_id is None:
        return Verdict("fail", "no lane run to verify: run the lane (`nox -s <lane>`) first")
    if ctx.manifest is None:
        return Verdict("fail", f"run {ctx.run_id}: {ctx.manifest_problem or 'no manifest'}")
    return None


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
        missing_run = _no_run(ctx)
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


@register
class ArtifactRetention(Control):
    """This run's artifacts are kept in the run store with a manifest whose sha256 digests
    match the files, and retention (runs.keep) is in force."""

    id = "artifact-retention"
    evidence = "<artifacts_dir>/lanes/runs/<run-id>/manifest.json and the files it lists"
    fix = "run the lane through nox so every step records into the run store; do not edit runs"

    def verify(self, ctx: ControlContext) -> Verdict:
        missing_run = _no_run(ctx)
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


@register
class ReleaseOwner(Control):
    """Every release tag after the lane's adoption point has a `go` decision record naming a
    release owner, for the tagged commit or for an ancestor of it that differs from it only
    under the evidence directory (the decision record itself is committed after the go). The
    record must also hold by the rules `release decide` applies: a go over a preflight that did
    not pass (or a recorded evidence problem) needs its override reason, and a record dated in
    the future is no decision yet. When lanes.toml lists [signing.keys], each record must be
    signed, unchanged, by its owner."""

    id = "release-owner"
    evidence = "git release tags and <evidence_dir>/releases/<version>/decision.json"
    fix = (
        "before tagging, run `lane-tasks release decide --version X --decision go --owner NAME` "
        "on the commit you release, commit the record, and tag that commit"
    )

    def verify(self, ctx: ControlContext) -> Verdict:
        config = ctx.config
        root = config.root
        since = tags_since_adoption(config)
        if since.adopted is None:
            return Verdict("fail", since.problem or "the adoption point is unknown")
        adopted, tags = since.adopted, since.tags
        if not tags:
            return Verdict("pass", f"no release tags since the adoption point {adopted[:12]}")
        problems = []
        for tag in tags:
            path = decision_path(config, tag.version)
            rel = path.relative_to(root).as_posix()
            record, problem = load_decision(path)
            if record is None:
                problems.append(f"{tag.name}: decision record {rel} {problem}")
                continue
            if why := record_signature.verify(config, path, (record["owner"],)):
                problems.append(f"{tag.name}: {why}")
                continue
            why = go_record_problem(config, record, version=tag.version, commit=tag.commit)
            if why:
                problems.append(f"{tag.name}: tagged although {rel} {why}")
        if problems:
            return Verdict("fail", "; ".join(problems))
        names = ", ".join(t.name for t in tags)
        return Verdict("pass", f"{len(tags)} release tag(s) with a go by a named owner: {names}")
