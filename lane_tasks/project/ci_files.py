"""Which files of a repository are its CI configuration: one answer for every reader.

doctor (does CI run a lane?) and drift check (does CI run only sessions that exist?) read the
same files: the well-known places below, plus the globs lanes.toml names ([doctor] ci_files and
[drift] ci_files). Two lists once gave two answers: a CI file named only for drift made doctor
say "no CI configuration found".
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

__all__ = ["CI_FILES", "find_ci_files"]

CI_FILES = (
    ".github/workflows/*.yml",
    ".github/workflows/*.yaml",
    ".gitlab-ci.yml",
    ".circleci/config.yml",
    "azure-pipelines.yml",
    "Jenkinsfile",
    ".ci/*",
)
"""Read without being named in lanes.toml."""


def find_ci_files(root: Path, named: Iterable[str] = ()) -> list[Path]:
    """The CI files under `root`: the well-known ones and those matching the `named` globs,
    each once, sorted."""
    return sorted({p for pattern in (*CI_FILES, *named) for p in root.glob(pattern) if p.is_file()})
