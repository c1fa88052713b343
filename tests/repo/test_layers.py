"""The layer rule, checked: no upward import (import-linter's contract in pyproject.toml), and a
function-level import of lane_tasks itself only where a comment says why."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
from pathlib import Path

from helpers import REPO_ROOT

PACKAGE = REPO_ROOT / "lane_tasks"


def _deferred_imports() -> list[tuple[Path, int, str]]:
    """Every `import lane_tasks...` / `from lane_tasks... import` inside a function body."""
    found: list[tuple[Path, int, str]] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "lane_tasks"
                ):
                    found.append((path, node.lineno, node.module or ""))
                elif isinstance(node, ast.Import):
                    found += [
                        (path, node.lineno, a.name)
                        for a in node.names
                        if a.name.startswith("lane_tasks")
                    ]
    return found


def _explained(lines: list[str], lineno: int) -> bool:
    """A comment on the import's line, or heading the run of imports it belongs to."""
    if "#" in lines[lineno - 1]:
        return True
    i = lineno - 2
    while i >= 0 and (
        lines[i].strip().startswith(("from ", "import ", ")")) or lines[i].strip().endswith(",")
    ):
        i -= 1
    return i >= 0 and lines[i].strip().startswith("#")


def test_every_function_level_import_of_lane_tasks_says_why() -> None:
    unexplained = []
    for path, lineno, module in _deferred_imports():
        if not _explained(path.read_text(encoding="utf-8").splitlines(), lineno):
            unexplained.append(f"{path.relative_to(PACKAGE.parent)}:{lineno}: {module}")
    assert not unexplained, "function-level imports without a reason:\n" + "\n".join(unexplained)


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("lint-imports")
    assert exe is not None, "import-linter is a test dependency: pip install -e '.[test]'"
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [exe, "--no-cache"], cwd=root, env=env, capture_output=True, text=True, check=False
    )


def test_the_layers_contract_holds() -> None:
    r = _lint_imports(PACKAGE.parent)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 kept, 0 broken" in r.stdout


def test_an_upward_import_inside_a_function_breaks_the_contract(tmp_path: Path) -> None:
    """The contract sees function-level imports: the configuration importing a step (what
    made one cycle of most of the package before) fails it, naming the edge."""
    shutil.copytree(PACKAGE, tmp_path / "lane_tasks", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PACKAGE.parent / "pyproject.toml", tmp_path / "pyproject.toml")
    load = tmp_path / "lane_tasks" / "config" / "load.py"
    load.write_text(
        load.read_text(encoding="utf-8")
        + "\n\ndef _upward() -> object:\n"
        + "    from lane_tasks.steps import doctor\n\n    return doctor\n",
        encoding="utf-8",
    )
    r = _lint_imports(tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "lane_tasks.config.load -> lane_tasks.steps.doctor" in r.stdout, r.stdout
