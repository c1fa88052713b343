"""gate release's check that the sdist is complete: a wheel built from it has the files of the
wheel built from the tree (what `pip install` of the sdist, and every downstream packager,
gets), and every tracked file under the package directories is in it, unless
[gate.release] sdist_exclude names it.

check-manifest judges the same question over every tracked file, with its own sdist build in
an isolated environment; here the sdist is the one gate release built, and the question is
scoped to what ships: the package directories the wheel provides.
"""

from __future__ import annotations

import fnmatch
import tarfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from lane_tasks.project.git import git
from lane_tasks.steps.base import StepContext
from lane_tasks.steps.checks import Check, Outcome
from lane_tasks.steps.release_dists import listed, run_tool
from lane_tasks.steps.release_install import importable
from lane_tasks.steps.release_plan import build_isolation

__all__ = ["SdistComplete", "package_sources", "wheel_difference"]


def wheel_difference(from_tree: list[str], from_sdist: list[str]) -> tuple[list[str], list[str]]:
    """(files only the tree's wheel has, files only the sdist's wheel has), by name."""
    a, b = set(from_tree), set(from_sdist)
    return sorted(a - b), sorted(b - a)


def package_sources(root: Path, wheel_names: list[str]) -> list[str]:
    """The tracked files (repository-relative) under the source directories of the packages
    and modules the wheel provides: `<name>/`, `src/<name>/`, `<name>.py`, `src/<name>.py`."""
    tops = dict.fromkeys(m.split(".")[0] for m in importable(wheel_names))
    wanted = []
    for top in tops:
        for base in ("", "src/"):
            if (root / base / top).is_dir():
                wanted.append(f"{base}{top}/")
            elif (root / base / f"{top}.py").is_file():
                wanted.append(f"{base}{top}.py")
    if not wanted:
        return []
    r = git(root, "ls-files", "-z", "--", *wanted)
    return sorted(p for p in r.stdout.split("\0") if p) if r.returncode == 0 else []


def _sdist_files(sdist: Path) -> tuple[str, set[str]]:
    """The sdist's top directory and the repository-relative paths of its regular files."""
    with tarfile.open(sdist) as tar:
        names = [m.name for m in tar.getmembers() if m.isfile()]
    top = PurePosixPath(names[0]).parts[0] if names else ""
    return top, {str(PurePosixPath(*PurePosixPath(n).parts[1:])) for n in names}


class SdistComplete(Check):
    """The sdist rebuilds the wheel: a wheel built from it has the same files as the one built
    from the tree, and it holds every tracked file under the package directories."""

    id = "sdist-complete"
    doing = "building a wheel from the sdist"
    family = "packaging"
    requires = ("build",)
    fix = (
        "include the missing files in the sdist (MANIFEST.in, or your backend's sdist include "
        "list), or list them in [gate.release] sdist_exclude when the sdist should not ship them"
    )

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        sdist, wheel = facts["dists"]
        top, in_sdist = _sdist_files(sdist)
        with zipfile.ZipFile(wheel) as whl:
            tree_names = whl.namelist()
        excluded = ctx.config.release.sdist_exclude
        left_out = [
            p
            for p in package_sources(ctx.root, tree_names)
            if p not in in_sdist and not any(fnmatch.fnmatch(p, g) for g in excluded)
        ]
        scratch: Path = facts["scratch"] / "sdist"
        with tarfile.open(sdist) as tar:
            tar.extractall(scratch, filter="data")
        out = facts["scratch"] / "wheel-from-sdist"
        args = ["build", "--wheel", "--outdir", str(out), *build_isolation(ctx, facts)]
        res = run_tool(ctx, self.id, [*args, str(scratch / top)], scratch / top)
        if isinstance(res, Outcome):
            return res
        if res.outcome != "exited" or res.exit_code != 0:
            said = res.output.strip().splitlines()[-1:] or [res.detail]
            return Outcome(
                "fail", f"the sdist does not build a wheel: {said[0]}", res.output[-4000:]
            )
        (rebuilt,) = sorted(out.glob("*.whl")) or [None]
        if rebuilt is None:
            return Outcome("fail", "the sdist's build made no wheel")
        with zipfile.ZipFile(rebuilt) as whl:
            only_tree, only_sdist = wheel_difference(tree_names, whl.namelist())
        problems = []
        if only_tree:
            problems.append(f"the wheel built from the sdist lacks {listed(only_tree)}")
        if only_sdist:
            problems.append(f"only the wheel built from the sdist has {listed(only_sdist)}")
        if left_out:
            problems.append(f"tracked but not in the sdist: {listed(left_out)}")
        if problems:
            return Outcome("fail", "; ".join(problems))
        return Outcome(
            "pass",
            f"the wheel built from {sdist.name} has the same {len(tree_names)} files; "
            "every tracked package file is in the sdist",
        )
