"""`ownership show`: the team ownership matrix the ownership-matrix control judges."""

from __future__ import annotations

import argparse
import sys

from lane_tasks.cli.common import config_of
from lane_tasks.errors import EXIT_OK
from lane_tasks.evidence.artifacts import canonical_json

__all__ = ["show"]


def show(args: argparse.Namespace) -> int:
    """The ownership matrix the ownership-matrix control judges: one row per item."""
    # start-up cost: loaded only when this command runs
    from lane_tasks.governance import NO_CONTACT, UNDEFINED, ownership_matrix

    config = config_of(args)
    matrix = ownership_matrix(config, config.resolve(args.lane) if args.lane else None)
    if args.format == "json":
        sys.stdout.write(canonical_json([r.to_json() for r in matrix.rows]))
        return EXIT_OK
    shown = {UNDEFINED: "undefined team", NO_CONTACT: "NO CONTACT"}
    sys.stdout.write(f"{'kind':<8} {'id':<28} {'team':<16} contact\n")
    for r in matrix.rows:
        team = r.team or "UNOWNED"
        contact = r.contact or shown.get(r.problem or "", "-")
        sys.stdout.write(f"{r.kind:<8} {r.id:<28} {team:<16} {contact}\n")
    return EXIT_OK
