"""A fresh virtual environment that needs no download: what is installed into it comes first,
and everything else (a wheel's dependencies, pytest) comes from the environment lane-tasks runs
in, read through one `.pth` line per site directory.

A line naming a directory adds it to `sys.path` after the venv's own site-packages, and the
`.pth` files inside that directory are not run: an editable install of the project in the
outer environment (a `.pth` hook or path) cannot shadow the wheel installed here.
"""

from __future__ import annotations

import sys
import sysconfig
import venv
from pathlib import Path

__all__ = ["OUTER_PTH", "env_paths", "outer_sites", "seeing_venv"]

OUTER_PTH = "_lane_tasks_outer_environment.pth"
"""The file in the new venv's site-packages that names the outer environment's."""


def outer_sites() -> tuple[str, ...]:
    """The site directories lane-tasks' own imports come from, in sys.path order."""
    sites = [p for p in sys.path if Path(p).name in ("site-packages", "dist-packages")]
    return tuple(dict.fromkeys(sites))


def env_paths(env: Path) -> dict[str, str]:
    """Where things go in the virtual environment at `env` (purelib, scripts, include …)."""
    return sysconfig.get_paths(
        scheme="venv" if "venv" in sysconfig.get_scheme_names() else "posix_prefix",
        vars={"base": str(env), "platbase": str(env)},
    )


def seeing_venv(path: Path) -> Path:
    """Create a virtual environment at `path` (no pip in it) that sees the outer environment's
    packages after its own; answers its interpreter."""
    venv.EnvBuilder(with_pip=False, symlinks=True, clear=True).create(path)
    paths = env_paths(path)
    for key in dict.fromkeys(("purelib", "platlib")):
        site = Path(paths[key])
        site.mkdir(parents=True, exist_ok=True)
        (site / OUTER_PTH).write_text("".join(f"{s}\n" for s in outer_sites()), encoding="utf-8")
    return path / "bin" / "python"
