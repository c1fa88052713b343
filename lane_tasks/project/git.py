"""Facts about the git repository under test: commit, dirtiness, shallowness, ignores."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from lane_tasks.util.jsonio import atomic_write, encodable

__all__ = [
    "Subject",
    "Tag",
    "all_tags",
    "changed_paths",
    "evidence_only_change",
    "first_commit_adding",
    "fixed_rev_problem",
    "git",
    "git_config",
    "head_commit",
    "is_ancestor",
    "is_git_repo",
    "release_tags",
    "resolve_fixed_rev",
    "resolve_rev",
    "self_ignore",
    "subject",
]

_SELF_IGNORE = "# lane-tasks: this directory holds run output, never committed\n*\n"


def self_ignore(directory: Path) -> None:
    """Make `directory` ignore itself (a `.gitignore` of `*` inside it, as .pytest_cache and
    .ruff_cache do), so runs never dirty the tree and the project's own .gitignore is left alone.
    A directory that already has a .gitignore keeps it."""
    marker = directory / ".gitignore"
    if not marker.exists():
        atomic_write(marker, _SELF_IGNORE)


def git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run git in `root` and capture text output; never raises for a non-zero exit."""
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return subprocess.CompletedProcess(["git", *args], 127, "", "git not found on PATH")


def git_config(root: Path, key: str) -> str | None:
    """A git configuration value as git resolves it for `root` (None when unset)."""
    r = git(root, "config", "--get", key)
    return (r.stdout.strip() or None) if r.returncode == 0 else None


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
    return Subject(head.stdout.strip(), bool(changed_paths(root, ignore, untracked="normal")))


def changed_paths(root: Path, ignore: tuple[str, ...] = (), *, untracked: str = "all") -> list[str]:
    """Paths git reports as modified, staged or untracked, except under `ignore`.

    Read with -z, so names with spaces or non-ASCII characters arrive unquoted; a rename's
    second (source) path is skipped.
    """
    out = git(root, "status", "--porcelain=v1", "-z", f"--untracked-files={untracked}").stdout
    entries = out.split("\0")
    paths: list[str] = []
    i = 0
    while i < len(entries):
        entry = entries[i]
        i += 1
        if len(entry) < 4:
            continue
        if entry[0] in "RC":
            i += 1  # the rename/copy source follows as its own entry
        path = entry[3:]
        if not any(path == d or path.startswith(d.rstrip("/") + "/") for d in ignore):
            paths.append(path)
    return paths


@dataclass(frozen=True)
class Tag:
    """A release tag: its name, the PEP 440 version it names, and the commit it points to."""

    name: str
    version: Version
    commit: str


def release_tags(root: Path, pattern: str) -> list[Tag]:
    """Tags whose name matches `pattern` (group `version`) and parses as PEP 440, newest
    version first. `v1.2.0`, `1.2.0` and `2026.08.17` all normalise through packaging."""
    rx = re.compile(pattern)
    out = git(
        root,
        "for-each-ref",
        "refs/tags",
        "--format=%(refname:strip=2)%00%(objectname)%00%(*objectname)",
    )
    tags = []
    for line in out.stdout.splitlines():
        name, obj, peeled = [*line.split("\0"), "", ""][:3]
        m = rx.match(name)
        if not m:
            continue
        try:
            version = Version(m.group("version"))
        except InvalidVersion:
            continue
        tags.append(Tag(name, version, peeled or obj))
    return sorted(tags, key=lambda t: (t.version, t.name), reverse=True)


def all_tags(root: Path) -> list[str]:
    """Every tag name of the repository, sorted."""
    out = git(root, "for-each-ref", "refs/tags", "--format=%(refname:strip=2)")
    return sorted(line for line in out.stdout.splitlines() if line)


_COMMIT_ID = re.compile(r"[0-9a-fA-F]{4,64}")
_REF_NAME = re.compile(r"[^\x00-\x20\x7f~^:?*\[\\]+")
"""What a tag name may hold (git check-ref-format): no controls, spaces, ~^:?*[ or backslash."""


def fixed_rev_problem(root: Path, rev: str) -> str | None:
    """Why `rev` is not a fixed point of history, or None: a fixed point is a full or
    abbreviated commit id, or a tag. HEAD, a branch or a revision expression (`HEAD~3`,
    `main@{1}`) moves, and a point that moves past the release tags judges none of them."""
    if not _REF_NAME.fullmatch(rev) or ".." in rev or "@{" in rev or not encodable(rev):
        return (
            f"'{rev}' is not a tag or a commit id: a revision expression moves with every "
            "commit; name the tag or the commit id (git rev-parse) the lanes were adopted at"
        )
    if _COMMIT_ID.fullmatch(rev):
        # git reads a name as a reference before it reads it as an abbreviated id, and looks
        # in refs/, refs/heads/ and refs/remotes/ too: any of those moves (a tag does not)
        refs = set(git(root, "for-each-ref", "--format=%(refname)").stdout.splitlines())
        for ref in (f"refs/{rev}", f"refs/heads/{rev}", f"refs/remotes/{rev}"):
            if ref in refs or (ref.startswith("refs/remotes/") and f"{ref}/HEAD" in refs):
                kind = "a branch name" if ref.startswith("refs/heads/") else f"the reference {ref}"
                return f"'{rev}' is also {kind}, which moves"
        return None
    if git(root, "show-ref", "--verify", "-q", f"refs/tags/{rev}").returncode == 0:
        return None
    return (
        f"'{rev}' is not a tag or a commit id: HEAD, a branch or a revision expression moves "
        "with every commit; name the tag or the commit id (git rev-parse) the lanes were "
        "adopted at"
    )


def resolve_fixed_rev(root: Path, rev: str) -> str | None:
    """The commit of a fixed point (see fixed_rev_problem): a commit id, else a tag."""
    if _COMMIT_ID.fullmatch(rev):
        return resolve_rev(root, rev)
    return resolve_rev(root, f"refs/tags/{rev}")


def head_commit(root: Path) -> str | None:
    r = git(root, "rev-parse", "--verify", "-q", "HEAD")
    return r.stdout.strip() if r.returncode == 0 else None


def resolve_rev(root: Path, rev: str) -> str | None:
    r = git(root, "rev-parse", "--verify", "-q", f"{rev}^{{commit}}")
    return r.stdout.strip() if r.returncode == 0 else None


def is_ancestor(root: Path, ancestor: str, descendant: str) -> bool:
    return git(root, "merge-base", "--is-ancestor", ancestor, descendant).returncode == 0


def evidence_only_change(
    root: Path, commit: str | None, target: str, evidence_dir: str
) -> str | None:
    """None when what was decided about `commit` still holds for `target`: it is `commit`, or
    a descendant that changes nothing outside `evidence_dir` (the records of the release itself
    are committed after the decision, so the tag sits on such a descendant). Otherwise why not,
    naming a changed file.

    Renames are listed as a deletion and an addition (`--no-renames`): moving a source file into
    the evidence directory is a change outside it.
    """
    if commit == target:
        return None
    if not commit:
        return "the record names no commit"
    if resolve_rev(root, commit) is None:
        return f"{commit[:12]} is not a commit of this repository"
    if not is_ancestor(root, commit, target):
        return f"{target[:12]} does not descend from {commit[:12]}"
    r = git(root, "diff", "--name-only", "--no-renames", "-z", commit, target)
    if r.returncode != 0:
        return f"git diff {commit[:12]} {target[:12]} failed: {r.stderr.strip()}"
    prefix = evidence_dir.strip("/") + "/"
    outside = [p for p in r.stdout.split("\0") if p and not p.startswith(prefix)]
    if not outside:
        return None
    more = f" and {len(outside) - 1} more file(s)" if len(outside) > 1 else ""
    return f"{target[:12]} changes {outside[0]}{more} since {commit[:12]}, outside {prefix}"


def first_commit_adding(root: Path, relpath: str) -> str | None:
    """The oldest commit that added `relpath` (the adoption point of lanes.toml)."""
    r = git(root, "log", "--diff-filter=A", "--format=%H", "--", relpath)
    commits = r.stdout.split()
    return commits[-1] if commits else None
