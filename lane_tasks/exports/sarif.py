"""SARIF 2.1.0 from any lane-tasks artifact.

Code-scanning UIs (GitHub, GitLab, IDEs) show SARIF results at their file and line, so a problem
reaches the person who can fix it where they work. Two shapes of artifact map onto SARIF:

- one with `findings` (drift-check): a result per finding at its file and line. A waived
  finding stays in the log as a `note` with an external suppression carrying the waiver's
  reason: accepted, not hidden.
- one of checks (gate fast, gate release, doctor): every check is a rule, passing or not, so a
  fixed problem closes its alert instead of losing its rule; every check that failed or
  errored is a result. A check whose tool wrote a report (lanes.toml `report`) gives one
  result per finding instead, under the tool's own rule id (`F401`) in a tool component
  (`tool.extensions`) named after the tool, at the finding's file and line. Any other is
  located at the files its tool output names (`path:line[:col]`, as ruff, mypy and pytest
  print them) when they exist in the repository, else at the check's definition in
  lanes.toml, so each alert points somewhere a person can act.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lane_tasks.config import config_table, key_lines

__all__ = [
    "MAX_LOCATIONS",
    "SARIF_SCHEMA",
    "SARIF_VERSION",
    "ConfigLocator",
    "Location",
    "excerpt_locations",
    "to_sarif",
]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
MAX_LOCATIONS = 5
"""Locations given per result: the first few a tool printed are where to start."""


@dataclass(frozen=True)
class Location:
    """A repository-relative file (POSIX separators) and, when known, a line and column."""

    uri: str
    line: int | None = None
    column: int | None = None

    def to_json(self) -> dict[str, Any]:
        physical: dict[str, Any] = {"artifactLocation": {"uri": self.uri}}
        if self.line is not None:
            region: dict[str, int] = {"startLine": self.line}
            if self.column is not None:
                region["startColumn"] = self.column
            physical["region"] = region
        return {"physicalLocation": physical}


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def repo_uri(raw: object) -> str | None:
    """`raw` as a repository-relative POSIX path, or None when it cannot be one: an artifact
    may be forged (downloaded from a fork's run), and an absolute path, a `..` climbing out,
    a URL (`file:`, `javascript:`) or a Windows path must not be shown as a repository file."""
    if not isinstance(raw, str) or not raw or "\\" in raw or _CONTROL.search(raw):
        return None
    if raw.startswith("/") or _SCHEME.match(raw):
        return None
    parts = [p for p in raw.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


@dataclass(frozen=True)
class ConfigLocator:
    """Where lanes.toml is and the line of a key path it defines: the place a check is defined,
    for results whose tool output names no file."""

    uri: str
    """lanes.toml relative to the repository root."""
    lines: Callable[[Sequence[str]], int | None]
    """`config.key_lines`: for a key the file lacks, the line of its longest present prefix."""
    data: Mapping[str, Any]
    """The parsed file, to tell a key it defines from one `lines` only approximates."""

    @classmethod
    def for_config(cls, path: Path, root: Path) -> ConfigLocator:

        try:
            uri = path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            uri = path.name
        try:
            data: Any = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):  # TOMLDecodeError is a ValueError
            data = {}  # doctor reports a broken lanes.toml; its results still get the file
        for part in config_table(path):  # [tool.lane-tasks] of a pyproject.toml
            data = data.get(part, {}) if isinstance(data, Mapping) else {}
        return cls(uri, key_lines(path), data)

    def line(self, key: Sequence[str]) -> int | None:
        """The line of `key` when lanes.toml defines it, else None."""
        node: Any = self.data
        for part in key:
            if not isinstance(node, Mapping) or part not in node:
                return None
            node = node[part]
        return self.lines(key)


# ---- artifacts with findings (drift-check) ----------------------------------------------------


def _finding_result(finding: Mapping[str, Any], index: Mapping[str, int]) -> dict[str, Any]:
    line = finding.get("line")
    uri = repo_uri(finding.get("path"))
    result: dict[str, Any] = {
        "ruleId": finding["id"],
        "ruleIndex": index[finding["id"]],
        "level": "error" if finding.get("waived") is None else "note",
        "message": {"text": finding["message"]},
        "properties": {"found": finding.get("found", ""), "expected": finding.get("expected", "")},
    }
    if uri is not None:
        where = Location(uri, line if isinstance(line, int) and line >= 1 else None)
        result["locations"] = [where.to_json()]
    if finding.get("waived") is not None:
        result["suppressions"] = [{"kind": "external", "justification": finding["waived"]}]
    return result


def _findings_run(
    findings: Sequence[Mapping[str, Any]], rules: Mapping[str, str] | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    described = dict(rules or {})
    for f in findings:
        described.setdefault(f["id"], f["id"])
    ids = list(described)
    index = {rule: i for i, rule in enumerate(ids)}
    rule_list = [{"id": rule, "shortDescription": {"text": described[rule]}} for rule in ids]
    return rule_list, [_finding_result(f, index) for f in findings]


# ---- artifacts of checks (gate fast, gate release, doctor) ------------------------------------

_FILE_LINE = re.compile(
    r"(?<![\w./\\-])((?:\.{1,2}/)?(?:[\w.-]+/)*[\w.-]*\w\.\w+):(\d+)(?::(\d+))?(?![\w.])"
)
"""`path/to/file.py:12` or `file.py:12:5`, as linters, type checkers and test runners print."""


def excerpt_locations(text: str, root: Path, *, limit: int = MAX_LOCATIONS) -> list[Location]:
    """The first `limit` distinct `path:line[:col]` references in `text` whose path is a file
    inside `root`; names of files that do not exist (or lie outside) are not locations."""
    found: list[Location] = []
    base = root.resolve()
    for m in _FILE_LINE.finditer(text):
        rel, line, col = m.group(1), int(m.group(2)), m.group(3)
        if line < 1:
            continue
        try:
            target = (base / rel).resolve()
            if not target.is_relative_to(base) or not target.is_file():
                continue
        except OSError:  # a name too long for the file system is no file of the repository
            continue
        column = int(col) if col and int(col) >= 1 else None
        loc = Location(target.relative_to(base).as_posix(), line, column)
        if loc not in found:
            found.append(loc)
        if len(found) >= limit:
            break
    return found


def _definition_keys(step: str, lane: str | None, check: str) -> Iterator[list[str]]:
    """Key paths of lanes.toml that define (or require) a check, most specific first."""
    if step == "gate-fast":
        yield from (["gate", "fast", "checks", check], ["gate", "fast", "checks"], ["gate", "fast"])
    elif step == "gate-release":
        yield ["gate", "release"]
    elif step == "doctor":
        yield from (["doctor", "disable", check], ["doctor"])
    if lane:
        yield ["lanes", lane, "steps"]


def check_locations(
    doc: Mapping[str, Any],
    r: Mapping[str, Any],
    root: Path | None,
    locate: ConfigLocator | None,
) -> list[Location]:
    if root is not None and r.get("excerpt"):
        found = excerpt_locations(str(r["excerpt"]), root)
        if found:
            return found
    if locate is None:
        return []
    step, lane = str(doc.get("step", "")), doc.get("lane")
    for key in _definition_keys(step, lane if isinstance(lane, str) else None, str(r["id"])):
        line = locate.line(key)
        if line is not None:
            return [Location(locate.uri, line)]
    return [Location(locate.uri)]


def _level(r: Mapping[str, Any]) -> str:
    """SARIF level from the check's severity: doctor's warnings stay warnings."""
    severity = r.get("severity") or "error"
    return {"warning": "warning", "info": "note", "note": "note"}.get(str(severity), "error")


def _rule(doc: Mapping[str, Any], r: Mapping[str, Any]) -> dict[str, Any]:
    cmd = r.get("cmd")
    if r.get("description"):
        text = str(r["description"])
    elif isinstance(cmd, list) and cmd:
        text = f"{doc.get('step', 'check')} check `{' '.join(map(str, cmd))}` passes"
    else:
        text = str(r.get("message") or r["id"])
    rule: dict[str, Any] = {
        "id": r["id"],
        "shortDescription": {"text": text},
        "defaultConfiguration": {"level": _level(r)},
        "properties": {"step": doc.get("step", "unknown")},
    }
    if r.get("owner"):
        rule["properties"]["owner"] = r["owner"]
    if r.get("fix"):
        rule["help"] = {"text": str(r["fix"])}
    return rule


def _check_result(
    doc: Mapping[str, Any],
    r: Mapping[str, Any],
    index: int,
    root: Path | None,
    locate: ConfigLocator | None,
) -> dict[str, Any]:
    message = str(r.get("message") or f"{r['id']}: {r['status']}")
    if r.get("fix"):
        message = f"{message.rstrip('.')}. Fix: {r['fix']}"
    properties = {
        key: r[key]
        for key in ("status", "owner", "severity", "exit_code", "excerpt")
        if r.get(key) not in (None, "")
    }
    result: dict[str, Any] = {
        "ruleId": r["id"],
        "ruleIndex": index,
        "level": _level(r),
        "message": {"text": message},
        "properties": properties,
    }
    locations = check_locations(doc, r, root, locate)
    if locations:
        result["locations"] = [loc.to_json() for loc in locations]
    return result


def check_findings(r: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The findings a check's tool reported (lanes.toml `report`), well-formed ones only."""
    found = r.get("findings")
    if not isinstance(found, list):
        return []
    return [f for f in found if isinstance(f, Mapping) and isinstance(f.get("message"), str)]


def finding_location(f: Mapping[str, Any]) -> Location | None:
    path = repo_uri(f.get("path"))
    if path is None:
        return None
    line, column = f.get("line"), f.get("column")
    return Location(
        path,
        line if isinstance(line, int) and line >= 1 else None,
        column if isinstance(column, int) and column >= 1 and isinstance(line, int) else None,
    )


def _tool_name(r: Mapping[str, Any]) -> str:
    report = r.get("report")
    tool = report.get("tool") if isinstance(report, Mapping) else None
    if isinstance(tool, str) and tool:
        return tool
    cmd = r.get("cmd")
    return str(cmd[0]) if isinstance(cmd, list) and cmd else str(r["id"])


def _extension(r: Mapping[str, Any], found: list[Mapping[str, Any]]) -> dict[str, Any]:
    """A check's tool as a SARIF tool component, with a rule per rule id it reported."""
    ids = list(dict.fromkeys(str(f.get("rule") or r["id"]) for f in found))
    return {
        "name": _tool_name(r),
        "rules": [{"id": rule, "shortDescription": {"text": rule}} for rule in ids],
        "properties": {"check": r["id"]},
    }


def _finding_results(
    r: Mapping[str, Any],
    found: list[Mapping[str, Any]],
    component: int,
    ext: Mapping[str, Any],
    at_check: list[Location],
) -> list[dict[str, Any]]:
    """One result per finding under the tool's own rule id (F401), at its file and line."""
    index = {rule["id"]: i for i, rule in enumerate(ext["rules"])}
    out = []
    for f in found:
        rule = str(f.get("rule") or r["id"])
        where = finding_location(f)
        level = f.get("level") if f.get("level") in ("error", "warning", "note") else "error"
        result: dict[str, Any] = {
            "ruleId": rule,
            "rule": {"id": rule, "index": index[rule], "toolComponent": {"index": component}},
            "level": level,
            "message": {"text": str(f["message"]) or rule},
            "properties": {"check": r["id"]},
        }
        locations = [where] if where is not None else at_check
        if locations:
            result["locations"] = [loc.to_json() for loc in locations]
        out.append(result)
    return out


def _checks_run(
    doc: Mapping[str, Any], root: Path | None, locate: ConfigLocator | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Rules, results and tool components: a check whose tool reported findings is located
    by them (each its own alert under the tool's rule id, in a tool component named after the
    tool); any other failed or errored check is one result."""
    checks = [r for r in doc.get("results", []) if isinstance(r, Mapping) and "id" in r]
    rules = [_rule(doc, r) for r in checks]
    results: list[dict[str, Any]] = []
    extensions: list[dict[str, Any]] = []
    for i, r in enumerate(checks):
        found = check_findings(r)
        if found:
            ext = _extension(r, found)
            extensions.append(ext)
            at_check = check_locations(doc, {"id": r["id"]}, None, locate)
            results += _finding_results(r, found, len(extensions) - 1, ext, at_check)
            if r.get("status") == "error":  # its report was read, yet it could not finish
                results.append(_check_result(doc, r, i, root, locate))
        elif r.get("status") in ("fail", "error"):
            results.append(_check_result(doc, r, i, root, locate))
    return rules, results, extensions


def to_sarif(
    doc: Mapping[str, Any],
    rules: Mapping[str, str] | None = None,
    *,
    root: Path | None = None,
    locate: ConfigLocator | None = None,
) -> dict[str, Any]:
    """One SARIF run for the artifact `doc`, locations repository-relative.

    With `findings` (drift-check), a result per finding; `rules` maps finding ids to short
    descriptions, and every rule it names is listed, plus any finding id it does not know.
    Otherwise a rule per check of `results` and a result per failed or errored one, located
    from its excerpt (files under `root`) or else in lanes.toml (`locate`)."""
    extensions: list[dict[str, Any]] = []
    if "findings" in doc:
        rule_list, results = _findings_run(list(doc["findings"]), rules)
    else:
        rule_list, results, extensions = _checks_run(doc, root, locate)
    tool = doc.get("tool", {})
    tool_json: dict[str, Any] = {
        "driver": {
            "name": tool.get("name", "lane-tasks"),
            "version": tool.get("version", ""),
            "rules": rule_list,
        }
    }
    if extensions:
        tool_json["extensions"] = extensions
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": tool_json,
                "automationDetails": {"id": f"lane-tasks/{doc.get('step', 'unknown')}/"},
                "invocations": [{"executionSuccessful": doc.get("status") in ("pass", "fail")}],
                "results": results,
            }
        ],
    }
