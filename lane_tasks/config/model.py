"""The configuration's model: `Config`, one field per lanes.toml table (classes in
config.settings), and the lanes with `extends` resolved.

A lane inherits every step, control and KPI of its parent and only adds to them. Config's
read-only properties under "old names" keep the flat attribute names of before the model
mirrored the tables (`config.checks` is `config.gate_fast.checks`); they go once no call site
uses them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lane_tasks.catalog import STEPS
from lane_tasks.config.settings import (
    ChecklistSettings,
    CheckSpec,
    CompatSettings,
    DeprecationSettings,
    DoctorSettings,
    DriftSettings,
    GateFastSettings,
    GateReleaseSettings,
    HistorySettings,
    KpiSettings,
    NoxSettings,
    ProjectSettings,
    ReleaseSettings,
    RunsSettings,
    SigningSettings,
    SupportSettings,
    Team,
    TeamOwnership,
)
from lane_tasks.errors import ConfigError, did_you_mean


@dataclass(frozen=True)
class LaneSpec:
    """A lane as written in lanes.toml (only its own additions)."""

    name: str
    description: str
    ideal_for: str
    extends: str | None
    steps: tuple[str, ...]
    controls: tuple[str, ...]
    kpis: tuple[str, ...]


@dataclass(frozen=True)
class Item:
    """A step, control or KPI id with the lane it came from."""

    id: str
    origin: str


@dataclass(frozen=True)
class ResolvedLane:
    """A lane with everything it inherits; steps in canonical run order."""

    name: str
    description: str
    ideal_for: str
    chain: tuple[str, ...]
    """Lane names from the root ancestor down to this lane."""
    steps: tuple[Item, ...]
    controls: tuple[Item, ...]
    kpis: tuple[Item, ...]

    def step_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.steps)

    def control_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.controls)

    def to_json(self) -> dict[str, Any]:
        def items(xs: tuple[Item, ...]) -> list[dict[str, str]]:
            return [{"id": i.id, "origin": i.origin} for i in xs]

        return {
            "name": self.name,
            "description": self.description,
            "ideal_for": self.ideal_for,
            "extends": list(self.chain[:-1]),
            "steps": items(self.steps),
            "controls": items(self.controls),
            "kpis": items(self.kpis),
        }


@dataclass(frozen=True, kw_only=True)
class Config:
    """A validated lanes.toml, one field per table. `root` is the directory holding it (the
    repository root); `release_table` is [release] (`release` is still [gate.release], below)."""

    path: Path
    root: Path
    project: ProjectSettings = field(default_factory=lambda: ProjectSettings())
    runs: RunsSettings = field(default_factory=lambda: RunsSettings())
    nox: NoxSettings = field(default_factory=lambda: NoxSettings())
    lanes: Mapping[str, LaneSpec] = field(default_factory=dict)
    gate_fast: GateFastSettings = field(default_factory=lambda: GateFastSettings())
    gate_release: GateReleaseSettings = field(default_factory=lambda: GateReleaseSettings())
    doctor: DoctorSettings = field(default_factory=lambda: DoctorSettings())
    drift: DriftSettings = field(default_factory=lambda: DriftSettings())
    teams: Mapping[str, Team] = field(default_factory=dict)
    ownership: TeamOwnership = field(default_factory=lambda: TeamOwnership())
    support: SupportSettings = field(default_factory=lambda: SupportSettings())
    kpi: KpiSettings = field(default_factory=lambda: KpiSettings())
    history: HistorySettings = field(default_factory=lambda: HistorySettings())
    release_table: ReleaseSettings = field(default_factory=lambda: ReleaseSettings())
    """[release]; named `release_table` while `release` still means [gate.release]."""
    compat: CompatSettings = field(default_factory=lambda: CompatSettings())
    deprecations: DeprecationSettings = field(default_factory=lambda: DeprecationSettings())
    signing: SigningSettings = field(default_factory=lambda: SigningSettings())

    def resolve(self, name: str) -> ResolvedLane:
        """The lane with its ancestors' steps, controls and KPIs (validated at load time)."""
        if name not in self.lanes:
            raise ConfigError(
                f"unknown lane '{name}'{did_you_mean(name, self.lanes)}; "
                f"lanes: {', '.join(self.lanes)}",
                path=self.path,
            )
        chain: list[str] = []
        cur: str | None = name
        while cur is not None:
            chain.append(cur)
            cur = self.lanes[cur].extends
        chain.reverse()
        steps: list[Item] = []
        controls: list[Item] = []
        kpis: list[Item] = []
        for lane_name in chain:
            spec = self.lanes[lane_name]
            steps += [Item(s, lane_name) for s in spec.steps]
            controls += [Item(c, lane_name) for c in spec.controls]
            kpis += [Item(k, lane_name) for k in spec.kpis]
        order = list(STEPS)
        steps.sort(key=lambda i: order.index(i.id))
        spec = self.lanes[name]
        return ResolvedLane(
            name=name,
            description=spec.description,
            ideal_for=spec.ideal_for,
            chain=tuple(chain),
            steps=tuple(steps),
            controls=tuple(controls),
            kpis=tuple(kpis),
        )

    def resolved_lanes(self) -> list[ResolvedLane]:
        return [self.resolve(n) for n in self.lanes]

    def lane_with(self, control: str) -> ResolvedLane:
        """The lane whose `control` a command without `--lane` works for: the default lane
        when it has the control, else the first lane (lanes.toml order) with it, else the
        default lane, else the first lane."""
        lanes = self.resolved_lanes()
        by_name = {lane.name: lane for lane in lanes}
        default = by_name.get(self.default_lane or "", lanes[0])
        if control in default.control_ids():
            return default
        return next((lane for lane in lanes if control in lane.control_ids()), default)

    def artifacts_path(self) -> Path:
        return self.root / self.project.artifacts_dir

    def session(self, step_or_lane: str) -> str:
        """The nox session name of a step or lane (`[nox] session_prefix` + its id)."""
        return self.nox.session_prefix + step_or_lane

    def shown(self, path: Path) -> str:
        """`path` as people and records name it: relative to the repository, else as given."""
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    # ---- old names: read-only views of the tables, until no call site uses them ----

    @property
    def release_owners(self) -> tuple[str, ...]:
        return self.project.release_owners

    @property
    def evidence_dir(self) -> str:
        return self.project.evidence_dir

    @property
    def artifacts_dir(self) -> str:
        return self.project.artifacts_dir

    @property
    def default_lane(self) -> str | None:
        return self.project.default_lane

    @property
    def adoption_point(self) -> str | None:
        return self.project.adoption_point

    @property
    def runs_keep(self) -> int:
        return self.runs.keep

    @property
    def nox_backend(self) -> str:
        return self.nox.backend

    @property
    def nox_python(self) -> str | None:
        return self.nox.python

    @property
    def nox_install(self) -> tuple[str, ...]:
        return self.nox.install

    @property
    def nox_session_prefix(self) -> str:
        return self.nox.session_prefix

    @property
    def checks(self) -> Mapping[str, CheckSpec]:
        return self.gate_fast.checks

    @property
    def jobs(self) -> int:
        return self.gate_fast.jobs

    @property
    def gate_cache(self) -> bool:
        return self.gate_fast.cache

    @property
    def release(self) -> GateReleaseSettings:
        """[gate.release] (not [release]: that is `release_table`)."""
        return self.gate_release

    @property
    def checklist(self) -> ChecklistSettings:
        return self.release_table.checklist

    @property
    def doctor_disabled(self) -> Mapping[str, str]:
        return self.doctor.disable

    @property
    def named_ci_files(self) -> tuple[str, ...]:
        """The CI file globs lanes.toml names, [drift] ci_files then [doctor] ci_files: doctor
        and drift read both (project.ci_files adds the well-known places)."""
        return (*self.drift.ci_files, *self.doctor.ci_files)

    @property
    def ci_files(self) -> tuple[str, ...]:
        """[doctor] ci_files ([drift] has its own: `drift.ci_files`)."""
        return self.doctor.ci_files
