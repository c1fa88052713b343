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
    "adopted",
    "plan_noxfile",
    "project_sessions",
]

NOXFILE = "noxfile.py"

NEW_NOXFILE = '''"""Release-confidence lanes from lanes.toml (`nox -l` lists them)."""

# An expression, not an import statement, so import-order rules have
# nothing to say about this file. A bare `nox` runs the default lane.
lanes = __import__("lane_tasks.nox_sessions").nox_sessions
lanes.register(default_session=True)
'''

ADOPT_BLOCK = """\
# --- lane-tasks: the lanes of lanes.toml as nox sessions (`nox -l`).
# Added by `lane-tasks init`; it changes none of the sessions or options
# above. An expression, not an import, so import-order rules keep quiet;
# where lane-tasks is not installed, the sessions above still run.
try:
    __import__("lane_tasks.nox_sessions").nox_sessions.register()
except ModuleNotFoundError as exc:
    if exc.name != "lane_tasks":
        raise
"""
"""Every line at most 79 characters, two blank lines before it (pycodestyle's E305 after a
function), in the file's own line endings: what flake8, black, isort and ruff accept as they
come."""


def adopted(source: str) -> str:
    """`source` with the block added: its text unchanged, then two blank lines and the block."""
    newline = "\r\n" if "\r\n" in source else "\n"
    block = ADOPT_BLOCK.replace("\n", newline)
    body = source.rstrip("\r\n")
    return body + newline * 3 + block if body else block


_MARK = "lane_tasks.nox_sessions"
"""Any mention of it means the noxfile already registers the lanes: init leaves it alone."""


@dataclass(frozen=True, kw_only=True)
class ProjectSession:
    """A session the project's noxfile defines (from its syntax tree)."""

    name: str
    line: int
    by_python: bool
    """It names its Python (`python="3.12"`, `python=[...]`): a gate runs it once, with the
    running interpreter (--force-python), never skipped for an interpreter that is missing."""
    runs_pre_commit: bool = False
    """Its body mentions pre-commit (or prek): the project's hooks run through it."""


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


_PRE_COMMIT_WORDS = ("pre-commit", "pre_commit", "prek")


def _names_python(value: ast.expr) -> bool:
    return not (isinstance(value, ast.Constant) and value.value in (None, False))


def project_sessions(tree: ast.Module, source: str = "") -> tuple[ProjectSession, ...]:
    """The sessions a noxfile defines with `@nox.session` / `@session`, by name (`source`, the
    file's text, tells which of them run pre-commit)."""
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
                        by_python = _names_python(kw.value)
            body = (ast.get_source_segment(source, node) or "") if source else ""
            found.append(
                ProjectSession(
                    name=name,
                    line=node.lineno,
                    by_python=by_python,
                    runs_pre_commit=any(w in body for w in _PRE_COMMIT_WORDS),
                )
            )
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
        source = path.read_bytes().decode("utf-8")  # as it is: CRLF stays CRLF
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
    sessions = project_sessions(tree, source)
    if _MARK in source:
        return NoxfilePlan(path=path, text=None, action="keep", sessions=sessions)
    _writable(path)
    return NoxfilePlan(path=path, text=adopted(source), action="add", sessions=sessions)
