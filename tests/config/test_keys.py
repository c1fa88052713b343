"""The JSON Schema of lanes.toml shipped for editors: generated from the reader's own key
tables, so it accepts what the reader accepts and rejects what it rejects."""

from __future__ import annotations

import copy
import json
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import tomli_w
from helpers import REPO_ROOT, make_project

from lane_tasks.config import parse_config
from lane_tasks.config.keys import SCHEMA_FILE, TABLES
from lane_tasks.config.reader import Reader
from lane_tasks.errors import ConfigError


def _schema() -> dict[str, Any]:
    text = (resources.files("lane_tasks") / "schemas" / SCHEMA_FILE).read_text(encoding="utf-8")
    doc: dict[str, Any] = json.loads(text)
    jsonschema.Draft7Validator.check_schema(doc)
    return doc


def _errors(doc: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(_schema())
    return [e.message for e in validator.iter_errors(doc)]


def _repo_lanes() -> dict[str, Any]:
    return tomllib.loads((REPO_ROOT / "lanes.toml").read_text(encoding="utf-8"))


def test_schema_accepts_this_repositorys_lanes_toml() -> None:
    assert _errors(_repo_lanes()) == []


@pytest.mark.parametrize("lane", ["startup", "regulated"])
def test_schema_accepts_the_lanes_toml_init_writes(tmp_path: Path, lane: str) -> None:
    root = make_project(tmp_path, lane=lane)
    assert _errors(tomllib.loads((root / "lanes.toml").read_text(encoding="utf-8"))) == []


def test_schema_rejects_an_unknown_key_and_a_wrong_type() -> None:
    doc = _repo_lanes()
    doc["runs"] = {"keep": "fifty"}
    doc["gate"]["fast"]["checks"]["lint"] = {"cmdd": ["ruff"]}
    messages = " | ".join(_errors(doc))
    assert "'fifty' is not of type 'integer'" in messages
    assert "'cmdd' was unexpected" in messages
    assert "'cmd' is a required property" in messages


def test_schema_rejects_an_unknown_step_id() -> None:
    """Catalog ids are enums: an editor completes them and flags a typo."""
    doc = _repo_lanes()
    doc["lanes"]["startup"]["steps"] = ["gate-fats"]
    assert any("'gate-fats' is not one of" in m for m in _errors(doc))


def _plant(doc: dict[str, Any], pattern: tuple[str, ...]) -> list[str]:
    """Put an unknown key into the table `pattern` names (a new `zz` where a name is free);
    returns the key path of the planted key, `[]` entries as index 0."""
    node: Any = doc
    path: list[str] = []
    for i, part in enumerate(pattern):
        name = "zz" if part == "*" else part
        if part == "[]":  # one entry, holding only the planted key
            node[:] = [{}]
            node = node[0]
            continue
        last = i == len(pattern) - 1
        is_array = not last and pattern[i + 1] == "[]"
        if is_array:
            node[name] = []
        node = node.setdefault(name, {})
        path.append(name)
    node["zz_unknown"] = "x"
    return path


@pytest.mark.parametrize("pattern", sorted(TABLES), ids=lambda p: ".".join(p) or "top")
def test_every_key_table_is_what_reader_and_schema_both_enforce(pattern: tuple[str, ...]) -> None:
    """A key unknown to a table is refused by the reader and by the schema alike, at every
    table: the reader checks keys against config.keys.TABLES, the schema is generated from
    it, so the two cannot drift apart."""
    doc = copy.deepcopy(_repo_lanes())
    doc.get("deprecations", {}).pop("file", None)
    _plant(doc, pattern)
    assert any("'zz_unknown' was unexpected" in m for m in _errors(doc)), pattern
    with pytest.raises(ConfigError, match=r"zz_unknown: unknown key"):
        parse_config(tomli_w.dumps(doc), REPO_ROOT / "lanes.toml")


def test_every_key_the_reader_accepts_is_in_the_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each unknown-key check the reader runs (on this repository's lanes.toml) allows exactly
    the properties the schema has at that path, in the same order."""
    seen: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    real = Reader.known

    def recording(self: Any, data: Any, key: Any, allowed: Any = None) -> None:
        from lane_tasks.config.keys import allowed_keys

        seen.append((tuple(key), tuple(allowed_keys(key) if allowed is None else allowed)))
        real(self, data, key, allowed)

    monkeypatch.setattr(Reader, "known", recording)
    parse_config((REPO_ROOT / "lanes.toml").read_text(encoding="utf-8"), REPO_ROOT / "lanes.toml")
    assert len({k for k, _ in seen}) >= 15
    schema = _schema()
    for key, allowed in seen:
        node = schema
        for part in key:
            props = node.get("properties", {})
            node = props[part] if part in props else node["additionalProperties"]
        assert tuple(node["properties"]) == allowed, key
