"""The gate fast cache on real projects: unchanged inputs are answered from the cache (failures
stay failures, excerpts kept), every kind of input change re-runs, corrupt or tampered entries
are discarded with a warning, errors are never replayed."""

from __future__ import annotations

import json
import os
import stat
import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from conftest import commit_all, make_project, run_cli, run_nox, write

CACHE = Path("build/lanes/cache/gate-fast")


def gate(root: Path, *flags: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    r = run_cli(root, "gate", "fast", "--format", "json", "--stable-json", *flags, env=env)
    assert r.returncode in (0, 1), r.stderr
    doc: dict[str, Any] = json.loads(r.stdout)
    doc["_stderr"] = r.stderr
    return doc


def cached(doc: dict[str, Any]) -> dict[str, bool]:
    return {r["id"]: bool(r.get("cached")) for r in doc["results"]}


def status(doc: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["status"] for r in doc["results"]}


def set_checks(root: Path, checks: dict[str, Any]) -> None:
    data = tomllib.loads((root / "lanes.toml").read_text())
    data["gate"]["fast"]["checks"] = checks
    (root / "lanes.toml").write_text(tomli_w.dumps(data))
    commit_all(root, "checks")


def test_an_unchanged_tree_is_answered_from_the_cache_and_failures_stay_failures(
    tmp_path: Path,
) -> None:
    root = make_project(tmp_path, failing_test=True)
    first = gate(root)
    assert not any(cached(first).values())
    second = gate(root)
    assert all(cached(second).values())
    assert status(second) == status(first) and status(second)["pytest"] == "fail"
    pytest_first = next(r for r in first["results"] if r["id"] == "pytest")
    pytest_second = next(r for r in second["results"] if r["id"] == "pytest")
    assert pytest_second["excerpt"] == pytest_first["excerpt"] != ""  # the failure explained
    assert second["status"] == "fail"
    run_cli(root, "gate", "fast")  # text mode keeps durations: its excerpts have their own key
    text = run_cli(root, "gate", "fast").stdout
    assert "(cached: inputs unchanged)" in text


def test_every_kind_of_input_change_re_runs(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    gate(root)
    assert all(cached(gate(root)).values())
    # a working-tree change to a tracked file
    test = root / "tests" / "test_add.py"
    test.write_text(test.read_text() + "\n\ndef test_more() -> None:\n    assert True\n")
    assert not any(cached(gate(root)).values())
    assert all(cached(gate(root)).values())
    # the same change, committed: the staged blob is the same content, still cached
    commit_all(root, "more tests")
    assert all(cached(gate(root)).values())
    # an untracked file
    write(root, "sample/extra.py", '"""Extra."""\n')
    assert not any(cached(gate(root)).values())
    # --no-cache forces a run
    assert not any(cached(gate(root, "--no-cache")).values())
    assert all(cached(gate(root)).values())
    # our own output directory is not an input
    write(root, "build/unrelated.txt", "x")
    assert all(cached(gate(root)).values())


def test_inputs_globs_and_the_check_entry_scope_a_check(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    py = "{python}"
    set_checks(
        root,
        {
            "src": {"cmd": [py, "-c", "pass"], "inputs": ["sample/**"]},
            "tests": {"cmd": [py, "-c", "pass"], "inputs": ["tests/**"]},
        },
    )
    gate(root)
    write(root, "tests/test_two.py", "def test_two() -> None:\n    pass\n")
    assert cached(gate(root)) == {"src": True, "tests": False}
    # the check's own lanes.toml entry is part of its key
    set_checks(
        root,
        {
            "src": {"cmd": [py, "-c", "pass"], "inputs": ["sample/**"], "timeout": 99},
            "tests": {"cmd": [py, "-c", "pass"], "inputs": ["tests/**"]},
        },
    )
    assert cached(gate(root)) == {"src": False, "tests": True}


def test_a_changed_tool_re_runs(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    tool = bindir / "mytool"
    tool.write_text("#!/bin/sh\necho v1\n")
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    set_checks(root, {"tool": {"cmd": ["mytool"]}})
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}
    gate(root, env=env)
    assert cached(gate(root, env=env)) == {"tool": True}
    tool.write_text("#!/bin/sh\necho version 2\n")  # an upgrade of the tool
    assert cached(gate(root, env=env)) == {"tool": False}


def test_a_corrupt_or_tampered_entry_is_discarded_never_trusted(tmp_path: Path) -> None:
    root = make_project(tmp_path, failing_test=True)
    gate(root)
    entries = sorted((root / CACHE).glob("*.json"))
    assert len(entries) == 4
    # turn the cached failure into a pass, without the entry's own digest agreeing
    for path in entries:
        entry = json.loads(path.read_text())
        if entry["result"]["id"] == "pytest":
            entry["result"]["status"] = "pass"
            path.write_text(json.dumps(entry))
        elif entry["result"]["id"] == "mypy":
            path.write_text("{not json")
    doc = gate(root)
    assert status(doc)["pytest"] == "fail" and cached(doc)["pytest"] is False
    assert cached(doc)["mypy"] is False and cached(doc)["ruff-check"] is True
    assert doc["_stderr"].count("discarded a corrupt entry") == 2
    assert "'pytest'" in doc["_stderr"] and "'mypy'" in doc["_stderr"]
    again = gate(root)  # the re-run wrote fresh entries
    assert all(cached(again).values()) and again["_stderr"] == ""


def test_errors_and_timeouts_are_never_replayed(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    py = "{python}"
    set_checks(
        root,
        {
            "slow": {"cmd": [py, "-c", "import time; time.sleep(30)"], "timeout": 0.5},
            "gone": {"cmd": ["no-such-tool-xyz"]},
        },
    )
    gate(root)
    doc = gate(root)
    assert status(doc) == {"slow": "error", "gone": "error"}
    assert not any(cached(doc).values())
    assert not list((root / CACHE).glob("*.json"))


def test_a_lane_re_run_on_an_unchanged_tree_replays_gate_fast(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    assert run_nox(root, "-s", "gate-fast").returncode == 0
    assert run_nox(root, "-s", "gate-fast").returncode == 0
    doc = json.loads((root / "build" / "gate-fast.json").read_text())
    assert all(cached(doc).values()) and doc["status"] == "pass"


def test_the_cache_can_be_turned_off_in_lanes_toml(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    data = tomllib.loads((root / "lanes.toml").read_text())
    data["gate"]["fast"]["cache"] = False
    (root / "lanes.toml").write_text(tomli_w.dumps(data))
    commit_all(root, "no cache")
    gate(root)
    assert not any(cached(gate(root)).values())
    assert not (root / CACHE).exists()
