"""drift-check on real sample repositories: each kind of drift planted at a known file and line,
found there through the real CLI (real noxfile in a subprocess, real YAML, the real argparse
surface); a clean repository gives no finding; waivers, SARIF, the nox session, config errors.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from helpers import (
    TESTS_DIR,
    Templates,
    make_project,
    repo_copy,
    run_cli,
    run_nox,
    validate_artifact,
    write,
)

from lane_tasks.catalog.checks import FINDINGS
from lane_tasks.catalog.commands import cli_surface
from lane_tasks.config import load_config
from lane_tasks.docs.lanes_page import first_difference, render_lanes_md, step_command
from lane_tasks.nox_sessions import step_argv
from lane_tasks.project.nox_command import NOX_OPTIONS, NoxRun, invocation, nox_run
from lane_tasks.steps.drift.shell_words import commands

OUT = "build/drift-check.json"
SARIF_SCHEMA = TESTS_DIR / "schemas" / "sarif-schema-2.1.0.json"  # OASIS, errata 01
FAMILIES = ["nox-sessions", "ci", "docs", "lanes-doc"]

WORKFLOW = """
name: ci
on: [push]
jobs:
  lanes:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: python -m pip install -e .
      - name: the lane
        run: |
          nox -s startup
"""


# ---- helpers --------------------------------------------------------------------------------


def drift(root: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """`lane-tasks drift check` writing its JSON artifact (validated against its schema)."""
    (root / OUT).unlink(missing_ok=True)
    r = run_cli(root, "drift", "check", "--format", "json", "--out", OUT, *args)
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode in (0, 1), r.stdout + r.stderr
    doc: dict[str, Any] = json.loads((root / OUT).read_text(encoding="utf-8"))
    validate_artifact(doc)
    assert [x["id"] for x in doc["results"]] == FAMILIES
    assert r.returncode == (0 if doc["status"] == "pass" else 1)
    return r, doc


def where(doc: dict[str, Any]) -> list[tuple[str, str, int | None]]:
    """Every finding as (id, path, line)."""
    return [(f["id"], f["path"], f["line"]) for f in doc["findings"]]


def family(doc: dict[str, Any], fid: str) -> dict[str, Any]:
    return next(r for r in doc["results"] if r["id"] == fid)


def add_config(root: Path, text: str) -> None:
    with (root / "lanes.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n" + text.strip() + "\n")


def line_of(root: Path, rel: str, needle: str) -> int:
    """The 1-based line of the only line of `rel` containing `needle`."""
    lines = (root / rel).read_text(encoding="utf-8").splitlines()
    hits = [n for n, text in enumerate(lines, start=1) if needle in text]
    assert len(hits) == 1, (needle, hits)
    return hits[0]


@pytest.fixture
def sample(templates: Templates, tmp_path: Path) -> Path:
    """The project `make_project(tmp_path)` makes (a copy of one built per test process)."""
    return templates.copy("drift-sample", make_project, tmp_path)


@pytest.fixture
def clean(templates: Templates, tmp_path: Path) -> Path:
    """The project `clean_repo` makes (a copy of one built per test process)."""
    return templates.copy("drift-clean", clean_repo, tmp_path)


def clean_repo(tmp_path: Path) -> Path:
    """A sample project whose CI, README, docs and docs/lanes.md all agree with lanes.toml."""
    root = make_project(tmp_path)
    write(root, ".github/workflows/ci.yml", WORKFLOW)
    write(
        root,
        "README.md",
        """
        # sample

        Run the lane with `nox -s startup`, or one step: `nox -s gate-fast`.

        ```console
        $ lane-tasks gate fast --format json --out build/gate-fast.json
        $ python -m lane_tasks --config lanes.toml lanes show startup --format json | jq .
        lane-tasks lanes docs --out docs/lanes.md && git add docs/lanes.md
        ```

        | command | what |
        |---|---|
        | `lane-tasks release decide --version X --decision go\\|no-go --owner NAME` | record |
        | `lane-tasks gate release [--version X] [--offline]` | preflight |
        | `lane-tasks lanes show <lane>` / `nox -s <lane>` / `lane-tasks COMMAND --help` | … |
        """,
    )
    write(
        root,
        "docs/usage.rst",
        """
        Usage
        =====

        Check for drift with ``lane-tasks drift check --format sarif --out drift.sarif``.

        .. code-block:: console
           :caption: a lane

           $ nox -s scale
           $ lane-tasks runs list \\
               --format json
        """,
    )
    add_config(root, '[drift]\nrequired_ci_lanes = ["startup"]')
    r = run_cli(root, "lanes", "docs", "--out", "docs/lanes.md")
    assert r.returncode == 0, r.stderr
    return root


# ---- a clean repository ---------------------------------------------------------------------


def test_clean_repo_has_no_findings(clean: Path) -> None:
    root = clean
    r, doc = drift(root)
    assert r.returncode == 0, r.stdout
    assert doc["status"] == "pass"
    assert doc["findings"] == []
    assert {x["id"]: x["status"] for x in doc["results"]} == dict.fromkeys(FAMILIES, "pass")
    assert family(doc, "ci")["message"] == "1 CI file, 1 nox invocation"
    # README 7, docs/usage.rst 2, docs/lanes.md 13 (its step commands and its own generator)
    assert family(doc, "docs")["message"] == (
        "3 docs files: 23 lane-tasks commands, 6 nox sessions named"
    )
    assert family(doc, "lanes-doc")["message"] == "docs/lanes.md matches lanes.toml"
    text = run_cli(root, "drift", "check")
    assert text.returncode == 0
    assert text.stdout.startswith("lane-tasks drift-check: PASS")


def test_lanes_doc_absent_is_a_skip_not_a_pass(sample: Path) -> None:
    root = sample
    _, doc = drift(root)
    assert doc["status"] == "pass"
    assert family(doc, "lanes-doc")["status"] == "skip"
    assert family(doc, "lanes-doc")["message"] == "docs/lanes.md does not exist"
    assert family(doc, "ci")["status"] == "skip"
    assert family(doc, "nox-sessions")["status"] == "pass"


def test_stable_json_is_byte_identical(clean: Path) -> None:
    root = clean
    write(root, ".github/workflows/ci.yml", WORKFLOW.replace("nox -s startup", "nox -s lint"))
    outputs = []
    for _ in range(2):
        _, doc = drift(root, "--stable-json")
        assert "run" not in doc
        outputs.append((root / OUT).read_bytes())
    assert outputs[0] == outputs[1]


# ---- CI ---------------------------------------------------------------------------------------


def test_unknown_session_in_github_workflow(sample: Path) -> None:
    root = sample
    write(
        root,
        ".github/workflows/ci.yml",
        """
        name: ci
        on: [push]
        jobs:
          test:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                session: [startup, doctor]
            steps:
              - run: nox -s lint
              - run: |
                  pip install nox  # nox -s not-a-session (a comment)
                  nox -s gate-fast doctr -- --verbose
              - run: nox -s ${{ matrix.session }}
              - name: "nox -s ignored (a name, not a command)"
                run: >
                  python -m nox
                  --sessions startup scael
        """,
    )
    r, doc = drift(root)
    assert r.returncode == 1
    assert where(doc) == [
        ("ci-unknown-session", ".github/workflows/ci.yml", 10),
        ("ci-unknown-session", ".github/workflows/ci.yml", 13),
        ("ci-unknown-session", ".github/workflows/ci.yml", 18),
    ]
    first, second, third = doc["findings"]
    assert first["found"] == "nox session 'lint'"
    assert "did you mean 'doctor'" in second["message"]
    assert "CI (.github/workflows/ci.yml:test)" in second["message"]
    assert "did you mean 'scale'" in third["expected"]
    assert family(doc, "ci")["status"] == "fail"
    assert ".github/workflows/ci.yml:13: ci-unknown-session" in family(doc, "ci")["excerpt"]
    assert family(doc, "ci")["fix"]


def test_lane_missing_from_ci(sample: Path) -> None:
    root = sample
    write(root, ".github/workflows/ci.yml", WORKFLOW)
    add_config(root, '[drift]\nrequired_ci_lanes = ["startup", "scale"]')
    r, doc = drift(root)
    assert r.returncode == 1
    line = line_of(root, "lanes.toml", "required_ci_lanes")
    assert where(doc) == [("ci-missing-lane", "lanes.toml", line)]
    finding = doc["findings"][0]
    assert finding["expected"] == "a CI job running `nox -s scale`"
    assert "CI files: .github/workflows/ci.yml" in finding["found"]


def test_bare_nox_runs_the_default_lane(sample: Path) -> None:
    root = sample  # default_lane = "startup": a bare `nox` runs it
    write(root, ".gitlab-ci.yml", "lanes:\n  script:\n    - nox\n    - nox -l\n")
    add_config(root, '[drift]\nrequired_ci_lanes = ["startup", "scale"]')
    _, doc = drift(root)
    assert [(f["id"], f["found"].split(" (")[0]) for f in doc["findings"]] == [
        ("ci-missing-lane", "no CI job runs lane 'scale'")
    ]


def test_gitlab_scripts_and_extra_ci_files(sample: Path) -> None:
    root = sample
    write(
        root,
        ".gitlab-ci.yml",
        """
        variables:
          NOTE: "nox -s not-a-script"
        before_script: python3 -m nox -e doctor
        lanes:
          # nox -s commented-out
          before_script:
            - pip install .
          script:
            - nox --sessions=startup,gate-fastt
            - uvx nox -s scale
          after_script: nox -k "not slow"
        """,
    )
    write(
        root,
        ".ci/run",
        """
        #!/usr/bin/env bash
        set -euo pipefail
        # nox -s in-a-comment
        FORCE_COLOR=1 nox -s regulated && nox -s drift-chek; echo done
        """,
    )
    add_config(root, '[drift]\nci_files = [".ci/*"]\nrequired_ci_lanes = ["scale", "regulated"]')
    _, doc = drift(root)
    assert where(doc) == [
        ("ci-unknown-session", ".ci/run", 4),
        ("ci-unknown-session", ".gitlab-ci.yml", 9),
    ]
    assert "did you mean 'drift-check'" in doc["findings"][0]["message"]
    assert family(doc, "ci")["message"] == "2 CI files, 6 nox invocations; 2 findings"


def test_every_way_ci_runs_nox(sample: Path) -> None:
    """Script mode, uvx, pipx run, python -m, -s=X, -e, --sessions X Y and NOXSESSION (inline,
    the workflow's, the job's and the step's env) all run sessions; another noxfile's are not
    checked against ours."""
    root = sample
    rel = ".github/workflows/ci.yml"
    write(
        root,
        rel,
        """
        on: [push]
        env:
          NOXSESSION: regulated
        jobs:
          forms:
            runs-on: ubuntu-latest
            steps:
              - run: uv run noxfile.py -s startup
              - run: uvx nox -s nope-uvx
              - run: pipx run nox -s nope-pipx
              - run: python -m nox --session nope-python
              - run: nox --sessions gate-fast nope-many
              - run: nox -s=nope-eq
              - run: nox -e nope-dash-e
              - run: NOXSESSION=nope-inline nox
              - run: nox
              - env:
                  NOXSESSION: scale,nope-env
                run: nox
              - run: nox --sessions=gate-fast,doctor
              - run: nox -f other/noxfile.py -s not-ours
          job-env:
            runs-on: ubuntu-latest
            env:
              NOXSESSION: nope-job
            steps:
              - run: uvx --python 3.12 nox
        """,
    )
    add_config(root, '[drift]\nrequired_ci_lanes = ["startup", "scale", "regulated"]')
    _, doc = drift(root)
    nopes = ["uvx", "pipx", "python", "many", "eq", "dash-e", "inline", "env", "job"]
    expected = [("ci-unknown-session", rel, line_of(root, rel, f"nope-{n}")) for n in nopes]
    expected.append(("ci-unknown-session", rel, line_of(root, rel, "gate-fast,doctor")))
    assert sorted(where(doc), key=lambda x: x[2] or 0) == sorted(expected, key=lambda x: x[2])
    names = {f["found"] for f in doc["findings"]}
    assert "nox session 'not-ours'" not in names  # other/noxfile.py is not this noxfile
    comma = next(f for f in doc["findings"] if "," in f["found"])
    assert "nox does not split a session name at commas: `-s gate-fast doctor`" in comma["message"]
    assert family(doc, "ci")["message"].startswith("1 CI file, 13 nox invocations; 10 findings")


def test_noxsession_from_gitlab_variables_and_exported_in_a_script(sample: Path) -> None:
    root = sample
    write(
        root,
        ".gitlab-ci.yml",
        """
        variables:
          NOXSESSION: scale
        lanes:
          script: [nox]
        other:
          variables:
            NOXSESSION:
              value: nope-gitlab
              description: the job's own
          script: [nox]
        """,
    )
    write(root, ".ci/run", "#!/bin/sh\nexport NOXSESSION=regulated,nope-export\nnox\n")
    add_config(root, '[drift]\nci_files = [".ci/*"]\nrequired_ci_lanes = ["scale", "regulated"]')
    _, doc = drift(root)
    assert where(doc) == [
        ("ci-unknown-session", ".ci/run", 2),
        ("ci-unknown-session", ".gitlab-ci.yml", 8),  # the variable's value
    ]


def test_invalid_ci_yaml_is_a_finding_at_its_line(sample: Path) -> None:
    root = sample
    write(root, ".github/workflows/broken.yaml", "jobs:\n  x:\n    steps: [\n  y: 1\n")
    _, doc = drift(root)
    assert [(f["id"], f["path"]) for f in doc["findings"]] == [
        ("ci-invalid-yaml", ".github/workflows/broken.yaml")
    ]
    assert isinstance(doc["findings"][0]["line"], int)
    assert family(doc, "ci")["status"] == "fail"


# ---- docs -------------------------------------------------------------------------------------


def test_stale_readme_command(sample: Path) -> None:
    root = sample
    write(
        root,
        "README.md",
        """
        # sample

        ```sh
        nox -s startup
        lane-tasks gate slow --format json
        lane-tasks lanes show startup
        ```

        Then `lane-tasks releases list` and `lane-tasks gate --help`.
        """,
    )
    r, doc = drift(root)
    assert r.returncode == 1
    assert where(doc) == [
        ("docs-unknown-command", "README.md", 5),
        ("docs-unknown-command", "README.md", 9),
    ]
    slow, releases = doc["findings"]
    assert slow["found"] == "lane-tasks gate slow"
    assert slow["message"] == "`lane-tasks gate` has no command 'slow'"
    assert slow["expected"] == "`lane-tasks gate <command>` with a command of: fast, release"
    assert "did you mean 'release'" in releases["message"]


def test_removed_cli_option_in_docs(sample: Path) -> None:
    root = sample
    write(
        root,
        "docs/guide/usage.md",
        """
        # Usage

        Run `lane-tasks doctor --format json --fast` for a quick look.

        ```
        python -m lane_tasks gate fast \\
          --jobs 2 \\
          --fromat json
        lane-tasks --cfg lanes.toml doctor
        ```
        """,
    )
    _, doc = drift(root)
    assert where(doc) == [
        ("docs-unknown-option", "docs/guide/usage.md", 3),
        ("docs-unknown-option", "docs/guide/usage.md", 8),
        ("docs-unknown-option", "docs/guide/usage.md", 9),
    ]
    fast, fromat, cfg = doc["findings"]
    assert fast["found"] == "lane-tasks doctor --fast"
    assert fast["expected"].startswith(
        "an option of `lane-tasks doctor`: --allow-outside-root, --format, --help"
    )
    assert "did you mean '--format'" in fromat["message"]
    assert "did you mean '--config'" in cfg["message"]


def test_unknown_session_in_docs_and_rst(sample: Path) -> None:
    root = sample
    write(root, "README.md", "# sample\n\nRun `nox -s gate-fast doctr`.\n")
    write(
        root,
        "docs/index.rst",
        """
        Title
        =====

        Example::

            lane-tasks gate fast
            nox -s scaled

        See ``lane-tasks lanes shw`` too.
        """,
    )
    _, doc = drift(root)
    assert where(doc) == [
        ("docs-unknown-session", "README.md", 3),
        ("docs-unknown-session", "docs/index.rst", 7),
        ("docs-unknown-command", "docs/index.rst", 9),
    ]


def test_docs_that_teach_nox_run_their_own_example_sessions(sample: Path) -> None:
    """The shapes of nox's own docs (README, tutorial, config, cookbook): sessions that an
    example noxfile in the docs defines are the example's, not drift; a stale name of this
    project's lanes and steps beside them is still found."""
    root = sample
    write(
        root,
        "README.md",
        """
        # sample

        ```python
        import nox


        @nox.session
        def tests(session: nox.Session) -> None:
            session.run("pytest")
        ```

        ### Run a particular session

        ```shell
        nox -l/--list
        nox -s/--session test
        ```

        Our own lane is `nox -s startup`; the old one was `nox -s startpu`.
        """,
    )
    write(
        root,
        "docs/tutorial.rst",
        """
        Tutorial
        ========

        .. code-block:: python

            @nox.session(python=["3.10", "3.12"])
            def test(session):
                ...

        Run all of them with ``nox --sessions test`` or one with ``nox --sessions test-3.12``.
        """,
    )
    write(
        root,
        "docs/config.rst",
        """
        Session name
        ------------

        .. code-block:: python

            @nox.session(
                name="custom-name",
                python="3.12",
            )
            def a_very_long_function_name(session):
                print("Hello!")

        .. code-block:: console

            $ nox --session "custom-name"
        """,
    )
    write(
        root,
        "docs/cookbook.rst",
        """
        Recipes
        -------

        .. code-block:: python

            @nox.session(default=False)
            def dev(session: nox.Session) -> None:
                session.run("virtualenv", ".venv")

            @nox.session
            @nox.parametrize("part", ["major", "minor"])
            def release(session: nox.Session, part: str) -> None:
                \"\"\"
                Usage:
                $ nox -s release -- [major|minor|patch]
                \"\"\"

        With this, a user can simply run ``nox -s dev``, or ``nox -s "release(part='minor')"``.
        Another noxfile: ``nox -f examples/noxfile.py -s anything``.
        """,
    )
    write(root, "docs/usage.rst", "Usage\n=====\n\nRun one step: ``nox -s gate-slow``.\n")
    _, doc = drift(root)
    assert where(doc) == [
        ("docs-unknown-session", "README.md", line_of(root, "README.md", "startpu")),
        ("docs-unknown-session", "docs/usage.rst", 4),
    ]
    assert "did you mean 'startup'" in doc["findings"][0]["message"]
    assert family(doc, "docs")["message"] == (
        "5 docs files: 0 lane-tasks commands, 10 nox sessions named "
        "(7 of them sessions of the docs' own example noxfiles); 2 findings"
    )


def test_docs_globs_are_configurable(sample: Path) -> None:
    root = sample
    write(root, "handbook/ops.md", "Run `nox -s nightly`.\n")
    write(root, "docs/old.md", "Run `nox -s ancient`.\n")
    add_config(root, '[drift]\ndocs = ["handbook/*.md"]')
    _, doc = drift(root)
    assert where(doc) == [("docs-unknown-session", "handbook/ops.md", 1)]


def test_every_real_command_and_option_is_accepted(sample: Path) -> None:
    """The docs check reads the real parser: a page naming every command path with every one
    of its options has no finding (and a new command needs no hand-kept list)."""
    root = sample
    lines = []
    for path, cmd in cli_surface().items():
        for opt, takes in cmd.options.items():
            lines.append(" ".join(["lane-tasks", *path, opt, *(["VALUE"] if takes else [])]))
    assert "lane-tasks drift check --format VALUE" in lines
    assert "lane-tasks lanes docs --check" in lines
    write(root, "docs/all.md", "```\n" + "\n".join(lines) + "\n```\n")
    _, doc = drift(root)
    assert doc["findings"] == []
    assert f"{len(lines)} lane-tasks commands" in family(doc, "docs")["message"]


# ---- docs/lanes.md ----------------------------------------------------------------------------


def test_stale_lanes_md(clean: Path) -> None:
    root = clean
    old = "Multi-team organizations requiring repeatability and governance signals."
    toml = root / "lanes.toml"
    toml.write_text(toml.read_text().replace(old, "Many teams, one path."), encoding="utf-8")
    r, doc = drift(root)
    assert r.returncode == 1
    line = line_of(root, "docs/lanes.md", old)
    assert where(doc) == [("lanes-doc-stale", "docs/lanes.md", line)]
    assert doc["findings"][0]["found"] == old
    assert doc["findings"][0]["expected"] == "Many teams, one path."
    check = run_cli(root, "lanes", "docs", "--check")
    assert check.returncode == 1
    assert check.stdout.startswith(f"docs/lanes.md:{line}: differs from lanes.toml")
    assert run_cli(root, "lanes", "docs", "--out", "docs/lanes.md").returncode == 0
    assert run_cli(root, "lanes", "docs", "--check").returncode == 0
    assert drift(root)[1]["findings"] == []


@pytest.mark.e2e
def test_lanes_md_content(sample: Path) -> None:
    root = sample
    config = load_config(root / "lanes.toml")
    text = render_lanes_md(config)
    assert text == render_lanes_md(config)
    for heading in ("## startup", "## scale", "## regulated", "## Lane selection guidance"):
        assert f"\n{heading}\n" in text
    assert "- **Extends:** `scale` → `startup`" in text
    assert "| `severity-model` | Support severity model with response SLOs | `regulated` |" in text
    assert "| Audit readiness + strict escalation | `regulated` |" in text
    assert "- Rollback rate (`rollback-rate`, from `regulated`)" in text
    # the command path is what each step's nox session runs, less the run-store plumbing
    for step in ("gate-fast", "gate-release", "doctor", "drift-check", "contract-index"):
        argv = step_argv(config, step, "RUN")
        argv = argv[2 : argv.index("--run-id")]
        assert step_command(config, step) == " ".join(["lane-tasks", *argv])
        assert f"\n{step_command(config, step)}\n" in text
    assert run_cli(root, "lanes", "docs").stdout == text
    assert run_cli(root, "lanes", "docs", "--check").returncode == 1  # not written yet


def test_first_difference() -> None:
    assert first_difference("a\nb\n", "a\nb\n") is None
    assert first_difference("a\nb\n", "a\r\nb\r\n") is None
    assert first_difference("a\nb\n", "a\nc\n") == (2, "c", "b")
    assert first_difference("a\nb\n", "a\n") == (2, "", "b")
    assert first_difference("a\n", "a\nb\n") == (2, "b", "")
    assert first_difference("a\nb", "a") == (2, "<end of file>", "b")


# ---- nox sessions -----------------------------------------------------------------------------

NOXFILE = """
import nox


@nox.session(name="gate-fast", python=False, default=False)
def gate_fast(session: nox.Session) -> None:
    pass


@nox.session(python=False, default=False)
def doctor(session: nox.Session) -> None:
    pass


@nox.session(python=False, requires=["gate-fast", "doctor"])
def startup(session: nox.Session) -> None:
    pass
"""


def test_missing_sessions_and_requires_mismatch(sample: Path) -> None:
    root = sample
    write(root, "noxfile.py", NOXFILE)
    _, doc = drift(root)
    toml = (root / "lanes.toml").read_text().splitlines()
    lane = {n: line_of(root, "lanes.toml", f"[lanes.{n}]") for n in ("scale", "regulated")}
    steps = {n: toml.index("steps = [", lane.get(n, 0)) + 1 for n in ("startup", *lane)}
    assert steps["startup"] < lane["scale"] < steps["scale"] < lane["regulated"]
    assert where(doc) == [
        ("nox-missing-session", "lanes.toml", steps["startup"]),  # gate-release
        ("nox-requires-mismatch", "lanes.toml", steps["startup"]),
        ("nox-missing-session", "lanes.toml", lane["scale"]),  # the lane itself
        ("nox-missing-session", "lanes.toml", steps["scale"]),  # drift-check
        ("nox-missing-session", "lanes.toml", lane["regulated"]),
        ("nox-missing-session", "lanes.toml", steps["regulated"]),  # contract-index
    ]
    missing_step, mismatch = doc["findings"][:2]
    assert missing_step["message"] == (
        "step 'gate-release' of lane 'startup' has no nox session (noxfile.py does not register it)"
    )
    assert mismatch["found"] == "nox session 'startup' requires=['gate-fast', 'doctor']"
    assert mismatch["expected"] == "requires=['gate-fast', 'gate-release', 'doctor']"
    assert family(doc, "nox-sessions")["status"] == "fail"


def test_sessions_not_run_by_default_count(sample: Path) -> None:
    """register() makes every step session default=False (`nox -l --json` omits them); CI and
    docs naming them are not drift."""
    root = sample
    write(root, ".ci/run", "nox -s gate-fast gate-release doctor drift-check contract-index\n")
    add_config(root, '[drift]\nci_files = [".ci/run"]')
    _, doc = drift(root)
    assert doc["findings"] == []
    assert family(doc, "nox-sessions")["message"] == (
        "5 steps and 3 lanes checked against 8 nox sessions"
    )


def test_python_parametrized_session_names(sample: Path) -> None:
    root = sample
    noxfile = (root / "noxfile.py").read_text()
    noxfile += (
        '\n\nimport nox\n\n\n@nox.session(python=["3.11", "3.12"], default=False)\n'
        "def tests(session: nox.Session) -> None:\n    pass\n"
    )
    write(root, "noxfile.py", noxfile)
    write(root, ".ci/run", "nox -s tests-3.12 tests tests-3.9\n")
    add_config(root, '[drift]\nci_files = [".ci/run"]')
    _, doc = drift(root)
    assert [(f["id"], f["found"]) for f in doc["findings"]] == [
        ("ci-unknown-session", "nox session 'tests-3.9'")
    ]


def test_broken_noxfile_is_an_error_not_a_crash(sample: Path) -> None:
    root = sample
    write(root, "noxfile.py", "import nox\n\nraise RuntimeError('no sessions today')\n")
    write(root, "README.md", "Run `nox -s anything`.\n")
    r, doc = drift(root)
    assert r.returncode == 1
    assert doc["status"] == "error"
    assert where(doc) == [("nox-noxfile-error", "noxfile.py", None)]
    assert doc["findings"][0]["found"] == "RuntimeError: no sessions today"
    nox = family(doc, "nox-sessions")
    assert nox["status"] == "error"
    assert "RuntimeError: no sessions today" in nox["message"]
    assert "session names not checked" in family(doc, "docs")["message"]


def test_missing_noxfile_means_every_session_is_missing(sample: Path) -> None:
    root = sample
    (root / "noxfile.py").unlink()
    _, doc = drift(root)
    assert {f["id"] for f in doc["findings"]} == {"nox-missing-session"}
    assert len(doc["findings"]) == 8
    assert all("noxfile.py does not exist" in f["found"] for f in doc["findings"])


# ---- waivers ----------------------------------------------------------------------------------


def test_waived_finding_is_shown_and_does_not_fail(sample: Path) -> None:
    root = sample
    write(root, "README.md", "# sample\n\nLegacy: `nox -s lint`.\n\nAnd `nox -s docs`.\n")
    add_config(
        root,
        """
        [[drift.waive]]
        finding = "docs-unknown-session"
        path = "README.md"
        line = 3
        reason = "lint lives in the legacy noxfile until 2.0"

        [[drift.waive]]
        finding = "docs-unknown-session"
        path = "docs/*.md"
        reason = "does not match README.md"
        """.replace("\n        ", "\n"),
    )
    r, doc = drift(root)
    assert r.returncode == 1
    reason = "lint lives in the legacy noxfile until 2.0"
    assert [(f["line"], f["waived"]) for f in doc["findings"]] == [(3, reason), (5, None)]

    readme = root / "README.md"
    readme.write_text("# sample\n\nLegacy: `nox -s lint`.\n", encoding="utf-8")
    r, doc = drift(root)
    assert r.returncode == 0
    assert doc["status"] == "pass"
    assert family(doc, "docs")["status"] == "pass"
    assert f"waived docs-unknown-session at README.md:3: {reason}" in family(doc, "docs")["message"]
    text = run_cli(root, "drift", "check")
    assert text.returncode == 0
    assert reason in text.stdout


# ---- SARIF ------------------------------------------------------------------------------------


def sarif(root: Path) -> dict[str, Any]:
    r = run_cli(root, "drift", "check", "--format", "sarif", "--out", "build/drift.sarif")
    assert "Traceback" not in r.stderr, r.stderr
    log: dict[str, Any] = json.loads((root / "build" / "drift.sarif").read_text())
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)
    return log


def test_sarif_validates_and_locates_findings(sample: Path) -> None:
    root = sample
    write(root, "README.md", "# sample\n\n`lane-tasks gate slow`\n\n`nox -s lint`\n")
    add_config(
        root,
        '[[drift.waive]]\nfinding = "docs-unknown-session"\npath = "README.md"\n'
        'reason = "lint is coming"',
    )
    log = sarif(root)
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "lane-tasks"
    assert [r["id"] for r in driver["rules"]] == list(FINDINGS)
    command, session = run["results"]
    assert command["ruleId"] == "docs-unknown-command"
    assert command["level"] == "error"
    assert driver["rules"][command["ruleIndex"]]["id"] == "docs-unknown-command"
    loc = command["locations"][0]["physicalLocation"]
    assert loc == {"artifactLocation": {"uri": "README.md"}, "region": {"startLine": 3}}
    assert session["level"] == "note"
    assert session["suppressions"] == [{"kind": "external", "justification": "lint is coming"}]


def test_sarif_of_a_clean_repo_and_of_locationless_findings(clean: Path) -> None:
    root = clean
    assert sarif(root)["runs"][0]["results"] == []
    write(root, "noxfile.py", "raise SystemExit(3)\n")
    (result,) = sarif(root)["runs"][0]["results"]
    assert result["ruleId"] == "nox-noxfile-error"
    assert "region" not in result["locations"][0]["physicalLocation"]


def test_junit_is_not_offered_for_drift(tmp_path: Path) -> None:
    """Drift findings are not test cases: only the gates speak JUnit (SARIF is for all)."""
    r = run_cli(tmp_path, "drift", "check", "--format", "junit")
    assert r.returncode == 2
    assert "invalid choice: 'junit'" in r.stderr


# ---- the nox session --------------------------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.slow
def test_drift_check_runs_as_a_step_of_a_lane_invocation(sample: Path) -> None:
    root = sample
    add_config(
        root,
        '[lanes.drifty]\nsteps = ["drift-check"]\ncontrols = ["artifact-retention"]',
    )
    write(root, "README.md", "# sample\n\n`nox -s drifty`\n")
    r = run_nox(root, "-s", "drifty")
    assert "drift-check" in r.stderr, r.stderr
    doc = json.loads((root / OUT).read_text(encoding="utf-8"))
    validate_artifact(doc)
    assert doc["lane"] == "drifty"
    assert doc["status"] == "pass"
    assert doc["findings"] == []
    assert "run" not in doc  # the lane asks for --stable-json
    (run_dir,) = (root / "build" / "lanes" / "runs").iterdir()
    assert (run_dir / "drift-check.json").read_bytes() == (root / OUT).read_bytes()

    write(root, "README.md", "# sample\n\n`nox -s drifting`\n")
    r = run_nox(root, "-s", "drift-check")
    assert r.returncode != 0
    doc = json.loads((root / OUT).read_text(encoding="utf-8"))
    assert where(doc) == [("docs-unknown-session", "README.md", 3)]


# ---- configuration ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (
            '[drift]\nrequired_ci_lanes = ["scael"]',
            "drift.required_ci_lanes: unknown lane 'scael' (did you mean 'scale'?)",
        ),
        (
            '[drift]\nci_file = [".ci/run"]',
            "drift.ci_file: unknown key (did you mean 'ci_files'?)",
        ),
        ('[drift]\ndocs = ["/etc/*.md"]', "drift.docs: must be a path inside the repository"),
        ('[drift]\ndocs = "README.md"', "drift.docs: must be a list of non-empty strings"),
        (
            '[[drift.waive]]\nfinding = "ci-unknown-sesion"\npath = "x"\nreason = "r"',
            "drift.waive[0].finding: unknown finding 'ci-unknown-sesion' "
            "(did you mean 'ci-unknown-session'?)",
        ),
        (
            '[[drift.waive]]\nfinding = "ci-missing-lane"\npath = "lanes.toml"',
            "drift.waive[0].reason: needs a non-empty string (it is shown with the waived "
            "finding); missing",
        ),
        (
            '[[drift.waive]]\nfinding = "ci-missing-lane"\npath = "x"\nreason = "r"\nline = 0',
            "drift.waive[0].line: must be a positive integer, not 0",
        ),
        (
            '[[drift.waive]]\nfinding = "ci-missing-lane"\npath = "x"\nreason = "r"\nwhy = 1',
            "drift.waive[0].why: unknown key; allowed: finding, path, reason, line",
        ),
        ('[drift]\nwaive = "all"', "drift.waive: must be an array of tables, not a string"),
    ],
    ids=[
        "unknown-lane",
        "unknown-key",
        "outside-path",
        "docs-not-list",
        "unknown-finding",
        "no-reason",
        "bad-line",
        "waive-unknown-key",
        "waive-not-array",
    ],
)
def test_bad_drift_config_is_one_line_exit_2(sample: Path, text: str, needle: str) -> None:
    root = sample
    add_config(root, text)
    first = line_of(root, "lanes.toml", text.splitlines()[0])
    r = run_cli(root, "drift", "check", "--format", "json", "--out", OUT)
    assert r.returncode == 2, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("lane-tasks: error: ")
    assert needle in lines[0]
    assert "lanes.toml:" in lines[0]
    at = int(lines[0].split("lanes.toml:")[1].split(":")[0])
    assert first <= at <= first + len(text.splitlines())
    assert not (root / OUT).exists()


# ---- command-line parsing ---------------------------------------------------------------------


NO_RUN = "runs no session"
NOT_NOX = "not nox"


@pytest.mark.parametrize(
    ("line", "sessions"),
    [
        # how CI and docs start nox
        ("nox -s a", ["a"]),
        ("nox -s a b -- --posarg", ["a", "b"]),
        ("nox --sessions a b", ["a", "b"]),
        ("nox --session a", ["a"]),
        ("nox -s=a", ["a"]),
        ("nox --session=a", ["a"]),
        ("nox -sa", ["a"]),
        ("nox -e a", ["a"]),
        ("nox -e a b -p 3.12 -x", ["a", "b"]),
        ("nox --session a --python 3.12 -s b", ["b"]),  # argparse keeps the last -s
        ("nox --sessions=a,b", ["a,b"]),  # nox does not split at commas: a name not found
        ("nox -s 'tests(django=\"2.0\")'", ['tests(django="2.0")']),
        ("nox -R -f noxfile.py -s a", ["a"]),
        ("nox -s/--session a", ["a"]),  # docs' notation for either spelling
        ("python -m nox --session a", ["a"]),
        ("python3.12 -m nox -s a", ["a"]),
        ("python -I -X dev -m nox -s a", ["a"]),
        ("py -3.12 -m nox -s a", ["a"]),
        (".venv/bin/nox -s a", ["a"]),
        ("nox.exe -s a", ["a"]),
        ("uvx nox -s a", ["a"]),
        ("uvx nox@2025.2.9 -s a", ["a"]),
        ("uvx 'nox[uv]==2025.2.9' -s a", ["a"]),
        ("uvx --python 3.12 --with nox-uv nox -s a", ["a"]),
        ("uv tool run nox -s a", ["a"]),
        ("uv run --with nox nox -s a", ["a"]),
        ("uv run -m nox -s a", ["a"]),
        ("uv run python -m nox -s a", ["a"]),
        ("uv run noxfile.py -s a", ["a"]),  # nox's script mode
        ("uv run --script ./noxfile.py -s a", ["a"]),
        ("./noxfile.py -s a", ["a"]),
        ("python noxfile.py --session a", ["a"]),
        ("pipx run nox -s a", ["a"]),
        ("pipx run --spec nox==2024.10.9 nox -s a", ["a"]),
        ("pipx run noxfile.py -s a", ["a"]),
        ("poetry run nox -s a", ["a"]),
        ("hatch -e dev run nox -s a", ["a"]),
        ("pdm run nox -s a", ["a"]),
        ("sudo -E nox -s a", ["a"]),
        ("time nox -s a", ["a"]),
        ("$ nox -s a", ["a"]),
        ("FORCE_COLOR=1 nox -s a > log.txt 2>&1", ["a"]),
        # NOXSESSION: comma-split, and only when no -s is given
        ("NOXSESSION=a nox", ["a"]),
        ("NOXSESSION=a,b nox", ["a", "b"]),
        ("env -u X NOXSESSION=a uvx nox", ["a"]),
        ("NOXSESSION=a nox -s b", ["b"]),
        # a bare nox runs the defaults; -k/-t expressions are not resolved
        ("nox", []),
        ("nox -- --posarg", []),
        ("nox -k 'not slow'", None),
        ("nox -t lint -s a", None),
        ("nox -s a --keywords=b", None),
        # nox that runs no session
        ("nox -l", NO_RUN),
        ("nox -l/--list", NO_RUN),
        ("nox --list-sessions --json", NO_RUN),
        ("nox --usage a", NO_RUN),
        ("nox -s a --help", NO_RUN),
        ("python -m nox --version", NO_RUN),
        # not nox at all
        ("echo nox -s a", NOT_NOX),
        ("pip install nox", NOT_NOX),
        ("uv pip install nox", NOT_NOX),
        ("pipx install nox", NOT_NOX),
        ("python -m pytest -s a", NOT_NOX),
        ("python -c 'import nox' -s a", NOT_NOX),
        ("uvx nox-poetry -s a", NOT_NOX),
        ("cat noxfile.py", NOT_NOX),
    ],
)
def test_nox_command_line(line: str, sessions: list[str] | str | None) -> None:
    """One parser for every way a nox run is written; each session keeps its line."""
    (cmd, *_) = commands([(7, line)])
    run = nox_run(cmd)
    if sessions in (NO_RUN, NOT_NOX):
        assert run is None
        inv = invocation(cmd)
        assert (inv is not None and inv.program in ("nox", "noxfile.py")) == (sessions == NO_RUN)
        return
    assert run is not None
    assert run.reads_project_noxfile()
    got = None if run.sessions is None else [s for s, _ in run.sessions]
    assert got == sessions
    assert all(n == 7 for _, n in run.sessions or [])


@pytest.mark.parametrize(
    ("line", "noxfile"),
    [
        ("nox -f other.py -s a", "other.py"),
        ("nox --noxfile=tests/noxfile.py -s a", "tests/noxfile.py"),
        ("uv run tools/noxfile.py -s a", "tools/noxfile.py"),
        ("nox -f ./noxfile.py -s a", "noxfile.py"),
    ],
)
def test_nox_command_line_names_its_noxfile(line: str, noxfile: str) -> None:
    (cmd,) = commands([(1, line)])
    assert nox_run(cmd) == NoxRun(sessions=(("a", 1),), noxfile=noxfile)


def test_noxsession_from_the_surrounding_environment() -> None:
    """A CI job's `env: NOXSESSION` counts for a bare nox; an assignment on the line wins."""
    env = {"NOXSESSION": ("a, b", 3)}
    ((bare,), (inline,), (named,)) = (
        commands([(9, text)]) for text in ("nox", "NOXSESSION=c nox", "nox -s d")
    )
    assert nox_run(bare, env) == NoxRun(sessions=(("a", 3), ("b", 3)))
    assert nox_run(inline, env) == NoxRun(sessions=(("c", 9),))
    assert nox_run(named, env) == NoxRun(sessions=(("d", 9),))


def test_nox_option_table_matches_nox_itself() -> None:
    """Every option of the installed nox's own parser, with how many values it takes: a new
    nox option that takes a value would otherwise be misread as naming a session."""
    from nox._options import options

    arity = {0: 0, None: 1, 1: 1, "*": None, "?": 1}
    missing, wrong = [], []
    for action in options.parser()._actions:
        for opt in action.option_strings:
            if opt not in NOX_OPTIONS:
                missing.append(opt)
            elif NOX_OPTIONS[opt].takes != arity[action.nargs]:
                wrong.append(opt)
    assert (missing, wrong) == ([], [])
    assert {o for o, row in NOX_OPTIONS.items() if row.role == "sessions"} == {
        "-s",
        "-e",
        "--session",
        "--sessions",
    }


def test_commands_split_like_a_shell() -> None:
    cmds = commands([(1, "a && b || c; d | e # f g"), (2, "h \\"), (3, "  i 'j k'"), (4, "l")])
    assert [[w for w, _ in c] for c in cmds] == [
        ["a"],
        ["b"],
        ["c"],
        ["d"],
        ["e"],
        ["h", "i", "j k"],
        ["l"],
    ]
    assert cmds[5] == [("h", 2), ("i", 3), ("j k", 3)]


@pytest.mark.parametrize(
    "line",
    [
        "nox -s a b",
        "a&&b||c;d|e",
        "FOO=1 nox -s a > log.txt 2>&1",
        "x (y) z;;w",
        "~/.venv/bin/nox -s a*b? --x=./y",
        "  leading\ttabs  and  spaces  ",
        "a>>b<c|&d",
        "",
    ],
)
def test_fast_split_agrees_with_shlex(line: str) -> None:
    """Lines without quotes, escapes or comments skip shlex for speed; the words must not
    change."""
    import shlex

    from lane_tasks.steps.drift.shell_words import _split

    lex = shlex.shlex(line, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    assert _split(line) == list(lex)


# ---- this repository --------------------------------------------------------------------------


def test_this_repository_has_no_drift(tmp_path: Path) -> None:
    """lane_tasks holds itself to its own check: its README, .ci/run and noxfile agree (on a
    copy of its files, as the check writes its artifact and the history)."""
    r = run_cli(repo_copy(tmp_path / "lane-tasks"), "drift", "check", "--format", "json")
    assert "Traceback" not in r.stderr, r.stderr
    doc = json.loads(r.stdout)
    assert [f for f in doc["findings"] if f["waived"] is None] == [], doc["findings"]
    assert r.returncode == 0
