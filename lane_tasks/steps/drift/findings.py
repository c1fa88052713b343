"""One drift finding (file, line, what was found, what was expected) and how lanes.toml waives it.

Every check family reports the same record and the step waives and serialises it in one place;
it lives apart from the families so that the record's shape, which is the artifact's
`findings[]`, is read in one short file.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from lane_tasks.config import Waiver


@dataclass(frozen=True)
class Finding:
    id: str
    path: str
    """Repository-relative, POSIX separators."""
    line: int | None
    found: str
    expected: str
    message: str
    waived: str | None = None
    """The reason lanes.toml gives for accepting this finding, or None."""

    def where(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": self.path,
            "line": self.line,
            "found": self.found,
            "expected": self.expected,
            "message": self.message,
            "waived": self.waived,
        }


def _waive(finding: Finding, waivers: Sequence[Waiver]) -> Finding:
    for w in waivers:
        if (
            w.finding == finding.id
            and fnmatch.fnmatchcase(finding.path, w.path)
            and (w.line is None or w.line == finding.line)
        ):
            return replace(finding, waived=w.reason)
    return finding
