"""Run tools as subprocesses: in parallel, each in its own process group, with timeouts and
bounded output capture. Making their output safe to publish is `lane_tasks.util.redact`'s job
(its names are re-exported here for the callers that import them from this module).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from lane_tasks.catalog.layout import NOX_PID_ENV
from lane_tasks.util.redact import (
    EXCERPT_CHARS,
    EXCERPT_LINES,
    OUTPUT_LIMIT,
    REDACTED,
    cut_tail,
    excerpt,
    log_text,
    printable,
    redact,
    scrub,
    secret_values,
)

__all__ = [
    "EXCERPT_CHARS",
    "EXCERPT_LINES",
    "OUTPUT_LIMIT",
    "REDACTED",
    "ProcResult",
    "ProcSpec",
    "ProcsInterrupted",
    "cut_tail",
    "excerpt",
    "kill_all",
    "log_text",
    "printable",
    "redact",
    "run_many",
    "run_one",
    "scrub",
    "secret_values",
    "tool_env",
    "which",
]


@dataclass(frozen=True)
class ProcSpec:
    """What to run. `cmd[0]` is looked up on the PATH of `env`."""

    id: str
    cmd: tuple[str, ...]
    cwd: Path
    timeout: float
    env: Mapping[str, str] | None = None


@dataclass(frozen=True)
class ProcResult:
    id: str
    outcome: str
    """`exited`, `timeout`, `missing` (tool not found), `oserror`, `cancelled` (--fail-fast)
    or `interrupted`."""
    exit_code: int | None
    output: str
    duration_s: float
    detail: str = ""


def which(program: str, env: Mapping[str, str] | None, cwd: Path) -> str | None:
    """Resolve a program like the OS will: paths relative to cwd, bare names on PATH."""
    if os.sep in program or (os.altsep and os.altsep in program):
        p = Path(program)
        p = p if p.is_absolute() else cwd / p
        return str(p) if p.is_file() and os.access(p, os.X_OK) else None
    path = (env or os.environ).get("PATH", os.defpath)
    return shutil.which(program, path=path)


def tool_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Our environment with the tools installed next to lane-tasks first on PATH (as nox does
    for a session venv), so `ruff` means the ruff of this environment; plus `extra`."""
    env = dict(os.environ)
    env.pop(NOX_PID_ENV, None)  # the nox run's identity: a tool (or a test suite) is not the run
    bindir = str(Path(sys.executable).parent)
    parts = env.get("PATH", os.defpath).split(os.pathsep)
    env["PATH"] = os.pathsep.join([bindir, *(p for p in parts if p != bindir)])
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.setdefault("NO_COLOR", "1")
    env.update(extra or {})
    return env


REAPED = sys.platform.startswith("linux") and Path("/proc/self/task").is_dir()
"""On Linux every command runs under the reaper below: nothing it starts outlives it."""

_REAPER = r"""
import ctypes, os, signal, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: every orphan below comes to us
libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG: lane-tasks died -> SIGTERM
status_fd, me = int(sys.argv[2]), os.getpid()
if os.getppid() != int(sys.argv[1]):
    os._exit(137)  # lane-tasks died before we could ask to be told

def tree():
    kids = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/" + name + "/stat", "rb") as f:
                    fields = f.read().rsplit(b")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[0] != b"Z":
                kids.setdefault(int(fields[1]), []).append(int(name))
    out, todo = [], [me]
    while todo:
        for pid in kids.get(todo.pop(), ()):
            out.append(pid)
            todo.append(pid)
    return out

def end_all():
    for _ in range(50):  # a process may fork while we look: look again until none is left
        pids = tree()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        while True:
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
        if not pids:
            return
        signal.sigtimedwait([signal.SIGCHLD], 0.01)

def stop(signum, frame):
    end_all()
    os._exit(128 + signum)

signal.signal(signal.SIGTERM, stop)
child = os.fork()
if child == 0:
    os.set_inheritable(status_fd, False)  # closed by a successful exec
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # the command dies with us, whatever kills us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        os.execv(sys.argv[3], sys.argv[3:])
    except OSError as exc:
        try:
            os.write(status_fd, str(exc).encode("utf-8", "replace"))
        except OSError:
            pass
        os._exit(127)
os.close(status_fd)
while True:
    try:
        _, status = os.waitpid(child, 0)
        break
    except ChildProcessError:
        status = 0
        break
end_all()
if os.WIFSIGNALED(status):  # die of the same signal, so lane-tasks sees what the command did
    try:
        signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
    except (OSError, ValueError):
        pass
    os.kill(me, os.WTERMSIG(status))
os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1)
"""
"""A one-process supervisor between lane-tasks and each command, run as `python -I -c`.

Why a wrapper and not preexec_fn in lane-tasks: preexec_fn is unsafe in a threaded program
(run_many runs checks from threads). Why the wrapper is the subreaper and not lane-tasks: it
then knows that every process re-parented to it belongs to its one check (also one that
called setsid, which leaves the process group), while lane-tasks would be handed the orphans
of every concurrent check and of unrelated children, and could not tell them apart. It dies
with lane-tasks (PR_SET_PDEATHSIG) and then, like when its command ends, kills its whole
tree; the command dies with it even if it is killed with SIGKILL."""


def _command(exe: str, args: Sequence[str], status_fd: int) -> list[str]:
    if not REAPED:
        return [exe, *args]
    return [sys.executable, "-I", "-S", "-c", _REAPER, str(os.getpid()), str(status_fd), exe, *args]


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop a command and everything it started: its reaper ends the tree (SIGTERM), then
    SIGKILL goes to the process group in case the reaper itself could not."""
    if REAPED and proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


_LIVE: set[subprocess.Popen[bytes]] = set()
_LIVE_LOCK = threading.Lock()
_STOP = threading.Event()
"""Set by an interrupt: no new process starts, every running one is stopped."""


def kill_all() -> None:
    """Stop every tool we started, with its whole process group (an interrupt's first act)."""
    _STOP.set()
    with _LIVE_LOCK:
        procs = list(_LIVE)
    if REAPED:  # every reaper ends its tree at once, then each is waited for
        for proc in procs:
            if proc.returncode is None:  # not reaped: the pid is still this reaper's
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(proc.pid, signal.SIGTERM)
    for proc in procs:
        _kill_group(proc)


class ProcsInterrupted(KeyboardInterrupt):
    """An interrupt during `run_many`: every process stopped; `results` holds what finished
    (None where a spec did not)."""

    def __init__(self, results: list[ProcResult | None]) -> None:
        super().__init__("interrupted")
        self.results = results


def run_one(spec: ProcSpec, cancel: threading.Event | None = None) -> ProcResult:
    """Run one command in a new session (its own process group), output merged and bounded."""
    start = time.monotonic()
    if _STOP.is_set():
        return ProcResult(spec.id, "interrupted", None, "", 0.0, "not started: interrupted")
    if cancel is not None and cancel.is_set():
        return ProcResult(spec.id, "cancelled", None, "", 0.0, "not started: --fail-fast")
    exe = which(spec.cmd[0], spec.env, spec.cwd)
    if exe is None:
        return ProcResult(
            spec.id, "missing", None, "", 0.0, f"tool '{spec.cmd[0]}' not found on PATH"
        )
    status_r, status_w = os.pipe() if REAPED else (-1, -1)
    try:
        proc = subprocess.Popen(
            _command(exe, spec.cmd[1:], status_w),
            cwd=spec.cwd,
            env=dict(spec.env) if spec.env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            pass_fds=(status_w,) if REAPED else (),
        )
    except OSError as exc:
        return ProcResult(spec.id, "oserror", None, "", 0.0, f"cannot run {spec.cmd[0]}: {exc}")
    finally:
        if REAPED:
            os.close(status_w)
    exec_error = _ExecError(status_r)
    with _LIVE_LOCK:
        _LIVE.add(proc)
    if _STOP.is_set():  # an interrupt came while it started: it never gets to run
        _kill_group(proc)
    tail: deque[bytes] = deque()
    size = [0]
    dropped = [False]

    def pump() -> None:
        stream = proc.stdout
        assert stream is not None
        read = getattr(stream, "read1", stream.read)  # read1: whatever is there, no waiting
        for chunk in iter(lambda: read(65536), b""):
            tail.append(chunk)
            size[0] += len(chunk)
            while size[0] - len(tail[0]) >= OUTPUT_LIMIT:
                size[0] -= len(tail.popleft())
                dropped[0] = True

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    outcome, detail = "exited", ""
    deadline = start + spec.timeout
    try:
        while True:
            try:
                proc.wait(timeout=0.05)
                break
            except subprocess.TimeoutExpired:
                if _STOP.is_set():
                    outcome, detail = "interrupted", "stopped: interrupted"
                    _kill_group(proc)
                    proc.wait()
                    break
                if time.monotonic() >= deadline:
                    outcome, detail = "timeout", f"killed after {spec.timeout:g}s timeout"
                    _kill_group(proc)
                    proc.wait()
                    break
                if cancel is not None and cancel.is_set():
                    outcome, detail = "cancelled", "stopped: --fail-fast"
                    _kill_group(proc)
                    proc.wait()
                    break
    except BaseException:
        _kill_group(proc)
        proc.wait()
        raise
    finally:
        with _LIVE_LOCK:
            _LIVE.discard(proc)
        if _STOP.is_set() and outcome == "exited":  # killed by the interrupt, not its own exit
            outcome, detail = "interrupted", "stopped: interrupted"
        # Children that inherited the pipe keep it open: kill the group so the reader ends.
        if outcome != "exited":
            _kill_group(proc)
        reader.join(timeout=5)
        if reader.is_alive():
            _kill_group(proc)
            reader.join(timeout=5)
    output = cut_tail(b"".join(tail).decode("utf-8", "replace"), OUTPUT_LIMIT, cut=dropped[0])
    problem = exec_error.read()
    if problem and outcome == "exited":
        return ProcResult(
            spec.id, "oserror", None, output, 0.0, f"cannot run {spec.cmd[0]}: {problem}"
        )
    code = proc.returncode if outcome == "exited" else None
    return ProcResult(spec.id, outcome, code, output, time.monotonic() - start, detail)


class _ExecError:
    """The reaper's report that the command could not be executed (the read end of a pipe
    it writes the OSError to; closed unwritten when the exec succeeded)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def read(self) -> str:
        if self.fd < 0:
            return ""
        try:
            os.set_blocking(self.fd, False)
            return os.read(self.fd, 4096).decode("utf-8", "replace")
        except OSError:
            return ""
        finally:
            os.close(self.fd)
            self.fd = -1


def run_many(
    specs: Sequence[ProcSpec],
    *,
    jobs: int,
    fail_fast: bool = False,
    is_failure: Callable[[ProcResult], bool] = lambda r: r.exit_code != 0,
    on_start: Callable[[ProcSpec], None] | None = None,
    on_finish: Callable[[ProcSpec, ProcResult], None] | None = None,
) -> list[ProcResult]:
    """Run specs with up to `jobs` at once; results in the order of `specs`. `on_start` and
    `on_finish` are called from the worker thread as each one starts and ends (so a person
    sees a check the moment it finishes, not when the slowest one does): they must be
    thread-safe."""
    cancel = threading.Event()

    def task(spec: ProcSpec) -> ProcResult:
        if on_start is not None and not cancel.is_set():
            on_start(spec)
        res = run_one(spec, cancel)
        if fail_fast and res.outcome != "cancelled" and is_failure(res):
            cancel.set()
        if on_finish is not None:
            on_finish(spec, res)
        return res

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(task, spec) for spec in specs]
        try:
            return [f.result() for f in futures]
        except KeyboardInterrupt:
            kill_all()  # the workers see it within 50 ms and return what they have
            done = [f.result() if not f.cancelled() else None for f in futures]
            raise ProcsInterrupted(done) from None
