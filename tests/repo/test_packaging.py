"""Packaging and conventions: what ships in the wheel, the platforms declared, start-up on an
unsupported OS."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from helpers import Templates, repo_wheel

from lane_tasks import cli
from lane_tasks.errors import EXIT_ENV


@pytest.mark.e2e
@pytest.mark.slow
def test_wheel_ships_license_urls_and_classifiers(templates: Templates, tmp_path: Path) -> None:
    """The wheel carries the MIT LICENSE, the project URLs, the Python versions supported and
    the POSIX-only platform (what pip, PyPI and license scanners read)."""
    wheel = templates.copy("lane-tasks-wheel", repo_wheel, tmp_path)
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        (meta_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        meta = Parser().parsestr(zf.read(meta_name).decode())
        (license_name,) = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
        license_text = zf.read(license_name).decode()
    assert "MIT License" in license_text
    assert "Copyright (c) 2026 lane_tasks developers" in license_text
    assert meta["License-Expression"] == "MIT"
    assert meta.get_all("License-File") == ["LICENSE"]
    urls = {u.split(",")[0] for u in meta.get_all("Project-URL") or []}
    assert urls >= {"Homepage", "Documentation", "Issues", "Changelog"}
    classifiers = set(meta.get_all("Classifier") or [])
    for minor in (11, 12, 13, 14):
        assert f"Programming Language :: Python :: 3.{minor}" in classifiers
    assert "Operating System :: POSIX" in classifiers
    assert "lane_tasks/schemas/lanes-toml.schema.json" in names  # for editors, see README
    assert "lane_tasks/dashboard/static/dashboard.css" in names  # inlined into every dashboard
    requires = " ".join(meta.get_all("Requires-Dist") or [])
    assert "argcomplete" in requires


def test_unsupported_platform_is_one_line_exit_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """On Windows (no fcntl, no O_NOFOLLOW directory descriptors) the CLI refuses in one line
    with exit 3 before it touches anything, instead of an ImportError traceback."""
    monkeypatch.setattr(os, "name", "nt")
    assert cli.main(["lanes", "list"]) == EXIT_ENV
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("lane-tasks: error: lane-tasks runs on POSIX systems only")
    assert "WSL" in err


@pytest.mark.e2e
def test_posix_only_modules_are_not_imported_at_start_up() -> None:
    """fcntl is imported where a lock is taken, so importing the CLI on Windows reaches the
    one-line refusal in main()."""
    code = (
        "import sys; sys.modules['fcntl'] = None\nimport lane_tasks.cli, lane_tasks.nox_sessions\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
