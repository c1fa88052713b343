"""The [kpi] and [release] tables of lanes.toml: one-line errors for a bad review period or
checklist, and a checklist item the lane does not run."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import Templates, audit_project, make_project, run_cli


@pytest.fixture
def sample(templates: Templates, tmp_path: Path) -> Path:
    """A copy of make_project's project (init's lanes)."""
    return templates.copy("sample", make_project, tmp_path)


@pytest.fixture
def audited(templates: Templates, tmp_path: Path) -> Path:
    """A copy of helpers.audit_project's project."""
    return templates.copy("audited", audit_project, tmp_path)


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
