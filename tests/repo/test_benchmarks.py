"""The benchmark scripts still measure what they say: a small run of each in-process measure
(no timing is asserted; speed goals live in benchmarks/, never here). A benchmark that fails
before measuring went unnoticed once (init refusing its non-git temp directory)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from helpers import REPO_ROOT

BENCHMARKS = REPO_ROOT / "benchmarks"


@pytest.fixture
def bench_path(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    return BENCHMARKS


def test_history_benchmark_measures_a_small_history(bench_path: Path) -> None:
    import bench_history

    m = bench_history.measure(runs=300, repeat=1)
    assert m["rows"]["runs"] == 300
    assert m["kpis_total"] == m["kpis_known"] == 6, m
    assert m["size_bytes"] > 10_000, "the dashboard over 300 runs is a real page"
    assert m["kpis"] >= 0 and m["dashboard"] >= 0
    sys.modules.pop("bench_history", None)
