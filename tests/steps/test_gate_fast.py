"""gate fast on real projects: real ruff, mypy, pytest and nox subprocesses."""

from __future__ import annotations

import json
import sys
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from helpers import (
    Templates,
    commit_all,
    make_git_repo,
    make_project,
    run_cli,
    run_nox,
    validate_artifact,
)


def planted_project(templates: Templates, tmp_path: Path, planted: str) -> Path:
    """`make_project(tmp_path, lint_error=True)` or `(…, failing_test=True)`: a copy of one
    built per test process (each is shared by two tests)."""
    assert planted in ("lint_error", "failing_test"), planted
    build = partial(
        make_project,
        lint_error=planted == "lint_error",
        failing_test=planted == "failing_test",
    )
    return templates.copy(f"gate-fast-{planted.replace('_', '-')}", build, tmp_path)


def result(doc: dict[str, Any], check_id: str) -> dict[str, Any]:
    return next(r for r in doc["results"] if r["id"] == check_id)


def checks_repo(tmp_path: Path, checks: dict[str, dict[str, Any]], **gate: Any) -> Path:
    """A git repo whose lanes.toml has one lane running only gate-fast with these checks."""
    root = make_git_repo(tmp_path / "repo")
    data: dict[str, Any] = {
        "lanes": {"quick": {"steps": ["gate-fast"]}},
        "gate": {"fast": {"checks": checks, **gate}},
    }
    (root / "lanes.toml").write_text(tomli_w.dumps(data))
    (root / ".gitignore").write_text("/build/\n")
    commit_all(root)
    return root


def py(code: str) -> list[str]:
    return ["{python}", "-c", code]


def gate(root: Path, *args: str) -> tuple[int, dict[str, Any]]:
    r = run_cli(root, "gate", "fast", "--format", "json", "--out", "build/gate-fast.json", *args)
    assert "Traceback" not in r.stderr, r.stderr
    doc = json.loads((root / "build" / "gate-fast.json").read_text())
    validate_artifact(doc)
    return r.returncode, doc


# ---- the canonical path through nox on a generated project ---------------------------------


@pytest.mark.e2e
def test_clean_project_passes_through_nox(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    r = run_nox(root, "-s", "gate-fast", "doctor")
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads((root / "build" / "gate-fast.json").read_text())
    validate_artifact(doc)
    assert doc["status"] == "pass"
    assert [x["id"] for x in doc["results"]] == ["ruff-check", "ruff-format", "mypy", "pytest"]
    assert doc["summary"] == {"pass": 4, "fail": 0, "error": 0, "skip": 0}
    assert doc["subject"]["commit"] == commit_of(root)
    assert doc["subject"]["dirty"] is False


def commit_of(root: Path) -> str:
    from helpers import git

    return git(root, "rev-parse", "HEAD")


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("planted", "check_id", "needle"),
    [("lint_error", "ruff-check", "F401"), ("failing_test", "pytest", "assert 3 == 5")],
)
def test_planted_failure_fails_and_is_named(
    templates: Templates, tmp_path: Path, planted: str, check_id: str, needle: str
) -> None:
    root = planted_project(templates, tmp_path, planted)
    r = run_nox(root, "-s", "gate-fast", "doctor")
    assert r.returncode != 0
    doc = json.loads((root / "build" / "gate-fast.json").read_text())
    validate_artifact(doc)
    assert doc["status"] == "fail"
    failed = [x["id"] for x in doc["results"] if x["status"] == "fail"]
    assert failed == [check_id]
    res = result(doc, check_id)
    assert needle in res["excerpt"]
    assert res["fix"] and res["exit_code"] not in (0, None)
    # gate-fast failed: doctor, after it on the command line, never ran
    assert not (root / "build" / "doctor.json").exists()


@pytest.mark.e2e
def test_failed_gate_fast_aborts_the_rest_of_the_lane(templates: Templates, tmp_path: Path) -> None:
    root = planted_project(templates, tmp_path, "lint_error")
    r = run_nox(root, "-s", "startup")
    assert r.returncode != 0
    out = r.stdout + r.stderr
    assert "Session gate-fast failed" in out
    for later in ("release-preflight.json", "doctor.json", "controls.json"):
        assert not (root / "build" / later).exists(), later
    runs = json.loads(run_cli(root, "runs", "list", "--format", "json").stdout)
    assert len(runs) == 1
    assert runs[0]["lane"] == "startup"
    assert runs[0]["steps"] == {"gate-fast": "fail"}


@pytest.mark.e2e
def test_two_stable_runs_are_byte_identical(templates: Templates, tmp_path: Path) -> None:
    """Two runs that ran their checks give the same bytes; so do two answered from the cache,
    which differ from a fresh run only by each result's `cached: true` (provenance, kept)."""
    root = planted_project(templates, tmp_path, "failing_test")
    outs = []
    for flags in (["--no-cache"], ["--no-cache"], [], []):
        r = run_cli(root, "gate", "fast", "--format", "json", "--stable-json", *flags)
        assert r.returncode == 1
        outs.append(r.stdout)
    assert outs[0] == outs[1]
    assert outs[2] == outs[3] != outs[0]
    fresh, replayed = json.loads(outs[0]), json.loads(outs[2])
    for r in replayed["results"]:
        assert r.pop("cached") is True
    assert replayed == fresh
    doc = json.loads(outs[0])
    assert "run" not in doc
    assert all("duration_s" not in x for x in doc["results"])
    assert "assert 3 == 5" in result(doc, "pytest")["excerpt"]  # still explains the failure
    assert str(root) not in outs[0]  # paths are relative to the repository


@pytest.mark.e2e
def test_unstable_run_has_run_block_and_durations(tmp_path: Path) -> None:
    root = checks_repo(tmp_path, {"ok": {"cmd": py("pass")}})
    code, doc = gate(root)
    assert code == 0
    assert doc["run"]["started_at"]
    assert result(doc, "ok")["duration_s"] >= 0


# ---- process handling ---------------------------------------------------------------------


@pytest.mark.e2e
def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"
    code = (
        "import subprocess, sys, time\n"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        f"open({str(pidfile)!r}, 'w').write(str(p.pid))\n"
        "print('started', flush=True)\n"
        "time.sleep(120)\n"
    )
    root = checks_repo(tmp_path, {"sleepy": {"cmd": py(code), "timeout": 1.5}})
    exit_code, doc = gate(root)
    assert exit_code == 1
    res = result(doc, "sleepy")
    assert res["status"] == "error"
    assert "timeout" in res["message"]
    assert res["exit_code"] is None
    assert "started" in res["excerpt"]
    assert not alive(int(pidfile.read_text()))


def alive(pid: int) -> bool:
    """Running, as opposed to gone or a zombie waiting for a reaper (killed all the same)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.e2e
def test_missing_tool_is_an_environment_error(tmp_path: Path) -> None:
    root = checks_repo(tmp_path, {"ghost": {"cmd": ["no-such-tool-xyz", "--check"]}})
    exit_code, doc = gate(root)
    assert exit_code == 3
    res = result(doc, "ghost")
    assert res["status"] == "error"
    assert "no-such-tool-xyz" in res["message"]
    assert res["error_kind"] == "environment"


@pytest.mark.e2e
def test_missing_python_module_is_an_environment_error(tmp_path: Path) -> None:
    root = checks_repo(tmp_path, {"ghost": {"cmd": ["{python}", "-m", "no_such_module_xyz"]}})
    exit_code, doc = gate(root)
    assert exit_code == 3
    assert "no_such_module_xyz" in result(doc, "ghost")["message"]


@pytest.mark.e2e
def test_fail_and_missing_tool_together_exit_1(tmp_path: Path) -> None:
    root = checks_repo(
        tmp_path,
        {"ghost": {"cmd": ["no-such-tool-xyz"]}, "bad": {"cmd": py("raise SystemExit(4)")}},
    )
    exit_code, doc = gate(root)
    assert exit_code == 1
    assert result(doc, "bad")["exit_code"] == 4


@pytest.mark.e2e
def test_secrets_are_redacted_and_ansi_stripped(tmp_path: Path) -> None:
    code = (
        "import os\n"
        "print('\\x1b[31mred error\\x1b[0m')\n"
        "print('value', os.environ['DEPLOY_TOKEN'])\n"
        "print('password=' + 'hunter2' * 2)\n"
        "print('token ghp_' + 'a' * 36)\n"
        "print('url https://bob:s3cr3tpw@example.org/x')\n"
        "raise SystemExit(1)\n"
    )
    root = checks_repo(
        tmp_path, {"leaky": {"cmd": py(code), "env": {"DEPLOY_TOKEN": "tok-9f8e7d6c5b4a"}}}
    )
    _, doc = gate(root, "--stable-json")
    raw = (root / "build" / "gate-fast.json").read_text()
    for secret in ("tok-9f8e7d6c5b4a", "hunter2hunter2", "ghp_aaaa", "s3cr3tpw"):
        assert secret not in raw, secret
    excerpt = result(doc, "leaky")["excerpt"]
    assert "\x1b" not in excerpt
    assert "red error" in excerpt
    assert "***" in excerpt
    assert "bob:***@example.org" in excerpt


@pytest.mark.e2e
def test_checks_run_in_parallel(tmp_path: Path) -> None:
    """Both checks are alive at the same time: each waits until it sees the other's file."""
    code = (
        "import pathlib, sys, time\n"
        "me, other = sys.argv[1], sys.argv[2]\n"
        "pathlib.Path(me).touch()\n"
        "deadline = time.time() + 20\n"
        "while not pathlib.Path(other).exists():\n"
        "    if time.time() > deadline: raise SystemExit('never saw ' + other)\n"
        "    time.sleep(0.02)\n"
    )
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    root = checks_repo(
        tmp_path,
        {"one": {"cmd": [*py(code), a, b]}, "two": {"cmd": [*py(code), b, a]}},
    )
    exit_code, doc = gate(root, "--jobs", "2")
    assert exit_code == 0, doc


@pytest.mark.e2e
def test_fail_fast_stops_the_other_checks(tmp_path: Path) -> None:
    root = checks_repo(
        tmp_path,
        {
            "broken": {"cmd": py("raise SystemExit(1)")},
            "slow": {"cmd": py("import time; time.sleep(60)"), "timeout": 120},
        },
    )
    exit_code, doc = gate(root, "--fail-fast", "--jobs", "2")
    assert exit_code == 1
    assert result(doc, "broken")["status"] == "fail"
    slow = result(doc, "slow")
    assert slow["status"] == "error"
    assert "fail-fast" in slow["message"]


@pytest.mark.e2e
def test_check_env_and_cwd_are_used(tmp_path: Path) -> None:
    code = (
        "import os, sys\n"
        "sys.exit(0 if os.environ['MODE'] == 'ci' and os.getcwd().endswith('sub') else 1)"
    )
    root = checks_repo(tmp_path, {"envy": {"cmd": py(code), "env": {"MODE": "ci"}, "cwd": "sub"}})
    (root / "sub").mkdir()
    exit_code, _ = gate(root)
    assert exit_code == 0


@pytest.mark.e2e
def test_only_selected_checks_and_unknown_check(tmp_path: Path) -> None:
    root = checks_repo(
        tmp_path, {"a": {"cmd": py("pass")}, "b": {"cmd": py("raise SystemExit(1)")}}
    )
    exit_code, doc = gate(root, "--check", "a")
    assert exit_code == 0
    assert [x["id"] for x in doc["results"]] == ["a"]
    r = run_cli(root, "gate", "fast", "--check", "aa")
    assert r.returncode == 2
    assert "did you mean 'a'" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


@pytest.mark.e2e
def test_text_output_names_failures_and_fix(tmp_path: Path) -> None:
    root = checks_repo(
        tmp_path, {"bad": {"cmd": py("print('boom'); raise SystemExit(2)"), "owner": "qa"}}
    )
    r = run_cli(root, "gate", "fast")
    assert r.returncode == 1
    assert "FAIL  bad" in r.stdout
    assert "owner=qa" in r.stdout
    assert "boom" in r.stdout
    assert "fix [bad]" in r.stdout


@pytest.mark.e2e
def test_huge_output_is_bounded(tmp_path: Path) -> None:
    code = "import sys\nfor i in range(200000): print('line', i)\nsys.exit(1)"
    root = checks_repo(tmp_path, {"loud": {"cmd": py(code)}})
    _, doc = gate(root)
    exc = result(doc, "loud")["excerpt"]
    assert "line 199999" in exc
    assert len(exc) <= 8001
    assert (root / "build" / "gate-fast.json").stat().st_size < 50_000


@pytest.mark.e2e
def test_lane_tasks_runs_the_same_interpreter_for_python_placeholder(tmp_path: Path) -> None:
    code = f"import sys; sys.exit(0 if sys.executable == {sys.executable!r} else 1)"
    root = checks_repo(tmp_path, {"same": {"cmd": py(code)}})
    exit_code, _ = gate(root)
    assert exit_code == 0
