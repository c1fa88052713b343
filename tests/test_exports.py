"""CI-native outputs on real projects: SARIF (validated against the OASIS schema), JUnit XML
(read back with junitparser), the Markdown run summary and the example CI files.

Expectations come from the projects the tests plant and from the JSON artifacts the same
commands write, never from copied tool output.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import tomli_w
import yaml
from helpers import (
    REPO_ROOT,
    TESTS_DIR,
    Templates,
    commit_all,
    git,
    make_project,
    run_cli,
    run_nox,
    write,
)
from junitparser import Error, Failure, JUnitXml, Skipped, TestSuite

from lane_tasks.cli.parser import build_parser
from lane_tasks.exports.markdown import append_github_summary, render_run_summary
from lane_tasks.steps.drift.shell_words import commands

SARIF_SCHEMA = TESTS_DIR / "schemas" / "sarif-schema-2.1.0.json"
CI_EXAMPLES = ("docs/ci/github-actions.yml", "docs/ci/gitlab-ci.yml")
PY = ["{python}", "-c"]
NO_TOOL = {"cmd": ["lane-tasks-no-such-tool"], "owner": "qa"}


# ---- helpers ----------------------------------------------------------------------------------


def export(root: Path, fmt: str, out: str, *cmd: str) -> tuple[int, str, str]:
    """Run `lane-tasks <cmd> --format <fmt> --out <out>`: (exit code, file text, stdout)."""
    r = run_cli(root, *cmd, "--format", fmt, "--out", out)
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode in (0, 1), r.stdout + r.stderr
    return r.returncode, (root / out).read_text(encoding="utf-8"), r.stdout


def artifact(root: Path, *cmd: str) -> dict[str, Any]:
    """The JSON artifact of the same command, to compare an export with."""
    r = run_cli(root, *cmd, "--format", "json")
    assert "Traceback" not in r.stderr, r.stderr
    doc: dict[str, Any] = json.loads(r.stdout)
    return doc


def sarif(root: Path, out: str, *cmd: str) -> dict[str, Any]:
    """A SARIF export, validated against the OASIS SARIF 2.1.0 schema."""
    _, text, stdout = export(root, "sarif", out, *cmd)
    log: dict[str, Any] = json.loads(text)
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)
    assert stdout.startswith("lane-tasks "), "with --out, the terminal gets the text summary"
    return log


def the_run(log: dict[str, Any]) -> dict[str, Any]:
    (run,) = log["runs"]
    assert isinstance(run, dict)
    return run


def by_rule(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["ruleId"]: r for r in run["results"]}


def regions(result: dict[str, Any]) -> list[tuple[str, int | None, int | None]]:
    out = []
    for loc in result.get("locations", []):
        phys = loc["physicalLocation"]
        region = phys.get("region", {})
        out.append(
            (phys["artifactLocation"]["uri"], region.get("startLine"), region.get("startColumn"))
        )
    return out


def line_of(path: Path, predicate: Any) -> int:
    """The 1-based number of the first line of `path` for which `predicate(line)` holds."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, text in enumerate(lines, start=1) if predicate(text))


def update_lanes(root: Path, patch: dict[str, Any]) -> None:
    """Merge `patch` into the project's lanes.toml (tables merged, values replaced); commit."""

    def merge(into: dict[str, Any], new: dict[str, Any]) -> None:
        for key, value in new.items():
            if isinstance(value, dict) and isinstance(into.get(key), dict):
                merge(into[key], value)
            else:
                into[key] = value

    path = root / "lanes.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    merge(data, patch)
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    commit_all(root, "lanes.toml")


def add_checks(root: Path, checks: dict[str, dict[str, Any]]) -> None:
    update_lanes(root, {"gate": {"fast": {"checks": checks}}})


def failing(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in doc["results"] if r["status"] in ("fail", "error")}


def _lint_error(d: Path) -> Path:
    return make_project(d, lint_error=True)


def _failing_test(d: Path) -> Path:
    return make_project(d, failing_test=True)


@pytest.fixture
def project(templates: Templates, tmp_path: Path) -> Path:
    """A copy of the clean sample project (`make_project`)."""
    return templates.copy("exports-project", make_project, tmp_path)


@pytest.fixture
def lint_error(templates: Templates, tmp_path: Path) -> Path:
    """A copy of the sample project with an unused import (`make_project(lint_error=True)`)."""
    return templates.copy("exports-lint-error", _lint_error, tmp_path)


@pytest.fixture
def failing_test(templates: Templates, tmp_path: Path) -> Path:
    """A copy of the sample project with a failing test (`make_project(failing_test=True)`)."""
    return templates.copy("exports-failing-test", _failing_test, tmp_path)


# ---- SARIF ------------------------------------------------------------------------------------


@pytest.mark.e2e
def test_gate_fast_sarif_locates_the_ruff_finding(lint_error: Path) -> None:
    root = lint_error
    doc = artifact(root, "gate", "fast")
    log = sarif(root, "build/gate-fast.sarif", "gate", "fast")
    run = the_run(log)
    assert log["version"] == "2.1.0"
    assert run["automationDetails"]["id"] == "lane-tasks/gate-fast/"
    rules = run["tool"]["driver"]["rules"]
    checks = tomllib.loads((root / "lanes.toml").read_text())["gate"]["fast"]["checks"]
    assert [r["id"] for r in rules] == list(checks), "every check is a rule, passing or not"
    results = by_rule(run)
    assert set(failing(doc)) == {"ruff-check"}
    # ruff's SARIF report (init wires it): the finding under ruff's own rule id, not the check's
    assert set(results) == {"F401"}, "passing checks give no result"
    ruff = results["F401"]
    assert ruff["level"] == "error"
    ext = run["tool"]["extensions"][ruff["rule"]["toolComponent"]["index"]]
    assert ext["name"] == "ruff" and ext["properties"]["check"] == "ruff-check"
    assert ext["rules"][ruff["rule"]["index"]]["id"] == "F401"
    source = root / "sample" / "__init__.py"
    line = line_of(source, lambda t: t.startswith("import os"))
    column = source.read_text().splitlines()[line - 1].index("os") + 1
    assert regions(ruff)[0] == ("sample/__init__.py", line, column)
    assert ruff["message"]["text"] == "`os` imported but unused"
    expected = doc["results"][0]
    assert rules[0]["id"] == "ruff-check" and rules[0]["help"]["text"] == expected["fix"]


@pytest.mark.e2e
def test_gate_fast_sarif_locates_a_pytest_failure_at_the_test(failing_test: Path) -> None:
    root = failing_test
    run = the_run(sarif(root, "build/gate-fast.sarif", "gate", "fast"))
    (test,) = run["results"]
    assert test["ruleId"] == "pytest"
    line = line_of(root / "tests" / "test_add.py", lambda t: "assert add" in t)
    assert ("tests/test_add.py", line, None) in regions(test)


@pytest.mark.e2e
def test_sarif_falls_back_to_the_check_definition_in_lanes_toml(
    project: Path, tmp_path: Path
) -> None:
    """Output naming no file, a file that does not exist or one outside the repository gives
    no excerpt location: the result points at the check in lanes.toml. A missing tool is an
    error, located the same way."""
    root = project
    (tmp_path / "outside.py").write_text("x = 1\n")
    code = "print('nothere.py:3: boom'); print('../outside.py:1: boom'); raise SystemExit(3)"
    add_checks(root, {"no-files": {"cmd": [*PY, code], "owner": "qa"}, "no-tool": NO_TOOL})
    doc = artifact(root, "gate", "fast")
    assert {r["id"]: r["status"] for r in failing(doc).values()} == {
        "no-files": "fail",
        "no-tool": "error",
    }
    results = by_rule(the_run(sarif(root, "build/gate-fast.sarif", "gate", "fast")))
    assert set(results) == {"no-files", "no-tool"}
    lanes = root / "lanes.toml"
    for cid, result in results.items():
        header = line_of(lanes, lambda t, cid=cid: t.strip() == f"[gate.fast.checks.{cid}]")
        assert regions(result) == [("lanes.toml", header, None)]
        assert result["level"] == "error"
    assert results["no-tool"]["properties"]["status"] == "error"


def test_doctor_sarif_keeps_warnings_warnings(project: Path) -> None:
    root = project
    (root / ".gitignore").write_text("/.nox/\n")  # build/ no longer ignored: an error check
    write(root, "build/lib/stray.py", "")  # what a build tool leaves there
    write(root, "build/.gitignore", "")  # kept as it is when doctor writes build/doctor.json
    doc = artifact(root, "doctor")
    bad = failing(doc)
    assert {r["severity"] for r in bad.values()} == {"error", "warning"}, bad
    run = the_run(sarif(root, "build/doctor.sarif", "doctor"))
    assert run["automationDetails"]["id"] == "lane-tasks/doctor/"
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r["id"] for r in doc["results"]]
    for rule, r in zip(rules, doc["results"], strict=True):
        assert rule["shortDescription"]["text"] == r["description"]
    results = by_rule(run)
    assert set(results) == set(bad)
    for cid, r in bad.items():
        assert results[cid]["level"] == r["severity"]
        assert results[cid]["message"]["text"].startswith(r["message"])
        assert results[cid]["locations"][0]["physicalLocation"]["artifactLocation"] == {
            "uri": "lanes.toml"
        }


def test_gate_release_sarif_validates_and_points_at_the_lane(tmp_path: Path) -> None:
    # no [gate.release] table (--offline instead): its results point at the lane's steps
    root = make_project(tmp_path, isolated_build=True)
    cmd = ("gate", "release", "--offline", "--version", "9.9.9", "--lane", "startup")
    doc = artifact(root, *cmd)
    bad = failing(doc)
    assert "version" in bad, doc["results"]
    run = the_run(sarif(root, "build/release-preflight.sarif", *cmd))
    results = by_rule(run)
    assert set(results) == set(bad)
    lanes = root / "lanes.toml"
    start = line_of(lanes, lambda t: t.strip() == "[lanes.startup]")
    text = lanes.read_text().splitlines()
    steps = next(n for n in range(start + 1, len(text) + 1) if text[n - 1].startswith("steps"))
    assert regions(results["version"]) == [("lanes.toml", steps, None)]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [r["id"] for r in doc["results"]]


@pytest.mark.e2e
def test_sarif_of_a_passing_gate_has_rules_and_no_results(project: Path) -> None:
    root = project
    run = the_run(sarif(root, "build/gate-fast.sarif", "gate", "fast"))
    assert run["results"] == []
    assert run["invocations"] == [{"executionSuccessful": True}]
    assert len(run["tool"]["driver"]["rules"]) == 4


# ---- JUnit ------------------------------------------------------------------------------------


def suite_of(path: Path) -> TestSuite:
    """The step's own suite (a case per check); the tools' own test cases (a check with
    `report = "junit"`) follow in suites of their own, `lane-tasks.<step>.<check>`."""
    xml = JUnitXml.fromfile(str(path))
    suites = list(xml) if not isinstance(xml, TestSuite) else [xml]
    suite = suites[0]
    assert isinstance(suite, TestSuite)
    assert all(str(s.name).startswith(f"{suite.name}.") for s in suites[1:])
    return suite


def test_gate_fast_junit_counts_and_the_failing_case(failing_test: Path) -> None:
    root = failing_test
    code = "import sys; sys.stdout.write('ctl\\x01\\x0b<&>]]>'); raise SystemExit(2)"
    add_checks(root, {"noisy": {"cmd": [*PY, code], "owner": "qa"}, "no-tool": NO_TOOL})
    cmd = ("gate", "fast", "--lane", "startup", "--stable-json")  # the same excerpts twice
    doc = artifact(root, *cmd)
    code_, text, stdout = export(root, "junit", "build/gate-fast.junit.xml", *cmd)
    assert code_ == 1
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert stdout.startswith("lane-tasks gate-fast"), "the terminal gets text, the file JUnit"
    suite = suite_of(root / "build" / "gate-fast.junit.xml")
    assert suite.name == "lane-tasks.gate-fast"
    statuses = [r["status"] for r in doc["results"]]
    assert suite.tests == len(doc["results"]) == 6
    assert suite.failures == statuses.count("fail") == 2
    assert suite.errors == statuses.count("error") == 1
    assert suite.skipped == 0
    tree = ET.parse(root / "build" / "gate-fast.junit.xml")
    props = {p.get("name"): p.get("value") for p in tree.iterfind("testsuite/properties/property")}
    assert props["commit"] == git(root, "rev-parse", "HEAD")
    assert props["lane"] == "startup"
    cases = {case.name: case for case in suite}
    assert list(cases) == [r["id"] for r in doc["results"]]
    expected = {r["id"]: r for r in doc["results"]}
    for case in cases.values():
        assert case.classname == "lane-tasks.gate-fast"
        assert float(case.time) >= 0
    (failure,) = cases["pytest"].result
    assert isinstance(failure, Failure)
    assert failure.message == expected["pytest"]["message"]
    assert expected["pytest"]["excerpt"] in (failure.text or "")
    assert "test_add" in (failure.text or "")
    assert expected["pytest"]["fix"] in (failure.text or "")
    (noisy,) = cases["noisy"].result
    assert isinstance(noisy, Failure)
    assert "ctl<&>]]>" in (noisy.text or ""), "illegal characters dropped, markup escaped"
    (error,) = cases["no-tool"].result
    assert isinstance(error, Error)
    assert error.message == expected["no-tool"]["message"]
    assert cases["ruff-check"].is_passed


def test_gate_release_junit_reports_skipped_checks(project: Path) -> None:
    root = project
    git(root, "tag", "v0.1.0")
    commit_all(root, "a commit after the release")  # not a release candidate: version skips
    cmd = ("gate", "release", "--offline")
    doc = artifact(root, *cmd)
    skipped = {r["id"]: r for r in doc["results"] if r["status"] == "skip"}
    assert set(skipped) == {"version", "smoke", "reproducible"}, doc["results"]
    export(root, "junit", "build/gate-release.junit.xml", *cmd)
    suite = suite_of(root / "build" / "gate-release.junit.xml")
    assert suite.name == "lane-tasks.gate-release"
    assert suite.skipped == len(skipped)
    assert suite.failures == sum(r["status"] == "fail" for r in doc["results"])
    for case in suite:
        if case.name in skipped:
            (skip,) = case.result
            assert isinstance(skip, Skipped)
            assert skip.message == skipped[case.name]["message"]


def test_junit_is_only_for_the_gates(tmp_path: Path) -> None:
    r = run_cli(tmp_path, "doctor", "--format", "junit")
    assert r.returncode == 2
    assert "invalid choice: 'junit'" in r.stderr


def test_export_renders_a_written_artifact_without_running_anything(failing_test: Path) -> None:
    """`lane-tasks export` gives the bytes the step would have printed in that format."""
    root = failing_test
    cmd = ("gate", "fast", "--stable-json")
    export(root, "json", "build/gate-fast.json", *cmd)
    _, direct, _ = export(root, "sarif", "build/direct.sarif", *cmd)
    test = root / "tests" / "test_add.py"
    test.write_text(test.read_text().replace("== 5", "== 3"))  # a re-run would pass now
    r = run_cli(root, "export", "build/gate-fast.json", "--format", "sarif")
    assert r.returncode == 0, r.stderr
    assert r.stdout == direct
    r = run_cli(root, "export", "build/gate-fast.json", "--format", "junit", "--out", "g.xml")
    assert r.returncode == 0 and suite_of(root / "g.xml").failures == 1
    export(root, "json", "build/doctor.json", "doctor")
    wrong = run_cli(root, "export", "build/doctor.json", "--format", "junit")
    assert wrong.returncode == 2 and "JUnit is for gate-fast and gate-release" in wrong.stderr
    (root / "bad.json").write_text("{}")
    bad = run_cli(root, "export", "bad.json", "--format", "sarif")
    assert bad.returncode == 2 and "not a lane-tasks artifact" in bad.stderr


# ---- Markdown run summary ---------------------------------------------------------------------


def lane_run(root: Path, *, passes: bool) -> Path:
    r = run_nox(root, "-s", "startup")
    assert (r.returncode == 0) is passes, r.stdout + r.stderr
    (run_dir,) = (root / "build" / "lanes" / "runs").iterdir()
    return run_dir


def _failed_run(d: Path) -> tuple[Path, Path]:
    """A lane run of the project with a lint error, failed, as GitHub Actions runs it: with a
    GITHUB_STEP_SUMMARY file an earlier step wrote to. Answers (run directory, that file)."""
    summary = d / "summary.md"
    summary.write_text("earlier step\n")
    root = make_project(d, lint_error=True)
    r = run_nox(root, "-s", "startup", env={**os.environ, "GITHUB_STEP_SUMMARY": str(summary)})
    assert r.returncode != 0, r.stdout + r.stderr
    (run_dir,) = (root / "build" / "lanes" / "runs").iterdir()
    return run_dir, summary


@pytest.fixture(scope="module")
def failed_lane_run(
    templates: Templates, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    return templates.copy("exports-failed-run", _failed_run, tmp_path_factory.mktemp("failed"))


@pytest.fixture(scope="module")
def failed_run(failed_lane_run: tuple[Path, Path]) -> Path:
    return failed_lane_run[0]


@pytest.fixture(scope="module")
def passed_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(tmp_path_factory.mktemp("passed"))
    update_lanes(root, {"gate": {"release": {"offline": True}}})  # builds need no network
    return lane_run(root, passes=True)


def manifest(run_dir: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((run_dir / "manifest.json").read_text())
    return doc


@pytest.mark.e2e
def test_summary_of_a_failed_run_names_the_failing_checks(failed_run: Path) -> None:
    m = manifest(failed_run)
    text = render_run_summary(failed_run)
    assert text.startswith("## lane-tasks startup: ❌ fail\n")
    assert f"`{failed_run.name}`" in text
    assert f"`{m['subject']['commit'][:12]}`" in text
    step_rows = [line for line in text.splitlines() if line.startswith("| ") and "step" not in line]
    assert [row.split(" | ")[0].removeprefix("| ") for row in step_rows] == [
        r["id"] for r in m["results"]
    ]
    gate = json.loads((failed_run / "gate-fast.json").read_text())
    bad = failing(gate)
    assert set(bad) == {"ruff-check"}
    ruff = bad["ruff-check"]
    assert f"- **ruff-check** (❌ fail, owner `{ruff['owner']}`): {ruff['message']}" in text
    assert f"  - fix: {ruff['fix']}" in text
    assert "<details><summary>ruff-check: last lines of output</summary>" in text
    details = text.split("<details>", 1)[1].split("</details>", 1)[0]
    assert ruff["excerpt"].splitlines()[-1] in details
    for passing in ("ruff-format", "mypy", "pytest"):
        assert f"**{passing}**" not in text


@pytest.mark.e2e
def test_summary_of_a_passing_run_is_a_table(passed_run: Path) -> None:
    m = manifest(passed_run)
    assert m["status"] == "pass"
    text = render_run_summary(passed_run)
    assert text.startswith("## lane-tasks startup: ✅ pass\n")
    for entry in m["results"]:
        doc = json.loads((passed_run / entry["artifact"]).read_text())
        s = doc["summary"]
        warn = f"{s['warn']} warn / " if s.get("warn") else ""  # doctor's CI warning
        counts = (
            f"{s['pass']} pass / {warn}{s['fail']} fail / {s['error']} error / {s['skip']} skip"
        )
        assert f"| {entry['id']} | ✅ pass | {counts} |" in text
    assert "<details>" not in text
    assert "###" not in text


@pytest.mark.e2e
def test_summary_shows_an_artifact_the_run_lost(passed_run: Path, tmp_path: Path) -> None:
    copy = tmp_path / passed_run.name
    shutil.copytree(passed_run, copy)
    (copy / "doctor.json").unlink()
    assert "| doctor | ✅ pass | doctor.json is missing |" in render_run_summary(copy)
    for planted, said in (
        ("{", "doctor.json is unreadable: "),
        ("[]", "doctor.json is not a JSON object |"),
        (
            '{"schema": "lane-tasks/step-result"}',
            "doctor.json is not a valid lane-tasks artifact |",
        ),
    ):
        (copy / "doctor.json").write_text(planted)
        assert f"| doctor | ✅ pass | {said}" in render_run_summary(copy), planted
    (copy / "doctor.json").unlink()
    (copy / "manifest.json").unlink()
    assert "No run summary: manifest.json is missing." in render_run_summary(copy)


@pytest.mark.e2e
def test_a_lane_run_appends_its_summary_to_github_step_summary(
    failed_lane_run: tuple[Path, Path],
) -> None:
    """In GitHub Actions the job page shows the run, failed or not (written when nox exits)."""
    _, summary = failed_lane_run  # the failed lane run, with GITHUB_STEP_SUMMARY set
    text = summary.read_text()
    assert text.startswith("earlier step\n")
    assert "startup" in text and "ruff-check" in text and "FAIL" in text.upper()


@pytest.mark.e2e
def test_github_step_summary_is_appended(passed_run: Path, tmp_path: Path) -> None:
    target = tmp_path / "step-summary.md"
    target.write_text("# earlier step\n", encoding="utf-8")
    assert append_github_summary(passed_run, {"GITHUB_STEP_SUMMARY": str(target)}) is True
    assert append_github_summary(passed_run, {"GITHUB_STEP_SUMMARY": str(target)}) is True
    summary = render_run_summary(passed_run)
    assert target.read_text(encoding="utf-8") == f"# earlier step\n\n{summary}\n{summary}"


@pytest.mark.e2e
def test_github_step_summary_outside_github_writes_nothing(
    passed_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    assert append_github_summary(passed_run) is False
    assert append_github_summary(passed_run, {"GITHUB_STEP_SUMMARY": ""}) is False
    assert list(tmp_path.iterdir()) == []


# ---- the example CI files ---------------------------------------------------------------------


def ci_commands(path: Path) -> Iterator[list[str]]:
    """The words of every shell command of a GitHub Actions `run:` or a GitLab script."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    scripts: list[str] = []
    for name, job in doc.get("jobs", {}).items():
        assert isinstance(name, str)
        scripts += [step["run"] for step in job["steps"] if "run" in step]
    for job in doc.values():
        if isinstance(job, dict) and "script" in job:
            scripts += job["script"]
    for script in scripts:
        lines = list(enumerate(script.splitlines(), start=1))
        for cmd in commands(lines):
            yield [word for word, _ in cmd]


def test_ci_examples_use_only_real_lane_tasks_commands() -> None:
    """Every `lane-tasks` command of docs/ci/ parses with the real parser (argparse exits 2 on
    an unknown command, option or choice), and GitLab's JUnit report is what the job writes."""
    seen: list[str] = []
    for rel in CI_EXAMPLES:
        for words in ci_commands(REPO_ROOT / rel):
            if words[0] != "lane-tasks":
                continue
            try:
                args = build_parser().parse_args(words[1:])
            except SystemExit as exc:
                raise AssertionError(f"{rel}: `{' '.join(words)}` does not parse") from exc
            seen.append(args.command)
    assert {"export", "dashboard"} <= set(seen)
    gitlab = yaml.safe_load((REPO_ROOT / "docs/ci/gitlab-ci.yml").read_text())
    (job,) = gitlab.values()
    report = job["artifacts"]["reports"]["junit"]
    script = "\n".join(job["script"])
    assert "--format junit" in script
    assert fnmatch.fnmatch(".lane-tasks/gate-fast.junit.xml", report)  # init's artifacts_dir
    assert ".lane-tasks/lanes/history.sqlite" in job["cache"]["paths"]


def test_ci_examples_are_checked_by_drift(project: Path) -> None:
    """Named in [drift] ci_files, the examples pass drift-check in an adopting project; a lane
    they run that does not exist is a finding at its file and line."""
    root = project
    for rel in CI_EXAMPLES:
        write(root, rel, (REPO_ROOT / rel).read_text(encoding="utf-8"))
    update_lanes(root, {"drift": {"ci_files": list(CI_EXAMPLES)}})
    r = run_cli(root, "drift", "check", "--format", "json")
    doc = json.loads(r.stdout)
    ci = next(x for x in doc["results"] if x["id"] == "ci")
    assert (r.returncode, ci["status"]) == (0, "pass"), doc
    assert ci["message"].startswith("2 CI files")
    for rel in CI_EXAMPLES:
        path = root / rel
        path.write_text(path.read_text().replace("nox -s startup", "nox -s startp"))
    r = run_cli(root, "drift", "check", "--format", "json")
    assert r.returncode == 1
    found = {(f["id"], f["path"], f["line"]) for f in json.loads(r.stdout)["findings"]}
    for rel in CI_EXAMPLES:
        line = line_of(root / rel, lambda t: "nox -s startp" in t)
        assert ("ci-unknown-session", rel, line) in found


@pytest.mark.e2e
def test_xml_declaration_and_tree_parse_with_the_standard_library(project: Path) -> None:
    root = project
    _, text, _ = export(root, "junit", "build/gate-fast.junit.xml", "gate", "fast")
    tree = ET.fromstring(text.encode("utf-8"))
    assert tree.tag == "testsuites"
    suite, *tools = tree
    assert suite.get("tests") == "4" and suite.get("failures") == "0"
    assert [t.get("name") for t in tools] == [
        "lane-tasks.gate-fast.mypy",
        "lane-tasks.gate-fast.pytest",
    ]


def test_export_of_a_missing_artifact_names_where_this_project_keeps_it(project: Path) -> None:
    """The examples say build/; an adopted project's artifacts are in .lane-tasks/: the error
    of a missing artifact says where it is (or where they are), exit 2."""
    root = project
    lanes = root / "lanes.toml"  # what init writes (the suite's projects use build/)
    lanes.write_text(
        lanes.read_text().replace('artifacts_dir = "build"', 'artifacts_dir = ".lane-tasks"')
    )
    write(root, ".lane-tasks/gate-fast.json", "{}\n")
    r = run_cli(root, "export", "build/gate-fast.json", "--format", "sarif")
    assert r.returncode == 2, r.stderr
    said = "build/gate-fast.json: missing (did you mean .lane-tasks/gate-fast.json?)"
    assert r.stderr.strip() == f"lane-tasks: error: {said}"
    r = run_cli(root, "export", "build/doctor.json", "--format", "sarif")
    assert r.returncode == 2
    assert "missing (this project's artifacts are in .lane-tasks/)" in r.stderr
