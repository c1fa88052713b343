"""`kpi` (the KPIs from the run history), `kpi review` (a recorded review of them) and
`dashboard` (the program dashboard: one self-contained HTML file)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from lane_tasks.catalog import KPIS
from lane_tasks.cli.common import config_of, load_named, sign_key, wrote
from lane_tasks.cli.paths import output_path
from lane_tasks.config import Config
from lane_tasks.errors import EXIT_OK
from lane_tasks.evidence.artifacts import atomic_write, canonical_json
from lane_tasks.util.clock import parse_now, utc_now

__all__ = ["dashboard", "kpi", "review"]


def _since(args: argparse.Namespace) -> datetime | None:
    return parse_now(args.since, "--since") if args.since else None


def _kpi_ids(config: Config, args: argparse.Namespace) -> tuple[list[str], str]:
    """--all: every KPI; --lane X: X's own and inherited; default: the default lane's."""
    if args.all:
        return list(KPIS), "all"
    name = args.lane or config.default_lane
    if name is None:
        return list(KPIS), "all"
    lane = config.resolve(name)
    return [k.id for k in lane.kpis], lane.name


def kpi(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.evidence.history import history_path
    from lane_tasks.kpi.compute import compute_kpis, render_kpis

    config = load_named(args)
    ids, heading = _kpi_ids(config, args)
    kpis = compute_kpis(config, ids, since=_since(args), repo=args.repo, now=utc_now(args.now))
    if args.format == "json":
        doc = {
            "lane": None if heading == "all" else heading,
            "history": config.shown(history_path(config)),
            "repository": args.repo,
            "kpis": [k.to_json() for k in kpis],
        }
        sys.stdout.write(canonical_json(doc))
    else:
        sys.stdout.write(render_kpis(kpis, heading=heading, config=config))
    return EXIT_OK


def review(args: argparse.Namespace) -> int:
    import json

    # start-up cost: loaded only when this command runs
    from lane_tasks.kpi.review import record_review
    from lane_tasks.util.clock import utc_now

    config = config_of(args)
    path = record_review(
        config,
        reviewer=args.reviewer,
        notes=args.notes,
        lane=args.lane,
        now=utc_now(args.now),
        sign_key=sign_key(args),
    )
    record = json.loads(path.read_text(encoding="utf-8"))
    unknown = sum(1 for k in record["kpis"] if k["value"] is None)  # too little data yet
    sys.stdout.write(
        f"KPI review of lane {record['lane']} by {record['reviewer']} at {record['reviewed_at']}: "
        f"{len(record['kpis'])} KPIs, {unknown} unknown; {wrote(config, args, path)}\n"
    )
    return EXIT_OK


def dashboard(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.dashboard.model import build_model, default_out
    from lane_tasks.dashboard.render import render_dashboard

    config = load_named(args)
    out = output_path(args, args.out) if args.out else default_out(config)
    model = build_model(config, since=_since(args), now=utc_now(args.now), out=out)
    html = render_dashboard(model)
    atomic_write(out, html)
    totals = model["totals"]
    sys.stdout.write(
        f"wrote {config.shown(out)}: {totals['runs']} run(s) in {totals['repos']} "
        f"repositor{'y' if totals['repos'] == 1 else 'ies'}, {len(model['kpis'])} KPIs\n"
    )
    return EXIT_OK
