"""The reproducible-build control (lane_tasks.controls.reproducible_build): it reads the evidence
of gate release's `reproducible` check (tests/steps/test_release_reproducible.py) in a lane's run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomli_w
from helpers import commit_all, make_project, run_cli

from lane_tasks.evidence.store import new_run_id


def lane_project(tmp_path: Path, **release: object) -> Path:
    """A project whose one lane runs gate release and has the reproducible-build control."""
    root = make_project(tmp_path)
    data = {
        "project": {"release_owners": ["lead@example.org"], "artifacts_dir": "build"},
        "lanes": {"audit": {"steps": ["gate-release"], "controls": ["reproducible-build"]}},
        "gate": {
            "release": {
                "offline": True,
                **release,
                "disable": {"gate-fast-evidence": "this lane has no gate fast"},
            }
        },
    }
    (root / "lanes.toml").write_text(tomli_w.dumps(data))
    commit_all(root, "lanes")
    return root


def verify(root: Path) -> dict[str, object]:
    run_id = new_run_id()
    r = run_cli(root, "gate", "release", "--offline", "--format", "json", "-q",
                "--run-id", run_id, "--lane", "audit")  # fmt: skip
    assert r.returncode in (0, 1), r.stderr
    r = run_cli(root, "controls", "verify", "--lane", "audit", "--format", "json",
                "--run-id", run_id)  # fmt: skip
    assert "Traceback" not in r.stderr, r.stderr
    doc = json.loads(r.stdout)
    (result,) = doc["results"]
    return dict(result)


@pytest.mark.e2e
def test_the_control_passes_on_a_rebuild_the_lane_asked_for(tmp_path: Path) -> None:
    result = verify(lane_project(tmp_path))
    assert result["status"] == "pass", result
    assert "rebuilt identically for" in str(result["message"])
    assert "sample-0.1.0-py3-none-any.whl" in str(result["message"])


@pytest.mark.e2e
def test_the_control_fails_when_the_rebuild_was_turned_off(tmp_path: Path) -> None:
    result = verify(lane_project(tmp_path, reproducible=False))
    assert result["status"] == "fail", result
    assert str(result["message"]).startswith("the reproducible check did not pass (skip)")
