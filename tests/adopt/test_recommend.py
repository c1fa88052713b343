"""`lane-tasks lanes recommend`: the smallest lane that meets every stated constraint, asked at a
terminal when none is given."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import tomli_w
from helpers import Templates, make_project, run_cli


@pytest.fixture
def sample(templates: Templates, tmp_path: Path) -> Path:
    """A copy of make_project's project (init's lanes)."""
    return templates.copy("sample", make_project, tmp_path)


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
