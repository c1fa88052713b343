"""The gate fast cache: a check whose inputs have not changed is answered from its last result.

A check's key is the sha256 of everything its result depends on that we can see: the content
of the files it reads (by default every tracked file as staged, plus the working-tree changes
and untracked files, our own output directory and Python bytecode excepted; or the files its
`inputs` globs name),
its lanes.toml entry, the program it runs (resolved path, size and mtime), the installed
distributions of this interpreter (a `pip install` of a new ruff changes the key), the Python
and lane-tasks versions, and whether the excerpt is stable. Any change re-runs the check.

Only results of checks that ran to completion (pass or fail) are kept: a timeout, a missing
tool or a cancellation is never replayed. A cached failure stays a failure. An entry carries
the sha256 of its own content; an entry that does not verify, or does not parse, is deleted
with a warning and the check runs.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from lane_tasks import __version__
from lane_tasks.artifacts import Result, atomic_write, canonical_json
from lane_tasks.config import CheckSpec, Config
from lane_tasks.repo import changed_paths, git

__all__ = ["CACHE_DIR", "GateCache", "tree_fingerprint"]

CACHE_DIR = "lanes/cache/gate-fast"
_CACHED_STATUSES = ("pass", "fail")
_DIST_SUFFIXES = (".dist-info", ".egg-info", ".egg-link", ".pth")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tree_fingerprint(root: Path, ignore: Iterable[str]) -> dict[str, str] | None:
    """Every tracked file (its staged blob id) and every working-tree change (its content
    blob id, or `deleted`), except under `ignore`; None outside a git work tree."""
    listed = git(root, "ls-files", "-s", "-z")
    if listed.returncode != 0:
        return None
    skip = tuple(d.rstrip("/") + "/" for d in ignore)
    files: dict[str, str] = {}
    for entry in listed.stdout.split("\0"):
        if "\t" not in entry:
            continue
        meta, path = entry.split("\t", 1)
        if not path.startswith(skip):
            files[path] = meta.split()[1]
    sha256 = len(next(iter(files.values()), "0" * 40)) == 64  # the repository's object format
    for path in changed_paths(root, tuple(ignore), untracked="all"):
        if _derived(path):
            continue
        try:
            files[path] = _blob_id((root / path).read_bytes(), sha256=sha256)
        except FileNotFoundError:
            files[path] = "deleted"
        except OSError:
            files[path] = "unreadable"  # a directory or socket: never equal to content
    return files


def _blob_id(content: bytes, *, sha256: bool) -> str:
    """The id git gives this content as a blob, so a change that is then committed unchanged
    keeps its key (the index lists committed files by their blob id)."""
    h = hashlib.sha256() if sha256 else hashlib.sha1()  # noqa: S324 - git's object id
    h.update(b"blob %d\0" % len(content))
    h.update(content)
    return h.hexdigest()


def _derived(path: str) -> bool:
    """Bytecode the checks themselves write (where .gitignore does not say so): never an input."""
    return path.endswith((".pyc", ".pyo")) or "__pycache__/" in f"/{path}"


@cache
def _installed() -> str:
    """The distributions this interpreter can import, by name and version."""
    names: list[str] = []
    for entry in sys.path:
        if "-packages" not in entry:  # site-packages, dist-packages; not the project itself
            continue
        with contextlib.suppress(OSError):
            names += [p.name for p in Path(entry).iterdir() if p.suffix in _DIST_SUFFIXES]
    return _sha("\n".join(sorted(names)).encode())


def _program(program: str | None) -> dict[str, Any]:
    if program is None:
        return {"path": None}
    try:
        st = Path(program).stat()
    except OSError:
        return {"path": program}
    return {"path": program, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


@dataclass(frozen=True)
class GateCache:
    """Entries under `<artifacts_dir>/lanes/cache/gate-fast/<key>.json`."""

    directory: Path
    files: Mapping[str, str]
    stable: bool

    @classmethod
    def open(cls, config: Config, *, stable: bool) -> GateCache | None:
        """The cache for this tree, or None where inputs cannot be fingerprinted."""
        files = tree_fingerprint(config.root, (config.artifacts_dir,))
        if files is None:
            return None
        return cls(config.artifacts_path() / CACHE_DIR, files, stable)

    def key(self, check: CheckSpec, program: str | None) -> str:
        """Everything the check's result depends on, hashed."""
        files = self.files
        if check.inputs:
            files = {
                p: d for p, d in files.items() if any(fnmatch.fnmatch(p, g) for g in check.inputs)
            }
        inputs = _sha("".join(f"{p}\0{d}\n" for p, d in sorted(files.items())).encode())
        parts = {
            "check": asdict(check),
            "inputs": inputs,
            "program": _program(program),
            "python": sys.version,
            "executable": sys.executable,
            "installed": _installed(),
            "lane_tasks": __version__,
            "stable": self.stable,
        }
        return _sha(canonical_json(parts).encode())

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def get(self, key: str, check: CheckSpec) -> tuple[Result | None, str | None]:
        """(the cached result, None), (None, None) on a miss, or (None, warning) when an
        entry was corrupt and has been discarded."""
        path = self._path(key)
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None, None
        except OSError as exc:
            return None, f"gate fast cache: cannot read {path.name}: {exc}"
        result = _load(raw, key, check)
        if result is None:
            with contextlib.suppress(OSError):
                path.unlink()
            return None, f"gate fast cache: discarded a corrupt entry for '{check.id}' ({path})"
        return result, None

    def put(self, key: str, result: Result) -> None:
        if result.status not in _CACHED_STATUSES or result.extra.get("cached"):
            return
        body = {
            "key": key,
            "result": {
                "id": result.id,
                "status": result.status,
                "message": result.message,
                "owner": result.owner,
                "exit_code": result.exit_code,
                "excerpt": result.excerpt,
                "fix": result.fix,
                "duration_s": result.duration_s,
                "extra": dict(result.extra),
            },
        }
        entry = {**body, "sha256": _sha(canonical_json(body).encode())}
        atomic_write(self._path(key), canonical_json(entry))


def _load(raw: str, key: str, check: CheckSpec) -> Result | None:
    """A verified entry as a Result marked cached, or None when anything is off."""
    try:
        entry = json.loads(raw)
        body = {"key": entry["key"], "result": entry["result"]}
        if entry["sha256"] != _sha(canonical_json(body).encode()) or entry["key"] != key:
            return None
        r = entry["result"]
        if r["id"] != check.id or r["status"] not in _CACHED_STATUSES:
            return None
        extra = dict(r["extra"])
        extra["cached"] = True
        return Result(
            id=r["id"],
            status=r["status"],
            message=str(r["message"]),
            owner=r["owner"],
            exit_code=r["exit_code"],
            excerpt=str(r["excerpt"]),
            fix=r["fix"],
            duration_s=0.0,
            extra=extra,
        )
    except (ValueError, KeyError, TypeError):
        return None
