"""The compatibility surface: a snapshot of the CLI (commands, options), the JSON Schemas
(flattened fields) and, for a user's project, its public Python API (names and signatures), and
the diff of two snapshots judged against the policy.

A snapshot is one canonical JSON file (default `compat-snapshot.json`):
`{"schema": "lane-tasks/compat-snapshot", "schema_version": "1.0", "cli": {"<command path>":
["--opt", ...]}, "schemas": {"<kind>": {"<dotted field path>": {"type": [...], "required":
bool}}}, "api": {"<dotted name>": {"kind": "function", "params": [{"name": "x", "kind":
"positional or keyword", "required": true}]}}}`. The root command's path is `""`; array items
are the field path plus `[]`. `api` is optional (an additive extension of 1.0: written only when
it holds names, so lane-tasks' own snapshot is unchanged).

Deprecation items name things in the same words: `cli:gate fast --old-flag`, `cli:gate fast`,
`schema:gate-fast`, `schema:gate-fast:results[].old_field`, `api:pkg.func`, `api:pkg.func(x)`.
An item covers what lies below it (`cli:gate` covers `cli:gate fast --jobs`, `api:pkg.mod`
covers `api:pkg.mod.func(x)`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from lane_tasks.catalog.commands import cli_surface
from lane_tasks.config import Config, Deprecation
from lane_tasks.evidence.artifacts import SCHEMA_VERSION, canonical_json
from lane_tasks.project.git import git

__all__ = [
    "SNAPSHOT_KIND",
    "Change",
    "Judged",
    "Snapshot",
    "SnapshotProblem",
    "covers",
    "current_snapshot",
    "diff",
    "flatten_schema",
    "generated_snapshot",
    "has_item",
    "judge",
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


# ---- diff and judgement -----------------------------------------------------------------------

BREAKING = {
    "name-removed": "public name removed",
    "name-rekinded": "public name changed kind",
    "param-removed": "parameter removed",
    "param-required": "parameter newly required",
    "param-rekinded": "parameter kind changed",
    "param-moved": "positional parameter moved",
    "command-removed": "command removed",
    "option-removed": "option removed",
    "schema-removed": "schema removed",
    "field-removed": "field removed",
    "field-retyped": "field type changed",
    "field-required": "field newly required",
}
ADDITIVE = {
    "name-added": "public name added",
    "param-added": "optional parameter added",
    "param-optional": "parameter no longer required",
    "param-loosened": "parameter accepts more ways of passing",
    "command-added": "command added",
    "option-added": "option added",
    "schema-added": "schema added",
    "field-added": "field added",
    "field-optional": "field no longer required",
}


@dataclass(frozen=True)
class Change:
    kind: str
    item: str
    detail: str = ""

    @property
    def breaking(self) -> bool:
        return self.kind in BREAKING

    def describe(self) -> str:
        what = BREAKING.get(self.kind) or ADDITIVE[self.kind]
        return f"{self.item}: {what}{f' ({self.detail})' if self.detail else ''}"


def _parent(field: str) -> str:
    if field.endswith("[]"):
        return field[:-2]
    return field.rsplit(".", 1)[0] if "." in field else ""


def _cli_parent(path: str) -> str | None:
    return None if not path else (path.rsplit(" ", 1)[0] if " " in path else "")


def _cli_item(path: str, option: str | None = None) -> str:
    return "cli:" + " ".join(p for p in (path, option) if p)


def diff(old: Snapshot, new: Snapshot) -> list[Change]:
    """Every difference from `old` to `new`. A removed command or field is listed once: what
    lies below it (its options, sub-commands, child fields) is not listed again."""
    out: list[Change] = []
    for path in sorted(old.cli):
        if path not in new.cli:
            parent = _cli_parent(path)
            if parent is None or parent not in old.cli or parent in new.cli:
                out.append(Change("command-removed", _cli_item(path)))
            continue
        out += [
            Change("option-removed", _cli_item(path, o))
            for o in sorted(set(old.cli[path]) - set(new.cli[path]))
        ]
        out += [
            Change("option-added", _cli_item(path, o))
            for o in sorted(set(new.cli[path]) - set(old.cli[path]))
        ]
    for path in sorted(set(new.cli) - set(old.cli)):
        out.append(Change("command-added", _cli_item(path)))
    for kind in sorted(set(old.schemas) | set(new.schemas)):
        if kind not in new.schemas:
            out.append(Change("schema-removed", f"schema:{kind}"))
            continue
        if kind not in old.schemas:
            out.append(Change("schema-added", f"schema:{kind}"))
            continue
        out += _diff_fields(kind, old.schemas[kind], new.schemas[kind])
    return out + _diff_api(old.api, new.api)


_POSITIONAL = ("positional-only", "positional or keyword")


def _diff_api(old: Mapping[str, ApiEntry], new: Mapping[str, ApiEntry]) -> list[Change]:
    """Names removed, added or changed in kind; for names in both, their parameters. A removed
    module or class is listed once (not each name below it)."""
    out: list[Change] = []
    for name in sorted(set(old) | set(new)):
        item = f"api:{name}"
        if name not in new:
            parent = name.rsplit(".", 1)[0]
            if parent not in old or parent in new:
                out.append(Change("name-removed", item))
            continue
        if name not in old:
            out.append(Change("name-added", item))
            continue
        o, n = old[name], new[name]
        if o["kind"] != n["kind"]:
            out.append(Change("name-rekinded", item, f"{o['kind']} -> {n['kind']}"))
            continue
        out += _diff_params(name, o.get("params", []), n.get("params", []))
    return out


def _diff_params(
    name: str, old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]
) -> list[Change]:
    out: list[Change] = []
    old_by = {p["name"]: p for p in old}
    new_by = {p["name"]: p for p in new}
    old_pos = [p["name"] for p in old if p["kind"] in _POSITIONAL]
    new_pos = [p["name"] for p in new if p["kind"] in _POSITIONAL]
    for p in old:
        item = f"api:{name}({p['name']})"
        q = new_by.get(p["name"])
        if q is None:
            out.append(Change("param-removed", item))
            continue
        if q["kind"] != p["kind"]:
            loosened = q["kind"] == "positional or keyword" and p["kind"] in (
                "positional-only",
                "keyword-only",
            )
            kind = "param-loosened" if loosened else "param-rekinded"
            out.append(Change(kind, item, f"{p['kind']} -> {q['kind']}"))
        elif p["name"] in old_pos and old_pos.index(p["name"]) != new_pos.index(p["name"]):
            shown = f"position {old_pos.index(p['name'])} -> {new_pos.index(p['name'])}"
            out.append(Change("param-moved", item, shown))
        if q["required"] and not p["required"]:
            out.append(Change("param-required", item))
        elif p["required"] and not q["required"]:
            out.append(Change("param-optional", item))
    for q in new:
        if q["name"] in old_by:
            continue
        item = f"api:{name}({q['name']})"
        if q["required"]:
            out.append(Change("param-required", item, "new required parameter"))
        else:
            out.append(Change("param-added", item))
    return out


def _diff_fields(
    kind: str, old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]]
) -> list[Change]:
    out: list[Change] = []
    for name in sorted(set(old) | set(new)):
        item = f"schema:{kind}:{name}"
        parent = _parent(name)
        if name not in new:
            if parent not in old or parent in new:  # else its removed parent is listed
                out.append(Change("field-removed", item))
            continue
        if name not in old:
            # a required field under an object that already existed breaks old documents
            if new[name]["required"] and (parent == "" or parent in old):
                out.append(Change("field-required", item, "new required field"))
            else:
                out.append(Change("field-added", item))
            continue
        o, n = old[name], new[name]
        if list(o["type"]) != list(n["type"]):
            shown = "|".join(o["type"]) + " -> " + "|".join(n["type"])
            out.append(Change("field-retyped", item, shown))
        if n["required"] and not o["required"]:
            out.append(Change("field-required", item))
        elif o["required"] and not n["required"]:
            out.append(Change("field-optional", item))
    return out


def covers(entry: str, item: str) -> bool:
    """Whether a deprecation entry's item names `item` or something that holds it."""
    if entry == item:
        return True
    if entry.startswith("cli:"):
        return item.startswith(entry + " ") if entry != "cli:" else False
    if entry.startswith("api:"):
        return item.startswith((entry + ".", entry + "("))
    return item.startswith((entry + ".", entry + "[]", entry + ":"))


def has_item(snapshot: Snapshot, item: str) -> bool:
    """Whether a deprecation item (`cli:…`, `schema:…` or `api:…`) is in the snapshot."""
    if item.startswith("cli:"):
        words = item.removeprefix("cli:").split()
        if words and words[-1].startswith("-"):
            path = " ".join(words[:-1])
            return words[-1] in snapshot.cli.get(path, ())
        return " ".join(words) in snapshot.cli
    if item.startswith("api:"):
        name, _, param = item.removeprefix("api:").partition("(")
        entry = snapshot.api.get(name)
        if entry is None:
            return False
        return not param or param.rstrip(")") in {p["name"] for p in entry.get("params", [])}
    kind, _, path = item.removeprefix("schema:").partition(":")
    if kind not in snapshot.schemas:
        return False
    return not path or path in snapshot.schemas[kind]


@dataclass(frozen=True)
class Judged:
    change: Change
    allowed: bool
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.change.kind,
            "item": self.change.item,
            "detail": self.change.detail,
            "breaking": self.change.breaking,
            "allowed": self.allowed,
            "reason": self.reason,
        }


def _version(raw: str) -> Version | None:
    try:
        return Version(raw)
    except InvalidVersion:
        return None


def judge(
    changes: Sequence[Change],
    *,
    policy: str,
    old_version: Version | None,
    current: Version | None,
    current_problem: str | None = None,
    deprecations: Sequence[Deprecation] = (),
) -> list[Judged]:
    """Each change with whether the policy allows it: additive always; a breaking one in a
    major bump (policy "semver") or when a deprecation entry covers it and its remove_in has
    been reached."""
    out: list[Judged] = []
    for change in changes:
        if not change.breaking:
            out.append(Judged(change, True, "additive"))
            continue
        if current is None:
            why = current_problem or "unknown"
            out.append(Judged(change, False, f"the project version is unknown: {why}"))
            continue
        if policy == "semver" and old_version is not None and current.major > old_version.major:
            out.append(Judged(change, True, f"major version bump {old_version} -> {current}"))
            continue
        entry = next((d for d in deprecations if covers(d.item, change.item)), None)
        if entry is None:
            need = (
                "a deprecation entry whose window has passed"
                if policy == "strict"
                else "a deprecation entry whose window has passed, or a major version bump"
            )
            out.append(Judged(change, False, f"not deprecated: needs {need}"))
            continue
        remove_in = _version(entry.remove_in)
        if remove_in is None:
            out.append(
                Judged(change, False, f"deprecated, but remove_in '{entry.remove_in}' is invalid")
            )
        elif current >= remove_in:
            out.append(
                Judged(
                    change,
                    True,
                    f"deprecated in {entry.announced_in}, window ended at {entry.remove_in}",
                )
            )
        else:
            out.append(
                Judged(
                    change,
                    False,
                    f"deprecated in {entry.announced_in}, but its window ends at "
                    f"{entry.remove_in} (version is {current})",
                )
            )
    return out
