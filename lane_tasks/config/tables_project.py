"""[project]: directories of lane-tasks' own, apart from each other; the adoption point."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from lane_tasks.config.reader import Reader, not_in_git_dir, require_inside
from lane_tasks.project.git import fixed_rev_problem


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


def adoption_point(r: Reader, project: Mapping[str, Any], root: Path) -> str | None:
    """[project] adoption_point: a tag or a commit id, never a reference that moves (HEAD,
    a branch), which would move past every release tag and switch the release controls off."""
    value = r.str_(project, ["project", "adoption_point"], None)
    if value is None:
        return None
    problem = fixed_rev_problem(root, value.strip())
    if problem:
        raise r.error(["project", "adoption_point"], problem)
    return value.strip()
