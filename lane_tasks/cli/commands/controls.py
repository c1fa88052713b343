"""`controls verify` (a lane's controls from a run's evidence, recorded into that run) and
`controls list` (every control: what it checks and how to satisfy it)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from lane_tasks.catalog import CONTROLS as CATALOG
from lane_tasks.catalog import OSPS_BASELINE, SLSA_VERSION
from lane_tasks.cli.common import config_of
from lane_tasks.cli.output import settle_output, show_report, top_level
from lane_tasks.errors import EXIT_OK
from lane_tasks.evidence.artifacts import canonical_json
from lane_tasks.util.interrupts import shielded

__all__ = ["list_controls", "verify"]


def verify(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.run import join_run, kpi_lines, verify_controls

    config = config_of(args)
    lane = config.resolve(args.lane)
    settle_output(args)
    run = join_run(config, args.run_id, lane=lane.name)
    done = verify_controls(
        config, run, lane.name, stable=args.stable_json, top_level=top_level(args, config)
    )
    with shielded():
        show_report(args, done.doc, done.notices)
    if args.run_id and args.out and not args.quiet:
        sys.stdout.write(kpi_lines(config, lane))  # a lane's run shows its emphasised KPIs
    return done.exit_code


def list_controls(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.controls import CONTROLS

    rows: list[dict[str, Any]] = [
        {
            "id": cid,
            "title": CATALOG[cid].title,
            "checks": CONTROLS[cid].description(),
            "evidence": CONTROLS[cid].evidence,
            "how_to_satisfy": CONTROLS[cid].fix,
            "osps": list(CATALOG[cid].osps),
            "slsa": CATALOG[cid].slsa,
        }
        for cid in CATALOG
    ]
    if args.format == "json":
        sys.stdout.write(canonical_json(rows))
    else:
        for r in rows:
            sys.stdout.write(
                f"{r['id']}: {r['title']}\n  checks:   {r['checks']}\n"
                f"  evidence: {r['evidence']}\n  satisfy:  {r['how_to_satisfy']}\n"
                f"  maps to:  OSPS Baseline {OSPS_BASELINE}: {', '.join(r['osps']) or 'none'}; "
                f"SLSA {SLSA_VERSION}: {r['slsa'] or 'none'}\n"
            )
    return EXIT_OK
