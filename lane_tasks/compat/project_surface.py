"""The compatibility surface of a user's project ([compat] source = "project"): what its users
rely on, read from the working tree.

- Python API: every public name a user can import from the project's packages, with the
  parameters of functions, methods and classes. griffe reads the source statically (nothing is
  imported); `__all__` decides what a module exports, `_private` names and modules are skipped.
- CLI: the options of each `[project.scripts]` console script and its sub-commands. Options
  live in code (argparse, click, typer...), which no static reading recovers reliably, so the
  script's entry point is run with `--help` from the source tree, with a timeout, and the
  argparse/click-style option lists are parsed. It is the project's own code, which the lane's
  tests run anyway.
- Schemas: the JSON Schema files matched by `[compat] schemas`, flattened like lane-tasks' own.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lane_tasks.compat.snapshot import ApiEntry, Snapshot, SnapshotProblem, flatten_schema
from lane_tasks.config import CompatSettings
from lane_tasks.util.procs import ProcSpec, run_one, tool_env

__all__ = [
    "HELP_TIMEOUT_S",
    "console_scripts",
    "declared_schemas",
    "find_packages",
    "parse_help",
    "project_snapshot",
    "python_api",
    "script_cli",
]

HELP_TIMEOUT_S = 30.0
MAX_COMMANDS = 200
"""Sub-commands explored per console script: a bound, not a limit anyone should reach."""
_NOT_PACKAGES = {"tests", "test", "docs", "build", "dist", "benchmarks", "examples", "scripts"}


def _pyproject(root: Path) -> dict[str, Any]:
    import tomllib

    path = root / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SnapshotProblem(f"pyproject.toml: {exc}") from None


def _search_root(root: Path) -> Path:
    return root / "src" if (root / "src").is_dir() else root


def _importable(where: Path, name: str) -> bool:
    return (where / name / "__init__.py").is_file() or (where / f"{name}.py").is_file()


def find_packages(root: Path) -> tuple[str, ...]:
    """The import packages of the project: the distribution's own name when it is importable
    (`my-tool` -> `my_tool`), else every package in src/ (src layout) or at the top level."""
    where = _search_root(root)
    project = _pyproject(root).get("project", {})
    name = project.get("name") if isinstance(project, dict) else None
    if isinstance(name, str):
        guess = re.sub(r"[-_.]+", "_", name).lower()
        if _importable(where, guess):
            return (guess,)
    found = sorted(
        p.name
        for p in where.iterdir()
        if p.is_dir()
        and (p / "__init__.py").is_file()
        and p.name.isidentifier()
        and not p.name.startswith("_")
        and p.name not in _NOT_PACKAGES
    )
    return tuple(found)


# ---- the Python API (griffe, static) ----------------------------------------------------------


def _params(func: Any, *, drop_first: bool) -> list[dict[str, Any]]:
    out = []
    for i, p in enumerate(func.parameters):
        if drop_first and i == 0 and p.kind.value in ("positional-only", "positional or keyword"):
            continue  # self / cls
        variadic = p.kind.value.startswith("variadic")
        out.append(
            {"name": p.name, "kind": p.kind.value, "required": not variadic and p.default is None}
        )
    return out


def _entry(obj: Any, *, method: bool) -> dict[str, Any]:
    kind = obj.kind.value
    if kind == "function":
        labels = set(obj.labels)
        if "property" in labels:
            return {"kind": "attribute"}  # used as a value: no call signature
        static = "staticmethod" in labels
        return {"kind": "function", "params": _params(obj, drop_first=method and not static)}
    if kind == "class":
        init = obj.members.get("__init__")
        if init is not None and not init.is_alias and init.kind.value == "function":
            return {"kind": "class", "params": _params(init, drop_first=True)}
        return {"kind": "class", "params": []}
    return {"kind": kind}


def _walk(obj: Any, path: str, out: dict[str, ApiEntry], *, in_class: bool) -> None:
    for name, member in sorted(obj.members.items()):
        if name.startswith("_") or not member.is_public:
            continue
        full = f"{path}.{name}"
        if member.is_alias:
            try:
                target = member.final_target
            except Exception:  # griffe's AliasResolutionError / CyclicAliasError: outside
                out[full] = {"kind": "alias", "target": str(member.target_path)}
                continue
            out[full] = _entry(target, method=in_class)
            if target.kind.value == "class":
                _walk(target, full, out, in_class=True)
            continue
        out[full] = _entry(member, method=in_class)
        if member.kind.value in ("module", "class"):
            _walk(member, full, out, in_class=member.kind.value == "class")


def python_api(root: Path, packages: Iterable[str]) -> dict[str, ApiEntry]:
    """Every public importable name of `packages` (read from the source tree by griffe)."""
    import griffe

    # griffe reports what it cannot resolve (outside bases, aliases) as warnings on the console
    # of every lane run; the snapshot says what it found, so only its errors are worth showing
    logging.getLogger("griffe").setLevel(logging.ERROR)
    where = _search_root(root)
    out: dict[str, ApiEntry] = {}
    loader = griffe.GriffeLoader(search_paths=[str(where)], allow_inspection=False)
    for package in packages:
        try:
            module = loader.load(package, find_stubs_package=False)
        except (ImportError, OSError, SyntaxError) as exc:
            raise SnapshotProblem(f"python package '{package}': {exc}") from None
        loader.resolve_aliases(external=False, implicit=False)
        out[package] = {"kind": "module"}
        _walk(module, package, out, in_class=False)
    return out


# ---- console scripts (--help, with a timeout) -------------------------------------------------

_BOOT = (
    "import importlib, sys\n"
    "target, name, *args = sys.argv[1:]\n"
    "mod, _, attr = target.partition(':')\n"
    "sys.argv = [name, *args]\n"
    "obj = importlib.import_module(mod.strip())\n"
    "for part in attr.strip().split('.'):\n"
    "    obj = getattr(obj, part)\n"
    "sys.exit(obj())\n"
)

_OPTION_LINE = re.compile(r"^\s+(-{1,2}[A-Za-z0-9?][^\s]*.*)$")
_OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z0-9?][\w-]*)")
_SECTION = re.compile(r"^(?P<title>[A-Za-z][\w ]*):\s*$")
_CHOICES = re.compile(r"^\s+\{([\w.,-]+)\}")


def console_scripts(root: Path) -> dict[str, str]:
    """[project.scripts]: script name -> `module:function` (extras markers dropped)."""
    scripts = _pyproject(root).get("project", {}).get("scripts", {})
    if not isinstance(scripts, dict):
        return {}
    return {
        str(name): re.sub(r"\[.*\]", "", str(target)).strip()
        for name, target in sorted(scripts.items())
    }


def parse_help(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(options, sub-commands) of one argparse- or click-style help text. Options are read from
    the indented lines of the help that start with a dash (`-o, --out PATH  help`), up to the
    two spaces before the help text; sub-commands from argparse's `{a,b}` or click's
    `Commands:` section."""
    options: set[str] = set()
    commands: list[str] = []
    section = ""
    for line in text.splitlines():
        head = _SECTION.match(line)
        if head:
            section = head["title"].lower()
            continue
        choices = _CHOICES.match(line)
        if choices:
            commands += [c for c in choices[1].split(",") if c not in commands]
            continue
        opt = _OPTION_LINE.match(line)
        if opt:
            names = re.split(r"\s{2,}", opt[1].strip(), maxsplit=1)[0]
            options.update(_OPTION.findall(names))
            continue
        if section == "commands" and line.startswith("  ") and line.strip():
            word = line.split()[0]
            if re.fullmatch(r"[\w][\w.-]*", word) and word not in commands:
                commands.append(word)
    return tuple(sorted(options)), tuple(commands)


def _help(root: Path, name: str, target: str, words: list[str]) -> str:
    where = _search_root(root)
    env = tool_env(
        {"PYTHONPATH": str(where), "COLUMNS": "1000", "TERM": "dumb", "PYTHONSAFEPATH": "1"}
    )
    shown = " ".join([name, *words, "--help"])
    spec = ProcSpec(
        id=shown,
        cmd=(sys.executable, "-c", _BOOT, target, name, *words, "--help"),
        cwd=root,
        timeout=HELP_TIMEOUT_S,
        env=env,
    )
    r = run_one(spec)
    if r.outcome != "exited" or r.exit_code != 0:
        last = (r.output.strip().splitlines() or [r.detail or r.outcome])[-1]
        why = r.detail if r.outcome != "exited" else f"exited {r.exit_code}"
        raise SnapshotProblem(f"console script `{shown}` ({target}): {why}: {last}")
    return r.output


def script_cli(root: Path, name: str, target: str) -> dict[str, tuple[str, ...]]:
    """Command path (`name`, `name sub`, ...) -> its options, from `--help` of each."""
    out: dict[str, tuple[str, ...]] = {}
    queue: list[list[str]] = [[]]
    while queue and len(out) < MAX_COMMANDS:
        words = queue.pop(0)
        options, commands = parse_help(_help(root, name, target, words))
        out[" ".join([name, *words])] = options
        queue += [[*words, c] for c in commands if c not in ("help",)]
    return out


# ---- declared schemas -------------------------------------------------------------------------


def declared_schemas(root: Path, globs: Iterable[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """Each JSON Schema file matched by `globs`, flattened, keyed by its repository path."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for glob in globs:
        matched = sorted(p for p in root.glob(glob) if p.is_file())
        if not matched:
            raise SnapshotProblem(f"[compat] schemas: '{glob}' matches no file")
        for path in matched:
            rel = path.relative_to(root).as_posix()
            try:
                doc = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
                raise SnapshotProblem(f"{rel}: not a readable JSON Schema ({exc})") from None
            if not isinstance(doc, dict):
                raise SnapshotProblem(f"{rel}: a JSON Schema is an object")
            out[rel] = flatten_schema(doc)
    return out


def project_snapshot(root: Path, settings: CompatSettings) -> Snapshot:
    """The project's surface now: public API, console scripts' options, declared schemas."""
    packages = settings.packages or find_packages(root)
    cli: dict[str, tuple[str, ...]] = {}
    for name, target in console_scripts(root).items():
        cli |= script_cli(root, name, target)
    return Snapshot(cli, declared_schemas(root, settings.schemas), python_api(root, packages))
