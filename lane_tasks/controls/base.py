"""The control registry and the verification of a lane's controls against one run's evidence."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from lane_tasks.catalog import CONTROLS as CATALOG
from lane_tasks.config import Config, ResolvedLane
from lane_tasks.evidence.artifacts import Result, read_artifact
from lane_tasks.evidence.consistency import step_problem
from lane_tasks.project.git import (
    Tag,
    all_tags,
    first_commit_adding,
    fixed_rev_problem,
    is_ancestor,
    release_tags,
    resolve_fixed_rev,
    subject,
)

__all__ = [
    "CONTROLS",
    "Control",
    "ControlContext",
    "ReleaseTags",
    "Verdict",
    "no_run",
    "passing_step",
    "register",
    "tags_since_adoption",
    "verify_lane",
]


@dataclass(frozen=True)
class Verdict:
    status: str
    message: str


@dataclass(frozen=True)
class ControlContext:
    """What a verifier may look at: the config, the lane, and the run being verified."""

    config: Config
    lane: ResolvedLane
    run_id: str | None
    run_path: Path | None
    manifest: dict[str, Any] | None
    manifest_problem: str | None


class Control:
    """A verifier. Its docstring says what it checks; `evidence` what it reads; `fix` how to
    satisfy it. `verify` returns a Verdict and never prints."""

    id: ClassVar[str]
    evidence: ClassVar[str]
    fix: ClassVar[str]

    def verify(self, ctx: ControlContext) -> Verdict:
        raise NotImplementedError

    @classmethod
    def description(cls) -> str:
        return " ".join((cls.__doc__ or "").split())


CONTROLS: dict[str, type[Control]] = {}


def register(cls: type[Control]) -> type[Control]:
    if cls.id not in CATALOG:
        raise KeyError(f"unknown control id {cls.id!r}")
    if cls.id in CONTROLS:
        raise KeyError(f"control {cls.id!r} registered twice")
    CONTROLS[cls.id] = cls
    return cls


def verify_lane(ctx: ControlContext) -> list[Result]:
    """Verify every control of the lane, own and inherited, in lane order."""
    results = []
    for item in ctx.lane.controls:
        cls = CONTROLS[item.id]
        try:
            verdict = cls().verify(ctx)
        except Exception as exc:  # a crashing verifier is an error of that control
            verdict = Verdict("error", f"verifier crashed: {type(exc).__name__}: {exc}")
        results.append(
            Result(
                id=item.id,
                status=verdict.status,
                message=verdict.message,
                fix=None if verdict.status == "pass" else cls.fix,
                extra={
                    "origin": item.origin,
                    "title": CATALOG[item.id].title,
                    "evidence": cls.evidence,
                },
            )
        )
    return results


@dataclass(frozen=True)
class ReleaseTags:
    """The release tags a release control judges: those after the adoption point. `problem`
    says why the adoption point is unknown (then `adopted` is None and `tags` empty)."""

    adopted: str | None
    tags: tuple[Tag, ...]
    problem: str | None = None


def tags_since_adoption(config: Config) -> ReleaseTags:
    """Release tags (newest version first) whose commit descends from the adoption point:
    `project.adoption_point` (a tag or commit id, never a reference that moves), default the
    commit that added lanes.toml. A tag_pattern that matches none of the repository's
    version-like tags (with a digit in the name) is a problem, not "no releases": it would
    switch the release controls off without a word."""
    root = config.root
    if config.adoption_point:
        moving = fixed_rev_problem(root, config.adoption_point)
        if moving:  # lanes.toml refuses it too; the control re-applies the rule
            return ReleaseTags(None, (), f"project.adoption_point {moving}")
        adopted = resolve_fixed_rev(root, config.adoption_point)
        if adopted is None:
            return ReleaseTags(
                None, (), f"project.adoption_point '{config.adoption_point}' is not a commit"
            )
    else:
        rel = config.path.resolve().relative_to(root).as_posix()
        adopted = first_commit_adding(root, rel)
        if adopted is None:
            return ReleaseTags(None, (), f"{rel} is not committed: the adoption point is unknown")
    matched = release_tags(root, config.release.tag_pattern)
    if not matched and (hidden := [t for t in all_tags(root) if any(c.isdigit() for c in t)]):
        listed = ", ".join(hidden[:5]) + (f" and {len(hidden) - 5} more" if len(hidden) > 5 else "")
        return ReleaseTags(
            None,
            (),
            f"gate.release.tag_pattern in {config.path.name} matches none of the repository's "
            f"tags, so no release would ever be judged; it hides {listed}",
        )
    tags = tuple(t for t in matched if is_ancestor(root, adopted, t.commit))
    return ReleaseTags(adopted, tags)


def no_run(ctx: ControlContext) -> Verdict | None:
    if ctx.run_path is None or ctx.run_id is None:
        return Verdict("fail", "no lane run to verify: run the lane (`nox -s <lane>`) first")
    if ctx.manifest is None:
        return Verdict("fail", f"run {ctx.run_id}: {ctx.manifest_problem or 'no manifest'}")
    return None


def passing_step(ctx: ControlContext, step: str) -> tuple[dict[str, Any] | None, Verdict | None]:
    """This run's artifact of `step` when it is passing evidence for HEAD, else the failing
    verdict that says why (no run, the step did not run, an unreadable or failing artifact)."""
    missing_run = no_run(ctx)
    if missing_run:
        return None, missing_run
    assert ctx.manifest is not None and ctx.run_path is not None
    entry = next(
        (
            a
            for a in ctx.manifest.get("artifacts", [])
            if a.get("step") == step and "/" not in str(a.get("path"))
        ),
        None,
    )
    if entry is None:
        return None, Verdict("fail", f"{step} did not run in run {ctx.run_id}")
    doc, problem = read_artifact(ctx.run_path / str(entry.get("path")))
    if problem or doc is None:
        return None, Verdict("fail", f"{step}: {problem}")
    head = subject(ctx.config.root, (ctx.config.artifacts_dir,)).commit
    if why := step_problem(doc, step, commit=head):
        return None, Verdict("fail", f"{step}: {why}")
    return doc, None
