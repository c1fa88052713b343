# PYTHON_ARGCOMPLETE_OK  (register-python-argcomplete looks for this marker)
"""The front door: the `lane-tasks` command (`main`), what the console script, `python -m
lane_tasks` and the nox sessions call.

The parser is built from the command tree (`cli/parser.py`); each command's handler lives in
`cli/commands/<group>.py` and is imported only when that command runs; `cli/common.py` turns
its errors into one line and an exit code. Every step command is also what the nox session of
that step calls, so the command line and the lane write byte-identical stable artifacts.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from lane_tasks.cli.common import run_handler
from lane_tasks.cli.parser import build_parser, resolve_handler
from lane_tasks.config import Config
from lane_tasks.console import set_color
from lane_tasks.errors import platform_problem
from lane_tasks.util.interrupts import install

__all__ = ["main"]


def _open_closed_std_streams() -> None:
    """A standard stream closed by the caller (`lane-tasks … >&-`, a service without stdin)
    reads as /dev/null: else writing the report is a traceback, and the next file opened
    would take the free descriptor 0-2 and be inherited as a tool's stdin or stdout."""
    for fd, name, mode in ((0, "stdin", "r"), (1, "stdout", "w"), (2, "stderr", "w")):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
        if getattr(sys, name) is None:
            setattr(sys, name, open(fd, mode, encoding="utf-8", closefd=False))  # noqa: SIM115


def main(argv: Sequence[str] | None = None, *, config: Config | None = None) -> int:
    """The `lane-tasks` command. `config`: lanes.toml already loaded by the caller (the nox
    sessions), used when the command's --config names the same file."""
    _open_closed_std_streams()
    unsupported = platform_problem(os.name)
    if unsupported is not None:
        sys.stderr.write(f"lane-tasks: error: {unsupported}\n")
        return unsupported.exit_code
    install()  # SIGTERM as well as SIGINT stops the tools and leaves a partial artifact
    parser = build_parser()
    if "_ARGCOMPLETE" in os.environ:  # a shell asks for completions; else never imported
        import argcomplete  # start-up cost

        argcomplete.autocomplete(parser)  # answers on fd 8 and exits
    args = parser.parse_args(argv)
    args.loaded_config = config
    if args.color:
        set_color(args.color)
    return run_handler(resolve_handler(args.handler), args)
