"""The regulated lane end to end on a real project: every step and all nine controls pass when
all the evidence is there, and removing any one piece makes exactly the matching control fail."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from helpers import commit_all, git, make_project, run_cli, run_nox, validate_artifact, write

OWNER = "lead@example.org"
SNAPSHOT = {
    "schema": "lane-tasks/compat-snapshot",
    "schema_version": "1.0",
    "cli": {"sample": ["--verbose"], "sample report": ["--format"]},
    "schemas": {"report": {"title": {"type": ["string"], "required": True}}},
}


def governed_config(root: Path) -> None:
    """lanes.toml with every table the scale and regulated controls read."""
    config = tomllib.loads((root / "lanes.toml").read_text())
    config["project"]["release_owners"] = [OWNER]
    config["project"]["default_lane"] = "regulated"
    config["gate"]["release"] = {"offline": True}
    config["teams"] = {
        "maintainers": {"contact": "maintainers@example.org"},
        "platform": {"contact": "platform@example.org"},
        "release": {"contact": "release@example.org"},
    }
    lane = run_cli(root, "lanes", "show", "regulated", "--format", "json")
    resolved = json.loads(lane.stdout)
    config["ownership"] = {
        "steps": {s["id"]: "platform" for s in resolved["steps"]},
        "controls": {c["id"]: "release" for c in resolved["controls"]},
    }
    config["support"] = {
        "levels": ["sev1", "sev2", "sev3", "sev4"],
        "severity": {
            "sev1": {"ack": "15m", "resolve": "4h", "escalation": "platform"},
            "sev2": {"ack": "1h", "resolve": "1d", "escalation": "platform"},
            "sev3": {"ack": "4h", "resolve": "3d", "escalation": "release"},
            "sev4": {"ack": "1d", "resolve": "2w", "escalation": "release"},
        },
    }
    config["kpi"] = {"review_period_days": 7}
    config["compat"] = {"source": "file"}
    config["deprecations"] = {
        "min_window_minors": 2,
        "items": [
            {
                "item": "cli:sample --verbose",
                "announced_in": "0.1.0",
                "remove_in": "0.3.0",
                "runbook": "docs/migrations/verbose.md",
            }
        ],
    }
    (root / "lanes.toml").write_text(tomli_w.dumps(config))


def regulated_project(base: Path) -> tuple[Path, str]:
    """A project that has cut 0.1.0 with full evidence and now prepares 0.2.0."""
    root = make_project(base)
    governed_config(root)
    write(root, "compat-snapshot.json", json.dumps(SNAPSHOT, indent=2) + "\n")
    write(root, "docs/migrations/verbose.md", "# --verbose\n\nUse `--log-level debug`.\n")
    commit_all(root, "governance")
    r = run_cli(root, "kpi", "review", "--reviewer", OWNER, "--notes", "first review")
    assert r.returncode == 0, r.stderr
    commit_all(root, "kpi review")
    # cut 0.1.0: the lane, a go decision, the checklist, commit the evidence, tag that commit
    lane = run_nox(root, "-s", "regulated")
    assert lane.returncode == 0, lane.stdout + lane.stderr
    decided = git(root, "rev-parse", "HEAD")
    for args in (
        ("release", "decide", "--version", "0.1.0", "--decision", "go", "--owner", OWNER),
        ("release", "checklist", "--version", "0.1.0"),
    ):
        r = run_cli(root, *args)
        assert r.returncode == 0, r.stdout + r.stderr
    tagged = commit_all(root, "release evidence 0.1.0")
    assert git(root, "diff", "--name-only", decided, tagged).startswith("release-evidence/")
    git(root, "tag", "v0.1.0")  # the commit that holds the records, as the README says
    # CI on the tag: every step and control passes there too
    lane = run_nox(root, "-s", "regulated")
    assert lane.returncode == 0, lane.stdout + lane.stderr
    # prepare 0.2.0
    py = root / "pyproject.toml"
    py.write_text(py.read_text().replace('version = "0.1.0"', 'version = "0.2.0"'))
    log = root / "CHANGELOG.md"
    log.write_text(log.read_text().replace("## 0.1.0", "## 0.2.0\n\n- More.\n\n## 0.1.0"))
    commit_all(root, "0.2.0")
    lane = run_nox(root, "-s", "regulated")
    assert lane.returncode == 0, lane.stdout + lane.stderr
    return root, lane.stdout + lane.stderr


@pytest.fixture(scope="module")
def passing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    return regulated_project(tmp_path_factory.mktemp("regulated"))


def controls_of(root: Path) -> dict[str, dict[str, Any]]:
    r = run_cli(root, "controls", "verify", "--lane", "regulated", "--format", "json")
    assert "Traceback" not in r.stderr, r.stderr
    doc = json.loads(r.stdout)
    validate_artifact(doc)
    return {x["id"]: x for x in doc["results"]}


@pytest.mark.e2e
def test_regulated_lane_passes_with_all_evidence(passing: tuple[Path, str]) -> None:
    root, output = passing
    controls = json.loads((root / "build" / "controls.json").read_text())
    validate_artifact(controls)
    assert controls["lane"] == "regulated"
    assert {x["id"]: x["status"] for x in controls["results"]} == dict.fromkeys(
        [
            "release-confidence-path",
            "artifact-retention",
            "release-owner",
            "ownership-matrix",
            "weekly-kpi-review",
            "compat-policy",
            "severity-model",
            "deprecation-windows",
            "release-checklist-evidence",
            "reproducible-build",
            "sbom",
        ],
        "pass",
    )
    for step in ("gate-fast", "release-preflight", "doctor", "drift-check", "contract-index"):
        doc = json.loads((root / "build" / f"{step}.json").read_text())
        validate_artifact(doc)
        assert doc["status"] == "pass", step
    for session in ("gate-fast", "gate-release", "doctor", "drift-check", "contract-index"):
        assert f"Session {session} was successful" in output
    verify = run_cli(root, "contract-index", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr


def _remove_kpi_review(root: Path) -> None:
    shutil.rmtree(root / "release-evidence" / "kpi-reviews")


def _remove_decision(root: Path) -> None:
    (root / "release-evidence" / "releases" / "0.1.0" / "decision.json").unlink()


def _remove_checklist(root: Path) -> None:
    (root / "release-evidence" / "releases" / "0.1.0" / "checklist.json").unlink()


def _remove_runbook(root: Path) -> None:
    (root / "docs" / "migrations" / "verbose.md").unlink()


def _edit_config(root: Path, edit: Any) -> None:
    config = tomllib.loads((root / "lanes.toml").read_text())
    edit(config)
    (root / "lanes.toml").write_text(tomli_w.dumps(config))


def _remove_an_owner(root: Path) -> None:
    _edit_config(root, lambda c: c["ownership"]["controls"].pop("severity-model"))


def _remove_a_severity_level(root: Path) -> None:
    _edit_config(root, lambda c: c["support"]["severity"].pop("sev4"))


def _remove_snapshot_entry(root: Path) -> None:
    snap = dict(SNAPSHOT, cli={"sample": ["--verbose"]})  # `sample report` removed, no bump
    (root / "compat-snapshot.json").write_text(json.dumps(snap, indent=2) + "\n")


def _remove_run_artifact(root: Path) -> None:
    newest = max((root / "build" / "lanes" / "runs").iterdir())
    (newest / "doctor.json").unlink()


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("remove", "control"),
    [
        (_remove_kpi_review, "weekly-kpi-review"),
        (_remove_decision, "release-owner"),
        (_remove_checklist, "release-checklist-evidence"),
        (_remove_runbook, "deprecation-windows"),
        (_remove_an_owner, "ownership-matrix"),
        (_remove_a_severity_level, "severity-model"),
        (_remove_snapshot_entry, "compat-policy"),
        (_remove_run_artifact, "artifact-retention"),
    ],
    ids=lambda v: v.__name__.removeprefix("_") if callable(v) else v,
)
def test_removing_one_piece_fails_exactly_its_control(
    passing: tuple[Path, str], tmp_path: Path, remove: Any, control: str
) -> None:
    root = tmp_path / "copy"
    shutil.copytree(passing[0], root, symlinks=True)
    assert all(x["status"] == "pass" for x in controls_of(root).values())
    remove(root)
    results = controls_of(root)
    failed = sorted(cid for cid, x in results.items() if x["status"] != "pass")
    expected = [control]
    if control == "artifact-retention":  # the deleted artifact is also the path's evidence
        expected = ["artifact-retention", "release-confidence-path"]
    assert failed == expected, {c: results[c]["message"] for c in failed}
    assert results[control]["fix"]
