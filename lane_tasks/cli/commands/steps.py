"""The step commands (`gate fast`, `gate release`, `doctor`, `drift check`, `contract-index`):
flags to StepOptions, the run package runs and records the step; and `contract-index verify`.

Each is also what the nox session of that step calls, so the command line and the lane write
byte-identical stable artifacts.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from lane_tasks.cli.common import config_of, loaded_config
from lane_tasks.cli.output import settle_output, show_report, top_level
from lane_tasks.console import same_destination
from lane_tasks.errors import EXIT_INTERRUPTED
from lane_tasks.evidence.artifacts import canonical_json
from lane_tasks.util.interrupts import shielded

__all__ = [
    "contract_index",
    "contract_index_verify",
    "doctor",
    "drift_check",
    "gate_fast",
    "gate_release",
]


def _run_step_cmd(step_id: str) -> Callable[[argparse.Namespace], int]:
    """The command of a step: flags to StepOptions, the run package runs and records it."""

    def cmd(args: argparse.Namespace) -> int:
        # start-up cost: loaded only when this command runs
        from lane_tasks.run import StepOptions, join_run, run_step, step_config

        path = Path(args.config) if args.config else None
        config, config_error = step_config(step_id, path, loaded=loaded_config(args))
        run = join_run(config, args.run_id, lane=args.lane)
        settle_output(args)
        top = top_level(args, config, step_id if config_error is None else None)
        check = getattr(args, "check", None)
        options = StepOptions(
            stable=bool(getattr(args, "stable_json", False)),
            jobs=getattr(args, "jobs", None),
            fail_fast=getattr(args, "fail_fast", False),
            only=tuple(check) if check is not None else None,
            version=getattr(args, "version", None),
            offline=getattr(args, "offline", False),
            sign_key=getattr(args, "sign_key", None),
            no_cache=getattr(args, "no_cache", False),
            quiet=getattr(args, "quiet", False),
            config_error=config_error,
        )
        done = run_step(config, run, step_id, options, top_level=top)
        with shielded(reraise=done.exit_code != EXIT_INTERRUPTED):
            show_report(
                args, done.doc, done.notices, streamed=done.report.streamed and same_destination()
            )
        if not args.quiet:
            for path in done.attested:
                sys.stderr.write(f"wrote {path}\n")
        return done.exit_code

    return cmd


def contract_index_verify(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.steps.contract_index.verify import verify_index

    config = config_of(args)
    report = verify_index(
        config,
        Path(args.index) if args.index else None,
        Path(args.public_key) if args.public_key else None,
    )
    out = canonical_json(report.to_json()) if args.format == "json" else report.render()
    sys.stdout.write(out)
    return report.exit_code


gate_fast = _run_step_cmd("gate-fast")
gate_release = _run_step_cmd("gate-release")
doctor = _run_step_cmd("doctor")
drift_check = _run_step_cmd("drift-check")
contract_index = _run_step_cmd("contract-index")
