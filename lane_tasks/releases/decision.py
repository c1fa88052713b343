"""Release decisions: a named owner says go or no-go for a version, on the evidence of a preflight.

The record lives in the tracked evidence directory (`<evidence_dir>/releases/<version>/
decision.json`) so it travels with the repository and can be audited against the tag later
(the `release-owner` control).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from packaging.version import Version

from lane_tasks.catalog import STEPS
from lane_tasks.catalog.layout import DECISION, RELEASES_DIR
from lane_tasks.config import Config
from lane_tasks.errors import ConfigError, Refused, did_you_mean
from lane_tasks.evidence.artifacts import (
    canonical_json,
    read_artifact,
    read_record,
    record_header,
    sha256_file,
)
from lane_tasks.evidence.consistency import status_contradiction
from lane_tasks.evidence.record_signature import write_record
from lane_tasks.project.git import evidence_only_change, subject
from lane_tasks.project.version import VersionProblem, parse_version
from lane_tasks.util.clock import future_problem, utc_now

__all__ = [
    "DecisionRefused",
    "decide",
    "decision_path",
    "go_problem",
    "go_record_problem",
    "load_decision",
    "release_version",
    "require_release_owner",
]


class DecisionRefused(Refused):
    """A `go` the evidence does not support; exit 1 like any failed gate."""


def decision_path(config: Config, version: Version) -> Path:
    return config.root / config.evidence_dir / RELEASES_DIR / str(version) / DECISION


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
    gate_fast: str | None
    """The status of its gate-fast-evidence check (None when it has none)."""
    contradiction: str | None
    """Why its status contradicts its own results, or None."""

    def summary(self, config: Config) -> dict[str, Any]:
        """The preflight as the decision record keeps it: what `go_problem` judges."""
        return {
            "path": config.shown(self.path),
            "sha256": self.sha256,
            "status": self.status,
            "commit": self.commit,
            "version": self.version,
            "gate_fast": self.gate_fast,
        }


def _preflight(config: Config, path: Path | None) -> Preflight | None:
    p = path or config.artifacts_path() / STEPS["gate-release"].out
    doc, problem = read_artifact(p)
    if doc is None or problem or doc.get("schema") != "lane-tasks/gate-release":
        return None
    gate_fast = next((r["status"] for r in doc["results"] if r["id"] == GATE_FAST_EVIDENCE), None)
    return Preflight(
        p,
        sha256_file(p),
        doc["status"],
        doc["subject"]["commit"],
        doc.get("version"),
        doc.get("candidate", True),
        doc.get("candidate_reason"),
        gate_fast,
        status_contradiction(doc),
    )


GATE_FAST_EVIDENCE = "gate-fast-evidence"


def go_problem(
    config: Config,
    preflight: Mapping[str, Any] | None,
    *,
    version: Version,
    commit: str | None,
    here: str = "HEAD",
) -> str | None:
    """Why a go for `version` on `commit` is not supported by `preflight` (the summary a
    decision record keeps), or None. `release decide` refuses such a go without
    --override-reason, and the release-owner control re-applies this same rule to every
    recorded go, so a hand-written record cannot pass a go the command would have refused."""
    if preflight is None:
        return "no valid release preflight artifact (run `lane-tasks gate release` first)"
    of = preflight.get("commit")
    if of != commit:
        return f"the preflight is for {str(of)[:12]}, {here} is {str(commit)[:12]}"
    if preflight.get("status") != "pass":
        return f"the preflight for {str(of)[:12]} did not pass ({preflight.get('status')})"
    checked = preflight.get("version")
    if checked is not None and Version(str(checked)) != version:
        return f"the preflight checked version {checked}, not {version}"
    if "gate_fast" in preflight:  # records written before it was kept do not have it
        fast = preflight["gate_fast"]
        disabled = GATE_FAST_EVIDENCE in config.release.disabled
        if fast != "pass" and not (fast in ("skip", None) and disabled):
            return (
                f"the preflight did not find the whole gate fast passing on {str(of)[:12]} "
                f"({GATE_FAST_EVIDENCE}: {fast or 'absent'})"
            )
    return None


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
    With `sign_key`, the owner's signature goes beside it (evidence.record_signature).

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
    problem = go_problem(
        config, None if pre is None else pre.summary(config), version=v, commit=head.commit
    )
    if problem is None and pre is not None and pre.contradiction:
        problem = f"the preflight's status contradicts its results: {pre.contradiction}"
    # a reason is words: one of only blanks overrides nothing (the controls judge it alike)
    override_reason = (override_reason or "").strip() or None
    if decision == "go" and problem and not override_reason:
        raise DecisionRefused(f"go refused for {v}: {problem}; fix it, or pass --override-reason")
    record: dict[str, Any] = {
        **record_header("release-decision"),
        "version": str(v),
        "commit": head.commit,
        "decision": decision,
        "owner": owner,
        "reason": reason,
        "decided_at": (now or utc_now()).isoformat(timespec="seconds"),
        "preflight": None if pre is None else pre.summary(config),
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
    got = read_record(path, "release-decision", name="release decision")
    return got.valid, got.problem


def go_record_problem(
    config: Config, record: Mapping[str, Any], *, version: Version, commit: str
) -> str | None:
    """Why a (schema-valid) decision record is no `go` for `version` cut at `commit` (the
    tag's, or a checklist's run), or None: it is a go by a release owner, for that version,
    dated no later than now, for `commit` or an ancestor differing only under the evidence
    directory, and the rule `release decide` applies holds for what it records (`go_problem`:
    a preflight that did not pass, or any recorded evidence problem, needs the override
    reason). Shared by release-owner, `release checklist` and release-checklist-evidence."""
    if record["decision"] != "go":
        return f"says {record['decision']}, not go"
    if record["owner"] not in config.release_owners:
        return f"is by '{record['owner']}', who is not a release owner"
    if record["version"] != str(version):
        return f"is for version {record['version']}, not {version}"
    late = future_problem(record["decided_at"], "decided_at")
    if late:
        return late
    if why := evidence_only_change(config.root, record["commit"], commit, config.evidence_dir):
        return f"is for {str(record['commit'])[:12]}, the release is on {commit[:12]}: {why}"
    if str(record.get("override_reason") or "").strip():
        return None
    problem = record.get("evidence_problem") or go_problem(
        config,
        record["preflight"],
        version=version,
        commit=record["commit"],
        here="the decision",
    )
    if problem:
        return f"is a go without an override reason although {problem}"
    return None
