"""Files, time and faults: lane-tasks deletes and writes only its own files inside its own
directories, writes what the --out suffix says, and turns disk faults into one line."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import Templates, commit_all, error_lines, make_git_repo, run_nox, write

from lane_tasks.cli import main
from lane_tasks.config import load_config
from lane_tasks.evidence.lease import claim, record_written
from lane_tasks.exports.markdown import append_github_summary
from lane_tasks.run import step as run_step_module
from lane_tasks.util import interrupts
from lane_tasks.util.interrupts import shielded, was_interrupted

LANES = """
[project]
artifacts_dir = "build"
release_owners = ["owner@example.org"]

[lanes.startup]
steps = ["gate-fast", "doctor"]

[gate.fast.checks.ok]
cmd = ["{python}", "-c", "pass"]
"""


def _tiny(d: Path) -> Path:
    root = make_git_repo(d / "repo")
    write(root, "lanes.toml", LANES)
    write(root, ".gitignore", "/build/\n")
    write(root, "src/app.py", "X = 1\n")
    commit_all(root, "initial")
    return root


@pytest.fixture
def tiny(templates: Templates, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository with one passing gate-fast check, as the cwd."""
    root = templates.copy("files-faults-tiny", _tiny, tmp_path)
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
        ("build", "0" * 64),  # the artifacts directory itself
        ("build/.", "0" * 64),
        ("./build/", "0" * 64),
        ("build/lanes/..", "0" * 64),
        ("build/\ud800.json", "0" * 64),  # JSON's lone surrogate names no path
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
    # the run holding the top level keeps writing there, past a forged entry of its own
    forged["run_id"], forged["active"] = "20260101T000001Z-000001", True
    (build / "lanes" / "top-level.json").write_text(json.dumps(forged))
    assert claim(config, "20260101T000001Z-000001") is None
    (build / "ours.json").write_text("ours again\n")
    record_written(config, "20260101T000001Z-000001", [build / "ours.json"])
    owner = json.loads((build / "lanes" / "top-level.json").read_text())
    assert "build/ours.json" in [e["path"] for e in owner["files"]]


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


@pytest.mark.e2e
@pytest.mark.parametrize("planted", ["top-level.json", ".top-level.lock", "refused"])
def test_fifo_in_the_owner_files_never_hangs(tiny: Path, planted: str) -> None:
    """A FIFO planted as the owner file, its lock or a run's refused marker is opened without
    blocking: the step ends (a one-line error at worst), it never waits for a writer."""
    run = "20260101T000003Z-000003"
    lanes = tiny / "build" / "lanes"
    where = lanes / "top-level-refused" / run if planted == "refused" else lanes / planted
    where.parent.mkdir(parents=True)
    os.mkfifo(where)
    r = subprocess.run(
        [sys.executable, "-m", "lane_tasks", "doctor", "--out", "x.json", "--run-id", run],
        cwd=tiny,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode in (0, 1, 3), r.stderr
    assert len(error_lines(r.stderr)) <= 1, r.stderr


@pytest.mark.e2e
def test_fifo_as_the_release_lock_never_hangs(tiny: Path) -> None:
    """The release preflight's lock, when a FIFO was planted there, is one line (exit 3)."""
    (tiny / "build" / "lanes").mkdir(parents=True)
    os.mkfifo(tiny / "build" / "lanes" / ".gate-release.lock")
    r = subprocess.run(
        [sys.executable, "-m", "lane_tasks", "gate", "release", "--offline"],
        cwd=tiny,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 3, r.stdout + r.stderr
    assert ".gate-release.lock: " in r.stderr  # ENXIO: a FIFO nobody reads
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


@pytest.mark.e2e
def test_fifo_in_the_run_store_never_hangs(tiny: Path) -> None:
    """A FIFO planted as a run's manifest or artifact is refused at once by every reader
    (controls, prune, the checklist, history import), never waited on."""
    assert main(["gate", "fast", "--run-id", "20260101T000005Z-000005", "-q"]) == 0
    run = tiny / "build" / "lanes" / "runs" / "20260101T000005Z-000005"
    (run / "gate-fast.json").unlink()
    os.mkfifo(run / "gate-fast.json")
    stale = tiny / "build" / "lanes" / "runs" / "20200101T000000Z-000000"
    stale.mkdir()
    os.mkfifo(stale / "manifest.json")
    for args in (
        ["controls", "verify", "--lane", "startup"],
        ["release", "checklist", "--version", "0.1.0"],
        ["history", "import", str(run)],
        ["doctor", "--run-id", "20260101T000004Z-000004", "--out", "x.json"],  # prunes
    ):
        r = subprocess.run(
            [sys.executable, "-m", "lane_tasks", *args],
            cwd=tiny,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert "Traceback" not in r.stderr, (args, r.stderr)


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
        ["contract-index", "--out", "build/x.xml"],  # a format it does not write
        ["drift", "check", "--out", "build/x.xml"],
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1, err
        assert "contradicts --out" in err or "which this command does not write" in err, err
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


# ---- 8: writing outside the repository -------------------------------------------------------


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert len(error_lines(err)) == 1 and "Traceback" not in err, err
    return "\n".join(error_lines(err)) + "\n"


@pytest.mark.parametrize("link", ["build", "build/lanes", "build/lanes/runs", "release-evidence"])
def test_symlinked_artifacts_dir_is_refused(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], link: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (tiny / link).parent.mkdir(parents=True, exist_ok=True)
    (tiny / link).symlink_to(outside)
    assert main(["gate", "fast", "--run-id", "20260101T000004Z-000004"]) == 3
    err = one_line_error(capsys)
    assert f"{link} is a symlink" in err and str(outside) in err
    assert list(outside.iterdir()) == []


@pytest.mark.e2e
def test_symlinked_artifacts_dir_is_refused_by_nox_too(tiny: Path, tmp_path: Path) -> None:
    write(tiny, "noxfile.py", "from lane_tasks.nox_sessions import register\n\nregister()\n")
    (tmp_path / "outside").mkdir()
    (tiny / "build").symlink_to(tmp_path / "outside")
    r = run_nox(tiny, "-s", "gate-fast")
    assert r.returncode == 3 and "build is a symlink" in r.stderr, r.stderr
    assert list((tmp_path / "outside").iterdir()) == []


def test_symlink_inside_artifacts_dir_into_the_sources_is_refused(
    tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tiny / "build" / "lanes").mkdir(parents=True)
    (tiny / "build" / "lanes" / "cache").symlink_to(tiny / "src")  # inside the repository
    assert main(["gate", "fast"]) == 3
    assert "build/lanes/cache is a symlink" in one_line_error(capsys)
    assert sorted(p.name for p in (tiny / "src").iterdir()) == ["app.py"]
    (tiny / "build" / "lanes" / "cache").unlink()
    (tiny / "build" / "lanes" / "cache").symlink_to(tiny / "build" / "lanes")  # stays inside
    assert main(["gate", "fast"]) == 0


@pytest.mark.parametrize(
    ("setting", "problem"),
    [
        ('artifacts_dir = "src"', "holds tracked files (src/app.py)"),
        ('artifacts_dir = ".git"', "must not be in git's own directory"),
        ('artifacts_dir = "out/.git/x"', "must not be in git's own directory"),
        ('artifacts_dir = "."', "not the root itself"),
        ('artifacts_dir = "./"', "not the root itself"),
        ('artifacts_dir = "/tmp/elsewhere"', "inside the repository"),
        ('artifacts_dir = "../elsewhere"', "inside the repository"),
        ('evidence_dir = "build/evidence"', "overlaps artifacts_dir 'build'"),
        ('evidence_dir = "build"', "is artifacts_dir 'build'"),
    ],
)
def test_artifacts_dir_overlapping_sources_is_refused(
    tiny: Path, capsys: pytest.CaptureFixture[str], setting: str, problem: str
) -> None:
    key = setting.split(" ")[0]
    text = LANES.replace(
        'artifacts_dir = "build"',
        setting if key == "artifacts_dir" else (f'artifacts_dir = "build"\n{setting}'),
    )
    (tiny / "lanes.toml").write_text(text)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith(key))
    assert main(["gate", "fast"]) == 2
    err = one_line_error(capsys)
    assert f"lanes.toml:{line}: project.{key}: " in err and problem in err, err
    assert (tiny / "src" / "app.py").read_text() == "X = 1\n"


def test_out_directory_is_one_line_error(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marker = tiny / "ran"
    slow = f"import pathlib, time; pathlib.Path({str(marker)!r}).write_text('x'); time.sleep(30)"
    (tiny / "lanes.toml").write_text(
        LANES.replace('cmd = ["{python}", "-c", "pass"]', f"cmd = ['{{python}}', '-c', {slow!r}]")
    )
    for out, problem in (("build", "is a directory"), ("../x.json", "outside the repository")):
        (tiny / "build").mkdir(exist_ok=True)
        assert main(["gate", "fast", "--format", "json", "--out", out]) == 2
        assert problem in one_line_error(capsys)
        assert not marker.exists(), "the step ran before its --out was checked"
    for argv in (
        ["history", "export", "--out", "build"],
        ["dashboard", "--out", "build"],
        ["lanes", "docs", "--out", "build"],
        ["compat", "snapshot", "--out", "build"],
    ):
        assert main(argv) == 2, argv
        assert "'build' is a directory" in one_line_error(capsys)


def test_out_into_git_directory_is_refused(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--out .git/config` (or hooks, or through a symlink into .git) would overwrite git's own
    files with a report: refused before the step runs, even with --allow-outside-root."""
    config = (tiny / ".git" / "config").read_bytes()
    (tiny / "gitlink").symlink_to(tiny / ".git")
    for out in (".git/config", ".git/hooks/pre-commit", "gitlink/config", "./.git/x.json"):
        for extra in ([], ["--allow-outside-root"]):
            assert main(["doctor", "--out", out, "-q", *extra]) == 2, out
            assert "inside the repository's .git directory" in one_line_error(capsys)
    assert (tiny / ".git" / "config").read_bytes() == config
    assert not (tiny / ".git" / "hooks" / "pre-commit").exists()


# ---- 11: faults ------------------------------------------------------------------------------


def immutable(path: Path) -> bool:
    """`chattr +i`: a directory even root cannot write in (chmod does not stop root)."""
    r = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    return r.returncode == 0


def mutable(path: Path) -> None:
    subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)


def test_readonly_artifacts_dir_is_one_line_exit_3(
    tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["gate", "fast"]) == 0
    capsys.readouterr()
    build = tiny / "build"
    if not immutable(build):
        pytest.skip("chattr +i is not supported here")
    try:
        for argv in (["gate", "fast", "--out", "build/g.json", "-q"], ["gate", "fast"]):
            assert main(argv) == 3
            err = one_line_error(capsys)
            assert "build" in err and "Operation not permitted" in err, err
        mutable(build)
        history = build / "lanes" / "history.sqlite"
        assert immutable(build / "lanes")
        assert main(["gate", "fast", "--out", "build/g.json", "-q"]) == 3
        err = one_line_error(capsys)
        assert f"{history}: cannot write the history" in err and "not a lane-tasks" not in err
    finally:
        mutable(build)
        mutable(build / "lanes")


def test_artifacts_dir_that_is_a_file_is_one_line_exit_3(
    tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tiny / "build").write_text("a file where the directory should be\n")
    assert main(["gate", "fast"]) == 3
    assert "Not a directory" in one_line_error(capsys)


@pytest.mark.e2e
def test_full_disk_is_one_line_exit_3(tiny: Path) -> None:
    def small_files() -> None:  # EFBIG for root too: a disk that is full for this process
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))

    r = subprocess.run(
        [sys.executable, "-m", "lane_tasks", "gate", "fast", "--out", "build/g.json"],
        cwd=tiny,
        preexec_fn=small_files,
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 3, r.stderr
    # The cache may warn first that it could not keep a result; the error itself is one line.
    errors = [line for line in error_lines(r.stderr) if "warning:" not in line]
    assert len(errors) == 1 and "File too large" in errors[0], r.stderr
    assert "Traceback" not in r.stderr
    assert str(tiny / "build") in r.stderr


@pytest.mark.e2e
def test_unrecorded_run_is_not_pass(tiny: Path) -> None:
    write(tiny, "noxfile.py", "from lane_tasks.nox_sessions import register\n\nregister()\n")
    commit_all(tiny, "noxfile")
    (tiny / "build" / "doctor.json").mkdir(parents=True)  # doctor cannot write its artifact
    r = run_nox(tiny, "-s", "gate-fast", "doctor")
    assert r.returncode != 0
    assert "Traceback" not in r.stderr + r.stdout
    (run,) = (tiny / "build" / "lanes" / "runs").iterdir()
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["run"]["state"] == "complete" and manifest["status"] == "error"
    conn = sqlite3.connect(tiny / "build" / "lanes" / "history.sqlite")
    try:
        assert conn.execute("SELECT status FROM runs").fetchall() == [("error",)]
    finally:
        conn.close()


def test_unwritable_step_summary_warns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    run.mkdir()
    for target in (tmp_path, tmp_path / "missing" / "summary.md", Path("/dev/full")):
        assert append_github_summary(run, {"GITHUB_STEP_SUMMARY": str(target)}) is False
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("lane-tasks: warning: "), err


def test_second_interrupt_during_recording_keeps_the_record(
    tiny: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Ctrl-C arriving while a step records its result is held until the artifact, the
    run's manifest and the history row are all written, then stops the command (exit 130)."""
    real = run_step_module._record

    def ctrl_c_mid_record(*args: Any, **kwargs: Any) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        real(*args, **kwargs)

    monkeypatch.setattr(run_step_module, "_record", ctrl_c_mid_record)
    run = "20260101T000005Z-000005"
    try:
        assert main(["gate", "fast", "--out", "build/g.json", "--run-id", run, "-q"]) == 130
        assert "interrupted" in capsys.readouterr().err
        assert was_interrupted()
    finally:
        interrupts._seen.clear()
    manifest = json.loads((tiny / "build" / "lanes" / "runs" / run / "manifest.json").read_text())
    assert [r["id"] for r in manifest["results"]] == ["gate-fast"]
    conn = sqlite3.connect(tiny / "build" / "lanes" / "history.sqlite")
    try:
        assert conn.execute("SELECT run_id, step FROM steps").fetchall() == [(run, "gate-fast")]
    finally:
        conn.close()
    with shielded(reraise=False):  # at nox's exit: remembered, never raised
        os.kill(os.getpid(), signal.SIGTERM)
    interrupts._seen.clear()


@pytest.mark.parametrize("kind", ["directory", "dangling symlink", "fifo"])
def test_lanes_toml_directory_is_refused(
    tiny: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    sub = tiny / "pkg"
    sub.mkdir()
    bad = sub / "lanes.toml"
    if kind == "directory":
        bad.mkdir()
    elif kind == "fifo":
        os.mkfifo(bad)
    else:
        bad.symlink_to(sub / "nowhere.toml")
    os.chdir(sub)
    assert main(["lanes", "list"]) == 2  # not the parent's lanes.toml
    err = one_line_error(capsys)
    assert (str(bad) in err and "not a regular file" in err) or "does not exist" in err, err


@pytest.mark.e2e
def test_lanes_toml_fifo_does_not_hang(tiny: Path) -> None:
    (tiny / "lanes.toml").unlink()
    os.mkfifo(tiny / "lanes.toml")
    write(tiny, "noxfile.py", "from lane_tasks.nox_sessions import register\n\nregister()\n")
    for module, args in (("lane_tasks", ("lanes", "list")), ("nox", ("-l",))):
        r = subprocess.run(
            [sys.executable, "-m", module, *args],
            cwd=tiny,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert r.returncode == 2 and "a FIFO" in r.stderr, (module, r.stderr)


def test_file_in_place_of_artifacts_dir_is_refused_before_any_step(tiny: Path) -> None:
    """A file where our directory goes is exit 3 when lanes.toml is loaded, not after the
    checks ran; the history database itself, named by [history] path, is a file and fine."""
    from lane_tasks.config import load_config
    from lane_tasks.errors import EnvironmentProblem

    (tiny / "build").write_text("a file\n")
    with pytest.raises(EnvironmentProblem, match="build: Not a directory"):
        load_config(tiny / "lanes.toml")
    (tiny / "build").unlink()
    write(tiny, "lanes.toml", LANES + '\n[history]\npath = "hist/runs.sqlite"\n')
    write(tiny, "hist/runs.sqlite", "")
    assert load_config(tiny / "lanes.toml").history.path == "hist/runs.sqlite"
    write(tiny, "lanes.toml", LANES + '\n[history]\npath = "hist/runs.sqlite/x.sqlite"\n')
    with pytest.raises(EnvironmentProblem, match=r"runs\.sqlite: Not a directory"):
        load_config(tiny / "lanes.toml")


def test_out_onto_a_symlink_fifo_or_device_is_refused(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """atomic_write renames a new file over its target: over a symlink, a FIFO or a device it
    would replace that entry (as root, `--allow-outside-root --out /dev/stdout` would replace
    /dev/stdout itself). Such a target is refused, exit 2, before the step runs."""
    victim = tiny / "victim.json"
    victim.write_text("{}\n")
    (tiny / "link.json").symlink_to(victim)
    (tiny / "away.json").symlink_to(tmp_path / "away.json")
    os.mkfifo(tiny / "fifo.json")
    for out, allow in (
        ("link.json", []),
        ("away.json", ["--allow-outside-root"]),
        ("fifo.json", []),
        ("/dev/null", ["--allow-outside-root"]),
    ):
        assert main(["doctor", "--out", out, *allow]) == 2
        assert "give a regular file" in one_line_error(capsys)
    assert victim.read_text() == "{}\n" and (tiny / "link.json").is_symlink()
    assert not (tmp_path / "away.json").exists()
    assert Path("/dev/null").is_char_device() and not (tiny / "build" / "doctor.json").exists()
