"""Text rendering of artifacts for people; JSON is the artifact itself."""

from __future__ import annotations

from typing import Any

from lane_tasks.console import mark

__all__ = ["mark", "render_text"]


def render_text(doc: dict[str, Any], *, verbose: bool = False, streamed: bool = False) -> str:
    """One line per result, then the excerpt and fix of each problem, then a summary.
    `streamed`: each result's line was already printed as it finished (lane_tasks.console),
    so only the problems' lines are repeated here, above their excerpts."""
    title = doc.get("step", "?")
    if doc.get("lane"):
        title += f" ({doc['lane']})"
    lines = [f"lane-tasks {title}: {doc.get('status', '?').upper()}"]
    results = doc.get("results", [])
    width = max((len(r.get("id", "")) for r in results), default=0)
    for r in results:
        if streamed and r.get("status") not in ("fail", "error"):
            continue
        bits = [f"  {mark(r)} {r.get('id', ''):<{width}}"]
        if r.get("severity") not in (None, "error", "warning"):  # WARN says `warning`
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
            # the log's path on a line of its own: the header fits a narrow terminal, and the
            # path is one whole word to copy (or click) rather than wrapped mid-name
            lines.append(f"\n--- {r['id']}: last lines of output ---")
            lines.append(r["excerpt"])
            if r.get("log"):
                lines.append(f"  full log: {r['log']}")
        if r.get("fix") and r.get("status") in ("fail", "error"):
            lines.append(f"  fix [{r['id']}]: {r['fix']}")
    s = doc.get("summary", {})
    warn = f"{s['warn']} warn / " if s.get("warn") else ""
    lines.append(
        f"{title}: {s.get('pass', 0)} pass / {warn}{s.get('fail', 0)} fail / "
        f"{s.get('error', 0)} error / {s.get('skip', 0)} skip"
    )
    return "\n".join(lines) + "\n"
