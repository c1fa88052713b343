"""Which gate-fast checks `lane-tasks init` proposes: the project's own way first.

A project already says how it lints, type-checks and tests: in its nox sessions, tox or hatch
environments, or pre-commit hooks. init runs those, so the gate agrees with the project's own
CI. Only where none of them covers a role does it fall back to a tool the project configures
(ruff, black, isort, flake8, mypy, pyright, pytest), and it never overrides that tool's own
configuration (mypy gets no paths when `files` is set). Each proposal carries the reason init
prints. A project that configures nothing gets `compileall`: the least gate that can fail.
"""

from __future__ import annotations

import configparser
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lane_tasks.adopt.noxfile import ProjectSession

__all__ = ["ROLES", "Project", "Proposal", "propose_checks", "source_paths"]

ROLES = ("lint", "format", "typing", "tests")
"""What a gate covers; a source may cover several (pre-commit usually lints and formats)."""

_NAMES: Mapping[str, tuple[str, ...]] = {
    "lint": ("lint", "linting", "lints", "pre-commit", "pre_commit", "precommit", "style",
             "flake8", "ruff", "pylint", "check-style"),
    "typing": ("typing", "types", "type", "typecheck", "type-check", "type_check", "mypy",
               "pyright", "typecheck-mypy"),
    "tests": ("tests", "test", "pytest", "unit", "unit-tests", "unit_tests", "unittests", "py"),
}  # fmt: skip
"""Session, environment and script names that mean a role. Names that rewrite files (format,
fmt, blacken, fix) are never proposed: a gate checks, it does not edit."""

_TIMEOUT = {"lint": 600, "format": 300, "typing": 900, "tests": 1800}
_PRE_COMMIT_NAMES = frozenset({"pre-commit", "precommit", "pre-commit-run"})


@dataclass(frozen=True, kw_only=True)
class Proposal:
    """One gate check init writes into lanes.toml, with the reason it prints."""

    id: str
    cmd: tuple[str, ...]
    roles: tuple[str, ...]
    why: str
    runs_pre_commit: bool = False
    """It runs the project's pre-commit hooks itself: pre-commit is not proposed again."""
    report: str | None = None
    """The report its tool writes where `{report}` in `cmd` says (lanes.toml `report`)."""

    @property
    def timeout(self) -> int:
        return max(_TIMEOUT[r] for r in self.roles)


@dataclass(frozen=True, kw_only=True)
class Project:
    """What init reads of the repository, read once."""

    root: Path
    pyproject: Mapping[str, Any]
    sessions: tuple[ProjectSession, ...]

    def tool(self, name: str) -> Mapping[str, Any] | None:
        found = self.pyproject.get("tool", {}).get(name)
        return found if isinstance(found, Mapping) else None

    def ini(self, filename: str) -> configparser.ConfigParser | None:
        path = self.root / filename
        if not path.is_file():
            return None
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError):
            return None
        return parser

    def has_section(self, filename: str, section: str) -> bool:
        parser = self.ini(filename)
        return parser is not None and parser.has_section(section)

    def exists(self, *names: str) -> str | None:
        return next((n for n in names if (self.root / n).exists()), None)

    def pre_commit_hooks(self) -> tuple[str, frozenset[str]] | None:
        """The project's pre-commit configuration file and the ids of its hooks."""
        name = self.exists(".pre-commit-config.yaml", ".pre-commit-config.yml")
        if name is None:
            return None
        try:
            data = yaml.safe_load((self.root / name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            data = None
        return name, frozenset(
            str(h.get("id"))
            for repo in (data or {}).get("repos", []) if isinstance(data, dict)
            if isinstance(repo, dict)
            for h in repo.get("hooks", []) if isinstance(h, dict)
        )  # fmt: skip


def _role_of(name: str) -> str | None:
    low = name.lower()
    return next((role for role, names in _NAMES.items() if low in names), None)


def _slug(text: str) -> str:
    out = "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")
    return "-".join(p for p in out.split("-") if p) or "check"


# ---- the project's own runners ---------------------------------------------------------------


def _named(
    kind: str, name: str, role: str, cmd: tuple[str, ...], why: str, *, runs_pre_commit: bool
) -> Proposal:
    """A proposal to run one of the project's own sessions, environments or scripts: a lint
    one also covers formatting (it usually runs the formatter's check too)."""
    return Proposal(
        id=f"{kind}-{_slug(name)}",
        cmd=cmd,
        roles=("lint", "format") if role == "lint" else (role,),
        why=why,
        runs_pre_commit=runs_pre_commit,
    )


def _from_nox(p: Project) -> list[Proposal]:
    found = []
    for s in p.sessions:
        role = _role_of(s.name)
        if role is None or (role == "tests" and s.name == "py"):
            continue
        cmd = ["{python}", "-m", "nox", "-s", s.name, "--error-on-missing-interpreters"]
        if s.by_python:
            cmd += ["--force-python", "{python_version}"]
        why = f"your noxfile's '{s.name}' session (noxfile.py:{s.line})"
        found.append(
            _named("nox", s.name, role, tuple(cmd), why, runs_pre_commit=s.runs_pre_commit)
        )
    return found


def _tox_envs(p: Project) -> tuple[list[str], bool, str]:
    """tox's environment names, whether a generic [testenv] exists, and the file."""
    for filename in ("tox.ini", "setup.cfg"):
        parser = p.ini(filename)
        if parser is None:
            continue
        prefix = "tox:" if filename == "setup.cfg" else ""
        if filename == "setup.cfg" and not parser.has_section("tox:tox"):
            continue
        names = [s.split(":", 1)[1] for s in parser.sections() if s.startswith("testenv:")]
        envlist = parser.get(f"{prefix}tox", "envlist", fallback="")
        names += [e.strip() for e in envlist.replace(",", "\n").split() if "{" not in e]
        return list(dict.fromkeys(names)), parser.has_section("testenv"), filename
    native: list[tuple[Mapping[str, Any] | None, str]] = [
        (_toml(p.root / "tox.toml"), "tox.toml"),
        (p.tool("tox"), "pyproject.toml"),
    ]
    for table, filename in native:  # tox 4's TOML: env_list, [env.NAME], [env_run_base]
        if table is None:
            continue
        envs = table.get("env", {})
        listed = table.get("env_list", [])
        names = list(envs) if isinstance(envs, Mapping) else []
        names += [e for e in listed if isinstance(e, str)] if isinstance(listed, list) else []
        return list(dict.fromkeys(names)), "env_run_base" in table, filename
    return [], False, ""


def _toml(path: Path) -> Mapping[str, Any] | None:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None


def _from_tox(p: Project) -> list[Proposal]:
    names, generic, filename = _tox_envs(p)
    found = []
    for env in names:
        role = _role_of(env)
        if role is None or (role == "tests" and env == "py"):
            continue
        why = f"your tox environment '{env}' ({filename})"
        pre_commit = _slug(env) in _PRE_COMMIT_NAMES
        found.append(_named("tox", env, role, ("tox", "-e", env), why, runs_pre_commit=pre_commit))
    if generic and not any("tests" in f.roles for f in found):
        why = f"your tox [testenv] ({filename}), for the running Python"
        found.append(Proposal(id="tox-py", cmd=("tox", "-e", "py"), roles=("tests",), why=why))
    return found


def _from_hatch(p: Project) -> list[Proposal]:
    hatch = p.tool("hatch") or {}
    envs = hatch.get("envs", {})
    if not isinstance(envs, Mapping):
        return []
    found = []
    for env, table in envs.items():
        scripts = table.get("scripts", {}) if isinstance(table, Mapping) else {}
        for script, body in scripts.items() if isinstance(scripts, Mapping) else ():
            role = _role_of(script) or (_role_of(env) if script in ("all", "check") else None)
            if role is None:
                continue
            target = script if env == "default" else f"{env}:{script}"
            why = f"your hatch script '{target}' (pyproject.toml [tool.hatch.envs.{env}])"
            cmd = ("hatch", "run", target)
            pre_commit = "pre-commit" in str(body)
            found.append(_named("hatch", target, role, cmd, why, runs_pre_commit=pre_commit))
    return found


_TYPING_HOOKS = frozenset({"mypy", "pyright", "pytype"})
_LINT_HOOKS = frozenset({"ruff", "ruff-check", "flake8", "pylint", "isort"})
_FORMAT_HOOKS = frozenset({"ruff-format", "black", "isort", "autopep8", "yapf"})


def _from_pre_commit(p: Project) -> list[Proposal]:
    found = p.pre_commit_hooks()
    if found is None:
        return []
    name, hooks = found
    roles = ["lint"]
    if hooks & _FORMAT_HOOKS or not hooks & _LINT_HOOKS:
        roles.append("format")
    if hooks & _TYPING_HOOKS:
        roles.append("typing")
    cmd = ("pre-commit", "run", "--all-files", "--show-diff-on-failure")
    why = f"your pre-commit hooks ({name}: {', '.join(sorted(hooks)) or 'no hook ids read'})"
    return [Proposal(id="pre-commit", cmd=cmd, roles=tuple(roles), why=why)]


# ---- tools the project configures -----------------------------------------------------------


def _configured(p: Project, tool: str, files: Iterable[str], sections: Iterable[str]) -> str | None:
    """Where the project configures `tool`: `[tool.X]`, a file of its own, or an ini section."""
    if p.tool(tool) is not None:
        return f"[tool.{tool}] in pyproject.toml"
    own = p.exists(*files)
    if own:
        return own
    for section in sections:
        for filename in ("setup.cfg", "tox.ini"):
            if p.has_section(filename, section):
                return f"[{section}] in {filename}"
    return None


def _ruff_format_configured(p: Project) -> str | None:
    ruff = p.tool("ruff")
    if ruff is not None and "format" in ruff:
        return "[tool.ruff.format] in pyproject.toml"
    for name in ("ruff.toml", ".ruff.toml"):
        try:
            data = tomllib.loads((p.root / name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        if "format" in data:
            return f"[format] in {name}"
    return None


def _mypy_files(p: Project) -> bool:
    mypy = p.tool("mypy")
    if mypy is not None and mypy.get("files"):
        return True
    for filename in ("mypy.ini", ".mypy.ini", "setup.cfg"):
        parser = p.ini(filename)
        if parser is not None and parser.has_option("mypy", "files"):
            return True
    return False


def source_paths(root: Path) -> list[str]:
    """Where the code is: src/ layout, else top-level packages and modules."""
    if (root / "src").is_dir():
        return ["src"]
    skip = {"tests", "test", "docs", "build", "dist", "benchmarks", "examples"}
    found = sorted(
        p.name
        for p in root.iterdir()
        if p.is_dir() and (p / "__init__.py").is_file() and p.name not in skip
    )
    return found or ["."]


def _tests_present(p: Project) -> str | None:
    where = _configured(p, "pytest", ("pytest.ini",), ("tool:pytest", "pytest"))
    if where is not None:
        return where
    for d in ("tests", "test"):
        if (p.root / d).is_dir() and any((p.root / d).rglob("test*.py")):
            return f"tests in {d}/"
    return p.exists("conftest.py")


def _mypy(p: Project) -> tuple[tuple[str, ...], str] | None:
    where = _configured(p, "mypy", ("mypy.ini", ".mypy.ini"), ("mypy",))
    if where is None:
        return None
    if _mypy_files(p):
        return (), f"{where} (its own `files`)"
    paths = tuple(source_paths(p.root))
    return paths, f"{where} (on {', '.join(paths)})"


_Found = Callable[[Project], tuple[tuple[str, ...], str] | None]


def _at(where: Callable[[Project], str | None]) -> _Found:
    """A tool whose command takes no extra arguments, found where `where` says."""

    def found(p: Project) -> tuple[tuple[str, ...], str] | None:
        place = where(p)
        return None if place is None else ((), place)

    return found


_TOOLS: tuple[tuple[str, tuple[str, ...], str, _Found], ...] = (
    ("ruff-check", ("ruff", "check", "--output-format", "sarif", "-o", "{report}", "."), "lint",
     _at(lambda p: _configured(p, "ruff", ("ruff.toml", ".ruff.toml"), ()))),
    ("flake8", ("flake8",), "lint",
     _at(lambda p: _configured(p, "flake8", (".flake8",), ("flake8",)))),
    ("black", ("black", "--check", "--diff", "."), "format",
     _at(lambda p: _configured(p, "black", (), ()))),
    ("ruff-format", ("ruff", "format", "--check", "."), "format",
     _at(lambda p: None if p.tool("black") else _ruff_format_configured(p))),
    ("isort", ("isort", "--check-only", "--diff", "."), "format",
     _at(lambda p: _configured(p, "isort", (".isort.cfg",), ("isort",)))),
    ("mypy", ("mypy", "--junit-xml", "{report}"), "typing", _mypy),
    ("pyright", ("pyright",), "typing",
     _at(lambda p: _configured(p, "pyright", ("pyrightconfig.json",), ()))),
    ("pytest", ("{python}", "-m", "pytest", "-q", "--junitxml={report}"), "tests",
     _at(_tests_present)),
)  # fmt: skip
"""Each tool: its check id, command, role, and where the project configures it (with the
arguments that configuration calls for), or None when it does not."""
_REPORTS = {"ruff-check": "sarif", "mypy": "junit", "pytest": "junit"}
"""The report each tool writes at `{report}`: its findings and test cases reach CI."""


def _from_tools(p: Project) -> list[Proposal]:
    found = []
    for pid, cmd, role, where in _TOOLS:
        hit = where(p)
        if hit is not None:
            args, place = hit
            found.append(
                Proposal(
                    id=pid,
                    cmd=(*cmd, *args),
                    roles=(role,),
                    why=f"{pid}: {place}",
                    report=_REPORTS.get(pid),
                )
            )
    return found


_SOURCES: tuple[Callable[[Project], list[Proposal]], ...] = (
    _from_nox,
    _from_tox,
    _from_hatch,
    _from_pre_commit,
    _from_tools,
)
"""In order of preference: the first source that covers a role wins it."""


def propose_checks(
    root: Path, pyproject: Mapping[str, Any], sessions: tuple[ProjectSession, ...]
) -> list[Proposal]:
    """The gate checks for this project, each covering a role no earlier source covered;
    never empty."""
    project = Project(root=root, pyproject=pyproject, sessions=sessions)
    chosen: list[Proposal] = []
    covered: set[str] = set()
    for source in _SOURCES:
        before = set(covered)  # a source's proposals are judged together: black and isort both
        if source is _from_pre_commit and any(c.runs_pre_commit for c in chosen):
            continue  # a session or environment of the project runs the hooks already
        for proposal in source(project):
            if not set(proposal.roles) - before or any(c.id == proposal.id for c in chosen):
                continue
            chosen.append(proposal)
            covered |= set(proposal.roles)
    if not chosen:
        paths = tuple(source_paths(root))
        why = "nothing configures a linter, type checker or tests: byte-compile the sources"
        cmd = ("{python}", "-m", "compileall", "-q", *paths)
        chosen.append(Proposal(id="compileall", cmd=cmd, roles=("lint",), why=why))
    return chosen
