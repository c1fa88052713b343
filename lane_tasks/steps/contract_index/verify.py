"""`contract-index verify`: is every file the index lists still the file the run produced?

It recomputes every digest and names each missing, modified and unexpected file: a changed
file never verifies. Beside the index it checks the in-toto statement (it must be a statement
of exactly this index) and, with a public key, the DSSE signature over it and that the files on
disk are the signed ones.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lane_tasks.config import Config
from lane_tasks.errors import ConfigError
from lane_tasks.evidence.artifacts import schema_errors, sha256_file
from lane_tasks.evidence.store import run_dir
from lane_tasks.steps.contract_index.attestation import (
    PREDICATE_TYPE,
    STATEMENT_TYPE,
    attestation_paths,
    stable_view,
)
from lane_tasks.steps.contract_index.files import INDEX_SCHEMA, indexed_files
from lane_tasks.util.signing import load_public_key, verify_envelope

__all__ = ["VerifyReport", "verify_index"]


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


def _inside(root: str, rel: str) -> str | None:
    """The file a repo-relative posix path names, or None when it would leave the repository
    (string checks, not pathlib: verify looks up thousands of them)."""
    if not rel or rel.startswith("/") or "\\" in rel or ".." in rel.split("/"):
        return None
    return os.path.join(root, rel)  # noqa: PTH118


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
        path = _inside(str(root), rel)
        if path is None:
            report.problems.append(f"{rel}: not a path inside the repository")
            continue
        report.checked += 1
        try:
            st = os.stat(path)  # noqa: PTH116 (one stat: type and size)
        except OSError:
            st = None
        if st is None or not stat.S_ISREG(st.st_mode):
            report.missing.append(rel)
            continue
        digest, size = sha256_file(path), st.st_size
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
        for f in indexed_files(d, root):
            if f.shown not in listed:
                report.unexpected.append(f.shown)
    report.unexpected.sort()
