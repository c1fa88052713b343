"""The compat-policy control: no breaking change to the public API, the CLI or the schemas since
the latest release tag, unless the policy allows it (a major bump, or a passed deprecation
window). An empty snapshot checks nothing and is refused."""

from __future__ import annotations

from dataclasses import dataclass

from packaging.version import Version

from lane_tasks.catalog import STEPS
from lane_tasks.compat.diff import diff
from lane_tasks.compat.policy import Judged, judge
from lane_tasks.compat.snapshot import (
    GENERATED_SOURCES,
    Snapshot,
    SnapshotProblem,
    current_snapshot,
    render_snapshot,
    snapshot_at,
)
from lane_tasks.config import Config, Deprecation, load_deprecations
from lane_tasks.controls.base import Control, ControlContext, Verdict, register
from lane_tasks.errors import ConfigError
from lane_tasks.evidence.artifacts import read_artifact
from lane_tasks.project.git import Tag, release_tags
from lane_tasks.project.version import VersionProblem, resolve_version

__all__ = ["Comparison", "CompatPolicy", "compare", "empty_problem", "live_problem"]


@dataclass(frozen=True)
class Comparison:
    """The current surface against the snapshot at a release tag, every change judged."""

    against: str
    against_version: Version | None
    current_version: Version | None
    judged: tuple[Judged, ...]

    def refused(self) -> list[Judged]:
        return [j for j in self.judged if not j.allowed]


def live_problem(config: Config, live: Snapshot) -> str | None:
    """With a generated source ("lane-tasks", "project"), the committed snapshot must be the
    live surface, or the comparison at the next release would be against a snapshot that never
    was the code."""
    if config.compat.source not in GENERATED_SOURCES:
        return None
    rel = config.compat.snapshot
    fix = f"run `lane-tasks compat snapshot` and commit {rel}"
    path = config.root / rel
    if not path.is_file():
        return f"{rel} does not exist ({fix})"
    if path.read_text(encoding="utf-8", errors="replace") != render_snapshot(live):
        what = "the CLI or the schemas" if config.compat.source == "lane-tasks" else "the surface"
        return f"{rel} is stale: {what} changed ({fix})"
    return None


def empty_problem(config: Config, snapshot: Snapshot) -> str | None:
    """A snapshot with no API, CLI or schema lets every change through: it checks nothing."""
    if not snapshot.is_empty():
        return None
    rel = config.compat.snapshot
    if config.compat.source == "project":
        return (
            "the project's surface is empty: no public Python API, console script or "
            "[compat] schemas found (set [compat] packages / schemas, then run "
            f"`lane-tasks compat snapshot` and commit {rel})"
        )
    return (
        f"{rel} is empty: no API, CLI or schemas, so it checks nothing (set [compat] source = "
        f'"project" and run `lane-tasks compat snapshot` to generate it, then commit it)'
    )


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
            version = resolve_version(config.root, isolated=not config.release.offline).version
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
    """The public Python API (names, parameters), the CLI surface (commands, options) and the
    JSON Schemas have no breaking change since the snapshot at the latest release tag (removed
    name, parameter, command, option, schema or field; parameter or field newly required;
    retyped field; parameter moved or changed kind) unless it is a major version bump (policy
    "semver") or a deprecation entry covers it and its remove_in version has been reached. A
    snapshot with nothing in it fails. With a generated source ("project", "lane-tasks"), the
    committed snapshot must also match the live surface."""

    id = "compat-policy"
    evidence = (
        "[compat] snapshot (default compat-snapshot.json) in the tree and at the latest release "
        "tag (git show), the live surface (source project: the package's public API, console "
        "scripts' --help, [compat] schemas), the project version and the [deprecations] registry"
    )
    fix = (
        "restore what was removed or changed, bump the major version (policy semver), or "
        "register a deprecation and wait out its window; `lane-tasks compat diff` lists them"
    )

    def verify(self, ctx: ControlContext) -> Verdict:
        config = ctx.config
        rel = config.compat.snapshot
        try:
            current = current_snapshot(config)
            problem = empty_problem(config, current)
            if problem:
                return Verdict("fail", problem)
            stale = live_problem(config, current)
            missing = not (config.root / rel).is_file()
            if stale and (missing or _release_candidate(ctx)):
                return Verdict("fail", stale)
            tags = release_tags(config.root, config.release.tag_pattern)
            if not tags:
                note = f"; before the next release: {stale}" if stale else ""
                return Verdict("pass", f"no release tag to compare with{note}")
            tag = tags[0]
            result = compare(config, current, tag, tag.name)
        except SnapshotProblem as exc:
            return Verdict("fail", str(exc))
        except ConfigError as exc:
            return Verdict("fail", f"deprecation registry: {exc}")
        verdict = self._judge(tag, rel, result)
        if stale and verdict.status == "pass":  # between releases: said, not failed
            return Verdict("pass", f"{verdict.message}; before the next release: {stale}")
        return verdict

    @staticmethod
    def _judge(tag: Tag, rel: str, result: Comparison | None) -> Verdict:
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


def _release_candidate(ctx: ControlContext) -> bool:
    """Whether the run's release preflight says this commit is a release candidate. The
    committed snapshot is what the next release is compared with, so it must match the code
    when a release is cut; between releases a stale one is said, not failed. Without a
    preflight in the run (or one from before `candidate` existed) it counts as a candidate."""
    if ctx.run_path is None:
        return True
    doc, problem = read_artifact(ctx.run_path / STEPS["gate-release"].out)
    if doc is None or problem:
        return True
    return doc.get("candidate") is not False
