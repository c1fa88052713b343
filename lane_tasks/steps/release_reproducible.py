"""gate release's reproducibility check: the committed tree built a second time, with the same
SOURCE_DATE_EPOCH (the commit's time), must give byte-identical distributions; where it does
not, the files inside that differ are named, so the cause (a timestamp or a path written into
a module, an unordered file list) can be found.

On by default in a lane whose controls include `reproducible-build` (the regulated lane),
opt-in elsewhere with [gate.release] reproducible = true; `false` turns it off even there, and
that lane's control then fails on the missing evidence.
"""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path
from typing import Any

from lane_tasks.evidence.artifacts import sha256_file
from lane_tasks.steps.base import StepContext
from lane_tasks.steps.checks import Check, Outcome
from lane_tasks.steps.release_dists import build_dists, listed

__all__ = ["CONTROL", "Reproducible", "archive_difference", "asked"]

CONTROL = "reproducible-build"
"""The control whose lanes ask for this check by default."""


def asked(ctx: StepContext) -> tuple[bool, str]:
    """Whether this preflight rebuilds to compare, and why (or why not)."""
    setting = ctx.config.release.reproducible
    if setting is not None:
        return setting, f"[gate.release] reproducible = {str(setting).lower()}"
    if ctx.lane is not None and CONTROL in ctx.config.resolve(ctx.lane).control_ids():
        return True, f"lane {ctx.lane} has the {CONTROL} control"
    return False, "set [gate.release] reproducible = true to rebuild and compare"


def _members(path: Path) -> dict[str, bytes]:
    """An archive's regular files by name, with their bytes."""
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as z:
            return {i.filename: z.read(i) for i in z.infolist() if not i.is_dir()}
    with tarfile.open(path) as t:
        out = {}
        for m in t.getmembers():
            f = t.extractfile(m) if m.isfile() else None
            if f is not None:
                out[m.name] = f.read()
        return out


def archive_difference(a: Path, b: Path) -> list[str]:
    """The files whose presence or bytes differ between two archives of the same kind."""
    ma, mb = _members(a), _members(b)
    return sorted(n for n in ma.keys() | mb.keys() if ma.get(n) != mb.get(n))


class Reproducible(Check):
    """A second build of the committed tree with the same SOURCE_DATE_EPOCH gives the same
    sha256 for the sdist and the wheel."""

    id = "reproducible"
    doing = "building again to compare"
    family = "packaging"
    requires = ("build",)
    fix = (
        "make the build deterministic: no build time, random value or absolute path written "
        "into a file; archive timestamps come from SOURCE_DATE_EPOCH"
    )

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        wanted, why = asked(ctx)
        if not wanted:
            return Outcome("skip", f"not asked for: {why}")
        out: Path = facts["scratch"] / "rebuild"
        res = build_dists(ctx, self.id, out, facts)
        if isinstance(res, Outcome):
            return res
        if res.outcome != "exited" or res.exit_code != 0:
            return Outcome("fail", "the second build failed", res.output[-4000:])
        problems = []
        for first in facts["dists"]:
            second = out / first.name
            if not second.is_file():
                problems.append(f"the second build made no {first.name}")
                continue
            if sha256_file(first) == sha256_file(second):
                continue
            differ = archive_difference(first, second)
            if differ:
                problems.append(f"{first.name} differs in {listed(differ)}")
            else:
                problems.append(
                    f"{first.name} differs only in archive times or order, not in any file "
                    "inside (the build backend stamps the build time over SOURCE_DATE_EPOCH)"
                )
        if problems:
            return Outcome("fail", "two builds differ: " + "; ".join(problems))
        digests = ", ".join(f"{d['name']} {d['sha256'][:12]}" for d in facts["dist_digests"])
        return Outcome("pass", f"two builds gave identical files ({why}): {digests}")
