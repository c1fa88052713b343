"""A check's own machine-readable report (SARIF, JUnit XML, ruff's JSON) read into findings
and test cases, so CI reports show "F401 `os` imported but unused" at its line and each
test case by name instead of "exited with code 1".

A report is tool output, so it is read like untrusted input: a regular file only (no FIFO,
no symlink), at most `REPORT_LIMIT` bytes, no XML document type (no entity expansion), and
whatever is wrong with it becomes the `problem` a person sees, never a traceback and never
a pass. What is kept is bounded (`MAX_FINDINGS`, `MAX_TESTS`, `TEXT_LIMIT`) and redacted.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from lane_tasks.util.redact import printable

__all__ = [
    "LEVELS",
    "MAX_FINDINGS",
    "MAX_TESTS",
    "REPORT_LIMIT",
    "Report",
    "read_report",
]

REPORT_LIMIT = 16 * 1024 * 1024
"""Bytes of a report read at most: a larger one is refused, not parsed."""
MAX_FINDINGS = 500
MAX_TESTS = 2000
TEXT_LIMIT = 2000
"""Characters kept of one message or failure text (its start: where the assertion is)."""
LEVELS = ("error", "warning", "note")


@dataclass(frozen=True)
class Report:
    """What one report held; `problem` says why it could not be (fully) read."""

    tool: str | None = None
    findings: tuple[dict[str, Any], ...] = ()
    tests: tuple[dict[str, Any], ...] = ()
    problem: str | None = None
    dropped: Mapping[str, int] = field(default_factory=dict)
    """Findings/tests beyond the bounds, by kind: counted, not kept."""
    failed: int = 0
    """Test cases that failed or errored, the dropped ones included."""


class _Bad(Exception):
    """A report that is not what its format says."""


def _read_bytes(path: Path) -> bytes:
    """The report's bytes: a regular file (not followed through a symlink), within the limit."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise _Bad("the tool wrote no report") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _Bad("is a symlink, not the report file the tool writes") from None
        raise _Bad(exc.strerror or str(exc)) from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _Bad("not a regular file")
        if st.st_size > REPORT_LIMIT:
            raise _Bad(f"{st.st_size} bytes, over the {REPORT_LIMIT // (1024 * 1024)} MiB limit")
        data = fh.read(REPORT_LIMIT + 1)
    if len(data) > REPORT_LIMIT:
        raise _Bad(f"over the {REPORT_LIMIT // (1024 * 1024)} MiB limit")
    return data


def _text(value: object, clean: Callable[[str], str]) -> str:
    text = "" if value is None else str(value)
    if len(text) > TEXT_LIMIT:
        text = text[:TEXT_LIMIT] + "…"
    return clean(text)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else None


class _Paths:
    """Tool paths (absolute, `file://` URIs, or relative to the check's cwd) as POSIX paths
    relative to the repository root; a path outside it is dropped (None)."""

    def __init__(self, root: Path, cwd: Path) -> None:
        self.root = root.resolve()
        self.cwd = cwd

    def __call__(self, raw: object) -> str | None:
        if not isinstance(raw, str) or not raw or "\x00" in raw:
            return None
        if raw.startswith("file:"):
            raw = unquote(urlparse(raw).path)
        p = Path(raw)
        full = Path(os.path.normpath(p if p.is_absolute() else self.cwd / p))
        for base in (self.root, Path(os.path.normpath(self.root))):
            if full.is_relative_to(base):
                rel = full.relative_to(base).as_posix()
                return rel if rel not in ("", ".") else None
        try:
            real = full.resolve()
        except (OSError, RuntimeError):
            return None
        return real.relative_to(self.root).as_posix() if real.is_relative_to(self.root) else None


class _Bounded:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items: list[dict[str, Any]] = []
        self.dropped = 0
        self.failed = 0

    def full(self) -> bool:
        """Counts one more dropped item when the bound is reached: a caller then skips
        cleaning and locating what would not be kept (a report of 100,000 results)."""
        if len(self.items) < self.limit:
            return False
        self.dropped += 1
        return True

    def add(self, item: dict[str, Any]) -> None:
        if len(self.items) < self.limit:
            self.items.append(item)
        else:
            self.dropped += 1


def _map(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _sarif(data: bytes, paths: _Paths, clean: Callable[[str], str], out: _Bounded) -> str | None:
    doc = json.loads(data)
    if not isinstance(doc, dict) or not isinstance(doc.get("runs"), list):
        raise _Bad("not SARIF (no 'runs' list)")
    tool = None
    for run in doc["runs"]:
        driver = _map(_map(_map(run).get("tool")).get("driver"))
        tool = tool or (driver.get("name") if isinstance(driver.get("name"), str) else None)
        defaults = {
            r.get("id"): _map(r.get("defaultConfiguration")).get("level")
            for r in _list(driver.get("rules"))
            if isinstance(r, Mapping)
        }
        for res in _list(_map(run).get("results")):
            if out.full():
                continue
            res = _map(res)
            rule = res.get("ruleId") if isinstance(res.get("ruleId"), str) else None
            level = res.get("level") or defaults.get(rule) or "warning"
            locs = _list(res.get("locations"))
            loc = _map(locs[0]) if locs else {}
            phys = _map(loc.get("physicalLocation"))
            region = _map(phys.get("region"))
            message = _map(res.get("message")).get("text")
            out.add(
                {
                    "rule": clean(rule) if rule else None,
                    "message": _text(message or rule or "", clean),
                    "path": paths(_map(phys.get("artifactLocation")).get("uri")),
                    "line": _int(region.get("startLine")),
                    "column": _int(region.get("startColumn")),
                    "level": level if level in LEVELS else "note" if level == "none" else "error",
                }
            )
    return tool


def _ruff_json(
    data: bytes, paths: _Paths, clean: Callable[[str], str], out: _Bounded
) -> str | None:
    doc = json.loads(data)
    if not isinstance(doc, list):
        raise _Bad("not ruff's JSON output (a list of diagnostics)")
    for d in doc:
        if out.full():
            continue
        d = _map(d)
        where = _map(d.get("location"))
        code = d.get("code") if isinstance(d.get("code"), str) else None
        out.add(
            {
                "rule": clean(code) if code else None,
                "message": _text(d.get("message") or "", clean),
                "path": paths(d.get("filename")),
                "line": _int(where.get("row")),
                "column": _int(where.get("column")),
                "level": "warning" if d.get("severity") == "warning" else "error",
            }
        )
    return "ruff"


_MYPY_LINE = re.compile(
    r"^(?P<path>[^:\n]+):(?P<line>\d+)(?::(?P<col>\d+))?: (?P<level>error|warning|note): "
    r"(?P<msg>.*?)(?:  \[(?P<code>[\w-]+)\])?$",
    re.M,
)


def _seconds(value: str | None) -> float | None:
    try:
        t = float(value) if value is not None else None
    except ValueError:
        return None
    return round(t, 3) if t is not None and 0 <= t < 1e9 else None


def _cases(root: ET.Element) -> Iterator[tuple[ET.Element, ET.Element]]:
    suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
    for suite in suites:
        for case in suite.findall("testcase"):
            yield suite, case


def _no_doctype(data: bytes) -> None:
    """Refuse an XML document type, in whatever encoding expat reads (a byte search misses
    a UTF-16 `<!DOCTYPE`): a first pass by expat itself, stopped at the declaration."""
    from xml.parsers import expat

    def refuse(*_: object) -> None:
        raise _Bad("an XML document type (entities) is not read")

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise ET.ParseError(str(exc)) from None


def _junit(
    data: bytes,
    paths: _Paths,
    clean: Callable[[str], str],
    out: _Bounded,
    tests: _Bounded,
) -> str | None:
    _no_doctype(data)
    # without a document type there is no entity to expand (nor an external one to fetch)
    root = ET.fromstring(data)  # noqa: S314
    if root.tag not in ("testsuites", "testsuite"):
        raise _Bad(f"not JUnit XML (root element <{root.tag[:40]}>)")
    tool = None
    for suite, case in _cases(root):
        tool = tool or suite.get("name")
        if case.find("failure") is not None or case.find("error") is not None:
            tests.failed += 1
        if tests.full():
            continue
        status, message, detail = "pass", "", ""
        for tag, st in (("failure", "fail"), ("error", "error"), ("skipped", "skip")):
            el = case.find(tag)
            if el is not None:
                status, message, detail = st, el.get("message") or "", el.text or ""
                break
        tests.add(
            {
                "name": _text(case.get("name") or "?", clean),
                "classname": _text(case.get("classname") or "", clean),
                "time": _seconds(case.get("time")),
                "status": status,
                "message": _text(message or (status if status != "pass" else ""), clean),
                "detail": _text(detail.strip("\n"), clean) if status != "pass" else "",
            }
        )
        if suite.get("name") == "mypy" and status == "fail":
            # mypy's JUnit is one test case; its messages are the findings, each at its line
            for m in _MYPY_LINE.finditer(detail):
                if out.full():
                    continue
                out.add(
                    {
                        "rule": m["code"],
                        "message": _text(m["msg"], clean),
                        "path": paths(m["path"]),
                        "line": _int(int(m["line"])),
                        "column": _int(int(m["col"])) if m["col"] else None,
                        "level": m["level"],
                    }
                )
    return tool


def read_report(
    path: Path,
    fmt: str,
    *,
    root: Path,
    cwd: Path,
    clean: Callable[[str], str] = lambda s: s,
    max_findings: int = MAX_FINDINGS,
    max_tests: int = MAX_TESTS,
) -> Report:
    """The report at `path` in format `fmt` (config.REPORT_FORMATS); `clean` redacts text.
    Never raises for what the file holds: a problem is returned in `Report.problem`."""

    def safe(text: str) -> str:  # report text is printed to terminals and CI logs
        return printable(clean(text))

    findings, tests = _Bounded(max_findings), _Bounded(max_tests)
    paths = _Paths(root, cwd)
    tool: str | None = None
    problem: str | None = None
    try:
        data = _read_bytes(path)
        if fmt == "sarif":
            tool = _sarif(data, paths, safe, findings)
        elif fmt == "ruff-json":
            tool = _ruff_json(data, paths, safe, findings)
        elif fmt == "junit":
            tool = _junit(data, paths, safe, findings, tests)
        else:
            raise _Bad(f"unknown report format '{fmt}'")
    except _Bad as exc:
        problem = str(exc)
    except (ValueError, ET.ParseError, RecursionError, TypeError, KeyError) as exc:
        # json.JSONDecodeError and UnicodeDecodeError are ValueErrors
        what = "XML" if fmt == "junit" else "JSON"
        problem = f"not valid {what}: {safe(str(exc))[:200]}"
    except OSError as exc:
        problem = exc.strerror or str(exc)
    dropped = {k: n for k, n in (("findings", findings.dropped), ("tests", tests.dropped)) if n}
    return Report(
        tool=safe(tool)[:100] if tool else None,
        findings=tuple(findings.items),
        tests=tuple(tests.items),
        problem=problem,
        dropped=dropped,
        failed=tests.failed,
    )
