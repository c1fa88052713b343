"""DSSE v1 envelopes signed with ed25519: the contract index's in-toto statement, and the
evidence records (evidence.record_signature), each with its own payloadType.

Signing is optional: the `cryptography` package comes with the `sign` extra, and without it
signing and signature checks end with exit 3 and the install line, never a traceback. Keys are
PEM files: PKCS8 private keys, SubjectPublicKeyInfo public keys (what `openssl genpkey -algorithm
ed25519` and `cryptography` write). The envelope is the one in-toto tooling reads:
`{"payload", "payloadType", "signatures": [{"keyid", "sig"}]}`, base64 payload and signatures,
keyid the sha256 of the public key's DER.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lane_tasks.errors import ConfigError, EnvironmentProblem

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

__all__ = [
    "INSTALL_HINT",
    "PAYLOAD_TYPE",
    "keyid",
    "load_private_key",
    "load_public_key",
    "pae",
    "require_crypto",
    "sign_envelope",
    "verify_envelope",
]

PAYLOAD_TYPE = "application/vnd.in-toto+json"
INSTALL_HINT = "signing needs the 'sign' extra: pip install \"lane-tasks[sign]\""


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding: what is signed, so the type cannot be swapped."""
    t = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(t), t, len(payload), payload)


def require_crypto() -> None:
    """Fail with the install line (exit 3) when the optional dependency is missing."""
    try:
        import cryptography.hazmat.primitives.asymmetric.ed25519  # noqa: F401
    except ImportError:
        raise EnvironmentProblem(INSTALL_HINT) from None


def _read_key(path: Path, option: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the key: {exc.strerror}", path=path, key=option) from None


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """An unencrypted ed25519 private key in PEM (PKCS8); anything else is a usage error."""
    require_crypto()
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    data = _read_key(path, "--sign-key")
    try:
        key = load_pem_private_key(data, password=None)
    except TypeError:
        raise ConfigError(
            "the key is encrypted; give an unencrypted PEM (PKCS8) ed25519 key",
            path=path,
            key="--sign-key",
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise ConfigError(
            "not a PEM private key (want an ed25519 key in PKCS8 PEM)", path=path, key="--sign-key"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"not an ed25519 key ({type(key).__name__})", path=path, key="--sign-key")
    return key


def load_public_key(path: Path, option: str = "--public-key") -> Ed25519PublicKey:
    """An ed25519 public key in PEM (SubjectPublicKeyInfo); anything else is a usage error
    naming `option` (the flag, or the lanes.toml key that listed the file)."""
    require_crypto()
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    data = _read_key(path, option)
    try:
        key = load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise ConfigError(
            "not a PEM public key (want an ed25519 SubjectPublicKeyInfo PEM)",
            path=path,
            key=option,
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(f"not an ed25519 key ({type(key).__name__})", path=path, key=option)
    return key


def keyid(public_key: Ed25519PublicKey) -> str:
    """sha256 hex of the public key's DER: a stable hint for which key signed."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    der = public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def sign_envelope(
    payload: bytes, key_path: Path, payload_type: str = PAYLOAD_TYPE
) -> dict[str, Any]:
    """A DSSE envelope over `payload` (by default an in-toto statement) signed with the key at
    key_path."""
    key = load_private_key(key_path)
    sig = key.sign(pae(payload_type, payload))
    return {
        "payload": base64.b64encode(payload).decode("ascii"),
        "payloadType": payload_type,
        "signatures": [
            {"keyid": keyid(key.public_key()), "sig": base64.b64encode(sig).decode("ascii")}
        ],
    }


def _b64(text: str) -> bytes:
    """DSSE allows standard or URL-safe base64, padded or not."""
    padded = text + "=" * (-len(text) % 4)
    alt = b"-_" if ("-" in text or "_" in text) else None
    return base64.b64decode(padded, altchars=alt, validate=True)


def verify_envelope(
    envelope: Any,
    key_path: Path,
    payload_type: str = PAYLOAD_TYPE,
    option: str = "--public-key",
) -> tuple[bytes | None, str | None]:
    """(payload, None) when a signature in the envelope verifies with the public key at
    key_path, else (None, why). Only the returned payload bytes are trusted, never a copy."""
    key = load_public_key(key_path, option)  # first: it reports a missing `cryptography` (exit 3)
    from cryptography.exceptions import InvalidSignature

    if not isinstance(envelope, dict):
        return None, "the envelope is not a JSON object"
    payload_b64, ptype, sigs = (envelope.get(k) for k in ("payload", "payloadType", "signatures"))
    if not isinstance(payload_b64, str) or not isinstance(ptype, str) or not isinstance(sigs, list):
        return None, "the envelope lacks payload, payloadType or signatures"
    if ptype != payload_type:
        return None, f"payloadType is '{ptype}', not '{payload_type}'"
    try:
        payload = _b64(payload_b64)
    except (binascii.Error, ValueError):
        return None, "the envelope's payload is not base64"
    message = pae(ptype, payload)
    for s in sigs:
        raw = s.get("sig") if isinstance(s, dict) else None
        if not isinstance(raw, str):
            continue
        try:
            key.verify(_b64(raw), message)
        except (binascii.Error, ValueError, InvalidSignature):
            continue
        return payload, None
    return None, f"no signature in the envelope verifies with this key (keyid {keyid(key)[:16]})"
