"""The contract index of real runs: real steps, real run store, real git, real signatures.

One real project with one real run (gate fast, gate release with its dists, doctor) is made per
test worker and copied into each test, which then builds, tampers with and verifies its index
(templates: the project, its run, the run with its index built, and with its index signed).
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from helpers import (
    REPO_ROOT,
    Templates,
    commit_all,
    git,
    keypair,
    make_project,
    run_cli,
    run_nox,
    validate_artifact,
)

from lane_tasks.evidence.store import new_run_id

FAST_CHECK = {"smoke": {"cmd": ["{python}", "-c", "pass"], "owner": "qa"}}
LANE = "base"
STEPS = ["gate-fast", "gate-release", "doctor", "contract-index"]


def lanes_project(tmp_path: Path) -> Path:
    """A real project whose lanes.toml has a quick gate and a lane ending in contract-index."""
    root = make_project(tmp_path)
    set_lanes(root, {LANE: {"steps": STEPS, "controls": ["artifact-retention"]}})
    return root


def set_lanes(root: Path, lanes: dict[str, Any]) -> None:
    """lanes.toml with the quick gate and `lanes`, committed."""
    data = {
        "project": {"release_owners": ["lead@example.org"], "artifacts_dir": "build"},
        "lanes": lanes,
        "gate": {"fast": {"checks": FAST_CHECK}, "release": {"offline": True}},
    }
    (root / "lanes.toml").write_text(tomli_w.dumps(data))
    commit_all(root, "lanes")


def step(root: Path, run_id: str, *args: str) -> None:
    r = run_cli(root, *args, "--format", "json", "--run-id", run_id, "--lane", LANE, "-q")
    assert r.returncode in (0, 1), r.stderr


def _base_run(d: Path, templates: Templates) -> tuple[Path, str]:
    """A copy of the `lanes_project` template and a run with three artifacts and two release
    dists."""
    root = templates.copy("contract-index-project", lanes_project, d)
    run_id = new_run_id()
    step(root, run_id, "gate", "fast", "--stable-json")
    step(root, run_id, "gate", "release")
    step(root, run_id, "doctor")
    return root, run_id


def _indexed(d: Path, templates: Templates) -> tuple[Path, str]:
    """The base run with its index built (`build`, no key)."""
    root, run_id = templates.copy("contract-index-run", lambda t: _base_run(t, templates), d)
    code, err = build(root)
    assert code == 0, err
    return root, run_id


def _signed(d: Path, templates: Templates) -> tuple[Path, str, Path]:
    """The base run with its index built and signed by a new key (beside the project); the
    public key's path."""
    root, run_id = templates.copy("contract-index-run", lambda t: _base_run(t, templates), d)
    private, public = keypair(d, "release")
    code, err = build(root, "--sign-key", str(private))
    assert code == 0, err
    return root, run_id, public


@pytest.fixture
def fresh(templates: Templates, tmp_path: Path) -> Path:
    """A private copy of the `lanes_project` project, before any run."""
    return templates.copy("contract-index-project", lanes_project, tmp_path)


@pytest.fixture
def project(templates: Templates, tmp_path: Path) -> tuple[Path, str]:
    """A private copy of the base run's project, free to tamper with."""
    return templates.copy("contract-index-run", lambda d: _base_run(d, templates), tmp_path)


@pytest.fixture
def indexed(templates: Templates, tmp_path: Path) -> tuple[Path, str]:
    """A private copy of the base run's project with its index built."""
    return templates.copy("contract-index-indexed", lambda d: _indexed(d, templates), tmp_path)


def build(root: Path, *args: str, out: str = "build/contract-index.json") -> tuple[int, str]:
    r = run_cli(
        root, "contract-index", "--format", "json", "--stable-json", "--out", out, "-q", *args
    )
    assert "Traceback" not in r.stderr, r.stderr
    return r.returncode, r.stderr


def index_doc(root: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((root / "build" / "contract-index.json").read_text())
    return doc


def verify(root: Path, *args: str) -> tuple[int, dict[str, Any]]:
    r = run_cli(root, "contract-index", "verify", "--format", "json", *args)
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode in (0, 1), r.stderr
    report: dict[str, Any] = json.loads(r.stdout)
    assert (r.returncode == 0) == (report["status"] == "pass")
    return r.returncode, report


def run_files(root: Path, run_id: str) -> Path:
    return root / "build" / "lanes" / "runs" / run_id


# ---- building -------------------------------------------------------------------------------


@pytest.mark.e2e
def test_index_lists_every_artifact_and_dist_and_is_byte_identical(
    project: tuple[Path, str],
) -> None:
    root, run_id = project
    code, err = build(root)
    assert code == 0, err
    first = (root / "build" / "contract-index.json").read_bytes()
    first_statement = (root / "build" / "contract-index.intoto.json").read_bytes()
    assert build(root)[0] == 0
    assert (root / "build" / "contract-index.json").read_bytes() == first
    assert (root / "build" / "contract-index.intoto.json").read_bytes() == first_statement

    doc = index_doc(root)
    validate_artifact(doc)
    assert doc["status"] == "pass"
    assert doc["indexed_run"] == run_id
    assert "run" not in doc and b"started_at" not in first
    head = git(root, "rev-parse", "HEAD")
    paths = [e["path"] for e in doc["entries"]]
    assert paths == sorted(paths)
    assert [r["id"] for r in doc["results"]] == paths
    by_path = {e["path"]: e for e in doc["entries"]}
    prefix = f"build/lanes/runs/{run_id}"
    artifacts = {
        f"{prefix}/gate-fast.json": ("lane-tasks/gate-fast", "gate-fast"),
        f"{prefix}/release-preflight.json": ("lane-tasks/gate-release", "gate-release"),
        f"{prefix}/doctor.json": ("lane-tasks/doctor", "doctor"),
    }
    for path, (schema, producer) in artifacts.items():
        e = by_path[path]
        data = (root / path).read_bytes()
        assert e["kind"] == "artifact"
        assert (e["schema"], e["schema_version"], e["step"]) == (schema, "1.0", producer)
        assert (e["lane"], e["commit"]) == (LANE, head)
        assert e["sha256"] == hashlib.sha256(data).hexdigest()
        assert e["size"] == len(data)
    dists = [e for e in doc["entries"] if e["kind"] == "dist"]
    assert sorted(Path(e["path"]).suffix for e in dists) == [".gz", ".whl"]
    for e in dists:
        assert e["path"].startswith("build/dist/")
        assert (e["schema"], e["schema_version"]) == (None, None)
        assert (e["step"], e["lane"], e["commit"]) == ("gate-release", LANE, head)
        assert e["sha256"] == hashlib.sha256((root / e["path"]).read_bytes()).hexdigest()
    # gate fast keeps each check's log beside its artifact: indexed with its bytes, no schema
    log = by_path[f"{prefix}/gate-fast/smoke.log"]
    assert (log["kind"], log["schema"], log["step"]) == ("artifact", None, "gate-fast")
    assert log["sha256"] == hashlib.sha256((root / log["path"]).read_bytes()).hexdigest()
    # and gate release keeps its SBOM there: indexed (and signed with the index) the same way
    sbom = by_path[f"{prefix}/gate-release/sbom.cdx.json"]
    assert (sbom["kind"], sbom["schema"], sbom["step"]) == ("artifact", None, "gate-release")
    assert sbom["sha256"] == hashlib.sha256((root / sbom["path"]).read_bytes()).hexdigest()
    assert len(doc["entries"]) == 7  # manifest.json is never indexed


@pytest.mark.e2e
def test_every_referenced_schema_is_listed_with_its_sha256(indexed: tuple[Path, str]) -> None:
    root, _ = indexed
    doc = index_doc(root)
    wanted = {e["schema"] for e in doc["entries"] if e["schema"]} | {"lane-tasks/contract-index"}
    assert [s["id"] for s in doc["schemas"]] == sorted(wanted)
    for s in doc["schemas"]:
        kind = s["id"].removeprefix("lane-tasks/")
        assert s["version"] == "1.0"
        assert s["path"] == f"lane_tasks/schemas/{kind}-1.0.json"
        shipped = (REPO_ROOT / s["path"]).read_bytes()
        assert s["sha256"] == hashlib.sha256(shipped).hexdigest()


@pytest.mark.e2e
def test_in_toto_statement_is_valid_v1_with_the_right_subjects(indexed: tuple[Path, str]) -> None:
    from google.protobuf import json_format
    from in_toto_attestation.v1.statement import Statement
    from in_toto_attestation.v1.statement_pb2 import Statement as StatementPb

    root, _ = indexed
    text = (root / "build" / "contract-index.intoto.json").read_text()
    st = json.loads(text)
    assert st["_type"] == "https://in-toto.io/Statement/v1"
    assert st["predicateType"] == "urn:lane-tasks:predicate:contract-index:1.0"
    doc = index_doc(root)
    assert st["predicate"] == doc
    assert [s["name"] for s in st["subject"]] == [e["path"] for e in doc["entries"]]
    for s in st["subject"]:
        assert s["digest"] == {
            "sha256": hashlib.sha256((root / s["name"]).read_bytes()).hexdigest()
        }
    # in-toto's own bindings parse it strictly (unknown fields are errors) and validate it
    pb = json_format.Parse(text, StatementPb())
    Statement.copy_from_pb(pb).validate()
    assert pb.type == st["_type"]
    assert {s.name: s.digest["sha256"] for s in pb.subject} == {
        e["path"]: e["sha256"] for e in doc["entries"]
    }


@pytest.mark.e2e
def test_statement_predicate_is_stable_even_without_stable_json(
    project: tuple[Path, str],
) -> None:
    root, _ = project
    r = run_cli(root, "contract-index", "--format", "json", "--out", "build/contract-index.json")
    assert r.returncode == 0, r.stderr
    assert "run" in index_doc(root)  # the index itself follows --stable-json, like every step
    st = json.loads((root / "build" / "contract-index.intoto.json").read_text())
    assert "run" not in st["predicate"]
    assert verify(root)[0] == 0


@pytest.mark.e2e
def test_index_without_out_prints_the_document_and_writes_it_where_the_lane_does(
    project: tuple[Path, str],
) -> None:
    root, run_id = project
    r = run_cli(root, "contract-index", "--format", "json", "--stable-json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["indexed_run"] == run_id
    written = json.loads((root / "build" / "contract-index.json").read_text())
    assert written == json.loads(r.stdout)
    assert (root / "build" / "contract-index.intoto.json").is_file()
    code, report = verify(root)
    assert code == 0, report
    assert report["index"] == "build/contract-index.json"
    # verify falls back to the statement, whose predicate is the whole index
    (root / "build" / "contract-index.json").unlink()
    code, report = verify(root)
    assert code == 0, report
    assert report["index"] == "build/contract-index.intoto.json"


def test_no_run_is_a_clear_failure(fresh: Path) -> None:
    root = fresh
    code, _ = build(root)
    assert code == 1
    doc = index_doc(root)
    validate_artifact(doc)
    assert doc["status"] == "fail"
    assert doc["indexed_run"] is None and doc["entries"] == []
    (res,) = doc["results"]
    assert res["status"] == "fail"
    assert "no run with artifacts in build/lanes/runs" in res["message"]
    assert res["fix"]
    assert not (root / "build" / "contract-index.intoto.json").exists()
    r = run_cli(root, "contract-index")
    assert r.returncode == 1
    assert "no run with artifacts" in r.stdout


@pytest.mark.e2e
def test_a_lanes_own_empty_run_is_never_swapped_for_another(project: tuple[Path, str]) -> None:
    root, _ = project
    other = new_run_id()
    r = run_cli(root, "contract-index", "--format", "json", "--run-id", other, "--lane", LANE)
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["indexed_run"] is None
    assert f"run {other} of lane {LANE} has no artifacts" in doc["results"][0]["message"]


@pytest.mark.e2e
def test_broken_run_evidence_fails_the_index(project: tuple[Path, str]) -> None:
    root, run_id = project
    d = run_files(root, run_id)
    (d / "stray.json").write_text("{}")
    p = d / "doctor.json"
    p.write_text(p.read_text().replace('"doctor"', '"doctor" ', 1))
    code, _ = build(root)
    assert code == 1
    doc = index_doc(root)
    validate_artifact(doc)
    res = {r["id"]: r for r in doc["results"]}
    stray = res[f"build/lanes/runs/{run_id}/stray.json"]
    assert stray["status"] == "fail"
    assert "not recorded in the run's manifest.json" in stray["message"]
    assert "no 'schema' field" in stray["message"]
    assert (
        "changed since the run recorded it"
        in res[f"build/lanes/runs/{run_id}/doctor.json"]["message"]
    )
    assert res[f"build/lanes/runs/{run_id}/gate-fast.json"]["status"] == "pass"
    # a failed index is never attested, and a stale attestation is removed
    assert not (root / "build" / "contract-index.intoto.json").exists()
    code, report = verify(root)
    assert code == 1
    assert "the index itself did not pass (status fail)" in report["problems"]


# ---- verify ---------------------------------------------------------------------------------


@pytest.mark.e2e
def test_verify_passes_on_an_intact_run(indexed: tuple[Path, str]) -> None:
    root, run_id = indexed
    r = run_cli(root, "contract-index", "verify")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith(
        f"contract-index verify build/contract-index.json (run {run_id}): PASS"
    )
    code, report = verify(root)
    assert code == 0
    assert report["checked"] == 7  # 3 artifacts, 2 dists, gate fast's log, gate release's SBOM
    assert report["missing"] == report["modified"] == report["unexpected"] == []
    assert report["signature"] == "not checked"


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("tamper", "category", "name"),
    [
        ("modify", "modified", "gate-fast.json"),
        ("delete", "missing", "doctor.json"),
        ("add", "unexpected", "extra.json"),
        ("modify-dist", "modified", ".whl"),
        ("add-dist", "unexpected", "build/dist/evil-0.1.0.tar.gz"),
        ("delete-dist", "missing", ".tar.gz"),
    ],
)
def test_verify_names_each_tampered_file(
    indexed: tuple[Path, str], tamper: str, category: str, name: str
) -> None:
    root, run_id = indexed
    d = run_files(root, run_id)
    dist = root / "build" / "dist"
    if tamper == "modify":
        p = d / "gate-fast.json"
        p.write_bytes(p.read_bytes().replace(b'"pass"', b'"fail"', 1))
    elif tamper == "delete":
        (d / "doctor.json").unlink()
    elif tamper == "add":
        (d / "extra.json").write_text("{}\n")
    elif tamper == "modify-dist":
        (wheel,) = dist.glob("*.whl")
        data = bytearray(wheel.read_bytes())
        data[-1] ^= 1  # one byte
        wheel.write_bytes(bytes(data))
    elif tamper == "add-dist":
        (dist / "evil-0.1.0.tar.gz").write_bytes(b"not ours")
    else:
        next(dist.glob("*.tar.gz")).unlink()
    code, report = verify(root)
    assert code == 1
    found = report[category]
    flat = [f["path"] if isinstance(f, dict) else f for f in found]
    assert len(flat) == 1 and flat[0].endswith(name), report
    others = {"modified", "missing", "unexpected"} - {category}
    assert all(report[c] == [] for c in others), report
    text = run_cli(root, "contract-index", "verify")
    assert text.returncode == 1
    assert f"{category.upper():<10} {flat[0]}" in text.stdout


@pytest.mark.e2e
def test_verify_ignores_what_changes_after_the_index(project: tuple[Path, str]) -> None:
    """manifest.json, controls.json and the index's own run copy are never 'unexpected'."""
    root, run_id = project
    assert build(root, "--run-id", run_id, "--lane", LANE)[0] == 0
    d = run_files(root, run_id)
    assert (d / "contract-index.json").is_file()
    r = run_cli(root, "controls", "verify", "--lane", LANE, "--run-id", run_id, "-q")
    assert (d / "controls.json").is_file(), r.stderr
    assert verify(root)[0] == 0


@pytest.mark.e2e
def test_verify_catches_an_index_edited_to_match(indexed: tuple[Path, str]) -> None:
    """Without a signature an index can be rewritten; the statement beside it still disagrees."""
    root, run_id = indexed
    p = run_files(root, run_id) / "gate-fast.json"
    p.write_bytes(p.read_bytes().replace(b'"pass"', b'"fail"', 1))
    doc = index_doc(root)
    entry = next(e for e in doc["entries"] if e["path"].endswith("gate-fast.json"))
    entry["sha256"] = hashlib.sha256(p.read_bytes()).hexdigest()
    (root / "build" / "contract-index.json").write_text(json.dumps(doc))
    code, report = verify(root)
    assert code == 1
    assert report["modified"] == []
    assert any("predicate is not this index" in x for x in report["problems"]), report


@pytest.mark.e2e
def test_verify_usage_errors_are_one_line(project: tuple[Path, str]) -> None:
    root, _ = project
    r = run_cli(root, "contract-index", "verify")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "no contract index here" in r.stderr
    r = run_cli(root, "contract-index", "verify", "--index", "nope.json")
    assert r.returncode == 2 and "nope.json" in r.stderr
    r = run_cli(root, "contract-index", "verfy")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "did you mean 'verify'" in r.stderr


@pytest.mark.e2e
def test_verify_rejects_something_that_is_not_an_index(project: tuple[Path, str]) -> None:
    root, run_id = project
    target = run_files(root, run_id) / "doctor.json"
    code, report = verify(root, "--index", str(target))
    assert code == 1
    assert "not a valid contract index" in report["problems"][0]
    (root / "junk.json").write_text("{not json")
    code, report = verify(root, "--index", "junk.json")
    assert code == 1 and "not JSON" in report["problems"][0]


# ---- signing --------------------------------------------------------------------------------


def flip_byte(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 1
    path.write_bytes(bytes(data))


@pytest.fixture
def signed(templates: Templates, tmp_path: Path) -> tuple[Path, str, Path]:
    """A private copy of the base run's project with its index built and signed."""
    return templates.copy("contract-index-signed", lambda d: _signed(d, templates), tmp_path)


@pytest.mark.e2e
def test_signed_index_verifies_with_the_public_key(signed: tuple[Path, str, Path]) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        PublicFormat,
        load_pem_public_key,
    )

    from lane_tasks.util.signing import pae

    root, _, public = signed
    envelope = json.loads((root / "build" / "contract-index.dsse.json").read_text())
    statement = (root / "build" / "contract-index.intoto.json").read_bytes()
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    assert base64.b64decode(envelope["payload"]) == statement
    (sig,) = envelope["signatures"]
    key = load_pem_public_key(public.read_bytes())
    assert isinstance(key, Ed25519PublicKey)
    der = key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    assert sig["keyid"] == hashlib.sha256(der).hexdigest()
    # an independent check of the DSSE v1 signature over PAE(type, payload)
    key.verify(base64.b64decode(sig["sig"]), pae(envelope["payloadType"], statement))
    code, report = verify(root, "--public-key", str(public))
    assert code == 0, report
    assert report["signature"] == "verified"


@pytest.mark.e2e
@pytest.mark.parametrize("target", ["statement", "envelope-payload", "artifact"])
def test_one_byte_change_breaks_the_signed_verification(
    signed: tuple[Path, str, Path], target: str
) -> None:
    root, run_id, public = signed
    if target == "statement":
        flip_byte(root / "build" / "contract-index.intoto.json", 200)
    elif target == "artifact":
        flip_byte(run_files(root, run_id) / "doctor.json", 40)
    else:
        env_path = root / "build" / "contract-index.dsse.json"
        envelope = json.loads(env_path.read_text())
        payload = bytearray(base64.b64decode(envelope["payload"]))
        payload[200] ^= 1
        envelope["payload"] = base64.b64encode(bytes(payload)).decode()
        env_path.write_text(json.dumps(envelope))
    code, report = verify(root, "--public-key", str(public))
    assert code == 1
    if target == "artifact":
        assert report["signature"] == "verified"
        assert [m["path"] for m in report["modified"]] == [f"build/lanes/runs/{run_id}/doctor.json"]
    elif target == "statement":
        assert any("not the signed one" in p for p in report["problems"]), report
    else:
        assert report["signature"] == "failed"


@pytest.mark.e2e
def test_another_key_does_not_verify(signed: tuple[Path, str, Path], tmp_path: Path) -> None:
    root, _, _ = signed
    _, stranger = keypair(tmp_path, "stranger")
    code, report = verify(root, "--public-key", str(stranger))
    assert code == 1
    assert report["signature"] == "failed"
    assert any("no signature in the envelope verifies" in p for p in report["problems"])


@pytest.mark.e2e
def test_unsigned_index_fails_a_signature_check(indexed: tuple[Path, str], tmp_path: Path) -> None:
    root, _ = indexed
    _, public = keypair(tmp_path, "k")
    code, report = verify(root, "--public-key", str(public))
    assert code == 1
    assert any("contract-index.dsse.json" in p for p in report["problems"])


@pytest.mark.e2e
def test_bad_keys_are_usage_errors(project: tuple[Path, str], tmp_path: Path) -> None:
    root, _ = project
    (tmp_path / "bad.pem").write_text("not a key\n")
    code, err = build(root, "--sign-key", str(tmp_path / "bad.pem"))
    assert code == 2
    assert err.count("\n") == 1 and "not a PEM private key" in err
    code, err = build(root, "--sign-key", str(tmp_path / "missing.pem"))
    assert code == 2 and "cannot read the key" in err


@pytest.mark.e2e
def test_without_the_sign_extra_the_command_says_how_to_install(
    project: tuple[Path, str], tmp_path: Path
) -> None:
    import os

    root, _ = project
    private, public = keypair(tmp_path, "k")
    hide = tmp_path / "hide"
    (hide / "cryptography").mkdir(parents=True)
    (hide / "cryptography" / "__init__.py").write_text("raise ImportError('hidden')\n")
    env = {**os.environ, "PYTHONPATH": str(hide)}
    hint = "signing needs the 'sign' extra: pip install \"lane-tasks[sign]\""
    r = run_cli(root, "contract-index", "--sign-key", str(private), env=env)
    assert r.returncode == 3
    assert r.stderr.strip() == f"lane-tasks: error: {hint}"
    assert build(root)[0] == 0
    r = run_cli(root, "contract-index", "verify", "--public-key", str(public), env=env)
    assert r.returncode == 3 and hint in r.stderr


# ---- through nox ----------------------------------------------------------------------------


@pytest.mark.e2e
def test_nox_session_indexes_the_newest_run(project: tuple[Path, str]) -> None:
    root, run_id = project
    r = run_nox(root, "-s", "contract-index")
    assert r.returncode == 0, r.stdout + r.stderr
    doc = index_doc(root)
    validate_artifact(doc)
    assert doc["indexed_run"] == run_id
    assert (root / "build" / "contract-index.intoto.json").is_file()
    assert verify(root)[0] == 0


@pytest.mark.e2e
def test_lane_through_nox_indexes_its_own_run(fresh: Path) -> None:
    lanes = {
        "mini": {
            "steps": ["gate-fast", "doctor", "contract-index"],
            "controls": ["artifact-retention"],
        }
    }
    root = fresh
    set_lanes(root, lanes)
    r = run_nox(root, "-s", "mini")
    assert r.returncode == 0, r.stdout + r.stderr
    (run,) = (root / "build" / "lanes" / "runs").iterdir()
    doc = index_doc(root)
    assert doc["indexed_run"] == run.name
    assert doc["lane"] == "mini"
    names = [Path(e["path"]).name for e in doc["entries"]]
    assert names == ["doctor.json", "gate-fast.json", "smoke.log"]  # and gate fast's log
    # the run keeps a byte-identical copy; the lane's controls pass over it
    assert (run / "contract-index.json").read_bytes() == (
        root / "build" / "contract-index.json"
    ).read_bytes()
    assert json.loads((root / "build" / "controls.json").read_text())["status"] == "pass"
    assert verify(root)[0] == 0
