"""gate fast: the project's own quick checks (lint, format, types, tests) from lanes.toml,
run in parallel with timeouts; one result per check with an excerpt that explains a failure.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from lane_tasks import console
from lane_tasks.artifacts import Result
from lane_tasks.config import CheckSpec
from lane_tasks.errors import ConfigError, did_you_mean
from lane_tasks.evidence import coverage
from lane_tasks.gate_cache import GateCache
from lane_tasks.procs import (
    ProcResult,
    ProcsInterrupted,
    ProcSpec,
    excerpt,
    redact,
    run_many,
    secret_values,
    tool_env,
    which,
)
from lane_tasks.steps.base import StepContext, StepInterrupted, register

__all__ = ["argv", "check_env", "expand_cmd", "missing_tool", "run"]


PYTHON_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"


def expand_cmd(cmd: tuple[str, ...], python: str = sys.executable) -> tuple[str, ...]:
    """`{python}` stands for the interpreter running lane-tasks, so `python -m pytest` uses
    the environment nox and lane-tasks run in, not whatever `python` is first on PATH;
    `{python_version}` is its X.Y (a project nox session run for this Python only). People
    are shown `python` for `{python}` (`python=`)."""
    return tuple(
        part.replace("{python}", python).replace("{python_version}", PYTHON_VERSION) for part in cmd
    )


def check_env(check: CheckSpec) -> dict[str, str]:
    """The environment a check runs in: see `tool_env`, plus the check's own `env`."""
    return tool_env(check.env)


SHELL = "/bin/sh"


def argv(check: CheckSpec) -> tuple[str, ...]:
    """What runs: the argv list, or `/bin/sh -c <string>` for a check with `shell = true`."""
    cmd = expand_cmd(check.cmd)
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


def _spec(ctx: StepContext, check: CheckSpec) -> ProcSpec:
    env = check_env(check)
    return ProcSpec(
        id=check.id,
        cmd=argv(check),
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


def _result(ctx: StepContext, check: CheckSpec, spec: ProcSpec, res: ProcResult) -> Result:
    secrets = secret_values(spec.env or {})
    text = excerpt(res.output, root=ctx.root, secrets=secrets, stable=ctx.stable)
    extra: dict[str, Any] = {"cmd": [redact(part, secrets) for part in check.cmd]}
    if res.outcome == "exited":
        status = "pass" if res.exit_code == 0 else "fail"
        message = "" if status == "pass" else f"exited with code {res.exit_code}"
        if status == "pass":
            text = ""
    else:
        status = "error"
        message = res.detail
        if res.outcome == "missing":
            extra["error_kind"] = "environment"
    fix = None
    if status != "pass":
        shown = " ".join(expand_cmd(tuple(extra["cmd"]), python="python"))
        fix = _FIXES[res.outcome].format(tool=check.cmd[0], id=check.id, cmd=shown)
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
    specs = [_spec(ctx, c) for c in checks if c.id not in missing]
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
                cached[c.id] = hit
    to_run = [s for s in specs if s.id not in cached]
    jobs = ctx.jobs or ctx.config.jobs or os.cpu_count() or 1
    check_of = {c.id: c for c in checks}
    made: dict[str, Result] = {}  # each check's result, made once, as it finished

    def on_finish(spec: ProcSpec, res: ProcResult) -> None:
        made[spec.id] = _result(ctx, check_of[spec.id], spec, res)
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
            result = made.get(c.id) or _result(ctx, c, spec_of[c.id], done[c.id])
            if cache is not None and interrupted is None:
                warning = cache.put(keys[c.id], result)
                if warning:
                    warnings.append(warning)
            results.append(result)
    if interrupted is not None:
        raise StepInterrupted(results)
    # what this artifact covers: only the whole configured gate is evidence (lane_tasks.evidence)
    extra: dict[str, Any] = {"coverage": coverage(checks, ctx.config.checks)}
    if warnings:
        extra["warnings"] = warnings
    return results, extra
