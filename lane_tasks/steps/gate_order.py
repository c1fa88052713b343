"""The order gate fast starts its checks in: the longest first, by the time each took last.

With fewer cores than checks, starting the slowest check last leaves the others' cores idle
while it runs alone at the end; longest-first keeps the gate near its physical limit (the
slowest check alone, or all checks' time over the cores). The times are a hint kept beside
the gate cache, not evidence: a missing, unreadable or planted file only changes the order,
never a result, and the results are reported in lanes.toml's order all the same.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from lane_tasks.config import Config
from lane_tasks.util.jsonio import atomic_write, canonical_json, read_text_regular
from lane_tasks.util.procs import ProcSpec

__all__ = ["DURATIONS", "last_durations", "longest_first", "remember"]

DURATIONS = "lanes/cache/gate-durations.json"
"""Under the artifacts directory: {check id: seconds} of each check's last run."""


def _path(config: Config) -> Path:
    return config.artifacts_path() / DURATIONS


def last_durations(config: Config) -> dict[str, float]:
    """The times the checks took when they last ran; {} when unknown or unreadable."""
    try:
        doc = json.loads(read_text_regular(_path(config)))
    except (OSError, ValueError):
        return {}
    if not isinstance(doc, dict):
        return {}
    return {
        str(k): float(v)
        for k, v in doc.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    }


def longest_first(config: Config, specs: Sequence[ProcSpec]) -> list[ProcSpec]:
    """`specs` by their last time, longest first; a check never timed goes first (it may be
    the slow one), and equal times keep lanes.toml's order."""
    took = last_durations(config)
    return sorted(specs, key=lambda s: -took.get(s.id, math.inf))


def remember(config: Config, durations: Mapping[str, float]) -> None:
    """Keep the times of the checks that just ran, beside those of the others."""
    if not durations:
        return
    merged = {**last_durations(config), **{k: round(v, 3) for k, v in durations.items()}}
    with contextlib.suppress(OSError):  # a hint: a full disk costs the order, not the gate
        atomic_write(_path(config), canonical_json(merged))
