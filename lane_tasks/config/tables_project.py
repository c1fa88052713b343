"""[project] (directories of lane-tasks' own, apart from each other; the adoption point),
[runs], [nox] and [doctor]: the tables about where and how lane-tasks itself runs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from lane_tasks.catalog.checks import DOCTOR_CHECKS
from lane_tasks.config.reader import Reader, disabled, not_in_git_dir, require_inside
from lane_tasks.config.settings import (
    ARTIFACTS_DIR,
    NOX_BACKENDS,
    DoctorSettings,
    NoxSettings,
    ProjectSettings,
    RunsSettings,
)
from lane_tasks.errors import did_you_mean
from lane_tasks.project.git import fixed_rev_problem


def project_table(r: Reader, data: Mapping[str, Any]) -> ProjectSettings:
    """[project] without the keys that refer elsewhere (default_lane names a lane, the
    adoption point asks git): those are checked after every table, see parse_config."""
    project = r.table(data.get("project", {}), ["project"])
    r.known(project, ["project"])
    owners = r.str_list(project, ["project", "release_owners"])
    if "release_owners" in project and not owners:
        raise r.error(
            ["project", "release_owners"],
            "is empty: no release decision could ever be made; list who decides on releases "
            '(release_owners = ["you@example.org"])',
        )
    evidence_dir = rel_dir(r, project, "evidence_dir", "release-evidence")
    artifacts_dir = rel_dir(r, project, "artifacts_dir", ARTIFACTS_DIR)
    check_apart(r, project, evidence_dir, artifacts_dir)
    return ProjectSettings(
        release_owners=owners, evidence_dir=evidence_dir, artifacts_dir=artifacts_dir
    )


def default_lane(r: Reader, data: Mapping[str, Any], lanes: Mapping[str, object]) -> str | None:
    """[project] default_lane: one of the lanes."""
    value = r.str_(data.get("project", {}), ["project", "default_lane"], None)
    if value is not None and value not in lanes:
        raise r.error(
            ["project", "default_lane"], f"unknown lane '{value}'{did_you_mean(value, lanes)}"
        )
    return value


def runs_table(r: Reader, data: Mapping[str, Any]) -> RunsSettings:
    runs = r.table(data.get("runs", {}), ["runs"])
    r.known(runs, ["runs"])
    return RunsSettings(keep=r.int_(runs, ["runs", "keep"], 50, 1))


def nox_table(r: Reader, data: Mapping[str, Any]) -> NoxSettings:
    nox_t = r.table(data.get("nox", {}), ["nox"])
    r.known(nox_t, ["nox"])
    backend = r.str_(nox_t, ["nox", "backend"], "none") or "none"
    if backend not in NOX_BACKENDS:
        raise r.error(
            ["nox", "backend"],
            f"unknown backend '{backend}'{did_you_mean(backend, NOX_BACKENDS)}; "
            f"one of: {', '.join(NOX_BACKENDS)}",
        )
    python = r.str_(nox_t, ["nox", "python"], None)
    install = r.str_list(nox_t, ["nox", "install"]) if "install" in nox_t else ("lane-tasks",)
    prefix = r.str_(nox_t, ["nox", "session_prefix"], "") or ""
    if prefix and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", prefix):
        raise r.error(
            ["nox", "session_prefix"],
            f"'{prefix}' is not usable in a nox session name (letters, digits, '_', '.', '-')",
        )
    return NoxSettings(backend=backend, python=python, install=install, session_prefix=prefix)


def doctor_table(r: Reader, data: Mapping[str, Any]) -> DoctorSettings:
    doctor = r.table(data.get("doctor", {}), ["doctor"])
    r.known(doctor, ["doctor"])
    disable = disabled(r, doctor, ["doctor", "disable"], DOCTOR_CHECKS, "doctor")
    ci_files = r.str_list(doctor, ["doctor", "ci_files"])
    for pattern in ci_files:
        require_inside(r, ["doctor", "ci_files"], pattern)
    return DoctorSettings(disable=disable, ci_files=ci_files)


def rel_dir(r: Reader, table: Mapping[str, Any], key: str, default: str) -> str:
    """A directory of lane-tasks' own: inside the repository, below its root, not in .git."""
    value = r.str_(table, ["project", key], default) or default
    require_inside(r, ["project", key], value)
    rel = Path(value).as_posix()
    if rel == ".":
        raise r.error(
            ["project", key], "must be a directory below the repository root, not the root itself"
        )
    not_in_git_dir(r, ["project", key], rel)
    return rel


def check_apart(
    r: Reader, project: Mapping[str, Any], evidence_dir: str, artifacts_dir: str
) -> None:
    """The evidence is tracked and kept; the artifacts directory is ignored and pruned: the
    two must not overlap, or pruning deletes evidence and evidence is never committed."""
    evidence, artifacts = PurePosixPath(evidence_dir), PurePosixPath(artifacts_dir)
    if not (evidence.is_relative_to(artifacts) or artifacts.is_relative_to(evidence)):
        return
    key = (
        "evidence_dir"
        if "evidence_dir" in project or "artifacts_dir" not in project
        else ("artifacts_dir")
    )
    relation = "is" if evidence == artifacts else "overlaps"
    raise r.error(
        ["project", key],
        f"evidence_dir '{evidence_dir}' {relation} artifacts_dir '{artifacts_dir}': the "
        "evidence is tracked and kept, the artifacts directory is ignored and pruned; give "
        "them separate directories",
    )


def adoption_point(r: Reader, data: Mapping[str, Any], root: Path) -> str | None:
    """[project] adoption_point: a tag or a commit id, never a reference that moves (HEAD,
    a branch), which would move past every release tag and switch the release controls off."""
    value = r.str_(data.get("project", {}), ["project", "adoption_point"], None)
    if value is None:
        return None
    problem = fixed_rev_problem(root, value.strip())
    if problem:
        raise r.error(["project", "adoption_point"], problem)
    return value.strip()
