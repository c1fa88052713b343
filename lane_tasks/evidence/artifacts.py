"""The artifact envelope, the record header and reader, and schema validation.

Every artifact has the same top level (`envelope`). Stable mode drops the `run` block and every
duration so the same inputs give the same bytes; failure excerpts stay.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import fastjsonschema

from lane_tasks import __version__
from lane_tasks.evidence.status import STATUSES as _STATUSES
from lane_tasks.evidence.status import count, is_warning
from lane_tasks.util.jsonio import (
    atomic_write,
    canonical_json,
    encodable,
    open_regular,
    read_text_regular,
    sha256_file,
)
from lane_tasks.util.redact import scrub, secret_values

__all__ = [
    "SCHEMA_VERSION",
    "Loaded",
    "Result",
    "RunInfo",
    "atomic_write",
    "canonical_json",
    "encodable",
    "envelope",
    "is_warning",
    "open_regular",
    "read_artifact",
    "read_record",
    "read_text_regular",
    "record_header",
    "schema_errors",
    "sha256_file",
    "summarize",
]

SCHEMA_VERSION = "1.0"
STATUSES = _STATUSES


@dataclass(frozen=True)
class Result:
    """One line of an artifact: a check, a control or a step outcome."""

    id: str
    status: str
    message: str = ""
    owner: str | None = None
    exit_code: int | None = None
    excerpt: str = ""
    fix: str | None = None
    duration_s: float | None = None
    severity: str | None = None
    """A check's severity (`warning`: a failure that blocks nothing); decides the exit code."""
    error_kind: str | None = None
    """`environment`: the machine lacks what the check needs (exit 3, not 1)."""
    cached: bool = False
    """Answered from the gate fast cache, not run."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Kind-specific payload (cmd, log, evidence, findings …), merged into the JSON object."""

    def to_json(self, *, stable: bool, secrets: Sequence[str] | None = None) -> dict[str, Any]:
        """The result as its artifact writes it; `secrets`: the values to scrub (default: read
        from the environment now; an artifact of many results reads them once)."""
        d: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "message": scrub(self.message, secrets),
            "owner": self.owner,
            "exit_code": self.exit_code,
            "excerpt": scrub(self.excerpt, secrets),
            "fix": self.fix,
        }
        if not stable and self.duration_s is not None:
            d["duration_s"] = round(self.duration_s, 3)
        d.update(self.protocol_fields())
        d.update(self.extra)
        return d

    def protocol_fields(self) -> dict[str, Any]:
        """The typed fields that decide exit codes and counts, as the artifact writes them
        (each only when set)."""
        d: dict[str, Any] = {}
        if self.severity is not None:
            d["severity"] = self.severity
        if self.error_kind is not None:
            d["error_kind"] = self.error_kind
        if self.cached:
            d["cached"] = True
        return d

    @staticmethod
    def split_fields(fields: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """An artifact's extra fields as (the typed fields' keyword arguments, the rest)."""
        typed = {k: fields[k] for k in ("severity", "error_kind", "cached") if k in fields}
        return typed, {k: v for k, v in fields.items() if k not in typed}


@dataclass(frozen=True)
class RunInfo:
    """The non-reproducible part of an artifact; absent in stable mode."""

    id: str | None
    started_at: str
    duration_s: float


def summarize(results: Iterable[Result]) -> dict[str, int]:
    """Counts by status. The non-blocking problems are counted as `warn` instead of `fail` /
    `error`, a key present only when there are some (additive: a summary without it reads as
    before); the counts always add up to the number of results."""
    return count((r.status, r.severity) for r in results)


def record_header(kind: str) -> dict[str, Any]:
    """The first three keys of every artifact and record this tool writes: which schema
    (`lane-tasks/<kind>`) at which version, written by which lane-tasks."""
    return {
        "schema": f"lane-tasks/{kind}",
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "lane-tasks", "version": __version__},
    }


def envelope(
    *,
    kind: str,
    step: str,
    lane: str | None,
    subject: Mapping[str, Any],
    status: str,
    results: Iterable[Result],
    stable: bool,
    run: RunInfo | None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the common top level. `kind` names the schema (`lane-tasks/<kind>`)."""
    rs = list(results)
    secrets = secret_values()  # once for the artifact, not twice per result
    doc: dict[str, Any] = {
        **record_header(kind),
        "lane": lane,
        "step": step,
        "subject": dict(subject),
        "status": status,
        "summary": summarize(rs),
        "results": [r.to_json(stable=stable, secrets=secrets) for r in rs],
    }
    if extra:
        doc.update(extra)
    if not stable and run is not None:
        doc["run"] = {
            "id": run.id,
            "started_at": run.started_at,
            "duration_s": round(run.duration_s, 3),
        }
    return doc


def schema_path(kind: str) -> Path:
    """The shipped JSON Schema file for an artifact kind at the current schema version."""
    ref = resources.files("lane_tasks") / "schemas" / f"{kind}-{SCHEMA_VERSION}.json"
    return Path(str(ref))


@cache
def _has_schema(kind: str) -> bool:
    """Whether lane-tasks ships a schema for `kind` (asked once per kind: an import validates
    thousands of records)."""
    return schema_path(kind).is_file()


@cache
def _validator(kind: str) -> Callable[[Any], Any]:
    schema = json.loads(schema_path(kind).read_text(encoding="utf-8"))
    return fastjsonschema.compile(schema)


def schema_errors(doc: Any) -> str | None:
    """Validate an artifact against the schema its `schema` field names; the error or None."""
    if not isinstance(doc, dict) or not isinstance(doc.get("schema"), str):
        return "not a lane-tasks artifact (no 'schema' field)"
    name = doc["schema"]
    if not name.startswith("lane-tasks/"):
        return f"unknown schema '{name}'"
    kind = name.removeprefix("lane-tasks/")
    if not _has_schema(kind):
        return f"unknown schema '{name}'"
    if doc.get("schema_version") != SCHEMA_VERSION:
        return f"schema_version {doc.get('schema_version')!r} is not {SCHEMA_VERSION!r}"
    try:
        _validator(kind)(doc)
    except fastjsonschema.JsonSchemaValueException as exc:
        return f"{name}: {exc.message}"
    return None


def read_artifact(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """Load and validate an artifact: (document, None) or (None or document, problem)."""
    got = read_record(path)
    if got.failure == "missing":
        return None, f"{path}: missing"
    if got.failure == "unreadable":
        return None, f"{path}: not valid JSON ({got.detail})"
    if got.failure is not None:
        return got.doc, f"{path}: {got.detail}"
    return got.doc, None


Failure = Literal["missing", "unreadable", "not-object", "invalid", "kind"]


@dataclass(frozen=True, kw_only=True)
class Loaded:
    """What reading one artifact or record found. `doc` is the parsed JSON whenever it is an
    object (also when it does not validate: some callers repair or report it); `failure`
    says which step failed and `detail` the reason, so each caller keeps its own wording."""

    path: Path
    doc: dict[str, Any] | None
    failure: Failure | None = None
    detail: str = ""

    @property
    def valid(self) -> dict[str, Any] | None:
        """The document when it is what was asked for, else None."""
        return self.doc if self.failure is None else None

    @property
    def problem(self) -> str | None:
        """The records' wording: `missing`, `unreadable: …`, the schema's complaint, or
        `is a <schema> record, not a <name>`; None when the document is valid."""
        if self.failure is None:
            return None
        if self.failure == "missing":
            return "missing"
        if self.failure == "unreadable":
            return f"unreadable: {self.detail}"
        return self.detail


def read_record(
    path: Path, kind: str | None = None, *, name: str | None = None, validate: bool = True
) -> Loaded:
    """Read `path` as JSON and check it: an object, valid against the schema it names, and of
    schema `lane-tasks/<kind>` (when `kind` is given; `name` is how a person calls that kind,
    for the message). The one reader behind every `(doc, problem)` loader."""
    try:
        raw = json.loads(read_text_regular(path))
    except FileNotFoundError as exc:
        return Loaded(path=path, doc=None, failure="missing", detail=str(exc))
    except (OSError, ValueError, RecursionError) as exc:
        return Loaded(path=path, doc=None, failure="unreadable", detail=str(exc))
    if not isinstance(raw, dict):
        return Loaded(path=path, doc=None, failure="not-object", detail=str(schema_errors(raw)))
    if validate:
        problem = schema_errors(raw)
        if problem is not None:
            return Loaded(path=path, doc=raw, failure="invalid", detail=problem)
    if kind is not None and raw.get("schema") != f"lane-tasks/{kind}":
        what = f"is a {raw.get('schema')} record, not a {name or kind}"
        return Loaded(path=path, doc=raw, failure="kind", detail=what)
    return Loaded(path=path, doc=raw)
