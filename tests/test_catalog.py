"""The catalog is the one home of every id: each id has exactly one implementation, and back."""

from __future__ import annotations

import pytest

from lane_tasks.catalog import CONTROLS, KPIS, STEPS
from lane_tasks.catalog.checks import DOCTOR_CHECKS, FINDINGS, RELEASE_CHECKS, CheckInfo
from lane_tasks.controls import CONTROLS as CONTROL_REGISTRY
from lane_tasks.kpi.definitions import DEFINITIONS
from lane_tasks.steps import runners
from lane_tasks.steps.checks import Check, CheckRegistry
from lane_tasks.steps.doctor import DOCTOR
from lane_tasks.steps.drift.families import FAMILIES
from lane_tasks.steps.gate_release import RELEASE


def test_check_registries_hold_exactly_the_catalog_ids_in_order() -> None:
    assert list(DOCTOR.checks) == list(DOCTOR_CHECKS)
    assert list(RELEASE.checks) == list(RELEASE_CHECKS)
    for registry in (DOCTOR, RELEASE):
        for cid, cls in registry.checks.items():
            assert registry.catalog[cid].family == cls.family


def test_every_step_control_and_kpi_id_has_one_implementation() -> None:
    assert set(runners()) == set(STEPS)
    assert set(CONTROL_REGISTRY) == set(CONTROLS)
    assert set(DEFINITIONS) == set(KPIS)


def test_every_finding_kind_belongs_to_a_drift_family() -> None:
    assert {k.family for k in FINDINGS.values()} <= set(FAMILIES)


def test_a_check_outside_the_catalog_is_refused() -> None:
    registry = CheckRegistry({"known": CheckInfo("known", "git")})

    class Unknown(Check):
        id = "not-in-the-catalog"
        family = "git"
        fix = "none"

    with pytest.raises(KeyError, match="not in the catalog"):
        registry.register(Unknown)
