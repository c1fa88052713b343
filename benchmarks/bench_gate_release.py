"""Benchmark: `lane-tasks gate release --offline` vs the same release tools run by hand.

By hand means what a maintainer runs before a release: `python -m build --no-isolation` (sdist
and wheel), `twine check --strict` on both, `check-wheel-contents` on the wheel, one after
another. gate release runs those tools too (its build from a git worktree of HEAD, the two
inspections side by side) plus its own checks (metadata, version against tags, changelog,
clean tree, gate-fast evidence). Target: gate release <= 1.15x the by-hand time.

    python benchmarks/bench_gate_release.py [--modules N] [--repeat K] [--json OUT]

Prints ratios; it asserts nothing (speed goals live here, never in unit tests). `prepare`,
`by_hand` and `gate_release` are also used by benchmarks/run.py.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench_gate_fast import PACKAGE, BenchError, make_project

ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.org",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.org",
}
TARGET = 1.15


def run(argv: Sequence[str], cwd: Path) -> float:
    """Wall seconds of one command; a failure stops the benchmark (its time would mean nothing):
    BenchError."""
    t0 = time.perf_counter()
    r = subprocess.run(argv, cwd=cwd, env=ENV, capture_output=True, text=True, check=False)
    took = time.perf_counter() - t0
    if r.returncode != 0:
        raise BenchError(
            f"benchmark command failed: {' '.join(argv)}\n{r.stdout[-2000:]}{r.stderr[-2000:]}"
        )
    return took


def by_hand(root: Path) -> float:
    out = Path(tempfile.mkdtemp(prefix="bench-dist-"))
    try:
        py = sys.executable
        total = run(
            [py, "-m", "build", "--sdist", "--wheel", "--no-isolation", "--outdir", str(out), "."],
            root,
        )
        dists = sorted(str(p) for p in out.iterdir())
        total += run([py, "-m", "twine", "check", "--strict", *dists], root)
        wheel = next(d for d in dists if d.endswith(".whl"))
        total += run([py, "-m", "check_wheel_contents", wheel], root)
        return total
    finally:
        shutil.rmtree(out, ignore_errors=True)
        for egg in root.glob("*.egg-info"):  # an in-place build leaves this behind
            shutil.rmtree(egg, ignore_errors=True)


def gate_release(root: Path) -> float:
    argv = [sys.executable, "-m", "lane_tasks", "gate", "release", "--offline"]
    return run([*argv, "--format", "json", "--out", "build/release-preflight.json", "-q"], root)


REPRODUCIBLE_LINE = "reproducible = false   # setuptools stamps its sdists: no rebuild\n"
OFFLINE = f"""
[gate.release]
offline = true   # build without isolation, with the setuptools installed here: no network
{REPRODUCIBLE_LINE}"""


def add_changelog(root: Path, *, offline: bool = False, reproducible_key: bool = True) -> None:
    """Commit what a release of the sample project needs: a CHANGELOG entry for its version
    (and, with `offline`, `[gate.release] offline = true` in lanes.toml, for lane runs;
    without `reproducible_key`, for a lane-tasks older than that key, leaving it out)."""
    (root / "CHANGELOG.md").write_text("# Changelog\n\n## 1.2.3\n\n- Benchmark release.\n")
    if offline:
        text = OFFLINE if reproducible_key else OFFLINE.replace(REPRODUCIBLE_LINE, "")
        with (root / "lanes.toml").open("a", encoding="utf-8") as f:
            f.write(text)
    for args in (["add", "-A"], ["commit", "-q", "-m", "changelog"]):
        subprocess.run(["git", *args], cwd=root, env=ENV, check=True, capture_output=True)


def prepare(root: Path, modules: int) -> None:
    make_project(root, modules)
    add_changelog(root)
    # where the project's own gate release reads it (its artifacts directory)
    run([sys.executable, "-m", "lane_tasks", "gate", "fast", "--format", "json", "-q"], root)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--modules", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", metavar="OUT")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-release-") as tmp:
        root = Path(tmp) / PACKAGE
        try:
            prepare(root, args.modules)
            by_hand(root), gate_release(root)  # warm-up: imports and file caches, both sides
            hand, gate = [], []
            for _ in range(args.repeat):  # interleaved, so machine load hits both sides alike
                hand.append(by_hand(root))
                gate.append(gate_release(root))
        except BenchError as exc:
            sys.exit(str(exc))
    h, g = statistics.median(hand), statistics.median(gate)
    ratio = g / h
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    print(f"lane-tasks gate release benchmark: {args.modules} modules, median of {args.repeat}")
    print(f"machine: {os.cpu_count()} cpus, Python {sys.version.split()[0]}, load {load}")
    print(f"{'by hand (build + twine check + check-wheel-contents)':<56} {h:7.3f} s")
    print(f"{'gate release --offline (all 8 checks)':<56} {g:7.3f} s")
    verdict = "met" if ratio <= TARGET else "NOT met"
    print(f"{'gate_release / by_hand':<56} {ratio:7.2f}   target <= {TARGET}: {verdict}")
    if args.json:
        Path(args.json).write_text(
            json.dumps({"by_hand": hand, "gate_release": gate, "ratio": ratio}, indent=2) + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
