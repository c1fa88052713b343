"""[drift]: CI files and docs inside the repository, required lanes, [[drift.waive]]."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lane_tasks.catalog.checks import FINDINGS
from lane_tasks.config.model import LaneSpec
from lane_tasks.config.reader import Reader, TableArray, outside, require_inside
from lane_tasks.config.settings import DEFAULT_DRIFT_DOCS, DriftSettings, Waiver
from lane_tasks.errors import did_you_mean


def drift_table(r: Reader, data: Mapping[str, Any], lanes: Mapping[str, LaneSpec]) -> DriftSettings:
    """[drift]: paths stay inside the repository, lanes exist, every waiver names a known
    finding id and gives the reason shown wherever the finding is reported."""
    key = ["drift"]
    t = r.table(data.get("drift", {}), key)
    r.known(t, key)
    ci_files = r.str_list(t, [*key, "ci_files"])
    docs = r.str_list(t, [*key, "docs"]) if "docs" in t else DEFAULT_DRIFT_DOCS
    for name, patterns in (("ci_files", ci_files), ("docs", docs)):
        for pattern in patterns:
            require_inside(r, [*key, name], pattern)
    required = r.str_list(t, [*key, "required_ci_lanes"])
    for lane in required:
        if lane not in lanes:
            raise r.error(
                [*key, "required_ci_lanes"],
                f"unknown lane '{lane}'{did_you_mean(lane, lanes)}; lanes: {', '.join(lanes)}",
            )

    entries = TableArray(
        r,
        t,
        [*key, "waive"],
        say_type=True,
        why={"reason": " (it is shown with the waived finding)"},
    )
    bad = entries.bad
    waivers: list[Waiver] = []
    for i, entry in entries:
        finding = entry["finding"]
        if finding not in FINDINGS:
            raise bad(
                i,
                ".finding",
                f"unknown finding '{finding}'{did_you_mean(finding, FINDINGS)}; "
                f"findings: {', '.join(FINDINGS)}",
            )
        path = entry["path"]
        if outside(path):
            raise bad(i, ".path", f"must be a path inside the repository, not '{path}'")
        at = entry.get("line")
        if at is not None and (isinstance(at, bool) or not isinstance(at, int) or at < 1):
            raise bad(i, ".line", f"must be a positive integer, not {at!r}")
        waivers.append(Waiver(finding, Path(path).as_posix(), entry["reason"].strip(), at))
    return DriftSettings(
        ci_files=ci_files, required_ci_lanes=required, docs=docs, waive=tuple(waivers)
    )
