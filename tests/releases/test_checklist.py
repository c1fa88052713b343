"""`lane-tasks release checklist`: the evidence that each checklist item of a version cut was done,
and the release-checklist-evidence control that holds every release tag to it: real projects,
real runs, real git."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers import (
    AUDIT_OWNER,
    Templates,
    audit_control,
    audit_lanes,
    audit_project,
    commit_all,
    git,
    make_project,
    run_cli,
    validate_artifact,
)

from lane_tasks.evidence.store import new_run_id


@pytest.fixture
def sample(templates: Templates, tmp_path: Path) -> Path:
    """A copy of make_project's project (init's lanes)."""
    return templates.copy("sample", make_project, tmp_path)


def step(root: Path, run_id: str, *args: str) -> None:
    r = run_cli(root, *args, "--format", "json", "--run-id", run_id, "--lane", "audit", "-q")
    assert r.returncode in (0, 1), r.stderr


def gates_run(root: Path) -> str:
    """A run of the audit lane's first two steps (gate fast, gate release); doctor not yet."""
    run_id = new_run_id()
    step(root, run_id, "gate", "fast", "--stable-json")
    step(root, run_id, "gate", "release", "--offline", "--out", "build/release-preflight.json")
    return run_id


def _gated(d: Path) -> tuple[Path, str, str]:
    root = audit_project(d)
    decided = git(root, "rev-parse", "HEAD")
    return root, decided, gates_run(root)


@pytest.fixture
def gated(templates: Templates, tmp_path: Path) -> tuple[Path, str, str]:
    """A copy of helpers.audit_project's project (its HEAD) with a run in which gate fast and
    gate release ran."""
    return templates.copy("checklist-gated", _gated, tmp_path)


def decide_go(root: Path, version: str) -> None:
    r = run_cli(root, "release", "decide", "--version", version, "--decision", "go",
                "--owner", AUDIT_OWNER)  # fmt: skip
    assert r.returncode == 0, r.stderr


def checklist(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(root, "release", "checklist", *args)


@pytest.mark.e2e
def test_checklist_from_a_run_and_the_control_detects_tampering(
    gated: tuple[Path, str, str],
) -> None:
    root, decided, run_id = gated
    step(root, run_id, "doctor")  # the lane's last step, in the same run
    decide_go(root, "0.1.0")
    r = checklist(root, "--version", "v0.1.0")
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"from run {run_id}: 4/4 items done" in r.stdout
    rel = Path("release-evidence/releases/0.1.0")
    doc = json.loads((root / rel / "checklist.json").read_text())
    validate_artifact(doc)
    assert (doc["version"], doc["commit"], doc["run_id"]) == ("0.1.0", decided, run_id)
    items = {i["id"]: i for i in doc["items"]}
    assert list(items) == ["gate-fast", "gate-release", "doctor", "decision"]
    assert all(i["done"] for i in items.values()), items
    assert items["gate-fast"]["evidence"]["path"] == f"{rel}/evidence/gate-fast.json"
    assert items["gate-release"]["evidence"]["path"] == f"{rel}/evidence/release-preflight.json"
    assert items["decision"]["evidence"]["path"] == f"{rel}/evidence/decision.json"
    kept = root / "build" / "lanes" / "runs" / run_id / "doctor.json"
    assert (root / rel / "evidence" / "doctor.json").read_bytes() == kept.read_bytes()
    assert items["decision"]["note"] == f"go by {AUDIT_OWNER}"

    res = audit_control(root, "release-checklist-evidence")
    assert res["status"] == "pass" and "no release tags" in res["message"]
    commit_all(root, "release 0.1.0: evidence")
    git(root, "tag", "v0.1.0", decided)
    res = audit_control(root, "release-checklist-evidence")
    assert res["status"] == "pass", res
    assert "v0.1.0" in res["message"]

    copy = root / rel / "evidence" / "release-preflight.json"
    original = copy.read_bytes()
    copy.write_bytes(original.replace(b'"pass"', b'"pas5"', 1))
    res = audit_control(root, "release-checklist-evidence")
    assert res["status"] == "fail"
    assert "item 'gate-release'" in res["message"] and "tampered" in res["message"]
    assert res["fix"] and "release checklist" in res["fix"]
    copy.write_bytes(original)
    assert audit_control(root, "release-checklist-evidence")["status"] == "pass"
    (root / rel / "evidence" / "decision.json").write_text("{}\n")
    res = audit_control(root, "release-checklist-evidence")
    assert res["status"] == "fail" and "item 'decision'" in res["message"]
    git(root, "checkout", "--", str(rel / "evidence" / "decision.json"))

    (root / rel / "checklist.json").unlink()
    res = audit_control(root, "release-checklist-evidence")
    assert res["status"] == "fail"
    assert f"v0.1.0: checklist {rel}/checklist.json missing" in res["message"]


@pytest.mark.e2e
def test_incomplete_checklist_is_refused_and_an_item_not_done_fails(
    gated: tuple[Path, str, str],
) -> None:
    root, decided, _ = gated  # doctor did not run
    decide_go(root, "0.1.0")
    r = checklist(root, "--version", "0.1.0")
    assert r.returncode == 1
    assert len(r.stderr.strip().splitlines()) == 1
    assert "doctor: doctor did not run in run" in r.stderr and "--allow-incomplete" in r.stderr
    rel = Path("release-evidence/releases/0.1.0")
    assert not (root / rel / "checklist.json").exists()
    assert not (root / rel / "evidence").exists()
    r = checklist(root, "--version", "0.1.0", "--allow-incomplete")
    assert r.returncode == 0, r.stderr
    assert "3/4 items done" in r.stdout and "NOT DONE doctor" in r.stdout
    doc = json.loads((root / rel / "checklist.json").read_text())
    validate_artifact(doc)
    doctor = next(i for i in doc["items"] if i["id"] == "doctor")
    assert doctor["done"] is False and doctor["evidence"] is None
    commit_all(root, "release 0.1.0: evidence")
    git(root, "tag", "v0.1.0", decided)
    res = audit_control(root, "release-checklist-evidence")
    assert res["status"] == "fail"
    assert "v0.1.0: item 'doctor' not done (doctor did not run in run" in res["message"]


@pytest.mark.e2e
def test_checklist_without_a_run_or_decision(sample: Path) -> None:
    root = audit_lanes(sample, release={"checklist": ["decision"]})
    r = checklist(root, "--version", "0.1.0")
    assert r.returncode == 1
    assert "no decision record for 0.1.0" in r.stderr
    assert checklist(root, "--version", "one.two").returncode == 2
    r = checklist(root, "--version", "0.1.0", "--run-id", "20260101T000000Z-abcdef")
    assert r.returncode == 2 and "not in the run store" in r.stderr
    git(root, "tag", "v0.1.0")
    res = audit_control(root, "release-checklist-evidence")
    assert res["status"] == "fail" and "checklist.json missing" in res["message"]
