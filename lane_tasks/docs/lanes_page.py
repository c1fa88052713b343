"""docs/lanes.md from lanes.toml: the published lane definitions, generated so they cannot drift.

`lane-tasks lanes docs --out docs/lanes.md` writes it, `--check` and the drift-check step compare
it with what lanes.toml renders now. The output depends only on the config (no dates, no paths
outside the repository), so the same lanes.toml always gives the same bytes.
"""

from __future__ import annotations

from lane_tasks.catalog import CONTROLS, KPIS, OSPS_BASELINE, SLSA_VERSION
from lane_tasks.config import Config, ResolvedLane
from lane_tasks.docs.commands import step_command
from lane_tasks.docs.quickstarts import ROLES, quickstart_path, render_quickstart

__all__ = ["LANES_MD", "first_difference", "render_docs", "render_lanes_md", "step_command"]

_EOF = "<end of file>"
LANES_MD = "lanes.md"
"""The page's name in the docs directory (drift-check reads docs/lanes.md)."""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _lane(config: Config, lane: ResolvedLane) -> list[str]:
    out = [f"## {lane.name}", ""]
    if lane.description:
        out += [lane.description, ""]
    parents = " → ".join(f"`{n}`" for n in reversed(lane.chain[:-1]))
    out += [
        f"- **Ideal for:** {lane.ideal_for or '—'}",
        f"- **Extends:** {parents or 'nothing (a base lane)'}",
        "",
        "### Command path",
        "",
        f"`nox -s {lane.name}` runs these steps in this order, each once, then verifies the "
        "lane's controls from the evidence they left:",
        "",
        "```",
        *(step_command(config, s) for s in lane.step_ids()),
        "```",
        "",
        "### Minimum controls",
        "",
    ]
    if lane.controls:
        out += ["| control | what it requires | from lane |", "|---|---|---|"]
        out += [
            f"| `{c.id}` | {_cell(CONTROLS[c.id].title)} | `{c.origin}` |" for c in lane.controls
        ]
    else:
        out.append("None.")
    out += ["", "### KPI emphasis", ""]
    out += [f"- {KPIS[k.id].title} (`{k.id}`, from `{k.origin}`)" for k in lane.kpis] or ["None."]
    return [*out, ""]


def _mapping(lanes: list[ResolvedLane]) -> list[str]:
    """The controls these lanes verify, mapped to the public baselines an auditor reads."""
    used = dict.fromkeys(c.id for lane in lanes for c in lane.controls)
    if not used:
        return []
    out = [
        "## Controls and public baselines",
        "",
        f"What each control's evidence meets in the OpenSSF OSPS Baseline ({OSPS_BASELINE}) "
        f"and supports in SLSA {SLSA_VERSION} (`lane-tasks controls list --format json` gives "
        "the same as data). A control maps only where its evidence alone answers the "
        "requirement; — means no requirement asks what it proves.",
        "",
        f"| control | OSPS Baseline {OSPS_BASELINE} | SLSA {SLSA_VERSION} |",
        "|---|---|---|",
    ]
    for cid in used:
        info = CONTROLS[cid]
        osps = ", ".join(f"`{i}`" for i in info.osps) or "—"
        out.append(f"| `{cid}` | {osps} | {_cell(info.slsa or '—')} |")
    return [*out, ""]


def render_lanes_md(config: Config) -> str:
    """The Markdown page: every lane (in lanes.toml order) with its description, what it is
    ideal for, what it extends, its command path, minimum controls and KPI emphasis, then a
    lane-selection table built from each lane's `ideal_for` and links to the role
    quickstarts."""

    lanes = config.resolved_lanes()
    out = [
        "# Release-confidence lanes",
        "",
        "<!-- Generated from lanes.toml by `lane-tasks lanes docs --out docs/lanes.md`; do not "
        "edit by hand (drift-check fails when this file and lanes.toml disagree). -->",
        "",
        "Each lane is a nox session. A lane that extends another inherits all of its steps, "
        "controls and KPIs and only adds to them.",
        "",
    ]
    for lane in lanes:
        out += _lane(config, lane)
    out += _mapping(lanes)
    out += [
        "## Lane selection guidance",
        "",
        "Choose the smallest lane that still meets your risk and compliance obligations.",
        "",
        "| If your constraint is primarily… | Start in lane |",
        "|---|---|",
        *(f"| {_cell(lane.ideal_for)} | `{lane.name}` |" for lane in lanes if lane.ideal_for),
        "",
        "The `lanes recommend` command names the smallest lane for your constraints, with the "
        "reason.",
        "",
        "## Role quickstarts",
        "",
        "The commands each owner role runs, for this project:",
        "",
        *(f"- [{role.title}]({quickstart_path(role)})" for role in ROLES),
    ]
    return "\n".join(out) + "\n"


def render_docs(config: Config) -> dict[str, str]:
    """The whole published set, by path relative to the docs directory: lanes.md and one
    quickstart page per role (`lane-tasks lanes docs --out-dir docs`)."""

    docs = {LANES_MD: render_lanes_md(config)}
    docs |= {quickstart_path(role): render_quickstart(config, role) for role in ROLES}
    return docs


def first_difference(expected: str, actual: str) -> tuple[int, str, str] | None:
    """The first line where `actual` differs from `expected`: (line, found, expected), with
    `<end of file>` for a missing line; None when they are the same (line endings aside)."""
    want = expected.replace("\r\n", "\n").split("\n")
    got = actual.replace("\r\n", "\n").split("\n")
    for i in range(max(len(want), len(got))):
        w = want[i] if i < len(want) else _EOF
        g = got[i] if i < len(got) else _EOF
        if w != g:
            return i + 1, g, w
    return None
