"""gate release tries the wheel as users get it (lane_tasks.steps.release_install): installed
into a fresh, offline environment, each top-level module imports from there, each console
script answers --help, and [gate.release] smoke runs against it from an empty directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import commit_all, make_project, release_results, run_cli, set_release, write
from helpers import replace_in as set_pyproject

from lane_tasks.steps.release_install import console_scripts, importable, unmet_requirements

# ---- the fast tier: what a wheel's files say ------------------------------------------------


def test_importable_names_packages_modules_and_namespace_children() -> None:
    names = [
        "pkg/__init__.py",
        "pkg/data.json",
        "single.py",
        "_speedups.cpython-311-x86_64-linux-gnu.so",
        "ns/inner/__init__.py",
        "ns/leaf.py",
        "pkg-1.0.dist-info/METADATA",
        "pkg-1.0.data/scripts/tool",
        "not-a-name/x.py",
    ]
    assert importable(names) == ["single", "_speedups", "ns.inner", "ns.leaf", "pkg"]


def test_console_scripts_are_read_from_entry_points() -> None:
    text = "[console_scripts]\nB-tool = pkg:main\na = pkg.cli:run\n\n[gui_scripts]\ng = pkg:gui\n"
    assert console_scripts(text) == ["B-tool", "a"]
    assert console_scripts("[pytest11]\nplug = pkg.plugin\n") == []


def test_unmet_requirements_name_what_this_environment_lacks() -> None:
    meta = (
        "Metadata-Version: 2.4\nName: x\nVersion: 1\n"
        "Requires-Dist: packaging>=1\n"
        "Requires-Dist: packaging<1\n"
        "Requires-Dist: surely-not-installed-here-xyz>=1\n"
        'Requires-Dist: other-missing-xyz; extra == "docs"\n'
        "Requires-Dist: windows-only-xyz; sys_platform == 'win32'\n"
    )
    unmet = unmet_requirements(meta)
    assert len(unmet) == 2, unmet
    assert unmet[0].startswith("packaging<1 (") and unmet[0].endswith(" installed)")
    assert unmet[1] == "surely-not-installed-here-xyz>=1 (not installed)"


# ---- end to end: gate release on generated projects ----------------------------------------

NO_DATA = "[tool.setuptools]\ninclude-package-data = false\n\n"

DATA_READER = (
    '"""sample: its table is package data."""\n\n'
    "from importlib.resources import files\n\n"
    'TABLE = files(__name__).joinpath("table.json").read_text(encoding="utf-8")\n\n\n'
    'def add(a: int, b: int) -> int:\n    """Return the sum."""\n    return a + b\n'
)


@pytest.mark.e2e
def test_a_package_data_file_missing_from_the_wheel_fails_with_the_file(tmp_path: Path) -> None:
    """setuptools without package data (the classic broken release): the import in a fresh
    environment fails and names the file, where the source tree's tests pass."""
    root = make_project(tmp_path, backend="setuptools")
    write(root, "sample/__init__.py", DATA_READER)
    write(root, "sample/table.json", '{"answer": 42}\n')
    set_pyproject(root, "[tool.mypy]", NO_DATA + "[tool.mypy]")
    set_release(root)
    code, res = release_results(root)
    assert code == 1
    wheel = res["installed-wheel"]
    assert wheel["status"] == "fail", wheel
    assert "import sample fails: FileNotFoundError" in wheel["message"], wheel
    assert "table.json" in wheel["message"], wheel
    assert res["smoke"]["status"] == "skip"  # it needs the installed wheel

    # told to include it, the same project's wheel imports
    set_pyproject(root, NO_DATA, '[tool.setuptools.package-data]\nsample = ["*.json"]\n\n')
    commit_all(root, "include the table")
    code, res = release_results(root)
    assert res["installed-wheel"]["status"] == "pass", res["installed-wheel"]
    assert res["installed-wheel"]["message"] == (
        "installed sample-0.1.0-py3-none-any.whl into a fresh environment: "
        "1 top-level import(s) (sample)"
    )


@pytest.mark.e2e
def test_a_module_left_out_of_the_wheel_fails_with_its_name(tmp_path: Path) -> None:
    root = make_project(tmp_path, backend="setuptools")
    write(
        root,
        "sample/__init__.py",
        '"""sample."""\n\nfrom sample.inner import add\n\n__all__ = ["add"]\n',
    )
    write(root, "sample/inner/__init__.py", "def add(a: int, b: int) -> int:\n    return a + b\n")
    set_pyproject(
        root,
        "[tool.mypy]",
        '[tool.setuptools]\npackages = ["sample"]\ninclude-package-data = false\n\n[tool.mypy]',
    )
    set_release(root)
    code, res = release_results(root)
    assert code == 1
    assert res["installed-wheel"]["status"] == "fail"
    assert (
        "import sample fails: ModuleNotFoundError: No module named 'sample.inner'"
        in (res["installed-wheel"]["message"])
    )


@pytest.mark.e2e
def test_a_broken_console_script_fails_with_its_name(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    write(
        root,
        "sample/cli.py",
        'import sys\n\n\ndef main() -> int:\n    print("usage: sample-ok")\n    return 0\n',
    )
    set_pyproject(
        root,
        "[tool.mypy]",
        '[project.scripts]\nsample-ok = "sample.cli:main"\n'
        'sample-gone = "sample.cli:moved"\n\n[tool.mypy]',
    )
    set_release(root)
    code, res = release_results(root)
    assert code == 1
    message = res["installed-wheel"]["message"]
    assert res["installed-wheel"]["status"] == "fail", message
    assert "console script `sample-gone --help` fails (exit 1)" in message, message
    assert "moved" in message  # the ImportError names what the entry point wants
    assert "sample-ok" not in message  # the working one is not blamed


@pytest.mark.e2e
def test_the_smoke_command_runs_against_the_wheel_from_an_empty_directory(tmp_path: Path) -> None:
    """{python} is the fresh environment's; the command's directory is not the project, and
    the package it imports is the installed one."""
    root = make_project(tmp_path)
    probe = (
        "import os, sys, sample; "
        "assert not os.path.exists('pyproject.toml'), os.getcwd(); "
        "assert sample.__file__.startswith(sys.prefix), sample.__file__; "
        "assert os.path.isdir(sys.argv[1])"
    )
    set_release(root, smoke=["{python}", "-c", probe, "{project}/tests"])
    code, res = release_results(root)
    assert res["smoke"]["status"] == "pass", res["smoke"]
    assert code == 0, res

    set_release(
        root,
        smoke=[
            "{python}",
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "{project}/tests/nothing-here",
        ],
    )
    code, res = release_results(root)
    assert code == 1
    assert res["smoke"]["status"] == "fail"
    assert res["smoke"]["message"].endswith("failed (exit 4)"), res["smoke"]


@pytest.mark.e2e
def test_a_dependency_missing_here_is_an_error_of_the_machine(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    set_pyproject(
        root,
        'requires-python = ">=3.11"',
        'requires-python = ">=3.11"\ndependencies = ["surely-not-installed-xyz>=1"]',
    )
    set_release(root)
    code, res = release_results(root)
    wheel = res["installed-wheel"]
    assert code == 3  # could not check: not a verdict on the project
    assert wheel["status"] == "error", wheel
    assert "surely-not-installed-xyz>=1 (not installed)" in wheel["message"]
    assert "pip install -e ." in wheel["fix"]


@pytest.mark.e2e
def test_a_bad_smoke_command_is_a_config_error(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    set_release(root, smoke="pytest tests")
    r = run_cli(root, "lanes", "validate")
    assert r.returncode == 2
    assert "gate.release.smoke: must be an argv list, not a shell string" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.e2e
def test_a_smoke_command_that_imports_the_source_tree_fails(tmp_path: Path) -> None:
    """pytest's `pythonpath = ["."]` puts the source tree first: the tests pass, but against
    the tree, not the wheel; the smoke check sees where the package came from."""
    root = make_project(tmp_path)
    set_pyproject(
        root, "[tool.mypy]", '[tool.pytest.ini_options]\npythonpath = ["."]\n\n[tool.mypy]'
    )
    pytest_cmd = ["{python}", "-m", "pytest", "-q", "-p", "no:cacheprovider", "{project}/tests"]
    set_release(root, smoke=pytest_cmd)
    code, res = release_results(root)
    smoke = res["smoke"]
    assert code == 1 and smoke["status"] == "fail", smoke
    assert (
        "passed, but imported sample from sample/__init__.py, not the installed wheel"
        in (smoke["message"])
    )
    assert "-o pythonpath=" in smoke["fix"]

    set_release(root, smoke=[*pytest_cmd[:-1], "-o", "pythonpath=", pytest_cmd[-1]])
    code, res = release_results(root)
    assert res["smoke"]["status"] == "pass", res["smoke"]
    assert res["smoke"]["message"].endswith("(imported sample from it)")


@pytest.mark.e2e
def test_a_smoke_command_that_never_imports_the_wheel_fails(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    set_release(root, smoke=["{python}", "-c", "print('all good')"])
    code, res = release_results(root)
    assert code == 1
    assert res["smoke"]["status"] == "fail"
    assert "never imported sample with {python}" in res["smoke"]["message"]
