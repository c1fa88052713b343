"""One frozen dataclass per lanes.toml table, with its defaults (`Config` holds them, in
config.model). Each says which table it is; the key declarations are in config.keys."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

ARTIFACTS_DIR = ".lane-tasks"
"""Where runs write, by default: a dot-directory, as nox, tox, pytest, mypy and ruff use, so it
can never be taken for a package (flit refuses a project whose package is named `build` when a
`build/` directory sits beside it). The seed's `build/*.json` layout: `artifacts_dir = "build"`."""
NOX_BACKENDS = ("none", "venv", "virtualenv", "uv", "conda", "mamba", "micromamba")


@dataclass(frozen=True, kw_only=True)
class ProjectSettings:
    """[project]: who decides on releases, where lane-tasks writes, from when controls apply."""

    release_owners: tuple[str, ...] = ()
    evidence_dir: str = "release-evidence"
    artifacts_dir: str = ARTIFACTS_DIR
    default_lane: str | None = None
    adoption_point: str | None = None
    """Git revision from which release controls apply (default: the commit adding lanes.toml)."""


@dataclass(frozen=True, kw_only=True)
class RunsSettings:
    """[runs]: how many runs the run store keeps."""

    keep: int = 50


@dataclass(frozen=True, kw_only=True)
class NoxSettings:
    """[nox]: how the nox sessions run."""

    backend: str = "none"
    python: str | None = None
    install: tuple[str, ...] = ("lane-tasks",)
    session_prefix: str = ""
    """Put before every session lane-tasks registers, for a noxfile that already has a session
    named like a step or lane (`lanes-doctor` beside the project's `doctor`)."""


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


@dataclass(frozen=True, kw_only=True)
class GateFastSettings:
    """[gate.fast]: the checks, how many run at once (0: one per CPU), whether the cache
    answers unchanged checks (`--no-cache` per run)."""

    checks: Mapping[str, CheckSpec] = field(default_factory=dict)
    jobs: int = 0
    cache: bool = True


DEFAULT_TAG_PATTERN = r"^[vV]?(?P<version>\d.*)$"


@dataclass(frozen=True, kw_only=True)
class GateReleaseSettings:
    """[gate.release]: how release tags look, where the changelog is, how to build, and how
    to try what was built."""

    tag_pattern: str = DEFAULT_TAG_PATTERN
    changelog: str | None = None
    offline: bool = False
    timeout: float = 900.0
    smoke: tuple[str, ...] = ()
    """A command run against the installed wheel ({python} is its interpreter), if any."""
    reproducible: bool | None = None
    """Build twice and compare; None: as the lane says (its controls ask for it or not)."""
    sdist_exclude: tuple[str, ...] = ()
    """Globs of tracked files under the package directories the sdist may leave out."""
    disabled: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class DoctorSettings:
    """[doctor]: checks turned off (id -> the reason shown) and extra CI files it reads."""

    disable: Mapping[str, str] = field(default_factory=dict)
    ci_files: tuple[str, ...] = ()


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


@dataclass(frozen=True, kw_only=True)
class ReleaseSettings:
    """[release]: what every version cut must show (its checklist)."""

    checklist: ChecklistSettings = field(default_factory=lambda: ChecklistSettings())


@dataclass(frozen=True)
class SigningSettings:
    """[signing.keys]: person -> public key (a PEM file in the repository). Empty: records need
    no signature. Set: the release-owner, release-checklist-evidence and weekly-kpi-review
    controls accept only records signed by the person they name (evidence.record_signature)."""

    keys: Mapping[str, str] = field(default_factory=dict)


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
