"""Benchmark: `lane-tasks drift check` on a repository with 1,000 docs files. Target: < 1 s.

    python benchmarks/bench_drift.py [--docs N] [--repeat K] [--json OUT]

Builds a sample repository in a temp dir (adopted with `adopt.init_repo.init_repo`, committed
in git): N Markdown pages under docs/ (default 1,000; each with prose, code spans and fenced
blocks naming `lane-tasks` commands and nox sessions, all valid, so every page is read and every
command checked), a README, a GitHub workflow, a GitLab pipeline and a published docs/lanes.md.
After one untimed warm-up it measures, as the median of K runs:

  drift_check   `lane-tasks drift check --format json --out build/drift-check.json -q`, the
                whole command as a user or CI runs it (interpreter start, the noxfile loaded in
                a subprocess, every CI file and docs page read)
  version       `lane-tasks --version`: the interpreter and CLI start alone, for scale

Prints times and whether the target is met; it asserts nothing (speed goals live here, never in
unit tests). Timings depend on the machine and its load. `make_repo`, `write_docs`,
`DRIFT_ARGV`, `drift_ok` and `timed` are also used by benchmarks/run.py.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench_gate_fast import BenchError

from lane_tasks.adopt.init_repo import init_repo
from lane_tasks.config import load_config
from lane_tasks.docs.lanes_page import render_lanes_md

ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.org",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.org",
}
TARGET_S = 1.0

PAGE = """\
# Page {i}

Run the lane with `nox -s {lane}`, or a single step such as `nox -s gate-fast`. The artifact
lands in `build/` and `lane-tasks runs list --format json` shows the run.

```console
$ lane-tasks gate fast --format json --stable-json --out build/gate-fast.json
$ lane-tasks gate release --format json --out build/release-preflight.json --offline
$ python -m lane_tasks lanes show {lane} --format json | jq .steps
```

Options are documented per command: `lane-tasks drift check --help`. Some prose follows so the
page has the length of a real one, with words like nox and lane-tasks outside code too.

| command | what |
|---|---|
| `lane-tasks controls verify --lane {lane} [--run-id ID]` | controls |
| `lane-tasks release decide --version X --decision go\\|no-go --owner NAME` | decision |

Plain paragraph {i}: nothing to check here, only text that a reader skims past on the way to
the next section of the handbook, which describes the release process in more detail.
"""

WORKFLOW = """\
name: ci
on: [push, pull_request]
jobs:
  lanes:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        lane: [startup, scale]
    steps:
      - uses: actions/checkout@v4
      - run: python -m pip install -e .
      - run: nox -s ${{ matrix.lane }}
      - run: |
          nox -s gate-fast doctor
          nox -s regulated
"""

GITLAB = """\
lanes:
  script:
    - pip install .
    - nox -s startup
"""


DRIFT_ARGV = ["drift", "check", "--format", "json", "--out", "build/drift-check.json", "-q"]
"""`lane-tasks` arguments of the measured drift check."""


def write_docs(root: Path, docs: int) -> None:
    """N docs pages under docs/ and the published docs/lanes.md, in an adopted repository
    (not committed)."""
    lanes = ("startup", "scale", "regulated")
    for i in range(docs):
        page = root / "docs" / f"section-{i // 50:02d}" / f"page-{i:04d}.md"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(PAGE.format(i=i, lane=lanes[i % 3]), encoding="utf-8")
    config = load_config(root / "lanes.toml")
    (root / "docs" / "lanes.md").parent.mkdir(parents=True, exist_ok=True)
    (root / "docs" / "lanes.md").write_text(render_lanes_md(config), encoding="utf-8")


def commit(root: Path, message: str) -> None:
    for args in (["add", "-A"], ["commit", "-q", "-m", message]):
        subprocess.run(["git", *args], cwd=root, env=ENV, check=True, capture_output=True)


def make_repo(root: Path, docs: int) -> None:
    root.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, env=ENV, check=True)
    (root / "pyproject.toml").write_text('[project]\nname = "bench"\nversion = "1.0.0"\n')
    (root / "bench").mkdir()
    (root / "bench" / "__init__.py").write_text('"""bench."""\n')
    init_repo(root)
    write_docs(root, docs)
    (root / "README.md").write_text(PAGE.format(i="README", lane="startup"), encoding="utf-8")
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW, encoding="utf-8")
    (root / ".gitlab-ci.yml").write_text(GITLAB, encoding="utf-8")
    commit(root, "bench")


def timed(argv: Sequence[str], cwd: Path) -> float:
    """Wall seconds of one command; a failure stops the benchmark (its time would mean nothing):
    BenchError."""
    t0 = time.perf_counter()
    r = subprocess.run(argv, cwd=cwd, env=ENV, capture_output=True, text=True, check=False)
    took = time.perf_counter() - t0
    if r.returncode != 0:
        output = r.stdout[-3000:] + r.stderr[-3000:]
        raise BenchError(f"benchmark command failed: {' '.join(argv)}\n{output}")
    return took


def drift_ok(root: Path) -> str:
    """After a drift check in root: the docs result's message, or BenchError when the
    repository has drift (a timing of a failing check would mean nothing)."""
    doc = json.loads((root / "build" / "drift-check.json").read_text(encoding="utf-8"))
    if doc["status"] != "pass" or doc["findings"]:
        raise BenchError(f"the benchmark repository has drift: {doc['findings'][:3]}")
    return str(next(r["message"] for r in doc["results"] if r["id"] == "docs"))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--json", metavar="OUT")
    args = ap.parse_args(argv)
    drift = [sys.executable, "-m", "lane_tasks", *DRIFT_ARGV]
    version = [sys.executable, "-m", "lane_tasks", "--version"]
    with tempfile.TemporaryDirectory(prefix="bench-drift-") as tmp:
        root = Path(tmp) / "bench"
        make_repo(root, args.docs)
        try:
            timed(drift, root)  # warm-up: imports and file caches
            docs_message = drift_ok(root)
            check, start = [], []
            for _ in range(args.repeat):  # interleaved, so machine load hits both alike
                check.append(timed(drift, root))
                start.append(timed(version, root))
        except BenchError as exc:
            sys.exit(str(exc))
    c, v = statistics.median(check), statistics.median(start)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    print(f"lane-tasks drift check benchmark: median of {args.repeat}")
    print(f"machine: {os.cpu_count()} cpus, Python {sys.version.split()[0]}, load {load}")
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("PYTHONDONTWRITEBYTECODE is set: every process compiles its modules from source")
    print(f"repository: {docs_message}")
    print(f"{'lane-tasks --version (interpreter + CLI start)':<50} {v:7.3f} s")
    print(f"{'lane-tasks drift check (the whole command)':<50} {c:7.3f} s")
    verdict = "met" if c < TARGET_S else "NOT met"
    print(f"{'target':<50} < {TARGET_S:.1f} s: {verdict} (min {min(check):.3f} s)")
    if args.json:
        Path(args.json).write_text(
            json.dumps({"drift_check": check, "version": start}, indent=2) + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
