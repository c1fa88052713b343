"""[lanes.<name>]: ids from the catalog, `extends` without cycles, lanes only add."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lane_tasks.catalog import CONTROLS, KPIS, STEPS
from lane_tasks.config.model import Config, LaneSpec
from lane_tasks.config.reader import ID, Reader
from lane_tasks.errors import did_you_mean


def lanes_table(r: Reader, data: Mapping[str, Any]) -> dict[str, LaneSpec]:
    lanes_t = r.table(data.get("lanes", {}), ["lanes"])
    if not lanes_t:
        raise r.error(["lanes"], "no lanes defined (add [lanes.startup] or run `lane-tasks init`)")
    specs: dict[str, LaneSpec] = {}
    for name, raw in lanes_t.items():
        key = ["lanes", name]
        if not ID.match(name):
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


def _check_extends(r: Reader, specs: Mapping[str, LaneSpec], name: str) -> None:
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


def _check_additive(r: Reader, specs: Mapping[str, LaneSpec], spec: LaneSpec) -> None:
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


def check_needs(r: Reader, config: Config) -> None:
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
