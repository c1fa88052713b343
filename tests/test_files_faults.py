"""Files, time and faults: lane-tasks deletes and writes only its own files inside its own
directories, writes what the --out suffix says, and turns disk faults into one line."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from conftest import commit_all, make_git_repo, write

from lane_tasks.cli import main
from lane_tasks.config import load_config
from lane_tasks.top_level import claim, record_written

LANES = """
[project]
artifacts_dir = "build"
release_owners = ["owner@example.org"]

[lanes.startup]
steps = ["gate-fast", "doctor"]

[gate.fast.checks.ok]
cmd = ["{python}", "-c", "pass"]
"""


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository with one passing gate-fast check, as the cwd."""
    root = make_git_repo(tmp_path / "repo")
    write(root, "lanes.toml", LANES)
    write(root, ".gitignore", "/build/\n")
    write(root, "src/app.py", "X = 1\n")
    commit_all(root, "initial")
    monkeypatch.chdir(root)
    return root


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---- 7: deleting what is not ours ------------------------------------------------------------


def test_forged_owner_file_deletes_nothing_outside(tiny: Path, tmp_path: Path) -> None:
    config = load_config(tiny / "lanes.toml")
    build = tiny / "build"
    (build / "lanes").mkdir(parents=True)
    outside = tmp_path / "outside.txt"
    outside.write_text("not yours\n")
    tracked = tiny / "src" / "app.py"
    (build / "link.json").symlink_to(outside)
    (build / "adir").mkdir()
    (build / "edited.json").write_text("edited since\n")
    (build / "ours.json").write_text("ours\n")
    (build / "sub").symlink_to(tiny / "src")
    listed = [
        ("src/app.py", sha(tracked)),  # a tracked source, with its real digest
        (str(outside), sha(outside)),  # absolute, outside the repository
        ("../outside.txt", sha(outside)),
        ("build/../src/app.py", sha(tracked)),
        ("build/link.json", sha(outside)),  # a symlink to a file outside
        ("build/sub/app.py", sha(tracked)),  # through a symlinked directory into src/
        ("build/adir", "0" * 64),
        ("build/edited.json", "0" * 64),  # not the bytes we wrote
        ("build/ours.json", sha(build / "ours.json")),
    ]
    forged = {
        "run_id": "20260101T000000Z-000000",
        "pid": 0,
        "active": False,
        "files": [{"path": p, "sha256": d} for p, d in listed] + ["src/app.py", {"path": 1}],
    }
    (build / "lanes" / "top-level.json").write_text(json.dumps(forged))
    assert claim(config, "20260101T000001Z-000001") is None
    assert tracked.read_text() == "X = 1\n" and outside.read_text() == "not yours\n"
    assert (build / "link.json").is_symlink() and (build / "adir").is_dir()
    assert (build / "edited.json").exists()
    assert not (build / "ours.json").exists()  # the one file provably ours is replaced
    owner = json.loads((build / "lanes" / "top-level.json").read_text())
    assert owner["run_id"] == "20260101T000001Z-000001" and owner["files"] == []


def test_top_level_files_are_recorded_with_their_digest(tiny: Path) -> None:
    run = "20260101T000002Z-000002"
    assert main(["doctor", "--out", "build/doctor.json", "--run-id", run, "-q"]) in (0, 1)
    owner = json.loads((tiny / "build" / "lanes" / "top-level.json").read_text())
    assert owner["files"] == [
        {"path": "build/doctor.json", "sha256": sha(tiny / "build" / "doctor.json")}
    ]
    config = load_config(tiny / "lanes.toml")
    record_written(config, run, [tiny / "src" / "app.py"])  # outside the artifacts directory
    again = json.loads((tiny / "build" / "lanes" / "top-level.json").read_text())
    assert again["files"] == owner["files"]


# ---- 9: the format of --out ------------------------------------------------------------------


def test_out_json_suffix_writes_json(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gate", "fast", "--out", "build/g.json"]) == 0
    doc = json.loads((tiny / "build" / "g.json").read_text())
    assert doc["schema"] == "lane-tasks/gate-fast" and doc["status"] == "pass"
    assert main(["gate", "fast", "--out", "build/g.sarif"]) == 0
    assert json.loads((tiny / "build" / "g.sarif").read_text())["version"] == "2.1.0"
    assert main(["gate", "fast", "--out", "build/g.xml"]) == 0
    assert (tiny / "build" / "g.xml").read_text().startswith("<?xml")
    assert main(["gate", "fast", "--format", "sarif", "--out", "build/s.json"]) == 0
    assert json.loads((tiny / "build" / "s.json").read_text())["version"] == "2.1.0"
    assert main(["export", "build/g.json", "--format", "junit", "--out", "build/e.xml"]) == 0
    capsys.readouterr()


def test_out_format_contradicting_suffix_is_one_line_error(
    tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (
        ["gate", "fast", "--format", "text", "--out", "build/x.json"],
        ["doctor", "--format", "json", "--out", "build/x.xml"],
        ["gate", "fast", "--format", "junit", "--out", "build/x.sarif"],
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "contradicts --out" in err, err
    assert not (tiny / "build" / "x.json").exists()


def test_plain_step_command_writes_its_artifact_where_the_lane_would(
    tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["gate", "fast"]) == 0
    assert "gate-fast: 1 pass" in capsys.readouterr().out  # the report still for people
    doc = json.loads((tiny / "build" / "gate-fast.json").read_text())
    assert doc["schema"] == "lane-tasks/gate-fast"


def test_contract_index_without_out_is_an_index_verify_accepts(
    tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = "20260101T000003Z-000003"
    assert main(["gate", "fast", "--out", "build/gate-fast.json", "--run-id", run, "-q"]) == 0
    assert main(["contract-index", "--run-id", run, "--out", "build/contract-index.json"]) == 0
    capsys.readouterr()
    assert main(["contract-index", "verify"]) == 0, capsys.readouterr().out
