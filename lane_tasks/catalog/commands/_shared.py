"""Options several commands share: the artifact output options, the --out guard, --sign-key."""

from __future__ import annotations

from lane_tasks.catalog.commands.spec import ALLOW_FLAG, Option

__all__ = [
    "ALL_FORMATS",
    "FORMAT_TEXT",
    "FORMAT_TEXT_HELP",
    "JSON_TEXT",
    "NOW",
    "OUT_GUARD",
    "SARIF_FORMATS",
    "H",
    "output",
    "sign_key",
]

H = "lane_tasks.cli.commands"
"""Where the handlers live (`cli/commands/<group>.py`)."""
JSON_TEXT = ("json", "text")
FORMAT_TEXT = Option(flags=("--format",), choices=JSON_TEXT, default="text")
FORMAT_TEXT_HELP = Option(
    flags=("--format",), choices=JSON_TEXT, default="text", help="output format"
)
NOW = Option(flags=("--now",), hidden=True)  # tests: an ISO 8601 UTC time
OUT_GUARD = Option(
    flags=(ALLOW_FLAG,),
    action="store_true",
    help="let --out write outside the repository (refused otherwise)",
)
"""On every command that writes `--out`."""


def output(
    formats: tuple[str, ...] = JSON_TEXT,
    *,
    lane: Option | None = None,
    run_id: Option | None = None,
) -> tuple[Option, ...]:
    """The output options of a command that writes an artifact (its format from --out)."""
    return (
        Option(
            flags=("--format",),
            choices=formats,
            help="output format (default: from the --out suffix, .json .sarif .xml; else text)",
        ),
        Option(
            flags=("--stable-json",),
            action="store_true",
            help="sorted keys, no timestamps or durations: same inputs give the same bytes",
        ),
        Option(flags=("--out",), metavar="FILE", help="write the artifact here (atomically)"),
        OUT_GUARD,
        Option(flags=("-q", "--quiet"), action="store_true", help="with --out, print nothing"),
        lane
        or Option(flags=("--lane",), help="the lane this step runs for (recorded in the artifact)"),
        run_id
        or Option(
            flags=("--run-id",),
            help="also keep the artifact in the run store under this run id (nox sessions pass it)",
        ),
    )


def sign_key(whose: str) -> Option:
    return Option(
        flags=("--sign-key",),
        metavar="KEYFILE",
        help=f"{whose} ed25519 private key (PEM, PKCS8): also write the record's signed DSSE "
        "envelope beside it (<record>.dsse.json)",
    )


ALL_FORMATS = ("json", "text", "sarif", "junit")
SARIF_FORMATS = ("json", "text", "sarif")
