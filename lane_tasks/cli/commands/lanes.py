"""The `lanes` commands over lanes.toml: list, show, validate, docs (render or --check
docs/lanes.md and the role quickstarts) and recommend (the smallest lane that meets your
constraints)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lane_tasks.cli.common import config_of
from lane_tasks.cli.paths import output_path
from lane_tasks.config import Config, find_config, load_config, parse_config
from lane_tasks.errors import EXIT_FAIL, EXIT_OK, ConfigError
from lane_tasks.evidence.artifacts import atomic_write, canonical_json

__all__ = ["docs", "list_lanes", "recommend", "show", "validate"]


def list_lanes(args: argparse.Namespace) -> int:
    config = config_of(args)
    for lane in config.resolved_lanes():
        extends = f" (extends {lane.chain[-2]})" if len(lane.chain) > 1 else ""
        sys.stdout.write(
            f"{lane.name}{extends}: {len(lane.steps)} steps, {len(lane.controls)} controls, "
            f"{len(lane.kpis)} KPIs - {lane.description}\n"
        )
    return EXIT_OK


def show(args: argparse.Namespace) -> int:
    lane = config_of(args).resolve(args.lane)
    if args.format == "json":
        sys.stdout.write(canonical_json(lane.to_json()))
        return EXIT_OK
    out = [f"lane {lane.name}: {lane.description}"]
    if len(lane.chain) > 1:
        out.append(f"  extends: {' -> '.join(reversed(lane.chain[:-1]))}")
    for kind in ("steps", "controls", "kpis"):
        out.append(f"  {kind}:")
        for item in getattr(lane, kind):
            out.append(f"    {item.id:<32} from {item.origin}")
    sys.stdout.write("\n".join(out) + "\n")
    return EXIT_OK


def validate(args: argparse.Namespace) -> int:
    config = load_config(
        Path(args.path) if args.path else (Path(args.config) if args.config else None)
    )
    names = ", ".join(config.lanes)
    sys.stdout.write(f"{config.path}: ok ({len(config.lanes)} lanes: {names})\n")
    return EXIT_OK


def _recommend_config(args: argparse.Namespace) -> Config:
    """lanes.toml when there is one; else the lanes `lane-tasks init` would write."""
    if args.config:
        return config_of(args)
    try:
        path = find_config()
    except ConfigError:
        # start-up cost: loaded only when this command runs
        from lane_tasks.adopt.init_repo import default_lanes_toml

        root = Path.cwd()
        return parse_config(default_lanes_toml(root), root / "lanes.toml")
    return load_config(path)


def recommend(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.adopt.recommend import BASELINE, ask, constraints_from, recommend

    config = _recommend_config(args)
    constraints = constraints_from(args.constraint, args.teams, args.audit)
    flags = bool(args.constraint) or args.teams is not None or args.audit is not None
    if not flags and sys.stdin.isatty():

        def read(prompt: str) -> str:
            sys.stderr.write(prompt)
            sys.stderr.flush()
            return sys.stdin.readline()

        constraints = ask(read) or (BASELINE,)
    rec = recommend(config, constraints)
    source = config.path.name if config.path.is_file() else "the lanes `lane-tasks init` writes"
    if args.format == "json":
        sys.stdout.write(canonical_json({**rec.to_json(), "lanes_from": source}))
    else:
        sys.stdout.write(f"{rec.lane}\n  why: {rec.reason}\n  lanes from: {source}\n")
    return EXIT_OK


def docs(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.docs.lanes_page import first_difference, render_lanes_md
    from lane_tasks.steps.drift import LANES_DOC

    config = config_of(args)
    if args.out_dir:
        return _docs_dir(config, args)
    text = render_lanes_md(config)
    if args.check:
        path = Path(args.out) if args.out else config.root / LANES_DOC
        shown = args.out or LANES_DOC
        fix = f"run `lane-tasks lanes docs --out {shown}`"
        if not path.is_file():
            sys.stdout.write(f"{shown}: does not exist ({fix})\n")
            return EXIT_FAIL
        diff = first_difference(text, path.read_text(encoding="utf-8", errors="replace"))
        if diff is not None:
            line, found, expected = diff
            sys.stdout.write(
                f"{shown}:{line}: differs from lanes.toml: found {found!r}, "
                f"expected {expected!r} ({fix})\n"
            )
            return EXIT_FAIL
        sys.stdout.write(f"{shown}: matches lanes.toml\n")
    elif args.out:
        atomic_write(output_path(args, args.out), text)
        sys.stdout.write(f"wrote {args.out}\n")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _docs_dir(config: Config, args: argparse.Namespace) -> int:
    """`lanes docs --out-dir DIR`: lanes.md and the role quickstarts, written or checked."""
    # start-up cost: loaded only when this command runs
    from lane_tasks.docs.lanes_page import first_difference, render_docs

    if args.out:
        raise ConfigError("give --out or --out-dir, not both", key="--out-dir")
    base = output_path(args, args.out_dir, "--out-dir", directory=True)
    stale = 0
    for rel, text in render_docs(config).items():
        shown = f"{args.out_dir.rstrip('/')}/{rel}"
        path = base / rel
        if not args.check:
            atomic_write(path, text)
            sys.stdout.write(f"wrote {shown}\n")
            continue
        fix = f"run `lane-tasks lanes docs --out-dir {args.out_dir}`"
        if not path.is_file():
            sys.stdout.write(f"{shown}: does not exist ({fix})\n")
            stale += 1
            continue
        diff = first_difference(text, path.read_text(encoding="utf-8", errors="replace"))
        if diff is not None:
            line, found, expected = diff
            sys.stdout.write(
                f"{shown}:{line}: differs from lanes.toml: found {found!r}, "
                f"expected {expected!r} ({fix})\n"
            )
            stale += 1
        else:
            sys.stdout.write(f"{shown}: matches lanes.toml\n")
    return EXIT_FAIL if stale else EXIT_OK
