"""The sbom control (lane_tasks.controls.sbom): the SBOM a lane's gate release kept
(tests/steps/test_release_sbom.py) holds the preflight's version and each file's sha256.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomli_w
from helpers import commit_all, make_project, run_cli

from lane_tasks.evidence.artifacts import sha256_file
from lane_tasks.evidence.store import new_run_id


def sbom_lane(tmp_path: Path) -> tuple[Path, str]:
    """A project whose lane runs gate release and verifies the sbom control; one run of it."""
    root = make_project(tmp_path)
    data = {
        "project": {"release_owners": ["lead@example.org"], "artifacts_dir": "build"},
        "lanes": {"audit": {"steps": ["gate-release"], "controls": ["sbom"]}},
        "gate": {
            "release": {"offline": True, "disable": {"gate-fast-evidence": "no gate fast here"}}
        },
    }
    (root / "lanes.toml").write_text(tomli_w.dumps(data))
    commit_all(root, "lanes")
    run_id = new_run_id()
    r = run_cli(root, "gate", "release", "--offline", "--format", "json", "-q",
                "--run-id", run_id, "--lane", "audit")  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    return root, run_id


def sbom_control(root: Path, run_id: str) -> dict[str, str]:
    r = run_cli(root, "controls", "verify", "--lane", "audit", "--format", "json",
                "--run-id", run_id)  # fmt: skip
    assert "Traceback" not in r.stderr, r.stderr
    (result,) = json.loads(r.stdout)["results"]
    return {k: str(v) for k, v in result.items()}


@pytest.mark.e2e
def test_the_sbom_control_reads_what_the_sbom_says(tmp_path: Path) -> None:
    root, run_id = sbom_lane(tmp_path)
    result = sbom_control(root, run_id)
    assert result["status"] == "pass", result
    assert result["message"].startswith("CycloneDX 1.6 SBOM of sample 0.1.0 names sample-0.1.0")

    # a forged SBOM whose manifest entry is forged along with it: the digests it carries are
    # not those of the files the preflight built
    run = root / "build" / "lanes" / "runs" / run_id
    kept = run / "gate-release" / "sbom.cdx.json"
    doc = json.loads(kept.read_text(encoding="utf-8"))
    for c in doc["components"]:
        if c["type"] == "file":
            c["hashes"] = [{"alg": "SHA-256", "content": "0" * 64}]
    kept.write_text(json.dumps(doc), encoding="utf-8")
    manifest_path = run / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    for a in manifest["artifacts"]:
        if a["path"] == "gate-release/sbom.cdx.json":
            a["sha256"] = sha256_file(kept)
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    result = sbom_control(root, run_id)
    assert result["status"] == "fail", result
    assert "does not carry the sha256 of sample-0.1.0" in result["message"]
