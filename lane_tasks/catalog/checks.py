"""The ids of the checks and findings lanes.toml may name, as data.

`[doctor] disable`, `[gate.release] disable` and `[[drift.waive]] finding` name these ids; the
config validates against this table, and the step registries refuse a check or finding kind
that is not listed here, so the ids have one home and the config never imports a step.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DOCTOR_CHECKS", "FINDINGS", "RELEASE_CHECKS", "RULES", "CheckInfo", "FindingKind"]


@dataclass(frozen=True)
class CheckInfo:
    """A check of doctor or gate release: its id (what `disable` names) and its family."""

    id: str
    family: str


DOCTOR_CHECKS: dict[str, CheckInfo] = {
    c.id: c
    for c in (
        CheckInfo("pyproject-present", "packaging"),
        CheckInfo("pyproject-valid", "packaging"),
        CheckInfo("requires-python", "packaging"),
        CheckInfo("version-determinable", "packaging"),
        CheckInfo("lanes-toml-valid", "lanes"),
        CheckInfo("gate-tools-runnable", "lanes"),
        CheckInfo("no-shell-commands", "lanes"),
        CheckInfo("git-repo", "git"),
        CheckInfo("git-not-shallow", "git"),
        CheckInfo("build-dir-ignored", "git"),
        CheckInfo("ci-invokes-lane", "ci"),
    )
}
"""doctor's checks, in report order."""

RELEASE_CHECKS: dict[str, CheckInfo] = {
    c.id: c
    for c in (
        CheckInfo("metadata", "packaging"),
        CheckInfo("version", "versioning"),
        CheckInfo("changelog", "docs"),
        CheckInfo("clean-tree", "git"),
        CheckInfo("build", "packaging"),
        CheckInfo("dist-metadata", "packaging"),
        CheckInfo("wheel-contents", "packaging"),
        CheckInfo("sdist-complete", "packaging"),
        CheckInfo("reproducible", "packaging"),
        CheckInfo("installed-wheel", "packaging"),
        CheckInfo("smoke", "packaging"),
        CheckInfo("sbom", "packaging"),
        CheckInfo("gate-fast-evidence", "evidence"),
    )
}
"""gate release's checks, in report order."""


@dataclass(frozen=True)
class FindingKind:
    """A kind of drift: its id is the SARIF rule id and what a waiver names."""

    id: str
    family: str
    title: str
    status: str = "fail"
    """What an unwaived finding makes its family: `error` when it means "could not check"."""


FINDINGS: dict[str, FindingKind] = {
    k.id: k
    for k in (
        FindingKind("nox-missing-session", "nox-sessions", "lane or step without a nox session"),
        FindingKind(
            "nox-requires-mismatch",
            "nox-sessions",
            "lane session does not require exactly the lane's steps",
        ),
        FindingKind("nox-noxfile-error", "nox-sessions", "noxfile.py could not be loaded", "error"),
        FindingKind("ci-unknown-session", "ci", "CI runs a nox session that does not exist"),
        FindingKind("ci-missing-lane", "ci", "a lane required in CI is run by no CI job"),
        FindingKind("ci-invalid-yaml", "ci", "CI file is not valid YAML"),
        FindingKind("docs-unknown-session", "docs", "docs name a nox session that does not exist"),
        FindingKind(
            "docs-unknown-command", "docs", "docs name a lane-tasks command that does not exist"
        ),
        FindingKind(
            "docs-unknown-option", "docs", "docs name a lane-tasks option that does not exist"
        ),
        FindingKind("lanes-doc-stale", "lanes-doc", "docs/lanes.md does not match lanes.toml"),
    )
}
RULES: dict[str, str] = {k.id: k.title for k in FINDINGS.values()}
"""Finding id -> short description (the SARIF rules)."""
