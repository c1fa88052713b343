"""A GitHub-flavoured Markdown summary of one lane run, for the CI job page.

A person opening a failed CI job wants, before any log: which lane, which commit, which step
failed, which check or control, who owns it and what to do. The summary is built from what the
run store kept (`manifest.json` and the step artifacts it lists), so it says exactly what the
run's evidence says; a missing or unreadable artifact is shown as such, never skipped.
"""

from __future__ import annotations

import html
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lane_tasks.evidence.artifacts import is_warning, read_record

__all__ = ["EXCERPT_LINES", "append_github_summary", "render_run_summary"]

EXCERPT_LINES = 20
"""Lines of a failure excerpt shown (its end: where tools print the verdict)."""
_LINE_CHARS = 240

_MARK = {
    "pass": "✅ pass",
    "fail": "❌ fail",
    "error": "⚠️ error",
    "skip": "⏭️ skip",
    "warn": "🟡 warn",
}
_BACKTICKS = re.compile(r"`+")


_READ_PROBLEMS = {
    "missing": "is missing",
    "unreadable": "is unreadable: {detail}",
    "not-object": "is not a JSON object",
    "invalid": "is not a valid lane-tasks artifact",  # a summary reads only what meets its contract
}


def _read(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    got = read_record(path)
    if got.failure is not None:
        return None, f"{path.name} " + _READ_PROBLEMS[got.failure].format(detail=got.detail)
    return got.doc, None


def _inline(value: object) -> str:
    """Text for a Markdown line or table cell: HTML-escaped (a `<lane>` must not vanish as a
    tag), one line, pipes escaped. Backticks stay: fixes quote commands in code spans."""
    text = " ".join(str(value).split())
    return html.escape(text, quote=False).replace("|", "\\|")


def _code(value: object) -> str:
    """An inline code span that holds `value` whatever backticks it contains."""
    text = " ".join(str(value).split())
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _mark(status: object) -> str:
    return _MARK.get(str(status), _inline(status))


def _counts(doc: Mapping[str, Any]) -> str:
    s = _mapping(doc.get("summary"))
    if not s:
        return ""
    keys = ("pass", *(("warn",) if s.get("warn") else ()), "fail", "error", "skip")
    return " / ".join(f"{s.get(k, 0)} {k}" for k in keys)


def _excerpt_block(rid: str, excerpt: str) -> list[str]:
    lines = [line[:_LINE_CHARS] for line in excerpt.rstrip().splitlines()[-EXCERPT_LINES:]]
    body = "\n".join(lines)
    longest = max((len(m) for m in _BACKTICKS.findall(body)), default=0)
    fence = "`" * max(3, longest + 1)
    return [
        f"<details><summary>{html.escape(rid)}: last lines of output</summary>",
        "",
        f"{fence}text",
        body,
        fence,
        "",
        "</details>",
        "",
    ]


MAX_ITEMS = 20
"""Failing test cases and findings listed per check; the rest are counted."""


def _where(f: Mapping[str, Any]) -> str:
    path = f.get("path")
    if not isinstance(path, str) or not path:
        return ""
    line, col = f.get("line"), f.get("column")
    return (
        path
        + (f":{line}" if isinstance(line, int) else "")
        + (f":{col}" if isinstance(col, int) and isinstance(line, int) else "")
    )


def _reported(r: Mapping[str, Any]) -> list[str]:
    """The failing test cases and the findings a check's tool reported, bounded."""
    out: list[str] = []
    tests = [t for t in r.get("tests") or [] if isinstance(t, Mapping)]
    failing = [t for t in tests if t.get("status") in ("fail", "error")]
    for t in failing[:MAX_ITEMS]:
        name = "::".join(str(x) for x in (t.get("classname"), t.get("name")) if x)
        line = f"  - ❌ test {_code(name)}"
        if t.get("message"):
            line += f": {_inline(str(t['message'])[:_LINE_CHARS])}"
        out.append(line)
    if len(failing) > MAX_ITEMS:
        out.append(f"  - … and {len(failing) - MAX_ITEMS} more failing test cases")
    found = [f for f in r.get("findings") or [] if isinstance(f, Mapping)]
    for f in found[:MAX_ITEMS]:
        bits = [b for b in (_where(f), f.get("rule")) if b]
        head = " ".join(_code(b) for b in bits)
        out.append(
            f"  - {head + ': ' if head else ''}{_inline(str(f.get('message', ''))[:_LINE_CHARS])}"
        )
    if len(found) > MAX_ITEMS:
        out.append(f"  - … and {len(found) - MAX_ITEMS} more findings")
    return out


def _problems(step: str, doc: Mapping[str, Any]) -> list[str]:
    """Every failed or errored check/control of a failing step: owner, message, fix, excerpt."""
    out: list[str] = []
    results = [r for r in doc.get("results", []) if isinstance(r, Mapping)]
    bad = [r for r in results if r.get("status") in ("fail", "error")]
    if not bad:
        return [f"No failed check recorded in {_code(step)}'s artifact.", ""]
    for r in bad:
        rid = str(r.get("id", "?"))
        warning = is_warning(r.get("status"), r.get("severity"))
        bits = [_mark("warn" if warning else r.get("status"))]
        if r.get("severity") not in (None, "error", "warning"):
            bits.append(_inline(r["severity"]))
        bits.append(f"owner {_code(r['owner'])}" if r.get("owner") else "no owner")
        line = f"- **{_inline(rid)}** ({', '.join(bits)})"
        if r.get("message"):
            line += f": {_inline(r['message'])}"
        out.append(line)
        if r.get("fix"):
            out.append(f"  - fix: {_inline(r['fix'])}")
        out += _reported(r)
        if r.get("log"):
            out.append(f"  - full log: {_code(r['log'])}")
    out.append("")
    for r in bad:
        if r.get("excerpt"):
            out += _excerpt_block(str(r.get("id", "?")), str(r["excerpt"]))
    return out


def render_run_summary(run_dir: Path) -> str:
    """The summary of the run kept in `run_dir` (`<artifacts>/lanes/runs/<run-id>/`): lane,
    run id, commit and status, a table of steps, then the failures of each failing step."""
    manifest, problem = _read(run_dir / "manifest.json")
    if manifest is None:
        return f"## lane-tasks run {_code(run_dir.name)}\n\nNo run summary: {_inline(problem)}.\n"
    lane = manifest.get("lane") or "(no lane)"
    run, subject = _mapping(manifest.get("run")), _mapping(manifest.get("subject"))
    commit = str(subject.get("commit") or "unknown")
    dirty = " (dirty tree)" if subject.get("dirty") else ""
    status = manifest.get("status", "error")
    lines = [
        f"## lane-tasks {_inline(lane)}: {_mark(status)}",
        "",
        f"Run {_code(run.get('id') or run_dir.name)} on commit {_code(commit[:12])}{dirty}"
        + (f", {_inline(run['state'])}" if run.get("state") else "")
        + (f", {run['duration_s']:.1f} s" if isinstance(run.get("duration_s"), int | float) else "")
        + ".",
        "",
        "| step | status | results |",
        "|---|---|---|",
    ]
    failing: list[tuple[str, Mapping[str, Any] | None, str | None]] = []
    for entry in manifest.get("results", []):
        if not isinstance(entry, Mapping):
            continue
        step = str(entry.get("id", "?"))
        doc: dict[str, Any] | None = None
        why: str | None = "no artifact recorded"
        if isinstance(entry.get("artifact"), str):
            doc, why = _read(run_dir / Path(entry["artifact"]).name)
        detail = _counts(doc) if doc is not None else _inline(why)
        lines.append(f"| {_inline(step)} | {_mark(entry.get('status'))} | {detail} |")
        if entry.get("status") in ("fail", "error"):
            failing.append((step, doc, why))
    if not failing and status != "pass":
        lines += ["", f"No step recorded a failure, yet the run's status is {_inline(status)}."]
    for name, evidence, unreadable in failing:
        lines += ["", f"### {_inline(name)}", ""]
        if evidence is None:
            lines += [f"The step's artifact cannot be read: {_inline(unreadable)}.", ""]
        else:
            lines += _problems(name, evidence)
    return "\n".join(lines).rstrip("\n") + "\n"


def append_github_summary(run_dir: Path, env: Mapping[str, str] = os.environ) -> bool:
    """Append the run's summary to the file `GITHUB_STEP_SUMMARY` names (what GitHub Actions
    shows on the job page). Returns whether it wrote: outside GitHub Actions it does nothing,
    and a summary file it cannot write is a one-line warning, not a failure."""
    target = env.get("GITHUB_STEP_SUMMARY")
    if not target:
        return False
    path = Path(target)
    text = render_run_summary(run_dir)
    try:
        if path.is_file() and path.stat().st_size > 0:
            text = "\n" + text  # a blank line ends whatever block an earlier step left open
        with path.open("a", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:  # the job page loses a summary; the run itself is recorded
        why = exc.strerror or str(exc)
        sys.stderr.write(f"lane-tasks: warning: GITHUB_STEP_SUMMARY {path}: not written: {why}\n")
        return False
    return True
