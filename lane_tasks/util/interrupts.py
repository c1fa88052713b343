"""SIGINT and SIGTERM: stop cleanly, whoever sends them.

Both raise KeyboardInterrupt in the main thread (SIGTERM's default would end the process on the
spot, leaving the checks' process groups running and no artifact behind), and both are
remembered, so that the run is recorded as interrupted when nox exits. What stops the children
is `lane_tasks.util.procs.kill_all`; what records the partial result is the step's caller.

Recording is not interruptible: inside `shielded()` (writing a step's artifact, manifest and
history row, and the clean-up at nox's exit) a further Ctrl-C or SIGTERM is remembered and
raised only once the record is whole, so a second Ctrl-C cannot lose the manifest or the
history row, nor print a traceback from an exit handler.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

__all__ = ["install", "mark", "shielded", "was_interrupted"]

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


@contextlib.contextmanager
def shielded(*, reraise: bool = True) -> Iterator[None]:
    """Defer SIGINT and SIGTERM while the body runs; with `reraise`, one that arrived is raised
    as KeyboardInterrupt when it ends (at exit there is nothing left to stop: it is dropped)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []

    def remember(signum: int, frame: FrameType | None) -> None:
        del frame
        _seen.set()
        pending.append(signum)

    old: dict[signal.Signals, Any] = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        old[sig] = signal.signal(sig, remember)
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
    if pending and reraise:
        raise KeyboardInterrupt(signal.Signals(pending[0]).name)
