"""gate release: can this commit be cut as version X, and if not, exactly why not.

Beyond "a version string and a changelog heading exist": the version must be new (greater than
every release tag, not tagged on another commit), the tree clean, the sdist and wheel must build
from the committed tree (a git worktree of HEAD, so untracked files cannot leak into a release),
carry the right name and version, render on the package index (`twine check --strict`) and hold
a sane file list (`check-wheel-contents`), and gate fast must have passed on this same commit.
"""

from __future__ import annotations

import contextlib
import importlib.util
import shlex
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
from packaging.version import Version

from lane_tasks import console
from lane_tasks.catalog import STEPS
from lane_tasks.catalog.checks import RELEASE_CHECKS
from lane_tasks.catalog.layout import GATE_RELEASE_LOCK
from lane_tasks.evidence.artifacts import Result, read_artifact
from lane_tasks.evidence.consistency import step_problem
from lane_tasks.evidence.store import run_dir
from lane_tasks.project.changelog import CANDIDATES, find_changelog, find_entry
from lane_tasks.project.fragments import find_fragments
from lane_tasks.project.git import (
    changed_paths,
    git,
    head_commit,
    is_git_repo,
    release_tags,
    subject,
)
from lane_tasks.project.pyproject import read_pyproject, validation_problem
from lane_tasks.project.version import (
    BackendFailed,
    BackendMissing,
    VersionProblem,
    parse_version,
    resolve_version,
)
from lane_tasks.steps.base import StepContext, register
from lane_tasks.steps.checks import Check, CheckRegistry, Outcome, verdict
from lane_tasks.util.locks import exclusive_lock
from lane_tasks.util.procs import ProcResult, ProcSpec, excerpt, run_one, tool_env

__all__ = ["CHECKS", "RELEASE", "Plan", "dist_dir", "plan", "run"]

RELEASE = CheckRegistry(RELEASE_CHECKS)
CHECKS = RELEASE.checks


def dist_dir(ctx: StepContext) -> Path:
    """Where the release sdist and wheel go: inside the (ignored) artifacts directory."""
    return ctx.config.artifacts_path() / "dist"


def _pyproject(facts: dict[str, Any], root: Path) -> dict[str, Any]:
    if "pyproject" not in facts:
        facts["pyproject"] = read_pyproject(root)
    data: dict[str, Any] = facts["pyproject"]
    return data


PRETEND = "SETUPTOOLS_SCM_PRETEND_VERSION"
"""How a VCS-versioned project (setuptools-scm, hatch-vcs, which uses it) is built as a version
not yet tagged: the tag comes after the decision, so `--version X` sets it for the version
check and the build. A backend that does not read it ignores it, and the version check still
says when the project's version is not X."""


def _offline(ctx: StepContext) -> bool:
    """`--offline` or [gate.release] offline: build (and ask for the version) without isolation."""
    return bool(ctx.options.get("offline") or ctx.config.release.offline)


def version_env(ctx: StepContext) -> dict[str, str]:
    asked = ctx.options.get("version")
    return {PRETEND: str(asked)} if asked else {}


def _tool(ctx: StepContext, check_id: str, args: list[str], cwd: Path) -> ProcResult | Outcome:
    """Run `python -m <tool>` from lane-tasks' environment (with `--version` pretended, see
    PRETEND); an Outcome when it cannot run."""
    module = args[0]
    if importlib.util.find_spec(module) is None:
        return Outcome(
            "error",
            f"module '{module}' is not installed for {sys.executable} "
            '(pip install "lane-tasks[release]")',
            error_kind="environment",
        )
    spec = ProcSpec(
        id=check_id,
        cmd=(sys.executable, "-m", *args),
        cwd=cwd,
        timeout=ctx.config.release.timeout,
        env=tool_env(version_env(ctx)),
    )
    return run_one(spec)


def _tool_outcome(ctx: StepContext, res: ProcResult, what: str) -> Outcome:
    text = excerpt(res.output, root=ctx.root, stable=ctx.stable)
    if res.outcome == "exited" and res.exit_code == 0:
        return Outcome("pass", what, exit_code=0)
    if res.outcome == "exited":
        return Outcome("fail", f"{what} failed (exit {res.exit_code})", text, res.exit_code)
    return Outcome("error", res.detail, text)


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


_BUMP = "bump the version in pyproject.toml (or your version source) above the latest tag"


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
    asked = ctx.options.get("version")
    try:
        resolved = resolve_version(
            ctx.root, _pyproject(facts, ctx.root), env=version_env(ctx), isolated=not _offline(ctx)
        )
    except BackendFailed as exc:
        said = _backend_said(ctx, exc)
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
            "fail", f"{version} is already tagged as {t.name} on {t.commit[:12]}", fix=_BUMP
        )
    elif not above:
        assert newest is not None
        outcome = Outcome(
            "fail",
            f"{kind}{version} is not greater than the latest release tag "
            f"{newest.name} ({newest.version})",
            fix=_BUMP,
        )
    else:
        tail = f" > latest tag {newest.name}" if newest else " (no earlier release tag)"
        here = f"; tagged {on_head[0].name} on HEAD" if on_head else ""
        outcome = Outcome("pass", f"{kind}{version} ({resolved.source}){tail}{here}")
    return Plan(version=version, candidate=True, reason=reason, outcome=outcome)


def _backend_said(ctx: StepContext, failed: BackendFailed) -> str:
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


def _plan(facts: dict[str, Any]) -> Plan:
    settled: Plan = facts["plan"]
    return settled


@RELEASE.register
class Metadata(Check):
    """pyproject.toml validates and declares name, version, readme, license, requires-python;
    a dynamic version's build backend can prepare the metadata."""

    id = "metadata"
    doing = "reading the project metadata"
    family = "packaging"
    fix = (
        "complete [project] in pyproject.toml (PEP 621): "
        "name, version, readme, license, requires-python"
    )

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        try:
            data = _pyproject(facts, ctx.root)
        except FileNotFoundError:
            return Outcome("fail", "no pyproject.toml")
        except ValueError as exc:
            return Outcome("fail", f"pyproject.toml is not valid TOML: {exc}")
        problem = validation_problem(data)
        if problem:
            return Outcome("fail", problem)
        project = data.get("project", {})
        dynamic = set(project.get("dynamic", []))
        wanted = {
            "name": "name" in project,
            "version": "version" in project or "version" in dynamic,
            "readme": "readme" in project or "readme" in dynamic,
            "license": bool({"license", "license-files"} & set(project)) or "license" in dynamic,
            "requires-python": "requires-python" in project,
        }
        missing = [k for k, ok in wanted.items() if not ok]
        if missing:
            return Outcome("fail", f"project.{', project.'.join(missing)} missing")
        failed = _plan(facts).backend
        if failed is not None:
            return Outcome(
                "fail",
                _backend_said(ctx, failed),
                excerpt(failed.output, root=ctx.root, stable=ctx.stable),
                fix="fix what the build backend reports (the excerpt; `python -m build` "
                "shows it in full)",
            )
        return Outcome("pass", f"{project['name']}: all release metadata declared")


@RELEASE.register
class VersionCheck(Check):
    """The version resolves (static or through the build backend) and is valid PEP 440. For a
    release candidate (above the newest release tag, tagged on HEAD, or `--version`) it must
    be greater than the latest release tag and not tagged on another commit; a version that is
    not a candidate (already released elsewhere, a dev version, not above the newest tag) is
    reported as such without failing the step."""

    id = "version"
    doing = "resolving the version"
    family = "versioning"
    fix = _BUMP

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        return _plan(facts).outcome


def _kind(v: Version) -> str:
    if v.is_devrelease:
        return "dev release "
    if v.is_prerelease:
        return "pre-release "
    return ""


@RELEASE.register
class Changelog(Check):
    """The changelog has a non-empty entry for this version; a development version needs none
    of its own. With changelog fragments (towncrier, scriv) a release candidate's section must
    have been collected; between releases pending fragments are fine."""

    id = "changelog"
    doing = "reading the changelog"
    family = "docs"
    fix = "add a section headed with this version, listing its changes, to the changelog"

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        settled = _plan(facts)
        version = settled.version
        if version is None:
            return Outcome(
                "skip", "cannot check: the project's version is unknown (see the version check)"
            )
        if version.is_devrelease:
            return Outcome(
                "skip", f"{version} is a development version: it needs no changelog section"
            )
        try:
            fragments = find_fragments(ctx.root, _pyproject(facts, ctx.root))
        except (FileNotFoundError, ValueError):
            fragments = None
        configured = ctx.config.release.changelog or (fragments.changelog if fragments else None)
        path = find_changelog(ctx.root, configured or None)
        pending = fragments.pending if fragments else ()
        collect = None
        if fragments and pending and settled.candidate:
            collect = (
                f"`{fragments.command(version)}` collects the {len(pending)} pending "
                f"fragment(s) into the changelog; commit the result"
            )
        if path is None:
            where = configured or "/".join(CANDIDATES[:4])
            return Outcome("fail", f"no changelog found ({where})", fix=collect)
        rel = path.relative_to(ctx.root).as_posix()
        entry = find_entry(path.read_text(encoding="utf-8", errors="replace"), version)
        if entry is None:
            if fragments and pending:
                return Outcome(
                    "fail",
                    f"{rel} has no entry for {version}; {len(pending)} {fragments.tool} "
                    f"fragment(s) pending in {fragments.directory}/",
                    fix=collect,
                )
            return Outcome("fail", f"{rel} has no entry for {version}")
        if entry.empty:
            return Outcome("fail", f"{rel}:{entry.line}: the entry '{entry.heading}' is empty")
        note = ""
        if fragments and pending:
            later = "for the next release" if not settled.candidate else "not in this section"
            note = f" ({len(pending)} {fragments.tool} fragment(s) pending, {later})"
        return Outcome("pass", f"{rel}:{entry.line}: {entry.heading}{note}")


@RELEASE.register
class CleanTree(Check):
    """No uncommitted or untracked changes, except this tool's own output directories."""

    id = "clean-tree"
    doing = "checking that the tree is clean"
    family = "git"
    fix = "commit or stash your changes (git status) and run the gate again"

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        if not is_git_repo(ctx.root):
            return Outcome("error", "not a git repository", error_kind="environment")
        if head_commit(ctx.root) is None:
            return Outcome("fail", "no commits yet")
        changed = changed_paths(ctx.root, (ctx.config.artifacts_dir,))
        if changed:
            shown = ", ".join(changed[:5]) + (
                f" and {len(changed) - 5} more" if len(changed) > 5 else ""
            )
            return Outcome("fail", f"{len(changed)} uncommitted change(s): {shown}")
        return Outcome("pass", "working tree clean")


@contextlib.contextmanager
def _committed_tree(root: Path) -> Iterator[Path]:
    """A detached git worktree of HEAD: builds see exactly what is committed."""
    if head_commit(root) is None:
        yield root
        return
    tmp = Path(tempfile.mkdtemp(prefix="lane-tasks-release-"))
    tree = tmp / "src"
    r = git(root, "worktree", "add", "--detach", "--quiet", str(tree), "HEAD")
    if r.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise RuntimeError(f"git worktree add failed: {r.stderr.strip()}")
    try:
        yield tree
    finally:
        git(root, "worktree", "remove", "--force", str(tree))
        shutil.rmtree(tmp, ignore_errors=True)
        git(root, "worktree", "prune")


@RELEASE.register
class Build(Check):
    """`python -m build` makes an sdist and a wheel from the committed tree, and their names and
    versions match the project."""

    id = "build"
    doing = "building sdist and wheel"
    family = "packaging"
    fix = "run `python -m build` and fix what it reports (--offline builds without isolation)"

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        out = dist_dir(ctx)
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        offline = _offline(ctx)
        with _committed_tree(ctx.root) as tree:
            args = ["build", "--sdist", "--wheel", "--outdir", str(out)]
            if offline:
                args.append("--no-isolation")
            res = _tool(ctx, self.id, [*args, str(tree)], tree)
        if isinstance(res, Outcome):
            return res
        outcome = _tool_outcome(ctx, res, "build")
        if outcome.status != "pass":
            return outcome
        wheels = sorted(out.glob("*.whl"))
        sdists = sorted(out.glob("*.tar.gz"))
        if len(wheels) != 1 or len(sdists) != 1:
            return Outcome(
                "fail", f"expected one wheel and one sdist, got {len(wheels)} and {len(sdists)}"
            )
        version = _plan(facts).version
        try:
            declared = str(_pyproject(facts, ctx.root).get("project", {}).get("name", ""))
        except (FileNotFoundError, ValueError):
            declared = ""
        name = canonicalize_name(declared) if declared else None
        wname, wver, _, _ = parse_wheel_filename(wheels[0].name)
        sname, sver = parse_sdist_filename(sdists[0].name)
        wrong = [
            f"{f.name} is {n} {v}"
            for f, n, v in ((wheels[0], wname, wver), (sdists[0], sname, sver))
            if (name is not None and n != name) or (version is not None and v != version)
        ]
        if wrong:
            return Outcome(
                "fail", f"built files do not match {name} {version}: " + "; ".join(wrong)
            )
        facts["dists"] = [sdists[0], wheels[0]]
        mode = "offline, no isolation" if offline else "isolated"
        rel = out.relative_to(ctx.root).as_posix()
        unknown = [w for w, v in (("name", name), ("version", version)) if v is None]
        unchecked = f"; {' and '.join(unknown)} unknown, not compared" if unknown else ""
        return Outcome("pass", f"{rel}/{sdists[0].name}, {wheels[0].name} ({mode}){unchecked}")


@RELEASE.register
class DistMetadata(Check):
    """`twine check --strict` passes on the sdist and the wheel (the README renders)."""

    id = "dist-metadata"
    doing = "twine check --strict"
    family = "packaging"
    requires = ("build",)
    fix = "fix the long description (README) and metadata that `twine check --strict` reports"

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        dists = [str(p) for p in facts["dists"]]
        res = _tool(ctx, self.id, ["twine", "check", "--strict", *dists], ctx.root)
        return res if isinstance(res, Outcome) else _tool_outcome(ctx, res, "twine check --strict")


@RELEASE.register
class WheelContents(Check):
    """`check-wheel-contents` passes: no duplicate files, stray top-level modules or .pyc."""

    id = "wheel-contents"
    doing = "check-wheel-contents"
    family = "packaging"
    requires = ("build",)
    fix = (
        "fix the package's file list (packages/include/exclude) so the wheel holds only the package"
    )

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        wheel = str(facts["dists"][1])
        res = _tool(ctx, self.id, ["check_wheel_contents", wheel], ctx.root)
        return res if isinstance(res, Outcome) else _tool_outcome(ctx, res, "check-wheel-contents")


@RELEASE.register
class GateFastEvidence(Check):
    """A passing gate-fast artifact of the whole configured gate (every check lanes.toml
    configures now, not a `--check` subset) exists for this same commit, taken on a clean tree
    (from this run when inside a lane: gate fast is never re-run here)."""

    id = "gate-fast-evidence"
    doing = "looking for gate-fast evidence of this commit"
    family = "evidence"
    fix = "run gate fast on this commit first (`nox -s gate-fast`, or the whole lane)"

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        name = STEPS["gate-fast"].out
        if ctx.run_id:
            path = run_dir(ctx.config, ctx.run_id) / name
            where = f"run {ctx.run_id}"
        else:
            path = ctx.config.artifacts_path() / name
            where = path.relative_to(ctx.root).as_posix()
        doc, problem = read_artifact(path)
        if doc is None or problem:
            if not path.exists():
                return Outcome("fail", f"no gate-fast artifact in {where}")
            return Outcome("fail", f"gate-fast artifact in {where} is invalid: {problem}")
        if doc["schema"] != "lane-tasks/gate-fast":  # any valid artifact passes the schema check
            return Outcome("fail", f"the artifact in {where} is {doc['schema']}, not gate fast's")
        head = subject(ctx.root, (ctx.config.artifacts_dir,)).commit
        commit = doc["subject"]["commit"]
        if commit != head:  # an old result, pass or fail, says nothing of this commit
            return Outcome(
                "fail", f"stale: gate fast ran on {str(commit)[:12]}, HEAD is {str(head)[:12]}"
            )
        if doc["status"] != "pass":
            return Outcome("fail", f"gate fast did not pass ({doc['status']}) in {where}")
        if doc["subject"]["dirty"]:
            return Outcome("fail", "gate fast ran on a dirty tree: its result is not this commit's")
        problem = step_problem(doc, "gate-fast", commit=head, checks=ctx.config.checks, clean=True)
        if problem:  # the same rule as the controls, release decide and release checklist
            return Outcome("fail", f"the gate-fast artifact in {where} is no evidence: {problem}")
        return Outcome("pass", f"the whole gate fast passed on {str(commit)[:12]} ({where})")


@contextlib.contextmanager
def _one_at_a_time(ctx: StepContext) -> Iterator[None]:
    """Two lanes at once on one repository share `build/dist`: their release preflights take
    turns (an exclusive lock), so neither deletes the other's dists while it checks them."""
    with exclusive_lock(ctx.config.artifacts_path() / GATE_RELEASE_LOCK):
        yield


@register("gate-release")
def run(ctx: StepContext) -> tuple[list[Result], dict[str, Any]]:
    facts: dict[str, Any] = {}
    with _one_at_a_time(ctx):
        console.note("  working out the release candidate…")
        settled = facts["plan"] = plan(ctx, facts)
        results = RELEASE.run(ctx, ctx.config.release.disabled, facts=facts)
    return results, {
        "status": verdict(results),
        "version": None if settled.version is None else str(settled.version),
        "candidate": settled.candidate,
        "candidate_reason": settled.reason,
    }
