"""The run history on real lane runs: what every step and run records, export and import
(idempotent, all or nothing), run manifests, concurrent writers, triage, rollbacks, events."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO_ROOT, Templates, commit_all, make_project, run_cli, run_nox, write

HISTORY = Path("build/lanes/history.sqlite")


def rows(root: Path, sql: str, *params: Any) -> list[dict[str, Any]]:
    conn = sqlite3.connect(root / HISTORY)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def env(**extra: str) -> dict[str, str]:
    """A laptop's environment (no CI variables), plus `extra`."""
    out = {k: v for k, v in os.environ.items() if k not in ("CI", "GITHUB_ACTIONS", "GITLAB_CI")}
    return out | extra


def _laptop_run(d: Path) -> Path:
    """A project that ran `nox -s startup` once on a laptop."""
    root = make_project(d)
    r = run_nox(root, "-s", "startup", env=env())
    assert r.returncode == 0, r.stdout + r.stderr
    return root


def _failed_run(d: Path) -> Path:
    """A project whose test fails, after one `nox -s startup` on a laptop."""
    root = make_project(d, failing_test=True)
    assert run_nox(root, "-s", "startup", env=env()).returncode != 0
    return root


@pytest.fixture
def project(templates: Templates, tmp_path: Path) -> Path:
    """A copy of `make_project`'s project, before any run."""
    return templates.copy("history-project", make_project, tmp_path)


def _other(d: Path) -> Path:
    return make_project(d, "other")


@pytest.fixture
def other(templates: Templates, tmp_path: Path) -> Path:
    """A copy of a second project, "other", before any run (its own directory in tmp_path)."""
    return templates.copy("history-other", _other, tmp_path / "other-project")


@pytest.fixture
def failed_lane(templates: Templates, tmp_path: Path) -> Path:
    """A copy of a project after one failed `nox -s startup` (its test fails)."""
    return templates.copy("history-failed-run", _failed_run, tmp_path)


@pytest.fixture(scope="module")
def laned(templates: Templates, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project that ran `nox -s startup` once on a laptop, then once "in CI"."""
    root = templates.copy("history-laptop-run", _laptop_run, tmp_path_factory.mktemp("h"))
    r = run_nox(
        root, "-s", "startup", env=env(CI="true", GITHUB_ACTIONS="true", GITHUB_ACTOR="bot")
    )
    assert r.returncode == 0, r.stdout + r.stderr
    return root


@pytest.mark.e2e
def test_a_lane_run_records_its_run_and_every_step(laned: Path) -> None:
    runs = rows(laned, "SELECT * FROM runs ORDER BY started_at")
    assert [(r["source"], r["lane"], r["status"], r["state"]) for r in runs] == [
        ("nox", "startup", "pass", "complete")
    ] * 2
    laptop, ci = runs
    assert laptop["actor"] == "tester@example.org" and laptop["ci"] is None  # git user.email
    assert ci["actor"] == "bot" and ci["ci"] == "github-actions"
    assert laptop["repo"] == "sample"  # no remote: the directory name
    assert laptop["commit_sha"] == ci["commit_sha"] and len(laptop["commit_sha"]) == 40
    assert laptop["version"] == "0.1.0"  # from the gate-release artifact
    assert laptop["started_at"] < laptop["ended_at"]
    steps = rows(
        laned, "SELECT * FROM steps WHERE run_id = ? ORDER BY started_at", laptop["run_id"]
    )
    assert [s["step"] for s in steps] == ["gate-fast", "gate-release", "doctor", "controls"]
    checks = json.loads(steps[0]["results"])
    assert [c["id"] for c in checks] == ["ruff-check", "ruff-format", "mypy", "pytest"]
    assert {c["status"] for c in checks} == {"pass"}
    manifest = json.loads(
        (laned / "build" / "lanes" / "runs" / laptop["run_id"] / "manifest.json").read_text()
    )
    assert manifest["repository"] == "sample" and manifest["actor"] == "tester@example.org"


@pytest.mark.e2e
def test_a_failed_lane_is_a_failed_finished_run(failed_lane: Path) -> None:
    root = failed_lane
    (run,) = rows(root, "SELECT * FROM runs")
    assert (run["status"], run["state"], run["lane"]) == ("fail", "complete", "startup")
    (step,) = rows(root, "SELECT * FROM steps")  # gate fast failed: nothing ran after it
    failing = [c for c in json.loads(step["results"]) if c["status"] == "fail"]
    assert [c["id"] for c in failing] == ["pytest"]
    manifest = next((root / "build" / "lanes" / "runs").glob("*/manifest.json"))
    assert json.loads(manifest.read_text())["run"]["state"] == "complete"


def test_a_cli_step_outside_nox_is_a_run_of_its_own(project: Path) -> None:
    root = project
    assert run_cli(root, "doctor", "--format", "json", env=env()).returncode == 0
    (run,) = rows(root, "SELECT * FROM runs")
    assert (run["source"], run["lane"], run["status"], run["state"]) == (
        "cli", None, "pass", "complete"
    )  # fmt: skip


@pytest.mark.e2e
def test_export_import_round_trip_is_idempotent(laned: Path, other: Path, tmp_path: Path) -> None:
    export = tmp_path / "export.jsonl"
    r = run_cli(
        laned,
        "history",
        "export",
        "--format",
        "jsonl",
        "--out",
        str(export),
        "--allow-outside-root",
    )
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in export.read_text().splitlines()]
    assert {x["type"] for x in lines} == {"run", "step"}
    assert r.stdout == "" or "wrote" in r.stderr
    # the same history exports the same bytes
    again = run_cli(laned, "history", "export").stdout
    assert again == export.read_text()

    first = run_cli(other, "history", "import", str(export))
    assert first.returncode == 0, first.stderr
    assert f"{len(lines)} new row(s), 0 already there" in first.stdout
    second = run_cli(other, "history", "import", str(export))
    assert f"0 new row(s), {len(lines)} already there" in second.stdout
    assert len(rows(other, "SELECT * FROM runs WHERE repo = 'sample'")) == 2
    # a history file imports as well, and adds nothing new either
    third = run_cli(other, "history", "import", str(laned / HISTORY))
    assert third.returncode == 0, third.stderr
    assert "0 new row(s)" in third.stdout


@pytest.mark.e2e
def test_importing_run_manifests(laned: Path, other: Path) -> None:
    run_dirs = sorted((laned / "build" / "lanes" / "runs").iterdir())
    r = run_cli(other, "history", "import", *map(str, run_dirs))
    assert r.returncode == 0, r.stderr
    got = rows(other, "SELECT * FROM runs ORDER BY started_at")
    want = rows(laned, "SELECT * FROM runs ORDER BY started_at")
    keys = ("repo", "run_id", "lane", "status", "commit_sha", "version", "actor", "ci")
    assert [[g[k] for k in keys] for g in got] == [[w[k] for k in keys] for w in want]
    steps = rows(other, "SELECT step, status FROM steps ORDER BY started_at")
    assert len(steps) == 8 and {s["status"] for s in steps} == {"pass"}
    r = run_cli(other, "history", "import", str(run_dirs[0] / "manifest.json"))
    assert "0 new row(s)" in r.stdout


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('{"type": "rn", "repo": "x"}', "type"),
        ('{"type": "run", "repo": "x", "run_id": "r", "source": "nox", "status": "pass", '
         '"state": "complete", "started_at": "yesterday"}', "started_at"),
        ('{"type": "run", "repo": "x", "run_id": "r", "source": "nox", "status": "green", '
         '"state": "complete", "started_at": "2026-01-01T00:00:00Z"}', "status"),
        ('{"type": "run", "repo": "x", "run_id": "r", "sorce": "nox"}', "sorce"),
        ('{"type": "record", "repo": "x", "kind": "triage", "key": "k", '
         '"at": "2026-01-01T00:00:00Z", "data": "{}"}', "data"),
    ],
)  # fmt: skip
def test_a_bad_history_line_names_file_line_and_key_and_imports_nothing(
    project: Path, tmp_path: Path, line: str, key: str
) -> None:
    root = project
    good = (
        '{"type": "run", "repo": "x", "run_id": "ok", "source": "nox", "status": "pass", '
        '"state": "complete", "started_at": "2026-01-01T00:00:00Z"}'
    )
    f = tmp_path / "bad.jsonl"
    f.write_text(f"{good}\n{line}\n")
    r = run_cli(root, "history", "import", str(f))
    assert r.returncode == 2, r.stdout
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert f"bad.jsonl:2: {key}:" in r.stderr
    assert not (root / HISTORY).exists() or rows(root, "SELECT * FROM runs") == []


def test_a_file_that_is_not_history(project: Path, tmp_path: Path) -> None:
    root = project
    f = tmp_path / "doc.json"
    f.write_text('{"schema": "lane-tasks/gate-fast"}')
    r = run_cli(root, "history", "import", str(f), str(tmp_path / "missing.jsonl"))
    assert r.returncode == 2 and "run manifest" in r.stderr and "Traceback" not in r.stderr
    r = run_cli(root, "history", "import", str(tmp_path / "missing.jsonl"))
    assert r.returncode == 2 and "missing.jsonl: cannot read" in r.stderr


WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from pathlib import Path
    from lane_tasks.config import load_config
    from lane_tasks.evidence.history_record import record_step

    config = load_config(Path(sys.argv[1]))
    who, n = sys.argv[2], int(sys.argv[3])
    for i in range(n):
        now = datetime.now(UTC)
        doc = {"step": "gate-fast", "status": "pass", "subject": {"commit": None},
               "results": [{"id": "c", "status": "pass"}]}
        record_step(config, doc, run_id=f"{who}-{i}", source="cli", lane=None,
                    started_at=now, ended_at=now)
    """
)


@pytest.mark.e2e
def test_two_concurrent_writers_lose_no_row(project: Path, tmp_path: Path) -> None:
    root = project
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(root / "lanes.toml"), who, "150"],
            cwd=REPO_ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in ("a", "b")
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    assert rows(root, "SELECT count(*) AS n FROM runs")[0]["n"] == 300
    assert rows(root, "SELECT count(*) AS n FROM steps")[0]["n"] == 300
    mode = rows(root, "PRAGMA journal_mode")[0]["journal_mode"]
    assert mode == "wal"


# ---- records --------------------------------------------------------------------------------


@pytest.mark.e2e
def test_triage_needs_a_known_failed_run(failed_lane: Path) -> None:
    root = failed_lane
    (failed,) = rows(root, "SELECT run_id FROM runs")
    unknown = run_cli(root, "triage", "--run", failed["run_id"][:-1] + "x", "--owner", "ana")
    assert unknown.returncode == 2 and "not in the history" in unknown.stderr
    assert f"did you mean '{failed['run_id']}'" in unknown.stderr
    ok = run_cli(root, "triage", "--run", failed["run_id"], "--owner", "ana", "--note", "flaky")
    assert ok.returncode == 0, ok.stderr
    record = json.loads(
        (root / "release-evidence" / "triage" / f"{failed['run_id']}.json").read_text()
    )
    assert (record["owner"], record["note"], record["run_status"]) == ("ana", "flaky", "fail")
    again = run_cli(root, "triage", "--run", failed["run_id"], "--owner", "bo")
    assert again.returncode == 2 and "already exists" in again.stderr
    # a passing run is not a failure to triage
    write(
        root,
        "tests/test_add.py",
        "from sample import add\n\n\ndef test_add() -> None:\n    assert add(1, 2) == 3\n",
    )
    commit_all(root, "fix")
    run_cli(root, "doctor", "--format", "json")
    passed = rows(root, "SELECT run_id FROM runs WHERE status = 'pass'")[0]["run_id"]
    green = run_cli(root, "triage", "--run", passed, "--owner", "ana")
    assert green.returncode == 2 and "did not fail" in green.stderr


@pytest.mark.e2e
def test_rollback_needs_a_go_decision_by_a_release_owner(
    templates: Templates, tmp_path: Path
) -> None:
    # the lane's run leaves the preflight a go needs; no decision is recorded yet
    root = templates.copy("history-laptop-run", _laptop_run, tmp_path)
    owners = tomllib.loads((root / "lanes.toml").read_text())["project"]["release_owners"]
    none = run_cli(root, "release", "rollback", "--version", "0.1.0", "--owner", owners[0],
                   "--reason", "broken")  # fmt: skip
    assert none.returncode == 2 and "no go decision" in none.stderr
    go = run_cli(root, "release", "decide", "--version", "0.1.0", "--decision", "go",
                 "--owner", owners[0])  # fmt: skip
    assert go.returncode == 0, go.stderr
    stranger = run_cli(root, "release", "rollback", "--version", "0.1.0", "--owner", "mallory",
                       "--reason", "x")  # fmt: skip
    assert stranger.returncode == 2 and "not a release owner" in stranger.stderr
    ok = run_cli(root, "release", "rollback", "--version", "0.1.0", "--owner", owners[0],
                 "--reason", "the wheel misses a module")  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    record = json.loads(
        (root / "release-evidence" / "releases" / "0.1.0" / "rollback.json").read_text()
    )
    assert record["reason"] == "the wheel misses a module" and record["owner"] == owners[0]
    kpi = json.loads(run_cli(root, "kpi", "--all", "--format", "json").stdout)
    rate = next(k for k in kpi["kpis"] if k["id"] == "rollback-rate")
    assert rate["sample"] == 1  # one go decision, rolled back (min_sample keeps it unknown)


def test_events_import_is_idempotent_and_validated(project: Path, tmp_path: Path) -> None:
    root = project
    f = tmp_path / "events.jsonl"
    f.write_text(
        '{"type": "docs-view", "at": "2026-02-01T10:00:00Z", "page": "/quickstart"}\n'
        "\n"
        '{"type": "adoption", "at": "2026-02-02T10:00:00Z", "repository": "acme/app"}\n'
    )
    first = run_cli(root, "events", "import", str(f))
    assert first.returncode == 0 and "2 new event(s), 0 already there" in first.stdout
    second = run_cli(root, "events", "import", str(f))
    assert "0 new event(s), 2 already there" in second.stdout
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "docs-view", "at": "2026-02-01T10:00:00Z"}\n{"type": "doc-view"}\n')
    r = run_cli(root, "events", "import", str(bad))
    assert r.returncode == 2 and "bad.jsonl:2: type:" in r.stderr
    assert "did you mean 'docs-view'" in r.stderr
    assert len(rows(root, "SELECT * FROM events")) == 2  # the bad file added nothing
