"""gate release: can this commit be cut as version X, and if not, exactly why not.

Beyond "a version string and a changelog heading exist": the version must be new (greater than
every release tag, not tagged on another commit), the tree clean, the sdist and wheel must build
from the committed tree (a git worktree of HEAD, so untracked files cannot leak into a release),
carry the right name and version, render on the package index (`twine check --strict`) and hold
a sane file list (`check-wheel-contents`), and gate fast must have passed on this same commit.

This module is the step: it settles the plan (release_plan), runs the checks in report order
under the lock two lanes share, and says what the artifact records of the candidate. The
checks themselves live in release_checks (what the repository says) and release_dists (what
the built files say).
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lane_tasks import console
from lane_tasks.catalog.checks import RELEASE_CHECKS
from lane_tasks.catalog.layout import GATE_RELEASE_LOCK
from lane_tasks.steps.base import StepContext, StepOutcome, register
from lane_tasks.steps.checks import CheckRegistry, verdict
from lane_tasks.steps.release_checks import (
    Changelog,
    CleanTree,
    GateFastEvidence,
    Metadata,
    VersionCheck,
)
from lane_tasks.steps.release_dists import Build, DistMetadata, WheelContents
from lane_tasks.steps.release_install import InstalledWheel, Smoke
from lane_tasks.steps.release_plan import plan
from lane_tasks.steps.release_reproducible import Reproducible
from lane_tasks.steps.release_sbom import Sbom
from lane_tasks.steps.release_sdist import SdistComplete
from lane_tasks.util.locks import exclusive_lock

__all__ = ["CHECKS", "RELEASE", "run"]

RELEASE = CheckRegistry(RELEASE_CHECKS)
CHECKS = RELEASE.checks

# registration order is report order (and `requires` names only checks registered before)
for _check in (
    Metadata,
    VersionCheck,
    Changelog,
    CleanTree,
    Build,
    DistMetadata,
    WheelContents,
    SdistComplete,
    Reproducible,
    InstalledWheel,
    Smoke,
    Sbom,
    GateFastEvidence,
):
    RELEASE.register(_check)


@contextlib.contextmanager
def _one_at_a_time(ctx: StepContext) -> Iterator[None]:
    """Two lanes at once on one repository share `build/dist`: their release preflights take
    turns (an exclusive lock), so neither deletes the other's dists while it checks them."""
    with exclusive_lock(ctx.config.artifacts_path() / GATE_RELEASE_LOCK):
        yield


@register("gate-release")
def run(ctx: StepContext) -> StepOutcome:
    facts: dict[str, Any] = {}
    with _one_at_a_time(ctx), tempfile.TemporaryDirectory(prefix="lane-tasks-release-") as tmp:
        facts["scratch"] = Path(tmp)  # the checks' own files (a fresh environment), not kept
        console.note("  working out the release candidate…")
        settled = facts["plan"] = plan(ctx, facts)
        results = RELEASE.run(ctx, ctx.config.release.disabled, facts=facts)
    return StepOutcome(
        results=results,
        status=verdict(results),
        fields={
            "version": None if settled.version is None else str(settled.version),
            "candidate": settled.candidate,
            "candidate_reason": settled.reason,
            "dists": facts.get("dist_digests", []),
        },
    )
