"""What a step artifact says, verified: the rules every consumer of evidence applies alike.

A valid schema and unchanged bytes say only that a file is well formed. Evidence also has to
say the right thing: the artifact kind its use needs, status pass, a status its own results
do not contradict, the commit (and version) it is evidence for, and for gate fast the whole
configured gate. gate release's `gate-fast-evidence`, the lane's controls, `release decide`
and `release checklist` (and its control) all ask `step_problem`, so none accepts what
another refuses.

A gate-fast artifact records what it covered (`coverage`): the ids of the checks it ran and a
digest of their lanes.toml entries, beside the ids and digest of every configured check.
`lane-tasks gate fast --check ID` runs a part of the gate: useful while working, never evidence.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from typing import Any

from lane_tasks.config import CheckSpec, Config, parse_config
from lane_tasks.errors import ConfigError
from lane_tasks.evidence.status import count
from lane_tasks.project.git import git

__all__ = [
    "checks_at",
    "coverage",
    "gate_digest",
    "status_contradiction",
    "step_problem",
    "whole_gate_problem",
]


def gate_digest(checks: Iterable[CheckSpec]) -> str:
    """sha256 of the checks' lanes.toml entries (sorted by id): a changed cmd, env, timeout or
    inputs of any of them, or one more or fewer, gives another digest."""
    entries = sorted((asdict(c) for c in checks), key=lambda e: str(e["id"]))
    text = json.dumps(entries, sort_keys=True, separators=(",", ":"), default=list)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def coverage(ran: Iterable[CheckSpec], configured: Mapping[str, CheckSpec]) -> dict[str, Any]:
    """The gate-fast artifact's `coverage` block: what ran, and what the whole gate is."""
    ran = list(ran)
    return {
        "checks": sorted(c.id for c in ran),
        "digest": gate_digest(ran),
        "configured": sorted(configured),
        "configured_digest": gate_digest(configured.values()),
    }


def status_contradiction(doc: Mapping[str, Any]) -> str | None:
    """Why an artifact's status is not what its own results say (a `pass` holding a failed
    blocking result, or a summary that miscounts them), or None."""
    results = doc.get("results") or []
    summary = doc.get("summary")
    # a summary without `warn` (no warnings, or written before they were counted apart)
    # counts its warnings as fail / error
    warn = not isinstance(summary, Mapping) or "warn" in summary
    counts = count(((r.get("status"), r.get("severity")) for r in results), warnings=warn)
    if summary is not None and dict(summary) != counts:
        return f"its summary {dict(doc['summary'])} does not count its results {counts}"
    if doc.get("status") != "pass":
        return None
    blocking = [
        r
        for r in results
        if r.get("status") in ("fail", "error") and r.get("severity", "error") == "error"
    ]
    if blocking:
        return f"it says pass although {blocking[0].get('id')} is {blocking[0].get('status')}"
    if not any(r.get("status") == "pass" for r in results):
        return "it says pass although none of its results passed"
    return None


def whole_gate_problem(
    doc: Mapping[str, Any], configured: Mapping[str, CheckSpec] | None
) -> str | None:
    """Why a gate-fast artifact is not the whole gate, or None. With `configured` (the gate of
    the lanes.toml in force, or as committed at the artifact's commit) the gate it covered must
    be that one; without, it must be the whole gate configured when it ran."""
    cov = doc.get("coverage")
    if not isinstance(cov, Mapping):
        return "it does not record which checks it covered (written by an older lane-tasks?)"
    ran = list(cov.get("checks") or [])
    wanted = list(cov.get("configured") or [])
    if configured is not None:
        wanted = sorted(configured)
        if cov.get("configured_digest") != gate_digest(configured.values()):
            return (
                "it ran with other lanes.toml gate checks than the ones configured "
                "(a check was added, removed or changed since)"
            )
    missing = [c for c in wanted if c not in ran]
    if missing:
        return (
            f"a partial gate: it ran {', '.join(ran) or 'no check'}, not {', '.join(missing)} "
            "(run the whole gate: `lane-tasks gate fast` without --check)"
        )
    if cov.get("digest") != cov.get("configured_digest"):
        return "the checks it ran are not the gate configured when it ran"
    results = sorted(str(r.get("id")) for r in doc.get("results") or [])
    if results != sorted(ran):
        return f"its results ({', '.join(results)}) are not the checks it covered"
    return None


def step_problem(
    doc: Mapping[str, Any] | None,
    step: str,
    *,
    commit: str | None,
    version: str | None = None,
    checks: Mapping[str, CheckSpec] | None = None,
    clean: bool = False,
) -> str | None:
    """Why `doc` (an artifact that validated against its schema) is not passing evidence of
    `step` for `commit` (and `version`, for the release preflight), or None. For gate fast,
    `checks` is the configured gate it must cover (see whole_gate_problem); `clean` asks for a
    tree that was not dirty."""
    if doc is None:
        return "no artifact"
    if doc.get("schema") != f"lane-tasks/{step}" or doc.get("step") != step:
        return f"it is a {doc.get('schema')} artifact, not {step}'s"
    if doc.get("status") != "pass":
        return f"{step} did not pass ({doc.get('status')})"
    contradiction = status_contradiction(doc)
    if contradiction:
        return f"its status contradicts its results: {contradiction}"
    of = (doc.get("subject") or {}).get("commit")
    if commit is None or of != commit:
        return f"it is for commit {str(of)[:12]}, not {str(commit)[:12]}"
    if clean and (doc.get("subject") or {}).get("dirty"):
        return f"{step} ran on a dirty tree: its result is not this commit's"
    if version is not None and doc.get("version") not in (None, version):
        return f"it is for version {doc.get('version')}, not {version}"
    if step == "gate-fast":
        return whole_gate_problem(doc, checks)
    return None


def checks_at(config: Config, commit: str | None) -> Mapping[str, CheckSpec] | None:
    """The gate checks lanes.toml configured at `commit` (what a gate-fast artifact of that
    commit must have covered), or None when that lanes.toml cannot be read or validated (an
    older format): then the artifact is judged by the gate it recorded."""
    if not commit:
        return None
    rel = config.path.resolve().relative_to(config.root).as_posix()
    shown = git(config.root, "show", f"{commit}:{rel}")
    if shown.returncode != 0:
        return None
    try:
        return parse_config(shown.stdout, config.path).checks
    except ConfigError:
        return None
