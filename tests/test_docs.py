"""The published docs set (lanes.md and the role quickstarts), generated from lanes.toml:
deterministic, checked, drift-clean, and this repository publishes its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import (
    AUDIT_OWNER,
    REPO_ROOT,
    Templates,
    audit_lanes,
    commit_all,
    make_project,
    run_cli,
)


@pytest.fixture
def sample(templates: Templates, tmp_path: Path) -> Path:
    """A copy of make_project's project (init's lanes)."""
    return templates.copy("sample", make_project, tmp_path)


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
        f"`{AUDIT_OWNER}`",
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
