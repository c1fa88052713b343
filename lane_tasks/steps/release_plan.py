"""gate release's plan: which version this preflight is about, and whether it is a release
candidate, settled once before the checks run.

Every release check needs the same answer (the version, resolved statically or through the
build backend, compared with the release tags), and the version check's verdict is part of
it; working it out here, apart from the checks, keeps the rules of what counts as a candidate
in one place, with the shared reads they need (pyproject.toml once per run, `--version` as
the build backend sees it, `--offline`).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.version import Version

from lane_tasks.project.git import head_commit, is_git_repo, release_tags
from lane_tasks.project.pyproject import read_pyproject
from lane_tasks.project.version import (
    BackendFailed,
    BackendMissing,
    VersionProblem,
    missing_requirements,
    parse_version,
    resolve_version,
)
from lane_tasks.steps.base import StepContext
from lane_tasks.steps.checks import Outcome
from lane_tasks.util.procs import excerpt

__all__ = [
    "BUMP",
    "PRETEND",
    "Plan",
    "backend_said",
    "build_isolation",
    "builds_offline",
    "plan",
    "planned",
    "project_data",
    "version_env",
]


def project_data(facts: dict[str, Any], root: Path) -> dict[str, Any]:
    if "pyproject" not in facts:
        facts["pyproject"] = read_pyproject(root)
    data: dict[str, Any] = facts["pyproject"]
    return data


PRETEND = "SETUPTOOLS_SCM_PRETEND_VERSION"
"""How a VCS-versioned project (setuptools-scm, hatch-vcs, which uses it) is built as a version
not yet tagged: the tag comes after the decision, so `--version X` sets it for the version
check and the build. A backend that does not read it ignores it, and the version check still
says when the project's version is not X."""


def builds_offline(ctx: StepContext) -> bool:
    """`--offline` or [gate.release] offline: build (and ask for the version) without isolation."""
    return bool(ctx.options.offline or ctx.config.release.offline)


def build_isolation(ctx: StepContext, facts: dict[str, Any]) -> list[str]:
    """pypa/build's isolation flags: none online; offline `--no-isolation`, and with it
    `--skip-dependency-check` once this environment is seen to have every `build-system.requires`
    entry (build would ask the backend for them again, one interpreter start per distribution,
    a quarter second each with setuptools). When one is missing, build's own check names it."""
    if not builds_offline(ctx):
        return []
    try:
        build = project_data(facts, ctx.root).get("build-system", {})
    except (FileNotFoundError, ValueError):
        return ["--no-isolation"]
    requires = build.get("requires", ["setuptools"]) if isinstance(build, dict) else None
    if not isinstance(requires, list) or missing_requirements(requires):
        return ["--no-isolation"]
    return ["--no-isolation", "--skip-dependency-check"]


def version_env(ctx: StepContext) -> dict[str, str]:
    asked = ctx.options.version
    return {PRETEND: str(asked)} if asked else {}


@dataclass(frozen=True, kw_only=True)
class Plan:
    """What this preflight is about, settled once before the checks run (they all need it):
    the version, whether it is a release candidate, and the version check's verdict."""

    version: Version | None
    """None when it cannot be resolved; the checks that only need the value still run."""
    candidate: bool
    reason: str
    outcome: Outcome
    """The `version` check's outcome."""
    backend: BackendFailed | None = None
    """The build backend's own failure while preparing metadata (reported by `metadata`)."""


BUMP = "bump the version in pyproject.toml (or your version source) above the latest tag"


def _unread(
    asked: object,
    why: str,
    message: str,
    fix: str,
    *,
    excerpt: str = "",
    backend: BackendFailed | None = None,
) -> Plan:
    """The plan when the version cannot be read: the version check fails with `fix`; the
    checks that need only the value still run without it."""
    return Plan(
        version=None,
        candidate=bool(asked),
        reason=f"the version cannot be read: {why}",
        outcome=Outcome("fail", message, excerpt, fix=fix),
        backend=backend,
    )


def plan(ctx: StepContext, facts: dict[str, Any]) -> Plan:
    """A release candidate is a version above the newest release tag, a version tagged on HEAD
    itself (the tag commit of a release), or one asked for with `--version`. Not a candidate:
    a version released on another commit, a development version, or one not above the newest
    tag; for those the version check is skipped with the reason, and every other check runs
    as usual, so a lane is green between releases. `--version` keeps every rule strict."""
    asked = ctx.options.version
    try:
        resolved = resolve_version(
            ctx.root,
            project_data(facts, ctx.root),
            env=version_env(ctx),
            isolated=not builds_offline(ctx),
        )
    except BackendFailed as exc:
        said = backend_said(ctx, exc)
        return _unread(
            asked,
            "the build backend failed to prepare metadata",
            f"the version cannot be read, a metadata error (see metadata): {said}",
            "fix what the build backend reports (see metadata; `python -m build` shows it in "
            "full): the version itself is not the problem",
            excerpt=excerpt(exc.output, root=ctx.root, stable=ctx.stable),
            backend=exc,
        )
    except BackendMissing as exc:
        wanted = " ".join(shlex.quote(m.split(" (installed")[0]) for m in exc.missing)
        return _unread(
            asked,
            "the build backend is not installed here",
            str(exc),
            f"pip install {wanted} (the project's build-system.requires), or build in isolation "
            "([gate.release] offline = false): the version itself is not the problem",
        )
    except (VersionProblem, FileNotFoundError, ValueError) as exc:
        why = "no pyproject.toml" if isinstance(exc, FileNotFoundError) else str(exc)
        return _unread(
            asked,
            why,
            why,
            "declare a PEP 440 version: project.version in pyproject.toml, or `dynamic = "
            '["version"]` with the build backend\'s version source',
        )
    version = resolved.version
    if asked:
        problem = _asked_problem(asked, version)
        if problem is not None:
            return Plan(
                version=version, candidate=True, reason=f"--version {asked}", outcome=problem
            )
    if not is_git_repo(ctx.root):
        return Plan(
            version=version,
            candidate=bool(asked),
            reason="not a git repository: release tags cannot be read",
            outcome=Outcome(
                "error",
                "not a git repository: release tags cannot be read",
                error_kind="environment",
            ),
        )
    head = head_commit(ctx.root)
    tags = release_tags(ctx.root, ctx.config.release.tag_pattern)
    same = [t for t in tags if t.version == version]
    on_head = [t for t in same if t.commit == head]
    elsewhere = [t for t in same if t.commit != head]
    older = [t for t in tags if t.version != version]
    newest = older[0] if older else None
    kind = _kind(version)
    above = newest is None or version > newest.version
    if asked:
        candidate, reason = True, f"--version {asked}"
    elif on_head:
        candidate, reason = True, f"{version} is tagged {on_head[0].name} on HEAD"
    elif elsewhere:
        t = elsewhere[0]
        candidate, reason = False, f"{version} was released on {t.commit[:12]} (tag {t.name})"
    elif version.is_devrelease:
        candidate, reason = False, f"{version} is a development version"
    elif not above:
        assert newest is not None
        candidate = False
        reason = (
            f"{kind}{version} is not above the newest release tag {newest.name} ({newest.version})"
        )
    else:
        candidate = True
        reason = (
            f"{version} is above the newest release tag {newest.name}"
            if newest
            else f"{version}: no release tag yet"
        )
    if not candidate:
        return Plan(
            version=version,
            candidate=False,
            reason=reason,
            outcome=Outcome("skip", f"not a release candidate: {reason}"),
        )
    if elsewhere:
        t = elsewhere[0]
        outcome = Outcome(
            "fail", f"{version} is already tagged as {t.name} on {t.commit[:12]}", fix=BUMP
        )
    elif not above:
        assert newest is not None
        outcome = Outcome(
            "fail",
            f"{kind}{version} is not greater than the latest release tag "
            f"{newest.name} ({newest.version})",
            fix=BUMP,
        )
    else:
        tail = f" > latest tag {newest.name}" if newest else " (no earlier release tag)"
        here = f"; tagged {on_head[0].name} on HEAD" if on_head else ""
        outcome = Outcome("pass", f"{kind}{version} ({resolved.source}){tail}{here}")
    return Plan(version=version, candidate=True, reason=reason, outcome=outcome)


def backend_said(ctx: StepContext, failed: BackendFailed) -> str:
    """The backend's failure in one line, paths shown as in excerpts (repository-relative)."""
    return excerpt(str(failed), root=ctx.root, stable=ctx.stable, lines=1)


def _asked_problem(asked: str, version: Version) -> Outcome | None:
    try:
        wanted = parse_version(asked)
    except VersionProblem as exc:
        return Outcome(
            "fail", f"--version: {exc}", fix=f"pass the project's version: --version {version}"
        )
    if wanted != version:
        return Outcome(
            "fail",
            f"--version {asked} but the project's version is {version}",
            fix=f"set the project's version to {wanted} and commit, or pass --version {version}",
        )
    return None


def planned(facts: dict[str, Any]) -> Plan:
    settled: Plan = facts["plan"]
    return settled


def _kind(v: Version) -> str:
    if v.is_devrelease:
        return "dev release "
    if v.is_prerelease:
        return "pre-release "
    return ""
