"""Benchmark: a program of many repositories. Merging their exported histories into one, and
the program dashboard over the merged history. Targets: merge < 60 s; dashboard < 3 s.

    python benchmarks/bench_org.py [--repos N] [--runs N] [--views-per-run N] [--repeat K]
                                   [--json OUT] [--profile merge|dashboard]

Writes, in a temp dir, one `lane-tasks history export` JSONL file per repository (N
repositories, default 200, each with N lane runs over a year, default 2,000: the histories of
bench_history, each run with its steps, records and docs-view events, in the export's own
format: one JSON object a line, sorted keys, ordered by table and key). Then, in a fresh
program repository (adopted with `adopt.init_repo.init_repo`), measures as the median of K
runs after an untimed warm-up, each a subprocess as CI runs them:

  merge       `lane-tasks history import FILE…` of every export into an empty history
  dashboard   `lane-tasks dashboard` over the merged history

Prints times, ratios to the targets and whether each is met; it asserts nothing. With
--profile, runs that command once in this process under cProfile and prints the top of it.
`write_exports` and `measure` are also used by benchmarks/run.py.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import bench_history
from bench_gate_fast import BenchError

from lane_tasks.adopt.init_repo import init_repo
from lane_tasks.config import load_config
from lane_tasks.evidence.history import TABLES, history_path

TARGETS = {"merge": 60.0, "dashboard": 3.0}
REPOS = 200
RUNS = 2_000
VIEWS_PER_RUN = 2
"""Docs-view events per run in each repository's export (bench_history keeps 10 a run in one
program history; a repository's own export carries fewer, its docs analytics being the
program's): 800,000 events over the 200 repositories."""
TIMEOUT = 900.0
_ROW_TYPES = {"runs": "run", "steps": "step", "records": "record", "events": "event"}
_EXPORT_NAMES = {"type": "event_type"}


def repo_name(k: int) -> str:
    return f"acme/svc-{k:03d}"


def export_lines(rows: dict[str, list[tuple[Any, ...]]]) -> list[str]:
    """Rows as `history export` writes them: by table, ordered by key, keys sorted."""
    out = []
    for table, kind in _ROW_TYPES.items():
        cols = TABLES[table]
        for values in sorted(rows[table], key=lambda v: v[:3]):
            obj = {_EXPORT_NAMES.get(c, c): v for c, v in zip(cols, values, strict=True)}
            obj["type"] = kind
            out.append(json.dumps(obj, sort_keys=True, ensure_ascii=False) + "\n")
    return out


def write_exports(
    out: Path, repos: int = REPOS, runs: int = RUNS, views_per_run: int = VIEWS_PER_RUN
) -> tuple[list[Path], dict[str, int]]:
    """One export per repository (each its own seed and a few seconds' offset); the files and
    the total row counts."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    counts = dict.fromkeys(TABLES, 0)
    for k in range(repos):
        rows = bench_history.generate(
            runs,
            seed=1000 + k,
            repos=(repo_name(k),),
            events_repo=None,
            views_per_run=views_per_run,
            offset_s=k * 7.0,
        )
        for table, r in rows.items():
            counts[table] += len(r)
        path = out / f"{repo_name(k).replace('/', '-')}.history.jsonl"
        path.write_text("".join(export_lines(rows)), encoding="utf-8")
        paths.append(path)
    return paths, counts


_GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}


def program_repo(root: Path) -> Path:
    """A git repository adopted with init_repo: the program's own, where histories merge."""
    root.mkdir(parents=True)
    for argv in (["init", "-q"], ["commit", "-q", "--allow-empty", "-m", "start"]):
        subprocess.run(["git", *argv], cwd=root, check=True, env=_GIT_ENV)
    init_repo(root, lane="regulated")
    return root


def lane_tasks(*args: str) -> list[str]:
    return [sys.executable, "-m", "lane_tasks", *args]


def timed(argv: list[str], cwd: Path) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    took = time.perf_counter() - t0
    if done.returncode != 0:
        raise BenchError(f"{' '.join(argv[2:])} exited {done.returncode}:\n{done.stderr}")
    return took, done.stdout


def _fresh_history(root: Path) -> None:
    path = history_path(load_config(root / "lanes.toml"))
    for p in path.parent.glob(path.name + "*"):  # the file and its -wal, -shm
        p.unlink()


def measure(
    repos: int = REPOS,
    runs: int = RUNS,
    repeat: int = 3,
    views_per_run: int = VIEWS_PER_RUN,
) -> dict[str, Any]:
    """Write the exports, then time the merge (each into an empty history) and the dashboard
    over the merged one; medians of `repeat` after an untimed warm-up of each."""
    with tempfile.TemporaryDirectory(prefix="bench-org-") as tmp:
        t0 = time.perf_counter()
        paths, counts = write_exports(Path(tmp) / "exports", repos, runs, views_per_run)
        write_s = time.perf_counter() - t0
        export_bytes = sum(p.stat().st_size for p in paths)
        root = program_repo(Path(tmp) / "program")
        files = [str(p) for p in paths]
        merge: list[float] = []
        said = ""
        for k in range(repeat + 1):
            _fresh_history(root)
            took, said = timed(lane_tasks("history", "import", *files), root)
            if k:
                merge.append(took)
        db_bytes = history_path(load_config(root / "lanes.toml")).stat().st_size
        out = Path(tmp) / "dashboard.html"
        dash: list[float] = []
        for k in range(repeat + 1):
            argv = lane_tasks("dashboard", "--out", str(out), "--allow-outside-root")
            took, _ = timed(argv, root)
            if k:
                dash.append(took)
        size = out.stat().st_size
    return {
        "merge": statistics.median(merge),
        "merge_samples": merge,
        "dashboard": statistics.median(dash),
        "dashboard_samples": dash,
        "dashboard_bytes": size,
        "rows": counts,
        "files": len(paths),
        "export_bytes": export_bytes,
        "db_bytes": db_bytes,
        "write_s": write_s,
        "import_said": said.strip(),
    }


def profile(what: str, repos: int, runs: int, views_per_run: int, top: int = 35) -> None:
    """Run the merge (or the merge, then the dashboard) once in this process under cProfile."""
    from lane_tasks.cli import main as cli

    with tempfile.TemporaryDirectory(prefix="bench-org-") as tmp:
        paths, _ = write_exports(Path(tmp) / "exports", repos, runs, views_per_run)
        root = program_repo(Path(tmp) / "program")
        cwd = Path.cwd()
        os.chdir(root)
        try:
            merge = ["history", "import", *map(str, paths)]
            dashboard = ["dashboard", "--out", str(Path(tmp) / "d.html"), "--allow-outside-root"]
            if what == "dashboard":
                cli(merge)
            prof = cProfile.Profile()
            t0 = time.perf_counter()
            prof.runcall(cli, merge if what == "merge" else dashboard)
            print(f"{what}: {time.perf_counter() - t0:.2f} s under cProfile", file=sys.stderr)
        finally:
            os.chdir(cwd)
        pstats.Stats(prof).sort_stats("cumulative").print_stats(top)
        shutil.rmtree(root, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repos", type=int, default=REPOS)
    ap.add_argument("--runs", type=int, default=RUNS, help="runs per repository")
    ap.add_argument("--views-per-run", type=int, default=VIEWS_PER_RUN)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", metavar="OUT")
    ap.add_argument("--profile", choices=("merge", "dashboard"))
    args = ap.parse_args(argv)
    if args.profile:
        profile(args.profile, args.repos, args.runs, args.views_per_run)
        return 0
    m = measure(args.repos, args.runs, args.repeat, args.views_per_run)
    print(f"org benchmark: median of {args.repeat}, {os.cpu_count()} cpus, "
          f"Python {sys.version.split()[0]}")  # fmt: skip
    rows = ", ".join(f"{v:,} {k}" for k, v in m["rows"].items())
    print(f"{m['files']} exports ({m['export_bytes'] / 1e6:.0f} MB, written in "
          f"{m['write_s']:.0f} s): {rows}")  # fmt: skip
    print(f"merged history: {m['db_bytes'] / 1e6:.0f} MB")
    print(m["import_said"])
    for name in ("merge", "dashboard"):
        took, target = m[name], TARGETS[name]
        verdict = "met" if took < target else "NOT met"
        print(f"{name:<10} {took:7.2f} s   ratio to target {took / target:5.2f}   "
              f"(< {target:.0f} s: {verdict})")  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps(m, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
