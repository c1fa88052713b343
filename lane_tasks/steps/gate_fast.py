"""gate fast: the project's own quick checks (lint, format, types, tests) from lanes.toml,
run in parallel with timeouts; one result per check with an excerpt that explains a failure.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lane_tasks import console
from lane_tasks.config import REPORT_PLACEHOLDER, CheckSpec
from lane_tasks.errors import ConfigError, did_you_mean
from lane_tasks.evidence.artifacts import Result, atomic_write
from lane_tasks.evidence.consistency import coverage
from lane_tasks.evidence.findings import read_report
from lane_tasks.evidence.store import open_run, record_files, run_dir
from lane_tasks.project.git import subject
from lane_tasks.steps.base import StepContext, StepInterrupted, register
from lane_tasks.steps.gate_cache import GateCache
from lane_tasks.util.procs import (
    EXCERPT_LINES,
    ProcResult,
    ProcsInterrupted,
    ProcSpec,
    excerpt,
    log_text,
    redact,
    run_many,
    secret_values,
    tool_env,
    which,
)

__all__ = ["argv", "check_env", "expand_cmd", "missing_tool", "pip_distribution", "run"]


PYTHON_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"


def expand_cmd(
    cmd: tuple[str, ...], python: str = sys.executable, report: str = REPORT_PLACEHOLDER
) -> tuple[str, ...]:
    """`{python}` stands for the interpreter running lane-tasks, so `python -m pytest` uses
    the environment nox and lane-tasks run in, not whatever `python` is first on PATH;
    `{python_version}` is its X.Y (a project nox session run for this Python only);
    `{report}` is where the check's tool writes its report (`report =`). People are shown
    `python` for `{python}` (`python=`)."""
    return tuple(
        part.replace("{python}", python)
        .replace("{python_version}", PYTHON_VERSION)
        .replace(REPORT_PLACEHOLDER, report)
        for part in cmd
    )


def check_env(check: CheckSpec) -> dict[str, str]:
    """The environment a check runs in: see `tool_env`, plus the check's own `env`."""
    return tool_env(check.env)


SHELL = "/bin/sh"


def argv(check: CheckSpec, report: Path | None = None) -> tuple[str, ...]:
    """What runs: the argv list, or `/bin/sh -c <string>` for a check with `shell = true`;
    `{report}` becomes `report` (quoted for the shell in a shell string)."""
    where = REPORT_PLACEHOLDER if report is None else str(report)
    cmd = expand_cmd(check.cmd, report=shlex.quote(where) if check.shell else where)
    return (SHELL, "-c", cmd[0]) if check.shell else cmd


def missing_tool(check: CheckSpec, root: Path) -> str | None:
    """Why the check's tool cannot run, or None: a missing program, or a `{python} -m X`
    whose module is not installed next to lane-tasks."""
    cmd = argv(check)
    if which(cmd[0], check_env(check), root / (check.cwd or ".")) is None:
        return f"tool '{cmd[0] if check.shell else check.cmd[0]}' not found on PATH"
    if not check.shell and check.cmd[0] == "{python}" and len(cmd) > 2 and cmd[1] == "-m":
        module = cmd[2]
        if importlib.util.find_spec(module.split(".")[0]) is None:
            return f"module '{module}' is not installed for {sys.executable}"
    return None


REPORT_SUFFIX = {"sarif": ".sarif", "junit": ".junit.xml", "ruff-json": ".ruff-json"}


@dataclass(frozen=True)
class Side:
    """Where a run of gate fast keeps each check's full log and its tool's report: the lane
    run's own directory (`<run>/gate-fast/`), else `<artifacts_dir>/gate-fast/`. A report
    left by an earlier run is removed before its check starts, so none is ever read stale."""

    dir: Path
    run_id: str | None

    @classmethod
    def open(cls, ctx: StepContext) -> Side:
        if ctx.run_id:
            at = subject(ctx.root, (ctx.config.artifacts_dir,)).to_json()
            return cls(open_run(ctx.config, ctx.run_id, at) / "gate-fast", ctx.run_id)
        return cls(ctx.config.artifacts_path() / "gate-fast", None)

    def log(self, check: CheckSpec) -> Path:
        return self.dir / f"{check.id}.log"

    def report(self, check: CheckSpec) -> Path | None:
        return self.dir / f"{check.id}{REPORT_SUFFIX[check.report]}" if check.report else None

    def clear(self, check: CheckSpec) -> None:
        report = self.report(check)
        if report is not None:
            self.dir.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(OSError):
                report.unlink()  # a directory planted there stays, and is then reported

    def record(self, ctx: StepContext, written: list[Path]) -> None:
        """List the files this run kept in the run's manifest (a lane run's evidence names
        every file it holds)."""
        if self.run_id is None:
            return

        base = run_dir(ctx.config, self.run_id)
        names = [p.relative_to(base).as_posix() for p in written if p.is_file()]
        record_files(ctx.config, self.run_id, step="gate-fast", names=names)


def _spec(ctx: StepContext, check: CheckSpec, side: Side | None = None) -> ProcSpec:
    env = check_env(check)
    return ProcSpec(
        id=check.id,
        cmd=argv(check, side.report(check) if side else None),
        cwd=ctx.root / (check.cwd or "."),
        timeout=check.timeout,
        env=env,
    )


_FIXES = {
    "missing": "install {tool} in the environment that runs the lane, or fix cmd in lanes.toml",
    "timeout": "make the check faster or raise gate.fast.checks.{id}.timeout in lanes.toml",
    "exited": "run `{cmd}` locally and fix what it reports",
    "oserror": "check gate.fast.checks.{id}.cmd in lanes.toml",
    "cancelled": "re-run without --fail-fast to see this check's result",
    "interrupted": "re-run it: the run was interrupted before this check finished",
}

DISTRIBUTIONS = {
    "attr": "attrs",
    "bs4": "beautifulsoup4",
    "cv2": "opencv-python",
    "dateutil": "python-dateutil",
    "dmypy": "mypy",
    "jwt": "PyJWT",
    "PIL": "Pillow",
    "py.test": "pytest",
    "pytest_cov": "pytest-cov",
    "sklearn": "scikit-learn",
    "stubtest": "mypy",
    "xdist": "pytest-xdist",
    "yaml": "PyYAML",
}
"""Module or program names whose distribution (what `pip install` takes) is named otherwise;
any other module's is its name with `_` as `-` (`pip_audit` is `pip-audit`)."""
PYTHON_TOOLS = frozenset(
    {
        *("bandit", "black", "build", "codespell", "coverage", "deptry", "dmypy", "flake8"),
        *("interrogate", "isort", "mypy", "nox", "pip-audit", "pre-commit", "pydocstyle"),
        *("pylint", "pyright", "pytest", "py.test", "pyupgrade", "ruff", "stubtest", "tox"),
        *("twine", "ty", "vulture"),
    }
)
"""Programs on PATH that are Python distributions: a missing one is a `pip install` away."""


def distribution(name: str) -> str:
    """The distribution to `pip install` for a module or program name."""
    top = name.split(".")[0] if name != "py.test" else name
    return DISTRIBUTIONS.get(top, top.replace("_", "-"))


def pip_distribution(check: CheckSpec) -> str | None:
    """The distribution `pip install` takes for the check's tool when it is a Python one
    (`{python} -m X` or a known Python program), else None."""
    cmd = check.cmd
    if not check.shell and cmd[0] == "{python}" and len(cmd) > 2 and cmd[1] == "-m":
        return distribution(cmd[2])
    program = shlex.split(cmd[0])[0] if check.shell and cmd[0].strip() else cmd[0]
    program = Path(program).name
    return distribution(program) if program in PYTHON_TOOLS else None


def _install_hint(check: CheckSpec) -> str:
    """`pip install X` for a missing `{python} -m X` or a missing Python tool, else how to
    get the program."""
    cmd = check.cmd
    if not check.shell and cmd[0] == "{python}" and len(cmd) > 2 and cmd[1] == "-m":
        return (
            f"`pip install {distribution(cmd[2])}` into the environment lane-tasks runs in "
            f"({sys.executable}), or fix gate.fast.checks.{check.id}.cmd in lanes.toml"
        )
    program = shlex.split(cmd[0])[0] if check.shell and cmd[0].strip() else cmd[0]
    program = Path(program).name if program != "{python}" else "python"
    if program in PYTHON_TOOLS:
        return (
            f"`pip install {distribution(program)}` into the environment that runs the lane, "
            f"or fix gate.fast.checks.{check.id}.cmd in lanes.toml"
        )
    return _FIXES["missing"].format(tool=program)


_REPORT_OPTIONS = frozenset({"--output-format", "--output-file", "-o", "--junitxml"})
_CHECK_ONLY = {
    "ruff": frozenset({"--check", "--diff"}),
    "black": frozenset({"--check", "--diff"}),
    "isort": frozenset({"--check", "--check-only", "-c", "--diff"}),
}


def local_cmd(cmd: tuple[str, ...]) -> list[str]:
    """The check's command as a person runs it at a terminal: `python` for `{python}`, and
    without what only writes its report (`-o {report}`, `--junitxml={report}`,
    `--output-format sarif`)."""
    out: list[str] = []
    skip = False
    for i, part in enumerate(cmd):
        if skip:
            skip = False
            continue
        nxt = cmd[i + 1] if i + 1 < len(cmd) else ""
        if REPORT_PLACEHOLDER in part:
            continue
        if part in _REPORT_OPTIONS and (REPORT_PLACEHOLDER in nxt or part == "--output-format"):
            skip = True
            continue
        if part.split("=", 1)[0] == "--output-format":
            continue
        out.append(part)
    return list(expand_cmd(tuple(out), python="python"))


def derived_fix(cmd: list[str]) -> str | None:
    """The command that fixes what a formatter or linter check found, from the check's own
    command: `ruff format .` for `ruff format --check .`, `ruff check --fix ...` for `ruff
    check ...`, `black .` for `black --check .`, `isort .` for `isort --check .`."""
    at = 2 if len(cmd) > 2 and Path(cmd[0]).name.startswith("python") and cmd[1] == "-m" else 0
    tool, prefix, args = Path(cmd[at]).name, cmd[: at + 1], cmd[at + 1 :]
    check_only = _CHECK_ONLY.get(tool, frozenset())
    if tool == "ruff" and args[:1] == ["format"] and check_only & set(args):
        fixed = [*prefix, *(a for a in args if a not in check_only)]
        return f"run `{' '.join(fixed)}` to reformat the files it lists"
    if tool == "ruff" and args[:1] == ["check"] and "--fix" not in args:
        fixed = [*prefix, "check", "--fix", *args[1:]]
        return f"run `{' '.join(fixed)}` to fix what ruff can, then fix the rest it reports"
    if tool in ("black", "isort") and check_only & set(args):
        fixed = [*prefix, *(a for a in args if a not in check_only)]
        return f"run `{' '.join(fixed)}` to reformat the files it lists"
    return None


def _fix(check: CheckSpec, res: ProcResult, shown: list[str]) -> str:
    if res.outcome == "missing":
        return _install_hint(check)
    if res.outcome == "exited":
        return check.fix or derived_fix(shown) or _FIXES["exited"].format(cmd=" ".join(shown))
    return _FIXES[res.outcome].format(id=check.id)


def _write_log(side: Side, check: CheckSpec, text: str) -> Path | None:
    """The check's whole captured output, redacted, kept where the artifact points; a log
    that cannot be written costs only the pointer."""
    path = side.log(check)
    try:
        atomic_write(path, text)
    except OSError:
        return None
    return path


def _read_findings(
    ctx: StepContext, check: CheckSpec, side: Side, secrets: list[str]
) -> tuple[dict[str, Any], str | None]:
    """The report's fields for the result, and the problem a person must see (or None)."""
    path = side.report(check)
    assert path is not None and check.report is not None
    got = read_report(
        path,
        check.report,
        root=ctx.root,
        cwd=ctx.root / (check.cwd or "."),
        clean=lambda text: redact(text, secrets),
    )
    report: dict[str, Any] = {"format": check.report, "path": ctx.config.shown(path)}
    if got.tool:
        report["tool"] = got.tool
    if got.dropped:
        report["dropped"] = dict(got.dropped)
    fields: dict[str, Any] = {"report": report}
    if got.failed:
        report["failed"] = got.failed
    if got.problem is not None:
        report["problem"] = got.problem
        return fields, f"report {ctx.config.shown(path)}: {got.problem}"
    if check.report != "junit" or got.findings:
        fields["findings"] = list(got.findings)
    if check.report == "junit":
        tests = [dict(t) for t in got.tests]
        if ctx.stable:  # stable artifacts hold no durations
            for t in tests:
                t["time"] = None
        fields["tests"] = tests
    return fields, None


def _findings_text(findings: list[dict[str, Any]]) -> str:
    """The findings one a line, as linters print them (`a.py:1:8: F401 message`)."""
    lines = []
    for f in findings[:EXCERPT_LINES]:
        where = ":".join(str(x) for x in (f["path"], f["line"], f["column"]) if x is not None)
        rule = f" {f['rule']}" if f["rule"] else ""
        lines.append(f"{where or '?'}:{rule} {f['message']}".replace("\n", " "))
    if len(findings) > EXCERPT_LINES:
        lines.append(f"… and {len(findings) - EXCERPT_LINES} more findings")
    return "\n".join(lines)


def _failed_message(code: int | None, extra: Mapping[str, Any]) -> str:
    """Why an exited check failed, naming what its own report says failed (the first failing
    test case, the findings' rule ids), so the terminal, SARIF, Code Quality and the dashboard
    say more than "exited with code 1"."""
    message = f"exited with code {code}"
    tests = extra.get("tests") or []
    failed = [t for t in tests if t.get("status") in ("fail", "error")]
    findings = extra.get("findings") or []
    if findings:
        rules = list(dict.fromkeys(str(f["rule"]) for f in findings if f.get("rule")))
        shown = ", ".join(rules[:5]) + (", …" if len(rules) > 5 else "")
        noun = "finding" if len(findings) == 1 else "findings"
        return f"{message}: {len(findings)} {noun}" + (f" ({shown})" if shown else "")
    if failed:
        first = failed[0]
        why = str(first.get("message") or first.get("status")).strip().splitlines()
        # counted before the kept cases were bounded (findings.read_report)
        count = max(len(failed), int((extra.get("report") or {}).get("failed") or 0))
        more = f" (and {count - 1} more)" if count > 1 else ""
        return (
            f"{message}: {count} of {max(len(tests), count)} tests failed, first "
            f"{first['name']}: {why[0] if why else first['status']}{more}"
        )
    return message


def _result(
    ctx: StepContext,
    check: CheckSpec,
    spec: ProcSpec,
    res: ProcResult,
    side: Side | None = None,
    written: list[Path] | None = None,
) -> Result:
    secrets = secret_values(spec.env or {})
    text = excerpt(res.output, root=ctx.root, secrets=secrets, stable=ctx.stable)
    extra: dict[str, Any] = {"cmd": [redact(part, secrets) for part in check.cmd]}
    problem = None
    if side is not None and res.outcome not in ("missing", "oserror"):
        log = _write_log(side, check, log_text(res.output, [*secrets, *secret_values()]))
        if log is not None:
            extra["log"] = ctx.config.shown(log)
            if written is not None:
                written.append(log)
        if check.report and res.outcome == "exited":
            fields, problem = _read_findings(ctx, check, side, [*secrets, *secret_values()])
            extra |= fields
            report = side.report(check)
            if written is not None and report is not None:
                written.append(report)
    if res.outcome == "exited":
        status = "pass" if res.exit_code == 0 and problem is None else "fail"
        message = "" if status == "pass" else _failed_message(res.exit_code, extra)
        failed = int((extra.get("report") or {}).get("failed") or 0)
        if status == "pass" and failed:
            # `pytest || true`: the tool's own report is evidence that tests failed
            status = "fail"
            message = f"exited with code 0, but its JUnit report lists {failed} failed test(s)"
        if problem is not None:
            # a check whose report cannot be read is not evidence it passed
            status = "fail" if res.exit_code else "error"
            message = problem if res.exit_code == 0 else f"{message}; {problem}"
        if status == "pass":
            text = ""
        elif not text and extra.get("findings"):  # ruff writing SARIF prints nothing else
            text = _findings_text(extra["findings"])
    else:
        status = "error"
        message = res.detail
        if res.outcome == "missing":
            extra["error_kind"] = "environment"
    fix = None
    if status != "pass":
        shown = local_cmd(tuple(extra["cmd"]))
        fix = _fix(check, res, shown)
        if problem is not None and res.exit_code == 0:
            fix = (
                f"make `{' '.join(shown)}` write its {check.report} report to the path "
                f"{REPORT_PLACEHOLDER} stands for, or drop report from "
                f"gate.fast.checks.{check.id} in lanes.toml"
            )
    return Result(
        id=check.id,
        status=status,
        message=message,
        owner=check.owner,
        exit_code=res.exit_code,
        excerpt=text,
        fix=fix,
        duration_s=res.duration_s,
        extra=extra,
    )


def _missing_result(ctx: StepContext, check: CheckSpec, why: str) -> Result:
    return _result(
        ctx, check, _spec(ctx, check), ProcResult(check.id, "missing", None, "", 0.0, why)
    )


def _without_gone_files(ctx: StepContext, hit: Result) -> Result:
    """A replayed result without the `log` / `report` pointers of files no longer there: they
    name the run that made the result, which may have been pruned since (runs_keep)."""
    extra = dict(hit.extra)
    for key in ("log", "report"):
        value = extra.get(key)
        path = value.get("path") if isinstance(value, dict) else value
        if isinstance(path, str) and not (ctx.root / path).is_file():
            del extra[key]
    return hit if extra == hit.extra else replace(hit, extra=extra)


@register("gate-fast")
def run(ctx: StepContext) -> tuple[list[Result], dict[str, Any]]:
    checks = list(ctx.config.checks.values())
    only = ctx.options.get("only")
    if only:
        unknown = [c for c in only if c not in ctx.config.checks]
        if unknown:
            raise ConfigError(
                f"unknown check '{unknown[0]}'{did_you_mean(unknown[0], ctx.config.checks)}",
                key="--check",
            )
        checks = [c for c in checks if c.id in only]
    # --no-cache runs every check but still records what it found, for the next run
    read_cache = not ctx.options.get("no_cache")
    cache, off = (
        GateCache.open(ctx.config, stable=ctx.stable) if ctx.config.gate_cache else (None, None)
    )
    warnings: list[str] = [off] if off else []
    keys: dict[str, str] = {}
    cached: dict[str, Result] = {}
    missing = {c.id: why for c in checks if (why := missing_tool(c, ctx.root)) is not None}
    side = Side.open(ctx)
    written: list[Path] = []
    specs = [_spec(ctx, c, side) for c in checks if c.id not in missing]
    if cache is not None:
        for c, spec in zip([c for c in checks if c.id not in missing], specs, strict=True):
            env = spec.env or {}
            keys[c.id] = cache.key(c, which(spec.cmd[0], env, spec.cwd), env)
            if not read_cache:
                continue
            hit, warning = cache.get(keys[c.id], c)
            if warning:
                warnings.append(warning)
            if hit is not None:
                cached[c.id] = _without_gone_files(ctx, hit)
    to_run = [s for s in specs if s.id not in cached]
    for c in checks:
        if c.id in {s.id for s in to_run}:
            side.clear(c)
    jobs = ctx.jobs or ctx.config.jobs or os.cpu_count() or 1
    check_of = {c.id: c for c in checks}
    made: dict[str, Result] = {}  # each check's result, made once, as it finished

    def on_finish(spec: ProcSpec, res: ProcResult) -> None:
        made[spec.id] = _result(ctx, check_of[spec.id], spec, res, side, written)
        console.finished(made[spec.id])

    console.expect([c.id for c in checks])
    for c in checks:  # what needs no process is known at once
        if c.id in cached:
            console.finished(cached[c.id], cached=True)
        elif c.id in missing:
            console.finished(_missing_result(ctx, c, missing[c.id]))
    interrupted: ProcsInterrupted | None = None
    try:
        finished: list[ProcResult | None] = list(
            run_many(
                to_run,
                jobs=jobs,
                fail_fast=ctx.fail_fast,
                on_start=lambda spec: console.started(spec.id),
                on_finish=on_finish,
            )
        )
    except ProcsInterrupted as exc:
        interrupted, finished = exc, exc.results
    done = {
        s.id: r or ProcResult(s.id, "interrupted", None, "", 0.0, "stopped: interrupted")
        for s, r in zip(to_run, finished, strict=True)
    }
    spec_of = {s.id: s for s in specs}
    results = []
    for c in checks:
        if c.id in missing:
            results.append(_missing_result(ctx, c, missing[c.id]))
        elif c.id in cached:
            results.append(cached[c.id])
        else:
            result = made.get(c.id) or _result(ctx, c, spec_of[c.id], done[c.id], side, written)
            if cache is not None and interrupted is None:
                warning = cache.put(keys[c.id], result)
                if warning:
                    warnings.append(warning)
            results.append(result)
    side.record(ctx, written)
    if interrupted is not None:
        raise StepInterrupted(results)
    # what this artifact covers: only the whole configured gate is evidence (evidence.consistency)
    extra: dict[str, Any] = {"coverage": coverage(checks, ctx.config.checks)}
    if warnings:
        extra["warnings"] = warnings
    return results, extra
