"""Signed evidence records: a release decision, checklist or KPI review with its DSSE envelope.

The envelope is a sibling file, `<record>.dsse.json` beside `<record>.json` (`decision.json`
and `decision.dsse.json`), not a field inside the record. Why: the signed payload is then the
record file's exact bytes, so any changed byte (a field, a space) breaks the signature and
nothing has to be removed and re-canonicalised before checking (an embedded signature cannot
sign itself); the records' schemas and every reader of them stay as they are; and a project
that does not sign has exactly the files it had. A record written again without a key removes
its envelope, which signed other bytes.

The envelope is the one lane_tasks.util.signing makes for the contract index (DSSE v1, ed25519,
the `sign` extra), with its own payloadType so neither can stand in for the other.

Who signed is the point: lanes.toml `[signing.keys]` maps each person to a public key. When
it lists any key, a record is accepted only when a signature in its envelope verifies with a
listed key, the signed payload is the file, and that key belongs to a person allowed to sign
it (the decision's owner, the review's reviewer, any release owner for a checklist). Without
keys, `verify` accepts everything: signing is optional for the startup and scale lanes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from lane_tasks.config import Config, ResolvedLane
from lane_tasks.errors import ConfigError, EnvironmentProblem
from lane_tasks.evidence.artifacts import atomic_write, canonical_json, open_regular
from lane_tasks.util.signing import (
    keyid,
    load_private_key,
    load_public_key,
    require_crypto,
    sign_envelope,
    verify_envelope,
)

__all__ = [
    "RECORD_PAYLOAD_TYPE",
    "SIGNED_CONTROLS",
    "check_signer",
    "copy_record",
    "envelope_path",
    "is_envelope",
    "require_crypto_for",
    "verify",
    "write_record",
]

RECORD_PAYLOAD_TYPE = "application/vnd.lane-tasks.record+json"
SIGNED_CONTROLS = ("release-owner", "release-checklist-evidence", "weekly-kpi-review")
"""The controls that check a record's signature when [signing.keys] lists keys."""
_SUFFIX = ".dsse.json"


def envelope_path(record: Path) -> Path:
    """`decision.json` -> `decision.dsse.json`, in the same directory."""
    return record.with_name(record.name.removesuffix(".json") + _SUFFIX)


def is_envelope(path: Path) -> bool:
    """Whether a `*.json` file is an envelope, not a record (a glob of records skips it)."""
    return path.name.endswith(_SUFFIX)


def _who(signers: Sequence[str]) -> str:
    if len(signers) == 1:
        return f"'{signers[0]}'"
    return "a release owner" if signers else "no one (none is configured)"


def _key_of(config: Config, name: str) -> Path:
    return config.root / config.signing.keys[name]


def _signer_of_key(config: Config, key_path: Path) -> str | None:
    """The person in [signing.keys] whose public key pairs with the private key at key_path."""

    mine = keyid(load_private_key(key_path).public_key())
    for name in config.signing.keys:
        listed = load_public_key(_key_of(config, name), f"signing.keys.{name}")
        if keyid(listed) == mine:
            return name
    return None


def check_signer(config: Config, sign_key: Path | None, signers: Sequence[str]) -> None:
    """Refuse, before anything is written, a bad key file, a missing `sign` extra (exit 3), or
    (with [signing.keys]) a key that is not one of `signers`': a record is never left signed by
    the wrong person."""
    if sign_key is None:
        return

    if not config.signing.keys:
        load_private_key(sign_key)
        return
    signer = _signer_of_key(config, sign_key)
    if signer not in signers:
        owner = f"'{signer}'s key" if signer else "not a key listed in [signing.keys]"
        raise ConfigError(
            f"{sign_key} is {owner}; this record must be signed by {_who(signers)}",
            key="--sign-key",
        )


def write_record(
    config: Config, path: Path, text: str, *, sign_key: Path | None, signers: Sequence[str]
) -> Path | None:
    """Write the record atomically and, with `sign_key`, its envelope (over the exact bytes
    written); returns the envelope's path. The key is checked first (check_signer)."""
    data = text.encode("utf-8")
    envelope = None
    if sign_key is not None:
        check_signer(config, sign_key, signers)
        envelope = sign_envelope(data, sign_key, RECORD_PAYLOAD_TYPE)
    atomic_write(path, data)
    env = envelope_path(path)
    if envelope is None:
        _remove(env)  # it signed the bytes this record replaces
        return None
    atomic_write(env, canonical_json(envelope))
    return env


def _read(path: Path) -> bytes:
    """A record's or envelope's bytes; a FIFO or directory planted there is an OSError at
    once (artifacts.open_regular), never a read that waits for a writer."""
    with open_regular(path) as fh:
        return fh.read()


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise EnvironmentProblem(f"{path}: cannot remove: {exc.strerror}") from None


def copy_record(source: Path, target: Path) -> None:
    """Copy a record and its envelope (a checklist's frozen copy of the decision keeps the
    owner's signature); a stale envelope at the target is removed."""
    atomic_write(target, _read(source))
    env = envelope_path(source)
    if env.is_file():
        atomic_write(envelope_path(target), _read(env))
        return
    _remove(envelope_path(target))


def require_crypto_for(config: Config, lane: ResolvedLane) -> None:
    """Exit 3 with the install line before verifying a lane whose controls check signatures
    on a machine without the `sign` extra (not a crashed control per record)."""
    if config.signing.keys and any(c in SIGNED_CONTROLS for c in lane.control_ids()):
        require_crypto()


def verify(config: Config, record: Path, signers: Sequence[str]) -> str | None:
    """None when the record at `record` needs no signature ([signing.keys] is empty) or is
    signed, unchanged, by one of `signers` (the people the record names); else what is wrong,
    one line, for a control's verdict."""
    keys = config.signing.keys
    if not keys:
        return None
    rel, env = config.shown(record), envelope_path(record)
    env_rel = config.shown(env)
    try:
        data = _read(record)
    except OSError as exc:
        return f"{rel}: cannot read it: {exc.strerror}"
    try:
        raw = _read(env)
    except FileNotFoundError:
        return (
            f"{rel} is not signed (no {env_rel}; lanes.toml lists [signing.keys]: record it "
            f"again with --sign-key, as {_who(signers)})"
        )
    except OSError as exc:
        return f"{env_rel}: cannot read it: {exc.strerror}"
    try:
        envelope = json.loads(raw)
    except (ValueError, RecursionError):
        return f"{env_rel} is not a DSSE envelope (not JSON)"

    signer, payload, why = None, None, None
    for name in (*(s for s in signers if s in keys), *(k for k in keys if k not in signers)):
        try:
            payload, why = verify_envelope(
                envelope, _key_of(config, name), RECORD_PAYLOAD_TYPE, f"signing.keys.{name}"
            )
        except ConfigError as exc:  # the key file changed since lanes.toml was loaded
            return str(exc)
        if payload is not None:
            signer = name
            break
    if signer is None or payload is None:
        missing = [s for s in signers if s not in keys]
        gap = f"; {', '.join(missing)} has no key in [signing.keys]" if missing else ""
        if why is None or why.startswith("no signature"):
            why = "no signature in it verifies with a key in [signing.keys]"
        return f"{env_rel} is not signed by {_who(signers)} ({why}{gap})"
    if payload != data:
        return (
            f"{rel} was changed after '{signer}' signed it (tampered: its bytes are not the "
            f"signed payload in {env_rel})"
        )
    if signer not in signers:
        return f"{rel} is signed by '{signer}', but must be signed by {_who(signers)}"
    return None
