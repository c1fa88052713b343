"""Release decisions: a named owner says go or no-go for a version, on the evidence of a preflight.

The record lives in the tracked evidence directory (`<evidence_dir>/releases/<version>/
decision.json`) so it travels with the repository and can be audited against the tag later
(the `release-owner` control).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from packaging.version import Version

from lane_tasks import __version__
from lane_tasks.artifacts import (
    SCHEMA_VERSION,
    canonical_json,
    read_artifact,
    schema_errors,
    sha256_file,
)
from lane_tasks.catalog import STEPS
from lane_tasks.config import Config
from lane_tasks.errors import EXIT_FAIL, ConfigError, LaneTasksError, did_you_mean
from lane_tasks.record_signature import write_record
from lane_tasks.repo import subject
from lane_tasks.version import VersionProblem, parse_version

__all__ = [
    "DecisionRefused",
    "decide",
    "decision_path",
    "load_decision",
    "release_version",
    "require_release_owner",
]


class DecisionRefused(LaneTasksError):
    """A `go` the evidence does not support; exit 1 like any failed gate."""

    exit_code = EXIT_FAIL


def decision_path(config: Config, version: Version) -> Path:
    return config.root / config.evidence_dir / "releases" / str(version) / "decision.json"


@dataclass(frozen=True)
class Preflight:
    path: Path
    sha256: str
    status: str
    commit: str | None
    version: str | None
    candidate: bool
    """False when gate release found the version is no release candidate (absent in older
    preflights, which failed on non-candidates: a passing one was a candidate)."""
    candidate_reason: str | None


def _preflight(config: Config, path: Path | None) -> Preflight | None:
    p = path or config.artifacts_path() / STEPS["gate-release"].out
    doc, problem = read_artifact(p)
    if doc is None or problem:
        return None
    return Preflight(
        p,
        sha256_file(p),
        doc["status"],
        doc["subject"]["commit"],
        doc.get("version"),
        doc.get("candidate", True),
        doc.get("candidate_reason"),
    )


def release_version(version: str) -> Version:
    """`--version` as PEP 440, or the usage error (exit 2)."""
    try:
        return parse_version(version)
    except VersionProblem as exc:
        raise ConfigError(str(exc), key="--version") from None


def require_release_owner(config: Config, owner: str) -> None:
    """Only a listed release owner decides on (or rolls back) a release (else exit 2)."""
    if owner not in config.release_owners:
        owners = ", ".join(config.release_owners) or "none configured"
        raise ConfigError(
            f"'{owner}' is not a release owner{did_you_mean(owner, config.release_owners)}; "
            f"project.release_owners in {config.path.name}: {owners}",
            key="--owner",
        )


def decide(
    config: Config,
    *,
    version: str,
    decision: str,
    owner: str,
    reason: str | None,
    override_reason: str | None,
    preflight_path: Path | None = None,
    now: datetime | None = None,
    sign_key: Path | None = None,
) -> Path:
    """Write the decision record; refuse an unknown owner (exit 2) or an unsupported go (exit 1).
    With `sign_key`, the owner's signature goes beside it (lane_tasks.record_signature).

    A go on a preflight that found no release candidate (the version is released on another
    commit, a dev version, or not above the newest tag) is refused even with --override-reason:
    the override accepts a risk in the evidence of a release, but a version that is no release
    at all cannot be released by anyone's judgement; it would be tagged twice or go backwards.
    The way out is a new version, or `gate release --version X` for a version meant to be cut
    (a dev release, say), which makes it a candidate and checks it strictly.
    """
    v = release_version(version)
    require_release_owner(config, owner)
    head = subject(config.root, (config.artifacts_dir,))
    pre = _preflight(config, preflight_path)
    if decision == "go" and pre is not None and not pre.candidate:
        raise DecisionRefused(
            f"go refused for {v}: the preflight for {str(pre.commit)[:12]} found no release "
            f"candidate ({pre.candidate_reason or 'no reason given'}); --override-reason cannot "
            f"change that: bump the version, or run the lane as `nox -s <lane> -- --version {v}` "
            f"(or `lane-tasks gate release --version {v} --format json --out "
            f"{config.artifacts_dir}/{STEPS['gate-release'].out}`)"
        )
    problem = None
    if pre is None:
        problem = "no valid release preflight artifact (run `lane-tasks gate release` first)"
    elif pre.commit != head.commit:
        problem = f"the preflight is for {str(pre.commit)[:12]}, HEAD is {str(head.commit)[:12]}"
    elif pre.status != "pass":
        problem = f"the preflight for {str(pre.commit)[:12]} did not pass ({pre.status})"
    elif pre.version is not None and Version(pre.version) != v:
        problem = f"the preflight checked version {pre.version}, not {v}"
    if decision == "go" and problem and not override_reason:
        raise DecisionRefused(f"go refused for {v}: {problem}; fix it, or pass --override-reason")
    record: dict[str, Any] = {
        "schema": "lane-tasks/release-decision",
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "lane-tasks", "version": __version__},
        "version": str(v),
        "commit": head.commit,
        "decision": decision,
        "owner": owner,
        "reason": reason,
        "decided_at": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "preflight": None
        if pre is None
        else {
            "path": config.shown(pre.path),
            "sha256": pre.sha256,
            "status": pre.status,
            "commit": pre.commit,
        },
        "override_reason": override_reason if problem else None,
        "evidence_problem": problem,
        "superseded": [],
    }
    path = decision_path(config, v)
    previous, _ = load_decision(path)
    if previous is not None:
        earlier = previous.pop("superseded", [])
        record["superseded"] = [*earlier, previous]
    write_record(config, path, canonical_json(record), sign_key=sign_key, signers=(owner,))
    return path


def load_decision(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """The record and None, or None and what is wrong with it."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, "missing"
    except (OSError, ValueError, RecursionError) as exc:
        return None, f"unreadable: {exc}"
    problem = schema_errors(doc)
    if problem is None and doc.get("schema") != "lane-tasks/release-decision":
        problem = f"is a {doc.get('schema')} record, not a release decision"
    return (doc, None) if problem is None else (None, problem)
