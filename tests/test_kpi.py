"""The six KPIs on a generated history with known answers, imported through the real
`history import` into a real project, and computed by the real `lane-tasks kpi`; then on the
history real lane runs and real records leave behind."""

from __future__ import annotations

import json
import os
import sqlite3
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from helpers import commit_all, make_project, run_cli, run_nox, write
from history_data import NOW, generated, week


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = make_project(tmp_path)
    data = tomllib.loads((root / "lanes.toml").read_text())
    data["kpi"] = {"min_sample": 2}
    (root / "lanes.toml").write_text(tomli_w.dumps(data))
    commit_all(root, "kpi settings")
    return root


def imported(root: Path, tmp_path: Path) -> None:
    """The generated history, through `history import`, and its events, through `events
    import`: the two real ways data gets into a history."""
    h = generated()
    r = run_cli(root, "history", "import", str(h.write(tmp_path / "h.jsonl")))
    assert r.returncode == 0, r.stderr
    events = tmp_path / "events.jsonl"
    events.write_text("".join(json.dumps(e) + "\n" for e in h.events))
    r = run_cli(root, "events", "import", str(events))
    assert r.returncode == 0, r.stderr


def kpis(root: Path, *args: str, now: str | None = NOW) -> dict[str, dict[str, Any]]:
    r = run_cli(root, "kpi", "--all", "--format", "json", *(["--now", now] if now else []), *args)
    assert r.returncode == 0, r.stderr
    return {k["id"]: k for k in json.loads(r.stdout)["kpis"]}


def test_every_kpi_is_unknown_with_its_reason_on_an_empty_history(project: Path) -> None:
    for k in kpis(project).values():
        assert k["status"] == "unknown" and k["value"] is None, k
        assert k["sample"] == 0 and k["reason"].startswith("no "), k
        assert all(p["value"] is None for p in k["trend"])


def test_the_six_kpis_of_a_generated_history(project: Path, tmp_path: Path) -> None:
    imported(project, tmp_path)
    got = kpis(project)

    fts = got["first-time-success-rate"]
    assert (fts["value"], fts["sample"]) == (0.75, 4)
    assert fts["display"] == "75%"

    mdt = got["median-release-decision-time"]
    # 1.0.0: 2 h; 0.5.0: 30 min (its first, superseded decision counts); median of the two
    assert (mdt["value"], mdt["sample"]) == ((7200.0 + 1800.0) / 2, 2)
    assert mdt["detail"] == {"decisions_without_a_gate_release_run": 2}

    frg = got["failed-release-gate-frequency"]
    assert (frg["value"], frg["sample"]) == (2 / 5, 5)  # r1 failed, r7 errored
    trend = {p["period"]: p for p in frg["trend"]}
    assert trend[week(10)]["value"] == pytest.approx(1 / 3) and trend[week(10)]["sample"] == 3
    assert trend[week(25)]["value"] == 0.5 and trend[week(20)]["value"] is None
    assert frg["direction"] == "up" and frg["better"] == "down"  # worse: fewer pass

    mtt = got["mean-time-to-triage"]
    assert (mtt["value"], mtt["sample"]) == ((3 + 28) * 3600 / 2, 2)
    assert mtt["detail"] == {"untriaged_streaks": 1}
    assert mtt["display"] == "15.5 h"

    rr = got["rollback-rate"]
    assert (rr["value"], rr["sample"]) == (1 / 3, 3)

    dac = got["docs-to-adoption-conversion"]
    assert (dac["value"], dac["sample"]) == (0.2, 10)
    assert dac["detail"] == {"adoptions": 2}
    weeks = {p["period"]: p for p in dac["trend"]}
    assert weeks[week(23)]["value"] == 0.5  # W09: views on days 23 and 24, one adoption
    assert weeks[week(20)]["value"] == 0.0  # W08: three views, no adoption


def test_the_window_and_the_minimum_sample(project: Path, tmp_path: Path) -> None:
    imported(project, tmp_path)
    got = kpis(project, "--since", "2026-02-15")
    # only (lib, ana) and (lib, cy) had their first run since Feb 15: both passed
    assert (got["first-time-success-rate"]["value"], got["first-time-success-rate"]["sample"]) == (
        1.0,
        2,
    )
    assert got["first-time-success-rate"]["window"]["since"].startswith("2026-02-15")
    # one decided version is left since Feb 15 (0.5.0): fewer than kpi.min_sample = 2
    mdt = got["median-release-decision-time"]
    assert mdt["status"] == "unknown" and mdt["value"] is None and mdt["sample"] == 1
    assert "too little data" in mdt["reason"] and "kpi.min_sample = 2" in mdt["reason"]
    # text output names the reason too
    text = run_cli(project, "kpi", "--all", "--since", "2026-02-15", "--now", NOW).stdout
    assert "median-release-decision-time" in text and "too little data" in text


def test_a_lane_shows_its_own_and_inherited_kpis_and_repo_filters(
    project: Path, tmp_path: Path
) -> None:
    imported(project, tmp_path)
    r = run_cli(project, "kpi", "--lane", "scale", "--format", "json", "--now", NOW)
    ids = [k["id"] for k in json.loads(r.stdout)["kpis"]]
    assert ids == [
        "first-time-success-rate",
        "median-release-decision-time",
        "failed-release-gate-frequency",
        "mean-time-to-triage",
    ]
    app = kpis(project, "--repo", "acme/app")
    assert app["first-time-success-rate"]["sample"] == 2  # (app, ana) and (app, bo)
    assert app["first-time-success-rate"]["value"] == 0.5


@pytest.mark.e2e
def test_kpis_from_real_runs_and_real_records(project: Path) -> None:
    """A failing lane, its triage, a passing lane, a go decision and its rollback: the KPIs
    the real commands leave behind, with kpi.min_sample = 2 (one-off values stay unknown)."""
    env_a = {"LANE_TASKS_ACTOR": "ana@example.org"}
    good = (project / "tests" / "test_add.py").read_text()
    write(project, "tests/test_add.py", good.replace("== 3", "== 4"))
    commit_all(project, "break a test")
    failed = run_nox(project, "-s", "startup", env={**os.environ, **env_a})
    assert failed.returncode != 0
    runs = json.loads(run_cli(project, "runs", "list", "--format", "json").stdout)
    run_id = runs[0]["id"]
    tri = run_cli(project, "triage", "--run", run_id, "--owner", "ana", "--note", "a bad test")
    assert tri.returncode == 0, tri.stderr
    assert (project / "release-evidence" / "triage" / f"{run_id}.json").is_file()
    write(project, "tests/test_add.py", good)
    commit_all(project, "fix the test")
    ok = run_nox(project, "-s", "startup", env={**os.environ, "LANE_TASKS_ACTOR": "bo"})
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "KPIs (startup)" in ok.stdout  # the lane shows its emphasised KPIs

    got = kpis(project, now=None)  # the runs happened just now
    # ana's first run failed, bo's passed: 1 of 2 pairs
    assert (got["first-time-success-rate"]["value"], got["first-time-success-rate"]["sample"]) == (
        0.5,
        2,
    )
    # gate-release did not run in the failed lane (gate fast aborted it): one run, too few
    frg = got["failed-release-gate-frequency"]
    assert frg["sample"] == 1 and frg["status"] == "unknown"
    mtt = got["mean-time-to-triage"]
    assert mtt["sample"] == 1 and mtt["detail"] == {"untriaged_streaks": 0}


def test_kpi_review_records_the_computed_values(project: Path, tmp_path: Path) -> None:
    imported(project, tmp_path)
    r = run_cli(project, "kpi", "review", "--reviewer", "ana", "--lane", "startup", "--now", NOW)
    assert r.returncode == 0, r.stderr
    doc = json.loads(
        next((project / "release-evidence" / "kpi-reviews").glob("*.json")).read_text()
    )
    seen = {k["id"]: k for k in doc["kpis"]}
    assert seen["first-time-success-rate"]["value"] == 0.75
    assert seen["first-time-success-rate"]["sample"] == 4
    assert seen["median-release-decision-time"]["value"] == 4500.0


def test_reading_kpis_the_dashboard_or_an_export_never_writes_the_history(
    project: Path, tmp_path: Path
) -> None:
    """This repository's records are read from its evidence directory as it is now, beside
    the records imported histories brought; reading puts none of them into the history file."""
    imported(project, tmp_path)
    r = run_cli(project, "kpi", "review", "--reviewer", "ana", "--lane", "startup", "--now", NOW)
    assert r.returncode == 0, r.stderr
    history = project / "build" / "lanes" / "history.sqlite"

    def stored() -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(history)
        try:
            return sorted(conn.execute("SELECT * FROM records").fetchall())
        finally:
            conn.close()

    before = stored()
    assert before and not [row for row in before if row[1] == "kpi-review"]
    assert kpis(project)["first-time-success-rate"]["value"] == 0.75
    assert run_cli(project, "dashboard", "--out", "build/dash.html").returncode == 0
    out = project / "build" / "export.jsonl"
    r = run_cli(project, "history", "export", "--out", "build/export.jsonl")
    assert r.returncode == 0, r.stderr
    exported = [json.loads(line) for line in out.read_text().splitlines()]
    reviews = [e for e in exported if e["type"] == "record" and e["kind"] == "kpi-review"]
    assert [e["key"].rsplit("/", 2)[-2] for e in reviews] == ["kpi-reviews"]
    imported_repos = {e["repo"] for e in exported if e["type"] == "record"}
    assert {row[0] for row in before} <= imported_repos  # the other repositories' records too
    assert stored() == before
