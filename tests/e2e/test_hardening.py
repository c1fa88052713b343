"""Hardening on real projects: SIGINT/SIGTERM during a lane, two lanes at once, output paths
outside the repository, shell commands, secrets in the environment, huge tool output."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from helpers import Templates, commit_all, make_project, run_cli

SLEEPY = (
    "import subprocess, sys, time, pathlib\n"
    "child = subprocess.Popen(['sleep', '120'])\n"
    "pathlib.Path(sys.argv[1]).write_text(str(child.pid))\n"
    "time.sleep(120)\n"
)


def add_checks(root: Path, checks: dict[str, Any]) -> None:
    data = tomllib.loads((root / "lanes.toml").read_text())
    data["gate"]["fast"]["checks"].update(checks)
    (root / "lanes.toml").write_text(tomli_w.dumps(data))
    commit_all(root, "checks")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purposes (its parent reaps it)
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ", 1)[1].startswith("Z"))


def wait_for(path: Path, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not (path.exists() and path.read_text().strip()):
        assert time.monotonic() < end, f"{path} never appeared"
        time.sleep(0.05)


def history(root: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(root / "build" / "lanes" / "history.sqlite")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.fixture
def sample(templates: Templates, tmp_path: Path) -> Path:
    """A copy of make_project's project (in tmp_path, which stays the test's own)."""
    return templates.copy("hardening-sample", make_project, tmp_path)


# ---- interrupts -------------------------------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_lane_stops_every_tool_and_keeps_partial_artifacts(
    sample: Path, tmp_path: Path, sig: signal.Signals
) -> None:
    root = sample
    marker = tmp_path / "grandchild.pid"
    add_checks(root, {"sleepy": {"cmd": ["{python}", "-c", SLEEPY, str(marker)], "timeout": 300}})
    proc = subprocess.Popen(
        [sys.executable, "-m", "nox", "-s", "startup"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    wait_for(marker)
    grandchild = int(marker.read_text())
    time.sleep(2)  # the run has been going for 2 s when it is stopped
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, out
    assert "Traceback" not in out
    assert not alive(grandchild), "a tool's child outlived the interrupt"

    doc = json.loads((root / "build" / "gate-fast.json").read_text())
    assert (doc["status"], doc["reason"]) == ("error", "interrupted")
    sleepy = next(r for r in doc["results"] if r["id"] == "sleepy")
    assert (sleepy["status"], sleepy["message"]) == ("error", "stopped: interrupted")
    assert not (root / "build" / "release-preflight.json").exists()  # the lane stopped there
    (run_dir,) = (root / "build" / "lanes" / "runs").iterdir()
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["run"]["state"] == "interrupted" and manifest["status"] == "error"
    # the run's own duration (from its start, not from its first artifact, written at the stop)
    assert manifest["run"]["duration_s"] >= 2.0
    (listed,) = json.loads(run_cli(root, "runs", "list", "--format", "json").stdout)
    assert (listed["status"], listed["duration_s"]) == (
        "interrupted",
        manifest["run"]["duration_s"],
    )
    assert (run_dir / "gate-fast.json").read_bytes() == (
        root / "build" / "gate-fast.json"
    ).read_bytes()
    assert history(root, "SELECT status, state FROM runs") == [("error", "interrupted")]
    # an interrupted run is never replayed from the cache
    assert not any((root / "build" / "lanes" / "cache" / "gate-fast").glob("*.json"))


@pytest.mark.e2e
def test_an_interrupted_cli_step_exits_130_with_its_artifact(sample: Path, tmp_path: Path) -> None:
    root = sample
    marker = tmp_path / "grandchild.pid"
    add_checks(root, {"sleepy": {"cmd": ["{python}", "-c", SLEEPY, str(marker)], "timeout": 300}})
    proc = subprocess.Popen(
        [sys.executable, "-m", "lane_tasks", "gate", "fast", "--format", "json", "--out",
         "build/gate-fast.json"],
        cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    wait_for(marker)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert not alive(int(marker.read_text()))
    doc = json.loads((root / "build" / "gate-fast.json").read_text())
    assert doc["reason"] == "interrupted"
    assert history(root, "SELECT source, status, state FROM runs") == [
        ("cli", "error", "interrupted")
    ]


# ---- concurrency ------------------------------------------------------------------------------


@pytest.mark.e2e
def test_two_lanes_at_once_both_complete_and_the_top_level_is_one_run(sample: Path) -> None:
    root = sample
    data = tomllib.loads((root / "lanes.toml").read_text())
    data["gate"]["release"] = {"offline": True}
    (root / "lanes.toml").write_text(tomli_w.dumps(data))
    add_checks(root, {"slow": {"cmd": ["{python}", "-c", "import time; time.sleep(2)"]}})
    # each lane writes to a file: read one pipe after the other, and the lane holding the
    # gate release lock blocks on its full pipe while the one being read waits for that lock
    logs = [root.parent / f"lane-{i}.log" for i in range(2)]
    procs = []
    for log in logs:
        with log.open("w", encoding="utf-8") as out:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "nox", "-s", "startup"],
                    cwd=root,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
            )
    for proc in procs:
        proc.wait(timeout=300)
    outs = [log.read_text(encoding="utf-8") for log in logs]
    assert [p.returncode for p in procs] == [0, 0], outs
    runs = sorted((root / "build" / "lanes" / "runs").iterdir())
    assert len(runs) == 2
    copies: dict[str, dict[str, str]] = {}
    for run in runs:
        manifest = json.loads((run / "manifest.json").read_text())
        assert manifest["run"]["state"] == "complete" and manifest["status"] == "pass"
        names = {a["path"] for a in manifest["artifacts"] if "/" not in a["path"]}
        assert names == {"gate-fast.json", "release-preflight.json", "doctor.json", "controls.json"}
        kept = {a["path"] for a in manifest["artifacts"]} - names  # gate fast's logs, reports
        assert "gate-release/sbom.cdx.json" in kept  # and gate release's SBOM
        assert all(n.startswith("gate-fast/") for n in kept - {"gate-release/sbom.cdx.json"})
        for a in manifest["artifacts"]:
            digest = hashlib.sha256((run / a["path"]).read_bytes()).hexdigest()
            assert digest == a["sha256"]
        copies[run.name] = {a["path"]: a["sha256"] for a in manifest["artifacts"]}
    top = {
        name: hashlib.sha256((root / "build" / name).read_bytes()).hexdigest()
        for name in ("gate-fast.json", "release-preflight.json", "doctor.json", "controls.json")
    }
    owners = {rid for rid, files in copies.items() if all(files[n] == d for n, d in top.items())}
    assert len(owners) == 1, "the top-level artifacts mix two runs"
    rows = history(root, "SELECT run_id, status, state FROM runs ORDER BY run_id")
    assert [(r[1], r[2]) for r in rows] == [("pass", "complete")] * 2
    assert history(root, "SELECT count(*) FROM steps") == [(8,)]
    owner = json.loads((root / "build" / "lanes" / "top-level.json").read_text())
    assert owner["run_id"] in owners and owner["active"] is False  # released at exit


# ---- output paths -----------------------------------------------------------------------------


def test_out_outside_the_repository_is_refused_unless_allowed(sample: Path, tmp_path: Path) -> None:
    root = sample
    outside = tmp_path / "elsewhere.json"
    for args in (
        ("gate", "fast", "--format", "json", "--out", str(outside)),
        ("doctor", "--out", "../elsewhere.json"),
        ("history", "export", "--out", str(outside)),
        ("dashboard", "--out", str(outside)),
    ):
        r = run_cli(root, *args)
        assert r.returncode == 2, (args, r.stderr)
        assert "--out: " in r.stderr and "outside the repository" in r.stderr
        assert "--allow-outside-root" in r.stderr and "Traceback" not in r.stderr
        assert not outside.exists()
    r = run_cli(root, "doctor", "--format", "json", "--out", str(outside), "--allow-outside-root")
    assert r.returncode == 0 and json.loads(outside.read_text())["step"] == "doctor"


def test_out_through_a_symlink_out_of_the_repository_is_refused(
    sample: Path, tmp_path: Path
) -> None:
    root = sample
    target = tmp_path / "target"
    target.mkdir()
    (root / "out").mkdir(exist_ok=True)
    (root / "out" / "link").symlink_to(target)
    (root / "out" / "file.json").symlink_to(tmp_path / "victim.json")
    for out in ("out/link/doctor.json", "out/file.json"):
        r = run_cli(root, "doctor", "--format", "json", "--out", out)
        assert r.returncode == 2, r.stderr
        assert "through a symlink" in r.stderr
    assert not list(target.iterdir()) and not (tmp_path / "victim.json").exists()
    # in the artifacts directory, such a symlink is refused before anything runs
    (root / "build").mkdir(exist_ok=True)
    (root / "build" / "link").symlink_to(target)
    r = run_cli(root, "doctor", "--format", "json", "--out", "build/doctor.json")
    assert r.returncode == 3 and "build/link is a symlink" in r.stderr, r.stderr
    assert not list(target.iterdir())
    (root / "build" / "link").unlink()
    # a symlink that stays inside is fine
    (root / "build" / "inside").symlink_to(root / "build")
    assert (
        run_cli(root, "doctor", "--format", "json", "--out", "build/inside/d.json").returncode == 0
    )


# ---- commands, secrets, output size -----------------------------------------------------------


@pytest.mark.e2e
def test_a_string_command_needs_shell_true_which_doctor_flags(sample: Path) -> None:
    root = sample
    data = tomllib.loads((root / "lanes.toml").read_text())
    data["gate"]["fast"]["checks"]["piped"] = {"cmd": "echo one | wc -l && exit 3"}
    (root / "lanes.toml").write_text(tomli_w.dumps(data))
    r = run_cli(root, "gate", "fast")
    assert r.returncode == 2 and "gate.fast.checks.piped.cmd: must be an argv list" in r.stderr
    assert "shell = true" in r.stderr
    data["gate"]["fast"]["checks"]["piped"]["shell"] = True
    (root / "lanes.toml").write_text(tomli_w.dumps(data))
    commit_all(root, "a shell check")
    r = run_cli(root, "gate", "fast", "--format", "json", "--check", "piped")
    piped = json.loads(r.stdout)["results"][0]
    assert (piped["status"], piped["exit_code"]) == ("fail", 3)
    assert piped["excerpt"] == "1"  # the pipe ran in /bin/sh
    d = json.loads(run_cli(root, "doctor", "--format", "json").stdout)
    flag = next(x for x in d["results"] if x["id"] == "no-shell-commands")
    assert (flag["status"], flag["severity"]) == ("fail", "warning")
    assert "gate.fast.checks.piped" in flag["message"]


@pytest.mark.e2e
def test_secret_environment_values_are_redacted_from_every_artifact(sample: Path) -> None:
    root = sample
    secret = "s3cr3t-VALUE-4242"
    code = "import os; print('token is', os.environ['DEPLOY_API_TOKEN']); raise SystemExit(1)"
    add_checks(root, {"leaky": {"cmd": ["{python}", "-c", code]}})
    env = {**os.environ, "DEPLOY_API_TOKEN": secret}
    outputs = []
    for fmt in ("json", "sarif", "junit", "text"):
        r = run_cli(root, "gate", "fast", "--format", fmt, "--check", "leaky", env=env)
        assert r.returncode == 1, r.stderr
        outputs.append(r.stdout)
    r = run_cli(root, "gate", "release", "--offline", "--format", "json", env=env)
    outputs.append(r.stdout)
    for text in outputs:
        assert secret not in text
    assert "token is ***" in json.loads(outputs[0])["results"][0]["excerpt"]


@pytest.mark.e2e
def test_huge_tool_output_is_bounded_in_memory_and_in_the_artifact(sample: Path) -> None:
    root = sample
    code = (
        "import sys\nline = 'x' * 1023 + '\\n'\nfor _ in range(300 * 1024): sys.stdout.write(line)"
    )
    add_checks(root, {"loud": {"cmd": ["{python}", "-c", code]}})
    script = (
        "import resource, subprocess, sys\n"
        "r = subprocess.run([sys.executable, '-m', 'lane_tasks', 'gate', 'fast', '--format',"
        " 'json', '--check', 'loud', '--out', 'build/gate-fast.json'], capture_output=True)\n"
        "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True
    )
    code_, maxrss_kib = map(int, r.stdout.split())
    assert code_ == 0
    assert maxrss_kib < 150 * 1024, f"300 MB of output took {maxrss_kib} KiB"
    doc = json.loads((root / "build" / "gate-fast.json").read_text())
    assert (root / "build" / "gate-fast.json").stat().st_size < 64 * 1024
    assert doc["results"][0]["status"] == "pass"


@pytest.mark.e2e
def test_the_lanes_own_process_id_does_not_leak_into_the_tools(sample: Path) -> None:
    """A tool that runs lane-tasks itself (this repository's pytest does) must not look like
    part of the nox run that started it."""
    root = sample
    code = "import os, sys; sys.exit('LANE_TASKS_NOX_PID' in os.environ)"
    add_checks(root, {"env": {"cmd": ["{python}", "-c", code]}})
    r = subprocess.run(
        [sys.executable, "-m", "nox", "-s", "gate-fast"], cwd=root, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stdout + r.stderr
