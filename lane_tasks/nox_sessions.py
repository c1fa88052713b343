"""register(): nox sessions from lanes.toml, one per step and one per lane.

A lane session `requires=` its steps (in canonical order), so `nox -s regulated` runs each step
once; its own body is the lane's controls step, which verifies every control of the lane from
what this invocation's steps left in the run store. One nox invocation is one run.

With the default backend ("none") the steps run in the nox process itself: no virtualenv is
built and no interpreter started per step, which keeps the lane overhead small. Any other
backend installs `[nox].install` into a reused session environment and runs the same CLI there.
"""

from __future__ import annotations

import atexit
import os
import sys
from pathlib import Path
from typing import Any

import nox
from nox.command import CommandFailed

from lane_tasks.catalog import STEPS
from lane_tasks.config import CONFIG_NAME, Config, load_config
from lane_tasks.errors import EXIT_INTERRUPTED, EXIT_USAGE, LaneTasksError
from lane_tasks.interrupts import install, mark, was_interrupted
from lane_tasks.store import new_run_id
from lane_tasks.top_level import NOX_PID_ENV, release

__all__ = ["register", "step_argv"]

_run_id: str | None = None


def _current_run_id(config: Config, lane: str | None) -> str:
    """One run id per nox invocation, made when the first step runs (not by `nox -l`); the
    run is finished when nox exits, whether the lane got to its controls step or not."""
    global _run_id
    if _run_id is None:
        _run_id = new_run_id()
        atexit.register(_finish, config, _run_id, lane)
    return _run_id


def _finish(config: Config, run_id: str, lane: str | None) -> None:
    """Mark the run ended in the run store and the history, and summarise it for CI."""
    from lane_tasks.exports.markdown import append_github_summary
    from lane_tasks.history import record_run_state
    from lane_tasks.store import finish_run, run_dir

    state = "interrupted" if was_interrupted() else "complete"
    try:
        release(config, run_id)
        finish_run(config, run_id, lane=lane, state=state)
        record_run_state(config, run_id, state, lane=lane)
        append_github_summary(run_dir(config, run_id))
    except LaneTasksError as exc:
        sys.stderr.write(f"lane-tasks: error: {exc}\n")


def invocation_lane(session: nox.Session, config: Config) -> str | None:
    """The lane this nox invocation was asked to run, when it is exactly one.

    Steps run before their lane's session, so they learn the lane from the sessions nox was
    asked for (`-s`, or the default). nox has no public API for that; a nox that moves it
    makes this None, which only leaves the step artifacts' `lane` field empty.
    """
    requested = getattr(getattr(session, "_runner", None), "global_config", None)
    names = getattr(requested, "sessions", None) or nox.options.sessions or []
    lanes = [n for n in names if n in config.lanes]
    return lanes[0] if len(set(lanes)) == 1 else None


def step_argv(config: Config, step_id: str, run_id: str, lane: str | None = None) -> list[str]:
    """The canonical command path of a step, as the seed document writes it."""
    info = STEPS[step_id]
    argv = ["--config", str(config.path), *info.argv, "--format", "json"]
    if info.stable:
        argv.append("--stable-json")
    if lane is not None:
        argv += ["--lane", lane]
    out = f"{config.artifacts_dir}/{info.out}"
    return [*argv, "--out", out, "--run-id", run_id]


def controls_argv(config: Config, lane: str, run_id: str) -> list[str]:
    out = f"{config.artifacts_dir}/controls.json"
    return [
        "--config", str(config.path), "controls", "verify", "--lane", lane,
        "--format", "json", "--stable-json", "--out", out, "--run-id", run_id,
    ]  # fmt: skip


def _invoke(session: nox.Session, config: Config, argv: list[str], what: str) -> None:
    if config.nox_backend == "none":
        from lane_tasks.cli import main

        code = main(argv)
        if code == EXIT_INTERRUPTED:
            mark()
            raise KeyboardInterrupt(what)  # nox stops the invocation and exits 130
        if code != 0:
            raise CommandFailed(f"{what} failed (exit {code})")
    else:
        session.install(*config.nox_install)
        session.run("lane-tasks", *argv)


def register(config_path: str | Path | None = None) -> Config:
    """Create the sessions. A bad lanes.toml ends nox with the one-line error and exit 2."""
    path = Path(config_path) if config_path is not None else Path.cwd() / CONFIG_NAME
    try:
        config = load_config(path)
    except LaneTasksError as exc:
        sys.stderr.write(f"lane-tasks: error: {exc}\n")
        raise SystemExit(EXIT_USAGE) from None

    install()  # SIGTERM too: stop every tool, keep the partial artifacts, exit 130
    os.environ[NOX_PID_ENV] = str(os.getpid())  # this process's life is the run's
    nox.options.stop_on_first_error = True  # a failed step aborts the rest of the lane
    nox.options.reuse_existing_virtualenvs = True  # venv backends: build once, reuse
    if config.default_lane:
        nox.options.sessions = [config.default_lane]
    session_kw: dict[str, Any] = {"venv_backend": config.nox_backend}
    session_kw["python"] = False if config.nox_backend == "none" else config.nox_python

    for step_id, info in STEPS.items():
        _register_step(config, step_id, info.title, session_kw)
    for lane in config.resolved_lanes():
        _register_lane(config, lane.name, list(lane.step_ids()), lane.description, session_kw)
    return config


def _register_step(config: Config, step_id: str, title: str, kw: dict[str, Any]) -> None:
    def step(session: nox.Session) -> None:
        lane = invocation_lane(session, config)
        argv = step_argv(config, step_id, _current_run_id(config, lane), lane)
        _invoke(session, config, argv, step_id)

    step.__doc__ = f"{title} (lane-tasks {' '.join(STEPS[step_id].argv)})"
    nox.session(name=step_id, default=False, **kw)(step)


def _register_lane(
    config: Config, name: str, steps: list[str], description: str, kw: dict[str, Any]
) -> None:
    def lane(session: nox.Session) -> None:
        argv = controls_argv(config, name, _current_run_id(config, name))
        _invoke(session, config, argv, f"{name} controls")

    lane.__doc__ = f"{name} lane: {description or ', '.join(steps)} (then its controls)"
    nox.session(name=name, requires=steps, default=name == config.default_lane, **kw)(lane)
