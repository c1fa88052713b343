"""The tools' own findings in CI reports (issue 13 parts 3-5): fix hints that fix, a check's
SARIF/JUnit report read into the artifact and the exports, whole diagnostics in excerpts with
the full log kept, and GitLab Code Quality. Real ruff, pytest and mypy; gate fast in-process.
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import tomli_w
from helpers import (
    TESTS_DIR,
    Templates,
    commit_all,
    make_git_repo,
    make_project,
    run_cli,
    validate_artifact,
    write,
)
from junitparser import Failure, JUnitXml

from lane_tasks.cli import main
from lane_tasks.config import parse_config
from lane_tasks.errors import ConfigError
from lane_tasks.evidence.findings import REPORT_LIMIT
from lane_tasks.evidence.store import new_run_id, run_dir
from lane_tasks.exports.codequality import SEVERITIES
from lane_tasks.nox_sessions import step_argv

SARIF_SCHEMA = TESTS_DIR / "schemas" / "sarif-schema-2.1.0.json"


def gate(root: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, dict[str, Any]]:
    monkeypatch.chdir(root)
    code = main(["gate", "fast", "--format", "json", "--out", "build/gate-fast.json", *args])
    doc = json.loads((root / "build" / "gate-fast.json").read_text())
    validate_artifact(doc)
    return code, doc


def export(root: Path, fmt: str, out: str, artifact: str = "build/gate-fast.json") -> str:
    assert main(["export", artifact, "--format", fmt, "--out", out]) == 0
    return (root / out).read_text(encoding="utf-8")


def result(doc: dict[str, Any], cid: str) -> dict[str, Any]:
    return next(r for r in doc["results"] if r["id"] == cid)


def planted(tmp_path: Path) -> Path:
    """init's project with an unused `import os` (F401) and a slow failing test."""
    root = make_project(tmp_path, lint_error=True)
    write(
        root,
        "tests/test_slow.py",
        """
        import time


        def test_slow_and_wrong() -> None:
            time.sleep(0.05)
            assert 1 + 1 == 3, "slow and wrong"
        """,
    )
    commit_all(root, "a failing test")
    return root


def _planted_gated(d: Path) -> tuple[Path, int, dict[str, Any]]:
    """`planted` after one gate fast (its artifact at build/gate-fast.json)."""
    root = planted(d)
    r = run_cli(root, "gate", "fast", "--format", "json", "--out", "build/gate-fast.json")
    assert "Traceback" not in r.stderr, r.stderr
    doc = json.loads((root / "build" / "gate-fast.json").read_text())
    validate_artifact(doc)
    return root, r.returncode, doc


@pytest.fixture
def gated(
    templates: Templates, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, int, dict[str, Any]]:
    """A copy of `planted` after one gate fast: (root, its exit code, its artifact); the cwd."""
    root, code, doc = templates.copy("findings-planted-gated", _planted_gated, tmp_path)
    monkeypatch.chdir(root)
    return root, code, doc


def _planted_lane_run(d: Path) -> tuple[Path, str, int]:
    """`planted` after gate fast ran as a lane runs it (step_argv), its cache not used."""
    root = planted(d)
    config = parse_config((root / "lanes.toml").read_text(), root / "lanes.toml")
    run_id = new_run_id()
    with contextlib.chdir(root):
        # --no-cache: a replayed check took no time, and says so (0.000)
        code = main([*step_argv(config, "gate-fast", run_id, "startup"), "--no-cache"])
    return root, run_id, code


@pytest.fixture
def lane_run(
    templates: Templates, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, str, int]:
    """A copy of `planted` after a lane's gate fast: (root, run id, exit code); the cwd."""
    root, run_id, code = templates.copy("findings-planted-lane-run", _planted_lane_run, tmp_path)
    monkeypatch.chdir(root)
    return root, run_id, code


def checks_repo(tmp_path: Path, checks: dict[str, dict[str, Any]]) -> Path:
    root = make_git_repo(tmp_path / "repo")
    data = {"lanes": {"quick": {"steps": ["gate-fast"]}}, "gate": {"fast": {"checks": checks}}}
    (root / "lanes.toml").write_text(tomli_w.dumps(data))
    (root / ".gitignore").write_text("/.lane-tasks/\n")
    commit_all(root)
    return root


# ---- the tools' own findings: SARIF, JUnit, Code Quality, Markdown ----------------------------


def test_tool_findings_reach_sarif_with_the_tools_rule_ids(
    gated: tuple[Path, int, dict[str, Any]],
) -> None:
    root, code, doc = gated
    checks = (root / "lanes.toml").read_text()
    assert 'report = "sarif"' in checks and 'report = "junit"' in checks, "init wires reports"
    assert code == 1
    lint = result(doc, "ruff-check")
    (finding,) = lint["findings"]
    assert (finding["rule"], finding["path"], finding["line"]) == ("F401", "sample/__init__.py", 3)
    assert "F401" in lint["excerpt"], "ruff printing only SARIF still explains the failure"
    log = json.loads(export(root, "sarif", "build/gate-fast.sarif"))
    jsonschema.validate(log, json.loads(SARIF_SCHEMA.read_text()))
    (run,) = log["runs"]
    (f401,) = [r for r in run["results"] if r["ruleId"] == "F401"]
    assert "os" in f401["message"]["text"]
    where = f401["locations"][0]["physicalLocation"]
    assert where["artifactLocation"]["uri"] == "sample/__init__.py"
    assert where["region"]["startLine"] == 3
    ext = run["tool"]["extensions"][f401["rule"]["toolComponent"]["index"]]
    assert ext["name"] == "ruff"


def test_failed_check_message_names_what_its_report_says_failed(
    gated: tuple[Path, int, dict[str, Any]],
) -> None:
    """Not only "exited with code 1": the failing test and the rule ids, in the terminal
    report, the SARIF alert and GitLab's Code Quality issue alike."""
    root, _, _ = gated
    doc = json.loads((root / "build" / "gate-fast.json").read_text())
    lint, tests = result(doc, "ruff-check"), result(doc, "pytest")
    assert lint["message"] == "exited with code 1: 1 finding (F401)"
    assert tests["message"].startswith("exited with code 1: 1 of ")
    first = "tests failed, first test_slow_and_wrong: AssertionError: slow and wrong"
    assert first in tests["message"]
    assert "\n" not in tests["message"], "one line: the first line of the failure"
    log = json.loads(export(root, "sarif", "build/gate-fast.sarif"))
    (alert,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "pytest"]
    assert "test_slow_and_wrong: AssertionError: slow and wrong" in alert["message"]["text"]
    issues = json.loads(export(root, "codequality", "build/cq.json"))
    (issue,) = [i for i in issues if i["check_name"] == "lane-tasks/gate-fast/pytest"]
    assert "test_slow_and_wrong" in issue["description"]


def test_junit_export_holds_each_test_case_with_its_time_and_message(
    gated: tuple[Path, int, dict[str, Any]],
) -> None:
    root, _, _ = gated
    xml = JUnitXml.fromstring(export(root, "junit", "build/gate-fast.xml").encode())
    cases = {case.name: case for suite in xml for case in suite}
    case = cases["test_slow_and_wrong"]
    assert case.classname == "tests.test_slow"
    assert case.time >= 0.05
    (failure,) = [r for r in case.result if isinstance(r, Failure)]
    assert "slow and wrong" in (failure.message or "")
    assert "test_add" in cases and not cases["test_add"].result, "a passing case passes"
    assert cases["pytest"].time > 0, "the check itself is a case too, with its duration"


def test_lane_run_junit_carries_real_durations(lane_run: tuple[Path, str, int]) -> None:
    """A lane runs gate fast as step_argv says: its artifact (not stable) keeps durations, so
    its JUnit is not all 0.000; logs and reports live in the run directory, in its manifest."""
    root, run_id, code = lane_run
    assert code == 1
    config = parse_config((root / "lanes.toml").read_text(), root / "lanes.toml")
    d = run_dir(config, run_id)
    xml = JUnitXml.fromstring(export(root, "junit", "build/lane.xml", str(d / "gate-fast.json")))
    times = {(suite.name, case.name): case.time for suite in xml for case in suite}
    # each check's case took its real time; a tool's own fast test case may round to 0.000
    checks = {k: t for k, t in times.items() if k[0] == "lane-tasks.gate-fast"}
    assert checks and all(t > 0 for t in checks.values()), times
    slow = next(t for (_, name), t in times.items() if name == "test_slow_and_wrong")
    assert slow >= 0.05, times
    manifest = json.loads((d / "manifest.json").read_text())
    listed = {a["path"] for a in manifest["artifacts"]}
    assert {"gate-fast.json", "gate-fast/pytest.log", "gate-fast/pytest.junit.xml"} <= listed
    doc = json.loads((d / "gate-fast.json").read_text())
    assert result(doc, "pytest")["log"] == f"build/lanes/runs/{run_id}/gate-fast/pytest.log"


def test_codequality_shape_and_stable_fingerprints(
    gated: tuple[Path, int, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _, _ = gated
    first = json.loads(export(root, "codequality", "build/gl-code-quality-report.json"))
    assert isinstance(first, list) and first
    for issue in first:
        assert set(issue) == {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in SEVERITIES
        assert isinstance(issue["location"]["path"], str)
        assert issue["location"]["lines"]["begin"] >= 1
    prints = [i["fingerprint"] for i in first]
    assert len(set(prints)) == len(prints), "fingerprints are unique"
    f401 = next(i for i in first if i["check_name"] == "F401")
    assert f401["location"] == {"path": "sample/__init__.py", "lines": {"begin": 3}}
    assert "imported but unused" in f401["description"]
    pytest_issue = next(i for i in first if i["check_name"] == "lane-tasks/gate-fast/pytest")
    assert pytest_issue["location"]["path"] == "tests/test_slow.py", "where its output points"
    gate(root, monkeypatch, "--no-cache")
    again = json.loads(export(root, "codequality", "build/again.json"))
    assert [i["fingerprint"] for i in again] == prints, "stable across runs"


def test_markdown_summary_lists_failing_tests_and_findings(
    lane_run: tuple[Path, str, int],
) -> None:
    from lane_tasks.exports.markdown import render_run_summary

    root, run_id, _ = lane_run
    config = parse_config((root / "lanes.toml").read_text(), root / "lanes.toml")
    text = render_run_summary(run_dir(config, run_id))
    assert "test `tests.test_slow::test_slow_and_wrong`: AssertionError: slow and wrong" in text
    assert "`sample/__init__.py:3:8` `F401`: `os` imported but unused" in text
    assert f"full log: `build/lanes/runs/{run_id}/gate-fast/pytest.log`" in text


# ---- a hostile or broken report never passes and never tracebacks -----------------------------

_WRITE = "import sys, pathlib; pathlib.Path(sys.argv[1]).write_bytes({data!r})"


def _plant(how: str) -> str:
    """A check body that exits 0 after leaving `how` at its report path."""
    return {
        "huge": f"import sys; f = open(sys.argv[1], 'wb'); f.truncate({REPORT_LIMIT + 1})",
        "fifo": "import os, sys; os.mkfifo(sys.argv[1])",
        "symlink": "import os, sys; os.symlink('/etc/passwd', sys.argv[1])",
        "directory": "import os, sys; os.mkdir(sys.argv[1])",
        "bad-xml": _WRITE.format(data=b"<testsuite><testcase name='x'>"),
        "entities": _WRITE.format(
            data=b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaa">]><testsuite/>'
        ),
        "utf16-entities": _WRITE.format(  # a byte search for <!DOCTYPE misses UTF-16
            data='<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE t [<!ENTITY a "x">]>'
            '<testsuite name="s"><testcase name="&a;"/></testsuite>'.encode("utf-16")
        ),
        "bad-json": _WRITE.format(data=b"{not json"),
        "not-sarif": _WRITE.format(data=b'{"version": "2.1.0"}'),
        "missing": "pass",
    }[how]


@pytest.mark.parametrize(
    ("how", "fmt", "why"),
    [
        ("huge", "junit", "MiB limit"),
        ("fifo", "junit", "not a regular file"),
        ("symlink", "sarif", "symlink"),
        ("directory", "sarif", "directory"),
        ("bad-xml", "junit", "not valid XML"),
        ("entities", "junit", "document type"),
        ("utf16-entities", "junit", "document type"),
        ("bad-json", "sarif", "not valid JSON"),
        ("not-sarif", "sarif", "not SARIF"),
        ("bad-json", "ruff-json", "not valid JSON"),
        ("missing", "junit", "wrote no report"),
    ],
)
def test_hostile_report_is_never_a_pass(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    how: str,
    fmt: str,
    why: str,
) -> None:
    cmd = ["{python}", "-c", _plant(how), "{report}"]
    root = checks_repo(tmp_path, {"tool": {"cmd": cmd, "report": fmt}})
    monkeypatch.chdir(root)
    code = main(["gate", "fast", "--format", "json", "--out", ".lane-tasks/gate-fast.json"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert code == 1
    doc = json.loads((root / ".lane-tasks" / "gate-fast.json").read_text())
    validate_artifact(doc)
    r = result(doc, "tool")
    assert r["status"] == "error" and doc["status"] != "pass"
    assert why in r["message"] and why in r["report"]["problem"]
    assert "report" in r["fix"]
    assert "findings" not in r and "tests" not in r


def test_a_stale_report_is_never_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A report left by an earlier run is removed before the check: a tool that writes none
    this time is a missing report, not the old findings."""
    good = _WRITE.format(data=b"<testsuite name='t'><testcase name='ok'/></testsuite>")
    check: dict[str, Any] = {"cmd": ["{python}", "-c", good, "{report}"], "report": "junit"}
    root = checks_repo(tmp_path, {"t": check})
    monkeypatch.chdir(root)
    assert main(["gate", "fast", "--no-cache", "-q", "--out", ".lane-tasks/g.json"]) == 0
    assert (root / ".lane-tasks" / "gate-fast" / "t.junit.xml").is_file()
    check["cmd"] = ["{python}", "-c", "pass", "{report}"]
    data = {
        "lanes": {"quick": {"steps": ["gate-fast"]}},
        "gate": {"fast": {"checks": {"t": check}}},
    }
    (root / "lanes.toml").write_text(tomli_w.dumps(data))
    assert main(["gate", "fast", "--no-cache", "-q", "--out", ".lane-tasks/g.json"]) == 1
    r = result(json.loads((root / ".lane-tasks" / "g.json").read_text()), "t")
    assert r["status"] == "error" and "wrote no report" in r["message"]


# ---- fix hints ---------------------------------------------------------------------------------


def test_fix_hints_name_the_command_that_fixes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = checks_repo(
        tmp_path,
        {
            "fmt": {"cmd": ["ruff", "format", "--check", "."]},
            "lint": {"cmd": ["ruff", "check", "--select", "F", "."]},
            "lint-sarif": {
                "cmd": ["ruff", "check", "--output-format", "sarif", "-o", "{report}", "."],
                "report": "sarif",
            },
            "mod": {"cmd": ["{python}", "-m", "no_such_tool_xyz", "."]},
            "cov": {"cmd": ["{python}", "-m", "pytest_cov_nope"]},
            "prog": {"cmd": ["pyright-not-installed-here"]},
            "own": {"cmd": ["{python}", "-c", "raise SystemExit(1)"], "fix": "make it so"},
        },
    )
    write(root, "bad.py", "import os\nx=1\n")
    commit_all(root)
    code, doc = gate(root, monkeypatch)
    assert code == 1
    assert "`ruff format .`" in result(doc, "fmt")["fix"]
    assert "`ruff check --fix --select F .`" in result(doc, "lint")["fix"]
    assert "`ruff check --fix .`" in result(doc, "lint-sarif")["fix"], "no report args shown"
    mod = result(doc, "mod")["fix"]
    assert "`pip install no-such-tool-xyz`" in mod and "{python}" not in mod
    assert "`pip install pytest-cov-nope`" in result(doc, "cov")["fix"]
    assert result(doc, "prog")["fix"].startswith("install pyright-not-installed-here ")
    assert result(doc, "own")["fix"] == "make it so", "lanes.toml `fix` overrides the hint"


def test_fix_hint_derivation_for_known_tools() -> None:
    from lane_tasks.steps.gate_commands import distribution
    from lane_tasks.steps.gate_fixes import derived_fix, local_cmd

    assert "`black .`" in str(derived_fix(["black", "--check", "--diff", "."]))
    assert "`isort .`" in str(derived_fix(["isort", "--check-only", "--diff", "."]))
    assert "`python -m ruff format src`" in str(
        derived_fix(local_cmd(("{python}", "-m", "ruff", "format", "--check", "src")))
    )
    assert derived_fix(["ruff", "check", "--fix", "."]) is None, "already fixing: no loop"
    assert derived_fix(["python", "-m", "pytest", "-q"]) is None
    assert local_cmd(("{python}", "-m", "pytest", "--junitxml={report}", "-q")) == [
        "python",
        "-m",
        "pytest",
        "-q",
    ]
    assert [distribution(m) for m in ("pytest", "mypy", "yaml", "pip_audit")] == [
        "pytest",
        "mypy",
        "PyYAML",
        "pip-audit",
    ]


@pytest.mark.parametrize(
    ("body", "key", "message"),
    [
        ("fix = 3", "gate.fast.checks.lint.fix", "must be a string, not an integer"),
        ('report = "sariff"', "gate.fast.checks.lint.report", "did you mean 'sarif'"),
        ('report = "sarif"', "gate.fast.checks.lint.cmd", "needs {report} in cmd"),
    ],
)
def test_check_fix_and_report_keys_are_checked(
    tmp_path: Path, body: str, key: str, message: str
) -> None:
    path = tmp_path / "lanes.toml"
    text = (
        f'[lanes.quick]\nsteps = ["gate-fast"]\n\n[gate.fast.checks.lint]\ncmd = ["ruff"]\n{body}\n'
    )
    with pytest.raises(ConfigError) as info:
        parse_config(text, path)
    err = info.value
    assert err.key == key and message in err.problem, str(err)
    assert str(err).startswith(f"{path}:{err.line}: {key}: ") and err.line in (5, 6)


def test_report_placeholder_without_report_key_is_refused(tmp_path: Path) -> None:
    text = '[lanes.q]\nsteps = ["gate-fast"]\n[gate.fast.checks.t]\ncmd = ["x", "{report}"]\n'
    with pytest.raises(ConfigError, match="needs a report key"):
        parse_config(text, tmp_path / "lanes.toml")


# ---- excerpts keep whole diagnostics; the full log is kept -------------------------------------


def test_excerpt_keeps_whole_ruff_diagnostics_and_the_log_holds_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cmd = ["ruff", "check", "--output-format", "full", "--select", "F401", "--no-cache", "."]
    root = checks_repo(tmp_path, {"lint": {"cmd": cmd}})
    write(root, "many.py", "".join(f"import mod{i}\n" for i in range(30)))
    commit_all(root)
    monkeypatch.chdir(root)
    assert main(["gate", "fast", "--format", "json", "--out", ".lane-tasks/g.json"]) == 1
    capsys.readouterr()
    r = result(json.loads((root / ".lane-tasks" / "g.json").read_text()), "lint")
    first = r["excerpt"].splitlines()[0]
    assert re.match(r"^F401 .*`mod\d+` imported but unused", first), first
    assert r["log"] == ".lane-tasks/gate-fast/lint.log"
    log = (root / r["log"]).read_text()
    assert all(f"`mod{i}` imported but unused" in log for i in range(30)), "the whole output"
    assert r["excerpt"].count("imported but unused") < 30
    assert main(["export", ".lane-tasks/g.json", "--format", "text"]) == 0
    assert "full log: .lane-tasks/gate-fast/lint.log" in capsys.readouterr().out


def test_problem_report_reads_at_80_columns() -> None:
    """The excerpt's header fits a narrow terminal whatever the run directory is called; the
    full log's path follows the excerpt on a line of its own, one word to copy."""
    from lane_tasks.exports.text import render_text

    log = ".lane-tasks/lanes/runs/20261202T051845Z-181a91/gate-fast/nox-typecheck.log"
    doc = {
        "step": "gate-fast",
        "lane": "startup",
        "status": "fail",
        "results": [
            {"id": "nox-typecheck", "status": "fail", "message": "exited with code 1",
             "excerpt": "src/a.py:84: error: Unused \"type: ignore\" comment", "log": log,
             "fix": "run `nox -s typecheck` locally and fix what it reports"},
        ],
        "summary": {"fail": 1},
    }  # fmt: skip
    lines = render_text(doc, streamed=True).splitlines()
    head = lines.index("--- nox-typecheck: last lines of output ---")
    assert lines[head + 1].startswith("src/a.py:84:"), "the excerpt right below its header"
    assert lines[head + 2] == f"  full log: {log}"
    assert lines[head + 3].startswith("  fix [nox-typecheck]: ")
    assert all(len(x) <= 80 for x in lines if log not in x and "fix [" not in x), lines


def test_excerpt_cut_starts_at_a_diagnostic_boundary() -> None:
    from lane_tasks.util.procs import excerpt

    blocks = [f"E{i:03} problem {i}\n --> f.py:{i}:1\n  |\n  | code\n" for i in range(30)]
    text = excerpt("\n".join(blocks), root=Path("/nowhere"))
    lines = text.splitlines()
    assert len(lines) <= 40 and lines[0].startswith("E"), lines[:2]
    assert lines[-1] == "  | code"


def test_mypy_junit_messages_become_findings_at_their_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cmd = ["mypy", "--junit-xml", "{report}", "--no-incremental", "typed.py"]
    root = checks_repo(tmp_path, {"types": {"cmd": cmd, "report": "junit"}})
    write(root, "typed.py", 'x: int = 1\ny: int = "two"\n')
    commit_all(root)
    monkeypatch.chdir(root)
    assert main(["gate", "fast", "-q", "--out", ".lane-tasks/g.json"]) == 1
    r = result(json.loads((root / ".lane-tasks" / "g.json").read_text()), "types")
    (finding,) = r["findings"]
    assert (finding["rule"], finding["path"], finding["line"]) == ("assignment", "typed.py", 2)
    assert finding["level"] == "error" and "Incompatible types" in finding["message"]
    (case,) = r["tests"]
    assert case["status"] == "fail" and case["classname"] == "mypy"


def test_report_text_cannot_send_terminal_control_sequences(tmp_path: Path) -> None:
    """Findings and test names are printed in reports: a tool's escape codes are dropped."""
    from lane_tasks.evidence.findings import read_report

    evil = "x\x1b]8;;javascript:alert(1)\x1b\\y\x1b(0q\x9b2J\x07z"
    sarif = {
        "runs": [
            {
                "tool": {"driver": {"name": "t\x1b[31m"}},
                "results": [{"ruleId": "R\x1b(0", "message": {"text": evil}}],
            }
        ]
    }
    path = tmp_path / "r.sarif"
    path.write_text(json.dumps(sarif))
    got = read_report(path, "sarif", root=tmp_path, cwd=tmp_path)
    (f,) = got.findings
    assert (f["message"], f["rule"], got.tool) == ("xyqz", "R", "t")
    # XML 1.0 has no ESC, but C1 CSI (U+009B) is a valid character
    path.write_text(
        "<testsuite name='s'><testcase name='a&#155;2Jb'>"
        "<failure message='m&#155;1m'/></testcase></testsuite>"
    )
    (t,) = read_report(path, "junit", root=tmp_path, cwd=tmp_path).tests
    assert (t["name"], t["message"]) == ("ab", "m"), t


def test_a_junit_report_of_failed_tests_is_never_a_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A check that exits 0 (`pytest || true`) while its JUnit report lists a failed test
    fails: the report is the tool's own account of what happened."""
    failed = _WRITE.format(
        data=b"<testsuite name='t'><testcase name='ok'/>"
        b"<testcase name='bad'><failure message='boom'/></testcase></testsuite>"
    )
    cmd = ["{python}", "-c", failed, "{report}"]
    root = checks_repo(tmp_path, {"t": {"cmd": cmd, "report": "junit"}})
    monkeypatch.chdir(root)
    code = main(["gate", "fast", "--format", "json", "--out", ".lane-tasks/gate-fast.json"])
    doc = json.loads((root / ".lane-tasks" / "gate-fast.json").read_text())
    r = result(doc, "t")
    assert code == 1 and doc["status"] == "fail"
    assert r["status"] == "fail" and r["exit_code"] == 0
    assert "1 failed test" in r["message"], r["message"]
    assert [t["name"] for t in r["tests"] if t["status"] == "fail"] == ["bad"]


def test_forged_finding_paths_are_not_repository_locations() -> None:
    """An artifact is read from disk (maybe downloaded from a fork's run): a finding's path
    that is absolute, climbs out with `..`, or is a URL is no file of the repository, so
    SARIF and Code Quality locate the issue at the check instead."""
    from lane_tasks.exports.codequality import to_codequality
    from lane_tasks.exports.sarif import to_sarif

    hostile = [
        "/etc/passwd",
        "../../etc/passwd",
        "src/../../../etc/passwd",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "C:\\Windows\\win.ini",
        "a\nb.py",
    ]
    findings = [
        {"rule": "X", "message": "m", "path": p, "line": 1, "column": 1, "level": "error"}
        for p in hostile
    ] + [
        {"rule": "X", "message": "m", "path": "src/ok.py", "line": 2, "column": 1, "level": "error"}
    ]
    r = {"id": "lint", "status": "fail", "findings": findings}
    drift = {
        "id": "d",
        "path": "../../etc/passwd",
        "line": 1,
        "message": "m",
        "found": "",
        "expected": "",
    }
    uris = [
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for doc in (
            {"step": "gate-fast", "results": [r]},
            {"step": "drift-check", "findings": [drift]},
        )
        for res in to_sarif(doc)["runs"][0]["results"]
        for loc in res.get("locations", [])
    ]
    assert "src/ok.py" in uris
    assert all(u not in hostile and ".." not in u for u in uris), uris
    issues = to_codequality({"step": "gate-fast", "results": [r]}) + to_codequality(
        {"step": "drift-check", "findings": [drift]}
    )
    paths = [i["location"]["path"] for i in issues]
    assert "src/ok.py" in paths
    assert all(p not in hostile and ".." not in p for p in paths), paths


def test_codequality_fingerprints_of_different_findings_never_collide() -> None:
    """Fingerprints identify an issue across runs (GitLab compares them between pipelines):
    two findings that differ only in where a separator character falls inside their fields
    are two issues, not one that was fixed in one run and reappeared in the next."""
    from lane_tasks.exports.codequality import to_codequality

    def one(rule: str, message: str) -> str:
        f = {"rule": rule, "message": message, "path": "a.py", "line": 1, "column": 1}
        doc = {"step": "gate-fast", "results": [{"id": "l", "status": "fail", "findings": [f]}]}
        (issue,) = to_codequality(doc)
        return str(issue["fingerprint"])

    assert one("R\x1fa.py", "m") != one("R", "a.py\x1fm")


def test_findings_beyond_the_bound_are_counted_not_processed(tmp_path: Path) -> None:
    """A report of 100,000 results keeps MAX_FINDINGS and counts the rest: the rest are not
    redacted or located first (that cost seconds per report, after the tool had finished)."""
    from lane_tasks.evidence.findings import MAX_FINDINGS, read_report

    res = {"ruleId": "R", "message": {"text": "m"}, "locations": []}
    path = tmp_path / "r.sarif"
    path.write_text(json.dumps({"runs": [{"results": [res] * 100_000}]}))
    calls = 0

    def clean(text: str) -> str:
        nonlocal calls
        calls += 1
        return text

    got = read_report(path, "sarif", root=tmp_path, cwd=tmp_path, clean=clean)
    assert len(got.findings) == MAX_FINDINGS and got.dropped == {"findings": 100_000 - MAX_FINDINGS}
    assert calls <= 3 * MAX_FINDINGS, calls
    cases = "".join(f"<testcase name='t{i}'/>" for i in range(5000))
    path.write_text(f"<testsuite name='s'>{cases}</testsuite>")
    calls = 0
    got = read_report(path, "junit", root=tmp_path, cwd=tmp_path, clean=clean, max_tests=10)
    assert len(got.tests) == 10 and got.dropped == {"tests": 4990} and calls <= 60, calls


def test_a_failed_test_beyond_the_kept_bound_still_fails_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Failed test cases are counted before the bound drops them: a suite of 2,500 passing
    cases and one failure after them, from a tool that exits 0, is no pass."""
    cases = "<testcase name='ok'/>" * 2500 + "<testcase name='bad'><failure/></testcase>"
    data = f"<testsuite name='t'>{cases}</testsuite>".encode()
    cmd = ["{python}", "-c", _WRITE.format(data=data), "{report}"]
    root = checks_repo(tmp_path, {"t": {"cmd": cmd, "report": "junit"}})
    monkeypatch.chdir(root)
    code = main(["gate", "fast", "--format", "json", "--out", ".lane-tasks/gate-fast.json"])
    doc = json.loads((root / ".lane-tasks" / "gate-fast.json").read_text())
    validate_artifact(doc)
    r = result(doc, "t")
    assert code == 1 and r["status"] == "fail" and r["report"]["failed"] == 1, r["message"]
    assert r["report"]["dropped"] == {"tests": 501}
