"""Commands over the run history: `history`, `events`, `triage`, `release rollback`, `kpi` and
`dashboard`. cli.py builds the parser and calls `add_commands`; errors become exit codes there.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from lane_tasks.catalog import KPIS
from lane_tasks.config import Config, load_config
from lane_tasks.errors import EXIT_OK
from lane_tasks.evidence.artifacts import atomic_write, canonical_json
from lane_tasks.paths import add_out_guard, output_path
from lane_tasks.util.clock import parse_now, utc_now

__all__ = ["add_commands", "add_rollback"]

Handler = Callable[[argparse.Namespace], int]


def _config(args: argparse.Namespace) -> Config:
    return load_config(Path(args.config) if args.config else None)


def _since(args: argparse.Namespace) -> datetime | None:
    return parse_now(args.since, "--since") if args.since else None


# ---- history --------------------------------------------------------------------------------


def _history_import(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.evidence.history import history_path
    from lane_tasks.kpi.history_exchange import import_files

    config = _config(args)
    counts = import_files(config, [Path(p) for p in args.files])
    added = sum(c.added for c in counts.values())
    present = sum(c.present for c in counts.values())
    detail = ", ".join(f"{t} +{c.added}" for t, c in counts.items() if c.added or c.present)
    sys.stdout.write(
        f"imported {len(args.files)} file(s) into {config.shown(history_path(config))}: "
        f"{added} new row(s), {present} already there{f' ({detail})' if detail else ''}\n"
    )
    return EXIT_OK


def _history_export(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.kpi.history_exchange import export_jsonl

    config = _config(args)
    buf = io.StringIO()
    counts = export_jsonl(config, buf)
    if args.out:
        atomic_write(output_path(args, args.out), buf.getvalue())
        rows = ", ".join(f"{n} {t}" for t, n in counts.items())
        sys.stderr.write(f"wrote {args.out}: {rows}\n")
    else:
        sys.stdout.write(buf.getvalue())
    return EXIT_OK


def _events_import(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.kpi.records import import_events

    config = _config(args)
    count = import_events(config, Path(args.file))
    sys.stdout.write(
        f"imported {args.file}: {count.added} new event(s), {count.present} already there\n"
    )
    return EXIT_OK


def _triage(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.kpi.records import record_triage

    config = _config(args)
    path = record_triage(
        config, run_id=args.run, owner=args.owner, note=args.note, now=utc_now(args.now)
    )
    sys.stdout.write(
        f"run {args.run} triaged by {args.owner}: wrote {config.shown(path)} (commit it)\n"
    )
    return EXIT_OK


def _rollback(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.kpi.records import record_rollback

    config = _config(args)
    path = record_rollback(
        config, version=args.version, owner=args.owner, reason=args.reason, now=utc_now(args.now)
    )
    sys.stdout.write(
        f"rollback of {args.version} by {args.owner}: wrote {config.shown(path)} (commit it)\n"
    )
    return EXIT_OK


# ---- kpi and dashboard ----------------------------------------------------------------------


def _kpi_ids(config: Config, args: argparse.Namespace) -> tuple[list[str], str]:
    """--all: every KPI; --lane X: X's own and inherited; default: the default lane's."""
    if args.all:
        return list(KPIS), "all"
    name = args.lane or config.default_lane
    if name is None:
        return list(KPIS), "all"
    lane = config.resolve(name)
    return [k.id for k in lane.kpis], lane.name


def _kpi(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.evidence.history import history_path
    from lane_tasks.kpi.compute import compute_kpis, render_kpis

    config = _config(args)
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


def _dashboard(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.dashboard.model import build_model, default_out
    from lane_tasks.dashboard.render import render_dashboard

    config = _config(args)
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


# ---- parser ---------------------------------------------------------------------------------


def add_rollback(relsub: Any) -> None:
    """`release rollback`, beside `release decide` and `release checklist`."""
    rb = relsub.add_parser(
        "rollback", help="record that a released version was yanked or superseded"
    )
    rb.add_argument("--version", required=True, help="the released version rolled back")
    rb.add_argument("--owner", required=True, help="one of project.release_owners")
    rb.add_argument("--reason", required=True, help="why it was rolled back (recorded)")
    rb.add_argument("--now", help=argparse.SUPPRESS)  # tests: an ISO 8601 UTC time
    rb.set_defaults(func=_rollback)


def add_commands(sub: Any, parser_class: type[argparse.ArgumentParser]) -> Any:
    """Add history, events, triage, kpi and dashboard; returns the `kpi` sub-commands so
    `kpi review` can join them."""
    hist = sub.add_parser("history", help="the run history (SQLite): import and export")
    hsub = hist.add_subparsers(dest="history", metavar="ACTION", parser_class=parser_class)
    hsub.required = True
    himp = hsub.add_parser(
        "import",
        help="merge histories, exports or run manifests from other jobs or repositories",
    )
    himp.add_argument("files", nargs="+", metavar="FILE")
    himp.set_defaults(func=_history_import)
    hexp = hsub.add_parser("export", help="every row of the history, one JSON object a line")
    hexp.add_argument("--format", choices=("jsonl",), default="jsonl", help="output format")
    hexp.add_argument("--out", metavar="FILE", help="write it here (atomically)")
    add_out_guard(hexp)
    hexp.set_defaults(func=_history_export)

    events = sub.add_parser("events", help="docs-view and adoption events")
    esub = events.add_subparsers(dest="events", metavar="ACTION", parser_class=parser_class)
    esub.required = True
    eimp = esub.add_parser("import", help="import events (JSONL, see README: Adoption events)")
    eimp.add_argument("file", metavar="FILE")
    eimp.set_defaults(func=_events_import)

    triage = sub.add_parser("triage", help="record that a failed run was triaged")
    triage.add_argument("--run", required=True, metavar="RUN_ID", help="the failed run")
    triage.add_argument("--owner", required=True, help="who triaged it")
    triage.add_argument("--note", help="what was found (recorded)")
    triage.add_argument("--now", help=argparse.SUPPRESS)
    triage.set_defaults(func=_triage)

    kpi = sub.add_parser(
        "kpi",
        help="the KPIs from the run history (alone), or record a KPI review (`kpi review`)",
    )
    scope = kpi.add_mutually_exclusive_group()
    scope.add_argument("--lane", help="this lane's emphasised KPIs (own and inherited)")
    scope.add_argument("--all", action="store_true", help="all six KPIs")
    kpi.add_argument("--since", metavar="DATE", help="window start (ISO 8601 date or time)")
    kpi.add_argument("--repo", metavar="NAME", help="only this repository's history")
    kpi.add_argument("--format", choices=("json", "text"), default="text", help="output format")
    kpi.add_argument("--now", help=argparse.SUPPRESS)
    kpi.set_defaults(func=_kpi)
    ksub = kpi.add_subparsers(dest="kpi", metavar="[review]", parser_class=parser_class)

    dash = sub.add_parser("dashboard", help="the program dashboard: one self-contained HTML file")
    dash.add_argument("--out", metavar="FILE", help="default: <artifacts_dir>/dashboard/index.html")
    add_out_guard(dash)
    dash.add_argument("--since", metavar="DATE", help="KPI window start (ISO 8601)")
    dash.add_argument("--now", help=argparse.SUPPRESS)
    dash.set_defaults(func=_dashboard)
    return ksub
