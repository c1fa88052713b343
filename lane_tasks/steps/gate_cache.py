"""The gate fast cache: a check whose inputs have not changed is answered from its last result.

What a check's key covers (any change re-runs the check):

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
- environment: the value (hashed) of every variable of the check's environment named in
  `ENV_DEFAULTS`, in the check's `env` table or its `input_env` list.
- the check's lanes.toml entry, the program it runs (resolved path, size and mtime), the
  distributions installed for this interpreter, the Python and lane-tasks versions, and
  whether the excerpt is stable.

Not covered: files outside the project directory other than editable installs and the
program (user config such as `~/.config/ruff`, the targets of symlinks that point outside,
system libraries, data a test downloads), network state, time, and variables outside those
lists: name them in `input_env`, or use `--no-cache`. An `inputs` glob that matches no
fingerprinted file is a config error, not a key that never changes.

Entries are authenticated: HMAC-SHA256 under a random per-user secret kept in the user cache
directory (`gate-cache.key`), never in the artifacts directory, so an entry edited, or
copied from another machine or user (a restored CI cache, a copied build directory), does
not verify and is discarded with a warning; the check then runs. Without a usable secret
(an unwritable home) the cache is off, with one warning. Only results of checks that ran to
completion (pass or fail) are kept: a timeout, a missing tool or a cancellation is never
replayed. A cached failure stays a failure.
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import hashlib
import hmac
import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from lane_tasks import __version__
from lane_tasks.config import CheckSpec, Config, key_lines, key_name
from lane_tasks.errors import ConfigError
from lane_tasks.evidence.artifacts import (
    Result,
    atomic_write,
    canonical_json,
    open_regular,
    read_text_regular,
)
from lane_tasks.project.git import changed_paths, git

__all__ = [
    "CACHE_DIR",
    "ENV_DEFAULTS",
    "KEY_FILE",
    "GateCache",
    "secret_path",
    "tree_fingerprint",
    "user_cache_dir",
]

CACHE_DIR = "lanes/cache/gate-fast"
KEY_FILE = "gate-cache.key"
_KEY_BYTES = 32
_CACHED_STATUSES = ("pass", "fail")
_DIST_SUFFIXES = (".dist-info", ".egg-info", ".egg-link", ".pth")

ENV_DEFAULTS = (
    "PATH",
    "HOME",
    "XDG_CONFIG_HOME",
    "VIRTUAL_ENV",
    "CONDA_PREFIX",
    "PYTHON*",
    "PYTEST_*",
    "PY_COLORS",
    "RUFF_*",
    "MYPY*",
    "COVERAGE_*",
    "HYPOTHESIS_*",
    "PIP_*",
    "UV_*",
    "SETUPTOOLS_*",
    "SOURCE_DATE_EPOCH",
    "LANG",
    "LC_*",
    "TZ",
    "LD_LIBRARY_PATH",
    "LD_PRELOAD",
    "DYLD_*",
    "CI",
    "NO_COLOR",
    "FORCE_COLOR",
)
"""Variables known to change what Python, its packaging and its usual tools (pytest, ruff,
mypy, coverage, hypothesis, pip, uv) do: always part of a check's key, as Turborepo's
framework inference and Bazel's --action_env do for theirs."""

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


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- the per-user secret ------------------------------------------------------------------


def user_cache_dir() -> Path:
    """The user cache directory: $XDG_CACHE_HOME (when absolute, on every platform), else
    ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows, ~/.cache elsewhere (as platformdirs
    resolves them)."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg)
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches"
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"])
    return Path.home() / ".cache"


def secret_path() -> Path:
    return user_cache_dir() / "lane-tasks" / KEY_FILE


def _secret(path: Path) -> bytes:
    """This user's cache secret, created on first use: random bytes in a 0600 file, written
    to a temp file and linked into place (O_EXCL semantics, so two first runs agree on one
    secret and none reads a half-written one). Raises OSError or ValueError."""
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(os.urandom(_KEY_BYTES))
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):  # another run made it first: use theirs
            os.link(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return _read_secret(path)


def _read_secret(path: Path) -> bytes:
    with open_regular(path) as fh:  # a FIFO put in its place is refused, never waited on
        st = os.fstat(fh.fileno())
        if os.name == "posix" and (st.st_mode & 0o077 or st.st_uid != os.geteuid()):
            raise ValueError("others can read or write it (it must be yours, mode 0600)")
        data = fh.read(_KEY_BYTES + 1)
    if len(data) != _KEY_BYTES:
        raise ValueError(f"holds {len(data)} bytes, not {_KEY_BYTES}")
    return data


# -- what a check reads --------------------------------------------------------------------


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
            files[path] = "submodule " + _sha(canonical_json(sub).encode())
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


def _editables(root: Path) -> dict[str, str]:
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
            return "git " + _sha(canonical_json(tree).encode())
    walked = _walk(src, ".")
    if src in project.parents:
        within = project.relative_to(src).as_posix() + "/"
        walked = {p: d for p, d in walked.items() if not p.startswith(within)}
    return "files " + _sha(canonical_json(walked).encode())


def _env_names(check: CheckSpec) -> tuple[str, ...]:
    return (*ENV_DEFAULTS, *check.env, *check.input_env)


def _env_digest(check: CheckSpec, env: Mapping[str, str]) -> dict[str, str | None]:
    """The variables of the check's environment its key covers, each value hashed; a name
    listed exactly but unset counts as unset."""
    patterns = _env_names(check)
    keyed: dict[str, str | None] = {
        n: _sha(v.encode("utf-8", "surrogateescape"))
        for n, v in env.items()
        if any(fnmatch.fnmatchcase(n, p) for p in patterns)
    }
    for name in patterns:
        if not any(c in name for c in "*?[") and name not in keyed:
            keyed[name] = None
    return dict(sorted(keyed.items()))


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


# -- the cache -------------------------------------------------------------------------------


@dataclass(frozen=True)
class GateCache:
    """Entries under `<artifacts_dir>/lanes/cache/gate-fast/<key>.json`, each authenticated
    with this user's secret."""

    directory: Path
    files: Mapping[str, str]
    editables: Mapping[str, str]
    stable: bool
    secret: bytes
    config_path: Path

    @classmethod
    def open(cls, config: Config, *, stable: bool) -> tuple[GateCache | None, str | None]:
        """(the cache for this tree, None), or (None, why) where there is none: no git work
        tree (no warning), or no usable secret (the cache is off, with this warning)."""
        directory = config.artifacts_path() / CACHE_DIR
        path = secret_path()
        if config.root.resolve() in path.resolve().parents:
            return None, (
                f"gate fast cache: off: its key {path} would be inside the project, which a "
                "copied or restored tree carries; set XDG_CACHE_HOME outside it"
            )
        files = tree_fingerprint(config.root, (config.artifacts_dir,))
        if files is None:
            return None, None
        try:
            secret = _secret(path)
        except (OSError, ValueError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            return None, f"gate fast cache: off: cannot use its key {path}: {why}"
        return (
            cls(directory, files, _editables(config.root), stable, secret, config.path),
            None,
        )

    def _mac(self, data: bytes) -> str:
        return hmac.new(self.secret, data, hashlib.sha256).hexdigest()

    def key(self, check: CheckSpec, program: str | None, env: Mapping[str, str]) -> str:
        """Everything the check's result depends on, hashed with this user's secret (so a
        key says nothing about the values hashed into it). Raises ConfigError for an
        `inputs` glob that matches no file."""
        files = self.files
        if check.inputs:
            files = {}
            for glob in check.inputs:
                matched = {p: d for p, d in self.files.items() if fnmatch.fnmatch(p, glob)}
                if not matched:
                    key = ["gate", "fast", "checks", check.id, "inputs"]
                    raise ConfigError(
                        f"'{glob}' matches no file the cache can fingerprint (a typo? the "
                        "check's key would never change and a stale result would be replayed)",
                        path=self.config_path,
                        line=key_lines(self.config_path)(key),
                        key=key_name(self.config_path, key),
                    )
                files.update(matched)
        inputs = _sha("".join(f"{p}\0{d}\n" for p, d in sorted(files.items())).encode())
        parts = {
            "check": asdict(check),
            "inputs": inputs,
            "editables": dict(self.editables),
            "env": _env_digest(check, env),
            "program": _program(program),
            "python": sys.version,
            "executable": sys.executable,
            "installed": _installed(),
            "lane_tasks": __version__,
            "stable": self.stable,
        }
        return self._mac(canonical_json(parts).encode())

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def get(self, key: str, check: CheckSpec) -> tuple[Result | None, str | None]:
        """(the cached result, None), (None, None) on a miss, or (None, warning) when an
        entry was corrupt or did not authenticate and has been discarded."""
        path = self._path(key)
        raw: str | None
        try:
            raw = read_text_regular(path)
        except FileNotFoundError:
            return None, None
        except UnicodeDecodeError:
            raw = None
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, errno.EISDIR):
                return None, f"gate fast cache: cannot read {path}: {exc.strerror or exc}"
            raw = None  # a FIFO or a directory planted as an entry: corrupt, discarded
        result, problem = (None, "a corrupt entry") if raw is None else self._load(raw, key, check)
        if result is None:
            with contextlib.suppress(OSError):
                path.unlink()
            return None, f"gate fast cache: discarded {problem} for '{check.id}' ({path})"
        return result, None

    def put(self, key: str, result: Result) -> str | None:
        """Keep a finished check's result; a warning (never an error) when it cannot be kept."""
        if result.status not in _CACHED_STATUSES or result.extra.get("cached"):
            return None
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
        entry = {**body, "hmac_sha256": self._mac(canonical_json(body).encode())}
        try:
            atomic_write(self._path(key), canonical_json(entry))
        except OSError as exc:
            return f"gate fast cache: cannot keep the result of '{result.id}': {exc}"
        return None

    def _load(self, raw: str, key: str, check: CheckSpec) -> tuple[Result | None, str]:
        """An authenticated entry as a Result marked cached, or (None, what was wrong)."""
        try:
            entry = json.loads(raw)
            body = {"key": entry["key"], "result": entry["result"]}
            mac = entry["hmac_sha256"]
            expected = self._mac(canonical_json(body).encode())
            if not isinstance(mac, str):
                return None, "a corrupt entry"
        except (ValueError, KeyError, TypeError, RecursionError):
            return None, "a corrupt entry"
        if not hmac.compare_digest(mac.encode("utf-8", "replace"), expected.encode()):
            return None, "an entry this user's cache key does not authenticate (edited or copied)"
        try:
            r = entry["result"]
            if entry["key"] != key or r["id"] != check.id or r["status"] not in _CACHED_STATUSES:
                return None, "a corrupt entry"
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
            ), ""
        except (ValueError, KeyError, TypeError):
            return None, "a corrupt entry"
