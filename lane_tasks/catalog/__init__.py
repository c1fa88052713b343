"""The ids lanes.toml may name: steps, controls and KPIs, described as data.

One name per concept: the id here is the lanes.toml value, the nox session name, the artifact
`step`/result id and the docs heading. Implementations (steps/, controls/, kpi.py) register
against these ids; tests check that every id has exactly one implementation.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CONTROLS",
    "KPIS",
    "OSPS_BASELINE",
    "SLSA_VERSION",
    "STEPS",
    "ControlInfo",
    "KpiInfo",
    "StepInfo",
]

OSPS_BASELINE = "v2026.02.19"
"""The OpenSSF OSPS Baseline release the controls' `osps` ids come from."""
SLSA_VERSION = "1.0"
"""The SLSA specification version the controls' `slsa` requirements are named in."""


@dataclass(frozen=True)
class StepInfo:
    """A step of a lane: one nox session, one CLI command, one artifact."""

    id: str
    title: str
    argv: tuple[str, ...]
    """The `lane-tasks` sub-command (without output flags) that runs this step."""
    out: str
    """Artifact file name inside the artifacts directory."""
    stable: bool
    """Whether the canonical path asks for `--stable-json`."""
    posargs: tuple[str, ...] = ()
    """Options a lane run passes on to this step from nox's posargs (`nox -s startup --
    --version 1.2.0`), each taking one value."""


@dataclass(frozen=True)
class ControlInfo:
    id: str
    title: str
    needs_steps: tuple[str, ...] = ()
    """Steps whose evidence the control reads; a lane with the control must run them."""
    osps: tuple[str, ...] = ()
    """The OpenSSF OSPS Baseline requirements (OSPS_BASELINE) this control's evidence meets."""
    slsa: str | None = None
    """The SLSA (SLSA_VERSION) requirement its evidence supports, where one applies."""


@dataclass(frozen=True)
class KpiInfo:
    id: str
    title: str


# Order matters: lanes run their steps in this order, whatever order lanes.toml lists them in,
# because later steps read earlier steps' evidence (gate-release reads gate-fast's; the contract
# index hashes everything before it).
STEPS: dict[str, StepInfo] = {
    s.id: s
    for s in (
        # not stable: a lane's gate fast records each check's and test case's real duration
        # (its JUnit and the dashboard show them); `--stable-json` stays for byte comparisons
        StepInfo("gate-fast", "Gate fast", ("gate", "fast"), "gate-fast.json", False),
        StepInfo(
            "gate-release",
            "Gate release",
            ("gate", "release"),
            "release-preflight.json",
            False,
            posargs=("--version",),
        ),
        StepInfo("doctor", "Doctor", ("doctor",), "doctor.json", False),
        StepInfo("drift-check", "Drift check", ("drift", "check"), "drift-check.json", True),
        StepInfo(
            "contract-index", "Contract index", ("contract-index",), "contract-index.json", True
        ),
    )
}

CONTROLS: dict[str, ControlInfo] = {
    c.id: c
    for c in (
        ControlInfo(
            "release-confidence-path",
            "Canonical release-confidence path enabled",
            ("gate-fast", "gate-release", "doctor"),
        ),
        ControlInfo("artifact-retention", "Machine-readable artifacts retained for every run"),
        ControlInfo("release-owner", "Named release owner on every release decision"),
        ControlInfo("ownership-matrix", "Team-level quality-gate ownership matrix"),
        ControlInfo("weekly-kpi-review", "Weekly KPI review in the program dashboard"),
        ControlInfo(
            "compat-policy", "Compatibility/deprecation policy for CLI and artifact schemas"
        ),
        ControlInfo("severity-model", "Support severity model with response SLOs"),
        ControlInfo("deprecation-windows", "Documented deprecation windows and migration runbooks"),
        ControlInfo(
            "release-checklist-evidence",
            "Release-checklist evidence attached to every version cut",
            # the checklist's gate-release evidence of each tag: a unique version above every
            # earlier tag, dists named for it, a changelog section for it
            osps=("OSPS-BR-02.01", "OSPS-BR-02.02", "OSPS-BR-04.01"),
            slsa="Follow a consistent build process",
        ),
        ControlInfo(
            "reproducible-build",
            "Release distributions rebuild byte for byte",
            needs_steps=("gate-release",),
            slsa="Follow a consistent build process",  # no OSPS requirement asks for it
        ),
        ControlInfo(
            "sbom",
            "SBOM of the release distributions",
            needs_steps=("gate-release",),
            # compiled released assets delivered with an SBOM (Maturity 3); publishing it
            # with the release is the release process's part
            osps=("OSPS-QA-02.02",),
        ),
    )
}

KPIS: dict[str, KpiInfo] = {
    k.id: k
    for k in (
        KpiInfo("first-time-success-rate", "First-time-success onboarding rate"),
        KpiInfo("median-release-decision-time", "Median release decision time"),
        KpiInfo("failed-release-gate-frequency", "Failed release gate frequency"),
        KpiInfo("mean-time-to-triage", "Mean time to triage first failure"),
        KpiInfo("rollback-rate", "Rollback rate"),
        KpiInfo("docs-to-adoption-conversion", "Docs-to-adoption conversion"),
    )
}
