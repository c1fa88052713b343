"""The files a gate fast cache key covers: a fingerprint of the work tree, its submodules and
the editable installs it runs against, each file by a cheap identity, never by a full read.

- files: every tracked file (its staged blob id) plus the working-tree changes and untracked
  files (their content; also of a file marked assume-unchanged or skip-worktree, which git
  status does not look at), and the git-ignored files (size, mtime, ctime and inode: a write
  always moves ctime, so no content read is needed), or only the files its `inputs` globs
  name. Excluded as derived: the artifacts directory, Python bytecode, coverage data files,
  and ignored directories that are virtualenvs (hold `pyvenv.cfg`), tool caches (hold
  `CACHEDIR.TAG`, or are `__pycache__`, `.mypy_cache`, `.ruff_cache`, `.pytest_cache`,
  `.hypothesis`, `.nox`, `.tox`, `.eggs`, `node_modules`, `htmlcov`, `.git`) or `*.egg-info`.
  Ignored directories are listed by git without being entered, so a `.venv` costs nothing.
- git submodules: each checked-out submodule's own files, by the same rules (its staged
  blobs, working-tree changes, ignored files, and its submodules); one not checked out, by
  the commit the superproject records.
- editable installs outside the repository (a `direct_url.json` with `dir_info.editable`, or
  an `.egg-link`): the files of the git work tree that holds them by the same rules, or the
  size, mtime, ctime and inode of every file under them outside git.

Walking git's listings and the file system is most of the cache's code and all of its cost;
kept apart from the cache (gate_cache), which only hashes what this returns into a key.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urlparse

from lane_tasks.evidence.artifacts import canonical_json
from lane_tasks.project.git import changed_paths, git

__all__ = ["editable_fingerprints", "sha_hex", "tree_fingerprint"]

_DERIVED_DIRS = frozenset(
    {
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".hypothesis",
        ".nox",
        ".tox",
        ".eggs",
        ".git",
        "node_modules",
        "htmlcov",
    }
)
_DERIVED_MARKERS = ("pyvenv.cfg", "CACHEDIR.TAG")


def sha_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tree_fingerprint(root: Path, ignore: Iterable[str]) -> dict[str, str] | None:
    """Every file of the work tree the cache keys on (see the module docstring), by path;
    None outside a git work tree."""
    listed = git(root, "ls-files", "-s", "-v", "-z")
    if listed.returncode != 0:
        return None
    skip = tuple(d.rstrip("/") + "/" for d in ignore)
    files: dict[str, str] = {}
    gitlinks: list[str] = []
    # git status does not look at a file marked assume-unchanged or skip-worktree (`git
    # update-index`, sparse checkouts): its index blob is not its content, so it is read
    unwatched: list[str] = []
    for entry in listed.stdout.split("\0"):
        if "\t" not in entry:
            continue
        meta, path = entry.split("\t", 1)
        if path.startswith(skip):
            continue
        tag, mode, oid = meta.split()[:3]
        files[path] = oid
        if mode == "160000":
            gitlinks.append(path)
        elif tag not in ("H", "M"):
            unwatched.append(path)
    sha256 = any(len(oid) == 64 for oid in files.values())  # the repository's object format
    for path in unwatched:
        try:
            files[path] = _blob_id((root / path).read_bytes(), sha256=sha256)
        except FileNotFoundError:
            pass  # not checked out (a sparse checkout): the index's blob id stands
        except OSError:
            files[path] = "unreadable"
    linked = set(gitlinks)
    derived = _Derived(root)
    # ls-files names paths from `root`, status from the top of the work tree (a project in a
    # subdirectory of its repository)
    prefix = git(root, "rev-parse", "--show-prefix").stdout.strip()
    for top_path in changed_paths(root, tuple(prefix + d for d in ignore), untracked="all"):
        if not top_path.startswith(prefix):
            continue
        path = top_path[len(prefix) :]
        if path in linked or (path not in files and derived.file(path)):
            continue
        try:
            files[path] = _blob_id((root / path).read_bytes(), sha256=sha256)
        except FileNotFoundError:
            files[path] = "deleted"
        except OSError:
            files[path] = "unreadable"  # a directory or socket: never equal to content
    files.update(_ignored(root, skip, derived))
    for path in gitlinks:
        sub = tree_fingerprint(root / path, ()) if (root / path / ".git").exists() else None
        if sub is not None:  # checked out: its content; else the commit recorded for it
            files[path] = "submodule " + sha_hex(canonical_json(sub).encode())
    return files


class _Derived:
    """Whether a path lies in a derived directory (see `_derived_dir`), each directory asked
    once per listing."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.seen: dict[str, bool] = {}

    def dir(self, rel: str) -> bool:
        parts = rel.split("/")
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in self.seen:
                self.seen[d] = _derived_dir(self.root / d)
            if self.seen[d]:
                return True
        return False

    def file(self, rel: str) -> bool:
        parent = rel.rpartition("/")[0]
        return _derived(rel) or bool(parent and self.dir(parent))


def _ignored(root: Path, skip: tuple[str, ...], derived: _Derived) -> dict[str, str]:
    """The git-ignored files, by stat. git lists a wholly ignored directory as `dir/`
    without entering it; we enter only those that are not derived (a tool cache that holds
    its own `.gitignore` is listed entry by entry, and skipped by its CACHEDIR.TAG)."""
    out = git(root, "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory")
    files: dict[str, str] = {}
    for path in out.stdout.split("\0"):
        if not path or path.startswith(skip) or path.rstrip("/") + "/" in skip:
            continue
        if path.endswith("/"):
            if not derived.dir(path.rstrip("/")):
                files.update(_walk(root, path.rstrip("/")))
        elif not derived.file(path):
            files[path] = _stat_id(root / path)
    return files


def _walk(base: Path, rel: str) -> dict[str, str]:
    """The files under `base/rel` by stat, derived directories pruned; links not followed."""
    files: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(base / rel):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not _derived_dir(here / d))
        for name in filenames:
            path = (here / name).relative_to(base).as_posix()
            if not _derived(path):
                files[path] = _stat_id(here / name)
        for name in dirnames:  # a symlink to a directory: its target, not its content
            if (here / name).is_symlink():
                files[(here / name).relative_to(base).as_posix()] = _stat_id(here / name)
    return files


def _stat_id(path: Path) -> str:
    """A file's identity without reading it: any write moves its ctime."""
    try:
        st = path.stat()
    except OSError:
        return "unreadable"
    return f"stat {st.st_size} {st.st_mtime_ns} {st.st_ctime_ns} {st.st_ino}"


def _blob_id(content: bytes, *, sha256: bool) -> str:
    """The id git gives this content as a blob, so a change that is then committed unchanged
    keeps its key (the index lists committed files by their blob id)."""
    h = hashlib.sha256() if sha256 else hashlib.sha1()  # noqa: S324 - git's object id
    h.update(b"blob %d\0" % len(content))
    h.update(content)
    return h.hexdigest()


def _derived(path: str) -> bool:
    """Files the checks themselves write: bytecode, coverage data. Never an input."""
    name = path.rsplit("/", 1)[-1]
    return (
        path.endswith((".pyc", ".pyo"))
        or "__pycache__/" in f"/{path}"
        or name == ".coverage"
        or name.startswith(".coverage.")
    )


def _derived_dir(path: Path) -> bool:
    """A virtualenv, a tool cache or build metadata: written by tools, not read as input."""
    if path.name in _DERIVED_DIRS or path.name.endswith(".egg-info"):
        return True
    if path.is_symlink():
        return False
    return any((path / marker).is_file() for marker in _DERIVED_MARKERS)


def editable_fingerprints(root: Path) -> dict[str, str]:
    """Editable installs of this interpreter whose source is outside `root`, fingerprinted."""
    inside = root.resolve()
    found: dict[str, str] = {}
    for entry in dict.fromkeys(sys.path):
        if not entry:
            continue
        with contextlib.suppress(OSError):
            for p in Path(entry).iterdir():
                src = _editable_source(p)
                if src is None:
                    continue
                with contextlib.suppress(OSError, RuntimeError):
                    src = src.resolve()
                if src == inside or inside in src.parents or str(src) in found:
                    continue
                found[str(src)] = _source_fingerprint(src, inside)
    return found


def _editable_source(p: Path) -> Path | None:
    """The source directory of an editable install's metadata, or None."""
    try:
        if p.suffix == ".dist-info":
            data = json.loads((p / "direct_url.json").read_text(encoding="utf-8"))
            if not data.get("dir_info", {}).get("editable"):
                return None
            url = urlparse(data["url"])
            return Path(unquote(url.path)) if url.scheme == "file" else None
        if p.suffix == ".egg-link":
            first = p.read_text(encoding="utf-8").splitlines()[0].strip()
            return Path(first) if first else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        return None
    return None


def _source_fingerprint(src: Path, project: Path) -> str:
    """An editable's source: the git work tree holding it, or its files by stat; without the
    project itself where it lies inside (a monorepo), which its own fingerprint covers."""
    if not src.is_dir():
        return "missing"
    top = git(src, "rev-parse", "--show-toplevel")
    if top.returncode == 0 and top.stdout.strip():
        base = Path(top.stdout.strip()).resolve()
        within = project.relative_to(base).as_posix() if base in project.parents else None
        tree = tree_fingerprint(base, (within,) if within else ())
        if tree is not None:
            return "git " + sha_hex(canonical_json(tree).encode())
    walked = _walk(src, ".")
    if src in project.parents:
        within = project.relative_to(src).as_posix() + "/"
        walked = {p: d for p, d in walked.items() if not p.startswith(within)}
    return "files " + sha_hex(canonical_json(walked).encode())
