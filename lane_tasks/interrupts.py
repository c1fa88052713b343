"""SIGINT and SIGTERM: stop cleanly, whoever sends them.

Both raise KeyboardInterrupt in the main thread (SIGTERM's default would end the process on the
spot, leaving the checks' process groups running and no artifact behind), and both are
remembered, so that the run is recorded as interrupted when nox exits. What stops the children
is `lane_tasks.procs.kill_all`; what records the partial result is the step's caller.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

__all__ = ["install", "mark", "was_interrupted"]

_seen = threading.Event()


def mark() -> None:
    _seen.set()


def was_interrupted() -> bool:
    return _seen.is_set()


def _raise(signum: int, frame: FrameType | None) -> None:
    del frame
    _seen.set()
    raise KeyboardInterrupt(signal.Signals(signum).name)


def install() -> None:
    """Route SIGINT and SIGTERM to KeyboardInterrupt (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _raise)
