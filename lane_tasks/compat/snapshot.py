"""The compatibility surface as a snapshot: the CLI (commands, options), the JSON Schemas
(flattened fields) and, for a user's project, its public Python API (names and signatures);
built, written and read here.

A snapshot is one canonical JSON file (default `compat-snapshot.json`):
`{"schema": "lane-tasks/compat-snapshot", "schema_version": "1.0", "cli": {"<command path>":
["--opt", ...]}, "schemas": {"<kind>": {"<dotted field path>": {"type": [...], "required":
bool}}}, "api": {"<dotted name>": {"kind": "function", "params": [{"name": "x", "kind":
"positional or keyword", "required": true}]}}}`. The root command's path is `""`; array items
are the field path plus `[]`. `api` is optional (an additive extension of 1.0: written only when
it holds names, so lane-tasks' own snapshot is unchanged).

Two snapshots are compared by `compat.diff`, the changes judged by `compat.policy`, and the
deprecation items that allow breaking ones are read by `compat.deprecation_items`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lane_tasks.catalog.commands import cli_surface
from lane_tasks.config import Config
from lane_tasks.evidence.artifacts import SCHEMA_VERSION, canonical_json
from lane_tasks.project.git import git

__all__ = [
    "SNAPSHOT_KIND",
    "Snapshot",
    "SnapshotProblem",
    "current_snapshot",
    "flatten_schema",
    "generated_snapshot",
    "live_snapshot",
    "parse_snapshot",
    "read_snapshot_file",
    "render_snapshot",
    "snapshot_at",
]

SNAPSHOT_KIND = "lane-tasks/compat-snapshot"
SNAPSHOT_VERSION = "1.0"

Fields = dict[str, dict[str, Any]]
ApiEntry = Mapping[str, Any]
"""`{"kind": str, "params": [{"name", "kind", "required"}]}` (params for functions and classes),
or `{"kind": "alias", "target": "<dotted path>"}` for a re-exported name from outside."""


class SnapshotProblem(Exception):
    """A snapshot cannot be read or has the wrong shape; the message says where and why."""


@dataclass(frozen=True)
class Snapshot:
    """The CLI surface, the flattened schemas and the public Python API, as plain data."""

    cli: Mapping[str, tuple[str, ...]]
    schemas: Mapping[str, Mapping[str, Mapping[str, Any]]]
    api: Mapping[str, ApiEntry] = field(default_factory=dict)

    def is_empty(self) -> bool:
        """Nothing to compare: a snapshot like this lets every change through."""
        return not (self.cli or self.schemas or self.api)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "schema": SNAPSHOT_KIND,
            "schema_version": SNAPSHOT_VERSION,
            "cli": {path: sorted(opts) for path, opts in sorted(self.cli.items())},
            "schemas": {
                kind: {f: dict(info) for f, info in sorted(fields.items())}
                for kind, fields in sorted(self.schemas.items())
            },
        }
        if self.api:
            doc["api"] = {name: _api_json(e) for name, e in sorted(self.api.items())}
        return doc


def _api_json(entry: ApiEntry) -> dict[str, Any]:
    out = dict(entry)
    if "params" in out:
        out["params"] = [dict(p) for p in out["params"]]
    return out


def render_snapshot(snapshot: Snapshot) -> str:
    """Canonical JSON: the same surface always gives the same bytes."""
    return canonical_json(snapshot.to_json())


# ---- building a snapshot ----------------------------------------------------------------------


def _types(node: Mapping[str, Any]) -> list[str]:
    """The JSON types a schema node allows: `type`, else the types of `const`/`enum` values."""
    t = node.get("type")
    if isinstance(t, str):
        return [t]
    if isinstance(t, list):
        return sorted(str(x) for x in t)
    values: list[Any] = []
    if "const" in node:
        values = [node["const"]]
    elif isinstance(node.get("enum"), list):
        values = node["enum"]
    if not values:
        return ["any"]
    return sorted({_json_type(v) for v in values})


def _json_type(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    return "array" if isinstance(v, list) else "object"


def flatten_schema(schema: Mapping[str, Any]) -> Fields:
    """Every property of a JSON Schema, recursively, as `a.b` / `a[].b` paths with their types
    and whether their parent object requires them."""
    out: Fields = {}

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        props = node.get("properties")
        required = set(node.get("required") or ())
        if isinstance(props, dict):
            for name, sub in props.items():
                if not isinstance(sub, dict):
                    continue
                path = f"{prefix}.{name}" if prefix else name
                out[path] = {"type": _types(sub), "required": name in required}
                walk(sub, path)
        items = node.get("items")
        if isinstance(items, dict) and prefix:
            path = f"{prefix}[]"
            out[path] = {"type": _types(items), "required": False}
            walk(items, path)

    walk(schema, "")
    return out


def live_snapshot() -> Snapshot:
    """lane-tasks' own surface: the command tree (catalog.commands) and the shipped schemas."""
    cli = {" ".join(path): tuple(sorted(cmd.options)) for path, cmd in cli_surface().items()}
    schemas: dict[str, Fields] = {}
    folder = Path(__file__).resolve().parent.parent / "schemas"
    suffix = f"-{SCHEMA_VERSION}.json"
    for path in sorted(folder.glob(f"*{suffix}")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        schemas[path.name.removesuffix(suffix)] = flatten_schema(doc)
    return Snapshot(cli, schemas)


# ---- reading a snapshot -----------------------------------------------------------------------


def parse_snapshot(text: str, where: str) -> Snapshot:
    """A snapshot from JSON text, or SnapshotProblem naming `where` and the first problem."""
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise SnapshotProblem(f"{where}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("schema") != SNAPSHOT_KIND:
        raise SnapshotProblem(f"{where}: not a compat snapshot (schema is not '{SNAPSHOT_KIND}')")
    if doc.get("schema_version") != SNAPSHOT_VERSION:
        raise SnapshotProblem(
            f"{where}: schema_version {doc.get('schema_version')!r} is not '{SNAPSHOT_VERSION}'"
        )
    cli_raw = doc.get("cli")
    if not isinstance(cli_raw, dict):
        raise SnapshotProblem(f"{where}: 'cli' must be an object of command path -> options")
    cli: dict[str, tuple[str, ...]] = {}
    for path, opts in cli_raw.items():
        if not isinstance(opts, list) or not all(isinstance(o, str) for o in opts):
            raise SnapshotProblem(f"{where}: cli[{path!r}] must be a list of option strings")
        cli[path] = tuple(opts)
    schemas_raw = doc.get("schemas")
    if not isinstance(schemas_raw, dict):
        raise SnapshotProblem(f"{where}: 'schemas' must be an object of kind -> fields")
    schemas: dict[str, Fields] = {}
    for kind, fields in schemas_raw.items():
        if not isinstance(fields, dict):
            raise SnapshotProblem(f"{where}: schemas[{kind!r}] must be an object of fields")
        for name, info in fields.items():
            ok = (
                isinstance(info, dict)
                and isinstance(info.get("type"), list)
                and all(isinstance(t, str) for t in info["type"])
                and isinstance(info.get("required"), bool)
            )
            if not ok:
                raise SnapshotProblem(
                    f"{where}: schemas[{kind!r}][{name!r}] must be "
                    '{"type": [strings], "required": true|false}'
                )
        schemas[kind] = {
            n: {"type": sorted(i["type"]), "required": i["required"]} for n, i in fields.items()
        }
    return Snapshot(cli, schemas, _parse_api(doc.get("api", {}), where))


PARAM_KINDS = (
    "positional-only",
    "positional or keyword",
    "keyword-only",
    "variadic positional",
    "variadic keyword",
)


def _parse_api(raw: Any, where: str) -> dict[str, ApiEntry]:
    if not isinstance(raw, dict):
        raise SnapshotProblem(f"{where}: 'api' must be an object of dotted name -> entry")
    api: dict[str, ApiEntry] = {}
    for name, entry in raw.items():
        shape = (
            f'{where}: api[{name!r}] must be {{"kind": str, "params": [{{"name": str, "kind": '
            f'one of {", ".join(PARAM_KINDS)}, "required": bool}}]}}'
        )
        if not isinstance(entry, dict) or not isinstance(entry.get("kind"), str):
            raise SnapshotProblem(shape)
        params = entry.get("params", [])
        ok = isinstance(params, list) and all(
            isinstance(p, dict)
            and isinstance(p.get("name"), str)
            and p.get("kind") in PARAM_KINDS
            and isinstance(p.get("required"), bool)
            for p in params
        )
        if not ok or not isinstance(entry.get("target", ""), str):
            raise SnapshotProblem(shape)
        api[name] = _api_json(entry)
    return api


def read_snapshot_file(path: Path, shown: str) -> Snapshot:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SnapshotProblem(f"{shown}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SnapshotProblem(f"{shown}: cannot read ({exc})") from None
    return parse_snapshot(text, shown)


def snapshot_at(root: Path, rev: str, rel: str) -> Snapshot | None:
    """The snapshot file as committed at `rev`; None when `rev` has no such file."""
    r = git(root, "show", f"{rev}:./{rel}")
    if r.returncode != 0:
        return None
    return parse_snapshot(r.stdout, f"{rev}:{rel}")


GENERATED_SOURCES = ("lane-tasks", "project")
"""Sources whose surface lane-tasks computes (the committed file must match it); with "file"
the committed file is the surface."""


def generated_snapshot(config: Config) -> Snapshot:
    """The surface computed now: lane-tasks' own, or the user's project's (its public API,
    console scripts and declared schemas). SnapshotProblem when it cannot be computed."""
    if config.compat.source == "project":
        # project_surface builds on this module's Snapshot and ApiEntry: imported when used
        from lane_tasks.compat.project_surface import project_snapshot

        return project_snapshot(config.root, config.compat)
    return live_snapshot()


def current_snapshot(config: Config) -> Snapshot:
    """The surface now: the generated one (source = "lane-tasks" or "project") or the snapshot
    file in the working tree (source = "file")."""
    if config.compat.source in GENERATED_SOURCES:
        return generated_snapshot(config)
    rel = config.compat.snapshot
    return read_snapshot_file(config.root / rel, rel)
