"""The evidence chain (issue 12, parts 1-3): a partial gate is no evidence, controls verify what
a record says and re-apply the writing command's rules, records dated in the future are no
evidence, and references that move or patterns that hide tags cannot switch controls off.
Real projects, real git, real runs of the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from helpers import Templates, commit_all, git, make_project, run_cli, validate_artifact

from lane_tasks.evidence.artifacts import sha256_file
from lane_tasks.evidence.consistency import step_problem
from lane_tasks.evidence.store import new_run_id
from lane_tasks.util.clock import CLOCK_SKEW, future_problem

OWNER = "lead@example.org"
PASS = ["{python}", "-c", "pass"]
FAIL = ["{python}", "-c", "raise SystemExit(1)"]
REL = Path("release-evidence/releases/0.1.0")


def project(tmp_path: Path, *, unit: list[str] = PASS, **extra: Any) -> Path:
    """A real project with one lane holding the evidence controls, a two-check gate fast
    (`lint` passes; `unit` runs `unit`) and a preflight without the slow build."""
    root = make_project(tmp_path)
    data = tomllib.loads((root / "lanes.toml").read_text())
    data["project"]["release_owners"] = [OWNER]
    data["gate"] = {
        "fast": {"checks": {"lint": {"cmd": PASS}, "unit": {"cmd": unit}}},
        "release": {"offline": True, "disable": {"build": "built elsewhere in these tests"}},
    }
    data["lanes"]["audit"] = {
        "steps": ["gate-fast", "gate-release", "doctor"],
        "controls": [
            "release-confidence-path",
            "release-owner",
            "weekly-kpi-review",
            "release-checklist-evidence",
        ],
    }
    data |= extra
    (root / "lanes.toml").write_text(tomli_w.dumps(data))
    commit_all(root, "lanes")
    return root


def step(root: Path, run_id: str, *args: str) -> subprocess.CompletedProcess[str]:
    r = run_cli(root, *args, "--format", "json", "--run-id", run_id, "--lane", "audit", "-q")
    assert r.returncode in (0, 1), r.stderr
    return r


def lane_run(root: Path, *fast: str) -> str:
    """gate fast (with `fast` options), gate release and doctor recorded as one run."""
    run_id = new_run_id()
    step(root, run_id, "gate", "fast", *fast)
    step(root, run_id, "gate", "release", "--offline", "--out", "build/release-preflight.json")
    step(root, run_id, "doctor")
    return run_id


def run_artifact(root: Path, run_id: str, name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((root / "build/lanes/runs" / run_id / name).read_text())
    return doc


def controls(root: Path, env: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    r = run_cli(root, "controls", "verify", "--lane", "audit", "--format", "json", env=env)
    assert "Traceback" not in r.stderr, r.stderr
    doc = json.loads(r.stdout)
    validate_artifact(doc)
    return {x["id"]: x for x in doc["results"]}


def decide(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(
        root, "release", "decide", "--version", "0.1.0", "--decision", "go", "--owner", OWNER,
        *args,
    )  # fmt: skip


def _ran(d: Path) -> tuple[Path, str]:
    """`project` after one whole `lane_run`."""
    root = project(d)
    return root, lane_run(root)


def _cut(d: Path, templates: Templates) -> Path:
    """A complete, green release of 0.1.0 of `project`: run, go, checklist, committed and
    tagged (the run: a copy of the `_ran` template)."""
    root, _ = templates.copy("evidence-chain-ran", _ran, d)
    decided = git(root, "rev-parse", "HEAD")
    assert decide(root).returncode == 0
    r = run_cli(root, "release", "checklist", "--version", "0.1.0")
    assert r.returncode == 0, r.stdout + r.stderr
    commit_all(root, "release 0.1.0: evidence")
    git(root, "tag", "v0.1.0", decided)
    return root


@pytest.fixture
def fresh(templates: Templates, tmp_path: Path) -> Path:
    """A copy of the project `project` makes (default checks), before any run."""
    return templates.copy("evidence-chain-project", project, tmp_path)


@pytest.fixture
def ran(templates: Templates, tmp_path: Path) -> tuple[Path, str]:
    """A copy of that project after one whole lane run (its id)."""
    return templates.copy("evidence-chain-ran", _ran, tmp_path)


@pytest.fixture
def released(templates: Templates, tmp_path: Path) -> Path:
    """A copy of that project after `_cut`: 0.1.0 released with complete, green evidence."""
    return templates.copy("evidence-chain-cut", lambda d: _cut(d, templates), tmp_path)


def relink(root: Path, **paths: str) -> None:
    """Rewrite checklist.json as a forger would: items linked to `paths`, every digest
    recomputed, so the bytes check alone cannot tell."""
    path = root / REL / "checklist.json"
    doc = json.loads(path.read_text())
    for item in doc["items"]:
        if item["id"] in paths:
            item["evidence"]["path"] = paths[item["id"]]
        link = item["evidence"]
        link["sha256"] = sha256_file(root / link["path"])
    path.write_text(json.dumps(doc, indent=2))


def rewrite(root: Path, rel: Path, change: Any) -> None:
    path = root / rel
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc, indent=2))


# ---- 1. a partial gate ------------------------------------------------------------------------


@pytest.mark.e2e
def test_partial_gate_is_not_evidence(tmp_path: Path, ran: tuple[Path, str]) -> None:
    root = project(tmp_path / "partial", unit=FAIL)  # tmp_path/sample is `ran`'s copy
    run_id = lane_run(root, "--check", "lint")  # `unit` fails, and is not run
    fast = run_artifact(root, run_id, "gate-fast.json")
    validate_artifact(fast)
    assert fast["status"] == "pass"
    assert fast["coverage"]["checks"] == ["lint"]
    assert fast["coverage"]["configured"] == ["lint", "unit"]
    assert fast["coverage"]["digest"] != fast["coverage"]["configured_digest"]
    head = git(root, "rev-parse", "HEAD")
    assert "a partial gate" in str(step_problem(fast, "gate-fast", commit=head, checks=None))

    # gate release's gate-fast-evidence
    pre = run_artifact(root, run_id, "release-preflight.json")
    evidence = next(r for r in pre["results"] if r["id"] == "gate-fast-evidence")
    assert evidence["status"] == "fail" and "a partial gate" in evidence["message"], evidence
    assert pre["status"] == "fail"
    # the lane's controls
    res = controls(root)["release-confidence-path"]
    assert res["status"] == "fail" and "a partial gate" in res["message"], res
    # release decide
    r = decide(root)
    assert r.returncode == 1 and "go refused" in r.stderr, r.stderr
    # release checklist
    r = run_cli(root, "release", "checklist", "--version", "0.1.0", "--allow-incomplete")
    assert r.returncode == 0, r.stderr
    doc = json.loads((root / REL / "checklist.json").read_text())
    item = next(i for i in doc["items"] if i["id"] == "gate-fast")
    assert item["done"] is False and "a partial gate" in item["note"], item

    # the whole gate passing is evidence, but not after lanes.toml changes a check
    root2, run_id = ran
    fast = run_artifact(root2, run_id, "gate-fast.json")
    assert fast["coverage"]["checks"] == ["lint", "unit"]
    assert controls(root2)["release-confidence-path"]["status"] == "pass"
    data = tomllib.loads((root2 / "lanes.toml").read_text())
    data["gate"]["fast"]["checks"]["unit"]["timeout"] = 5
    (root2 / "lanes.toml").write_text(tomli_w.dumps(data))
    res = controls(root2)["release-confidence-path"]
    assert res["status"] == "fail" and "other lanes.toml gate checks" in res["message"], res


# ---- 2. what a record says --------------------------------------------------------------------


@pytest.mark.e2e
def test_rewritten_evidence_status_fails_checklist(released: Path) -> None:
    root = released
    assert controls(root)["release-checklist-evidence"]["status"] == "pass"

    def failed(doc: dict[str, Any]) -> None:
        doc["status"] = "fail"

    rewrite(root, REL / "evidence" / "release-preflight.json", failed)
    relink(root)
    res = controls(root)["release-checklist-evidence"]
    assert res["status"] == "fail", res
    assert "item 'gate-release'" in res["message"] and "did not pass (fail)" in res["message"]
    git(root, "checkout", "--", str(REL))

    # an item linking some other file by its real digest
    relink(root, **{"gate-fast": "README.md"})
    res = controls(root)["release-checklist-evidence"]
    assert res["status"] == "fail", res
    assert "item 'gate-fast' evidence README.md is no valid gate-fast artifact" in res["message"]
    git(root, "checkout", "--", str(REL))

    # another step's artifact where gate fast's belongs
    relink(root, **{"gate-fast": str(REL / "evidence" / "doctor.json")})
    res = controls(root)["release-checklist-evidence"]
    assert res["status"] == "fail" and "not gate-fast's" in res["message"], res
    git(root, "checkout", "--", str(REL))
    assert controls(root)["release-checklist-evidence"]["status"] == "pass"


@pytest.mark.e2e
def test_status_contradicting_its_results_fails_checklist(released: Path) -> None:
    root = released

    def one_failed(doc: dict[str, Any]) -> None:  # status still says pass
        doc["results"][0]["status"] = "fail"
        doc["summary"] = {"pass": 1, "fail": 1, "error": 0, "skip": 0}

    rewrite(root, REL / "evidence" / "gate-fast.json", one_failed)
    relink(root)
    res = controls(root)["release-checklist-evidence"]
    assert res["status"] == "fail", res
    assert "contradicts its results" in res["message"] and "lint is fail" in res["message"]


@pytest.mark.e2e
def test_go_over_failed_preflight_without_override_fails_release_owner(released: Path) -> None:
    root = released
    by_id = controls(root)
    assert by_id["release-owner"]["status"] == "pass", by_id["release-owner"]

    def over_failed(doc: dict[str, Any]) -> None:
        doc["preflight"]["status"] = "fail"

    record = REL / "decision.json"
    rewrite(root, record, over_failed)
    res = controls(root)["release-owner"]
    assert res["status"] == "fail", res
    assert "a go without an override reason" in res["message"]
    assert "did not pass (fail)" in res["message"]

    def overridden(doc: dict[str, Any]) -> None:
        doc["override_reason"] = "hotfix, accepted by the release lead"

    rewrite(root, record, overridden)
    assert controls(root)["release-owner"]["status"] == "pass"
    git(root, "checkout", "--", str(record))

    # the checklist's frozen copy of the decision is judged by the same rule
    rewrite(root, REL / "evidence" / "decision.json", over_failed)
    relink(root)
    res = controls(root)["release-checklist-evidence"]
    assert res["status"] == "fail" and "item 'decision'" in res["message"], res
    assert "a go without an override reason" in res["message"]


@pytest.mark.e2e
def test_partial_gate_is_not_evidence_on_a_dirty_tree(fresh: Path) -> None:
    """A gate fast that ran on a dirty tree tested another tree than its commit: the checklist
    refuses it as gate release does, even where gate-fast-evidence is switched off."""
    root = fresh
    data = tomllib.loads((root / "lanes.toml").read_text())
    data["gate"]["release"]["disable"]["gate-fast-evidence"] = "gate fast runs in another job"
    (root / "lanes.toml").write_text(tomli_w.dumps(data))
    commit_all(root, "gate fast elsewhere")
    run_id = new_run_id()
    (root / "README.md").write_text("# changed, not committed\n")
    step(root, run_id, "gate", "fast")
    git(root, "checkout", "--", "README.md")
    step(root, run_id, "gate", "release", "--offline", "--out", "build/release-preflight.json")
    step(root, run_id, "doctor")
    assert run_artifact(root, run_id, "gate-fast.json")["subject"]["dirty"] is True
    res = controls(root)["release-confidence-path"]
    assert res["status"] == "fail" and "dirty tree" in res["message"], res
    assert decide(root).returncode == 0
    r = run_cli(root, "release", "checklist", "--version", "0.1.0")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "dirty tree" in r.stderr, r.stderr


@pytest.mark.e2e
def test_blank_override_reason_is_no_override(released: Path) -> None:
    """An override reason of only blanks gives no reason: `release decide` refuses it, and a
    record carrying one is judged as a go without an override by the controls."""
    root = released

    def blank_override(doc: dict[str, Any]) -> None:
        doc["preflight"]["status"] = "fail"
        doc["override_reason"] = " \t "

    rewrite(root, REL / "decision.json", blank_override)
    res = controls(root)["release-owner"]
    assert res["status"] == "fail", res
    assert "a go without an override reason" in res["message"]
    git(root, "tag", "-d", "v0.1.0")
    (root / "CHANGELOG.md").write_text("# Changelog\n")
    commit_all(root, "lose the changelog entry")
    run_cli(root, "gate", "release")
    r = decide(root, "--override-reason", "   ")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "fix it, or pass --override-reason" in r.stderr, r.stderr
    assert decide(root, "--override-reason", "hotfix").returncode == 0


# ---- 3. time and references -------------------------------------------------------------------


def test_future_dated_review_is_not_evidence(fresh: Path) -> None:
    now = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    assert future_problem(now + CLOCK_SKEW, "at", now) is None
    assert "in the future" in str(future_problem(now + CLOCK_SKEW * 2, "at", now))

    root = fresh
    env = {**os.environ, "LANE_TASKS_NOW": "2026-03-02T09:30:00Z"}
    r = run_cli(root, "kpi", "review", "--reviewer", "ana", "--now", "2026-03-09T09:30:00Z")
    assert r.returncode == 0, r.stderr
    res = controls(root, env)["weekly-kpi-review"]
    assert res["status"] == "fail", res
    assert "reviewed_at 2026-03-09T09:30:00+00:00 is in the future" in res["message"]
    for p in (root / "release-evidence" / "kpi-reviews").iterdir():
        p.unlink()
    ahead = (now + timedelta(minutes=4)).isoformat()  # within the clock skew: fine
    assert run_cli(root, "kpi", "review", "--reviewer", "ana", "--now", ahead).returncode == 0
    assert controls(root, env)["weekly-kpi-review"]["status"] == "pass"


def set_project(root: Path, **values: Any) -> subprocess.CompletedProcess[str]:
    data = tomllib.loads((root / "lanes.toml").read_text())
    data["project"].update(values)
    (root / "lanes.toml").write_text(tomli_w.dumps(data))
    return run_cli(root, "lanes", "validate")


def line_of(root: Path, key: str) -> int:
    lines = (root / "lanes.toml").read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if line.startswith(f"{key} ="))


def test_moving_adoption_point_is_refused(fresh: Path) -> None:
    root = fresh
    branch = git(root, "rev-parse", "--abbrev-ref", "HEAD")
    for moving in ("HEAD", branch, "HEAD~1"):
        r = set_project(root, adoption_point=moving)
        assert r.returncode == 2, (moving, r.stdout)
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
        where = f"lanes.toml:{line_of(root, 'adoption_point')}: project.adoption_point: "
        assert where in r.stderr and "is not a tag or a commit id" in r.stderr, r.stderr
    git(root, "tag", "adopted")
    head = git(root, "rev-parse", "HEAD")
    for fixed in ("adopted", head, head[:10]):
        r = set_project(root, adoption_point=fixed)
        assert r.returncode == 0, (fixed, r.stderr)


def test_moving_adoption_point_is_refused_when_it_looks_like_a_commit_id(fresh: Path) -> None:
    """git reads `cafe` as a reference (refs/remotes/cafe, a branch ...) before it reads it as
    an abbreviated commit id: a hex name that is also a moving reference is refused."""
    root = fresh
    head = git(root, "rev-parse", "HEAD")
    for ref in ("refs/remotes/cafe", "refs/heads/cafe", "refs/cafe", "refs/remotes/cafe/HEAD"):
        git(root, "update-ref", ref, head)
        r = set_project(root, adoption_point="cafe")
        assert r.returncode == 2, (ref, r.stdout)
        assert "which moves" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
        git(root, "update-ref", "-d", ref)
    git(root, "tag", "cafe")  # a tag does not move
    assert set_project(root, adoption_point="cafe").returncode == 0


def test_tag_pattern_hiding_tags_is_reported(fresh: Path) -> None:
    root = fresh
    git(root, "tag", "v0.1.0")  # a release without a decision or checklist
    by_id = controls(root)
    assert by_id["release-owner"]["status"] == "fail"  # judged: no decision record
    data = tomllib.loads((root / "lanes.toml").read_text())
    data["gate"]["release"]["tag_pattern"] = r"^release-(?P<version>.+)$"
    (root / "lanes.toml").write_text(tomli_w.dumps(data))
    by_id = controls(root)
    for cid in ("release-owner", "release-checklist-evidence"):
        res = by_id[cid]
        assert res["status"] == "fail", res
        assert "tag_pattern in lanes.toml matches none" in res["message"], res
        assert "it hides v0.1.0" in res["message"], res


def test_empty_release_owners_is_refused(fresh: Path) -> None:
    root = fresh
    r = set_project(root, release_owners=[])
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    where = f"lanes.toml:{line_of(root, 'release_owners')}: project.release_owners: is empty"
    assert where in r.stderr, r.stderr
