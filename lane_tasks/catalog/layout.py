"""Every name lane-tasks gives to files it writes and to environment variables of a run.

Data only (imports nothing from lane_tasks): the layout is a fact of the product, needed by
low modules (the subprocess runner strips the run's identity variable) and high ones (the
store, the lease, the history, the release records) alike, so it lives at the bottom.
Paths are POSIX strings relative to the directory named in the comment above each group.
"""

from __future__ import annotations

__all__ = [
    "ACTOR_ENV",
    "CHECKLIST",
    "CHECKLIST_EVIDENCE_DIR",
    "COLOR_ENV",
    "CONTRACT_INDEX",
    "CONTROLS_ARTIFACT",
    "DASHBOARD",
    "DECISION",
    "DIST_DIR",
    "GATE_FAST_CACHE",
    "GATE_RELEASE_LOCK",
    "HISTORY",
    "HISTORY_NAME",
    "KPI_REVIEWS_DIR",
    "LANES_DIR",
    "MANIFEST",
    "NOW_ENV",
    "NOX_PID_ENV",
    "RELEASES_DIR",
    "ROLLBACK",
    "RUNS_DIR",
    "RUN_STARTED_ENV",
    "TOP_LEVEL_LOCK",
    "TOP_LEVEL_OWNER",
    "TOP_LEVEL_REFUSED",
    "TRIAGE_DIR",
]

# ---- environment variables of a run ---------------------------------------------------------

NOX_PID_ENV = "LANE_TASKS_NOX_PID"
"""Set by the noxfile: the process whose life is the run's (inherited by venv-backend steps)."""
RUN_STARTED_ENV = "LANE_TASKS_RUN_STARTED"
"""`<run id> <ISO time>`: when the nox invocation made its run id."""
NOW_ENV = "LANE_TASKS_NOW"
"""An ISO 8601 time that replaces the clock (tests, reproducible records)."""
ACTOR_ENV = "LANE_TASKS_ACTOR"
"""Who runs this, before any CI's actor variable and git's author."""
COLOR_ENV = "LANE_TASKS_COLOR"
"""`--color always|never`, exported so nox sessions and in-process steps agree."""

# ---- under <artifacts_dir> ------------------------------------------------------------------

LANES_DIR = "lanes"
RUNS_DIR = "lanes/runs"
"""One directory per run id, each with its MANIFEST."""
MANIFEST = "manifest.json"
TOP_LEVEL_OWNER = "lanes/top-level.json"
TOP_LEVEL_LOCK = "lanes/.top-level.lock"
TOP_LEVEL_REFUSED = "lanes/top-level-refused"
"""One marker per run refused the top level (named by run id)."""
GATE_FAST_CACHE = "lanes/cache/gate-fast"
GATE_RELEASE_LOCK = "lanes/.gate-release.lock"
HISTORY_NAME = "history.sqlite"
HISTORY = f"{LANES_DIR}/{HISTORY_NAME}"
"""The default `[history] path` (relative to the artifacts directory)."""
DIST_DIR = "dist"
DASHBOARD = "dashboard/index.html"
CONTROLS_ARTIFACT = "controls.json"
CONTRACT_INDEX = "contract-index.json"

# ---- under <evidence_dir> -------------------------------------------------------------------

RELEASES_DIR = "releases"
"""`releases/<version>/` holds DECISION, CHECKLIST, ROLLBACK and CHECKLIST_EVIDENCE_DIR."""
DECISION = "decision.json"
CHECKLIST = "checklist.json"
ROLLBACK = "rollback.json"
CHECKLIST_EVIDENCE_DIR = "evidence"
"""Beside the checklist: the files it froze (a copy of the decision among them)."""
TRIAGE_DIR = "triage"
"""`triage/<run id>.json`."""
KPI_REVIEWS_DIR = "kpi-reviews"
"""`kpi-reviews/<YYYYMMDDTHHMMSSZ>.json`."""
