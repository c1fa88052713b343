"""The governance tables init writes: teams from CODEOWNERS or the git author, ownership of
every check, step and control, the severity model; and the first regulated run then fails only
on evidence people must give."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from helpers import git, make_project, run_nox, write

from lane_tasks.adopt.governance_scaffold import (
    PLACEHOLDER_CONTACT,
    governance_scaffold,
    lane_items,
    merge_tables,
)
from lane_tasks.adopt.init_repo import LANES, default_lanes_toml
from lane_tasks.config import load_config, parse_config
from lane_tasks.governance import ownership_matrix, severity_problems

CODEOWNERS = """
# owners
*           @acme/core
/docs/      @acme/docs writer@acme.example
*.toml      @acme/release
"""


def _regulated_config(root: Path) -> None:
    """Every check, step and control of regulated is owned by a defined team with a contact,
    and the severity model passes."""
    config = load_config(root / "lanes.toml")
    lane = config.resolve("regulated")
    matrix = ownership_matrix(config, lane)
    assert matrix.problems(config.teams) == []
    kinds = {r.kind for r in matrix.rows}
    assert kinds == {"check", "step", "control"}
    assert {r.id for r in matrix.rows if r.kind == "step"} == set(lane.step_ids())
    assert {r.id for r in matrix.rows if r.kind == "control"} == set(lane.control_ids())
    assert {r.id for r in matrix.rows if r.kind == "check"} == set(config.checks)
    problems, slos = severity_problems(config)
    assert problems == []
    assert list(slos) == list(config.support.levels)


def test_teams_from_codeowners(tmp_path: Path) -> None:
    root = make_project(tmp_path, lane="regulated")
    write(root, ".github/CODEOWNERS", CODEOWNERS)
    (root / "lanes.toml").write_text(default_lanes_toml(root, "regulated"))
    config = load_config(root / "lanes.toml")
    owners = [w for line in CODEOWNERS.splitlines() for w in line.split()[1:] if "@" in w]
    assert sorted(t.contact or "" for t in config.teams.values()) == sorted(owners)
    # the owner of `*` owns everything; every item is owned through it
    star = next(line.split()[1] for line in CODEOWNERS.splitlines() if line.startswith("*"))
    team = next(t.name for t in config.teams.values() if t.contact == star)
    assert {r.team for r in ownership_matrix(config).rows} == {team}
    assert {c.owner for c in config.checks.values()} == {team}
    _regulated_config(root)


def test_team_from_the_git_author(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    git(root, "config", "user.email", "author@example.org")
    git(root, "config", "user.name", "The Author")
    (root / "lanes.toml").write_text(default_lanes_toml(root, "regulated"))
    config = load_config(root / "lanes.toml")
    assert [t.contact for t in config.teams.values()] == [git(root, "config", "user.email")]
    _regulated_config(root)


def test_no_git_identity_gives_a_named_placeholder_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path)
    empty = tmp_path / "empty-gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    assert git_has(root, "user.email") is False  # the repository sets none either
    scaffold = governance_scaffold(root, "regulated", ["pytest"], lanes=LANES)
    (team,) = scaffold.tables["teams"].values()
    assert team["contact"] == PLACEHOLDER_CONTACT
    assert any("git has no user.email" in w and PLACEHOLDER_CONTACT in w for w in scaffold.why)


def git_has(root: Path, key: str) -> bool:
    import subprocess

    r = subprocess.run(["git", "config", "--get", key], cwd=root, capture_output=True, check=False)
    return r.returncode == 0


def test_tables_follow_the_controls_of_the_lane(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    checks = ["ruff-check", "pytest"]
    start = governance_scaffold(root, "startup", checks, lanes=LANES).tables
    assert set(start) == {"teams", "gate"}  # startup has no governance control
    scale = governance_scaffold(root, "scale", checks, lanes=LANES).tables
    assert {"ownership", "compat", "kpi"} <= set(scale) and "support" not in scale
    reg = governance_scaffold(root, "regulated", checks, lanes=LANES)
    assert {"ownership", "compat", "kpi", "support", "release"} <= set(reg.tables)
    steps, controls = lane_items(LANES, "regulated")
    assert list(reg.tables["ownership"]["steps"]) == list(steps)
    assert list(reg.tables["ownership"]["controls"]) == list(controls)
    assert set(reg.tables["gate"]["fast"]["checks"]) == set(checks)
    assert reg.why and all(isinstance(w, str) and w for w in reg.why)
    # the merged data is a lanes.toml the loader accepts
    import tomli_w

    base = tomllib.loads(default_lanes_toml(root, "startup"))
    merged = merge_tables(base, reg.tables)
    parse_config(tomli_w.dumps(merged), root / "lanes.toml")
    assert (
        merged["gate"]["fast"]["checks"]["pytest"]["cmd"]
        == base["gate"]["fast"]["checks"]["pytest"]["cmd"]
    )


@pytest.mark.e2e
@pytest.mark.slow
def test_first_regulated_run_fails_only_on_human_evidence(tmp_path: Path) -> None:
    root = make_project(tmp_path, lane="regulated")  # init, then commit everything it wrote
    assert git(root, "ls-files", "compat-snapshot.json") == "compat-snapshot.json"
    r = run_nox(root, "-s", "regulated")
    assert r.returncode != 0
    config = load_config(root / "lanes.toml")
    run = sorted((config.artifacts_path() / "lanes" / "runs").iterdir())[-1]
    controls = json.loads((run / "controls.json").read_text())
    failed = {x["id"] for x in controls["results"] if x["status"] != "pass"}
    assert failed == {"weekly-kpi-review"}, controls["results"]
    steps = {"gate-fast": "gate-fast", "gate-release": "release-preflight", "doctor": "doctor"}
    steps |= {"drift-check": "drift-check", "contract-index": "contract-index"}
    for step, name in steps.items():
        doc = json.loads((run / f"{name}.json").read_text())
        assert doc["status"] == "pass", (step, doc["results"])
