"""`lane-tasks kpi review`, the weekly KPI review a named reviewer records as evidence, and the
weekly-kpi-review control that reads it: real projects, real runs, real git."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers import (
    Templates,
    audit_control,
    audit_lanes,
    audit_project,
    make_project,
    run_cli,
    validate_artifact,
)

NOW = "2026-03-02T09:30:00Z"


@pytest.fixture
def sample(templates: Templates, tmp_path: Path) -> Path:
    """A copy of make_project's project (init's lanes)."""
    return templates.copy("sample", make_project, tmp_path)


@pytest.fixture
def audited(templates: Templates, tmp_path: Path) -> Path:
    """A copy of helpers.audit_project's project."""
    return templates.copy("audited", audit_project, tmp_path)


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
    res = audit_control(root, "weekly-kpi-review", now=NOW)
    assert res["status"] == "fail" and "no KPI review recorded" in res["message"]
    assert res["fix"] and "kpi review" in res["fix"]
    assert review(root, "--reviewer", "ana", now="2026-03-01T09:30:00Z").returncode == 0
    res = audit_control(root, "weekly-kpi-review", now=NOW)
    assert res["status"] == "pass", res
    assert "ana" in res["message"] and "1 day" in res["message"]
    res = audit_control(root, "weekly-kpi-review", now="2026-03-10T21:30:00Z")
    assert res["status"] == "fail"
    assert "9.5 days old" in res["message"] and "review_period_days is 7" in res["message"]
    res = audit_control(root, "weekly-kpi-review", now="2026-03-08T09:30:00Z")  # exactly 7 days
    assert res["status"] == "pass", res
    # a newer review counts; an invalid record anywhere fails
    assert review(root, "--reviewer", "bo", now="2026-03-09T09:30:00Z").returncode == 0
    res = audit_control(root, "weekly-kpi-review", now="2026-03-10T21:30:00Z")
    assert res["status"] == "pass" and "bo" in res["message"]
    bad = root / "release-evidence" / "kpi-reviews" / "20260101T000000Z.json"
    bad.write_text('{"schema": "lane-tasks/kpi-review"}\n')
    res = audit_control(root, "weekly-kpi-review", now="2026-03-10T21:30:00Z")
    assert res["status"] == "fail"
    assert "invalid KPI review record" in res["message"] and bad.name in res["message"]


def test_weekly_kpi_review_fails_on_an_unlisted_reviewer(audited: Path) -> None:
    root = audited
    assert review(root, "--reviewer", "mallory").returncode == 0
    assert audit_control(root, "weekly-kpi-review", now=NOW)["status"] == "pass"
    text = (root / "lanes.toml").read_text() + '\n[kpi]\nreviewers = ["ana"]\n'
    (root / "lanes.toml").write_text(text)
    res = audit_control(root, "weekly-kpi-review", now=NOW)
    assert res["status"] == "fail"
    assert "'mallory', who is not in kpi.reviewers (ana)" in res["message"]
