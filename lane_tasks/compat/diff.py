"""The diff of two compat snapshots: every change from one to the other, named and classed as
breaking or additive.

`compat diff` and the compat-policy control compare the snapshot at the latest release tag with
the current one; this module only says what changed (a removed command or field once, not each
thing below it) and which changes break users. Whether the policy allows a change is
`compat.policy`'s job.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lane_tasks.compat.snapshot import ApiEntry, Snapshot

__all__ = ["ADDITIVE", "BREAKING", "Change", "diff"]

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
