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
import io
import stat
import tokenize
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lane_tasks.errors import ConfigError

__all__ = [
    "ADOPT_BLOCK",
    "NEW_NOXFILE",
    "NOXFILE",
    "NoxfilePlan",
    "ProjectSession",
    "Style",
    "adopted",
    "new_noxfile",
    "plan_noxfile",
    "project_sessions",
    "project_style",
]

NOXFILE = "noxfile.py"

_NEW = '''"""Release-confidence lanes from lanes.toml (`nox -l` lists them)."""

# An expression, not an import statement, so import-order rules have
# nothing to say about this file. A bare `nox` runs the default lane.
lanes = __import__({q}lane_tasks.nox_sessions{q}).nox_sessions
lanes.register(default_session=True)
'''
NEW_NOXFILE = _NEW.format(q='"')

_BLOCK = """\
# --- lane-tasks: the lanes of lanes.toml as nox sessions (`nox -l`).
# Added by `lane-tasks init`; it changes none of the sessions or options
# above. An expression, not an import, so import-order rules keep quiet;
# where lane-tasks is not installed, the sessions above still run.
try:
    __import__({q}lane_tasks.nox_sessions{q}).nox_sessions.register()
except ModuleNotFoundError as exc:
    if exc.name != {q}lane_tasks{q}:
        raise
"""
ADOPT_BLOCK = _BLOCK.format(q='"')
"""Every line at most 79 characters, two blank lines before it (pycodestyle's E305 after a
function), in the file's own line endings: what flake8, black, isort and ruff accept as they
come."""


@dataclass(frozen=True, kw_only=True)
class Style:
    """What the project's ruff configuration asks of a Python file that init writes whole: the
    quote style (`[format] quote-style`), the imports every file must have (`isort
    required-imports`) and the blank lines after them (`isort lines-after-imports`)."""

    quote: str = '"'
    required_imports: tuple[str, ...] = ()
    lines_after_imports: int = 1


def _ruff_table(root: Path) -> Mapping[str, Any]:
    for name in ("ruff.toml", ".ruff.toml"):
        try:
            return tomllib.loads((root / name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    ruff = data.get("tool", {}).get("ruff", {})
    return ruff if isinstance(ruff, Mapping) else {}


def project_style(root: Path) -> Style:
    """The Style of the project's ruff configuration (defaults where it says nothing)."""
    ruff = _ruff_table(root)
    fmt = ruff.get("format", {})
    lint = ruff.get("lint", {})
    isort = (lint.get("isort") if isinstance(lint, Mapping) else None) or ruff.get("isort", {})
    quote = "'" if isinstance(fmt, Mapping) and fmt.get("quote-style") == "single" else '"'
    required = isort.get("required-imports", []) if isinstance(isort, Mapping) else []
    after = isort.get("lines-after-imports", -1) if isinstance(isort, Mapping) else -1
    return Style(
        quote=quote,
        required_imports=tuple(str(i) for i in required if isinstance(i, str)),
        lines_after_imports=after if isinstance(after, int) and after >= 0 else 1,
    )


def new_noxfile(style: Style) -> str:
    """NEW_NOXFILE as the project's style writes it."""
    text = NEW_NOXFILE.replace(
        '"lane_tasks.nox_sessions"', f"{style.quote}lane_tasks.nox_sessions{style.quote}"
    )
    if style.required_imports:
        doc, rest = text.split("\n\n", 1)
        imports = "\n".join(style.required_imports)
        text = f"{doc}\n\n{imports}\n" + "\n" * style.lines_after_imports + rest
    return text


def _dominant_quote(source: str) -> str:
    """The quote most of the file's (non-docstring) strings use."""
    counts = {"'": 0, '"': 0}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.STRING:
                body = tok.string.lstrip("rbuRBUfF")
                if body[:1] in counts and not body.startswith(('"""', "'''")):
                    counts[body[0]] += 1
    except (tokenize.TokenError, SyntaxError):
        pass
    return "'" if counts["'"] > counts['"'] else '"'


def adopted(source: str) -> str:
    """`source` with the block added: its text unchanged, then two blank lines and the block,
    in the file's own line endings and quote style."""
    newline = "\r\n" if "\r\n" in source else "\n"
    block = _BLOCK.format(q=_dominant_quote(source)).replace("\n", newline)
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
        text = new_noxfile(project_style(root))
        return NoxfilePlan(path=path, text=text, action="create", sessions=())
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
