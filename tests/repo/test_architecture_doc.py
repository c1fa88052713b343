"""docs/architecture.md names real things: every module its key table names exists, and the
layer list it draws is the contract's."""

from __future__ import annotations

import importlib.util
import re
import tomllib

from helpers import REPO_ROOT

from lane_tasks.config.keys import PARSERS, TABLES, USES, key_table_markdown


def test_every_module_the_key_table_names_exists() -> None:
    named = {m for use in USES.values() for m in use.used_by} | set(PARSERS.values())
    missing = sorted(m for m in named if importlib.util.find_spec(f"lane_tasks.{m}") is None)
    assert not missing


def test_every_lanes_toml_key_has_a_row() -> None:
    table = key_table_markdown()
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert len(rows) == sum(len(keys) for keys in TABLES.values())


def _first(text: str, name: str) -> int:
    m = re.search(rf"(?<![\w.']){re.escape(name)}(?=[/ ·(])", text)
    return -1 if m is None else m.start()


def test_the_picture_lists_the_contracts_layers_in_order() -> None:
    contract = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    layers = contract["tool"]["importlinter"]["contracts"][0]["layers"]
    tops = [re.split(r"[ :|]+", layer)[0].removeprefix("lane_tasks.") for layer in layers]
    text = (REPO_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    picture = text.split("```\n", 2)[1]
    positions = [_first(picture, top) for top in tops]
    assert -1 not in positions, dict(zip(tops, positions, strict=True))
    assert positions == sorted(positions), dict(zip(tops, positions, strict=True))
