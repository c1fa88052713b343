"""What a gate fast check runs: its command with `{python}`, `{python_version}` and `{report}`
filled in, its environment, and whether its tool is there to run (and which distribution
`pip install` takes for it).

gate fast, doctor, `lane-tasks init` and the benchmarks all need the same answer to "what
would this check run, and can it", without running it; kept apart from the step, which
schedules the processes, and from the results they make.
"""

from __future__ import annotations

import importlib.util
import shlex
import sys
from pathlib import Path

from lane_tasks.config import REPORT_PLACEHOLDER, CheckSpec
from lane_tasks.util.procs import tool_env, which

__all__ = [
    "DISTRIBUTIONS",
    "PYTHON_TOOLS",
    "PYTHON_VERSION",
    "SHELL",
    "argv",
    "check_env",
    "distribution",
    "expand_cmd",
    "missing_tool",
    "pip_distribution",
]


PYTHON_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"


def expand_cmd(
    cmd: tuple[str, ...], python: str = sys.executable, report: str = REPORT_PLACEHOLDER
) -> tuple[str, ...]:
    """`{python}` stands for the interpreter running lane-tasks, so `python -m pytest` uses
    the environment nox and lane-tasks run in, not whatever `python` is first on PATH;
    `{python_version}` is its X.Y (a project nox session run for this Python only);
    `{report}` is where the check's tool writes its report (`report =`). People are shown
    `python` for `{python}` (`python=`)."""
    return tuple(
        part.replace("{python}", python)
        .replace("{python_version}", PYTHON_VERSION)
        .replace(REPORT_PLACEHOLDER, report)
        for part in cmd
    )


def check_env(check: CheckSpec) -> dict[str, str]:
    """The environment a check runs in: see `tool_env`, plus the check's own `env`."""
    return tool_env(check.env)


SHELL = "/bin/sh"


def argv(check: CheckSpec, report: Path | None = None) -> tuple[str, ...]:
    """What runs: the argv list, or `/bin/sh -c <string>` for a check with `shell = true`;
    `{report}` becomes `report` (quoted for the shell in a shell string)."""
    where = REPORT_PLACEHOLDER if report is None else str(report)
    cmd = expand_cmd(check.cmd, report=shlex.quote(where) if check.shell else where)
    return (SHELL, "-c", cmd[0]) if check.shell else cmd


def missing_tool(check: CheckSpec, root: Path) -> str | None:
    """Why the check's tool cannot run, or None: a missing program, or a `{python} -m X`
    whose module is not installed next to lane-tasks."""
    cmd = argv(check)
    if which(cmd[0], check_env(check), root / (check.cwd or ".")) is None:
        return f"tool '{cmd[0] if check.shell else check.cmd[0]}' not found on PATH"
    if not check.shell and check.cmd[0] == "{python}" and len(cmd) > 2 and cmd[1] == "-m":
        module = cmd[2]
        if importlib.util.find_spec(module.split(".")[0]) is None:
            return f"module '{module}' is not installed for {sys.executable}"
    return None


DISTRIBUTIONS = {
    "attr": "attrs",
    "bs4": "beautifulsoup4",
    "cv2": "opencv-python",
    "dateutil": "python-dateutil",
    "dmypy": "mypy",
    "jwt": "PyJWT",
    "PIL": "Pillow",
    "py.test": "pytest",
    "pytest_cov": "pytest-cov",
    "sklearn": "scikit-learn",
    "stubtest": "mypy",
    "xdist": "pytest-xdist",
    "yaml": "PyYAML",
}
"""Module or program names whose distribution (what `pip install` takes) is named otherwise;
any other module's is its name with `_` as `-` (`pip_audit` is `pip-audit`)."""
PYTHON_TOOLS = frozenset(
    {
        *("bandit", "black", "build", "codespell", "coverage", "deptry", "dmypy", "flake8"),
        *("interrogate", "isort", "mypy", "nox", "pip-audit", "pre-commit", "pydocstyle"),
        *("pylint", "pyright", "pytest", "py.test", "pyupgrade", "ruff", "stubtest", "tox"),
        *("twine", "ty", "vulture"),
    }
)
"""Programs on PATH that are Python distributions: a missing one is a `pip install` away."""


def distribution(name: str) -> str:
    """The distribution to `pip install` for a module or program name."""
    top = name.split(".")[0] if name != "py.test" else name
    return DISTRIBUTIONS.get(top, top.replace("_", "-"))


def pip_distribution(check: CheckSpec) -> str | None:
    """The distribution `pip install` takes for the check's tool when it is a Python one
    (`{python} -m X` or a known Python program), else None."""
    cmd = check.cmd
    if not check.shell and cmd[0] == "{python}" and len(cmd) > 2 and cmd[1] == "-m":
        return distribution(cmd[2])
    program = shlex.split(cmd[0])[0] if check.shell and cmd[0].strip() else cmd[0]
    program = Path(program).name
    return distribution(program) if program in PYTHON_TOOLS else None
