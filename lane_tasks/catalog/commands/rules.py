"""Commands over the rules: compat, release decisions, lanes."""

from __future__ import annotations

from lane_tasks.catalog.commands._shared import (
    FORMAT_TEXT,
    FORMAT_TEXT_HELP,
    NOW,
    OUT_GUARD,
    H,
    sign_key,
)
from lane_tasks.catalog.commands.spec import Command, Option

__all__ = ["COMMANDS"]

COMMANDS: tuple[Command, ...] = (
    Command(
        path=("compat",),
        help="the API/CLI/schema compatibility snapshot and its diff",
        description="The compatibility snapshot of the CLI, the schemas (and your public API) "
        "and its diff against the latest release.",
        example="lane-tasks compat snapshot --check",
    ),
    Command(
        path=("compat", "snapshot"),
        help="write the compat snapshot (source project: your package's public API, console "
        "scripts and schemas; else lane-tasks' own), or --check it",
        description="Write the compat snapshot ([compat] source project: your package's public "
        "API, console scripts and schemas; else lane-tasks' own), or --check that it is current.",
        example="lane-tasks compat snapshot --check",
        options=(
            Option(
                flags=("--out",),
                metavar="PATH",
                help="write it here (default: [compat] snapshot in lanes.toml)",
            ),
            Option(
                flags=("--check",),
                action="store_true",
                help="exit 1 when the file differs from the live surface",
            ),
            OUT_GUARD,
        ),
        handler=f"{H}.compat:snapshot",
    ),
    Command(
        path=("compat", "diff"),
        help="changes since the latest release tag's snapshot, each judged by the policy",
        description="Every change since the latest release tag's snapshot, each judged by "
        "[compat] policy; exit 1 when a breaking change is not allowed.",
        example="lane-tasks compat diff --against v1.0.0",
        options=(
            Option(
                flags=("--against",),
                metavar="TAG",
                help="compare with this tag or commit (default: latest release)",
            ),
            FORMAT_TEXT_HELP,
        ),
        handler=f"{H}.compat:diff",
    ),
    Command(
        path=("release",),
        help="release decisions",
        description="Release decisions: record a go/no-go, attach the release checklist, record "
        "a rollback.",
        example="lane-tasks release decide --version 1.2.0 --decision go --owner alice",
    ),
    Command(
        path=("release", "decide"),
        help="record a go/no-go decision by a release owner",
        description="Record a go/no-go decision for a version by one of project.release_owners, "
        "bound to the release preflight it was made on.",
        example="lane-tasks release decide --version 1.2.0 --decision go --owner alice --reason "
        "'green'",
        options=(
            Option(flags=("--version",), required=True, help="the version decided on"),
            Option(flags=("--decision",), required=True, choices=("go", "no-go")),
            Option(flags=("--owner",), required=True, help="one of project.release_owners"),
            Option(flags=("--reason",), help="why (recorded)"),
            Option(
                flags=("--override-reason",),
                help="go although the preflight did not pass (recorded)",
            ),
            Option(
                flags=("--preflight",),
                metavar="FILE",
                help="default: build/release-preflight.json",
            ),
            sign_key("the owner's"),
        ),
        handler=f"{H}.release:decide",
    ),
    Command(
        path=("release", "checklist"),
        help="attach the release checklist of a version, built from a run and the decision",
        description="Attach the release checklist of a version, built from a run's artifacts "
        "and the recorded decision; refused while an item is not done unless --allow-incomplete.",
        example="lane-tasks release checklist --version 1.2.0",
        options=(
            Option(flags=("--version",), required=True, help="the version cut"),
            Option(
                flags=("--run-id",),
                help="the run whose artifacts are the evidence (default: the newest run)",
            ),
            Option(
                flags=("--allow-incomplete",),
                action="store_true",
                help="write it even when an item is not done (recorded as not done)",
            ),
            sign_key("a release owner's"),
        ),
        handler=f"{H}.release:checklist",
    ),
    Command(
        path=("release", "rollback"),
        help="record that a released version was yanked or superseded",
        description="Record that a released version was yanked or superseded, by whom and why.",
        example="lane-tasks release rollback --version 1.2.0 --owner alice --reason 'data loss "
        "bug'",
        options=(
            Option(flags=("--version",), required=True, help="the released version rolled back"),
            Option(flags=("--owner",), required=True, help="one of project.release_owners"),
            Option(flags=("--reason",), required=True, help="why it was rolled back (recorded)"),
            NOW,
        ),
        handler=f"{H}.release:rollback",
    ),
    Command(
        path=("lanes",),
        help="show and validate lanes.toml",
        description="Show, validate and document the lanes of lanes.toml (or [tool.lane-tasks]).",
        example="lane-tasks lanes validate",
    ),
    Command(
        path=("lanes", "list"),
        help="the lanes, resolved",
        description="The lanes, resolved: each with its steps, controls and KPIs, inherited ones "
        "included.",
        example="lane-tasks lanes list",
        handler=f"{H}.lanes:list_lanes",
    ),
    Command(
        path=("lanes", "show"),
        help="one lane with every item and the lane it came from",
        description="One lane with every step, control and KPI and the lane each came from.",
        example="lane-tasks lanes show scale --format json",
        options=(Option(flags=("lane",)), FORMAT_TEXT),
        handler=f"{H}.lanes:show",
    ),
    Command(
        path=("lanes", "validate"),
        help="validate lanes.toml (exit 2 with file:line on error)",
        description="Validate the configuration; a problem is one line naming file, line and key "
        "(exit 2).",
        example="lane-tasks lanes validate lanes.toml",
        options=(Option(flags=("path",), nargs="?"),),
        handler=f"{H}.lanes:validate",
    ),
    Command(
        path=("lanes", "docs"),
        help="render docs/lanes.md from lanes.toml (or --check it)",
        description="Render docs/lanes.md and the role quickstarts from the configuration, or "
        "--check that the committed files still match it.",
        example="lane-tasks lanes docs --out-dir docs --check",
        options=(
            Option(flags=("--out",), metavar="FILE", help="write it here (default: print it)"),
            Option(
                flags=("--check",),
                action="store_true",
                help="exit 1 when the file (--out, default docs/lanes.md) differs from lanes.toml",
            ),
            Option(
                flags=("--out-dir",),
                metavar="DIR",
                help="write (or --check) DIR/lanes.md and the role quickstarts "
                "DIR/quickstart/<role>.md",
            ),
            OUT_GUARD,
        ),
        handler=f"{H}.lanes:docs",
    ),
    Command(
        path=("lanes", "recommend"),
        help="the smallest lane that meets your constraints, and why",
        description="The smallest lane that meets your constraints, and why.",
        example="lane-tasks lanes recommend --constraint cross-team --teams 3",
        options=(
            Option(
                flags=("--constraint",),
                action="append",
                choices=("fast-onboarding", "cross-team", "audit"),
                help="a constraint you must meet (repeatable)",
            ),
            Option(
                flags=("--teams",),
                type="int",
                metavar="N",
                help="how many teams release this way",
            ),
            Option(
                flags=("--audit",),
                action="boolean_optional",
                help="whether releases must be audit-ready with strict escalation",
            ),
            FORMAT_TEXT,
        ),
        handler=f"{H}.lanes:recommend",
    ),
)
