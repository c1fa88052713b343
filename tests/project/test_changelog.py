"""The changelog's honesty about a release candidate (lane_tasks.project.changelog, and gate
release's changelog check): a heading that says "unreleased" over the version being cut, or
one without the date the other entries carry, fails with a fix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import commit_all, make_project, run_cli, write
from packaging.version import Version

from lane_tasks.project.changelog import dates_entries, find_entry

V = Version("0.2.0")


@pytest.mark.parametrize(
    ("heading", "words"),
    [
        ("## [0.2.0] - Unreleased", "Unreleased"),
        ("## 0.2.0 (unreleased)", "unreleased"),
        ("## 0.2.0 - not yet released", "not yet released"),
        ("## 0.2.0 (in development)", "in development"),
        ("## 0.2.0 - TBD", "TBD"),
        ("## 0.2.0 - 2026-01-02", None),
        ("## 0.2.0", None),
        ("## Released 0.2.0", None),  # "released" alone is not "unreleased"
    ],
)
def test_a_heading_says_whether_its_version_is_out(heading: str, words: str | None) -> None:
    entry = find_entry(f"# Changelog\n\n{heading}\n\n- Change.\n", V)
    assert entry is not None
    assert entry.unreleased == words


@pytest.mark.parametrize(
    ("heading", "dated"),
    [
        ("## [0.2.0] - 2026-01-02", True),
        ("## 0.2.0 (2026/1/2)", True),
        ("## 0.2.0 — 02.01.2026", True),
        ("## 0.2.0", False),
        ("## 0.2.0 (build 20260102)", False),  # a number is not a date
    ],
)
def test_a_heading_carries_a_date_or_not(heading: str, dated: bool) -> None:
    entry = find_entry(f"{heading}\n\n- Change.\n", V)
    assert entry is not None and entry.dated is dated


@pytest.mark.parametrize(
    ("others", "dated"),
    [
        (["## 0.1.0 - 2026-01-02", "## 0.0.9 - 2025-12-01"], True),
        (["## 0.1.0 - 2026-01-02", "## 0.0.9"], False),  # half is not most
        (["## 0.1.0 - 2026-01-02", "## 0.0.9 - 2025-12-01", "## 0.0.8"], True),
        (["## 0.1.0", "## 0.0.9"], False),
        ([], False),  # a first release: nothing to follow
        (["## Notes 2026-01-02"], False),  # a dated heading that names no version
    ],
)
def test_a_changelog_dates_its_entries_when_most_do(others: list[str], dated: bool) -> None:
    text = "# Changelog\n\n## 0.2.0\n\n- New.\n\n" + "".join(f"{h}\n\n- Old.\n\n" for h in others)
    assert dates_entries(text, V) is dated


# ---- gate release ---------------------------------------------------------------------------


def preflight(root: Path, text: str) -> tuple[int, dict[str, Any]]:
    """gate release on the project with this changelog committed; its changelog result."""
    write(root, "CHANGELOG.md", text)
    commit_all(root, "changelog")
    r = run_cli(root, "gate", "release", "--format", "json", "--out", "build/pre.json", "--offline")
    assert "Traceback" not in r.stderr, r.stderr
    doc = json.loads((root / "build" / "pre.json").read_text(encoding="utf-8"))
    (res,) = [x for x in doc["results"] if x["id"] == "changelog"]
    return r.returncode, res


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A candidate for 0.1.0 (no tags) whose preflight checks only what the repository says."""
    root = make_project(tmp_path)
    with (root / "lanes.toml").open("a", encoding="utf-8") as fh:
        fh.write(
            "\n[gate.release.disable]\n"
            'build = "these tests read the changelog"\n'
            'gate-fast-evidence = "these tests read the changelog"\n'
        )
    commit_all(root, "quick preflight")
    return root


@pytest.mark.e2e
def test_an_unreleased_heading_over_the_candidate_fails_with_a_fix(project: Path) -> None:
    code, res = preflight(project, "# Changelog\n\n## [0.1.0] - Unreleased\n\n- First.\n")
    assert code == 1
    assert res["status"] == "fail"
    assert res["message"] == (
        "CHANGELOG.md:3: the heading '[0.1.0] - Unreleased' says 'Unreleased', "
        "but 0.1.0 is the release candidate"
    )
    assert "replace 'Unreleased' in its heading with the release date" in res["fix"]


@pytest.mark.e2e
def test_an_undated_candidate_among_dated_entries_fails_and_a_date_passes(project: Path) -> None:
    old = "## 0.0.9 - 2025-12-01\n\n- Old.\n"
    code, res = preflight(project, f"# Changelog\n\n## 0.1.0\n\n- First.\n\n{old}")
    assert code == 1 and res["status"] == "fail", res
    assert res["message"] == (
        "CHANGELOG.md:3: the heading '0.1.0' carries no date, as the changelog's other entries do"
    )
    assert res["fix"] == "date the heading of 0.1.0: '0.1.0 - YYYY-MM-DD' (the day you tag it)"
    code, res = preflight(project, f"# Changelog\n\n## 0.1.0 - 2026-12-03\n\n- First.\n\n{old}")
    assert code == 0 and res["status"] == "pass", res


@pytest.mark.e2e
def test_between_releases_an_unreleased_heading_is_fine(project: Path) -> None:
    """A development version is no candidate: its upcoming section may say unreleased."""
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(text.replace('version = "0.1.0"', 'version = "0.2.0.dev0"'))
    code, res = preflight(project, "# Changelog\n\n## 0.2.0 (unreleased)\n\n- Next.\n")
    assert code == 0, res
    assert res["status"] == "skip" and "development version" in res["message"]
