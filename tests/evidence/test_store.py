"""The run store: run records tell the truth about time and about how a run ended (the
manifest dates the run from its nox invocation, not from its first artifact; its duration is the
run's; a run stopped by SIGINT/SIGTERM is listed as interrupted, not as an error), and retention
never deletes a run still in flight (issue 12 part 13)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import make_project

from lane_tasks.cli import main
from lane_tasks.config import load_config
from lane_tasks.evidence.history import open_history
from lane_tasks.evidence.history_record import record_step
from lane_tasks.evidence.lease import NOX_PID_ENV
from lane_tasks.evidence.store import (
    MANIFEST,
    finish_run,
    list_runs,
    mark_run_started,
    new_run_id,
    record_artifact,
    run_dir,
    runs_root,
    shown_status,
)
from lane_tasks.project.git import subject as repo_subject

SUBJECT = {"commit": "a" * 40, "dirty": False}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("runs"))


def _runs_list(root: Path, capsys: pytest.CaptureFixture[str], *fmt: str) -> str:
    capsys.readouterr()
    assert main(["--config", str(root / "lanes.toml"), "runs", "list", *fmt]) == 0
    return capsys.readouterr().out


def _step_doc(step: str, status: str) -> dict[str, object]:
    return {"step": step, "status": status, "subject": SUBJECT, "results": []}


def test_manifest_duration_is_the_runs_not_the_last_steps(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 74 s run whose first artifact is written at 73 s lasted 74 s, not 1 s."""
    config = load_config(project / "lanes.toml")
    began = datetime.now(UTC) - timedelta(seconds=74)
    run_id = new_run_id(began)
    monkeypatch.setenv("LANE_TASKS_RUN_STARTED", "")
    mark_run_started(run_id, began)  # what the nox invocation does when it makes the run id
    record_artifact(
        config, run_id, step="gate-fast", name="gate-fast.json", text="{}", status="pass",
        subject=SUBJECT, started=began + timedelta(seconds=1),
    )  # fmt: skip
    finish_run(config, run_id, lane="startup")
    manifest = next(r.manifest for r in list_runs(config) if r.id == run_id)
    assert manifest is not None
    assert datetime.fromisoformat(manifest["run"]["started_at"]) == began.replace(
        microsecond=began.microsecond // 1000 * 1000
    )
    assert 74 <= manifest["run"]["duration_s"] < 80
    rows = json.loads(_runs_list(project, capsys, "--format", "json"))
    row = next(r for r in rows if r["id"] == run_id)
    assert 74 <= row["duration_s"] < 80 and row["started_at"] == manifest["run"]["started_at"]
    line = next(x for x in _runs_list(project, capsys).splitlines() if x.startswith(run_id))
    assert "74 s" in line or "1 min 1" in line


def test_runs_list_text_names_its_columns(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A person reading `runs list` learns that the id is the run's UTC start and which
    column is its duration: a header above the rows, none when there is no run."""
    config = load_config(project / "lanes.toml")
    run_id = new_run_id(datetime.now(UTC))
    record_artifact(
        config, run_id, step="gate-fast", name="gate-fast.json", text="{}", status="pass",
        subject=SUBJECT,
    )  # fmt: skip
    finish_run(config, run_id, lane="startup")
    head, *rows = _runs_list(project, capsys).splitlines()
    assert head.split() == ["RUN", "(UTC", "START)", "LANE", "STATUS", "TOOK", "COMMIT", "STEPS"]
    row = next(x for x in rows if x.startswith(run_id))
    assert head.index("TOOK") + len("TOOK") == row.index(" s  ") + len(" s"), "right-aligned"
    assert row.index("startup") == head.index("LANE")


def test_run_start_is_its_first_steps_without_a_nox_invocation(project: Path) -> None:
    """Without the nox invocation's time (a step run by hand with --run-id), the run began
    when its earliest step began: a step recorded later that started earlier moves it back."""
    config = load_config(project / "lanes.toml")
    first = datetime(2026, 11, 30, 9, 0, 10, tzinfo=UTC)
    run_id = new_run_id(first)
    for step, began in (("doctor", first), ("gate-fast", first - timedelta(seconds=5))):
        record_artifact(
            config, run_id, step=step, name=f"{step}.json", text="{}", status="pass",
            subject=SUBJECT, started=began,
        )  # fmt: skip
    manifest = next(r.manifest for r in list_runs(config) if r.id == run_id)
    assert manifest is not None
    assert manifest["run"]["started_at"] == "2026-11-30T09:00:05.000+00:00"


def test_interrupted_run_is_listed_as_interrupted(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = load_config(project / "lanes.toml")
    run_id = new_run_id()
    record_artifact(
        config, run_id, step="gate-fast", name="gate-fast.json", text="{}", status="error",
        subject=SUBJECT,
    )  # fmt: skip
    finish_run(config, run_id, lane="startup", state="interrupted")
    manifest = next(r.manifest for r in list_runs(config) if r.id == run_id)
    assert manifest is not None and manifest["status"] == "error"  # as evidence: no pass
    assert shown_status(manifest) == "interrupted"
    rows = json.loads(_runs_list(project, capsys, "--format", "json"))
    row = next(r for r in rows if r["id"] == run_id)
    assert (row["status"], row["state"]) == ("interrupted", "interrupted")
    line = next(x for x in _runs_list(project, capsys).splitlines() if x.startswith(run_id))
    assert " interrupted " in line and " error " not in line


def test_history_dates_a_run_by_its_start(project: Path) -> None:
    """The history's run row starts when the run did, whichever step is recorded first."""
    config = load_config(project / "lanes.toml")
    began = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    run_id = new_run_id(began)
    step_start = began + timedelta(seconds=60)
    record_step(
        config, _step_doc("gate-fast", "pass"), run_id=run_id, source="nox", lane="startup",
        started_at=step_start, ended_at=step_start + timedelta(seconds=13), run_started_at=began,
    )  # fmt: skip
    record_step(
        config, _step_doc("controls", "pass"), run_id=run_id, source="nox", lane="startup",
        started_at=step_start + timedelta(seconds=13),
        ended_at=step_start + timedelta(seconds=14),
    )  # fmt: skip
    with open_history(config) as conn:
        row = conn.execute(
            "SELECT started_at, ended_at FROM runs WHERE run_id = ?", (run_id,)
        ).fetchone()
    assert row["started_at"] == "2026-11-30T08:00:00.000+00:00"
    assert row["ended_at"] == "2026-11-30T08:01:14.000+00:00"


def test_interrupted_gate_release_is_no_failed_gate(tmp_path: Path) -> None:
    """A gate release stopped by Ctrl-C gave no verdict: the failed-gate KPI leaves it out
    (a gate that had failed before the run was stopped still counts)."""
    from history_data import History, t

    from lane_tasks.kpi.compute import compute_kpis
    from lane_tasks.kpi.history_exchange import import_files

    root = make_project(tmp_path)
    config = load_config(root / "lanes.toml")
    h = History()
    stopped = h.run("acme/app", "startup", "error", "ana", t(3), state="interrupted")
    h.gate_release("acme/app", stopped, "error", t(3), "1.0.0")
    failed_then_stopped = h.run("acme/app", "startup", "error", "ana", t(4), state="interrupted")
    h.gate_release("acme/app", failed_then_stopped, "fail", t(4), "1.0.0")
    passed = h.run("acme/app", "startup", "pass", "ana", t(5))
    h.gate_release("acme/app", passed, "pass", t(5), "1.0.0")
    import_files(config, [h.write(tmp_path / "h.jsonl")])
    (frg,) = compute_kpis(
        config, ["failed-release-gate-frequency"], now=datetime(2026, 3, 2, tzinfo=UTC)
    )
    assert frg.sample == 2  # not 3: the stopped one is no failed gate
    assert frg.detail == {} and "2 gate-release runs" in (frg.reason or "")


def test_keep_one_does_not_prune_run_in_flight(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path)
    toml = root / "lanes.toml"
    toml.write_text(toml.read_text().replace("keep = 50", "keep = 1"))
    config = load_config(toml)
    assert config.runs_keep == 1
    monkeypatch.setenv(NOX_PID_ENV, str(os.getpid()))  # lane A's nox: alive
    subject = repo_subject(config.root, (config.artifacts_dir,)).to_json()
    a = "20260101T000000Z-aaaaaa"
    record_artifact(config, a, step="doctor", name="doctor.json", text="{}", status="pass",
                    subject=subject, lane="startup")  # fmt: skip
    assert json.loads((run_dir(config, a) / MANIFEST).read_text())["run"]["state"] == "running"
    # lane B, at once: lane A's next step is creating its directory (no manifest yet)
    c = run_dir(config, "20260101T000001Z-cccccc")
    c.mkdir()
    (c / "gate-fast.json").write_text("{}")
    b = "20260101T000002Z-bbbbbb"
    record_artifact(config, b, step="doctor", name="doctor.json", text="{}", status="pass",
                    subject=subject, lane="startup")  # fmt: skip
    kept = sorted(p.name for p in runs_root(config).iterdir())
    assert kept == sorted([a, b, c.name]), kept
    # a run whose process is gone is pruned as before
    doc = json.loads((run_dir(config, a) / MANIFEST).read_text())
    doc["pid"] = 2**22 + 12345
    (run_dir(config, a) / MANIFEST).write_text(json.dumps(doc))
    record_artifact(config, b, step="gate-fast", name="gate-fast.json", text="{}",
                    status="pass", subject=subject, lane="startup")  # fmt: skip
    assert not run_dir(config, a).exists()


def test_two_runs_begun_in_the_same_second_list_in_the_order_they_began(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lane stopped after one second and run again starts in the same second: the run ids'
    random suffixes must not decide which one is the latest (it was the flaky half of CI)."""
    config = load_config(make_project(tmp_path) / "lanes.toml")
    second = datetime(2026, 12, 4, 12, 0, 0, tzinfo=UTC)
    # the suffix of the run begun first sorts after the other's: name order alone is wrong
    for run_id, began in (
        ("20261204T120000Z-ffffff", second + timedelta(milliseconds=100)),
        ("20261204T120000Z-000000", second + timedelta(milliseconds=900)),
    ):
        monkeypatch.setenv("LANE_TASKS_RUN_STARTED", "")
        mark_run_started(run_id, began)
        record_artifact(
            config, run_id, step="gate-fast", name="gate-fast.json", text="{}", status="pass",
            subject=SUBJECT, started=began,
        )  # fmt: skip
        finish_run(config, run_id, lane="startup")
    assert [r.id for r in list_runs(config)] == [
        "20261204T120000Z-000000",
        "20261204T120000Z-ffffff",
    ]


def test_run_ids_sort_by_the_millisecond_their_runs_began() -> None:
    second = datetime(2026, 12, 4, 12, 0, 0, tzinfo=UTC)
    times = [second + timedelta(milliseconds=ms) for ms in (0, 1, 15, 16, 255, 256, 998, 999)]
    ids = [new_run_id(t) for t in times for _ in range(3)]
    assert [i[:20] for i in sorted(ids)] == [i[:20] for i in ids]  # in the order they began
    assert ids[-1].startswith("20261204T120000Z-3e7")
    config = load_config(Path(__file__).parents[2] / "lanes.toml")
    assert all(run_dir(config, i).name == i for i in ids)  # what --run-id accepts
