"""The release records: `release decide` (a go/no-go decision by a release owner), `release
checklist` (built from a run and the decision) and `release rollback` (a version yanked or
superseded)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lane_tasks.cli.common import config_of, load_named, sign_key, wrote
from lane_tasks.errors import EXIT_OK
from lane_tasks.util.clock import utc_now

__all__ = ["checklist", "decide", "rollback"]


def decide(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.releases.decision import decide

    config = config_of(args)
    path = decide(
        config,
        version=args.version,
        decision=args.decision,
        owner=args.owner,
        reason=args.reason,
        override_reason=args.override_reason,
        preflight_path=Path(args.preflight) if args.preflight else None,
        sign_key=sign_key(args),
    )
    sys.stdout.write(
        f"{args.decision} for {args.version} by {args.owner}: {wrote(config, args, path)}\n"
    )
    return EXIT_OK


def checklist(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.releases.checklist import build_checklist

    config = config_of(args)
    built = build_checklist(
        config,
        version=args.version,
        run_id=args.run_id,
        allow_incomplete=args.allow_incomplete,
        sign_key=sign_key(args),
    )
    items = built.record["items"]
    done = sum(1 for i in items if i["done"])
    sys.stdout.write(
        f"checklist for {built.record['version']} from run {built.record['run_id'] or '-'}: "
        f"{done}/{len(items)} items done; "
        f"{wrote(config, args, built.path, 'commit it with its evidence/')}\n"
    )
    for i in items:
        sys.stdout.write(f"  {'done' if i['done'] else 'NOT DONE':<8} {i['id']}: {i['note']}\n")
    return EXIT_OK


def rollback(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.kpi.records import record_rollback

    config = load_named(args)
    path = record_rollback(
        config, version=args.version, owner=args.owner, reason=args.reason, now=utc_now(args.now)
    )
    sys.stdout.write(
        f"rollback of {args.version} by {args.owner}: wrote {config.shown(path)} (commit it)\n"
    )
    return EXIT_OK
