"""`lane-tasks init`: adopt lane-tasks in a repository (lanes.toml and the noxfile sessions)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lane_tasks.errors import EXIT_OK

__all__ = ["init"]


def init(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.adopt.init_repo import init_repo

    report = init_repo(Path(args.path).resolve(), lane=args.lane, force=args.force)
    for line in report.choices:
        sys.stdout.write(f"init: {line}\n")
    for path in report.written:
        sys.stdout.write(f"wrote {path}\n")
    for path, why in report.kept:
        sys.stdout.write(f"kept {path}: {why}\n")
    if not report.written and report.complete:
        sys.stdout.write("nothing to do: this repository has adopted lane-tasks already\n")
    for command in report.next_commands:
        sys.stdout.write(f"next: {command}\n")
    return EXIT_OK
