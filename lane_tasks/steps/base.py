"""What every step shares: its context, its report, the registry and the exit-code rule."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lane_tasks import console
from lane_tasks.catalog import STEPS
from lane_tasks.config import Config
from lane_tasks.errors import EXIT_ENV, EXIT_FAIL, EXIT_INTERRUPTED, EXIT_OK
from lane_tasks.evidence.artifacts import Result, RunInfo, envelope
from lane_tasks.evidence.status import status_of as status_rule
from lane_tasks.project.git import Subject, subject
from lane_tasks.util.procs import kill_all

__all__ = [
    "RUNNERS",
    "StepContext",
    "StepInterrupted",
    "StepOptions",
    "StepOutcome",
    "StepReport",
    "exit_code_for",
    "register",
    "run_step",
    "status_of",
]


@dataclass(frozen=True, kw_only=True)
class StepOptions:
    """What a front door asks of a step (the CLI's flags; a lane passes `version` on), read by
    the steps as typed fields."""

    stable: bool = False
    jobs: int | None = None
    fail_fast: bool = False
    only: tuple[str, ...] | None = None
    version: str | None = None
    offline: bool = False
    sign_key: str | None = None
    no_cache: bool = False
    quiet: bool = False
    config_error: str | None = None
    """doctor on a broken lanes.toml: the error, reported as a failed check (no history)."""


@dataclass(frozen=True, kw_only=True)
class StepContext:
    """What a step runs with: the config, the run it belongs to and what it was asked."""

    config: Config
    lane: str | None = None
    run_id: str | None = None
    options: StepOptions = field(default_factory=lambda: StepOptions())

    @property
    def stable(self) -> bool:
        return self.options.stable

    @property
    def jobs(self) -> int | None:
        return self.options.jobs

    @property
    def fail_fast(self) -> bool:
        return self.options.fail_fast

    @property
    def root(self) -> Path:
        return self.config.root


@dataclass(frozen=True)
class StepReport:
    """A finished step: its results, verdict and exit code, before rendering."""

    step: str
    kind: str
    status: str
    exit_code: int
    results: tuple[Result, ...]
    subject: Subject
    run: RunInfo
    extra: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    """For the person running it (stderr), not for the artifact."""
    streamed: bool = False
    """Its results' lines were printed as they finished (lane_tasks.console)."""

    def document(self, *, stable: bool, lane: str | None) -> dict[str, Any]:
        return envelope(
            kind=self.kind,
            step=self.step,
            lane=lane,
            subject=self.subject.to_json(),
            status=self.status,
            results=self.results,
            stable=stable,
            run=self.run,
            extra=self.extra,
        )


class StepInterrupted(KeyboardInterrupt):
    """A step stopped by SIGINT/SIGTERM, with the results it had (the others as errors)."""

    def __init__(self, results: list[Result]) -> None:
        super().__init__("interrupted")
        self.results = results


@dataclass(frozen=True, kw_only=True)
class StepOutcome:
    """What a step's runner answers: its results, the step's own artifact fields, and what
    only the person running it needs to see."""

    results: list[Result]
    fields: dict[str, Any] = field(default_factory=dict)
    """Merged into the artifact (`findings`, `entries`, `coverage` …)."""
    warnings: tuple[str, ...] = ()
    """For stderr, not for the artifact."""
    status: str | None = None
    """The step's status when its runner decides it (doctor's verdict); else the status rule."""


Runner = Callable[[StepContext], StepOutcome]
RUNNERS: dict[str, Runner] = {}


def register(step_id: str) -> Callable[[Runner], Runner]:
    """Register the runner of a catalog step; a runner returns (results, extra fields)."""
    if step_id not in STEPS:
        raise KeyError(f"unknown step id {step_id!r}")

    def deco(fn: Runner) -> Runner:
        if step_id in RUNNERS:
            raise KeyError(f"step {step_id!r} registered twice")
        RUNNERS[step_id] = fn
        return fn

    return deco


def status_of(results: list[Result] | tuple[Result, ...]) -> str:
    """A step passes only when nothing failed or errored; skips never make a pass on their own
    (the one status rule, evidence.status)."""
    return status_rule(r.status for r in results)


def exit_code_for(status: str, results: list[Result] | tuple[Result, ...]) -> int:
    """0 pass; 3 when every problem is the environment's (missing tool, no git); else 1."""
    if status == "pass":
        return EXIT_OK
    problems = [r for r in results if r.status in ("fail", "error")]
    if problems and all(r.error_kind == "environment" for r in problems):
        return EXIT_ENV
    return EXIT_FAIL


def _interrupted_result(step_id: str) -> Result:
    return Result(
        id=step_id,
        status="error",
        message="interrupted",
        fix="re-run it: the run was interrupted before the step finished",
    )


def run_step(step_id: str, ctx: StepContext) -> StepReport:
    started = datetime.now(UTC)
    t0 = time.monotonic()
    with console.step(step_id, quiet=ctx.options.quiet) as progress:
        console.opening(f"lane-tasks {step_id}{f' ({ctx.lane})' if ctx.lane else ''}: running…")
        interrupted = False
        try:
            outcome = RUNNERS[step_id](ctx)
        except KeyboardInterrupt as exc:
            # every child process group is stopped first; the artifact says what had finished
            kill_all()
            results = exc.results if isinstance(exc, StepInterrupted) else []
            if not any(r.status == "error" for r in results):
                results = [*results, _interrupted_result(step_id)]
            outcome = StepOutcome(results=results, fields={"reason": "interrupted"}, status="error")
            interrupted = True
    results = outcome.results
    status = outcome.status or status_of(results)
    ignore = (ctx.config.artifacts_dir,)
    return StepReport(
        step=step_id,
        kind=step_id,
        status=status,
        exit_code=EXIT_INTERRUPTED if interrupted else exit_code_for(status, results),
        results=tuple(results),
        subject=subject(ctx.root, ignore),
        run=RunInfo(ctx.run_id, started.isoformat(timespec="seconds"), time.monotonic() - t0),
        extra=outcome.fields,
        warnings=outcome.warnings,
        streamed=progress.streamed,
    )
