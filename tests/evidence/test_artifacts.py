"""The envelope and the shipped schemas (canonical JSON and atomic writes are
tests/util/test_jsonio.py's, excerpt hygiene tests/util/test_redact.py's)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from helpers import REPO_ROOT

from lane_tasks.evidence.artifacts import Result, envelope, schema_errors

SCHEMA_FILES = sorted((REPO_ROOT / "lane_tasks" / "schemas").glob("*-1.0.json"))  # artifacts


@pytest.mark.e2e
def test_schemas_match_their_generator() -> None:
    r = subprocess.run(
        [sys.executable, str(REPO_ROOT / "tools" / "gen_schemas.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_shipped_schemas_are_valid_draft7(path: Path) -> None:
    schema = json.loads(path.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    kind = path.name.removesuffix("-1.0.json")
    assert schema["properties"]["schema"] == {"const": f"lane-tasks/{kind}"}


def test_schemas_ship_in_the_package() -> None:
    from importlib import resources

    names = {p.name for p in (resources.files("lane_tasks") / "schemas").iterdir()}
    assert {p.name for p in SCHEMA_FILES} <= names


def sample_doc() -> dict[str, object]:
    return envelope(
        kind="gate-fast",
        step="gate-fast",
        lane=None,
        subject={"commit": "a" * 40, "dirty": False},
        status="pass",
        results=[Result(id="x", status="pass", extra={"cmd": ["true"]})],
        stable=True,
        run=None,
    )


def test_envelope_validates_and_schema_errors_catch_breakage() -> None:
    doc = sample_doc()
    assert schema_errors(doc) is None
    broken = dict(doc, status="green")
    problem = schema_errors(broken)
    assert problem and "status" in problem
    assert schema_errors({"schema": "lane-tasks/nope", "schema_version": "1.0"}) == (
        "unknown schema 'lane-tasks/nope'"
    )
    assert schema_errors([1, 2]) == "not a lane-tasks artifact (no 'schema' field)"
    assert "schema_version" in (schema_errors(dict(doc, schema_version="9.9")) or "")
