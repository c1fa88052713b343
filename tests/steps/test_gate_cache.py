"""The gate fast cache on real projects: unchanged inputs are answered from the cache (failures
stay failures, excerpts kept), every kind of input change re-runs, corrupt or tampered entries
are discarded with a warning, errors are never replayed."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import stat
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from helpers import (
    Templates,
    commit_all,
    git,
    make_git_repo,
    make_project,
    run_cli,
    run_nox,
    write,
)

from lane_tasks.evidence.artifacts import canonical_json
from lane_tasks.steps.gate_cache_tree import tree_fingerprint

CACHE = Path("build/lanes/cache/gate-fast")


def shell_env() -> dict[str, str]:
    """This environment as a shell has it: without PYTEST_CURRENT_TEST, which pytest sets to
    the running test and phase. It matches PYTEST_* (a variable of every check's key), so a
    cache entry written while a fixture was set up (a template) would never replay in a test."""
    return {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}


def gate(root: Path, *flags: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    env = shell_env() if env is None else env
    r = run_cli(root, "gate", "fast", "--format", "json", "--stable-json", *flags, env=env)
    assert r.returncode in (0, 1), r.stderr
    doc: dict[str, Any] = json.loads(r.stdout)
    doc["_stderr"] = r.stderr
    return doc


def cached(doc: dict[str, Any]) -> dict[str, bool]:
    return {r["id"]: bool(r.get("cached")) for r in doc["results"]}


def status(doc: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["status"] for r in doc["results"]}


def set_checks(root: Path, checks: dict[str, Any]) -> None:
    data = tomllib.loads((root / "lanes.toml").read_text())
    data["gate"]["fast"]["checks"] = checks
    (root / "lanes.toml").write_text(tomli_w.dumps(data))
    commit_all(root, "checks")


def _failing_gated(d: Path) -> tuple[Path, dict[str, Any]]:
    """The sample project with a failing test, after one gate fast (its real checks) that ran
    every check and filled the cache; answers the project and that first gate's document."""
    root = make_project(d, failing_test=True)
    # make_project leaves no ignored file behind (keyed by inode and ctime, which a copy cannot
    # keep): every entry of the template replays in its copies
    assert not (root / ".lane-tasks").exists()
    return root, gate(root)


@pytest.fixture
def project(templates: Templates, tmp_path: Path) -> Path:
    """A copy of the clean sample project (`make_project`), its cache empty."""
    return templates.copy("gate-cache-project", make_project, tmp_path)


@pytest.fixture
def failing_gated(templates: Templates, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """A copy of `_failing_gated`: the project and its cache, as that first gate left them."""
    return templates.copy("gate-cache-failing-gated", _failing_gated, tmp_path)


@pytest.mark.e2e
def test_an_unchanged_tree_is_answered_from_the_cache_and_failures_stay_failures(
    failing_gated: tuple[Path, dict[str, Any]],
) -> None:
    root, first = failing_gated  # the first gate fast, run where the template was built
    assert not any(cached(first).values())
    second = gate(root)
    assert all(cached(second).values())
    assert status(second) == status(first) and status(second)["pytest"] == "fail"
    pytest_first = next(r for r in first["results"] if r["id"] == "pytest")
    pytest_second = next(r for r in second["results"] if r["id"] == "pytest")
    assert pytest_second["excerpt"] == pytest_first["excerpt"] != ""  # the failure explained
    assert second["status"] == "fail"
    run_cli(root, "gate", "fast")  # text mode keeps durations: its excerpts have their own key
    text = run_cli(root, "gate", "fast").stdout
    assert "(cached: inputs unchanged)" in text


@pytest.mark.e2e
def test_every_kind_of_input_change_re_runs(project: Path) -> None:
    root = project
    gate(root)
    assert all(cached(gate(root)).values())
    # a working-tree change to a tracked file
    test = root / "tests" / "test_add.py"
    test.write_text(test.read_text() + "\n\ndef test_more() -> None:\n    assert True\n")
    assert not any(cached(gate(root)).values())
    assert all(cached(gate(root)).values())
    # the same change, committed: the staged blob is the same content, still cached
    commit_all(root, "more tests")
    assert all(cached(gate(root)).values())
    # an untracked file
    write(root, "sample/extra.py", '"""Extra."""\n')
    assert not any(cached(gate(root)).values())
    # --no-cache forces a run
    assert not any(cached(gate(root, "--no-cache")).values())
    assert all(cached(gate(root)).values())
    # our own output directory is not an input
    write(root, "build/unrelated.txt", "x")
    assert all(cached(gate(root)).values())


@pytest.mark.e2e
def test_inputs_globs_and_the_check_entry_scope_a_check(project: Path) -> None:
    root = project
    py = "{python}"
    set_checks(
        root,
        {
            "src": {"cmd": [py, "-c", "pass"], "inputs": ["sample/**"]},
            "tests": {"cmd": [py, "-c", "pass"], "inputs": ["tests/**"]},
        },
    )
    gate(root)
    write(root, "tests/test_two.py", "def test_two() -> None:\n    pass\n")
    assert cached(gate(root)) == {"src": True, "tests": False}
    # the check's own lanes.toml entry is part of its key
    set_checks(
        root,
        {
            "src": {"cmd": [py, "-c", "pass"], "inputs": ["sample/**"], "timeout": 99},
            "tests": {"cmd": [py, "-c", "pass"], "inputs": ["tests/**"]},
        },
    )
    assert cached(gate(root)) == {"src": False, "tests": True}


@pytest.mark.e2e
def test_a_changed_tool_re_runs(project: Path, tmp_path: Path) -> None:
    root = project
    bindir = tmp_path / "bin"
    bindir.mkdir()
    tool = bindir / "mytool"
    tool.write_text("#!/bin/sh\necho v1\n")
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    set_checks(root, {"tool": {"cmd": ["mytool"]}})
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}
    gate(root, env=env)
    assert cached(gate(root, env=env)) == {"tool": True}
    tool.write_text("#!/bin/sh\necho version 2\n")  # an upgrade of the tool
    assert cached(gate(root, env=env)) == {"tool": False}


@pytest.mark.e2e
def test_a_corrupt_or_tampered_entry_is_discarded_never_trusted(
    failing_gated: tuple[Path, dict[str, Any]],
) -> None:
    root, _ = failing_gated  # one gate fast ran: every check has its entry
    entries = sorted((root / CACHE).glob("*.json"))
    assert len(entries) == 4
    # turn the cached failure into a pass, without the entry's own digest agreeing
    for path in entries:
        entry = json.loads(path.read_text())
        if entry["result"]["id"] == "pytest":
            entry["result"]["status"] = "pass"
            path.write_text(json.dumps(entry))
        elif entry["result"]["id"] == "mypy":
            path.write_text("{not json")
    doc = gate(root)
    assert status(doc)["pytest"] == "fail" and cached(doc)["pytest"] is False
    assert cached(doc)["mypy"] is False and cached(doc)["ruff-check"] is True
    assert doc["_stderr"].count("discarded a corrupt entry for 'mypy'") == 1
    assert doc["_stderr"].count("does not authenticate (edited or copied) for 'pytest'") == 1
    again = gate(root)  # the re-run wrote fresh entries
    assert all(cached(again).values()) and "warning" not in again["_stderr"]


@pytest.mark.e2e
def test_errors_and_timeouts_are_never_replayed(project: Path) -> None:
    root = project
    py = "{python}"
    set_checks(
        root,
        {
            "slow": {"cmd": [py, "-c", "import time; time.sleep(30)"], "timeout": 0.5},
            "gone": {"cmd": ["no-such-tool-xyz"]},
        },
    )
    gate(root)
    doc = gate(root)
    assert status(doc) == {"slow": "error", "gone": "error"}
    assert not any(cached(doc).values())
    assert not list((root / CACHE).glob("*.json"))


@pytest.mark.e2e
def test_a_lane_re_run_on_an_unchanged_tree_replays_gate_fast(project: Path) -> None:
    root = project
    assert run_nox(root, "-s", "gate-fast").returncode == 0
    assert run_nox(root, "-s", "gate-fast").returncode == 0
    doc = json.loads((root / "build" / "gate-fast.json").read_text())
    assert all(cached(doc).values()) and doc["status"] == "pass"


@pytest.mark.e2e
def test_the_cache_can_be_turned_off_in_lanes_toml(project: Path) -> None:
    root = project
    data = tomllib.loads((root / "lanes.toml").read_text())
    data["gate"]["fast"]["cache"] = False
    (root / "lanes.toml").write_text(tomli_w.dumps(data))
    commit_all(root, "no cache")
    gate(root)
    assert not any(cached(gate(root)).values())
    assert not (root / CACHE).exists()


# -- issue 12, part 5: entries are authenticated with a per-user secret ---------------------

PY = "{python}"


def exits_with(path: str) -> list[str]:
    """A check whose exit code is the integer in `path` (relative to the project)."""
    return [PY, "-c", f"import sys; sys.exit(int(open({path!r}).read()))"]


def user_env(home: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "XDG_CACHE_HOME": str(home), **extra}


def entry_of(root: Path, check: str) -> Path:
    found = [p for p in (root / CACHE).glob("*.json") if check in p.read_text()]
    assert len(found) == 1, found
    return found[0]


def forge_pass(path: Path, secret: bytes | None) -> None:
    """What someone who can write the artifacts directory does: fail becomes pass, with the
    entry's digest recomputed (plain sha256, or an HMAC under a secret they hold)."""
    entry = json.loads(path.read_text())
    entry["result"].update(status="pass", exit_code=0, message="", excerpt="", fix=None)
    body = canonical_json({"key": entry["key"], "result": entry["result"]}).encode()
    digest = hashlib.sha256(body).hexdigest()
    if secret is not None:
        digest = hmac.new(secret, body, hashlib.sha256).hexdigest()
    entry["hmac_sha256"] = digest
    entry["sha256"] = digest
    path.write_text(canonical_json(entry))


@pytest.mark.e2e
def test_forged_cache_entry_is_rejected(project: Path) -> None:
    root = project
    write(root, "code.txt", "1\n")
    set_checks(root, {"t": {"cmd": exits_with("code.txt")}})
    assert status(gate(root)) == {"t": "fail"}
    forge_pass(entry_of(root, '"t"'), secret=None)
    doc = gate(root)
    assert status(doc) == {"t": "fail"} and cached(doc) == {"t": False}
    assert "does not authenticate (edited or copied) for 't'" in doc["_stderr"]
    # the secret lives in the user cache directory, 0600, never in the artifacts directory
    key = Path(os.environ["XDG_CACHE_HOME"]) / "lane-tasks" / "gate-cache.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_bytes()) == 32
    assert not [p for p in root.rglob("*.key")]
    # the lane run on the forged commit fails as the check does
    forge_pass(entry_of(root, '"t"'), secret=None)
    assert run_nox(root, "-s", "startup").returncode == 1
    evidence = json.loads((root / "build" / "gate-fast.json").read_text())
    assert status(evidence) == {"t": "fail"} and evidence["status"] == "fail"


@pytest.mark.e2e
def test_copied_cache_dir_cannot_replay(project: Path, tmp_path: Path) -> None:
    root = project
    write(root, "code.txt", "1\n")
    set_checks(root, {"t": {"cmd": exits_with("code.txt")}})
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    # another user (a CI cache, a copied build dir) has entries, forged with their own secret
    assert status(gate(root, env=user_env(theirs))) == {"t": "fail"}
    their_secret = (theirs / "lane-tasks" / "gate-cache.key").read_bytes()
    forge_pass(entry_of(root, '"t"'), secret=their_secret)
    assert status(gate(root, env=user_env(theirs))) == {"t": "pass"}  # it works for them only
    # restored here: our keys are not theirs, so nothing replays
    doc = gate(root, env=user_env(mine))
    assert status(doc) == {"t": "fail"} and cached(doc) == {"t": False}
    # even an entry renamed to our key and signed with their secret does not authenticate
    ours = [p for p in (root / CACHE).glob("*.json") if '"fail"' in p.read_text()]
    assert len(ours) == 1
    forge_pass(ours[0], secret=their_secret)
    doc = gate(root, env=user_env(mine))
    assert status(doc) == {"t": "fail"} and "does not authenticate" in doc["_stderr"]


@pytest.mark.e2e
def test_unusable_cache_key_turns_the_cache_off_with_one_warning(
    project: Path, tmp_path: Path
) -> None:
    root = project
    write(root, "code.txt", "0\n")
    set_checks(root, {"t": {"cmd": exits_with("code.txt")}})
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    for env in (user_env(blocked / "cache"), user_env(blocked)):  # read-only/unusable homes
        doc = gate(root, env=env)
        assert status(doc) == {"t": "pass"} and cached(doc) == {"t": False}
        assert doc["_stderr"].count("gate fast cache: off: cannot use its key") == 1
        assert "Traceback" not in doc["_stderr"]
    # a key others can read is not a secret
    home = tmp_path / "home"
    gate(root, env=user_env(home))
    (home / "lane-tasks" / "gate-cache.key").chmod(0o644)
    doc = gate(root, env=user_env(home))
    assert cached(doc) == {"t": False} and "others can read or write it" in doc["_stderr"]
    # a FIFO in its place is refused at once, never waited on
    fifo_home = tmp_path / "fifo-home"
    (fifo_home / "lane-tasks").mkdir(parents=True)
    os.mkfifo(fifo_home / "lane-tasks" / "gate-cache.key")
    doc = gate(root, env=user_env(fifo_home))
    assert cached(doc) == {"t": False} and "not a regular file" in doc["_stderr"]
    # a key inside the project would travel with a copied or restored tree
    doc = gate(root, env=user_env(root / ".cache"))
    assert "would be inside the project" in doc["_stderr"]
    assert not (root / ".cache").exists()


# -- issue 12, part 6: what a key covers --------------------------------------------------


@pytest.mark.e2e
def test_changed_env_var_reruns_check(project: Path) -> None:
    root = project
    reads = "import os, sys; sys.exit(int(os.environ.get({!r}) or 0))"
    set_checks(
        root,
        {
            "default": {"cmd": [PY, "-c", reads.format("PYTEST_ADDOPTS_CODE")]},
            "declared": {
                "cmd": [PY, "-c", reads.format("SAMPLE_MODE")],
                "input_env": ["SAMPLE_*"],
            },
            "own": {"cmd": [PY, "-c", reads.format("OWN")], "env": {"OWN": "0"}},
        },
    )
    base = {**os.environ, "OWN": "1"}  # the check's own env table wins over the caller's
    assert status(gate(root, env=base)) == {"default": "pass", "declared": "pass", "own": "pass"}
    assert all(cached(gate(root, env=base)).values())
    # a variable of the default set (PYTEST_*) is part of every check's key
    changed = {**base, "PYTEST_ADDOPTS_CODE": "1"}
    doc = gate(root, env=changed)
    assert status(doc) == {"default": "fail", "declared": "pass", "own": "pass"}
    assert not any(cached(doc).values())
    # a declared one (input_env) of the check that declares it
    doc = gate(root, env={**changed, "SAMPLE_MODE": "1"})
    assert status(doc) == {"default": "fail", "declared": "fail", "own": "pass"}
    assert cached(doc) == {"default": True, "declared": False, "own": True}
    # the check's own env table decides what it sees; an undeclared variable outside the
    # default set is not an input (documented)
    again = {**changed, "SAMPLE_MODE": "1", "OWN": "2", "UNRELATED_XYZ": "1"}
    assert all(cached(gate(root, env=again)).values())
    # pytest's PYTEST_CURRENT_TEST names the test running, not how any tool behaves: a gate
    # fast run inside a test suite replays across its tests (it is no input unless declared)
    assert all(cached(gate(root, env={**again, "PYTEST_CURRENT_TEST": "t.py::x (call)"})).values())


@pytest.mark.e2e
def test_input_env_names_are_validated(project: Path) -> None:
    root = project
    set_checks(root, {"t": {"cmd": [PY, "-c", "pass"], "input_env": ["A=B"]}})
    r = run_cli(root, "gate", "fast")
    assert r.returncode == 2 and "gate.fast.checks.t.input_env" in r.stderr
    assert "lanes.toml:" in r.stderr and len(r.stderr.strip().splitlines()) == 1


@pytest.mark.e2e
def test_ignored_input_file_change_reruns(project: Path) -> None:
    root = project
    write(root, ".gitignore", "/build/\n/.nox/\n/local.txt\n/data/\n/.venv/\n")
    write(root, "local.txt", "0\n")
    write(root, "data/deep/code.txt", "0\n")
    set_checks(
        root,
        {
            "local": {"cmd": exits_with("local.txt")},
            "data": {"cmd": exits_with("data/deep/code.txt")},
        },
    )
    assert status(gate(root)) == {"local": "pass", "data": "pass"}
    assert all(cached(gate(root)).values())
    (root / "local.txt").write_text("1\n")
    doc = gate(root)
    assert status(doc)["local"] == "fail" and cached(doc)["local"] is False
    (root / "data" / "deep" / "code.txt").write_text("1\n")
    assert status(gate(root))["data"] == "fail"
    assert all(cached(gate(root)).values())
    # derived directories are not inputs: a virtualenv, a tool cache, bytecode, coverage data
    venv = root / ".venv"
    write(root, ".venv/pyvenv.cfg", "home = /usr\n")
    write(root, ".venv/lib/site.py", "x = 1\n")
    write(root, ".mypy_cache/3.11/x.json", "{}")
    write(root, ".coverage", "data")
    assert all(cached(gate(root)).values())
    (venv / "lib" / "site.py").write_text("x = 2\n")
    (root / ".mypy_cache" / "3.11" / "x.json").write_text("[]")
    (root / ".coverage").write_text("more data")
    assert all(cached(gate(root)).values())


def test_ignored_listing_does_not_walk_a_virtualenv(project: Path) -> None:
    root = project
    write(root, ".gitignore", "/build/\n/.venv/\n/env2/\n")
    for venv in (".venv", "env2"):  # by .gitignore, or nested and found by its pyvenv.cfg
        write(root, f"{venv}/pyvenv.cfg", "home = /usr\n")
        for i in range(40):
            pkg = root / venv / "lib" / f"pkg{i}"
            pkg.mkdir(parents=True)
            for j in range(100):
                (pkg / f"m{j}.py").write_text("")
    start = time.perf_counter()
    files = tree_fingerprint(root, ("build",))
    elapsed = time.perf_counter() - start
    assert files is not None
    assert not [p for p in files if p.startswith((".venv/", "env2/"))]
    assert elapsed < 1.0, elapsed  # two git calls; 8000 files would be walked otherwise


@pytest.mark.e2e
def test_editable_dependency_outside_repo_change_reruns(project: Path, tmp_path: Path) -> None:
    root = project
    plain = tmp_path / "plain-dep"  # a directory outside git
    write(plain, "plain_dep.py", "CODE = 0\n")
    tracked = make_git_repo(tmp_path / "git-dep")  # a checkout of another repository
    write(tracked, "git_dep.py", "CODE = 0\n")
    commit_all(tracked, "dep")
    site = tmp_path / "site-packages"  # where the installer put their metadata
    for name, src in (("plain_dep", plain), ("git_dep", tracked)):
        info = site / f"{name}-1.0.dist-info"
        write(info, "METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        url = {"url": src.as_uri(), "dir_info": {"editable": True}}
        write(info, "direct_url.json", json.dumps(url))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, (site, plain, tracked)))}
    imports = "import sys, {0}; sys.exit({0}.CODE)"
    set_checks(
        root,
        {
            "plain": {"cmd": [PY, "-c", imports.format("plain_dep")]},
            "git": {"cmd": [PY, "-c", imports.format("git_dep")]},
        },
    )
    assert status(gate(root, env=env)) == {"plain": "pass", "git": "pass"}
    assert all(cached(gate(root, env=env)).values())
    (plain / "plain_dep.py").write_text("CODE = 1\n")
    doc = gate(root, env=env)
    assert status(doc)["plain"] == "fail" and not any(cached(doc).values())
    (tracked / "git_dep.py").write_text("CODE = 1\n")  # a working-tree change
    doc = gate(root, env=env)
    assert status(doc)["git"] == "fail" and not any(cached(doc).values())
    assert all(cached(gate(root, env=env)).values())


@pytest.mark.e2e
def test_modified_submodule_reruns(project: Path, tmp_path: Path) -> None:
    root = project
    upstream = make_git_repo(tmp_path / "upstream")
    write(upstream, "code.txt", "0\n")
    commit_all(upstream, "upstream")
    git(root, "-c", "protocol.file.allow=always", "submodule", "add", str(upstream), "vendor/up")
    set_checks(root, {"t": {"cmd": exits_with("vendor/up/code.txt")}})  # commits the submodule
    sub = root / "vendor" / "up"
    assert status(gate(root)) == {"t": "pass"}
    assert cached(gate(root)) == {"t": True}
    (sub / "code.txt").write_text("1\n")  # a working-tree change inside the submodule
    assert status(gate(root)) == {"t": "fail"}
    (sub / "code.txt").write_text("0\n")
    assert cached(gate(root)) == {"t": True}  # back to the content that passed
    write(sub, "code.txt", "2\n")
    commit_all(sub, "moved")  # the submodule's HEAD moves, the superproject's record does not
    assert status(gate(root)) == {"t": "fail"}
    write(sub, "new.txt", "x")  # an untracked file inside it
    assert cached(gate(root)) == {"t": False}


@pytest.mark.e2e
def test_inputs_glob_matching_nothing_is_error(project: Path) -> None:
    root = project
    set_checks(
        root,
        {"src": {"cmd": [PY, "-c", "pass"], "inputs": ["sample/**", "smaple/*.py"]}},
    )
    r = run_cli(root, "gate", "fast")
    assert r.returncode == 2, r.stderr
    line = r.stderr.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line
    assert "lanes.toml:" in line and "gate.fast.checks.src.inputs" in line
    assert "'smaple/*.py' matches no file" in line
    # with the cache off the globs are not used, and the check runs
    data = tomllib.loads((root / "lanes.toml").read_text())
    data["gate"]["fast"]["cache"] = False
    (root / "lanes.toml").write_text(tomli_w.dumps(data))
    assert run_cli(root, "gate", "fast").returncode == 0


def test_project_in_a_repository_subdirectory_keys_every_change(tmp_path: Path) -> None:
    """git status names paths from the top of the work tree, ls-files from the project: a
    second edit of a file once looked like the same deletion, and replayed a stale pass."""
    top = make_git_repo(tmp_path / "mono")
    write(top, "app/code.py", "x = 0\n")
    write(top, "lib/other.py", "y = 0\n")
    commit_all(top, "mono")
    app = top / "app"
    seen = []
    for text in ("x = 1\n", "x = 2\n"):
        (app / "code.py").write_text(text)
        seen.append(tree_fingerprint(app, ("build",)))
    assert seen[0] != seen[1] and seen[1] is not None and set(seen[1]) == {"code.py"}
    (top / "lib" / "other.py").write_text("y = 1\n")  # outside the project: not its input
    assert tree_fingerprint(app, ("build",)) == seen[1]


@pytest.mark.e2e
def test_a_planted_fifo_or_directory_entry_neither_hangs_nor_crashes(project: Path) -> None:
    root = project
    write(root, "code.txt", "1\n")
    set_checks(root, {"t": {"cmd": exits_with("code.txt")}})
    gate(root)
    entry = entry_of(root, '"t"')
    entry.unlink()
    os.mkfifo(entry)
    doc = gate(root)
    assert status(doc) == {"t": "fail"} and "discarded a corrupt entry for 't'" in doc["_stderr"]
    entry.unlink()
    (entry / "x").mkdir(parents=True)  # a directory where the entry goes: it cannot be kept
    doc = gate(root)
    assert status(doc) == {"t": "fail"} and "cannot keep the result of 't'" in doc["_stderr"]
    assert "Traceback" not in doc["_stderr"]


@pytest.mark.e2e
def test_stale_pass_of_a_file_git_status_does_not_watch(project: Path) -> None:
    """A tracked file marked skip-worktree or assume-unchanged is not reported by git status
    when it changes, so its index blob is not its content: the cache reads it."""
    root = project
    write(root, "code.txt", "0\n")
    write(root, "other.txt", "0\n")
    set_checks(
        root,
        {"code": {"cmd": exits_with("code.txt")}, "other": {"cmd": exits_with("other.txt")}},
    )
    assert status(gate(root)) == {"code": "pass", "other": "pass"}
    git(root, "update-index", "--skip-worktree", "code.txt")
    git(root, "update-index", "--assume-unchanged", "other.txt")
    assert all(cached(gate(root)).values())  # marking alone changes no content
    (root / "code.txt").write_text("1\n")
    (root / "other.txt").write_text("1\n")
    doc = gate(root)
    assert status(doc) == {"code": "fail", "other": "fail"}, doc


@pytest.mark.e2e
def test_a_replayed_result_never_points_at_a_pruned_log(project: Path) -> None:
    """A cached result carries the log and report paths of the run that made it; once that
    run is pruned (runs_keep) or the file removed, a replay must not link to what is gone."""
    from lane_tasks.evidence.store import new_run_id

    root = project
    junit = (
        "import sys, pathlib; pathlib.Path(sys.argv[1]).write_text("
        "\"<testsuite name='t'><testcase name='ok'/></testsuite>\")"
    )
    set_checks(root, {"t": {"cmd": ["{python}", "-c", junit, "{report}"], "report": "junit"}})
    first = new_run_id()
    doc = gate(root, "--run-id", first, "--lane", "startup")
    (t,) = doc["results"]
    assert not t.get("cached") and (root / t["log"]).is_file(), t
    shutil.rmtree(root / "build" / "lanes" / "runs" / first)  # pruned
    again = gate(root, "--run-id", new_run_id(), "--lane", "startup")
    (t,) = again["results"]
    assert t.get("cached"), again["_stderr"]
    for path in (t.get("log"), (t.get("report") or {}).get("path")):
        assert path is None or (root / path).is_file(), t
