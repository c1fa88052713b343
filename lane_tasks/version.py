"""The version a project would release: static in pyproject.toml, or asked of its build backend."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from lane_tasks.pyproject import read_pyproject

__all__ = [
    "BackendFailed",
    "ProjectVersion",
    "VersionProblem",
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


@dataclass(frozen=True)
class ProjectVersion:
    version: Version
    source: str
    """`static` or `dynamic, from <backend>`."""


def resolve_version(
    root: Path, data: dict[str, Any] | None = None, *, env: Mapping[str, str] | None = None
) -> ProjectVersion:
    """Static `project.version`, or the backend's own metadata hook when it is dynamic.

    The hook runs in a subprocess with this interpreter (no isolated build env, so no network),
    which is how build frontends ask setuptools, hatchling, flit, pdm or poetry for metadata;
    `env` is added to its environment (a version a VCS plugin is told to pretend).
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
    from pyproject_hooks import BackendUnavailable, BuildBackendHookCaller

    output: list[str] = []
    extra = env

    def runner(
        cmd: Sequence[str], cwd: str | None = None, extra_environ: Mapping[str, str] | None = None
    ) -> None:
        env = {**os.environ, **(extra_environ or {}), **(extra or {})}
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
        output.append(proc.stdout + proc.stderr)
        proc.check_returncode()

    caller = BuildBackendHookCaller(
        str(root),
        backend,
        backend_path=build.get("backend-path"),
        runner=runner,
        python_executable=sys.executable,
    )
    with tempfile.TemporaryDirectory(prefix="lane-tasks-meta-") as tmp:
        try:
            dist_info = caller.prepare_metadata_for_build_wheel(tmp)
        except BackendUnavailable:
            raise VersionProblem(
                f"version is dynamic and build backend '{backend}' is not installed in "
                f"{sys.executable}"
            ) from None
        except Exception:  # the backend's own error: report its last words, don't crash
            said = "".join(output)
            lines = [ln.strip() for ln in said.splitlines() if ln.strip()]
            raise BackendFailed(backend, lines[-1] if lines else "no output", said) from None
        meta = (Path(tmp) / dist_info / "METADATA").read_text(encoding="utf-8")
    raw = HeaderParser().parsestr(meta).get("Version")
    if not raw:
        raise VersionProblem(f"build backend '{backend}' produced metadata without a Version")
    return ProjectVersion(parse_version(raw), f"dynamic, from {backend}")


def parse_version(raw: str) -> Version:
    """PEP 440 or VersionProblem."""
    try:
        return Version(raw)
    except InvalidVersion:
        raise VersionProblem(f"'{raw}' is not a valid PEP 440 version") from None
