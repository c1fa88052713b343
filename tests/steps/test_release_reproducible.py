"""Reproducible builds: gate release's `reproducible` check (a second build with the same
SOURCE_DATE_EPOCH must give the same bytes; lane_tasks.steps.release_reproducible). The
`reproducible-build` control that reads its evidence: tests/controls/test_reproducible_build.py."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from helpers import make_project, release_results, set_release, write

from lane_tasks.config import load_config
from lane_tasks.steps.base import StepContext
from lane_tasks.steps.release_reproducible import archive_difference, asked

STAMPING_SETUP = '''
import time
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class Stamped(build_py):
    """Writes the build time into the package: a build that differs every time."""

    def run(self):
        super().run()
        Path(self.build_lib, "sample", "_built.py").write_text(f"AT = {time.time()!r}\\n")


setup(cmdclass={"build_py": Stamped})
'''


def test_archive_difference_names_the_files_that_differ(tmp_path: Path) -> None:
    def wheel(name: str, files: dict[str, str]) -> Path:
        path = tmp_path / name
        with zipfile.ZipFile(path, "w") as z:
            for n, text in files.items():
                z.writestr(n, text)
        return path

    a = wheel("a.whl", {"p/__init__.py": "", "p/_built.py": "AT = 1", "p/gone.py": ""})
    b = wheel("b.whl", {"p/__init__.py": "", "p/_built.py": "AT = 2"})
    assert archive_difference(a, b) == ["p/_built.py", "p/gone.py"]
    assert archive_difference(a, a) == []


@pytest.mark.e2e
def test_who_asks_for_the_rebuild(tmp_path: Path) -> None:
    """The regulated lane asks through its control; the setting wins either way."""
    root = make_project(tmp_path, lane="regulated")
    config = load_config(root / "lanes.toml")
    assert asked(StepContext(config=config, lane="regulated")) == (
        True,
        "lane regulated has the reproducible-build control",
    )
    assert asked(StepContext(config=config, lane="startup"))[0] is False
    assert asked(StepContext(config=config))[0] is False
    set_release(root, reproducible=False)
    config = load_config(root / "lanes.toml")
    assert asked(StepContext(config=config, lane="regulated")) == (
        False,
        "[gate.release] reproducible = false",
    )


@pytest.mark.e2e
def test_a_deterministic_build_is_reproducible(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    set_release(root, reproducible=True)
    code, res = release_results(root)
    check = res["reproducible"]
    assert check["status"] == "pass", check
    pre = json.loads((root / "build" / "pre.json").read_text(encoding="utf-8"))
    assert [d["kind"] for d in pre["dists"]] == ["sdist", "wheel"]
    for d in pre["dists"]:
        assert d["sha256"][:12] in check["message"], check
    assert check["message"].startswith(
        "two builds gave identical files ([gate.release] reproducible = true): "
    )
    assert code == 0


@pytest.mark.e2e
def test_a_timestamp_written_into_a_module_is_named(tmp_path: Path) -> None:
    root = make_project(tmp_path, backend="setuptools")
    write(root, "setup.py", STAMPING_SETUP)
    set_release(root, reproducible=True)
    code, res = release_results(root)
    assert code == 1
    check = res["reproducible"]
    assert check["status"] == "fail", check
    wheel = next(p for p in check["message"].split("; ") if ".whl differs in " in p)
    assert "sample/_built.py" in wheel, check  # named with the RECORD that hashes it
    assert "SOURCE_DATE_EPOCH" in check["fix"]


@pytest.mark.e2e
def test_a_backend_that_stamps_archive_times_is_told_apart(tmp_path: Path) -> None:
    """setuptools dates its sdist's generated members and gzip header with the clock: the
    files inside are the same, and the message says so rather than naming none."""
    root = make_project(tmp_path, backend="setuptools")
    set_release(root, reproducible=True)
    _, res = release_results(root)
    check = res["reproducible"]
    assert check["status"] == "fail", check
    assert check["message"] == (
        "two builds differ: sample-0.1.0.tar.gz differs only in archive times or order, not in "
        "any file inside (the build backend stamps the build time over SOURCE_DATE_EPOCH)"
    )


@pytest.mark.e2e
def test_without_the_setting_it_is_skipped_outside_a_lane_that_asks(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    set_release(root)
    _, res = release_results(root)
    assert res["reproducible"]["status"] == "skip"
    assert "reproducible = true" in res["reproducible"]["message"]
