"""JUnit XML from a lane-tasks artifact of checks (gate fast, gate release).

Every CI shows JUnit in its test report (GitLab `artifacts:reports:junit`, Jenkins, Azure, the
test-report actions of GitHub), so each check of a gate appears there as a test case: a failed
check is a `<failure>` with the tool's excerpt, one that could not run an `<error>`, a skipped
one `<skipped>` with its reason. The commit and lane go in the suite's properties, so a report
names what it judged. A check whose tool wrote JUnit (lanes.toml `report = "junit"`: pytest,
mypy) adds a suite named after the check holding the tool's own test cases, each with its
name, classname, time and failure message.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from lane_tasks.evidence.artifacts import is_warning

__all__ = ["to_junit", "xml_text"]

_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 cannot carry at all, not even as references (control bytes, surrogates)."""


def xml_text(value: object) -> str:
    """`value` as text XML 1.0 can hold: illegal characters dropped (a tool's excerpt may carry
    a stray control byte; ElementTree would write it and every parser would then reject it)."""
    return _ILLEGAL.sub("", "" if value is None else str(value))


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _seconds(value: object) -> float:
    return float(value) if isinstance(value, int | float) and value >= 0 else 0.0


def _timestamp(run: object) -> str | None:
    """The run's start as JUnit wants it: ISO 8601 without a zone (UTC)."""
    started = run.get("started_at") if isinstance(run, Mapping) else None
    if not isinstance(started, str):
        return None
    try:
        when = datetime.fromisoformat(started)
    except ValueError:
        return None
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when.isoformat(timespec="seconds")


def _body(r: Mapping[str, Any]) -> str:
    parts = [str(r.get("excerpt") or "").rstrip()]
    if r.get("owner"):
        parts.append(f"owner: {r['owner']}")
    if r.get("fix"):
        parts.append(f"fix: {r['fix']}")
    return xml_text("\n\n".join(p for p in parts if p))


def _case(suite: ET.Element, classname: str, r: Mapping[str, Any]) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        {
            "classname": classname,
            "name": xml_text(r.get("id", "")),
            "time": f"{_seconds(r.get('duration_s')):.3f}",
        },
    )
    status = r.get("status")
    message = xml_text(r.get("message") or status)
    if is_warning(status, r.get("severity")):  # reported, but not a failure of the suite
        out = ET.SubElement(case, "system-out")
        out.text = xml_text(f"warning: {message}\n\n{_body(r)}".rstrip())
    elif status == "fail":
        el = ET.SubElement(case, "failure", {"message": message, "type": "fail"})
        el.text = _body(r)
    elif status == "error":
        kind = xml_text(r.get("error_kind") or "error")
        el = ET.SubElement(case, "error", {"message": message, "type": kind})
        el.text = _body(r)
    elif status == "skip":
        ET.SubElement(case, "skipped", {"message": message})


def _tool_suite(root: ET.Element, name: str, r: Mapping[str, Any]) -> None:
    """The test cases a check's tool reported, as their own suite `<step>.<check>`."""
    tests = [t for t in r.get("tests") or [] if isinstance(t, Mapping)]
    count = {s: sum(t.get("status") == s for t in tests) for s in ("fail", "error", "skip")}
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": xml_text(f"{name}.{r.get('id', '')}"),
            "tests": str(len(tests)),
            "failures": str(count["fail"]),
            "errors": str(count["error"]),
            "skipped": str(count["skip"]),
            "time": f"{sum(_seconds(t.get('time')) for t in tests):.3f}",
        },
    )
    for t in tests:
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": xml_text(t.get("classname") or r.get("id", "")),
                "name": xml_text(t.get("name", "")),
                "time": f"{_seconds(t.get('time')):.3f}",
            },
        )
        status = t.get("status")
        message = xml_text(t.get("message") or status)
        tag = {"fail": "failure", "error": "error", "skip": "skipped"}.get(str(status))
        if tag is not None:
            el = ET.SubElement(case, tag, {"message": message})
            if tag != "skipped":
                el.set("type", str(status))
                el.text = xml_text(t.get("detail") or "")


def to_junit(doc: Mapping[str, Any]) -> str:
    """One `<testsuite>` named `lane-tasks.<step>` with a `<testcase>` per result, inside a
    `<testsuites>` root; the XML declaration says UTF-8, which the text is written in."""
    step = xml_text(doc.get("step") or "unknown")
    name = f"lane-tasks.{step}"
    results = [r for r in doc.get("results", []) if isinstance(r, Mapping)]
    count = {
        s: sum(r.get("status") == s and not is_warning(s, r.get("severity")) for r in results)
        for s in ("fail", "error", "skip")
    }
    run = doc.get("run")
    total = sum(_seconds(r.get("duration_s")) for r in results)
    if isinstance(run, Mapping) and "duration_s" in run:
        total = _seconds(run["duration_s"])
    attrs = {
        "name": name,
        "tests": str(len(results)),
        "failures": str(count["fail"]),
        "errors": str(count["error"]),
        "skipped": str(count["skip"]),
        "time": f"{total:.3f}",
    }
    root = ET.Element("testsuites", {k: v for k, v in attrs.items() if k != "skipped"})
    stamp = _timestamp(run)
    suite = ET.SubElement(root, "testsuite", attrs | ({"timestamp": stamp} if stamp else {}))
    subject, tool = _mapping(doc.get("subject")), _mapping(doc.get("tool"))
    props = ET.SubElement(suite, "properties")
    for key, value in (
        ("commit", subject.get("commit")),
        ("dirty", subject.get("dirty")),
        ("lane", doc.get("lane")),
        ("status", doc.get("status")),
        ("run", run.get("id") if isinstance(run, Mapping) else None),
        ("tool", f"{tool.get('name', 'lane-tasks')} {tool.get('version', '')}"),
    ):
        if value is not None:
            text = str(value).lower() if isinstance(value, bool) else xml_text(value).strip()
            ET.SubElement(props, "property", {"name": key, "value": text})
    for r in results:
        _case(suite, name, r)
    for r in results:
        if isinstance(r.get("tests"), list):
            _tool_suite(root, name, r)
    for key in ("tests", "failures", "errors"):  # the root counts every suite's cases
        root.set(key, str(sum(int(el.get(key, "0")) for el in root.findall("testsuite"))))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
