"""lane_tasks: release-confidence lanes for Python projects, driven by lanes.toml and run by nox."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0.dev0"
