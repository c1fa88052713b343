"""Release decisions with a named owner, the release-owner control, and the startup lane end
to end through nox on a real project."""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from conftest import commit_all, git, make_project, run_cli, run_nox, validate_artifact

from lane_tasks.artifacts import sha256_file

OWNER = "lead@example.org"


def release_project(tmp_path: Path) -> Path:
    """A real project whose startup lane builds offline and names a release owner."""
    root = make_project(tmp_path)
    config = tomllib.loads((root / "lanes.toml").read_text())
    config["project"]["release_owners"] = [OWNER]
    config["gate"]["release"] = {"offline": True}
    (root / "lanes.toml").write_text(tomli_w.dumps(config))
    commit_all(root, "lanes: release owner, offline builds")
    return root


def preflight(root: Path) -> subprocess.CompletedProcess[str]:
    fast = run_cli(root, "gate", "fast", "--format", "json", "--out", "build/gate-fast.json")
    assert fast.returncode == 0, fast.stdout
    return run_cli(
        root, "gate", "release", "--offline", "--format", "json", "--out",
        "build/release-preflight.json",
    )  # fmt: skip


def decide(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(root, "release", "decide", *args)


def record(root: Path, version: str) -> dict[str, Any]:
    path = root / "release-evidence" / "releases" / version / "decision.json"
    doc: dict[str, Any] = json.loads(path.read_text())
    return doc


# ---- release decide -----------------------------------------------------------------------


def test_go_after_a_passing_preflight_is_recorded(tmp_path: Path) -> None:
    root = release_project(tmp_path)
    assert preflight(root).returncode == 0
    r = decide(root, "--version", "0.1.0", "--decision", "go", "--owner", OWNER, "--reason", "ok")
    assert r.returncode == 0, r.stderr
    assert "release-evidence/releases/0.1.0/decision.json" in r.stdout
    doc = record(root, "0.1.0")
    validate_artifact(doc)
    assert doc["decision"] == "go"
    assert doc["owner"] == OWNER
    assert doc["reason"] == "ok"
    assert doc["commit"] == git(root, "rev-parse", "HEAD")
    assert doc["preflight"]["sha256"] == sha256_file(root / "build" / "release-preflight.json")
    assert doc["preflight"]["status"] == "pass"
    assert doc["override_reason"] is None
    assert doc["decided_at"].endswith("+00:00")


def test_unknown_owner_is_refused(tmp_path: Path) -> None:
    root = release_project(tmp_path)
    r = decide(root, "--version", "0.1.0", "--decision", "go", "--owner", "lead@example.com")
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1
    assert "not a release owner" in r.stderr
    assert f"did you mean '{OWNER}'" in r.stderr
    assert not (root / "release-evidence").exists()


def test_go_on_a_failed_preflight_is_refused_unless_overridden(tmp_path: Path) -> None:
    root = release_project(tmp_path)
    (root / "CHANGELOG.md").write_text("# Changelog\n")
    commit_all(root, "lose the changelog entry")
    assert preflight(root).returncode == 1
    r = decide(root, "--version", "0.1.0", "--decision", "go", "--owner", OWNER)
    assert r.returncode == 1
    assert "go refused" in r.stderr and "did not pass" in r.stderr
    assert not (root / "release-evidence").exists()
    r = decide(
        root, "--version", "0.1.0", "--decision", "go", "--owner", OWNER,
        "--override-reason", "hotfix; changelog follows",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    doc = record(root, "0.1.0")
    assert doc["override_reason"] == "hotfix; changelog follows"
    assert "did not pass" in doc["evidence_problem"]
    assert doc["preflight"]["status"] == "fail"


def test_go_without_any_preflight_is_refused_and_no_go_is_not(tmp_path: Path) -> None:
    root = release_project(tmp_path)
    r = decide(root, "--version", "0.1.0", "--decision", "go", "--owner", OWNER)
    assert r.returncode == 1
    assert "no valid release preflight" in r.stderr
    r = decide(root, "--version", "0.1.0", "--decision", "no-go", "--owner", OWNER)
    assert r.returncode == 0
    assert record(root, "0.1.0")["preflight"] is None


def test_go_on_a_preflight_for_another_commit_is_refused(tmp_path: Path) -> None:
    root = release_project(tmp_path)
    assert preflight(root).returncode == 0
    (root / "NOTES.md").write_text("later\n")
    commit_all(root, "later")
    r = decide(root, "--version", "0.1.0", "--decision", "go", "--owner", OWNER)
    assert r.returncode == 1
    assert "HEAD is" in r.stderr


def test_a_later_decision_supersedes_and_keeps_the_earlier(tmp_path: Path) -> None:
    root = release_project(tmp_path)
    assert (
        decide(root, "--version", "0.1.0", "--decision", "no-go", "--owner", OWNER).returncode == 0
    )
    commit_all(root, "record the no-go")
    assert preflight(root).returncode == 0
    assert decide(root, "--version", "0.1.0", "--decision", "go", "--owner", OWNER).returncode == 0
    doc = record(root, "0.1.0")
    validate_artifact(doc)
    assert doc["decision"] == "go"
    assert [d["decision"] for d in doc["superseded"]] == ["no-go"]


def test_invalid_version_is_a_usage_error(tmp_path: Path) -> None:
    root = release_project(tmp_path)
    r = decide(root, "--version", "one.two", "--decision", "no-go", "--owner", OWNER)
    assert r.returncode == 2
    assert "--version" in r.stderr and "PEP 440" in r.stderr


# ---- the release-owner control ------------------------------------------------------------


def owner_control(root: Path) -> dict[str, Any]:
    r = run_cli(root, "controls", "verify", "--lane", "startup", "--format", "json")
    doc = json.loads(r.stdout)
    return next(x for x in doc["results"] if x["id"] == "release-owner")


def cut(root: Path, version: str, *, decision: str | None = "go") -> str:
    """Preflight, decide, commit the record, and tag the decided commit."""
    assert preflight(root).returncode == 0
    decided = git(root, "rev-parse", "HEAD")
    if decision:
        r = decide(root, "--version", version, "--decision", decision, "--owner", OWNER)
        assert r.returncode == 0, r.stderr
        commit_all(root, f"release decision {version}")
    git(root, "tag", f"v{version}", decided)
    return decided


def bump(root: Path, version: str) -> None:
    py = root / "pyproject.toml"
    py.write_text(py.read_text().replace('version = "0.1.0"', f'version = "{version}"'))
    log = root / "CHANGELOG.md"
    log.write_text(log.read_text().replace("## 0.1.0", f"## {version}\n\n- More.\n\n## 0.1.0"))
    commit_all(root, f"bump to {version}")


def test_release_owner_passes_with_no_tags_since_adoption(tmp_path: Path) -> None:
    root = release_project(tmp_path)
    res = owner_control(root)
    assert res["status"] == "pass"
    assert "no release tags since the adoption point" in res["message"]


def test_release_owner_passes_when_every_tag_has_a_go(tmp_path: Path) -> None:
    root = release_project(tmp_path)
    cut(root, "0.1.0")
    res = owner_control(root)
    assert res["status"] == "pass", res
    assert "v0.1.0" in res["message"]


@pytest.mark.parametrize(
    ("case", "needle"),
    [
        ("no-record", "decision record release-evidence/releases/0.1.0/decision.json missing"),
        ("no-go", "tagged although"),
        ("wrong-commit", "changes sample/__init__.py since"),
        ("owner-removed", "is not a release owner"),
    ],
)
def test_release_owner_fails_on_missing_or_wrong_records(
    tmp_path: Path, case: str, needle: str
) -> None:
    root = release_project(tmp_path)
    if case == "no-record":
        cut(root, "0.1.0", decision=None)
    elif case == "no-go":
        cut(root, "0.1.0", decision="no-go")
    elif case == "wrong-commit":
        decided = cut(root, "0.1.0")
        init = root / "sample" / "__init__.py"
        init.write_text(init.read_text() + "\nLATE = True\n")
        commit_all(root, "a source change after the decision")
        git(root, "tag", "-d", "v0.1.0")
        git(root, "tag", "v0.1.0", "HEAD")  # not what was decided: a source file differs
        assert decided != git(root, "rev-parse", "HEAD")
    else:
        cut(root, "0.1.0")
        text = (root / "lanes.toml").read_text().replace(OWNER, "someone-else@example.org")
        (root / "lanes.toml").write_text(text)
        commit_all(root, "new owner")
    res = owner_control(root)
    assert res["status"] == "fail"
    assert needle in res["message"]
    assert res["fix"]


def test_tags_before_the_adoption_point_are_not_judged(tmp_path: Path) -> None:
    root = release_project(tmp_path)
    first = git(root, "rev-list", "--max-parents=0", "HEAD")
    git(root, "tag", "v0.0.1", first)  # predates lanes.toml? init committed it in "initial"
    (root / "NOTES.md").write_text("x\n")
    commit_all(root, "more")
    text = (
        (root / "lanes.toml")
        .read_text()
        .replace("[project]\n", '[project]\nadoption_point = "HEAD"\n', 1)
    )
    (root / "lanes.toml").write_text(text)
    commit_all(root, "adopt later")
    res = owner_control(root)
    assert res["status"] == "pass", res
    text = text.replace('adoption_point = "HEAD"', 'adoption_point = "no-such-rev"')
    (root / "lanes.toml").write_text(text)
    res = owner_control(root)
    assert res["status"] == "fail"
    assert "is not a commit" in res["message"]


# ---- the startup lane end to end ----------------------------------------------------------


def test_startup_lane_passes_end_to_end_with_a_decision_record(tmp_path: Path) -> None:
    root = release_project(tmp_path)
    cut(root, "0.1.0")
    bump(root, "0.2.0")
    r = run_nox(root, "-s", "startup")
    assert r.returncode == 0, r.stdout + r.stderr
    controls = json.loads((root / "build" / "controls.json").read_text())
    validate_artifact(controls)
    assert {x["id"]: x["status"] for x in controls["results"]} == {
        "release-confidence-path": "pass",
        "artifact-retention": "pass",
        "release-owner": "pass",
    }
    preflight_doc = json.loads((root / "build" / "release-preflight.json").read_text())
    validate_artifact(preflight_doc)
    assert preflight_doc["version"] == "0.2.0"
    assert preflight_doc["lane"] == "startup"
    gate_fast_evidence = next(
        x for x in preflight_doc["results"] if x["id"] == "gate-fast-evidence"
    )
    assert "run " in gate_fast_evidence["message"]  # read from this run, not re-run


def test_startup_lane_fails_on_a_tag_without_a_decision(tmp_path: Path) -> None:
    root = release_project(tmp_path)
    git(root, "tag", "v0.1.0")
    r = run_nox(root, "-s", "startup")
    assert r.returncode != 0
    controls = json.loads((root / "build" / "controls.json").read_text())
    res = next(x for x in controls["results"] if x["id"] == "release-owner")
    assert res["status"] == "fail"
    assert "v0.1.0" in res["message"]
