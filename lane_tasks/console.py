"""What a person sees while a step runs: a line per event the moment it happens and, at a
terminal, a live status line of what is still running (`mypy 12s · pytest 40s · 2/4 done`).

Steps call `started(id, doing)` and `finished(result)` (from any thread); this module alone
decides colour and whether a live line is drawn, so steps know nothing about terminals.
Everything goes to stderr: stdout keeps the report or the JSON artifact. Plain output (not a
terminal, `CI` set, `NO_COLOR`) is one line per event with no escape codes and never imports
rich (start-up cost: a cached gate fast re-run takes well under a second).

Colour: `--color always|never` (exported as LANE_TASKS_COLOR, so nox sessions and the
processes they start follow it) beats NO_COLOR (any non-empty value: off), which beats
FORCE_COLOR (on even without a terminal); otherwise colour at a terminal when CI is not set.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

from lane_tasks.catalog.layout import COLOR_ENV
from lane_tasks.evidence.artifacts import Result, is_warning
from lane_tasks.util.redact import printable

__all__ = [
    "COLOR_CHOICES",
    "COLOR_ENV",
    "Mode",
    "decide",
    "expect",
    "finished",
    "note",
    "opening",
    "same_destination",
    "set_color",
    "started",
    "step",
]

COLOR_CHOICES = ("auto", "always", "never")
_STYLE = {"PASS": "green", "FAIL": "bold red", "ERROR": "bold red", "WARN": "yellow", "SKIP": "dim"}


_MARK = {"pass": "PASS ", "fail": "FAIL ", "error": "ERROR", "skip": "SKIP ", "warn": "WARN "}


def mark(r: Mapping[str, Any]) -> str:
    """The word a person reads for a result: WARN for a problem that does not block (a check
    of severity `warning`), else its status (PASS, FAIL, ERROR, SKIP), five columns wide."""
    status = str(r.get("status", ""))
    if is_warning(status, r.get("severity")):
        status = "warn"
    return _MARK.get(status, status)


@dataclass(frozen=True, kw_only=True)
class Mode:
    color: bool
    live: bool
    """A status line redrawn in place: only at a terminal, never in CI."""


def _on(value: str | None) -> bool:
    return (value or "").strip().lower() not in ("", "0", "false", "no")


def decide(env: Mapping[str, str], isatty: bool) -> Mode:
    """Colour and live line from the choice, the conventional variables and the stream."""
    choice = env.get(COLOR_ENV, "auto")
    ci = _on(env.get("CI"))
    terminal = isatty and env.get("TERM") != "dumb"
    if choice == "always":
        color = True
    elif choice == "never" or env.get("NO_COLOR"):
        color = False
    elif _on(env.get("FORCE_COLOR")):
        color = True
    else:
        color = terminal and not ci
    return Mode(color=color, live=color and terminal and not ci)


def set_color(choice: str) -> None:
    """`--color`: for this process and every process it starts (nox sessions, tools)."""
    os.environ[COLOR_ENV] = choice


def same_destination() -> bool:
    """Whether stdout and stderr end up in the same place (one terminal, one CI log): then
    the lines streamed on stderr are already in front of whoever reads the report."""
    try:
        out, err = os.fstat(sys.stdout.fileno()), os.fstat(sys.stderr.fileno())
    except (AttributeError, OSError, ValueError):  # a captured stream has no descriptor
        return False
    return (out.st_dev, out.st_ino) == (err.st_dev, err.st_ino)


def _word(r: Result) -> str:
    return mark({"status": r.status, "severity": r.severity}).strip()


def _seconds(s: float) -> str:
    return f"{s:.0f}s" if s < 60 else f"{int(s // 60)}m{int(s % 60):02d}s"


class _Progress:
    """One step's events. Thread-safe: gate fast reports from the thread that ran a check."""

    def __init__(self, stream: IO[str], mode: Mode, step_id: str) -> None:
        self._stream = stream
        self._mode = mode
        self._step = step_id
        self._lock = threading.RLock()
        self._running: dict[str, float] = {}
        self._total = 0
        self._done = 0
        self._width = 0
        self._rich: Any = None
        self._live: Any = None
        self._pending = ""
        self._timer: threading.Timer | None = None
        self._shown: tuple[tuple[tuple[str, float], ...], int, int] = ((), 0, 0)
        """What the live line shows, replaced whole under the lock and read without it: rich
        redraws from its own thread while holding its lock, so taking ours there could
        deadlock with a worker that holds ours and prints."""
        self.streamed = False
        if mode.color:
            from rich.console import Console  # start-up cost: only when colour is on

            self._rich = Console(
                file=stream,
                force_terminal=True,
                no_color=False,
                highlight=False,
                markup=False,
                emoji=False,
                soft_wrap=True,
            )

    # -- output ---------------------------------------------------------------------------
    def opening(self, text: str, after_s: float) -> None:
        """A start line printed with the step's first event, or after `after_s` without one:
        a step that stops at once on bad input prints its one-line error alone."""
        with self._lock:
            self._pending = text
            self._timer = threading.Timer(after_s, self._flush)
            self._timer.daemon = True
            self._timer.start()

    def _flush(self) -> None:
        with self._lock:
            text, self._pending = self._pending, ""
            if text:
                self._line(text)

    def _line(self, text: str, word: str = "", style: str = "") -> None:
        text = printable(text)  # a message may quote a tool: it must not drive the terminal
        with self._lock:
            if self._pending:
                self._flush()
            if self._rich is None:
                self._stream.write(f"{word} {text}".rstrip() + "\n" if word else text + "\n")
                self._stream.flush()
                return
            from rich.text import Text

            line = Text()
            if word:
                line.append(word, style=style or _STYLE.get(word.strip(), ""))
                line.append(" ")
            line.append(text, style="dim" if word.strip() == "SKIP" else "")
            (self._live.console if self._live is not None else self._rich).print(line)

    def _status(self) -> Any:
        from rich.text import Text

        running, done, total = self._shown
        now = time.monotonic()
        bits = [f"{cid} {_seconds(now - t0)}" for cid, t0 in running]
        if total:
            bits.append(f"{done}/{total} done")
        return Text(" · ".join(bits), style="cyan")

    def _update(self) -> None:
        self._shown = (tuple(self._running.items()), self._done, self._total)

    def _start_live(self) -> None:
        if not self._mode.live or self._live is not None:
            return
        from rich.live import Live

        progress = self

        class _Line:
            def __rich__(self) -> Any:
                return progress._status()

        self._live = Live(
            _Line(),
            console=self._rich,
            transient=True,
            refresh_per_second=4,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._live.start()

    def close(self) -> None:
        with self._lock:
            self._pending = ""
            if self._timer is not None:
                self._timer.cancel()
            if self._live is not None:
                self._live.stop()
                self._live = None

    # -- events ---------------------------------------------------------------------------
    def expect(self, ids: Sequence[str]) -> None:
        with self._lock:
            self._total += len(ids)
            self._width = max([self._width, *(len(i) for i in ids)])
            self._update()

    def started(self, cid: str, doing: str = "") -> None:
        with self._lock:
            self._running[cid] = time.monotonic()
            self._update()
            self._flush()
            if doing:
                self._line(f"  {doing}…")
            self._start_live()

    def finished(self, r: Result, *, cached: bool = False) -> None:
        with self._lock:
            t0 = self._running.pop(r.id, None)
            self._done += 1
            self._update()
            self.streamed = True
            bits = [f"{r.id:<{self._width}}"]
            if cached or r.cached:
                bits.append("(cached)")
            elif r.duration_s is not None:
                bits.append(f"{r.duration_s:.2f}s")
            elif t0 is not None:
                bits.append(f"{time.monotonic() - t0:.2f}s")
            if r.message and r.status != "pass":
                bits.append(f"- {r.message}")
            word = _word(r)
            self._line(" ".join(bits), f"  {word:<5}", _STYLE.get(word, ""))

    def note(self, text: str) -> None:
        self._line(text)


_current: _Progress | None = None
_current_lock = threading.Lock()


@contextlib.contextmanager
def step(step_id: str, *, quiet: bool = False, stream: IO[str] | None = None) -> Iterator[Any]:
    """The events of one step, printed to `stream` (stderr); `quiet` prints nothing. Yields
    the progress, whose `streamed` says whether result lines were printed (the final report
    then need not repeat them)."""
    global _current
    out = sys.stderr if stream is None else stream
    try:
        isatty = out.isatty()
    except (AttributeError, ValueError):
        isatty = False
    mode = Mode(color=False, live=False) if quiet else decide(os.environ, isatty)
    progress = _Progress(out, mode, step_id)
    with _current_lock:
        outer, _current = _current, (None if quiet else progress)
    try:
        yield progress
    finally:
        progress.close()
        with _current_lock:
            _current = outer


def opening(text: str, *, after_s: float = 1.0) -> None:
    """The step's start line: printed before its first event, or after `after_s` of silence."""
    if _current is not None:
        _current.opening(text, after_s)


def expect(ids: Sequence[str]) -> None:
    """These results are coming (for the live line's "2/4 done" and the lines' alignment)."""
    if _current is not None:
        _current.expect(ids)


def started(cid: str, doing: str = "") -> None:
    """`cid` started; `doing` ("building sdist and wheel") is printed as a line of its own."""
    if _current is not None:
        _current.started(cid, doing)


def finished(result: Result, *, cached: bool = False) -> None:
    """`result` is in: its line (PASS/FAIL/ERROR/WARN/SKIP, id, time) is printed now."""
    if _current is not None:
        _current.finished(result, cached=cached)


def note(text: str) -> None:
    """A line of its own (a step's start, what it is about to do)."""
    if _current is not None:
        _current.note(text)
