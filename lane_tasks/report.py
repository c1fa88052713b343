"""Text rendering of artifacts for people; JSON is the artifact itself."""

from __future__ import annotations

from typing import Any

__all__ = ["render_text"]

_MARK = {"pass": "PASS ", "fail": "FAIL ", "error": "ERROR", "skip": "SKIP "}


def render_text(doc: dict[str, Any], *, verbose: bool = False) -> str:
    """One line per result, then the excerpt and fix of each problem, then a summary."""
    title = doc.get("step", "?")
    if doc.get("lane"):
        title += f" ({doc['lane']})"
    lines = [f"lane-tasks {title}: {doc.get('status', '?').upper()}"]
    results = doc.get("results", [])
    width = max((len(r.get("id", "")) for r in results), default=0)
    for r in results:
        bits = [
            f"  {_MARK.get(r.get('status', ''), r.get('status', ''))} {r.get('id', ''):<{width}}"
        ]
        if r.get("severity") and r.get("severity") != "error":
            bits.append(f"[{r['severity']}]")
        if r.get("owner"):
            bits.append(f"owner={r['owner']}")
        if r.get("cached"):
            bits.append("(cached: inputs unchanged)")
        elif "duration_s" in r:
            bits.append(f"{r['duration_s']:.2f}s")
        if r.get("message"):
            bits.append(f"- {r['message']}")
        lines.append(" ".join(bits).rstrip())
    for r in results:
        if r.get("status") not in ("fail", "error") and not verbose:
            continue
        if r.get("excerpt"):
            where = f"; full log: {r['log']}" if r.get("log") else ""
            lines.append(f"\n--- {r['id']} (last lines of output{where}) ---")
            lines.append(r["excerpt"])
        if r.get("fix") and r.get("status") in ("fail", "error"):
            lines.append(f"  fix [{r['id']}]: {r['fix']}")
    s = doc.get("summary", {})
    lines.append(
        f"{title}: {s.get('pass', 0)} pass / {s.get('fail', 0)} fail / "
        f"{s.get('error', 0)} error / {s.get('skip', 0)} skip"
    )
    return "\n".join(lines) + "\n"
