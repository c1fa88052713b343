"""`lane-tasks init`: adopt the lanes in any Python repository.

Writes a lanes.toml (with tomli-w) whose gate checks fit the repository's layout, a two-line
noxfile.py, and makes sure the artifacts directory is ignored by git.
"""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path
from typing import Any

import tomli_w

from lane_tasks.artifacts import atomic_write
from lane_tasks.compat import SnapshotProblem
from lane_tasks.config import CONFIG_NAME, parse_config
from lane_tasks.errors import ConfigError
from lane_tasks.governance_scaffold import governance_scaffold, merge_tables, write_compat_snapshot

__all__ = ["NOXFILE", "default_lanes_toml", "init_repo"]

NOXFILE = '''"""Release-confidence lanes from lanes.toml (`nox -l` lists them)."""

from lane_tasks.nox_sessions import register

register()
'''

_HEADER = """\
# lanes.toml: the release-confidence lanes of this repository (see `lane-tasks lanes show <lane>`).
# A lane `extends` another and only adds: its steps, controls and KPIs are inherited.
# Gate checks are argv lists run without a shell; "{python}" is the interpreter running lane-tasks.

"""

LANES: dict[str, dict[str, Any]] = {
    "startup": {
        "description": "Small teams optimizing for speed with essential safeguards.",
        "ideal_for": "Fast onboarding + value proof",
        "steps": ["gate-fast", "gate-release", "doctor"],
        "controls": ["release-confidence-path", "artifact-retention", "release-owner"],
        "kpis": ["first-time-success-rate", "median-release-decision-time"],
    },
    "scale": {
        "description": "Multi-team organizations requiring repeatability and governance signals.",
        "ideal_for": "Cross-team consistency",
        "extends": "startup",
        "steps": ["drift-check"],
        "controls": ["ownership-matrix", "weekly-kpi-review", "compat-policy"],
        "kpis": ["failed-release-gate-frequency", "mean-time-to-triage"],
    },
    "regulated": {
        "description": (
            "Organizations needing auditability, documented change control, "
            "and escalation contracts."
        ),
        "ideal_for": "Audit readiness + strict escalation",
        "extends": "scale",
        "steps": ["contract-index"],
        "controls": ["severity-model", "deprecation-windows", "release-checklist-evidence"],
        "kpis": ["rollback-rate", "docs-to-adoption-conversion"],
    },
}


def _source_paths(root: Path) -> list[str]:
    """Where the code is: src/ layout, else top-level packages and modules."""
    if (root / "src").is_dir():
        return ["src"]
    skip = {"tests", "test", "docs", "build", "dist", "benchmarks", "examples"}
    found = sorted(
        p.name
        for p in root.iterdir()
        if p.is_dir() and (p / "__init__.py").is_file() and p.name not in skip
    )
    return found or ["."]


def _owner(root: Path) -> str | None:
    try:
        r = subprocess.run(
            ["git", "config", "user.email"], cwd=root, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        return None
    return r.stdout.strip() or None


def default_lanes_toml(root: Path, lane: str = "startup") -> str:
    """The lanes.toml text `init` writes for the repository at `root`."""
    owner = _owner(root)
    data: dict[str, Any] = {
        "project": {
            "release_owners": [owner] if owner else [],
            "evidence_dir": "release-evidence",
            "artifacts_dir": "build",
            "default_lane": lane,
        },
        "runs": {"keep": 50},
        "history": {"path": "build/lanes/history.sqlite"},
        "nox": {"backend": "none"},
        "lanes": LANES,
        "gate": {
            "fast": {
                "checks": {
                    "ruff-check": {
                        "cmd": ["ruff", "check", "."],
                        "owner": "maintainers",
                        "timeout": 300,
                    },
                    "ruff-format": {
                        "cmd": ["ruff", "format", "--check", "."],
                        "owner": "maintainers",
                        "timeout": 300,
                    },
                    "mypy": {
                        "cmd": ["mypy", *_source_paths(root)],
                        "owner": "maintainers",
                        "timeout": 600,
                    },
                    "pytest": {
                        "cmd": ["{python}", "-m", "pytest", "-q"],
                        "owner": "maintainers",
                        "timeout": 1800,
                    },
                }
            }
        },
    }
    if not owner:
        del data["project"]["release_owners"]
    checks = list(data["gate"]["fast"]["checks"])
    data = merge_tables(data, governance_scaffold(root, lane, checks, lanes=LANES).tables)
    return _HEADER + tomli_w.dumps(data)


def _ensure_ignored(root: Path, dirs: tuple[str, ...]) -> Path | None:
    """Add the directories runs write (artifacts, nox environments) to .gitignore."""
    missing = [
        d
        for d in dirs
        if subprocess.run(
            ["git", "check-ignore", "-q", "--no-index", f"{d}/x.json"],
            cwd=root,
            capture_output=True,
            check=False,
        ).returncode
        != 0
    ]
    if not missing:
        return None
    gi = root / ".gitignore"
    text = gi.read_text(encoding="utf-8") if gi.exists() else ""
    if text and not text.endswith("\n"):
        text += "\n"
    atomic_write(gi, text + "".join(f"/{d}/\n" for d in missing))
    return gi


def init_repo(root: Path, *, lane: str = "startup", force: bool = False) -> list[Path]:
    """Write lanes.toml and noxfile.py into `root`; refuse to overwrite unless `force`."""
    if not root.is_dir():
        raise ConfigError(f"{root} is not a directory")
    lanes_toml, noxfile = root / CONFIG_NAME, root / "noxfile.py"
    existing = [p.name for p in (lanes_toml, noxfile) if p.exists()]
    if existing and not force:
        raise ConfigError(
            f"{', '.join(existing)} already exist(s) in {root}; use --force to overwrite"
            + (
                " (or add `from lane_tasks.nox_sessions import register; register()` to your "
                "noxfile.py)"
                if "noxfile.py" in existing
                else ""
            )
        )
    text = default_lanes_toml(root, lane)
    config = parse_config(text, lanes_toml)  # never write a lanes.toml we would reject
    atomic_write(lanes_toml, text)
    atomic_write(noxfile, NOXFILE)
    written = [lanes_toml, noxfile]
    if config.compat.source == "project":  # compat-policy names the fix when this fails
        with contextlib.suppress(SnapshotProblem):
            write_compat_snapshot(config)
            written.append(root / config.compat.snapshot)
    ignored = _ensure_ignored(root, ("build", ".nox"))
    if ignored:
        written.append(ignored)
    return written
