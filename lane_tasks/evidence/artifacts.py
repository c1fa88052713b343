"""The artifact envelope, canonical JSON, atomic writes and schema validation.

Every artifact has the same top level (DESIGN.md). Stable mode drops the `run` block and every
duration so the same inputs give the same bytes; failure excerpts stay.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import secrets
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, BinaryIO

import fastjsonschema

from lane_tasks import __version__
from lane_tasks.errors import EnvironmentProblem
from lane_tasks.util.redact import scrub

__all__ = [
    "SCHEMA_VERSION",
    "Result",
    "RunInfo",
    "atomic_write",
    "canonical_json",
    "encodable",
    "envelope",
    "is_warning",
    "locked_file",
    "open_regular",
    "read_artifact",
    "read_text_regular",
    "schema_errors",
    "sha256_file",
    "summarize",
]

SCHEMA_VERSION = "1.0"
STATUSES = ("pass", "fail", "error", "skip")


@dataclass(frozen=True)
class Result:
    """One line of an artifact: a check, a control or a step outcome."""

    id: str
    status: str
    message: str = ""
    owner: str | None = None
    exit_code: int | None = None
    excerpt: str = ""
    fix: str | None = None
    duration_s: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Kind-specific fields (severity, cmd, evidence, cached …), merged into the JSON object."""

    def to_json(self, *, stable: bool) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "message": scrub(self.message),
            "owner": self.owner,
            "exit_code": self.exit_code,
            "excerpt": scrub(self.excerpt),
            "fix": self.fix,
        }
        if not stable and self.duration_s is not None:
            d["duration_s"] = round(self.duration_s, 3)
        d.update(self.extra)
        return d


@dataclass(frozen=True)
class RunInfo:
    """The non-reproducible part of an artifact; absent in stable mode."""

    id: str | None
    started_at: str
    duration_s: float


def is_warning(status: object, severity: object) -> bool:
    """A failed or errored result whose severity is not `error` (doctor's `warning` checks):
    it is shown as WARN and counted as `warn`, never as a failure. Its status stays what the
    check found, so every reader that asks "did it fail, and does that block?" keeps working."""
    return status in ("fail", "error") and severity not in (None, "error")


def summarize(results: Iterable[Result]) -> dict[str, int]:
    """Counts by status. The non-blocking problems are counted as `warn` instead of `fail` /
    `error`, a key present only when there are some (additive: a summary without it reads as
    before); the counts always add up to the number of results."""
    counts = dict.fromkeys(STATUSES, 0)
    for r in results:
        status = "warn" if is_warning(r.status, r.extra.get("severity")) else r.status
        counts[status] = counts.get(status, 0) + 1
    return counts


def envelope(
    *,
    kind: str,
    step: str,
    lane: str | None,
    subject: Mapping[str, Any],
    status: str,
    results: Iterable[Result],
    stable: bool,
    run: RunInfo | None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the common top level. `kind` names the schema (`lane-tasks/<kind>`)."""
    rs = list(results)
    doc: dict[str, Any] = {
        "schema": f"lane-tasks/{kind}",
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "lane-tasks", "version": __version__},
        "lane": lane,
        "step": step,
        "subject": dict(subject),
        "status": status,
        "summary": summarize(rs),
        "results": [r.to_json(stable=stable) for r in rs],
    }
    if extra:
        doc.update(extra)
    if not stable and run is not None:
        doc["run"] = {
            "id": run.id,
            "started_at": run.started_at,
            "duration_s": round(run.duration_s, 3),
        }
    return doc


def canonical_json(doc: Any) -> str:
    """Sorted keys, 2-space indent, trailing newline: the same document gives the same bytes."""
    return json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def encodable(text: str) -> bool:
    """Whether `text` is real Unicode text: JSON's lone-surrogate escapes (`\\ud800`) decode
    to strings that no file name, git argument or SQLite column can hold."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write via a temp file in the same directory, fsync, rename: never half-written.

    The result has the mode a plain write would give: an existing file keeps its own (an
    executable noxfile stays executable, a 0644 .gitignore stays 0644), a new one gets the
    umask's (0666 & ~umask, applied by the OS when the temp file is created)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            old: os.stat_result | None = path.stat()
        except FileNotFoundError:
            old = None
        fd, tmp = _create_temp(path)
    except OSError as exc:
        raise _naming(exc, path) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            if old is not None:
                _keep_mode(fh.fileno(), tmp, old)
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise _naming(exc, path) from None
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable where the OS allows
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def _naming(exc: OSError, path: Path) -> OSError:
    """The same error (its errno and class) naming the file being written, not our temporary
    one or none at all (a write on a full disk names no file)."""
    if exc.errno is None:
        return exc
    if exc.filename is not None and Path(exc.filename).parent != path.parent:
        return exc  # a directory on the way (ENOTDIR, EACCES): that is the path to name
    return OSError(exc.errno, exc.strerror or os.strerror(exc.errno), str(path))


def _create_temp(path: Path) -> tuple[int, Path]:
    """A new, exclusively created `.<name>.<random>.tmp` beside `path`, mode 0666 & ~umask
    (mkstemp would always give 0600)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def _keep_mode(fd: int, tmp: Path, old: os.stat_result) -> None:
    """Give the temp file the replaced file's permission bits (and group, where allowed)."""
    if hasattr(os, "fchown"):
        with contextlib.suppress(OSError):  # another group is the owner's to choose, not ours
            os.fchown(fd, -1, old.st_gid)
    mode = stat.S_IMODE(old.st_mode)
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:  # Windows before 3.13: only the read-only bit exists
        tmp.chmod(mode)


def open_regular(path: Path) -> BinaryIO:
    """`path` opened for reading when it is a regular file, else OSError (EINVAL for a FIFO,
    a socket or a device). Opened without blocking, so a FIFO planted where one of our files
    should be is refused at once instead of waiting for a writer forever."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0))
    fh = os.fdopen(fd, "rb")
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        fh.close()
        code = errno.EISDIR if stat.S_ISDIR(mode) else errno.EINVAL
        raise OSError(
            code, "not a regular file" if code == errno.EINVAL else "Is a directory", str(path)
        )
    return fh


@contextlib.contextmanager
def locked_file(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created as a regular file) while the body runs. A
    FIFO, a directory or anything else planted there is refused at once (EnvironmentProblem,
    exit 3, naming it) instead of blocking the open until a reader appears."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        raise EnvironmentProblem(f"{path}: {exc.strerror or exc}") from None
    import fcntl  # POSIX only: imported here so Windows reaches cli.main's one-line refusal

    with os.fdopen(fd, "a") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise EnvironmentProblem(f"{path}: not a regular file (remove it)")
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def read_text_regular(path: Path) -> str:
    """A regular file's UTF-8 text (see open_regular): OSError or UnicodeDecodeError."""
    with open_regular(path) as fh:
        return fh.read().decode("utf-8")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open_regular(path) as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def schema_path(kind: str) -> Path:
    """The shipped JSON Schema file for an artifact kind at the current schema version."""
    ref = resources.files("lane_tasks") / "schemas" / f"{kind}-{SCHEMA_VERSION}.json"
    return Path(str(ref))


@cache
def _validator(kind: str) -> Callable[[Any], Any]:
    schema = json.loads(schema_path(kind).read_text(encoding="utf-8"))
    return fastjsonschema.compile(schema)


def schema_errors(doc: Any) -> str | None:
    """Validate an artifact against the schema its `schema` field names; the error or None."""
    if not isinstance(doc, dict) or not isinstance(doc.get("schema"), str):
        return "not a lane-tasks artifact (no 'schema' field)"
    name = doc["schema"]
    if not name.startswith("lane-tasks/"):
        return f"unknown schema '{name}'"
    kind = name.removeprefix("lane-tasks/")
    if not schema_path(kind).is_file():
        return f"unknown schema '{name}'"
    if doc.get("schema_version") != SCHEMA_VERSION:
        return f"schema_version {doc.get('schema_version')!r} is not {SCHEMA_VERSION!r}"
    try:
        _validator(kind)(doc)
    except fastjsonschema.JsonSchemaValueException as exc:
        return f"{name}: {exc.message}"
    return None


def read_artifact(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """Load and validate an artifact: (document, None) or (None or document, problem)."""
    try:
        doc = json.loads(read_text_regular(path))
    except FileNotFoundError:
        return None, f"{path}: missing"
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        return None, f"{path}: not valid JSON ({exc})"
    problem = schema_errors(doc)
    if problem:
        return (doc if isinstance(doc, dict) else None), f"{path}: {problem}"
    return doc, None
