"""What a person sees while gate fast runs: the real CLI at a real terminal (a pty) and in a
pipe. Lines are read with the time they arrived, so the test sees whether a check's line was
printed when it finished or only when the slowest check did."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from helpers import commit_all, make_git_repo

from lane_tasks.console import decide

ESC = "\x1b"
CSI = "\x1b["
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
SLOW_S = 3.0


def py(code: str) -> list[str]:
    return ["{python}", "-c", code]


def repo(tmp_path: Path, checks: dict[str, str]) -> Path:
    """A git repository whose gate fast runs these Python one-liners."""
    root = make_git_repo(tmp_path / "repo")
    data: dict[str, Any] = {
        "lanes": {"quick": {"steps": ["gate-fast"]}},
        "gate": {"fast": {"checks": {cid: {"cmd": py(code)} for cid, code in checks.items()}}},
    }
    (root / "lanes.toml").write_text(tomli_w.dumps(data))
    (root / ".gitignore").write_text("/build/\n")
    commit_all(root)
    return root


def clean_env(**extra: str) -> dict[str, str]:
    """Our environment without the variables under test (the suite may itself run in CI)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CI", "NO_COLOR", "FORCE_COLOR", "LANE_TASKS_COLOR", "TERM")
    }
    return env | {"TERM": "xterm-256color"} | extra


def at_terminal(root: Path, *args: str, env: dict[str, str]) -> tuple[int, list[tuple[float, str]]]:
    """Run `lane-tasks <args>` with a pty as its stdin, stdout and stderr; every chunk it wrote
    with the seconds since start at which it was read."""
    leader, follower = pty.openpty()
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lane_tasks", *args],
        cwd=root,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
        close_fds=True,
    )
    os.close(follower)
    chunks: list[tuple[float, str]] = []
    try:
        while True:
            ready, _, _ = select.select([leader], [], [], 30)
            assert ready, "no output for 30 s"
            try:
                data = os.read(leader, 65536)
            except OSError:  # EIO: the last writer closed the terminal
                break
            if not data:
                break
            chunks.append((time.monotonic() - t0, data.decode("utf-8", "replace")))
    finally:
        os.close(leader)
        code = proc.wait(timeout=30)
    return code, chunks


def first_time(chunks: list[tuple[float, str]], pattern: str) -> float:
    """When the (escape-code free) text first matched `pattern`."""
    text = ""
    for when, chunk in chunks:
        text += chunk
        if re.search(pattern, _ANSI.sub("", text).replace("\r", "\n"), re.MULTILINE):
            return when
    raise AssertionError(f"{pattern!r} never printed:\n{text!r}")


def everything(chunks: list[tuple[float, str]]) -> str:
    return "".join(c for _, c in chunks)


@pytest.mark.e2e
def test_a_finished_check_is_printed_while_a_slow_one_still_runs(tmp_path: Path) -> None:
    root = repo(tmp_path, {"quick": "print('hi')", "slow": f"import time; time.sleep({SLOW_S})"})
    code, chunks = at_terminal(root, "gate", "fast", env=clean_env())
    out = everything(chunks)
    assert code == 0, out
    quick = first_time(chunks, r"^\s*PASS\s+quick\b")
    slow = first_time(chunks, r"^\s*PASS\s+slow\b")
    assert slow - quick > SLOW_S / 2, (quick, slow, out)
    # the live line, at a terminal: what still runs, for how long, how many are done
    live = first_time(chunks, r"slow \d+s · 1/2 done")
    assert live < slow, out
    assert CSI in out  # colour (and the redrawn live line) at a terminal
    # the final report repeats no passing line the terminal already showed
    assert len(re.findall(r"PASS\s+quick", _ANSI.sub("", out))) == 1, out
    assert "gate-fast: 2 pass / 0 fail / 0 error / 0 skip" in _ANSI.sub("", out)


@pytest.mark.e2e
def test_checks_finishing_together_at_a_terminal_never_hang(tmp_path: Path) -> None:
    """Many checks reporting from their threads while the live line redraws from its own:
    every line arrives and the run ends (a lock-order deadlock would hang here)."""
    ids = [f"c{i:02d}" for i in range(16)]
    root = repo(tmp_path, dict.fromkeys(ids, "import time; time.sleep(0.2)"))
    code, chunks = at_terminal(root, "gate", "fast", "--jobs", "8", env=clean_env())
    out = _ANSI.sub("", everything(chunks)).replace("\r", "\n")
    assert code == 0, out
    for cid in ids:
        assert re.search(rf"(?m)^\s*PASS\s+{cid}\b", out), (cid, out)


@pytest.mark.e2e
def test_no_color_at_a_terminal_prints_no_escape_codes(tmp_path: Path) -> None:
    root = repo(tmp_path, {"a": "pass", "b": "raise SystemExit(1)"})
    code, chunks = at_terminal(root, "gate", "fast", env=clean_env(NO_COLOR="1"))
    out = everything(chunks)
    assert code == 1, out
    assert ESC not in out, repr(out)
    assert re.search(r"(?m)^  FAIL  b\s+\d+\.\d\ds - exited with code 1\r?$", out), out


@pytest.mark.e2e
def test_ci_gives_plain_lines_without_cursor_movement(tmp_path: Path) -> None:
    root = repo(tmp_path, {"a": "pass", "b": "pass"})
    code, chunks = at_terminal(root, "gate", "fast", env=clean_env(CI="true"))
    out = everything(chunks)
    assert code == 0, out
    assert CSI not in out, repr(out)
    lines = out.replace("\r\n", "\n").splitlines()
    assert lines[0] == "lane-tasks gate-fast: running…"
    assert sorted(ln.split()[:2] for ln in lines[1:3]) == [["PASS", "a"], ["PASS", "b"]], out


def piped(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lane_tasks", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env=clean_env(**env),
        check=False,
    )


@pytest.mark.e2e
def test_colour_is_forced_or_refused_without_a_terminal(tmp_path: Path) -> None:
    root = repo(tmp_path, {"a": "pass"})
    fast = ("gate", "fast", "--format", "json")
    plain = piped(root, *fast)
    assert ESC not in plain.stderr and "PASS  a" in plain.stderr, plain.stderr
    forced = piped(root, *fast, FORCE_COLOR="1")
    assert CSI in forced.stderr, forced.stderr
    assert json.loads(forced.stdout)["status"] == "pass"  # stdout stays the artifact
    always = piped(root, "--color", "always", *fast, NO_COLOR="1")  # --color beats NO_COLOR
    assert CSI in always.stderr, always.stderr
    never = piped(root, "--color", "never", *fast, FORCE_COLOR="1")
    assert ESC not in never.stderr and ESC not in never.stdout, never.stderr
    for r in (forced, always):  # colour without a terminal never redraws a live line
        assert "\x1b[2K" not in r.stderr and "\x1b[?25l" not in r.stderr, r.stderr
        assert ESC not in r.stdout


@pytest.mark.e2e
def test_cached_checks_are_printed_at_once(tmp_path: Path) -> None:
    root = repo(tmp_path, {"a": "pass"})
    first = piped(root, "gate", "fast")
    assert first.returncode == 0, first.stdout + first.stderr
    again = piped(root, "gate", "fast")
    assert re.search(r"(?m)^  PASS  a \(cached\)$", again.stderr), again.stderr


def test_colour_choice_order() -> None:
    """--color (LANE_TASKS_COLOR) beats NO_COLOR, which beats FORCE_COLOR; CI and a pipe are
    plain; a live line needs a terminal outside CI."""
    on, off = (True, True), (False, False)
    cases = [
        ({}, True, on),
        ({}, False, off),
        ({"CI": "true"}, True, off),
        ({"NO_COLOR": "1"}, True, off),
        ({"NO_COLOR": ""}, True, on),
        ({"FORCE_COLOR": "1"}, False, (True, False)),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, True, off),
        ({"LANE_TASKS_COLOR": "always", "NO_COLOR": "1"}, False, (True, False)),
        ({"LANE_TASKS_COLOR": "always", "CI": "true"}, True, (True, False)),
        ({"LANE_TASKS_COLOR": "never", "FORCE_COLOR": "1"}, True, off),
        ({"TERM": "dumb"}, True, off),
    ]
    for env, isatty, want in cases:
        mode = decide(env, isatty)
        assert (mode.color, mode.live) == want, (env, isatty)


HOSTILE = (
    "import sys; sys.stdout.write('boom \\x1b(0lqqk\\x1b(B \\x9b31mred\\x9b0m \\x07 "
    "\\x1bP1$qm\\x1b\\\\ \\x1b_apc\\x1b\\\\ \\x08\\x7f \\x1b[2J tail\\n'); sys.exit(1)"
)


@pytest.mark.e2e
def test_tool_output_cannot_send_terminal_control_sequences(tmp_path: Path) -> None:
    """A failing tool's excerpt is printed in the report: charset switches (`ESC ( 0`), C1
    CSI (0x9b), DCS/APC strings, BEL and other controls never reach the terminal or CI log."""
    root = repo(tmp_path, {"hostile": HOSTILE})
    for args in (("gate", "fast"), ("gate", "fast", "--format", "json")):
        r = piped(root, *args)
        assert r.returncode == 1, r.stdout + r.stderr
        text = r.stdout + r.stderr
        assert "boom" in text and "tail" in text, text
        bad = [c for c in text if (ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F]
        assert not bad and "\\u001b" not in r.stdout, repr(text)


def test_a_closed_standard_stream_is_not_a_traceback(tmp_path: Path) -> None:
    """`lane-tasks gate fast >&-` (or `2>&-`, `<&-`) from a script or a service: the closed
    stream reads as /dev/null; the exit code stays what the gate found (an uncaught error
    would be exit 1 even where its traceback cannot be seen)."""
    root = repo(tmp_path, {"a": "pass"})
    lane = f"{shlex.quote(sys.executable)} -m lane_tasks gate fast --no-cache"
    for close in ("<&-", ">&-", "2>&-", "<&- >&- 2>&-"):
        r = subprocess.run(
            ["sh", "-c", f"{lane} {close}; echo rc=$?"],
            cwd=root,
            capture_output=True,
            text=True,
            env=clean_env(),
            check=False,
        )
        text = r.stdout + r.stderr
        assert "Traceback" not in text and r.stdout.rstrip().endswith("rc=0"), (close, text)
