"""The CI files lane-tasks ships (action.yml, .pre-commit-hooks.yaml, docs/ci/*.yml): valid
against their published JSON Schemas (vendored in tests/schemas/, see its README), held to the
hygiene rules mechanically (actions pinned by commit SHA with the release in a comment, no
persisted checkout credentials, timeouts, concurrency, no expression interpolated into a shell
script), naming only commands the real command line has, and read by drift check and doctor as
running the lane they name: a workflow using the lane-tasks action proves CI runs its lane.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from helpers import REPO_ROOT, TESTS_DIR, make_project, write

from lane_tasks.catalog.commands import cli_surface
from lane_tasks.cli.parser import build_parser
from lane_tasks.config import load_config
from lane_tasks.project.nox_command import invocation
from lane_tasks.steps import drift
from lane_tasks.steps.base import StepContext, StepOptions
from lane_tasks.steps.doctor import CHECKS
from lane_tasks.steps.drift.ci_config import ACTION_DEFAULT_LANE, ACTION_USES
from lane_tasks.steps.drift.cli_commands import _check_cli
from lane_tasks.steps.drift.shell_words import commands

SCHEMAS = TESTS_DIR / "schemas"
ACTION = "action.yml"
WORKFLOW = "docs/ci/github-actions.yml"
USAGE = "docs/ci/github-action-usage.yml"
GITLAB = "docs/ci/gitlab-ci.yml"
HOOKS = ".pre-commit-hooks.yaml"
WORKFLOWS = (WORKFLOW, USAGE)
GITHUB_FILES = (ACTION, *WORKFLOWS)
SCHEMA_OF = {
    ACTION: "github-action.json",
    WORKFLOW: "github-workflow.json",
    USAGE: "github-workflow.json",
    HOOKS: "pre-commit-hooks.json",
    GITLAB: "gitlab-ci.json",
}

CURRENT_MAJOR = {
    "actions/checkout": 7,
    "actions/setup-python": 7,
    "actions/cache": 5,
    "actions/upload-artifact": 7,
    "actions/download-artifact": 8,
    "github/codeql-action": 4,
}
"""The newest major release of each action used (December 2026); upload-sarif's above all:
code scanning stops accepting uploads from a retired major."""

PLACEHOLDER_REF = "RELEASE_COMMIT_SHA"
"""The usage example cannot know the commit of the lane-tasks release it is copied for."""


class _Yaml12Loader(yaml.SafeLoader):
    """YAML as GitHub and GitLab read it: only true/false are booleans (YAML 1.1 would make the
    workflow's `on:` key the boolean True)."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def text_of(rel: str) -> str:
    return (REPO_ROOT / rel).read_text(encoding="utf-8")


@cache
def _load(rel: str) -> Any:
    return yaml.load(text_of(rel), Loader=_Yaml12Loader)


def load(rel: str) -> Any:
    return json.loads(json.dumps(_load(rel)))  # a fresh copy a test may change


def validator(schema: str) -> jsonschema.Draft7Validator:
    doc = json.loads((SCHEMAS / schema).read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(doc)
    return jsonschema.Draft7Validator(doc)  # every $ref is local: nothing is fetched


def errors(schema: str, doc: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator(schema).iter_errors(doc)
    ]


def steps_of(rel: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(job, step) of every step of a workflow, or of the composite action ("action")."""
    doc = load(rel)
    if rel == ACTION:
        for step in doc["runs"]["steps"]:
            yield "action", step
        return
    for job, body in doc["jobs"].items():
        for step in body.get("steps", []):
            yield job, step


def scripts(rel: str) -> Iterator[str]:
    """Every shell script of a file: GitHub's `run:` values, GitLab's script lines."""
    if rel == GITLAB:
        for job in load(rel).values():
            if isinstance(job, dict):
                for key in ("before_script", "script", "after_script"):
                    value = job.get(key, [])
                    yield from [value] if isinstance(value, str) else value
        return
    for _, step in steps_of(rel):
        if "run" in step:
            yield step["run"]


def lane_tasks_commands(rel: str) -> list[list[str]]:
    """The words after `lane-tasks` of every lane-tasks command in a file's scripts."""
    out = []
    for script in scripts(rel):
        lines = enumerate(script.splitlines(), start=1)
        for cmd in commands(lines):
            inv = invocation(cmd)
            if inv is not None and inv.program == "lane-tasks":
                out.append([w for w, _ in inv.args])
    return out


# ---- published schemas --------------------------------------------------------------------------


@pytest.mark.parametrize("rel", list(SCHEMA_OF))
def test_ci_files_match_their_published_schemas(rel: str) -> None:
    assert errors(SCHEMA_OF[rel], load(rel)) == []


def _break_action(doc: dict[str, Any]) -> None:
    doc["runs"]["steps"][0]["with-typo"] = {}


def _break_workflow(doc: dict[str, Any]) -> None:
    doc["jobs"]["startup"]["timeout-minute"] = 10


def _break_hooks(doc: list[dict[str, Any]]) -> None:
    doc[0]["pass_filenames"] = "no"


def _break_gitlab(doc: dict[str, Any]) -> None:
    doc["lanes-startup"]["artifacts"]["reports"]["code_quality"] = "x.json"


@pytest.mark.parametrize(
    ("rel", "mistake"),
    [
        (ACTION, _break_action),
        (WORKFLOW, _break_workflow),
        (HOOKS, _break_hooks),
        (GITLAB, _break_gitlab),
    ],
    ids=["action", "workflow", "hooks", "gitlab"],
)
def test_schema_validation_catches_a_planted_mistake(rel: str, mistake: Any) -> None:
    doc = load(rel)
    mistake(doc)
    assert errors(SCHEMA_OF[rel], doc)


# ---- hygiene ------------------------------------------------------------------------------

_USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?:\s+#\s*(?P<comment>.*))?$")
_PINNED = re.compile(r"^(?P<action>[\w.-]+/[\w.-]+)(?P<path>/[\w./-]+)?@(?P<sha>[0-9a-f]{40})$")
_VERSION = re.compile(r"^v(?P<major>\d+)(?:\.\d+){0,2}\b")


def uses_lines(rel: str) -> list[tuple[int, str, str]]:
    """(line, ref, comment) of every `uses:`, from the text (YAML drops comments). The count is
    checked against the parsed steps, so no `uses:` escapes in another YAML style."""
    found = []
    for n, line in enumerate(text_of(rel).splitlines(), start=1):
        m = _USES_LINE.match(line)
        if m and not line.lstrip().startswith("#"):
            found.append((n, m["ref"], m["comment"] or ""))
    parsed = [step["uses"] for _, step in steps_of(rel) if "uses" in step]
    assert [ref for _, ref, _ in found] == parsed
    return found


@pytest.mark.parametrize("rel", GITHUB_FILES)
def test_every_action_is_pinned_by_commit_sha_with_its_release(rel: str) -> None:
    for n, ref, comment in uses_lines(rel):
        if ACTION_USES.match(ref):  # the lane-tasks action of the usage example
            assert rel == USAGE and ref.endswith("@" + PLACEHOLDER_REF), f"{rel}:{n}: {ref}"
            assert _VERSION.match(comment), f"{rel}:{n}: no release in the comment"
            continue
        m = _PINNED.match(ref)
        assert m, f"{rel}:{n}: {ref} is not pinned by a full commit SHA"
        v = _VERSION.match(comment)
        assert v, f"{rel}:{n}: {ref} has no `# vX.Y.Z` comment naming its release"
        action = m["action"]
        assert action in CURRENT_MAJOR, f"{rel}:{n}: {action} is not a known action"
        assert int(v["major"]) == CURRENT_MAJOR[action], f"{rel}:{n}: {action} {comment}"


def test_one_commit_per_release_across_the_files() -> None:
    """The same action at the same release is pinned to the same commit everywhere (a
    copy-paste that updated one comment and not the SHA, or the reverse, shows up here)."""
    sha_of: dict[tuple[str, str], set[str]] = {}
    for rel in GITHUB_FILES:
        for _, ref, comment in uses_lines(rel):
            m = _PINNED.match(ref)
            if m:
                sha_of.setdefault((m["action"], comment.split()[0]), set()).add(m["sha"])
    assert ("github/codeql-action", "v4.36.2") in sha_of  # upload-sarif
    assert {k: v for k, v in sha_of.items() if len(v) != 1} == {}


@pytest.mark.parametrize("rel", WORKFLOWS)
def test_checkout_does_not_persist_credentials(rel: str) -> None:
    checkouts = [s for _, s in steps_of(rel) if s.get("uses", "").startswith("actions/checkout@")]
    assert checkouts
    for step in checkouts:
        assert step["with"]["persist-credentials"] is False
        assert step["with"]["fetch-depth"] == 0  # gate release reads the release tags


@pytest.mark.parametrize("rel", WORKFLOWS)
def test_workflows_have_timeouts_concurrency_and_least_permissions(rel: str) -> None:
    doc = load(rel)
    assert doc["permissions"] == {"contents": "read"}
    assert "${{ github.ref }}" in doc["concurrency"]["group"]
    assert "pull_request" in doc["concurrency"]["cancel-in-progress"]
    for job, body in doc["jobs"].items():
        assert isinstance(body.get("timeout-minutes"), int), f"{rel}: job {job}"
        assert body["permissions"]["security-events"] == "write"  # upload-sarif
        assert body["permissions"]["actions"] == "read"  # the previous history artifact


def test_gitlab_job_has_a_timeout_and_the_reports() -> None:
    job = load(GITLAB)["lanes-startup"]
    assert job["timeout"]
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["reports"]["junit"] == ".lane-tasks/*.junit.xml"
    assert job["artifacts"]["reports"]["codequality"] == ".lane-tasks/gl-code-quality.json"
    words = lane_tasks_commands(GITLAB)
    quality = [
        "export",
        ".lane-tasks/gate-fast.json",
        "--format",
        "codequality",
        "--out",
        ".lane-tasks/gl-code-quality.json",
    ]
    assert quality in words
    assert ["history", "export", "--out", ".lane-tasks/history.jsonl"] in words
    assert any(w[:2] == ["history", "import"] for w in words)


_EXPRESSION = re.compile(r"\$\{\{")


@pytest.mark.parametrize("rel", GITHUB_FILES)
def test_no_expression_is_interpolated_into_a_shell_script(rel: str) -> None:
    """Inputs, event fields (a branch name, a PR title) and step outputs reach a script only
    through `env:`: an interpolated `${{ … }}` is pasted into the script before the shell
    reads it, so a crafted value runs as code."""
    assert [s for s in scripts(rel) if _EXPRESSION.search(s)] == []


def test_the_action_uses_exactly_the_inputs_it_declares() -> None:
    doc = load(ACTION)
    declared = set(doc["inputs"])
    used = set(re.findall(r"\binputs\.([\w-]+)", text_of(ACTION).split("\nruns:", 1)[1]))
    assert used == declared
    assert doc["inputs"]["lane"]["required"] is True
    assert doc["inputs"]["lane"]["default"] == ACTION_DEFAULT_LANE
    assert doc["inputs"]["lane-tasks"]["default"] == "lane-tasks[release]"
    assert doc["inputs"]["install"]["default"] == "-e ."
    assert {doc["inputs"][k]["default"] for k in ("upload-sarif", "history")} == {"true"}


def test_the_action_runs_the_lane_and_fails_with_its_exit_code_last() -> None:
    steps = [s for _, s in steps_of(ACTION)]
    ids = [s.get("id") for s in steps]
    lane = steps[ids.index("lane")]
    assert lane["env"] == {"LANE": "${{ inputs.lane }}"}
    assert 'nox -s "$LANE" || status=$?' in lane["run"]
    # every step after the lane still runs when it failed (reports, SARIF, history) ...
    for step in steps[ids.index("lane") + 1 :]:
        assert "!cancelled()" in step["if"], step["name"]
    # ... and the last one fails the job with the lane's code
    assert steps[-1]["env"]["CODE"] == "${{ steps.lane.outputs.exit-code }}"
    assert steps[-1]["run"].rstrip().endswith('exit "$CODE"')
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/"))
    assert upload["uses"].split("@")[0] == "github/codeql-action/upload-sarif"


@pytest.mark.e2e
def test_the_action_locates_the_artifacts_directory_through_lane_tasks() -> None:
    """The action asks lane-tasks's own config reader where the artifacts are (lanes.toml's
    [project] artifacts_dir): this holds the snippet to the package's real API."""
    locate = next(s for _, s in steps_of(ACTION) if s.get("id") == "locate")
    code = shlex.split(re.search(r"python -c ('[^']*')", locate["run"]).group(1))[0]  # type: ignore[union-attr]
    r = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert Path(r.stdout.strip()) == load_config(REPO_ROOT / "lanes.toml").artifacts_path()


def test_history_is_imported_before_the_lane_and_exported_after_it() -> None:
    for rel in (ACTION, WORKFLOW):
        steps = [s for _, s in steps_of(rel)]
        runs = [s.get("run", "") for s in steps]
        lane = next(i for i, r in enumerate(runs) if re.search(r"^nox -s ", r, re.M))
        imported = next(i for i, r in enumerate(runs) if "lane-tasks history import" in r)
        exported = next(i for i, r in enumerate(runs) if "lane-tasks history export" in r)
        assert imported < lane < exported, rel
        download = next(s for s in steps if s.get("uses", "").startswith("actions/download"))
        assert set(download["with"]) >= {"run-id", "github-token", "name", "path"}, rel
        assert download["with"]["name"].startswith("lane-history-"), rel
        upload = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact")]
        assert download["with"]["name"] in [u["with"]["name"] for u in upload], rel
        # only an imported history is exported again (never one missing the earlier runs)
        assert "steps.import.outcome == 'success'" in steps[exported]["if"], rel


# ---- the commands they run -------------------------------------------------------------------


@pytest.mark.parametrize("rel", [ACTION, WORKFLOW, GITLAB])
def test_ci_files_name_only_real_lane_tasks_commands(rel: str) -> None:
    surface = cli_surface()
    words = lane_tasks_commands(rel)
    assert words
    problems = [p.message for cmd in words for p in _check_cli([(w, 1) for w in cmd], surface)]
    assert problems == []


def _format_choices() -> set[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    export = sub.choices["export"]
    fmt = next(a for a in export._actions if "--format" in a.option_strings)
    return set(fmt.choices or ())


def test_ci_files_export_only_formats_lane_tasks_has() -> None:
    used = {
        cmd[cmd.index("--format") + 1]
        for rel in (*GITHUB_FILES, GITLAB)
        for cmd in lane_tasks_commands(rel)
        if cmd[0] == "export"
    }
    assert used >= {"sarif", "junit", "codequality"}
    assert used <= _format_choices()


def test_pre_commit_hooks_run_real_commands() -> None:
    hooks = {h["id"]: h for h in load(HOOKS)}
    assert set(hooks) == {"lanes-validate", "drift-check", "lanes-docs"}
    parser = build_parser()
    for hook in hooks.values():
        words = shlex.split(hook["entry"])
        assert words[0] == "lane-tasks"
        assert (hook["language"], hook["pass_filenames"]) == ("python", False)
        parser.parse_args(words[1:])  # exits 2 on an unknown command or option
    assert hooks["lanes-docs"]["entry"].endswith("lanes docs --check")
    parser.parse_args([*shlex.split(hooks["lanes-docs"]["entry"])[1:], "--out-dir", "docs"])
    assert parser.parse_args(["drift", "check"]).format is None  # text: what a hook prints


@pytest.mark.parametrize(
    ("hook", "changed", "runs"),
    [
        ("lanes-validate", "lanes.toml", True),
        ("lanes-validate", "pyproject.toml", True),
        ("lanes-validate", "src/app.py", False),
        ("drift-check", "noxfile.py", True),
        ("drift-check", ".github/workflows/ci.yml", True),
        ("drift-check", ".gitlab-ci.yml", True),
        ("drift-check", "README.md", True),
        ("drift-check", "docs/usage.rst", True),
        ("drift-check", "src/app.py", False),
        ("lanes-docs", "lanes.toml", True),
        ("lanes-docs", "docs/lanes.md", True),
        ("lanes-docs", "noxfile.py", False),
    ],
)
def test_pre_commit_hooks_run_when_their_inputs_change(hook: str, changed: str, runs: bool) -> None:
    files = next(h["files"] for h in load(HOOKS) if h["id"] == hook)
    assert bool(re.search(files, changed)) is runs  # pre-commit matches with re.search


# ---- drift check and doctor read the action ------------------------------------------------------

ACTION_WORKFLOW = """
name: ci
on: [push]
jobs:
  fast:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
      - uses: acme/lane-tasks@3d3c42e5aac5ba805825da76410c181273ba90b1 # v1.0.0
  governed:
    runs-on: ubuntu-latest
    steps:
      - uses: Acme/Lane-Tasks@v1
        with:
          python-version: "3.13"
          lane: {lane}
"""


def drift_findings(root: Path) -> tuple[dict[str, str], list[tuple[str, str, int | None]]]:
    outcome = drift.run(
        StepContext(config=load_config(root / "lanes.toml"), options=StepOptions(stable=True))
    )
    results, extra = outcome.results, outcome.fields
    status = {r.id: r.status for r in results}
    return status, [(f["id"], f["path"], f["line"]) for f in extra["findings"]]


def test_drift_check_reads_the_lane_tasks_action_as_running_its_lane(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    with (root / "lanes.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[drift]\nrequired_ci_lanes = ["startup", "scale"]\n')
    write(root, ".github/workflows/ci.yml", ACTION_WORKFLOW.format(lane="scale"))
    status, findings = drift_findings(root)
    assert (status["ci"], findings) == ("pass", [])  # startup: the action's default lane

    # a lane that does not exist is named at the line of its `lane:`
    write(root, ".github/workflows/ci.yml", ACTION_WORKFLOW.format(lane="scael"))
    lane_line = 1 + ACTION_WORKFLOW.lstrip("\n").splitlines().index("          lane: {lane}")
    _, findings = drift_findings(root)
    assert ("ci-unknown-session", ".github/workflows/ci.yml", lane_line) in findings
    assert ("ci-missing-lane", "lanes.toml") in [(i, p) for i, p, _ in findings]

    # another action with a `lane` input is not lane-tasks
    other = ACTION_WORKFLOW.replace("lane-tasks@", "lane-tasks-fork@").replace("Lane-Tasks@", "x@")
    write(root, ".github/workflows/ci.yml", other.format(lane="scale"))
    status, findings = drift_findings(root)
    assert status["ci"] == "fail"
    assert [i for i, _, _ in findings] == ["ci-missing-lane", "ci-missing-lane"]


def test_doctor_reads_the_lane_tasks_action_as_running_its_lane(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    check = CHECKS["ci-invokes-lane"]()
    workflow = ".github/workflows/ci.yml"
    write(
        root,
        workflow,
        ACTION_WORKFLOW.replace("acme/lane-tasks@", "acme/other@").format(lane="scale"),
    )
    ctx = StepContext(config=load_config(root / "lanes.toml"), options=StepOptions(stable=True))
    outcome = check.check(ctx, {})
    line = 1 + ACTION_WORKFLOW.lstrip("\n").splitlines().index("          lane: {lane}")
    assert (outcome.status, outcome.message) == (
        "pass",
        f"{workflow}:{line} runs lane 'scale' (the lane-tasks action)",
    )
    write(
        root,
        workflow,
        ACTION_WORKFLOW.replace("lane-tasks@", "other@")
        .replace("Lane-Tasks", "o")
        .format(lane="scale"),
    )
    assert check.check(ctx, {}).status == "fail"


def test_this_repository_stays_free_of_drift_and_its_usage_example_runs_the_lane() -> None:
    status, findings = drift_findings(REPO_ROOT)
    assert findings == []
    assert set(status.values()) == {"pass"}
    config = load_config(REPO_ROOT / "lanes.toml")
    assert USAGE in config.drift.ci_files  # drift check reads the usage example
    line = next(
        n for n, t in enumerate(text_of(USAGE).splitlines(), 1) if t.strip() == "lane: startup"
    )
    assert drift.action_lanes(text_of(USAGE)) == [("startup", line)]


# ---- the scripts themselves ------------------------------------------------------------------


@pytest.mark.parametrize("rel", [ACTION, WORKFLOW, GITLAB])
def test_every_script_is_valid_bash(rel: str) -> None:
    for script in scripts(rel):
        r = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
        assert r.returncode == 0, f"{rel}: {r.stderr}\n{script}"


def _step(rel: str, step_id: str) -> dict[str, Any]:
    return next(s for _, s in steps_of(rel) if s.get("id") == step_id)


def _query(rel: str) -> str:
    """The jq program that picks the run whose history artifact is imported."""
    m = re.search(r"query='([^']*)'", _step(rel, "previous")["run"])
    assert m
    return m.group(1)


def _artifact(run_id: int, branch: str, *, fork: bool = False, expired: bool = False) -> Any:
    return {
        "name": "lane-history-startup",
        "expired": expired,
        "workflow_run": {
            "id": run_id,
            "repository_id": 1,
            "head_repository_id": 2 if fork else 1,
            "head_branch": branch,
        },
    }


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq (gh's --jq reads the same language)")
@pytest.mark.parametrize("rel", [ACTION, WORKFLOW])
def test_history_comes_from_the_newest_default_branch_run_never_a_fork(rel: str) -> None:
    """The artifacts API lists the newest first; a fork's pull request from its own `main` and
    an expired artifact are passed over, a pull request branch's too."""

    def pick(*artifacts: Any) -> str:
        api = json.dumps({"total_count": len(artifacts), "artifacts": list(artifacts)})
        r = subprocess.run(
            ["jq", "-r", _query(rel)],
            input=api,
            capture_output=True,
            text=True,
            env={**os.environ, "BRANCH": "main"},
            check=True,
        )
        return r.stdout.strip()

    newest = [
        _artifact(9, "main", fork=True),
        _artifact(8, "feature"),
        _artifact(7, "main", expired=True),
        _artifact(6, "main"),
        _artifact(5, "main"),
    ]
    assert pick(*newest) == "6"
    assert pick(_artifact(9, "main", fork=True)) == ""
    assert pick() == ""


def _run_step(rel: str, step_id: str, root: Path, temp: Path) -> subprocess.CompletedProcess[str]:
    """A step's script as the runner runs it (`bash -e -o pipefail`), its `env:` with the one
    expression these steps use, `runner.temp`, resolved."""
    step = _step(rel, step_id)
    env = {k: str(v).replace("${{ runner.temp }}", str(temp)) for k, v in step["env"].items()}
    assert not [v for v in env.values() if "${{" in v]
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", step["run"]],
        cwd=root,
        env={**os.environ, **env, "PATH": path, "RUNNER_TEMP": str(temp)},
        capture_output=True,
        text=True,
    )


def _run_ids(jsonl: Path) -> set[str]:
    rows = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    return {r["run_id"] for r in rows if r["type"] == "run"}


def test_the_action_carries_the_history_from_run_to_run(tmp_path: Path) -> None:
    """The action's own import and export scripts: the downloaded artifact and the cached
    export are both imported, and the next run's export holds every run of both."""
    from history_data import generated

    root = make_project(tmp_path)
    temp = tmp_path / "runner-temp"
    history = generated()
    (temp / "lane-history" / "previous").mkdir(parents=True)
    cached = history.run("acme/app", "startup", "pass", "cy", "2026-02-28T10:00:00+00:00")
    previous = history.write(temp / "lane-history" / "previous" / "history.jsonl")
    lines = previous.read_text().splitlines()
    (temp / "lane-history" / "history.jsonl").write_text(lines[-1] + "\n")  # the cache's
    previous.write_text("\n".join(lines[:-1]) + "\n")  # the artifact misses the newest run

    r = _run_step(ACTION, "import", root, temp)
    assert r.returncode == 0, r.stderr
    r = _run_step(ACTION, "history", root, temp)
    assert r.returncode == 0, r.stderr
    exported = temp / "lane-history" / "history.jsonl"
    assert cached not in _run_ids(previous)
    assert _run_ids(exported) == _run_ids(previous) | {cached}

    # the next run, on a fresh runner: only the artifact it downloads
    nxt = make_project(tmp_path, "next")
    temp2 = tmp_path / "runner-temp-2"
    (temp2 / "lane-history" / "previous").mkdir(parents=True)
    (temp2 / "lane-history" / "previous" / "history.jsonl").write_bytes(exported.read_bytes())
    assert _run_step(ACTION, "import", nxt, temp2).returncode == 0
    assert _run_step(ACTION, "history", nxt, temp2).returncode == 0
    assert _run_ids(temp2 / "lane-history" / "history.jsonl") == _run_ids(exported)


def test_a_first_run_starts_the_history(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    r = _run_step(ACTION, "import", root, tmp_path / "runner-temp")
    assert (r.returncode, r.stdout.strip()) == (0, "no earlier history: this run starts it")


def test_a_history_that_cannot_be_imported_stops_the_job(tmp_path: Path) -> None:
    """Exporting after a failed import would upload a history without the earlier runs as the
    newest one: the import step fails instead, with lane-tasks's one-line error."""
    root = make_project(tmp_path)
    temp = tmp_path / "runner-temp"
    write(temp, "lane-history/previous/history.jsonl", '{"type": "run", "repo": "x"}\n')
    r = _run_step(ACTION, "import", root, temp)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
