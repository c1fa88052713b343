"""gate release: can this commit be cut as version X, and if not, exactly why not.

Beyond "a version string and a changelog heading exist": the version must be new (greater than
every release tag, not tagged on another commit), the tree clean, the sdist and wheel must build
from the committed tree (a git worktree of HEAD, so untracked files cannot leak into a release),
carry the right name and version, render on the package index (`twine check --strict`) and hold
a sane file list (`check-wheel-contents`), and gate fast must have passed on this same commit.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
from packaging.version import Version

from lane_tasks.artifacts import Result, read_artifact
from lane_tasks.catalog import STEPS
from lane_tasks.changelog import CANDIDATES, find_changelog, find_entry
from lane_tasks.checks import Check, CheckRegistry, Outcome, verdict
from lane_tasks.procs import ProcResult, ProcSpec, excerpt, run_one, tool_env
from lane_tasks.pyproject import read_pyproject, validation_problem
from lane_tasks.repo import changed_paths, git, head_commit, is_git_repo, release_tags, subject
from lane_tasks.steps.base import StepContext, register
from lane_tasks.version import VersionProblem, parse_version, resolve_version

__all__ = ["CHECKS", "RELEASE", "dist_dir", "run"]

RELEASE = CheckRegistry()
CHECKS = RELEASE.checks


def dist_dir(ctx: StepContext) -> Path:
    """Where the release sdist and wheel go: inside the (ignored) artifacts directory."""
    return ctx.config.artifacts_path() / "dist"


def _pyproject(facts: dict[str, Any], root: Path) -> dict[str, Any]:
    if "pyproject" not in facts:
        facts["pyproject"] = read_pyproject(root)
    data: dict[str, Any] = facts["pyproject"]
    return data


def _tool(ctx: StepContext, check_id: str, args: list[str], cwd: Path) -> ProcResult | Outcome:
    """Run `python -m <tool>` from lane-tasks' environment; an Outcome when it cannot run."""
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
        env=tool_env(),
    )
    return run_one(spec)


def _tool_outcome(ctx: StepContext, res: ProcResult, what: str) -> Outcome:
    text = excerpt(res.output, root=ctx.root, stable=ctx.stable)
    if res.outcome == "exited" and res.exit_code == 0:
        return Outcome("pass", what, exit_code=0)
    if res.outcome == "exited":
        return Outcome("fail", f"{what} failed (exit {res.exit_code})", text, res.exit_code)
    return Outcome("error", res.detail, text)


@RELEASE.register
class Metadata(Check):
    """pyproject.toml validates and declares name, version, readme, license, requires-python."""

    id = "metadata"
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
        return Outcome("pass", f"{project['name']}: all release metadata declared")


@RELEASE.register
class VersionCheck(Check):
    """The version resolves (static or through the build backend), is valid PEP 440, is greater
    than the latest release tag and is not already tagged on another commit."""

    id = "version"
    family = "versioning"
    fix = "bump the version in pyproject.toml (or your version source) above the latest tag"

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        try:
            resolved = resolve_version(ctx.root, _pyproject(facts, ctx.root))
        except (VersionProblem, FileNotFoundError, ValueError) as exc:
            return Outcome("fail", str(exc))
        version = resolved.version
        asked = ctx.options.get("version")
        if asked:
            try:
                wanted = parse_version(asked)
            except VersionProblem as exc:
                return Outcome("fail", f"--version: {exc}")
            if wanted != version:
                return Outcome("fail", f"--version {asked} but the project's version is {version}")
        facts["version"] = version
        facts["name"] = _pyproject(facts, ctx.root).get("project", {}).get("name", "")
        if not is_git_repo(ctx.root):
            return Outcome(
                "error",
                "not a git repository: release tags cannot be read",
                error_kind="environment",
            )
        head = head_commit(ctx.root)
        tags = release_tags(ctx.root, ctx.config.release.tag_pattern)
        same = [t for t in tags if t.version == version]
        elsewhere = [t for t in same if t.commit != head]
        if elsewhere:
            t = elsewhere[0]
            return Outcome("fail", f"{version} is already tagged as {t.name} on {t.commit[:12]}")
        older = [t for t in tags if t.version != version]
        kind = _kind(version)
        if older and version <= older[0].version:
            latest = older[0]
            return Outcome(
                "fail",
                f"{kind}{version} is not greater than the latest release tag "
                f"{latest.name} ({latest.version})",
            )
        tail = f" > latest tag {older[0].name}" if older else " (no earlier release tag)"
        here = f"; tagged {same[0].name} on HEAD" if same else ""
        return Outcome("pass", f"{kind}{version} ({resolved.source}){tail}{here}")


def _kind(v: Version) -> str:
    if v.is_devrelease:
        return "dev release "
    if v.is_prerelease:
        return "pre-release "
    return ""


@RELEASE.register
class Changelog(Check):
    """The changelog has a non-empty entry for this version."""

    id = "changelog"
    family = "docs"
    requires = ("version",)
    fix = "add a section headed with this version, listing its changes, to the changelog"

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        version: Version = facts["version"]
        path = find_changelog(ctx.root, ctx.config.release.changelog)
        if path is None:
            where = ctx.config.release.changelog or "/".join(CANDIDATES[:4])
            return Outcome("fail", f"no changelog found ({where})")
        rel = path.relative_to(ctx.root).as_posix()
        entry = find_entry(path.read_text(encoding="utf-8", errors="replace"), version)
        if entry is None:
            return Outcome("fail", f"{rel} has no entry for {version}")
        if entry.empty:
            return Outcome("fail", f"{rel}:{entry.line}: the entry '{entry.heading}' is empty")
        return Outcome("pass", f"{rel}:{entry.line}: {entry.heading}")


@RELEASE.register
class CleanTree(Check):
    """No uncommitted or untracked changes, except this tool's own output directories."""

    id = "clean-tree"
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
    family = "packaging"
    requires = ("version",)
    fix = "run `python -m build` and fix what it reports (--offline builds without isolation)"

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        out = dist_dir(ctx)
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        offline = ctx.options.get("offline") or ctx.config.release.offline
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
        version: Version = facts["version"]
        name = canonicalize_name(facts["name"])
        wname, wver, _, _ = parse_wheel_filename(wheels[0].name)
        sname, sver = parse_sdist_filename(sdists[0].name)
        wrong = [
            f"{f.name} is {n} {v}"
            for f, n, v in ((wheels[0], wname, wver), (sdists[0], sname, sver))
            if n != name or v != version
        ]
        if wrong:
            return Outcome(
                "fail", f"built files do not match {name} {version}: " + "; ".join(wrong)
            )
        facts["dists"] = [sdists[0], wheels[0]]
        mode = "offline, no isolation" if offline else "isolated"
        rel = out.relative_to(ctx.root).as_posix()
        return Outcome("pass", f"{rel}/{sdists[0].name}, {wheels[0].name} ({mode})")


@RELEASE.register
class DistMetadata(Check):
    """`twine check --strict` passes on the sdist and the wheel (the README renders)."""

    id = "dist-metadata"
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
    """A passing gate-fast artifact exists for this same commit, taken on a clean tree (from this
    run when inside a lane: gate fast is never re-run here)."""

    id = "gate-fast-evidence"
    family = "evidence"
    fix = "run gate fast on this commit first (`nox -s gate-fast`, or the whole lane)"

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        name = STEPS["gate-fast"].out
        if ctx.run_id:
            from lane_tasks.store import run_dir

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
        if doc["status"] != "pass":
            return Outcome("fail", f"gate fast did not pass ({doc['status']}) in {where}")
        if commit != head:
            return Outcome(
                "fail", f"stale: gate fast ran on {str(commit)[:12]}, HEAD is {str(head)[:12]}"
            )
        if doc["subject"]["dirty"]:
            return Outcome("fail", "gate fast ran on a dirty tree: its result is not this commit's")
        return Outcome("pass", f"gate fast passed on {str(commit)[:12]} ({where})")


@contextlib.contextmanager
def _one_at_a_time(ctx: StepContext) -> Iterator[None]:
    """Two lanes at once on one repository share `build/dist`: their release preflights take
    turns (an exclusive lock), so neither deletes the other's dists while it checks them."""
    lock = ctx.config.artifacts_path() / "lanes" / ".gate-release.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@register("gate-release")
def run(ctx: StepContext) -> tuple[list[Result], dict[str, Any]]:
    facts: dict[str, Any] = {}
    with _one_at_a_time(ctx):
        results = RELEASE.run(ctx, ctx.config.release.disabled, facts=facts)
    version = facts.get("version")
    return results, {
        "status": verdict(results),
        "version": None if version is None else str(version),
    }
