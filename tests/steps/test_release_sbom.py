"""The SBOM gate release writes (lane_tasks.steps.release_sbom): CycloneDX 1.6, validated with
the CycloneDX library's own schema validator, reproducible, kept in the lane's run and indexed
by the contract index. The sbom control that reads it: tests/controls/test_sbom.py."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import tomli_w
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from helpers import commit_all, make_project, release_results, run_cli, set_release
from helpers import replace_in as set_pyproject

from lane_tasks.evidence.artifacts import sha256_file
from lane_tasks.evidence.store import new_run_id
from lane_tasks.steps.release_sbom import sbom_json

METADATA = (
    "Metadata-Version: 2.4\nName: Sample_Pkg\nVersion: 1.2.0\nSummary: A sample.\n"
    "Requires-Dist: packaging>=20\n"
    "Requires-Dist: surely-not-installed-xyz>=1\n"
    'Requires-Dist: pytest; extra == "test"\n'
)
DISTS = [
    {"name": "sample_pkg-1.2.0.tar.gz", "kind": "sdist", "sha256": "a" * 64},
    {"name": "sample_pkg-1.2.0-py3-none-any.whl", "kind": "wheel", "sha256": "b" * 64},
]


def valid(text: str) -> None:
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert error is None, error


def make(**over: object) -> str:
    args: dict[str, object] = {
        "metadata": METADATA,
        "dists": DISTS,
        "build_requires": ["flit_core>=3.12"],
        "backend": "flit_core.buildapi",
        "epoch": 1767225600,
    }
    return sbom_json(**{**args, **over})  # type: ignore[arg-type]


def test_the_sbom_is_valid_cyclonedx_and_says_what_was_built() -> None:
    text = make()
    valid(text)
    doc = json.loads(text)
    assert doc["specVersion"] == "1.6"
    assert doc["metadata"]["component"]["purl"] == "pkg:pypi/sample-pkg@1.2.0"
    assert doc["metadata"]["timestamp"] == "2026-01-01T00:00:00+00:00"
    files = {c["name"]: c for c in doc["components"] if c["type"] == "file"}
    assert files["sample_pkg-1.2.0-py3-none-any.whl"]["hashes"] == [
        {"alg": "SHA-256", "content": "b" * 64}
    ]
    libs = {c["name"]: c for c in doc["components"] if c["type"] == "library"}
    assert "pytest" not in libs  # an extra's requirement is not a dependency of the wheel
    assert libs["packaging"]["version"]  # resolved against this environment
    missing = libs["surely-not-installed-xyz"]
    assert "version" not in missing
    assert {"name": "lane-tasks:resolved", "value": "not installed here"} in missing["properties"]
    tools = {c["name"]: c for c in doc["metadata"]["tools"]["components"]}
    assert {"lane-tasks", "flit-core"} <= set(tools)
    deps = {d["ref"]: d.get("dependsOn", []) for d in doc["dependencies"]}
    project = deps["pkg:pypi/sample-pkg@1.2.0"]
    assert "file:sample_pkg-1.2.0-py3-none-any.whl" in project
    assert libs["packaging"]["bom-ref"] in project


def test_the_same_build_gives_the_same_sbom() -> None:
    assert make() == make()
    other = make(dists=[{**DISTS[0], "sha256": "c" * 64}, DISTS[1]])
    assert json.loads(other)["serialNumber"] != json.loads(make())["serialNumber"]


@pytest.mark.e2e
def test_gate_release_writes_a_valid_sbom_of_the_real_build(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    set_pyproject(
        root, 'requires-python = ">=3.11"', 'requires-python = ">=3.11"\ndependencies = ["rich"]'
    )
    set_release(root)
    code, res = release_results(root)
    assert code == 0, res
    assert res["sbom"]["status"] == "pass", res["sbom"]
    sbom = root / "build" / "sbom.cdx.json"
    text = sbom.read_text(encoding="utf-8")
    valid(text)
    doc = json.loads(text)
    wheel = next((root / "build" / "dist").glob("*.whl"))
    hashes = {
        c["name"]: c["hashes"][0]["content"] for c in doc["components"] if c["type"] == "file"
    }
    assert hashes[wheel.name] == sha256_file(wheel)
    names = {c["name"] for c in doc["components"] if c["type"] == "library"}
    assert {"rich", "markdown-it-py", "pygments"} <= names  # and what rich depends on
    assert res["sbom"]["message"].startswith("CycloneDX 1.6 SBOM of 2 distribution file(s) and ")


@pytest.mark.e2e
def test_a_lane_keeps_the_sbom_in_its_run_and_the_contract_index_lists_it(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    data = {
        "project": {"release_owners": ["lead@example.org"], "artifacts_dir": "build"},
        "lanes": {"audit": {"steps": ["gate-release", "contract-index"], "controls": []}},
        "gate": {
            "release": {"offline": True, "disable": {"gate-fast-evidence": "no gate fast here"}}
        },
    }
    (root / "lanes.toml").write_text(tomli_w.dumps(data))
    commit_all(root, "lanes")
    run_id = new_run_id()
    for step in (["gate", "release", "--offline"], ["contract-index"]):
        r = run_cli(root, *step, "--format", "json", "-q", "--run-id", run_id, "--lane", "audit")
        assert r.returncode == 0, r.stdout + r.stderr
    run = root / "build" / "lanes" / "runs" / run_id
    kept = run / "gate-release" / "sbom.cdx.json"
    valid(kept.read_text(encoding="utf-8"))
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    listed = {a["path"]: a for a in manifest["artifacts"]}
    assert listed["gate-release/sbom.cdx.json"]["sha256"] == sha256_file(kept)
    index = json.loads((root / "build" / "contract-index.json").read_text(encoding="utf-8"))
    entry = next(e for e in index["entries"] if e["path"].endswith("gate-release/sbom.cdx.json"))
    assert entry["sha256"] == sha256_file(kept) and entry["step"] == "gate-release"


def test_writing_the_sbom_logs_nothing_below_warning(caplog: pytest.LogCaptureFixture) -> None:
    """nox shows every logger's DEBUG records, and a lane's steps run in its process: the
    CycloneDX serializer's field-by-field DEBUG lines (hundreds) flooded the lane's output."""
    caplog.set_level(logging.DEBUG)
    make()
    assert [r.name for r in caplog.records if r.levelno < logging.WARNING] == []
