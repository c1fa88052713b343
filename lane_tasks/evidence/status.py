"""The one status rule: what a list of results, or a run's steps, add up to.

A step, a run manifest, the history's run row and the import check used to decide it each in
their own words; they agreed only because their authors were careful. Here it is once:
a failure beats an error, an error beats a pass, and only a pass makes a pass (nothing, or
only skips, is an error: no evidence of anything). Warnings (failed results whose severity is
not `error`, doctor's `warning` checks) are counted apart and never fail anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

__all__ = [
    "STATUSES",
    "RunStatus",
    "Status",
    "count",
    "is_warning",
    "problem_status",
    "run_status",
    "status_of",
]

Status = Literal["pass", "fail", "error", "skip"]
"""A result's status (a check, a control, a step in a run manifest)."""
RunStatus = Literal["pass", "fail", "error", "running"]
"""A run's status in the history: `running` until it finishes."""
STATUSES: tuple[Status, ...] = ("pass", "fail", "error", "skip")


def is_warning(status: object, severity: object) -> bool:
    """A failed or errored result whose severity is not `error` (doctor's `warning` checks):
    it is shown as WARN and counted as `warn`, never as a failure. Its status stays what the
    check found, so every reader that asks "did it fail, and does that block?" keeps working."""
    return status in ("fail", "error") and severity not in (None, "error")


def problem_status(statuses: Iterable[object]) -> Literal["fail", "error"] | None:
    """The worst problem among `statuses`: `fail` before `error`; None when there is none."""
    seen = set(statuses)
    if "fail" in seen:
        return "fail"
    if "error" in seen:
        return "error"
    return None


def status_of(statuses: Iterable[object]) -> Literal["pass", "fail", "error"]:
    """What results with these statuses add up to: their worst problem, else `pass` when one
    of them passed, else `error` (no results, or only skips, prove nothing)."""
    seen = set(statuses)
    return problem_status(seen) or ("pass" if "pass" in seen else "error")


def run_status(
    step_statuses: Iterable[object], *, unrecorded: bool = False
) -> Literal["pass", "fail", "error"]:
    """A finished run's status from its steps' statuses. `unrecorded`: a step of the run failed
    perhaps before it could record anything (a full disk): the run is then never a pass."""
    status = status_of(step_statuses)
    return "error" if unrecorded and status == "pass" else status


def count(results: Iterable[tuple[object, object]], *, warnings: bool = True) -> dict[str, int]:
    """Counts by status of (status, severity) pairs, every status of STATUSES present. With
    `warnings`, the non-blocking problems are counted as `warn` instead of `fail` / `error`
    (a key present only when there are some); the counts add up to the number of results."""
    counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
    for status, severity in results:
        key = "warn" if warnings and is_warning(status, severity) else str(status)
        counts[key] = counts.get(key, 0) + 1
    return counts
