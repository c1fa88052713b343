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
from helpers import (
    Templates,
    commit_all,
    git,
    make_git_repo,
    make_project,
    run_cli,
    run_nox,
    validate_artifact,
    write,
)

from lane_tasks.config import load_config
from lane_tasks.evidence.artifacts import sha256_file
from lane_tasks.project.git import evidence_only_change

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


def _preflighted(d: Path) -> Path:
    """`release_project` after a passing preflight (gate fast, gate release) at its HEAD."""
    root = release_project(d)
    r = preflight(root)
    assert r.returncode == 0, r.stdout + r.stderr
    return root


@pytest.fixture
def project(templates: Templates, tmp_path: Path) -> Path:
    """A copy of the project `release_project` makes, before any step ran."""
    return templates.copy("release-project", release_project, tmp_path)


@pytest.fixture
def preflighted(templates: Templates, tmp_path: Path) -> Path:
    """A copy of that project after a passing preflight (gate fast, gate release) at HEAD, its
    artifacts in build/."""
    return templates.copy("release-preflighted", _preflighted, tmp_path)


def decide(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(root, "release", "decide", *args)


def record(root: Path, version: str) -> dict[str, Any]:
    path = root / "release-evidence" / "releases" / version / "decision.json"
    doc: dict[str, Any] = json.loads(path.read_text())
    return doc


# ---- release decide -----------------------------------------------------------------------


@pytest.mark.e2e
def test_go_after_a_passing_preflight_is_recorded(preflighted: Path) -> None:
    root = preflighted
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


def test_unknown_owner_is_refused(project: Path) -> None:
    root = project
    r = decide(root, "--version", "0.1.0", "--decision", "go", "--owner", "lead@example.com")
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1
    assert "not a release owner" in r.stderr
    assert f"did you mean '{OWNER}'" in r.stderr
    assert not (root / "release-evidence").exists()


@pytest.mark.e2e
def test_go_on_a_failed_preflight_is_refused_unless_overridden(project: Path) -> None:
    root = project
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


def test_go_without_any_preflight_is_refused_and_no_go_is_not(project: Path) -> None:
    root = project
    r = decide(root, "--version", "0.1.0", "--decision", "go", "--owner", OWNER)
    assert r.returncode == 1
    assert "no valid release preflight" in r.stderr
    r = decide(root, "--version", "0.1.0", "--decision", "no-go", "--owner", OWNER)
    assert r.returncode == 0
    assert record(root, "0.1.0")["preflight"] is None


@pytest.mark.e2e
def test_go_on_a_preflight_for_another_commit_is_refused(preflighted: Path) -> None:
    root = preflighted
    (root / "NOTES.md").write_text("later\n")
    commit_all(root, "later")
    r = decide(root, "--version", "0.1.0", "--decision", "go", "--owner", OWNER)
    assert r.returncode == 1
    assert "HEAD is" in r.stderr


@pytest.mark.e2e
def test_go_on_a_preflight_that_is_no_release_candidate_is_refused(project: Path) -> None:
    root = project
    released = git(root, "rev-parse", "HEAD")
    git(root, "tag", "v0.1.0")
    (root / "NOTES.md").write_text("after the release\n")
    commit_all(root, "after the release")
    assert preflight(root).returncode == 0  # green between releases, but no candidate
    for extra in ((), ("--override-reason", "ship it anyway")):
        r = decide(root, "--version", "0.1.0", "--decision", "go", "--owner", OWNER, *extra)
        assert r.returncode == 1, r.stdout
        assert "Traceback" not in r.stderr
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1, r.stderr
        assert "go refused for 0.1.0" in lines[0]
        assert (
            f"no release candidate (0.1.0 was released on {released[:12]} (tag v0.1.0))"
            in (lines[0])
        )
        assert "--override-reason cannot change that" in lines[0]
        assert not (root / "release-evidence").exists()
    # a no-go needs no candidate
    r = decide(root, "--version", "0.1.0", "--decision", "no-go", "--owner", OWNER)
    assert r.returncode == 0, r.stderr
    assert record(root, "0.1.0")["decision"] == "no-go"


@pytest.mark.e2e
def test_a_later_decision_supersedes_and_keeps_the_earlier(project: Path) -> None:
    root = project
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


def test_invalid_version_is_a_usage_error(project: Path) -> None:
    root = project
    r = decide(root, "--version", "one.two", "--decision", "no-go", "--owner", OWNER)
    assert r.returncode == 2
    assert "--version" in r.stderr and "PEP 440" in r.stderr


# ---- the release-owner control ------------------------------------------------------------


def owner_control(root: Path) -> dict[str, Any]:
    r = run_cli(root, "controls", "verify", "--lane", "startup", "--format", "json")
    doc = json.loads(r.stdout)
    return next(x for x in doc["results"] if x["id"] == "release-owner")


def cut(root: Path, version: str, *, decision: str | None = "go") -> str:
    """After a passing preflight at HEAD (the `preflighted` project): decide, commit the
    record, and tag the decided commit."""
    assert json.loads((root / "build" / "release-preflight.json").read_text())["status"] == "pass"
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


def test_release_owner_passes_with_no_tags_since_adoption(project: Path) -> None:
    root = project
    res = owner_control(root)
    assert res["status"] == "pass"
    assert "no release tags since the adoption point" in res["message"]


@pytest.mark.e2e
def test_release_owner_passes_when_every_tag_has_a_go(preflighted: Path) -> None:
    root = preflighted
    cut(root, "0.1.0")
    res = owner_control(root)
    assert res["status"] == "pass", res
    assert "v0.1.0" in res["message"]


@pytest.mark.e2e
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
    preflighted: Path, case: str, needle: str
) -> None:
    root = preflighted
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


def test_tags_before_the_adoption_point_are_not_judged(project: Path) -> None:
    root = project
    first = git(root, "rev-list", "--max-parents=0", "HEAD")
    git(root, "tag", "v0.0.1", first)  # predates lanes.toml? init committed it in "initial"
    (root / "NOTES.md").write_text("x\n")
    later = commit_all(root, "more")
    text = (
        (root / "lanes.toml")
        .read_text()
        .replace("[project]\n", f'[project]\nadoption_point = "{later[:10]}"\n', 1)
    )
    (root / "lanes.toml").write_text(text)
    commit_all(root, "adopt later")
    res = owner_control(root)
    assert res["status"] == "pass", res
    text = text.replace(f'adoption_point = "{later[:10]}"', 'adoption_point = "abcdef0123"')
    (root / "lanes.toml").write_text(text)
    res = owner_control(root)
    assert res["status"] == "fail"
    assert "is not a commit" in res["message"]


# ---- the startup lane end to end ----------------------------------------------------------


@pytest.mark.e2e
def test_startup_lane_passes_end_to_end_with_a_decision_record(preflighted: Path) -> None:
    root = preflighted
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


@pytest.mark.e2e
def test_startup_lane_fails_on_a_tag_without_a_decision(project: Path) -> None:
    root = project
    git(root, "tag", "v0.1.0")
    r = run_nox(root, "-s", "startup")
    assert r.returncode != 0
    controls = json.loads((root / "build" / "controls.json").read_text())
    res = next(x for x in controls["results"] if x["id"] == "release-owner")
    assert res["status"] == "fail"
    assert "v0.1.0" in res["message"]


# ---- a decision holds for a descendant that adds only evidence ------------------------------


def test_evidence_only_change(tmp_path: Path) -> None:
    root = make_git_repo(tmp_path / "repo")
    write(root, "src/app.py", "X = 1\n")
    decided = commit_all(root, "the release")
    assert evidence_only_change(root, decided, decided, "release-evidence") is None
    write(root, "release-evidence/releases/1.0.0/decision.json", "{}\n")
    records = commit_all(root, "the records")
    assert evidence_only_change(root, decided, records, "release-evidence") is None
    assert evidence_only_change(root, decided, records, "release-evidence/") is None
    # a directory merely named like the evidence directory is outside it
    write(root, "release-evidence-old/notes.md", "x\n")
    near = commit_all(root, "near miss")
    why = evidence_only_change(root, decided, near, "release-evidence")
    assert why == (
        f"{near[:12]} changes release-evidence-old/notes.md since {decided[:12]}, "
        "outside release-evidence/"
    )
    # a source file moved into the evidence directory is a change outside it
    git(root, "reset", "-q", "--hard", records)
    git(root, "mv", "src/app.py", "release-evidence/app.py")
    moved = commit_all(root, "move")
    assert "changes src/app.py since" in str(
        evidence_only_change(root, decided, moved, "release-evidence")
    )
    # two source changes: one named, the rest counted
    git(root, "reset", "-q", "--hard", records)
    write(root, "src/app.py", "X = 2\n")
    write(root, "src/more.py", "Y = 1\n")
    edited = commit_all(root, "edit")
    assert "changes src/app.py and 1 more file(s) since" in str(
        evidence_only_change(root, decided, edited, "release-evidence")
    )
    # not a descendant at all, and not a commit at all
    assert evidence_only_change(root, edited, decided, "release-evidence") == (
        f"{decided[:12]} does not descend from {edited[:12]}"
    )
    assert "is not a commit" in str(evidence_only_change(root, "0" * 40, decided, "x"))
    assert evidence_only_change(root, None, decided, "x") == "the record names no commit"


def artifact(root: Path, name: str) -> dict[str, Any]:
    config = load_config(root / "lanes.toml")
    doc: dict[str, Any] = json.loads((config.artifacts_path() / name).read_text())
    validate_artifact(doc)
    return doc


def release_controls(root: Path) -> dict[str, dict[str, Any]]:
    """release-owner and release-checklist-evidence, verified as the regulated lane does."""
    r = run_cli(root, "controls", "verify", "--lane", "regulated", "--format", "json")
    assert "Traceback" not in r.stderr, r.stderr
    results = {x["id"]: x for x in json.loads(r.stdout)["results"]}
    return {k: results[k] for k in ("release-owner", "release-checklist-evidence")}


@pytest.mark.e2e
@pytest.mark.slow
def test_the_release_flow_is_green_at_the_tag(project: Path) -> None:
    """The README's recipe, step by step, in a generated project; then the lane on the tag."""
    root = project
    # the lane on the commit to release (it runs gate release)
    lane = run_nox(root, "-s", "startup")
    assert lane.returncode == 0, lane.stdout + lane.stderr
    assert artifact(root, "release-preflight.json")["candidate"] is True
    decided = git(root, "rev-parse", "HEAD")
    for args in (
        ("release", "decide", "--version", "0.1.0", "--decision", "go", "--owner", OWNER),
        ("release", "checklist", "--version", "0.1.0"),
    ):
        r = run_cli(root, *args)
        assert r.returncode == 0, r.stdout + r.stderr
    tagged = commit_all(root, "release 0.1.0: decision and checklist")
    git(root, "tag", "v0.1.0")
    assert git(root, "diff", "--name-only", decided, tagged).startswith("release-evidence/")
    # CI on the tag: the lane passes, every control included
    lane = run_nox(root, "-s", "startup")
    assert lane.returncode == 0, lane.stdout + lane.stderr
    controls = artifact(root, "controls.json")
    assert {x["id"]: x["status"] for x in controls["results"]} == dict.fromkeys(
        ["release-confidence-path", "artifact-retention", "release-owner"], "pass"
    )
    preflight_doc = artifact(root, "release-preflight.json")
    assert preflight_doc["subject"]["commit"] == tagged
    assert preflight_doc["candidate"] is True
    assert preflight_doc["candidate_reason"] == "0.1.0 is tagged v0.1.0 on HEAD"
    assert {k: v["status"] for k, v in release_controls(root).items()} == {
        "release-owner": "pass",
        "release-checklist-evidence": "pass",
    }
    # the next commit: green again, and no candidate
    (root / "NOTES.md").write_text("after the release\n")
    commit_all(root, "after the release")
    lane = run_nox(root, "-s", "startup")
    assert lane.returncode == 0, lane.stdout + lane.stderr
    preflight_doc = artifact(root, "release-preflight.json")
    assert preflight_doc["candidate"] is False
    assert preflight_doc["candidate_reason"].startswith(f"0.1.0 was released on {tagged[:12]}")
    # a tag on a descendant that changes a source file is not what was decided
    git(root, "checkout", "-q", "-b", "hotfix", tagged)
    init = root / "sample" / "__init__.py"
    init.write_text(init.read_text() + "\nLATE = True\n")
    late = commit_all(root, "a source change")
    git(root, "tag", "-f", "v0.1.0", late)
    results = release_controls(root)
    for control in ("release-owner", "release-checklist-evidence"):
        assert results[control]["status"] == "fail", results[control]
        assert (
            f"{late[:12]} changes sample/__init__.py since {decided[:12]}"
            in (results[control]["message"])
        )
