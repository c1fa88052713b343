"""The records KPIs need besides runs: triage, rollbacks and adoption events.

Triage and rollback records are tracked evidence (`<evidence_dir>/triage/<run-id>.json`,
`<evidence_dir>/releases/<version>/rollback.json`): they are audit facts that travel with the
repository. KPIs, the dashboard and a history export read them (decisions, checklists,
rollbacks, triage, KPI reviews) through `with_evidence`, beside the records other repositories'
imported histories brought, so a program that imports many repositories' exports sees their
records too; reading never writes them into the history file. Adoption
events are bulk data from outside (docs analytics, onboarding), so they go to the history store
only.

An adoption event is one JSON object per line:
`{"type": "docs-view" | "adoption", "at": "<ISO 8601>", "id": "<unique>"?, "repository": "?",
"page": "?", "visitor": "?", "source": "?"}`; without `id`, the line's canonical JSON hash is its
id, so importing a file twice adds nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from lane_tasks.catalog.layout import (
    CHECKLIST,
    DECISION,
    KPI_REVIEWS_DIR,
    RELEASES_DIR,
    ROLLBACK,
    TRIAGE_DIR,
)
from lane_tasks.config import Config
from lane_tasks.errors import ConfigError, did_you_mean
from lane_tasks.evidence.artifacts import (
    atomic_write,
    canonical_json,
    read_record,
    record_header,
    schema_errors,
)
from lane_tasks.evidence.history import (
    count_event_days,
    iso,
    open_history,
    repository_id,
    transaction,
)
from lane_tasks.kpi.history_row import reject_unknown_keys
from lane_tasks.project.git import release_tags
from lane_tasks.project.version import parse_version
from lane_tasks.releases.decision import (
    decision_path,
    load_decision,
    release_version,
    require_release_owner,
)
from lane_tasks.util.clock import future_problem, parse_time

__all__ = [
    "EVENT_KEYS",
    "EVENT_TYPES",
    "ImportCount",
    "import_events",
    "record_rollback",
    "record_triage",
    "triage_path",
    "with_evidence",
]

EVENT_TYPES = ("docs-view", "adoption")
EVENT_KEYS = ("type", "at", "id", "repository", "page", "visitor", "source")


def _record(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    doc = {**record_header(kind), **fields}
    problem = schema_errors(doc)
    if problem:  # our own record must meet its contract before it becomes evidence
        raise ConfigError(f"{kind} record does not validate: {problem}")
    return doc


def _rel(config: Config, path: Path) -> str:
    return path.relative_to(config.root).as_posix()


# ---- triage ---------------------------------------------------------------------------------


def triage_path(config: Config, run_id: str) -> Path:
    return config.root / config.evidence_dir / TRIAGE_DIR / f"{run_id}.json"


def record_triage(
    config: Config, *, run_id: str, owner: str, note: str | None, now: datetime
) -> Path:
    """Record that a failed run was triaged. The run must be in the history and have failed:
    a triage of a run nobody recorded, or of a green one, would make the KPI lie."""
    owner = owner.strip()
    if not owner:
        raise ConfigError("the owner's name must not be empty", key="--owner")
    repo = repository_id(config)
    with open_history(config) as conn:
        row = conn.execute(
            "SELECT * FROM runs WHERE run_id = ? ORDER BY repo = ? DESC LIMIT 1", (run_id, repo)
        ).fetchone()
        known = [
            r[0]
            for r in conn.execute(
                "SELECT run_id FROM runs WHERE status IN ('fail', 'error') "
                "ORDER BY started_at DESC LIMIT 200"
            )
        ]
    if row is None:
        raise ConfigError(
            f"run '{run_id}' is not in the history{did_you_mean(run_id, known)} "
            "(import it first: `lane-tasks history import FILE`)",
            key="--run",
        )
    if row["status"] not in ("fail", "error"):
        raise ConfigError(
            f"run '{run_id}' did not fail (status {row['status']}): only failures are triaged",
            key="--run",
        )
    path = triage_path(config, run_id)
    if path.exists():
        raise ConfigError(
            f"{_rel(config, path)} already exists: run {run_id} is triaged", key="--run"
        )
    doc = _record(
        "triage",
        {
            "run_id": run_id,
            "repository": row["repo"],
            "lane": row["lane"],
            "run_status": row["status"],
            "run_started_at": row["started_at"],
            "owner": owner,
            "note": note.strip() if note and note.strip() else None,
            "triaged_at": now.isoformat(timespec="seconds"),
        },
    )
    atomic_write(path, canonical_json(doc))
    return path


# ---- rollback -------------------------------------------------------------------------------


def rollback_path(config: Config, version: str) -> Path:
    return decision_path(config, parse_version(version)).with_name(ROLLBACK)


def record_rollback(
    config: Config, *, version: str, owner: str, reason: str, now: datetime
) -> Path:
    """Record that a released version was rolled back (yanked or superseded). Only a version
    released with a `go` decision can be rolled back, by one of the release owners."""
    v = release_version(version)
    require_release_owner(config, owner)
    if not reason.strip():
        raise ConfigError("a rollback needs its reason", key="--reason")
    dpath = decision_path(config, v)
    decision, problem = load_decision(dpath)
    if decision is None or decision["decision"] != "go":
        why = problem if decision is None else f"the decision is {decision['decision']}"
        raise ConfigError(
            f"{v} has no go decision to roll back ({_rel(config, dpath)}: {why})",
            key="--version",
        )
    path = dpath.with_name(ROLLBACK)
    if path.exists():
        raise ConfigError(f"{_rel(config, path)} already exists: {v} is rolled back")
    tag = next(
        (t for t in release_tags(config.root, config.release.tag_pattern) if t.version == v),
        None,
    )
    doc = _record(
        "rollback",
        {
            "version": str(v),
            "commit": tag.commit if tag else decision["commit"],
            "owner": owner,
            "reason": reason.strip(),
            "rolled_back_at": now.isoformat(timespec="seconds"),
            "decision_sha256": hashlib.sha256(dpath.read_bytes()).hexdigest(),
        },
    )
    atomic_write(path, canonical_json(doc))
    return path


# ---- evidence -> history --------------------------------------------------------------------

_EVIDENCE = (
    # (kind, glob under evidence_dir, time field)
    ("release-decision", f"{RELEASES_DIR}/*/{DECISION}", "decided_at"),
    ("rollback", f"{RELEASES_DIR}/*/{ROLLBACK}", "rolled_back_at"),
    ("triage", f"{TRIAGE_DIR}/*.json", "triaged_at"),
    ("release-checklist", f"{RELEASES_DIR}/*/{CHECKLIST}", "created_at"),
    ("kpi-review", f"{KPI_REVIEWS_DIR}/*.json", "reviewed_at"),
)


def _evidence_rows(config: Config) -> list[tuple[Any, ...]]:
    """The evidence directory's valid records as rows of the history's `records` table.
    Invalid records, and records dated in the future, are left out; the controls that own
    them report them."""
    repo = repository_id(config)
    base = config.root / config.evidence_dir
    rows = []
    for kind, pattern, time_field in _EVIDENCE:
        for path in sorted(base.glob(pattern)):
            doc = read_record(path, kind).valid
            if doc is None:
                continue
            try:
                when = parse_time(str(doc[time_field]))
            except (ValueError, KeyError, TypeError):
                continue
            if future_problem(when, time_field):  # not evidence yet: KPIs must not count it
                continue
            rows.append(
                (
                    repo, kind, _rel(config, path), iso(when), doc.get("version"),
                    doc.get("run_id"), doc.get("owner") or doc.get("reviewer"),
                    json.dumps(doc, sort_keys=True, separators=(",", ":")),
                )
            )  # fmt: skip
    return rows


@contextlib.contextmanager
def with_evidence(config: Config, conn: sqlite3.Connection) -> Iterator[None]:
    """The history as its readers (KPIs, dashboard, export) must see it: this repository's
    records as its evidence directory holds them now, the other repositories' as imported.
    Reading must not write, so this repository's records go to a temporary table of this
    connection only, and a temporary view named `records` (SQLite looks an unqualified name
    up in `temp` first) shows them beside the stored records of every other repository; a
    query's conditions reach both halves, so the stored ones are still read by their key.
    Both are dropped on the way out; the history file is left as it was."""
    repo = repository_id(config)
    rows = _evidence_rows(config)
    _drop_evidence_view(conn)
    conn.execute("CREATE TEMP TABLE evidence_records AS SELECT * FROM main.records WHERE 0")
    try:
        conn.executemany("INSERT INTO temp.evidence_records VALUES (?,?,?,?,?,?,?,?)", rows)
        quoted = repo.replace("'", "''")  # a view takes no parameters
        conn.execute(
            "CREATE TEMP VIEW records AS SELECT * FROM main.records "  # noqa: S608
            f"WHERE repo != '{quoted}' UNION ALL SELECT * FROM temp.evidence_records"
        )
        yield
    finally:
        _drop_evidence_view(conn)


def _drop_evidence_view(conn: sqlite3.Connection) -> None:
    conn.execute("DROP VIEW IF EXISTS temp.records")
    conn.execute("DROP TABLE IF EXISTS temp.evidence_records")


# ---- adoption events ------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportCount:
    """What an import did: rows added and rows that were there already."""

    added: int
    present: int


def parse_event(line: str, path: Path, lineno: int, default_repo: str) -> tuple[Any, ...]:
    """One JSONL line as an events row; ConfigError naming file:line and key otherwise."""
    try:
        doc = json.loads(line)
    except (ValueError, RecursionError) as exc:
        raise ConfigError(
            f"not JSON: {exc.args[0] if exc.args else exc}", path=path, line=lineno
        ) from None
    if not isinstance(doc, dict):
        raise ConfigError("an event is a JSON object", path=path, line=lineno)
    reject_unknown_keys(doc, EVENT_KEYS, "unknown key", path=path, line=lineno, list_allowed=True)
    kind = doc.get("type")
    if kind not in EVENT_TYPES:
        hint = did_you_mean(str(kind), EVENT_TYPES) if isinstance(kind, str) else ""
        raise ConfigError(
            f"must be one of {', '.join(EVENT_TYPES)}, not {kind!r}{hint}",
            path=path,
            line=lineno,
            key="type",
        )
    for key in EVENT_KEYS[2:]:
        if key in doc and (not isinstance(doc[key], str) or not doc[key].strip()):
            raise ConfigError("must be a non-empty string", path=path, line=lineno, key=key)
        if key in doc and not _encodable(doc[key]):
            raise ConfigError(
                "is not valid Unicode text (a lone surrogate escape such as \\ud800)",
                path=path,
                line=lineno,
                key=key,
            )
    try:
        when = parse_time(str(doc["at"])) if isinstance(doc.get("at"), str) else None
    except ValueError:
        when = None
    if when is None:
        raise ConfigError(
            f"must be an ISO 8601 time (like 2026-01-31T12:00:00Z), not {doc.get('at')!r}",
            path=path,
            line=lineno,
            key="at",
        )
    event_id = doc.get("id") or hashlib.sha256(canonical_json(doc).encode()).hexdigest()[:32]
    return (doc.get("repository") or default_repo, event_id, kind, iso(when), canonical_json(doc))


def _encodable(text: str) -> bool:
    """Whether the history (SQLite, UTF-8) can store `text`: JSON's \\ud800 escapes decode to
    lone surrogates, which it cannot."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def import_events(config: Config, path: Path) -> ImportCount:
    """Import a JSONL file of events; a bad line stops the import before anything is added."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", path=path) from None
    repo = repository_id(config)
    rows = [parse_event(line, path, n, repo) for n, line in enumerate(lines, 1) if line.strip()]
    with open_history(config) as conn, transaction(conn):
        before = conn.total_changes
        conn.executemany("INSERT OR IGNORE INTO events VALUES (?,?,?,?,?)", rows)
        added = conn.total_changes - before
        count_event_days(conn, {(row[0], row[3][:10]) for row in rows})
    return ImportCount(added, len(rows) - added)
