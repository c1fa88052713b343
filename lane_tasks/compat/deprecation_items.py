"""Deprecation items: what an item such as `cli:gate fast --old-flag` names, and whether a
snapshot still holds it.

Deprecation items name things in the same words as a diff's changes: `cli:gate fast --old-flag`,
`cli:gate fast`, `schema:gate-fast`, `schema:gate-fast:results[].old_field`, `api:pkg.func`,
`api:pkg.func(x)`. An item covers what lies below it (`cli:gate` covers `cli:gate fast --jobs`,
`api:pkg.mod` covers `api:pkg.mod.func(x)`). The policy uses `covers` to find the entry that
allows a breaking change; the deprecation-windows control uses `has_item` to see whether a
removal happened.
"""

from __future__ import annotations

from lane_tasks.compat.snapshot import Snapshot

__all__ = ["covers", "has_item"]


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
