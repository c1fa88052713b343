"""History export and import: an import refuses what the history would misreport (conflicting
rows, steps of no run, times that run backwards) and reads its own one-line export (issue 12
part 13); a program's history merged from many repositories' exports says what its parts say."""

from __future__ import annotations

import json
import sqlite3
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from helpers import commit_all, make_project, run_cli
from history_data import NOW, generated

from lane_tasks import cli

RUN = {
    "type": "run", "repo": "x", "run_id": "r1", "source": "nox", "status": "pass",
    "state": "complete", "started_at": "2026-01-01T00:00:00Z", "ended_at": "2026-01-01T00:01:00Z",
}  # fmt: skip
STEP = {
    "type": "step", "repo": "x", "run_id": "r1", "step": "gate-fast", "status": "pass",
    "started_at": "2026-01-01T00:00:00Z", "ended_at": "2026-01-01T00:00:30Z", "results": "[]",
}  # fmt: skip


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("hi"))


def _import(root: Path, f: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(["--config", str(root / "lanes.toml"), "history", "import", str(f)])
    out = capsys.readouterr()
    return code, out.out, out.err.strip()


def _jsonl(path: Path, *objs: dict[str, str]) -> Path:
    path.write_text("".join(json.dumps(o) + "\n" for o in objs))
    return path


def _runs(root: Path) -> list[str]:
    db = root / "build" / "lanes" / "history.sqlite"
    if not db.exists():
        return []
    conn = sqlite3.connect(db)
    try:
        return [r[0] for r in conn.execute("SELECT run_id FROM runs WHERE repo = 'x'")]
    finally:
        conn.close()


def test_own_one_line_export_imports(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = tmp_path / "one.jsonl"
    one.write_text(json.dumps(RUN | {"run_id": "one-line"}, sort_keys=True) + "\n")
    code, out, err = _import(project, one, capsys)
    assert code == 0, err
    assert "1 new row(s)" in out
    assert "one-line" in _runs(project)


def test_conflicting_history_rows_are_reported(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = _jsonl(
        tmp_path / "c.jsonl",
        RUN | {"run_id": "c1"},
        RUN | {"run_id": "c1", "status": "fail"},
    )
    code, _, err = _import(project, f, capsys)
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert "c.jsonl:2" in err and "conflicts with" in err and "c.jsonl:1" in err
    assert "status" in err
    assert "c1" not in _runs(project)
    # and against a row already in the history
    assert _import(project, _jsonl(tmp_path / "a.jsonl", RUN | {"run_id": "c2"}), capsys)[0] == 0
    g = _jsonl(tmp_path / "b.jsonl", RUN | {"run_id": "c2", "status": "fail"})
    code, _, err = _import(project, g, capsys)
    assert code == 2 and "b.jsonl:1" in err and "already in the history" in err
    # the very same rows again are no conflict
    code, out, _ = _import(project, tmp_path / "a.jsonl", capsys)
    assert code == 0 and "0 new row(s), 1 already there" in out


def test_step_of_unknown_run_is_refused(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = _jsonl(tmp_path / "s.jsonl", RUN | {"run_id": "s1"}, STEP | {"run_id": "nowhere"})
    code, _, err = _import(project, f, capsys)
    assert code == 2
    assert "s.jsonl:2: run_id:" in err and "nowhere" in err
    assert "s1" not in _runs(project)
    # a step of a run in the same import, or already in the history, is fine
    ok = _jsonl(tmp_path / "ok.jsonl", STEP | {"run_id": "s2"}, RUN | {"run_id": "s2"})
    assert _import(project, ok, capsys)[0] == 0
    later = _jsonl(tmp_path / "later.jsonl", STEP | {"run_id": "s2", "step": "doctor"})
    assert _import(project, later, capsys)[0] == 0


@pytest.mark.parametrize("kind", ["run", "step"])
def test_end_before_start_is_refused(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    backwards = {"started_at": "2026-01-02T00:00:00Z", "ended_at": "2026-01-01T00:00:00Z"}
    run = RUN | {"run_id": f"b-{kind}"}
    step = STEP | {"run_id": f"b-{kind}"}
    f = _jsonl(tmp_path / "t.jsonl", run | (backwards if kind == "run" else {}), step)
    if kind == "step":
        f = _jsonl(tmp_path / "t.jsonl", step | backwards, run)
    code, _, err = _import(project, f, capsys)
    assert code == 2
    assert "t.jsonl:1: ended_at:" in err and "before started_at" in err
    assert f"b-{kind}" not in _runs(project)


@pytest.mark.parametrize(
    ("run", "step", "problem"),
    [
        ({"state": "interrupted"}, {}, "status: an interrupted run is an error"),
        ({"state": "paused"}, {}, "state: 'paused' is not one of"),
        ({}, {"status": "fail"}, "status: the run says pass although one of its steps is fail"),
        ({}, {"status": "error"}, "status: the run says pass although one of its steps is error"),
    ],
)
def test_run_status_contradicting_its_steps_is_refused(
    project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    run: dict[str, str],
    step: dict[str, str],
    problem: str,
) -> None:
    """A run row says what the history would say of it: never pass while interrupted or
    while one of its steps failed (in the same import, or already in the history)."""
    rid = f"c-{len(run)}-{step.get('status', '')}-{run.get('state', '')}"
    f = _jsonl(tmp_path / "c.jsonl", RUN | {"run_id": rid} | run, STEP | {"run_id": rid} | step)
    code, _, err = _import(project, f, capsys)
    assert code == 2, err
    assert f"c.jsonl:1: {problem}" in err, err
    assert rid not in _runs(project)
    if step:  # the failed step already in the history, the passing run imported later
        erred = RUN | {"run_id": rid, "status": "error"}
        assert (
            _import(
                project, _jsonl(tmp_path / "e.jsonl", erred, STEP | {"run_id": rid} | step), capsys
            )[0]
            == 0
        )
        passing = _jsonl(
            tmp_path / "p.jsonl", RUN | {"run_id": rid + "x"}, STEP | {"run_id": rid + "x"}
        )
        assert _import(project, passing, capsys)[0] == 0  # a consistent pair is fine


@pytest.mark.parametrize("column", ["started_at", "ended_at"])
def test_future_dated_history_row_is_refused(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], column: str
) -> None:
    """A run from 2999 would sit at the end of every KPI window for ever: a time beyond the
    clock skew is refused with file:line:key, and nothing is imported."""
    future = {"started_at": "2026-01-01T00:00:00Z", "ended_at": "2026-01-01T00:00:01Z"}
    future[column] = "2999-01-01T00:00:00Z"
    if column == "started_at":
        future["ended_at"] = "2999-01-01T00:00:01Z"
    run = RUN | {"run_id": "f-run"} | future
    f = _jsonl(tmp_path / "t.jsonl", run, STEP | {"run_id": "f-run"})
    code, _, err = _import(project, f, capsys)
    assert code == 2
    assert f"t.jsonl:1: {column}:" in err and "in the future" in err, err
    assert "f-run" not in _runs(project)


# ---- merged exports ------------------------------------------------------------------------------

# A program's history merged from many repositories' exports says what its parts say: one
# `history import` of several exports gives the KPIs that importing them one by one gives, and
# each KPI is its parts' KPIs combined (samples add up; a mean is its parts' weighted mean). The
# fast import path (rows batched per table, the history asked row by row only for repositories
# it already holds) must not change a number.

PARTS = 3


def _kpi_project(root: Path) -> Path:
    root = make_project(root)
    data = tomllib.loads((root / "lanes.toml").read_text())
    data["kpi"] = {"min_sample": 2}
    (root / "lanes.toml").write_text(tomli_w.dumps(data))
    commit_all(root, "kpi settings")
    return root


def _exports(tmp: Path) -> list[Path]:
    """The generated history as the export of PARTS programs' repositories: org-k/app and
    org-k/lib instead of acme/app and acme/lib (their record keys and triage records too)."""
    text = generated().write(tmp / "h.jsonl").read_text()
    out = []
    for k in range(PARTS):
        part = tmp / f"org-{k}.history.jsonl"
        part.write_text(text.replace('"acme/', f'"org-{k}/').replace('\\"acme/', f'\\"org-{k}/'))
        out.append(part)
    return out


def _import_all(root: Path, *files: Path) -> None:
    r = run_cli(root, "history", "import", *map(str, files))
    assert r.returncode == 0, r.stderr


def _kpis(root: Path, *args: str) -> dict[str, dict[str, Any]]:
    r = run_cli(root, "kpi", "--all", "--format", "json", "--now", NOW, *args)
    assert r.returncode == 0, r.stderr
    return {k["id"]: k for k in json.loads(r.stdout)["kpis"]}


def test_merged_exports_give_their_parts_kpis(tmp_path: Path) -> None:
    files = _exports(tmp_path)
    at_once = _kpi_project(tmp_path / "at-once")
    _import_all(at_once, *files)
    one_by_one = _kpi_project(tmp_path / "one-by-one")
    for f in files:
        _import_all(one_by_one, f)
    _import_all(one_by_one, *files)  # again: adds nothing, changes nothing
    merged = _kpis(at_once)
    assert merged == _kpis(one_by_one)

    parts = []
    for k, f in enumerate(files):
        alone = _kpi_project(tmp_path / f"part-{k}")
        _import_all(alone, f)
        parts.append(_kpis(alone))
        # the merged history, filtered to one repository, is that repository alone
        for repo in (f"org-{k}/app", f"org-{k}/lib"):
            assert _kpis(at_once, "--repo", repo) == _kpis(alone, "--repo", repo)

    for kpi_id, m in merged.items():
        got = [p[kpi_id] for p in parts]
        assert m["sample"] == sum(p["sample"] for p in got), kpi_id
        known = [p for p in got if p["value"] is not None]
        if not known:
            assert m["value"] is None, kpi_id
            continue
        if kpi_id == "median-release-decision-time":  # the parts are alike: so is the median
            assert m["value"] == known[0]["value"]
        else:  # a mean (or a share) of all samples: the parts' weighted mean
            weighted = sum(p["value"] * p["sample"] for p in known) / m["sample"]
            assert abs(m["value"] - weighted) < 1e-9, kpi_id
        for key, n in m["detail"].items():
            assert n == sum(p["detail"][key] for p in got), (kpi_id, key)
