"""The contract index as an in-toto Statement v1, optionally signed as a DSSE envelope.

The index is also written as an in-toto statement (subjects = the files and their digests,
predicate = the index) so standard supply-chain tooling can consume it, signed as a DSSE
envelope when a key is given (lane_tasks.util.signing). The hashed content never holds
timestamps: the statement's predicate is always the stable form of the index, so the same run
gives the same statement bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lane_tasks.config import Config
from lane_tasks.evidence.artifacts import atomic_write, canonical_json
from lane_tasks.util.signing import sign_envelope

__all__ = [
    "PREDICATE_TYPE",
    "STATEMENT_TYPE",
    "attestation_paths",
    "stable_view",
    "statement",
    "write_attestation",
]

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "urn:lane-tasks:predicate:contract-index:1.0"


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
