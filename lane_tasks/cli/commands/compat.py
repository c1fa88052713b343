"""`compat snapshot` (write or --check the generated compatibility snapshot) and `compat diff`
(the changes since the latest release tag's snapshot, each judged by the policy)."""

from __future__ import annotations

import argparse
import sys

from lane_tasks.cli.common import config_of
from lane_tasks.cli.paths import output_path
from lane_tasks.config import Config
from lane_tasks.errors import EXIT_FAIL, EXIT_OK, ConfigError, EnvironmentProblem
from lane_tasks.evidence.artifacts import atomic_write, canonical_json

__all__ = ["diff", "snapshot"]


def snapshot(args: argparse.Namespace) -> int:
    """Write (or --check) the generated snapshot: the user's project's surface with [compat]
    source = "project", else lane-tasks' own."""
    # start-up cost: loaded only when this command runs
    from lane_tasks.compat.snapshot import SnapshotProblem, generated_snapshot, live_snapshot
    from lane_tasks.compat.snapshot import render_snapshot as render

    config: Config | None
    if args.out:
        try:
            config = config_of(args)
        except ConfigError:
            config = None  # lane-tasks' own surface needs no lanes.toml
        path, shown = output_path(args, args.out), args.out
    else:
        config = config_of(args)
        if config.compat.source not in ("lane-tasks", "project"):
            raise ConfigError(
                f"compat.source is '{config.compat.source}': {config.compat.snapshot} is yours to "
                'maintain; set [compat] source = "project" to have it generated from your '
                "package's API, console scripts and schemas (or give --out to write lane-tasks' "
                "own surface elsewhere)",
                path=config.path,
            )
        path, shown = config.root / config.compat.snapshot, config.compat.snapshot
    project = config is not None and config.compat.source == "project"
    try:
        snapshot = generated_snapshot(config) if project and config else live_snapshot()
    except SnapshotProblem as exc:
        raise EnvironmentProblem(f"compat snapshot: {exc}") from None
    if snapshot.is_empty():
        raise ConfigError(
            "compat snapshot: the surface is empty (no public Python API, console script or "
            "[compat] schemas found): it would check nothing; set [compat] packages or schemas"
        )
    text = render(snapshot)
    what = "the public API, console scripts and schemas" if project else "the CLI and the schemas"
    if args.check:
        fix = f"run `lane-tasks compat snapshot{f' --out {shown}' if args.out else ''}`"
        if not path.is_file():
            sys.stdout.write(f"{shown}: does not exist ({fix})\n")
            return EXIT_FAIL
        if path.read_text(encoding="utf-8", errors="replace") != text:
            sys.stdout.write(f"{shown}: stale, {what} changed ({fix})\n")
            return EXIT_FAIL
        sys.stdout.write(f"{shown}: matches {what}\n")
        return EXIT_OK
    atomic_write(path, text)
    counts = f"{len(snapshot.api)} API name(s), {len(snapshot.cli)} command(s), "
    counts += f"{len(snapshot.schemas)} schema(s)"
    sys.stdout.write(f"wrote {shown} ({counts})\n")
    return EXIT_OK


def diff(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.compat.snapshot import SnapshotProblem, current_snapshot
    from lane_tasks.controls.compat_policy import compare
    from lane_tasks.project.git import release_tags, resolve_rev

    config = config_of(args)
    tags = release_tags(config.root, config.release.tag_pattern)
    if args.against:
        if resolve_rev(config.root, args.against) is None:
            raise ConfigError(f"--against: '{args.against}' is not a tag or commit")
        rev = args.against
        tag = next((t for t in tags if t.name == rev), None)
    elif tags:
        tag = tags[0]
        rev = tag.name
    else:
        tag, rev = None, None
    try:
        current = current_snapshot(config)
        result = None if rev is None else compare(config, current, tag, rev)
    except SnapshotProblem as exc:
        raise ConfigError(str(exc)) from None
    rel = config.compat.snapshot
    note = None
    if rev is None:
        note = "no release tag to compare with"
    elif result is None:
        note = f"{rev} predates the snapshot ({rel} is not in it)"
    judged = [] if result is None else list(result.judged)
    version = None if result is None else result.current_version
    refused = [j for j in judged if not j.allowed]
    status = "fail" if refused else "pass"
    if args.format == "json":
        doc = {
            "against": rev,
            "against_version": None if tag is None else str(tag.version),
            "version": None if version is None else str(version),
            "policy": config.compat.policy,
            "snapshot": rel,
            "source": config.compat.source,
            "note": note,
            "status": status,
            "changes": [j.to_json() for j in judged],
        }
        sys.stdout.write(canonical_json(doc))
        return EXIT_FAIL if refused else EXIT_OK
    if note:
        sys.stdout.write(f"compat diff: {note}\n")
        return EXIT_OK
    assert result is not None
    versions = f"{result.against_version or '?'} -> {result.current_version or '?'}"
    sys.stdout.write(
        f"compat diff against {rev} ({versions}, policy {config.compat.policy}): "
        f"{len(judged)} change(s), {len(refused)} not allowed\n"
    )
    for j in judged:
        mark = "ok     " if j.allowed else "REFUSED"
        kind = "breaking" if j.change.breaking else "additive"
        sys.stdout.write(f"  {mark} {kind:<8} {j.change.describe()}: {j.reason}\n")
    return EXIT_FAIL if refused else EXIT_OK
