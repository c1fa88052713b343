"""lanes.toml: inheritance, one-line errors with file:line and key, and what `lanes` and `nox -l`
show. Everything user-facing runs the real CLI and nox as subprocesses."""

from __future__ import annotations

import json
import re
import subprocess
import textwrap
import tomllib
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO_ROOT, run_cli, run_nox, write

from lane_tasks.catalog import STEPS
from lane_tasks.config import CheckSpec, Item, parse_config
from lane_tasks.errors import ConfigError

REPO_LANES = REPO_ROOT / "lanes.toml"
CANONICAL = list(STEPS)
LANES = ("startup", "scale", "regulated")
MARK = "# <-"
"""Marks the line an error must point at in the bad lanes.toml texts below."""

# The shape of the repository's own lanes.toml, so the text-output tests do not move when the
# descriptions there are reworded.
GOOD = """
[project]
release_owners = ["release-lead@example.org"]
default_lane = "startup"

[nox]
backend = "none"

[lanes.startup]
description = "Small teams."
steps = ["gate-fast", "gate-release", "doctor"]
controls = ["release-confidence-path", "artifact-retention", "release-owner"]
kpis = ["first-time-success-rate", "median-release-decision-time"]

[lanes.scale]
description = "Many teams."
extends = "startup"
steps = ["drift-check"]
controls = ["ownership-matrix", "weekly-kpi-review", "compat-policy"]
kpis = ["failed-release-gate-frequency", "mean-time-to-triage"]

[lanes.regulated]
description = "Audited."
extends = "scale"
steps = ["contract-index"]
controls = ["severity-model", "deprecation-windows", "release-checklist-evidence"]
kpis = ["rollback-rate", "docs-to-adoption-conversion"]

[gate.fast.checks.ruff]
cmd = ["ruff", "check", "."]
owner = "platform"
timeout = 120
"""

# Fragments indented like the corpus texts below, so `+` keeps them dedentable.
CHECK = """
        [gate.fast.checks.ruff]
        cmd = ["ruff", "check", "."]
        """

NOXFILE = "from lane_tasks.nox_sessions import register\nregister()\n"


def show_json(cwd: Path, lane: str, *config: str) -> dict[str, Any]:
    r = run_cli(cwd, *config, "lanes", "show", lane, "--format", "json")
    assert r.returncode == 0, r.stderr
    doc: dict[str, Any] = json.loads(r.stdout)
    return doc


def origins(doc: dict[str, Any], kind: str) -> dict[str, str]:
    return {i["id"]: i["origin"] for i in doc[kind]}


def error_line(r: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a failed run (exit 2, nothing on stdout, no traceback)."""
    out = r.stdout + r.stderr
    assert "Traceback" not in out, out
    assert r.returncode == 2, out
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert r.stderr.endswith("\n")
    line: str = lines[0]
    assert line.startswith("lane-tasks: error: ")
    return line


# ---- 1. inheritance ------------------------------------------------------------------------


def test_repo_lanes_inherit_and_attribute_every_item(tmp_path: Path) -> None:
    docs = {lane: show_json(tmp_path, lane, "--config", str(REPO_LANES)) for lane in LANES}
    for kind in ("steps", "controls", "kpis"):
        startup, scale, regulated = (origins(docs[lane], kind) for lane in LANES)
        # each lane keeps its parent's items with the parent's attribution, and adds its own
        assert startup.items() < scale.items() < regulated.items(), kind
        assert set(startup.values()) == {"startup"}
        assert {v for k, v in scale.items() if k not in startup} == {"scale"}
        assert {v for k, v in regulated.items() if k not in scale} == {"regulated"}
    for lane in LANES:
        assert origins(docs[lane], "steps")["gate-fast"] == "startup"
        assert docs[lane]["name"] == lane
    assert origins(docs["scale"], "steps")["drift-check"] == "scale"
    assert origins(docs["regulated"], "steps")["drift-check"] == "scale"
    assert origins(docs["regulated"], "steps")["contract-index"] == "regulated"
    assert "contract-index" not in origins(docs["scale"], "steps")
    assert [s["id"] for s in docs["regulated"]["steps"]] == CANONICAL
    assert docs["startup"]["extends"] == []
    assert docs["scale"]["extends"] == ["startup"]
    assert docs["regulated"]["extends"] == ["startup", "scale"]


DEEP = """
# lanes listed child-first and steps out of run order: neither may change the result
[lanes.l5]
extends = "l4"
steps = ["gate-release"]
controls = ["release-confidence-path"]

[lanes.l4]
extends = "l3"
steps = ["drift-check"]
kpis = ["rollback-rate"]

[lanes.l3]
extends = "l2"
steps = ["contract-index"]

[lanes.l2]
extends = "l1"
controls = ["release-owner"]

[lanes.l1]
steps = ["doctor", "gate-fast"]
kpis = ["first-time-success-rate"]
""" + textwrap.dedent(CHECK)


def test_five_lane_chain_resolves_in_canonical_step_order(tmp_path: Path) -> None:
    write(tmp_path, "lanes.toml", DEEP)
    doc = show_json(tmp_path, "l5")
    assert doc["extends"] == ["l1", "l2", "l3", "l4"]
    assert doc["steps"] == [
        {"id": "gate-fast", "origin": "l1"},
        {"id": "gate-release", "origin": "l5"},
        {"id": "doctor", "origin": "l1"},
        {"id": "drift-check", "origin": "l4"},
        {"id": "contract-index", "origin": "l3"},
    ]
    assert doc["controls"] == [
        {"id": "release-owner", "origin": "l2"},
        {"id": "release-confidence-path", "origin": "l5"},
    ]
    assert doc["kpis"] == [
        {"id": "first-time-success-rate", "origin": "l1"},
        {"id": "rollback-rate", "origin": "l4"},
    ]
    l3 = show_json(tmp_path, "l3")
    assert [s["id"] for s in l3["steps"]] == ["gate-fast", "doctor", "contract-index"]
    assert l3["extends"] == ["l1", "l2"]

    r = run_cli(tmp_path, "lanes", "show", "l5")
    assert r.returncode == 0, r.stderr
    assert "  extends: l4 -> l3 -> l2 -> l1\n" in r.stdout


# ---- 2. the bad lanes.toml corpus -----------------------------------------------------------


def bad(case_id: str, toml: str, key: str | None, expect: str) -> Any:
    """A malformed lanes.toml; the line marked `# <-` is where the error must point."""
    return pytest.param(textwrap.dedent(toml).lstrip("\n"), key, expect, id=case_id)


ROOT = """
        [lanes.startup]
        steps = ["doctor"]
        """

BAD = [
    bad(
        "toml-syntax",
        """
        [lanes.startup]
        description = "fine"
        steps = ["doctor" "gate-fast"]  # <-
        """,
        None,
        "invalid TOML: Unclosed array",
    ),
    bad(
        "toml-duplicate-table",
        """
        [lanes.startup]
        steps = ["doctor"]

        [lanes.startup]  # <-
        kpis = ["rollback-rate"]
        """,
        None,
        "invalid TOML: Cannot declare ('lanes', 'startup') twice",
    ),
    bad(
        "unknown-top-level-key",
        """
        # the table is `lanes`, plural
        [project]
        release_owners = ["a@example.org"]

        [lane.startup]  # <-
        steps = ["doctor"]
        """,
        "lane",
        "unknown key (did you mean 'lanes'?)",
    ),
    bad(
        "unknown-lane-key",
        """
        [lanes.startup]
        description = "x"
        step = ["doctor"]  # <-
        """,
        "lanes.startup.step",
        "unknown key (did you mean 'steps'?)",
    ),
    bad(
        "remove-steps",
        ROOT
        + """
        [lanes.scale]
        extends = "startup"
        steps = ["drift-check"]
        remove_steps = ["doctor"]  # <-
        """,
        "lanes.scale.remove_steps",
        "unknown key (lanes are additive: a lane cannot drop or override what it inherits)",
    ),
    bad(
        "remove-controls-no-did-you-mean",
        ROOT
        + """
        [lanes.scale]
        extends = "startup"
        steps = ["drift-check"]
        remove_controls = ["release-owner"]  # <-
        """,
        "lanes.scale.remove_controls",
        "unknown key (lanes are additive",
    ),
    bad(
        "unknown-step",
        """
        [lanes.startup]
        steps = [  # <-
            "doctor",
            "gate-fas",
        ]
        """
        + CHECK,
        "lanes.startup.steps",
        "unknown step 'gate-fas' (did you mean 'gate-fast'?)",
    ),
    bad(
        "unknown-control",
        """
        [lanes.startup]
        steps = ["doctor"]
        controls = ["artifact-retention", "release-ownr"]  # <-
        """,
        "lanes.startup.controls",
        "unknown control 'release-ownr' (did you mean 'release-owner'?)",
    ),
    bad(
        "unknown-kpi",
        """
        [lanes.startup]
        steps = ["doctor"]
        kpis = ["rollback"]  # <-
        """,
        "lanes.startup.kpis",
        "unknown kpi 'rollback' (did you mean 'rollback-rate'?)",
    ),
    bad(
        "extends-missing-lane",
        ROOT
        + """
        [lanes.scale]
        extends = "startp"  # <-
        steps = ["drift-check"]
        """,
        "lanes.scale.extends",
        "extends unknown lane 'startp' (did you mean 'startup'?)",
    ),
    bad(
        "extends-self",
        ROOT
        + """
        [lanes.loop]
        extends = "loop"  # <-
        steps = ["drift-check"]
        """,
        "lanes.loop.extends",
        "extends cycle: loop -> loop",
    ),
    bad(
        "extends-2-cycle",
        ROOT
        + """
        [lanes.a]
        extends = "b"
        steps = ["drift-check"]

        [lanes.b]
        extends = "a"  # <-
        kpis = ["rollback-rate"]
        """,
        "lanes.b.extends",
        "extends cycle: a -> b -> a",
    ),
    bad(
        "extends-3-cycle",
        ROOT
        + """
        [lanes.a]
        extends = "b"
        steps = ["drift-check"]

        [lanes.b]
        extends = "c"
        kpis = ["rollback-rate"]

        [lanes.c]
        extends = "a"  # <-
        controls = ["release-owner"]
        """,
        "lanes.c.extends",
        "extends cycle: a -> b -> c -> a",
    ),
    bad(
        "override-inherited-step",
        ROOT
        + """
        [lanes.scale]
        extends = "startup"
        steps = ["drift-check"]

        [lanes.regulated]
        extends = "scale"
        steps = ["contract-index", "doctor"]  # <-
        """,
        "lanes.regulated.steps",
        "'doctor' is already inherited from lane 'startup'; a lane only adds",
    ),
    bad(
        "override-inherited-control",
        """
        [lanes.startup]
        steps = ["doctor"]
        controls = ["release-owner"]

        [lanes.scale]
        extends = "startup"
        controls = ["compat-policy", "release-owner"]  # <-
        """,
        "lanes.scale.controls",
        "'release-owner' is already inherited from lane 'startup'",
    ),
    bad(
        "steps-is-a-string",
        """
        [lanes.startup]
        steps = "doctor"  # <-
        """,
        "lanes.startup.steps",
        "must be a list of non-empty strings, not a string",
    ),
    bad(
        "lane-is-not-a-table",
        """
        [lanes]
        startup = "doctor"  # <-
        """,
        "lanes.startup",
        "must be a table, not a string",
    ),
    bad(
        "extends-not-a-string",
        ROOT
        + """
        [lanes.scale]
        extends = ["startup"]  # <-
        steps = ["drift-check"]
        """,
        "lanes.scale.extends",
        "must be a string, not an array",
    ),
    bad(
        "timeout-string",
        ROOT
        + """
        [gate.fast.checks.ruff]
        cmd = ["ruff", "check", "."]
        timeout = "60"  # <-
        """,
        "gate.fast.checks.ruff.timeout",
        "must be a positive number of seconds, not '60'",
    ),
    bad(
        "timeout-negative",
        ROOT
        + """
        [gate.fast.checks.ruff]
        cmd = ["ruff", "check", "."]
        timeout = -5  # <-
        """,
        "gate.fast.checks.ruff.timeout",
        "must be a positive number of seconds, not -5",
    ),
    bad(
        "runs-keep-zero",
        """
        [runs]
        keep = 0  # <-
        """
        + ROOT,
        "runs.keep",
        "must be at least 1, not 0",
    ),
    bad(
        "jobs-negative",
        ROOT
        + """
        [gate.fast]
        jobs = -1  # <-
        """,
        "gate.fast.jobs",
        "must be at least 0, not -1",
    ),
    bad(
        "release-owners-not-a-list",
        """
        [project]
        release_owners = "lead@example.org"  # <-
        """
        + ROOT,
        "project.release_owners",
        "must be a list of non-empty strings, not a string",
    ),
    bad(
        "cmd-shell-string",
        ROOT
        + """
        [gate.fast.checks.ruff]
        owner = "platform"
        cmd = "ruff check ."  # <-
        """,
        "gate.fast.checks.ruff.cmd",
        'must be an argv list, not a shell string; write ["ruff", "check", "."]',
    ),
    bad(
        "cmd-empty-list",
        ROOT
        + """
        [gate.fast.checks.ruff]
        cmd = []  # <-
        """,
        "gate.fast.checks.ruff.cmd",
        "must be a non-empty list of strings, not []",
    ),
    bad(
        "cmd-missing",
        ROOT
        + """
        [gate.fast.checks.ruff]  # <-
        owner = "platform"
        """,
        "gate.fast.checks.ruff",
        "missing required key 'cmd' (an argv list such as",
    ),
    bad(
        "check-id-invalid",
        ROOT
        + """
        [gate.fast.checks.Ruff]  # <-
        cmd = ["ruff", "check", "."]
        """,
        "gate.fast.checks.Ruff",
        "check ids use lowercase letters",
    ),
    bad(
        "check-env-not-string",
        ROOT
        + """
        [gate.fast.checks.ruff]
        cmd = ["ruff", "check", "."]
        env = { NO_COLOR = 1 }  # <-
        """,
        "gate.fast.checks.ruff.env.NO_COLOR",
        "must be a string, not an integer",
    ),
    bad(
        "empty-root-lane",
        """
        [lanes.startup]  # <-
        description = "nothing to run"
        controls = ["release-owner"]
        """,
        "lanes.startup.steps",
        "empty lane: a lane that extends nothing needs steps",
    ),
    bad(
        "extending-lane-adds-nothing",
        ROOT
        + """
        [lanes.scale]  # <-
        description = "the same as startup"
        extends = "startup"
        steps = []
        """,
        "lanes.scale",
        "empty lane: adds no steps, controls or KPIs to 'startup'",
    ),
    bad(
        "no-lanes",
        """
        [project]
        release_owners = ["lead@example.org"]
        """,
        "lanes",
        "no lanes defined",
    ),
    bad("empty-file", "# nothing here\n", "lanes", "no lanes defined"),
    bad(
        "duplicate-item",
        """
        [lanes.startup]
        steps = ["doctor"]
        controls = ["release-owner", "artifact-retention", "release-owner"]  # <-
        """,
        "lanes.startup.controls",
        "'release-owner' is listed twice",
    ),
    bad(
        "unknown-nox-backend",
        """
        [nox]
        backend = "uvv"  # <-
        """
        + ROOT,
        "nox.backend",
        "unknown backend 'uvv' (did you mean 'uv'?)",
    ),
    bad(
        "default-lane-missing",
        """
        [project]
        default_lane = "scael"  # <-
        """
        + ROOT
        + """
        [lanes.scale]
        extends = "startup"
        steps = ["drift-check"]
        """,
        "project.default_lane",
        "unknown lane 'scael' (did you mean 'scale'?)",
    ),
    bad(
        "control-needs-missing-step",
        """
        [lanes.startup]
        steps = ["gate-fast", "gate-release"]
        controls = ["release-confidence-path"]  # <-
        """
        + CHECK,
        "lanes.startup.controls",
        "control 'release-confidence-path' reads evidence of step(s) doctor, "
        "which lane 'startup' does not run",
    ),
    bad(
        "gate-fast-without-checks",
        """
        [lanes.startup]
        steps = ["gate-fast", "doctor"]
        """,
        "gate.fast.checks",
        "lane 'startup' runs gate-fast but no [gate.fast.checks.<id>] is defined",
    ),
    bad(
        "artifacts-dir-absolute",
        """
        [project]
        artifacts_dir = "/tmp/build"  # <-
        """
        + ROOT,
        "project.artifacts_dir",
        "must be a path inside the repository, not '/tmp/build'",
    ),
    bad(
        "evidence-dir-escapes",
        """
        [project]
        evidence_dir = "../evidence"  # <-
        """
        + ROOT,
        "project.evidence_dir",
        "must be a path inside the repository, not '../evidence'",
    ),
    bad(
        "doctor-disable-unknown-check",
        ROOT
        + """
        [doctor.disable]
        git-repoo = "we vendor this tree"  # <-
        """,
        "doctor.disable.git-repoo",
        "unknown doctor check (did you mean 'git-repo'?)",
    ),
    bad(
        "doctor-disable-empty-reason",
        ROOT
        + """
        [doctor.disable]
        git-repo = "  "  # <-
        """,
        "doctor.disable.git-repo",
        "needs the reason as a non-empty string",
    ),
    bad(
        "invalid-lane-name",
        """
        [lanes.Startup]  # <-
        steps = ["doctor"]
        """,
        "lanes.Startup",
        "lane names use lowercase letters, digits, '-' and '_'",
    ),
    bad(
        "line-after-multiline-string",
        """
        [lanes.startup]
        description = '''
        Text that looks like TOML: [lanes.fake]
        steps = [
        '''
        ideal_for = \"\"\"more [brackets \\\"\"\" \"\"\"
        steps = ["doctor", "gate-fas"]  # <-
        """
        + CHECK,
        "lanes.startup.steps",
        "unknown step 'gate-fas' (did you mean 'gate-fast'?)",
    ),
    bad(
        "dotted-keys",
        """
        lanes.startup.steps = ["doctor"]
        lanes.startup.stepz = ["gate-fast"]  # <-
        """,
        "lanes.startup.stepz",
        "unknown key (did you mean 'steps'?)",
    ),
]


def expected_line(toml: str) -> int | None:
    marked = [n for n, line in enumerate(toml.splitlines(), 1) if line.rstrip().endswith(MARK)]
    assert len(marked) <= 1
    return marked[0] if marked else None


@pytest.mark.parametrize(("toml", "key", "expect"), BAD)
def test_bad_lanes_toml_is_one_line_with_file_line_and_key(
    tmp_path: Path, toml: str, key: str | None, expect: str
) -> None:
    assert tomllib_ok(toml) == (not expect.startswith("invalid TOML")), "corpus case is wrong"
    path = write(tmp_path, "lanes.toml", toml)
    line = error_line(run_cli(tmp_path, "lanes", "validate", str(path)))
    n = expected_line(toml)
    where = f"{path}:{n}" if n is not None else f"{path}"
    keyed = f"{key}: " if key else ""
    assert line.startswith(f"lane-tasks: error: {where}: {keyed}"), line
    assert expect in line, line


def tomllib_ok(text: str) -> bool:
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return False
    return True


def test_corpus_is_large_and_ids_are_unique() -> None:
    ids = [p.id for p in BAD]
    assert len(ids) >= 24
    assert len(set(ids)) == len(ids)


def test_validate_ok_and_missing_file(tmp_path: Path) -> None:
    path = write(tmp_path, "lanes.toml", GOOD)
    r = run_cli(tmp_path, "lanes", "validate", str(path))
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"{path}: ok (3 lanes: startup, scale, regulated)\n"
    r = run_cli(tmp_path, "lanes", "validate")  # found from the cwd
    assert r.returncode == 0, r.stderr
    assert "ok (3 lanes" in r.stdout

    missing = tmp_path / "nowhere" / "lanes.toml"
    line = error_line(run_cli(tmp_path, "lanes", "validate", str(missing)))
    assert line.startswith(f"lane-tasks: error: {missing}: no such file"), line


# ---- 3. nox -l -----------------------------------------------------------------------------


@pytest.mark.e2e
def test_nox_list_with_bad_lanes_toml_prints_the_same_one_line_error(tmp_path: Path) -> None:
    write(tmp_path, "noxfile.py", NOXFILE)
    path = write(
        tmp_path,
        "lanes.toml",
        textwrap.dedent(ROOT) + '\n[lanes.scale]\nextends = "startp"\nsteps = ["drift-check"]\n',
    )
    nox_line = error_line(run_nox(tmp_path, "-l"))
    assert ":5: lanes.scale.extends: extends unknown lane 'startp'" in nox_line
    # nox names the file by the absolute path of its cwd; validate it the same way
    same = error_line(run_cli(tmp_path, "lanes", "validate", str(path.resolve())))
    assert nox_line == same


@pytest.mark.e2e
def test_nox_list_with_good_lanes_toml_has_a_session_per_step_and_lane(tmp_path: Path) -> None:
    write(tmp_path, "noxfile.py", NOXFILE)
    write(tmp_path, "lanes.toml", GOOD)
    r = run_nox(tmp_path, "-l")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    sessions = dict(
        (m.group(2), m.group(1)) for m in re.finditer(r"^([*-]) (\S+) -> ", r.stdout, re.M)
    )
    assert list(sessions) == [*CANONICAL, *LANES]
    # register() makes no session a default: a project's bare `nox` runs what it ran before
    assert set(sessions.values()) == {"-"}
    # register(default_session=True), as init writes into a noxfile of its own: the default
    # lane (and the steps it requires) is what a bare `nox` runs
    write(tmp_path, "noxfile.py", NOXFILE.replace("register()", "register(default_session=True)"))
    r = run_nox(tmp_path, "-l")
    assert r.returncode == 0, r.stdout + r.stderr
    sessions = dict(
        (m.group(2), m.group(1)) for m in re.finditer(r"^([*-]) (\S+) -> ", r.stdout, re.M)
    )
    assert sessions["startup"] == "*"
    assert sessions["scale"] == sessions["regulated"] == "-"
    assert sessions["drift-check"] == sessions["contract-index"] == "-"


# ---- 4. lanes list / show ------------------------------------------------------------------


def test_lanes_list_text(tmp_path: Path) -> None:
    write(tmp_path, "lanes.toml", GOOD)
    r = run_cli(tmp_path, "lanes", "list")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "startup: 3 steps, 3 controls, 2 KPIs - Small teams.",
        "scale (extends startup): 4 steps, 6 controls, 4 KPIs - Many teams.",
        "regulated (extends scale): 5 steps, 9 controls, 6 KPIs - Audited.",
    ]


def test_lanes_show_text(tmp_path: Path) -> None:
    write(tmp_path, "lanes.toml", GOOD)
    r = run_cli(tmp_path, "lanes", "show", "regulated")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[:3] == ["lane regulated: Audited.", "  extends: scale -> startup", "  steps:"]
    rows = [tuple(line.split()) for line in lines if line.startswith("    ")]
    assert rows[:5] == [
        ("gate-fast", "from", "startup"),
        ("gate-release", "from", "startup"),
        ("doctor", "from", "startup"),
        ("drift-check", "from", "scale"),
        ("contract-index", "from", "regulated"),
    ]
    assert len(rows) == 5 + 9 + 6
    assert ("compat-policy", "from", "scale") in rows
    assert ("rollback-rate", "from", "regulated") in rows
    assert lines.index("  controls:") < lines.index("  kpis:")

    r = run_cli(tmp_path, "lanes", "show", "startup")
    assert r.returncode == 0, r.stderr
    assert "extends" not in r.stdout
    assert "drift-check" not in r.stdout


@pytest.mark.parametrize(
    ("name", "hint"),
    [("regulatd", " (did you mean 'regulated'?)"), ("nosuchlane", "")],
)
def test_lanes_show_unknown_lane(tmp_path: Path, name: str, hint: str) -> None:
    path = write(tmp_path, "lanes.toml", GOOD)
    line = error_line(run_cli(tmp_path, "lanes", "show", name))
    assert line == (
        f"lane-tasks: error: {path.resolve()}: unknown lane '{name}'{hint}; "
        "lanes: startup, scale, regulated"
    )


# ---- 5. parse_config -----------------------------------------------------------------------


def test_parse_config_resolved_model(tmp_path: Path) -> None:
    path = tmp_path / "lanes.toml"
    config = parse_config(textwrap.dedent(GOOD), path)
    assert config.path == path
    assert config.root == tmp_path.resolve()
    assert list(config.lanes) == list(LANES)
    assert config.default_lane == "startup"
    assert config.release_owners == ("release-lead@example.org",)
    assert (config.evidence_dir, config.artifacts_dir, config.runs_keep) == (
        "release-evidence",
        ".lane-tasks",  # the default: a dot-directory no build backend takes for a package
        50,
    )
    assert config.artifacts_path() == tmp_path.resolve() / ".lane-tasks"
    assert (config.nox_backend, config.nox_python, config.nox_install) == (
        "none",
        None,
        ("lane-tasks",),
    )
    assert config.checks == {
        "ruff": CheckSpec(id="ruff", cmd=("ruff", "check", "."), owner="platform", timeout=120.0)
    }
    assert config.lanes["scale"].extends == "startup"
    assert config.lanes["scale"].steps == ("drift-check",)  # only its own additions

    startup, scale, regulated = (config.resolve(n) for n in LANES)
    assert startup.chain == ("startup",)
    assert regulated.chain == ("startup", "scale", "regulated")
    assert startup.step_ids() == ("gate-fast", "gate-release", "doctor")
    assert scale.step_ids() == ("gate-fast", "gate-release", "doctor", "drift-check")
    assert regulated.step_ids() == tuple(CANONICAL)
    assert set(startup.control_ids()) < set(scale.control_ids()) < set(regulated.control_ids())
    assert len(regulated.control_ids()) == 9
    assert regulated.steps[3] == Item("drift-check", "scale")
    assert regulated.kpis[-1] == Item("docs-to-adoption-conversion", "regulated")
    assert [lane.name for lane in config.resolved_lanes()] == list(LANES)
    assert regulated.to_json()["extends"] == ["startup", "scale"]


def test_parse_config_error_carries_path_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "lanes.toml"
    text = (
        '[lanes.startup]\nsteps = ["doctor"]\n\n'
        '[lanes.scale]\nextends = "nope"\nkpis = ["rollback-rate"]\n'
    )
    with pytest.raises(ConfigError) as info:
        parse_config(text, path)
    err = info.value
    assert (err.path, err.line, err.key) == (str(path), 5, "lanes.scale.extends")
    assert err.problem == "extends unknown lane 'nope'"
    assert str(err) == f"{path}:5: lanes.scale.extends: extends unknown lane 'nope'"

    config = parse_config(text.replace("nope", "startup"), path)
    with pytest.raises(ConfigError, match="did you mean 'scale'"):
        config.resolve("scal")


def test_parse_config_defaults_and_extra_settings(tmp_path: Path) -> None:
    text = """
    [project]
    artifacts_dir = "out/lanes"
    [runs]
    keep = 3
    [nox]
    backend = "uv"
    python = "3.12"
    install = ["lane-tasks==1.0"]
    [lanes.startup]
    steps = ["gate-fast"]
    [gate.fast]
    jobs = 2
    [gate.fast.checks.tests]
    cmd = ["pytest", "-q"]
    env = { NO_COLOR = "1" }
    cwd = "sub"
    timeout = 1.5
    [doctor]
    ci_files = [".github/workflows/ci.yml"]
    [doctor.disable]
    git-not-shallow = "  CI clones shallow on purpose  "
    """
    config = parse_config(textwrap.dedent(text), tmp_path / "lanes.toml")
    assert config.artifacts_dir == "out/lanes"
    assert config.runs_keep == 3
    assert (config.nox_backend, config.nox_python) == ("uv", "3.12")
    assert config.nox_install == ("lane-tasks==1.0",)
    assert config.jobs == 2
    check = config.checks["tests"]
    assert (check.cmd, check.env, check.cwd, check.timeout) == (
        ("pytest", "-q"),
        {"NO_COLOR": "1"},
        "sub",
        1.5,
    )
    assert check.owner is None
    assert config.doctor_disabled == {"git-not-shallow": "CI clones shallow on purpose"}
    assert config.ci_files == (".github/workflows/ci.yml",)
    assert config.default_lane is None
    assert config.release_owners == ()
