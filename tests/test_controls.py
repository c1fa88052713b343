"""Controls verified from the evidence of real runs: real steps, real run store, real git."""

from __future__ import annotations

import json
import subprocess
import tomllib
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from helpers import (
    REPO_ROOT,
    Templates,
    commit_all,
    make_project,
    offline_venv,
    repo_wheel,
    run_cli,
    run_nox,
    validate_artifact,
)

from lane_tasks.evidence.store import new_run_id

FAST_CHECK = {"smoke": {"cmd": ["{python}", "-c", "pass"], "owner": "qa"}}


def lanes_project(
    tmp_path: Path,
    *,
    lanes: dict[str, Any] | None = None,
    keep: int = 50,
    templates: Templates | None = None,
) -> Path:
    """A real project whose lanes.toml has fast checks and the lanes given (the project
    `make_project` makes, copied from a template when `templates` are given)."""
    if templates is None:
        root = make_project(tmp_path)
    else:
        root = templates.copy("controls-sample", make_project, tmp_path)
    data = {
        "project": {"release_owners": ["lead@example.org"], "artifacts_dir": "build"},
        "runs": {"keep": keep},
        "lanes": lanes
        or {
            "base": {
                "steps": ["gate-fast", "gate-release", "doctor"],
                "controls": ["release-confidence-path", "artifact-retention"],
            }
        },
        "gate": {"fast": {"checks": FAST_CHECK}},
    }
    (root / "lanes.toml").write_text(tomli_w.dumps(data))
    commit_all(root, "lanes")
    return root


def step(root: Path, run_id: str, *args: str) -> None:
    r = run_cli(root, *args, "--format", "json", "--run-id", run_id, "--lane", "base", "-q")
    assert r.returncode in (0, 1), r.stderr


def full_run(root: Path, *, release: bool = True) -> str:
    """The startup path, step by step through the CLI, recorded in one run (`release=False`
    leaves gate release out, for tests about the run store alone)."""
    run_id = new_run_id()
    step(root, run_id, "gate", "fast", "--stable-json")
    if release:
        step(root, run_id, "gate", "release", "--offline")
    step(root, run_id, "doctor")
    return run_id


def verify(root: Path, run_id: str | None = None, lane: str = "base") -> tuple[int, dict[str, Any]]:
    args = ["controls", "verify", "--lane", lane, "--format", "json"]
    if run_id:
        args += ["--run-id", run_id]
    r = run_cli(root, *args)
    assert "Traceback" not in r.stderr, r.stderr
    return r.returncode, json.loads(r.stdout)


def control(doc: dict[str, Any], cid: str) -> dict[str, Any]:
    return next(r for r in doc["results"] if r["id"] == cid)


def _released(templates: Templates, d: Path) -> tuple[Path, str]:
    """The `base` lane's run of `full_run` up to gate release: gate fast and gate release
    recorded, doctor not run yet."""
    root = lanes_project(d, templates=templates)
    run_id = new_run_id()
    step(root, run_id, "gate", "fast", "--stable-json")
    step(root, run_id, "gate", "release", "--offline")
    return root, run_id


@pytest.fixture
def released(templates: Templates, tmp_path: Path) -> tuple[Path, str]:
    """A copy of a run of the `base` lane that ran gate fast and gate release, not doctor."""
    return templates.copy("controls-released", partial(_released, templates), tmp_path)


@pytest.fixture
def finished(templates: Templates, tmp_path: Path) -> tuple[Path, str]:
    """A copy of one finished run of the `base` lane (its project, its evidence): the
    `released` run, then its doctor step (`full_run`, step by step)."""

    def build(d: Path) -> tuple[Path, str]:
        root, run_id = templates.copy("controls-released", partial(_released, templates), d)
        step(root, run_id, "doctor")
        return root, run_id

    return templates.copy("controls-finished", build, tmp_path)


@pytest.fixture
def project(templates: Templates, tmp_path: Path) -> Path:
    """A copy of the project `lanes_project` makes, before any run."""
    return templates.copy("controls-project", partial(lanes_project, templates=templates), tmp_path)


def _two_runs(templates: Templates, d: Path) -> tuple[Path, list[str]]:
    """A project keeping 5 runs, with two runs of `full_run(release=False)` kept."""
    root = lanes_project(d, keep=5, templates=templates)
    return root, [full_run(root, release=False) for _ in range(2)]


@pytest.fixture
def two_runs(templates: Templates, tmp_path: Path) -> tuple[Path, list[str]]:
    """A copy of `_two_runs`: a project (runs.keep = 5) with two finished runs."""
    return templates.copy("controls-two-runs", partial(_two_runs, templates), tmp_path)


def run_path(root: Path, run_id: str) -> Path:
    return root / "build" / "lanes" / "runs" / run_id


# ---- release-confidence-path --------------------------------------------------------------


@pytest.mark.e2e
def test_release_confidence_path_passes_on_complete_evidence(finished: tuple[Path, str]) -> None:
    root, run_id = finished
    code, doc = verify(root, run_id)
    assert code == 0, doc
    res = control(doc, "release-confidence-path")
    assert res["status"] == "pass"
    assert res["origin"] == "base"
    assert doc["lane"] == "base"
    assert doc["verified_run"] == run_id


@pytest.mark.e2e
def test_release_confidence_path_fails_when_a_step_did_not_run(
    released: tuple[Path, str],
) -> None:
    root, run_id = released  # gate fast and gate release ran, doctor did not
    code, doc = verify(root, run_id)
    assert code == 1
    res = control(doc, "release-confidence-path")
    assert res["status"] == "fail"
    assert "doctor did not run" in res["message"]
    assert res["fix"]


@pytest.mark.e2e
def test_release_confidence_path_fails_on_commit_disagreement(
    released: tuple[Path, str],
) -> None:
    root, run_id = released  # gate fast and gate release ran on the first commit
    (root / "NOTES.md").write_text("a later commit\n")
    commit_all(root, "later")
    step(root, run_id, "doctor")
    _, doc = verify(root, run_id)
    res = control(doc, "release-confidence-path")
    assert res["status"] == "fail"
    assert "disagree on the commit" in res["message"]


@pytest.mark.e2e
def test_release_confidence_path_fails_when_head_moved(finished: tuple[Path, str]) -> None:
    root, run_id = finished
    (root / "NEWS.md").write_text("later\n")
    commit_all(root, "later")
    _, doc = verify(root, run_id)
    res = control(doc, "release-confidence-path")
    assert res["status"] == "fail"
    assert "but HEAD is" in res["message"]


@pytest.mark.e2e
def test_release_confidence_path_fails_on_invalid_artifact(finished: tuple[Path, str]) -> None:
    root, run_id = finished
    path = run_path(root, run_id) / "doctor.json"
    doc = json.loads(path.read_text())
    del doc["summary"]
    path.write_text(json.dumps(doc))
    _, out = verify(root, run_id)
    res = control(out, "release-confidence-path")
    assert res["status"] == "fail"
    assert "summary" in res["message"]


@pytest.mark.e2e
def test_release_confidence_path_fails_when_a_step_failed(project: Path) -> None:
    root = project
    (root / "CHANGELOG.md").unlink()
    commit_all(root, "drop the changelog")
    run_id = full_run(root)
    _, doc = verify(root, run_id)
    res = control(doc, "release-confidence-path")
    assert res["status"] == "fail"
    assert "gate-release did not pass" in res["message"]


def test_no_run_at_all_fails_every_evidence_control(project: Path) -> None:
    root = project
    code, doc = verify(root)
    assert code == 1
    for cid in ("release-confidence-path", "artifact-retention"):
        assert control(doc, cid)["status"] == "fail"
        assert "no lane run" in control(doc, cid)["message"]


# ---- artifact-retention -------------------------------------------------------------------


@pytest.mark.e2e
def test_artifact_retention_passes_on_an_intact_run(finished: tuple[Path, str]) -> None:
    root, run_id = finished
    code, doc = verify(root, run_id)
    assert code == 0, doc
    res = control(doc, "artifact-retention")
    assert res["status"] == "pass", res
    # gate fast's check log and gate release's SBOM
    assert "3 artifact(s) and 2 kept file(s)" in res["message"]


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("tamper", "needle"),
    [
        ("modify", "does not match its sha256"),
        ("delete", "listed but missing"),
        ("stray", "not in the manifest: extra.json"),
        ("manifest", "manifest"),
    ],
)
def test_artifact_retention_fails_on_broken_evidence(
    finished: tuple[Path, str], tamper: str, needle: str
) -> None:
    root, run_id = finished
    d = run_path(root, run_id)
    if tamper == "modify":
        p = d / "gate-fast.json"
        p.write_text(p.read_text().replace('"pass"', '"fail"', 1))
    elif tamper == "delete":
        (d / "doctor.json").unlink()
    elif tamper == "stray":
        (d / "extra.json").write_text("{}")
    else:
        m = json.loads((d / "manifest.json").read_text())
        m["artifacts"][0]["sha256"] = "not-a-digest"
        (d / "manifest.json").write_text(json.dumps(m))
    code, doc = verify(root, run_id)
    assert code == 1
    res = control(doc, "artifact-retention")
    assert res["status"] == "fail"
    assert needle in res["message"]


@pytest.mark.e2e
def test_retention_keeps_only_the_newest_runs(two_runs: tuple[Path, list[str]]) -> None:
    root, ids = two_runs
    text = (root / "lanes.toml").read_text().replace("keep = 5", "keep = 2")
    (root / "lanes.toml").write_text(text)
    commit_all(root, "keep 2 runs")
    ids.append(full_run(root, release=False))  # the third run: one more than runs.keep
    # `ids` is in the order the runs began; two of them may share a second, when their ids'
    # random suffixes do not say which began first
    kept = {p.name for p in (root / "build" / "lanes" / "runs").iterdir()}
    assert kept == set(ids[-2:])
    listed = json.loads(run_cli(root, "runs", "list", "--format", "json").stdout)
    assert [r["id"] for r in listed] == ids[::-1][:2]


@pytest.mark.e2e
def test_retention_not_in_force_fails(two_runs: tuple[Path, list[str]]) -> None:
    root, ids = two_runs
    ids.append(full_run(root, release=False))  # three runs, all kept under runs.keep = 5
    text = (root / "lanes.toml").read_text().replace("keep = 5", "keep = 2")
    (root / "lanes.toml").write_text(text)
    _, doc = verify(root, ids[-1])
    res = control(doc, "artifact-retention")
    assert res["status"] == "fail"
    assert "3 runs kept, more than runs.keep = 2" in res["message"]


# ---- unfinished controls and the lane end to end through nox --------------------------------


@pytest.mark.e2e
def test_lane_passes_end_to_end_through_nox(templates: Templates, tmp_path: Path) -> None:
    lanes = {"mini": {"steps": ["gate-fast", "doctor"], "controls": ["artifact-retention"]}}
    root = lanes_project(tmp_path, lanes=lanes, templates=templates)
    r = run_nox(root, "-s", "mini")
    assert r.returncode == 0, r.stdout + r.stderr
    controls = json.loads((root / "build" / "controls.json").read_text())
    validate_artifact(controls)
    assert controls["status"] == "pass"
    assert controls["lane"] == "mini"
    (run,) = (root / "build" / "lanes" / "runs").iterdir()
    manifest = json.loads((run / "manifest.json").read_text())
    validate_artifact(manifest)
    for name in ("gate-fast.json", "doctor.json"):
        validate_artifact(json.loads((run / name).read_text()))
    assert manifest["lane"] == "mini"
    assert manifest["status"] == "pass"
    assert manifest["run"]["state"] == "complete"
    logs = {
        f"gate-fast/{c}.log"
        for c in tomllib.loads((root / "lanes.toml").read_text())["gate"]["fast"]["checks"]
    }
    assert {a["path"] for a in manifest["artifacts"]} == {
        "gate-fast.json",
        "doctor.json",
        "controls.json",
        *logs,  # each check's full log, kept beside gate fast's artifact
    }
    # the top-level artifacts are the same bytes as the run's copies
    for name in ("gate-fast.json", "doctor.json", "controls.json"):
        assert (root / "build" / name).read_bytes() == (run / name).read_bytes()


@pytest.mark.e2e
def test_lane_fails_through_nox_when_a_control_fails(templates: Templates, tmp_path: Path) -> None:
    lanes = {
        "mini": {
            "steps": ["gate-fast", "doctor"],
            "controls": ["artifact-retention", "ownership-matrix"],
        }
    }
    root = lanes_project(tmp_path, lanes=lanes, templates=templates)
    r = run_nox(root, "-s", "mini")
    assert r.returncode != 0
    controls = json.loads((root / "build" / "controls.json").read_text())
    owners = control(controls, "ownership-matrix")
    assert owners["status"] == "fail"  # no [teams]/[ownership] in this project
    assert "unowned" in owners["message"]
    assert control(controls, "artifact-retention")["status"] == "pass"
    assert controls["status"] == "fail"


@pytest.mark.e2e
def test_each_step_runs_once_per_invocation(templates: Templates, tmp_path: Path) -> None:
    lanes = {
        "a": {"steps": ["gate-fast", "doctor"], "controls": ["artifact-retention"]},
        "b": {"extends": "a", "kpis": ["rollback-rate"]},
    }
    root = lanes_project(tmp_path, lanes=lanes, templates=templates)
    r = run_nox(root, "-s", "a", "b")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stderr.count("Running session gate-fast") == 1
    assert r.stderr.count("Running session doctor") == 1


def test_controls_list_describes_every_control() -> None:
    from helpers import REPO_ROOT

    r = run_cli(REPO_ROOT, "controls", "list", "--format", "json")
    assert r.returncode == 0
    rows = json.loads(r.stdout)
    from lane_tasks.catalog import CONTROLS

    assert [x["id"] for x in rows] == list(CONTROLS)
    for row in rows:
        assert row["evidence"] and row["how_to_satisfy"] and row["checks"]


@pytest.mark.e2e
def test_controls_artifact_is_stable(finished: tuple[Path, str]) -> None:
    root, run_id = finished
    args = ("controls", "verify", "--lane", "base", "--format", "json", "--stable-json")
    outs = [run_cli(root, *args).stdout for _ in range(2)]
    assert outs[0] == outs[1]
    assert '"run"' not in outs[0]
    doc = json.loads(
        run_cli(root, "controls", "verify", "--lane", "base", "--format", "json").stdout
    )
    assert doc["run"]["id"] == run_id


@pytest.mark.e2e
def test_venv_backend_runs_the_same_steps_in_a_session_environment(
    templates: Templates, tmp_path: Path
) -> None:
    """[nox] backend = "venv": `[nox] install` goes into the session's environment and the
    same CLI runs there; a second invocation reuses the environment. Offline, as a user
    without an index would: each session's environment exists already (nox reuses it) and
    sees this environment's packages, and lane-tasks is installed from its wheel, --no-index."""
    wheel = templates.copy("lane-tasks-wheel", repo_wheel, tmp_path / "wheel")
    lanes = {"mini": {"steps": ["gate-fast"], "controls": ["artifact-retention"]}}
    root = lanes_project(tmp_path, lanes=lanes, templates=templates)
    install = ["--no-index", "--no-deps", str(wheel)]
    text = (root / "lanes.toml").read_text()
    text += f'\n[nox]\nbackend = "venv"\ninstall = {json.dumps(install)}\n'
    (root / "lanes.toml").write_text(text)
    commit_all(root, "venv backend")
    venv_python = offline_venv(root / ".nox" / "gate-fast")
    offline_venv(root / ".nox" / "mini")  # the lane's own session: its controls
    r = run_nox(root, "-s", "mini")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Traceback" not in r.stderr, r.stderr
    installed = subprocess.run(
        [venv_python, "-c", "import lane_tasks; print(lane_tasks.__file__)"],
        cwd=tmp_path,  # not this checkout, whose lane_tasks `-c` would import first
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert installed.startswith(str(root / ".nox" / "gate-fast")), installed
    doc = json.loads((root / "build" / "gate-fast.json").read_text())
    assert doc["status"] == "pass"
    assert json.loads((root / "build" / "controls.json").read_text())["status"] == "pass"
    (run,) = (root / "build" / "lanes" / "runs").iterdir()
    assert json.loads((run / "manifest.json").read_text())["run"]["state"] == "complete"
    again = run_nox(root, "-s", "gate-fast")
    assert again.returncode == 0, again.stderr
    assert "Reusing existing virtual environment" in again.stderr
    assert "Traceback" not in again.stderr, again.stderr


@pytest.mark.e2e
def test_controls_list_maps_each_control_to_the_public_baselines(tmp_path: Path) -> None:
    """Every control says which OSPS Baseline ids and SLSA requirement its evidence serves,
    as data, and docs/lanes.md shows the same."""
    r = run_cli(tmp_path, "controls", "list", "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = {row["id"]: row for row in json.loads(r.stdout)}
    for row in rows.values():
        assert isinstance(row["osps"], list) and all(i.startswith("OSPS-") for i in row["osps"])
        assert row["slsa"] is None or isinstance(row["slsa"], str)
    assert rows["sbom"]["osps"] == ["OSPS-QA-02.02"]
    assert "OSPS-BR-02.01" in rows["release-checklist-evidence"]["osps"]
    assert rows["reproducible-build"]["slsa"] == "Follow a consistent build process"
    lanes_md = (REPO_ROOT / "docs" / "lanes.md").read_text(encoding="utf-8")
    assert "| `sbom` | `OSPS-QA-02.02` | — |" in lanes_md
