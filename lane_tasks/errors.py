"""Errors the front doors turn into one line and an exit code (`exit_code_of`).

The exit code is the class's: `UsageError` (bad input: flags, records, and as `ConfigError`
lanes.toml) exits 2, `Refused` (a request the evidence does not support) exits 1 like a
failed gate, `EnvironmentProblem` (the machine cannot do it) exits 3.
"""

from __future__ import annotations

import difflib
import sys
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

__all__ = [
    "EXIT_ENV",
    "EXIT_FAIL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "ConfigError",
    "EnvironmentProblem",
    "LaneTasksError",
    "Refused",
    "UsageError",
    "did_you_mean",
    "exit_code_of",
    "one_line",
    "os_problem",
    "platform_problem",
]

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2
EXIT_ENV = 3
EXIT_INTERRUPTED = 130


class LaneTasksError(Exception):
    """An error meant for the user: its str() is the whole message, printed on one line."""

    exit_code = EXIT_USAGE


class UsageError(LaneTasksError):
    """Bad input (flags, records, files given): `file:line: key: problem`, exit 2."""

    exit_code = EXIT_USAGE

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        self.path = None if path is None else str(path)
        self.line = line
        self.key = key
        self.problem = one_line(message)
        where = ""
        if self.path is not None:
            where = self.path if line is None else f"{self.path}:{line}"
            where += ": "
        keyed = f"{key}: " if key else ""
        super().__init__(one_line(f"{where}{keyed}{message}"))


class ConfigError(UsageError):
    """Bad configuration (lanes.toml, [tool.lane-tasks], the deprecations file), exit 2."""


class Refused(LaneTasksError):
    """A request refused on its merits (a `go` the evidence does not support, an incomplete
    checklist, a duplicate review, no lane that fits): exit 1, like a failed gate."""

    exit_code = EXIT_FAIL


_BREAKING = ("Cc", "Cs", "Zl", "Zp")
"""Control characters, lone surrogates and line/paragraph separators: what would split a
message (str.splitlines splits on \x1c-\x1e and \u2028 too) or fail to encode."""


def one_line(text: str) -> str:
    """`text` with each line break or other control character escaped (`\\n`, `\\x1e`): keys and
    values quoted from a user's file must not split the one-line error."""
    if text.isprintable():
        return text
    return "".join(repr(c)[1:-1] if unicodedata.category(c) in _BREAKING else c for c in text)


class EnvironmentProblem(LaneTasksError):
    """The machine cannot do what was asked (tool missing, not a git repository), exit 3."""

    exit_code = EXIT_ENV


def os_problem(exc: OSError) -> EnvironmentProblem:
    """A file system fault (read-only, full, not a directory) as one line naming the path and
    the OS error, exit 3: what a user can act on, where a traceback says nothing more."""
    what = exc.strerror or exc.__class__.__name__
    if exc.filename is None:
        return EnvironmentProblem(f"cannot write: {what} ({exc})" if str(exc) else what)
    where = str(exc.filename)
    if exc.filename2 is not None:
        where += f" -> {exc.filename2}"
    return EnvironmentProblem(f"{where}: {what}")


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ` (did you mean 'x'?)` for a near miss, or an empty string."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def platform_problem(os_name: str) -> EnvironmentProblem | None:
    """Why lane-tasks cannot run on this OS (`os.name`), or None. POSIX only, on purpose: run
    files are locked with fcntl.flock, the top level is walked with directory descriptors and
    O_NOFOLLOW so a swapped symlink cannot redirect a write, and tools are reaped through
    process groups and prctl. Refused up front in one line rather than an ImportError later."""
    if os_name == "posix":
        return None
    return EnvironmentProblem(
        f"lane-tasks runs on POSIX systems only (Linux, macOS, BSD; on Windows use WSL): "
        f"it needs fcntl file locks and O_NOFOLLOW directory descriptors, which {os_name!r} "
        "does not have"
    )


def exit_code_of(action: Callable[[], int]) -> int:
    """Run a front door's action (a CLI command, a nox session's step): its errors become one
    line on stderr and their exit code, never a traceback. One mapping for both doors."""
    try:
        return action()
    except LaneTasksError as exc:
        sys.stderr.write(f"lane-tasks: error: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("lane-tasks: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_FAIL
    except OSError as exc:  # a read-only, full or missing directory: one line, exit 3
        problem = os_problem(exc)
        sys.stderr.write(f"lane-tasks: error: {problem}\n")
        return problem.exit_code
