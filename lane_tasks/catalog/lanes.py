"""The seed's three lanes (../seed/packaging-lanes.txt), declared once as data.

`lane-tasks init` writes them into a new lanes.toml, `lanes recommend` asks one question per
lane, `init --lane` offers their names and the dashboard orders lanes by them. A project's own
lanes.toml may rename, reshape or add lanes: everything that runs a lane reads that file, never
this one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["SEED_LANES", "SeedLane"]


@dataclass(frozen=True, kw_only=True)
class SeedLane:
    """One seed lane: its lanes.toml table, and what `lanes recommend` asks about it."""

    name: str
    description: str
    ideal_for: str
    """The seed's wording in its lane-selection table."""
    extends: str | None
    steps: tuple[str, ...]
    controls: tuple[str, ...]
    kpis: tuple[str, ...]
    constraint: str
    """The `lanes recommend --constraint` value this lane meets."""
    question: str
    """What `lanes recommend` asks interactively (a yes/no question)."""

    def table(self) -> dict[str, Any]:
        """The lane as init writes it into lanes.toml (`[lanes.<name>]`)."""
        table: dict[str, Any] = {"description": self.description, "ideal_for": self.ideal_for}
        if self.extends is not None:
            table["extends"] = self.extends
        table.update(steps=list(self.steps), controls=list(self.controls), kpis=list(self.kpis))
        return table


_LANES = (
    SeedLane(
        name="startup",
        description="Small teams optimizing for speed with essential safeguards.",
        ideal_for="Fast onboarding + value proof",
        extends=None,
        steps=("gate-fast", "gate-release", "doctor"),
        controls=("release-confidence-path", "artifact-retention", "release-owner"),
        kpis=("first-time-success-rate", "median-release-decision-time"),
        constraint="fast-onboarding",
        question="Is getting started fast and proving value the main goal?",
    ),
    SeedLane(
        name="scale",
        description="Multi-team organizations requiring repeatability and governance signals.",
        ideal_for="Cross-team consistency",
        extends="startup",
        steps=("drift-check",),
        controls=("ownership-matrix", "weekly-kpi-review", "compat-policy"),
        kpis=("failed-release-gate-frequency", "mean-time-to-triage"),
        constraint="cross-team",
        question="Do several teams release through the same path?",
    ),
    SeedLane(
        name="regulated",
        description=(
            "Organizations needing auditability, documented change control, "
            "and escalation contracts."
        ),
        ideal_for="Audit readiness + strict escalation",
        extends="scale",
        steps=("contract-index",),
        controls=(
            "severity-model",
            "deprecation-windows",
            "release-checklist-evidence",
            "reproducible-build",
            "sbom",
        ),
        kpis=("rollback-rate", "docs-to-adoption-conversion"),
        constraint="audit",
        question="Must releases be auditable, with documented change control and escalation SLOs?",
    ),
)

SEED_LANES: dict[str, SeedLane] = {lane.name: lane for lane in _LANES}
"""By name, in the seed's order (each extends the one before)."""
