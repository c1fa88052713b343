"""Commands over the history and the project: history, events, triage, kpi, dashboard, runs,
ownership, init.
"""

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
from lane_tasks.catalog.lanes import SEED_LANES

__all__ = ["COMMANDS"]

COMMANDS: tuple[Command, ...] = (
    Command(
        path=("history",),
        help="the run history (SQLite): import and export",
        description="The run history (SQLite): import runs from other jobs or repositories, "
        "export it.",
        example="lane-tasks history export --out history.jsonl",
    ),
    Command(
        path=("history", "import"),
        help="merge histories, exports or run manifests from other jobs or repositories",
        description="Merge into this repository's history: history exports (JSONL), other "
        "history files (SQLite) or run manifests (a run directory or its manifest.json). "
        "Importing the same file twice adds nothing.",
        example="lane-tasks history import ci-history.jsonl",
        options=(Option(flags=("files",), nargs="+", metavar="FILE"),),
        handler=f"{H}.history:history_import",
    ),
    Command(
        path=("history", "export"),
        help="every row of the history, one JSON object a line",
        description="Every row of the history, one JSON object a line: what `history import` "
        "reads in another job (keep it as a CI artifact).",
        example="lane-tasks history export --out history.jsonl",
        options=(
            Option(flags=("--format",), choices=("jsonl",), default="jsonl", help="output format"),
            Option(flags=("--out",), metavar="FILE", help="write it here (atomically)"),
            OUT_GUARD,
        ),
        handler=f"{H}.history:history_export",
    ),
    Command(
        path=("events",),
        help="docs-view and adoption events",
        description="Docs-view and adoption events that the KPIs count.",
        example="lane-tasks events import events.jsonl",
    ),
    Command(
        path=("events", "import"),
        help="import events (JSONL, see README: Adoption events)",
        description="Import docs-view and adoption events, JSONL (see README: Adoption events).",
        example="lane-tasks events import events.jsonl",
        options=(Option(flags=("file",), metavar="FILE"),),
        handler=f"{H}.history:events_import",
    ),
    Command(
        path=("triage",),
        help="record that a failed run was triaged",
        description="Record that a failed run (known to the history) was triaged, by whom, with "
        "a note.",
        example="lane-tasks triage --run 20260101T120000Z-1a2b --owner alice --note 'flaky "
        "network'",
        options=(
            Option(flags=("--run",), required=True, metavar="RUN_ID", help="the failed run"),
            Option(flags=("--owner",), required=True, help="who triaged it"),
            Option(flags=("--note",), help="what was found (recorded)"),
            NOW,
        ),
        handler=f"{H}.history:triage",
    ),
    Command(
        path=("kpi",),
        help="the KPIs from the run history (alone), or record a KPI review (`kpi review`)",
        description="Compute the KPIs from the run history: the default lane's, --lane X's (own "
        "and inherited) or --all. `kpi review` records a review of them.",
        example="lane-tasks kpi --all --since 2026-01-01",
        options=(
            Option(
                flags=("--lane",),
                group="scope",
                help="this lane's emphasised KPIs (own and inherited)",
            ),
            Option(flags=("--all",), action="store_true", group="scope", help="all six KPIs"),
            Option(
                flags=("--since",),
                metavar="DATE",
                help="window start (ISO 8601 date or time)",
            ),
            Option(flags=("--repo",), metavar="NAME", help="only this repository's history"),
            FORMAT_TEXT_HELP,
            NOW,
        ),
        handler=f"{H}.kpi:kpi",
    ),
    Command(
        path=("kpi", "review"),
        help="record a KPI review (UTC time, reviewer, the KPI values seen)",
        description="Record a KPI review: UTC time, reviewer, notes and every KPI of the lane as "
        "computed at that moment.",
        example="lane-tasks kpi review --reviewer alice --notes 'lead time up'",
        options=(
            Option(
                flags=("--reviewer",),
                required=True,
                help="who reviewed (kpi.reviewers if set)",
            ),
            Option(flags=("--notes",), help="what was noticed or decided (recorded)"),
            Option(
                flags=("--lane",),
                help="the lane whose KPIs were reviewed (default: the default lane, if it has "
                "weekly-kpi-review, else the first lane that has it)",
            ),
            sign_key("the reviewer's"),
            NOW,
        ),
        handler=f"{H}.kpi:review",
    ),
    Command(
        path=("dashboard",),
        help="the program dashboard: one self-contained HTML file",
        description="Write the program dashboard: one self-contained HTML file of runs, KPIs and "
        "releases.",
        example="lane-tasks dashboard --out build/dashboard/index.html",
        options=(
            Option(
                flags=("--out",),
                metavar="FILE",
                help="default: <artifacts_dir>/dashboard/index.html",
            ),
            OUT_GUARD,
            Option(flags=("--since",), metavar="DATE", help="KPI window start (ISO 8601)"),
            NOW,
        ),
        handler=f"{H}.kpi:dashboard",
    ),
    Command(
        path=("runs",),
        help="the run store",
        description="The run store: the runs kept under the artifacts directory.",
        example="lane-tasks runs list",
    ),
    Command(
        path=("runs", "list"),
        help="kept runs, newest first",
        description="Kept runs, newest first: the run id (its UTC start), lane, status, "
        "duration, commit and each step's result.",
        example="lane-tasks runs list --format json",
        options=(FORMAT_TEXT,),
        handler=f"{H}.runs:list_runs",
    ),
    Command(
        path=("ownership",),
        help="the team ownership matrix",
        description="The team ownership matrix of [teams] and [ownership].",
        example="lane-tasks ownership show",
    ),
    Command(
        path=("ownership", "show"),
        help="every gate check, step and control with its team and contact",
        description="Every gate check, step and control with its team and contact.",
        example="lane-tasks ownership show --lane scale",
        options=(
            Option(flags=("--lane",), help="only this lane's items (default: every lane's)"),
            FORMAT_TEXT,
        ),
        handler=f"{H}.ownership:show",
    ),
    Command(
        path=("init",),
        help="adopt lane-tasks in a repository (lanes.toml + noxfile.py)",
        description="Adopt lane-tasks in a repository: write lanes.toml with the checks found in "
        "the project and add the lane sessions to noxfile.py.",
        example="lane-tasks init --lane scale",
        options=(
            Option(flags=("path",), nargs="?", default="."),
            Option(
                flags=("--lane",),
                choices=tuple(SEED_LANES),
                default="startup",
            ),
            Option(
                flags=("--force",),
                action="store_true",
                help="rewrite an existing lanes.toml (the noxfile is only ever added to)",
            ),
        ),
        handler=f"{H}.init:init",
    ),
)
