"""The commands of CI files: GitHub Actions and GitLab CI YAML, other YAML and scripts.

CI is where a release path is actually run, so drift-check reads each CI file for what it is:
YAML is parsed (each scalar keeps its source line), the variables set around a script go with
it, and a step that uses the lane-tasks GitHub Action counts as the `nox -s <lane>` it runs.
doctor reads workflows for that action too (action_lanes).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lane_tasks.project.nox_command import NoxRun, Token
from lane_tasks.steps.drift.shell_words import commands

if TYPE_CHECKING:
    import yaml


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
