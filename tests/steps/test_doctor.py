"""`lane-tasks doctor` on real projects and git repositories: one real broken setup per check.

Every test runs the real CLI (`python -m lane_tasks doctor --format json --out build/doctor.json`)
in a project built in tmp_path and validates the artifact against the shipped JSON Schema.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
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

from lane_tasks.evidence.artifacts import schema_path
from lane_tasks.steps.doctor import CHECKS

ORDER = [
    "pyproject-present",
    "pyproject-valid",
    "requires-python",
    "version-determinable",
    "lanes-toml-valid",
    "gate-tools-runnable",
    "no-shell-commands",
    "git-repo",
    "git-not-shallow",
    "build-dir-ignored",
    "ci-invokes-lane",
]
PYPROJECT_CHECKS = ORDER[:4]
OUT = "build/doctor.json"


@dataclass(frozen=True)
class Doctor:
    """One finished `lane-tasks doctor` run: the process and the artifact it wrote."""

    proc: subprocess.CompletedProcess[str]
    doc: dict[str, Any]

    @property
    def code(self) -> int:
        return self.proc.returncode

    @property
    def by_id(self) -> dict[str, dict[str, Any]]:
        return {r["id"]: r for r in self.doc["results"]}

    def check(self, cid: str) -> dict[str, Any]:
        return self.by_id[cid]

    def why(self) -> str:
        lines = [f"exit {self.code}", self.proc.stdout, self.proc.stderr]
        lines += [f"{r['status']:5} {r['id']}: {r['message']}" for r in self.doc["results"]]
        return "\n".join(lines)


@pytest.fixture
def sample(templates: Templates, tmp_path: Path) -> Path:
    """The project `make_project(tmp_path)` makes (a copy of one built per test process)."""
    return templates.copy("doctor-sample", make_project, tmp_path)


def _setuptools_sample(d: Path) -> Path:
    return make_project(d, backend="setuptools")


@pytest.fixture
def setuptools_sample(templates: Templates, tmp_path: Path) -> Path:
    """`sample` built by setuptools: for what its backend says of a dynamic version."""
    return templates.copy("doctor-setuptools-sample", _setuptools_sample, tmp_path)


def validate(doc: dict[str, Any]) -> None:
    schema = json.loads(schema_path("doctor").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    validator.validate(doc)


def run_doctor(root: Path, *extra: str, env: dict[str, str] | None = None) -> Doctor:
    out = root / OUT
    out.unlink(missing_ok=True)
    proc = run_cli(root, "doctor", "--format", "json", "--out", OUT, *extra, env=env)
    assert out.is_file(), f"no {OUT} (exit {proc.returncode}): {proc.stdout}{proc.stderr}"
    doc = json.loads(out.read_text(encoding="utf-8"))
    validate(doc)
    assert [r["id"] for r in doc["results"]] == ORDER
    return Doctor(proc, doc)


def assert_result(d: Doctor, cid: str, status: str, *substrings: str) -> None:
    r = d.check(cid)
    assert r["status"] == status, d.why()
    for s in substrings:
        assert s in r["message"], f"{s!r} not in {cid} message {r['message']!r}"
    if status in ("fail", "error"):
        assert r["fix"], f"{cid} failed without a fix hint"
    else:
        assert r["fix"] is None


def assert_skipped_for(d: Doctor, cid: str, requirement: str) -> None:
    r = d.check(cid)
    assert r["status"] == "skip", d.why()
    assert r["message"] == f"requires {requirement}, which did not pass", r["message"]
    assert r["fix"] is None


def set_pyproject(root: Path, edit: Callable[[str], str]) -> None:
    path = root / "pyproject.toml"
    text = path.read_text(encoding="utf-8")
    new = edit(text)
    assert new != text, "the edit changed nothing"
    path.write_text(new, encoding="utf-8")


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write(text)


# ---- a clean project ----------------------------------------------------------------------------


def test_clean_project_passes_and_artifact_validates(sample: Path) -> None:
    root = sample
    d = run_doctor(root)
    assert d.code == 0, d.why()
    assert d.doc["status"] == "pass"
    assert d.doc["schema"] == "lane-tasks/doctor"
    assert d.doc["step"] == "doctor"
    assert d.doc["subject"] == {"commit": git(root, "rev-parse", "HEAD"), "dirty": False}
    errors = [r for r in d.doc["results"] if r["severity"] == "error"]
    assert {r["id"] for r in errors} == set(ORDER) - {"ci-invokes-lane", "no-shell-commands"}
    for r in errors:
        assert r["status"] == "pass", d.why()
        assert r["description"] == CHECKS[r["id"]].description() != ""
        assert r["family"] == CHECKS[r["id"]].family
    assert_result(d, "requires-python", "pass", "requires-python >=3.11")
    assert_result(d, "version-determinable", "pass", "version 0.1.0 (static)")
    assert_result(d, "gate-tools-runnable", "pass", "4 gate check tools found")
    assert_result(d, "build-dir-ignored", "pass", "'build/' is ignored")
    assert d.doc["summary"] == {"pass": 10, "warn": 1, "fail": 0, "error": 0, "skip": 0}
    assert "run" in d.doc  # not stable: the run block is there
    assert "PASS" in d.proc.stdout  # --out prints the text report too


def test_results_follow_requirements_in_a_fixed_order() -> None:
    assert list(CHECKS) == ORDER
    for i, cid in enumerate(ORDER):
        for req in CHECKS[cid].requires:
            assert ORDER.index(req) < i, f"{cid} runs before its requirement {req}"


def test_stable_json_is_byte_identical_across_runs(sample: Path) -> None:
    root = sample
    run_doctor(root, "--stable-json")
    first = (root / OUT).read_bytes()
    d = run_doctor(root, "--stable-json")
    assert (root / OUT).read_bytes() == first
    assert "run" not in d.doc
    assert not any("duration_s" in r for r in d.doc["results"])
    run_doctor(root)  # without --stable-json the run block makes the bytes differ
    assert (root / OUT).read_bytes() != first


def test_exit_code_is_0_when_only_a_warning_fails_and_1_for_an_error(sample: Path) -> None:
    root = sample
    d = run_doctor(root)
    failed = [r for r in d.doc["results"] if r["status"] == "fail"]
    assert [(r["id"], r["severity"]) for r in failed] == [("ci-invokes-lane", "warning")]
    assert (d.code, d.doc["status"]) == (0, "pass"), d.why()
    set_pyproject(root, lambda t: re.sub(r"(?m)^requires-python = .*\n", "", t))
    d = run_doctor(root)
    assert (d.code, d.doc["status"]) == (1, "fail"), d.why()
    assert "FAIL" in d.proc.stdout


# ---- pyproject.toml and the version -------------------------------------------------------------


PyprojectCase = tuple[Callable[[Path], object], str, str, dict[str, str]]

PYPROJECT_CASES: dict[str, PyprojectCase] = {
    "missing": (
        lambda root: (root / "pyproject.toml").unlink(),
        "pyproject-present",
        "no pyproject.toml at the repository root",
        {
            "pyproject-valid": "pyproject-present",
            "requires-python": "pyproject-valid",
            "version-determinable": "pyproject-valid",
        },
    ),
    "invalid-toml": (
        lambda root: append(root / "pyproject.toml", "broken = [\n"),
        "pyproject-present",
        "pyproject.toml is not valid TOML",
        {
            "pyproject-valid": "pyproject-present",
            "requires-python": "pyproject-valid",
            "version-determinable": "pyproject-valid",
        },
    ),
    "name-not-a-string": (
        lambda root: set_pyproject(root, lambda t: t.replace('name = "sample"', "name = 123")),
        "pyproject-valid",
        "`project.name` must be string",
        {"requires-python": "pyproject-valid", "version-determinable": "pyproject-valid"},
    ),
    "unknown-project-field": (
        lambda root: set_pyproject(
            root, lambda t: t.replace("[project]\n", '[project]\nc = "b"\n')
        ),
        "pyproject-valid",
        "`project` must not contain {'c'} properties",
        {"requires-python": "pyproject-valid", "version-determinable": "pyproject-valid"},
    ),
    "no-project-table": (
        lambda root: write(
            root,
            "pyproject.toml",
            '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n',
        ),
        "pyproject-valid",
        "pyproject.toml has no [project] table",
        {"requires-python": "pyproject-valid", "version-determinable": "pyproject-valid"},
    ),
    # validate-pyproject already rejects a non-PEP 440 static version, so it is pyproject-valid
    # that fails and version-determinable that is skipped.
    "invalid-static-version": (
        lambda root: set_pyproject(
            root, lambda t: t.replace('version = "0.1.0"', 'version = "not a version"')
        ),
        "pyproject-valid",
        "`project.version` must be pep440",
        {"requires-python": "pyproject-valid", "version-determinable": "pyproject-valid"},
    ),
    "requires-python-missing": (
        lambda root: set_pyproject(root, lambda t: re.sub(r"(?m)^requires-python = .*\n", "", t)),
        "requires-python",
        "project.requires-python is not declared",
        {},
    ),
    "dynamic-version-backend-missing": (
        lambda root: set_pyproject(
            root,
            lambda t: t.replace('version = "0.1.0"', 'dynamic = ["version"]').replace(
                '"setuptools.build_meta"', '"nonexistent_backend_xyz"'
            ),
        ),
        "version-determinable",
        "version is dynamic and build backend 'nonexistent_backend_xyz' is not installed",
        {},
    ),
}


@pytest.mark.parametrize("case", list(PYPROJECT_CASES))
def test_pyproject_problem_fails_its_check_and_skips_dependents(
    setuptools_sample: Path, case: str
) -> None:
    setup, failing, message, skipped = PYPROJECT_CASES[case]
    root = setuptools_sample
    setup(root)
    d = run_doctor(root)
    assert (d.code, d.doc["status"]) == (1, "fail"), d.why()
    assert_result(d, failing, "fail", message)
    for cid, requirement in skipped.items():
        assert_skipped_for(d, cid, requirement)
    for cid in PYPROJECT_CHECKS:
        if cid != failing and cid not in skipped:
            assert d.check(cid)["status"] == "pass", d.why()
    for cid in ORDER[4:9]:  # a pyproject problem does not disturb the lanes and git checks
        assert d.check(cid)["status"] == "pass", d.why()


def test_dynamic_version_is_resolved_through_setuptools(setuptools_sample: Path) -> None:
    root = setuptools_sample
    set_pyproject(root, lambda t: t.replace('version = "0.1.0"', 'dynamic = ["version"]'))
    append(
        root / "pyproject.toml",
        '\n[tool.setuptools.dynamic]\nversion = {attr = "sample.__version__"}\n',
    )
    append(root / "sample" / "__init__.py", '\n__version__ = "2.3.4"\n')
    d = run_doctor(root)
    assert d.code == 0, d.why()
    assert_result(d, "version-determinable", "pass", "version 2.3.4", "setuptools.build_meta")


_BACKEND = """
import os


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    {body}
    name = "sample-0.dist-info"
    os.makedirs(os.path.join(metadata_directory, name))
    with open(os.path.join(metadata_directory, name, "METADATA"), "w") as fh:
        fh.write("Metadata-Version: 2.1\\nName: sample\\nVersion: banana split\\n")
    return name


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    raise NotImplementedError
"""


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("pass", "'banana split' is not a valid PEP 440 version"),
        (
            'raise RuntimeError("no version for you")',
            "build backend 'inhouse_backend' failed to give metadata: "
            "RuntimeError: no version for you",
        ),
    ],
    ids=["invalid-dynamic-version", "backend-crashes"],
)
def test_dynamic_version_problems_from_an_in_tree_backend(
    setuptools_sample: Path, body: str, message: str
) -> None:
    root = setuptools_sample
    write(root, "_backend/inhouse_backend.py", _BACKEND.replace("{body}", body))
    set_pyproject(
        root,
        lambda t: t.replace('version = "0.1.0"', 'dynamic = ["version"]').replace(
            'build-backend = "setuptools.build_meta"',
            'build-backend = "inhouse_backend"\nbackend-path = ["_backend"]',
        ),
    )
    d = run_doctor(root)
    assert d.code == 1, d.why()
    assert_result(d, "version-determinable", "fail", message)


# ---- lanes.toml ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tail", "marker", "problem"),
    [
        ("\n[bogus]\nx = 1\n", "[bogus]", "bogus: unknown key"),
        ("\n[doctor]\nx = = 1\n", "x = = 1", "invalid TOML"),
        (
            '\n[doctor.disable]\ngit-not-shalow = "typo"\n',
            "git-not-shalow",
            "unknown doctor check (did you mean 'git-not-shallow'?)",
        ),
    ],
    ids=["unknown-key", "invalid-toml", "unknown-disabled-check"],
)
def test_broken_lanes_toml_is_reported_by_a_doctor_that_still_runs(
    sample: Path, tail: str, marker: str, problem: str
) -> None:
    root = sample
    append(root / "lanes.toml", tail)
    lines = (root / "lanes.toml").read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if marker in text)
    d = run_doctor(root)
    assert (d.code, d.doc["status"]) == (1, "fail"), d.why()
    assert_result(d, "lanes-toml-valid", "fail", f"lanes.toml:{line}: ", problem)
    assert_skipped_for(d, "gate-tools-runnable", "lanes-toml-valid")
    assert_skipped_for(d, "no-shell-commands", "lanes-toml-valid")
    assert_skipped_for(d, "ci-invokes-lane", "lanes-toml-valid")
    for cid in (*PYPROJECT_CHECKS, "git-repo", "git-not-shallow", "build-dir-ignored"):
        assert d.check(cid)["status"] == "pass", d.why()
    # the same broken file stops every other command with exit 2
    assert run_cli(root, "lanes", "validate").returncode == 2


@pytest.mark.parametrize(
    ("cmd", "message"),
    [
        (
            '["definitely-not-a-tool-xyz", "--check"]',
            "gate.fast.checks.ghost: tool 'definitely-not-a-tool-xyz' not found on PATH",
        ),
        (
            '["{python}", "-m", "nosuchmodule_xyz"]',
            "gate.fast.checks.ghost: module 'nosuchmodule_xyz' is not installed for ",
        ),
    ],
    ids=["missing-program", "missing-module"],
)
def test_gate_check_whose_tool_cannot_run(sample: Path, cmd: str, message: str) -> None:
    root = sample
    append(root / "lanes.toml", f"\n[gate.fast.checks.ghost]\ncmd = {cmd}\n")
    d = run_doctor(root)
    assert (d.code, d.doc["status"]) == (1, "fail"), d.why()
    assert_result(d, "gate-tools-runnable", "fail", message)
    r = d.check("gate-tools-runnable")
    assert r["message"].count("gate.fast.checks.") == 1, "only the missing tool is named"
    assert d.check("lanes-toml-valid")["status"] == "pass"
    assert d.check("ci-invokes-lane")["status"] == "fail"  # still checked: not blocked


# ---- git ----------------------------------------------------------------------------------------


def test_not_a_git_repository(tmp_path: Path, sample: Path) -> None:
    root = sample
    shutil.rmtree(root / ".git")
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(tmp_path)}
    d = run_doctor(root, env=env)
    assert (d.code, d.doc["status"]) == (1, "fail"), d.why()
    assert d.doc["subject"]["commit"] is None
    assert_result(d, "git-repo", "fail", "not inside a git work tree")
    assert_skipped_for(d, "git-not-shallow", "git-repo")
    assert_skipped_for(d, "build-dir-ignored", "git-repo")
    assert d.check("version-determinable")["status"] == "pass"


def test_repository_without_commits(templates: Templates, tmp_path: Path) -> None:
    built = templates.copy("doctor-sample", make_project, tmp_path / "built")
    root = tmp_path / "fresh"
    shutil.copytree(built, root, ignore=shutil.ignore_patterns(".git"))
    make_git_repo(root)
    d = run_doctor(root)
    assert (d.code, d.doc["status"]) == (1, "fail"), d.why()
    assert d.doc["subject"]["commit"] is None
    assert_result(d, "git-repo", "fail", "the repository has no commits yet")
    assert_skipped_for(d, "git-not-shallow", "git-repo")
    assert_skipped_for(d, "build-dir-ignored", "git-repo")


def _two_commits(d: Path) -> Path:
    """A project with two commits."""
    origin = make_project(d)
    write(origin, "CHANGES.md", "# Changes\n\n- second commit\n")
    commit_all(origin, "second")
    return origin


def shallow_clone(templates: Templates, tmp_path: Path) -> Path:
    """A `--depth 1` clone of a project with two commits (a copy of one built per process)."""
    origin = templates.copy("doctor-two-commits", _two_commits, tmp_path / "origin")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin}", str(clone))
    assert git(clone, "rev-parse", "--is-shallow-repository") == "true"
    return clone


def test_shallow_clone(templates: Templates, tmp_path: Path) -> None:
    clone = shallow_clone(templates, tmp_path)
    d = run_doctor(clone)
    assert (d.code, d.doc["status"]) == (1, "fail"), d.why()
    assert_result(d, "git-not-shallow", "fail", "shallow clone")
    assert "--unshallow" in d.check("git-not-shallow")["fix"]
    assert d.check("git-repo")["status"] == "pass"
    assert d.check("build-dir-ignored")["status"] == "pass"  # not blocked by the shallow check


def test_build_dir_not_ignored(sample: Path) -> None:
    root = sample
    gitignore = root / ".gitignore"
    kept = [ln for ln in gitignore.read_text(encoding="utf-8").splitlines() if ln != "/build/"]
    gitignore.write_text("".join(f"{ln}\n" for ln in kept), encoding="utf-8")
    commit_all(root, "stop ignoring build/")
    (root / "build" / "lib").mkdir(parents=True)  # a build tool's output, no .gitignore in it
    d = run_doctor(root)
    assert (d.code, d.doc["status"]) == (1, "fail"), d.why()
    assert_result(d, "build-dir-ignored", "fail", "'build/' is not ignored by git")
    assert "/build/" in d.check("build-dir-ignored")["fix"]


def test_build_dir_ignored_but_a_file_in_it_tracked(sample: Path) -> None:
    root = sample
    write(root, "build/notes.txt", "tracked by mistake\n")
    git(root, "add", "-f", "build/notes.txt")
    commit_all(root, "track a build file")
    d = run_doctor(root)
    assert (d.code, d.doc["status"]) == (1, "fail"), d.why()
    # lanes.toml itself is refused: the artifacts directory must be a directory of its own
    message = d.check("lanes-toml-valid")["message"]
    assert "project.artifacts_dir: 'build' holds tracked files (build/notes.txt)" in message


# ---- CI -----------------------------------------------------------------------------------------


def test_no_ci_configuration_is_a_warning(sample: Path) -> None:
    root = sample
    d = run_doctor(root)
    assert (d.code, d.doc["status"]) == (0, "pass"), d.why()
    assert_result(d, "ci-invokes-lane", "fail", "no CI configuration found")
    assert d.check("ci-invokes-lane")["severity"] == "warning"
    assert (d.doc["summary"]["warn"], d.doc["summary"]["fail"]) == (1, 0)
    line = next(ln for ln in d.proc.stdout.splitlines() if "ci-invokes-lane" in ln)
    assert line.split()[0] == "WARN", d.proc.stdout


def test_a_ci_file_named_for_drift_is_the_ci_doctor_reads_too(sample: Path) -> None:
    """One CI discovery: a CI script named only in [drift] ci_files is CI for doctor as well
    (once, two lists gave two answers and doctor said no CI configuration was found)."""
    root = sample
    write(root, "scripts/release-ci.sh", "set -e\npython -m nox -s startup\n")
    with (root / "lanes.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[drift]\nci_files = ["scripts/release-ci.sh"]\n')
    commit_all(root, "a CI script of our own")
    d = run_doctor(root)
    assert_result(d, "ci-invokes-lane", "pass", "scripts/release-ci.sh:2 runs lane 'startup'")


def test_warning_is_shown_as_warn_and_never_counted_as_a_failure(sample: Path) -> None:
    """A failed check of severity `warning` reads WARN, is counted as `warn` and fails nothing:
    not the step, not the text report, not JUnit; SARIF calls it a warning."""
    import xml.etree.ElementTree as ET

    from lane_tasks.evidence.consistency import status_contradiction
    from lane_tasks.exports import render_export

    root = sample
    d = run_doctor(root)
    assert (d.code, d.doc["status"]) == (0, "pass"), d.why()
    assert d.check("ci-invokes-lane")["status"] == "fail"  # what the check found, unchanged
    assert d.doc["summary"] == {"pass": 10, "warn": 1, "fail": 0, "error": 0, "skip": 0}
    assert "FAIL" not in d.proc.stdout, d.proc.stdout
    assert re.search(r"(?m)^  WARN  ci-invokes-lane +- no CI configuration found$", d.proc.stdout)
    assert "doctor: 10 pass / 1 warn / 0 fail / 0 error / 0 skip" in d.proc.stdout
    assert "fix [ci-invokes-lane]:" in d.proc.stdout  # still told how to fix it

    suite = ET.fromstring(render_export("junit", d.doc)).find("testsuite")
    assert suite is not None
    assert (suite.get("failures"), suite.get("errors")) == ("0", "0")
    case = next(c for c in suite.iter("testcase") if c.get("name") == "ci-invokes-lane")
    assert case.find("failure") is None and case.find("error") is None
    assert (case.findtext("system-out") or "").startswith("warning: no CI configuration found")

    sarif = json.loads(render_export("sarif", d.doc))
    levels = {r["ruleId"]: r["level"] for r in sarif["runs"][0]["results"]}
    assert levels.get("ci-invokes-lane") == "warning", levels

    assert status_contradiction(d.doc) is None
    legacy = {**d.doc, "summary": {"pass": 10, "fail": 1, "error": 0, "skip": 0}}
    assert status_contradiction(legacy) is None  # written before warnings were counted apart
    wrong = {**d.doc, "summary": {"pass": 10, "warn": 0, "fail": 1, "error": 0, "skip": 0}}
    assert status_contradiction(wrong) is not None


WORKFLOW = """
name: ci
on: [push]
jobs:
  lanes:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pip install nox
      - run: {cmd}
"""


@pytest.mark.parametrize(
    ("path", "cmd", "config", "message"),
    [
        (
            ".github/workflows/ci.yml",
            "nox -s startup",
            "",
            ".github/workflows/ci.yml:9 runs lane 'startup'",
        ),
        (".gitlab-ci.yml", "nox --sessions lint scale", "", ".gitlab-ci.yml:9 runs lane 'scale'"),
        (".gitlab-ci.yml", "uvx nox -s startup", "", ".gitlab-ci.yml:9 runs lane 'startup'"),
        (".gitlab-ci.yml", "pipx run nox -e scale", "", ".gitlab-ci.yml:9 runs lane 'scale'"),
        (
            ".gitlab-ci.yml",
            "uv run noxfile.py -s=startup",
            "",
            ".gitlab-ci.yml:9 runs lane 'startup'",
        ),
        (
            ".gitlab-ci.yml",
            "pip install . && python -m nox --session regulated",
            "",
            ".gitlab-ci.yml:9 runs lane 'regulated'",
        ),
        (
            ".github/workflows/ci.yml",
            "nox -s lanes-startup",
            "PREFIX",
            ".github/workflows/ci.yml:9 runs lane 'startup'",
        ),
        (
            ".github/workflows/ci.yml",
            'nox -s "startup"',
            "",
            ".github/workflows/ci.yml:9 runs lane 'startup'",
        ),
        (
            "tools/pipeline.yml",
            "python -m nox -s regulated",
            '\n[doctor]\nci_files = ["tools/*.yml"]\n',
            "tools/pipeline.yml:9 runs lane 'regulated'",
        ),
    ],
    ids=[
        "github",
        "gitlab-session-list",
        "uvx",
        "pipx",
        "uv-run-script",
        "after-and",
        "prefixed",
        "quoted",
        "ci-files-setting",
    ],
)
def test_ci_that_runs_a_lane_passes_naming_file_and_line(
    sample: Path, path: str, cmd: str, config: str, message: str
) -> None:
    root = sample
    write(root, path, WORKFLOW.format(cmd=cmd))
    lanes = root / "lanes.toml"
    if config == "PREFIX":  # the lanes' sessions are named lanes-<lane>
        lanes.write_text(lanes.read_text().replace("[nox]\n", '[nox]\nsession_prefix = "lanes-"\n'))
    else:
        append(lanes, config)
    d = run_doctor(root)
    assert (d.code, d.doc["status"]) == (0, "pass"), d.why()
    assert_result(d, "ci-invokes-lane", "pass", message)
    assert d.doc["summary"] == {"pass": 11, "fail": 0, "error": 0, "skip": 0}


@pytest.mark.parametrize(
    "cmd",
    ["nox -s lint", "nox -s startup-docs", "echo startup", "nox --sessions=lint,startup"],
    ids=["lint", "prefix", "echo", "comma-is-part-of-the-name"],
)
def test_ci_that_runs_no_lane_fails(sample: Path, cmd: str) -> None:
    root = sample
    write(root, ".github/workflows/ci.yml", WORKFLOW.format(cmd=cmd))
    d = run_doctor(root)
    assert (d.code, d.doc["status"]) == (0, "pass"), d.why()
    assert_result(
        d, "ci-invokes-lane", "fail", "no lane session is run by .github/workflows/ci.yml"
    )


def test_a_commented_out_lane_run_does_not_count(sample: Path) -> None:
    root = sample
    write(
        root, ".github/workflows/ci.yml", WORKFLOW.format(cmd="nox -s lint") + "# nox -s startup\n"
    )
    d = run_doctor(root)
    assert_result(
        d, "ci-invokes-lane", "fail", "no lane session is run by .github/workflows/ci.yml"
    )


# ---- doctor.disable -----------------------------------------------------------------------------


def test_disabled_check_is_skipped_with_its_reason(templates: Templates, tmp_path: Path) -> None:
    clone = shallow_clone(templates, tmp_path)
    append(clone / "lanes.toml", '\n[doctor.disable]\ngit-not-shallow = "CI uses shallow clones"\n')
    d = run_doctor(clone)
    assert (d.code, d.doc["status"]) == (0, "pass"), d.why()
    r = d.check("git-not-shallow")
    assert (r["status"], r["message"]) == ("skip", "disabled in lanes.toml: CI uses shallow clones")
    assert r["fix"] is None
    passed = [r["id"] for r in d.doc["results"] if r["status"] == "pass"]
    assert "git-not-shallow" not in passed
    assert d.doc["summary"] == {"pass": 9, "warn": 1, "fail": 0, "error": 0, "skip": 1}
    assert len(passed) == d.doc["summary"]["pass"]

    text = run_cli(clone, "doctor", "--format", "text")
    assert text.returncode == 0, text.stdout + text.stderr
    line = next(ln for ln in text.stdout.splitlines() if "git-not-shallow" in ln)
    assert line.split()[0] == "SKIP"
    assert line.endswith("- disabled in lanes.toml: CI uses shallow clones")
    assert "doctor: 9 pass / 1 warn / 0 fail / 0 error / 1 skip" in text.stdout


def test_disabled_check_does_not_satisfy_the_checks_requiring_it(sample: Path) -> None:
    root = sample
    append(root / "lanes.toml", '\n[doctor.disable]\ngit-repo = "vendored snapshot, no git"\n')
    d = run_doctor(root)
    assert d.code == 0, d.why()
    assert_result(d, "git-repo", "skip", "disabled in lanes.toml: vendored snapshot, no git")
    assert_skipped_for(d, "git-not-shallow", "git-repo")
    assert_skipped_for(d, "build-dir-ignored", "git-repo")
    assert d.doc["summary"] == {"pass": 7, "warn": 1, "fail": 0, "error": 0, "skip": 3}


# ---- the nox session ----------------------------------------------------------------------------


@pytest.mark.e2e
def test_nox_doctor_session_writes_artifact_and_run_directory(sample: Path) -> None:
    root = sample
    r = run_nox(root, "-s", "doctor")
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads((root / OUT).read_text(encoding="utf-8"))
    validate(doc)
    assert doc["status"] == "pass"
    runs = list((root / "build" / "lanes" / "runs").iterdir())
    assert len(runs) == 1, runs
    run = runs[0]
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{6}", run.name), run.name
    assert sorted(p.name for p in run.iterdir()) == ["doctor.json", "manifest.json"]
    kept = run / "doctor.json"
    assert kept.read_bytes() == (root / OUT).read_bytes()
    assert doc["run"]["id"] == run.name
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["run"]["id"] == run.name
    [artifact] = manifest["artifacts"]
    assert artifact["path"] == "doctor.json"
    assert artifact["step"] == "doctor"
    assert artifact["sha256"] == hashlib.sha256(kept.read_bytes()).hexdigest()
    assert git(root, "status", "--porcelain") == ""  # the run left the tree clean


_CHATTY_BACKEND = """
import os
import warnings


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    warnings.warn("project.license as a TOML table is deprecated", UserWarning)
    name = "sample-0.dist-info"
    os.makedirs(os.path.join(metadata_directory, name))
    with open(os.path.join(metadata_directory, name, "METADATA"), "w") as fh:
        fh.write("Metadata-Version: 2.1\\nName: sample\\nVersion: 2.0\\n")
    return name
"""


class _Seen(logging.Handler):
    """What a handler on the root logger (nox's, in a lane) would print."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} > {record.getMessage()}")


def test_asking_the_backend_prints_nothing_over_the_live_lines(
    setuptools_sample: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    recwarn: pytest.WarningsRecorder,
) -> None:
    """The backend's warnings (re-emitted by pyproject_hooks in this process) and pypa/build's
    step log lines stay out of the terminal while doctor and gate release ask for the version;
    a failure still says what the backend said."""
    from lane_tasks.project.version import BackendFailed, resolve_version

    root = setuptools_sample
    write(root, "_backend/chatty_backend.py", _CHATTY_BACKEND)
    set_pyproject(
        root,
        lambda t: t.replace('version = "0.1.0"', 'dynamic = ["version"]').replace(
            'build-backend = "setuptools.build_meta"',
            'build-backend = "chatty_backend"\nbackend-path = ["_backend"]',
        ),
    )
    seen, root_logger = _Seen(), logging.getLogger()
    root_level = root_logger.level
    root_logger.addHandler(seen)
    root_logger.setLevel(logging.INFO)  # as nox sets it up
    try:
        assert str(resolve_version(root).version) == "2.0"
        # a requirement that is nowhere to install: pypa/build's isolated path, offline
        set_pyproject(root, lambda t: t.replace("requires = [", 'requires = ["no-such-dist-x", '))
        monkeypatch.setenv("PIP_NO_INDEX", "1")
        with pytest.raises(BackendFailed) as failed:
            resolve_version(root, isolated=True)
    finally:
        root_logger.removeHandler(seen)
        root_logger.setLevel(root_level)
    assert not [w for w in recwarn if "deprecated" in str(w.message)], "shown as a warning"
    out, err = capfd.readouterr()
    assert "deprecated" not in out + err and "isolated environment" not in out + err, err
    assert not [x for x in seen.lines if x.startswith("build")], seen.lines
    assert "no-such-dist-x" in failed.value.output, "what pip said is kept for the excerpt"
