"""doctor: is this repository set up so that the lanes can tell the truth?

A registry of small checks in the style of repo-review: each check is a class whose docstring is
its description, with a severity, the checks it `requires` and a fix hint. A check whose
requirement did not pass is skipped with the reason; a check disabled in lanes.toml is skipped
with the reason given there. The step fails only when a check of severity `error` fails or errors.
"""

from __future__ import annotations

import shlex
import tomllib
from collections.abc import Iterator
from typing import Any

from lane_tasks.catalog.checks import DOCTOR_CHECKS
from lane_tasks.project.ci_files import find_ci_files
from lane_tasks.project.git import git, is_git_repo
from lane_tasks.project.nox_command import Token, nox_run
from lane_tasks.project.pyproject import validation_problem
from lane_tasks.project.version import VersionProblem, resolve_version
from lane_tasks.steps.base import StepContext, StepOutcome, register
from lane_tasks.steps.checks import Check, CheckRegistry, Outcome, verdict
from lane_tasks.steps.drift import action_lanes
from lane_tasks.steps.gate_commands import missing_tool

__all__ = ["CHECKS", "DOCTOR", "run"]


DOCTOR = CheckRegistry(DOCTOR_CHECKS)
CHECKS = DOCTOR.checks
_check = DOCTOR.register


def _pass(msg: str = "") -> Outcome:
    return Outcome("pass", msg)


def _fail(msg: str) -> Outcome:
    return Outcome("fail", msg)


@_check
class PyprojectPresent(Check):
    """pyproject.toml exists and is valid TOML."""

    id = "pyproject-present"
    family = "packaging"
    fix = "add a pyproject.toml with a [project] table (PEP 621)"

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        path = ctx.root / "pyproject.toml"
        if not path.is_file():
            return _fail("no pyproject.toml at the repository root")
        try:
            facts["pyproject"] = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            return _fail(f"pyproject.toml is not valid TOML: {exc}")
        return _pass()


@_check
class PyprojectValid(Check):
    """pyproject.toml follows the packaging specifications (validate-pyproject)."""

    id = "pyproject-valid"
    family = "packaging"
    requires = ("pyproject-present",)
    fix = "run `validate-pyproject pyproject.toml` and fix what it reports"

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        problem = validation_problem(facts["pyproject"])
        if problem:
            return _fail(problem)
        if "project" not in facts["pyproject"]:
            return _fail("pyproject.toml has no [project] table")
        return _pass()


@_check
class RequiresPython(Check):
    """project.requires-python is declared and is a valid specifier."""

    id = "requires-python"
    family = "packaging"
    requires = ("pyproject-valid",)
    fix = 'declare the supported Pythons, e.g. requires-python = ">=3.11" in [project]'

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        spec = facts["pyproject"]["project"].get("requires-python")
        if spec is None:
            return _fail("project.requires-python is not declared")
        try:
            SpecifierSet(spec)
        except InvalidSpecifier:
            return _fail(f"project.requires-python '{spec}' is not a valid specifier")
        return _pass(f"requires-python {spec}")


@_check
class VersionDeterminable(Check):
    """The version to release can be determined: static, or from the build backend."""

    id = "version-determinable"
    family = "packaging"
    requires = ("pyproject-valid",)
    fix = (
        "set project.version, or list it in dynamic and install build-system.requires "
        "(or set [gate.release] offline = false, which asks the backend in isolation)"
    )

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        try:
            v = resolve_version(
                ctx.root, facts["pyproject"], isolated=not ctx.config.release.offline
            )
        except VersionProblem as exc:
            return _fail(str(exc))
        return _pass(f"version {v.version} ({v.source})")


@_check
class LanesTomlValid(Check):
    """lanes.toml loads and validates."""

    id = "lanes-toml-valid"
    family = "lanes"
    fix = "run `lane-tasks lanes validate` and fix the line it names"

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        problem = ctx.options.config_error
        return _fail(problem) if problem else _pass()


@_check
class GateToolsRunnable(Check):
    """Every tool named by a gate check can be found."""

    id = "gate-tools-runnable"
    family = "lanes"
    requires = ("lanes-toml-valid",)
    fix = "install the missing tools in the environment that runs the lanes"

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        missing = sorted(
            f"gate.fast.checks.{c.id}: {why}"
            for c in ctx.config.checks.values()
            if (why := missing_tool(c, ctx.root)) is not None
        )
        if missing:
            return _fail("; ".join(missing))
        return _pass(f"{len(ctx.config.checks)} gate check tools found")


@_check
class NoShellCommands(Check):
    """Gate checks run argv lists without a shell; a check that opted into `shell = true`
    runs a string through /bin/sh, where quoting, globbing and injected text all apply."""

    id = "no-shell-commands"
    family = "lanes"
    severity = "warning"
    requires = ("lanes-toml-valid",)
    fix = "write cmd as an argv list and drop shell = true (run a script file for pipelines)"

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        shells = [f"gate.fast.checks.{c.id}" for c in ctx.config.checks.values() if c.shell]
        if shells:
            return _fail(f"run through a shell: {', '.join(shells)}")
        return _pass("every gate check is an argv list")


@_check
class GitRepo(Check):
    """The project is a git repository with at least one commit."""

    id = "git-repo"
    family = "git"
    fix = "run `git init` and commit: artifacts and decisions are tied to commits"

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        if not is_git_repo(ctx.root):
            return _fail("not inside a git work tree")
        if git(ctx.root, "rev-parse", "--verify", "-q", "HEAD").returncode != 0:
            return _fail("the repository has no commits yet")
        return _pass()


@_check
class GitNotShallow(Check):
    """The clone is complete: release checks need every tag and the history."""

    id = "git-not-shallow"
    family = "git"
    requires = ("git-repo",)
    fix = "run `git fetch --unshallow --tags` (in CI, check out with full depth)"

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        r = git(ctx.root, "rev-parse", "--is-shallow-repository")
        if r.stdout.strip() == "true":
            return _fail("shallow clone: tags and history are incomplete")
        return _pass()


@_check
class BuildDirIgnored(Check):
    """The artifacts directory is ignored by git, so runs never dirty the tree (lane-tasks gives
    it a `.gitignore` of `*` when it first writes there)."""

    id = "build-dir-ignored"
    family = "git"
    requires = ("git-repo",)
    fix = "add '/{artifacts_dir}/' to .gitignore"

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        d = ctx.config.artifacts_dir
        probe = f"{d}/lane-tasks-probe.json"
        if git(ctx.root, "check-ignore", "-q", "--no-index", probe).returncode != 0:
            if not ctx.config.artifacts_path().exists():
                return _pass(f"'{d}/' does not exist yet; it ignores itself once written")
            return _fail(f"'{d}/' is not ignored by git")
        tracked = [f for f in git(ctx.root, "ls-files", "-z", "--", d).stdout.split("\0") if f]
        if tracked:
            return _fail(f"'{d}/' is ignored but git still tracks {len(tracked)} file(s) in it")
        return _pass(f"'{d}/' is ignored")


@_check
class CiInvokesLane(Check):
    """A CI configuration runs one of the lane sessions (`nox -s <lane>`, or the lane-tasks
    GitHub Action with `lane: <lane>`)."""

    id = "ci-invokes-lane"
    family = "ci"
    severity = "warning"
    requires = ("lanes-toml-valid",)
    fix = (
        "run `nox -s <lane>` in CI (see `lane-tasks init`), or list your CI file in doctor.ci_files"
    )

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        lanes = {ctx.config.session(name): name for name in ctx.config.lanes}
        if not lanes:
            return _fail("no lanes defined")
        files = find_ci_files(ctx.root, ctx.config.named_ci_files)
        if not files:
            return _fail("no CI configuration found")
        for f in files:
            content = f.read_text(encoding="utf-8", errors="replace")
            rel = f.relative_to(ctx.root).as_posix()
            for n, text in enumerate(content.splitlines(), start=1):
                for cmd in _commands(text, n):
                    run = nox_run(cmd)
                    ran = [s for s, _ in (run.sessions or ()) if s in lanes] if run else []
                    if ran:
                        return _pass(f"{rel}:{n} runs lane '{lanes[ran[0]]}'")
            if f.suffix in (".yml", ".yaml") and "lane" in content:
                for session, n in action_lanes(content):
                    if session in lanes:
                        return _pass(
                            f"{rel}:{n} runs lane '{lanes[session]}' (the lane-tasks action)"
                        )
        names = ", ".join(f.relative_to(ctx.root).as_posix() for f in files)
        return _fail(f"no lane session is run by {names}")


_SEPARATORS = frozenset({"&&", "||", ";", "|", "&", "(", ")"})


def _commands(text: str, line: int) -> Iterator[list[Token]]:
    """The commands on one CI line (a YAML `- run: nox -s x` item, a quoted one, `a && b`),
    each as words for the one nox command parser drift check uses too."""
    text = text.strip()
    if text.startswith("#"):
        return
    for key in ("- ", "run:", "script:"):
        text = text.removeprefix(key).strip()
    if text[:1] in "\"'" and text[-1:] == text[:1]:
        text = text[1:-1]
    lex = shlex.shlex(text, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    lex.commenters = "#"
    try:
        words = list(lex)
    except ValueError:
        words = text.split()
    cmd: list[Token] = []
    for word in [*words, ";"]:
        if word in _SEPARATORS:
            if cmd:
                yield cmd
            cmd = []
        else:
            cmd.append((word, line))


@register("doctor")
def run(ctx: StepContext) -> StepOutcome:
    results = DOCTOR.run(
        ctx, ctx.config.doctor_disabled, fix_vars={"artifacts_dir": ctx.config.artifacts_dir}
    )
    return StepOutcome(results=results, status=verdict(results))
