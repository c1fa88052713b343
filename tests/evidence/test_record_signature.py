"""Signed evidence records (issue 12 part 4): decision, checklist and KPI review records signed
with ed25519 DSSE envelopes, and the controls that, when lanes.toml lists [signing.keys],
accept only records signed, unchanged, by the person they name. Real keys, real git projects,
the CLI in-process."""

from __future__ import annotations

import base64
import json
import os
import shutil
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from helpers import commit_all, git, keypair, make_project, run_cli

from lane_tasks import cli
from lane_tasks.config import load_config
from lane_tasks.evidence.record_signature import RECORD_PAYLOAD_TYPE, envelope_path, verify
from lane_tasks.evidence.store import new_run_id
from lane_tasks.util.signing import sign_envelope

ALICE = "alice@example.org"
BOB = "bob@example.org"
CAROL = "carol@example.org"
HINT = "signing needs the 'sign' extra: pip install \"lane-tasks[sign]\""
DECISION = Path("release-evidence/releases/0.1.0/decision.json")
CHECKLIST = Path("release-evidence/releases/0.1.0/checklist.json")


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, tuple[Path, Path]]:
    """(private, public) PEM files per person, outside every repository."""
    d = tmp_path / "private-keys"
    d.mkdir()
    return {name: keypair(d, name.split("@")[0]) for name in (ALICE, BOB, CAROL)}


def project(
    tmp_path: Path, keys: dict[str, tuple[Path, Path]] | None, **extra: Any
) -> tuple[Path, Path]:
    """A real project with one lane holding the three signed controls (a one-command gate, a
    checklist of gate-fast and the decision); with `keys`, every person's public key is
    committed under keys/ and listed in [signing.keys]. Returns (root, lanes.toml)."""
    root = make_project(tmp_path)
    path = root / "lanes.toml"
    data = tomllib.loads(path.read_text())
    data["project"]["release_owners"] = [ALICE, BOB]
    data["gate"] = {"fast": {"checks": {"smoke": {"cmd": ["{python}", "-c", "pass"]}}}}
    data["lanes"]["audit"] = {
        "steps": ["gate-fast"],
        "controls": ["release-owner", "weekly-kpi-review", "release-checklist-evidence"],
    }
    data["release"] = {"checklist": ["gate-fast", "decision"]}
    data["kpi"] = {"reviewers": [CAROL, ALICE]}
    if keys:
        (root / "keys").mkdir()
        listed = {}
        for name, (_, public) in keys.items():
            rel = f"keys/{name.split('@')[0]}.pub"
            shutil.copy(public, root / rel)
            listed[name] = rel
        data["signing"] = {"keys": listed}
    data |= extra
    path.write_text(tomli_w.dumps(data))
    commit_all(root, "lanes: the audit lane")
    return root, path


def main(root: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """`lane-tasks ARGS` in-process in `root`: (exit code, stdout, stderr)."""
    cwd = Path.cwd()
    os.chdir(root)
    try:
        code = cli.main(["--config", str(root / "lanes.toml"), *args])
    finally:
        os.chdir(cwd)
    out, err = capsys.readouterr()
    return code, out, err


def control(root: Path, cid: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    _, out, err = main(
        root, "controls", "verify", "--lane", "audit", "--format", "json", capsys=capsys
    )
    assert "Traceback" not in err, err
    result: dict[str, Any] = next(r for r in json.loads(out)["results"] if r["id"] == cid)
    return result


def decide(
    root: Path, capsys: pytest.CaptureFixture[str], owner: str, *args: str
) -> tuple[int, str, str]:
    return main(
        root, "release", "decide", "--version", "0.1.0", "--decision", "go", "--owner", owner,
        "--override-reason", "no preflight in this test", *args, capsys=capsys,
    )  # fmt: skip


def cut(root: Path, capsys: pytest.CaptureFixture[str], owner: str, *args: str) -> str:
    """Decide go on HEAD, commit the record, tag the decided commit v0.1.0."""
    decided = git(root, "rev-parse", "HEAD")
    code, _, err = decide(root, capsys, owner, *args)
    assert code == 0, err
    commit_all(root, "release decision 0.1.0")
    git(root, "tag", "v0.1.0", decided)
    return decided


# ---- release decide and the release-owner control ---------------------------------------------


def test_signed_decision_verifies(
    tmp_path: Path, keys: dict[str, tuple[Path, Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = project(tmp_path, keys)
    cut(root, capsys, ALICE, "--sign-key", str(keys[ALICE][0]))
    envelope = json.loads((root / envelope_path(DECISION)).read_text())
    assert envelope["payloadType"] == RECORD_PAYLOAD_TYPE
    # the payload is the record file, byte for byte
    assert base64.b64decode(envelope["payload"]) == (root / DECISION).read_bytes()
    res = control(root, "release-owner", capsys)
    assert res["status"] == "pass", res


def test_unsigned_record_fails_when_keys_configured(
    tmp_path: Path, keys: dict[str, tuple[Path, Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = project(tmp_path, keys)
    decided = git(root, "rev-parse", "HEAD")
    code, out, err = decide(root, capsys, ALICE)
    assert code == 0 and "wrote release-evidence/releases/0.1.0/decision.json" in out
    assert "is not signed" in err and "--sign-key" in err  # said when it is written
    commit_all(root, "unsigned decision")
    git(root, "tag", "v0.1.0", decided)
    res = control(root, "release-owner", capsys)
    assert res["status"] == "fail"
    assert f"v0.1.0: {DECISION} is not signed" in res["message"]
    assert f"as '{ALICE}'" in res["message"]


def test_fifo_as_a_signature_envelope_never_hangs(
    tmp_path: Path, keys: dict[str, tuple[Path, Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    """A FIFO planted where a decision's envelope goes is a failed control at once, not a
    read that waits for a writer forever."""
    root, _ = project(tmp_path, keys)
    decided = git(root, "rev-parse", "HEAD")
    assert decide(root, capsys, ALICE)[0] == 0
    os.mkfifo(root / DECISION.with_name("decision.dsse.json"))
    commit_all(root, "a fifo for a signature")
    git(root, "tag", "v0.1.0", decided)
    res = control(root, "release-owner", capsys)
    assert res["status"] == "fail" and "cannot read it" in res["message"], res["message"]


def test_without_keys_nothing_changes(
    tmp_path: Path, keys: dict[str, tuple[Path, Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = project(tmp_path, None)
    code, _, err = decide(root, capsys, ALICE)
    assert code == 0 and err == ""
    assert not (root / envelope_path(DECISION)).exists()
    commit_all(root, "decision")
    git(root, "tag", "v0.1.0", "HEAD~1")
    assert control(root, "release-owner", capsys)["status"] == "pass"


def test_record_signed_by_wrong_owner_fails(
    tmp_path: Path, keys: dict[str, tuple[Path, Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = project(tmp_path, keys)
    # decide refuses another person's key before writing anything
    code, _, err = decide(root, capsys, ALICE, "--sign-key", str(keys[BOB][0]))
    assert code == 2 and err.count("\n") == 1
    assert f"--sign-key: {keys[BOB][0]} is '{BOB}'s key" in err
    assert f"must be signed by '{ALICE}'" in err
    assert not (root / DECISION).exists()
    # a record that names alice, with an envelope bob signed over its exact bytes
    cut(root, capsys, ALICE)
    forged = sign_envelope((root / DECISION).read_bytes(), keys[BOB][0], RECORD_PAYLOAD_TYPE)
    (root / envelope_path(DECISION)).write_text(json.dumps(forged))
    res = control(root, "release-owner", capsys)
    assert res["status"] == "fail"
    assert f"{DECISION} is signed by '{BOB}', but must be signed by '{ALICE}'" in res["message"]
    # a key nobody lists
    private, _ = keypair(tmp_path, "stranger")
    code, _, err = decide(root, capsys, ALICE, "--sign-key", str(private))
    assert code == 2 and "is not a key listed in [signing.keys]" in err
    forged = sign_envelope((root / DECISION).read_bytes(), private, RECORD_PAYLOAD_TYPE)
    (root / envelope_path(DECISION)).write_text(json.dumps(forged))
    res = control(root, "release-owner", capsys)
    assert res["status"] == "fail"
    assert f"is not signed by '{ALICE}' (no signature in it verifies" in res["message"]


def test_tampered_signed_record_fails(
    tmp_path: Path, keys: dict[str, tuple[Path, Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = project(tmp_path, keys)
    cut(root, capsys, ALICE, "--sign-key", str(keys[ALICE][0]))
    record = root / DECISION
    original = record.read_bytes()
    doc = json.loads(original)
    doc["override_reason"] = None  # hide that the go had no preflight
    record.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    res = control(root, "release-owner", capsys)
    assert res["status"] == "fail"
    assert f"{DECISION} was changed after '{ALICE}' signed it (tampered" in res["message"]
    record.write_bytes(original + b"\n")  # one byte is enough
    assert "tampered" in control(root, "release-owner", capsys)["message"]
    record.write_bytes(original)
    assert control(root, "release-owner", capsys)["status"] == "pass"
    # the envelope's payload swapped for the tampered record: the signature breaks
    env = root / envelope_path(DECISION)
    envelope = json.loads(env.read_text())
    envelope["payload"] = base64.b64encode(original.replace(b"alice", b"al1ce")).decode()
    env.write_text(json.dumps(envelope))
    res = control(root, "release-owner", capsys)
    assert res["status"] == "fail" and "is not signed by" in res["message"]


def test_a_decision_recorded_again_without_a_key_drops_the_old_signature(
    tmp_path: Path, keys: dict[str, tuple[Path, Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = project(tmp_path, keys)
    assert decide(root, capsys, ALICE, "--sign-key", str(keys[ALICE][0]))[0] == 0
    assert (root / envelope_path(DECISION)).is_file()
    assert decide(root, capsys, ALICE)[0] == 0
    assert not (root / envelope_path(DECISION)).exists()  # it signed the superseded bytes


# ---- kpi review -------------------------------------------------------------------------------


def minutes_ago(n: int) -> datetime:
    return (datetime.now(UTC) - timedelta(minutes=n)).replace(microsecond=0)


def review(
    root: Path, capsys: pytest.CaptureFixture[str], reviewer: str, *args: str, when: datetime
) -> tuple[int, str, str]:
    now = when.isoformat().replace("+00:00", "Z")
    return main(root, "kpi", "review", "--reviewer", reviewer, "--now", now, *args, capsys=capsys)


def review_path(root: Path, when: datetime) -> Path:
    return root / "release-evidence/kpi-reviews" / f"{when.strftime('%Y%m%dT%H%M%SZ')}.json"


def test_kpi_review_signed_by_its_reviewer_verifies(
    tmp_path: Path, keys: dict[str, tuple[Path, Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = project(tmp_path, keys)
    first, second = minutes_ago(2), minutes_ago(1)
    code, out, err = review(root, capsys, CAROL, "--sign-key", str(keys[CAROL][0]), when=first)
    assert code == 0, err
    signed = envelope_path(review_path(root, first)).relative_to(root)
    assert f"and its signature {signed}" in out
    res = control(root, "weekly-kpi-review", capsys)
    assert res["status"] == "pass", res  # the envelope beside it is not read as a review
    assert CAROL in res["message"]

    # a newer review, unsigned: the newest is what the control rests on
    assert review(root, capsys, CAROL, when=second)[0] == 0
    res = control(root, "weekly-kpi-review", capsys)
    assert res["status"] == "fail"
    newest = review_path(root, second).relative_to(root)
    assert f"the newest KPI review: {newest} is not signed" in res["message"]


def test_kpi_review_signed_by_another_reviewer_fails(
    tmp_path: Path, keys: dict[str, tuple[Path, Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = project(tmp_path, keys)
    when = minutes_ago(1)
    code, _, err = review(root, capsys, CAROL, "--sign-key", str(keys[ALICE][0]), when=when)
    assert code == 2 and f"is '{ALICE}'s key" in err and f"signed by '{CAROL}'" in err
    assert review(root, capsys, CAROL, when=when)[0] == 0
    rec = review_path(root, when)
    forged = sign_envelope(rec.read_bytes(), keys[ALICE][0], RECORD_PAYLOAD_TYPE)
    envelope_path(rec).write_text(json.dumps(forged))
    res = control(root, "weekly-kpi-review", capsys)
    assert res["status"] == "fail"
    assert f"is signed by '{ALICE}', but must be signed by '{CAROL}'" in res["message"]


# ---- release checklist ------------------------------------------------------------------------


@pytest.mark.e2e
def test_signed_checklist_verifies_and_needs_a_signed_decision(
    tmp_path: Path, keys: dict[str, tuple[Path, Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = project(tmp_path, keys)
    run_id = new_run_id()
    code, _, err = main(
        root, "gate", "fast", "--format", "json", "--run-id", run_id, "--lane", "audit", "-q",
        capsys=capsys,
    )  # fmt: skip
    assert code == 0, err
    decided = git(root, "rev-parse", "HEAD")
    assert decide(root, capsys, ALICE)[0] == 0
    code, out, err = main(root, "release", "checklist", "--version", "0.1.0", capsys=capsys)
    assert code == 1 and "decision: " in err and "is not signed" in err  # an unsigned go
    assert decide(root, capsys, ALICE, "--sign-key", str(keys[ALICE][0]))[0] == 0
    # any release owner may sign the checklist; a KPI reviewer may not
    code, _, err = main(
        root, "release", "checklist", "--version", "0.1.0", "--sign-key", str(keys[CAROL][0]),
        capsys=capsys,
    )  # fmt: skip
    assert code == 2 and "must be signed by a release owner" in err
    assert not (root / CHECKLIST).exists()
    code, out, err = main(
        root, "release", "checklist", "--version", "0.1.0", "--sign-key", str(keys[BOB][0]),
        capsys=capsys,
    )  # fmt: skip
    assert code == 0, err
    assert "2/2 items done" in out and "checklist.dsse.json" in out
    # the frozen copy of the decision keeps the owner's signature
    copy = root / CHECKLIST.parent / "evidence" / "decision.json"
    assert verify(load_config(root / "lanes.toml"), copy, (ALICE,)) is None
    assert envelope_path(copy).read_bytes() == (root / envelope_path(DECISION)).read_bytes()
    commit_all(root, "release 0.1.0: evidence")
    git(root, "tag", "v0.1.0", decided)
    res = control(root, "release-checklist-evidence", capsys)
    assert res["status"] == "pass", res

    checklist = root / CHECKLIST
    original = checklist.read_bytes()
    checklist.write_bytes(original.replace(b'"done": true', b'"done":  true', 1))
    res = control(root, "release-checklist-evidence", capsys)
    assert res["status"] == "fail"
    assert f"v0.1.0: {CHECKLIST} was changed after '{BOB}' signed it" in res["message"]
    checklist.write_bytes(original)
    envelope_path(checklist).unlink()
    res = control(root, "release-checklist-evidence", capsys)
    assert res["status"] == "fail" and f"{CHECKLIST} is not signed" in res["message"]


# ---- lanes.toml -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("keys/missing.pub", "no public key file keys/missing.pub in the repository"),
        ("../alice.pub", "must be a path inside the repository, not '../alice.pub'"),
        ("keys/private.pem", "is a private key: list the public one"),
        ("README.md", "README.md is not a PEM public key (make one: `openssl genpkey"),
        ("keys/rsa.pub", "not an ed25519 key (RSAPublicKey)"),
        ("keys/bob.pub", "keys/bob.pub is the same key as"),
        ("keys", "no public key file keys in the repository"),
        ("keys/fifo.pub", "no public key file keys/fifo.pub in the repository"),  # no hang
        ("keys/outside.pub", "must be a path inside the repository, not 'keys/outside.pub'"),
    ],
)
def test_bad_key_path_in_lanes_toml_is_a_config_error(
    tmp_path: Path,
    keys: dict[str, tuple[Path, Path]],
    capsys: pytest.CaptureFixture[str],
    value: str,
    needle: str,
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    root, path = project(tmp_path, {BOB: keys[BOB]})
    shutil.copy(keys[ALICE][0], root / "keys" / "private.pem")
    rsa_pub = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    (root / "keys" / "rsa.pub").write_bytes(
        rsa_pub.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    os.mkfifo(root / "keys" / "fifo.pub")
    (root / "keys" / "outside.pub").symlink_to(keys[ALICE][1])  # a public key, out of the repo
    bob = f'"{BOB}" = "keys/bob.pub"\n'
    path.write_text(path.read_text().replace(bob, f'{bob}"{ALICE}" = "{value}"\n'))
    line = path.read_text().splitlines().index(f'"{ALICE}" = "{value}"') + 1
    code, _, err = main(root, "lanes", "validate", capsys=capsys)
    assert code == 2
    assert err.count("\n") == 1, err
    assert f"lanes.toml:{line}: signing.keys.{ALICE}: " in err
    assert needle in err


def test_a_signer_who_is_neither_owner_nor_reviewer_is_a_config_error(
    tmp_path: Path, keys: dict[str, tuple[Path, Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, path = project(tmp_path, keys)
    path.write_text(path.read_text().replace(f'"{BOB}" = ', '"bob@example.com" = '))
    code, _, err = main(root, "lanes", "validate", capsys=capsys)
    assert code == 2 and err.count("\n") == 1
    assert "signing.keys.bob@example.com: 'bob@example.com' is neither a release owner" in err
    assert f"did you mean '{BOB}'" in err
    path.write_text(
        path.read_text().replace("[signing.keys]", "[signing]\nkey = 1\n\n[signing.keys]")
    )
    code, _, err = main(root, "lanes", "validate", capsys=capsys)
    assert code == 2 and "signing.key: unknown key (did you mean 'keys'?)" in err


# ---- without the sign extra -------------------------------------------------------------------


def test_without_the_sign_extra_signed_controls_exit_3_with_the_install_line(
    tmp_path: Path, keys: dict[str, tuple[Path, Path]]
) -> None:
    root, _ = project(tmp_path, keys)
    hide = tmp_path / "hide"
    (hide / "cryptography").mkdir(parents=True)
    (hide / "cryptography" / "__init__.py").write_text("raise ImportError('hidden')\n")
    env = {**os.environ, "PYTHONPATH": str(hide)}
    r = run_cli(root, "lanes", "validate", env=env)  # the config still loads
    assert r.returncode == 0, r.stderr
    r = run_cli(
        root, "release", "decide", "--version", "0.1.0", "--decision", "no-go", "--owner",
        ALICE, "--sign-key", str(keys[ALICE][0]), env=env,
    )  # fmt: skip
    assert r.returncode == 3 and r.stderr.strip() == f"lane-tasks: error: {HINT}"
    assert not (root / DECISION).exists()
    r = run_cli(root, "controls", "verify", "--lane", "audit", env=env)
    assert r.returncode == 3 and r.stderr.strip() == f"lane-tasks: error: {HINT}"


def test_quickstarts_sign_once_keys_are_listed(
    tmp_path: Path, keys: dict[str, tuple[Path, Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = project(tmp_path, keys)
    assert main(root, "lanes", "docs", "--out-dir", "docs", capsys=capsys)[0] == 0
    owner = (root / "docs" / "quickstart" / "release-owner.md").read_text()
    decide_line = "lane-tasks release decide --version X --decision go --owner NAME --reason TEXT"
    assert f"{decide_line} --sign-key KEY" in owner
    assert "lane-tasks release checklist --version X --sign-key KEY" in owner
    assert f"`[signing.keys]` (`{ALICE}`, `{BOB}`, `{CAROL}`)" in owner
    assert "openssl genpkey -algorithm ed25519" in owner
    kpi = (root / "docs" / "quickstart" / "kpi-reviewer.md").read_text()
    assert "--notes TEXT --sign-key KEY" in kpi
    # and the commands the pages name exist: drift check reads them
    _, out, _ = main(root, "drift", "check", "--format", "json", capsys=capsys)
    docs = next(r for r in json.loads(out)["results"] if r["id"] == "docs")
    assert docs["status"] == "pass", docs
