"""check-manifest in an adopted project: the files init writes must not make it fail.

check-manifest compares the files in git with those in the sdist, so once the user commits
lanes.toml (and the compat snapshot, a noxfile init wrote, the evidence records) a project that
runs it fails: "missing from sdist". When the project uses check-manifest (it configures it, or
a pre-commit hook, its noxfile, tox.ini or CI runs it), init adds those files to its `ignore`
list where check-manifest reads it: the first of `[tool.check-manifest]` in pyproject.toml,
`[check-manifest]` in setup.cfg, in tox.ini, the order check-manifest itself looks in; a project
that configures nothing gets a new `[tool.check-manifest]` (or a setup.cfg section when it has
no pyproject.toml). The edit is proven (list_edit) or not made: then init says what to add.
"""

from __future__ import annotations

import configparser
import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lane_tasks.adopt.gate_detect import Project
from lane_tasks.adopt.list_edit import append_ini_lines, append_toml_array, ini_values
from lane_tasks.project.ci_files import find_ci_files

__all__ = ["ManifestEdit", "plan_check_manifest"]

SECTION = "check-manifest"
TABLE = ("tool", SECTION)
_RUNS = re.compile(r"\bcheck[-_]manifest\b")
_INI_FILES = ("setup.cfg", "tox.ini")


@dataclass(frozen=True, kw_only=True)
class ManifestEdit:
    """What init does about check-manifest: a file to write (`text`), or only a line to print
    (what to add by hand when the file cannot be edited provably)."""

    path: Path
    text: str | None
    line: str


def _runs_it(p: Project) -> str | None:
    """Where the project runs check-manifest: a pre-commit hook, or a line that names it in
    its noxfile, tox.ini or CI files (comments aside)."""
    hooks = p.pre_commit_hooks()
    if hooks is not None and SECTION in hooks[1]:
        return f"the {SECTION} hook in {hooks[0]}"
    files = [p.root / "noxfile.py", p.root / "tox.ini", *find_ci_files(p.root)]
    for path in files:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for number, line in enumerate(lines, start=1):
            if not line.lstrip().startswith(("#", ";")) and _RUNS.search(line):
                return f"run in {path.relative_to(p.root).as_posix()}:{number}"
    return None


def _configured(p: Project) -> tuple[str, list[str]] | None:
    """The file check-manifest reads its settings from, and its `ignore` list so far."""
    table = p.tool(SECTION)
    if table is not None:
        have = table.get("ignore", [])
        return "pyproject.toml", [str(v) for v in have] if isinstance(have, list) else []
    for filename in _INI_FILES:
        parser = p.ini(filename)
        if parser is not None and parser.has_section(SECTION):
            try:
                value = parser.get(SECTION, "ignore", fallback="")
            except configparser.Error:
                value = ""
            return filename, ini_values(value)
    return None


def _covered(entry: str, patterns: Sequence[str]) -> bool:
    """Whether check-manifest already ignores `entry` (its patterns match a path or a name)."""
    return any(fnmatch.fnmatchcase(entry, pat) or entry == pat for pat in patterns)


def _where(filename: str) -> str:
    table = f"tool.{SECTION}" if filename == "pyproject.toml" else SECTION
    return f"[{table}] of {filename}"


def plan_check_manifest(
    root: Path, pyproject: Mapping[str, Any], entries: Sequence[str]
) -> ManifestEdit | None:
    """The edit that keeps the project's check-manifest passing once `entries` (paths and
    patterns relative to `root`) are committed; None when the project does not use
    check-manifest or already ignores them all."""
    p = Project(root=root, pyproject=pyproject, sessions=())
    configured = _configured(p)
    runs = _runs_it(p)
    if configured is None and runs is None:
        return None
    if configured is not None:
        filename, have = configured
        why = runs or f"configured in {filename}"
    elif (root / "pyproject.toml").is_file() or not (root / "setup.cfg").is_file():
        filename, have, why = "pyproject.toml", [], str(runs)
    else:
        filename, have, why = "setup.cfg", [], str(runs)
    missing = [e for e in dict.fromkeys(entries) if not _covered(e, have)]
    if not missing:
        return None
    path = root / filename
    shown = ", ".join(f'"{e}"' for e in missing)
    new, cannot = None, f"there is no {filename}"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        pass
    else:
        cannot = f"init could not edit {filename} without changing more of it"
        if filename == "pyproject.toml":
            new = append_toml_array(text, TABLE, "ignore", missing)
        else:
            new = append_ini_lines(text, SECTION, "ignore", missing)
    if new is None:
        line = (
            f"warning: check-manifest ({why}) fails on the files init wrote once they are "
            f"committed: add {shown} to `ignore` in {_where(filename)} ({cannot})"
        )
        return ManifestEdit(path=path, text=None, line=line)
    return ManifestEdit(
        path=path,
        text=new,
        line=f"check-manifest ({why}): {shown} added to `ignore` in {_where(filename)}",
    )
