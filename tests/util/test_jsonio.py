"""util/jsonio: canonical JSON, and atomic writes that replace a whole file or leave the old one,
with the mode a plain write would give."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import make_git_repo, run_cli

from lane_tasks.util.jsonio import atomic_write, canonical_json


def test_canonical_json_is_sorted_indented_and_newline_terminated() -> None:
    text = canonical_json({"b": 1, "a": {"d": 2, "c": 3}})
    assert text == '{\n  "a": {\n    "c": 3,\n    "d": 2\n  },\n  "b": 1\n}\n'


def test_atomic_write_replaces_whole_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "out.json"
    atomic_write(target, "first\n")
    atomic_write(target, "second\n")
    assert target.read_text() == "second\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.json"]


def test_atomic_write_failure_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.json"
    atomic_write(target, "old\n")

    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, "new\n")
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


# ---- file modes: what a plain write would give, never mkstemp's 0600 ----------------------


@pytest.fixture
def umask() -> Iterator[Callable[[int], int]]:
    """Set this process's umask for one test (its subprocesses inherit it); restored after."""
    saved = os.umask(0o022)
    os.umask(saved)
    yield os.umask
    os.umask(saved)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize(
    ("mask", "expected"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)], ids=oct
)
def test_new_file_gets_the_umask_mode(
    tmp_path: Path, umask: Callable[[int], int], mask: int, expected: int
) -> None:
    umask(mask)
    target = tmp_path / "new.json"
    atomic_write(target, "{}\n")
    assert mode(target) == expected
    assert target.read_text() == "{}\n"


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("existing", [0o755, 0o640, 0o644, 0o600, 0o444], ids=oct)
def test_existing_file_keeps_its_mode(
    tmp_path: Path, umask: Callable[[int], int], existing: int
) -> None:
    umask(0o077)  # the umask must not matter for a file that exists
    target = tmp_path / "noxfile.py"
    target.write_text("old\n")
    target.chmod(existing)
    atomic_write(target, "new\n")
    assert mode(target) == existing
    assert target.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["noxfile.py"]


_FAILING_WRITE = """
import resource, signal, sys
from pathlib import Path
from lane_tasks.util.jsonio import atomic_write
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead
resource.setrlimit(resource.RLIMIT_FSIZE, (1024, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
try:
    atomic_write(Path(sys.argv[1]), "x" * 100_000)
except OSError as exc:
    print(exc.errno)
    sys.exit(3)
"""


@pytest.mark.e2e
@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs RLIMIT_FSIZE (POSIX)")
def test_a_write_that_really_fails_keeps_the_old_file_and_its_mode(tmp_path: Path) -> None:
    """A file-size limit makes the real write fail half-way (no monkeypatching)."""
    import errno

    target = tmp_path / "out.json"
    target.write_text("old\n")
    target.chmod(0o640)
    r = subprocess.run(
        [sys.executable, "-c", _FAILING_WRITE, str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 3, r.stdout + r.stderr
    assert r.stdout.strip() == str(errno.EFBIG)
    assert target.read_text() == "old\n"
    assert mode(target) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_init_keeps_an_existing_gitignore_mode(tmp_path: Path, umask: Callable[[int], int]) -> None:
    """`lane-tasks init` once turned a 0644 .gitignore into 0600; new files follow the umask."""
    root = make_git_repo(tmp_path / "proj")
    gitignore = root / ".gitignore"
    gitignore.write_text("*.pyc\n")
    gitignore.chmod(0o644)
    umask(0o027)
    r = run_cli(root, "init")
    assert r.returncode == 0, r.stdout + r.stderr
    assert gitignore.read_text() == "*.pyc\n"  # the artifacts directory ignores itself
    assert mode(gitignore) == 0o644
    assert mode(root / "lanes.toml") == 0o640
    assert mode(root / ".lane-tasks" / ".gitignore") == 0o640
    assert not list(root.glob(".*.tmp"))
