"""Role quickstarts: one short page per owner role with the exact commands that role runs.

Rendered from lanes.toml and the real command set (`lane-tasks lanes docs --out-dir docs`
writes `docs/quickstart/<role>.md` beside `docs/lanes.md`), so the commands on a page are the
project's own: its lanes, its evidence directory, its gate checks and owners. Like lanes.md the
output depends only on the config: the same lanes.toml gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lane_tasks.catalog import CONTROLS, KPIS
from lane_tasks.config import Config
from lane_tasks.docs.commands import step_command

__all__ = ["ROLES", "Role", "quickstart_path", "render_quickstart"]


@dataclass(frozen=True)
class Role:
    id: str
    """The page name: docs/quickstart/<id>.md."""
    title: str
    summary: str
    controls: tuple[str, ...]
    """The controls this role answers for."""
    body: Callable[[Config], list[str]]


def quickstart_path(role: Role) -> str:
    """The page's path relative to the docs directory."""
    return f"quickstart/{role.id}.md"


def _has(config: Config, control: str) -> bool:
    return any(control in lane.control_ids() for lane in config.resolved_lanes())


def _has_step(config: Config, step: str) -> bool:
    return any(step in lane.step_ids() for lane in config.resolved_lanes())


def _block(*lines: str) -> list[str]:
    return ["```", *lines, "```", ""]


def _sign(config: Config) -> str:
    """` --sign-key KEY` on a record command when lanes.toml lists [signing.keys]."""
    return " --sign-key KEY" if config.signing.keys else ""


def _signing(config: Config, records: str, signer: str) -> list[str]:
    """How this role signs its records: required once lanes.toml lists keys, else optional."""
    listed = ", ".join(f"`{n}`" for n in config.signing.keys)
    head = (
        f"lanes.toml lists public keys in `[signing.keys]` ({listed}): the controls accept "
        f"{records} only when signed, unchanged, by {signer}. Give your private key with "
        "`--sign-key KEY` as above; it writes `<record>.dsse.json` beside the record (commit "
        "both)."
        if config.signing.keys
        else f"Optional: sign {records} with `--sign-key KEY` (it writes `<record>.dsse.json` "
        f"beside the record). Once lanes.toml lists public keys in `[signing.keys]`, the "
        f"controls accept only records signed, unchanged, by {signer}."
    )
    return [
        "## Sign your records",
        "",
        head + " Make a key once, keep the private one out of the repository, and commit the "
        'public one (`pip install "lane-tasks[sign]"` for the signing itself):',
        "",
        *_block(
            "mkdir -p ~/.config/lane-tasks keys",
            "openssl genpkey -algorithm ed25519 -out ~/.config/lane-tasks/me.pem",
            "openssl pkey -in ~/.config/lane-tasks/me.pem -pubout -out keys/me.pub",
        ),
        'Then in lanes.toml: `[signing.keys]` with `"NAME" = "keys/me.pub"`.',
        "",
    ]


def _release_owner(config: Config) -> list[str]:
    default = config.resolve(config.default_lane or next(iter(config.lanes)))
    lane = (
        config.lane_with("release-checklist-evidence")
        if _has(config, "release-checklist-evidence")
        else default
    )
    others = [n for n in config.lanes if n != default.name]
    ev = config.evidence_dir
    owners = ", ".join(f"`{o}`" for o in config.release_owners) or "none yet (add some)"
    out = [
        f"Release owners (`project.release_owners`): {owners}.",
        "",
        "## Cut version X",
        "",
        "1. Run your lane on the commit you mean to release (each lane is a nox session; "
        f"`{default.name}` is the default"
        + (f", the others are {', '.join(f'`{n}`' for n in others)}" if others else "")
        + "):",
        "",
        *_block(f"nox -s {default.name}"),
        "2. Decide, on the evidence of that run's release preflight:",
        "",
        *_block(
            "lane-tasks release decide --version X --decision go --owner NAME --reason TEXT"
            + _sign(config)
        ),
    ]
    step = 3
    if _has(config, "release-checklist-evidence"):
        out += [
            f"{step}. Attach the release checklist (`[release] checklist`: "
            f"{', '.join(config.checklist.items)}), built from the same run:",
            "",
            *_block("lane-tasks release checklist --version X" + _sign(config)),
        ]
        step += 1
    out += [
        f"{step}. Commit the records under `{ev}/releases/X/`, tag that commit (the decision "
        f"holds for it: it differs from the decided commit only under `{ev}/`), and verify:",
        "",
        *_block(
            f"git add {ev}/releases",
            'git commit -m "release X: evidence"',
            "git tag vX",
            f"lane-tasks controls verify --lane {lane.name}",
        ),
        "A `no-go` is recorded the same way (`--decision no-go`). A `go` on a failed or "
        "missing preflight (or one that did not find the whole gate fast passing) is refused "
        "unless you give `--override-reason`, which is recorded, and the release-owner control "
        "applies the same rule to the record later; "
        "a `go` on a preflight that found no release candidate (the version already released, "
        "a dev version) is refused even then.",
        "",
        "## Roll back version X",
        "",
        "When a released version is yanked or superseded, record it (the rollback-rate KPI "
        "counts these against the `go` decisions):",
        "",
        *_block(
            "lane-tasks release rollback --version X --owner NAME --reason TEXT",
            f"git add {ev}/releases",
        ),
        *_signing(
            config,
            "decisions and checklists",
            "the decision's owner (a checklist: any release owner)",
        ),
    ]
    return out


def _gate_owner(config: Config) -> list[str]:
    out = ["## Your checks", ""]
    if config.checks:
        out += ["| check | owner | command | timeout |", "|---|---|---|---|"]
        for c in config.checks.values():
            cmd = " ".join(c.cmd).replace("|", "\\|")
            out.append(f"| `{c.id}` | {c.owner or '—'} | `{cmd}` | {c.timeout:g} s |")
    else:
        out.append("No `[gate.fast.checks]` yet: add one per tool, each an argv list.")
    out += [
        "",
        "## Run the gates",
        "",
        *_block(
            "nox -s gate-fast",
            step_command(config, "gate-fast"),
            "lane-tasks gate fast --check ID",
            step_command(config, "doctor"),
        ),
        "A failing check names its owner, exit code and the last lines of its output in "
        f"`{config.artifacts_dir}/gate-fast.json`. `--check ID` runs part of the gate while you "
        "work: such an artifact is no release evidence, only the whole configured gate is. "
        "Turn a release check off only with a reason "
        "(`[gate.release.disable]`); the reason is shown in every report.",
        "",
    ]
    if _has_step(config, "drift-check"):
        out += [
            "## Keep the path from drifting",
            "",
            *_block(step_command(config, "drift-check")),
        ]
    return out


def _kpi_reviewer(config: Config) -> list[str]:
    lane = config.lane_with("weekly-kpi-review")
    reviewers = ", ".join(f"`{r}`" for r in config.kpi.reviewers) or "anyone who gives a name"
    out = [
        f"Review every {config.kpi.review_period_days} days (`kpi.review_period_days`); "
        f"reviewers (`kpi.reviewers`): {reviewers}.",
        "",
        f"## The KPIs of `{lane.name}`",
        "",
        *(f"- {KPIS[k.id].title} (`{k.id}`)" for k in lane.kpis),
        "",
        "## Record the review",
        "",
        *_block(
            f"lane-tasks kpi --lane {lane.name}",
            f"lane-tasks dashboard --out {config.artifacts_dir}/dashboard/index.html",
            f"lane-tasks kpi review --reviewer NAME --lane {lane.name} --notes TEXT"
            + _sign(config),
            f"git add {config.evidence_dir}/kpi-reviews",
            'git commit -m "KPI review"',
            f"lane-tasks controls verify --lane {lane.name}",
        ),
        "The KPIs come from the run history (`lane-tasks history import` brings in other "
        "repositories' and CI jobs' runs). The review records the UTC time, your name and "
        "every KPI value it saw; a KPI without enough data is recorded as `unknown` with the "
        "reason, never as an invented number.",
        "",
        *_signing(config, "KPI reviews", "their reviewer"),
    ]
    return out


def _support_lead(config: Config) -> list[str]:
    lane = config.lane_with("severity-model")
    out = [
        "## Triage a failed lane",
        "",
        *_block(
            "lane-tasks runs list",
            f"lane-tasks controls verify --lane {lane.name} --format json",
            "lane-tasks controls list",
            "lane-tasks triage --run RUN_ID --owner NAME --note TEXT",
            f"git add {config.evidence_dir}/triage",
        ),
        "Each failed control says what it read and how to satisfy it (`fix`); each failed "
        f"step left its artifact in `{config.artifacts_dir}/lanes/runs/<run-id>/`. The triage "
        "record is what the mean-time-to-triage KPI measures, from the first failed run of "
        "the streak.",
        "",
    ]
    if _has_step(config, "contract-index"):
        out += [
            "## Check a run's evidence is intact",
            "",
            *_block("lane-tasks contract-index verify"),
        ]
    return out


ROLES: tuple[Role, ...] = (
    Role(
        "release-owner",
        "Release owner",
        "You decide go or no-go for each version and leave the evidence for it.",
        ("release-confidence-path", "release-owner", "release-checklist-evidence"),
        _release_owner,
    ),
    Role(
        "gate-owner",
        "Gate owner",
        "You own checks of the release gates and keep the canonical path healthy.",
        ("release-confidence-path", "artifact-retention", "ownership-matrix", "compat-policy"),
        _gate_owner,
    ),
    Role(
        "kpi-reviewer",
        "KPI reviewer",
        "You review the lane's KPIs on a fixed cadence and record that you did.",
        ("weekly-kpi-review",),
        _kpi_reviewer,
    ),
    Role(
        "support-lead",
        "Support lead",
        "You triage failures and own the escalation contract.",
        ("severity-model", "deprecation-windows"),
        _support_lead,
    ),
)


def render_quickstart(config: Config, role: Role) -> str:
    """One role's page: what the role does, the controls it answers for (those some lane of
    lanes.toml verifies), and the commands it runs."""
    out = [
        f"# Quickstart: {role.title}",
        "",
        "<!-- Generated from lanes.toml by `lane-tasks lanes docs --out-dir docs`; do not edit "
        "by hand. -->",
        "",
        role.summary + " Lanes and their controls: [lanes.md](../lanes.md).",
        "",
    ]
    mine = [c for c in role.controls if _has(config, c)]
    if mine:
        out += ["Controls you answer for:", ""]
        out += [f"- `{c}`: {CONTROLS[c].title}" for c in mine]
        out.append("")
    out += role.body(config)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"
