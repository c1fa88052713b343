"""drift-check: is lanes.toml still the one release path, or does the repository say otherwise?

lanes.toml declares the canonical path. Drift is anywhere else that disagrees: a lane or step
without its nox session, CI running a session that does not exist (or never running a lane it
must), docs naming sessions, `lane-tasks` commands or options that are gone, a published
docs/lanes.md that no longer matches. Each problem is a finding with file, line, what was found
and what was expected; lanes.toml may waive one with a reason, which is then shown, not hidden.

Every source is read for what it is: the session list comes from the real noxfile (run in a
subprocess, so sessions that are not run by default count too), CI files are parsed as YAML
(each scalar keeps its line), commands are split as a shell splits them, and the `lane-tasks`
commands and options come from the command data (lane_tasks.catalog.commands). The noxfile
subprocess starts first and the file scans run while it loads: about one interpreter start.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lane_tasks.catalog.checks import FINDINGS, RULES, FindingKind
from lane_tasks.catalog.commands import CommandSurface as Command
from lane_tasks.catalog.commands import cli_surface
from lane_tasks.config import Config, Waiver, key_lines
from lane_tasks.docs.lanes_page import first_difference, render_lanes_md
from lane_tasks.errors import did_you_mean
from lane_tasks.evidence.artifacts import Result
from lane_tasks.project.nox_command import NoxRun, Token, invocation, nox_run
from lane_tasks.steps.base import StepContext, register
from lane_tasks.util.procs import excerpt, tool_env

if TYPE_CHECKING:
    import yaml

__all__ = [
    "ACTION_DEFAULT_LANE",
    "ACTION_USES",
    "CI_FILES",
    "FAMILIES",
    "FINDINGS",
    "LANES_DOC",
    "RULES",
    "Finding",
    "FindingKind",
    "Sessions",
    "action_lanes",
    "cli_surface",
    "commands",
    "run",
]

LANES_DOC = "docs/lanes.md"
CI_FILES = (".github/workflows/*.yml", ".github/workflows/*.yaml", ".gitlab-ci.yml")
"""CI files read without being named in lanes.toml ([drift] ci_files and doctor.ci_files add)."""


# ---- findings -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    id: str
    path: str
    """Repository-relative, POSIX separators."""
    line: int | None
    found: str
    expected: str
    message: str
    waived: str | None = None
    """The reason lanes.toml gives for accepting this finding, or None."""

    def where(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": self.path,
            "line": self.line,
            "found": self.found,
            "expected": self.expected,
            "message": self.message,
            "waived": self.waived,
        }


def _waive(finding: Finding, waivers: Sequence[Waiver]) -> Finding:
    for w in waivers:
        if (
            w.finding == finding.id
            and fnmatch.fnmatchcase(finding.path, w.path)
            and (w.line is None or w.line == finding.line)
        ):
            return replace(finding, waived=w.reason)
    return finding


# ---- the session list, from the real noxfile --------------------------------------------------

_PROBE = r"""
import contextlib, json, runpy, sys
import nox, nox.registry
with contextlib.redirect_stdout(sys.stderr):
    runpy.run_path("noxfile.py")
out = {}
for name, func in nox.registry.get().items():
    try:
        requires = list(func.requires or [])
    except Exception:  # `{python}` in requires of a session not yet parametrized
        requires = list(getattr(func, "_requires", None) or [])
    python = func.python if isinstance(func.python, (str, list, tuple)) else None
    out[name] = {"requires": requires, "default": bool(func.default), "python": python}
selected = nox.options.sessions
print(json.dumps({"sessions": out, "selected": list(selected) if selected else None}))
"""


@dataclass(frozen=True)
class SessionInfo:
    requires: tuple[str, ...]
    default: bool
    pythons: tuple[str, ...]


@dataclass(frozen=True)
class Sessions:
    """What noxfile.py registers, including sessions that do not run by default."""

    info: Mapping[str, SessionInfo]
    selected: tuple[str, ...] | None = None
    """`nox.options.sessions` as the noxfile sets it: what a bare `nox` runs."""
    names: frozenset[str] = field(init=False)
    """Every name that selects a session: `name` and `name-<python>` per python."""

    def __post_init__(self) -> None:
        names = set(self.info)
        for name, s in self.info.items():
            names.update(f"{name}-{py}" for py in s.pythons)
        object.__setattr__(self, "names", frozenset(names))

    def default(self) -> tuple[str, ...]:
        if self.selected is not None:
            return self.selected
        return tuple(n for n, s in self.info.items() if s.default)

    def exists(self, name: str) -> bool:
        """`name`, `name-3.12` for a session with that python, or `name(param=…)`."""
        return name in self.names or name.split("(", 1)[0] in self.info


class _NoxProbe:
    """Runs the noxfile in a subprocess (started at once) and reads back its registry."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.missing = not (root / "noxfile.py").is_file()
        self.proc: subprocess.Popen[str] | None = None
        self._result: tuple[Sessions | None, str | None] | None = None
        if not self.missing:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _PROBE],
                cwd=root,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=tool_env(),
            )

    def close(self) -> None:
        """Never leave the subprocess behind (a family that did not need it, a crash)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()

    def result(self) -> tuple[Sessions | None, str | None]:
        """(sessions, None), or (None, why the noxfile could not be read)."""
        if self._result is None:
            self._result = self._wait()
        return self._result

    def _wait(self) -> tuple[Sessions | None, str | None]:
        if self.proc is None:
            return Sessions({}), None
        try:
            out, err = self.proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            return None, "loading noxfile.py took more than 120 s"
        if self.proc.returncode != 0:
            return None, excerpt(err, root=self.root, stable=True, lines=8) or (
                f"exit {self.proc.returncode}"
            )
        try:
            data = json.loads(out.strip().splitlines()[-1])
            info = {
                name: SessionInfo(
                    tuple(s["requires"]),
                    s["default"],
                    (s["python"],) if isinstance(s["python"], str) else tuple(s["python"] or ()),
                )
                for name, s in data["sessions"].items()
            }
        except (ValueError, IndexError, KeyError, TypeError) as exc:
            return None, f"unreadable session list from noxfile.py: {exc}"
        selected = data.get("selected")
        return Sessions(info, tuple(selected) if selected else None), None


# ---- shell-like command lines -----------------------------------------------------------------

_GITHUB_EXPR = re.compile(r"\$\{\{.*?\}\}")
_ANGLE = re.compile(r"<[^<>\n]*>")
_SEPARATOR = re.compile(r"^[();<>|&]+$")
_PLACEHOLDER = re.compile(r"[\[\]<>{}$*…]|\.\.\.|^[A-Z][A-Z0-9_]*$")


def _placeholder(word: str) -> bool:
    """`<lane>`, `X`, `NAME`, `...`, `$SESSION`, `${{ matrix.s }}`: not a name to check."""
    return bool(_PLACEHOLDER.search(word))


_NEEDS_SHLEX = re.compile(r"['\"\\#]")
_WORD = re.compile(r"[();<>|&]+|[^\s();<>|&]+")


def _split(text: str) -> list[str]:
    """Words as `shlex` (POSIX, punctuation split off) makes them. A line without quotes,
    escapes or comments splits the same way with one regex, which is what most lines are:
    shlex's per-character loop would cost most of the step on a large docs tree."""
    text = _ANGLE.sub("…", _GITHUB_EXPR.sub("$EXPR", text))
    if not _NEEDS_SHLEX.search(text):
        return _WORD.findall(text)
    lex = shlex.shlex(text, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    try:
        return list(lex)
    except ValueError:  # unbalanced quotes in prose: words are still words
        return text.split()


def commands(
    lines: Iterable[tuple[int, str]], words: Sequence[str] | None = None
) -> list[list[Token]]:
    """Simple commands from shell-like lines: a trailing `\\` continues a command; `;`, `&&`,
    `||`, `|` and the end of a line end one; `#` starts a comment; quotes are removed. With
    `words`, a line that holds none of them (and continues no command) is not split at all."""
    out: list[list[Token]] = []
    cur: list[Token] = []
    more = False
    for n, raw in lines:
        text = raw.rstrip()
        ends_continued = text.endswith("\\")
        if words is not None and not (more or ends_continued or any(w in text for w in words)):
            continue
        more = ends_continued
        for word in _split(text[:-1] if more else text):
            if _SEPARATOR.match(word):
                if cur:
                    out.append(cur)
                cur = []
            else:
                cur.append((word, n))
        if not more and cur:
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


# ---- CI configuration -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Invocation:
    path: str
    job: str
    run: NoxRun


@dataclass(frozen=True)
class CiScript:
    """The commands of one script of a CI job, and the variables the CI file sets around them."""

    job: str
    commands: list[list[Token]]
    env: Mapping[str, Token] = field(default_factory=dict)


def _yaml() -> Any:
    import yaml  # imported when CI YAML is read, not by every `lane-tasks` start

    return yaml


def _compose(text: str) -> list[yaml.Node]:
    yaml = _yaml()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return [n for n in yaml.compose_all(text, Loader=loader) if n is not None]


def _get(node: yaml.Node, key: str) -> yaml.Node | None:
    yaml = _yaml()
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v  # type: ignore[no-any-return]
    return None


def _items(node: yaml.Node | None) -> list[tuple[str, yaml.Node]]:
    yaml = _yaml()
    if not isinstance(node, yaml.MappingNode):
        return []
    return [(str(k.value), v) for k, v in node.value if isinstance(k, yaml.ScalarNode)]


def _seq(node: yaml.Node | None) -> list[yaml.Node]:
    yaml = _yaml()
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _scalars(node: yaml.Node | None) -> Iterator[yaml.ScalarNode]:
    """Every scalar value below `node` (mapping keys excluded)."""
    yaml = _yaml()
    if isinstance(node, yaml.ScalarNode):
        yield node
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            yield from _scalars(v)
    elif isinstance(node, yaml.MappingNode):
        for _, v in node.value:
            yield from _scalars(v)


def _scalar_commands(node: yaml.ScalarNode, source: Sequence[str]) -> list[list[Token]]:
    """Commands of a YAML scalar with the source line of each word. A literal block (`|`)
    keeps its lines; a folded or multi-line flow scalar is matched back to its source lines."""
    first = node.start_mark.line + 1
    lines = str(node.value).split("\n")
    if node.style == "|":
        return commands((first + 1 + i, text) for i, text in enumerate(lines))
    if node.end_mark.line == node.start_mark.line:
        return commands([(first, str(node.value))])
    raw = source[node.start_mark.line : node.end_mark.line + 1]
    at = 0
    out: list[list[Token]] = []
    for cmd in commands((first, text) for text in lines):
        placed: list[Token] = []
        for word, _ in cmd:
            j = next((j for j in range(at, len(raw)) if word in raw[j]), None)
            at = at if j is None else j
            placed.append((word, first + at))
        out.append(placed)
    return out


CiReader = Callable[[str, str], Iterator[CiScript]]
"""(repo-relative path, text) -> every script in the file."""


def _variables(*nodes: yaml.Node | None) -> dict[str, Token]:
    """`env:` / `variables:` mappings, later ones winning, each value with its line (GitLab's
    `{value: …, description: …}` form included)."""
    yaml = _yaml()
    out: dict[str, Token] = {}
    for node in nodes:
        for name, value in _items(node):
            value = _get(value, "value") or value
            if isinstance(value, yaml.ScalarNode):
                out[name] = (str(value.value), value.start_mark.line + 1)
    return out


_SCRIPT_KEYS = ("before_script", "script", "after_script")

ACTION_USES = re.compile(r"^[A-Za-z0-9-]+/lane[-_]tasks@\S+$", re.IGNORECASE)
"""`uses:` of the lane-tasks GitHub Action (action.yml at the repository root), at any ref."""
ACTION_DEFAULT_LANE = "startup"
"""The action's `lane` input when a step gives none (action.yml's default)."""


def _action_runs(node: yaml.Node | None) -> Iterator[list[Token]]:
    """Each step below `node` that uses the lane-tasks action, as the `nox -s <lane>` the
    action runs for it: a workflow that adopts the action names its lane in `with: lane:`,
    not in a command line, and still proves that CI runs the lane."""
    yaml = _yaml()
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _action_runs(item)
    elif isinstance(node, yaml.MappingNode):
        uses = _get(node, "uses")
        if isinstance(uses, yaml.ScalarNode) and ACTION_USES.match(str(uses.value).strip()):
            given = _get(node, "with")
            lane = None if given is None else _get(given, "lane")
            if isinstance(lane, yaml.ScalarNode):
                token = (str(lane.value), lane.start_mark.line + 1)
            else:
                token = (ACTION_DEFAULT_LANE, uses.start_mark.line + 1)
            yield [("nox", token[1]), ("-s", token[1]), token]
            return
        for _, value in node.value:
            yield from _action_runs(value)


def action_lanes(text: str) -> list[Token]:
    """The lane session (with its line) of every use of the lane-tasks action in a YAML file
    (doctor reads workflows with it); [] for a file that is not valid YAML."""
    try:
        docs = _compose(text)
    except _yaml().YAMLError:
        return []
    return [cmd[-1] for doc in docs for cmd in _action_runs(doc)]


def _github(rel: str, text: str) -> Iterator[CiScript]:
    """GitHub Actions: the `run:` of every step of every job, with the workflow's, the job's
    and the step's `env:`; a step using the lane-tasks action runs its `lane`."""
    source = text.splitlines()
    for doc in _compose(text):
        for job, body in _items(_get(doc, "jobs")):
            for step in _seq(_get(body, "steps")):
                env = _variables(_get(doc, "env"), _get(body, "env"), _get(step, "env"))
                for scalar in _scalars(_get(step, "run")):
                    yield CiScript(f"{rel}:{job}", _scalar_commands(scalar, source), env)
                runs = list(_action_runs(step))
                if runs:
                    yield CiScript(f"{rel}:{job}", runs)


def _gitlab(rel: str, text: str) -> Iterator[CiScript]:
    """GitLab CI: `script`, `before_script` and `after_script` of every job (and globally),
    with the global and the job's `variables:`."""
    source = text.splitlines()
    for doc in _compose(text):
        for job, body in _items(doc):
            scripts: list[tuple[str, yaml.Node | None]]
            if job in _SCRIPT_KEYS:  # a global before_script/script/after_script
                scripts = [("(global)", body)]
                env = _variables(_get(doc, "variables"))
            else:
                scripts = [(job, _get(body, key)) for key in _SCRIPT_KEYS]
                env = _variables(_get(doc, "variables"), _get(body, "variables"))
            for name, node in scripts:
                for scalar in _scalars(node):
                    yield CiScript(f"{rel}:{name}", _scalar_commands(scalar, source), env)


def _any_yaml(rel: str, text: str) -> Iterator[CiScript]:
    """Another CI's YAML (named in lanes.toml): every string value may be a command, and a
    step using the lane-tasks action (a workflow kept outside .github/workflows/) runs its lane."""
    source = text.splitlines()
    for doc in _compose(text):
        for scalar in _scalars(doc):
            yield CiScript(rel, _scalar_commands(scalar, source))
        runs = list(_action_runs(doc))
        if runs:
            yield CiScript(rel, runs)


def _script(rel: str, text: str) -> Iterator[CiScript]:
    """A shell script or any other text file: every line is a command line (an `export
    NOXSESSION=…` line sets the variable for the lines after it)."""
    env: dict[str, Token] = {}
    for cmd in commands(enumerate(text.splitlines(), start=1)):
        if len(cmd) == 2 and cmd[0][0] == "export" and "=" in cmd[1][0]:
            name, _, value = cmd[1][0].partition("=")
            env[name] = (value, cmd[1][1])
            continue
        yield CiScript(rel, [cmd], dict(env))


def _is_yaml(rel: str) -> bool:
    return rel.endswith((".yml", ".yaml"))


CI_READERS: tuple[tuple[Callable[[str], bool], CiReader], ...] = (
    (lambda rel: rel.startswith(".github/workflows/") and _is_yaml(rel), _github),
    (lambda rel: rel.rsplit("/", 1)[-1] in (".gitlab-ci.yml", ".gitlab-ci.yaml"), _gitlab),
    (_is_yaml, _any_yaml),
    (lambda rel: True, _script),
)
"""The first reader whose test accepts a file's path reads it."""


# ---- the lane-tasks command line --------------------------------------------------------------


@dataclass(frozen=True)
class _Problem:
    id: str
    line: int
    found: str
    expected: str
    message: str


def _check_cli(args: Sequence[Token], surface: Mapping[tuple[str, ...], Command]) -> list[_Problem]:
    """Unknown sub-commands and options in one `lane-tasks …` invocation. Words in brackets
    (`[--version X]`) and placeholders (`<lane>`, `X`, `…`) are documentation, not input."""
    node = surface[()]
    problems: list[_Problem] = []
    depth = 0
    skip = False
    for word, line in args:
        if depth or word.startswith("["):
            depth = max(0, depth + word.count("[") - word.count("]"))
            continue
        if skip:
            skip = False
            continue
        if word == "--":
            break
        is_option = word.startswith("-") and len(word) > 1 and not word[1].isdigit()
        if is_option:
            opt, eq, _ = word.partition("=")
            if opt in node.options:
                skip = node.options[opt] and not eq
                continue
            longs = sorted(o for o in node.options if o.startswith("--"))
            problems.append(
                _Problem(
                    "docs-unknown-option",
                    line,
                    f"{node.name()} {opt}",
                    f"an option of `{node.name()}`: {', '.join(longs)}",
                    f"`{node.name()}` has no option {opt}{did_you_mean(opt, node.options)}",
                )
            )
            if node.subcommands:
                break  # whether it took a value is unknown: the next word may be either
        elif _placeholder(word):
            if node.subcommands:
                break  # `lane-tasks COMMAND --help`: nothing more to match
        elif node.subcommands:
            if word not in node.subcommands:
                choices = ", ".join(node.subcommands)
                problems.append(
                    _Problem(
                        "docs-unknown-command",
                        line,
                        f"{node.name()} {word}",
                        f"`{node.name()} <command>` with a command of: {choices}",
                        f"`{node.name()}` has no command '{word}'"
                        f"{did_you_mean(word, node.subcommands)}",
                    )
                )
                break
            node = surface[(*node.path, word)]
    return problems


# ---- docs -------------------------------------------------------------------------------------

_WORDS = ("nox", "lane-tasks", "lane_tasks")
_LANE_TASKS = frozenset({"lane-tasks", "lane_tasks"})
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")  # any indent: fences nest in list items
_MD_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_RST_SPAN = re.compile(r"``(.+?)``")
_RST_BLOCK = re.compile(r"^\s*\.\. (?:code-block|code|sourcecode|prompt)::")

Snippet = list[tuple[int, str]]
"""Lines of one code block or span, with their line numbers."""


def _prompt(n: int, line: str) -> Iterator[Snippet]:
    stripped = line.lstrip()
    if stripped.startswith("$ "):
        yield [(n, stripped[2:])]


def _markdown(text: str) -> Iterator[Snippet]:
    """Fenced code blocks, code spans and `$ ` command lines of a Markdown file."""
    fence: str | None = None
    block: Snippet = []
    for n, line in enumerate(text.splitlines(), start=1):
        m = _FENCE.match(line)
        if fence is not None:
            close = m is not None and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence)
            if close and not line.strip().strip(fence[0]):
                yield block
                fence, block = None, []
            else:
                block.append((n, line))
            continue
        if m:
            fence, block = m.group(1), []
            continue
        if not any(w in line for w in _WORDS):
            continue
        line = line.replace("\\|", "/")  # an escaped pipe in a table cell is not a shell pipe
        for span in _MD_SPAN.finditer(line):
            yield [(n, span.group(2))]
        yield from _prompt(n, line)
    if block:
        yield block


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _rst(text: str) -> Iterator[Snippet]:
    """Literal blocks (`::`, `.. code-block::`), inline literals and `$ ` lines of an RST file."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        directive = _RST_BLOCK.match(line) is not None
        for span in _RST_SPAN.finditer(line):
            yield [(i + 1, span.group(1))]
        if not directive:
            yield from _prompt(i + 1, line)
        if directive or line.rstrip().endswith("::"):
            base = _indent(line)
            j = i + 1
            while j < len(lines) and (
                not lines[j].strip() or (directive and lines[j].strip().startswith(":"))
            ):
                j += 1
            block: Snippet = []
            while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > base):
                block.append((j + 1, lines[j]))
                j += 1
            if block:
                yield block
                i = j
                continue
        i += 1


DOC_READERS: dict[str, Callable[[str], Iterator[Snippet]]] = {".md": _markdown, ".rst": _rst}
"""By suffix; any other file named by drift.docs is read as Markdown."""


# ---- the check families -----------------------------------------------------------------------


@dataclass
class _Facts:
    """What the families share: the config, the noxfile probe and a lanes.toml line finder."""

    config: Config
    probe: _NoxProbe
    line_of: Callable[[Sequence[str]], int | None]
    config_rel: str

    @property
    def root(self) -> Path:
        return self.config.root

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


@dataclass
class _Outcome:
    findings: list[Finding] = field(default_factory=list)
    summary: str = ""
    skip: str | None = None
    """A reason when the family does not apply (it is then neither pass nor fail)."""
    error: str | None = None


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _glob(root: Path, patterns: Iterable[str]) -> list[Path]:
    found = {p for pattern in patterns for p in root.glob(pattern) if p.is_file()}
    return sorted(found)


def _session_finding(
    kind: str, path: str, name: str, line: int, sessions: Sessions, where: str
) -> Finding:
    hint = did_you_mean(name, sessions.info)
    if "," in name and all(sessions.exists(n.strip()) for n in name.split(",") if n.strip()):
        names = " ".join(n.strip() for n in name.split(",") if n.strip())
        hint = f" (nox does not split a session name at commas: `-s {names}`)"
    return Finding(
        kind,
        path,
        line,
        f"nox session '{name}'",
        f"a session noxfile.py defines{hint}",
        f"{where} names nox session '{name}', which noxfile.py does not define{hint}",
    )


def _nox_family(f: _Facts) -> _Outcome:
    """Every lane and step of lanes.toml has a nox session; each lane session requires exactly
    the lane's resolved steps, in their run order."""
    sessions, error = f.probe.result()
    if sessions is None:
        return _Outcome(
            [
                Finding(
                    "nox-noxfile-error",
                    "noxfile.py",
                    None,
                    (error or "").splitlines()[-1] if error else "noxfile.py failed",
                    "noxfile.py loads and registers its sessions",
                    f"noxfile.py could not be loaded: {error}",
                )
            ],
            error=f"noxfile.py could not be loaded: {error}",
        )
    why = "noxfile.py does not exist" if f.probe.missing else "noxfile.py does not register it"
    out = _Outcome()
    lanes = f.config.resolved_lanes()
    steps: dict[str, str] = {}  # step -> the lane that adds it
    for lane in lanes:
        for item in lane.steps:
            steps.setdefault(item.id, item.origin)
    name = f.config.session  # a step's or lane's session name ([nox] session_prefix)
    for step, origin in steps.items():
        if name(step) not in sessions.info:
            out.findings.append(
                Finding(
                    "nox-missing-session",
                    f.config_rel,
                    f.line_of(["lanes", origin, "steps"]),
                    f"no nox session '{name(step)}' ({why})",
                    f"a nox session '{name(step)}' for step '{step}' of lane '{origin}'",
                    f"step '{step}' of lane '{origin}' has no nox session ({why})",
                )
            )
    for lane in lanes:
        expected = [name(s) for s in lane.step_ids()]
        line = f.line_of(["lanes", lane.name, "steps"])
        session = name(lane.name)
        if session not in sessions.info:
            out.findings.append(
                Finding(
                    "nox-missing-session",
                    f.config_rel,
                    f.line_of(["lanes", lane.name]),
                    f"no nox session '{session}' ({why})",
                    f"a nox session '{session}' with requires={expected}",
                    f"lane '{lane.name}' has no nox session ({why})",
                )
            )
            continue
        got = list(sessions.info[session].requires)
        if got != expected:
            out.findings.append(
                Finding(
                    "nox-requires-mismatch",
                    f.config_rel,
                    line,
                    f"nox session '{session}' requires={got}",
                    f"requires={expected}",
                    f"nox session '{session}' does not require exactly the lane's steps "
                    f"(requires={got}, lanes.toml resolves {expected})",
                )
            )
    out.summary = (
        f"{_n(len(steps), 'step')} and {_n(len(lanes), 'lane')} checked against "
        f"{_n(len(sessions.info), 'nox session')}"
    )
    return out


def _ci_family(f: _Facts) -> _Outcome:
    """CI runs only nox sessions that exist, and every lane of drift.required_ci_lanes is run by
    at least one CI job."""
    patterns = (*CI_FILES, *f.config.drift.ci_files, *f.config.ci_files)
    files = _glob(f.root, patterns)
    required = f.config.drift.required_ci_lanes
    if not files and not required:
        return _Outcome(skip=f"no CI files found ({', '.join(patterns)})")
    out = _Outcome()
    invocations: list[_Invocation] = []
    for path in files:
        rel = f.rel(path)
        text = path.read_text(encoding="utf-8", errors="replace")
        reader = next(read for accepts, read in CI_READERS if accepts(rel))
        try:
            scripts = list(reader(rel, text))
        except _yaml().YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            out.findings.append(
                Finding(
                    "ci-invalid-yaml",
                    rel,
                    None if mark is None else mark.line + 1,
                    f"YAML error: {problem}",
                    "valid YAML",
                    f"{rel} is not valid YAML ({problem}): its commands cannot be checked",
                )
            )
            continue
        for script in scripts:
            for cmd in script.commands:
                run = nox_run(cmd, script.env)
                if run is not None:
                    invocations.append(_Invocation(rel, script.job, run))
    sessions, _ = f.probe.result()
    ran: set[str] = set()
    for inv in invocations:
        if not inv.run.reads_project_noxfile():
            continue  # another noxfile's sessions are not this project's to check
        if inv.run.sessions == () and sessions is not None:
            ran.update(sessions.default())
        for name, line in inv.run.sessions or ():
            if _placeholder(name):
                continue
            ran.add(name)
            if sessions is not None and not sessions.exists(name):
                where = f"CI ({inv.job})"
                out.findings.append(
                    _session_finding("ci-unknown-session", inv.path, name, line, sessions, where)
                )
    checked = ", ".join(f.rel(p) for p in files) or "none found"
    for lane in required:
        if f.config.session(lane) not in ran:
            out.findings.append(
                Finding(
                    "ci-missing-lane",
                    f.config_rel,
                    f.line_of(["drift", "required_ci_lanes"]),
                    f"no CI job runs lane '{lane}' (CI files: {checked})",
                    f"a CI job running `nox -s {f.config.session(lane)}`",
                    f"lane '{lane}' is required in CI (drift.required_ci_lanes) "
                    f"but no CI job runs it (CI files: {checked})",
                )
            )
    out.summary = f"{_n(len(files), 'CI file')}, {_n(len(invocations), 'nox invocation')}"
    if sessions is None:
        out.summary += " (session names not checked: noxfile.py could not be loaded)"
    return out


_EXAMPLE_DECORATOR = re.compile(r"^\s*@(?:nox\.)?session\b")
_EXAMPLE_NAME = re.compile(r"""\bname\s*=\s*(['"])(.+?)\1""")
_EXAMPLE_DEF = re.compile(r"^\s*(?:async\s+)?def\s+(\w+)\s*\(\s*(\w*)")
_PYTHON_SUFFIX = re.compile(r"-(?:pypy-?)?\d+(?:\.\d+)*t?$")


def _example_sessions(snippets: Iterable[Snippet]) -> set[str]:
    """Sessions that a doc's own example noxfile code defines: `@nox.session` (its `name=`, else
    the function's name) or a `def X(session…)`. A doc that teaches nox shows them in code and
    then runs them (`nox -s dev`); they are the example's sessions, not this project's."""
    found: set[str] = set()
    for snippet in snippets:
        decorated, named = False, None
        for _, line in snippet:
            if "session" not in line and not decorated:
                continue
            if _EXAMPLE_DECORATOR.match(line):
                decorated = True
            m = _EXAMPLE_NAME.search(line) if decorated else None
            named = m.group(2) if m else named
            d = _EXAMPLE_DEF.match(line)
            if d:
                if decorated or d.group(2) == "session":
                    found.add(named or d.group(1))
                decorated, named = False, None
    return found


def _is_example(name: str, examples: set[str]) -> bool:
    """`dev`, `test-3.12` (its python) or `tests(django='2.0')` of an example session."""
    base = name.split("(", 1)[0]
    return base in examples or _PYTHON_SUFFIX.sub("", base) in examples


def _docs_family(f: _Facts) -> _Outcome:
    """Docs name only nox sessions that exist and only `lane-tasks` commands and options the
    real command line has. A session that the docs define in their own example noxfile code is
    that example's, not a claim about this project (docs that teach nox)."""
    files = _glob(f.root, f.config.drift.docs)
    if not files:
        return _Outcome(skip=f"no docs found ({', '.join(f.config.drift.docs)})")
    surface = cli_surface()
    out = _Outcome()
    mentions: list[tuple[str, str, int]] = []
    examples: set[str] = set()
    n_cli = 0
    for path in files:
        rel = f.rel(path)
        text = path.read_text(encoding="utf-8", errors="replace")
        read = DOC_READERS.get(path.suffix.lower(), _markdown)
        snippets = list(read(text))
        if "session" in text:
            examples |= _example_sessions(snippets)
        for snippet in snippets:
            for cmd in commands(snippet, _WORDS):
                inv = invocation(cmd)
                if inv is not None and inv.program in _LANE_TASKS:
                    n_cli += 1
                    for p in _check_cli(inv.args, surface):
                        out.findings.append(
                            Finding(p.id, rel, p.line, p.found, p.expected, p.message)
                        )
                    continue
                run = nox_run(cmd)
                if run is None or not run.reads_project_noxfile():
                    continue
                mentions += [(rel, s, n) for s, n in run.sessions or () if not _placeholder(s)]
    sessions, _ = f.probe.result()
    n_examples = 0
    if sessions is not None:
        for rel, name, line in mentions:
            if sessions.exists(name):
                continue
            if _is_example(name, examples):
                n_examples += 1
                continue
            out.findings.append(
                _session_finding("docs-unknown-session", rel, name, line, sessions, rel)
            )
    out.summary = (
        f"{_n(len(files), 'docs file')}: {_n(n_cli, 'lane-tasks command')}, "
        f"{_n(len(mentions), 'nox session')} named"
    )
    if n_examples:
        out.summary += f" ({n_examples} of them sessions of the docs' own example noxfiles)"
    if sessions is None:
        out.summary += " (session names not checked: noxfile.py could not be loaded)"
    return out


def _lanes_doc_family(f: _Facts) -> _Outcome:
    """docs/lanes.md, when published, is exactly what `lane-tasks lanes docs` renders from
    lanes.toml."""

    path = f.root / LANES_DOC
    if not path.is_file():
        return _Outcome(skip=f"{LANES_DOC} does not exist")
    actual = path.read_text(encoding="utf-8", errors="replace")
    diff = first_difference(render_lanes_md(f.config), actual)
    if diff is None:
        return _Outcome(summary=f"{LANES_DOC} matches lanes.toml")
    line, found, expected = diff
    return _Outcome(
        [
            Finding(
                "lanes-doc-stale",
                LANES_DOC,
                line,
                found,
                expected,
                f"{LANES_DOC} does not match lanes.toml from line {line} "
                f"(run `lane-tasks lanes docs --out {LANES_DOC}`)",
            )
        ],
        summary=f"{LANES_DOC} differs from lanes.toml",
    )


@dataclass(frozen=True)
class Family:
    id: str
    check: Callable[[_Facts], _Outcome]
    fix: str


FAMILIES: dict[str, Family] = {
    fam.id: fam
    for fam in (
        Family(
            "nox-sessions",
            _nox_family,
            "register the sessions from lanes.toml in noxfile.py "
            "(`from lane_tasks.nox_sessions import register; register()`)",
        ),
        Family(
            "ci",
            _ci_family,
            "make CI run only sessions `nox -l` lists and every required lane (`nox -s <lane>`), "
            "or waive the finding in lanes.toml ([[drift.waive]] with a reason)",
        ),
        Family(
            "docs",
            _docs_family,
            "update the docs to the sessions and commands that exist "
            "(`nox -l`, `lane-tasks <command> --help`)",
        ),
        Family(
            "lanes-doc",
            _lanes_doc_family,
            f"regenerate it: `lane-tasks lanes docs --out {LANES_DOC}`",
        ),
    )
}
"""In report order."""

_RUN_ORDER = ("lanes-doc", "docs", "ci", "nox-sessions")
"""Families that scan files run first, so the noxfile subprocess loads meanwhile."""


def _result(family: Family, outcome: _Outcome) -> Result:
    if outcome.skip is not None:
        return Result(id=family.id, status="skip", message=outcome.skip)
    open_ = [x for x in outcome.findings if x.waived is None]
    waived = [x for x in outcome.findings if x.waived is not None]
    status = "pass"
    if open_:
        status = "error" if any(FINDINGS[x.id].status == "error" for x in open_) else "fail"
    parts = [outcome.error or outcome.summary] if status == "error" else [outcome.summary]
    if open_:
        parts.append(_n(len(open_), "finding"))
    parts += [f"waived {x.id} at {x.where()}: {x.waived}" for x in waived]
    lines = [f"{x.where()}: {x.id}: {x.message}" for x in open_]
    lines += [f"{x.where()}: {x.id}: {x.message} [waived: {x.waived}]" for x in waived]
    return Result(
        id=family.id,
        status=status,
        message="; ".join(p for p in parts if p),
        excerpt="\n".join(lines) if open_ else "",
        fix=family.fix if open_ else None,
    )


@register("drift-check")
def run(ctx: StepContext) -> tuple[list[Result], dict[str, Any]]:
    config = ctx.config
    facts = _Facts(
        config=config,
        probe=_NoxProbe(config.root),
        line_of=key_lines(config.path),
        config_rel=config.shown(config.path),
    )
    try:
        outcomes = {fid: FAMILIES[fid].check(facts) for fid in _RUN_ORDER}
    finally:
        facts.probe.close()
    waivers = config.drift.waive
    for outcome in outcomes.values():
        found = sorted(outcome.findings, key=lambda x: (x.path, x.line or 0))
        outcome.findings = [_waive(x, waivers) for x in found]
    results = [_result(fam, outcomes[fid]) for fid, fam in FAMILIES.items()]
    findings = [x.to_json() for fid in FAMILIES for x in outcomes[fid].findings]
    return results, {"findings": findings}
