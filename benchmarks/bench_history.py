"""Benchmark: the six KPIs and the program dashboard over a history of 100,000 runs.
Targets: KPIs < 0.3 s; dashboard < 2 s and < 2 MB.

    python benchmarks/bench_history.py [--runs N] [--repeat K] [--json OUT]

Builds a project in a temp dir (adopted with `adopt.init_repo.init_repo`) and fills its history
(the real SQLite schema, through `evidence.history.connect`) with N lane runs over a year, in
20 repositories and 3 lanes, each run with its four steps (gate-fast, gate-release, doctor,
controls, so 4 N step rows), about one run in six failing, a decision per released version, a
rollback now and then, triage for half the failure streaks and 10 docs-view events per run.
Then it measures, as the median of K runs, in this process:

  kpis        `compute_kpis(config, all six)`: what `lane-tasks kpi --all` computes
  dashboard   `build_model` + `render_dashboard`: what `lane-tasks dashboard` writes
  size        the dashboard's bytes

Prints times, ratios to the targets and whether each is met; it asserts nothing. `fill` and
`measure` are also used by benchmarks/run.py.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from lane_tasks import __version__
from lane_tasks.adopt.init_repo import init_repo
from lane_tasks.catalog import KPIS
from lane_tasks.config import Config, load_config
from lane_tasks.dashboard.model import build_model
from lane_tasks.dashboard.render import render_dashboard
from lane_tasks.evidence.history import connect, count_event_days, history_path, iso, transaction
from lane_tasks.kpi.compute import compute_kpis

TARGETS = {"kpis": 0.3, "dashboard": 2.0}
SIZE_TARGET = 2_000_000
NOW = datetime(2026, 12, 1, tzinfo=UTC)
TOOL = {"name": "lane-tasks", "version": __version__}
CHECKS = ["ruff-check", "ruff-format", "mypy", "pytest"]
REPOS = tuple(f"acme/repo-{k:02d}" for k in range(20))
CONTROLS = ["release-confidence-path", "artifact-retention", "release-owner"]


def _results(ids: Sequence[str], failing: str | None) -> str:
    rows = [
        {"id": i, "status": "fail" if i == failing else "pass", "owner": "platform", "message": ""}
        for i in ids
    ]
    return json.dumps(rows, separators=(",", ":"))


def _decision(version: str, at: str) -> str:
    return json.dumps(
        {
            "schema": "lane-tasks/release-decision", "schema_version": "1.0", "tool": TOOL,
            "version": version, "commit": "a" * 40, "decision": "go", "owner": "lead",
            "reason": None, "decided_at": at, "preflight": None, "override_reason": None,
            "evidence_problem": None, "superseded": [],
        }
    )  # fmt: skip


def generate(
    runs: int,
    seed: int = 7,
    *,
    repos: Sequence[str] = REPOS,
    events_repo: str | None = "docs",
    views_per_run: int = 10,
    offset_s: float = 0.0,
) -> dict[str, list[tuple[Any, ...]]]:
    """A year of history as table rows (the real columns, in order): `runs` lane runs over the
    `repos` in turn, each with its steps, records and `views_per_run` docs-view events (of
    `events_repo`, or of the run's repository when None). `offset_s` shifts every time (so
    two generated histories of one repository do not share run ids). Used by `fill` and by
    bench_org (one history export per repository)."""
    rng = random.Random(seed)
    start = NOW - timedelta(days=365) + timedelta(seconds=offset_s)
    step_rows: list[tuple[Any, ...]] = []
    run_rows: list[tuple[Any, ...]] = []
    records: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    versions: dict[str, int] = {}
    for n in range(runs):
        repo = repos[n % len(repos)]
        lane = ("startup", "scale", "regulated")[n % 3]
        at = start + timedelta(seconds=n * 365 * 86400 / runs)
        run_id = f"{at.strftime('%Y%m%dT%H%M%SZ')}-{n:06x}"
        failing = rng.random() < 1 / 6
        status = "fail" if failing else "pass"
        minor = versions.setdefault(repo, 0)
        version = f"1.{minor}.0"
        when = iso(at)
        bad = rng.choice(CHECKS) if failing else None
        step_rows.append(
            (repo, run_id, "gate-fast", status, lane, "a" * 40, None, when, when,
             _results(CHECKS, bad))
        )  # fmt: skip
        if not failing:
            for step in ("gate-release", "doctor"):
                step_rows.append(
                    (repo, run_id, step, "pass", lane, "a" * 40, version if step == "gate-release"
                     else None, when, when, _results(["build"], None))
                )  # fmt: skip
            step_rows.append(
                (repo, run_id, "controls", "pass", lane, "a" * 40, None, when, when,
                 _results(CONTROLS, None))
            )  # fmt: skip
            if rng.random() < 0.05:  # a release: decided an hour later, the next version starts
                decided = iso(at + timedelta(hours=1))
                key = f"release-evidence/releases/{version}/decision.json"
                records.append(
                    (repo, "release-decision", key, decided, version, None, "lead",
                     _decision(version, decided))
                )  # fmt: skip
                versions[repo] = minor + 1
        elif rng.random() < 0.5:
            triaged = iso(at + timedelta(hours=rng.randint(1, 48)))
            doc = {
                "schema": "lane-tasks/triage", "schema_version": "1.0", "tool": TOOL,
                "run_id": run_id, "repository": repo, "lane": lane, "run_status": "fail",
                "run_started_at": when, "owner": "ana", "note": None, "triaged_at": triaged,
            }  # fmt: skip
            records.append(
                (repo, "triage", f"release-evidence/triage/{run_id}.json", triaged, None, run_id,
                 "ana", json.dumps(doc))
            )  # fmt: skip
        run_rows.append(
            (repo, run_id, "nox", lane, status, "complete", "a" * 40, version,
             f"dev{n % 50}@acme.org", "ci" if n % 2 else None, when, when)
        )  # fmt: skip
        ev_repo = events_repo or repo
        for k in range(views_per_run):
            events.append((ev_repo, f"v{n}-{k}", "docs-view", when, "{}"))
        if n % 40 == 0:
            events.append((ev_repo, f"a{n}", "adoption", when, "{}"))
    return {"runs": run_rows, "steps": step_rows, "records": records, "events": events}


def fill(config: Config, runs: int, seed: int = 7) -> dict[str, int]:
    """Write a year of history; returns the row counts."""
    rows = generate(runs, seed)
    conn = connect(history_path(config))
    try:
        with transaction(conn):
            conn.executemany("INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows["runs"])
            conn.executemany("INSERT INTO steps VALUES (?,?,?,?,?,?,?,?,?,?)", rows["steps"])
            conn.executemany("INSERT INTO records VALUES (?,?,?,?,?,?,?,?)", rows["records"])
            conn.executemany("INSERT INTO events VALUES (?,?,?,?,?)", rows["events"])
            count_event_days(conn, None)  # as `events import` keeps them
    finally:
        conn.close()
    return {table: len(r) for table, r in rows.items()}


def median_time(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    out: object = None
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


_GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}


def measure(runs: int, repeat: int) -> dict[str, Any]:
    """Fill a history of `runs` runs in a temp dir and time the KPIs and the dashboard over
    it (in this process, each the median of `repeat` after an untimed warm-up)."""
    with tempfile.TemporaryDirectory(prefix="bench-history-") as tmp:
        root = Path(tmp) / "program"
        root.mkdir()
        # init adopts a git repository only (it reads commits and release tags)
        for argv in (["init", "-q"], ["commit", "-q", "--allow-empty", "-m", "start"]):
            subprocess.run(["git", *argv], cwd=root, check=True, env=_GIT_ENV)
        init_repo(root, lane="regulated")
        config = load_config(root / "lanes.toml")
        t0 = time.perf_counter()
        counts = fill(config, runs)
        fill_s = time.perf_counter() - t0
        compute_kpis(config, list(KPIS), now=NOW)  # warm-up: imports, page cache
        kpi_s, kpis = median_time(lambda: compute_kpis(config, list(KPIS), now=NOW), repeat)

        def dashboard() -> str:
            return render_dashboard(build_model(config, since=None, now=NOW))

        dash_s, html = median_time(dashboard, repeat)
        size = len(str(html).encode("utf-8"))
        db_size = history_path(config).stat().st_size
    assert isinstance(kpis, list)
    return {
        "kpis": kpi_s,
        "dashboard": dash_s,
        "size_bytes": size,
        "rows": counts,
        "db_bytes": db_size,
        "fill_s": fill_s,
        "kpis_known": sum(1 for k in kpis if k.value is not None),
        "kpis_total": len(kpis),
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", metavar="OUT")
    args = ap.parse_args(argv)
    m = measure(args.runs, args.repeat)
    counts, size = m["rows"], m["size_bytes"]
    print(f"history benchmark: median of {args.repeat}, {os.cpu_count()} cpus, "
          f"Python {sys.version.split()[0]}")  # fmt: skip
    rows = ", ".join(f"{v:,} {k}" for k, v in counts.items())
    print(f"history: {rows} ({m['db_bytes'] / 1e6:.1f} MB, filled in {m['fill_s']:.1f} s)")
    print(f"KPIs known: {m['kpis_known']} of {m['kpis_total']}")
    results = {"kpis": m["kpis"], "dashboard": m["dashboard"]}
    for name, took in results.items():
        target = TARGETS[name]
        verdict = "met" if took < target else "NOT met"
        print(f"{name:<10} {took:7.3f} s   ratio to target {took / target:5.2f}   "
              f"(< {target:g} s: {verdict})")  # fmt: skip
    verdict = "met" if size < SIZE_TARGET else "NOT met"
    print(f"{'size':<10} {size / 1e6:7.3f} MB  ratio to target {size / SIZE_TARGET:5.2f}   "
          f"(< 2 MB: {verdict})")  # fmt: skip
    if args.json:
        Path(args.json).write_text(
            json.dumps({**results, "size_bytes": size, "rows": counts}, indent=2) + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
