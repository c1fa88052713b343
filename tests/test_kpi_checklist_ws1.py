"""The weekly-kpi-review and release-checklist-evidence controls, `lanes recommend`, and the
published docs set (lanes.md + role quickstarts): real projects, real runs, real git."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from helpers import (
    REPO_ROOT,
    Templates,
    commit_all,
    git,
    make_project,
    run_cli,
    validate_artifact,
)

from lane_tasks.evidence.store import new_run_id

OWNER = "lead@example.org"
FAST_CHECK = {"smoke": {"cmd": ["{python}", "-c", "pass"], "owner": "qa"}}
NOW = "2026-03-02T09:30:00Z"


def audit_lanes(root: Path, **extra: Any) -> Path:
    """`root` (make_project's project) given one lane holding the two controls, a quick gate
    and offline builds, committed."""
    data = tomllib.loads((root / "lanes.toml").read_text())
    data["project"]["release_owners"] = [OWNER]
    data["gate"] = {"fast": {"checks": FAST_CHECK}, "release": {"offline": True}}
    data["lanes"]["audit"] = {
        "steps": ["gate-fast", "gate-release", "doctor"],
        "controls": ["weekly-kpi-review", "release-checklist-evidence"],
    }
    data |= extra
    (root / "lanes.toml").write_text(tomli_w.dumps(data))
    commit_all(root, "lanes")
    return root


def project(d: Path) -> Path:
    """A real project with one lane holding the two controls, a quick gate and offline builds."""
    return audit_lanes(make_project(d))


@pytest.fixture
def sample(templates: Templates, tmp_path: Path) -> Path:
    """A copy of make_project's project (init's lanes)."""
    return templates.copy("kpi-sample", make_project, tmp_path)


@pytest.fixture
def audited(templates: Templates, tmp_path: Path) -> Path:
    """A copy of `project`."""
    return templates.copy("kpi-audited", project, tmp_path)


def env(now: str) -> dict[str, str]:
    return {**os.environ, "LANE_TASKS_NOW": now}


def control(root: Path, cid: str, now: str | None = None) -> dict[str, Any]:
    r = run_cli(
        root, "controls", "verify", "--lane", "audit", "--format", "json",
        env=env(now) if now else None,
    )  # fmt: skip
    assert "Traceback" not in r.stderr, r.stderr
    doc = json.loads(r.stdout)
    validate_artifact(doc)
    result: dict[str, Any] = next(x for x in doc["results"] if x["id"] == cid)
    return result


# ---- kpi review -------------------------------------------------------------------------------


def review(root: Path, *args: str, now: str = NOW) -> subprocess.CompletedProcess[str]:
    return run_cli(root, "kpi", "review", *args, "--now", now)


def test_kpi_review_of_an_empty_history_records_every_kpi_unknown(audited: Path) -> None:
    root = audited
    r = review(root, "--reviewer", "ana", "--notes", "  flat week ", "--lane", "scale")
    assert r.returncode == 0, r.stderr
    path = root / "release-evidence" / "kpi-reviews" / "20260302T093000Z.json"
    assert "release-evidence/kpi-reviews/20260302T093000Z.json" in r.stdout
    doc = json.loads(path.read_text())
    validate_artifact(doc)
    assert doc["reviewed_at"] == "2026-03-02T09:30:00+00:00"
    assert (doc["reviewer"], doc["lane"], doc["notes"]) == ("ana", "scale", "flat week")
    assert [k["id"] for k in doc["kpis"]] == [
        "first-time-success-rate",
        "median-release-decision-time",
        "failed-release-gate-frequency",
        "mean-time-to-triage",
    ]
    for k in doc["kpis"]:  # nothing ran yet: no value is invented
        assert k["value"] is None and k["status"] == "unknown"
        assert k["sample"] == 0 and k["reason"].startswith("no ")
    # the default lane is the first one with the control: scale in init's lanes
    assert review(root, "--reviewer", "ana", now="2026-03-02T10:00:00Z").returncode == 0
    later = json.loads((path.parent / "20260302T100000Z.json").read_text())
    assert later["lane"] == "scale" and later["notes"] is None
    again = review(root, "--reviewer", "ana", now="2026-03-02T10:00:00Z")
    assert again.returncode == 1 and "already exists" in again.stderr


def test_kpi_review_refuses_an_unlisted_or_empty_reviewer(sample: Path) -> None:
    root = audit_lanes(sample, kpi={"reviewers": ["ana@example.org"]})
    r = review(root, "--reviewer", "ana@example.com")
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1
    assert "not a KPI reviewer" in r.stderr and "did you mean 'ana@example.org'" in r.stderr
    assert review(root, "--reviewer", "  ").returncode == 2
    assert review(root, "--reviewer", "ana@example.org", now="yesterday").returncode == 2
    assert not (root / "release-evidence").exists()


def test_weekly_kpi_review_control(sample: Path) -> None:
    root = audit_lanes(sample, kpi={"review_period_days": 7})
    res = control(root, "weekly-kpi-review", now=NOW)
    assert res["status"] == "fail" and "no KPI review recorded" in res["message"]
    assert res["fix"] and "kpi review" in res["fix"]
    assert review(root, "--reviewer", "ana", now="2026-03-01T09:30:00Z").returncode == 0
    res = control(root, "weekly-kpi-review", now=NOW)
    assert res["status"] == "pass", res
    assert "ana" in res["message"] and "1 day" in res["message"]
    res = control(root, "weekly-kpi-review", now="2026-03-10T21:30:00Z")
    assert res["status"] == "fail"
    assert "9.5 days old" in res["message"] and "review_period_days is 7" in res["message"]
    res = control(root, "weekly-kpi-review", now="2026-03-08T09:30:00Z")  # exactly 7 days
    assert res["status"] == "pass", res
    # a newer review counts; an invalid record anywhere fails
    assert review(root, "--reviewer", "bo", now="2026-03-09T09:30:00Z").returncode == 0
    res = control(root, "weekly-kpi-review", now="2026-03-10T21:30:00Z")
    assert res["status"] == "pass" and "bo" in res["message"]
    bad = root / "release-evidence" / "kpi-reviews" / "20260101T000000Z.json"
    bad.write_text('{"schema": "lane-tasks/kpi-review"}\n')
    res = control(root, "weekly-kpi-review", now="2026-03-10T21:30:00Z")
    assert res["status"] == "fail"
    assert "invalid KPI review record" in res["message"] and bad.name in res["message"]


def test_weekly_kpi_review_fails_on_an_unlisted_reviewer(audited: Path) -> None:
    root = audited
    assert review(root, "--reviewer", "mallory").returncode == 0
    assert control(root, "weekly-kpi-review", now=NOW)["status"] == "pass"
    text = (root / "lanes.toml").read_text() + '\n[kpi]\nreviewers = ["ana"]\n'
    (root / "lanes.toml").write_text(text)
    res = control(root, "weekly-kpi-review", now=NOW)
    assert res["status"] == "fail"
    assert "'mallory', who is not in kpi.reviewers (ana)" in res["message"]


@pytest.mark.parametrize(
    ("toml", "needle"),
    [
        ("[kpi]\nreview_period_days = 0\n", "kpi.review_period_days: must be at least 1"),
        ("[kpi]\nreview_period = 7\n", "did you mean 'review_period_days'"),
        ('[release]\nchecklist = ["gate-fsat"]\n', "did you mean 'gate-fast'"),
        ('[release]\nchecklist = ["decison"]\n', "did you mean 'decision'"),
        ("[release]\nchecklist = []\n", "must list at least one item"),
    ],
)
def test_kpi_and_checklist_config_errors(sample: Path, toml: str, needle: str) -> None:
    root = sample
    (root / "lanes.toml").write_text((root / "lanes.toml").read_text() + "\n" + toml)
    r = run_cli(root, "lanes", "validate")
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1
    assert needle in r.stderr


def test_checklist_step_the_lane_does_not_run_is_a_config_error(audited: Path) -> None:
    root = audited
    (root / "lanes.toml").write_text(
        (root / "lanes.toml").read_text() + '\n[release]\nchecklist = ["drift-check"]\n'
    )
    r = run_cli(root, "lanes", "validate")
    assert r.returncode == 2
    assert "lane 'audit' does not run" in r.stderr


# ---- release checklist --------------------------------------------------------------------


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
    root = project(d)
    decided = git(root, "rev-parse", "HEAD")
    return root, decided, gates_run(root)


@pytest.fixture
def gated(templates: Templates, tmp_path: Path) -> tuple[Path, str, str]:
    """A copy of `project` (its HEAD) with a run in which gate fast and gate release ran."""
    return templates.copy("kpi-checklist-gated", _gated, tmp_path)


def decide_go(root: Path, version: str) -> None:
    r = run_cli(root, "release", "decide", "--version", version, "--decision", "go",
                "--owner", OWNER)  # fmt: skip
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
    assert items["decision"]["note"] == f"go by {OWNER}"

    res = control(root, "release-checklist-evidence")
    assert res["status"] == "pass" and "no release tags" in res["message"]
    commit_all(root, "release 0.1.0: evidence")
    git(root, "tag", "v0.1.0", decided)
    res = control(root, "release-checklist-evidence")
    assert res["status"] == "pass", res
    assert "v0.1.0" in res["message"]

    copy = root / rel / "evidence" / "release-preflight.json"
    original = copy.read_bytes()
    copy.write_bytes(original.replace(b'"pass"', b'"pas5"', 1))
    res = control(root, "release-checklist-evidence")
    assert res["status"] == "fail"
    assert "item 'gate-release'" in res["message"] and "tampered" in res["message"]
    assert res["fix"] and "release checklist" in res["fix"]
    copy.write_bytes(original)
    assert control(root, "release-checklist-evidence")["status"] == "pass"
    (root / rel / "evidence" / "decision.json").write_text("{}\n")
    res = control(root, "release-checklist-evidence")
    assert res["status"] == "fail" and "item 'decision'" in res["message"]
    git(root, "checkout", "--", str(rel / "evidence" / "decision.json"))

    (root / rel / "checklist.json").unlink()
    res = control(root, "release-checklist-evidence")
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
    res = control(root, "release-checklist-evidence")
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
    res = control(root, "release-checklist-evidence")
    assert res["status"] == "fail" and "checklist.json missing" in res["message"]


# ---- lanes recommend ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "lane", "needle"),
    [
        ((), "startup", "no constraint stated"),
        (("--constraint", "fast-onboarding"), "startup", "Fast onboarding + value proof"),
        (("--teams", "1"), "startup", "Fast onboarding + value proof"),
        (("--teams", "4"), "scale", "Cross-team consistency"),
        (("--constraint", "cross-team", "--no-audit"), "scale", "startup lacks ownership-matrix"),
        (("--audit",), "regulated", "Audit readiness + strict escalation"),
        (("--teams", "2", "--constraint", "audit"), "regulated", "scale lacks severity-model"),
    ],
)
def test_lanes_recommend(sample: Path, args: tuple[str, ...], lane: str, needle: str) -> None:
    root = sample
    r = run_cli(root, "lanes", "recommend", *args, "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["lane"] == lane
    assert needle in doc["reason"]
    assert doc["assumed"] is (not args)
    text = run_cli(root, "lanes", "recommend", *args)
    assert text.stdout.splitlines()[0] == lane


def test_lanes_recommend_errors_and_defaults(sample: Path, tmp_path: Path) -> None:
    root = sample
    r = run_cli(root, "lanes", "recommend", "--constraint", "audit", "--no-audit")
    assert r.returncode == 2 and "contradicts" in r.stderr
    assert run_cli(root, "lanes", "recommend", "--teams", "0").returncode == 2
    # a project whose lanes lack the audit controls has no lane to recommend
    data = tomllib.loads((root / "lanes.toml").read_text())
    del data["lanes"]["regulated"]
    (root / "lanes.toml").write_text(tomli_w.dumps(data))
    r = run_cli(root, "lanes", "recommend", "--audit")
    assert r.returncode == 1 and "no lane in lanes.toml meets" in r.stderr
    # no lanes.toml at all: the lanes `init` would write
    bare = tmp_path / "bare"
    bare.mkdir()
    r = run_cli(bare, "lanes", "recommend", "--teams", "3", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["lane"] == "scale"


@pytest.mark.e2e
def test_lanes_recommend_asks_at_a_terminal(sample: Path) -> None:
    root = sample
    primary, replica = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lane_tasks", "lanes", "recommend"],
        cwd=root,
        stdin=replica,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(replica)
    os.write(primary, b"maybe\ny\nn\n")  # an unclear answer is asked again
    out, err = proc.communicate(timeout=60)
    os.close(primary)
    assert proc.returncode == 0, err
    assert out.splitlines()[0] == "scale"
    assert err.count("Do several teams release through the same path?") == 2
    assert "Must releases be auditable" in err


# ---- docs: lanes.md and the role quickstarts ------------------------------------------------


def test_docs_set_is_deterministic_checked_and_drift_clean(sample: Path) -> None:
    root = sample
    r = run_cli(root, "lanes", "docs", "--out-dir", "docs")
    assert r.returncode == 0, r.stderr
    pages = ["lanes.md", *(f"quickstart/{p}.md" for p in (
        "release-owner", "gate-owner", "kpi-reviewer", "support-lead"))]  # fmt: skip
    first = {p: (root / "docs" / p).read_bytes() for p in pages}
    assert run_cli(root, "lanes", "docs", "--out-dir", "docs").returncode == 0
    assert {p: (root / "docs" / p).read_bytes() for p in pages} == first
    assert run_cli(root, "lanes", "docs", "--out-dir", "docs", "--check").returncode == 0
    assert run_cli(root, "lanes", "docs", "--check").returncode == 0  # lanes.md alone
    lanes_md = first["lanes.md"].decode()
    assert "## Lane selection guidance" in lanes_md
    assert "| Cross-team consistency | `scale` |" in lanes_md
    assert "- [Release owner](quickstart/release-owner.md)" in lanes_md
    assert "- [Support lead](quickstart/support-lead.md)" in lanes_md
    commit_all(root, "docs")
    drift = run_cli(root, "drift", "check", "--format", "json")
    assert drift.returncode == 0, drift.stdout
    assert json.loads(drift.stdout)["findings"] == []

    page = root / "docs" / "quickstart" / "kpi-reviewer.md"
    page.write_text(page.read_text().replace("--reviewer NAME", "--reviewer SOMEONE"))
    r = run_cli(root, "lanes", "docs", "--out-dir", "docs", "--check")
    assert r.returncode == 1
    assert "docs/quickstart/kpi-reviewer.md:" in r.stdout and "differs" in r.stdout
    (root / "docs" / "quickstart" / "gate-owner.md").unlink()
    r = run_cli(root, "lanes", "docs", "--out-dir", "docs", "--check")
    assert "docs/quickstart/gate-owner.md: does not exist" in r.stdout
    bad = run_cli(root, "lanes", "docs", "--out-dir", "docs", "--out", "x.md")
    assert bad.returncode == 2


def test_quickstarts_hold_each_roles_commands(sample: Path) -> None:
    root = audit_lanes(sample, kpi={"review_period_days": 14, "reviewers": ["ana"]})
    assert run_cli(root, "lanes", "docs", "--out-dir", "docs").returncode == 0
    q = root / "docs" / "quickstart"
    owner = (q / "release-owner.md").read_text()
    for line in (
        "nox -s startup",
        "lane-tasks release decide --version X --decision go --owner NAME --reason TEXT",
        "lane-tasks release checklist --version X",
        "lane-tasks controls verify --lane regulated",
        f"`{OWNER}`",
    ):
        assert line in owner, line
    gate = (q / "gate-owner.md").read_text()
    assert "lane-tasks gate fast --format json --out build/gate-fast.json" in gate
    assert "| `smoke` | qa |" in gate
    kpi = (q / "kpi-reviewer.md").read_text()
    assert "lane-tasks kpi review --reviewer NAME --lane scale --notes TEXT" in kpi
    assert "lane-tasks kpi --lane scale" in kpi and "lane-tasks dashboard" in kpi
    assert "Review every 14 days" in kpi and "`ana`" in kpi
    support = (q / "support-lead.md").read_text()
    assert "lane-tasks runs list" in support
    assert "lane-tasks triage --run RUN_ID --owner NAME" in support
    assert "lane-tasks contract-index verify" in support


def test_this_repository_publishes_its_docs() -> None:
    """docs/lanes.md and docs/quickstart/ of this repository are what lanes.toml renders, and
    the README links them."""
    r = run_cli(REPO_ROOT, "lanes", "docs", "--out-dir", "docs", "--check")
    assert r.returncode == 0, r.stdout
    readme = (REPO_ROOT / "README.md").read_text()
    assert "(docs/lanes.md)" in readme
    assert "(docs/quickstart/release-owner.md)" in readme
