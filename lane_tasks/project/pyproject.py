"""pyproject.toml: read it, and ask validate-pyproject whether it follows the specifications."""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

__all__ = ["read_pyproject", "validation_problem"]


def read_pyproject(root: Path) -> dict[str, Any]:
    with (root / "pyproject.toml").open("rb") as fh:
        return tomllib.load(fh)


def validation_problem(data: dict[str, Any]) -> str | None:
    """validate-pyproject's one-line summary of what is wrong, or None.

    Its plugins are loaded as its CLI loads them, except a tool's own schema plugin when this
    pyproject.toml has no table for that tool: that schema could only validate the table, and
    loading it imports the tool (black's takes about 0.1 s, in every gate release and doctor).
    """
    from validate_pyproject import api, errors, plugins

    tools = data.get("tool")
    tables = set(tools) if isinstance(tools, dict) else set()

    def wanted(ep: EntryPoint) -> bool:
        return ep.group != "validate_pyproject.tool_schema" or ep.name in tables

    logging.getLogger("validate_pyproject").setLevel(logging.WARNING)  # plugin chatter
    try:
        api.Validator(plugins.list_from_entry_points(wanted))(data)
    except errors.ValidationError as exc:
        summary = getattr(exc, "summary", "") or str(exc)
        return " ".join(str(summary).split())
    return None
