"""The compat-policy control: no breaking change to the CLI or the artifact schemas since the
latest release tag, unless the policy allows it (a major bump, or a passed deprecation window)."""

from __future__ import annotations

from dataclasses import dataclass

from packaging.version import Version

from lane_tasks.compat import (
    Judged,
    Snapshot,
    SnapshotProblem,
    current_snapshot,
    diff,
    judge,
    read_snapshot_file,
    render_snapshot,
    snapshot_at,
)
from lane_tasks.config import Config, Deprecation, load_deprecations
from lane_tasks.controls.base import Control, ControlContext, Verdict, register
from lane_tasks.errors import ConfigError
from lane_tasks.repo import Tag, release_tags
from lane_tasks.version import VersionProblem, resolve_version

__all__ = ["Comparison", "CompatPolicy", "compare", "live_problem"]


@dataclass(frozen=True)
class Comparison:
    """The current surface against the snapshot at a release tag, every change judged."""

    against: str
    against_version: Version | None
    current_version: Version | None
    judged: tuple[Judged, ...]

    def refused(self) -> list[Judged]:
        return [j for j in self.judged if not j.allowed]


def live_problem(config: Config) -> str | None:
    """With source = "lane-tasks", the committed snapshot must be the live surface, or the
    comparison at the next release would be against a snapshot that never was the tool."""
    if config.compat.source != "lane-tasks":
        return None
    rel = config.compat.snapshot
    fix = f"run `lane-tasks compat snapshot --out {rel}` and commit it"
    path = config.root / rel
    if not path.is_file():
        return f"{rel} does not exist ({fix})"
    live = current_snapshot(config)
    if path.read_text(encoding="utf-8", errors="replace") != render_snapshot(live):
        return f"{rel} is stale: the CLI or the schemas changed ({fix})"
    return None


def compare(config: Config, current: Snapshot, tag: Tag | None, rev: str) -> Comparison | None:
    """Judge every change from the snapshot at `rev` to `current`; None when `rev` has no
    snapshot file (it predates the snapshot). SnapshotProblem on a bad snapshot at `rev`."""
    old = snapshot_at(config.root, rev, config.compat.snapshot)
    if old is None:
        return None
    changes = diff(old, current)
    version: Version | None = None
    problem: str | None = None
    deprecations: tuple[Deprecation, ...] = ()
    if any(c.breaking for c in changes):  # asking a build backend costs a subprocess
        try:
            version = resolve_version(config.root).version
        except VersionProblem as exc:
            problem = str(exc)
        deprecations = load_deprecations(config)
    judged = judge(
        changes,
        policy=config.compat.policy,
        old_version=None if tag is None else tag.version,
        current=version,
        current_problem=problem,
        deprecations=deprecations,
    )
    return Comparison(rev, None if tag is None else tag.version, version, tuple(judged))


@register
class CompatPolicy(Control):
    """The CLI surface (commands, options) and the artifact JSON Schemas have no breaking
    change since the snapshot at the latest release tag (removed command, option, schema or
    field; retyped field; newly required field) unless it is a major version bump (policy
    "semver") or a deprecation entry covers it and its remove_in version has been reached.
    With source = "lane-tasks", the committed snapshot must also match the live surface."""

    id = "compat-policy"
    evidence = (
        "[compat] snapshot (default compat-snapshot.json) in the tree and at the latest release "
        "tag (git show), the project version and the [deprecations] registry"
    )
    fix = (
        "restore what was removed or changed, bump the major version (policy semver), or "
        "register a deprecation and wait out its window; `lane-tasks compat diff` lists them"
    )

    def verify(self, ctx: ControlContext) -> Verdict:
        config = ctx.config
        rel = config.compat.snapshot
        try:
            stale = live_problem(config)
            if stale:
                return Verdict("fail", stale)
            if config.compat.source == "file":
                current = read_snapshot_file(config.root / rel, rel)
            else:
                current = current_snapshot(config)
            tags = release_tags(config.root, config.release.tag_pattern)
            if not tags:
                return Verdict("pass", "no release tag to compare with")
            tag = tags[0]
            result = compare(config, current, tag, tag.name)
        except SnapshotProblem as exc:
            return Verdict("fail", str(exc))
        except ConfigError as exc:
            return Verdict("fail", f"deprecation registry: {exc}")
        if result is None:
            return Verdict(
                "pass", f"release tag {tag.name} predates the snapshot ({rel} is not in it)"
            )
        refused = result.refused()
        breaking = [j for j in result.judged if j.change.breaking]
        if refused:
            listed = "; ".join(f"{j.change.describe()}: {j.reason}" for j in refused)
            return Verdict(
                "fail", f"{len(refused)} breaking change(s) since {tag.name} not allowed: {listed}"
            )
        additive = len(result.judged) - len(breaking)
        if breaking:
            listed = "; ".join(f"{j.change.item} ({j.reason})" for j in breaking)
            return Verdict(
                "pass",
                f"{len(breaking)} breaking change(s) since {tag.name}, each allowed: {listed}; "
                f"{additive} additive",
            )
        return Verdict("pass", f"no breaking change since {tag.name} ({additive} additive)")
