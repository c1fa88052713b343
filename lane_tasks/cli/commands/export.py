"""`lane-tasks export`: an artifact already written, in another format (SARIF, JUnit, GitLab
Code Quality, text); CI report steps never re-run a check."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lane_tasks.cli.common import config_of
from lane_tasks.cli.output import settle_output
from lane_tasks.cli.paths import output_path
from lane_tasks.config import find_config
from lane_tasks.errors import EXIT_OK, ConfigError, LaneTasksError
from lane_tasks.evidence.artifacts import atomic_write, read_artifact

__all__ = ["export"]


_JUNIT_STEPS = ("gate-fast", "gate-release")


def _artifact_hint(args: argparse.Namespace, name: str) -> str:
    """Where this project keeps an artifact of that name (its `artifacts_dir`, which init
    sets to .lane-tasks while the examples say build/), as a "did you mean"."""
    try:
        config = config_of(args)
    except LaneTasksError:
        return ""
    there = config.artifacts_path() / name
    if not there.is_file():
        return f" (this project's artifacts are in {config.shown(config.artifacts_path())}/)"
    return f" (did you mean {config.shown(there)}?)"


def export(args: argparse.Namespace) -> int:
    """An artifact already written, in another format: CI report steps never re-run a check."""
    # start-up cost: loaded only when this command runs
    from lane_tasks.exports import render_export

    settle_output(args)
    doc, problem = read_artifact(Path(args.artifact))
    if doc is None and problem and not Path(args.artifact).exists():
        problem += _artifact_hint(args, Path(args.artifact).name)
    if doc is None or problem:
        raise ConfigError(problem or f"{args.artifact}: not an artifact")
    if args.format == "junit" and doc.get("step") not in _JUNIT_STEPS:
        raise ConfigError(
            f"JUnit is for {' and '.join(_JUNIT_STEPS)} artifacts, not {doc.get('step')}",
            key="--format",
        )
    try:
        config_path: Path | None = Path(args.config) if args.config else find_config()
    except ConfigError:
        config_path = None
    text = render_export(args.format, doc, config_path=config_path)
    if args.out:
        atomic_write(output_path(args, args.out), text)
    else:
        sys.stdout.write(text)
    return EXIT_OK
