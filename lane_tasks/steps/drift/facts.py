"""What every drift check family shares: the facts it reads and the outcome it returns.

The families check different sources but take the same input (the config, the noxfile probe,
a lanes.toml line finder) and give back the same shape (findings, a summary, a skip or error
reason), which the step turns into results; the few helpers more than one family uses live here
too, so that families.py holds only the checks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lane_tasks.config import Config
from lane_tasks.errors import did_you_mean
from lane_tasks.steps.drift.findings import Finding
from lane_tasks.steps.drift.noxfile_sessions import Sessions, _NoxProbe


@dataclass
class _Facts:
    """What the families share: the config, the noxfile probe and a lanes.toml line finder."""

    config: Config
    probe: _NoxProbe
    line_of: Callable[[Sequence[str]], int | None]
    config_rel: str

    @property
    def root(self) -> Path:
        return self.config.root

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


@dataclass
class _Outcome:
    findings: list[Finding] = field(default_factory=list)
    summary: str = ""
    skip: str | None = None
    """A reason when the family does not apply (it is then neither pass nor fail)."""
    error: str | None = None


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _glob(root: Path, patterns: Iterable[str]) -> list[Path]:
    found = {p for pattern in patterns for p in root.glob(pattern) if p.is_file()}
    return sorted(found)


def _session_finding(
    kind: str, path: str, name: str, line: int, sessions: Sessions, where: str
) -> Finding:
    hint = did_you_mean(name, sessions.info)
    if "," in name and all(sessions.exists(n.strip()) for n in name.split(",") if n.strip()):
        names = " ".join(n.strip() for n in name.split(",") if n.strip())
        hint = f" (nox does not split a session name at commas: `-s {names}`)"
    return Finding(
        kind,
        path,
        line,
        f"nox session '{name}'",
        f"a session noxfile.py defines{hint}",
        f"{where} names nox session '{name}', which noxfile.py does not define{hint}",
    )
