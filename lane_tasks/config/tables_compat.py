"""[compat] (the snapshot and its policy) and [deprecations] (window and registry)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lane_tasks.config.reader import Reader, TableArray, outside, require_inside
from lane_tasks.config.settings import (
    COMPAT_POLICIES,
    COMPAT_SOURCES,
    CompatSettings,
    Deprecation,
    DeprecationSettings,
)
from lane_tasks.errors import did_you_mean


def compat_table(r: Reader, data: Mapping[str, Any]) -> CompatSettings:
    key = ["compat"]
    t = r.table(data.get("compat", {}), key)
    r.known(t, key)
    snapshot = r.str_(t, [*key, "snapshot"], CompatSettings.snapshot) or CompatSettings.snapshot
    require_inside(r, [*key, "snapshot"], snapshot)
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
        require_inside(r, [*key, "schemas"], glob)
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


def deprecation_items(r: Reader, t: Mapping[str, Any], key: list[str]) -> tuple[Deprecation, ...]:
    """`[[<key>.items]]` entries: every key present as a non-empty string, items named as
    `cli:…` or `schema:…`, runbooks inside the repository."""
    entries = TableArray(r, t, [*key, "items"])
    where = f"{r.path.name}:{entries.line}" if entries.line else r.path.name
    bad = entries.bad
    out: list[Deprecation] = []
    for i, entry in entries:
        item = entry["item"].strip()
        if not item.startswith(("cli:", "schema:", "api:")) or item in ("cli:", "schema:", "api:"):
            raise bad(
                i,
                ".item",
                f"'{item}' must name 'cli:<command> [--option]', 'schema:<kind>[:<field>]' or "
                "'api:<dotted name>[(<parameter>)]'",
            )
        runbook = entry["runbook"].strip()
        if outside(runbook):
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


def deprecations_table(r: Reader, data: Mapping[str, Any]) -> DeprecationSettings:
    key = ["deprecations"]
    t = r.table(data.get("deprecations", {}), key)
    r.known(t, key)
    file = r.str_(t, [*key, "file"], None)
    if file is not None:
        require_inside(r, [*key, "file"], file)
        if "items" in t:
            raise r.error([*key, "items"], f"give the items here or in file '{file}', not in both")
    return DeprecationSettings(
        min_window_minors=r.int_(t, [*key, "min_window_minors"], 2, 0),
        file=None if file is None else Path(file).as_posix(),
        items=deprecation_items(r, t, key),
    )
