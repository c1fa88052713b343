"""The gate fast cache: a check whose inputs have not changed is answered from its last result.

What a check's key covers (any change re-runs the check):

- files: the work tree, its submodules and the editable installs outside it, or only the
  files the check's `inputs` globs name (see gate_cache_tree for the rules).
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

Entries are authenticated: HMAC-SHA256 under a random per-user secret (gate_cache_secret),
so an entry edited, or copied from another machine or user, does not verify and is discarded
with a warning; the check then runs. Without a usable secret (an unwritable home) the cache
is off, with one warning. Only results of checks that ran to completion (pass or fail) are
kept: a timeout, a missing tool or a cancellation is never replayed. A cached failure stays
a failure.
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import hashlib
import hmac
import json
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from lane_tasks import __version__
from lane_tasks.config import CheckSpec, Config, key_lines, key_name
from lane_tasks.errors import ConfigError
from lane_tasks.evidence.artifacts import (
    Result,
    atomic_write,
    canonical_json,
    read_text_regular,
)
from lane_tasks.steps.gate_cache_secret import load_secret, secret_path
from lane_tasks.steps.gate_cache_tree import editable_fingerprints, sha_hex, tree_fingerprint

__all__ = ["CACHE_DIR", "ENV_DEFAULTS", "VOLATILE", "GateCache"]

CACHE_DIR = "lanes/cache/gate-fast"
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


VOLATILE = ("PYTEST_CURRENT_TEST",)
"""Names a default pattern matches that say only where their setter is (pytest's current test
and phase), not how a tool behaves: no key covers them unless a check declares them."""


def _env_names(check: CheckSpec) -> tuple[str, ...]:
    return (*ENV_DEFAULTS, *check.env, *check.input_env)


def _env_digest(check: CheckSpec, env: Mapping[str, str]) -> dict[str, str | None]:
    """The variables of the check's environment its key covers, each value hashed; a name
    listed exactly but unset counts as unset."""
    patterns = _env_names(check)
    declared = (*check.env, *check.input_env)
    keyed: dict[str, str | None] = {
        n: sha_hex(v.encode("utf-8", "surrogateescape"))
        for n, v in env.items()
        if any(fnmatch.fnmatchcase(n, p) for p in patterns)
        and (n not in VOLATILE or any(fnmatch.fnmatchcase(n, p) for p in declared))
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
    return sha_hex("\n".join(sorted(names)).encode())


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
            secret = load_secret(path)
        except (OSError, ValueError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            return None, f"gate fast cache: off: cannot use its key {path}: {why}"
        return (
            cls(directory, files, editable_fingerprints(config.root), stable, secret, config.path),
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
        inputs = sha_hex("".join(f"{p}\0{d}\n" for p, d in sorted(files.items())).encode())
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
        if result.status not in _CACHED_STATUSES or result.cached:
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
                "extra": {**result.protocol_fields(), **result.extra},
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
            typed, extra = Result.split_fields(r["extra"])
            typed["cached"] = True
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
                **typed,
            ), ""
        except (ValueError, KeyError, TypeError):
            return None, "a corrupt entry"
