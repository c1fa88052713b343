"""The version a project would release: static in pyproject.toml, or asked of its build backend."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from email.parser import HeaderParser
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from lane_tasks.project.pyproject import read_pyproject

__all__ = [
    "BackendFailed",
    "BackendMissing",
    "ProjectVersion",
    "VersionProblem",
    "missing_requirements",
    "parse_version",
    "resolve_version",
]


class VersionProblem(Exception):
    """The version cannot be determined; the message says why."""


class BackendFailed(VersionProblem):
    """The build backend could not prepare the metadata the version is read from: a build or
    metadata error of the project (fixed in its packaging), not a problem of the version."""

    def __init__(self, backend: str, why: str, output: str) -> None:
        super().__init__(f"build backend '{backend}' failed to give metadata: {why}")
        self.backend = backend
        self.why = why
        self.output = output
        """Everything the backend printed (stdout and stderr), for an excerpt."""


class BackendMissing(VersionProblem):
    """This environment lacks what the build backend needs (`build-system.requires`), and the
    version may not be asked for in isolation (offline)."""

    def __init__(self, backend: str, missing: Sequence[str]) -> None:
        super().__init__(
            f"version is dynamic and build backend '{backend}' needs what is not installed "
            f"in {sys.executable}: {', '.join(missing)}"
        )
        self.missing = tuple(missing)


@dataclass(frozen=True)
class ProjectVersion:
    version: Version
    source: str
    """`static` or `dynamic, from <backend>`."""


def missing_requirements(requires: Sequence[str]) -> list[str]:
    """The `build-system.requires` entries this environment does not satisfy."""
    missing = []
    for raw in requires:
        try:
            req = Requirement(raw)
        except InvalidRequirement:
            missing.append(raw)
            continue
        if req.marker is not None and not req.marker.evaluate():
            continue
        try:
            installed = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            missing.append(raw)
            continue
        if req.specifier and not req.specifier.contains(installed, prereleases=True):
            missing.append(f"{raw} (installed: {installed})")
    return missing


def resolve_version(
    root: Path,
    data: dict[str, Any] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    isolated: bool = False,
) -> ProjectVersion:
    """Static `project.version`, or the backend's own metadata hook when it is dynamic.

    The hook runs in a subprocess with this interpreter when this environment has the
    backend's requirements (no isolated build env, so no network), which is how build frontends
    ask setuptools, hatchling, flit, pdm or poetry for metadata. When it lacks them, `isolated`
    asks the backend in an isolated build environment (pypa/build installs `requires` there, as
    the build itself does); without it the missing requirements are the problem. `env` is
    added to the hook's environment (a version a VCS plugin is told to pretend).
    """
    data = read_pyproject(root) if data is None else data
    project = data.get("project", {})
    if "version" in project:
        return ProjectVersion(parse_version(str(project["version"])), "static")
    if "version" not in project.get("dynamic", []):
        raise VersionProblem(
            "pyproject.toml has no project.version and does not list it in dynamic"
        )
    build = data.get("build-system", {})
    backend = build.get("build-backend", "setuptools.build_meta:__legacy__")
    requires = build.get("requires", ["setuptools"])
    missing = missing_requirements(requires if isinstance(requires, list) else [])
    if missing and not isolated:
        raise BackendMissing(backend, missing)
    output: list[str] = []
    extra = dict(env or {})

    def runner(
        cmd: Sequence[str], cwd: str | None = None, extra_environ: Mapping[str, str] | None = None
    ) -> None:
        full = {**os.environ, **(extra_environ or {}), **extra}
        proc = subprocess.run(cmd, cwd=cwd, env=full, capture_output=True, text=True, check=False)
        output.append(proc.stdout + proc.stderr)
        proc.check_returncode()

    if missing:
        return _isolated_version(root, backend, runner, output)
    from pyproject_hooks import BackendUnavailable, BuildBackendHookCaller

    caller = BuildBackendHookCaller(
        str(root),
        backend,
        backend_path=build.get("backend-path"),
        runner=runner,
        python_executable=sys.executable,
    )
    with tempfile.TemporaryDirectory(prefix="lane-tasks-meta-") as tmp:
        try:
            with _frontend_quiet(output):
                dist_info = caller.prepare_metadata_for_build_wheel(tmp)
        except BackendUnavailable:
            raise VersionProblem(
                f"version is dynamic and build backend '{backend}' is not installed in "
                f"{sys.executable}"
            ) from None
        except Exception:  # the backend's own error: report its last words, don't crash
            raise _failed(backend, output) from None
        meta = (Path(tmp) / dist_info / "METADATA").read_text(encoding="utf-8")
    raw = HeaderParser().parsestr(meta).get("Version")
    if not raw:
        raise VersionProblem(f"build backend '{backend}' produced metadata without a Version")
    return ProjectVersion(parse_version(raw), f"dynamic, from {backend}")


class _Kept(logging.Handler):
    """pypa/build's step lines ("Creating isolated environment…"), kept with the output."""

    def __init__(self, output: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.output = output

    def emit(self, record: logging.LogRecord) -> None:
        self.output.append(f"{record.getMessage()}\n")


@contextlib.contextmanager
def _frontend_quiet(output: list[str]) -> Iterator[None]:
    """Asking a backend prints nothing over lane-tasks' own lines: pypa/build logs its steps
    to the `build` logger (which nox's handler would print) and pyproject_hooks re-emits the
    backend's warnings (setuptools' pages of deprecations) in this process; both go to
    `output`, which a failure's message is made of, instead of the terminal."""
    logger = logging.getLogger("build")
    handler, propagate, level = _Kept(output), logger.propagate, logger.level
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)  # its lines (pip's error among them) are logged at INFO
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                yield
            finally:
                output.extend(
                    f"{w.filename}:{w.lineno}: {w.category.__name__}: {w.message}\n" for w in caught
                )
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
        logger.setLevel(level)


def _failed(backend: str, output: list[str]) -> BackendFailed:
    said = "".join(output)
    lines = [ln.strip() for ln in said.splitlines() if ln.strip()]
    return BackendFailed(backend, lines[-1] if lines else "no output", said)


def _isolated_version(
    root: Path, backend: str, runner: Callable[..., None], output: list[str]
) -> ProjectVersion:
    """The version from metadata prepared in an isolated build environment (pypa/build)."""
    try:
        import build.util
    except ImportError:
        raise VersionProblem(
            f"version is dynamic and build backend '{backend}' is not installed here, and "
            'neither is `build` to ask it in isolation (pip install "lane-tasks[release]")'
        ) from None
    try:
        with _frontend_quiet(output):
            meta = build.util.project_wheel_metadata(root, isolated=True, runner=runner)
    except (build.BuildException, build.BuildBackendException, subprocess.CalledProcessError):
        raise _failed(backend, output) from None
    except OSError as exc:
        raise BackendFailed(backend, str(exc), "".join(output)) from None
    raw = meta.get_all("Version", [None])[0]
    if not raw:
        raise VersionProblem(f"build backend '{backend}' produced metadata without a Version")
    return ProjectVersion(parse_version(raw), f"dynamic, from {backend} in isolation")


def parse_version(raw: str) -> Version:
    """PEP 440 or VersionProblem."""
    try:
        return Version(raw)
    except InvalidVersion:
        raise VersionProblem(f"'{raw}' is not a valid PEP 440 version") from None
