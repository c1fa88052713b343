"""SARIF 2.1.0 from any lane-tasks artifact that carries `findings`.

Code-scanning UIs (GitHub, GitLab, IDEs) show SARIF results at their file and line, so a
finding reaches the person who can fix it where they work. A waived finding stays in the log as
a `note` with an external suppression carrying the waiver's reason: accepted, not hidden.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["SARIF_SCHEMA", "SARIF_VERSION", "to_sarif"]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _result(finding: Mapping[str, Any], index: Mapping[str, int]) -> dict[str, Any]:
    location: dict[str, Any] = {"artifactLocation": {"uri": finding["path"]}}
    if isinstance(finding.get("line"), int) and finding["line"] >= 1:
        location["region"] = {"startLine": finding["line"]}
    result: dict[str, Any] = {
        "ruleId": finding["id"],
        "ruleIndex": index[finding["id"]],
        "level": "error" if finding.get("waived") is None else "note",
        "message": {"text": finding["message"]},
        "locations": [{"physicalLocation": location}],
        "properties": {"found": finding.get("found", ""), "expected": finding.get("expected", "")},
    }
    if finding.get("waived") is not None:
        result["suppressions"] = [{"kind": "external", "justification": finding["waived"]}]
    return result


def to_sarif(doc: Mapping[str, Any], rules: Mapping[str, str] | None = None) -> dict[str, Any]:
    """One SARIF run for the artifact `doc`: a result per finding (ruleId = finding id, the
    location repository-relative). `rules` maps rule ids to short descriptions; every rule it
    names is listed, plus any finding id it does not know."""
    findings = list(doc.get("findings", []))
    described = dict(rules or {})
    for f in findings:
        described.setdefault(f["id"], f["id"])
    ids = list(described)
    index = {rule: i for i, rule in enumerate(ids)}
    tool = doc.get("tool", {})
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": tool.get("name", "lane-tasks"),
                        "version": tool.get("version", ""),
                        "rules": [
                            {"id": rule, "shortDescription": {"text": described[rule]}}
                            for rule in ids
                        ],
                    }
                },
                "automationDetails": {"id": f"lane-tasks/{doc.get('step', 'unknown')}/"},
                "invocations": [{"executionSuccessful": doc.get("status") in ("pass", "fail")}],
                "results": [_result(f, index) for f in findings],
            }
        ],
    }
