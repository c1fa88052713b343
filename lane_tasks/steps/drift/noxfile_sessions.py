"""The session list of the real noxfile, read by running it in a subprocess.

Sessions that do not run by default count as much as those that do, so drift-check does not
parse noxfile.py: it runs it with nox's registry and reads the registry back. The subprocess
starts at once and is waited for only when a family needs the sessions, so the file scans of
the other families run while it loads.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lane_tasks.util.procs import excerpt, tool_env

_PROBE = r"""
import contextlib, json, runpy, sys
import nox, nox.registry
with contextlib.redirect_stdout(sys.stderr):
    runpy.run_path("noxfile.py")
out = {}
for name, func in nox.registry.get().items():
    try:
        requires = list(func.requires or [])
    except Exception:  # `{python}` in requires of a session not yet parametrized
        requires = list(getattr(func, "_requires", None) or [])
    python = func.python if isinstance(func.python, (str, list, tuple)) else None
    out[name] = {"requires": requires, "default": bool(func.default), "python": python}
selected = nox.options.sessions
print(json.dumps({"sessions": out, "selected": list(selected) if selected else None}))
"""


@dataclass(frozen=True)
class SessionInfo:
    requires: tuple[str, ...]
    default: bool
    pythons: tuple[str, ...]


@dataclass(frozen=True)
class Sessions:
    """What noxfile.py registers, including sessions that do not run by default."""

    info: Mapping[str, SessionInfo]
    selected: tuple[str, ...] | None = None
    """`nox.options.sessions` as the noxfile sets it: what a bare `nox` runs."""
    names: frozenset[str] = field(init=False)
    """Every name that selects a session: `name` and `name-<python>` per python."""

    def __post_init__(self) -> None:
        names = set(self.info)
        for name, s in self.info.items():
            names.update(f"{name}-{py}" for py in s.pythons)
        object.__setattr__(self, "names", frozenset(names))

    def default(self) -> tuple[str, ...]:
        if self.selected is not None:
            return self.selected
        return tuple(n for n, s in self.info.items() if s.default)

    def exists(self, name: str) -> bool:
        """`name`, `name-3.12` for a session with that python, or `name(param=…)`."""
        return name in self.names or name.split("(", 1)[0] in self.info


class _NoxProbe:
    """Runs the noxfile in a subprocess (started at once) and reads back its registry."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.missing = not (root / "noxfile.py").is_file()
        self.proc: subprocess.Popen[str] | None = None
        self._result: tuple[Sessions | None, str | None] | None = None
        if not self.missing:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _PROBE],
                cwd=root,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=tool_env(),
            )

    def close(self) -> None:
        """Never leave the subprocess behind (a family that did not need it, a crash)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()

    def result(self) -> tuple[Sessions | None, str | None]:
        """(sessions, None), or (None, why the noxfile could not be read)."""
        if self._result is None:
            self._result = self._wait()
        return self._result

    def _wait(self) -> tuple[Sessions | None, str | None]:
        if self.proc is None:
            return Sessions({}), None
        try:
            out, err = self.proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            return None, "loading noxfile.py took more than 120 s"
        if self.proc.returncode != 0:
            return None, excerpt(err, root=self.root, stable=True, lines=8) or (
                f"exit {self.proc.returncode}"
            )
        try:
            data = json.loads(out.strip().splitlines()[-1])
            info = {
                name: SessionInfo(
                    tuple(s["requires"]),
                    s["default"],
                    (s["python"],) if isinstance(s["python"], str) else tuple(s["python"] or ()),
                )
                for name, s in data["sessions"].items()
            }
        except (ValueError, IndexError, KeyError, TypeError) as exc:
            return None, f"unreadable session list from noxfile.py: {exc}"
        selected = data.get("selected")
        return Sessions(info, tuple(selected) if selected else None), None
