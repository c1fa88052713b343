"""Make a golden run of the regulated lane and copy its stable artifacts to OUTDIR.

    python tests/golden/make_golden.py OUTDIR

It builds a small deterministic project in a temporary directory (the shape of
tests/helpers.py's make_project, governed as tests/e2e/test_regulated_lane.py governs it),
runs `nox -s regulated` there with the interpreter running this script, and copies the
artifacts the lane writes with `--stable-json` into OUTDIR. tests/e2e/test_golden_run.py
compares them, byte for byte, with the goldens in tests/golden/regulated/ (made by this
script: with the code before the re-layering of issue 14, then anew for issue 15's release
checks; see that test): the same inputs must give the same bytes.

Only the public front doors are used (`python -m lane_tasks`, `python -m nox`), never an import
of lane_tasks, so the script runs unchanged against the old layout and the new one. Every input
is fixed: file contents, git identity and dates, the clock ($LANE_TASKS_NOW), no global or
system git configuration, a private HOME and cache directory.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import tomllib
from pathlib import Path

import tomli_w

NAME = "sample"
OWNER = "lead@example.org"
NOW = "2026-01-15T12:00:00Z"
GIT_DATE = "2026-01-15T10:00:00+00:00"
SNAPSHOT = {
    "schema": "lane-tasks/compat-snapshot",
    "schema_version": "1.0",
    "cli": {"sample": ["--verbose"], "sample report": ["--format"]},
    "schemas": {"report": {"title": {"type": ["string"], "required": True}}},
}
STABLE = (
    "drift-check.json",
    "contract-index.json",
    "contract-index.intoto.json",
    "controls.json",
)
"""The artifacts the lane writes with `--stable-json` (the steps the catalog marks stable, and
the controls step) and the contract index's in-toto statement (its predicate is the stable
index), at the top of the artifacts directory."""


def environment(home: Path) -> dict[str, str]:
    """The subprocesses' environment: this one without anything that could reach in (git
    configuration, a CI's variables, a Python path), plus fixed identity, dates and clock."""
    keep = ("PATH", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    gitconfig = home / "gitconfig"
    gitconfig.write_text("", encoding="utf-8")
    env.update(
        {
            "HOME": str(home),
            "XDG_CACHE_HOME": str(home / "cache"),
            "XDG_CONFIG_HOME": str(home / "config"),
            "GIT_CONFIG_GLOBAL": str(gitconfig),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Lane Tester",
            "GIT_AUTHOR_EMAIL": "tester@example.org",
            "GIT_COMMITTER_NAME": "Lane Tester",
            "GIT_COMMITTER_EMAIL": "tester@example.org",
            "GIT_AUTHOR_DATE": GIT_DATE,
            "GIT_COMMITTER_DATE": GIT_DATE,
            "LANE_TASKS_NOW": NOW,
            "SOURCE_DATE_EPOCH": "1768471200",  # GIT_DATE: reproducible sdist and wheel
            "TZ": "UTC",
            "PYTHONHASHSEED": "0",
            "PYTHONDONTWRITEBYTECODE": "1",  # no __pycache__ to dirty the tree gate release checks
            "NO_COLOR": "1",
        }
    )
    return env


def run(cwd: Path, env: dict[str, str], *argv: str) -> str:
    r = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r.stdout


def write(root: Path, rel: str, text: str) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def commit(root: Path, env: dict[str, str], message: str) -> None:
    run(root, env, "git", "add", "-A")
    run(root, env, "git", "commit", "-q", "--allow-empty", "-m", message)


def make_project(root: Path, env: dict[str, str]) -> None:
    """tests/helpers.py's make_project (clean: ruff, mypy and pytest all pass), adopted with
    `lane-tasks init --lane regulated` (its governance scaffold: no git identity, so a
    placeholder team contact and no release owner) and its artifacts in build/ as seed_layout
    puts them. The commit holds init's lanes.toml and noxfile.py, so the subject commit every
    artifact names covers their bytes too."""
    root.mkdir(parents=True)
    run(root, env, "git", "init", "-q", "-b", "main")
    write(
        root,
        "pyproject.toml",
        f"""
        [build-system]
        requires = ["flit_core>=3.12"]
        build-backend = "flit_core.buildapi"

        [project]
        name = "{NAME}"
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
    write(root, "README.md", f"# {NAME}\n\nA sample project.\n")
    write(root, "CHANGELOG.md", "# Changelog\n\n## 0.1.0\n\n- First release.\n")
    body = 'def add(a: int, b: int) -> int:\n    """Return the sum."""\n    return a + b\n'
    write(root, f"{NAME}/__init__.py", f'"""{NAME}: adds numbers."""\n\n\n{body}')
    write(
        root,
        "tests/test_add.py",
        f"""
        from {NAME} import add


        def test_add() -> None:
            assert add(1, 2) == 3
        """,
    )
    run(root, env, sys.executable, "-m", "lane_tasks", "init", "--lane", "regulated")
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
    # CI that runs the lane: drift's CI family and doctor's ci-invokes-lane read it (both
    # codes find it in the same well-known place, so their findings are compared, not skipped)
    write(
        root,
        ".github/workflows/ci.yml",
        """
        on: [push]
        jobs:
          lanes:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: python -m nox -s regulated
        """,
    )
    commit(root, env, "initial")


def govern(root: Path, env: dict[str, str]) -> None:
    """tests/e2e/test_regulated_lane.py's governed_config: every table the regulated controls
    read, a compatibility snapshot, a migration runbook and a KPI review."""
    config = tomllib.loads((root / "lanes.toml").read_text(encoding="utf-8"))
    config["project"]["release_owners"] = [OWNER]
    config["project"]["default_lane"] = "regulated"
    config["gate"]["release"] = {"offline": True}
    config["teams"] = {
        "maintainers": {"contact": "maintainers@example.org"},
        "platform": {"contact": "platform@example.org"},
        "release": {"contact": "release@example.org"},
    }
    shown = run(
        root, env, sys.executable, "-m", "lane_tasks", "lanes", "show", "regulated",
        "--format", "json",
    )  # fmt: skip
    resolved = json.loads(shown)
    config["ownership"] = {
        "steps": {s["id"]: "platform" for s in resolved["steps"]},
        "controls": {c["id"]: "release" for c in resolved["controls"]},
    }
    config["support"] = {
        "levels": ["sev1", "sev2", "sev3", "sev4"],
        "severity": {
            "sev1": {"ack": "15m", "resolve": "4h", "escalation": "platform"},
            "sev2": {"ack": "1h", "resolve": "1d", "escalation": "platform"},
            "sev3": {"ack": "4h", "resolve": "3d", "escalation": "release"},
            "sev4": {"ack": "1d", "resolve": "2w", "escalation": "release"},
        },
    }
    config["kpi"] = {"review_period_days": 7}
    config["compat"] = {"source": "file"}
    config["deprecations"] = {
        "min_window_minors": 2,
        "items": [
            {
                "item": "cli:sample --verbose",
                "announced_in": "0.1.0",
                "remove_in": "0.3.0",
                "runbook": "docs/migrations/verbose.md",
            }
        ],
    }
    (root / "lanes.toml").write_text(tomli_w.dumps(config), encoding="utf-8")
    write(root, "compat-snapshot.json", json.dumps(SNAPSHOT, indent=2) + "\n")
    write(root, "docs/migrations/verbose.md", "# --verbose\n\nUse `--log-level debug`.\n")
    commit(root, env, "governance")
    run(
        root, env, sys.executable, "-m", "lane_tasks", "kpi", "review", "--reviewer", OWNER,
        "--notes", "first review",
    )  # fmt: skip
    commit(root, env, "kpi review")


RUN_ID = re.compile(r"\b\d{8}T\d{6}Z-[0-9a-f]{6}\b")
"""A run id: the wall-clock time the nox invocation began and a random token (store.new_run_id),
neither of which $LANE_TASKS_NOW or anything else outside the code fixes."""
RUN = "<any-run-id>"

UNREPRODUCIBLE = (
    "build/lanes/runs/<any-run-id>/gate-fast.json",
    "build/lanes/runs/<any-run-id>/release-preflight.json",
    "build/lanes/runs/<any-run-id>/doctor.json",
    "build/lanes/runs/<any-run-id>/gate-fast/*.junit.xml",
    "build/lanes/runs/<any-run-id>/gate-fast/pytest.log",
)
"""Files the contract index hashes whose bytes differ between two runs of the same code on the
same inputs: the steps the lane runs without
`--stable-json` (their `run` block and durations), and the kept JUnit files and pytest log
(timestamps, "1 passed in 1.38s"). Every other indexed file, the sdist, the wheel and the SBOM
included, is compared: the project builds with flit-core, which honours SOURCE_DATE_EPOCH (the
regulated lane's reproducible-build control holds it to that)."""

VARIES = "<varies>"


def normalise(name: str, text: str) -> str:
    """The one normalisation, applied alike to the old code's output and the new one's.

    1. Every run id becomes `<any-run-id>` (controls.json's verified_run, the contract index's
       indexed_run and its run-store paths).
    2. In the contract index, and in the in-toto statement (its subjects and its predicate, the
       index), each UNREPRODUCIBLE file's sha256 and size, and the byte count in its result's
       message, become `<varies>`; its path, kind, schema, step, lane and commit stay.

    Nothing else changes: no absolute path, time or duration is in a stable artifact. Step 2
    re-serialises the document only when its text is exactly canonical JSON (sorted keys,
    2-space indent, trailing newline, as the tool writes it); otherwise the text is left as it
    is, so the byte comparison still shows any difference of form."""
    text = RUN_ID.sub(RUN, text)
    if name not in ("contract-index.json", "contract-index.intoto.json"):
        return text
    doc = json.loads(text)
    if _canonical(doc) != text:
        return text
    index = doc["predicate"] if name == "contract-index.intoto.json" else doc
    varies = {e["path"] for e in index["entries"] if _unreproducible(e["path"])}
    for entry in index["entries"]:
        if entry["path"] in varies:
            entry["sha256"] = entry["size"] = VARIES
    for result in index["results"]:
        if result["id"] in varies:
            result["message"] = re.sub(r"\d+ bytes$", f"{VARIES} bytes", result["message"])
    if index is not doc:  # the statement: its subjects are the index's files
        for subject in doc["subject"]:
            if subject["name"] in varies:
                subject["digest"]["sha256"] = VARIES
    return _canonical(doc)


def _canonical(doc: object) -> str:
    return json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def _unreproducible(path: str) -> bool:
    return any(fnmatch.fnmatchcase(path, pattern) for pattern in UNREPRODUCIBLE)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write("usage: make_golden.py OUTDIR\n")
        return 2
    out = Path(argv[0]).resolve()
    with tempfile.TemporaryDirectory(prefix="lane-golden-") as tmp:
        base = Path(tmp)
        home = base / "home"
        home.mkdir()
        env = environment(home)
        root = base / NAME
        make_project(root, env)
        govern(root, env)
        run(root, env, sys.executable, "-m", "nox", "-s", "regulated")
        out.mkdir(parents=True, exist_ok=True)
        for name in STABLE:
            text = (root / "build" / name).read_bytes().decode("utf-8")
            (out / name).write_bytes(normalise(name, text).encode("utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
