"""Nothing a check starts outlives it: background children, setsid escapees and the checks
of a lane-tasks that was killed with SIGKILL all end (issue 12 part 12). Real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from lane_tasks.util.procs import REAPED, ProcSpec, run_one

pytestmark = pytest.mark.skipif(not REAPED, reason="Linux only: elsewhere nothing changed")


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat.rsplit(b")", 1)[1].split()[0] != b"Z"


def _gone(pids: list[int], within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while any(_alive(p) for p in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _pid(path: Path, within: float = 10.0) -> int:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        text = path.read_text().strip() if path.exists() else ""
        if text.isdigit():
            return int(text)
        time.sleep(0.05)
    raise AssertionError(f"{path} never got a pid")


def test_background_child_is_ended_with_check(tmp_path: Path) -> None:
    start = time.monotonic()
    r = run_one(
        ProcSpec(id="bg", cmd=("sh", "-c", "sleep 300 & echo $!"), cwd=tmp_path, timeout=60)
    )
    assert (r.outcome, r.exit_code) == ("exited", 0)
    assert time.monotonic() - start < 5
    pid = int(r.output.strip())
    assert _gone([pid]), f"background child {pid} outlived its passing check"


def test_setsid_descendant_is_ended(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    script = f"setsid sh -c 'echo $$ > \"{pidfile}\"; exec sleep 300' & sleep 0.5"
    start = time.monotonic()
    r = run_one(ProcSpec(id="setsid", cmd=("sh", "-c", script), cwd=tmp_path, timeout=60))
    elapsed = time.monotonic() - start
    assert (r.outcome, r.exit_code) == ("exited", 0), r.output
    assert elapsed < 5, f"{elapsed:.1f} s: waited on the pipe the escapee inherited"
    pid = _pid(pidfile)
    assert _gone([pid]), f"setsid descendant {pid} outlived its check"


def test_timed_out_check_ends_its_setsid_descendant(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    script = f"setsid sh -c 'echo $$ > \"{pidfile}\"; exec sleep 300' & sleep 300"
    r = run_one(ProcSpec(id="t", cmd=("sh", "-c", script), cwd=tmp_path, timeout=1.5))
    assert r.outcome == "timeout"
    assert _gone([_pid(pidfile)])


def test_exec_failure_is_still_an_oserror(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-program"
    bad.write_bytes(b"\x00\x01 not an executable format")
    bad.chmod(0o755)
    r = run_one(ProcSpec(id="bad", cmd=(str(bad),), cwd=tmp_path, timeout=10))
    assert r.outcome == "oserror" and "Exec format error" in r.detail
    r = run_one(ProcSpec(id="sig", cmd=("sh", "-c", "kill -TERM $$"), cwd=tmp_path, timeout=10))
    assert (r.outcome, r.exit_code) == ("exited", -signal.SIGTERM)


PARENT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from lane_tasks.util.procs import ProcSpec, run_many
    d = Path(sys.argv[1])
    specs = [
        ProcSpec(id=f"c{i}", cwd=d, timeout=600, cmd=("sh", "-c", script % (d / f"p{i}")))
        for i, script in enumerate([
            'echo $$ > "%s"; exec sleep 300',
            'sleep 300 & echo $! > "%s"; wait',
            "setsid sh -c 'echo $$ > \\"%s\\"; exec sleep 300' & wait",
        ])
    ]
    run_many(specs, jobs=3)
    """
)


@pytest.mark.e2e
def test_checks_die_with_killed_parent(tmp_path: Path) -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(tmp_path)])
    try:
        pids = [_pid(tmp_path / f"p{i}") for i in range(3)]
        assert all(_alive(p) for p in pids)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        assert _gone(pids), [p for p in pids if _alive(p)]
    finally:
        parent.kill()
        parent.wait()
