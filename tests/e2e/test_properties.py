"""Property-based tests (hypothesis) of everything lane-tasks reads back (issue 8: "any input
gives a valid result or the documented error, never a traceback").

Covered: lanes.toml (`parse_config`: any text; documents generated from the real key vocabulary
and catalogs, hostile or clean; the repository's own file with one hostile value; the CLI's
`lanes validate`), the `[deprecations] file`, artifacts (`read_artifact`, and `export` of what it
accepts), run manifests (`list_runs`), release decisions, KPI reviews, adoption events, history
imports (and the KPIs and dashboard over what they let in), the contract index (built from any
run directory, and `verify` of any index), DSSE envelopes and key files, and the compat
snapshot. Inputs are random bytes and JSON, and real artifacts made by the real CLI, mutated.

The documented error of bad input is `ConfigError`: one line that starts with the file. A
reader that returns `(doc, problem)` returns a problem string instead of raising; the compat
snapshot reader raises `SnapshotProblem`. Any other exception is a bug. Each bug these
properties found has a plain example test below (the minimal input).

Profiles: `ci` (the default: deterministic, 100 examples, the file in about 30 s on two cores)
and `thorough` (`HYPOTHESIS_PROFILE=thorough`: 300 random examples per property, the example
database under build/; add `--hypothesis-seed=N` to hunt further).
"""

from __future__ import annotations

import copy
import functools
import json
import math
import os
import shutil
import sqlite3
import string
import tempfile
import tomllib
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from helpers import REPO_ROOT, keypair, make_project, run_cli
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

from lane_tasks.catalog import CONTROLS, KPIS, STEPS
from lane_tasks.catalog.checks import FINDINGS
from lane_tasks.compat.diff import diff
from lane_tasks.compat.policy import judge
from lane_tasks.compat.snapshot import (
    Snapshot,
    SnapshotProblem,
    live_snapshot,
    read_snapshot_file,
    render_snapshot,
)
from lane_tasks.config import (
    COMPAT_POLICIES,
    COMPAT_SOURCES,
    NOX_BACKENDS,
    Config,
    load_config,
    load_deprecations,
    parse_config,
)
from lane_tasks.dashboard.model import build_model
from lane_tasks.errors import ConfigError, one_line
from lane_tasks.evidence.artifacts import (
    canonical_json,
    envelope,
    read_artifact,
    schema_errors,
)
from lane_tasks.evidence.history import TABLES, history_path
from lane_tasks.evidence.store import MANIFEST, list_runs, runs_root
from lane_tasks.exports import render_export
from lane_tasks.exports.markdown import render_run_summary
from lane_tasks.kpi.compute import compute_kpis
from lane_tasks.kpi.history_exchange import import_files
from lane_tasks.kpi.records import EVENT_KEYS, EVENT_TYPES, parse_event
from lane_tasks.kpi.review import load_reviews, reviews_path
from lane_tasks.releases.checklist import load_checklist
from lane_tasks.releases.decision import load_decision
from lane_tasks.steps.base import StepContext, StepOptions
from lane_tasks.steps.contract_index.build import run as index_run
from lane_tasks.steps.contract_index.verify import VerifyReport, verify_index
from lane_tasks.steps.doctor import CHECKS as DOCTOR_CHECKS
from lane_tasks.steps.gate_release import CHECKS as RELEASE_CHECKS
from lane_tasks.util.clock import parse_time
from lane_tasks.util.signing import load_public_key, sign_envelope, verify_envelope

settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough",
    max_examples=300,
    deadline=None,
    database=DirectoryBasedExampleDatabase(str(REPO_ROOT / "build" / "hypothesis")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

LANES_TOML = "lanes.toml"
MINIMAL = {
    "project": {"release_owners": ["lead@example.org"]},
    "history": {"repository": "prop"},
    "lanes": {"startup": {"steps": ["doctor"]}},
}
"""A lanes.toml needing no git (history.repository is set) for the reader properties."""


# ---- helpers ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], Path]]:
    """A fresh empty directory per hypothesis example (tmp_path is one per test function)."""
    base = tmp_path_factory.mktemp("examples")

    def make() -> Path:
        return Path(tempfile.mkdtemp(dir=base))

    yield make
    shutil.rmtree(base, ignore_errors=True)


def minimal_project(root: Path, extra: dict[str, Any] | None = None) -> Config:
    data = copy.deepcopy(MINIMAL) | (extra or {})
    path = root / LANES_TOML
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return load_config(path)


def assert_config_error(exc: ConfigError, where: str | Path) -> None:
    """The documented error: one line, starting with the file it is about."""
    message = str(exc)
    assert len(message.splitlines()) == 1, repr(message)
    assert message.startswith(str(where)), repr(message)


def assert_problem(problem: object) -> None:
    assert isinstance(problem, str) and problem.strip(), repr(problem)


def dump_json(doc: Any) -> str:
    return json.dumps(doc, allow_nan=True, ensure_ascii=False)


def to_bytes(text: str) -> bytes:
    """UTF-8, lone surrogates included (as a hostile file holds them)."""
    return text.encode("utf-8", "surrogatepass")


# ---- strategies: junk -------------------------------------------------------------------------

# Lone surrogates are what JSON's \ud800 escapes decode to; keys and values may hold them.
any_text = st.text(max_size=12)
json_text = st.text(st.characters(exclude_categories=()), max_size=12) | any_text
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | json_text
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(json_text, inner, max_size=4),
    max_leaves=10,
)

toml_scalars = (
    st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats()
    | any_text
    | st.datetimes(timezones=st.none() | st.just(UTC))
    | st.dates()
    | st.times()
)
toml_values = st.recursive(
    toml_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
    max_leaves=6,
)

TIMES = [
    "2026-01-31T12:00:00Z",
    "2026-01-31T12:00:00+00:00",
    "2026-01-31T12:00:00",
    "2026-01-31",
    "0001-01-01T00:00:00+01:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59-01:00",
    "9999-12-31T23:59:59Z",
    "2026-13-01T00:00:00Z",
    "2026-01-31T12:00:60Z",
    "2026-02-30T00:00:00Z",
    "2026-01-31T25:00:00Z",
    "2026-01-31t12:00:00z",
    "\uff12\uff10\uff12\uff16-01-31T12:00:00Z",  # fullwidth digits: \\d matches them
    "not a time",
    "",
]
"""ISO 8601 times, their extremes (overflowing UTC) and near misses, some of which the schemas'
date-time format passes."""
time_strings = st.sampled_from(TIMES) | st.datetimes(
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))])
).map(lambda d: d.isoformat())


def near_misses(ids: list[str]) -> list[str]:
    out = []
    for i in ids:
        out += [i[:-1], i.upper(), i + "s", i.replace("-", "_"), f" {i}", ""]
    return out


def vocab(ids: list[str]) -> st.SearchStrategy[str]:
    """Mostly real ids, sometimes a near miss or any text."""
    return (
        st.sampled_from(ids) | st.sampled_from(ids) | st.sampled_from(near_misses(ids)) | any_text
    )


def maybe_junk(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually the good value, sometimes a value of any TOML type."""
    return good | good | good | toml_values


def maybe_json_junk(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually the good value, sometimes a value of any JSON type."""
    return good | good | good | json_values


# ---- strategies: lanes.toml --------------------------------------------------------------------

LANE_NAMES = ["startup", "scale", "regulated", "base", "x"]
CHECK_IDS = ["ruff", "pytest", "mypy"]
TEAM_NAMES = ["platform", "release", "nobody"]
LEVELS = ["sev1", "sev2", "sev3", "sev4"]
paths = st.sampled_from(
    [
        "evidence",
        "release-evidence",
        "build",
        "a/b",
        "docs/**/*.md",
        "../out",
        "/abs",
        ".",
        "a\x00b",
    ]
) | any_text.filter(lambda s: s.strip())
regexes = st.lists(
    st.sampled_from(
        ["(?P<version>", ")", r"\d", ".*", "{", "}", "99999999999", "(", "[", "]", "+", "v", "^"]
    ),
    max_size=8,
).map("".join) | st.integers(min_value=1, max_value=1200).map(
    lambda n: "(" * n + "?P<version>x" + ")" * n  # sre_parse recurses per group
)
numbers = (
    st.integers(min_value=-5, max_value=5000)
    | st.floats()
    | st.sampled_from([math.nan, math.inf, -math.inf, 0, 10**400, 2**63])
)


@dataclass(frozen=True)
class Kit:
    """The value strategies of one way of writing lanes.toml: hostile (junk of any type, near
    misses, unknown keys) or clean (well-formed values only, so valid documents are common)."""

    hostile: bool

    def v(self, good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return maybe_junk(good) if self.hostile else good

    def ids(self, ids: list[str]) -> st.SearchStrategy[str]:
        return vocab(ids) if self.hostile else st.sampled_from(ids)

    def unknown(self, keys: dict[str, st.SearchStrategy[Any]]) -> dict[str, Any]:
        return keys if self.hostile else {}

    @property
    def text(self) -> st.SearchStrategy[str]:
        return any_text if self.hostile else st.text(string.ascii_letters, min_size=1, max_size=8)

    @property
    def texts(self) -> st.SearchStrategy[list[str]]:
        return st.lists(self.text, max_size=3, unique=True)

    @property
    def paths(self) -> st.SearchStrategy[str]:
        return paths if self.hostile else st.sampled_from(["evidence", "out/b", "docs/*.md"])

    @property
    def numbers(self) -> st.SearchStrategy[Any]:
        return numbers if self.hostile else st.integers(min_value=1, max_value=1000)


HOSTILE, CLEAN = Kit(hostile=True), Kit(hostile=False)


def lane_table(names: list[str], kit: Kit) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            "extends": kit.v(kit.ids([*names, "nope"])),
            "steps": kit.v(st.lists(kit.ids(list(STEPS)), max_size=5, unique=True)),
            "controls": kit.v(st.lists(kit.ids(list(CONTROLS)), max_size=5, unique=True)),
            "kpis": kit.v(st.lists(kit.ids(list(KPIS)), max_size=4, unique=True)),
            "description": kit.v(kit.text),
            "ideal_for": kit.v(kit.text),
        }
        | kit.unknown(
            {
                "remove_steps": st.lists(vocab(list(STEPS)), max_size=2),
                "step": st.lists(vocab(list(STEPS)), max_size=2),
            }
        ),
    )


@st.composite
def coherent_lanes(draw: st.DrawFn) -> dict[str, Any]:
    """A chain of lanes that share out the catalog: often valid, then perturbed."""
    n = draw(st.integers(min_value=1, max_value=3))
    names = draw(st.permutations(LANE_NAMES))[:n]
    lanes: dict[str, Any] = {}
    pools = {
        "steps": draw(st.permutations(list(STEPS))),
        "controls": draw(st.permutations(list(CONTROLS))),
        "kpis": draw(st.permutations(list(KPIS))),
    }
    for i, name in enumerate(names):
        lane: dict[str, Any] = {}
        if i:
            lane["extends"] = names[i - 1]
        for kind, pool in pools.items():
            take = draw(st.integers(min_value=1 if kind == "steps" and not i else 0, max_value=3))
            lane[kind], pools[kind] = pool[:take], pool[take:]
        lanes[name] = lane
    if draw(st.integers(0, 4)) == 0:  # a cycle
        lanes[names[0]]["extends"] = names[-1]
    if draw(st.integers(0, 4)) == 0:  # re-list an inherited id
        last = lanes[names[-1]]
        last["steps"] = [*last.get("steps", []), *lanes[names[0]]["steps"][:1]]
    return lanes


@st.composite
def random_lanes(draw: st.DrawFn, kit: Kit) -> dict[str, Any]:
    pool = [*LANE_NAMES, "Bad Name", ""] if kit.hostile else LANE_NAMES
    names = draw(st.lists(st.sampled_from(pool), max_size=4, unique=True))
    return {n: draw(kit.v(lane_table(names, kit))) for n in names}


def check_table(kit: Kit) -> st.SearchStrategy[dict[str, Any]]:
    good_cmd = st.sampled_from([["ruff", "check", "."], ["{python}", "-c", "pass"]])
    return st.fixed_dictionaries(
        {
            "cmd": kit.v(
                good_cmd
                | st.sampled_from([[""], []])
                | st.lists(kit.text, min_size=1, max_size=3)
                | st.sampled_from(["ruff check .", "echo 'unterminated"])
            )
            if kit.hostile
            else good_cmd,
        },
        optional={
            "owner": kit.v(st.sampled_from(TEAM_NAMES)),
            "timeout": kit.v(kit.numbers),
            "env": kit.v(st.dictionaries(kit.ids(["A", "B=C", "", "D\x00"]), kit.text)),
            "cwd": kit.v(kit.paths),
            "description": kit.v(kit.text),
            "inputs": kit.v(st.lists(kit.paths, max_size=2)),
            "input_env": kit.v(st.lists(kit.ids(["A", "B_*", "C=D", " E", "F\x00"]), max_size=2)),
            "shell": st.just(True) if kit.hostile else st.just(False),
        },
    )


def section_strategies(lane_names: list[str], kit: Kit) -> dict[str, st.SearchStrategy[Any]]:
    lane_ref = kit.ids(lane_names or ["startup"])
    return {
        "project": st.fixed_dictionaries(
            {},
            optional={
                "release_owners": kit.v(st.lists(kit.text, max_size=2)),
                "evidence_dir": kit.v(kit.paths),
                "artifacts_dir": kit.v(kit.paths),
                "default_lane": kit.v(lane_ref),
                "adoption_point": kit.v(kit.text),
            }
            | kit.unknown({"release_owner": any_text}),
        ),
        "runs": st.fixed_dictionaries({}, optional={"keep": kit.v(kit.numbers)}),
        "nox": st.fixed_dictionaries(
            {},
            optional={
                "backend": kit.v(kit.ids(list(NOX_BACKENDS))),
                "python": kit.v(kit.ids(["3.11", "3.12"])),
                "install": kit.v(kit.texts),
            },
        ),
        "gate": st.fixed_dictionaries(
            {},
            optional={
                "fast": st.fixed_dictionaries(
                    {},
                    optional={
                        "checks": kit.v(
                            st.dictionaries(kit.ids(CHECK_IDS), kit.v(check_table(kit)))
                        ),
                        "jobs": kit.v(kit.numbers),
                        "cache": kit.v(st.booleans()),
                    },
                ),
                "release": st.fixed_dictionaries(
                    {},
                    optional={
                        "tag_pattern": regexes if kit.hostile else st.just("^v(?P<version>.+)$"),
                        "changelog": kit.v(kit.paths),
                        "offline": kit.v(st.booleans()),
                        "timeout": kit.v(kit.numbers),
                        "disable": kit.v(
                            st.dictionaries(kit.ids(list(RELEASE_CHECKS)), kit.v(kit.text))
                        ),
                    },
                ),
            },
        ),
        "doctor": st.fixed_dictionaries(
            {},
            optional={
                "disable": kit.v(st.dictionaries(kit.ids(list(DOCTOR_CHECKS)), kit.v(kit.text))),
                "ci_files": kit.v(st.lists(kit.paths, max_size=2)),
            },
        ),
        "drift": st.fixed_dictionaries(
            {},
            optional={
                "ci_files": kit.v(st.lists(kit.paths, max_size=2)),
                "required_ci_lanes": kit.v(st.lists(lane_ref, max_size=2)),
                "docs": kit.v(st.lists(kit.paths, max_size=2)),
                "waive": kit.v(
                    st.lists(
                        kit.v(
                            st.fixed_dictionaries(
                                {
                                    "finding": kit.v(kit.ids(list(FINDINGS))),
                                    "path": kit.v(kit.paths),
                                    "reason": kit.v(kit.text),
                                },
                                optional={"line": kit.v(kit.numbers)},
                            )
                        ),
                        max_size=2,
                    )
                ),
            },
        ),
        "teams": st.dictionaries(
            st.sampled_from(TEAM_NAMES) | kit.text,
            kit.v(
                st.fixed_dictionaries(
                    {},
                    optional={"contact": kit.v(kit.text), "description": kit.text},
                )
            ),
            max_size=3,
        ),
        "ownership": st.fixed_dictionaries(
            {},
            optional={
                "steps": st.dictionaries(kit.ids(list(STEPS)), kit.v(kit.ids(TEAM_NAMES))),
                "controls": st.dictionaries(kit.ids(list(CONTROLS)), kit.v(kit.ids(TEAM_NAMES))),
                "checks": st.dictionaries(kit.ids(CHECK_IDS), kit.v(kit.ids(TEAM_NAMES))),
            },
        ),
        "support": st.fixed_dictionaries(
            {},
            optional={
                "levels": kit.v(st.lists(kit.ids(LEVELS), max_size=4)),
                "severity": st.dictionaries(
                    kit.ids(LEVELS),
                    kit.v(
                        st.fixed_dictionaries(
                            {},
                            optional={
                                k: kit.v(st.sampled_from(["15m", "4h", "1d", "x"]))
                                for k in ("ack", "resolve", "escalation", "description")
                            },
                        )
                    ),
                    max_size=3,
                ),
            },
        ),
        "kpi": st.fixed_dictionaries(
            {},
            optional={
                "review_period_days": kit.v(kit.numbers),
                "reviewers": kit.v(kit.texts),
                "min_sample": kit.v(kit.numbers),
            },
        ),
        "release": st.fixed_dictionaries(
            {},
            optional={"checklist": kit.v(st.lists(kit.ids([*STEPS, "decision"]), max_size=5))},
        ),
        "compat": st.fixed_dictionaries(
            {},
            optional={
                "snapshot": kit.v(kit.paths),
                "source": kit.v(kit.ids(list(COMPAT_SOURCES))),
                "policy": kit.v(kit.ids(list(COMPAT_POLICIES))),
            },
        ),
        "deprecations": st.fixed_dictionaries(
            {},
            optional={
                "min_window_minors": kit.v(kit.numbers),
                "file": kit.v(kit.paths),
                "items": kit.v(st.lists(kit.v(deprecation_item(kit)), max_size=2)),
            },
        ),
        "history": st.fixed_dictionaries(
            {},
            optional={"path": kit.v(kit.paths), "repository": kit.v(kit.text)},
        ),
    } | kit.unknown({"lane": st.just({"startup": {}})})


def deprecation_item(kit: Kit) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "item": kit.v(kit.ids(["cli:gate fast --jobs", "schema:doctor", "cli:"])),
            "announced_in": kit.v(st.sampled_from(["0.1.0", "1.0", "x"])),
            "remove_in": kit.v(st.sampled_from(["0.3.0", "2.0", "x"])),
            "runbook": kit.v(kit.paths),
        },
        optional=kit.unknown({"note": any_text}),
    )


@st.composite
def lanes_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A lanes.toml as a dict tree: real keys and ids with values of any type (hostile), or
    well-formed values only (clean, so that valid documents are common too)."""
    kit = draw(st.sampled_from([HOSTILE, CLEAN]))
    lanes = draw(coherent_lanes() | random_lanes(kit))
    doc: dict[str, Any] = {"lanes": draw(kit.v(st.just(lanes)))}
    names = list(lanes)
    if draw(st.integers(0, 3)):  # usually give gate fast a check
        doc["gate"] = {"fast": {"checks": {"smoke": {"cmd": ["{python}", "-c", "pass"]}}}}
    sections = list(section_strategies(names, kit).items())
    for name, strategy in sections if kit.hostile else draw(st.permutations(sections))[:3]:
        if draw(st.integers(0, 2)) == 0:
            value = draw(kit.v(strategy))
            old = doc.get(name)
            if isinstance(old, dict) and isinstance(value, dict):
                value = old | value
            doc[name] = value
    return doc


def toml_text(doc: dict[str, Any]) -> str | None:
    try:
        return tomli_w.dumps(doc)
    except (TypeError, ValueError):  # a tree TOML cannot hold (a root-level array, ...)
        return None


# ---- lanes.toml: the loader ---------------------------------------------------------------------


def check_config_outcome(text: str, path: Path) -> Config | None:
    """parse_config gives a Config whose lanes all resolve additively, or ConfigError."""
    try:
        config = parse_config(text, path)
    except ConfigError as exc:
        assert_config_error(exc, path)
        event("ConfigError")
        return None
    event("valid config")
    for name, spec in config.lanes.items():
        lane = config.resolve(name)
        assert lane.chain[-1] == name
        assert [i.id for i in lane.steps] == [s for s in STEPS if s in lane.step_ids()]
        for items in (lane.steps, lane.controls, lane.kpis):
            ids = [i.id for i in items]
            assert len(ids) == len(set(ids)), ids
            assert all(i.origin in lane.chain for i in items)
        if spec.extends is not None:
            parent = config.resolve(spec.extends)
            assert set(parent.step_ids()) <= set(lane.step_ids())
            assert set(parent.control_ids()) <= set(lane.control_ids())
            assert {i.id for i in parent.kpis} <= {i.id for i in lane.kpis}
            assert lane.chain[:-1] == parent.chain
    assert_usable(config)
    return config


def assert_usable(config: Config) -> None:
    """What the loader accepts can be used: paths and argv without NUL, finite timeouts."""
    settings_paths = [
        config.evidence_dir,
        config.artifacts_dir,
        config.compat.snapshot,
        *config.ci_files,
        *config.drift.ci_files,
        *config.drift.docs,
        *(p for p in (config.history.path, config.deprecations.file) if p is not None),
    ]
    for p in settings_paths:
        assert "\x00" not in p, p
    assert math.isfinite(config.release.timeout) and config.release.timeout > 0
    timedelta(days=config.kpi.review_period_days)  # the weekly-kpi-review control's window
    for check in config.checks.values():
        assert math.isfinite(check.timeout) and check.timeout > 0, check
        assert all("\x00" not in a for a in check.cmd), check
        assert all(k and "=" not in k and "\x00" not in k for k in check.env), check
        assert all("\x00" not in v for v in check.env.values()), check
        assert check.cwd is None or "\x00" not in check.cwd


toml_fragments = st.lists(
    st.sampled_from(
        [
            "[lanes.startup]",
            "[gate.fast.checks.a]",
            "[[drift.waive]]",
            "[project",
            'steps = ["doctor"]',
            "extends = 'startup'",
            'cmd = ["ruff"]',
            "a = [",
            "]",
            "{",
            "}",
            '"""',
            "'''",
            "x = 1979-05-27T07:32:00Z",
            "y = inf",
            "= 1",
            "\\",
            "#",
            "\n",
            "\r\n",
            "\x00",
            "\ufeff",
            "x = " + "9" * 4400,
        ]
    )
    | any_text,
    max_size=12,
).map("\n".join)


@given(text=st.text() | toml_fragments)
def test_parse_config_of_any_text(text: str) -> None:
    check_config_outcome(text, Path("/repo/lanes.toml"))


@given(doc=lanes_documents())
def test_parse_config_of_generated_documents(doc: dict[str, Any]) -> None:
    text = toml_text(doc)
    if text is not None:
        check_config_outcome(text, Path("/repo/lanes.toml"))


@given(doc=coherent_lanes())
def test_coherent_lanes_resolve_or_name_their_problem(doc: dict[str, Any]) -> None:
    data = {"lanes": doc, "gate": {"fast": {"checks": {"smoke": {"cmd": ["true"]}}}}}
    check_config_outcome(tomli_w.dumps(data), Path("/repo/lanes.toml"))


REPO_LANES = tomllib.loads((REPO_ROOT / LANES_TOML).read_text(encoding="utf-8"))
"""This repository's own lanes.toml: every section, valid; the base of the one-change property."""
HOSTILE_SPECIALS = st.sampled_from(
    [
        math.nan,
        math.inf,
        -math.inf,
        0,
        -1,
        2**63 - 1,
        2**70,
        10**400,
        -(10**400),
        "",
        " ",
        "a\x00b",
        "B=C",
        "\n",
        "../x",
        "/abs",
        "startup",
        "scale",
        "gate-fast",
        "release-owner",
        [],
        {},
        [""],
        ["a\x00b"],
        ["ruff", "a\x00b"],
    ]
)
HOSTILE_TOML = st.one_of(*[HOSTILE_SPECIALS] * 6, toml_values, paths, regexes)


VOCAB_KEYS = [
    ("project", "default_lane"),
    ("project", "adoption_point"),
    ("runs", "keep"),
    ("nox", "python"),
    ("nox", "install"),
    ("gate", "fast", "jobs"),
    ("gate", "fast", "cache"),
    ("gate", "fast", "checks", "mypy", "timeout"),
    ("gate", "fast", "checks", "mypy", "cmd"),
    ("gate", "fast", "checks", "mypy", "env"),
    ("gate", "fast", "checks", "mypy", "env", "A"),
    ("gate", "fast", "checks", "mypy", "cwd"),
    ("gate", "fast", "checks", "mypy", "inputs"),
    ("gate", "fast", "checks", "mypy", "input_env"),
    ("gate", "fast", "checks", "mypy", "shell"),
    ("gate", "release", "tag_pattern"),
    ("gate", "release", "changelog"),
    ("gate", "release", "timeout"),
    ("gate", "release", "disable"),
    ("doctor", "disable"),
    ("doctor", "ci_files"),
    ("drift", "docs"),
    ("drift", "waive"),
    ("kpi", "reviewers"),
    ("kpi", "min_sample"),
    ("kpi", "review_period_days"),
    ("compat", "snapshot"),
    ("deprecations", "file"),
    ("deprecations", "items"),
    ("deprecations", "min_window_minors"),
    ("history", "path"),
    ("history", "repository"),
    ("lanes", "startup", "extends"),
    ("lanes", "scale", "extends"),
    ("support", "levels"),
    ("teams", "platform", "contact"),
    ("ownership", "checks"),
    ("release", "checklist"),
]
"""Keys lanes.toml may hold that the repository's own file leaves out (or holds elsewhere)."""


def _key_paths(table: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for k, v in table.items():
        out.append((*prefix, k))
        if isinstance(v, dict):
            out += _key_paths(v, (*prefix, k))
    return out


ALL_KEYS = sorted(set(VOCAB_KEYS) | set(_key_paths(REPO_LANES)))


@given(data=st.data())
def test_parse_config_with_one_hostile_change(data: st.DataObject) -> None:
    """The repository's own valid lanes.toml with one to three values replaced, removed or
    added: every single bad value is caught with its file:line and key, or is harmless."""
    doc = copy.deepcopy(REPO_LANES)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        container, key = data.draw(st.sampled_from(_slots(doc)))
        op = data.draw(st.sampled_from(["replace", "delete", "add", *["set"] * 5]))
        if op == "replace":
            container[key] = data.draw(HOSTILE_TOML)
        elif op == "delete":
            del container[key]
        elif op == "set":  # a key of the vocabulary the file does not use yet
            *parents, name = data.draw(st.sampled_from(ALL_KEYS))
            table: Any = doc
            for part in parents:
                table = table.setdefault(part, {}) if isinstance(table, dict) else None
            if isinstance(table, dict):
                table[name] = data.draw(HOSTILE_TOML)
        elif isinstance(container, dict):
            container[data.draw(any_text)] = data.draw(HOSTILE_TOML)
        else:
            container.append(data.draw(HOSTILE_TOML))
    text = toml_text(doc)
    if text is not None:
        check_config_outcome(text, Path("/repo/lanes.toml"))


def typed_values() -> dict[tuple[str, ...], st.SearchStrategy[Any]]:
    """Keys of lanes.toml, each with hostile values of the kind it takes."""
    lanes = vocab(list(REPO_LANES["lanes"]))
    check = ("gate", "fast", "checks", "mypy")
    path_lists = st.lists(paths, max_size=2)
    counts = {k: numbers for k in [("runs", "keep"), ("gate", "fast", "jobs")]}
    counts |= {("kpi", k): numbers for k in ("review_period_days", "min_sample")}
    return counts | {
        (*check, "timeout"): numbers,
        ("gate", "release", "timeout"): numbers,
        (*check, "cmd"): st.lists(any_text, max_size=3) | st.sampled_from(["ruff .", ["x\x00"]]),
        (*check, "env"): st.dictionaries(st.sampled_from(["A", "B=C", "", "D\x00"]), any_text),
        (*check, "cwd"): paths,
        (*check, "inputs"): path_lists,
        (*check, "input_env"): st.lists(st.sampled_from(["A", "B_*", "C=D", " E", "F\x00"])),
        ("gate", "release", "tag_pattern"): regexes,
        ("gate", "release", "changelog"): paths,
        ("project", "evidence_dir"): paths,
        ("project", "artifacts_dir"): paths,
        ("project", "default_lane"): lanes,
        ("project", "release_owners"): st.lists(any_text, max_size=2),
        ("history", "path"): paths,
        ("compat", "snapshot"): paths,
        ("deprecations", "file"): paths,
        ("deprecations", "min_window_minors"): numbers,
        ("deprecations", "items"): st.lists(deprecation_item(HOSTILE), max_size=2),
        ("doctor", "ci_files"): path_lists,
        ("drift", "docs"): path_lists,
        ("drift", "ci_files"): path_lists,
        ("drift", "required_ci_lanes"): st.lists(lanes, max_size=2),
        ("lanes", "scale", "extends"): lanes,
        ("lanes", "regulated", "steps"): st.lists(vocab(list(STEPS)), max_size=2),
        ("lanes", "scale", "controls"): st.lists(vocab(list(CONTROLS)), max_size=2),
        ("support", "levels"): st.lists(vocab(LEVELS), max_size=5),
        ("release", "checklist"): st.lists(vocab([*STEPS, "decision"]), max_size=3),
    }


TYPED_VALUES = typed_values()


@given(data=st.data())
def test_parse_config_with_one_hostile_value(data: st.DataObject) -> None:
    """The repository's own lanes.toml with one key set to a hostile value of the kind that
    key takes (a timeout of nan, a path holding NUL): everything else stays valid, so each
    check of the loader is reached."""
    *parents, key = data.draw(st.sampled_from(sorted(TYPED_VALUES)))
    value = data.draw(TYPED_VALUES[(*parents, key)] | HOSTILE_TOML)
    doc = copy.deepcopy(REPO_LANES)
    table = doc
    for part in parents:
        table = table.setdefault(part, {})
    table[key] = value
    text = toml_text(doc)
    if text is not None:
        check_config_outcome(text, Path("/repo/lanes.toml"))


@given(depth=st.integers(min_value=1, max_value=4000), kind=st.sampled_from(["[", "{a=", "a."]))
def test_deeply_nested_toml_is_a_config_error(depth: int, kind: str) -> None:
    text = "a" + ".a" * depth + " = 1" if kind == "a." else "x = " + kind * depth
    check_config_outcome(text, Path("/repo/lanes.toml"))


@settings(max_examples=6)
@given(doc=lanes_documents())
def test_lanes_validate_cli_exits_0_or_2_without_traceback(
    doc: dict[str, Any], scratch: Callable[[], Path]
) -> None:
    text = toml_text(doc)
    if text is None:
        return
    root = scratch()
    (root / LANES_TOML).write_text(text, encoding="utf-8")
    r = run_cli(root, "lanes", "validate", LANES_TOML)
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode in (0, 2), (r.returncode, r.stderr)
    if r.returncode == 2:
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr


@settings(max_examples=6)
@given(raw=st.binary(max_size=200) | toml_fragments.map(lambda t: t.encode("utf-8", "replace")))
def test_lanes_validate_cli_on_any_bytes(raw: bytes, scratch: Callable[[], Path]) -> None:
    root = scratch()
    (root / LANES_TOML).write_bytes(raw)
    r = run_cli(root, "lanes", "validate", LANES_TOML)
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode in (0, 2), (r.returncode, r.stderr)


# ---- lanes.toml: the deprecations file ----------------------------------------------------------


HOSTILE_ITEM = deprecation_item(HOSTILE)


@given(
    content=st.binary(max_size=100)
    | toml_fragments.map(str.encode)
    | st.fixed_dictionaries(
        {},
        optional={
            "deprecations": maybe_junk(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "items": maybe_junk(st.lists(maybe_junk(HOSTILE_ITEM), max_size=3)),
                        "min_window_minors": numbers,
                    },
                )
            ),
            "other": toml_values,
        },
    ).map(lambda d: (toml_text(d) or "").encode())
)
def test_load_deprecations_of_any_file(content: bytes, scratch: Callable[[], Path]) -> None:
    root = scratch()
    config = minimal_project(root, {"deprecations": {"file": "deprecations.toml"}})
    (root / "deprecations.toml").write_bytes(content)
    try:
        items = load_deprecations(config)
    except ConfigError as exc:
        assert_config_error(exc, "deprecations.toml")
        return
    for d in items:
        assert d.item.startswith(("cli:", "schema:")) and d.announced_in and d.remove_in


# ---- seeds: real artifacts and records ----------------------------------------------------------


class Seeds(dict[str, Any]):
    """The seed documents; a short repr keeps hypothesis' falsifying examples readable."""

    def __repr__(self) -> str:
        return "<seeds>"


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> Seeds:
    """A real project with a real run (doctor), its contract index, a no-go decision, a KPI
    review and the history export: the valid documents the mutation properties start from."""
    root = make_project(tmp_path_factory.mktemp("seeds"))
    run_id = "20260101T120000Z-0a1b2c"
    (root / "events.jsonl").write_text(
        '{"type": "docs-view", "at": "2026-01-31T12:00:00Z", "page": "README.md"}\n'
        '{"type": "adoption", "at": "2026-02-01T12:00:00Z", "id": "a-1"}\n'
    )
    owner = load_config(root / LANES_TOML).release_owners[0]
    for args in (
        ("doctor", "--format", "json", "--out", "build/doctor.json", "--run-id", run_id),
        ("contract-index", "--format", "json", "--out", "build/contract-index.json"),
        ("release", "decide", "--version", "0.1.0", "--decision", "no-go", "--owner", owner),
        ("kpi", "review", "--reviewer", "me"),
        ("events", "import", "events.jsonl"),
    ):
        r = (
            run_cli(root, *args, "--lane", "startup")
            if args[0] == "doctor"
            else run_cli(root, *args)
        )
        assert r.returncode in (0, 1), r.stderr
    export = run_cli(root, "history", "export")
    assert export.returncode == 0, export.stderr
    docs = {
        "doctor": root / "build" / "doctor.json",
        "manifest": runs_root(load_config(root / LANES_TOML)) / run_id / MANIFEST,
        "contract-index": root / "build" / "contract-index.json",
        "statement": root / "build" / "contract-index.intoto.json",
        "decision": root / "release-evidence" / "releases" / "0.1.0" / "decision.json",
        "kpi-review": next((root / "release-evidence" / "kpi-reviews").glob("*.json")),
    }
    out = Seeds({k: json.loads(p.read_text(encoding="utf-8")) for k, p in docs.items()})
    out["snapshot"] = json.loads((REPO_ROOT / "compat-snapshot.json").read_text(encoding="utf-8"))
    out["export"] = [json.loads(line) for line in export.stdout.splitlines()]
    out["root"] = root
    out["run_id"] = run_id
    for kind in ("doctor", "manifest", "contract-index", "decision", "kpi-review"):
        assert schema_errors(out[kind]) is None, kind
    assert {row["type"] for row in out["export"]} == {"run", "step", "record", "event"}
    assert {r["event_type"] for r in out["export"] if r["type"] == "event"} == set(EVENT_TYPES)
    return out


def _slots(doc: Any) -> list[tuple[Any, Any]]:
    """Every (container, key-or-index) in a JSON tree."""
    out: list[tuple[Any, Any]] = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out.append((doc, k))
            out += _slots(v)
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out.append((doc, i))
            out += _slots(v)
    return out


MUTANT_VALUES = (
    json_values
    | time_strings
    | st.sampled_from(
        [
            "lane-tasks/doctor",
            "lane-tasks/run-manifest",
            "lane-tasks/release-decision",
            "lane-tasks/kpi-review",
            "lane-tasks/triage",
            "lane-tasks/nope",
            "lane-tasks/../x",
            "1.0",
            "pass",
            "fail",
            "../../etc/passwd",
            "/etc/passwd",
            "build",
            "build/doctor.json",
            "20260101T120000Z-0a1b2c",
            math.nan,
            math.inf,
            1e308,
            -1,
            0,
            [],
            {},
        ]
    )
)


class Doc:
    """A seed document for a strategy, with a short repr (strategies print their arguments)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<doc>"


ODD_STRINGS = st.sampled_from(
    ["", " ", "\n", "a\nb", "\x1e", "\u2028", "\x00", "\ud800", "../../x", "/etc", "é", "`|<b>"]
)
ODD_NUMBERS = st.sampled_from([0, -1, 2**63, -(2**63) - 1, 10**30, 0.5, -0.0, 1e308, -1e308])


def _same_type(value: Any) -> st.SearchStrategy[Any]:
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.integers() | ODD_NUMBERS
    if isinstance(value, float):
        return st.floats() | ODD_NUMBERS
    if isinstance(value, str):
        return (
            json_text
            | ODD_STRINGS
            | time_strings
            | MUTANT_VALUES.filter(lambda v: isinstance(v, str))
        )
    if isinstance(value, list):
        return st.just(value + value) | st.just(value[::-1]) | st.just([])
    if isinstance(value, dict):
        return st.just({}) | st.just(value)
    return st.just(value)


@st.composite
def mutated(draw: st.DrawFn, seed: Any) -> Any:
    """A valid document with one to four keys or values replaced, removed or added."""
    doc = copy.deepcopy(seed.value if isinstance(seed, Doc) else seed)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        slots = _slots(doc)
        if not slots:
            break
        container, key = draw(st.sampled_from(slots))
        op = draw(st.sampled_from(["tweak", "tweak", "replace", "delete", "add", "retype"]))
        if op == "tweak":  # the same type: what the schema still accepts, with odd content
            container[key] = draw(_same_type(container[key]))
        elif op == "replace":
            container[key] = draw(MUTANT_VALUES)
        elif op == "delete":
            del container[key]
        elif op == "add" and isinstance(container, dict):
            container[draw(json_text)] = draw(MUTANT_VALUES)
        elif op == "add":
            container.append(draw(MUTANT_VALUES))
        else:
            v = container[key]
            container[key] = [v] if not isinstance(v, list) else {"v": v}
    return doc


def file_contents(seed_key: str) -> Callable[[dict[str, Any]], st.SearchStrategy[bytes]]:
    """Random bytes, random JSON, a seed of another kind, or a mutated seed of this kind."""

    def strategy(seeds: dict[str, Any]) -> st.SearchStrategy[bytes]:
        kinds = ["doctor", "manifest", "decision", "kpi-review", "contract-index"]
        return (
            st.binary(max_size=64)
            | json_values.map(dump_json).map(to_bytes)
            | st.sampled_from(["[" * 3000, '{"a":' * 3000, "NaN", "\ufeff{}", ""]).map(str.encode)
            | st.sampled_from(kinds).map(lambda k: dump_json(seeds[k]).encode())
            | mutated(Doc(seeds[seed_key])).map(dump_json).map(to_bytes)
            | mutated(Doc(seeds[seed_key])).map(dump_json).map(to_bytes)
        )

    return strategy


# ---- artifacts and records --------------------------------------------------------------------


@given(data=st.data())
def test_read_artifact_of_any_file(
    data: st.DataObject, seeds: dict[str, Any], scratch: Callable[[], Path]
) -> None:
    raw = data.draw(file_contents("doctor")(seeds))
    path = scratch() / "artifact.json"
    path.write_bytes(raw)
    doc, problem = read_artifact(path)
    if problem is None:
        assert isinstance(doc, dict) and schema_errors(doc) is None
    else:
        assert_problem(problem)
        assert doc is None or isinstance(doc, dict)


@given(data=st.data())
def test_list_runs_of_any_manifests(
    data: st.DataObject, seeds: dict[str, Any], scratch: Callable[[], Path]
) -> None:
    config = minimal_project(scratch())
    contents = data.draw(st.lists(file_contents("manifest")(seeds), min_size=1, max_size=3))
    for n, raw in enumerate(contents):
        d = runs_root(config) / f"20260101T12000{n}Z-0a1b2c"
        d.mkdir(parents=True)
        if raw != b"":
            (d / MANIFEST).write_bytes(raw)
    runs = list_runs(config)
    assert len(runs) == len(contents)
    for rec in runs:
        if rec.manifest is None:
            assert_problem(rec.problem)
        else:
            assert rec.problem is None
            assert schema_errors(rec.manifest) is None
            assert rec.manifest["schema"] == "lane-tasks/run-manifest"


@given(data=st.data())
def test_load_decision_of_any_file(
    data: st.DataObject, seeds: dict[str, Any], scratch: Callable[[], Path]
) -> None:
    path = scratch() / "decision.json"
    path.write_bytes(data.draw(file_contents("decision")(seeds)))
    doc, problem = load_decision(path)
    if doc is None:
        assert_problem(problem)
    else:
        assert problem is None
        assert schema_errors(doc) is None
        assert doc["schema"] == "lane-tasks/release-decision"
        assert doc["decision"] in ("go", "no-go") and isinstance(doc["owner"], str)


@given(data=st.data())
def test_load_reviews_of_any_files(
    data: st.DataObject, seeds: dict[str, Any], scratch: Callable[[], Path]
) -> None:
    config = minimal_project(scratch())
    d = reviews_path(config)
    d.mkdir(parents=True)
    contents = data.draw(st.lists(file_contents("kpi-review")(seeds), min_size=1, max_size=3))
    for n, raw in enumerate(contents):
        (d / f"2026010{n}T000000Z.json").write_bytes(raw)
    reviews = load_reviews(config)
    assert len(reviews) == len(contents)
    for review in reviews:
        if review.record is None:
            assert_problem(review.problem)
            assert review.reviewed_at() is None
        else:
            assert review.problem is None
            assert review.record["schema"] == "lane-tasks/kpi-review"
            when = review.reviewed_at()
            assert when is not None and when.tzinfo is not None
            when - datetime(2026, 1, 1, tzinfo=UTC)  # usable as a time: the control subtracts


event_objects = st.dictionaries(
    st.sampled_from(EVENT_KEYS) | json_text,
    json_values,
    max_size=4,
) | st.fixed_dictionaries(
    {"type": maybe_json_junk(st.sampled_from(EVENT_TYPES)), "at": time_strings | json_values},
    optional={k: st.sampled_from(["x", "", " "]) | json_text for k in EVENT_KEYS[2:]},
)


@given(
    line=st.text()
    | json_values.map(dump_json)
    | event_objects.map(dump_json)
    | st.sampled_from(["[" * 3000, '{"type":' * 3000, "NaN"])
)
def test_parse_event_of_any_line(line: str) -> None:
    path = Path("/repo/events.jsonl")
    try:
        row = parse_event(line, path, 7, "repo")
    except ConfigError as exc:
        assert_config_error(exc, path)
        return
    repo, event_id, kind, at, data = row
    assert kind in EVENT_TYPES
    assert all(isinstance(v, str) and v for v in (repo, event_id, at, data))
    for v in row:  # the history stores it: it must be encodable
        v.encode("utf-8")
    datetime.fromisoformat(at)


# ---- history import -----------------------------------------------------------------------------


def history_line(seeds: dict[str, Any]) -> st.SearchStrategy[str]:
    rows = [Doc(row) for row in seeds["export"]]
    return (
        st.text(max_size=30)
        | json_values.map(dump_json)
        | st.sampled_from(rows).map(lambda d: dump_json(d.value))
        | st.sampled_from(rows).flatmap(mutated).map(dump_json)
        | st.sampled_from(rows).flatmap(mutated).map(dump_json)
        | st.fixed_dictionaries(
            {"type": st.sampled_from(["run", "step", "record", "event", *EVENT_TYPES])},
            optional={
                c: maybe_json_junk(time_strings | json_text)
                for c in sorted({c for cols in TABLES.values() for c in cols} - {"type"})
            },
        ).map(dump_json)
    )


def history_table_counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        conn.close()


@given(data=st.data())
def test_history_import_of_any_files(
    data: st.DataObject, seeds: dict[str, Any], scratch: Callable[[], Path]
) -> None:
    root = scratch()
    config = minimal_project(root)
    files = []
    for n in range(data.draw(st.integers(min_value=1, max_value=2))):
        kind = data.draw(st.sampled_from(["jsonl", "jsonl", "bytes", "manifest"]))
        if kind == "jsonl":
            lines = data.draw(st.lists(history_line(seeds), max_size=5))
            raw = to_bytes("\n".join(lines))
        elif kind == "bytes":
            raw = data.draw(st.binary(max_size=64) | st.just(b"SQLite format 3\x00garbage"))
        else:
            raw = data.draw(file_contents("manifest")(seeds))
        path = root / f"in-{n}.{kind}"
        path.write_bytes(raw)
        files.append(path)
    target = history_path(config)
    try:
        counts = import_files(config, files)
    except ConfigError as exc:
        assert_config_error(exc, root)
        assert not target.exists() or not any(history_table_counts(target).values())
        event("import refused")
        return
    event("imported")
    again = import_files(config, files)  # idempotent
    assert all(c.added == 0 for c in again.values()), again
    assert {t: c.added for t, c in counts.items()} == {
        t: n for t, n in history_table_counts(target).items() if t in counts
    }


@given(data=st.data())
def test_what_an_import_accepts_the_kpis_and_dashboard_can_read(
    data: st.DataObject, seeds: dict[str, Any], scratch: Callable[[], Path]
) -> None:
    """An import is the gate of the history: every row it lets in, the KPIs and the dashboard
    read without a traceback."""
    root = scratch()
    config = minimal_project(root)
    rows = list(seeds["export"])
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        i = data.draw(st.integers(min_value=0, max_value=len(rows) - 1))
        rows[i] = data.draw(mutated(Doc(rows[i])))
    path = root / "history.jsonl"
    path.write_bytes(to_bytes("\n".join(dump_json(r) for r in rows)))
    try:
        import_files(config, [path])
    except ConfigError as exc:
        assert_config_error(exc, path)
        event("import refused")
        return
    event("imported")
    now = datetime(2027, 1, 1, tzinfo=UTC)
    compute_kpis(config, list(KPIS), now=now)
    json.dumps(build_model(config, since=None, now=now))


# ---- exports of a written artifact ---------------------------------------------------------------


@given(data=st.data())
def test_exports_render_every_artifact_read_artifact_accepts(
    data: st.DataObject, seeds: dict[str, Any], scratch: Callable[[], Path]
) -> None:
    """`lane-tasks export` renders what read_artifact accepted, in every format."""
    kind = data.draw(st.sampled_from(["doctor", "manifest", "contract-index"]))
    path = scratch() / "artifact.json"
    path.write_bytes(to_bytes(dump_json(data.draw(mutated(Doc(seeds[kind]))))))
    doc, problem = read_artifact(path)
    if problem is not None or doc is None:
        event("rejected")
        return
    event("rendered")
    for fmt in ("json", "text", "sarif"):
        render_export(fmt, doc, config_path=seeds["root"] / LANES_TOML)


# ---- contract index verify ----------------------------------------------------------------------


def index_contents(seeds: dict[str, Any]) -> st.SearchStrategy[bytes]:
    return (
        file_contents("contract-index")(seeds)
        | mutated(Doc(seeds["statement"])).map(dump_json).map(to_bytes)
        | mutated(Doc(seeds["contract-index"]["entries"][0])).map(
            lambda e: dump_json(seeds["contract-index"] | {"entries": [e]}).encode(
                "utf-8", "surrogatepass"
            )
        )
    )


@given(data=st.data())
def test_contract_index_verify_of_any_index(
    data: st.DataObject, seeds: dict[str, Any], scratch: Callable[[], Path]
) -> None:
    config = load_config(seeds["root"] / LANES_TOML)
    index = scratch() / "contract-index.json"
    index.write_bytes(data.draw(index_contents(seeds)))
    if data.draw(st.booleans()):  # a statement beside it, maybe broken
        statement = data.draw(
            mutated(Doc(seeds["statement"])).map(dump_json) | st.text(max_size=10) | st.just("")
        )
        index.with_name("contract-index.intoto.json").write_text(
            statement, encoding="utf-8", errors="surrogatepass"
        )
    try:
        report = verify_index(config, index)
    except ConfigError as exc:
        assert_config_error(exc, index)
        return
    assert isinstance(report, VerifyReport)
    json.dumps(report.to_json())
    report.render()
    assert report.exit_code in (0, 1)


@given(data=st.data())
def test_contract_index_of_any_run_directory(
    data: st.DataObject, seeds: dict[str, Any], scratch: Callable[[], Path]
) -> None:
    """Building the index reads every file of the run: any content gives a valid index."""
    config = minimal_project(scratch())
    run = runs_root(config) / seeds["run_id"]
    run.mkdir(parents=True)
    (run / MANIFEST).write_bytes(data.draw(file_contents("manifest")(seeds)))
    names = data.draw(st.lists(st.sampled_from(["doctor.json", "x.json", "a/y.json"]), max_size=3))
    for name in names:
        (run / name).parent.mkdir(parents=True, exist_ok=True)
        (run / name).write_bytes(data.draw(file_contents("doctor")(seeds)))
    outcome = index_run(
        StepContext(config=config, run_id=seeds["run_id"], options=StepOptions(stable=True))
    )
    results, extra = outcome.results, outcome.fields
    doc = envelope(
        kind="contract-index",
        step="contract-index",
        lane=None,
        subject={"commit": None, "dirty": False},
        status="fail" if any(r.status == "fail" for r in results) else "pass",
        results=results,
        stable=True,
        run=None,
        extra=extra,
    )
    assert schema_errors(json.loads(canonical_json(doc))) is None


# ---- compat snapshot ----------------------------------------------------------------------------


@functools.cache
def live() -> Snapshot:
    return live_snapshot()


@given(data=st.data())
def test_compat_snapshot_of_any_file(
    data: st.DataObject, seeds: dict[str, Any], scratch: Callable[[], Path]
) -> None:
    raw = data.draw(
        st.binary(max_size=64)
        | json_values.map(dump_json).map(to_bytes)
        | st.sampled_from(["[" * 3000, "NaN"]).map(str.encode)
        | mutated(Doc(seeds["snapshot"])).map(dump_json).map(to_bytes)
    )
    path = scratch() / "compat-snapshot.json"
    path.write_bytes(raw)
    try:
        snapshot = read_snapshot_file(path, "compat-snapshot.json")
    except SnapshotProblem as exc:
        assert str(exc).startswith("compat-snapshot.json"), repr(str(exc))
        assert len(str(exc).splitlines()) == 1, repr(str(exc))
        return
    render_snapshot(snapshot).encode("utf-8")
    for old, new in ((snapshot, live()), (live(), snapshot)):
        changes = diff(old, new)
        judged = judge(changes, policy="semver", old_version=None, current=None)
        assert [j.change for j in judged] == changes
        for c in changes:
            c.describe()


# ---- regressions: the minimal failing inputs, as plain examples ----------------------------------

LANES_PATH = Path("/repo/lanes.toml")


def refused(text: str, needle: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, LANES_PATH)
    assert_config_error(caught.value, LANES_PATH)
    assert needle in str(caught.value), repr(str(caught.value))


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        # tomllib recursed into RecursionError
        ("x = " + "[" * 1000, "invalid TOML: arrays or tables nested too deeply"),
        ("x = " + "{a = " * 1000, "invalid TOML: arrays or tables nested too deeply"),
        # tomllib's int() raised ValueError past 4300 digits
        ("x = " + "9" * 4400, "invalid TOML: Exceeds the limit (4300 digits)"),
        # a key holding a line break split the "one line" error in two
        ('[nox]\n"\\r" = false\n', "lanes.toml:1: nox.\\r: unknown key"),
        ('[lanes."a\\nb"]\nsteps = ["doctor"]\n', "lanes.a\\nb: lane names use"),
    ],
)
def test_bad_toml_is_one_config_error(text: str, needle: str) -> None:
    refused(text, needle)


def with_value(path: tuple[str, ...], value: Any) -> str:
    """This repository's lanes.toml with one key set."""
    doc = copy.deepcopy(REPO_LANES)
    *parents, key = path
    table = doc
    for part in parents:
        table = table.setdefault(part, {})
    table[key] = value
    return tomli_w.dumps(doc)


CHECK = ("gate", "fast", "checks", "mypy")


@pytest.mark.parametrize(
    ("path", "value", "needle"),
    [
        # re.compile raised OverflowError and RecursionError
        (("gate", "release", "tag_pattern"), "(?P<version>x{99999999999})", "not a valid regular"),
        (("gate", "release", "tag_pattern"), "(" * 600 + "?P<version>x" + ")" * 600, "not a valid"),
        # nan and inf passed `timeout <= 0` (a check that never times out); float(10**400) raised
        ((*CHECK, "timeout"), math.nan, "must be a positive number of seconds, not nan"),
        ((*CHECK, "timeout"), math.inf, "must be a positive number of seconds, not inf"),
        ((*CHECK, "timeout"), 10**400, "must be a positive number of seconds, not 1000"),
        (("gate", "release", "timeout"), math.nan, "must be a positive number of seconds"),
        # accepted, then ValueError (embedded null byte) from mkdir, open or the subprocess
        (("project", "evidence_dir"), "ev\x00x", "must be a path inside the repository"),
        (("history", "path"), "h\x00.sqlite", "must be a path inside the repository"),
        ((*CHECK, "cwd"), "src\x00", "must be a path inside the repository"),
        ((*CHECK, "cmd"), ["mypy", "a\x00b"], "holds a NUL character"),
        ((*CHECK, "env"), {"X=Y": "1"}, "mypy.env.X=Y: is not an environment variable name"),
        ((*CHECK, "env"), {"X": "a\x00b"}, "mypy.env.X: holds a NUL character"),
        # accepted, then OverflowError from timedelta(days=...) in the weekly-kpi-review control
        (("kpi", "review_period_days"), 10**10, "must be at most 999999999, not 10000000000"),
    ],
)
def test_hostile_values_are_config_errors(path: tuple[str, ...], value: Any, needle: str) -> None:
    refused(with_value(path, value), needle)


def test_a_tag_pattern_re_warns_about_prints_nothing(tmp_path: Path) -> None:
    """`lanes validate` printed re's FutureWarning and the line of config.py it came from."""
    pattern = "^v(?P<version>[[0-9]+[.]" + tmp_path.name + ")$"  # unique: re caches patterns
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        parse_config(with_value(("gate", "release", "tag_pattern"), pattern), LANES_PATH)


def test_a_nul_in_the_deprecations_runbook_is_a_config_error() -> None:
    item = {"item": "cli:gate", "announced_in": "0.1", "remove_in": "0.3", "runbook": "a\x00"}
    refused(with_value(("deprecations", "items"), [item]), "must be a path inside")


def test_one_line_escapes_what_would_split_a_line() -> None:
    # ascii(): a failure report holding a lone surrogate would crash pytest-xdist's transport
    assert ascii(one_line("a\nb\rc\x1ed\u2028e\ud800 f")) == ascii(
        "a\\nb\\rc\\x1ed\\u2028e\\ud800 f"
    )
    assert one_line("plain text, é and tabs? no: \t") == "plain text, é and tabs? no: \\t"
    error = ConfigError("bad\nvalue", path="f.toml", line=3, key="a\nb")
    assert str(error) == "f.toml:3: a\\nb: bad\\nvalue"
    assert error.problem == "bad\\nvalue"


def test_parse_time_out_of_range_in_utc_is_a_value_error() -> None:
    for text in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
        with pytest.raises(ValueError, match="out of range"):
            parse_time(text)


DEEP = b"[" * 3000


def test_deeply_nested_json_is_a_problem_for_every_reader(
    seeds: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "deep.json"
    path.write_bytes(DEEP)
    assert (read_artifact(path)[1] or "").endswith(
        "not valid JSON (maximum recursion depth "
        "exceeded while decoding a JSON array from a "
        "unicode string)"
    )
    assert load_decision(path)[1] is not None
    with pytest.raises(SnapshotProblem, match="not valid JSON"):
        read_snapshot_file(path, "deep.json")
    with pytest.raises(ConfigError, match="not JSON"):
        parse_event(DEEP.decode(), path, 1, "repo")
    config = minimal_project(tmp_path)
    report = verify_index(config, path)
    assert report.problems and "is not JSON" in report.problems[0]
    with pytest.raises(ConfigError, match="not JSON"):
        import_files(config, [path])
    assert not history_path(config).exists()


def test_list_runs_gives_only_valid_run_manifests(seeds: dict[str, Any], tmp_path: Path) -> None:
    config = minimal_project(tmp_path)
    contents = {"20260101T120001Z-0a1b2c": b"{}", "20260101T120002Z-0a1b2c": DEEP}
    contents["20260101T120003Z-0a1b2c"] = dump_json(seeds["doctor"]).encode()
    contents["20260101T120004Z-0a1b2c"] = dump_json(seeds["manifest"]).encode()
    for run_id, raw in contents.items():
        (runs_root(config) / run_id).mkdir(parents=True)
        (runs_root(config) / run_id / MANIFEST).write_bytes(raw)
    runs = {r.id: r for r in list_runs(config)}
    assert runs["20260101T120004Z-0a1b2c"].manifest == seeds["manifest"]
    assert runs["20260101T120001Z-0a1b2c"].problem == (
        "invalid manifest.json: not a lane-tasks artifact (no 'schema' field)"
    )
    assert "unreadable manifest.json: maximum recursion" in str(
        runs["20260101T120002Z-0a1b2c"].problem
    )
    assert runs["20260101T120003Z-0a1b2c"].problem == (
        "invalid manifest.json: a lane-tasks/doctor artifact, not a run manifest"
    )


def test_load_decision_refuses_another_kind_of_record(
    seeds: dict[str, Any], tmp_path: Path
) -> None:
    """A valid KPI review at decision.json was returned, and `record["decision"]` raised."""
    path = tmp_path / "decision.json"
    path.write_text(dump_json(seeds["kpi-review"]), encoding="utf-8")
    assert load_decision(path) == (
        None,
        "is a lane-tasks/kpi-review record, not a release decision",
    )


def test_a_review_out_of_range_in_utc_is_a_problem(seeds: dict[str, Any], tmp_path: Path) -> None:
    """reviewed_at 0001-01-01T00:00:00+01:00 passes the schema; astimezone(UTC) overflowed."""
    config = minimal_project(tmp_path)
    reviews_path(config).mkdir(parents=True)
    record = seeds["kpi-review"] | {"reviewed_at": "0001-01-01T00:00:00+01:00"}
    (reviews_path(config) / "20260101T000000Z.json").write_text(dump_json(record))
    (review,) = load_reviews(config)
    assert review.record is None
    assert "'0001-01-01T00:00:00+01:00' is not an ISO 8601 time" in str(review.problem)


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        # sha256 of the event failed with UnicodeEncodeError; SQLite could not store it either
        (
            '{"type": "docs-view", "at": "2026-01-31T12:00:00Z", "id": "\\ud800"}',
            "events.jsonl:7: id: is not valid Unicode text",
        ),
        ('{"\\n": 1}', "events.jsonl:7: \\n: unknown key"),  # a two-line error
        ('{"type": "docs-view", "at": "0001-01-01T00:00:00+01:00"}', "at: must be an ISO 8601"),
    ],
)
def test_parse_event_regressions(line: str, needle: str) -> None:
    path = Path("/repo/events.jsonl")
    with pytest.raises(ConfigError) as caught:
        parse_event(line, path, 7, "repo")
    assert_config_error(caught.value, path)
    assert needle in str(caught.value), repr(str(caught.value))


def manifest_with_run(seeds: dict[str, Any], **run: Any) -> bytes:
    doc = copy.deepcopy(seeds["manifest"])
    doc["run"] |= run
    return dump_json(doc).encode()


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        # `kind not in ROW_TYPES` hashed the value: TypeError
        (
            "h.jsonl",
            b'{"type": []}\n{}',
            "h.jsonl:1: type: must be one of run, step, record, event",
        ),
        # SQLite raised UnicodeEncodeError half-way into the transaction
        (
            "h.jsonl",
            b'{"type": "event", "event_type": "docs-view", "repo": "\\ud800", "id": "1", '
            b'"at": "2026-01-31T12:00:00Z", "data": "{}"}\n{}',
            "h.jsonl:1: repo: is not valid Unicode text",
        ),
        # the schema passes these; datetime and timedelta raised ValueError or OverflowError
        ("manifest.json", "2026-01-31T12:00:60Z", "run: started_at '2026-01-31T12:00:60Z'"),
        ("manifest.json", "0001-01-01T00:00:00+01:00", "run: started_at '0001-01-01T00:00"),
        ("manifest.json", math.nan, "with duration_s nan is not a recordable time"),
        ("manifest.json", 1e308, "with duration_s 1e+308 is not a recordable time"),
    ],
)
def test_history_import_regressions(
    seeds: dict[str, Any], tmp_path: Path, name: str, content: Any, needle: str
) -> None:
    config = minimal_project(tmp_path)
    path = tmp_path / name
    if isinstance(content, str):
        path.write_bytes(manifest_with_run(seeds, started_at=content))
    elif isinstance(content, float):
        path.write_bytes(manifest_with_run(seeds, duration_s=content))
    else:
        path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        import_files(config, [path])
    assert_config_error(caught.value, path)
    assert needle in str(caught.value), repr(str(caught.value))
    assert not history_path(config).exists()  # nothing written


def test_a_history_export_with_events_imports(seeds: dict[str, Any], tmp_path: Path) -> None:
    """An event's line carried the event's type ("docs-view") as the line's row type, which
    import refused: no export holding an event could be imported (now `event_type`)."""
    config = minimal_project(tmp_path)
    path = tmp_path / "export.jsonl"
    path.write_text("".join(dump_json(row) + "\n" for row in seeds["export"]))
    counts = import_files(config, [path])
    assert counts["events"].added == 2
    assert sum(c.added for c in counts.values()) == len(seeds["export"])


def test_compat_snapshot_problem_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "compat-snapshot.json"
    doc = {"schema": "lane-tasks/compat-snapshot", "schema_version": "1.0", "schemas": {}}
    path.write_text(json.dumps(doc | {"cli": {"\r": 1}}))
    with pytest.raises(SnapshotProblem) as caught:
        read_snapshot_file(path, "compat-snapshot.json")
    assert str(caught.value) == (
        "compat-snapshot.json: cli['\\r'] must be a list of option strings"
    )


def test_contract_index_entry_of_a_broken_artifact_keeps_the_schema(
    seeds: dict[str, Any], tmp_path: Path
) -> None:
    """A run file with subject.commit "" put "" in its entry: the index failed its own schema."""
    config = minimal_project(tmp_path)
    run = runs_root(config) / seeds["run_id"]
    run.mkdir(parents=True)
    (run / MANIFEST).write_text(dump_json(seeds["manifest"]))
    broken = copy.deepcopy(seeds["doctor"])
    broken["subject"]["commit"] = ""
    (run / "doctor.json").write_text(dump_json(broken))
    outcome = index_run(
        StepContext(config=config, run_id=seeds["run_id"], options=StepOptions(stable=True))
    )
    results, extra = outcome.results, outcome.fields
    (entry,) = extra["entries"]
    assert entry["commit"] is None
    doc = envelope(
        kind="contract-index",
        step="contract-index",
        lane=None,
        subject={"commit": None, "dirty": False},
        status="fail",
        results=results,
        stable=True,
        run=None,
        extra=extra,
    )
    assert schema_errors(doc) is None


def test_contract_index_of_a_run_holding_a_record(seeds: dict[str, Any], tmp_path: Path) -> None:
    """A valid release decision inside a run directory raised KeyError: 'step'."""
    config = minimal_project(tmp_path)
    run = runs_root(config) / seeds["run_id"]
    run.mkdir(parents=True)
    (run / MANIFEST).write_text(dump_json(seeds["manifest"]))
    (run / "doctor.json").write_text(dump_json(seeds["decision"]))
    outcome = index_run(
        StepContext(config=config, run_id=seeds["run_id"], options=StepOptions(stable=True))
    )
    results = outcome.results
    (doctor,) = [r for r in results if r.id.endswith("doctor.json")]
    assert doctor.status == "fail"
    assert "a lane-tasks/release-decision record, not a step's artifact" in doctor.message


# ---- signatures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return keypair(tmp_path_factory.mktemp("keys"), "key")


@given(data=st.data())
def test_verify_envelope_of_any_envelope(data: st.DataObject, keys: tuple[Path, Path]) -> None:
    private, public = keys
    signed = sign_envelope(b'{"a": 1}', private)
    envelope = data.draw(json_values | mutated(Doc(signed)))
    payload, problem = verify_envelope(envelope, public)
    assert (payload is None) != (problem is None)
    if payload is not None:
        assert payload == b'{"a": 1}'  # only what the key signed verifies


@given(raw=st.binary(max_size=80) | st.sampled_from([b"-----BEGIN PUBLIC KEY-----\nAAAA\n"]))
def test_a_public_key_file_of_any_bytes(raw: bytes, scratch: Callable[[], Path]) -> None:
    path = scratch() / "key.pem"
    path.write_bytes(raw)
    with pytest.raises(ConfigError) as caught:
        load_public_key(path)
    assert_config_error(caught.value, path)


# ---- readers outside the files this change may edit: known failures ---------------------------

# Strict: each starts failing (XPASS) once its reader is fixed, and its mark is then removed.


def test_load_checklist_of_deeply_nested_json(tmp_path: Path) -> None:
    path = tmp_path / "checklist.json"
    path.write_bytes(DEEP)
    record, problem = load_checklist(path)
    assert record is None and problem


@pytest.mark.parametrize("manifest", [DEEP, b'{"results": 5}'])
def test_run_summary_of_a_broken_manifest(tmp_path: Path, manifest: bytes) -> None:
    (tmp_path / MANIFEST).write_bytes(manifest)
    assert render_run_summary(tmp_path).startswith("## lane-tasks")


@pytest.mark.parametrize("toml", ["x = " + "[" * 1000, "x = " + "9" * 4400])
def test_sarif_export_beside_a_broken_lanes_toml(
    seeds: dict[str, Any], tmp_path: Path, toml: str
) -> None:
    (tmp_path / LANES_TOML).write_text(toml)
    render_export("sarif", seeds["doctor"], config_path=tmp_path / LANES_TOML)
