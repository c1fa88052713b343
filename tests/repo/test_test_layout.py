"""tests/ mirrors lane_tasks/ (docs/architecture.md, "Tests"): a test file about the module
`lane_tasks/<path>/<name>.py`, or about the package `lane_tasks/<path>/<name>/` as a whole, is
`tests/<path>/test_<name>.py`. Only tests/e2e/ (end-to-end scenarios across modules) and
tests/repo/ (this repository itself) hold test files named for what they are about instead.

Run as a script, this file also reports the modules that neither a test file of their own nor
one of a package around them is named for; that is a report, never a failure (such a module may
well be tested, through an end-to-end scenario or a caller's file)::

    PYTHONPATH=tests python tests/repo/test_test_layout.py
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

from helpers import REPO_ROOT, TESTS_DIR

FREE = ("e2e", "repo")
"""The directories of tests/ whose test files are about no single module."""


def subjects(package: Path) -> dict[str, str]:
    """Every place a test file may have, relative to tests/ (`steps/test_doctor.py`), with what
    it tests (`lane_tasks/steps/doctor.py`): each module, and each package as a whole."""
    out: dict[str, str] = {}
    root = package.parent
    for path in sorted(package.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        rel = path.relative_to(package)
        if rel.name == "__init__.py":
            if rel.parent == Path():  # the top package: its files are top-level modules
                continue
            where, name = rel.parent.parent, rel.parent.name
            what = f"{path.parent.relative_to(root).as_posix()}/"
        else:
            where, name = rel.parent, rel.stem
            what = path.relative_to(root).as_posix()
        out[(where / f"test_{name}.py").as_posix()] = what
    return out


def layout_files(tests: Path) -> list[str]:
    """The test files of `tests`, relative to it, outside the free directories."""
    return sorted(
        p.relative_to(tests).as_posix()
        for p in tests.rglob("test_*.py")
        if p.relative_to(tests).parts[0] not in FREE and "__pycache__" not in p.parts
    )


def _key(rel: str) -> str:
    """`steps/test_gate_release.py` as `steps/gate_release`: what spelling is compared on."""
    where, _, name = rel.rpartition("/")
    return f"{where}/{name.removeprefix('test_').removesuffix('.py')}".lstrip("/")


def suggestion(rel: str, places: dict[str, str]) -> str:
    """Where `rel` probably belongs: the places of a module or package of the same name, else the
    nearest place by spelling (of the path, then of the name alone)."""
    free = f"tests/{FREE[0]}/ or tests/{FREE[1]}/ if it tests no single module"
    same = [p for p in places if Path(p).name == Path(rel).name]
    if same:
        return "did you mean " + " or ".join(f"tests/{p} ({places[p]})" for p in same) + "?"
    keys = {_key(p): p for p in places}
    near = difflib.get_close_matches(_key(rel), list(keys), n=1, cutoff=0.75)
    if not near:
        names = {Path(k).name: keys[k] for k in keys}
        near = difflib.get_close_matches(Path(_key(rel)).name, list(names), n=1, cutoff=0.75)
        near = [_key(names[n]) for n in near]
    if not near:
        return f"move it to {free}"
    place = keys[near[0]]
    return f"did you mean tests/{place} ({places[place]})? Or {free}"


def misplaced(tests: Path, package: Path) -> list[str]:
    """One line per test file of `tests` that names no module or package of `package`."""
    places = subjects(package)
    pkg = package.name
    return [
        f"tests/{rel}: there is no {pkg}/{rel.rpartition('/')[0] + '/' if '/' in rel else ''}"
        f"{Path(rel).stem.removeprefix('test_')}(.py|/); {suggestion(rel, places)}"
        for rel in layout_files(tests)
        if rel not in places
    ]


def untested(tests: Path, package: Path) -> list[str]:
    """The modules and packages that neither a test file of their own nor one of a package
    around them is named for (the report, not a failure)."""
    places = subjects(package)
    named = {what for rel, what in places.items() if (tests / rel).exists()}
    return sorted(
        what
        for what in places.values()
        if not any(what.startswith(n) for n in named if n.endswith("/") or n == what)
    )


def test_every_test_file_is_named_for_a_module_or_package() -> None:
    problems = misplaced(TESTS_DIR, REPO_ROOT / "lane_tasks")
    assert not problems, "\n".join(problems)


def _tree(root: Path, *files: str) -> Path:
    for rel in files:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("")
    return root


def test_the_rule_maps_modules_and_packages_and_names_the_nearest_place(tmp_path: Path) -> None:
    package = _tree(
        tmp_path / "src" / "pkg",
        "__init__.py",
        "errors.py",
        "steps/__init__.py",
        "steps/gate_release.py",
        "steps/drift/__init__.py",
        "steps/drift/facts.py",
        "steps/drift/families.py",
    )
    assert subjects(package) == {
        "test_errors.py": "pkg/errors.py",
        "test_steps.py": "pkg/steps/",
        "steps/test_gate_release.py": "pkg/steps/gate_release.py",
        "steps/test_drift.py": "pkg/steps/drift/",
        "steps/drift/test_facts.py": "pkg/steps/drift/facts.py",
        "steps/drift/test_families.py": "pkg/steps/drift/families.py",
    }
    tests = _tree(
        tmp_path / "tests",
        "test_errors.py",
        "steps/test_drift.py",
        "steps/drift/test_facts.py",
        "e2e/test_a_whole_lane.py",
        "repo/test_packaging.py",
        "test_gate_release.py",  # misplaced: its module is in steps/
        "steps/test_gate_relase.py",  # misspelt
        "test_helpers_of_mine.py",  # about no module at all
        "test_stpes.py",  # misspelt, no module of that name anywhere
        "helpers.py",  # no test file: not judged
    )
    assert misplaced(tests, package) == [
        "tests/steps/test_gate_relase.py: there is no pkg/steps/gate_relase(.py|/); "
        "did you mean tests/steps/test_gate_release.py (pkg/steps/gate_release.py)? "
        "Or tests/e2e/ or tests/repo/ if it tests no single module",
        "tests/test_gate_release.py: there is no pkg/gate_release(.py|/); "
        "did you mean tests/steps/test_gate_release.py (pkg/steps/gate_release.py)?",
        "tests/test_helpers_of_mine.py: there is no pkg/helpers_of_mine(.py|/); "
        "move it to tests/e2e/ or tests/repo/ if it tests no single module",
        "tests/test_stpes.py: there is no pkg/stpes(.py|/); did you mean tests/test_steps.py "
        "(pkg/steps/)? Or tests/e2e/ or tests/repo/ if it tests no single module",
    ]
    # drift/families.py is tested through tests/steps/test_drift.py, its package's file
    assert untested(tests, package) == ["pkg/steps/", "pkg/steps/gate_release.py"]


if __name__ == "__main__":
    missing = untested(TESTS_DIR, REPO_ROOT / "lane_tasks")
    sys.stdout.write(
        f"{len(missing)} modules and packages of lane_tasks have no test file of their own or of "
        "a package around them (tested through an e2e scenario or a caller's file, or not yet):\n"
    )
    sys.stdout.writelines(f"  {what}\n" for what in missing)
