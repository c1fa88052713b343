"""The files an index lists: every file under a run directory (and dist/) but the excluded
names, found the same way by `build` (to index them) and `verify` (to find unexpected ones).

A module of its own, below `build`: verify needs only this, not the step's runner and its
imports (start-up cost: verify is one command over thousands of files).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from lane_tasks.catalog.layout import CONTROLS_ARTIFACT, MANIFEST

__all__ = ["EXCLUDED", "INDEX_SCHEMA", "IndexedFile", "indexed_files"]

INDEX_SCHEMA = "lane-tasks/contract-index"

EXCLUDED = frozenset(
    {
        MANIFEST,  # changes after every step
        CONTROLS_ARTIFACT,  # the lane's verdict, written after the index
        "contract-index.json",
        "contract-index.intoto.json",
        "contract-index.dsse.json",
    }
)
"""Names in a run directory that are never indexed (they change after the index is made)."""


class IndexedFile(NamedTuple):
    """A file under an indexed directory: its path, and its posix path relative to that
    directory and to the repository root. Strings, not Paths: an index lists thousands of
    files, and pathlib's parsing of each was a third of the index's time."""

    path: str
    rel: str
    shown: str


def _is_file(entry: os.DirEntry[str]) -> bool:
    """os.path.isfile of the entry (symlinks followed; False when it cannot be told)."""
    try:
        return entry.is_file()
    except OSError:
        return False


def _files_of(where: str, base: str, subdirs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(rel, path) of the regular files (symlinks followed) directly in `where`; its
    subdirectories (not symlinked ones) are added to `subdirs`. As os.walk would: an
    unreadable directory holds nothing, and one whose listing fails midway is skipped whole.
    DirEntry's type answers from the listing itself: no stat per file."""
    found: list[tuple[str, str]] = []
    more: list[tuple[str, str]] = []
    try:
        with os.scandir(where) as it:
            for entry in it:
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                rel = base + entry.name
                if is_dir:
                    try:
                        walk_into = not entry.is_symlink()
                    except OSError:
                        walk_into = False
                    if walk_into:
                        more.append((entry.path, rel + "/"))
                elif rel not in EXCLUDED and _is_file(entry):
                    found.append((rel, entry.path))
    except OSError:
        return []
    subdirs += more
    return found


def indexed_files(d: Path, root: Path) -> Iterator[IndexedFile]:
    """Files under d (not through a symlinked directory), sorted by their posix path, except
    the excluded names at its top level; `root` is the repository root d lies in."""
    if not d.is_dir():
        return
    prefix = d.relative_to(root).as_posix()
    found: list[tuple[str, str]] = []
    todo = [(str(d), "")]
    while todo:
        where, base = todo.pop()
        found += _files_of(where, base, todo)
    found.sort()
    for rel, path in found:
        yield IndexedFile(path, rel, f"{prefix}/{rel}" if prefix != "." else rel)
