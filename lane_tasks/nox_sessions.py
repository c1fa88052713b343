"""register(): nox sessions from lanes.toml, one per step and one per lane.

A lane session `requires=` its steps (in canonical order), so `nox -s regulated` runs each step
once; its own body is the lane's controls step, which verifies every control of the lane from
what this invocation's steps left in the run store. One nox invocation is one run.

register() adds sessions and changes none of the noxfile's nox options, so a project that adopts
the lanes into its own noxfile keeps what a bare `nox` runs. The lane's own behaviour comes from
its sessions: a failed step makes the later steps of the invocation skip (the lane stops at its
first failure) unless nox is given `--no-stop-on-first-error`; then every step runs and the
lane's controls are verified after its last step, so a failing lane still shows its controls.

With the default backend ("none") the steps run in the nox process itself: no virtualenv is
built and no interpreter started per step, which keeps the lane overhead small. Any other
backend installs `[nox].install` into a reused session environment and runs the same CLI there.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nox
from nox.command import CommandFailed

from lane_tasks.catalog import STEPS
from lane_tasks.catalog.layout import CONTROLS_ARTIFACT
from lane_tasks.config import CONFIG_NAME, Config, config_in, load_config
from lane_tasks.console import same_destination
from lane_tasks.errors import (
    EXIT_INTERRUPTED,
    ConfigError,
    LaneTasksError,
    exit_code_of,
    platform_problem,
)
from lane_tasks.evidence.lease import NOX_PID_ENV
from lane_tasks.evidence.store import mark_run_started, new_run_id
from lane_tasks.evidence.write_guard import guarded_output
from lane_tasks.util.interrupts import install, mark, shielded, was_interrupted

if TYPE_CHECKING:
    from lane_tasks.run import Run

__all__ = ["register", "step_argv"]

_run_id: str | None = None


def _current_run_id(config: Config, lane: str | None) -> str:
    """One run id per nox invocation, made when the first step runs (not by `nox -l`); the
    run is finished when nox exits, whether the lane got to its controls step or not."""
    global _run_id
    if _run_id is None:
        now = datetime.now(UTC)
        _run_id = new_run_id(now)
        mark_run_started(_run_id, now)  # the run's own start, which its manifest keeps
        # Imported here, not at exit: `nox -l` need not load the run machinery, and an
        # interpreter that is shutting down can no longer import what starts threads.
        from lane_tasks.run import Run, finish

        atexit.register(_finish, finish, config, Run(id=_run_id, lane=lane))
    return _run_id


def _finish(finish: Callable[..., object], config: Config, run: Run) -> None:
    """End the run when nox exits (run.finish: the store, the history, the CI summary). A run
    with a step that failed is never recorded as passing, even when that step could not
    record itself (a full or read-only disk)."""
    state = "interrupted" if was_interrupted() else "complete"
    finish(config, run, state, unrecorded=tuple(_failed))


def invocation_lane(session: nox.Session, config: Config) -> str | None:
    """The lane this nox invocation was asked to run, when it is exactly one.

    Steps run before their lane's session, so they learn the lane from the sessions nox was
    asked for (`-s`, or the default). nox has no public API for that; a nox that moves it
    makes this None, which only leaves the step artifacts' `lane` field empty.
    """
    requested = getattr(getattr(session, "_runner", None), "global_config", None)
    names = getattr(requested, "sessions", None) or nox.options.sessions or []
    by_session = {config.session(lane): lane for lane in config.lanes}
    lanes = [by_session[n] for n in names if n in by_session]
    return lanes[0] if len(set(lanes)) == 1 else None


def step_argv(config: Config, step_id: str, run_id: str, lane: str | None = None) -> list[str]:
    """The canonical command path of a step, as the seed document writes it."""
    info = STEPS[step_id]
    argv = ["--config", str(config.path), *info.argv, "--format", "json"]
    if info.stable:
        argv.append("--stable-json")
    if lane is not None:
        argv += ["--lane", lane]
    return [*argv, "--out", _out(config, step_id), "--run-id", run_id]


def _out(config: Config, step_id: str | None) -> str:
    """Where a lane writes a step's artifact (`step_id` None: the lane's controls), as the
    person would type it."""
    name = STEPS[step_id].out if step_id is not None else CONTROLS_ARTIFACT
    return f"{config.artifacts_dir}/{name}"


def controls_argv(config: Config, lane: str, run_id: str) -> list[str]:
    out = _out(config, None)
    return [
        "--config", str(config.path), "controls", "verify", "--lane", lane,
        "--format", "json", "--stable-json", "--out", out, "--run-id", run_id,
    ]  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class _Request:
    """One session's work: a step (`step_id`), or a lane's controls (`step_id` None)."""

    step_id: str | None
    lane: str | None
    run_id: str
    passed: tuple[tuple[str, str], ...] = ()
    """The step's posargs, as (option, value)."""

    @property
    def what(self) -> str:
        return self.step_id or f"{self.lane} controls"

    def argv(self, config: Config) -> list[str]:
        """The same request as a `lane-tasks` command line (for a venv backend)."""
        if self.step_id is None:
            assert self.lane is not None
            return controls_argv(config, self.lane, self.run_id)
        words = [w for pair in self.passed for w in pair]
        return [*step_argv(config, self.step_id, self.run_id, self.lane), *words]


def _invoke(session: nox.Session, config: Config, request: _Request) -> None:
    """With the "none" backend, in this process: the run package runs and records it;
    else `lane-tasks` in the session's environment, given the same request as argv."""
    if config.nox_backend == "none":
        code = exit_code_of(lambda: _here(config, request))  # lanes.toml loaded once
        if code == EXIT_INTERRUPTED:
            mark()
            raise KeyboardInterrupt(request.what)  # nox stops the invocation and exits 130
        if code != 0:
            raise CommandFailed(f"{request.what} failed (exit {code})")
    else:
        session.install(*config.nox_install)
        session.run("lane-tasks", *request.argv(config))


def _here(config: Config, request: _Request) -> int:
    """Run the request with the run package, and print what `lane-tasks` would: the text
    report, the run's notices, the attestation written, a lane's KPIs."""
    # start-up cost: `nox -l` need not load the run machinery
    from lane_tasks.exports.text import render_text
    from lane_tasks.run import StepOptions, TopLevel, join_run, kpi_lines, run_step, verify_controls

    shown = _out(config, request.step_id)
    top = TopLevel(path=guarded_output(shown, root=config.root), shown=shown)
    run = join_run(config, request.run_id, lane=request.lane)
    if request.step_id is None:
        lane = config.resolve(request.lane or "")
        done = verify_controls(config, run, lane.name, stable=True, top_level=top)
        with shielded():
            _show(done.notices, render_text(done.doc))
        sys.stdout.write(kpi_lines(config, lane))  # a lane's run shows its emphasised KPIs
        return done.exit_code
    given: dict[str, Any] = {
        opt.removeprefix("--").replace("-", "_"): v for opt, v in request.passed
    }
    options = replace(StepOptions(stable=STEPS[request.step_id].stable), **given)
    step = run_step(config, run, request.step_id, options, top_level=top)
    with shielded(reraise=step.exit_code != EXIT_INTERRUPTED):
        streamed = step.report.streamed and same_destination()
        _show(step.notices, render_text(step.doc, streamed=streamed))
    for path in step.attested:
        sys.stderr.write(f"wrote {path}\n")
    return step.exit_code


def _show(notices: tuple[str, ...], report: str) -> None:
    for notice in notices:
        sys.stderr.write(notice + "\n")
    sys.stdout.write(report)


_OURS = "__lane_tasks_session__"
"""Marks the functions register() made, so a second register() call is no clash with itself."""

_failed: list[str] = []
"""The steps of this nox invocation that failed, in order."""


def _keep_going() -> bool:
    """Whether nox was told to go on after a failure (`--no-stop-on-first-error`).

    nox's own default is to go on, so its option value cannot say whether the user asked; the
    lane's default is to stop, and only the flag on the command line (before `--`) overrides it.
    """
    args = sys.argv[1:]
    args = args[: args.index("--")] if "--" in args else args
    return "--no-stop-on-first-error" in args


def register(config_path: str | Path | None = None, *, default_session: bool = False) -> Config:
    """Create the sessions; a bad lanes.toml or a clashing session name ends nox with a
    one-line error and exit 2 (exit 3 for a directory of ours that is a symlink).

    `default_session=True` makes lanes.toml's default lane a default nox session, so a bare
    `nox` runs it: for a noxfile that is only ours (the one `lane-tasks init` writes into a
    project without one). An adopting project's noxfile calls register() without it, and its
    bare `nox` runs what it ran before.
    """
    try:
        unsupported = platform_problem(os.name)
        if unsupported is not None:
            raise unsupported
        here = Path.cwd()  # the noxfile's directory: lanes.toml, else [tool.lane-tasks]
        path = Path(config_path) if config_path is not None else config_in(here)
        path = here / CONFIG_NAME if path is None else path
        if not os.path.lexists(path):  # a dangling symlink or a directory: load_config says
            raise ConfigError(
                f"no {path.name} in {path.parent}: run `lane-tasks init` there to write one",
                path=None,
            )
        config = load_config(path)
        _check_clashes(config)
    except LaneTasksError as exc:
        sys.stderr.write(f"lane-tasks: error: {exc}\n")
        raise SystemExit(exc.exit_code) from None

    session_kw: dict[str, Any] = {"venv_backend": config.nox_backend, "default": False}
    if config.nox_backend == "none":
        session_kw["python"] = False
    else:  # venv backends: build the environment once, reuse it
        session_kw.update(python=config.nox_python, reuse_venv=True)

    for step_id, info in STEPS.items():
        _register_step(config, step_id, info.title, session_kw)
    for lane in config.resolved_lanes():
        is_default = default_session and lane.name == config.default_lane
        kw = {**session_kw, "default": is_default}
        _register_lane(config, lane.name, list(lane.step_ids()), lane.description, kw)
    return config


def _check_clashes(config: Config) -> None:
    """A project session named like a step or lane: name both and the setting that renames ours."""
    theirs = {n: f for n, f in nox.registry.get().items() if not getattr(f, _OURS, False)}
    ours = [("step", s) for s in STEPS] + [("lane", name) for name in config.lanes]
    for kind, ident in ours:
        func = theirs.get(config.session(ident))
        if func is None:
            continue
        code = getattr(getattr(func, "func", func), "__code__", None)
        where = "noxfile.py"
        if code is not None:
            where = f"{config.shown(Path(code.co_filename))}:{code.co_firstlineno}"
        raise ConfigError(
            f"{where}: session '{config.session(ident)}' has the name of lane-tasks' {kind} "
            f"'{ident}'; set [nox] session_prefix = \"lanes-\" in {config.shown(config.path)} to "
            f"register ours as 'lanes-{ident}' and so on"
        )


def _start_run(config: Config, lane: str | None) -> str:
    """The run id, made when the first step runs (never by `nox -l`). Only then does this
    process take on a run: SIGINT/SIGTERM stop our tools, and its life is the run's."""
    global _run_id
    if _run_id is None:
        install()  # SIGTERM too: stop every tool, keep the partial artifacts, exit 130
        os.environ[NOX_PID_ENV] = str(os.getpid())
    return _current_run_id(config, lane)


def _register_step(config: Config, step_id: str, title: str, kw: dict[str, Any]) -> None:
    def step(session: nox.Session) -> None:
        if _failed and not _keep_going():
            session.skip(
                f"{config.session(_failed[0])} failed, so the lane stops here "
                "(nox --no-stop-on-first-error runs every step)"
            )
        lane = invocation_lane(session, config)
        passed = _passed_on(session, step_id)
        run_id = _start_run(config, lane)
        request = _Request(step_id=step_id, lane=lane, run_id=run_id, passed=passed)
        try:
            _invoke(session, config, request)
        except CommandFailed:
            _failed.append(step_id)
            raise
        finally:
            if _failed and lane is not None and _keep_going():
                _controls_after_last_step(session, config, lane, step_id, run_id)

    step.__doc__ = f"{title} (lane-tasks {' '.join(STEPS[step_id].argv)})"
    setattr(step, _OURS, True)
    nox.session(name=config.session(step_id), **kw)(step)


def _passed_on(session: nox.Session, step_id: str) -> tuple[tuple[str, str], ...]:
    """The posargs this step takes (`nox -s startup -- --version 1.2.0` reaches gate release
    only); any other posargs are an error, not silently dropped."""
    args = list(session.posargs)
    allowed = {opt for info in STEPS.values() for opt in info.posargs}
    pairs = list(zip(args[::2], args[1::2], strict=False))
    if len(args) % 2 or any(opt not in allowed or value.startswith("-") for opt, value in pairs):
        shown = " ".join(sorted(allowed))
        _failed.append(step_id)
        session.error(f"after `--`, lane-tasks takes only {shown} with a value; got {args}")
    return tuple((opt, value) for opt, value in pairs if opt in STEPS[step_id].posargs)


def _controls_after_last_step(
    session: nox.Session, config: Config, lane: str, step_id: str, run_id: str
) -> None:
    """With --no-stop-on-first-error a failed step still aborts the lane session (nox runs no
    session whose prerequisite failed), so its controls are verified after its last step."""
    if config.resolve(lane).step_ids()[-1] != step_id:
        return
    session.log(f"{config.session(lane)}: verifying its controls although a step failed")
    with contextlib.suppress(CommandFailed):
        _invoke(session, config, _Request(step_id=None, lane=lane, run_id=run_id))


def _register_lane(
    config: Config, name: str, steps: list[str], description: str, kw: dict[str, Any]
) -> None:
    def lane(session: nox.Session) -> None:
        request = _Request(step_id=None, lane=name, run_id=_start_run(config, name))
        try:
            _invoke(session, config, request)
        except CommandFailed:
            _failed.append(name)  # its controls may not have been recorded: never a pass
            raise

    lane.__doc__ = f"{name} lane: {description or ', '.join(steps)} (then its controls)"
    setattr(lane, _OURS, True)
    requires = [config.session(s) for s in steps]
    nox.session(name=config.session(name), requires=requires, **kw)(lane)
