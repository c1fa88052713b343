"""The release-confidence speed goals: one table of measurements, taken in one run.

    python benchmarks/run.py [--quick] [--only lane-overhead|kpis|org|contract-index]
                             [--against REV] [--json OUT]
                             [--markdown OUT]

Generates, in a temp dir, a small project (10 modules) and a large one (2,000 modules and
1,000 docs pages; 300 modules with --quick), each a git repository adopted with
`adopt.init_repo.init_repo` and committed, and measures on them, reusing the other scripts
of this folder (bench_gate_fast, bench_gate_release, bench_drift, bench_history):

  1. gate fast / the same tools run one after another by hand (small, large)
  2. a re-run of gate fast on the unchanged tree (every check answered from its input-hash
     cache; checked in the artifact) / its first run; and the re-run's absolute time:
     `lane-tasks gate fast`, the gate-fast step inside `nox -s gate-fast` (its own time, from
     the run history) and the whole `nox -s gate-fast` invocation
  3. lane overhead: `nox -s regulated` wall time minus the time its steps took (each step's
     own time, from the run history of that very run)
  4. gate release / build + twine check + check-wheel-contents by hand
  5. drift check on the large project; contract-index and `contract-index verify` over a run
     of 10,000 artifacts
  6. the KPIs and the dashboard over 100,000 history runs; a program of 200 repositories
     (bench_org): their exported histories (2,000 runs each) merged by `history import`, and
     `lane-tasks dashboard` over the merged history
  7. `lane-tasks gate fast` against the seed document's `python -m sdetkit gate fast`
     (sdetkit==1.2.0 installed into its own venv in the temp dir), on the small project

Every time is the median of several runs after an untimed warm-up, the sides of a
comparison interleaved (one run of each per round); a ratio is the median over the rounds
of the ratio within each round. It prints one table (measurement, value, target, unit, verdict)
and writes benchmarks/results.json (the machine, every measurement with its samples).
Nothing here asserts a timing: speed goals live here, never in the test suite. A measurement
that cannot be taken says why in its row.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import bench_drift
import bench_gate_release
import bench_history
import bench_org
import bench_redaction
from bench_gate_fast import (
    GATE_FAST_OUT,
    GIT_IDENTITY,
    PACKAGE,
    TARGET_GATE_RATIO,
    TARGET_OVERHEAD_S,
    Bench,
    BenchError,
    CpuMark,
    Sample,
    check_env_of,
    machine_facts,
    make_bench,
    make_project,
    run_command,
    uncached_results,
)

import lane_tasks as lane_tasks_package
from lane_tasks.config import Config, load_config
from lane_tasks.evidence.artifacts import Result, atomic_write, canonical_json, envelope
from lane_tasks.evidence.history import connect, history_path
from lane_tasks.evidence.store import (
    MANIFEST,
    finish_run,
    list_runs,
    new_run_id,
    record_artifact,
    run_dir,
)
from lane_tasks.project.git import subject

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"
TARGET_CPUS = 2
"""The gate fast ratio target is stated for this many cores."""
TARGET_CACHED_S = 0.3
TARGET_FIXED_S = 0.1
"""Gate fast's own cost over its slowest check (small project): below this many seconds."""
TARGET_LIMIT = 1.05
"""Gate fast over its physical limit (large project): at most this ratio."""
TARGET_INDEX_S = 1.0
TARGET_README_S = 300.0
"""The README's first command on a fresh clone: under five minutes."""
TARGET_VERIFY_S = 0.5
TARGET_RELEASE = bench_gate_release.TARGET
TARGET_DRIFT_S = bench_drift.TARGET_S
SDETKIT = "sdetkit==1.2.0"
TIMEOUT = 900.0
"""No single command of the benchmark may take longer (a hang is an error, not a number)."""


@dataclass(frozen=True)
class Plan:
    """Sizes and repeats of one run."""

    quick: bool
    small_modules: int = 10
    large_modules: int = 2000
    large_docs: int = 1000
    artifacts: int = 10_000
    history_runs: int = 100_000
    org_repos: int = bench_org.REPOS
    org_runs: int = bench_org.RUNS
    """Runs in each repository's exported history (the org rows merge org_repos of them)."""
    repeat: int = 5
    """Timed runs of each measurement on the small project (and of the cheap ones)."""
    repeat_large: int = 3
    """Timed runs of each gate fast measurement on the large project."""

    @classmethod
    def make(cls, quick: bool) -> Plan:
        if quick:
            return cls(quick=True, large_modules=300, repeat=3, repeat_large=2, org_repos=50)
        return cls(quick=False)


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class Target:
    op: str
    """"<=" or "<"."""
    value: float
    text: str

    def met(self, value: float) -> bool:
        return value <= self.value if self.op == "<=" else value < self.value


@dataclass
class Row:
    """One line of the table, and what results.json keeps of it."""

    id: str
    measurement: str
    value: float | None
    unit: str
    """"ratio", "s" or "MB"."""
    target: Target | None = None
    verdict: str = ""
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def judge(self, *, applies: bool = True, why_not: str = "") -> Row:
        """Set the verdict from the target (`applies` False: n/a, saying why)."""
        if self.value is None:
            return self
        if self.target is None:
            self.verdict = self.verdict or "info (no target)"
        elif not applies:
            self.verdict = f"n/a ({why_not})"
        else:
            self.verdict = "met" if self.target.met(self.value) else "NOT met"
        return self

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "measurement": self.measurement,
            "value": self.value,
            "unit": self.unit,
            "target": None
            if self.target is None
            else {"op": self.target.op, "value": self.target.value, "text": self.target.text},
            "verdict": self.verdict,
            "notes": self.notes,
            "details": self.details,
        }


def not_measured(row_id: str, measurement: str, unit: str, why: str, target: Target | None) -> Row:
    return Row(row_id, measurement, None, unit, target, f"not measured: {why}")


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def paired(num: Sequence[float], den: Sequence[float]) -> tuple[float, dict[str, Any]]:
    """A ratio of two interleaved sides: the median over rounds of num / den within each
    round (the two ran back to back there, so a machine whose load changes between rounds
    disturbs it less than a ratio of medians); and how it was made."""
    ratios = [n / d for n, d in zip(num, den, strict=True)]
    how = {"per_round": ratios, "ratio_of_medians": median(num) / median(den)}
    return median(ratios), how


def spread(values: Sequence[float]) -> dict[str, Any]:
    return {"median": median(values), "min": min(values), "max": max(values), "samples": values}


def gist(text: str) -> str:
    """An error in one line: its first line and, if there are more, its last."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return "no output"
    out = lines[0] if len(lines) == 1 else f"{lines[0]} ... {lines[-1]}"
    return out[:300]


Progress = Callable[[str], None]

ORDER = (
    "gate_fast_over_by_hand_small",
    "gate_fast_over_by_hand_large",
    "gate_fast_fixed_cost_s_small",
    "gate_fast_over_limit_large",
    "gate_fast_cached_over_first_small",
    "gate_fast_cached_over_first_large",
    "gate_fast_rerun_command_s_small",
    "gate_fast_rerun_step_s_small",
    "nox_gate_fast_rerun_s_small",
    "gate_fast_rerun_command_s_large",
    "gate_fast_rerun_step_s_large",
    "nox_gate_fast_rerun_s_large",
    "lane_overhead_regulated_s",
    "gate_release_over_by_hand",
    "drift_check_large_s",
    "contract_index_s",
    "contract_index_verify_s",
    "kpis_s",
    "dashboard_s",
    "dashboard_mb",
    "org_history_merge_s",
    "org_dashboard_s",
    "redaction_256k_s",
    "readme_first_command_s",
)
"""The table's order: the brief's (speed goals 1 to 7); sdetkit's rows come last."""


# --------------------------------------------------------------------------- projects


def small_project(tmp: Path, modules: int) -> Path:
    """The sample project of bench_gate_fast, ready for a release (a CHANGELOG entry, and
    `[gate.release] offline = true` so the regulated lane builds without network)."""
    root = tmp / "small" / PACKAGE
    make_project(root, modules)
    bench_gate_release.add_changelog(root, offline=True)
    return root


def large_project(tmp: Path, modules: int, docs: int) -> Path:
    """The same sample project with many modules, plus bench_drift's docs pages."""
    root = tmp / "large" / PACKAGE
    make_project(root, modules)
    bench_drift.write_docs(root, docs)
    bench_drift.commit(root, "docs")
    return root


def lane_tasks(*args: str) -> list[str]:
    return [sys.executable, "-m", "lane_tasks", *args]


def nox(*args: str) -> list[str]:
    return [sys.executable, "-m", "nox", *args]


def run_ids(config: Config) -> set[str]:
    return {r.id for r in list_runs(config)}


def new_run(config: Config, before: set[str]) -> str:
    """The run a nox invocation just made (the run store's one new directory)."""
    made = sorted(run_ids(config) - before)
    if len(made) != 1:
        raise BenchError(f"expected one new run in the run store, found {len(made)}")
    return made[0]


def step_seconds(config: Config, run_id: str) -> dict[str, float]:
    """Each step's own time in a run (the history records when it started and ended: the
    step's work, its tools included, without the nox and run-store plumbing around it)."""
    conn = connect(history_path(config))
    try:
        rows = conn.execute(
            "SELECT step, started_at, ended_at FROM steps WHERE run_id = ?", (run_id,)
        ).fetchall()
    finally:
        conn.close()
    out = {}
    for step, started, ended in rows:
        took = datetime.fromisoformat(ended) - datetime.fromisoformat(started)
        out[str(step)] = took.total_seconds()
    return out


# --------------------------------------------------------------------------- 1, 2, 3


@dataclass
class LaneRuns:
    """`nox -s gate-fast` re-runs and `nox -s regulated` runs on the small project."""

    root: Path
    config: Config
    nox_gate_fast: list[float] = field(default_factory=list)
    gate_fast_step: list[float] = field(default_factory=list)
    regulated: list[float] = field(default_factory=list)
    regulated_steps: list[float] = field(default_factory=list)
    per_step: dict[str, list[float]] = field(default_factory=dict)
    not_cached: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    controls: dict[str, str] = field(default_factory=dict)
    exit_codes: list[int] = field(default_factory=list)
    python: str = sys.executable
    """The interpreter that runs nox (another version's, to compare two)."""

    def _run(self, argv: list[str], what: str, ok: tuple[int, ...]) -> tuple[Sample, str]:
        before = run_ids(self.config)
        sample = run_command(argv, self.root, what=what, ok=ok, timeout=TIMEOUT)
        return sample, new_run(self.config, before)

    def _check_cached(self, run_id: str, what: str) -> None:
        missing = uncached_results(run_dir(self.config, run_id) / "gate-fast.json")
        if missing:
            self.not_cached.append(f"{what} run {run_id}: {', '.join(missing)}")

    def nox_gate_fast_rerun(self, keep: bool) -> None:
        """`nox -s gate-fast` on the unchanged tree: gate fast answers from its cache. An
        untimed `nox -s gate-fast` first: the round deleted the cache before its first gate
        fast, and the command-line runs before this one have the bench's environment, not a
        nox session's, so their entries are not this run's."""
        argv = [self.python, "-m", "nox", "-s", "gate-fast"]
        run_command(argv, self.root, what="nox -s gate-fast (untimed)", timeout=TIMEOUT)
        sample, run_id = self._run(
            [self.python, "-m", "nox", "-s", "gate-fast"], "nox -s gate-fast", (0,)
        )
        if not keep:
            return
        self._check_cached(run_id, "nox -s gate-fast")
        steps = step_seconds(self.config, run_id)
        if "gate-fast" not in steps:
            raise BenchError(f"run {run_id} of nox -s gate-fast has no gate-fast step")
        self.nox_gate_fast.append(sample.wall)
        self.gate_fast_step.append(steps["gate-fast"])

    def nox_regulated(self, keep: bool) -> None:
        """`nox -s regulated`: every step, then the controls (which may fail: see notes)."""
        sample, run_id = self._run(
            [self.python, "-m", "nox", "-s", "regulated"], "nox -s regulated", (0, 1)
        )
        steps = step_seconds(self.config, run_id)
        want = {"gate-fast", "gate-release", "doctor", "drift-check", "contract-index"}
        if not want <= set(steps) or "controls" not in steps:
            raise BenchError(
                f"nox -s regulated did not run every step (history has {sorted(steps)}):\n"
                + sample.output
            )
        if not keep:
            return
        self._check_cached(run_id, "nox -s regulated")
        self.exit_codes.append(sample.code)
        self.regulated.append(sample.wall)
        self.regulated_steps.append(sum(steps.values()))
        for step, took in steps.items():
            self.per_step.setdefault(step, []).append(took)
        try:
            doc = json.loads((run_dir(self.config, run_id) / "controls.json").read_text())
            self.controls = {str(r["id"]): str(r["status"]) for r in doc["results"]}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self.problems.append(f"controls.json unreadable: {exc}")


def gate_fast_rounds(
    bench: Bench, repeat: int, extra: Sequence[Callable[[bool], None]], progress: Progress
) -> None:
    """An untimed warm-up round, then `repeat` timed ones: by hand, gate fast (first run),
    its cached re-run, then `extra`, in that order each time."""
    steps = [bench.by_hand, bench.gate_fast, bench.gate_fast_cached, *extra]
    for k in range(repeat + 1):
        progress("  warm-up round (untimed)" if k == 0 else f"  round {k}/{repeat}")
        bench.round(keep=k > 0, steps=steps)


def gate_fast_rows(bench: Bench, size: str, cpus: int) -> list[Row]:
    """Rows 1 and 2 of one project from its rounds."""
    t = bench.timings
    by_hand, gate, cached = (
        median(t[n].samples) for n in ("by_hand", "gate_fast", "gate_fast_cached")
    )
    per_check = {cid: median(v.samples) for cid, v in bench.per_check.items()}
    slowest = max(per_check, key=lambda c: per_check[c])
    floor, _ = paired(bench.per_check[slowest].samples, t["by_hand"].samples)
    ratio, how = paired(t["gate_fast"].samples, t["by_hand"].samples)
    cached_ratio, cached_how = paired(t["gate_fast_cached"].samples, t["gate_fast"].samples)
    checks = ", ".join(per_check)
    row = Row(
        f"gate_fast_over_by_hand_{size}",
        f"gate fast / the same tools by hand, {size}",
        ratio,
        "ratio",
        Target("<=", TARGET_GATE_RATIO, f"<= {TARGET_GATE_RATIO} on {TARGET_CPUS} cores"),
        details={
            "by_hand_s": spread(t["by_hand"].samples),
            "gate_fast_s": spread(t["gate_fast"].samples),
            "per_check_alone_s": per_check,
            "floor_check": slowest,
            "floor_over_by_hand": floor,
            "ratio": how,
            "tool_caches": "warm (ruff, mypy, pytest caches filled by the warm-up)",
        },
    )
    row.judge(applies=cpus == TARGET_CPUS, why_not=f"{cpus} cpus here")
    row.notes.append(
        f"by hand ({checks} one after another) {by_hand:.3f} s, gate fast {gate:.3f} s "
        f"(medians; first run: its cache emptied before; tool caches warm on both sides); "
        f"{slowest} alone is {floor:.2f} of by hand, the best any schedule can reach"
    )
    if floor > TARGET_GATE_RATIO:
        row.verdict += f" (unreachable: floor {floor:.2f})"
    limit = max(per_check[slowest], sum(per_check.values()) / cpus)
    fixed = Row(
        f"gate_fast_fixed_cost_s_{size}",
        f"gate fast's fixed cost (gate fast minus its slowest check), {size}",
        gate - per_check[slowest],
        "s",
        Target("<", TARGET_FIXED_S, f"< {TARGET_FIXED_S} s") if size == "small" else None,
        details={"gate_fast_s": gate, "slowest": slowest, "slowest_alone_s": per_check[slowest]},
    )
    fixed.judge()
    fixed.notes.append(
        f"gate fast {gate:.3f} s minus {slowest} alone {per_check[slowest]:.3f} s (medians): "
        "what lane-tasks adds around its checks when they overlap perfectly"
    )
    over = Row(
        f"gate_fast_over_limit_{size}",
        f"gate fast / its physical limit, {size}",
        gate / limit,
        "ratio",
        Target("<=", TARGET_LIMIT, f"<= {TARGET_LIMIT}") if size == "large" else None,
        details={"limit_s": limit, "cores": cpus, "per_check_alone_s": per_check},
    )
    over.judge(applies=cpus == TARGET_CPUS, why_not=f"{cpus} cpus here")
    over.notes.append(
        f"the limit is the larger of {slowest} alone ({per_check[slowest]:.3f} s) and all "
        f"checks' time over {cpus} cores ({sum(per_check.values()) / cpus:.3f} s)"
    )
    misses = bench.cache_misses
    rerun = Row(
        f"gate_fast_cached_over_first_{size}",
        f"gate fast re-run (cached) / first run, {size}",
        cached_ratio,
        "ratio",
        details={
            "ratio": cached_how,
            "first_run_s": spread(t["gate_fast"].samples),
            "cached_rerun_s": spread(t["gate_fast_cached"].samples),
            "reruns_not_all_cached": misses,
        },
    )
    if misses:
        rerun.verdict = f"NOT all cached in {len(misses)} re-runs"
        rerun.notes.append(f"re-runs that ran a check instead of the cache: {misses[0]}")
    else:
        rerun.verdict = "info (no target); every result cached"
    rerun.notes.append(
        f"re-run on the unchanged tree {cached:.3f} s vs first run {gate:.3f} s; every re-run's "
        'artifact checked: each result "cached": true'
        + ("" if not misses else f" EXCEPT in {len(misses)} re-runs")
    )
    return [row, fixed, over, rerun]


def rerun_rows(bench: Bench, lanes: LaneRuns, size: str) -> list[Row]:
    """Row 2's absolute times of the cached re-run."""
    target = Target("<", TARGET_CACHED_S, f"< {TARGET_CACHED_S} s")
    cached = bench.timings["gate_fast_cached"].samples
    rows = [
        Row(
            f"gate_fast_rerun_command_s_{size}",
            f"`lane-tasks gate fast` re-run, unchanged tree (whole command), {size}",
            median(cached),
            "s",
            target,
            details=spread(cached),
        ).judge(),
        Row(
            f"gate_fast_rerun_step_s_{size}",
            f"gate-fast step inside `nox -s gate-fast` re-run (its own time), {size}",
            median(lanes.gate_fast_step),
            "s",
            target,
            details=spread(lanes.gate_fast_step),
        ).judge(),
        Row(
            f"nox_gate_fast_rerun_s_{size}",
            f"`nox -s gate-fast` re-run, whole invocation, {size}",
            median(lanes.nox_gate_fast),
            "s",
            None,
            "info (the target is for the step)",
            details=spread(lanes.nox_gate_fast),
        ),
    ]
    rows[0].notes.append(
        "the whole `lane-tasks gate fast --format json --stable-json --out ...` command: "
        "interpreter start, imports, cache look-up of every check, artifact and history write"
    )
    rows[1].notes.append(
        "the step's own time as the run history records it (gate fast's work: fingerprint "
        "the tree, look every check up); the whole nox invocation, nox start and noxfile "
        "included, is the next row"
    )
    missed = [n for n in lanes.not_cached if n.startswith("nox -s gate-fast")]
    if missed:
        rows[1].verdict += f"; NOT all cached: {missed[0]}"
    return rows


def overhead_row(lanes: LaneRuns, nox_list: float) -> Row:
    overheads = [w - s for w, s in zip(lanes.regulated, lanes.regulated_steps, strict=True)]
    failed = sorted(c for c, status in lanes.controls.items() if status != "pass")
    gate_cached = not any("regulated" in n for n in lanes.not_cached)
    row = Row(
        "lane_overhead_regulated_s",
        "lane overhead: `nox -s regulated` minus its steps' time",
        median(overheads),
        "s",
        Target("<", TARGET_OVERHEAD_S, f"< {TARGET_OVERHEAD_S} s"),
        details={
            "overhead_s": spread(overheads),
            "nox_regulated_wall_s": spread(lanes.regulated),
            "steps_total_s": spread(lanes.regulated_steps),
            "per_step_s": {k: median(v) for k, v in lanes.per_step.items()},
            "nox_list_s": nox_list,
            "gate_fast": "cached (unchanged tree)" if gate_cached else "NOT all cached",
            "exit_codes": lanes.exit_codes,
            "controls": lanes.controls,
            "problems": lanes.problems,
        },
    ).judge()
    steps = ", ".join(f"{k} {median(v):.3f}" for k, v in lanes.per_step.items())
    row.notes.append(
        f"`nox -s regulated` {median(lanes.regulated):.3f} s wall minus the sum of its 6 steps' "
        f"own times from the run history ({median(lanes.regulated_steps):.3f} s: {steps}): nox "
        "start, noxfile and lanes.toml loading, sessions, run store, history, KPI summary; "
        + (
            "measured with gate fast cached (every result, unchanged tree)"
            if gate_cached
            else "measured with gate fast NOT all cached"
        )
    )
    row.notes.append(
        f"of it, nox's own start with the noxfile and lanes.toml loaded (`nox -l`) takes "
        f"{nox_list:.3f} s; the other {median(overheads) - nox_list:.3f} s is the 6 sessions' "
        "plumbing around the steps (artifact and run-store writes, history, KPIs after the "
        "controls)"
    )
    if failed:
        row.notes.append(
            f"controls {', '.join(failed)} fail on the sample project (it has no evidence for "
            "them: no teams, KPI review, compat snapshot or severity levels), so nox exits "
            f"{max(lanes.exit_codes)} after every step ran; the overhead is about plumbing, "
            "which runs all the same"
        )
    return row


# --------------------------------------------------------------------------- 4


def release_row(root: Path, repeat: int, progress: Progress) -> Row:
    progress("  warm-up (untimed)")
    bench_gate_release.by_hand(root)
    bench_gate_release.gate_release(root)
    hand: list[float] = []
    gate: list[float] = []
    for k in range(repeat):
        progress(f"  round {k + 1}/{repeat}")
        hand.append(bench_gate_release.by_hand(root))
        gate.append(bench_gate_release.gate_release(root))
    row = Row(
        "gate_release_over_by_hand",
        "gate release --offline / build + twine check + check-wheel-contents by hand, small",
        paired(gate, hand)[0],
        "ratio",
        Target("<=", TARGET_RELEASE, f"<= {TARGET_RELEASE}"),
        details={
            "ratio": paired(gate, hand)[1],
            "by_hand_s": spread(hand),
            "gate_release_s": spread(gate),
        },
    ).judge()
    row.notes.append(
        f"by hand {median(hand):.3f} s, gate release {median(gate):.3f} s (its 8 checks: the "
        "same three tools plus metadata, version, changelog, clean tree, gate-fast evidence)"
    )
    return row


# --------------------------------------------------------------------------- 5


def drift_row(root: Path, repeat: int, progress: Progress) -> Row:
    argv = lane_tasks(*bench_drift.DRIFT_ARGV)
    progress("  warm-up (untimed)")
    bench_drift.timed(argv, root)
    docs = bench_drift.drift_ok(root)
    times = [bench_drift.timed(argv, root) for _ in range(repeat)]
    row = Row(
        "drift_check_large_s",
        "drift check, large project (whole command)",
        median(times),
        "s",
        Target("<", TARGET_DRIFT_S, f"< {TARGET_DRIFT_S:.0f} s"),
        details={**spread(times), "docs": docs},
    ).judge()
    row.notes.append(f"`lane-tasks drift check --format json --out ...`; {docs}")
    return row


def artifact_run(config: Config, n: int) -> str:
    """A run in the run store holding n small valid gate-fast artifacts and a manifest that
    lists them all. The first goes through `record_artifact` (the real manifest); the others
    are written directly and added to that manifest in one write, as record_artifact would
    add them one by one (which rewrites the manifest every time: 10,000 writes of a growing
    file), then the run is finished with `finish_run`."""
    run_id = new_run_id()
    subj = subject(config.root, (config.artifacts_dir,)).to_json()

    def artifact(i: int) -> str:
        result = Result(f"check-{i:05d}", "pass", owner="platform", extra={"cmd": ["true"]})
        doc = envelope(
            kind="gate-fast",
            step="gate-fast",
            lane=None,
            subject=subj,
            status="pass",
            results=[result],
            stable=True,
            run=None,
        )
        return canonical_json(doc)

    def name(i: int) -> str:
        return f"gate-fast-{i:05d}.json"

    record_artifact(
        config, run_id, step="gate-fast", name=name(0), text=artifact(0), status="pass",
        subject=subj,
    )  # fmt: skip
    d = run_dir(config, run_id)
    entries = []
    for i in range(1, n):
        data = artifact(i).encode("utf-8")
        (d / name(i)).write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        entries.append({"path": name(i), "sha256": digest, "size": len(data), "step": "gate-fast"})
    manifest = json.loads((d / MANIFEST).read_text(encoding="utf-8"))
    manifest["artifacts"] = sorted([*manifest["artifacts"], *entries], key=lambda a: a["path"])
    atomic_write(d / MANIFEST, canonical_json(manifest))
    finish_run(config, run_id, lane=None)
    rec = next((r for r in list_runs(config) if r.id == run_id), None)
    if rec is None or rec.manifest is None:
        raise BenchError(f"the generated run is not valid: {rec.problem if rec else 'missing'}")
    return run_id


def contract_index_rows(tmp: Path, n: int, repeat: int, progress: Progress) -> list[Row]:
    root = tmp / "contract" / "bench"
    bench_drift.make_repo(root, 0)
    config = load_config(root / "lanes.toml")
    t0 = time.perf_counter()
    run_id = artifact_run(config, n)
    progress(f"  a run of {n:,} artifacts made in {time.perf_counter() - t0:.1f} s")
    index = lane_tasks("contract-index", "--format", "json", "--out", "build/contract-index.json")
    index.append("-q")
    verify = lane_tasks(
        "contract-index", "verify", "--format", "json", "--index", "build/contract-index.json"
    )

    def one(argv: list[str], what: str) -> float:
        return run_command(argv, root, what=what, timeout=TIMEOUT).wall

    progress("  warm-up (untimed)")
    one(index, "contract-index")
    doc = json.loads((root / "build" / "contract-index.json").read_text(encoding="utf-8"))
    files = sum(1 for e in doc["entries"] if e["kind"] == "artifact")
    if doc["status"] != "pass" or doc["indexed_run"] != run_id or files != n:
        raise BenchError(
            f"the index is not of the {n} artifacts: status {doc['status']}, run "
            f"{doc['indexed_run']}, {files} artifacts"
        )
    one(verify, "contract-index verify")
    built: list[float] = []
    checked: list[float] = []
    for k in range(repeat):
        progress(f"  round {k + 1}/{repeat}")
        built.append(one(index, "contract-index"))
        checked.append(one(verify, "contract-index verify"))
    size = doc["entries"][0]["size"]
    note = (
        f"a run directory of {n:,} valid gate-fast artifacts (~{size} bytes each) listed by its "
        "manifest.json; the whole command"
    )
    rows = [
        Row(
            "contract_index_s",
            f"contract-index over {n:,} artifacts",
            median(built),
            "s",
            Target("<", TARGET_INDEX_S, f"< {TARGET_INDEX_S:g} s"),
            details={**spread(built), "entries": len(doc["entries"])},
        ).judge(),
        Row(
            "contract_index_verify_s",
            f"contract-index verify over {n:,} artifacts",
            median(checked),
            "s",
            Target("<", TARGET_VERIFY_S, f"< {TARGET_VERIFY_S:g} s"),
            details=spread(checked),
        ).judge(),
    ]
    rows[0].notes.append(note)
    rows[1].notes.append("every digest recomputed, missing/modified/unexpected files looked for")
    return rows


# --------------------------------------------------------------------------- 6


def history_rows(runs: int, repeat: int) -> list[Row]:
    m = bench_history.measure(runs, repeat)
    rows_text = ", ".join(f"{v:,} {k}" for k, v in m["rows"].items())
    kpis = Row(
        "kpis_s",
        f"the six KPIs over {runs:,} history runs",
        m["kpis"],
        "s",
        Target("<", bench_history.TARGETS["kpis"], f"< {bench_history.TARGETS['kpis']} s"),
        details=m,
    ).judge()
    kpis.notes.append(
        f"in process, as `lane-tasks kpi --all` computes them; history of {rows_text} "
        f"({m['db_bytes'] / 1e6:.0f} MB SQLite); {m['kpis_known']} of {m['kpis_total']} KPIs known"
    )
    dash = Row(
        "dashboard_s",
        f"dashboard over {runs:,} history runs",
        m["dashboard"],
        "s",
        Target("<", bench_history.TARGETS["dashboard"], "< 2 s"),
    ).judge()
    dash.notes.append("in process: build_model + render_dashboard, as `lane-tasks dashboard`")
    size = Row(
        "dashboard_mb",
        "dashboard size",
        m["size_bytes"] / 1e6,
        "MB",
        Target("<", bench_history.SIZE_TARGET / 1e6, "< 2 MB"),
    ).judge()
    return [kpis, dash, size]


def readme_row(tmp: Path, progress: Progress) -> Row:
    """The README's first command, as a newcomer runs it: a fresh clone of this repository's
    committed HEAD, a new virtual environment, then the command (install, `nox -s startup`)."""
    repo = HERE.parent
    readme = (repo / "README.md").read_text(encoding="utf-8")
    command = readme.split("```", 2)[1].strip().splitlines()[0]
    clone = tmp / "readme-clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    subprocess.run([sys.executable, "-m", "venv", str(clone / ".venv")], check=True)
    env = {**os.environ, "PATH": f"{clone / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    env.pop("VIRTUAL_ENV", None)
    progress(f"  {command} (in a fresh clone and venv)")
    t0 = time.perf_counter()
    r = subprocess.run(
        ["/bin/sh", "-c", command], cwd=clone, env=env, capture_output=True, text=True,
        timeout=TIMEOUT, check=False,
    )  # fmt: skip
    took = time.perf_counter() - t0
    if r.returncode != 0:
        raise BenchError(f"the README's first command failed ({r.returncode}): {gist(r.stderr)}")
    row = Row(
        "readme_first_command_s",
        "the README's first command on a fresh clone",
        took,
        "s",
        Target("<", TARGET_README_S, f"< {TARGET_README_S / 60:g} min"),
        details={"command": command},
    ).judge()
    row.notes.append(
        f"`{command}` in a fresh clone with a new venv: the install (from this machine's "
        "package sources) and the startup lane on this repository"
    )
    return row


def org_rows(repos: int, runs: int, repeat: int) -> list[Row]:
    """A program of `repos` repositories: their exported histories merged by `lane-tasks
    history import`, and `lane-tasks dashboard` over the merged one (bench_org)."""
    m = bench_org.measure(repos, runs, repeat)
    rows_text = ", ".join(f"{v:,} {k}" for k, v in m["rows"].items())
    details = {k: v for k, v in m.items() if k not in ("merge", "dashboard")}
    merge = Row(
        "org_history_merge_s",
        f"history import of {repos} repositories' exports ({runs:,} runs each)",
        m["merge"],
        "s",
        Target("<", bench_org.TARGETS["merge"], f"< {bench_org.TARGETS['merge']:.0f} s"),
        details=details,
    ).judge()
    merge.notes.append(
        f"`lane-tasks history import FILE…` (a subprocess, into an empty history) of "
        f"{m['files']} JSONL exports ({m['export_bytes'] / 1e6:.0f} MB: {rows_text}); "
        f"merged history {m['db_bytes'] / 1e6:.0f} MB"
    )
    if repos != bench_org.REPOS:
        merge.notes.append(f"--quick: {repos} repositories, not {bench_org.REPOS}")
    dash = Row(
        "org_dashboard_s",
        f"dashboard over the merged history of {repos} repositories",
        m["dashboard"],
        "s",
        Target("<", bench_org.TARGETS["dashboard"], f"< {bench_org.TARGETS['dashboard']:.0f} s"),
        details={"samples": m["dashboard_samples"], "bytes": m["dashboard_bytes"]},
    ).judge()
    dash.notes.append("`lane-tasks dashboard` (a subprocess) over the merged history")
    return [merge, dash]


def redaction_row(repeat: int) -> Row:
    m = bench_redaction.measure(repeat)
    row = Row(
        "redaction_256k_s",
        "excerpt redaction of 256 KB of adversarial output (worst shape)",
        m["redact"],
        "s",
        Target("<", bench_redaction.TARGET_S, "< 50 ms"),
        details=m,
    ).judge()
    row.notes.append(
        f"in process, `procs.redact`, CPU time; worst of {len(m['per_input'])} shapes: "
        f"{m['redact_worst_input']}; the whole excerpt (ANSI, paths, durations too) "
        f"{m['excerpt'] * 1000:.0f} ms at worst ({m['excerpt_worst_input']})"
    )
    return row


# --------------------------------------------------------------------------- 7


def _dist_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        raise BenchError(f"{name} is not installed next to lane-tasks") from None


def sdetkit_venv(tmp: Path, progress: Progress) -> Path:
    """A separate venv with sdetkit and the very versions of the tools gate fast runs here
    (sdetkit runs them as `python -m ruff|mypy|pytest` of its own interpreter)."""
    venv_dir = tmp / "sdetkit-venv"
    progress(f"  python -m venv {venv_dir}; pip install {SDETKIT} and the same ruff, mypy, pytest")
    run_command([sys.executable, "-m", "venv", str(venv_dir)], tmp, what="python -m venv")
    py = venv_dir / "bin" / "python"
    tools = [f"{t}=={_dist_version(t)}" for t in ("ruff", "mypy", "pytest")]
    argv = [str(py), "-m", "pip", "install", "-q", SDETKIT, *tools]
    run_command(argv, tmp, what=f"pip install {SDETKIT}", timeout=TIMEOUT)
    return py


@dataclass(frozen=True)
class Side:
    id: str
    argv: list[str]
    out: str | None
    """Where an sdetkit side writes its JSON report."""


def _sdetkit_steps(path: Path) -> list[dict[str, Any]]:
    try:
        doc: Any = json.loads(path.read_text(encoding="utf-8"))
        steps = doc["steps"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BenchError(f"sdetkit wrote no readable report {path.name}: {exc}") from None
    return [s for s in steps if isinstance(s, dict)]


def _describe(steps: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{s.get('id')} `{' '.join(str(c) for c in s.get('cmd', []))}` "
        + ("ok" if s.get("ok") else f"FAILED rc={s.get('rc')}")
        for s in steps
    )


def sdetkit_rows(small: Path, tmp: Path, repeat: int, progress: Progress) -> list[Row]:
    what = "lane-tasks gate fast vs python -m sdetkit gate fast, small"
    try:
        py = sdetkit_venv(tmp, progress)
    except (BenchError, subprocess.TimeoutExpired) as exc:
        why = f"{SDETKIT} could not be installed: {gist(str(exc))}"
        return [not_measured("sdetkit", what, "ratio", why, None)]
    # a copy of the small project: sdetkit's doctor writes .sdetkit/ into the tree it checks
    root = tmp / "sdetkit-compare" / PACKAGE
    shutil.copytree(small, root, symlinks=True, ignore=shutil.ignore_patterns("build", ".nox"))
    with (root / ".git" / "info" / "exclude").open("a", encoding="utf-8") as f:
        f.write(".sdetkit/\n")
    # neither side loads the pytest plugins installed next to lane-tasks (sdetkit's venv has
    # none): pytest does the same work on both
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    out = "build/sdetkit-gate-fast.json"
    same = "build/sdetkit-gate-fast-same.json"
    sides = [
        Side("lane_tasks", lane_tasks("gate", "fast", "--no-cache", "--format", "json",
             "--stable-json", "--out", GATE_FAST_OUT), None),
        Side("sdetkit_seed", [str(py), "-m", "sdetkit", "gate", "fast", "--format", "json",
             "--stable-json", "--out", out], out),
        Side("sdetkit_same", [str(py), "-m", "sdetkit", "gate", "fast", "--no-doctor",
             "--no-ci-templates", "--mypy-args=benchproj", "--pytest-args=-q", "--format",
             "json", "--stable-json", "--out", same], same),
    ]  # fmt: skip
    times: dict[str, list[float]] = {s.id: [] for s in sides}
    codes: dict[str, set[int]] = {s.id: set() for s in sides}
    try:
        for k in range(repeat + 1):
            progress("  warm-up round (untimed)" if k == 0 else f"  round {k}/{repeat}")
            for side in sides if k % 2 else reversed(sides):
                ok = (0,) if side.out is None else None
                sample = run_command(side.argv, root, env=env, what=side.id, ok=ok, timeout=TIMEOUT)
                if k:
                    times[side.id].append(sample.wall)
                    codes[side.id].add(sample.code)
        seed_steps = _sdetkit_steps(root / out)
        same_steps = _sdetkit_steps(root / same)
    except (BenchError, subprocess.TimeoutExpired) as exc:
        why = f"{SDETKIT} could not be run: {gist(str(exc))}"
        return [not_measured("sdetkit", what, "ratio", why, None)]
    lt, seed, tuned = (median(times[s.id]) for s in sides)
    over_seed, over_seed_how = paired(times["lane_tasks"], times["sdetkit_seed"])
    over_same, over_same_how = paired(times["lane_tasks"], times["sdetkit_same"])
    seed_failed = [str(s.get("id")) for s in seed_steps if not s.get("ok")]
    same_failed = [str(s.get("id")) for s in same_steps if not s.get("ok")]
    details = {
        "seconds": {k: spread(v) for k, v in times.items()},
        "exit_codes": {k: sorted(v) for k, v in codes.items()},
        "argv": {
            s.id: ["python" if a in (str(py), sys.executable) else a for a in s.argv] for s in sides
        },
        "sdetkit_seed_steps": seed_steps,
        "sdetkit_same_steps": same_steps,
        "env": "PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 for every side",
        "ratios": {"over_seed": over_seed_how, "over_same": over_same_how},
    }
    rows = [
        Row("sdetkit_seed_s", "`python -m sdetkit gate fast` (the seed's command), small", seed,
            "s", None, f"info: {len(seed_failed)} of {len(seed_steps)} of its steps fail here",
            details=details),
        Row("sdetkit_same_s", "`sdetkit gate fast` told to run the same checks, small", tuned,
            "s", None, "info: " + (f"{', '.join(same_failed)} failed" if same_failed
                                   else "all its steps pass")),
        Row("lane_tasks_gate_fast_nocache_s", "`lane-tasks gate fast --no-cache`, same copy",
            lt, "s", None, "info"),
        Row("lane_tasks_over_sdetkit_seed", "lane-tasks gate fast / sdetkit (seed's command)",
            over_seed, "ratio", None, "info: NOT like-for-like (different checks)"),
        Row("lane_tasks_over_sdetkit_same", "lane-tasks gate fast / sdetkit (same checks)",
            over_same, "ratio", None,
            "info: like-for-like but ruff's scope (sdetkit: tests/ only)"),
    ]  # fmt: skip
    rows[0].notes.append(
        "sdetkit 1.2.0 (sdetkit/gates/gate.py, _run_fast) runs its steps one after another, "
        "each a plain subprocess.run, no parallelism and no cache: on this project "
        + _describe(seed_steps)
        + ". Its doctor and CI-template checks are sdetkit's own, its mypy targets src/ and "
        "its pytest four of sdetkit's own test files by default, so the seed's command does "
        "other (here: failing) work than lane-tasks' four checks"
    )
    rows[1].notes.append(
        "`--no-doctor --no-ci-templates --mypy-args=benchproj --pytest-args=-q`: "
        + _describe(same_steps)
        + "; ruff's paths cannot be set (src/ and tests/ if present, here only tests/), "
        "lane-tasks' ruff checks the whole tree"
    )
    rows[2].notes.append(
        "ruff check ., ruff format --check ., mypy benchproj, pytest -q from lanes.toml, in "
        "parallel, every check run (--no-cache); with its cache (unchanged tree) it answers "
        "in the time of row `gate_fast_rerun_command_s_small`. Same tool versions on both sides "
        "(installed into sdetkit's venv at lane-tasks' versions); sides interleaved"
    )
    return rows


# --------------------------------------------------------------------------- output


def fmt_value(row: Row) -> str:
    if row.value is None:
        return "-"
    if row.unit == "ratio":
        return f"{row.value:.2f}"
    return f"{row.value:.3f}"


def table(rows: Sequence[Row]) -> list[tuple[str, str, str, str, str]]:
    return [
        (
            r.measurement,
            fmt_value(r),
            r.target.text if r.target else "-",
            r.unit,
            r.verdict,
        )
        for r in rows
    ]


HEAD = ("measurement", "value", "target", "unit", "verdict")


def render_text(rows: Sequence[Row], facts: dict[str, Any]) -> str:
    cells = table(rows)
    widths = [max(len(c[i]) for c in [*cells, HEAD]) for i in range(len(HEAD))]

    def line(c: Sequence[str]) -> str:
        out = [f"{c[0]:<{widths[0]}}", f"{c[1]:>{widths[1]}}"]
        out += [f"{c[i]:<{widths[i]}}" for i in range(2, len(HEAD))]
        return "  ".join(out).rstrip()

    lines = [
        machine_line(facts),
        "",
        line(HEAD),
        line(["-" * w for w in widths]),
        *(line(c) for c in cells),
        "",
        "notes:",
    ]
    for r in rows:
        lines += [f"- {r.id}: {n}" for n in r.notes]
    lines += [f"- {n}" for n in facts["notes"]]
    return "\n".join(lines)


def render_markdown(rows: Sequence[Row], facts: dict[str, Any]) -> str:
    def esc(text: str) -> str:
        return text.replace("|", "\\|")

    lines = [
        "| " + " | ".join(HEAD) + " |",
        "|---|---:|---|---|---|",
        *("| " + " | ".join(esc(c) for c in cells) + " |" for cells in table(rows)),
    ]
    return "\n".join(lines) + "\n\n" + machine_line(facts) + "\n"


def machine_line(facts: dict[str, Any]) -> str:
    m = facts["machine"]
    share = m["others_cpu_share"]
    return (
        f"Measured {m['date']} ({'--quick' if facts['params']['quick'] else 'full run'}, "
        f"{facts['duration_s']:.0f} s) on {m['cpu_count']} cpus, {m['implementation']} "
        f"{m['python']}, {m['platform']}; load average {m['loadavg_start']} at start, "
        f"{m['loadavg_end']} at end; other processes used "
        + (f"{share:.0%}" if share is not None else "?")
        + " of the machine's cpu time meanwhile."
    )


def _loadavg3() -> list[float] | None:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except (AttributeError, OSError):
        return None


# --------------------------------------------------------------------------- main


def lane_overhead_only(
    plan: Plan, progress: Progress, against: str | None = None
) -> tuple[list[Row], list[str], dict[str, Any]]:
    """Row 3 alone (`--only lane-overhead`): the small project, one untimed gate fast so the
    lane's gate fast is cached, then a warm-up and `repeat` rounds of `nox -s regulated` and
    `nox -l`. A minute or two instead of the whole table, to compare two commits.

    With `against` (a git revision of this repository), the same is measured on that
    revision too, installed into its own venv in the temp dir, on the same sample project
    adopted by that revision's own init; the two sides interleaved round by round."""
    extra: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp_name:
        tmp = Path(tmp_name)
        small = small_project(tmp, plan.small_modules)
        bench = make_bench(small, "warm")
        lanes = LaneRuns(small, load_config(small / "lanes.toml"))
        extra["env_of_checks"] = check_env_of(bench.checks[0])
        sides = [(bench, lanes)]
        if against is not None:
            progress(f"installing {against} into its own venv")
            python, commit = install_revision(against, tmp / "against")
            old_root = tmp / "against" / "small" / PACKAGE
            make_project(old_root, plan.small_modules, adopt=adopt_with(python))
            bench_gate_release.add_changelog(old_root, offline=True, reproducible_key=False)
            old_bench = make_bench(old_root, "warm")
            old_bench.python = python
            old_lanes = LaneRuns(old_root, load_config(old_root / "lanes.toml"), python=python)
            sides.append((old_bench, old_lanes))
            extra["against"] = {"revision": against, "commit": commit}
        progress("lane overhead: nox -s regulated and nox -l on the small project")
        bench.gate_fast(False)
        (small / GATE_FAST_OUT).unlink(missing_ok=True)  # a stray file would dirty the tree
        for k in range(plan.repeat + 1):
            progress("  warm-up round (untimed)" if k == 0 else f"  round {k}/{plan.repeat}")
            for side_bench, side_lanes in sides:
                side_bench.round(keep=k > 0, steps=[side_lanes.nox_regulated, side_bench.nox_list])
        rows = [overhead_row(lanes, median(bench.timings["nox_list"].samples))]
        if against is not None:
            rows.extend(before_after_rows(rows[0], *sides[1], against, extra["against"]["commit"]))
    return rows, [], extra


def install_revision(rev: str, where: Path) -> tuple[str, str]:
    """This repository at `rev` (git archive, no worktree left behind) installed with its
    test extra (the tools of the sample project's checks, as in this checkout's venv) into a
    venv under `where`: that venv's python, and the commit."""
    repo = Path(__file__).resolve().parents[1]
    got = run_command(["git", "rev-parse", "--verify", f"{rev}^{{commit}}"], repo, what="git")
    commit = got.output.strip().splitlines()[-1]
    src = where / "src"
    src.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit], cwd=repo, capture_output=True, check=False
    )
    if archive.returncode != 0:
        raise BenchError(f"git archive {rev}: {archive.stderr.decode(errors='replace')}")
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive.stdout, check=True)
    venv = where / "venv"
    run_command([sys.executable, "-m", "venv", str(venv)], where, what="python -m venv")
    python = str(venv / "bin" / "python")
    run_command(
        [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", f"{src}[test]"],
        where,
        what=f"pip install lane-tasks at {rev}",
        timeout=TIMEOUT,
    )
    return python, commit


ADOPT = """
import sys
from pathlib import Path
try:
    from lane_tasks.adopt.init_repo import init_repo
except ImportError:  # before the re-layering (issue 14)
    from lane_tasks.init import init_repo
init_repo(Path(sys.argv[1]))
"""


def adopt_with(python: str) -> Callable[[Path], object]:
    """An `adopt` for make_project: that interpreter's lane-tasks init, in a subprocess."""

    def adopt(root: Path) -> object:
        return run_command([python, "-c", ADOPT, str(root)], root, what="init_repo")

    return adopt


def before_after_rows(
    after: Row, old_bench: Bench, old_lanes: LaneRuns, rev: str, commit: str
) -> list[Row]:
    """The revision's lane overhead, and this checkout's over it (paired by round)."""
    before = overhead_row(old_lanes, median(old_bench.timings["nox_list"].samples))
    before.id = "lane_overhead_regulated_s_before"
    before.measurement = f"lane overhead at {rev} ({commit[:7]}), the same measurement"
    before.target = None
    before.verdict = "info (the revision compared with)"
    now = [
        w - s
        for w, s in zip(
            after.details["nox_regulated_wall_s"]["samples"],
            after.details["steps_total_s"]["samples"],
            strict=True,
        )
    ]
    then = [w - s for w, s in zip(old_lanes.regulated, old_lanes.regulated_steps, strict=True)]
    ratio, how = paired(now, then)
    change = Row(
        "lane_overhead_after_over_before",
        f"lane overhead, this checkout / {rev}",
        ratio,
        "ratio",
        None,
        details={"ratio": how},
    ).judge()
    change.notes.append(
        f"median overhead {median(now):.3f} s here against {median(then):.3f} s at {rev}; "
        "the two sides ran round by round on one sample project each, adopted by their own init"
    )
    return [before, change]


def in_process_only(
    which: str, plan: Plan, progress: Progress
) -> tuple[list[Row], list[str], dict[str, Any]]:
    """`--only kpis` (the KPIs and the dashboard over plan.history_runs runs), `--only org`
    (the org merge and its dashboard) or `--only contract-index` (index and verify over
    plan.artifacts artifacts): those rows alone, without the projects."""
    if which == "kpis":
        progress(f"KPIs and dashboard over {plan.history_runs:,} history runs")
        rows = history_rows(plan.history_runs, plan.repeat)
    elif which == "contract-index":
        progress(f"contract index over {plan.artifacts:,} artifacts")
        with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp_name:
            rows = contract_index_rows(Path(tmp_name), plan.artifacts, plan.repeat, progress)
    else:
        progress(f"org: {plan.org_repos} repositories' histories merged, and their dashboard")
        rows = org_rows(plan.org_repos, plan.org_runs, plan.repeat)
    return rows, [], {"env_of_checks": dict(os.environ)}


def measure(plan: Plan, progress: Progress) -> tuple[list[Row], list[str], dict[str, Any]]:
    """Every measurement, in the order of the table; a section that fails gives rows that
    say why, and the others are still measured."""
    cpus = os.cpu_count() or 1
    rows: list[Row] = []
    notes: list[str] = []
    extra: dict[str, Any] = {}

    def section(
        title: str, fallback: list[tuple[str, str, str]], fn: Callable[[], list[Row]]
    ) -> None:
        progress(title)
        mark = CpuMark.now()
        try:
            rows.extend(fn())
        except (BenchError, subprocess.TimeoutExpired, subprocess.CalledProcessError) as exc:
            why = gist(str(exc))
            progress(f"  failed: {why}")
            rows.extend(not_measured(i, m, u, why, None) for i, m, u in fallback)
        wall, others = mark.others_since()
        extra.setdefault("sections", {})[title] = {
            "wall_s": round(wall, 1),
            "others_cpu_share": None if others is None else round(others / (wall * cpus), 3),
        }

    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp_name:
        tmp = Path(tmp_name)
        progress(f"making the small project ({plan.small_modules} modules) in {tmp}")
        small = small_project(tmp, plan.small_modules)
        config = load_config(small / "lanes.toml")
        bench = make_bench(small, "warm")
        lanes = LaneRuns(small, config)
        extra["checks"] = {c.id: list(c.cmd) for c in bench.checks}
        extra["env_of_checks"] = check_env_of(bench.checks[0])

        def small_rows() -> list[Row]:
            extra_steps = [lanes.nox_gate_fast_rerun, lanes.nox_regulated, bench.nox_list]
            gate_fast_rounds(bench, plan.repeat, extra_steps, progress)
            out = gate_fast_rows(bench, "small", cpus)
            nox_list = median(bench.timings["nox_list"].samples)
            reruns = rerun_rows(bench, lanes, "small")
            return [*out, *reruns, overhead_row(lanes, nox_list)]

        section(
            "small project: gate fast by hand / first run / cached re-run, nox -s gate-fast, "
            "nox -s regulated",
            [
                (
                    "gate_fast_over_by_hand_small",
                    "gate fast / the same tools by hand, small",
                    "ratio",
                ),
                (
                    "gate_fast_cached_over_first_small",
                    "gate fast re-run / first run, small",
                    "ratio",
                ),
                ("lane_overhead_regulated_s", "lane overhead, nox -s regulated", "s"),
            ],
            small_rows,
        )
        section(
            "small project: gate release vs the tools by hand",
            [("gate_release_over_by_hand", "gate release / by hand", "ratio")],
            lambda: [release_row(small, plan.repeat, progress)],
        )
        section(
            f"small project: lane-tasks gate fast vs {SDETKIT}",
            [("sdetkit", "lane-tasks gate fast vs sdetkit gate fast", "ratio")],
            lambda: sdetkit_rows(small, tmp, plan.repeat, progress),
        )
        progress(
            f"making the large project ({plan.large_modules} modules, {plan.large_docs} docs pages)"
        )
        large = large_project(tmp, plan.large_modules, plan.large_docs)
        large_bench = make_bench(large, "warm")
        large_lanes = LaneRuns(large, load_config(large / "lanes.toml"))

        def large_rows() -> list[Row]:
            extra_steps = [large_lanes.nox_gate_fast_rerun]
            gate_fast_rounds(large_bench, plan.repeat_large, extra_steps, progress)
            out = gate_fast_rows(large_bench, "large", cpus)
            return [*out, *rerun_rows(large_bench, large_lanes, "large")]

        section(
            "large project: gate fast by hand / first run / cached re-run, nox -s gate-fast",
            [
                (
                    "gate_fast_over_by_hand_large",
                    "gate fast / the same tools by hand, large",
                    "ratio",
                )
            ],
            large_rows,
        )
        section(
            "large project: drift check",
            [("drift_check_large_s", "drift check, large project", "s")],
            lambda: [drift_row(large, max(plan.repeat, 3), progress)],
        )
        section(
            f"contract index over {plan.artifacts:,} artifacts",
            [("contract_index_s", f"contract-index over {plan.artifacts:,} artifacts", "s")],
            lambda: contract_index_rows(tmp, plan.artifacts, plan.repeat, progress),
        )
        section(
            f"KPIs and dashboard over {plan.history_runs:,} history runs",
            [("kpis_s", f"KPIs over {plan.history_runs:,} runs", "s")],
            lambda: history_rows(plan.history_runs, plan.repeat),
        )
        section(
            f"org: {plan.org_repos} repositories' histories merged, and their dashboard",
            [
                ("org_history_merge_s", "history import of the repositories' exports", "s"),
                ("org_dashboard_s", "dashboard over the merged history", "s"),
            ],
            lambda: org_rows(plan.org_repos, plan.org_runs, plan.repeat),
        )
        section(
            "redaction of 256 KB of adversarial output",
            [("redaction_256k_s", "redaction of 256 KB of adversarial output", "s")],
            lambda: [redaction_row(plan.repeat)],
        )
        section(
            "the README's first command on a fresh clone",
            [("readme_first_command_s", "the README's first command on a fresh clone", "s")],
            lambda: [readme_row(tmp, progress)],
        )
    busy = {
        title: s["others_cpu_share"]
        for title, s in extra["sections"].items()
        if s["others_cpu_share"] is not None and s["others_cpu_share"] > 0.1
    }
    if busy:
        notes.append(
            "other processes (not this benchmark) kept the machine busy: "
            + "; ".join(f"{share:.0%} of its cpu time during '{t}'" for t, share in busy.items())
            + ". Those timings are disturbed (both sides of a comparison alike, as they are "
            "interleaved, but not equally when one side is parallel); re-run on an idle "
            "machine to confirm"
        )
    rank = {row_id: i for i, row_id in enumerate(ORDER)}
    rows.sort(key=lambda r: rank.get(r.id, len(ORDER)))
    return rows, notes, extra


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--quick", action="store_true", help="fewer repeats and a 300-module large project"
    )
    parser.add_argument(
        "--only",
        choices=("lane-overhead", "kpis", "org", "contract-index"),
        help="take these measurements alone, e.g. to compare two commits: lane-overhead (a "
        "minute or two), kpis (kpis_s, dashboard_s, dashboard_mb), org (org_history_merge_s, "
        "org_dashboard_s), contract-index (contract_index_s, contract_index_verify_s)",
    )
    parser.add_argument(
        "--against",
        metavar="REV",
        help="with --only lane-overhead: measure this git revision of lane-tasks too (in its "
        "own venv) and report the overhead before and after, e.g. --against daacfb5",
    )
    parser.add_argument("--json", type=Path, default=RESULTS, help=f"default {RESULTS}")
    parser.add_argument("--markdown", type=Path, help="also write the table as Markdown here")
    args = parser.parse_args(argv)
    if args.against is not None and args.only != "lane-overhead":
        parser.error("--against compares the lane overhead only: add --only lane-overhead")
    plan = Plan.make(args.quick)
    # as installed from a wheel: where PYTHONDONTWRITEBYTECODE is set, an editable checkout
    # has no .pyc files and every lane-tasks process would compile its modules from source
    compileall.compile_dir(Path(lane_tasks_package.__file__).parent, quiet=1)
    os.environ.update(GIT_IDENTITY)  # commits need an identity; a fresh machine may have none
    started = time.perf_counter()
    load_start = _loadavg3()
    mark = CpuMark.now()

    def progress(msg: str) -> None:
        print(f"... [{time.perf_counter() - started:5.0f} s] {msg}", file=sys.stderr, flush=True)

    try:
        if args.only in ("kpis", "org", "contract-index"):
            rows, notes, extra = in_process_only(args.only, plan, progress)
        elif args.only == "lane-overhead":
            rows, notes, extra = lane_overhead_only(plan, progress, args.against)
        else:
            rows, notes, extra = measure(plan, progress)
    except (BenchError, subprocess.TimeoutExpired, subprocess.CalledProcessError) as exc:
        print(f"run.py: error: {exc}", file=sys.stderr)
        return 1
    wall, others = mark.others_since()
    cpus = os.cpu_count() or 1
    facts = machine_facts(extra.pop("env_of_checks"), load_start[0] if load_start else None)
    if facts.get("PYTHONDONTWRITEBYTECODE"):
        notes.append(
            "PYTHONDONTWRITEBYTECODE is set and the checks inherit it: pytest compiles the "
            "sample modules on every run, on every side"
        )
    doc: dict[str, Any] = {
        "generated_by": "benchmarks/run.py",
        "duration_s": round(time.perf_counter() - started, 1),
        "machine": {
            **facts,
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "loadavg_start": load_start,
            "loadavg_end": _loadavg3(),
            "others_cpu_share": None if others is None else round(others / (wall * cpus), 3),
        },
        "params": {
            "quick": plan.quick,
            "small_modules": plan.small_modules,
            "large_modules": plan.large_modules,
            "large_docs": plan.large_docs,
            "artifacts": plan.artifacts,
            "history_runs": plan.history_runs,
            "org_repos": plan.org_repos,
            "org_runs": plan.org_runs,
            "repeat": plan.repeat,
            "repeat_large": plan.repeat_large,
            "statistic": "median of the timed runs, after an untimed warm-up",
            **extra,
        },
        "measurements": [r.to_json() for r in rows],
        "notes": notes,
    }
    print(render_text(rows, doc))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    progress(f"wrote {args.json}")
    if args.markdown is not None:
        args.markdown.write_text(render_markdown(rows, doc), encoding="utf-8")
        progress(f"wrote {args.markdown}")
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        raise SystemExit(main())
    raise SystemExit(130)
