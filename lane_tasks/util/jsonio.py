"""Bytes on disk: canonical JSON, atomic writes, and reads that refuse what is not a regular file.

Low (stdlib only): the artifact envelope, the run store, the lease and the repository helpers
all write through these, so none of them needs the others to write a file safely.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import secrets
import stat
from pathlib import Path
from typing import Any, BinaryIO

__all__ = [
    "atomic_write",
    "canonical_json",
    "encodable",
    "open_regular",
    "read_text_regular",
    "sha256_file",
]


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


def _open_regular_fd(path: str | os.PathLike[str]) -> int:
    """The descriptor of `path` opened for reading when it is a regular file (see
    open_regular), else OSError."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        os.close(fd)
        raise
    if not stat.S_ISREG(mode):
        os.close(fd)
        code = errno.EISDIR if stat.S_ISDIR(mode) else errno.EINVAL
        raise OSError(
            code, "not a regular file" if code == errno.EINVAL else "Is a directory", str(path)
        )
    return fd


def open_regular(path: Path) -> BinaryIO:
    """`path` opened for reading when it is a regular file, else OSError (EINVAL for a FIFO,
    a socket or a device). Opened without blocking, so a FIFO planted where one of our files
    should be is refused at once instead of waiting for a writer forever."""
    return os.fdopen(_open_regular_fd(path), "rb")


def read_text_regular(path: Path) -> str:
    """A regular file's UTF-8 text (see open_regular): OSError or UnicodeDecodeError."""
    with open_regular(path) as fh:
        return fh.read().decode("utf-8")


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The sha256 of a regular file (else OSError, as open_regular). Read through the bare
    descriptor, not a buffered file object: verify hashes thousands of small files, and the
    file object's set-up was most of the time of each."""
    h = hashlib.sha256()
    fd = _open_regular_fd(path)
    try:
        while chunk := os.read(fd, 1 << 16):
            h.update(chunk)
    finally:
        os.close(fd)
    return h.hexdigest()
