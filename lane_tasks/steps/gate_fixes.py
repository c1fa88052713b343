"""What a failed gate fast check tells a person to do: the command to run locally (as they
would type it), the command that fixes what a formatter or linter found, or what to install
for a missing tool.

A fix hint is derived from the check's own command and how it failed, never from its output;
these rules are separate from assembling the result (gate_results) so they can be read, and
tested, on their own.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from lane_tasks.config import REPORT_PLACEHOLDER, CheckSpec
from lane_tasks.steps.gate_commands import PYTHON_TOOLS, distribution, expand_cmd
from lane_tasks.util.procs import ProcResult

__all__ = ["derived_fix", "fix_for", "local_cmd"]


_FIXES = {
    "missing": "install {tool} in the environment that runs the lane, or fix cmd in lanes.toml",
    "timeout": "make the check faster or raise gate.fast.checks.{id}.timeout in lanes.toml",
    "exited": "run `{cmd}` locally and fix what it reports",
    "oserror": "check gate.fast.checks.{id}.cmd in lanes.toml",
    "cancelled": "re-run without --fail-fast to see this check's result",
    "interrupted": "re-run it: the run was interrupted before this check finished",
}


def _install_hint(check: CheckSpec) -> str:
    """`pip install X` for a missing `{python} -m X` or a missing Python tool, else how to
    get the program."""
    cmd = check.cmd
    if not check.shell and cmd[0] == "{python}" and len(cmd) > 2 and cmd[1] == "-m":
        return (
            f"`pip install {distribution(cmd[2])}` into the environment lane-tasks runs in "
            f"({sys.executable}), or fix gate.fast.checks.{check.id}.cmd in lanes.toml"
        )
    program = shlex.split(cmd[0])[0] if check.shell and cmd[0].strip() else cmd[0]
    program = Path(program).name if program != "{python}" else "python"
    if program in PYTHON_TOOLS:
        return (
            f"`pip install {distribution(program)}` into the environment that runs the lane, "
            f"or fix gate.fast.checks.{check.id}.cmd in lanes.toml"
        )
    return _FIXES["missing"].format(tool=program)


_REPORT_OPTIONS = frozenset({"--output-format", "--output-file", "-o", "--junitxml"})
_CHECK_ONLY = {
    "ruff": frozenset({"--check", "--diff"}),
    "black": frozenset({"--check", "--diff"}),
    "isort": frozenset({"--check", "--check-only", "-c", "--diff"}),
}


def local_cmd(cmd: tuple[str, ...]) -> list[str]:
    """The check's command as a person runs it at a terminal: `python` for `{python}`, and
    without what only writes its report (`-o {report}`, `--junitxml={report}`,
    `--output-format sarif`)."""
    out: list[str] = []
    skip = False
    for i, part in enumerate(cmd):
        if skip:
            skip = False
            continue
        nxt = cmd[i + 1] if i + 1 < len(cmd) else ""
        if REPORT_PLACEHOLDER in part:
            continue
        if part in _REPORT_OPTIONS and (REPORT_PLACEHOLDER in nxt or part == "--output-format"):
            skip = True
            continue
        if part.split("=", 1)[0] == "--output-format":
            continue
        out.append(part)
    return list(expand_cmd(tuple(out), python="python"))


def derived_fix(cmd: list[str]) -> str | None:
    """The command that fixes what a formatter or linter check found, from the check's own
    command: `ruff format .` for `ruff format --check .`, `ruff check --fix ...` for `ruff
    check ...`, `black .` for `black --check .`, `isort .` for `isort --check .`."""
    at = 2 if len(cmd) > 2 and Path(cmd[0]).name.startswith("python") and cmd[1] == "-m" else 0
    tool, prefix, args = Path(cmd[at]).name, cmd[: at + 1], cmd[at + 1 :]
    check_only = _CHECK_ONLY.get(tool, frozenset())
    if tool == "ruff" and args[:1] == ["format"] and check_only & set(args):
        fixed = [*prefix, *(a for a in args if a not in check_only)]
        return f"run `{' '.join(fixed)}` to reformat the files it lists"
    if tool == "ruff" and args[:1] == ["check"] and "--fix" not in args:
        fixed = [*prefix, "check", "--fix", *args[1:]]
        return f"run `{' '.join(fixed)}` to fix what ruff can, then fix the rest it reports"
    if tool in ("black", "isort") and check_only & set(args):
        fixed = [*prefix, *(a for a in args if a not in check_only)]
        return f"run `{' '.join(fixed)}` to reformat the files it lists"
    return None


def fix_for(check: CheckSpec, res: ProcResult, shown: list[str]) -> str:
    if res.outcome == "missing":
        return _install_hint(check)
    if res.outcome == "exited":
        return check.fix or derived_fix(shown) or _FIXES["exited"].format(cmd=" ".join(shown))
    return _FIXES[res.outcome].format(id=check.id)
