"""Every key lanes.toml accepts, declared once as data.

The config reader's unknown-key check (`allowed_keys`) and the JSON Schema shipped for editors
(`lanes_toml_schema`, written by tools/gen_schemas.py to lanes_toml.schema.json) both come
from TABLES, so the two cannot disagree. To add a key: add it to its table here with its JSON
Schema type and a description, read it in its parser (config/tables_*.py), run
`python tools/gen_schemas.py`.

A path component `*` is a name the user chooses (a lane, a check id, a team); `[]` is an entry
of an array of tables (`[[drift.waive]]`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lane_tasks.catalog import CONTROLS, KPIS, STEPS
from lane_tasks.config.settings import COMPAT_POLICIES, COMPAT_SOURCES, NOX_BACKENDS, REPORT_FORMATS

__all__ = ["SCHEMA_FILE", "TABLES", "allowed_keys", "lanes_toml_schema"]

SCHEMA_FILE = "lanes-toml.schema.json"
"""In lane_tasks/schemas/ (not `<kind>-1.0.json`: it is no artifact contract)."""

STR: dict[str, Any] = {"type": "string"}
STR_LIST: dict[str, Any] = {"type": "array", "items": {"type": "string"}, "uniqueItems": True}
BOOL: dict[str, Any] = {"type": "boolean"}
SECONDS: dict[str, Any] = {"type": "number", "exclusiveMinimum": 0}
STR_MAP: dict[str, Any] = {"type": "object", "additionalProperties": {"type": "string"}}
TABLE: dict[str, Any] = {"type": "object"}  # its keys: the TABLES entry below it
TABLES_OF: dict[str, Any] = {"type": "object"}  # name -> table: the TABLES entry `*` below it
ARRAY_OF_TABLES: dict[str, Any] = {"type": "array"}  # entries: the TABLES entry `[]` below it


def _k(base: Mapping[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {**base, **extra, "description": description}


TABLES: dict[tuple[str, ...], dict[str, dict[str, Any]]] = {
    (): {
        "project": _k(TABLE, "Who decides on releases and where lane-tasks writes."),
        "runs": _k(TABLE, "The run store."),
        "nox": _k(TABLE, "How the nox sessions run."),
        "lanes": _k(TABLES_OF, "The lanes: [lanes.<name>], each with steps, controls and KPIs."),
        "gate": _k(TABLE, "The gates: [gate.fast] checks and [gate.release] settings."),
        "doctor": _k(TABLE, "doctor: checks turned off and extra CI files."),
        "drift": _k(TABLE, "drift check: which CI files and docs it reads, waivers."),
        "teams": _k(TABLES_OF, "Teams that own checks, steps and controls: [teams.<name>]."),
        "ownership": _k(TABLE, "Which team owns each step, control and gate check."),
        "support": _k(TABLE, "The severity model: levels and their response times."),
        "kpi": _k(TABLE, "KPI reviews and the minimum sample."),
        "release": _k(TABLE, "Release checklist items."),
        "compat": _k(TABLE, "The compatibility snapshot and its policy."),
        "deprecations": _k(TABLE, "The deprecation registry and its minimum window."),
        "history": _k(TABLE, "The run history (SQLite)."),
        "signing": _k(TABLE, "Public keys of the people who sign records."),
    },
    ("project",): {
        "release_owners": _k(STR_LIST, "Who may record release decisions.", minItems=1),
        "evidence_dir": _k(STR, "Tracked in git: decisions, checklists, KPI reviews."),
        "artifacts_dir": _k(STR, "Not tracked: per-run artifacts (default .lane-tasks)."),
        "default_lane": _k(STR, "The lane a bare `nox` runs."),
        "adoption_point": _k(
            STR, "Git revision from which release controls apply (default: the adding commit)."
        ),
    },
    ("runs",): {"keep": _k({"type": "integer", "minimum": 1}, "Runs kept (default 50).")},
    ("nox",): {
        "backend": _k(STR, "Session backend; `none` runs steps in the nox process (default)."),
        "python": _k(STR, "Interpreter of the session environments (venv backends)."),
        "install": _k(STR_LIST, "What a venv backend installs (default: lane-tasks)."),
        "session_prefix": _k(STR, "Put before every session name (e.g. `lanes-`)."),
    },
    ("lanes", "*"): {
        "description": _k(STR, "What the lane is for."),
        "ideal_for": _k(STR, "Who should pick it."),
        "extends": _k(STR, "The lane it inherits every step, control and KPI from."),
        "steps": _k(STR_LIST, "Steps it adds (run in canonical order)."),
        "controls": _k(STR_LIST, "Controls it adds."),
        "kpis": _k(STR_LIST, "KPIs it emphasises."),
    },
    ("gate",): {
        "fast": _k(TABLE, "The quick checks."),
        "release": _k(TABLE, "The release preflight."),
    },
    ("gate", "fast"): {
        "checks": _k(TABLES_OF, "[gate.fast.checks.<id>]: one argv each."),
        "jobs": _k({"type": "integer", "minimum": 0}, "Checks run at once (0: CPUs)."),
        "cache": _k(BOOL, "Answer unchanged checks from the cache (default true)."),
    },
    ("gate", "fast", "checks", "*"): {
        "cmd": _k(
            {"anyOf": [{"type": "array", "items": STR, "minItems": 1}, STR]},
            "The argv, run without a shell (a string only with shell = true).",
        ),
        "owner": _k(STR, "Who fixes it when it fails."),
        "timeout": _k(SECONDS, "Seconds before its process group is killed (default 600)."),
        "env": _k(STR_MAP, "Extra environment variables."),
        "cwd": _k(STR, "Directory it runs in, inside the repository."),
        "description": _k(STR, "What it checks."),
        "inputs": _k(STR_LIST, "Globs of the files it reads (its cache key)."),
        "input_env": _k(STR_LIST, "Environment variables (or NAME_* patterns) it reads."),
        "shell": _k(BOOL, "Run cmd as one /bin/sh string (doctor warns)."),
        "fix": _k(STR, "What to tell a person whose run of it failed (default: from cmd)."),
        "report": _k(STR, "The report its tool writes where {report} is in cmd."),
    },
    ("gate", "release"): {
        "tag_pattern": _k(STR, "Regex of release tags with a (?P<version>...) group."),
        "changelog": _k(STR, "The changelog file (default: found)."),
        "offline": _k(BOOL, "Build without isolation (no network)."),
        "timeout": _k(SECONDS, "Seconds per release check (default 900)."),
        "disable": _k(STR_MAP, "Release checks turned off: id = reason."),
        "smoke": _k(STR_LIST, "Command run against the installed wheel ({python}, {project})."),
        "reproducible": _k(BOOL, "Build twice and compare (default: the lane's controls say)."),
        "sdist_exclude": _k(STR_LIST, "Tracked package files the sdist may leave out (globs)."),
    },
    ("doctor",): {
        "disable": _k(STR_MAP, "doctor checks turned off: id = reason."),
        "ci_files": _k(STR_LIST, "More CI files (globs) doctor and drift check read."),
    },
    ("drift",): {
        "ci_files": _k(STR_LIST, "More CI files (globs) drift check and doctor read."),
        "required_ci_lanes": _k(STR_LIST, "Lanes CI must run."),
        "docs": _k(STR_LIST, "Docs (globs) checked for commands (default README, docs/**)."),
        "waive": _k(ARRAY_OF_TABLES, "Accepted drift findings, each with its reason."),
    },
    ("drift", "waive", "[]"): {
        "finding": _k(STR, "The finding id."),
        "path": _k(STR, "The file it is in."),
        "reason": _k(STR, "Why it is accepted (shown with the finding)."),
        "line": _k({"type": "integer", "minimum": 1}, "Only at this line."),
    },
    ("teams", "*"): {
        "contact": _k(STR, "How to reach the team."),
        "description": _k(STR, "What the team does."),
    },
    ("ownership",): {
        "steps": _k(STR_MAP, "Step id = team."),
        "controls": _k(STR_MAP, "Control id = team."),
        "checks": _k(STR_MAP, "Gate fast check id = team."),
    },
    ("support",): {
        "levels": _k(STR_LIST, "Severity levels, strictest first (default sev1..sev4)."),
        "severity": _k(TABLES_OF, "[support.severity.<level>]: its response times."),
    },
    ("support", "severity", "*"): {
        "ack": _k(STR, "Time to acknowledge (e.g. `15m`)."),
        "resolve": _k(STR, "Time to resolve (e.g. `4h`)."),
        "escalation": _k(STR, "Who is escalated to."),
        "description": _k(STR, "What this level means."),
    },
    ("kpi",): {
        "review_period_days": _k({"type": "integer", "minimum": 1}, "Days between reviews."),
        "reviewers": _k(STR_LIST, "Who may record KPI reviews."),
        "min_sample": _k({"type": "integer", "minimum": 1}, "Fewer data points: unknown."),
    },
    ("history",): {
        "path": _k(STR, "The SQLite history file."),
        "repository": _k(STR, "This repository's name in the history (default: origin)."),
    },
    ("release",): {"checklist": _k(STR_LIST, "Items every release checklist must have.")},
    ("compat",): {
        "snapshot": _k(STR, "The snapshot file (default compat-snapshot.json)."),
        "source": _k(STR, "Whose surface: lane-tasks, project or file."),
        "policy": _k(STR, "How changes are judged: semver or strict."),
        "packages": _k(STR_LIST, "Import packages of the public API (source project)."),
        "schemas": _k(STR_LIST, "Globs of the data schemas you publish (source project)."),
    },
    ("deprecations",): {
        "min_window_minors": _k({"type": "integer", "minimum": 0}, "Minor releases kept."),
        "file": _k(STR, "Keep [[deprecations.items]] in this file instead."),
        "items": _k(ARRAY_OF_TABLES, "Registered deprecations."),
    },
    ("deprecations", "items", "[]"): {
        "item": _k(STR, "`cli:...`, `schema:...` or `api:...`."),
        "announced_in": _k(STR, "Version that announced it."),
        "remove_in": _k(STR, "Version that removes it."),
        "runbook": _k(STR, "The migration runbook, inside the repository."),
    },
    ("signing",): {"keys": _k(STR_MAP, "Person = path of their ed25519 public key (PEM).")},
}

REQUIRED: Mapping[tuple[str, ...], tuple[str, ...]] = {
    ("gate", "fast", "checks", "*"): ("cmd",),
    ("drift", "waive", "[]"): ("finding", "path", "reason"),
    ("deprecations", "items", "[]"): ("item", "announced_in", "remove_in", "runbook"),
}


def _matches(pattern: tuple[str, ...], key: Sequence[str]) -> bool:
    same = zip(pattern, key, strict=False)
    return len(pattern) == len(key) and all(p in ("*", k) for p, k in same)


def allowed_keys(key: Sequence[str]) -> tuple[str, ...]:
    """The keys the table at `key` may hold (`["lanes", "startup"]` -> description, ...)."""
    exact = TABLES.get(tuple(key))
    if exact is not None:
        return tuple(exact)
    for pattern, keys in TABLES.items():
        if _matches(pattern, key):
            return tuple(keys)
    raise KeyError(f"no key table for {'.'.join(key) or 'the top level'}")  # a bug of ours


def _table_schema(path: tuple[str, ...], enums: Mapping[tuple[str, ...], Sequence[str]]) -> Any:
    props: dict[str, Any] = {}
    for name, spec in TABLES[path].items():
        node = dict(spec)
        below = (*path, name)
        if spec.get("type") == "object" and below in TABLES:
            node |= _table_schema(below, enums)
        elif spec.get("type") == "object" and (*below, "*") in TABLES:
            node["additionalProperties"] = _table_schema((*below, "*"), enums)
        elif spec.get("type") == "array" and (*below, "[]") in TABLES:
            node["items"] = _table_schema((*below, "[]"), enums)
        for pattern, values in enums.items():
            if _matches(pattern, below):
                if node.get("type") == "array":
                    node["items"] = {"enum": list(values)}
                else:
                    node["enum"] = list(values)
        props[name] = node
    out: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": props}
    required = next((r for p, r in REQUIRED.items() if p == path), None)
    if required:
        out["required"] = list(required)
    return out


def lanes_toml_schema() -> dict[str, Any]:
    """The JSON Schema of lanes.toml (also of pyproject.toml's [tool.lane-tasks]) for editors:
    every key with its type and description, catalog ids as enums for completion."""
    enums: dict[tuple[str, ...], Sequence[str]] = {
        ("nox", "backend"): NOX_BACKENDS,
        ("compat", "source"): COMPAT_SOURCES,
        ("compat", "policy"): COMPAT_POLICIES,
        ("gate", "fast", "checks", "*", "report"): REPORT_FORMATS,
        ("lanes", "*", "steps"): tuple(STEPS),
        ("lanes", "*", "controls"): tuple(CONTROLS),
        ("lanes", "*", "kpis"): tuple(KPIS),
    }
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "urn:lane-tasks:schema:lanes-toml",
        "title": "lane-tasks configuration (lanes.toml or [tool.lane-tasks] in pyproject.toml)",
        **_table_schema((), enums),
    }


# ---- where each key goes: the docs/architecture.md key table ----


@dataclass(frozen=True, kw_only=True)
class Use:
    """Where one key is read (modules below lane_tasks, the parser aside), the artifact field
    it shows up in (`<schema kind>: <field>`, or "—"), and the heading that documents it."""

    used_by: tuple[str, ...]
    artifact: str = "—"
    docs: str = "README.md: lanes.toml"


def _u(used_by: str, artifact: str = "—", docs: str = "lanes.toml") -> Use:
    where = docs if docs.startswith("docs/") else f"README.md: {docs}"
    return Use(used_by=tuple(used_by.split()), artifact=artifact, docs=where)


_TEAMS = "Teams, ownership and the severity model"
_KPI = "KPI reviews and release checklists"
_COMPAT = "Compatibility and deprecations"
_INCR = "Incremental gate fast"
_LANES = "docs/lanes.md: Release-confidence lanes"

USES: dict[tuple[str, ...], Use] = {
    ("project",): _u("releases.decision kpi.records evidence.store"),
    ("runs",): _u("evidence.store", "run-manifest: retention"),
    ("nox",): _u("nox_sessions", docs="How a lane runs"),
    ("lanes",): _u("config.model nox_sessions docs.lanes_page", "run-manifest: lane", _LANES),
    ("gate",): _u("steps.gate_fast steps.gate_release"),
    ("doctor",): _u("steps.doctor", "doctor: results"),
    ("drift",): _u("steps.drift", "drift-check: findings"),
    ("teams",): _u("controls.ownership_matrix controls.severity_model", docs=_TEAMS),
    ("ownership",): _u("controls.ownership_matrix", "controls: results[].message", _TEAMS),
    ("support",): _u("controls.severity_model", "controls: results[].message", _TEAMS),
    ("kpi",): _u("controls.weekly_kpi_review kpi.compute", docs=_KPI),
    ("release",): _u(
        "releases.checklist controls.release_checklist_evidence", "release-checklist: items", _KPI
    ),
    ("compat",): _u("controls.compat_policy compat.snapshot", docs=_COMPAT),
    ("deprecations",): _u("controls.deprecation_windows controls.compat_policy", docs=_COMPAT),
    ("history",): _u("evidence.history", "run-manifest: repository", "Run history and KPIs"),
    ("signing",): _u("evidence.record_signature", docs="Signed evidence records"),
    ("project", "release_owners"): _u(
        "releases.decision controls.release_checklist_evidence",
        "release-decision: owner",
        "Release decisions and the `release-owner` control",
    ),
    ("project", "evidence_dir"): _u(
        "kpi.records releases.checklist", "release-checklist: items[].evidence.path"
    ),
    ("project", "artifacts_dir"): _u("evidence.store evidence.lease", "gate-fast: results[].log"),
    ("project", "default_lane"): _u("nox_sessions cli.commands.kpi"),
    ("project", "adoption_point"): _u(
        "controls.base", docs="Release decisions and the `release-owner` control"
    ),
    ("runs", "keep"): _u("evidence.store", "run-manifest: retention.keep"),
    ("nox", "backend"): _u("nox_sessions", docs="How a lane runs"),
    ("nox", "python"): _u("nox_sessions"),
    ("nox", "install"): _u("nox_sessions", docs="How a lane runs"),
    ("nox", "session_prefix"): _u(
        "nox_sessions adopt.noxfile steps.drift", docs="Adopt it in your project"
    ),
    ("lanes", "*", "description"): _u("docs.lanes_page nox_sessions", docs=_LANES),
    ("lanes", "*", "ideal_for"): _u("docs.lanes_page", docs=_LANES),
    ("lanes", "*", "extends"): _u("config.model docs.lanes_page", docs=_LANES),
    ("lanes", "*", "steps"): _u("config.model nox_sessions", "run-manifest: results[].id", _LANES),
    ("lanes", "*", "controls"): _u("controls.base", "controls: results[].origin", _LANES),
    ("lanes", "*", "kpis"): _u("kpi.review docs.lanes_page", "kpi-review: kpis[].id", _LANES),
    ("gate", "fast"): _u("steps.gate_fast", "gate-fast: results"),
    ("gate", "release"): _u("steps.gate_release", "gate-release: results"),
    ("gate", "fast", "checks"): _u(
        "steps.gate_fast evidence.consistency", "gate-fast: coverage.checks"
    ),
    ("gate", "fast", "jobs"): _u("steps.gate_fast"),
    ("gate", "fast", "cache"): _u("steps.gate_fast", "gate-fast: results[].cached", _INCR),
    ("gate", "fast", "checks", "*", "cmd"): _u(
        "steps.gate_commands steps.gate_results", "gate-fast: results[].cmd"
    ),
    ("gate", "fast", "checks", "*", "owner"): _u(
        "steps.gate_results controls.ownership_matrix", "gate-fast: results[].owner"
    ),
    ("gate", "fast", "checks", "*", "timeout"): _u(
        "steps.gate_fast", "gate-fast: results[].message"
    ),
    ("gate", "fast", "checks", "*", "env"): _u("steps.gate_commands steps.gate_cache"),
    ("gate", "fast", "checks", "*", "cwd"): _u("steps.gate_fast steps.gate_cache"),
    ("gate", "fast", "checks", "*", "description"): _u(
        "steps.gate_cache evidence.consistency", "gate-fast: coverage.configured_digest"
    ),
    ("gate", "fast", "checks", "*", "inputs"): _u("steps.gate_cache", docs=_INCR),
    ("gate", "fast", "checks", "*", "input_env"): _u("steps.gate_cache", docs=_INCR),
    ("gate", "fast", "checks", "*", "shell"): _u("steps.gate_commands steps.doctor", docs=_INCR),
    ("gate", "fast", "checks", "*", "fix"): _u("steps.gate_fixes", "gate-fast: results[].fix"),
    ("gate", "fast", "checks", "*", "report"): _u(
        "steps.gate_results", "gate-fast: results[].report.format"
    ),
    ("gate", "release", "tag_pattern"): _u(
        "steps.release_plan controls.base kpi.records", "gate-release: version"
    ),
    ("gate", "release", "changelog"): _u("steps.release_checks", "gate-release: results[].message"),
    ("gate", "release", "offline"): _u("steps.release_plan steps.doctor controls.compat_policy"),
    ("gate", "release", "timeout"): _u("steps.release_dists"),
    ("gate", "release", "smoke"): _u("steps.release_install", "gate-release: results[].message"),
    ("gate", "release", "reproducible"): _u(
        "steps.release_reproducible controls.reproducible_build", "gate-release: results[].status"
    ),
    ("gate", "release", "sdist_exclude"): _u(
        "steps.release_sdist", "gate-release: results[].message"
    ),
    ("gate", "release", "disable"): _u(
        "steps.gate_release releases.decision", "gate-release: results[].message"
    ),
    ("doctor", "disable"): _u("steps.doctor", "doctor: results[].message"),
    ("doctor", "ci_files"): _u("project.ci_files steps.doctor steps.drift"),
    ("drift", "ci_files"): _u("project.ci_files steps.doctor steps.drift"),
    ("drift", "required_ci_lanes"): _u("steps.drift", "drift-check: findings[].id"),
    ("drift", "docs"): _u("steps.drift", "drift-check: findings[].path"),
    ("drift", "waive"): _u("steps.drift", "drift-check: findings[].waived"),
    ("drift", "waive", "[]", "finding"): _u("steps.drift", "drift-check: findings[].id"),
    ("drift", "waive", "[]", "path"): _u("steps.drift", "drift-check: findings[].path"),
    ("drift", "waive", "[]", "reason"): _u("steps.drift", "drift-check: findings[].waived"),
    ("drift", "waive", "[]", "line"): _u("steps.drift", "drift-check: findings[].line"),
    ("teams", "*", "contact"): _u(
        "controls.ownership_matrix", "controls: results[].message", _TEAMS
    ),
    ("teams", "*", "description"): _u("controls.ownership_matrix", docs=_TEAMS),
    ("ownership", "steps"): _u("controls.ownership_matrix", "controls: results[].message", _TEAMS),
    ("ownership", "controls"): _u(
        "controls.ownership_matrix", "controls: results[].message", _TEAMS
    ),
    ("ownership", "checks"): _u("controls.ownership_matrix", "controls: results[].message", _TEAMS),
    ("support", "levels"): _u("controls.severity_model", "controls: results[].message", _TEAMS),
    ("support", "severity"): _u("controls.severity_model", "controls: results[].message", _TEAMS),
    ("support", "severity", "*", "ack"): _u("controls.severity_model", docs=_TEAMS),
    ("support", "severity", "*", "resolve"): _u("controls.severity_model", docs=_TEAMS),
    ("support", "severity", "*", "escalation"): _u("controls.severity_model", docs=_TEAMS),
    ("support", "severity", "*", "description"): _u("controls.severity_model", docs=_TEAMS),
    ("kpi", "review_period_days"): _u("controls.weekly_kpi_review dashboard.model", docs=_KPI),
    ("kpi", "reviewers"): _u("controls.weekly_kpi_review kpi.review", "kpi-review: reviewer", _KPI),
    ("kpi", "min_sample"): _u("kpi.compute dashboard.model", "kpi-review: kpis[].status", "KPIs"),
    ("history", "path"): _u("evidence.history config.own_dirs", docs="Run history and KPIs"),
    ("history", "repository"): _u(
        "evidence.history", "run-manifest: repository", "Run history and KPIs"
    ),
    ("release", "checklist"): _u(
        "releases.checklist controls.release_checklist_evidence",
        "release-checklist: items[].id",
        _KPI,
    ),
    ("compat", "snapshot"): _u("controls.compat_policy compat.snapshot", docs=_COMPAT),
    ("compat", "source"): _u("controls.compat_policy compat.snapshot", docs=_COMPAT),
    ("compat", "policy"): _u("controls.compat_policy", "controls: results[].message", _COMPAT),
    ("compat", "packages"): _u("compat.project_surface", docs=_COMPAT),
    ("compat", "schemas"): _u("compat.project_surface", docs=_COMPAT),
    ("deprecations", "min_window_minors"): _u("controls.deprecation_windows", docs=_COMPAT),
    ("deprecations", "file"): _u("config.deprecations", docs=_COMPAT),
    ("deprecations", "items"): _u(
        "controls.deprecation_windows controls.compat_policy", docs=_COMPAT
    ),
    ("deprecations", "items", "[]", "item"): _u("controls.deprecation_windows", docs=_COMPAT),
    ("deprecations", "items", "[]", "announced_in"): _u(
        "controls.deprecation_windows", docs=_COMPAT
    ),
    ("deprecations", "items", "[]", "remove_in"): _u("controls.deprecation_windows", docs=_COMPAT),
    ("deprecations", "items", "[]", "runbook"): _u("controls.deprecation_windows", docs=_COMPAT),
    ("signing", "keys"): _u("evidence.record_signature", docs="Signed evidence records"),
}

PARSERS: Mapping[str, str] = {
    "project": "config.tables_project",
    "runs": "config.tables_project",
    "nox": "config.tables_project",
    "doctor": "config.tables_project",
    "lanes": "config.tables_lanes",
    "gate": "config.tables_gate",
    "drift": "config.tables_drift",
    "compat": "config.tables_compat",
    "deprecations": "config.tables_compat",
}
"""The module that parses each top-level table (the rest: config.tables_governance)."""


def key_table_markdown() -> str:
    """The docs/architecture.md table: every key of TABLES, in their order, with its parser,
    readers, artifact field and docs heading. A key without a USES entry is a bug of ours."""
    rows = [
        "| lanes.toml key | module (parser → readers) | artifact field | docs heading |",
        "|---|---|---|---|",
    ]
    for path, keys in TABLES.items():
        for name in keys:
            full = (*path, name)
            use = USES.get(full)
            if use is None:
                raise KeyError(f"no USES entry for lanes.toml key {'.'.join(full)}")
            shown = ".".join(full).replace(".[]", "[]").replace("*", "<name>")
            parser = PARSERS.get(full[0], "config.tables_governance")
            readers = ", ".join(f"`{m}`" for m in use.used_by)
            rows.append(f"| `{shown}` | `{parser}` → {readers} | {use.artifact} | {use.docs} |")
    extra = set(USES) - {(*p, k) for p, keys in TABLES.items() for k in keys}
    if extra:
        raise KeyError(f"USES names keys TABLES does not: {sorted(extra)}")
    return "\n".join(rows) + "\n"
