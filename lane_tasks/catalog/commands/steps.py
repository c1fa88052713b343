"""The program, the step commands (gate, doctor, drift, contract-index), export and controls."""

from __future__ import annotations

from lane_tasks.catalog.commands._shared import (
    ALL_FORMATS,
    FORMAT_TEXT,
    FORMAT_TEXT_HELP,
    JSON_TEXT,
    OUT_GUARD,
    SARIF_FORMATS,
    H,
    output,
)
from lane_tasks.catalog.commands.spec import Command, Option

__all__ = ["COMMANDS"]

COMMANDS: tuple[Command, ...] = (
    Command(
        path=(),
        help="",
        description="Release-confidence lanes (startup, scale, regulated) for Python projects.",
        example="lane-tasks --help",
        options=(
            Option(flags=("--version",), action="version"),
            Option(
                flags=("--config",),
                metavar="PATH",
                help="lanes.toml, or a pyproject.toml with [tool.lane-tasks] (default: the first "
                "of them found upward from the cwd)",
            ),
            Option(
                flags=("--color",),
                choices=("auto", "always", "never"),
                help="colour and a live status line on stderr (default auto: at a terminal, "
                "unless NO_COLOR or CI is set; FORCE_COLOR forces colour)",
            ),
        ),
        metavar="COMMAND",
    ),
    Command(
        path=("gate",),
        help="run a gate (fast, release)",
        description="Run a gate: `fast` runs the project's quick checks from [gate.fast.checks], "
        "`release` the release preflight of this commit.",
        example="lane-tasks gate fast",
        metavar="GATE",
    ),
    Command(
        path=("gate", "fast"),
        help="run the quick checks from [gate.fast.checks]",
        description="Run the quick checks of [gate.fast.checks] (lint, format, types, tests) in "
        "parallel and write gate-fast.json; checks whose inputs did not change are answered from "
        "the cache.",
        example="lane-tasks gate fast --check lint --format text",
        options=(
            *output(ALL_FORMATS),
            Option(flags=("--jobs", "-j"), type="int", help="checks run at once (default: CPUs)"),
            Option(
                flags=("--fail-fast",),
                action="store_true",
                help="stop the other checks on a failure",
            ),
            Option(
                flags=("--check",),
                action="append",
                metavar="ID",
                help="run only this check (repeatable)",
            ),
            Option(
                flags=("--no-cache",),
                action="store_true",
                help="run every check, even those whose inputs have not changed since they last "
                "ran",
            ),
        ),
        handler=f"{H}.steps:gate_fast",
        out_formats=ALL_FORMATS,
    ),
    Command(
        path=("gate", "release"),
        help="release preflight for this commit",
        description="Release preflight for this commit: version, tag, changelog, and the sdist "
        "and wheel built and inspected with the standard tools. Run it before tagging.",
        example="lane-tasks gate release --version 1.2.0 --offline",
        options=(
            *output(ALL_FORMATS),
            Option(
                flags=("--version",), help="the version you mean to release (must be the project's)"
            ),
            Option(
                flags=("--offline",),
                action="store_true",
                help="build without isolation (no network needed)",
            ),
        ),
        handler=f"{H}.steps:gate_release",
        out_formats=ALL_FORMATS,
    ),
    Command(
        path=("doctor",),
        help="check the repository is set up for the lanes",
        description="Check that the repository is set up for the lanes (pyproject.toml, a "
        "determinable version, lanes.toml and its tools, git history, CI), each finding with a "
        "fix.",
        example="lane-tasks doctor --format text",
        options=output(SARIF_FORMATS),
        handler=f"{H}.steps:doctor",
        out_formats=SARIF_FORMATS,
    ),
    Command(
        path=("drift",),
        help="canonical-path drift",
        description="Canonical-path drift: whether lanes.toml, the nox sessions, CI files and "
        "docs still name the same commands.",
        example="lane-tasks drift check",
    ),
    Command(
        path=("drift", "check"),
        help="find drift between lanes.toml, nox, CI and docs",
        description="Find drift between lanes.toml, the nox sessions, CI files and the docs "
        "(commands and options that no longer exist, lanes CI does not run).",
        example="lane-tasks drift check --format sarif --out build/drift.sarif",
        options=output(SARIF_FORMATS),
        handler=f"{H}.steps:drift_check",
        out_formats=SARIF_FORMATS,
    ),
    Command(
        path=("contract-index",),
        help="index every artifact of a run (alone: build; `verify`: check an index)",
        description="Build the contract index of a run (default: the newest run with artifacts) "
        "and its in-toto statement beside --out; `contract-index verify` checks one.",
        example="lane-tasks contract-index --out build/contract-index.json",
        options=(
            *output(),
            Option(
                flags=("--sign-key",),
                metavar="KEYFILE",
                help="ed25519 private key (PEM, PKCS8): also write a signed DSSE envelope",
            ),
        ),
        handler=f"{H}.steps:contract_index",
        out_formats=JSON_TEXT,
    ),
    Command(
        path=("contract-index", "verify"),
        help="recompute every digest; report missing, modified and unexpected files",
        description="Recompute every digest of a contract index and report missing, modified "
        "and unexpected files; with --public-key also check its DSSE signature.",
        example="lane-tasks contract-index verify --index build/contract-index.json",
        options=(
            Option(
                flags=("--index",),
                metavar="FILE",
                help="the index or its in-toto statement (default: build/contract-index.json)",
            ),
            Option(
                flags=("--public-key",),
                metavar="KEYFILE",
                help="ed25519 public key (PEM): check the DSSE signature over the statement",
            ),
            FORMAT_TEXT_HELP,
        ),
        handler=f"{H}.steps:contract_index_verify",
    ),
    Command(
        path=("export",),
        help="an artifact in another format (SARIF, JUnit, GitLab Code Quality, text), without "
        "re-running its step",
        description="Render an artifact in another format (SARIF for code scanning, JUnit for "
        "CI test reports, text) without re-running the step that wrote it.",
        example="lane-tasks export build/gate-fast.json --format junit --out build/gate-fast.xml",
        options=(
            Option(flags=("artifact",), metavar="ARTIFACT", help="e.g. build/gate-fast.json"),
            Option(
                flags=("--format",),
                required=True,
                choices=("sarif", "junit", "codequality", "text"),
            ),
            Option(flags=("--out",), metavar="FILE", help="write it here (atomically)"),
            OUT_GUARD,
        ),
        handler=f"{H}.export:export",
    ),
    Command(
        path=("controls",),
        help="verify or list controls",
        description="Verify a lane's controls from a run's evidence, or list every control.",
        example="lane-tasks controls verify --lane startup",
    ),
    Command(
        path=("controls", "verify"),
        help="verify a lane's controls from a run's evidence",
        description="Verify every control of a lane (own and inherited) from what a run's steps "
        "left in the run store, and record the result into that run.",
        example="lane-tasks controls verify --lane regulated --format text",
        options=output(
            lane=Option(
                flags=("--lane",),
                required=True,
                help="the lane whose controls (own and inherited) to verify",
            ),
            run_id=Option(
                flags=("--run-id",),
                help="the run to verify and record into (default: the newest run)",
            ),
        ),
        handler=f"{H}.controls:verify",
        out_formats=JSON_TEXT,
    ),
    Command(
        path=("controls", "list"),
        help="every control: what it checks and how to satisfy it",
        description="Every control: what it checks and how to satisfy it.",
        example="lane-tasks controls list --format json",
        options=(FORMAT_TEXT,),
        handler=f"{H}.controls:list_controls",
    ),
)
