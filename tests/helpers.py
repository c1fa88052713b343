"""Shared test helpers: real git repositories and Python projects in tmp_path, and the real
`lane-tasks` and `nox` run as subprocesses of this interpreter. Imported by test modules as
`from helpers import ...` (conftest.py holds only fixtures)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import jsonschema
import tomli_w

from lane_tasks.adopt.init_repo import init_repo
from lane_tasks.cli import main
from lane_tasks.util import interrupts
from lane_tasks.util.venvs import seeing_venv

TESTS_DIR = Path(__file__).resolve().parent
"""tests/: its data files (golden/, schemas/, cli_help_pages.json) are named from here, since a
test file's own place mirrors the module it tests."""
REPO_ROOT = TESTS_DIR.parent
SCHEMAS = REPO_ROOT / "lane_tasks" / "schemas"

T = TypeVar("T")


def validate_artifact(doc: dict[str, Any]) -> None:
    """Validate an artifact against its shipped schema with jsonschema (independent of the
    fastjsonschema validator the product itself uses)."""
    kind = doc["schema"].removeprefix("lane-tasks/")
    schema = json.loads((SCHEMAS / f"{kind}-1.0.json").read_text())
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(doc)


def git(cwd: Path, *args: str) -> str:
    """Run git and return stdout; fail the test on a git error."""
    r = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert r.returncode == 0, f"git {' '.join(args)} failed: {r.stderr}"
    return r.stdout.strip()


def run_module(
    module: str, cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m <module> …` with this interpreter, output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


def run_cli_process(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m lane_tasks …` as a user would run it: for the end-to-end tier (signals, the
    process's own exit, streams that are file descriptors)."""
    return run_module("lane_tasks", cwd, *args, env=env)


def run_cli(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`lane-tasks …` in this process: `cli.main(args)` run in `cwd` with `env` as its whole
    environment and stdout/stderr of its own, answered as `run_cli_process` answers.

    The fast tier: it skips an interpreter start and lane-tasks' imports per call (about half
    a second of CPU). What a process would not share with the next one is put back: the
    working directory, the environment, the signal handlers, the interrupt flag and every
    cache of lane_tasks. An exception other than SystemExit propagates: it is the traceback
    a user would have seen, so the test fails on it. An `env` that changes what Python reads
    at start (PYTHONPATH …) gets a process of its own (`run_cli_process`), and so does a step
    joining a run (`--run-id`): the run's lease on the top level lasts as long as the process
    that took it, which here would be the test's.
    """
    if env is not None and _at_start(env) != _at_start(os.environ):
        return run_cli_process(cwd, *args, env=env)  # only a new interpreter reads those
    if "--run-id" in args:  # a step of a run holds the top level while its process lives
        return run_cli_process(cwd, *args, env=env)
    saved_env, saved_cwd = dict(os.environ), Path.cwd()
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    out, err = io.StringIO(), io.StringIO()
    try:
        if env is not None:
            os.environ.clear()
            os.environ.update(env)
        os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code: object = main(list(args))
            except SystemExit as exc:  # argparse: --help, --version, usage errors
                code = exc.code
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        interrupts._seen.clear()
        _clear_caches()
    if code is None:
        code = 0
    elif not isinstance(code, int):
        err.write(f"{code}\n")
        code = 1
    return subprocess.CompletedProcess(["lane-tasks", *args], code, out.getvalue(), err.getvalue())


def _at_start(env: Mapping[str, str]) -> dict[str, str]:
    """The variables Python reads only when it starts (PYTHONPATH hiding a package …)."""
    return {k: v for k, v in env.items() if k.startswith("PYTHON")}


def _clear_caches() -> None:
    """Forget what lane_tasks cached for the life of a process (functools caches)."""
    for name, module in list(sys.modules.items()):
        if name == "lane_tasks" or name.startswith("lane_tasks."):
            for value in list(vars(module).values()):
                clear = getattr(value, "cache_clear", None)
                if callable(clear) and getattr(value, "__module__", None) == name:
                    clear()


def run_nox(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`nox …` from the environment lane-tasks is installed in."""
    return run_module("nox", cwd, *args, env=env)


def error_lines(stderr: str) -> list[str]:
    """stderr without the progress lane_tasks.console streams while a step runs (its start
    line, the indented line of each check): what is left is what went wrong."""
    return [
        line
        for line in stderr.strip().splitlines()
        if not line.startswith("  ") and not line.endswith(": running…")
    ]


def commit_all(root: Path, message: str = "change") -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD")


def make_git_repo(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    return root


def write(root: Path, rel: str, text: str) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return p


BACKENDS = {
    "flit": ('["flit_core>=3.12"]', "flit_core.buildapi"),
    "setuptools": ('["setuptools>=77"]', "setuptools.build_meta"),
}
"""The build backends `make_project` can write: its [build-system] requires and backend."""


def make_project(
    tmp_path: Path,
    name: str = "sample",
    *,
    lint_error: bool = False,
    failing_test: bool = False,
    lane: str = "startup",
    isolated_build: bool = False,
    backend: str = "flit",
) -> Path:
    """A small, real Python project adopted with `lane-tasks init`, committed in git.

    It configures ruff (check and format), mypy and pytest, so init picks those four checks.
    Clean by default (they all pass); `lint_error` plants an unused import, `failing_test` a
    failing assertion. Gate release builds without isolation (`[gate.release] offline`: the
    build backend of this environment, no network) unless `isolated_build`. The backend is
    flit_core (a build in a third of setuptools' time, and most tests build); tests about
    setuptools' own behaviour (dynamic versions, package lists) ask for `backend="setuptools"`.
    """
    root = make_git_repo(tmp_path / name)
    pkg = name.replace("-", "_")
    write(
        root,
        "pyproject.toml",
        f"""
        [build-system]
        requires = {BACKENDS[backend][0]}
        build-backend = "{BACKENDS[backend][1]}"

        [project]
        name = "{name}"
        version = "0.1.0"
        description = "A sample project for lane-tasks tests."
        readme = "README.md"
        license = "MIT"
        requires-python = ">=3.11"

        [tool.mypy]
        strict = true

        [tool.ruff]
        line-length = 100

        [tool.ruff.format]
        quote-style = "double"
        """,
    )
    write(root, "README.md", f"# {name}\n\nA sample project.\n")
    write(root, "CHANGELOG.md", "# Changelog\n\n## 0.1.0\n\n- First release.\n")
    imports = "import os\n\n" if lint_error else ""
    body = 'def add(a: int, b: int) -> int:\n    """Return the sum."""\n    return a + b\n'
    write(root, f"{pkg}/__init__.py", f'"""{name}: adds numbers."""\n\n{imports}\n{body}')
    expected = 5 if failing_test else 3
    write(
        root,
        "tests/test_add.py",
        f"""
        from {pkg} import add


        def test_add() -> None:
            assert add(1, 2) == {expected}
        """,
    )
    init_repo(root, lane=lane)
    if not isolated_build:
        lanes = root / "lanes.toml"
        assert "[gate.release]" not in lanes.read_text(encoding="utf-8")
        with lanes.open("a", encoding="utf-8") as fh:  # as a user offline or in a hurry would
            fh.write("\n[gate.release]\noffline = true\n")
    seed_layout(root)
    commit_all(root, "initial")
    return root


def seed_layout(root: Path) -> None:
    """Put the artifacts where the seed document puts them (`build/*.json`), as these tests
    name them; init's own default (.lane-tasks) is what tests/adopt/test_init_repo.py checks."""
    path = root / "lanes.toml"
    text = path.read_text(encoding="utf-8")
    for old, new in (
        ('artifacts_dir = ".lane-tasks"', 'artifacts_dir = "build"'),
        ('path = ".lane-tasks/lanes/history.sqlite"', 'path = "build/lanes/history.sqlite"'),
    ):
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    write(root, ".gitignore", "/build/\n/.nox/\n")
    stray = root / ".lane-tasks"  # init made it for its own default; these tests use build/
    if stray.is_dir() and [p.name for p in stray.iterdir()] == [".gitignore"]:
        shutil.rmtree(stray)


def keypair(d: Path, name: str) -> tuple[Path, Path]:
    """An ed25519 key pair (PEM: PKCS8 private, SubjectPublicKeyInfo public) in `d`."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private = d / f"{name}.pem"
    public = d / f"{name}.pub.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


class Templates:
    """Trees built once per test process and copied into each test that asks for one.

    Most end-to-end tests start from the same finished run (a project, a lane run, its
    evidence) and then break one thing. Building that run costs a few seconds of real tools;
    copying it costs milliseconds. A template is built by `build(directory)`, which makes
    whatever it likes under `directory` and answers a value (a project root, a run id …);
    `copy` copies the whole directory into the test's own and answers that value with every
    path under the template moved to the copy. Nothing in a run's evidence names its absolute
    place, and the copy keeps modification times and git's objects: the copy is the run,
    elsewhere (tests/test_controls.py verifies copies as complete, intact runs).
    """

    def __init__(self, base: Path) -> None:
        self._base = base
        self._built: dict[str, Any] = {}

    def copy(self, name: str, build: Callable[[Path], T], dest: Path) -> T:
        """`name`'s tree (built on first use) copied into `dest`; `build`'s answer, moved."""
        source = self._base / name
        if name not in self._built:
            shutil.rmtree(source, ignore_errors=True)  # what a failed build left: build again
            source.mkdir(parents=True)
            self._built[name] = build(source)
        shutil.copytree(source, dest, symlinks=True, dirs_exist_ok=True)
        return _moved(self._built[name], source, dest)  # type: ignore[no-any-return]


def _moved(value: Any, source: Path, dest: Path) -> Any:
    """`value` with each Path under `source` replaced by the same path under `dest`."""
    if isinstance(value, Path) and value.is_relative_to(source):
        return dest / value.relative_to(source)
    if isinstance(value, tuple):
        return tuple(_moved(v, source, dest) for v in value)
    if isinstance(value, list):
        return [_moved(v, source, dest) for v in value]
    if isinstance(value, dict):
        return {k: _moved(v, source, dest) for k, v in value.items()}
    return value


def repo_copy(dest: Path) -> Path:
    """This checkout's files (tracked, and untracked ones not ignored) copied into `dest`. A
    test that runs a command writing artifacts on lane-tasks' own repository runs it on this
    copy: a write into the checkout would change the gate-cache key of every test running
    meanwhile (the editable install of lane-tasks is part of the key), and leave files."""
    listed = git(REPO_ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for rel in filter(None, listed.split("\0")):
        if (REPO_ROOT / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO_ROOT / rel, dest / rel)
    return dest


def repo_wheel(d: Path) -> Path:
    """lane-tasks' own wheel, built from a copy of this checkout's files (setuptools' build/
    must not land in the checkout) without an isolated, networked build environment."""
    src = repo_copy(d / "src")
    out = d / "dist"
    r = run_module("build", src, "--wheel", "--no-isolation", "--outdir", str(out))
    assert r.returncode == 0, r.stderr[-2000:]
    (wheel,) = out.glob("lane_tasks-*.whl")
    return wheel


def offline_venv(path: Path) -> Path:
    """A fresh virtual environment that sees this environment's packages after its own (the
    one gate release installs a wheel into): installs need no download. Its interpreter."""
    return seeing_venv(path)


# ---- gate release on a generated project -----------------------------------------------------

RELEASE_QUICK = {
    "dist-metadata": "not what these tests are about",
    "wheel-contents": "not what these tests are about",
    "gate-fast-evidence": "not what these tests are about",
}
"""The gate release checks `set_release` turns off: tests of the built files need neither."""


def set_release(root: Path, **release: Any) -> None:
    """Set [gate.release] keys and the quick disables (again: replacing the last ones)."""
    path = root / "lanes.toml"
    text = path.read_text(encoding="utf-8").split("\n# configured by the test\n")[0]
    release = {"offline": True, **release}
    lines = ["\n# configured by the test\n[gate.release]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in release.items()]
    lines += ["[gate.release.disable]"] + [f'{k} = "{v}"' for k, v in RELEASE_QUICK.items()]
    text = text.removesuffix("[gate.release]\noffline = true\n")  # make_project's own
    path.write_text(text + "\n".join(lines) + "\n", encoding="utf-8")
    commit_all(root, "configure gate release")


def release_results(root: Path) -> tuple[int, dict[str, dict[str, Any]]]:
    (root / "build" / "pre.json").unlink(missing_ok=True)
    r = run_cli(root, "gate", "release", "--offline", "--format", "json", "--out", "build/pre.json")
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode in (0, 1, 3), r.stderr
    doc = json.loads((root / "build" / "pre.json").read_text(encoding="utf-8"))
    return r.returncode, {x["id"]: x for x in doc["results"]}


def replace_in(root: Path, old: str, new: str, rel: str = "pyproject.toml") -> None:
    """Replace the first `old` in `rel` (it must be there) with `new`."""
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# ---- the audit lane: the weekly-kpi-review and release-checklist-evidence controls -------------

AUDIT_OWNER = "lead@example.org"
"""The release owner `audit_lanes` names."""
AUDIT_FAST_CHECK = {"smoke": {"cmd": ["{python}", "-c", "pass"], "owner": "qa"}}


def audit_lanes(root: Path, **extra: Any) -> Path:
    """`root` (make_project's project) given one lane holding the two controls, a quick gate
    and offline builds, committed."""
    data = tomllib.loads((root / "lanes.toml").read_text())
    data["project"]["release_owners"] = [AUDIT_OWNER]
    data["gate"] = {"fast": {"checks": AUDIT_FAST_CHECK}, "release": {"offline": True}}
    data["lanes"]["audit"] = {
        "steps": ["gate-fast", "gate-release", "doctor"],
        "controls": ["weekly-kpi-review", "release-checklist-evidence"],
    }
    data |= extra
    (root / "lanes.toml").write_text(tomli_w.dumps(data))
    commit_all(root, "lanes")
    return root


def audit_project(d: Path) -> Path:
    """A real project with one lane holding the two controls, a quick gate and offline builds."""
    return audit_lanes(make_project(d))


def audit_control(root: Path, cid: str, now: str | None = None) -> dict[str, Any]:
    """The result of control `cid` in `controls verify --lane audit` (at `now`, if given)."""
    r = run_cli(
        root, "controls", "verify", "--lane", "audit", "--format", "json",
        env={**os.environ, "LANE_TASKS_NOW": now} if now else None,
    )  # fmt: skip
    assert "Traceback" not in r.stderr, r.stderr
    doc = json.loads(r.stdout)
    validate_artifact(doc)
    result: dict[str, Any] = next(x for x in doc["results"] if x["id"] == cid)
    return result
