"""What a command line runs, and which nox sessions a nox command line selects.

One parser for every way CI files and docs start nox: `nox -s X`, `nox --sessions X Y`,
`nox -s=X`, `nox -e X`, `python -m nox --session X`, `uvx nox -s X`, `pipx run nox -s X`,
`uv run noxfile.py -s X` (nox's script mode), `NOXSESSION=X nox`. It reads options the way
nox's own argparse parser does (the last `-s` wins, a comma is part of a name, only the
NOXSESSION variable is comma-split); the tests hold the option table to nox's real parser, so a
new nox option is noticed rather than misread.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["NOX_OPTIONS", "Invocation", "NoxRun", "Token", "invocation", "nox_run"]

Token = tuple[str, int]
"""A word of a command with the line it is on."""

NOXFILE = "noxfile.py"
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.DOTALL)
_PYTHON = re.compile(r"^(?:python|pypy)(?:\d+(?:\.\d+)*t?)?$|^py$")
_SPEC = re.compile(r"^[^@=<>!~\[;]+")
"""The project name of a requirement such as `nox@2025.2.9`, `nox==2024.10.9`, `nox[uv]`."""


# ---- launchers: what runs a program -----------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _Launcher:
    """A command that runs another program: its sub-command words (`pipx run`) and which of its
    options take a value, so the program is found after them."""

    then: tuple[tuple[str, ...], ...] = ((),)
    """Words that must follow for it to run a program (one alternative must match)."""
    values: frozenset[str] = frozenset()
    module: bool = False
    """`-m MOD` names the program (python, `uv run`)."""
    stops: frozenset[str] = frozenset()
    """Options after which no program follows (`python -c`)."""


_UV_VALUES = frozenset(
    {"--with", "-w", "--with-editable", "--with-requirements", "--from", "-p", "--python"}
    | {"--project", "--directory", "--package", "--extra", "--group", "--only-group"}
    | {"--no-group", "--index", "--index-url", "--default-index", "--extra-index-url"}
    | {"--env-file", "--find-links", "-f", "--cache-dir", "--config-file", "--resolution"}
    | {"--prerelease", "--exclude-newer", "--color", "--python-preference"}
)
_RUN = (("run",),)
_LAUNCHERS: dict[str, _Launcher] = {
    "$": _Launcher(),  # a shell prompt in docs
    "sudo": _Launcher(values=frozenset({"-u", "-g", "-C", "-D"})),
    "time": _Launcher(),
    "exec": _Launcher(),
    "command": _Launcher(),
    "nohup": _Launcher(),
    "nice": _Launcher(values=frozenset({"-n"})),
    "env": _Launcher(values=frozenset({"-u", "--unset", "-C", "--chdir"})),
    "uvx": _Launcher(values=_UV_VALUES),
    "uv": _Launcher(then=(("run",), ("tool", "run")), values=_UV_VALUES, module=True),
    "pipx": _Launcher(
        then=_RUN, values=frozenset({"--spec", "--python", "--pip-args", "--index-url"})
    ),
    "poetry": _Launcher(then=_RUN, values=frozenset({"-C", "--directory", "-P", "--project"})),
    "pdm": _Launcher(then=_RUN, values=frozenset({"-p", "--project"})),
    "hatch": _Launcher(then=_RUN, values=frozenset({"-e", "--env"})),
    "rye": _Launcher(then=_RUN),
    "pipenv": _Launcher(then=_RUN),
    "pixi": _Launcher(then=_RUN, values=frozenset({"-e", "--environment", "--manifest-path"})),
    **dict.fromkeys(
        ("conda", "mamba", "micromamba"),
        _Launcher(then=_RUN, values=frozenset({"-n", "--name", "-p", "--prefix"})),
    ),
}
_PYTHON_LAUNCHER = _Launcher(
    values=frozenset({"-X", "-W", "--check-hash-based-pycs"}),
    module=True,
    stops=frozenset({"-c"}),
)


@dataclass(frozen=True, kw_only=True)
class Invocation:
    """A command line with its variable assignments and launchers taken off."""

    program: str
    """A command's name without directory, `.exe` or version (`nox` for `.venv/bin/nox`,
    `uvx nox@2025.2.9`), a `-m` module's name, or a script's (`noxfile.py`)."""
    path: str
    """The program word as written, normalised (`./noxfile.py` -> `noxfile.py`)."""
    args: tuple[Token, ...]
    env: Mapping[str, Token] = field(default_factory=dict)
    """`NAME=value` assignments in front of it (after `env` too), each with its line."""


def _name(word: str) -> str:
    base = re.split(r"[\\/]", word)[-1]
    base = base.removesuffix(".exe")
    m = _SPEC.match(base)
    return m.group(0) if m else base


def invocation(argv: Sequence[Token]) -> Invocation | None:
    """What `argv` runs, seen through `VAR=x`, `env`, `sudo`, `uvx`, `pipx run`, `uv run`,
    `poetry run` … and `python -m`; None when it runs no program (`uv pip install`,
    `python -c …`, an empty line)."""
    env: dict[str, Token] = {}
    i = 0
    while i < len(argv):
        word, line = argv[i]
        assignment = _ASSIGNMENT.match(word)
        if assignment:
            env[assignment.group(1)] = (assignment.group(2), line)
            i += 1
            continue
        name = _name(word)
        launcher = _LAUNCHERS.get(name) or (_PYTHON_LAUNCHER if _PYTHON.match(name) else None)
        if launcher is None:
            return Invocation(
                program=name, path=posixpath.normpath(word), args=tuple(argv[i + 1 :]), env=env
            )
        found = _after(launcher, argv, i + 1)
        if found is None:
            return None
        i, module = found
        if module is not None:
            return Invocation(program=module[0], path=module[0], args=tuple(argv[i:]), env=env)
    return None


def _after(launcher: _Launcher, argv: Sequence[Token], i: int) -> tuple[int, Token | None] | None:
    """(index of the program word, None) or (index after `-m MOD`, MOD); None when this
    launcher runs no program here. Its options may come before its sub-command
    (`hatch -e dev run …`) and after it (`uv run --with x …`)."""
    words = [w for w, _ in argv]
    ran = launcher.then == ((),)
    while i < len(argv):
        if not ran:
            then = next((t for t in launcher.then if t and words[i : i + len(t)] == list(t)), ())
            if then:
                i, ran = i + len(then), True
                continue
        opt = words[i]
        if opt == "--" or not opt.startswith("-") or opt == "-":
            start = i + 1 if opt == "--" else i
            return (start, None) if ran and start < len(argv) else None
        if opt in launcher.stops:
            return None
        if ran and launcher.module and opt in ("-m", "--module"):
            return (i + 2, argv[i + 1]) if i + 1 < len(argv) else None
        i += 2 if opt in launcher.values else 1
    return None


# ---- nox's own options ------------------------------------------------------------------------


@dataclass(frozen=True)
class NoxOption:
    takes: int | None
    """0: a flag; 1: one value; None: any number of values (argparse nargs="*")."""
    role: str = ""
    """`sessions`, `noxfile`, `select` (-k/-t: expressions this check cannot resolve),
    `no-run` (-l, --help: no session runs), or "" (irrelevant here)."""


def _table(*rows: tuple[tuple[str, ...], int | None, str]) -> dict[str, NoxOption]:
    return {opt: NoxOption(takes, role) for opts, takes, role in rows for opt in opts}


NOX_OPTIONS: dict[str, NoxOption] = _table(
    (("-s", "-e", "--sessions", "--session"), None, "sessions"),
    (("-f", "--noxfile"), 1, "noxfile"),
    (("-k", "--keywords"), 1, "select"),
    (("-t", "--tags"), None, "select"),
    (("-l", "--list-sessions", "--list", "-h", "--help", "--version"), 0, "no-run"),
    (("--usage",), 1, "no-run"),
    (("-p", "--pythons", "--python", "--extra-pythons", "--extra-python"), None, ""),
    (("-P", "--force-pythons", "--force-python"), None, ""),
    (("-db", "--default-venv-backend", "-fb", "--force-venv-backend"), 1, ""),
    (("--download-python", "--envdir", "-j", "--parallel", "--report", "--reuse-venv"), 1, ""),
    (("--script-mode", "--script-venv-backend"), 1, ""),
    (("--allow-parallel", "--no-allow-parallel", "--error-on-external-run"), 0, ""),
    (("--no-error-on-external-run", "--error-on-missing-interpreters"), 0, ""),
    (("--no-error-on-missing-interpreters", "-r", "--reuse-existing-virtualenvs"), 0, ""),
    (("-N", "--no-reuse-existing-virtualenvs", "-x", "--stop-on-first-error"), 0, ""),
    (("--no-stop-on-first-error", "-v", "--verbose", "--no-verbose", "--json"), 0, ""),
    (("--no-venv", "-R", "--no-dependencies", "--install-only", "--no-install"), 0, ""),
    (("--non-interactive", "-ts", "--add-timestamp", "--nocolor", "--no-color"), 0, ""),
    (("--forcecolor", "--force-color", "--parallel-worker"), 0, ""),
)
"""Every option of nox's command line (tests compare it with nox's own parser)."""


@dataclass(frozen=True, kw_only=True)
class NoxRun:
    """One nox command line: which sessions it runs, from which noxfile."""

    sessions: tuple[Token, ...] | None
    """The sessions it names, each with its line; () for none named (a bare `nox` runs the
    noxfile's defaults); None when -k/-t expressions choose them."""
    noxfile: str = NOXFILE
    """The noxfile it reads (`-f`, or the script of script mode), as a normalised path."""

    def reads_project_noxfile(self) -> bool:
        return self.noxfile == NOXFILE


def _option(word: str) -> tuple[NoxOption, str | None] | None:
    """(the option's row, its attached value) as argparse reads `--opt`, `--opt=v`, `-sv`."""
    if word in NOX_OPTIONS:
        return NOX_OPTIONS[word], None
    spellings = {NOX_OPTIONS.get(w) for w in word.split("/")}
    if "/" in word and len(spellings) == 1 and (same := spellings.pop()) is not None:
        return same, None  # docs' `-s/--session`: one option, two spellings
    head, eq, value = word.partition("=")
    if eq and head in NOX_OPTIONS:
        return NOX_OPTIONS[head], value
    short = word[:2]
    if not word.startswith("--") and short in NOX_OPTIONS and NOX_OPTIONS[short].takes != 0:
        return NOX_OPTIONS[short], word[2:]
    return None


def nox_run(argv: Sequence[Token], env: Mapping[str, Token] | None = None) -> NoxRun | None:
    """The nox run `argv` starts, or None when it is no nox command or runs no session (`-l`,
    `--help`). `env` holds variables set around the command (a CI job's `env:`); assignments on
    the line itself win."""
    inv = invocation(argv)
    if inv is None:
        return None
    if inv.program == "nox":
        noxfile = NOXFILE
    elif inv.program == NOXFILE:  # script mode: `./noxfile.py`, `uv run noxfile.py`
        noxfile = inv.path
    else:
        return None
    variables = {**(env or {}), **inv.env}
    sessions: tuple[Token, ...] | None = None
    roles: set[str] = set()
    args = inv.args
    i = 0
    while i < len(args):
        word, line = args[i]
        i += 1
        if word == "--":
            break
        parsed = _option(word) if word.startswith("-") else None
        if parsed is None:
            continue  # a positional word or an option nox does not have
        option, attached = parsed
        values: list[Token] = []
        if attached is not None:
            values = [(attached, line)]
        elif option.takes == 1 and i < len(args) and not args[i][0].startswith("-"):
            values = [args[i]]
            i += 1
        elif option.takes is None:
            while i < len(args) and not args[i][0].startswith("-"):
                values.append(args[i])
                i += 1
        roles.add(option.role)
        if option.role == "noxfile" and values:
            noxfile = posixpath.normpath(values[-1][0])
        elif option.role == "sessions":
            sessions = tuple((v, n) for v, n in values if v)  # argparse keeps the last -s
    if "no-run" in roles:
        return None
    if "select" in roles:
        return NoxRun(sessions=None, noxfile=noxfile)
    if sessions is None:  # NOXSESSION is read only when no -s is given, and comma-split
        value, line = variables.get("NOXSESSION", ("", 0))
        sessions = tuple((s.strip(), line) for s in value.split(",") if s.strip())
    return NoxRun(sessions=sessions, noxfile=noxfile)
