"""Benchmark `lane-tasks gate fast` against running its checks by hand.

    python benchmarks/bench_gate_fast.py [--modules N | --preset small|large]
        [--caches warm|cold|both] [--repeat K] [--json OUT]

Builds a sample project (a package of N small typed modules, one test file per module,
adopted with `adopt.init_repo.init_repo` and committed in git) in a temp dir. N is 40 unless
--modules or --preset says otherwise (small = 10, large = 300: mypy's share grows with N).
`make_project`, `make_bench` and `Bench` are also used by benchmarks/run.py.
After one untimed warm-up run of everything, it measures, as the median of K runs:

  by_hand     the checks of [gate.fast.checks] in lanes.toml, one after another
  gate_fast   `lane-tasks gate fast --format json --stable-json --out build/gate-fast.json`,
              a first run: gate fast's input-hash cache (build/lanes/cache/gate-fast) is
              deleted before it, and before the nox run, so the checks really run
  cached      the same command again on the unchanged tree: every check answered from that
              cache (each artifact result `"cached": true`; a re-run where one is not is
              reported)
  floor       the slowest single check alone (timed inside the by-hand sequence, where it
              runs with nothing else on the machine): no scheduler can beat it
  cpu floor   max(floor, the checks' CPU seconds / usable cpus): nor can it fit their CPU
              work in less (CPU seconds, user + system of each command and its children, are
              measured next to every wall time)
  overhead    `nox -s gate-fast doctor` minus `lane-tasks gate fast` and `lane-tasks doctor`
              run directly: nox startup, session plumbing and the run store
  nox_list    `nox -l`: nox startup and noxfile/lanes.toml loading alone

in one or both cache modes (--caches, default both):

  warm   ruff, mypy and pytest caches are filled (by the warm-up and the runs before), and
         equally so for every side
  cold   before every timed command that runs checks (gate fast, the nox run, and each check
         of the by-hand sequence, which are also the single-tool runs of the floor), the
         sample project's .mypy_cache, .ruff_cache, .pytest_cache and __pycache__ directories
         are deleted (not timed), so every side starts as on a fresh CI clone; doctor, `nox
         -l` and `lane-tasks --version` run no check and are not wiped for (doctor follows
         gate fast inside the nox run too)

With both, each repeat runs a warm round then a cold round; within a round the sides are
interleaved, so a machine that slows down or speeds up mid-run affects every side alike.

It prints ratios for a human to judge; nothing here asserts a timing. Only the standard
library and lane_tasks are used. Timings depend on the machine: compare ratios, not seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from lane_tasks import __version__ as LANE_TASKS_VERSION
from lane_tasks.adopt.init_repo import init_repo
from lane_tasks.config import CheckSpec, load_config
from lane_tasks.steps.gate_cache import CACHE_DIR as GATE_CACHE_DIR
from lane_tasks.steps.gate_commands import check_env, expand_cmd
from lane_tasks.util.procs import which

PACKAGE = "benchproj"
TARGET_GATE_RATIO = 0.7
"""gate_fast / by_hand on 2 cores."""
TARGET_OVERHEAD_S = 0.15
DEFAULT_MODULES = 40
PRESETS = {"small": 10, "large": 300}
"""--preset NAME: modules in the sample package."""
MODES = ("warm", "cold")
CACHE_DIRS = (".mypy_cache", ".ruff_cache", ".pytest_cache", "__pycache__")
"""What cold mode deletes, wherever it is in the sample project."""
NOT_WIPED = (".git", ".nox")
"""Not searched for caches: git's objects, and nox's virtualenvs (if the backend makes any)."""
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Lane Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.org",
    "GIT_COMMITTER_NAME": "Lane Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.org",
    "GIT_CONFIG_NOSYSTEM": "1",
}


class BenchError(Exception):
    """A command the benchmark depends on failed: the numbers would mean nothing."""


# --------------------------------------------------------------------------- sample project


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


CHAIN = 500
"""Module i builds on module i - 1 within chains of this many modules: a call of scale_i
recurses through its chain, and a longer one would hit Python's recursion limit."""


def _name_width(modules: int) -> int:
    """Digits in the module names: at least 3, and enough that name order is number order.
    pytest imports the test files in name order and module i imports module i - 1, so with
    fewer digits test_mod_1000 would come right after test_mod_100 and import a whole chain
    in one go."""
    return max(3, len(str(modules - 1)))


def _module_source(i: int, width: int = 3) -> str:
    """A small, strictly typed module; module i builds on module i - 1 (except at the start of
    each CHAIN) so mypy has an import graph to follow, as in a real package."""
    if i % CHAIN == 0:
        base_import = ""
        base_call = "value"
    else:
        base_import = f"\nfrom {PACKAGE}.mod_{i - 1:0{width}d} import scale_{i - 1}\n"
        base_call = f"scale_{i - 1}(value)"
    return f'''\
"""Module {i}: small typed helpers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
{base_import}

@dataclass(frozen=True)
class Record{i}:
    """A named bag of integers."""

    name: str
    values: tuple[int, ...] = field(default_factory=tuple)

    def total(self) -> int:
        """Sum of the values."""
        return sum(self.values)

    def with_value(self, value: int) -> Record{i}:
        """A copy with one more value."""
        return Record{i}(self.name, (*self.values, value))


def scale_{i}(value: int) -> int:
    """Scale a value by this module's factor."""
    return {base_call} * {i % 7 + 1}


def totals_{i}(records: Iterable[Record{i}]) -> dict[str, int]:
    """Totals by record name."""
    out: dict[str, int] = {{}}
    for record in records:
        out[record.name] = out.get(record.name, 0) + record.total()
    return out


def first_over_{i}(values: Sequence[int], limit: int) -> int | None:
    """The first value above `limit`, if any."""
    for value in values:
        if value > limit:
            return value
    return None


def describe_{i}(record: Record{i}) -> str:
    """A one-line description."""
    return f"{{record.name}}: {{len(record.values)}} values, total {{record.total()}}"
'''


def _test_source(i: int, width: int = 3) -> str:
    factor = 1
    for k in range(i - i % CHAIN, i + 1):
        factor *= k % 7 + 1
    # the product outgrows a formatted line after ~60 modules (ruff format --check would fail):
    # then compare it modulo a prime; smaller projects keep the plain literal
    scaled = f"scale_{i}(2) == {2 * factor}"
    if len(scaled) > 60:
        scaled = f"scale_{i}(2) % 1_000_000_007 == {2 * factor % 1_000_000_007}"
    return f"""\
from {PACKAGE}.mod_{i:0{width}d} import (
    Record{i},
    describe_{i},
    first_over_{i},
    scale_{i},
    totals_{i},
)


def test_scale() -> None:
    assert {scaled}


def test_totals() -> None:
    records = [Record{i}("a", (1, 2)), Record{i}("b", (3,)), Record{i}("a").with_value(4)]
    assert totals_{i}(records) == {{"a": 7, "b": 3}}


def test_first_over() -> None:
    assert first_over_{i}([1, 5, 9], 4) == 5
    assert first_over_{i}([1, 2], 4) is None


def test_describe() -> None:
    assert describe_{i}(Record{i}("x", (1, 2, 3))) == "x: 3 values, total 6"
"""


def _git(root: Path, *args: str) -> None:
    r = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise BenchError(f"git {' '.join(args)} failed: {r.stderr.strip()}")


def make_project(root: Path, modules: int, adopt: Callable[[Path], object] = init_repo) -> None:
    """A clean project: ruff, ruff format, mypy --strict and pytest all pass, adopted by
    `adopt` (this checkout's init, or another version's to compare two)."""
    root.mkdir(parents=True)
    _git(root, "init", "-q", "-b", "main")
    _write(
        root,
        "pyproject.toml",
        f"""
        [build-system]
        requires = ["setuptools>=77"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "{PACKAGE}"
        version = "1.2.3"
        description = "A sample project for benchmarking lane-tasks gate fast."
        readme = "README.md"
        license = "MIT"
        requires-python = ">=3.11"

        [tool.setuptools.packages.find]
        include = ["{PACKAGE}*"]

        [tool.ruff]
        line-length = 100
        target-version = "py311"

        [tool.mypy]
        strict = true

        [tool.pytest.ini_options]
        testpaths = ["tests"]
        addopts = "-ra --strict-markers"
        """,
    )
    _write(root, "README.md", f"# {PACKAGE}\n\nA sample project with {modules} modules.\n")
    _write(root, ".gitignore", "__pycache__/\n*.egg-info/\n/build/\n")  # setuptools builds there
    _write(root, f"{PACKAGE}/__init__.py", f'"""{PACKAGE}: small typed helpers."""\n')
    _write(root, f"{PACKAGE}/py.typed", "")
    width = _name_width(modules)
    for i in range(modules):
        _write(root, f"{PACKAGE}/mod_{i:0{width}d}.py", _module_source(i, width))
        _write(root, f"tests/test_mod_{i:0{width}d}.py", _test_source(i, width))
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "sample project")
    adopt(root)
    # an adopted project runs its lane in CI (doctor's ci-invokes-lane looks for this)
    _write(
        root,
        ".github/workflows/lanes.yml",
        """
        name: lanes
        on: [push, pull_request]
        jobs:
          startup:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
                with:
                  fetch-depth: 0
              - uses: actions/setup-python@v5
                with:
                  python-version: "3.11"
              - run: python -m pip install lane-tasks ruff mypy pytest
              - run: nox -s startup
        """,
    )
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "adopt lane-tasks")


# --------------------------------------------------------------------------- timing


@dataclass(frozen=True)
class Sample:
    """One run of a command: wall seconds, and CPU seconds (user + system) of all its
    processes, children included."""

    wall: float
    cpu: float
    code: int = 0
    """The exit code."""
    output: str = ""
    """The last lines of what it printed (stdout, then stderr)."""


@dataclass
class Timing:
    """Samples of one measurement, in seconds."""

    samples: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def add(self, sample: Sample) -> None:
        self.samples.append(sample.wall)
        self.cpu.append(sample.cpu)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)


def _children_cpu() -> float:
    """CPU seconds of every process this one has waited for (and of theirs)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def machine_busy() -> float | None:
    """CPU seconds the whole machine has been busy (all cpus, all processes), from
    /proc/stat; None where there is no /proc."""
    try:
        with Path("/proc/stat").open(encoding="ascii") as f:
            fields = f.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu":
        return None
    # user nice system idle iowait irq softirq steal (guest time is counted in user)
    ticks = [int(v) for v in fields[1:9]]
    busy = sum(ticks) - ticks[3] - ticks[4]
    return busy / os.sysconf("SC_CLK_TCK")


def run_command(
    argv: Sequence[str],
    cwd: Path,
    *,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    what: str,
    ok: Collection[int] | None = (0,),
) -> Sample:
    """Run a command to completion (output captured, as gate fast captures it). An exit code
    not in `ok` (None: any is fine) raises BenchError."""
    cpu0 = _children_cpu()
    start = time.perf_counter()
    r = subprocess.run(
        list(argv),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    elapsed = time.perf_counter() - start
    cpu = _children_cpu() - cpu0
    tail = "\n".join((r.stdout + r.stderr).strip().splitlines()[-30:])
    if ok is not None and r.returncode not in ok:
        raise BenchError(f"{what} exited with {r.returncode}:\n{tail}")
    return Sample(elapsed, cpu, r.returncode, tail)


@dataclass(frozen=True)
class CpuMark:
    """A point in time, to tell how much cpu other processes used since."""

    wall: float
    busy: float | None
    own: float
    kids: float

    @classmethod
    def now(cls) -> CpuMark:
        return cls(time.perf_counter(), machine_busy(), time.process_time(), _children_cpu())

    def others_since(self) -> tuple[float, float | None]:
        """(wall seconds since the mark, cpu seconds the machine spent since on processes
        other than this one and the children it waited for; None without /proc)."""
        later = CpuMark.now()
        others = None
        if self.busy is not None and later.busy is not None:
            others = (later.busy - self.busy) - (later.own - self.own) - (later.kids - self.kids)
            others = max(0.0, others)
        return later.wall - self.wall, others


def check_env_of(check: CheckSpec) -> dict[str, str]:
    """The environment gate fast gives a check, so both sides run the very same tools."""
    env = check_env(check)
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.setdefault("NO_COLOR", "1")
    return env


BY_HAND_REPORTS = ".lane-tasks/bench-by-hand"
"""Where a check run by hand writes the report its `{report}` names (gate fast writes one
too, so both sides do the same work): inside the artifacts directory, as a file left in the
tree would dirty it for gate release and change every gate-cache key."""


def _tool_argv(check: CheckSpec, env: Mapping[str, str], cwd: Path, root: Path) -> list[str]:
    """The check's argv with the program resolved exactly as gate fast resolves it."""
    reports = root / BY_HAND_REPORTS
    reports.mkdir(parents=True, exist_ok=True)
    cmd = list(expand_cmd(check.cmd, report=str(reports / f"{check.id}.report")))
    exe = which(cmd[0], env, cwd)
    if exe is None:
        raise BenchError(f"check {check.id}: tool '{cmd[0]}' not found on PATH")
    return [exe, *cmd[1:]]


def clear_caches(root: Path) -> int:
    """Delete the CACHE_DIRS directories anywhere under root (outside NOT_WIPED), as a fresh
    clone would not have them; how many were deleted."""
    removed = 0
    for dirpath, dirnames, _ in os.walk(root):
        for name in dirnames:
            if name in CACHE_DIRS:
                shutil.rmtree(Path(dirpath, name))
                removed += 1
        dirnames[:] = [d for d in dirnames if d not in CACHE_DIRS and d not in NOT_WIPED]
    return removed


def _caches(root: Path) -> dict[str, bool]:
    return {
        name: (root / name).is_dir() and any((root / name).iterdir())
        for name in (".ruff_cache", ".mypy_cache", ".pytest_cache")
    }


GATE_FAST_OUT = ".lane-tasks/bench-gate-fast.json"
"""Where the benchmark's own `gate fast --out` goes: inside the sample project's artifacts
directory (init's `.lane-tasks`), which gate fast's cache does not fingerprint and gate
release's clean-tree check does not see. Anywhere else in the tree the file changed every
cache key (so the next `nox -s gate-fast` missed) and dirtied the tree (so the regulated
lane stopped at gate release)."""


def uncached_results(artifact: Path) -> list[str]:
    """Ids of the gate fast results in an artifact that were not answered from the cache
    (every one, if the artifact is unreadable)."""
    try:
        doc: Any = json.loads(artifact.read_text(encoding="utf-8"))
        results = doc["results"]
        return [str(r["id"]) for r in results if r.get("cached") is not True]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return [f"{artifact.name} unreadable"]


@dataclass(frozen=True)
class Round:
    """One timed round of every command in one cache mode."""

    wall: float
    load_1m: float | None
    others_cpu: float | None
    """CPU seconds the machine spent on processes other than the benchmark and its children."""


@dataclass
class Bench:
    root: Path
    checks: list[CheckSpec]
    env: dict[str, str]
    nox_backend: str
    mode: str
    """"warm" or "cold"."""
    gate_cache: Path | None = None
    """gate fast's own input-hash cache: deleted before every timed command that runs checks,
    so gate fast (and the nox run) really runs them; only `gate_fast_cached` reads it."""
    per_check: dict[str, Timing] = field(default_factory=dict)
    timings: dict[str, Timing] = field(default_factory=dict)
    inside_gate: dict[str, Timing] = field(default_factory=dict)
    wiped: list[int] = field(default_factory=list)
    """Cold mode: how many cache directories each timed run's wipe deleted."""
    warm_misses: list[str] = field(default_factory=list)
    """Warm mode: timed runs that started with a cache missing, so were not really warm."""
    rounds: list[Round] = field(default_factory=list)
    cache_misses: list[str] = field(default_factory=list)
    """Timed re-runs on an unchanged tree whose artifact had a result not from the cache."""
    python: str = sys.executable
    """The interpreter that runs lane-tasks and nox (another version's, to compare two)."""

    @property
    def cold(self) -> bool:
        return self.mode == "cold"

    def prepare(self, what: str, keep: bool, *, runs_checks: bool = True) -> None:
        """Just before a timed run (not timed): a command that runs checks starts without gate
        fast's cache; cold mode also deletes the tools' caches, warm mode checks they are
        there."""
        if runs_checks and self.gate_cache is not None:
            shutil.rmtree(self.gate_cache, ignore_errors=True)
        if self.cold:
            if not runs_checks:
                return
            removed = clear_caches(self.root)
            if keep:
                self.wiped.append(removed)
        elif keep:
            missing = [name for name, ok in _caches(self.root).items() if not ok]
            if missing:
                self.warm_misses.append(f"{what}: no {', '.join(missing)}")

    def lane_tasks(self, *args: str) -> list[str]:
        return [self.python, "-m", "lane_tasks", *args]

    def nox(self, *args: str) -> list[str]:
        return [self.python, "-m", "nox", *args]

    def record(self, name: str, sample: Sample, keep: bool) -> None:
        if keep:
            self.timings.setdefault(name, Timing()).add(sample)

    def timed(
        self, name: str, argv: Sequence[str], what: str, keep: bool, *, runs_checks: bool
    ) -> None:
        self.prepare(what, keep, runs_checks=runs_checks)
        self.record(name, run_command(argv, self.root, env=self.env, what=what), keep)

    def by_hand(self, keep: bool) -> None:
        wall = cpu = 0.0
        for check in self.checks:
            env = check_env_of(check)
            cwd = self.root / (check.cwd or ".")
            argv = _tool_argv(check, env, cwd, self.root)
            # cold: every check starts without caches, so each is also a cold run of that
            # tool alone, which the floor needs; on a fresh clone only the first would, but
            # the checks do not share caches (ruff check and ruff format share .ruff_cache,
            # ~0.01-0.05 s of work either way)
            self.prepare(f"by hand, {check.id}", keep)
            t = run_command(argv, cwd, env=env, timeout=check.timeout, what=f"check {check.id}")
            wall += t.wall
            cpu += t.cpu
            if keep:
                self.per_check.setdefault(check.id, Timing()).add(t)
        # the sum of the tools' wall times: what a person (or a sequential CI step) waits for,
        # minus the typing between commands
        self.record("by_hand", Sample(wall, cpu), keep)

    def gate_fast_argv(self) -> list[str]:
        return self.lane_tasks(
            "gate", "fast", "--format", "json", "--stable-json", "--out", GATE_FAST_OUT
        )

    def gate_fast(self, keep: bool) -> None:
        """A first run: gate fast's cache is deleted just before, so every check runs."""
        self.timed("gate_fast", self.gate_fast_argv(), "gate fast", keep, runs_checks=True)

    def gate_fast_cached(self, keep: bool) -> None:
        """The same command again on the unchanged tree: every check should be answered from
        gate fast's cache (each result `"cached": true`); a result that is not is noted."""
        argv = self.gate_fast_argv()
        self.timed("gate_fast_cached", argv, "gate fast (re-run)", keep, runs_checks=False)
        if keep:
            not_cached = uncached_results(self.root / GATE_FAST_OUT)
            if not_cached:
                self.cache_misses.append(", ".join(not_cached))

    def gate_fast_durations(self, keep: bool) -> None:
        """Untimed diagnostic: --stable-json drops durations, so one more run without it
        tells how long each check took *inside* gate fast (next to the others)."""
        out = "build/gate-fast-durations.json"
        argv = self.lane_tasks("gate", "fast", "--format", "json", "--out", out)
        self.prepare("gate fast (durations)", keep=False)
        run_command(argv, self.root, env=self.env, what="gate fast (durations)")
        if not keep:
            return
        try:
            data: Any = json.loads((self.root / out).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        results = data.get("results", []) if isinstance(data, dict) else []
        for res in results:
            if isinstance(res, dict) and isinstance(res.get("duration_s"), int | float):
                timing = self.inside_gate.setdefault(str(res["id"]), Timing())
                timing.samples.append(float(res["duration_s"]))

    def doctor(self, keep: bool) -> None:
        argv = self.lane_tasks("doctor", "--format", "json", "--out", "build/doctor.json")
        self.timed("doctor", argv, "doctor", keep, runs_checks=False)

    def nox_steps(self, keep: bool) -> None:
        argv = self.nox("-s", "gate-fast", "doctor")
        self.timed("nox_gate_fast_doctor", argv, "nox -s gate-fast doctor", keep, runs_checks=True)

    def lane_tasks_startup(self, keep: bool) -> None:
        """Interpreter start plus `import lane_tasks`: what a direct run pays and an in-process
        nox session (backend "none") does not."""
        argv = self.lane_tasks("--version")
        self.timed("lane_tasks_startup", argv, "lane-tasks --version", keep, runs_checks=False)

    def nox_list(self, keep: bool) -> None:
        self.timed("nox_list", self.nox("-l"), "nox -l", keep, runs_checks=False)

    def steps(self) -> list[Callable[[bool], None]]:
        return [
            self.by_hand,
            self.gate_fast,
            self.gate_fast_cached,
            self.doctor,
            self.nox_steps,
            self.nox_list,
            self.lane_tasks_startup,
            self.gate_fast_durations,
        ]

    def round(self, keep: bool, steps: Sequence[Callable[[bool], None]] | None = None) -> None:
        """Every command (of `steps`, default all) once, the sides interleaved."""
        load = loadavg()
        mark = CpuMark.now()
        for step in self.steps() if steps is None else steps:
            step(keep)
        wall, others = mark.others_since()
        if keep:
            self.rounds.append(Round(wall, load, others))


def _tool_version(argv: Sequence[str], env: Mapping[str, str]) -> str:
    try:
        r = subprocess.run(
            list(argv), capture_output=True, text=True, env=dict(env), check=False, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    out = (r.stdout or r.stderr).strip().splitlines()
    return out[0] if out else "?"


def _pytest_plugins() -> list[str]:
    """Third-party pytest plugins installed next to lane-tasks: every pytest run loads them,
    including the sample project's, and they can dominate its wall time."""
    return sorted({ep.name for ep in entry_points(group="pytest11")})


def loadavg() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):  # not on every platform
        return None


def machine_facts(env: Mapping[str, str], load_at_start: float | None) -> dict[str, Any]:
    usable: int | None
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        usable = None
    py = sys.executable
    return {
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "loadavg_1m_start": load_at_start,
        "loadavg_1m_end": loadavg(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "lane_tasks": LANE_TASKS_VERSION,
        "pytest_plugins": _pytest_plugins(),
        "PYTHONDONTWRITEBYTECODE": bool(os.environ.get("PYTHONDONTWRITEBYTECODE")),
        "tools": {
            "ruff": _tool_version(["ruff", "--version"], env),
            "mypy": _tool_version(["mypy", "--version"], env),
            "pytest": _tool_version([py, "-m", "pytest", "--version"], env),
            "nox": "nox " + _tool_version([py, "-m", "nox", "--version"], env),
        },
    }


# --------------------------------------------------------------------------- main


def make_bench(root: Path, mode: str) -> Bench:
    """The measurements of one cache mode on the sample project at root."""
    config = load_config(root / "lanes.toml")
    if not GATE_FAST_OUT.startswith(f"{config.artifacts_dir}/"):
        raise BenchError(f"{GATE_FAST_OUT} is not inside {config.artifacts_dir}, the artifacts dir")
    return Bench(
        root=root,
        checks=list(config.checks.values()),
        env=dict(os.environ),
        nox_backend=config.nox_backend,
        mode=mode,
        gate_cache=config.artifacts_path() / GATE_CACHE_DIR,
    )


def measure(
    root: Path, modes: Sequence[str], repeat: int, progress: Callable[[str], None]
) -> dict[str, Bench]:
    benches = {mode: make_bench(root, mode) for mode in modes}
    progress(
        "warm-up run of every command (fills .ruff_cache, .mypy_cache, .pytest_cache, "
        "__pycache__ and the OS file cache; not timed)"
    )
    benches[modes[0]].round(keep=False)
    # a warm round follows the warm-up or a cold round, whose last command ran every check
    # and so left every cache filled
    for k in range(repeat):
        for mode, bench in benches.items():
            progress(f"run {k + 1}/{repeat}, {mode} caches")
            bench.round(keep=True)
    return benches


def _spread(values: Sequence[float]) -> list[float]:
    return [min(values), max(values)]


def summarize_mode(bench: Bench, machine: Mapping[str, Any]) -> dict[str, Any]:
    t = bench.timings
    med = {name: v.median for name, v in t.items()}
    per_check = {cid: v.median for cid, v in bench.per_check.items()}
    per_check_cpu = {cid: v.cpu_median for cid, v in bench.per_check.items()}
    slowest = max(per_check, key=lambda c: per_check[c])
    floor = per_check[slowest]
    cpus = machine["cpus_usable"] or machine["cpu_count"] or 1
    # however the checks are scheduled, their CPU work has to fit on the machine's cpus
    cpu_floor = max(floor, sum(per_check_cpu.values()) / cpus)
    # paired: the commands of one repeat ran back to back, so their difference is less
    # affected by a machine whose load changes between repeats than a difference of medians
    overhead = statistics.median(
        n - g - d
        for n, g, d in zip(
            t["nox_gate_fast_doctor"].samples,
            t["gate_fast"].samples,
            t["doctor"].samples,
            strict=True,
        )
    )
    by_hand = med["by_hand"]
    inside = {c: v.median for c, v in bench.inside_gate.items()}
    ratios = {
        "gate_fast_over_by_hand": med["gate_fast"] / by_hand,
        "floor_over_by_hand": floor / by_hand,
        "cpu_floor_over_by_hand": cpu_floor / by_hand,
        "gate_fast_over_floor": med["gate_fast"] / floor,
        "gate_fast_cached_over_gate_fast": med["gate_fast_cached"] / med["gate_fast"],
    }
    reachable = ratios["floor_over_by_hand"] <= TARGET_GATE_RATIO
    notes: list[str] = []
    if not reachable:
        notes.append(
            f"{slowest} alone is {floor / by_hand:.0%} of the by-hand time, so no parallel "
            f"schedule can bring gate_fast / by_hand below {floor / by_hand:.2f} "
            f"(target {TARGET_GATE_RATIO}): the target is unreachable here"
        )
    startup = med["lane_tasks_startup"]
    gap = med["gate_fast"] - floor
    if inside:
        longest = max(inside, key=lambda c: inside[c])
        in_gate = inside[longest]
        alone = per_check.get(longest, in_gate)
        rest = med["gate_fast"] - startup - in_gate
        notes.append(
            f"gate fast is {gap:+.3f} s over the floor. Roughly: lane-tasks startup "
            f"{startup:.3f} s; its longest check, {longest}, took {in_gate:.3f} s inside gate "
            f"fast (separate untimed runs without --stable-json) vs {alone:.3f} s alone "
            f"({in_gate - alone:+.3f} s from sharing {cpus} cpus with the other checks and any "
            f"other load); the remaining {rest:+.3f} s is lane-tasks' own work (config, tool "
            "look-up, checks queued behind the job limit, artifact write)"
        )
    else:
        notes.append(
            f"gate fast is {gap:+.3f} s over the floor: lane-tasks startup is {startup:.3f} s; "
            "the rest is contention between the checks and lane-tasks' own work"
        )
    if cpu_floor > floor * 1.05:
        notes.append(
            f"the checks need {sum(per_check_cpu.values()):.3f} cpu-seconds, so on {cpus} cpus "
            f"no schedule finishes in under {cpu_floor:.3f} s ({cpu_floor / by_hand:.2f} of by "
            "hand), more than the slowest check alone"
        )
    noisy = [
        name
        for name in ("by_hand", "gate_fast", "nox_gate_fast_doctor")
        if (max(t[name].samples) - min(t[name].samples)) / t[name].median > 0.2
    ]
    if noisy:
        notes.append(
            f"samples of {', '.join(noisy)} spread by more than 20% of their median: the "
            "machine was busy or noisy; re-run on an idle machine or with a larger --repeat"
        )
    others = [r.others_cpu for r in bench.rounds if r.others_cpu is not None]
    round_wall = sum(r.wall for r in bench.rounds)
    others_share = sum(others) / (round_wall * cpus) if others and round_wall > 0 else None
    if others_share is not None and others_share > 0.1:
        notes.append(
            f"other processes kept {others_share:.0%} of the machine's cpu time busy during "
            f"these rounds ({sum(others):.1f} cpu-seconds): the timings are disturbed"
        )
    if bench.cache_misses:
        notes.append(
            f"{len(bench.cache_misses)} gate fast re-runs on the unchanged tree ran checks "
            f"instead of answering them from the cache, e.g. {bench.cache_misses[0]}"
        )
    if bench.cold and (not bench.wiped or min(bench.wiped) == 0):
        notes.append("a cold-mode wipe found no cache to delete: those runs were not cold")
    if bench.warm_misses:
        notes.append(
            f"{len(bench.warm_misses)} warm-mode runs started with a cache missing, e.g. "
            f"{bench.warm_misses[0]}"
        )
    loads = [r.load_1m for r in bench.rounds if r.load_1m is not None]
    return {
        "caches": bench.mode,
        "cache_dirs_wiped_per_run": _spread(bench.wiped) if bench.wiped else None,
        "warm_misses": bench.warm_misses,
        "gate_cache_misses": bench.cache_misses,
        "seconds": {
            "by_hand": by_hand,
            "gate_fast": med["gate_fast"],
            "gate_fast_cached": med["gate_fast_cached"],
            "floor": floor,
            "floor_check": slowest,
            "cpu_floor": cpu_floor,
            "cpu_floor_statistic": "max(floor, sum of the checks' median cpu seconds / cpus)",
            "doctor": med["doctor"],
            "nox_gate_fast_doctor": med["nox_gate_fast_doctor"],
            "lane_overhead": overhead,
            "lane_overhead_statistic": "median over repeats of nox - gate_fast - doctor",
            "nox_list": med["nox_list"],
            "lane_tasks_startup": med["lane_tasks_startup"],
            # backend "none" runs both steps inside the nox process, so nox skips the two
            # lane-tasks startups the direct runs pay; add them back to see nox's own cost
            "lane_overhead_plus_saved_startups": overhead
            + (2 * med["lane_tasks_startup"] if bench.nox_backend == "none" else 0.0),
            "per_check_alone": per_check,
            "per_check_inside_gate_fast": inside,
        },
        "cpu_seconds": {
            **{name: v.cpu_median for name, v in t.items()},
            "per_check_alone": per_check_cpu,
        },
        "ratios": ratios,
        "verdict": {
            "gate_fast_over_by_hand_met": ratios["gate_fast_over_by_hand"] <= TARGET_GATE_RATIO,
            "reachable": reachable,
            "lane_overhead_met": overhead < TARGET_OVERHEAD_S,
        },
        "load": {
            "loadavg_1m_at_round_starts": loads,
            "others_cpu_seconds_per_round": others,
            "others_share_of_machine": others_share,
            "round_wall_seconds": [r.wall for r in bench.rounds],
        },
        "notes": notes,
        "ranges": {
            **{name: _spread(v.samples) for name, v in t.items()},
            **{f"check:{c}": _spread(v.samples) for c, v in bench.per_check.items()},
        },
        "samples": {
            **{name: v.samples for name, v in t.items()},
            **{f"check:{cid}": v.samples for cid, v in bench.per_check.items()},
            **{f"inside_gate:{cid}": v.samples for cid, v in bench.inside_gate.items()},
        },
        "cpu_samples": {
            **{name: v.cpu for name, v in t.items()},
            **{f"check:{cid}": v.cpu for cid, v in bench.per_check.items()},
        },
    }


def summarize(
    benches: Mapping[str, Bench], machine: dict[str, Any], args: argparse.Namespace
) -> dict[str, Any]:
    first = next(iter(benches.values()))
    notes: list[str] = []
    plugins = machine["pytest_plugins"]
    if plugins and any("pytest" in part for c in first.checks for part in c.cmd):
        notes.append(
            f"every pytest run also loads the installed plugins ({', '.join(plugins)}); their "
            "import time counts in pytest's time (compare with `-p no:NAME`)"
        )
    if machine["PYTHONDONTWRITEBYTECODE"]:
        notes.append(
            "PYTHONDONTWRITEBYTECODE is set, and the checks inherit it: no __pycache__ is "
            "written, so even warm pytest compiles the sample modules on every run"
        )
    return {
        "params": {
            "modules": args.modules,
            "preset": args.preset,
            "repeat": args.repeat,
            "caches": list(benches),
            "statistic": "median",
            "cold_wipes": list(CACHE_DIRS),
            "cold_wipe_when": "before gate fast, the nox run and every check of the by-hand "
            "sequence (the floor's single-tool runs); not timed",
            "caches_present_at_end": _caches(first.root),
            "checks": {c.id: list(c.cmd) for c in first.checks},
            "nox_backend": first.nox_backend,
        },
        "machine": machine,
        "targets": {
            "gate_fast_over_by_hand_max": TARGET_GATE_RATIO,
            "gate_fast_target_cpus": 2,
            "lane_overhead_max_s": TARGET_OVERHEAD_S,
        },
        "modes": {mode: summarize_mode(bench, machine) for mode, bench in benches.items()},
        "notes": notes,
    }


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _table(rows: Sequence[Sequence[str]], head: Sequence[str]) -> list[str]:
    n = len(head) - 1
    widths = [max(len(r[i]) for r in [*rows, head]) for i in range(n)]

    def line(r: Sequence[str]) -> str:
        cells = [f"{r[0]:<{widths[0]}}", *(f"{r[i]:>{widths[i]}}" for i in range(1, n))]
        return "  ".join([*cells, r[n]]).rstrip()

    return [line(head), line(["-" * w for w in widths] + ["-" * 4]), *(line(r) for r in rows)]


def render_mode(s: dict[str, Any], ms: dict[str, Any]) -> list[str]:
    sec, cpu, rat, rng = ms["seconds"], ms["cpu_seconds"], ms["ratios"], ms["ranges"]
    m, p = s["machine"], s["params"]
    cpus = m["cpu_count"]
    on_target_cpus = cpus == s["targets"]["gate_fast_target_cpus"]

    def timed(label: str, value: float, samples: str, note: str = "") -> tuple[str, ...]:
        lo, hi = rng[samples]
        return (label, f"{value:.3f} s", f"{lo:.3f}-{hi:.3f}", note)

    by_hand = sec["by_hand"]
    rows: list[tuple[str, ...]] = [
        timed(
            f"by hand ({len(p['checks'])} checks in sequence)",
            by_hand,
            "by_hand",
            f"cpu {cpu['by_hand']:.3f} s",
        ),
    ]
    for cid, t in sec["per_check_alone"].items():
        parts = [f"{t / by_hand:4.0%} of by hand", f"cpu {cpu['per_check_alone'][cid]:.3f} s"]
        inside = sec["per_check_inside_gate_fast"].get(cid)
        if inside is not None:
            parts.append(f"inside gate fast: {inside:.3f} s")
        if cid == sec["floor_check"]:
            parts.append("<- dominates")
        rows.append(timed(f"  {cid}", t, f"check:{cid}", ", ".join(parts)))
    gate_note = f"target <= {TARGET_GATE_RATIO} on 2 cores: " + (
        _verdict(rat["gate_fast_over_by_hand"] <= TARGET_GATE_RATIO)
        if on_target_cpus
        else f"n/a here ({cpus} cpus)"
    )
    busy = cpu["gate_fast"] / sec["gate_fast"]
    backend = p["nox_backend"]
    rows += [
        timed(
            "gate fast (lane-tasks, parallel)",
            sec["gate_fast"],
            "gate_fast",
            f"cpu {cpu['gate_fast']:.3f} s: {busy:.2f} of {cpus} cpus busy on average",
        ),
        (
            "floor (slowest check alone)",
            f"{sec['floor']:.3f} s",
            "",
            f"{sec['floor_check']}, from the by-hand runs",
        ),
        (
            f"floor on {m['cpus_usable'] or cpus} cpus",
            f"{sec['cpu_floor']:.3f} s",
            "",
            "max(floor, cpu seconds of all checks / cpus)",
        ),
        timed(
            "gate fast re-run (cached)",
            sec["gate_fast_cached"],
            "gate_fast_cached",
            f"unchanged tree: {rat['gate_fast_cached_over_gate_fast']:.2f} of the first run"
            + ("" if not ms["gate_cache_misses"] else ", NOT every check cached"),
        ),
        timed("doctor (lane-tasks)", sec["doctor"], "doctor"),
        timed("nox -s gate-fast doctor", sec["nox_gate_fast_doctor"], "nox_gate_fast_doctor"),
        timed("nox -l (nox startup)", sec["nox_list"], "nox_list"),
        timed("lane-tasks --version (startup)", sec["lane_tasks_startup"], "lane_tasks_startup"),
        ("", "", "", ""),
        ("gate_fast / by_hand", f"{rat['gate_fast_over_by_hand']:.2f}", "", gate_note),
        (
            "floor / by_hand",
            f"{rat['floor_over_by_hand']:.2f}",
            "",
            "lower bound of the above: the best any scheduler can do",
        ),
        (
            f"floor on {m['cpus_usable'] or cpus} cpus / by_hand",
            f"{rat['cpu_floor_over_by_hand']:.2f}",
            "",
            "tighter lower bound, if the checks' cpu work does not shrink",
        ),
        ("gate_fast / floor", f"{rat['gate_fast_over_floor']:.2f}", "", ""),
        (
            "lane overhead (nox - gate fast - doctor)",
            f"{sec['lane_overhead']:+.3f} s",
            "",
            f"target < {TARGET_OVERHEAD_S} s: "
            + _verdict(sec["lane_overhead"] < TARGET_OVERHEAD_S),
        ),
        (
            "  + 2 lane-tasks startups nox saves",
            f"{sec['lane_overhead_plus_saved_startups']:+.3f} s",
            "",
            f"backend '{backend}'" + (": steps run inside nox" if backend == "none" else ""),
        ),
    ]
    if ms["caches"] == "cold":
        lo, hi = ms["cache_dirs_wiped_per_run"] or [0, 0]
        title = (
            f"== COLD caches: {', '.join(CACHE_DIRS)} deleted before gate fast, the nox run "
            f"and every by-hand check ({lo}-{hi} directories each time), as on a fresh CI clone"
        )
    else:
        present = ", ".join(k for k, v in p["caches_present_at_end"].items() if v) or "none"
        title = (
            "== WARM caches: filled by the untimed warm-up and the runs before, equally for "
            f"every side (present: {present})"
        )
    load = ms["load"]
    loads = load["loadavg_1m_at_round_starts"]
    share = load["others_share_of_machine"]
    per_round = [
        cpu_s / (wall * cpus)
        for cpu_s, wall in zip(
            load["others_cpu_seconds_per_round"], load["round_wall_seconds"], strict=False
        )
    ]
    load_line = (
        "load average (1 min) at the start of each round: "
        + (", ".join(f"{v:.2f}" for v in loads) or "?")
        + "; cpu share used by other processes: "
        + (f"{share:.0%}" if share is not None else "?")
        + (f" (by round: {', '.join(f'{v:.0%}' for v in per_round)})" if per_round else "")
    )
    lines = [title, load_line, "", *_table(rows, ("measurement", "median", "min-max", "note"))]
    if ms["notes"]:
        lines += ["", "notes:", *(f"- {n}" for n in ms["notes"])]
    return lines


def render_summary(s: dict[str, Any]) -> list[str]:
    cpus = s["machine"]["cpu_count"]
    target_cpus = s["targets"]["gate_fast_target_cpus"]
    rows: list[tuple[str, ...]] = []
    verdicts: list[str] = []
    for mode, ms in s["modes"].items():
        rat, sec = ms["ratios"], ms["seconds"]
        g, f = rat["gate_fast_over_by_hand"], rat["floor_over_by_hand"]
        if cpus == target_cpus:
            met = f"{_verdict(g <= TARGET_GATE_RATIO)}"
        else:
            met = f"n/a ({cpus} cpus, target is for {target_cpus})"
        rows.append((mode, f"{g:.2f}", f"{f:.2f}", f"{rat['cpu_floor_over_by_hand']:.2f}", met))
        if f > TARGET_GATE_RATIO:
            verdicts.append(
                f"{mode}: the target is UNREACHABLE: floor / by_hand = {f:.2f} > "
                f"{TARGET_GATE_RATIO} ({sec['floor_check']} alone takes {f:.0%} of the "
                "by-hand time), so no scheduler can meet it"
            )
        else:
            verdicts.append(
                f"{mode}: the target is reachable (floor / by_hand = {f:.2f} <= "
                f"{TARGET_GATE_RATIO}) and is {_verdict(g <= TARGET_GATE_RATIO)} by gate fast "
                f"({g:.2f})" + ("" if cpus == target_cpus else f" on this {cpus}-cpu machine")
            )
    head = (
        "caches",
        "gate_fast/by_hand",
        "floor/by_hand",
        f"floor on {s['machine']['cpus_usable'] or cpus} cpus/by_hand",
        f"target <= {TARGET_GATE_RATIO} on {target_cpus} cores",
    )
    return [
        "== summary (floor / by_hand is the best any scheduler can do)",
        "",
        *_table(rows, head),
        "",
        *verdicts,
    ]


def render(s: dict[str, Any]) -> str:
    m, p = s["machine"], s["params"]
    cpus = m["cpu_count"]
    preset = f" (preset {p['preset']})" if p["preset"] else ""
    lines = [
        f"lane-tasks gate fast benchmark: {p['modules']} modules{preset}, median of "
        f"{p['repeat']} runs, caches: {', '.join(p['caches'])}",
        f"machine: {cpus} cpus ({m['cpus_usable']} usable), {m['implementation']} "
        f"{m['python']}, {m['platform']}",
        f"load average (1 min): {m['loadavg_1m_start']} at start, {m['loadavg_1m_end']} at end "
        "(during the rounds it counts the benchmark's own processes too)",
        "tools: " + "; ".join(f"{v}" for v in m["tools"].values()),
        "pytest plugins installed: "
        + (", ".join(m["pytest_plugins"]) or "none")
        + f"; PYTHONDONTWRITEBYTECODE {'set' if m['PYTHONDONTWRITEBYTECODE'] else 'unset'}",
        f"lane-tasks {m['lane_tasks']}",
    ]
    if s["notes"]:
        lines += [*(f"note: {n}" for n in s["notes"])]
    for ms in s["modes"].values():
        lines += ["", *render_mode(s, ms)]
    lines += ["", *render_summary(s)]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--modules",
        type=int,
        help=f"modules in the sample package (default {DEFAULT_MODULES})",
    )
    size.add_argument(
        "--preset",
        choices=list(PRESETS),
        help=", ".join(f"{name} = {n} modules" for name, n in PRESETS.items()),
    )
    parser.add_argument(
        "--caches",
        choices=[*MODES, "both"],
        default="both",
        help="measure with warm caches, with cold ones (deleted before every run of the checks), "
        "or both "
        "(default)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measurement")
    parser.add_argument("--json", metavar="OUT", type=Path, help="also write the numbers here")
    args = parser.parse_args(argv)
    if args.modules is None:
        args.modules = PRESETS[args.preset] if args.preset else DEFAULT_MODULES
    if args.modules < 1 or args.repeat < 1:
        parser.error("--modules and --repeat must be at least 1")
    modes = list(MODES) if args.caches == "both" else [args.caches]

    load_at_start = loadavg()
    # commits need an identity; a fresh machine may have none configured
    os.environ.update(GIT_IDENTITY)

    def progress(msg: str) -> None:
        print(f"... {msg}", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="bench-gate-fast-") as tmp:
        root = Path(tmp) / PACKAGE
        progress(f"making a sample project with {args.modules} modules in {root}")
        try:
            make_project(root, args.modules)
            benches = measure(root, modes, args.repeat, progress)
        except (BenchError, subprocess.TimeoutExpired) as exc:
            print(f"bench_gate_fast: error: {exc}", file=sys.stderr)
            return 1
        first = next(iter(benches.values()))
        machine = machine_facts(check_env_of(first.checks[0]), load_at_start)
        summary = summarize(benches, machine, args)
    print(render(summary))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        progress(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
