"""lanes.toml -> Config: load, validate (file:line, key, did-you-mean) and resolve `extends`.

A lane inherits every step, control and KPI of the lane it extends and may only add to them:
re-listing an inherited id, or trying to drop one, is an error. Every error is one line,
`lanes.toml:LINE: KEY: problem`, raised as ConfigError (exit 2).
"""

from __future__ import annotations

import math
import os
import re
import shlex
import stat
import sys
import tomllib
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from lane_tasks.catalog import CONTROLS, KPIS, STEPS
from lane_tasks.catalog.checks import DOCTOR_CHECKS, FINDINGS, RELEASE_CHECKS
from lane_tasks.config_keys import allowed_keys
from lane_tasks.errors import ConfigError, did_you_mean
from lane_tasks.project.git import fixed_rev_problem

__all__ = [
    "ARTIFACTS_DIR",
    "CONFIG_NAME",
    "DEFAULT_DRIFT_DOCS",
    "CheckSpec",
    "ChecklistSettings",
    "CompatSettings",
    "Config",
    "Deprecation",
    "DeprecationSettings",
    "DriftSettings",
    "HistorySettings",
    "Item",
    "KpiSettings",
    "LaneSpec",
    "ResolvedLane",
    "SeverityLevel",
    "SigningSettings",
    "SupportSettings",
    "Team",
    "TeamOwnership",
    "Waiver",
    "config_in",
    "config_table",
    "find_config",
    "key_lines",
    "key_name",
    "load_config",
    "load_deprecations",
    "parse_config",
]

CONFIG_NAME = "lanes.toml"
PYPROJECT = "pyproject.toml"
TOOL_TABLE = ("tool", "lane-tasks")
"""The configuration may instead be pyproject.toml's [tool.lane-tasks] (see find_config)."""
ARTIFACTS_DIR = ".lane-tasks"
"""Where runs write, by default: a dot-directory, as nox, tox, pytest, mypy and ruff use, so it
can never be taken for a package (flit refuses a project whose package is named `build` when a
`build/` directory sits beside it). The seed's `build/*.json` layout: `artifacts_dir = "build"`."""
NOX_BACKENDS = ("none", "venv", "virtualenv", "uv", "conda", "mamba", "micromamba")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_DROP_WORDS = ("remove", "drop", "exclude", "override", "replace", "without", "skip")


@dataclass(frozen=True)
class CheckSpec:
    """One gate check: an argv list run without a shell."""

    id: str
    cmd: tuple[str, ...]
    owner: str | None = None
    timeout: float = 600.0
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None
    description: str = ""
    inputs: tuple[str, ...] = ()
    """Globs of the files the check reads (its cache key); empty: every file of the work tree
    the cache fingerprints (see gate_cache)."""
    input_env: tuple[str, ...] = ()
    """Environment variables (or `NAME_*` patterns) the check reads beyond gate_cache's
    defaults: their values are part of its cache key."""
    shell: bool = False
    """`cmd` is one shell string run by /bin/sh (opted into with `shell = true`; doctor warns)."""
    fix: str | None = None
    """What to tell a person whose run of this check failed (else derived from `cmd`)."""
    report: str | None = None
    """The machine-readable report the tool writes where `{report}` in `cmd` says (one of
    REPORT_FORMATS): its findings and test cases go into the artifact and the exports."""


REPORT_FORMATS = ("sarif", "junit", "ruff-json")
"""Reports a check's tool may write: SARIF (ruff), JUnit XML (pytest, mypy), ruff's JSON."""
REPORT_PLACEHOLDER = "{report}"


DEFAULT_TAG_PATTERN = r"^[vV]?(?P<version>\d.*)$"


@dataclass(frozen=True)
class ReleaseSettings:
    """[gate.release]: how release tags look, where the changelog is, how to build."""

    tag_pattern: str = DEFAULT_TAG_PATTERN
    changelog: str | None = None
    offline: bool = False
    timeout: float = 900.0
    disabled: Mapping[str, str] = field(default_factory=dict)


DEFAULT_DRIFT_DOCS = ("README.md", "README.rst", "docs/**/*.md", "docs/**/*.rst")


@dataclass(frozen=True)
class Waiver:
    """[[drift.waive]]: one accepted drift finding, kept visible with its reason."""

    finding: str
    path: str
    reason: str
    line: int | None = None


@dataclass(frozen=True)
class DriftSettings:
    """[drift]: which CI files and docs drift-check reads, which lanes CI must run, waivers."""

    ci_files: tuple[str, ...] = ()
    required_ci_lanes: tuple[str, ...] = ()
    docs: tuple[str, ...] = DEFAULT_DRIFT_DOCS
    waive: tuple[Waiver, ...] = ()


@dataclass(frozen=True)
class Team:
    """[teams.<name>]: who owns things and how to reach them. A missing contact is kept as None
    for the ownership-matrix control to report (the lane fails), not rejected at load time."""

    name: str
    contact: str | None
    description: str = ""


@dataclass(frozen=True)
class TeamOwnership:
    """[ownership]: step, control and gate-check ids mapped to team names. Teams are checked by
    the ownership-matrix control, so a gap fails the lane with its name instead of exit 2."""

    steps: Mapping[str, str] = field(default_factory=dict)
    controls: Mapping[str, str] = field(default_factory=dict)
    checks: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SeverityLevel:
    """[support.severity.<level>] as written: durations stay strings so the severity-model
    control, not the loader, reports a bad one alongside every other gap."""

    name: str
    ack: str | None
    resolve: str | None
    escalation: str | None
    description: str = ""


DEFAULT_SEVERITY_LEVELS = ("sev1", "sev2", "sev3", "sev4")


@dataclass(frozen=True)
class SupportSettings:
    """[support]: severity levels, strictest first, and each level's table."""

    levels: tuple[str, ...] = DEFAULT_SEVERITY_LEVELS
    severity: Mapping[str, SeverityLevel] = field(default_factory=dict)


@dataclass(frozen=True)
class LaneSpec:
    """A lane as written in lanes.toml (only its own additions)."""

    name: str
    description: str
    ideal_for: str
    extends: str | None
    steps: tuple[str, ...]
    controls: tuple[str, ...]
    kpis: tuple[str, ...]


@dataclass(frozen=True)
class Item:
    """A step, control or KPI id with the lane it came from."""

    id: str
    origin: str


@dataclass(frozen=True)
class ResolvedLane:
    """A lane with everything it inherits; steps in canonical run order."""

    name: str
    description: str
    ideal_for: str
    chain: tuple[str, ...]
    """Lane names from the root ancestor down to this lane."""
    steps: tuple[Item, ...]
    controls: tuple[Item, ...]
    kpis: tuple[Item, ...]

    def step_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.steps)

    def control_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.controls)

    def to_json(self) -> dict[str, Any]:
        def items(xs: tuple[Item, ...]) -> list[dict[str, str]]:
            return [{"id": i.id, "origin": i.origin} for i in xs]

        return {
            "name": self.name,
            "description": self.description,
            "ideal_for": self.ideal_for,
            "extends": list(self.chain[:-1]),
            "steps": items(self.steps),
            "controls": items(self.controls),
            "kpis": items(self.kpis),
        }


@dataclass(frozen=True)
class Config:
    """A validated lanes.toml. `root` is the directory holding it (the repository root)."""

    path: Path
    root: Path
    release_owners: tuple[str, ...]
    evidence_dir: str
    artifacts_dir: str
    default_lane: str | None
    runs_keep: int
    nox_backend: str
    nox_python: str | None
    nox_install: tuple[str, ...]
    lanes: Mapping[str, LaneSpec]
    checks: Mapping[str, CheckSpec]
    jobs: int
    doctor_disabled: Mapping[str, str]
    ci_files: tuple[str, ...]
    gate_cache: bool = True
    """[gate.fast] cache: answer unchanged checks from the cache (`--no-cache` per run)."""
    release: ReleaseSettings = field(default_factory=lambda: ReleaseSettings())
    drift: DriftSettings = field(default_factory=lambda: DriftSettings())
    nox_session_prefix: str = ""
    """[nox] session_prefix: put before every session lane-tasks registers, for a noxfile that
    already has a session named like a step or lane (`lanes-doctor` beside the project's
    `doctor`)."""
    adoption_point: str | None = None
    """Git revision from which release controls apply (default: the commit adding lanes.toml)."""
    teams: Mapping[str, Team] = field(default_factory=dict)
    ownership: TeamOwnership = field(default_factory=lambda: TeamOwnership())
    support: SupportSettings = field(default_factory=lambda: SupportSettings())
    kpi: KpiSettings = field(default_factory=lambda: KpiSettings())
    history: HistorySettings = field(default_factory=lambda: HistorySettings())
    checklist: ChecklistSettings = field(default_factory=lambda: ChecklistSettings())
    compat: CompatSettings = field(default_factory=lambda: CompatSettings())
    deprecations: DeprecationSettings = field(default_factory=lambda: DeprecationSettings())
    signing: SigningSettings = field(default_factory=lambda: SigningSettings())

    def resolve(self, name: str) -> ResolvedLane:
        """The lane with its ancestors' steps, controls and KPIs (validated at load time)."""
        if name not in self.lanes:
            raise ConfigError(
                f"unknown lane '{name}'{did_you_mean(name, self.lanes)}; "
                f"lanes: {', '.join(self.lanes)}",
                path=self.path,
            )
        chain: list[str] = []
        cur: str | None = name
        while cur is not None:
            chain.append(cur)
            cur = self.lanes[cur].extends
        chain.reverse()
        steps: list[Item] = []
        controls: list[Item] = []
        kpis: list[Item] = []
        for lane_name in chain:
            spec = self.lanes[lane_name]
            steps += [Item(s, lane_name) for s in spec.steps]
            controls += [Item(c, lane_name) for c in spec.controls]
            kpis += [Item(k, lane_name) for k in spec.kpis]
        order = list(STEPS)
        steps.sort(key=lambda i: order.index(i.id))
        spec = self.lanes[name]
        return ResolvedLane(
            name=name,
            description=spec.description,
            ideal_for=spec.ideal_for,
            chain=tuple(chain),
            steps=tuple(steps),
            controls=tuple(controls),
            kpis=tuple(kpis),
        )

    def resolved_lanes(self) -> list[ResolvedLane]:
        return [self.resolve(n) for n in self.lanes]

    def artifacts_path(self) -> Path:
        return self.root / self.artifacts_dir

    def session(self, step_or_lane: str) -> str:
        """The nox session name of a step or lane (`[nox] session_prefix` + its id)."""
        return self.nox_session_prefix + step_or_lane

    def shown(self, path: Path) -> str:
        """`path` as people and records name it: relative to the repository, else as given."""
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


class _Locator:
    """Maps dotted key paths to line numbers in TOML source (tomllib gives none).

    It reads table headers and `key =` lines; arrays and inline tables report the line of
    their key, and a table implied by a header or dotted key (`lane` of `[lane.startup]`) the
    line that first names it. Multi-line strings are skipped, so text in them is not read as
    keys or brackets. Good enough to point a person at the right line; never used for parsing.
    """

    _HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
    _KEY = re.compile(
        r"^\s*((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*="
    )

    def __init__(self, text: str) -> None:
        self.lines: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        depth = 0  # bracket depth of multi-line arrays, whose lines hold no keys
        for n, raw in enumerate(self._blank_multiline_strings(text).splitlines(), start=1):
            if depth == 0:
                header = self._HEADER.match(raw)
                if header:
                    table = self._split(header.group(1))
                    self._add(table, n)
                    continue
                key = self._KEY.match(raw)
                if key:
                    self._add(table + self._split(key.group(1)), n)
                    raw = raw[key.end() :]
            depth = max(0, depth + self._brackets(raw))

    def _add(self, path: tuple[str, ...], n: int) -> None:
        for i in range(1, len(path) + 1):
            self.lines.setdefault(path[:i], n)

    @staticmethod
    def _blank_multiline_strings(text: str) -> str:
        """`text` with each multi-line string replaced by `""` and its newlines (so every line
        keeps its number). `text` is valid TOML: tomllib has parsed it already."""
        out: list[str] = []
        i, n = 0, len(text)
        while i < n:
            c = text[i]
            if c == "#":
                j = text.find("\n", i)
                j = n if j < 0 else j
            elif text.startswith(('"""', "'''"), i):
                quote = text[i : i + 3]
                j = i + 3
                while j < n and not text.startswith(quote, j):
                    j += 2 if quote == '"""' and text[j] == "\\" else 1
                j += 3
                while j < n and text[j] == quote[0]:  # up to two quotes end the content
                    j += 1
                out.append('""' + "\n" * text.count("\n", i, j))
                i = j
                continue
            elif c in "\"'":
                j = i + 1
                while j < n and text[j] != c and text[j] != "\n":
                    j += 2 if c == '"' and text[j] == "\\" else 1
                j += 1
            else:
                j = i + 1
            out.append(text[i:j])
            i = j
        return "".join(out)

    @staticmethod
    def _split(dotted: str) -> tuple[str, ...]:
        parts = re.findall(r"\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_-]+)", dotted)
        return tuple(a or b or c for a, b, c in parts)

    @staticmethod
    def _brackets(s: str) -> int:
        s = re.sub(r"\"(?:\\.|[^\"\\])*\"|'[^']*'|#.*$", "", s)
        return s.count("[") + s.count("{") - s.count("]") - s.count("}")

    def line(self, path: Sequence[str]) -> int | None:
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return None


class _Reader:
    """Typed access to the parsed TOML with errors that carry file, line and key."""

    def __init__(self, path: Path, text: str, table: tuple[str, ...] = ()) -> None:
        self.path = path
        self.loc = _Locator(text)
        self.table_path = table
        """Where the configuration sits in the file: ("tool", "lane-tasks") in pyproject.toml."""

    def line(self, key: Sequence[str]) -> int | None:
        return self.loc.line([*self.table_path, *key])

    def name(self, key: Sequence[str]) -> str:
        """`key` as the file spells it: `tool.lane-tasks.gate.fast` in pyproject.toml."""
        return ".".join([*self.table_path, *key])

    def error(self, key: Sequence[str], message: str) -> ConfigError:
        return ConfigError(message, path=self.path, line=self.line(key), key=self.name(key) or None)

    def table(self, data: Any, key: Sequence[str]) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.error(key, f"must be a table, not {_type(data)}")
        return data

    def known(
        self, data: Mapping[str, Any], key: Sequence[str], allowed: Sequence[str] | None = None
    ) -> None:
        """Every key of `data` is one the table at `key` may hold (config_keys.TABLES, the same
        table the shipped JSON Schema is generated from, unless `allowed` is given)."""
        allowed = allowed_keys(key) if allowed is None else allowed
        for k in data:
            if k in allowed:
                continue
            # before did-you-mean: `remove_controls` must not get "did you mean 'controls'"
            if re.split(r"[_-]", k)[0] in _DROP_WORDS:
                hint = " (lanes are additive: a lane cannot drop or override what it inherits)"
            else:
                hint = did_you_mean(k, allowed)
            raise self.error([*key, k], f"unknown key{hint}; allowed: {', '.join(allowed)}")

    def str_(self, data: Mapping[str, Any], key: Sequence[str], default: str | None) -> str | None:
        if key[-1] not in data:
            return default
        v = data[key[-1]]
        if not isinstance(v, str):
            raise self.error(key, f"must be a string, not {_type(v)}")
        if not v.strip():
            raise self.error(key, "must not be empty")
        return v

    def str_list(self, data: Mapping[str, Any], key: Sequence[str]) -> tuple[str, ...]:
        v = data.get(key[-1], [])
        if not isinstance(v, list) or not all(isinstance(x, str) and x.strip() for x in v):
            raise self.error(key, f"must be a list of non-empty strings, not {_type(v)}")
        dup = next((x for i, x in enumerate(v) if x in v[:i]), None)
        if dup is not None:
            raise self.error(key, f"'{dup}' is listed twice")
        return tuple(v)

    def int_(
        self,
        data: Mapping[str, Any],
        key: Sequence[str],
        default: int,
        minimum: int,
        maximum: int | None = None,
    ) -> int:
        v = data.get(key[-1], default)
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.error(key, f"must be an integer, not {_type(v)}")
        if v < minimum:
            raise self.error(key, f"must be at least {minimum}, not {v}")
        if maximum is not None and v > maximum:
            raise self.error(key, f"must be at most {maximum}, not {v}")
        return v


def _type(v: object) -> str:
    names = {str: "a string", bool: "a boolean", int: "an integer", float: "a float"}
    names |= {list: "an array", dict: "a table"}
    return names.get(type(v), type(v).__name__)


def config_table(path: Path) -> tuple[str, ...]:
    """Where in `path` the configuration is: [tool.lane-tasks] of a pyproject.toml, else the
    whole file (lanes.toml, or any file given with --config)."""
    return TOOL_TABLE if path.name == PYPROJECT else ()


def find_config(start: Path | None = None) -> Path:
    """The configuration file, found as ruff finds its own: from `start` (the cwd) upwards, the
    first directory with a lanes.toml, or with a pyproject.toml that has a [tool.lane-tasks]
    table, wins. In one directory lanes.toml comes first (as ruff.toml beats pyproject.toml);
    a [tool.lane-tasks] beside it is then ignored with a warning on stderr.

    Unlike ruff, the search stops at the top of the git work tree (the directory holding
    `.git`): a file above it belongs to another project (a home directory, a parent checkout),
    and using it would run that project's commands and clear its artifacts directory."""
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        found = config_in(d)
        if found is not None:
            return found
        if os.path.lexists(d / ".git"):
            raise ConfigError(
                f"no {CONFIG_NAME} (or pyproject.toml with [tool.lane-tasks]) in {here} or its "
                f"parents up to the git repository root {d} (run `lane-tasks init` to create one)"
            )
    raise ConfigError(
        f"no {CONFIG_NAME} (or pyproject.toml with [tool.lane-tasks]) in {here} or its parents "
        "(run `lane-tasks init` to create one)"
    )


_WARNED: set[Path] = set()


def config_in(directory: Path) -> Path | None:
    """The configuration file of `directory` itself (see find_config), or None."""
    candidate = directory / CONFIG_NAME
    pyproject = directory / PYPROJECT
    if os.path.lexists(candidate):  # the nearest one, whatever it is: never a parent's
        _regular_file(candidate)
        try:
            shadowed = _has_tool_table(pyproject)
        except ConfigError:  # a broken pyproject.toml is not the configuration here
            shadowed = False
        if shadowed and pyproject not in _WARNED:  # once per process, however often looked up
            _WARNED.add(pyproject)
            sys.stderr.write(
                f"lane-tasks: warning: {pyproject}: [tool.lane-tasks] is ignored: "
                f"{CONFIG_NAME} beside it is the configuration (remove one of them)\n"
            )
        return candidate
    return pyproject if _has_tool_table(pyproject) else None


_NAMES_TOOL_TABLE = re.compile(
    r"""(?mx)^\s*(?:
        \[\s*tool\s*\.\s*["']?lane-tasks["']?\s*[\].]   # [tool.lane-tasks] / [tool.lane-tasks.x]
      | tool\s*\.\s*["']?lane-tasks["']?\s*[.=]         # tool.lane-tasks.x = ...
      | ["']?lane-tasks["']?\s*[.=]                      # under [tool]: lane-tasks = {...}
    )"""
)
"""A line that could define [tool.lane-tasks]: only then is a pyproject.toml parsed."""


def _has_tool_table(pyproject: Path) -> bool:
    """pyproject.toml exists and has a [tool.lane-tasks] table. Its text is searched first, so
    the pyproject.toml of every parent directory is not parsed; a broken one that names the
    table is a ConfigError (file:line), not a reason to look further up."""
    if not os.path.lexists(pyproject):
        return False
    try:
        if not stat.S_ISREG(pyproject.stat().st_mode):
            return False
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False  # not ours to judge: it cannot be our configuration
    if not _NAMES_TOOL_TABLE.search(text) or len(text) > MAX_CONFIG_CHARS:
        return False
    tool = _toml(text, pyproject).get("tool")
    return isinstance(tool, dict) and "lane-tasks" in tool


MAX_CONFIG_CHARS = 1024 * 1024
"""The largest lanes.toml read: a 20 MB string took 30 s and 2.4 GB to validate."""


def _regular_file(path: Path) -> None:
    """lanes.toml must be a regular file (or a symlink to one): a directory or a dangling
    symlink must not make a parent directory's lanes.toml apply, and a FIFO or device must
    not be opened at all (reading one blocks forever). Checked with stat, before any open."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ConfigError(
            f"a symlink to {path.readlink()}, which does not exist", path=path
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", path=path) from None
    if not stat.S_ISREG(mode):
        kind = "a directory" if stat.S_ISDIR(mode) else "a FIFO, socket or device"
        raise ConfigError(f"is {kind}, not a regular file (it is not read)", path=path)


def load_config(path: Path | None = None) -> Config:
    """Read and validate lanes.toml (found upward from the cwd when `path` is None)."""
    path = find_config() if path is None else path
    if os.path.lexists(path):
        _regular_file(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"no such file (run `lane-tasks init` to create {CONFIG_NAME})", path=path
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", path=path) from None
    config = parse_config(text, path)
    from lane_tasks.util.own_dirs import check_own_dirs  # it reads the disk and asks git

    check_own_dirs(config)
    return config


def parse_config(text: str, path: Path, *, table: tuple[str, ...] | None = None) -> Config:
    """Validate TOML text as lanes.toml; `path` names the file in errors and sets the root.
    The configuration is the table `table` of it (default: [tool.lane-tasks] in a
    pyproject.toml, else the whole text)."""
    if len(text) > MAX_CONFIG_CHARS:  # parsing and locating keys cost seconds per megabyte
        raise ConfigError(
            f"too large: {len(text):,} characters (at most {MAX_CONFIG_CHARS:,}; "
            "lanes.toml is configuration, not data)",
            path=path,
        )
    data: Any = _toml(text, path)
    table = config_table(path) if table is None else table
    if table:
        tool = data.get("tool", {})
        data = tool.get("lane-tasks") if isinstance(tool, dict) else None
        if data is None:
            raise ConfigError(
                f"has no [tool.lane-tasks] table (put the configuration there, or in "
                f"{CONFIG_NAME})",
                path=path,
            )
    r = _Reader(path, text, table)
    data = r.table(data, [])
    r.known(data, [])

    project = r.table(data.get("project", {}), ["project"])
    r.known(project, ["project"])
    owners = r.str_list(project, ["project", "release_owners"])
    if "release_owners" in project and not owners:
        raise r.error(
            ["project", "release_owners"],
            "is empty: no release decision could ever be made; list who decides on releases "
            '(release_owners = ["you@example.org"])',
        )
    evidence_dir = _rel_dir(r, project, "evidence_dir", "release-evidence")
    artifacts_dir = _rel_dir(r, project, "artifacts_dir", ARTIFACTS_DIR)
    _check_apart(r, project, evidence_dir, artifacts_dir)

    runs = r.table(data.get("runs", {}), ["runs"])
    r.known(runs, ["runs"])
    keep = r.int_(runs, ["runs", "keep"], 50, 1)

    nox_t = r.table(data.get("nox", {}), ["nox"])
    r.known(nox_t, ["nox"])
    backend = r.str_(nox_t, ["nox", "backend"], "none") or "none"
    if backend not in NOX_BACKENDS:
        raise r.error(
            ["nox", "backend"],
            f"unknown backend '{backend}'{did_you_mean(backend, NOX_BACKENDS)}; "
            f"one of: {', '.join(NOX_BACKENDS)}",
        )
    nox_python = r.str_(nox_t, ["nox", "python"], None)
    install = r.str_list(nox_t, ["nox", "install"]) if "install" in nox_t else ("lane-tasks",)
    prefix = r.str_(nox_t, ["nox", "session_prefix"], "") or ""
    if prefix and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", prefix):
        raise r.error(
            ["nox", "session_prefix"],
            f"'{prefix}' is not usable in a nox session name (letters, digits, '_', '.', '-')",
        )

    lanes = _lanes(r, data)
    checks, jobs, gate_cache = _gate(r, data)
    release = _release(r, data)
    drift = _drift(r, data, lanes)
    teams, ownership = _teams_ownership(r, data, checks)
    support = _support(r, data)
    kpi = _kpi(r, data)
    history = _history(r, data)
    checklist = _checklist(r, data)
    compat = _compat(r, data)
    deprecations = _deprecations(r, data)
    signing = _signing(r, data, path.parent.resolve(), owners, kpi)

    doctor = r.table(data.get("doctor", {}), ["doctor"])
    r.known(doctor, ["doctor"])

    disabled = _disabled(r, doctor, ["doctor", "disable"], DOCTOR_CHECKS, "doctor")
    ci_files = r.str_list(doctor, ["doctor", "ci_files"])
    for pattern in ci_files:
        _require_inside(r, ["doctor", "ci_files"], pattern)

    default_lane = r.str_(project, ["project", "default_lane"], None)
    if default_lane is not None and default_lane not in lanes:
        raise r.error(
            ["project", "default_lane"],
            f"unknown lane '{default_lane}'{did_you_mean(default_lane, lanes)}",
        )
    for name, lane in lanes.items():
        if "gate-fast" in lane.steps and not checks:
            raise r.error(
                ["gate", "fast", "checks"],
                f"lane '{name}' runs gate-fast but no [gate.fast.checks.<id>] is defined "
                "(a gate with no checks would pass without checking anything)",
            )
    config = Config(
        path=path,
        root=path.parent.resolve(),
        release_owners=owners,
        evidence_dir=evidence_dir,
        artifacts_dir=artifacts_dir,
        default_lane=default_lane,
        runs_keep=keep,
        nox_backend=backend,
        nox_python=nox_python,
        nox_install=install,
        nox_session_prefix=prefix,
        lanes=lanes,
        checks=checks,
        jobs=jobs,
        gate_cache=gate_cache,
        doctor_disabled=disabled,
        ci_files=ci_files,
        release=release,
        drift=drift,
        adoption_point=_adoption_point(r, project, path.parent),
        teams=teams,
        ownership=ownership,
        support=support,
        kpi=kpi,
        history=history,
        checklist=checklist,
        compat=compat,
        deprecations=deprecations,
        signing=signing,
    )
    _check_needs(r, config)
    _check_checklist_steps(r, config)
    return config


def _toml(text: str, path: Path) -> dict[str, Any]:
    """Parsed TOML, or the one-line ConfigError naming `path` and the line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column \d+\)", msg)
        line = int(m.group(1)) if m else None
        msg = re.sub(r"\s*\(at line \d+, column \d+\)|\s*\(at end of document\)", "", msg)
        raise ConfigError(f"invalid TOML: {msg}", path=path, line=line) from None
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise ConfigError("invalid TOML: arrays or tables nested too deeply", path=path) from None
    except ValueError as exc:  # an integer of more than 4300 digits (sys.get_int_max_str_digits)
        raise ConfigError(f"invalid TOML: {exc}", path=path) from None


def _rel_dir(r: _Reader, table: Mapping[str, Any], key: str, default: str) -> str:
    """A directory of lane-tasks' own: inside the repository, below its root, not in .git."""
    value = r.str_(table, ["project", key], default) or default
    _require_inside(r, ["project", key], value)
    rel = Path(value).as_posix()
    if rel == ".":
        raise r.error(
            ["project", key], "must be a directory below the repository root, not the root itself"
        )
    _not_in_git_dir(r, ["project", key], rel)
    return rel


def _not_in_git_dir(r: _Reader, key: list[str], value: str) -> None:
    if any(part.lower() == ".git" for part in Path(value).parts):
        raise r.error(key, f"must not be in git's own directory .git, not '{value}'")


def _check_apart(
    r: _Reader, project: Mapping[str, Any], evidence_dir: str, artifacts_dir: str
) -> None:
    """The evidence is tracked and kept; the artifacts directory is ignored and pruned: the
    two must not overlap, or pruning deletes evidence and evidence is never committed."""
    evidence, artifacts = PurePosixPath(evidence_dir), PurePosixPath(artifacts_dir)
    if not (evidence.is_relative_to(artifacts) or artifacts.is_relative_to(evidence)):
        return
    key = (
        "evidence_dir"
        if "evidence_dir" in project or "artifacts_dir" not in project
        else ("artifacts_dir")
    )
    relation = "is" if evidence == artifacts else "overlaps"
    raise r.error(
        ["project", key],
        f"evidence_dir '{evidence_dir}' {relation} artifacts_dir '{artifacts_dir}': the "
        "evidence is tracked and kept, the artifacts directory is ignored and pruned; give "
        "them separate directories",
    )


def _require_inside(r: _Reader, key: list[str], value: str) -> None:
    """Paths in lanes.toml are relative and stay inside the repository."""
    if _outside(value):
        raise r.error(key, f"must be a path inside the repository, not '{value}'")


def _adoption_point(r: _Reader, project: Mapping[str, Any], root: Path) -> str | None:
    """[project] adoption_point: a tag or a commit id, never a reference that moves (HEAD,
    a branch), which would move past every release tag and switch the release controls off."""
    value = r.str_(project, ["project", "adoption_point"], None)
    if value is None:
        return None
    problem = fixed_rev_problem(root, value.strip())
    if problem:
        raise r.error(["project", "adoption_point"], problem)
    return value.strip()


def _outside(value: str) -> bool:
    """Whether a path from lanes.toml is absolute, climbs out with `..` or cannot name a file
    at all (a NUL character, which every file system call rejects with ValueError)."""
    p = Path(value)
    return p.is_absolute() or ".." in p.parts or "\x00" in value


def _lanes(r: _Reader, data: Mapping[str, Any]) -> dict[str, LaneSpec]:
    lanes_t = r.table(data.get("lanes", {}), ["lanes"])
    if not lanes_t:
        raise r.error(["lanes"], "no lanes defined (add [lanes.startup] or run `lane-tasks init`)")
    specs: dict[str, LaneSpec] = {}
    for name, raw in lanes_t.items():
        key = ["lanes", name]
        if not _ID.match(name):
            raise r.error(key, "lane names use lowercase letters, digits, '-' and '_'")
        lane = r.table(raw, key)
        r.known(lane, key)
        lists: dict[str, tuple[str, ...]] = {}
        for kind, catalog in (("steps", STEPS), ("controls", CONTROLS), ("kpis", KPIS)):
            ids = r.str_list(lane, [*key, kind])
            for i in ids:
                if i not in catalog:
                    raise r.error(
                        [*key, kind],
                        f"unknown {kind[:-1]} '{i}'{did_you_mean(i, catalog)}; "
                        f"known: {', '.join(catalog)}",
                    )
            lists[kind] = ids
        specs[name] = LaneSpec(
            name=name,
            description=r.str_(lane, [*key, "description"], "") or "",
            ideal_for=r.str_(lane, [*key, "ideal_for"], "") or "",
            extends=r.str_(lane, [*key, "extends"], None),
            steps=lists["steps"],
            controls=lists["controls"],
            kpis=lists["kpis"],
        )
    for name in specs:
        _check_extends(r, specs, name)
    for spec in specs.values():
        _check_additive(r, specs, spec)
    return specs


def _check_extends(r: _Reader, specs: Mapping[str, LaneSpec], name: str) -> None:
    seen = [name]
    cur = specs[name].extends
    while cur is not None:
        if cur not in specs:
            raise r.error(
                ["lanes", seen[-1], "extends"],
                f"extends unknown lane '{cur}'{did_you_mean(cur, specs)}",
            )
        if cur in seen:
            cycle = " -> ".join([*seen[seen.index(cur) :], cur])
            raise r.error(["lanes", seen[-1], "extends"], f"extends cycle: {cycle}")
        seen.append(cur)
        cur = specs[cur].extends


def _check_additive(r: _Reader, specs: Mapping[str, LaneSpec], spec: LaneSpec) -> None:
    key = ["lanes", spec.name]
    if spec.extends is None:
        if not spec.steps:
            raise r.error([*key, "steps"], "empty lane: a lane that extends nothing needs steps")
        return
    if not (spec.steps or spec.controls or spec.kpis):
        raise r.error(
            key,
            f"empty lane: adds no steps, controls or KPIs to '{spec.extends}' "
            "(use the parent lane instead)",
        )
    inherited: dict[str, dict[str, str]] = {"steps": {}, "controls": {}, "kpis": {}}
    ancestor: str | None = spec.extends
    while ancestor is not None:
        parent = specs[ancestor]
        for kind in inherited:
            for i in getattr(parent, kind):
                inherited[kind].setdefault(i, ancestor)
        ancestor = parent.extends
    for kind, origin in inherited.items():
        for i in getattr(spec, kind):
            if i in origin:
                raise r.error(
                    [*key, kind],
                    f"'{i}' is already inherited from lane '{origin[i]}'; "
                    "a lane only adds to what it inherits",
                )


def _gate(r: _Reader, data: Mapping[str, Any]) -> tuple[dict[str, CheckSpec], int, bool]:
    gate = r.table(data.get("gate", {}), ["gate"])
    r.known(gate, ["gate"])
    fast = r.table(gate.get("fast", {}), ["gate", "fast"])
    r.known(fast, ["gate", "fast"])
    jobs = r.int_(fast, ["gate", "fast", "jobs"], 0, 0)
    cache = fast.get("cache", True)
    if not isinstance(cache, bool):
        raise r.error(["gate", "fast", "cache"], f"must be true or false, not {_type(cache)}")
    checks_t = r.table(fast.get("checks", {}), ["gate", "fast", "checks"])
    checks: dict[str, CheckSpec] = {}
    for cid, raw in checks_t.items():
        key = ["gate", "fast", "checks", cid]
        if not _ID.match(cid):
            raise r.error(key, "check ids use lowercase letters, digits, '-' and '_'")
        t = r.table(raw, key)
        r.known(t, key)
        if "cmd" not in t:
            raise r.error(
                key, 'missing required key \'cmd\' (an argv list such as ["ruff", "check", "."])'
            )
        cmd = t["cmd"]
        shell = t.get("shell", False)
        if not isinstance(shell, bool):
            raise r.error([*key, "shell"], f"must be true or false, not {_type(shell)}")
        if shell:
            if not isinstance(cmd, str) or not cmd.strip():
                raise r.error([*key, "cmd"], "with shell = true, cmd is one non-empty string")
            cmd = [cmd]
        elif isinstance(cmd, str):
            raise r.error(
                [*key, "cmd"],
                f"must be an argv list, not a shell string; write {_argv_hint(cmd)} "
                "(or set shell = true to run it with /bin/sh, which doctor flags)",
            )
        if not isinstance(cmd, list) or not cmd or not all(isinstance(x, str) for x in cmd):
            got = repr(cmd) if isinstance(cmd, list) else _type(cmd)
            raise r.error([*key, "cmd"], f"must be a non-empty list of strings, not {got}")
        if not cmd[0].strip():
            raise r.error([*key, "cmd"], "the program name (first element) is empty")
        if any("\x00" in x for x in cmd):
            raise r.error([*key, "cmd"], "an argument holds a NUL character, which no argv can")
        timeout = _seconds(r, t, [*key, "timeout"], 600)
        env = r.table(t.get("env", {}), [*key, "env"])
        for ek, ev in env.items():
            if not ek or "=" in ek or "\x00" in ek:
                raise r.error([*key, "env", ek], "is not an environment variable name")
            if not isinstance(ev, str):
                raise r.error([*key, "env", ek], f"must be a string, not {_type(ev)}")
            if "\x00" in ev:
                raise r.error([*key, "env", ek], "holds a NUL character, which no environment can")
        cwd = r.str_(t, [*key, "cwd"], None)
        if cwd is not None:
            _require_inside(r, [*key, "cwd"], cwd)
        inputs = r.str_list(t, [*key, "inputs"])
        for pattern in inputs:
            _require_inside(r, [*key, "inputs"], pattern)
        input_env = r.str_list(t, [*key, "input_env"])
        for name in input_env:
            if "=" in name or "\x00" in name or name != name.strip():
                raise r.error(
                    [*key, "input_env"],
                    f"'{name}' is not an environment variable name (or a NAME_* pattern)",
                )
        report = r.str_(t, [*key, "report"], None)
        if report is not None and report not in REPORT_FORMATS:
            raise r.error(
                [*key, "report"],
                f"unknown report format '{report}'{did_you_mean(report, REPORT_FORMATS)}; "
                f"formats: {', '.join(REPORT_FORMATS)}",
            )
        placed = any(REPORT_PLACEHOLDER in part for part in cmd)
        if report is not None and not placed:
            raise r.error(
                [*key, "cmd"],
                f"report = '{report}' needs {REPORT_PLACEHOLDER} in cmd where the tool is told "
                "where to write it (lane-tasks gives a fresh path in the run's directory)",
            )
        if report is None and placed:
            raise r.error(
                [*key, "cmd"],
                f"{REPORT_PLACEHOLDER} in cmd needs a report key naming its format "
                f"({', '.join(REPORT_FORMATS)})",
            )
        checks[cid] = CheckSpec(
            id=cid,
            cmd=tuple(cmd),
            owner=r.str_(t, [*key, "owner"], None),
            timeout=timeout,
            env=dict(env),
            cwd=cwd,
            description=r.str_(t, [*key, "description"], "") or "",
            inputs=inputs,
            input_env=input_env,
            shell=shell,
            fix=r.str_(t, [*key, "fix"], None),
            report=report,
        )
    return checks, jobs, cache


def _seconds(r: _Reader, table: Mapping[str, Any], key: list[str], default: float) -> float:
    """A timeout: a positive, finite number of seconds. TOML also has nan and inf (a timeout
    that never fires) and integers too large for a float."""
    v = table.get(key[-1], default)
    try:
        seconds = float(v) if not isinstance(v, bool) and isinstance(v, int | float) else math.nan
    except OverflowError:
        seconds = math.inf
    if not 0 < seconds < math.inf:
        raise r.error(key, f"must be a positive number of seconds, not {v!r}")
    return seconds


def _disabled(
    r: _Reader, table: Mapping[str, Any], key: list[str], known: Iterable[str], what: str
) -> dict[str, str]:
    """`disable = {check-id = "reason"}`: every id known, every reason given (it is shown)."""
    ids = list(known)
    disable = r.table(table.get(key[-1], {}), key)
    out: dict[str, str] = {}
    for check_id, reason in disable.items():
        if check_id not in ids:
            raise r.error(
                [*key, check_id],
                f"unknown {what} check{did_you_mean(check_id, ids)}; checks: {', '.join(ids)}",
            )
        if not isinstance(reason, str) or not reason.strip():
            raise r.error(
                [*key, check_id],
                f"needs the reason as a non-empty string (it is shown in every {what} report)",
            )
        out[check_id] = reason.strip()
    return out


def _release(r: _Reader, data: Mapping[str, Any]) -> ReleaseSettings:
    key = ["gate", "release"]
    t = r.table(data.get("gate", {}).get("release", {}), key)
    r.known(t, key)
    pattern = r.str_(t, [*key, "tag_pattern"], DEFAULT_TAG_PATTERN) or DEFAULT_TAG_PATTERN
    try:
        with warnings.catch_warnings():
            # re's FutureWarning ("Possible nested set") printed our own source line on stderr
            warnings.simplefilter("ignore")
            compiled = re.compile(pattern)
    except (re.error, OverflowError, RecursionError) as exc:  # x{99999999999}, deep nesting
        raise r.error([*key, "tag_pattern"], f"not a valid regular expression: {exc}") from None
    if "version" not in compiled.groupindex:
        raise r.error(
            [*key, "tag_pattern"], "needs a named group (?P<version>...) that captures the version"
        )
    changelog = r.str_(t, [*key, "changelog"], None)
    if changelog is not None:
        _require_inside(r, [*key, "changelog"], changelog)
    offline = t.get("offline", False)
    if not isinstance(offline, bool):
        raise r.error([*key, "offline"], f"must be true or false, not {_type(offline)}")
    timeout = _seconds(r, t, [*key, "timeout"], 900)

    return ReleaseSettings(
        tag_pattern=pattern,
        changelog=changelog,
        offline=offline,
        timeout=timeout,
        disabled=_disabled(r, t, [*key, "disable"], RELEASE_CHECKS, "gate release"),
    )


def _drift(r: _Reader, data: Mapping[str, Any], lanes: Mapping[str, LaneSpec]) -> DriftSettings:
    """[drift]: paths stay inside the repository, lanes exist, every waiver names a known
    finding id and gives the reason shown wherever the finding is reported."""
    key = ["drift"]
    t = r.table(data.get("drift", {}), key)
    r.known(t, key)
    ci_files = r.str_list(t, [*key, "ci_files"])
    docs = r.str_list(t, [*key, "docs"]) if "docs" in t else DEFAULT_DRIFT_DOCS
    for name, patterns in (("ci_files", ci_files), ("docs", docs)):
        for pattern in patterns:
            _require_inside(r, [*key, name], pattern)
    required = r.str_list(t, [*key, "required_ci_lanes"])
    for lane in required:
        if lane not in lanes:
            raise r.error(
                [*key, "required_ci_lanes"],
                f"unknown lane '{lane}'{did_you_mean(lane, lanes)}; lanes: {', '.join(lanes)}",
            )

    raw = t.get("waive", [])
    if not isinstance(raw, list):
        raise r.error([*key, "waive"], f"must be an array of tables, not {_type(raw)}")
    line = r.line([*key, "waive"])  # entries have no lines of their own in the locator
    allowed = allowed_keys([*key, "waive", "[]"])

    def bad(i: int, name: str, message: str) -> ConfigError:
        return ConfigError(message, path=r.path, line=line, key=f"{r.name(key)}.waive[{i}]{name}")

    waivers: list[Waiver] = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise bad(i, "", f"must be a table {{finding, path, reason}}, not {_type(entry)}")
        for k in entry:
            if k not in allowed:
                hint = did_you_mean(k, allowed)
                raise bad(i, f".{k}", f"unknown key{hint}; allowed: {', '.join(allowed)}")
        for k in ("finding", "path", "reason"):
            v = entry.get(k)
            if not isinstance(v, str) or not v.strip():
                got = "missing" if v is None else f"not {_type(v)}"
                why = " (it is shown with the waived finding)" if k == "reason" else ""
                raise bad(i, f".{k}", f"needs a non-empty string{why}; {got}")
        finding = entry["finding"]
        if finding not in FINDINGS:
            raise bad(
                i,
                ".finding",
                f"unknown finding '{finding}'{did_you_mean(finding, FINDINGS)}; "
                f"findings: {', '.join(FINDINGS)}",
            )
        path = entry["path"]
        if _outside(path):
            raise bad(i, ".path", f"must be a path inside the repository, not '{path}'")
        at = entry.get("line")
        if at is not None and (isinstance(at, bool) or not isinstance(at, int) or at < 1):
            raise bad(i, ".line", f"must be a positive integer, not {at!r}")
        waivers.append(Waiver(finding, Path(path).as_posix(), entry["reason"].strip(), at))
    return DriftSettings(
        ci_files=ci_files, required_ci_lanes=required, docs=docs, waive=tuple(waivers)
    )


def key_lines(path: Path) -> Callable[[Sequence[str]], int | None]:
    """The line of a dotted key path in the configuration file (for findings that point at the
    config; below [tool.lane-tasks] in a pyproject.toml); None for a key the file does not
    name."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return lambda _key: None
    table = config_table(path)
    locate = _Locator(text).line
    return lambda key: locate([*table, *key])


def key_name(path: Path, key: Sequence[str]) -> str:
    """A dotted key as the configuration file spells it (`tool.lane-tasks.…` in pyproject)."""
    return ".".join([*config_table(path), *key])


def _argv_hint(cmd: str) -> str:
    try:
        parts = shlex.split(cmd)
    except ValueError:
        parts = cmd.split()
    return "[" + ", ".join(f'"{p}"' for p in parts) + "]"


def _check_needs(r: _Reader, config: Config) -> None:
    """A control that reads a step's evidence is only valid in a lane that runs the step."""
    for lane in config.resolved_lanes():
        steps = set(lane.step_ids())
        for item in lane.controls:
            missing = [s for s in CONTROLS[item.id].needs_steps if s not in steps]
            if missing:
                raise r.error(
                    ["lanes", item.origin, "controls"],
                    f"control '{item.id}' reads evidence of step(s) {', '.join(missing)}, "
                    f"which lane '{lane.name}' does not run",
                )


def _opt_str(r: _Reader, t: Mapping[str, Any], key: Sequence[str]) -> str | None:
    """A string key whose absence (or blankness) a control reports: only its type is checked
    here, so a missing contact or SLO fails the lane with a named gap instead of exit 2."""
    v = t.get(key[-1])
    if v is None:
        return None
    if not isinstance(v, str):
        raise r.error(key, f"must be a string, not {_type(v)}")
    return v.strip() or None


def _teams_ownership(
    r: _Reader, data: Mapping[str, Any], checks: Mapping[str, CheckSpec]
) -> tuple[dict[str, Team], TeamOwnership]:
    """[teams.<name>] and [ownership.steps|controls|checks]: every owned id must exist (a typo
    would silently leave the real item unowned); team references are the control's to judge."""
    teams_t = r.table(data.get("teams", {}), ["teams"])
    teams: dict[str, Team] = {}
    for name, raw in teams_t.items():
        key = ["teams", name]
        t = r.table(raw, key)
        r.known(t, key)
        teams[name] = Team(
            name=name,
            contact=_opt_str(r, t, [*key, "contact"]),
            description=_opt_str(r, t, [*key, "description"]) or "",
        )
    own_t = r.table(data.get("ownership", {}), ["ownership"])
    kinds: dict[str, tuple[str, Iterable[str]]] = {
        "steps": ("step", STEPS),
        "controls": ("control", CONTROLS),
        "checks": ("gate fast check", checks),
    }
    r.known(own_t, ["ownership"])
    owned: dict[str, dict[str, str]] = {}
    for kind, (what, known_ids) in kinds.items():
        key = ["ownership", kind]
        ids = list(known_ids)
        owned[kind] = {}
        for item, team in r.table(own_t.get(kind, {}), key).items():
            if item not in ids:
                raise r.error(
                    [*key, item],
                    f"unknown {what} '{item}'{did_you_mean(item, ids)}; known: {', '.join(ids)}",
                )
            if not isinstance(team, str) or not team.strip():
                raise r.error(
                    [*key, item], f"must be a team name (a non-empty string), not {team!r}"
                )
            owned[kind][item] = team.strip()
    return teams, TeamOwnership(**owned)


def _support(r: _Reader, data: Mapping[str, Any]) -> SupportSettings:
    """[support]: levels (strictest first) and [support.severity.<level>]. Only types and keys
    are checked here; missing levels, bad durations and SLO order are the severity-model
    control's, so the regulated lane fails naming every gap at once."""
    key = ["support"]
    t = r.table(data.get("support", {}), key)
    r.known(t, key)
    levels = r.str_list(t, [*key, "levels"]) if "levels" in t else DEFAULT_SEVERITY_LEVELS
    sev_t = r.table(t.get("severity", {}), [*key, "severity"])
    severity: dict[str, SeverityLevel] = {}
    for name, raw in sev_t.items():
        lkey = [*key, "severity", name]
        lt = r.table(raw, lkey)
        r.known(lt, lkey)
        severity[name] = SeverityLevel(
            name=name,
            ack=_opt_str(r, lt, [*lkey, "ack"]),
            resolve=_opt_str(r, lt, [*lkey, "resolve"]),
            escalation=_opt_str(r, lt, [*lkey, "escalation"]),
            description=_opt_str(r, lt, [*lkey, "description"]) or "",
        )
    return SupportSettings(levels=levels, severity=severity)


@dataclass(frozen=True)
class KpiSettings:
    """[kpi]: how often the KPIs must be reviewed (weekly-kpi-review) and who may review them
    (empty: anyone who gives a name)."""

    review_period_days: int = 7
    reviewers: tuple[str, ...] = ()
    min_sample: int = 3
    """Below this many data points a KPI is `unknown` (too little data to mean anything)."""


@dataclass(frozen=True)
class HistorySettings:
    """[history]: where the run history (SQLite) lives and which repository this one is.

    `path` is relative to the repository (default: inside the artifacts directory, which CI
    carries between runs with its cache); `repository` names this repository in a program's
    shared history (default: the git remote `origin`, else the directory name)."""

    path: str | None = None
    repository: str | None = None


CHECKLIST_DECISION = "decision"
DEFAULT_CHECKLIST = ("gate-fast", "gate-release", "doctor", CHECKLIST_DECISION)


@dataclass(frozen=True)
class ChecklistSettings:
    """[release] checklist: the items every version cut's checklist.json must mark done; each
    is a step id (its artifact from the run) or "decision" (the go record)."""

    items: tuple[str, ...] = DEFAULT_CHECKLIST


def _kpi(r: _Reader, data: Mapping[str, Any]) -> KpiSettings:
    key = ["kpi"]
    t = r.table(data.get("kpi", {}), key)
    r.known(t, key)
    return KpiSettings(
        # the control compares ages with timedelta(days=...), which ends at 999999999 days
        review_period_days=r.int_(t, [*key, "review_period_days"], 7, 1, timedelta.max.days),
        reviewers=r.str_list(t, [*key, "reviewers"]),
        min_sample=r.int_(t, [*key, "min_sample"], 3, 1),
    )


def _history(r: _Reader, data: Mapping[str, Any]) -> HistorySettings:
    key = ["history"]
    t = r.table(data.get("history", {}), key)
    r.known(t, key)
    path = r.str_(t, [*key, "path"], None)
    if path is not None:
        _require_inside(r, [*key, "path"], path)
        _not_in_git_dir(r, [*key, "path"], path)
    return HistorySettings(path=path, repository=r.str_(t, [*key, "repository"], None))


def _checklist(r: _Reader, data: Mapping[str, Any]) -> ChecklistSettings:
    key = ["release"]
    t = r.table(data.get("release", {}), key)
    r.known(t, key)
    if "checklist" not in t:
        return ChecklistSettings()
    items = r.str_list(t, [*key, "checklist"])
    known = [*STEPS, CHECKLIST_DECISION]
    for item in items:
        if item not in known:
            raise r.error(
                [*key, "checklist"],
                f"unknown checklist item '{item}'{did_you_mean(item, known)}; "
                f"known: {', '.join(known)}",
            )
    if not items:
        raise r.error([*key, "checklist"], "must list at least one item")
    return ChecklistSettings(items=items)


def _check_checklist_steps(r: _Reader, config: Config) -> None:
    """A checklist item that is a step the lane with release-checklist-evidence does not run
    could never be done."""
    for lane in config.resolved_lanes():
        if "release-checklist-evidence" not in lane.control_ids():
            continue
        missing = [i for i in config.checklist.items if i in STEPS and i not in lane.step_ids()]
        if missing:
            raise r.error(
                ["release", "checklist"],
                f"item(s) {', '.join(missing)} are steps lane '{lane.name}' does not run, "
                "so its release-checklist-evidence control could never pass",
            )


@dataclass(frozen=True)
class SigningSettings:
    """[signing.keys]: person -> public key (a PEM file in the repository). Empty: records need
    no signature. Set: the release-owner, release-checklist-evidence and weekly-kpi-review
    controls accept only records signed by the person they name (evidence.record_signature)."""

    keys: Mapping[str, str] = field(default_factory=dict)


_PEM_PUBLIC = b"-----BEGIN PUBLIC KEY-----"
_KEY_FILE_MAX = 64 * 1024
"""A PEM public key is a few hundred bytes; a bigger file is not one (and is not read whole)."""


def _signing(
    r: _Reader, data: Mapping[str, Any], root: Path, owners: Sequence[str], kpi: KpiSettings
) -> SigningSettings:
    """[signing.keys]: like [ownership.steps], a table of names; each is a release owner or a
    KPI reviewer (any name when kpi.reviewers is empty), each key a PEM public key file inside
    the repository, no two people sharing one (a signature must name one person)."""
    key = ["signing"]
    t = r.table(data.get("signing", {}), key)
    r.known(t, key)
    keys_t = r.table(t.get("keys", {}), [*key, "keys"])
    people = [*owners, *(x for x in kpi.reviewers if x not in owners)]
    keys: dict[str, str] = {}
    seen: dict[bytes, str] = {}
    for name, value in keys_t.items():
        k = [*key, "keys", name]
        if name not in owners and kpi.reviewers and name not in kpi.reviewers:
            raise r.error(
                k,
                f"'{name}' is neither a release owner nor a KPI reviewer"
                f"{did_you_mean(name, people)}; signers: {', '.join(people) or 'none configured'}",
            )
        if not isinstance(value, str) or not value.strip():
            raise r.error(k, f"must be the path of a public key file (a string), not {value!r}")
        _require_inside(r, k, value)
        file = root / value
        try:
            inside, is_file = file.resolve().is_relative_to(root), file.is_file()
            if inside and is_file:  # never open a FIFO or a directory
                with file.open("rb") as fh:
                    pem = fh.read(_KEY_FILE_MAX + 1)
        except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python < 3.13)
            why = getattr(exc, "strerror", None) or str(exc)
            raise r.error(k, f"cannot read the public key {value}: {why}") from None
        if not inside:  # a symlink out of the repository
            raise r.error(k, f"must be a path inside the repository, not '{value}'")
        if not is_file:
            raise r.error(k, f"no public key file {value} in the repository")
        if b"PRIVATE KEY-----" in pem:
            raise r.error(
                k,
                f"{value} is a private key: list the public one (`openssl pkey -in KEY -pubout "
                f"-out {value}`) and keep the private key out of the repository",
            )
        if len(pem) > _KEY_FILE_MAX or _PEM_PUBLIC not in pem:
            raise r.error(
                k,
                f"{value} is not a PEM public key (make one: `openssl genpkey -algorithm "
                f"ed25519 -out KEY && openssl pkey -in KEY -pubout -out {value}`)",
            )
        _ed25519_or_error(r, k, file)
        if (other := seen.get(pem.strip())) is not None:
            raise r.error(k, f"{value} is the same key as '{other}'s: each signer needs their own")
        seen[pem.strip()] = name
        keys[name] = Path(value).as_posix()
    return SigningSettings(keys=keys)


def _ed25519_or_error(r: _Reader, key: list[str], file: Path) -> None:
    """An RSA or EC key passes the PEM check; with `cryptography` installed (the sign extra),
    say so at load. Without it the file is checked when a record is verified (exit 3 then)."""
    from lane_tasks.errors import EnvironmentProblem
    from lane_tasks.util.signing import load_public_key

    try:
        load_public_key(file)
    except EnvironmentProblem:
        return
    except ConfigError as exc:
        raise r.error(key, exc.problem) from None


COMPAT_SOURCES = ("lane-tasks", "project", "file")
COMPAT_POLICIES = ("semver", "strict")


@dataclass(frozen=True)
class CompatSettings:
    """[compat]: where the CLI/schema snapshot lives, where the current surface comes from
    ("lane-tasks": generated from this tool; "project": generated by lane-tasks from the
    adopting project's public API, console scripts and `schemas`; "file": the adopting repo's
    own hand-kept snapshot file) and when a breaking change is allowed ("semver": in a major
    bump or after a deprecation window; "strict": only after a deprecation window)."""

    snapshot: str = "compat-snapshot.json"
    """A file, not a folder: a top-level folder with an importable name (`compat/`) breaks
    setuptools' flat-layout package discovery in the adopting project."""
    source: str = "file"
    policy: str = "semver"
    packages: tuple[str, ...] = ()
    """source = "project": the import packages whose public API is the surface (default: found
    from pyproject.toml and the source layout)."""
    schemas: tuple[str, ...] = ()
    """source = "project": globs (relative to the repository) of the JSON Schema files the
    project declares as its data formats."""


@dataclass(frozen=True)
class Deprecation:
    """One deprecated item (`cli:<command> [--option]`, `schema:<kind>[:<field>]` or
    `api:<dotted name>[(<parameter>)]`). Versions
    stay strings: the deprecation-windows control, not the loader, reports a bad one."""

    item: str
    announced_in: str
    remove_in: str
    runbook: str
    where: str = ""
    """`file:line` of the entry, for messages."""


@dataclass(frozen=True)
class DeprecationSettings:
    """[deprecations]: the minimum window and the registry (inline items, or a TOML file holding
    `[[deprecations.items]]`, read when needed by `load_deprecations`)."""

    min_window_minors: int = 2
    file: str | None = None
    items: tuple[Deprecation, ...] = ()


def _compat(r: _Reader, data: Mapping[str, Any]) -> CompatSettings:
    key = ["compat"]
    t = r.table(data.get("compat", {}), key)
    r.known(t, key)
    snapshot = r.str_(t, [*key, "snapshot"], CompatSettings.snapshot) or CompatSettings.snapshot
    _require_inside(r, [*key, "snapshot"], snapshot)
    choice: dict[str, str] = {}
    for name, allowed, default in (
        ("source", COMPAT_SOURCES, CompatSettings.source),
        ("policy", COMPAT_POLICIES, CompatSettings.policy),
    ):
        v = r.str_(t, [*key, name], default) or default
        if v not in allowed:
            raise r.error(
                [*key, name],
                f"unknown {name} '{v}'{did_you_mean(v, allowed)}; allowed: {', '.join(allowed)}",
            )
        choice[name] = v
    schemas = r.str_list(t, [*key, "schemas"])
    for glob in schemas:
        _require_inside(r, [*key, "schemas"], glob)
    packages = r.str_list(t, [*key, "packages"])
    for name in packages:
        if not all(part.isidentifier() for part in name.split(".")):
            raise r.error([*key, "packages"], f"'{name}' is not an importable package name")
    return CompatSettings(
        snapshot=Path(snapshot).as_posix(),
        source=choice["source"],
        policy=choice["policy"],
        packages=packages,
        schemas=schemas,
    )


_DEPRECATION_KEYS = allowed_keys(["deprecations", "items", "[]"])


def _deprecation_items(r: _Reader, t: Mapping[str, Any], key: list[str]) -> tuple[Deprecation, ...]:
    """`[[<key>.items]]` entries: every key present as a non-empty string, items named as
    `cli:…` or `schema:…`, runbooks inside the repository."""
    raw = t.get("items", [])
    if not isinstance(raw, list):
        raise r.error([*key, "items"], f"must be an array of tables, not {_type(raw)}")
    line = r.line([*key, "items"])  # entries have no lines of their own in the locator
    where = f"{r.path.name}:{line}" if line else r.path.name
    prefix = r.name(key)

    def bad(i: int, name: str, message: str) -> ConfigError:
        return ConfigError(message, path=r.path, line=line, key=f"{prefix}.items[{i}]{name}")

    out: list[Deprecation] = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise bad(i, "", f"must be a table {{{', '.join(_DEPRECATION_KEYS)}}}")
        for k in entry:
            if k not in _DEPRECATION_KEYS:
                hint = did_you_mean(k, _DEPRECATION_KEYS)
                raise bad(i, f".{k}", f"unknown key{hint}; allowed: {', '.join(_DEPRECATION_KEYS)}")
        for k in _DEPRECATION_KEYS:
            v = entry.get(k)
            if not isinstance(v, str) or not v.strip():
                got = "missing" if v is None else f"not {_type(v)}"
                raise bad(i, f".{k}", f"needs a non-empty string; {got}")
        item = entry["item"].strip()
        if not item.startswith(("cli:", "schema:", "api:")) or item in ("cli:", "schema:", "api:"):
            raise bad(
                i,
                ".item",
                f"'{item}' must name 'cli:<command> [--option]', 'schema:<kind>[:<field>]' or "
                "'api:<dotted name>[(<parameter>)]'",
            )
        runbook = entry["runbook"].strip()
        if _outside(runbook):
            raise bad(i, ".runbook", f"must be a path inside the repository, not '{runbook}'")
        out.append(
            Deprecation(
                item=item,
                announced_in=entry["announced_in"].strip(),
                remove_in=entry["remove_in"].strip(),
                runbook=Path(runbook).as_posix(),
                where=where,
            )
        )
    dup = next((d.item for n, d in enumerate(out) if d.item in {e.item for e in out[:n]}), None)
    if dup is not None:
        raise r.error([*key, "items"], f"'{dup}' is registered twice")
    return tuple(out)


def _deprecations(r: _Reader, data: Mapping[str, Any]) -> DeprecationSettings:
    key = ["deprecations"]
    t = r.table(data.get("deprecations", {}), key)
    r.known(t, key)
    file = r.str_(t, [*key, "file"], None)
    if file is not None:
        _require_inside(r, [*key, "file"], file)
        if "items" in t:
            raise r.error([*key, "items"], f"give the items here or in file '{file}', not in both")
    return DeprecationSettings(
        min_window_minors=r.int_(t, [*key, "min_window_minors"], 2, 0),
        file=None if file is None else Path(file).as_posix(),
        items=_deprecation_items(r, t, key),
    )


def load_deprecations(config: Config) -> tuple[Deprecation, ...]:
    """The deprecation registry: lanes.toml's items, or those of `[deprecations] file` (read
    now, so a broken file fails the controls that need it, not every command). ConfigError
    with file:line on a bad file."""
    settings = config.deprecations
    if settings.file is None:
        return settings.items
    path = config.root / settings.file
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            "no such file (named by deprecations.file in lanes.toml)", path=settings.file
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", path=settings.file) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", path=settings.file) from None
    except RecursionError:
        raise ConfigError(
            "invalid TOML: arrays or tables nested too deeply", path=settings.file
        ) from None
    except ValueError as exc:  # an integer of more than 4300 digits
        raise ConfigError(f"invalid TOML: {exc}", path=settings.file) from None
    r = _Reader(Path(settings.file), text)
    r.known(data, [], ["deprecations"])
    t = r.table(data.get("deprecations", {}), ["deprecations"])
    r.known(t, ["deprecations"], ["items"])
    return _deprecation_items(r, t, ["deprecations"])
