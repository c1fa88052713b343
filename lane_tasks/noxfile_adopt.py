"""The noxfile side of `lane-tasks init`: write one, or add the lanes to the project's own.

A project that already has a noxfile keeps every line of it: init appends one marked block
that calls register(), and nothing else. The block is an expression, not an import statement,
so the project's own linters (import position, import order, line length 79) and type checker
have nothing to say about it. The project's sessions are read from the file's syntax tree (never
by running it): their names are what init must not clash with, and what it proposes as gate
checks (a `lint` or `tests` session is the project's own way to lint or test).
"""

from __future__ import annotations

import ast
import stat
from dataclasses import dataclass
from pathlib import Path

from lane_tasks.errors import ConfigError

__all__ = [
    "ADOPT_BLOCK",
    "NEW_NOXFILE",
    "NOXFILE",
    "NoxfilePlan",
    "ProjectSession",
    "plan_noxfile",
    "project_sessions",
]

NOXFILE = "noxfile.py"

NEW_NOXFILE = '''"""Release-confidence lanes from lanes.toml (`nox -l` lists them)."""

from lane_tasks.nox_sessions import register

register(default_session=True)  # a bare `nox` runs the default lane
'''

ADOPT_BLOCK = """
# --- lane-tasks: the lanes of lanes.toml as nox sessions (`nox -l`).
# Added by `lane-tasks init`; it changes none of the sessions or options
# above. An expression, not an import, so import-order rules keep quiet.
__import__("lane_tasks.nox_sessions").nox_sessions.register()
"""

_MARK = "lane_tasks.nox_sessions"
"""Any mention of it means the noxfile already registers the lanes: init leaves it alone."""


@dataclass(frozen=True, kw_only=True)
class ProjectSession:
    """A session the project's noxfile defines (from its syntax tree)."""

    name: str
    line: int
    by_python: bool
    """Parametrized by Python versions (`python=[...]`): run it for one with --force-python."""


@dataclass(frozen=True, kw_only=True)
class NoxfilePlan:
    """What init does to noxfile.py: `text` to write (None: leave it as it is) and why."""

    path: Path
    text: str | None
    action: str
    """`create`, `add` (the block to an existing noxfile) or `keep` (it already registers)."""
    sessions: tuple[ProjectSession, ...]


def _session_decorator(node: ast.expr) -> ast.Call | bool:
    """The `@nox.session(...)` call, True for a bare `@nox.session`, False for anything else."""
    target = node.func if isinstance(node, ast.Call) else node
    named = (isinstance(target, ast.Attribute) and target.attr == "session") or (
        isinstance(target, ast.Name) and target.id == "session"
    )
    if not named:
        return False
    return node if isinstance(node, ast.Call) else True


def project_sessions(tree: ast.Module) -> tuple[ProjectSession, ...]:
    """The sessions a noxfile defines with `@nox.session` / `@session`, by name."""
    found: list[ProjectSession] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for deco in node.decorator_list:
            call = _session_decorator(deco)
            if call is False:
                continue
            name, by_python = node.name, False
            if isinstance(call, ast.Call):
                for kw in call.keywords:
                    if kw.arg == "name" and isinstance(kw.value, ast.Constant):
                        name = str(kw.value.value)
                    if kw.arg in ("python", "py"):
                        by_python = isinstance(kw.value, ast.List | ast.Tuple | ast.Name)
            found.append(ProjectSession(name=name, line=node.lineno, by_python=by_python))
    return tuple(found)


def _writable(path: Path) -> None:
    """Refuse a file its owner made read-only, even where we could write it (as root)."""
    if not path.stat().st_mode & stat.S_IWUSR:
        raise ConfigError(
            f"{path.name} is read-only: make it writable (chmod u+w {path.name}) and run "
            "`lane-tasks init` again",
            path=path,
        )


def plan_noxfile(root: Path) -> NoxfilePlan:
    """What init will do to `root/noxfile.py`; a noxfile that does not parse is refused."""
    path = root / NOXFILE
    if not path.exists():
        return NoxfilePlan(path=path, text=NEW_NOXFILE, action="create", sessions=())
    try:
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        raise ConfigError(
            f"cannot parse it ({exc.msg}); fix it so `nox -l` works, then run "
            "`lane-tasks init` again",
            path=path,
            line=exc.lineno,
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read it: {exc}", path=path) from None
    sessions = project_sessions(tree)
    if _MARK in source:
        return NoxfilePlan(path=path, text=None, action="keep", sessions=sessions)
    _writable(path)
    text = source + ("" if source.endswith("\n") or not source else "\n") + ADOPT_BLOCK
    return NoxfilePlan(path=path, text=text, action="add", sessions=sessions)
