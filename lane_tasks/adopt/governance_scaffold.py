"""The governance tables `init` writes, so that scale and regulated pass on what init wrote and
fail only on evidence people must give (a KPI review, a release decision).

`governance_scaffold` is pure apart from reading the repository (CODEOWNERS, git identity,
pyproject.toml, the source tree): it returns lanes.toml tables to merge into init's data and one
"why" line per choice, for init to print. Which tables a lane needs is data (`_NEEDS`): each
control of the lane names the tables its verifier reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lane_tasks.catalog import STEPS
from lane_tasks.compat.project_surface import console_scripts, find_packages
from lane_tasks.compat.snapshot import SnapshotProblem, generated_snapshot, render_snapshot
from lane_tasks.config import CHECKLIST_DECISION, DEFAULT_CHECKLIST, Config
from lane_tasks.evidence.artifacts import atomic_write
from lane_tasks.project.git import git, git_config

__all__ = [
    "CODEOWNERS_PATHS",
    "PLACEHOLDER_CONTACT",
    "Scaffold",
    "TeamGuess",
    "governance_scaffold",
    "lane_items",
    "merge_tables",
    "teams_from_codeowners",
    "teams_from_git",
    "write_compat_snapshot",
]

CODEOWNERS_PATHS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
"""Where GitHub (and GitLab, for the first two) look for it, in GitHub's order."""

DEFAULT_TEAM = "maintainers"
PLACEHOLDER_CONTACT = "set-a-contact@replace-me.invalid"
"""Written only when git has no identity; `.invalid` can never be a real address."""

SEVERITY = (
    ("sev1", "Releases blocked or a shipped artifact is wrong.", "15m", "4h"),
    ("sev2", "A main use case is broken for most users.", "1h", "1d"),
    ("sev3", "A problem in one setup, with a workaround.", "1d", "1w"),
    ("sev4", "Cosmetic problems, docs and questions.", "3d", "4w"),
)
"""Level, description, ack SLO, resolve SLO: strictest first, each strictly faster."""


@dataclass(frozen=True, kw_only=True)
class TeamGuess:
    """The teams found and the one that owns everything by default."""

    teams: dict[str, dict[str, str]]
    owner: str
    why: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Scaffold:
    """Tables to merge (deeply) into init's lanes.toml data, and why each was chosen."""

    tables: dict[str, Any] = field(default_factory=dict)
    why: tuple[str, ...] = ()


# ---- teams -----------------------------------------------------------------------------------


def _team_name(owner: str, taken: Iterable[str]) -> str:
    """`@org/core-devs` -> `core-devs`, `@alice` -> `alice`, `a.b@x.org` -> `a.b`; unique."""
    base = owner[1:].rsplit("/", 1)[-1] if owner.startswith("@") else owner.split("@", 1)[0]
    base = re.sub(r"[^A-Za-z0-9_.-]+", "-", base).strip("-") or "team"
    taken = set(taken)
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name


def teams_from_codeowners(root: Path) -> TeamGuess | None:
    """Teams from the first CODEOWNERS file: every owner (`@org/team`, `@user`, an email) is a
    team whose contact is that owner; the default owner is the first owner of the last `*`
    rule (GitHub: the last matching rule wins), else the owner named most often."""
    for rel in CODEOWNERS_PATHS:
        path = root / rel
        if path.is_file():
            break
    else:
        return None
    text = path.read_text(encoding="utf-8", errors="replace")
    names: dict[str, str] = {}  # owner -> team name, in order of appearance
    uses: dict[str, int] = {}
    star: str | None = None
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) < 2:
            continue
        pattern, owners = words[0], [w for w in words[1:] if w.startswith("@") or "@" in w]
        for o in owners:
            if o not in names:
                names[o] = _team_name(o, names.values())
            uses[o] = uses.get(o, 0) + 1
        if pattern in ("*", "/*", "**", "/**") and owners:
            star = owners[0]
    if not names:
        return None
    default = star or max(names, key=lambda o: (uses[o], -list(names).index(o)))
    how = f"the owner of `*` in {rel}" if star else f"the owner named most often in {rel}"
    teams = {names[o]: {"contact": o, "description": f"From {rel} ({o})."} for o in names}
    listed = ", ".join(f"{t} ({o})" for o, t in names.items())
    why = (
        f"teams: from {rel}: {listed}",
        f"ownership: every gate check, step and control is owned by '{names[default]}', {how}; "
        "reassign items in [ownership] as you like",
    )
    return TeamGuess(teams=teams, owner=names[default], why=why)


def teams_from_git(root: Path) -> TeamGuess:
    """One team, 'maintainers', reached at the git author's email; a placeholder contact (said
    so in `why`) only when git has no identity."""
    name, email = git_config(root, "user.name"), git_config(root, "user.email")
    if email:
        who = f"{name} <{email}>" if name else email
        team = {"contact": email, "description": f"The git author {who}; split it as you grow."}
        why = (
            f"teams: no CODEOWNERS; one team '{DEFAULT_TEAM}' reached at {email} "
            "(git config user.email)",
            f"ownership: every gate check, step and control is owned by '{DEFAULT_TEAM}'",
        )
    else:
        team = {
            "contact": PLACEHOLDER_CONTACT,
            "description": "PLACEHOLDER: git has no user.email; put a reachable contact here.",
        }
        why = (
            f"teams: no CODEOWNERS and git has no user.email: team '{DEFAULT_TEAM}' has the "
            f"placeholder contact {PLACEHOLDER_CONTACT}; replace it in [teams.{DEFAULT_TEAM}] "
            "(or add a CODEOWNERS file and run init again)",
            f"ownership: every gate check, step and control is owned by '{DEFAULT_TEAM}'",
        )
    return TeamGuess(teams={DEFAULT_TEAM: team}, owner=DEFAULT_TEAM, why=why)


# ---- what each control needs ----------------------------------------------------------------


def lane_items(
    lanes: Mapping[str, Mapping[str, Any]], lane: str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(steps, controls) of `lane` with everything it inherits through `extends`."""
    chain: list[str] = []
    cur: str | None = lane
    while cur is not None and cur not in chain:
        chain.append(cur)
        cur = lanes[cur].get("extends")
    steps: dict[str, None] = {}
    controls: dict[str, None] = {}
    for name in reversed(chain):
        steps |= dict.fromkeys(lanes[name].get("steps", ()))
        controls |= dict.fromkeys(lanes[name].get("controls", ()))
    return tuple(steps), tuple(controls)


def _ownership(ctx: _Ctx) -> tuple[dict[str, Any], list[str]]:
    team = ctx.teams.owner
    return {
        "teams": ctx.teams.teams,
        "ownership": {
            "steps": dict.fromkeys(ctx.steps, team),
            "controls": dict.fromkeys(ctx.controls, team),
        },
    }, list(ctx.teams.why)


def _support(ctx: _Ctx) -> tuple[dict[str, Any], list[str]]:
    team = ctx.teams.owner
    severity = {
        level: {"description": text, "ack": ack, "resolve": resolve, "escalation": team}
        for level, text, ack, resolve in SEVERITY
    }
    shown = ", ".join(f"{lv} {a}/{r}" for lv, _, a, r in SEVERITY)
    return {"support": {"levels": [s[0] for s in SEVERITY], "severity": severity}}, [
        f"support: a default severity model (ack/resolve {shown}), escalating to '{team}'; "
        "adjust the SLOs to what you promise"
    ]


def _compat(ctx: _Ctx) -> tuple[dict[str, Any], list[str]]:

    packages = find_packages(ctx.root)
    schemas = _schema_globs(ctx.root)
    table: dict[str, Any] = {"source": "project", "snapshot": "compat-snapshot.json"}
    if packages:
        table["packages"] = list(packages)
    if schemas:
        table["schemas"] = schemas
    scripts = ", ".join(console_scripts(ctx.root)) or "none"
    why = [
        "compat: generated from this project (source = project): the public API of "
        f"{', '.join(packages) or 'no package found'}, console scripts ({scripts}), schemas "
        f"({', '.join(schemas) or 'none declared'}); written to compat-snapshot.json"
    ]
    return {"compat": table}, why


def _kpi(ctx: _Ctx) -> tuple[dict[str, Any], list[str]]:
    return {"kpi": {"review_period_days": 7}}, [
        "kpi: reviewed every 7 days (`lane-tasks kpi review --reviewer NAME`)"
    ]


def _release(ctx: _Ctx) -> tuple[dict[str, Any], list[str]]:
    items = [i for i in DEFAULT_CHECKLIST if i == CHECKLIST_DECISION or i in ctx.steps]
    return {"release": {"checklist": items}}, [
        f"release: every release tag carries a checklist of {', '.join(items)}"
    ]


@dataclass(frozen=True, kw_only=True)
class _Ctx:
    root: Path
    steps: tuple[str, ...]
    controls: tuple[str, ...]
    teams: TeamGuess


_NEEDS = {
    "ownership-matrix": _ownership,
    "severity-model": _support,
    "compat-policy": _compat,
    "weekly-kpi-review": _kpi,
    "release-checklist-evidence": _release,
}
"""Control id -> the tables its verifier reads (lane_tasks/controls/*.py)."""


def _schema_globs(root: Path) -> list[str]:
    """Tracked JSON Schema files (`*.schema.json`, or JSON under a `schemas/` folder that says
    `$schema`): the data formats the project declares."""
    r = git(root, "ls-files", "--", "*.json")
    found: list[str] = []
    for rel in r.stdout.splitlines() if r.returncode == 0 else []:
        parts = Path(rel).parts
        if parts and parts[0] in ("tests", "test", "docs", "node_modules"):
            continue
        if rel.endswith(".schema.json"):
            found.append(rel)
        elif "schemas" in parts[:-1]:
            head = (root / rel).read_text(encoding="utf-8", errors="replace")[:2000]
            if '"$schema"' in head:
                found.append(rel)
    return sorted(found)


def governance_scaffold(
    root: Path,
    lane: str,
    check_ids: Sequence[str],
    *,
    lanes: Mapping[str, Mapping[str, Any]],
) -> Scaffold:
    """The tables the controls of `lane` (own and inherited) need, from the repository: teams
    (CODEOWNERS, else the git author), an owner for every gate check (its `owner` key), step
    and control, and per control what `_NEEDS` says. `lanes` is the [lanes] table init writes."""
    steps, controls = lane_items(lanes, lane)
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        raise KeyError(f"unknown step(s) {', '.join(unknown)} in lane '{lane}'")
    teams = teams_from_codeowners(root) or teams_from_git(root)
    ctx = _Ctx(root=root, steps=steps, controls=controls, teams=teams)
    tables: dict[str, Any] = {
        "teams": teams.teams,
        "gate": {"fast": {"checks": {c: {"owner": teams.owner} for c in check_ids}}},
    }
    why: list[str] = []
    if "ownership-matrix" not in controls:
        why.append(f"gate checks are owned by '{teams.owner}' ([teams.{teams.owner}])")
    for control in controls:
        need = _NEEDS.get(control)
        if need is not None:
            more, reasons = need(ctx)
            tables = merge_tables(tables, more)
            why += reasons
    return Scaffold(tables=tables, why=tuple(why))


def merge_tables(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `extra` merged in: tables merge key by key, anything else in `extra` wins."""
    out = dict(base)
    for key, value in extra.items():
        old = out.get(key)
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            out[key] = merge_tables(old, value)
        else:
            out[key] = value
    return out


def write_compat_snapshot(config: Config) -> str:
    """Write the generated compat snapshot of a source = "project" config (after lanes.toml is
    written); the line init prints. SnapshotProblem when the surface cannot be read."""

    snapshot = generated_snapshot(config)
    rel = config.compat.snapshot
    if snapshot.is_empty():
        raise SnapshotProblem(
            "no public Python API, console script or schema found: set [compat] packages or "
            f"schemas in lanes.toml, then run `lane-tasks compat snapshot` and commit {rel}"
        )
    atomic_write(config.root / rel, render_snapshot(snapshot))
    return (
        f"wrote {rel}: {len(snapshot.api)} public API name(s), {len(snapshot.cli)} command(s), "
        f"{len(snapshot.schemas)} schema(s); commit it, and re-run `lane-tasks compat snapshot` "
        "when the surface changes"
    )
