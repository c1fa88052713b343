"""Adoption end to end: a project laid out like a typical published package (src layout, a
dynamic version, py.typed, tests, docs, a changelog, a CI workflow) adopts lane-tasks from a
fresh clone, and the startup lane, gate release, doctor and drift check all pass on it.

Everything runs as real subprocesses of this interpreter: `lane-tasks init`, `nox -s startup`
and the CLI steps; the assertions read the artifacts they leave, not only what they print.
The builds are offline (`--no-isolation`, `[gate.release] offline = true`): they use the build
backend installed next to lane-tasks, so no network is needed.
"""

from __future__ import annotations

import importlib.util
import json
import tarfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from helpers import commit_all, git, make_git_repo, run_cli, run_nox, validate_artifact, write

from lane_tasks.evidence.artifacts import sha256_file

DIST = "tidy-frac"
PKG = "tidy_frac"
OLD, NEW = "1.3.0", "1.4.0"
OWNER = "maintainer@tidy-frac.invalid"
STARTUP_STEPS = ("gate-fast", "gate-release", "doctor")


@dataclass(frozen=True)
class Backend:
    id: str
    module: str
    """The import that must work for an offline (non-isolated) build."""
    build_backend: str
    build_system: str
    version_config: str
    """The pyproject.toml tables that make the version come from `<pkg>.__version__`."""


SETUPTOOLS = Backend(
    "setuptools",
    "setuptools",
    "setuptools.build_meta",
    """
[build-system]
requires = ["setuptools>=77"]
build-backend = "{backend}"
""",
    f"""
[tool.setuptools.dynamic]
version = {{ attr = "{PKG}.__version__" }}

[tool.setuptools.package-data]
{PKG} = ["py.typed"]
""",
)

HATCHLING = Backend(
    "hatchling",
    "hatchling",
    "hatchling.build",
    """
[build-system]
requires = ["hatchling>=1.27"]
build-backend = "{backend}"
""",
    f"""
[tool.hatch.version]
path = "src/{PKG}/__init__.py"

[tool.hatch.build.targets.wheel]
packages = ["src/{PKG}"]
""",
)


# ---- the project ----------------------------------------------------------------------------


def pyproject(backend: Backend) -> str:
    return (
        backend.build_system.lstrip("\n").format(backend=backend.build_backend)
        + f"""
[project]
name = "{DIST}"
description = "Exact fraction formatting and parsing helpers."
readme = "README.md"
license = "MIT"
license-files = ["LICENSE"]
requires-python = ">=3.11"
authors = [{{ name = "Tidy Frac maintainers", email = "{OWNER}" }}]
keywords = ["fractions", "formatting"]
classifiers = [
    "Development Status :: 5 - Production/Stable",
    "Intended Audience :: Developers",
    "Operating System :: OS Independent",
    "Programming Language :: Python :: 3",
    "Programming Language :: Python :: 3 :: Only",
    "Programming Language :: Python :: 3.11",
    "Programming Language :: Python :: 3.12",
    "Programming Language :: Python :: 3.13",
    "Typing :: Typed",
]
dynamic = ["version"]

[project.urls]
Homepage = "https://tidy-frac.invalid"
Documentation = "https://tidy-frac.invalid/docs"
Source = "https://git.tidy-frac.invalid/tidy-frac"
Changelog = "https://git.tidy-frac.invalid/tidy-frac/blob/main/CHANGELOG.md"
"""
        + backend.version_config
        + """
[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["src"]
addopts = "-ra --strict-markers"

[tool.mypy]
strict = true
python_version = "3.11"

[tool.ruff]
line-length = 100
target-version = "py311"

[tool.ruff.lint]
select = ["E", "F", "W", "I", "B", "UP"]

[tool.ruff.format]
docstring-code-format = true
"""
    )


MIT = """
MIT License

Copyright (c) 2026 Tidy Frac maintainers

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""

CI_WORKFLOW = """
name: CI

on:
  push:
    branches: [main]
  pull_request:

jobs:
  startup-lane:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0  # gate release reads every release tag
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: python -m pip install -e . "lane-tasks[release]" ruff mypy pytest
      - run: nox -s startup
      - uses: actions/upload-artifact@v4
        if: always()
        with:
          name: lane-artifacts
          path: build/
"""

README = f"""
# {DIST}

Exact fraction formatting and parsing helpers, fully typed.

```python
from fractions import Fraction
from {PKG} import format_fraction, parse_fraction

format_fraction(Fraction(3, 2))  # '1 1/2'
parse_fraction("1 1/2")  # Fraction(3, 2)
```

Install with `pip install {DIST}`. See [the docs](docs/index.md) for development and releases.
"""

DOCS_INDEX = f"""
# {DIST} documentation

## Development

Install the project and its tools, then run the checks the way CI does:

```
python -m pip install -e . lane-tasks
nox -s gate-fast
nox -s startup
```

`nox -s startup` runs gate fast (ruff, ruff format, mypy, pytest), gate release and doctor,
then the startup lane's controls. The artifacts land in `build/`.

## Releasing

Bump `__version__` in `src/{PKG}/__init__.py`, add its entry to CHANGELOG.md, commit, then:

```
lane-tasks gate release --offline --format json --out build/release-preflight.json
lane-tasks doctor
lane-tasks drift check
```
"""

KEEP_A_CHANGELOG = """
# Changelog

All notable changes to this project are documented in this file.

The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/),
and this project adheres to [Semantic Versioning](https://semver.org/spec/v2.0.0.html).

## [Unreleased]
"""

ENTRY_OLD = f"""
## [{OLD}] - 2026-01-10

### Added

- `parse_fraction` accepts mixed numbers such as `1 1/2`.
"""

ENTRY_NEW = f"""
## [{NEW}] - 2026-02-02

### Added

- `format_fraction` takes `mixed=False` to print improper fractions.
- The package ships `py.typed`.
"""

CHANGELOG_OLD = KEEP_A_CHANGELOG + ENTRY_OLD
CHANGELOG_NEW = KEEP_A_CHANGELOG + ENTRY_NEW + ENTRY_OLD
CHANGELOG_NEW_LINE = CHANGELOG_NEW.lstrip("\n").splitlines().index(f"## [{NEW}] - 2026-02-02") + 1

GITIGNORE = """
__pycache__/
*.py[cod]
*.egg-info/
build/
dist/
.venv/
.mypy_cache/
.pytest_cache/
.ruff_cache/
"""

INIT = '''
"""{dist}: exact fraction formatting and parsing helpers."""

from {pkg}.format import format_fraction
from {pkg}.parse import parse_fraction

__all__ = ["__version__", "format_fraction", "parse_fraction"]

__version__ = "{version}"
'''

FORMAT = '''
"""Fractions as text."""

from __future__ import annotations

from fractions import Fraction


def format_fraction(value: Fraction, *, mixed: bool = True) -> str:
    """`3/2` as '1 1/2' (or '3/2' with `mixed=False`); whole numbers without a slash."""
    if value.denominator == 1:
        return str(value.numerator)
    whole, rest = divmod(abs(value.numerator), value.denominator)
    sign = "-" if value < 0 else ""
    if not mixed or whole == 0:
        return f"{sign}{abs(value.numerator)}/{value.denominator}"
    return f"{sign}{whole} {rest}/{value.denominator}"
'''

PARSE = '''
"""Text as fractions."""

from __future__ import annotations

from fractions import Fraction


def parse_fraction(text: str) -> Fraction:
    """'1 1/2', '3/2', '-2' or '0.5' as an exact Fraction."""
    text = text.strip()
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("+-").strip()
    if " " in body:
        whole, rest = body.split(None, 1)
        return sign * (int(whole) + Fraction(rest))
    return sign * Fraction(body)
'''

TEST_FORMAT = f"""
from fractions import Fraction

import pytest

from {PKG} import format_fraction


@pytest.mark.parametrize(
    ("value", "text"),
    [(Fraction(3, 2), "1 1/2"), (Fraction(-7, 4), "-1 3/4"), (Fraction(1, 3), "1/3"), (4, "4")],
)
def test_mixed(value: Fraction, text: str) -> None:
    assert format_fraction(Fraction(value)) == text


def test_improper() -> None:
    assert format_fraction(Fraction(3, 2), mixed=False) == "3/2"
"""

TEST_PARSE = f"""
from fractions import Fraction

import {PKG}
from {PKG} import format_fraction, parse_fraction


def test_parse() -> None:
    assert parse_fraction("1 1/2") == Fraction(3, 2)
    assert parse_fraction("-2") == -2
    assert parse_fraction("0.5") == Fraction(1, 2)


def test_round_trip() -> None:
    for text in ("1 1/2", "-1 3/4", "1/3", "4"):
        assert format_fraction(parse_fraction(text)) == text


def test_version() -> None:
    assert {PKG}.__version__.count(".") == 2
"""


def package_sources(version: str) -> dict[str, str]:
    return {
        f"src/{PKG}/__init__.py": INIT.format(dist=DIST, pkg=PKG, version=version),
        f"src/{PKG}/format.py": FORMAT,
        f"src/{PKG}/parse.py": PARSE,
        f"src/{PKG}/py.typed": "",
    }


def make_published_project(root: Path, backend: Backend) -> None:
    """The upstream repository: v1.3.0 released and tagged, then 1.4.0 prepared."""
    make_git_repo(root)
    files = {
        "pyproject.toml": pyproject(backend),
        "README.md": README,
        "LICENSE": MIT,
        "CHANGELOG.md": CHANGELOG_OLD,
        ".gitignore": GITIGNORE,
        ".github/workflows/ci.yml": CI_WORKFLOW,
        "docs/index.md": DOCS_INDEX,
        "tests/test_format.py": TEST_FORMAT,
        "tests/test_parse.py": TEST_PARSE,
        **package_sources(OLD),
    }
    for rel, text in files.items():
        write(root, rel, text)
    commit_all(root, f"release {OLD}")
    git(root, "tag", "-a", f"v{OLD}", "-m", f"{DIST} {OLD}")
    write(root, f"src/{PKG}/__init__.py", package_sources(NEW)[f"src/{PKG}/__init__.py"])
    write(root, "CHANGELOG.md", CHANGELOG_NEW)
    commit_all(root, f"prepare {NEW}")


# ---- helpers --------------------------------------------------------------------------------


def artifact(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    validate_artifact(doc)
    return doc


def results(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in doc["results"]}


SMOKE = ["{python}", "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "pythonpath=",
         "{project}/tests"]  # fmt: skip
OPT_IN = {"reproducible"}
"""A startup lane does not rebuild to compare (the regulated lane's control asks for it)."""


def assert_all_pass(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    by_id = results(doc)
    bad = {
        k: (r["status"], r["message"])
        for k, r in by_id.items()
        if r["status"] != "pass" and not (k in OPT_IN and r["status"] == "skip")
    }
    assert doc["status"] == "pass" and not bad, bad
    return by_id


def assert_dists(dist: Path) -> None:
    """One sdist and one wheel named for the dynamic version, holding the package."""
    sdists, wheels = sorted(dist.glob("*.tar.gz")), sorted(dist.glob("*.whl"))
    assert [p.name for p in sdists] == [f"{PKG}-{NEW}.tar.gz"]
    assert [p.name for p in wheels] == [f"{PKG}-{NEW}-py3-none-any.whl"]
    with zipfile.ZipFile(wheels[0]) as whl:
        names = set(whl.namelist())
        meta = whl.read(f"{PKG}-{NEW}.dist-info/METADATA").decode()
    assert {f"{PKG}/__init__.py", f"{PKG}/format.py", f"{PKG}/parse.py", f"{PKG}/py.typed"} <= names
    assert not any(n.startswith(("tests/", "src/", "docs/")) for n in names), names
    assert f"Version: {NEW}\n" in meta and f"Name: {DIST}\n" in meta
    with tarfile.open(sdists[0]) as sdist:
        members = set(sdist.getnames())
    assert f"{PKG}-{NEW}/src/{PKG}/py.typed" in members
    assert f"{PKG}-{NEW}/PKG-INFO" in members


# ---- the test -------------------------------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.parametrize("backend", [SETUPTOOLS, HATCHLING], ids=lambda b: b.id)
def test_published_package_adopts_lane_tasks_from_a_fresh_clone(
    tmp_path: Path, backend: Backend
) -> None:
    if importlib.util.find_spec(backend.module) is None:
        pytest.skip(f"{backend.module} is not installed here: an offline build cannot use it")
    upstream = tmp_path / "upstream"
    make_published_project(upstream, backend)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(upstream), str(clone))
    git(clone, "config", "user.email", OWNER)
    assert git(clone, "tag", "--list") == f"v{OLD}"

    # 1. adopt: lanes.toml and noxfile.py fit the src layout
    r = run_cli(clone, "init")
    assert r.returncode == 0, r.stdout + r.stderr
    config = tomllib.loads((clone / "lanes.toml").read_text(encoding="utf-8"))
    checks = config["gate"]["fast"]["checks"]
    assert checks["mypy"]["cmd"] == ["mypy", "--junit-xml", "{report}", "src"]
    assert set(checks) == {"ruff-check", "ruff-format", "mypy", "pytest"}
    assert config["project"]["release_owners"] == [OWNER]
    assert "register(default_session=True)" in (clone / "noxfile.py").read_text(encoding="utf-8")
    # the project's .gitignore is its own: the artifacts directory ignores itself
    assert (clone / ".gitignore").read_text(encoding="utf-8") == GITIGNORE.lstrip("\n")
    assert (clone / ".lane-tasks" / ".gitignore").is_file()
    # this project's docs and CI keep the seed's build/*.json layout: artifacts_dir says so
    lanes = clone / "lanes.toml"
    lanes.write_text(lanes.read_text(encoding="utf-8").replace('".lane-tasks', '"build'))
    # no network here: build with the backend installed next to lane-tasks
    # and its tests run against the installed wheel too (its pytest `pythonpath` is the tree's)
    with lanes.open("a", encoding="utf-8") as fh:
        fh.write("\n[gate.release]\noffline = true\n" + f"smoke = {json.dumps(SMOKE)}\n")
    assert run_cli(clone, "lanes", "validate").returncode == 0
    head = commit_all(clone, "adopt lane-tasks")

    # 2. the startup lane end to end
    r = run_nox(clone, "-s", "startup")
    assert r.returncode == 0, r.stdout + r.stderr
    build = clone / "build"
    fast = artifact(build / "gate-fast.json")
    assert set(assert_all_pass(fast)) == set(checks)
    preflight = artifact(build / "release-preflight.json")
    assert preflight["version"] == NEW
    assert_all_pass(preflight)
    doctor = artifact(build / "doctor.json")
    doctor_results = assert_all_pass(doctor)
    dynamic = f"dynamic, from {backend.build_backend}"
    assert doctor_results["version-determinable"]["message"] == f"version {NEW} ({dynamic})"
    controls = artifact(build / "controls.json")
    assert_all_pass(controls)
    assert {"release-confidence-path", "artifact-retention", "release-owner"} <= set(
        results(controls)
    )
    for doc in (fast, preflight, doctor, controls):
        assert doc["subject"] == {"commit": head, "dirty": False}, doc["step"]
        assert doc["lane"] == "startup", doc["step"]

    (run_path,) = [p for p in (build / "lanes" / "runs").iterdir() if p.is_dir()]
    manifest = artifact(run_path / "manifest.json")
    assert manifest["lane"] == "startup" and manifest["status"] == "pass"
    assert manifest["subject"] == {"commit": head, "dirty": False}
    assert manifest["run"]["state"] == "complete"
    assert controls["verified_run"] == manifest["run"]["id"] == run_path.name
    # a step's artifact is at the top of the run; gate fast's logs and reports lie below it
    entries = {a["step"]: a for a in manifest["artifacts"] if "/" not in a["path"]}
    assert set(STARTUP_STEPS) <= set(entries)
    for step in STARTUP_STEPS:
        kept = run_path / entries[step]["path"]
        assert entries[step]["sha256"] == sha256_file(kept)
        assert kept.read_bytes() == (build / kept.name).read_bytes()
    assert_dists(build / "dist")
    assert git(clone, "status", "--porcelain") == "", "the lane dirtied the tree"

    # 3. gate release on its own, as a release owner runs it before cutting 1.4.0
    (build / "release-preflight.json").unlink()
    r = run_cli(
        clone, "gate", "release", "--offline", "--format", "json",
        "--out", "build/release-preflight.json",
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    preflight = artifact(build / "release-preflight.json")
    assert preflight["version"] == NEW
    assert preflight["subject"] == {"commit": head, "dirty": False}
    by_id = assert_all_pass(preflight)
    version_msg = by_id["version"]["message"]
    assert version_msg == f"{NEW} ({dynamic}) > latest tag v{OLD}"
    assert f"{PKG}-{NEW}.tar.gz" in by_id["build"]["message"]
    assert f"{PKG}-{NEW}-py3-none-any.whl" in by_id["build"]["message"]
    assert "offline" in by_id["build"]["message"]
    changelog = f"CHANGELOG.md:{CHANGELOG_NEW_LINE}: [{NEW}] - 2026-02-02"
    assert by_id["changelog"]["message"] == changelog
    assert "(build/gate-fast.json)" in by_id["gate-fast-evidence"]["message"]
    assert_dists(build / "dist")

    # 4. doctor and drift check, with the CI workflow present
    r = run_cli(clone, "doctor", "--format", "json", "--out", "build/doctor.json")
    assert r.returncode == 0, r.stdout + r.stderr
    doctor_results = assert_all_pass(artifact(build / "doctor.json"))
    assert ".github/workflows/ci.yml" in doctor_results["ci-invokes-lane"]["message"]
    r = run_cli(clone, "drift", "check", "--format", "json", "--out", "build/drift-check.json")
    assert r.returncode == 0, r.stdout + r.stderr
    drift = artifact(build / "drift-check.json")
    assert drift["status"] == "pass" and drift["findings"] == []
    statuses = {k: v["status"] for k, v in results(drift).items()}
    assert statuses == {"nox-sessions": "pass", "ci": "pass", "docs": "pass", "lanes-doc": "skip"}
    docs = results(drift)["docs"]["message"]
    assert "3 lane-tasks commands" in docs and "3 nox sessions" in docs, docs
    assert "1 nox invocation" in results(drift)["ci"]["message"]
    assert git(clone, "status", "--porcelain") == ""
