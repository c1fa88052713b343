"""Commands over the run history: `history import` and `history export` (merge histories from
other jobs or repositories, export every row), `events import` and `triage` (a failed run
triaged, by whom)."""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from lane_tasks.cli.common import load_named
from lane_tasks.cli.paths import output_path
from lane_tasks.errors import EXIT_OK
from lane_tasks.evidence.artifacts import atomic_write
from lane_tasks.util.clock import utc_now

__all__ = ["events_import", "history_export", "history_import", "triage"]


def history_import(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.evidence.history import history_path
    from lane_tasks.kpi.history_exchange import import_files

    config = load_named(args)
    counts = import_files(config, [Path(p) for p in args.files])
    added = sum(c.added for c in counts.values())
    present = sum(c.present for c in counts.values())
    detail = ", ".join(f"{t} +{c.added}" for t, c in counts.items() if c.added or c.present)
    sys.stdout.write(
        f"imported {len(args.files)} file(s) into {config.shown(history_path(config))}: "
        f"{added} new row(s), {present} already there{f' ({detail})' if detail else ''}\n"
    )
    return EXIT_OK


def history_export(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.kpi.history_exchange import export_jsonl

    config = load_named(args)
    buf = io.StringIO()
    counts = export_jsonl(config, buf)
    if args.out:
        atomic_write(output_path(args, args.out), buf.getvalue())
        rows = ", ".join(f"{n} {t}" for t, n in counts.items())
        sys.stderr.write(f"wrote {args.out}: {rows}\n")
    else:
        sys.stdout.write(buf.getvalue())
    return EXIT_OK


def events_import(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.kpi.records import import_events

    config = load_named(args)
    count = import_events(config, Path(args.file))
    sys.stdout.write(
        f"imported {args.file}: {count.added} new event(s), {count.present} already there\n"
    )
    return EXIT_OK


def triage(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.kpi.records import record_triage

    config = load_named(args)
    path = record_triage(
        config, run_id=args.run, owner=args.owner, note=args.note, now=utc_now(args.now)
    )
    sys.stdout.write(
        f"run {args.run} triaged by {args.owner}: wrote {config.shown(path)} (commit it)\n"
    )
    return EXIT_OK
