"""gate release's dist checks: the sdist and wheel built from the committed tree, then held to
the package index's rules (`twine check --strict`) and to a sane file list
(`check-wheel-contents`).

These are the checks that run tools as subprocesses on files they make: they share how a tool
is run from lane-tasks' environment (with `--version` pretended, see release_plan.PRETEND),
the git worktree of HEAD that keeps untracked files out of a release, and the `build/dist`
directory the later checks read. Kept apart from the checks that only read the repository.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename

from lane_tasks.evidence.artifacts import sha256_file
from lane_tasks.project.git import git, head_commit
from lane_tasks.steps.base import StepContext
from lane_tasks.steps.checks import Check, Outcome
from lane_tasks.steps.release_plan import (
    build_isolation,
    builds_offline,
    planned,
    project_data,
    version_env,
)
from lane_tasks.util.procs import ProcResult, ProcSpec, excerpt, run_one, tool_env

__all__ = [
    "EPOCH",
    "Build",
    "DistMetadata",
    "WheelContents",
    "build_dists",
    "dist_digests",
    "dist_dir",
    "listed",
    "run_tool",
    "source_date_epoch",
]

EPOCH = "SOURCE_DATE_EPOCH"


def dist_dir(ctx: StepContext) -> Path:
    """Where the release sdist and wheel go: inside the (ignored) artifacts directory."""
    return ctx.config.artifacts_path() / "dist"


def run_tool(
    ctx: StepContext,
    check_id: str,
    args: list[str],
    cwd: Path,
    env: dict[str, str] | None = None,
) -> ProcResult | Outcome:
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
        env=tool_env({**version_env(ctx), **(env or {})}),
    )
    return run_one(spec)


def _tool_outcome(ctx: StepContext, res: ProcResult, what: str) -> Outcome:
    text = excerpt(res.output, root=ctx.root, stable=ctx.stable)
    if res.outcome == "exited" and res.exit_code == 0:
        return Outcome("pass", what, exit_code=0)
    if res.outcome == "exited":
        return Outcome("fail", f"{what} failed (exit {res.exit_code})", text, res.exit_code)
    return Outcome("error", res.detail, text)


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


def listed(names: list[str], shown: int = 5) -> str:
    """The first `shown` names, then how many more: a message names files, not hundreds."""
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def source_date_epoch(root: Path) -> dict[str, str]:
    """SOURCE_DATE_EPOCH for a build: as the caller set it, else HEAD's commit time, so
    archive timestamps come from the commit, not the clock (reproducible-builds.org)."""
    if os.environ.get(EPOCH):
        return {EPOCH: os.environ[EPOCH]}
    r = git(root, "log", "-1", "--format=%ct", "HEAD")
    return {EPOCH: r.stdout.strip()} if r.returncode == 0 and r.stdout.strip() else {}


def build_dists(
    ctx: StepContext, check_id: str, out: Path, facts: dict[str, Any]
) -> ProcResult | Outcome:
    """`python -m build --sdist --wheel` of the committed tree into `out` (no isolation when
    offline), timestamps from SOURCE_DATE_EPOCH: the one build gate release makes, and the
    second a reproducibility check compares with it."""
    epoch = source_date_epoch(ctx.root)
    with _committed_tree(ctx.root) as tree:
        if epoch and tree != ctx.root:  # a checkout's file times are the clock's, not the commit's
            _touch(tree, int(epoch[EPOCH]))
        args = ["build", "--sdist", "--wheel", "--outdir", str(out), *build_isolation(ctx, facts)]
        return run_tool(ctx, check_id, [*args, str(tree)], tree, epoch)


def _touch(tree: Path, when: int) -> None:
    """Every file and directory of a fresh worktree dated `when`: backends that copy file
    times into archives then give the same bytes from two checkouts."""
    for dirpath, dirnames, filenames in os.walk(tree):
        for name in (*dirnames, *filenames):
            with contextlib.suppress(OSError):
                os.utime(Path(dirpath, name), (when, when), follow_symlinks=False)


def dist_digests(dists: list[Path]) -> list[dict[str, str]]:
    """The `dists` field of the artifact: each built file's name, kind and sha256."""
    return [
        {
            "name": p.name,
            "kind": "wheel" if p.suffix == ".whl" else "sdist",
            "sha256": sha256_file(p),
        }
        for p in dists
    ]


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
        offline = builds_offline(ctx)
        res = build_dists(ctx, self.id, out, facts)
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
        version = planned(facts).version
        try:
            declared = str(project_data(facts, ctx.root).get("project", {}).get("name", ""))
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
        facts["dist_digests"] = dist_digests(facts["dists"])
        mode = "offline, no isolation" if offline else "isolated"
        rel = out.relative_to(ctx.root).as_posix()
        unknown = [w for w, v in (("name", name), ("version", version)) if v is None]
        unchecked = f"; {' and '.join(unknown)} unknown, not compared" if unknown else ""
        return Outcome("pass", f"{rel}/{sdists[0].name}, {wheels[0].name} ({mode}){unchecked}")


class DistMetadata(Check):
    """`twine check --strict` passes on the sdist and the wheel (the README renders)."""

    id = "dist-metadata"
    doing = "twine check --strict"
    family = "packaging"
    requires = ("build",)
    fix = "fix the long description (README) and metadata that `twine check --strict` reports"

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        dists = [str(p) for p in facts["dists"]]
        res = run_tool(ctx, self.id, ["twine", "check", "--strict", *dists], ctx.root)
        return res if isinstance(res, Outcome) else _tool_outcome(ctx, res, "twine check --strict")


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
        res = run_tool(ctx, self.id, ["check_wheel_contents", wheel], ctx.root)
        return res if isinstance(res, Outcome) else _tool_outcome(ctx, res, "check-wheel-contents")
