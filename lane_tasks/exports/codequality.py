"""GitLab Code Quality: the CodeClimate JSON subset GitLab's merge-request widget reads.

A JSON array of issues, each `{description, check_name, fingerprint, severity, location:
{path, lines: {begin}}}`. Built from what the SARIF export shows: one issue per finding a
check's tool reported (lanes.toml `report`), and one per failed or errored check without
findings, located where SARIF locates it (the files its output names, else its lanes.toml
line). The fingerprint is a hash of what the issue is (check, rule, file, message), not where
(its line), so GitLab keeps tracking an issue whose line moves; equal issues are told apart by
their order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lane_tasks.exports.sarif import (
    ConfigLocator,
    check_findings,
    check_locations,
    finding_location,
    repo_uri,
)

__all__ = ["SEVERITIES", "to_codequality"]

SEVERITIES = ("info", "minor", "major", "critical", "blocker")
_BY_LEVEL = {"error": "major", "warning": "minor", "note": "info"}


def _issue(
    description: str,
    check_name: str,
    identity: tuple[str, ...],
    severity: str,
    path: str,
    line: int | None,
    seen: dict[str, int],
) -> dict[str, Any]:
    # fields joined by a separator none of them holds (the fingerprints issues already have);
    # one that holds it would be ambiguous, so that identity is JSON (which has no raw 0x1f)
    base = (
        json.dumps(identity) if any("\x1f" in part for part in identity) else "\x1f".join(identity)
    )
    n = seen.get(base, 0)
    seen[base] = n + 1
    fingerprint = hashlib.sha256(f"{base}\x1f{n}".encode()).hexdigest()
    return {
        "description": description,
        "check_name": check_name,
        "fingerprint": fingerprint,
        "severity": severity,
        "location": {"path": path, "lines": {"begin": line if line and line >= 1 else 1}},
    }


def to_codequality(
    doc: Mapping[str, Any], *, root: Path | None = None, locate: ConfigLocator | None = None
) -> list[dict[str, Any]]:
    """The Code Quality issues of an artifact: of checks (gate fast, gate release, doctor),
    or of drift findings (drift check; a waived finding is accepted, so not an issue)."""
    step = str(doc.get("step", "unknown"))
    issues: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    fallback = locate.uri if locate is not None else "lanes.toml"
    for f in doc.get("findings") or []:
        if not isinstance(f, Mapping) or f.get("waived") is not None:
            continue
        rule, message = str(f.get("id")), str(f.get("message"))
        path = repo_uri(f.get("path")) or fallback
        line = f.get("line") if isinstance(f.get("line"), int) else None
        identity = (step, rule, path, message)
        issues.append(_issue(f"{rule}: {message}", rule, identity, "major", path, line, seen))
    checks = [r for r in doc.get("results", []) if isinstance(r, Mapping) and "id" in r]
    for r in checks:
        cid = str(r["id"])
        found = check_findings(r)
        for f in found:
            rule = str(f.get("rule") or cid)
            where = finding_location(f)
            if where is None:
                at = check_locations(doc, {"id": cid}, None, locate)
                where = at[0] if at else None
            path = where.uri if where is not None else fallback
            message = str(f["message"]) or rule
            issues.append(
                _issue(
                    f"{rule}: {message}" if f.get("rule") else message,
                    rule,
                    (step, cid, rule, path, message),
                    _BY_LEVEL.get(str(f.get("level")), "major"),
                    path,
                    where.line if where is not None else None,
                    seen,
                )
            )
        if found or r.get("status") not in ("fail", "error"):
            continue
        at = check_locations(doc, r, root, locate)
        where = at[0] if at else None
        text = str(r.get("message") or r.get("status"))
        if r.get("fix"):
            text = f"{text.rstrip('.')}. Fix: {r['fix']}"
        path = where.uri if where is not None else fallback
        issues.append(
            _issue(
                f"{cid}: {text}",
                f"lane-tasks/{step}/{cid}",
                (step, cid, str(r.get("status"))),
                "critical" if r.get("status") == "error" else "major",
                path,
                where.line if where is not None else None,
                seen,
            )
        )
    return issues
