"""run_step: run one step, then write its evidence (top level under the lease, run store,
history) as one uninterruptible record."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from lane_tasks.catalog import STEPS
from lane_tasks.config import Config, find_config, load_config, parse_config
from lane_tasks.errors import EXIT_INTERRUPTED, ConfigError
from lane_tasks.evidence.artifacts import RunInfo, atomic_write, canonical_json
from lane_tasks.evidence.history_record import record_run_state, record_step
from lane_tasks.evidence.lease import claim, holder_of, record_written
from lane_tasks.evidence.store import (
    finish_run,
    new_run_id,
    record_artifact,
    run_dir,
    run_started,
)
from lane_tasks.project.git import self_ignore
from lane_tasks.run.model import Run, StepDone, StepOptions, TopLevel
from lane_tasks.steps import StepContext
from lane_tasks.steps import run_step as run_runner
from lane_tasks.steps.contract_index.attestation import write_attestation
from lane_tasks.util.interrupts import mark, shielded

__all__ = ["run_step", "step_config"]

_FALLBACK = """
[lanes.none]
steps = ["doctor"]
"""


def step_config(
    step_id: str, path: Path | None, *, loaded: Config | None = None
) -> tuple[Config, str | None]:
    """Load lanes.toml (unless the caller passes it `loaded`, as the nox sessions do); doctor
    alone runs on a broken one and reports it as a failed check (the second value: the error)."""
    if loaded is not None:
        return loaded, None
    try:
        return load_config(path), None
    except ConfigError as exc:
        if step_id != "doctor":
            raise
        where = path if path is not None else _config_path_or_cwd()
        return parse_config(_FALLBACK, where, table=()), str(exc)


def _config_path_or_cwd() -> Path:
    try:
        return find_config()
    except ConfigError:
        return Path.cwd() / "lanes.toml"


def _warn(warning: str) -> None:
    sys.stderr.write(f"lane-tasks: warning: {warning}\n")


def run_step(
    config: Config,
    run: Run,
    step_id: str,
    options: StepOptions,
    *,
    top_level: TopLevel | None = None,
    warn: Callable[[str], object] = _warn,
) -> StepDone:
    """Run `step_id` for `run` and record it: the top-level artifact (`top_level`), the run
    store (a run with an id) and the history. Recording is shielded: a Ctrl-C during it is
    raised once the record is whole (an interrupted step's partial record is kept, and the
    run marked interrupted). The step's warnings go to `warn` before anything is recorded,
    so a fault while recording cannot hide them."""
    ctx = StepContext(config=config, lane=run.lane, run_id=run.id, options=options)
    if run.lane and options.config_error is None:
        config.resolve(run.lane)
    report = run_runner(step_id, ctx)
    for warning in report.warnings:
        warn(warning)
    doc = report.document(stable=options.stable, lane=run.lane)
    text = canonical_json(doc)  # once: the run store's copy and the top-level file alike
    interrupted = report.exit_code == EXIT_INTERRUPTED
    with shielded(reraise=not interrupted):  # a whole record or none
        written, notices = write_top_level(config, run, doc, top_level, text)
        if run.id:
            _record(config, run, step_id, doc, report.run.started_at, text)
        history_id = None
        if options.config_error is None:  # doctor on a broken lanes.toml has no history
            history_id = _history(config, run, doc, report.run)
        if interrupted:
            _interrupted(config, run, history_id)
    attested: tuple[Path, ...] = ()
    if step_id == "contract-index":
        attested = _attest(config, run, doc, top_level, written, options.sign_key)
    return StepDone(report=report, doc=doc, written=written, attested=attested, notices=notices)


def write_top_level(
    config: Config, run: Run, doc: dict[str, Any], top: TopLevel | None, text: str
) -> tuple[Path | None, tuple[str, ...]]:
    """The top-level artifact, if this run may write it now (see evidence.lease); `text` is
    the document's canonical JSON, which the run store keeps too (encoded once)."""
    if top is None:
        return None, ()
    if top.default:
        holder = holder_of(config)
        if holder is not None:
            return None, (
                f"lane-tasks: run {holder} is writing the top-level artifacts; "
                f"{config.shown(top.path)} was not written (give --out to write elsewhere)",
            )
        _write(config, run, top.path, text)
        return top.path, ()
    holder = claim(config, run.id) if run.id else None
    if holder is not None:
        return None, (
            f"lane-tasks: run {holder} is writing the top-level artifacts; this run's "
            f"{top.path.name} is in {config.artifacts_dir}/lanes/runs/{run.id}/",
        )
    rendered = text if top.render is canonical_json else top.render(doc)
    _write(config, run, top.path, rendered)
    return top.path, ()


def _write(config: Config, run: Run, target: Path, text: str) -> None:
    """One artifact file, written atomically; a lane run records it as its top-level file."""
    atomic_write(target, text)
    absolute = Path(os.path.normpath(Path.cwd() / target))
    if absolute.is_relative_to(config.artifacts_path()):
        self_ignore(config.artifacts_path())
        if run.id:
            record_written(config, run.id, [absolute])


def _record(
    config: Config, run: Run, step_id: str, doc: dict[str, Any], started: str, text: str
) -> None:
    assert run.id is not None
    record_artifact(
        config,
        run.id,
        step=step_id,
        name=STEPS[step_id].out if step_id in STEPS else f"{step_id}.json",
        text=text,
        status=doc["status"],
        subject=doc["subject"],
        lane=run.lane,
        started=datetime.fromisoformat(started),
    )


def _history(config: Config, run: Run, doc: dict[str, Any], info: RunInfo) -> str:
    """Append the finished step to the run history (a CLI step outside a run is a run of its
    own); returns the run id it was recorded under."""
    started = datetime.fromisoformat(info.started_at)
    run_id = run.id or new_run_id(started)
    record_step(
        config,
        doc,
        run_id=run_id,
        source=run.source,
        lane=run.lane,
        started_at=started,
        ended_at=started + timedelta(seconds=info.duration_s),
        run_started_at=run_started(run_id, started) if run.id else started,
    )
    return run_id


def _interrupted(config: Config, run: Run, history_id: str | None) -> None:
    """The step was stopped: its partial artifact is written. A run this process owns is
    marked interrupted by its `finish`; any other now, in the run store and the history."""
    mark()
    if run.owned:
        return
    if run.id:
        finish_run(config, run.id, lane=run.lane, state="interrupted")
    if history_id is not None:
        record_run_state(config, history_id, "interrupted", lane=run.lane)


def _attest(
    config: Config,
    run: Run,
    doc: dict[str, Any],
    top: TopLevel | None,
    written: Path | None,
    sign_key: str | None,
) -> tuple[Path, ...]:
    """The contract index's in-toto statement (and DSSE envelope with a key) beside the
    index: beside the top-level one when this run wrote it, else beside the run's own."""
    given = (top.shown or str(top.path)) if top is not None and not top.default else None
    out = given
    if given and run.id:
        if claim(config, run.id) is not None:  # beside its own index, then
            out = str(run_dir(config, run.id) / Path(given).name)
    elif not given and top is not None and written is not None:
        out = str(written)
    paths = write_attestation(config, doc, out=out, sign_key=sign_key)
    if run.id and out == given:
        record_written(config, run.id, paths)
    return tuple(paths)
