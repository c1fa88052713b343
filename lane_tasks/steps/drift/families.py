"""The check families of drift-check: nox sessions, CI, docs and the published docs/lanes.md.

Each family compares lanes.toml with one kind of source and returns its findings and a summary
(facts.py: what they read and return). FAMILIES is the registry: the step runs the families and
reports them in its order, with the fix each one suggests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lane_tasks.catalog.commands import cli_surface
from lane_tasks.docs.lanes_page import first_difference, render_lanes_md
from lane_tasks.project.ci_files import CI_FILES, find_ci_files
from lane_tasks.project.nox_command import invocation, nox_run
from lane_tasks.steps.drift.ci_config import CI_READERS, _Invocation, _yaml
from lane_tasks.steps.drift.cli_commands import _check_cli
from lane_tasks.steps.drift.docs_refs import (
    _LANE_TASKS,
    _WORDS,
    DOC_READERS,
    _example_sessions,
    _is_example,
    _markdown,
)
from lane_tasks.steps.drift.facts import _Facts, _glob, _n, _Outcome, _session_finding
from lane_tasks.steps.drift.findings import Finding
from lane_tasks.steps.drift.shell_words import _placeholder, commands

LANES_DOC = "docs/lanes.md"


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
    patterns = (*CI_FILES, *f.config.named_ci_files)
    files = find_ci_files(f.root, f.config.named_ci_files)
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
