"""Find, read and parse the configuration: lanes.toml, or pyproject.toml's [tool.lane-tasks].

`parse_config` assembles `Config` from one parser per table; `toml()` is the one mapping of
a TOML error to a one-line ConfigError, for lanes.toml and the deprecations file alike.
"""

from __future__ import annotations

import os
import re
import stat
import sys
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

from lane_tasks.config.lines import PYPROJECT, config_table
from lane_tasks.config.model import Config
from lane_tasks.config.own_dirs import check_own_dirs
from lane_tasks.config.reader import Reader
from lane_tasks.config.tables_compat import compat_table, deprecations_table
from lane_tasks.config.tables_drift import drift_table
from lane_tasks.config.tables_gate import (
    check_gate_has_checks,
    gate_fast_table,
    gate_release_table,
)
from lane_tasks.config.tables_governance import (
    check_checklist_steps,
    history_table,
    kpi_table,
    release_table,
    signing_table,
    support_table,
    teams_ownership_tables,
)
from lane_tasks.config.tables_lanes import check_needs, lanes_table
from lane_tasks.config.tables_project import (
    adoption_point,
    default_lane,
    doctor_table,
    nox_table,
    project_table,
    runs_table,
)
from lane_tasks.errors import ConfigError

CONFIG_NAME = "lanes.toml"


def find_config(start: Path | None = None) -> Path:
    """The configuration file, found as ruff finds its own: from `start` (the cwd) upwards, the
    first directory with a lanes.toml, or with a pyproject.toml that has a [tool.lane-tasks]
    table, wins. In one directory lanes.toml comes first (as ruff.toml beats pyproject.toml);
    a [tool.lane-tasks] beside it is then ignored with a warning on stderr.

    Unlike ruff, the search stops at the top of the git work tree (the directory holding
    `.git`): a file above it belongs to another project (a home directory, a parent checkout),
    and using it would run that project's commands and clear its artifacts directory."""
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        found = config_in(d)
        if found is not None:
            return found
        if os.path.lexists(d / ".git"):
            raise ConfigError(
                f"no {CONFIG_NAME} (or pyproject.toml with [tool.lane-tasks]) in {here} or its "
                f"parents up to the git repository root {d} (run `lane-tasks init` to create one)"
            )
    raise ConfigError(
        f"no {CONFIG_NAME} (or pyproject.toml with [tool.lane-tasks]) in {here} or its parents "
        "(run `lane-tasks init` to create one)"
    )


_WARNED: set[Path] = set()


def config_in(directory: Path) -> Path | None:
    """The configuration file of `directory` itself (see find_config), or None."""
    candidate = directory / CONFIG_NAME
    pyproject = directory / PYPROJECT
    if os.path.lexists(candidate):  # the nearest one, whatever it is: never a parent's
        _regular_file(candidate)
        try:
            shadowed = _has_tool_table(pyproject)
        except ConfigError:  # a broken pyproject.toml is not the configuration here
            shadowed = False
        if shadowed and pyproject not in _WARNED:  # once per process, however often looked up
            _WARNED.add(pyproject)
            sys.stderr.write(
                f"lane-tasks: warning: {pyproject}: [tool.lane-tasks] is ignored: "
                f"{CONFIG_NAME} beside it is the configuration (remove one of them)\n"
            )
        return candidate
    return pyproject if _has_tool_table(pyproject) else None


_NAMES_TOOL_TABLE = re.compile(
    r"""(?mx)^\s*(?:
        \[\s*tool\s*\.\s*["']?lane-tasks["']?\s*[\].]   # [tool.lane-tasks] / [tool.lane-tasks.x]
      | tool\s*\.\s*["']?lane-tasks["']?\s*[.=]         # tool.lane-tasks.x = ...
      | ["']?lane-tasks["']?\s*[.=]                      # under [tool]: lane-tasks = {...}
    )"""
)
"""A line that could define [tool.lane-tasks]: only then is a pyproject.toml parsed."""


def _has_tool_table(pyproject: Path) -> bool:
    """pyproject.toml exists and has a [tool.lane-tasks] table. Its text is searched first, so
    the pyproject.toml of every parent directory is not parsed; a broken one that names the
    table is a ConfigError (file:line), not a reason to look further up."""
    if not os.path.lexists(pyproject):
        return False
    try:
        if not stat.S_ISREG(pyproject.stat().st_mode):
            return False
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False  # not ours to judge: it cannot be our configuration
    if not _NAMES_TOOL_TABLE.search(text) or len(text) > MAX_CONFIG_CHARS:
        return False
    tool = toml(text, pyproject).get("tool")
    return isinstance(tool, dict) and "lane-tasks" in tool


MAX_CONFIG_CHARS = 1024 * 1024
"""The largest lanes.toml read: a 20 MB string took 30 s and 2.4 GB to validate."""


def _regular_file(path: Path) -> None:
    """lanes.toml must be a regular file (or a symlink to one): a directory or a dangling
    symlink must not make a parent directory's lanes.toml apply, and a FIFO or device must
    not be opened at all (reading one blocks forever). Checked with stat, before any open."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ConfigError(
            f"a symlink to {path.readlink()}, which does not exist", path=path
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", path=path) from None
    if not stat.S_ISREG(mode):
        kind = "a directory" if stat.S_ISDIR(mode) else "a FIFO, socket or device"
        raise ConfigError(f"is {kind}, not a regular file (it is not read)", path=path)


def load_config(path: Path | None = None) -> Config:
    """Read and validate lanes.toml (found upward from the cwd when `path` is None)."""
    path = find_config() if path is None else path
    if os.path.lexists(path):
        _regular_file(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"no such file (run `lane-tasks init` to create {CONFIG_NAME})", path=path
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", path=path) from None
    config = parse_config(text, path)
    check_own_dirs(config)
    return config


def parse_config(text: str, path: Path, *, table: tuple[str, ...] | None = None) -> Config:
    """Validate TOML text as lanes.toml; `path` names the file in errors and sets the root.
    The configuration is the table `table` of it (default: [tool.lane-tasks] in a
    pyproject.toml, else the whole text)."""
    if len(text) > MAX_CONFIG_CHARS:  # parsing and locating keys cost seconds per megabyte
        raise ConfigError(
            f"too large: {len(text):,} characters (at most {MAX_CONFIG_CHARS:,}; "
            "lanes.toml is configuration, not data)",
            path=path,
        )
    data: Any = toml(text, path)
    table = config_table(path) if table is None else table
    if table:
        tool = data.get("tool", {})
        data = tool.get("lane-tasks") if isinstance(tool, dict) else None
        if data is None:
            raise ConfigError(
                f"has no [tool.lane-tasks] table (put the configuration there, or in "
                f"{CONFIG_NAME})",
                path=path,
            )
    r = Reader(path, text, table)
    data = r.table(data, [])
    r.known(data, [])

    project = project_table(r, data)
    runs = runs_table(r, data)
    nox = nox_table(r, data)
    lanes = lanes_table(r, data)
    gate_fast = gate_fast_table(r, data)
    gate_release = gate_release_table(r, data)
    drift = drift_table(r, data, lanes)
    teams, ownership = teams_ownership_tables(r, data, gate_fast.checks)
    support = support_table(r, data)
    kpi = kpi_table(r, data)
    history = history_table(r, data)
    release = release_table(r, data)
    compat = compat_table(r, data)
    deprecations = deprecations_table(r, data)
    signing = signing_table(r, data, path.parent.resolve(), project.release_owners, kpi)
    doctor = doctor_table(r, data)
    # the keys that refer to other tables or ask git, once every table is known to be sound
    lane = default_lane(r, data, lanes)
    check_gate_has_checks(r, lanes, gate_fast)
    project = replace(
        project, default_lane=lane, adoption_point=adoption_point(r, data, path.parent)
    )
    config = Config(
        path=path,
        root=path.parent.resolve(),
        project=project,
        runs=runs,
        nox=nox,
        lanes=lanes,
        gate_fast=gate_fast,
        gate_release=gate_release,
        doctor=doctor,
        drift=drift,
        teams=teams,
        ownership=ownership,
        support=support,
        kpi=kpi,
        history=history,
        release_table=release,
        compat=compat,
        deprecations=deprecations,
        signing=signing,
    )
    check_needs(r, config)
    check_checklist_steps(r, config)
    return config


def toml(text: str, path: Path) -> dict[str, Any]:
    """Parsed TOML, or the one-line ConfigError naming `path` and the line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column \d+\)", msg)
        line = int(m.group(1)) if m else None
        msg = re.sub(r"\s*\(at line \d+, column \d+\)|\s*\(at end of document\)", "", msg)
        raise ConfigError(f"invalid TOML: {msg}", path=path, line=line) from None
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise ConfigError("invalid TOML: arrays or tables nested too deeply", path=path) from None
    except ValueError as exc:  # an integer of more than 4300 digits (sys.get_int_max_str_digits)
        raise ConfigError(f"invalid TOML: {exc}", path=path) from None
