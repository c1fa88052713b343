"""The compat policy's judgement: which changes of a diff are allowed, and why.

An additive change is always allowed; a breaking one only in a major version bump (policy
"semver") or when a deprecation entry covers it and its window (`remove_in`) has been reached.
Each change gets its verdict and the reason in words, for `compat diff` and the compat-policy
control.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from packaging.version import InvalidVersion, Version

from lane_tasks.compat.deprecation_items import covers
from lane_tasks.compat.diff import Change
from lane_tasks.config import Deprecation

__all__ = ["Judged", "judge"]


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
