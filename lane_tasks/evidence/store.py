"""The run store: every lane run keeps its artifacts and a manifest under
`<artifacts_dir>/lanes/runs/<run-id>/`, and only the newest `runs.keep` runs are kept.

A run is one nox invocation: the noxfile makes one run id and every step of that invocation
records its artifact here, so the controls step can verify what this run, and only this run,
produced.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from lane_tasks.catalog.layout import MANIFEST, NOX_PID_ENV, RUN_STARTED_ENV, RUNS_DIR
from lane_tasks.config import Config
from lane_tasks.errors import ConfigError
from lane_tasks.evidence.actor import actor, ci_name
from lane_tasks.evidence.artifacts import (
    Loaded,
    atomic_write,
    canonical_json,
    read_record,
    record_header,
    sha256_file,
)
from lane_tasks.evidence.history import repository_id
from lane_tasks.evidence.lease import alive
from lane_tasks.evidence.status import count, run_status
from lane_tasks.project.git import self_ignore

__all__ = [
    "MANIFEST",
    "RUN_STARTED_ENV",
    "RunRecord",
    "finish_run",
    "latest_run",
    "list_runs",
    "mark_run_started",
    "new_run_id",
    "prune",
    "record_artifact",
    "run_dir",
    "run_started",
    "runs_root",
    "shown_status",
]

_RUN_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{6}$")


def new_run_id(now: datetime | None = None) -> str:
    """Sortable by time to the millisecond, unique enough for two lanes started in the same
    one: the suffix is the millisecond (three hex digits, 000 to 3e7) then three random ones.
    A lane stopped after a second and run again starts in the same second as the first run, and
    which of them is the latest must not be a coin toss."""
    now = now or datetime.now(UTC)
    return (
        f"{now.strftime('%Y%m%dT%H%M%SZ')}-{now.microsecond // 1000:03x}{secrets.token_hex(2)[:3]}"
    )


def mark_run_started(run_id: str, now: datetime | None = None) -> None:
    """Tell this process's steps (and their children) when the run `run_id` began."""
    when = (now or datetime.now(UTC)).isoformat(timespec="milliseconds")
    os.environ[RUN_STARTED_ENV] = f"{run_id} {when}"


def run_started(run_id: str, fallback: datetime | None = None) -> datetime:
    """When the run began: the time its nox invocation recorded for this run id, else the
    earliest time the caller knows (a step's own start), else now."""
    rid, _, when = os.environ.get(RUN_STARTED_ENV, "").partition(" ")
    found: datetime | None = None
    if rid == run_id:
        try:
            found = datetime.fromisoformat(when).astimezone(UTC)
        except ValueError:
            found = None
    candidates = [t.astimezone(UTC) for t in (found, fallback) if t is not None]
    return min(candidates) if candidates else datetime.now(UTC)


def shown_status(manifest: dict[str, Any] | None) -> str:
    """A run's status as a person reads it: a run stopped by SIGINT/SIGTERM is `interrupted`
    (its manifest says `error` with state `interrupted`, which is what it is as evidence)."""
    m = manifest or {}
    if (m.get("run") or {}).get("state") == "interrupted":
        return "interrupted"
    return str(m.get("status", "error"))


def runs_root(config: Config) -> Path:
    return config.artifacts_path() / RUNS_DIR


def run_dir(config: Config, run_id: str) -> Path:
    if not _RUN_ID.match(run_id):
        raise ConfigError(
            f"'{run_id}' is not a run id (like 20260101T120000Z-0a1b2c)", key="--run-id"
        )
    return runs_root(config) / run_id


@dataclass(frozen=True)
class RunRecord:
    id: str
    path: Path
    manifest: dict[str, Any] | None
    problem: str | None


def _load_manifest(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """The run directory's manifest as it is (not validated: a writer repairs it)."""
    return _manifest_problem(read_record(path / MANIFEST, validate=False))


def _manifest_problem(got: Loaded) -> tuple[dict[str, Any] | None, str | None]:
    if got.failure == "missing":
        return None, f"no {MANIFEST}"
    if got.failure == "unreadable":
        return None, f"unreadable {MANIFEST}: {got.detail}"
    if got.failure == "not-object":
        return None, f"{MANIFEST} is not an object"
    if got.failure == "invalid":
        return None, f"invalid {MANIFEST}: {got.detail}"
    if got.failure == "kind":
        assert got.doc is not None
        return None, f"invalid {MANIFEST}: a {got.doc['schema']} artifact, not a run manifest"
    return got.doc, None


def list_runs(config: Config) -> list[RunRecord]:
    """Runs, newest first. A manifest is given only when it is a valid run manifest (what its
    readers index into); otherwise the record says what is wrong with it."""
    return [_record_of(d) for d in _run_dirs(config)]


def _run_dirs(config: Config) -> list[Path]:
    """The run directories, newest first. A run id sorts by the millisecond its run began; ids
    made before they carried it (a random suffix) and sharing a second are told apart by the
    start in their manifests, read only for those, so listing stays one directory scan."""
    root = runs_root(config)
    if not root.is_dir():
        return []
    dirs = sorted((p for p in root.iterdir() if p.is_dir() and _RUN_ID.match(p.name)), reverse=True)
    seconds = [_second(d) for d in dirs]
    tied = {s for s, n in pairwise(seconds) if s == n}
    if not tied:
        return dirs
    return sorted(
        dirs, key=lambda d: (_second(d), _started_at(d) if _second(d) in tied else ""), reverse=True
    )


def _second(d: Path) -> str:
    return d.name.partition("-")[0]


def _started_at(d: Path) -> str:
    """The run's start as its manifest records it (ISO, so it sorts), or "" when unreadable."""
    run = (read_record(d / MANIFEST, validate=False).doc or {}).get("run")
    started = run.get("started_at") if isinstance(run, dict) else None
    return started if isinstance(started, str) else ""


def _record_of(d: Path) -> RunRecord:
    doc, problem = _manifest_problem(read_record(d / MANIFEST, "run-manifest"))
    return RunRecord(d.name, d, doc, problem)


def latest_run(config: Config) -> RunRecord | None:
    runs = list_runs(config)
    return runs[0] if runs else None


def _new_manifest(
    config: Config, run_id: str, subject: dict[str, Any], started: datetime | None = None
) -> dict[str, Any]:
    return {
        **record_header("run-manifest"),
        "lane": None,
        "step": "run",
        "subject": subject,
        "status": "error",
        "summary": {"pass": 0, "fail": 0, "error": 0, "skip": 0},
        "results": [],
        "artifacts": [],
        "retention": {"keep": config.runs_keep},
        "repository": repository_id(config),
        "actor": actor(config.root),
        "ci": ci_name(),
        "pid": int(os.environ.get(NOX_PID_ENV, "0") or 0) or os.getpid(),
        "run": {
            "id": run_id,
            "started_at": run_started(run_id, started).isoformat(timespec="milliseconds"),
            "duration_s": 0.0,
            "state": "running",
        },
    }


def _refresh(doc: dict[str, Any], *, unrecorded: bool = False) -> None:
    """The manifest's summary, status (the one rule: evidence.status) and duration, from its
    step results."""
    statuses = [r["status"] for r in doc["results"]]
    doc["summary"] = count(((s, None) for s in statuses), warnings=False)
    doc["status"] = run_status(statuses, unrecorded=unrecorded)
    started = datetime.fromisoformat(doc["run"]["started_at"])
    doc["run"]["duration_s"] = round((datetime.now(UTC) - started).total_seconds(), 3)


def record_artifact(
    config: Config,
    run_id: str,
    *,
    step: str,
    name: str,
    text: str,
    status: str,
    subject: dict[str, Any],
    lane: str | None = None,
    started: datetime | None = None,
) -> Path:
    """Keep one step's artifact in the run and update the manifest (both atomically).
    `started`: when the step began; the run began no later than that."""
    d = run_dir(config, run_id)
    if not d.is_dir():
        _create_run(config, d, _new_manifest(config, run_id, subject, started))
    self_ignore(config.artifacts_path())
    doc, _ = _load_manifest(d)
    if doc is None:
        doc = _new_manifest(config, run_id, subject, started)
    elif started is not None:
        _no_later_than(doc, started)
    target = d / name
    atomic_write(target, text)
    entry = {
        "path": name,
        "sha256": sha256_file(target),
        "size": target.stat().st_size,
        "step": step,
    }
    doc["artifacts"] = sorted(
        [a for a in doc["artifacts"] if a["path"] != name] + [entry], key=lambda a: a["path"]
    )
    result = {
        "id": step,
        "status": status,
        "message": "",
        "owner": None,
        "exit_code": None,
        "excerpt": "",
        "fix": None,
        "artifact": name,
    }
    doc["results"] = [r for r in doc["results"] if r["id"] != step] + [result]
    if lane is not None:
        doc["lane"] = lane
    _refresh(doc)
    atomic_write(d / MANIFEST, canonical_json(doc))
    prune(config, keep_id=run_id)
    return target


def _no_later_than(doc: dict[str, Any], started: datetime) -> None:
    """A step that began before the recorded start moves the run's start back."""
    try:
        recorded = datetime.fromisoformat(str(doc["run"]["started_at"]))
    except ValueError:
        recorded = started
    if started < recorded:
        doc["run"]["started_at"] = started.astimezone(UTC).isoformat(timespec="milliseconds")


def open_run(config: Config, run_id: str, subject: dict[str, Any]) -> Path:
    """The run's directory, created with its `running` manifest when it does not exist yet:
    for a step that keeps files there (gate fast's logs and tool reports) while it runs."""
    d = run_dir(config, run_id)
    if not d.is_dir():
        _create_run(config, d, _new_manifest(config, run_id, subject))
    self_ignore(config.artifacts_path())
    return d


def record_files(config: Config, run_id: str, *, step: str, names: list[str]) -> None:
    """List files a step wrote into its run directory (`names`, beside its artifact) in the
    manifest, each with its sha256 and size: the run's evidence names every file it holds."""
    d = run_dir(config, run_id)
    doc, _ = _load_manifest(d)
    if doc is None or not names:
        return
    entries = {a["path"]: a for a in doc["artifacts"]}
    for name in names:
        target = d / name
        entries[name] = {
            "path": name,
            "sha256": sha256_file(target),
            "size": target.stat().st_size,
            "step": step,
        }
    doc["artifacts"] = sorted(entries.values(), key=lambda a: a["path"])
    atomic_write(d / MANIFEST, canonical_json(doc))


def _create_run(config: Config, d: Path, manifest: dict[str, Any]) -> None:
    """The run directory, created with its `running` manifest (written in a temp directory
    and renamed into place): a concurrent lane's prune never sees it without the record that
    says it is in flight."""
    d.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{d.name}.", dir=d.parent))
    try:
        atomic_write(tmp / MANIFEST, canonical_json(manifest))
        tmp.rename(d)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not d.is_dir():  # not a lost race with ourselves: a real fault
            raise


def finish_run(
    config: Config,
    run_id: str,
    *,
    lane: str | None,
    state: str = "complete",
    unrecorded: tuple[str, ...] = (),
) -> None:
    """Mark the run finished (the lane session calls this after its controls step).
    `unrecorded`: steps of the run that failed, perhaps before they could record anything (a
    full disk): the run is then at best an error, never a pass."""
    d = run_dir(config, run_id)
    doc, _ = _load_manifest(d)
    if doc is None:
        return
    if lane is not None:
        doc["lane"] = lane
    doc["run"]["state"] = state
    _refresh(doc, unrecorded=bool(unrecorded))
    atomic_write(d / MANIFEST, canonical_json(doc))


STALE_AFTER = timedelta(days=1)
"""A run still `running` after this long was killed without finishing: prunable again."""


def _running(rec: RunRecord) -> bool:
    """Another invocation is still writing this run (a concurrent lane): never delete it."""
    if rec.manifest is None:  # no (valid) manifest yet: being created, unless it is old
        try:
            age = time.time() - rec.path.stat().st_mtime
        except OSError:
            return False
        return age < STALE_AFTER.total_seconds()
    run = (rec.manifest or {}).get("run") or {}
    if run.get("state") != "running" or not alive((rec.manifest or {}).get("pid")):
        return False
    try:
        started = datetime.fromisoformat(str(run.get("started_at")))
    except ValueError:
        return False
    return datetime.now(UTC) - started < STALE_AFTER


def prune(config: Config, *, keep_id: str | None = None) -> list[str]:
    """Delete the oldest runs beyond `runs.keep`; never the run being recorded. Called for
    every artifact a run records, so only the manifests of the runs beyond the limit are
    read (to spare a run still being written)."""
    removed = []
    for d in _run_dirs(config)[config.runs_keep :]:
        if d.name == keep_id:
            continue
        rec = _record_of(d)
        if _running(rec):
            continue
        shutil.rmtree(rec.path, ignore_errors=True)
        removed.append(rec.id)
    return removed
