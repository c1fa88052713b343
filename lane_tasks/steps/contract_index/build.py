"""The contract-index step's index: one entry per file a run produced, and the schemas they
follow.

An auditor asks "which files did this run produce, which contract does each follow, and are they
still the files it produced?". The index answers with one entry per file (path, schema id and
version, sha256, size, producing step and lane, subject commit) plus every schema it references
(with the sha256 of the shipped schema file). A file that breaks its contract (not recorded in
the run's manifest, changed since, invalid against its schema) fails its entry's result.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from lane_tasks.evidence.artifacts import (
    SCHEMA_VERSION,
    Result,
    schema_errors,
    schema_path,
    sha256_file,
)
from lane_tasks.evidence.store import MANIFEST, RunRecord, list_runs, runs_root
from lane_tasks.steps.base import StepContext, StepOutcome, register
from lane_tasks.steps.contract_index.files import (
    EXCLUDED,
    INDEX_SCHEMA,
    IndexedFile,
    indexed_files,
)
from lane_tasks.util.signing import load_private_key

__all__ = ["EXCLUDED", "INDEX_SCHEMA", "IndexedFile", "indexed_files", "run"]

_KIND = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_COMMIT = re.compile(r"[0-9a-f]{40,64}")
_FIX = "the run's evidence is broken: re-run the lane (`nox -s <lane>`); never edit a run's files"


def _indexable(rec: RunRecord, root: Path) -> bool:
    return next(indexed_files(rec.path, root), None) is not None


def _choose_run(ctx: StepContext) -> tuple[RunRecord | None, str]:
    """The run to index: this lane's run, else the newest run holding artifacts.

    A standalone `nox -s contract-index` gets a fresh run id that holds nothing yet, so only a
    run id given inside a lane is binding; otherwise an empty run falls back to the newest one.
    """
    runs = list_runs(ctx.config)
    where = runs_root(ctx.config).relative_to(ctx.root).as_posix()
    if ctx.run_id:
        rec = next((r for r in runs if r.id == ctx.run_id), None)
        if rec is not None and _indexable(rec, ctx.root):
            return rec, ""
        if ctx.lane:
            return None, f"run {ctx.run_id} of lane {ctx.lane} has no artifacts to index"
    rec = next((r for r in runs if _indexable(r, ctx.root)), None)
    if rec is None:
        return None, f"no run with artifacts in {where} to index"
    return rec, ""


def _text(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def _run_entry(
    f: IndexedFile, recorded: dict[str, dict[str, Any]]
) -> tuple[dict[str, Any] | None, Result]:
    """The index entry of one file of the run, and its result (fail when it breaks a contract)."""
    rel = f.shown
    try:
        with open(f.path, "rb") as fh:  # noqa: PTH123
            data = fh.read()
    except OSError as exc:
        return None, Result(rel, "fail", f"unreadable: {exc.strerror}", fix=_FIX)
    digest = hashlib.sha256(data).hexdigest()
    entry: dict[str, Any] = {
        "path": rel,
        "kind": "artifact",
        "schema": None,
        "schema_version": None,
        "sha256": digest,
        "size": len(data),
        "step": None,
        "lane": None,
        "commit": None,
    }
    problems: list[str] = []
    rec = recorded.get(f.rel)
    if rec is None:
        problems.append(f"not recorded in the run's {MANIFEST}")
    else:
        entry["step"] = _text(rec.get("step"))
        if rec.get("sha256") != digest:
            problems.append(f"changed since the run recorded it (sha256 differs from {MANIFEST})")
        if "/" in f.rel:
            # a file a step kept beside its artifact (gate fast's logs and tool reports): its
            # bytes are indexed and must match the manifest; it is no artifact to validate
            if problems:
                return entry, Result(rel, "fail", "; ".join(problems), fix=_FIX)
            return entry, Result(rel, "pass", f"kept by {entry['step']}, {len(data)} bytes")
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as exc:
        problems.append(f"not a JSON artifact ({str(exc).splitlines()[0]})")
    else:
        if isinstance(doc, dict):
            subject = doc.get("subject")
            entry["schema"] = _text(doc.get("schema"))
            entry["schema_version"] = _text(doc.get("schema_version"))
            entry["lane"] = _text(doc.get("lane"))
            commit = _text(subject.get("commit")) if isinstance(subject, dict) else None
            # read before validation: a broken file's commit must not break the index's schema
            entry["commit"] = commit if commit and _COMMIT.fullmatch(commit) else None
        problem = schema_errors(doc)
        if problem:
            problems.append(problem)
        elif "step" not in doc:  # a record (decision, review, ...): valid, but no step made it
            problems.append(f"a {doc['schema']} record, not a step's artifact")
        elif entry["step"] is None:
            entry["step"] = doc["step"]
        elif doc["step"] != entry["step"]:
            problems.append(f"says step '{doc['step']}' but {MANIFEST} records '{entry['step']}'")
    if problems:
        return entry, Result(rel, "fail", "; ".join(problems), fix=_FIX)
    message = f"{entry['schema']} {entry['schema_version']} from {entry['step']}, {len(data)} bytes"
    return entry, Result(rel, "pass", message)


def _dist_entry(
    f: IndexedFile, release: dict[str, Any] | None, run_id: str
) -> tuple[dict[str, Any] | None, Result]:
    """A release dist: no schema; its step, lane and commit are the run's gate release's."""
    rel = f.shown
    try:
        p = Path(f.path)
        digest, size = sha256_file(p), p.stat().st_size
    except OSError as exc:
        return None, Result(rel, "fail", f"unreadable: {exc.strerror}", fix=_FIX)
    entry: dict[str, Any] = {
        "path": rel,
        "kind": "dist",
        "schema": None,
        "schema_version": None,
        "sha256": digest,
        "size": size,
        "step": None if release is None else "gate-release",
        "lane": None if release is None else release["lane"],
        "commit": None if release is None else release["commit"],
    }
    if release is None:
        message = f"release dist, {size} bytes (gate release did not run in run {run_id})"
    else:
        message = f"release dist from gate-release, {size} bytes"
    return entry, Result(rel, "pass", message)


def _schemas(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every shipped schema the index references (its own included), with the file's sha256."""
    ids = {e["schema"] for e in entries if e["schema"]} | {INDEX_SCHEMA}
    out = []
    for sid in sorted(ids):
        kind = sid.removeprefix("lane-tasks/")
        if kind == sid or not _KIND.match(kind) or not schema_path(kind).is_file():
            continue  # unknown schemas already fail their entry's result
        out.append(
            {
                "id": sid,
                "version": SCHEMA_VERSION,
                "path": f"lane_tasks/schemas/{kind}-{SCHEMA_VERSION}.json",
                "sha256": sha256_file(schema_path(kind)),
            }
        )
    return out


@register("contract-index")
def run(ctx: StepContext) -> StepOutcome:
    sign_key = ctx.options.sign_key
    if sign_key:  # a bad key or a missing extra is reported before any work, not after
        load_private_key(Path(sign_key))
    rec, problem = _choose_run(ctx)
    if rec is None:
        fail = Result(
            "run",
            "fail",
            problem,
            fix="run a lane first (`nox -s <lane>`), or the steps with the same --run-id",
        )
        return StepOutcome(
            results=[fail], fields={"indexed_run": None, "entries": [], "schemas": _schemas([])}
        )
    results: list[Result] = []
    entries: list[dict[str, Any]] = []
    if rec.manifest is None:
        rel = (rec.path / MANIFEST).relative_to(ctx.root).as_posix()
        results.append(Result(rel, "fail", f"run {rec.id}: {rec.problem}", fix=_FIX))
    listed = (rec.manifest or {}).get("artifacts")
    recorded = {
        a["path"]: a
        for a in (listed if isinstance(listed, list) else [])
        if isinstance(a, dict) and isinstance(a.get("path"), str)
    }
    for f in indexed_files(rec.path, ctx.root):
        entry, result = _run_entry(f, recorded)
        results.append(result)
        if entry is not None:
            entries.append(entry)
    # the release preflight itself (a schema'd artifact), not a file gate release kept beside it
    release = next((e for e in entries if e["step"] == "gate-release" and e["schema"]), None)
    dist = ctx.config.artifacts_path() / "dist"
    for f in indexed_files(dist, ctx.root):
        entry, result = _dist_entry(f, release, rec.id)
        results.append(result)
        if entry is not None:
            entries.append(entry)
    entries.sort(key=lambda e: str(e["path"]))
    results.sort(key=lambda r: r.id)
    return StepOutcome(
        results=results,
        fields={"indexed_run": rec.id, "entries": entries, "schemas": _schemas(entries)},
    )
