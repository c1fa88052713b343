"""The deprecation-windows control: every registered deprecation has a valid window of at
least the policy minimum, a migration runbook in the repository, and nothing is removed
before its window ends (checked against the compat snapshot)."""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

from lane_tasks.compat.deprecation_items import has_item
from lane_tasks.compat.snapshot import SnapshotProblem, current_snapshot
from lane_tasks.config import Deprecation, load_deprecations
from lane_tasks.controls.base import Control, ControlContext, Verdict, register
from lane_tasks.errors import ConfigError
from lane_tasks.project.git import git
from lane_tasks.project.version import VersionProblem, resolve_version

__all__ = ["DeprecationWindows", "window_problem"]


def _version(raw: str) -> Version | None:
    try:
        return Version(raw)
    except InvalidVersion:
        return None


def window_problem(d: Deprecation, min_minors: int) -> str | None:
    """Why an entry's window is invalid or too short; None when it is fine."""
    announced, remove = _version(d.announced_in), _version(d.remove_in)
    bad = [
        f"{k} '{v}' is not a valid PEP 440 version"
        for k, v, parsed in (
            ("announced_in", d.announced_in, announced),
            ("remove_in", d.remove_in, remove),
        )
        if parsed is None
    ]
    if bad or announced is None or remove is None:
        return "; ".join(bad)
    if remove <= announced:
        return f"remove_in {remove} is not after announced_in {announced}"
    if remove.major == announced.major and remove.minor - announced.minor < min_minors:
        return (
            f"window {announced} -> {remove} is {remove.minor - announced.minor} minor "
            f"version(s), below the minimum of {min_minors} (deprecations.min_window_minors)"
        )
    return None


@register
class DeprecationWindows(Control):
    """Each entry of the deprecation registry has PEP 440 announced_in/remove_in versions whose
    window meets deprecations.min_window_minors (or crosses a major version), a committed,
    non-empty migration runbook, and an item that is still in the compat snapshot unless the
    project version has reached its remove_in."""

    id = "deprecation-windows"
    evidence = (
        "[deprecations] in lanes.toml (or the file it names), the runbooks it lists, the compat "
        "snapshot and the project version"
    )
    fix = (
        "give each [[deprecations.items]] a window of at least min_window_minors minor "
        "versions, commit a non-empty runbook, and keep the item until its remove_in version"
    )

    def verify(self, ctx: ControlContext) -> Verdict:
        config = ctx.config
        try:
            items = load_deprecations(config)
        except ConfigError as exc:
            return Verdict("fail", f"deprecation registry: {exc}")
        if not items:
            return Verdict("pass", "no deprecations registered")
        problems: list[str] = []
        minimum = config.deprecations.min_window_minors
        for d in items:
            problem = window_problem(d, minimum)
            if problem:
                problems.append(f"{d.item}: {problem}")
            runbook = config.root / d.runbook
            if not runbook.is_file():
                problems.append(f"{d.item}: runbook {d.runbook} does not exist")
            elif not runbook.read_text(encoding="utf-8", errors="replace").strip():
                problems.append(f"{d.item}: runbook {d.runbook} is empty")
            elif not git(config.root, "ls-files", "--", d.runbook).stdout.strip():
                problems.append(f"{d.item}: runbook {d.runbook} is not committed")
        try:
            snapshot = current_snapshot(config)
        except SnapshotProblem as exc:
            problems.append(f"cannot check removals against the compat snapshot: {exc}")
            return Verdict("fail", "; ".join(problems))
        removed = [d for d in items if not has_item(snapshot, d.item)]
        early: list[str] = []
        if removed:
            try:
                current = resolve_version(config.root, isolated=not config.release.offline).version
            except VersionProblem as exc:
                return Verdict("error", f"cannot check removals: the project version: {exc}")
            for d in removed:
                remove_in = _version(d.remove_in)
                if remove_in is not None and current < remove_in:
                    early.append(
                        f"{d.item}: removed before its window ends (version {current} < "
                        f"remove_in {d.remove_in}; or the item is misspelt)"
                    )
        problems += early
        if problems:
            return Verdict("fail", "; ".join(problems))
        done = f", {len(removed)} removed after their window" if removed else ""
        return Verdict(
            "pass",
            f"{len(items)} deprecation(s) with windows of at least {minimum} minor version(s) "
            f"and runbooks{done}",
        )
