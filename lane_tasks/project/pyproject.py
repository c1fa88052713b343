"""pyproject.toml: read it, and ask validate-pyproject whether it follows the specifications."""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path
from typing import Any

__all__ = ["read_pyproject", "validation_problem"]


def read_pyproject(root: Path) -> dict[str, Any]:
    with (root / "pyproject.toml").open("rb") as fh:
        return tomllib.load(fh)


def validation_problem(data: dict[str, Any]) -> str | None:
    """validate-pyproject's one-line summary of what is wrong, or None."""
    from validate_pyproject import api, errors

    logging.getLogger("validate_pyproject").setLevel(logging.WARNING)  # plugin chatter
    try:
        api.Validator()(data)
    except errors.ValidationError as exc:
        summary = getattr(exc, "summary", "") or str(exc)
        return " ".join(str(summary).split())
    return None
