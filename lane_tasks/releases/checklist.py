"""Release checklists: every version cut carries evidence that each checklist item was done.

`lane-tasks release checklist --version X` reads one run of the run store (the newest, or
`--run-id`) and the version's decision record, and writes `<evidence_dir>/releases/<X>/
checklist.json` (schema `lane-tasks/release-checklist`). Each item of `[release] checklist`
(default gate-fast, gate-release, doctor, decision) is linked to its evidence by path and
sha256: a step's artifact is copied into `<evidence_dir>/releases/<X>/evidence/` (the run store
under build/ is not tracked; the copy is); the decision record is copied too, so the checklist
keeps the decision it was built on even if the record is later superseded.

An item is done only when its evidence exists and says so: a step's artifact validates,
passed, and is for the run's commit; the decision is a `go` for that commit, or for an ancestor
that differs from it only under the evidence directory (the decision record committed). An
incomplete checklist is refused (exit 1) unless `--allow-incomplete`, which records the items as
not done.
The `release-checklist-evidence` control re-hashes every link, so a changed byte is caught, and
re-reads what each linked file says by the same rules (`item_problem`, `go_record_problem`), so
a copy rewritten to `"status": "fail"` with its digest recomputed, or an item linking some
other file (README.md) by its real digest, fails too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from packaging.version import Version

from lane_tasks.catalog.layout import CHECKLIST, CHECKLIST_EVIDENCE_DIR, DECISION, RELEASES_DIR
from lane_tasks.config import CHECKLIST_DECISION, Config
from lane_tasks.errors import ConfigError, Refused
from lane_tasks.evidence.artifacts import (
    canonical_json,
    read_artifact,
    read_record,
    record_header,
    schema_errors,
    sha256_file,
)
from lane_tasks.evidence.consistency import checks_at, step_problem
from lane_tasks.evidence.record_signature import check_signer, copy_record, verify, write_record
from lane_tasks.evidence.store import RunRecord, latest_run, list_runs, run_dir
from lane_tasks.project.version import VersionProblem, parse_version
from lane_tasks.releases.decision import decision_path, go_record_problem, load_decision
from lane_tasks.util.clock import utc_now

__all__ = [
    "ChecklistRefused",
    "build_checklist",
    "checklist_path",
    "evidence_copy_dir",
    "item_problem",
    "load_checklist",
]


class ChecklistRefused(Refused):
    """A checklist with items not done, without --allow-incomplete: exit 1 like a failed gate."""


def checklist_path(config: Config, version: Version) -> Path:
    return config.root / config.evidence_dir / RELEASES_DIR / str(version) / CHECKLIST


def evidence_copy_dir(config: Config, version: Version) -> Path:
    return checklist_path(config, version).parent / CHECKLIST_EVIDENCE_DIR


def load_checklist(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """The record and None, or None and what is wrong with it."""
    got = read_record(path, "release-checklist", name="release checklist")
    return got.valid, got.problem


@dataclass(frozen=True)
class _Item:
    id: str
    done: bool
    note: str
    source: Path | None = None
    """The file linked as evidence (for a step: the run's artifact, copied to `target`)."""
    target: Path | None = None


@dataclass(frozen=True)
class Built:
    path: Path
    record: dict[str, Any]


def _rel(config: Config, p: Path) -> str:
    return p.relative_to(config.root).as_posix()


def _run(config: Config, run_id: str | None) -> RunRecord | None:
    if run_id is None:
        return latest_run(config)
    run_dir(config, run_id)  # a malformed id is a usage error
    rec = next((r for r in list_runs(config) if r.id == run_id), None)
    if rec is None:
        raise ConfigError(f"run {run_id} is not in the run store", key="--run-id")
    return rec


def _step_item(
    config: Config, version: Version, step: str, run: RunRecord | None, commit: str | None
) -> _Item:
    if run is None:
        return _Item(step, False, "no run in the run store (run the lane first)")
    if run.manifest is None:
        return _Item(step, False, f"run {run.id}: {run.problem or 'no manifest'}")
    entry = next(
        (
            a
            for a in run.manifest.get("artifacts", [])
            if a.get("step") == step and "/" not in str(a.get("path"))
        ),
        None,
    )
    if entry is None:
        return _Item(step, False, f"{step} did not run in run {run.id}")
    source = run.path / str(entry["path"])
    if not source.is_file():
        return _Item(step, False, f"{entry['path']} is listed in run {run.id} but missing")
    target = evidence_copy_dir(config, version) / source.name
    if sha256_file(source) != entry.get("sha256"):
        note = f"{entry['path']} does not match its sha256 in run {run.id}'s manifest"
        return _Item(step, False, note, source, target)
    doc, problem = read_artifact(source)
    if problem or doc is None:
        note = f"invalid artifact: {(problem or '').replace(str(source), entry['path'])}"
        return _Item(step, False, note, source, target)
    status, of = doc.get("status"), doc.get("subject", {}).get("commit")
    if status != "pass":
        return _Item(step, False, f"{step} did not pass in run {run.id} ({status})", source, target)
    if commit is None or of != commit:
        note = f"{step} is for commit {str(of)[:12]}, the run for {str(commit)[:12]}"
        return _Item(step, False, note, source, target)
    why = item_problem(config, step, doc, version=version, commit=commit, current=True)
    if why:
        return _Item(step, False, f"{step} in run {run.id}: {why}", source, target)
    return _Item(step, True, f"passed in run {run.id}", source, target)


def item_problem(
    config: Config,
    step: str,
    doc: dict[str, Any],
    *,
    version: Version,
    commit: str | None,
    current: bool,
) -> str | None:
    """Why a step artifact is not the evidence its checklist item needs, or None: that step's
    kind, passing by its own results, for the checklist's commit (and, for the release
    preflight, its version), gate fast's the whole gate on a tree that was not dirty.
    `current`: judge gate fast by the lanes.toml in force (when the checklist is built), else
    by lanes.toml as committed at `commit` (a control judging an old release; lanes.toml may
    have changed since). `release checklist` and release-checklist-evidence both ask this."""
    checks = None
    if step == "gate-fast":
        checks = config.checks if current else checks_at(config, commit)
    return step_problem(
        doc,
        step,
        commit=commit,
        version=str(version) if step == "gate-release" else None,
        checks=checks,
        clean=step == "gate-fast",  # as gate release's gate-fast-evidence: not another tree
    )


def _decision_item(config: Config, version: Version, commit: str | None) -> _Item:
    path = decision_path(config, version)
    if not path.is_file():
        note = (
            f"no decision record for {version} (record one: `lane-tasks release decide "
            f"--version {version} --decision go --owner NAME`)"
        )
        return _Item(CHECKLIST_DECISION, False, note)
    copy = evidence_copy_dir(config, version) / DECISION  # frozen with the checklist
    record, problem = load_decision(path)
    if record is None:
        return _Item(CHECKLIST_DECISION, False, f"invalid decision record: {problem}", path, copy)
    if why := verify(config, path, (record["owner"],)):  # with [signing.keys]: the owner's
        return _Item(CHECKLIST_DECISION, False, why, path, copy)
    if record["decision"] != "go":
        note = f"the decision is {record['decision']} by {record['owner']}"
        return _Item(CHECKLIST_DECISION, False, note, path, copy)
    if commit is None:
        return _Item(CHECKLIST_DECISION, False, "the run names no commit", path, copy)
    why = go_record_problem(config, record, version=version, commit=commit)
    if why:
        return _Item(CHECKLIST_DECISION, False, f"the decision record {why}", path, copy)
    return _Item(CHECKLIST_DECISION, True, f"go by {record['owner']}", path, copy)


def build_checklist(
    config: Config,
    *,
    version: str,
    run_id: str | None = None,
    allow_incomplete: bool = False,
    now: datetime | None = None,
    sign_key: Path | None = None,
) -> Built:
    """Build and write the checklist (and the evidence copies); refuse an incomplete one.
    With `sign_key`, a release owner's signature goes beside it (evidence.record_signature)."""
    try:
        v = parse_version(version)
    except VersionProblem as exc:
        raise ConfigError(str(exc), key="--version") from None
    run = _run(config, run_id)
    manifest = run.manifest if run is not None else None
    commit = (manifest or {}).get("subject", {}).get("commit") if manifest else None
    items = [
        _decision_item(config, v, commit)
        if item == CHECKLIST_DECISION
        else _step_item(config, v, item, run, commit)
        for item in config.checklist.items
    ]
    not_done = [i for i in items if not i.done]
    if not_done and not allow_incomplete:
        listed = "; ".join(f"{i.id}: {i.note}" for i in not_done)
        raise ChecklistRefused(
            f"checklist for {v} is incomplete ({listed}); fix it, or pass --allow-incomplete"
        )
    check_signer(config, sign_key, config.release_owners)  # before the evidence copies
    links: list[dict[str, Any]] = []
    for item in items:
        evidence = None
        if item.source is not None:
            linked = item.source
            if item.target is not None:
                copy_record(item.source, item.target)  # with its signature, if any
                linked = item.target
            evidence = {"path": _rel(config, linked), "sha256": sha256_file(linked)}
        links.append({"id": item.id, "done": item.done, "evidence": evidence, "note": item.note})
    record = {
        **record_header("release-checklist"),
        "version": str(v),
        "commit": commit,
        "run_id": run.id if run is not None else None,
        "created_at": (now or utc_now()).isoformat(timespec="seconds"),
        "items": links,
    }
    problem = schema_errors(record)
    if problem:  # our own record must meet its contract before it becomes evidence
        raise ChecklistRefused(f"checklist record does not validate: {problem}")
    path = checklist_path(config, v)
    write_record(
        config, path, canonical_json(record), sign_key=sign_key, signers=config.release_owners
    )
    return Built(path, record)
