"""What each command's `--help` says it does, with an example: one table, applied to the parser.

Kept as data beside the parser, not as strings scattered through it, so a test can check that
every command has both and that every example parses with the real parser (examples that no
longer parse fail the suite instead of misleading a reader).
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Mapping

__all__ = ["HELP", "apply_help", "commands"]

HELP: Mapping[tuple[str, ...], tuple[str, str]] = {
    ("gate",): (
        "Run a gate: `fast` runs the project's quick checks from [gate.fast.checks], "
        "`release` the release preflight of this commit.",
        "lane-tasks gate fast",
    ),
    ("gate", "fast"): (
        "Run the quick checks of [gate.fast.checks] (lint, format, types, tests) in parallel and "
        "write gate-fast.json; checks whose inputs did not change are answered from the cache.",
        "lane-tasks gate fast --check lint --format text",
    ),
    ("gate", "release"): (
        "Release preflight for this commit: version, tag, changelog, and the sdist and wheel "
        "built and inspected with the standard tools. Run it before tagging.",
        "lane-tasks gate release --version 1.2.0 --offline",
    ),
    ("doctor",): (
        "Check that the repository is set up for the lanes (pyproject.toml, a determinable "
        "version, lanes.toml and its tools, git history, CI), each finding with a fix.",
        "lane-tasks doctor --format text",
    ),
    ("drift",): (
        "Canonical-path drift: whether lanes.toml, the nox sessions, CI files and docs still "
        "name the same commands.",
        "lane-tasks drift check",
    ),
    ("drift", "check"): (
        "Find drift between lanes.toml, the nox sessions, CI files and the docs (commands and "
        "options that no longer exist, lanes CI does not run).",
        "lane-tasks drift check --format sarif --out build/drift.sarif",
    ),
    ("contract-index",): (
        "Build the contract index of a run (default: the newest run with artifacts) and its "
        "in-toto statement beside --out; `contract-index verify` checks one.",
        "lane-tasks contract-index --out build/contract-index.json",
    ),
    ("contract-index", "verify"): (
        "Recompute every digest of a contract index and report missing, modified and "
        "unexpected files; with --public-key also check its DSSE signature.",
        "lane-tasks contract-index verify --index build/contract-index.json",
    ),
    ("export",): (
        "Render an artifact in another format (SARIF for code scanning, JUnit for CI test "
        "reports, text) without re-running the step that wrote it.",
        "lane-tasks export build/gate-fast.json --format junit --out build/gate-fast.xml",
    ),
    ("controls",): (
        "Verify a lane's controls from a run's evidence, or list every control.",
        "lane-tasks controls verify --lane startup",
    ),
    ("controls", "verify"): (
        "Verify every control of a lane (own and inherited) from what a run's steps left in "
        "the run store, and record the result into that run.",
        "lane-tasks controls verify --lane regulated --format text",
    ),
    ("controls", "list"): (
        "Every control: what it checks and how to satisfy it.",
        "lane-tasks controls list --format json",
    ),
    ("compat",): (
        "The compatibility snapshot of the CLI, the schemas (and your public API) and its diff "
        "against the latest release.",
        "lane-tasks compat snapshot --check",
    ),
    ("compat", "snapshot"): (
        "Write the compat snapshot ([compat] source project: your package's public API, console "
        "scripts and schemas; else lane-tasks' own), or --check that it is current.",
        "lane-tasks compat snapshot --check",
    ),
    ("compat", "diff"): (
        "Every change since the latest release tag's snapshot, each judged by [compat] policy; "
        "exit 1 when a breaking change is not allowed.",
        "lane-tasks compat diff --against v1.0.0",
    ),
    ("release",): (
        "Release decisions: record a go/no-go, attach the release checklist, record a rollback.",
        "lane-tasks release decide --version 1.2.0 --decision go --owner alice",
    ),
    ("release", "decide"): (
        "Record a go/no-go decision for a version by one of project.release_owners, bound to "
        "the release preflight it was made on.",
        "lane-tasks release decide --version 1.2.0 --decision go --owner alice --reason 'green'",
    ),
    ("release", "checklist"): (
        "Attach the release checklist of a version, built from a run's artifacts and the "
        "recorded decision; refused while an item is not done unless --allow-incomplete.",
        "lane-tasks release checklist --version 1.2.0",
    ),
    ("release", "rollback"): (
        "Record that a released version was yanked or superseded, by whom and why.",
        "lane-tasks release rollback --version 1.2.0 --owner alice --reason 'data loss bug'",
    ),
    ("lanes",): (
        "Show, validate and document the lanes of lanes.toml (or [tool.lane-tasks]).",
        "lane-tasks lanes validate",
    ),
    ("lanes", "list"): (
        "The lanes, resolved: each with its steps, controls and KPIs, inherited ones included.",
        "lane-tasks lanes list",
    ),
    ("lanes", "show"): (
        "One lane with every step, control and KPI and the lane each came from.",
        "lane-tasks lanes show scale --format json",
    ),
    ("lanes", "validate"): (
        "Validate the configuration; a problem is one line naming file, line and key (exit 2).",
        "lane-tasks lanes validate lanes.toml",
    ),
    ("lanes", "docs"): (
        "Render docs/lanes.md and the role quickstarts from the configuration, or --check that "
        "the committed files still match it.",
        "lane-tasks lanes docs --out-dir docs --check",
    ),
    ("lanes", "recommend"): (
        "The smallest lane that meets your constraints, and why.",
        "lane-tasks lanes recommend --constraint cross-team --teams 3",
    ),
    ("history",): (
        "The run history (SQLite): import runs from other jobs or repositories, export it.",
        "lane-tasks history export --out history.jsonl",
    ),
    ("history", "import"): (
        "Merge into this repository's history: history exports (JSONL), other history files "
        "(SQLite) or run manifests (a run directory or its manifest.json). Importing the same "
        "file twice adds nothing.",
        "lane-tasks history import ci-history.jsonl",
    ),
    ("history", "export"): (
        "Every row of the history, one JSON object a line: what `history import` reads in "
        "another job (keep it as a CI artifact).",
        "lane-tasks history export --out history.jsonl",
    ),
    ("events",): (
        "Docs-view and adoption events that the KPIs count.",
        "lane-tasks events import events.jsonl",
    ),
    ("events", "import"): (
        "Import docs-view and adoption events, JSONL (see README: Adoption events).",
        "lane-tasks events import events.jsonl",
    ),
    ("triage",): (
        "Record that a failed run (known to the history) was triaged, by whom, with a note.",
        "lane-tasks triage --run 20260101T120000Z-1a2b --owner alice --note 'flaky network'",
    ),
    ("kpi",): (
        "Compute the KPIs from the run history: the default lane's, --lane X's (own and "
        "inherited) or --all. `kpi review` records a review of them.",
        "lane-tasks kpi --all --since 2026-01-01",
    ),
    ("kpi", "review"): (
        "Record a KPI review: UTC time, reviewer, notes and every KPI of the lane as computed "
        "at that moment.",
        "lane-tasks kpi review --reviewer alice --notes 'lead time up'",
    ),
    ("dashboard",): (
        "Write the program dashboard: one self-contained HTML file of runs, KPIs and releases.",
        "lane-tasks dashboard --out build/dashboard/index.html",
    ),
    ("runs",): (
        "The run store: the runs kept under the artifacts directory.",
        "lane-tasks runs list",
    ),
    ("runs", "list"): (
        "Kept runs, newest first: the run id (its UTC start), lane, status, duration, commit "
        "and each step's result.",
        "lane-tasks runs list --format json",
    ),
    ("ownership",): (
        "The team ownership matrix of [teams] and [ownership].",
        "lane-tasks ownership show",
    ),
    ("ownership", "show"): (
        "Every gate check, step and control with its team and contact.",
        "lane-tasks ownership show --lane scale",
    ),
    ("init",): (
        "Adopt lane-tasks in a repository: write lanes.toml with the checks found in the "
        "project and add the lane sessions to noxfile.py.",
        "lane-tasks init --lane scale",
    ),
}
"""Command path -> (what it does and why, an example invocation)."""


def commands(parser: argparse.ArgumentParser) -> dict[tuple[str, ...], argparse.ArgumentParser]:
    """Every sub-command parser below `parser`, by command path."""
    out: dict[tuple[str, ...], argparse.ArgumentParser] = {}

    def walk(p: argparse.ArgumentParser, path: tuple[str, ...]) -> None:
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    out[(*path, name)] = sub
                    walk(sub, (*path, name))

    walk(parser, ())
    return out


def apply_help(parser: argparse.ArgumentParser) -> None:
    """Give each sub-command its description and example; the example keeps its line."""
    for path, sub in commands(parser).items():
        entry = HELP.get(path)
        if entry is None:  # tests/test_cli_help.py fails on a command missing from HELP
            continue
        description, example = entry
        sub.description = textwrap.fill(
            description, width=78, break_on_hyphens=False, break_long_words=False
        )
        sub.epilog = f"example:\n  {example}"
        sub.formatter_class = argparse.RawDescriptionHelpFormatter
