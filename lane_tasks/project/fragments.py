"""Changelog fragments (towncrier, scriv): which tool a project uses and what is pending.

Such projects write one small file per change and collect them into the changelog when they
cut a release, so between releases the changelog has no section for the coming version, and
that is fine. At a release the section must be there; when it is missing while fragments are
pending, the fix is the tool's own collect command.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.version import Version

__all__ = ["Fragments", "find_fragments"]


@dataclass(frozen=True, kw_only=True)
class Fragments:
    tool: str
    directory: str
    """Repository-relative, POSIX."""
    pending: tuple[str, ...]
    """Fragment file names waiting to be collected."""
    changelog: str | None
    """The changelog file the tool's configuration names (None: its default or ours)."""
    collect: str
    """The command that collects the fragments, with `{version}`."""

    def command(self, version: Version) -> str:
        return self.collect.format(version=version)


_NOT_FRAGMENTS = ("readme", "template", "new_fragment")


_TOWNCRIER_TYPES = frozenset({"feature", "bugfix", "doc", "removal", "misc"})
"""towncrier's default fragment types: a fragment is named `<issue>.<type>[.<n>][.ext]`."""


def _pending(directory: Path, types: frozenset[str] | None = None) -> tuple[str, ...]:
    """Fragment files: not hidden, not the tool's README or templates; with `types`, only the
    files whose name carries one of them (towncrier ignores `README.rst`, `_template.rst`)."""
    if not directory.is_dir():
        return ()
    return tuple(
        sorted(
            p.name
            for p in directory.iterdir()
            if p.is_file()
            and not p.name.startswith((".", "_"))
            and not p.name.lower().startswith(_NOT_FRAGMENTS)
            and (types is None or bool(types & set(p.name.split(".")[1:])))
        )
    )


def _towncrier_types(conf: dict[str, Any]) -> frozenset[str]:
    """The configured types (`[[tool.towncrier.type]] directory`, `[tool.towncrier.fragment.X]`),
    else towncrier's defaults."""
    listed = conf.get("type")
    named = (
        {str(t["directory"]) for t in listed if isinstance(t, dict) and "directory" in t}
        if (isinstance(listed, list))
        else set()
    )
    fragment = conf.get("fragment")
    if isinstance(fragment, dict):
        named |= {str(k) for k in fragment}
    return frozenset(named) or _TOWNCRIER_TYPES


def _name(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _toml_table(path: Path, *keys: str) -> dict[str, Any] | None:
    try:
        data: Any = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else None


def _towncrier(root: Path, pyproject: dict[str, Any]) -> Fragments | None:
    conf = pyproject.get("tool", {}).get("towncrier")
    for name in ("towncrier.toml", ".towncrier.toml"):
        if not isinstance(conf, dict):
            conf = _toml_table(root / name, "tool", "towncrier")
    if not isinstance(conf, dict):
        return None
    # towncrier's own default: <package_dir>/<package>/newsfragments
    package = Path(str(conf.get("package_dir", "."))) / str(conf.get("package", ""))
    default = package / "newsfragments"
    directory = Path(str(conf.get("directory", default)))
    return Fragments(
        tool="towncrier",
        directory=directory.as_posix(),
        pending=_pending(root / directory, _towncrier_types(conf)),
        changelog=_name(conf.get("filename")),
        collect="towncrier build --version {version}",
    )


def _scriv(root: Path, pyproject: dict[str, Any]) -> Fragments | None:
    conf = pyproject.get("tool", {}).get("scriv")
    if not isinstance(conf, dict):
        if not (root / "changelog.d").is_dir():
            return None
        conf = {}
    directory = Path(str(conf.get("fragment_directory", "changelog.d")))
    return Fragments(
        tool="scriv",
        directory=directory.as_posix(),
        pending=_pending(root / directory),
        changelog=_name(conf.get("changelog") or conf.get("output_file")),
        collect="scriv collect --version {version}",
    )


_TOOLS: tuple[Callable[[Path, dict[str, Any]], Fragments | None], ...] = (_towncrier, _scriv)


def find_fragments(root: Path, pyproject: dict[str, Any]) -> Fragments | None:
    """The fragment tool the project configures (towncrier first), or None."""
    for tool in _TOOLS:
        found = tool(root, pyproject)
        if found is not None:
            return found
    return None
