"""steps/gate_order: gate fast starts the check that took longest last time first."""

from __future__ import annotations

import json
from pathlib import Path

import tomli_w
from helpers import commit_all, make_git_repo, run_cli

from lane_tasks.config import load_config
from lane_tasks.steps.gate_order import DURATIONS, last_durations, longest_first
from lane_tasks.util.procs import ProcSpec


def _spec(check_id: str) -> ProcSpec:
    return ProcSpec(id=check_id, cmd=("true",), cwd=Path(), timeout=1.0)


def _repo(tmp_path: Path) -> Path:
    """Two checks, each appending its id to started.txt as it starts: quick, then slow."""

    def check(name: str, seconds: float) -> dict[str, object]:
        code = f"import time; open('started.txt', 'a').write('{name}\\n'); time.sleep({seconds})"
        return {"cmd": ["{python}", "-c", code]}

    root = make_git_repo(tmp_path / "repo")
    data = {
        "lanes": {"quick": {"steps": ["gate-fast"]}},
        "gate": {"fast": {"checks": {"quick": check("quick", 0), "slow": check("slow", 0.4)}}},
    }
    (root / "lanes.toml").write_text(tomli_w.dumps(data))
    (root / ".gitignore").write_text("/build/\nstarted.txt\n")
    commit_all(root)
    return root


def test_the_check_that_took_longest_starts_first_next_time(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    started = root / "started.txt"
    for _ in range(2):
        r = run_cli(root, "gate", "fast", "--jobs", "1", "--no-cache", "--format", "json")
        assert r.returncode == 0, r.stderr
    assert started.read_text().split() == ["quick", "slow", "slow", "quick"]
    took = last_durations(load_config(root / "lanes.toml"))
    assert took["slow"] >= 0.4 > took["quick"]
    # the results are still reported in lanes.toml's order
    assert [c["id"] for c in json.loads(r.stdout)["results"]] == ["quick", "slow"]


def test_a_planted_or_broken_durations_file_only_changes_the_order(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    config = load_config(root / "lanes.toml")
    hint = config.artifacts_path() / DURATIONS
    hint.parent.mkdir(parents=True)
    specs = [_spec("quick"), _spec("slow"), _spec("new")]
    for planted in ("not json", "[1, 2]", '{"slow": "long", "quick": NaN}'):
        hint.write_text(planted)
        assert last_durations(config) == {}
        assert [s.id for s in longest_first(config, specs)] == ["quick", "slow", "new"]
    hint.write_text('{"quick": 9.5, "slow": 0.1, "gone": 3}')
    # a check never timed first (it may be the slow one), then the longest
    assert [s.id for s in longest_first(config, specs)] == ["new", "quick", "slow"]
    r = run_cli(root, "gate", "fast", "--jobs", "1", "--no-cache")
    assert r.returncode == 0, r.stderr
    assert (root / "started.txt").read_text().split() == ["quick", "slow"]
    assert set(json.loads(hint.read_text())) == {"quick", "slow", "gone"}
