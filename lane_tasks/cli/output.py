"""Where a command's report and artifact go: --out checked and --format settled before anything
runs (the suffix gives the format), the artifact's place besides the run store, and the report
printed as --format asks.

Shared by the step commands and `controls verify`, which write artifacts the same way.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lane_tasks.catalog import STEPS
from lane_tasks.cli.common import sarif_config
from lane_tasks.cli.paths import output_path
from lane_tasks.config import Config
from lane_tasks.errors import ConfigError
from lane_tasks.exports.text import render_text

if TYPE_CHECKING:
    from lane_tasks.run import TopLevel

__all__ = ["settle_output", "show_report", "top_level"]


def top_level(
    args: argparse.Namespace, config: Config, step_id: str | None = None
) -> TopLevel | None:
    """Where the artifact goes besides the run store, as --out and --format ask: the --out
    file (in the --format), else, for a step, its place in the artifacts directory."""
    # start-up cost: loaded only when this command runs
    from lane_tasks.exports import render_export
    from lane_tasks.run import TopLevel
    from lane_tasks.util.jsonio import canonical_json

    if args.out:
        config_path = sarif_config(args)
        fmt = args.format
        return TopLevel(
            path=output_path(args, args.out),
            shown=args.out,
            # JSON is the run store's own text: the same function, so it is encoded once
            render=canonical_json
            if fmt == "json"
            else lambda doc: render_export(fmt, doc, config_path=config_path),
        )
    if step_id in STEPS:
        return TopLevel(path=config.artifacts_path() / STEPS[step_id].out, default=True)
    return None


def show_report(
    args: argparse.Namespace,
    doc: dict[str, Any],
    notices: tuple[str, ...],
    *,
    streamed: bool = False,
) -> None:
    """Print the report as --format asks (with --out, the text report unless --quiet) and
    the run's notices. `streamed`: the results' lines were already printed where the report
    goes, which then repeats only the problems."""
    # start-up cost: loaded only when this command runs
    from lane_tasks.exports import render_export

    if args.out:
        for notice in notices:
            sys.stderr.write(notice + "\n")
        if not args.quiet:
            sys.stdout.write(render_text(doc, streamed=streamed))
        return
    if streamed and args.format == "text":
        text = render_text(doc, streamed=True)
    else:
        text = render_export(args.format, doc, config_path=sarif_config(args))
    sys.stdout.write(text)
    for notice in notices:
        sys.stderr.write(notice + "\n")


_SUFFIX_FORMATS = (
    (".sarif.json", "sarif"),
    (".sarif", "sarif"),
    (".json", "json"),
    (".xml", "junit"),
    (".txt", "text"),
)


_ALSO_FITS = {".json": ("sarif", "codequality")}
"""A `.json` file may hold SARIF or GitLab Code Quality too (both are JSON): `--format sarif
--out results.json`, `--format codequality --out gl-code-quality-report.json`."""


def settle_output(args: argparse.Namespace) -> None:
    """Before anything runs: --out passes the guard and is not a directory, and --format is
    what its suffix says when not given (`--out x.json` writes JSON); a --format that
    contradicts the suffix is refused. A step that runs for minutes must not fail at the end
    for its output path."""
    out = getattr(args, "out", None)
    if not out:
        if getattr(args, "format", None) is None:
            args.format = "text"
        return
    output_path(args, out)  # outside the repository, or a directory: refused now
    name = Path(out).name.lower()
    suffix, inferred = next(((s, f) for s, f in _SUFFIX_FORMATS if name.endswith(s)), ("", None))
    allowed = getattr(args, "out_formats", None)
    if args.format is None and inferred is not None and inferred not in (allowed or (inferred,)):
        raise ConfigError(
            f"'{out}': a {suffix} file holds {inferred}, which this command does not "
            f"write (formats: {', '.join(allowed or ())})",
            key="--out",
        )
    if args.format is None:
        args.format = inferred or "text"
        return
    if (
        inferred is not None
        and args.format != inferred
        and args.format not in _ALSO_FITS.get(suffix, ())
    ):
        raise ConfigError(
            f"'{args.format}' contradicts --out {out} (a {suffix} file holds "
            f"{inferred}); drop --format or change the file name",
            key="--format",
        )
