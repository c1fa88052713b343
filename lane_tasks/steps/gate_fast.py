"""gate fast: the project's own quick checks (lint, format, types, tests) from lanes.toml,
run in parallel with timeouts; one result per check with an excerpt that explains a failure.

This module is the step: it picks the checks, answers what it can from the cache
(gate_cache), runs the rest in parallel and keeps their results in lanes.toml's order. What a
check runs is gate_commands'; what its result says, gate_results'.
"""

from __future__ import annotations

import os
from pathlib import Path

from lane_tasks import console
from lane_tasks.config import CheckSpec
from lane_tasks.errors import ConfigError, did_you_mean
from lane_tasks.evidence.artifacts import Result
from lane_tasks.evidence.consistency import coverage
from lane_tasks.steps.base import StepContext, StepInterrupted, StepOutcome, register
from lane_tasks.steps.gate_cache import GateCache
from lane_tasks.steps.gate_commands import argv, check_env, missing_tool
from lane_tasks.steps.gate_order import longest_first, remember
from lane_tasks.steps.gate_results import Side, check_result, without_gone_files
from lane_tasks.util.procs import (
    ProcResult,
    ProcsInterrupted,
    ProcSpec,
    run_many,
    which,
)

__all__ = ["run"]


def _spec(ctx: StepContext, check: CheckSpec, side: Side | None = None) -> ProcSpec:
    env = check_env(check)
    return ProcSpec(
        id=check.id,
        cmd=argv(check, side.report(check) if side else None),
        cwd=ctx.root / (check.cwd or "."),
        timeout=check.timeout,
        env=env,
    )


def _missing_result(ctx: StepContext, check: CheckSpec, why: str) -> Result:
    return check_result(
        ctx, check, _spec(ctx, check), ProcResult(check.id, "missing", None, "", 0.0, why)
    )


@register("gate-fast")
def run(ctx: StepContext) -> StepOutcome:
    checks = list(ctx.config.checks.values())
    only = ctx.options.only
    if only:
        unknown = [c for c in only if c not in ctx.config.checks]
        if unknown:
            raise ConfigError(
                f"unknown check '{unknown[0]}'{did_you_mean(unknown[0], ctx.config.checks)}",
                key="--check",
            )
        checks = [c for c in checks if c.id in only]
    # --no-cache runs every check but still records what it found, for the next run
    read_cache = not ctx.options.no_cache
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
                cached[c.id] = without_gone_files(ctx, hit)
    to_run = longest_first(ctx.config, [s for s in specs if s.id not in cached])
    for c in checks:
        if c.id in {s.id for s in to_run}:
            side.clear(c)
    jobs = ctx.jobs or ctx.config.jobs or os.cpu_count() or 1
    check_of = {c.id: c for c in checks}
    made: dict[str, Result] = {}  # each check's result, made once, as it finished

    def on_finish(spec: ProcSpec, res: ProcResult) -> None:
        made[spec.id] = check_result(ctx, check_of[spec.id], spec, res, side, written)
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
    if interrupted is None:
        remember(ctx.config, {i: r.duration_s for i, r in done.items() if r.outcome == "exited"})
    spec_of = {s.id: s for s in specs}
    results = []
    for c in checks:
        if c.id in missing:
            results.append(_missing_result(ctx, c, missing[c.id]))
        elif c.id in cached:
            results.append(cached[c.id])
        else:
            result = made.get(c.id) or check_result(
                ctx, c, spec_of[c.id], done[c.id], side, written
            )
            if cache is not None and interrupted is None:
                warning = cache.put(keys[c.id], result)
                if warning:
                    warnings.append(warning)
            results.append(result)
    side.record(ctx, written)
    if interrupted is not None:
        raise StepInterrupted(results)
    # what this artifact covers: only the whole configured gate is evidence (evidence.consistency)
    return StepOutcome(
        results=results,
        fields={"coverage": coverage(checks, ctx.config.checks)},
        warnings=tuple(warnings),
    )
