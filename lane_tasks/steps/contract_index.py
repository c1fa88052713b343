"""The contract-index step: an index of every artifact a run produced, and its verification.

An auditor asks "which files did this run produce, which contract does each follow, and are they
still the files it produced?". The index answers with one entry per file (path, schema id and
version, sha256, size, producing step and lane, subject commit) plus every schema it references
(with the sha256 of the shipped schema file). It is also written as an in-toto Statement v1
(subjects = the files and their digests, predicate = the index) so standard supply-chain tooling
can consume it, optionally signed as a DSSE envelope (lane_tasks.util.signing).

The hashed content never holds timestamps: the statement's predicate is always the stable form
of the index, so the same run gives the same statement bytes. `verify` recomputes every digest
and names each missing, modified and unexpected file: a changed file never verifies.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from lane_tasks.config import Config
from lane_tasks.errors import ConfigError
from lane_tasks.evidence.artifacts import (
    SCHEMA_VERSION,
    Result,
    atomic_write,
    canonical_json,
    schema_errors,
    schema_path,
    sha256_file,
)
from lane_tasks.evidence.store import MANIFEST, RunRecord, list_runs, run_dir, runs_root
from lane_tasks.steps.base import StepContext, register
from lane_tasks.util.signing import (
    load_private_key,
    load_public_key,
    sign_envelope,
    verify_envelope,
)

__all__ = [
    "EXCLUDED",
    "PREDICATE_TYPE",
    "STATEMENT_TYPE",
    "VerifyReport",
    "attestation_paths",
    "run",
    "stable_view",
    "statement",
    "verify_index",
    "write_attestation",
]

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "urn:lane-tasks:predicate:contract-index:1.0"
INDEX_SCHEMA = "lane-tasks/contract-index"

EXCLUDED = frozenset(
    {
        MANIFEST,  # changes after every step
        "controls.json",  # the lane's verdict, written after the index
        "contract-index.json",
        "contract-index.intoto.json",
        "contract-index.dsse.json",
    }
)
"""Names in a run directory that are never indexed (they change after the index is made)."""

_KIND = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_COMMIT = re.compile(r"[0-9a-f]{40,64}")
_FIX = "the run's evidence is broken: re-run the lane (`nox -s <lane>`); never edit a run's files"


# ---- building ---------------------------------------------------------------------------------


def _files(d: Path) -> Iterator[Path]:
    """Files under d, sorted, except the excluded names at its top level."""
    if not d.is_dir():
        return
    for p in sorted(d.rglob("*")):
        if p.is_file() and p.relative_to(d).as_posix() not in EXCLUDED:
            yield p


def _indexable(rec: RunRecord) -> bool:
    return next(_files(rec.path), None) is not None


def _choose_run(ctx: StepContext) -> tuple[RunRecord | None, str]:
    """The run to index: this lane's run, else the newest run holding artifacts.

    A standalone `nox -s contract-index` gets a fresh run id that holds nothing yet, so only a
    run id given inside a lane is binding; otherwise an empty run falls back to the newest one.
    """
    runs = list_runs(ctx.config)
    where = runs_root(ctx.config).relative_to(ctx.root).as_posix()
    if ctx.run_id:
        rec = next((r for r in runs if r.id == ctx.run_id), None)
        if rec is not None and _indexable(rec):
            return rec, ""
        if ctx.lane:
            return None, f"run {ctx.run_id} of lane {ctx.lane} has no artifacts to index"
    rec = next((r for r in runs if _indexable(r)), None)
    if rec is None:
        return None, f"no run with artifacts in {where} to index"
    return rec, ""


def _text(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def _run_entry(
    root: Path, run_path: Path, p: Path, recorded: dict[str, dict[str, Any]]
) -> tuple[dict[str, Any] | None, Result]:
    """The index entry of one file of the run, and its result (fail when it breaks a contract)."""
    rel = p.relative_to(root).as_posix()
    try:
        data = p.read_bytes()
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
    rec = recorded.get(p.relative_to(run_path).as_posix())
    if rec is None:
        problems.append(f"not recorded in the run's {MANIFEST}")
    else:
        entry["step"] = _text(rec.get("step"))
        if rec.get("sha256") != digest:
            problems.append(f"changed since the run recorded it (sha256 differs from {MANIFEST})")
        if "/" in p.relative_to(run_path).as_posix():
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
    root: Path, p: Path, release: dict[str, Any] | None, run_id: str
) -> tuple[dict[str, Any] | None, Result]:
    """A release dist: no schema; its step, lane and commit are the run's gate release's."""
    rel = p.relative_to(root).as_posix()
    try:
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
def run(ctx: StepContext) -> tuple[list[Result], dict[str, Any]]:
    sign_key = ctx.options.get("sign_key")
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
        return [fail], {"indexed_run": None, "entries": [], "schemas": _schemas([])}
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
    for p in _files(rec.path):
        entry, result = _run_entry(ctx.root, rec.path, p, recorded)
        results.append(result)
        if entry is not None:
            entries.append(entry)
    release = next((e for e in entries if e["step"] == "gate-release"), None)
    dist = ctx.config.artifacts_path() / "dist"
    for p in _files(dist):
        entry, result = _dist_entry(ctx.root, p, release, rec.id)
        results.append(result)
        if entry is not None:
            entries.append(entry)
    entries.sort(key=lambda e: str(e["path"]))
    results.sort(key=lambda r: r.id)
    return results, {"indexed_run": rec.id, "entries": entries, "schemas": _schemas(entries)}


# ---- the in-toto statement and its envelope ---------------------------------------------------


def stable_view(doc: dict[str, Any]) -> dict[str, Any]:
    """The index without its `run` block and durations: what is hashed and signed."""
    out = {k: v for k, v in doc.items() if k != "run"}
    out["results"] = [
        {k: v for k, v in r.items() if k != "duration_s"} for r in doc.get("results", [])
    ]
    return out


def statement(doc: dict[str, Any]) -> dict[str, Any]:
    """An in-toto Statement v1: subjects = the indexed files, predicate = the stable index."""
    index = stable_view(doc)
    return {
        "_type": STATEMENT_TYPE,
        "subject": [
            {"name": e["path"], "digest": {"sha256": e["sha256"]}} for e in index["entries"]
        ],
        "predicateType": PREDICATE_TYPE,
        "predicate": index,
    }


def attestation_paths(config: Config, index: str | Path | None) -> tuple[Path, Path, Path]:
    """(index, statement, envelope) paths: siblings sharing the index's name stem."""
    path = Path(index) if index is not None else config.artifacts_path() / "contract-index.json"
    name = path.name
    for suffix in (".intoto.json", ".dsse.json", ".json"):
        if name.endswith(suffix):
            name = name.removesuffix(suffix)
            break
    return (
        path.with_name(f"{name}.json"),
        path.with_name(f"{name}.intoto.json"),
        path.with_name(f"{name}.dsse.json"),
    )


def write_attestation(
    config: Config, doc: dict[str, Any], *, out: str | None, sign_key: str | None
) -> list[Path]:
    """Write the statement (and the signed envelope with a key) beside the index.

    Only a passing index is attested: otherwise stale statements are removed, so an old
    attestation is never mistaken for this index's. Returns the files written.
    """
    _, st_path, env_path = attestation_paths(config, out)
    if doc.get("status") != "pass" or not doc.get("entries"):
        for p in (st_path, env_path):
            p.unlink(missing_ok=True)
        return []
    payload = canonical_json(statement(doc)).encode("utf-8")
    envelope = None
    if sign_key:
        envelope = sign_envelope(payload, Path(sign_key))
    atomic_write(st_path, payload)
    if envelope is None:
        env_path.unlink(missing_ok=True)  # it signed an older statement
        return [st_path]
    atomic_write(env_path, canonical_json(envelope))
    return [st_path, env_path]


# ---- verification -----------------------------------------------------------------------------


@dataclass
class VerifyReport:
    """What `contract-index verify` found; exit 0 only when there is nothing in it."""

    index: str
    indexed_run: str | None = None
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    modified: list[dict[str, Any]] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    signature: str = "not checked"

    @property
    def ok(self) -> bool:
        return not (self.missing or self.modified or self.unexpected or self.problems)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "indexed_run": self.indexed_run,
            "status": "pass" if self.ok else "fail",
            "checked": self.checked,
            "missing": self.missing,
            "modified": self.modified,
            "unexpected": self.unexpected,
            "problems": self.problems,
            "signature": self.signature,
        }

    def render(self) -> str:
        head = f"contract-index verify {self.index}"
        if self.indexed_run:
            head += f" (run {self.indexed_run})"
        lines = [f"{head}: {'PASS' if self.ok else 'FAIL'}"]
        lines += [f"  PROBLEM    {p}" for p in self.problems]
        lines += [f"  MISSING    {p}" for p in self.missing]
        for m in self.modified:
            lines.append(f"  MODIFIED   {m['path']} ({m['detail']})")
        lines += [f"  UNEXPECTED {p}" for p in self.unexpected]
        lines.append(
            f"verify: {self.checked} file(s) checked, {len(self.missing)} missing, "
            f"{len(self.modified)} modified, {len(self.unexpected)} unexpected, "
            f"{len(self.problems)} other problem(s); signature {self.signature}"
        )
        return "\n".join(lines) + "\n"


def _load_json(path: Path) -> tuple[Any, bytes | None, str | None]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, None, f"cannot read {path.name}: {exc.strerror}"
    try:
        return json.loads(raw), raw, None
    except (ValueError, RecursionError) as exc:
        return None, raw, f"{path.name} is not JSON ({str(exc).splitlines()[0]})"


def _statement_problems(st: Any, index: dict[str, Any], what: str) -> list[str]:
    """A statement must be an in-toto v1 statement of exactly this index."""
    if not isinstance(st, dict) or st.get("_type") != STATEMENT_TYPE:
        return [f"{what}: _type is not {STATEMENT_TYPE}"]
    problems = []
    if st.get("predicateType") != PREDICATE_TYPE:
        problems.append(f"{what}: predicateType is not {PREDICATE_TYPE}")
    if st.get("predicate") != stable_view(index):
        problems.append(f"{what}: its predicate is not this index (the two disagree)")
    want = [{"name": e["path"], "digest": {"sha256": e["sha256"]}} for e in index["entries"]]
    if st.get("subject") != want:
        problems.append(f"{what}: its subjects do not match the index's entries and digests")
    return problems


def _inside(root: Path, rel: str) -> Path | None:
    """The file a repo-relative posix path names, or None when it would leave the repository."""
    pp = PurePosixPath(rel)
    if not rel or pp.is_absolute() or ".." in pp.parts or "\\" in rel:
        return None
    return root / pp


def verify_index(
    config: Config, index: Path | None = None, public_key: Path | None = None
) -> VerifyReport:
    """Recompute every listed file's sha256 and size; name missing, modified and unexpected
    files; with a public key, also check the DSSE signature over the statement and that the
    index on disk is the signed one. A missing index file is a usage error (exit 2)."""
    if public_key is not None:  # a missing extra or a bad key file is reported first
        load_public_key(public_key)
    idx_path, st_path, env_path = attestation_paths(config, index)
    source = Path(index) if index is not None else idx_path
    if index is None and not source.is_file() and st_path.is_file():
        source = st_path  # the statement carries the whole index as its predicate
    if not source.is_file():
        raise ConfigError(
            "no contract index here (build one: "
            "lane-tasks contract-index --format json --out build/contract-index.json)",
            path=source,
            key="--index",
        )
    try:
        shown = source.resolve().relative_to(config.root).as_posix()
    except ValueError:
        shown = str(source)
    report = VerifyReport(index=shown)
    doc, raw, problem = _load_json(source)
    if problem:
        report.problems.append(problem)
        return report
    st_doc: Any = None
    st_raw: bytes | None = None
    if isinstance(doc, dict) and "_type" in doc:
        st_doc, st_raw, doc = doc, raw, doc.get("predicate")
    elif st_path.is_file():
        st_doc, st_raw, problem = _load_json(st_path)
        if problem:
            report.problems.append(problem)
    problem = schema_errors(doc)
    if problem or not isinstance(doc, dict) or doc.get("schema") != INDEX_SCHEMA:
        report.problems.append(f"not a valid contract index: {problem or 'wrong schema'}")
        return report
    report.indexed_run = doc["indexed_run"]
    if doc["status"] != "pass":
        report.problems.append(f"the index itself did not pass (status {doc['status']})")
    if st_doc is not None:
        report.problems += _statement_problems(st_doc, doc, st_path.name)
    elif public_key is not None:
        report.problems.append(f"no in-toto statement {st_path.name} beside the index")
    if public_key is not None:
        _check_signature(report, env_path, public_key, st_raw, doc)
    _check_files(config, doc, report)
    return report


def _check_signature(
    report: VerifyReport,
    env_path: Path,
    public_key: Path,
    st_raw: bytes | None,
    index: dict[str, Any],
) -> None:

    envelope, _, problem = _load_json(env_path)
    if problem:
        report.signature = "failed"
        report.problems.append(f"signature: {problem}")
        return
    payload, problem = verify_envelope(envelope, public_key)
    if payload is None:
        report.signature = "failed"
        report.problems.append(f"signature: {problem}")
        return
    report.signature = "verified"
    if st_raw is not None and st_raw != payload:
        report.problems.append(f"{env_path.name}: the statement on disk is not the signed one")
    try:
        signed = json.loads(payload)
    except (ValueError, RecursionError):
        report.problems.append(f"{env_path.name}: the signed payload is not JSON")
        return
    report.problems += _statement_problems(signed, index, f"{env_path.name} (signed)")


def _check_files(config: Config, doc: dict[str, Any], report: VerifyReport) -> None:
    root = config.root
    listed: set[str] = set()
    for e in doc["entries"]:
        rel = e["path"]
        listed.add(rel)
        path = _inside(root, rel)
        if path is None:
            report.problems.append(f"{rel}: not a path inside the repository")
            continue
        report.checked += 1
        if not path.is_file():
            report.missing.append(rel)
            continue
        digest, size = sha256_file(path), path.stat().st_size
        if digest != e["sha256"] or size != e["size"]:
            report.modified.append(
                {
                    "path": rel,
                    "detail": f"sha256 {digest[:12]}... is not {e['sha256'][:12]}..., "
                    f"size {size} vs {e['size']}",
                    "sha256": digest,
                    "size": size,
                }
            )
    dirs = [config.artifacts_path() / "dist"]
    if report.indexed_run:
        try:
            dirs.append(run_dir(config, report.indexed_run))
        except ConfigError as exc:
            report.problems.append(f"indexed_run: {exc.problem}")
    for d in dirs:
        for p in _files(d):
            rel = p.relative_to(root).as_posix()
            if rel not in listed:
                report.unexpected.append(rel)
    report.unexpected.sort()
