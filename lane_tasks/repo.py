"""Facts about the git repository under test: commit, dirtiness, shallowness, ignores."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Subject", "git", "is_git_repo", "subject"]


def git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run git in `root` and capture text output; never raises for a non-zero exit."""
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return subprocess.CompletedProcess(["git", *args], 127, "", "git not found on PATH")


def is_git_repo(root: Path) -> bool:
    r = git(root, "rev-parse", "--is-inside-work-tree")
    return r.returncode == 0 and r.stdout.strip() == "true"


@dataclass(frozen=True)
class Subject:
    """What an artifact is about: the commit checked and whether the tree differed from it."""

    commit: str | None
    dirty: bool

    def to_json(self) -> dict[str, object]:
        return {"commit": self.commit, "dirty": self.dirty}


def subject(root: Path, ignore: tuple[str, ...] = ()) -> Subject:
    """HEAD and dirtiness, ignoring paths under `ignore` (our own output directories)."""
    head = git(root, "rev-parse", "--verify", "-q", "HEAD")
    if head.returncode != 0:
        return Subject(None, is_git_repo(root))
    status = git(root, "status", "--porcelain=v1", "-z", "--untracked-files=normal")
    dirty = False
    for entry in status.stdout.split("\0"):
        path = entry[3:]
        if not path:
            continue
        if any(path == d or path.startswith(d.rstrip("/") + "/") for d in ignore):
            continue
        dirty = True
        break
    return Subject(head.stdout.strip(), dirty)
