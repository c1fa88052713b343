"""The envelope, canonical JSON, atomic writes, shipped schemas and excerpt hygiene."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import jsonschema
import pytest
from helpers import REPO_ROOT, make_git_repo, run_cli

from lane_tasks.evidence.artifacts import (
    Result,
    atomic_write,
    canonical_json,
    envelope,
    schema_errors,
)
from lane_tasks.util.procs import excerpt, redact, secret_values

SCHEMA_FILES = sorted((REPO_ROOT / "lane_tasks" / "schemas").glob("*-1.0.json"))  # artifacts


@pytest.mark.e2e
def test_schemas_match_their_generator() -> None:
    r = subprocess.run(
        [sys.executable, str(REPO_ROOT / "tools" / "gen_schemas.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_shipped_schemas_are_valid_draft7(path: Path) -> None:
    schema = json.loads(path.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    kind = path.name.removesuffix("-1.0.json")
    assert schema["properties"]["schema"] == {"const": f"lane-tasks/{kind}"}


def test_schemas_ship_in_the_package() -> None:
    from importlib import resources

    names = {p.name for p in (resources.files("lane_tasks") / "schemas").iterdir()}
    assert {p.name for p in SCHEMA_FILES} <= names


def sample_doc() -> dict[str, object]:
    return envelope(
        kind="gate-fast",
        step="gate-fast",
        lane=None,
        subject={"commit": "a" * 40, "dirty": False},
        status="pass",
        results=[Result(id="x", status="pass", extra={"cmd": ["true"]})],
        stable=True,
        run=None,
    )


def test_envelope_validates_and_schema_errors_catch_breakage() -> None:
    doc = sample_doc()
    assert schema_errors(doc) is None
    broken = dict(doc, status="green")
    problem = schema_errors(broken)
    assert problem and "status" in problem
    assert schema_errors({"schema": "lane-tasks/nope", "schema_version": "1.0"}) == (
        "unknown schema 'lane-tasks/nope'"
    )
    assert schema_errors([1, 2]) == "not a lane-tasks artifact (no 'schema' field)"
    assert "schema_version" in (schema_errors(dict(doc, schema_version="9.9")) or "")


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
from lane_tasks.evidence.artifacts import atomic_write
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


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        ("password=correcthorse", "correcthorse"),
        ("PASSWORD: 'correcthorse'", "correcthorse"),
        ("api_key = abcdef123456", "abcdef123456"),
        ("Authorization: Bearer abc.def.ghi123", "abc.def.ghi123"),
        ("push https://user:pa55word@host.example/repo.git", "pa55word"),
        ("token " + "ghp_" + "x" * 36, "ghp_"),
        ("pypi-" + "A" * 40, "pypi-AAAA"),
        ("AKIA" + "ABCDEFGHIJKLMNOP", "AKIAABCD"),
    ],
)
def test_redact_patterns(text: str, leak: str) -> None:
    out = redact(text)
    assert leak not in out
    assert "***" in out


def test_redact_secret_env_values_only() -> None:
    env = {
        "MY_TOKEN": "v4lue-of-token",
        "HOME": "/root",
        "DB_PASSWORD": "pw-1234",
        "SHORT_KEY": "ab",
    }
    secrets = secret_values(env)
    assert set(secrets) == {"v4lue-of-token", "pw-1234"}
    assert redact("a v4lue-of-token b pw-1234 c /root", secrets) == "a *** b *** c /root"


def test_excerpt_normalises_paths_ansi_and_durations(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    out = (
        f"\x1b[1m{root}/pkg/mod.py:3: error\x1b[0m\n/tmp/xyz123/file.py broke\n1 failed in 0.42s\n"
    )
    stable = excerpt(out, root=root, stable=True)
    assert stable == "pkg/mod.py:3: error\n<tmp> broke\n1 failed in <duration>"
    assert "0.42s" in excerpt(out, root=root, stable=False)


def test_excerpt_keeps_the_last_lines() -> None:
    out = "\n".join(f"line {i}" for i in range(100))
    lines = excerpt(out, root=Path("/nonexistent"), lines=5).splitlines()
    assert lines == [f"line {i}" for i in range(95, 100)]
