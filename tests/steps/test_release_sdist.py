"""gate release's sdist-complete check (lane_tasks.steps.release_sdist): the sdist rebuilds the
wheel the tree builds, and holds every tracked file under the package directories."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import commit_all, make_project, release_results, set_release, write
from helpers import replace_in as set_pyproject

from lane_tasks.steps.release_sdist import package_sources, wheel_difference


def test_wheel_difference_is_by_name_both_ways() -> None:
    assert wheel_difference(["a.py", "b.py", "m/RECORD"], ["a.py", "c.py", "m/RECORD"]) == (
        ["b.py"],
        ["c.py"],
    )


@pytest.mark.e2e
def test_package_sources_are_the_tracked_files_of_what_the_wheel_provides(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    write(root, "sample/data/table.json", "{}\n")
    write(root, "src/other/__init__.py", "")
    write(root, "single.py", "")
    write(root, "sample/untracked-not-listed.txt", "")
    commit_all(root, "more")
    (root / "sample" / "scratch.txt").write_text("untracked\n")
    names = ["sample/__init__.py", "other/__init__.py", "single.py", "x-1.dist-info/METADATA"]
    assert package_sources(root, names) == [
        "sample/__init__.py",
        "sample/data/table.json",
        "sample/untracked-not-listed.txt",
        "single.py",
        "src/other/__init__.py",
    ]


@pytest.mark.e2e
def test_a_complete_sdist_passes(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    write(root, "sample/table.json", "{}\n")
    set_release(root)
    code, res = release_results(root)
    assert res["sdist-complete"]["status"] == "pass", res["sdist-complete"]
    assert res["sdist-complete"]["message"] == (
        "the wheel built from sample-0.1.0.tar.gz has the same 5 files; "
        "every tracked package file is in the sdist"
    )
    assert code == 0


@pytest.mark.e2e
def test_a_module_the_sdist_leaves_out_fails_both_ways(tmp_path: Path) -> None:
    """flit told to leave a module out of the sdist: the wheel from the tree has it, the wheel
    a packager builds from the sdist does not."""
    root = make_project(tmp_path)
    write(root, "sample/extra.py", '"""Extra."""\n')
    set_pyproject(
        root, "[tool.mypy]", '[tool.flit.sdist]\nexclude = ["sample/extra.py"]\n\n[tool.mypy]'
    )
    set_release(root)
    code, res = release_results(root)
    assert code == 1
    check = res["sdist-complete"]
    assert check["status"] == "fail", check
    assert check["message"] == (
        "the wheel built from the sdist lacks sample/extra.py; "
        "tracked but not in the sdist: sample/extra.py"
    )
    assert "sdist_exclude" in check["fix"]


@pytest.mark.e2e
def test_a_tracked_data_file_left_out_of_the_sdist_fails_unless_excluded(tmp_path: Path) -> None:
    """setuptools with a MANIFEST.in that drops a file: both wheels lack it alike, but the
    sdist does not hold a file the package directory tracks."""
    root = make_project(tmp_path, backend="setuptools")
    write(root, "sample/notes.txt", "internal notes\n")
    write(root, "MANIFEST.in", "exclude sample/notes.txt\n")
    set_release(root)
    code, res = release_results(root)
    assert code == 1
    assert res["sdist-complete"]["message"] == "tracked but not in the sdist: sample/notes.txt"

    set_release(root, sdist_exclude=["sample/*.txt"])
    code, res = release_results(root)
    assert res["sdist-complete"]["status"] == "pass", res["sdist-complete"]
