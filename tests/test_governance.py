"""The governance rules (lane_tasks.governance): the ownership matrix and the support severity
model, as the ownership-matrix (scale) and severity-model (regulated) controls, `ownership show`
and lanes.toml's own checks apply them, verified by the real CLI on real projects, with
lanes.toml edited like a user would."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from helpers import make_project, run_cli

from lane_tasks.catalog import CONTROLS, STEPS

Edit = Callable[[dict[str, Any]], None]

SEVERITY = {
    "sev1": {"ack": "15m", "resolve": "4h", "escalation": "support"},
    "sev2": {"ack": "1h", "resolve": "1d", "escalation": "support"},
    "sev3": {"ack": "1d", "resolve": "1w", "escalation": "maintainers"},
    "sev4": {"ack": "3d", "resolve": "4w", "escalation": "maintainers"},
}


def governed(data: dict[str, Any]) -> None:
    """A complete model: two teams with contacts, every step and control owned (gate checks
    by their own `owner = "maintainers"`, written by `lane-tasks init`), sev1..sev4."""
    data["teams"] = {
        "maintainers": {"contact": "maintainers@example.org"},
        "support": {"contact": "oncall@example.org", "description": "Support rotation."},
    }
    data["ownership"] = {
        "steps": dict.fromkeys(STEPS, "maintainers"),
        "controls": dict.fromkeys(CONTROLS, "support"),
    }
    data["support"] = {
        "levels": list(SEVERITY),
        "severity": {k: dict(v) for k, v in SEVERITY.items()},
    }


def project(tmp_path: Path, *edits: Edit) -> Path:
    """A real project whose lanes.toml is `governed`, then changed by `edits`."""
    root = make_project(tmp_path)
    path = root / "lanes.toml"
    data = tomllib.loads(path.read_text())
    for edit in (governed, *edits):
        edit(data)
    path.write_text(tomli_w.dumps(data))
    return root


def verdict(root: Path, lane: str, control: str) -> dict[str, Any]:
    """Our control's result in `controls verify` (the lane's other controls may fail: no run)."""
    r = run_cli(root, "controls", "verify", "--lane", lane, "--format", "json")
    assert r.returncode in (0, 1), r.stderr
    results: list[dict[str, Any]] = json.loads(r.stdout)["results"]
    (result,) = [x for x in results if x["id"] == control]
    return result


def config_error(root: Path) -> str:
    r = run_cli(root, "lanes", "validate")
    assert r.returncode == 2, r.stdout
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "Traceback" not in r.stderr
    return r.stderr


# ---- ownership-matrix ---------------------------------------------------------------------


@pytest.mark.parametrize("lane", ["scale", "regulated"])
def test_ownership_matrix_passes_when_everything_is_owned(tmp_path: Path, lane: str) -> None:
    result = verdict(project(tmp_path), lane, "ownership-matrix")
    assert result["status"] == "pass", result["message"]
    assert "owned by 2 team(s) with a contact: maintainers, support" in result["message"]


def _unowned_check(d: dict[str, Any]) -> None:
    del d["gate"]["fast"]["checks"]["pytest"]["owner"]


def _unowned_step(d: dict[str, Any]) -> None:
    del d["ownership"]["steps"]["doctor"]


def _undefined_team(d: dict[str, Any]) -> None:
    d["ownership"]["checks"] = {"mypy": "maintainer"}


def _undefined_check_owner(d: dict[str, Any]) -> None:
    d["gate"]["fast"]["checks"]["ruff-check"]["owner"] = "qa"


def _no_contact(d: dict[str, Any]) -> None:
    del d["teams"]["maintainers"]["contact"]


def _blank_contact(d: dict[str, Any]) -> None:
    d["teams"]["support"]["contact"] = "  "


def _no_teams(d: dict[str, Any]) -> None:
    del d["teams"]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_unowned_check, "unowned: check pytest"),
        (_unowned_step, "unowned: step doctor"),
        (
            _undefined_team,
            "undefined team 'maintainer' (did you mean 'maintainers'?) owns check mypy",
        ),
        (_undefined_check_owner, "undefined team 'qa' owns check ruff-check"),
        (_no_contact, "teams without a contact: maintainers"),
        (_blank_contact, "teams without a contact: support"),
        (_no_teams, "defined teams: none"),
    ],
)
def test_ownership_matrix_fails_on_each_gap(tmp_path: Path, edit: Edit, expected: str) -> None:
    result = verdict(project(tmp_path, edit), "scale", "ownership-matrix")
    assert result["status"] == "fail"
    assert expected in result["message"]
    assert "ownership show" in result["fix"]


def test_ownership_matrix_judges_only_the_lane_verified(tmp_path: Path) -> None:
    """contract-index and severity-model belong to regulated: unowned there, scale still passes."""

    def regulated_gaps(d: dict[str, Any]) -> None:
        del d["ownership"]["steps"]["contract-index"]
        del d["ownership"]["controls"]["severity-model"]

    root = project(tmp_path, regulated_gaps)
    assert verdict(root, "scale", "ownership-matrix")["status"] == "pass"
    result = verdict(root, "regulated", "ownership-matrix")
    assert result["status"] == "fail"
    assert "unowned: step contract-index, control severity-model" in result["message"]


@pytest.mark.parametrize(
    ("kind", "bad", "good"),
    [("steps", "gate-fats", "gate-fast"), ("controls", "release-ownr", "release-owner"),
     ("checks", "pytset", "pytest")],
)  # fmt: skip
def test_unknown_ids_in_ownership_are_config_errors(
    tmp_path: Path, kind: str, bad: str, good: str
) -> None:
    root = project(tmp_path, lambda d: d["ownership"].setdefault(kind, {}).update({bad: "x"}))
    err = config_error(root)
    assert "lanes.toml:" in err and f"ownership.{kind}.{bad}: unknown" in err
    assert f"(did you mean '{good}'?)" in err


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d["teams"]["support"].update(contact=5),
         "teams.support.contact: must be a string"),
        (lambda d: d["teams"]["support"].update(contac="x"), "(did you mean 'contact'?)"),
        (lambda d: d["ownership"].update(step={}),
         "ownership.step: unknown key (did you mean 'steps'?)"),
        (lambda d: d["ownership"]["steps"].update(doctor=1),
         "ownership.steps.doctor: must be a team"),
    ],
)  # fmt: skip
def test_ownership_types_are_config_errors(tmp_path: Path, edit: Edit, expected: str) -> None:
    assert expected in config_error(project(tmp_path, edit))


def test_ownership_show_text(tmp_path: Path) -> None:
    root = project(tmp_path, _unowned_step, _undefined_check_owner)
    r = run_cli(root, "ownership", "show", "--lane", "scale")
    assert r.returncode == 0, r.stderr
    rows = {tuple(line.split()[:2]): line.split()[2:] for line in r.stdout.splitlines()}
    assert rows[("kind", "id")] == ["team", "contact"]
    assert rows[("check", "pytest")] == ["maintainers", "maintainers@example.org"]
    assert rows[("check", "ruff-check")] == ["qa", "undefined", "team"]
    assert rows[("step", "doctor")] == ["UNOWNED", "-"]
    assert rows[("control", "ownership-matrix")] == ["support", "oncall@example.org"]
    assert ("step", "contract-index") not in rows  # a regulated step: not in scale's matrix


def test_ownership_show_json_covers_every_lane_by_default(tmp_path: Path) -> None:
    root = project(tmp_path, _no_contact)
    r = run_cli(root, "ownership", "show", "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [r["kind"] for r in rows] == sorted(
        (r["kind"] for r in rows), key=("check", "step", "control").index
    )
    by_id = {(r["kind"], r["id"]): r for r in rows}
    assert set(by_id) >= {("step", s) for s in STEPS} | {("control", c) for c in CONTROLS}
    assert by_id[("check", "mypy")] == {
        "kind": "check", "id": "mypy", "team": "maintainers", "contact": None,
        "problem": "no contact", "source": "gate.fast.checks.mypy.owner",
    }  # fmt: skip
    assert by_id[("step", "contract-index")]["source"] == "ownership.steps.contract-index"
    assert by_id[("control", "release-owner")]["contact"] == "oncall@example.org"


def test_ownership_show_unknown_lane_is_a_usage_error(tmp_path: Path) -> None:
    r = run_cli(project(tmp_path), "ownership", "show", "--lane", "scal")
    assert r.returncode == 2
    assert "did you mean 'scale'?" in r.stderr


# ---- severity-model -----------------------------------------------------------------------


def test_severity_model_passes(tmp_path: Path) -> None:
    result = verdict(project(tmp_path), "regulated", "severity-model")
    assert result["status"] == "pass", result["message"]
    assert "sev1 15m/4h, sev2 1h/1d, sev3 1d/1w, sev4 3d/4w" in result["message"]


def _sev(level: str, **values: str) -> Edit:
    return lambda d: d["support"]["severity"][level].update(values)


def _drop_level(d: dict[str, Any]) -> None:
    del d["support"]["severity"]["sev3"]


def _unlisted_level(d: dict[str, Any]) -> None:
    d["support"]["severity"]["sev5"] = {"ack": "1w", "resolve": "8w", "escalation": "support"}


def _no_escalation(d: dict[str, Any]) -> None:
    del d["support"]["severity"]["sev2"]["escalation"]


def _no_support(d: dict[str, Any]) -> None:
    del d["support"]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_drop_level, "levels without a [support.severity.<level>] table: sev3"),
        (_no_support, "table: sev1, sev2, sev3, sev4"),
        (_unlisted_level, "[support.severity.sev5] is not a listed level"),
        (_sev("sev3", ack="2w"), "sev3: ack 2w is longer than resolve 1w"),
        (_sev("sev2", resolve="4h"),
         "sev1 is stricter than sev2 but its resolve 4h is not shorter than 4h"),
        (_sev("sev4", ack="12h"),
         "sev3 is stricter than sev4 but its ack 1d is not shorter than 12h"),
        (_sev("sev1", ack="15 minutes"), "sev1.ack: '15 minutes' is not a duration"),
        (_sev("sev2", resolve="1y"), "sev2.resolve: '1y' is not a duration"),
        (_sev("sev1", ack="0m"), "sev1.ack: '0m' must be longer than zero"),
        (_sev("sev4", escalation="suport"),
         "sev4: escalation to undefined team 'suport' (did you mean 'support'?)"),
        (_no_escalation, "sev2: no escalation team"),
        (_no_contact, "sev3: escalation team 'maintainers' has no contact"),
    ],
)  # fmt: skip
def test_severity_model_fails_on_each_gap(tmp_path: Path, edit: Edit, expected: str) -> None:
    result = verdict(project(tmp_path, edit), "regulated", "severity-model")
    assert result["status"] == "fail"
    assert expected in result["message"]


def test_custom_levels_are_judged_in_their_listed_order(tmp_path: Path) -> None:
    def p1_p2(d: dict[str, Any]) -> None:
        d["support"] = {
            "levels": ["p1", "p2"],
            "severity": {
                "p1": {"ack": "30m", "resolve": "8h", "escalation": "support"},
                "p2": {"ack": "4h", "resolve": "2d", "escalation": "support"},
            },
        }

    root = project(tmp_path, p1_p2)
    assert verdict(root, "regulated", "severity-model")["status"] == "pass"


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_sev("sev1", ack=15), "support.severity.sev1.ack: must be a string"),  # type: ignore[arg-type]
        (_sev("sev1", acks="15m"), "sev1.acks: unknown key (did you mean 'ack'?)"),
        (lambda d: d["support"].update(levels="sev1"), "support.levels: must be a list"),
        (lambda d: d["support"].update(level=[]),
         "support.level: unknown key (did you mean 'levels'?)"),
    ],
)  # fmt: skip
def test_support_types_are_config_errors(tmp_path: Path, edit: Edit, expected: str) -> None:
    assert expected in config_error(project(tmp_path, edit))


# ---- durations ----------------------------------------------------------------------------
