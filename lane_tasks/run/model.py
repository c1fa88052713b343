"""What a run is and what its steps are asked and answer, as frozen values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lane_tasks.config import Config
from lane_tasks.evidence.artifacts import canonical_json
from lane_tasks.evidence.store import mark_run_started, new_run_id, run_dir
from lane_tasks.steps.base import StepOptions, StepReport

__all__ = ["Run", "StepDone", "StepOptions", "TopLevel", "join_run", "open_run"]


@dataclass(frozen=True, kw_only=True)
class Run:
    """One run: a nox invocation (`id` set), or a CLI step on its own (`id` None: the history
    gives it a run of its own). `owned`: this process opened it and so finishes it (`finish`);
    a run joined by id (`--run-id`, a venv-backend step) is finished by its nox process."""

    id: str | None
    lane: str | None = None
    started: datetime | None = None
    owned: bool = False

    @property
    def source(self) -> str:
        return "nox" if self.id else "cli"


def open_run(config: Config, *, lane: str | None = None, now: datetime | None = None) -> Run:
    """A new run of this process (a nox invocation's, made when its first step runs)."""
    del config  # the store creates the run directory with its first artifact
    now = now or datetime.now(UTC)
    run_id = new_run_id(now)
    mark_run_started(run_id, now)  # the run's own start, which its manifest keeps
    return Run(id=run_id, lane=lane, started=now, owned=True)


def join_run(config: Config, run_id: str | None, *, lane: str | None = None) -> Run:
    """The run a command was told to record into (`--run-id`), or none; a malformed run id
    is a usage error, up front."""
    if run_id:
        run_dir(config, run_id)
    return Run(id=run_id, lane=lane)


@dataclass(frozen=True, kw_only=True)
class TopLevel:
    """Where the step's artifact goes besides the run store. `default`: the step's own place
    (`<artifacts_dir>/<step>.json`, canonical JSON), left alone while a lane holds the top
    level; else an `--out` file, written while this run holds the top level."""

    path: Path
    shown: str = ""
    """The path as the person gave it (for the notice when it is not written)."""
    render: Callable[[dict[str, Any]], str] = canonical_json
    default: bool = False


@dataclass(frozen=True, kw_only=True)
class StepDone:
    """A step run and recorded: its report, its document, and what the front door may say."""

    report: StepReport
    doc: dict[str, Any]
    written: Path | None = None
    """The top-level file written, if any."""
    attested: tuple[Path, ...] = ()
    """The contract index's in-toto statement (and envelope) written beside it."""
    notices: tuple[str, ...] = field(default=())
    """One-line notes for stderr (the top level is another run's)."""

    @property
    def exit_code(self) -> int:
        return self.report.exit_code
