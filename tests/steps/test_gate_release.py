"""gate release on real projects: real git tags, real builds (`python -m build` without
isolation), real `twine check --strict` and `check-wheel-contents`, through the real CLI.

Builds take a few seconds each, so tests about a check that does not need the distributions use
`quick()`: the same project with `build` and `gate-fast-evidence` disabled in lanes.toml.
"""

from __future__ import annotations

import json
import subprocess
import tarfile
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from helpers import (
    Templates,
    commit_all,
    git,
    make_git_repo,
    make_project,
    run_cli,
    validate_artifact,
    write,
)

from lane_tasks.evidence.store import new_run_id

OUT = "build/release-preflight.json"
CHECK_IDS = [
    "metadata",
    "version",
    "changelog",
    "clean-tree",
    "build",
    "dist-metadata",
    "wheel-contents",
    "sdist-complete",
    "reproducible",
    "installed-wheel",
    "smoke",
    "sbom",
    "gate-fast-evidence",
]
NOT_HERE = "not under test here"
OPT_IN = {"smoke": "skip", "reproducible": "skip"}
"""The checks a project turns on ([gate.release] smoke, reproducible): skipped, saying how."""
PASSING = {**dict.fromkeys(CHECK_IDS, "pass"), **OPT_IN}
"""Every check of a clean project's preflight, outside a lane that asks for more."""
QUICK = {"build": NOT_HERE, "gate-fast-evidence": NOT_HERE}


# ---- helpers --------------------------------------------------------------------------------


def preflight(root: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """`lane-tasks gate release --offline` writing its artifact; the artifact is validated."""
    (root / OUT).unlink(missing_ok=True)
    r = run_cli(root, "gate", "release", "--format", "json", "--out", OUT, "--offline", *args)
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode in (0, 1), r.stdout + r.stderr
    doc = json.loads((root / OUT).read_text(encoding="utf-8"))
    validate_artifact(doc)
    assert [x["id"] for x in doc["results"]] == CHECK_IDS
    return r, doc


def result(doc: dict[str, Any], check_id: str) -> dict[str, Any]:
    return next(r for r in doc["results"] if r["id"] == check_id)


def assert_check(doc: dict[str, Any], check_id: str, status: str, needle: str) -> dict[str, Any]:
    res = result(doc, check_id)
    assert res["status"] == status, res
    assert needle in res["message"], res
    if status in ("fail", "error"):
        assert res["fix"], res
    else:
        assert res["fix"] is None, res
    return res


def gate_fast(root: Path, *args: str) -> dict[str, Any]:
    out = root / "build" / "gate-fast.json"
    out.unlink(missing_ok=True)
    r = run_cli(root, "gate", "fast", "--format", "json", "--out", "build/gate-fast.json", *args)
    assert "Traceback" not in r.stderr, r.stderr
    doc: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    validate_artifact(doc)
    return doc


def configure(
    root: Path, *, release: dict[str, Any] | None = None, fast: str | None = None
) -> None:
    """Set [gate.release] (and, with `fast`, one trivial gate-fast check running that Python
    code) in the project's lanes.toml and commit it."""
    path = root / "lanes.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    if release is not None:
        data.setdefault("gate", {})["release"] = release
    if fast is not None:
        data["gate"]["fast"]["checks"] = {"smoke": {"cmd": ["{python}", "-c", fast]}}
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    commit_all(root, "configure lanes")


def make_quick(root: Path, **release: Any) -> Path:
    """Make the committed sample project at `root` one whose preflight skips the build and the
    gate-fast evidence (with `release` added to [gate.release])."""
    disable = {**QUICK, **release.pop("disable", {})}
    configure(root, release={**release, "disable": disable})
    return root


def _evidenced(d: Path) -> Path:
    """The sample project with a passing gate fast of its HEAD (the real checks: ruff, mypy,
    pytest) in build/gate-fast.json."""
    root = make_project(d)
    assert gate_fast(root)["status"] == "pass"
    return root


def evidence_project(d: Path, code: str = "pass") -> Path:
    """A project whose gate fast is one trivial check running `code`; no build."""
    root = make_project(d)
    configure(root, release={"disable": {"build": NOT_HERE}}, fast=code)
    return root


def _evidence_fails(d: Path) -> Path:
    return evidence_project(d, "raise SystemExit(1)")


def _quick(d: Path) -> Path:
    return make_quick(make_project(d))


def _setuptools_project(d: Path) -> Path:
    return make_project(d, backend="setuptools")


def _setuptools_quick(d: Path) -> Path:
    return make_quick(make_project(d, backend="setuptools"))


@pytest.fixture
def project(templates: Templates, tmp_path: Path) -> Path:
    """A copy of the clean, committed sample project (`make_project`)."""
    return templates.copy("gate-release-project", make_project, tmp_path)


@pytest.fixture
def quick(templates: Templates, tmp_path: Path) -> Path:
    """A copy of the sample project whose preflight skips the build and the gate-fast
    evidence (`make_quick`)."""
    return templates.copy("gate-release-quick", _quick, tmp_path)


@pytest.fixture
def setuptools_project(templates: Templates, tmp_path: Path) -> Path:
    """`project` built by setuptools: for its own behaviour (dynamic versions, package lists)."""
    return templates.copy("gate-release-setuptools-project", _setuptools_project, tmp_path)


@pytest.fixture
def setuptools_quick(templates: Templates, tmp_path: Path) -> Path:
    """`quick` built by setuptools."""
    return templates.copy("gate-release-setuptools-quick", _setuptools_quick, tmp_path)


@pytest.fixture
def evidenced(templates: Templates, tmp_path: Path) -> Path:
    """A copy of the sample project whose gate fast passed on HEAD (`_evidenced`)."""
    return templates.copy("gate-release-evidenced", _evidenced, tmp_path)


@pytest.fixture
def evidence(templates: Templates, tmp_path: Path) -> Path:
    """A copy of `evidence_project` whose one gate fast check passes."""
    return templates.copy("gate-release-evidence", evidence_project, tmp_path)


@pytest.fixture
def evidence_fails(templates: Templates, tmp_path: Path) -> Path:
    """A copy of `evidence_project` whose one gate fast check exits 1."""
    return templates.copy("gate-release-evidence-fails", _evidence_fails, tmp_path)


def set_version(root: Path, version: str) -> str:
    """Make the project's static version `version` (with a changelog entry) and commit."""
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    assert 'version = "0.1.0"' in text
    pyproject.write_text(text.replace('version = "0.1.0"', f'version = "{version}"'))
    write(root, "CHANGELOG.md", f"# Changelog\n\n## {version}\n\n- Release {version}.\n")
    return commit_all(root, f"version {version}")


def tag(root: Path, name: str, rev: str = "HEAD", *, annotated: bool = False) -> None:
    if annotated:
        git(root, "tag", "-a", "-m", f"release {name}", name, rev)
    else:
        git(root, "tag", name, rev)


def head(root: Path) -> str:
    return git(root, "rev-parse", "HEAD")


# ---- a passing project ----------------------------------------------------------------------


@pytest.mark.e2e
def test_clean_project_passes_every_check(evidenced: Path) -> None:
    root = evidenced  # its gate fast passed (asserted where the template is built)
    r, doc = preflight(root)
    assert r.returncode == 0, r.stdout
    assert doc["status"] == "pass"
    assert {x["id"]: x["status"] for x in doc["results"]} == PASSING
    assert doc["summary"] == {"pass": 11, "fail": 0, "error": 0, "skip": 2}
    assert "[gate.release] smoke" in result(doc, "smoke")["message"]
    assert "reproducible = true" in result(doc, "reproducible")["message"]
    assert doc["version"] == "0.1.0"
    assert doc["step"] == "gate-release"
    assert doc["subject"] == {"commit": head(root), "dirty": False}
    assert result(doc, "version")["message"] == "0.1.0 (static) (no earlier release tag)"
    assert result(doc, "changelog")["message"] == "CHANGELOG.md:3: 0.1.0"
    assert "(offline, no isolation)" in result(doc, "build")["message"]
    assert head(root)[:12] in result(doc, "gate-fast-evidence")["message"]
    dist = root / "build" / "dist"
    assert sorted(p.name for p in dist.iterdir()) == [
        "sample-0.1.0-py3-none-any.whl",
        "sample-0.1.0.tar.gz",
    ]
    # the build left nothing behind: no extra worktree, no egg-info, a clean tree
    assert git(root, "worktree", "list", "--porcelain").count("worktree ") == 1
    assert not (root / "sample.egg-info").exists()
    assert git(root, "status", "--porcelain") == ""


@pytest.mark.e2e
def test_gate_release_prints_each_sub_check_as_it_starts(project: Path) -> None:
    """A person (or a CI log) sees what the preflight is doing while it does it, in order:
    a sub-check's start line, then its result; the build's followers start after it passed."""
    root = project
    configure(root, release={"disable": {"gate-fast-evidence": NOT_HERE}})
    r, doc = preflight(root)
    assert doc["status"] == "pass", r.stdout + r.stderr
    lines = r.stderr.splitlines()

    def at(line: str) -> int:
        assert line in lines, r.stderr
        return lines.index(line)

    order = [
        at("lane-tasks gate-release: running…"),
        at("  working out the release candidate…"),
        at("  reading the project metadata…"),
        at("  building sdist and wheel…"),
        next(i for i, ln in enumerate(lines) if ln.startswith("  PASS  build ")),
        at("  twine check --strict…"),
        next(i for i, ln in enumerate(lines) if ln.startswith("  PASS  dist-metadata ")),
    ]
    assert order == sorted(order), r.stderr
    assert at("  check-wheel-contents…") > order[4]
    skipped = next(ln for ln in lines if "gate-fast-evidence" in ln)
    assert skipped.split()[0] == "SKIP" and NOT_HERE in skipped


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("asked", "status", "needle"),
    [
        ("0.1.0", "pass", "0.1.0 (static)"),
        ("0.2.0", "fail", "--version 0.2.0 but the project's version is 0.1.0"),
        ("banana", "fail", "--version: 'banana' is not a valid PEP 440 version"),
    ],
)
def test_version_option_must_be_the_projects(
    quick: Path, asked: str, status: str, needle: str
) -> None:
    root = quick
    r, doc = preflight(root, "--version", asked)
    assert_check(doc, "version", status, needle)
    assert r.returncode == (0 if status == "pass" else 1)
    assert doc["candidate"] is True  # asked for explicitly: every rule is strict
    # every other check still runs, on the project's own version
    assert_check(doc, "changelog", "pass", "CHANGELOG.md:3: 0.1.0")


@pytest.mark.e2e
def test_missing_release_metadata_fails_metadata(quick: Path) -> None:
    root = quick
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    for line in ('license = "MIT"\n', 'requires-python = ">=3.11"\n'):
        assert line in text
        text = text.replace(line, "")
    pyproject.write_text(text, encoding="utf-8")
    commit_all(root, "less metadata")
    r, doc = preflight(root)
    assert r.returncode == 1
    assert_check(doc, "metadata", "fail", "project.license, project.requires-python missing")


# ---- version against release tags ----------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.parametrize("annotated", [False, True], ids=["lightweight", "annotated"])
def test_version_already_tagged_on_another_commit_fails_when_asked_for(
    quick: Path, annotated: bool
) -> None:
    root = quick
    tagged = head(root)
    tag(root, "v0.1.0", annotated=annotated)
    write(root, "NOTES.md", "after the release\n")
    commit_all(root, "later")
    r, doc = preflight(root, "--version", "0.1.0")
    assert r.returncode == 1
    assert doc["status"] == "fail"
    assert doc["candidate"] is True
    res = assert_check(
        doc, "version", "fail", f"0.1.0 is already tagged as v0.1.0 on {tagged[:12]}"
    )
    assert "bump the version" in res["fix"]
    # without --version the same commit is simply not a release candidate: see below


@pytest.mark.e2e
@pytest.mark.parametrize("annotated", [False, True], ids=["lightweight", "annotated"])
def test_version_tagged_on_head_passes(quick: Path, annotated: bool) -> None:
    root = quick
    tag(root, "v0.1.0", annotated=annotated)
    r, doc = preflight(root)
    assert r.returncode == 0, r.stdout
    assert_check(doc, "version", "pass", "(no earlier release tag); tagged v0.1.0 on HEAD")


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("version", "tags", "status", "needle"),
    [
        (
            "0.1.0",
            {"v0.2.0": "old"},
            "fail",
            "0.1.0 is not greater than the latest release tag v0.2.0 (0.2.0)",
        ),
        ("0.2.0", {"v0.2.0": "old"}, "fail", "0.2.0 is already tagged as v0.2.0"),
        (
            "0.1.0",
            {"v0.1.0": "head", "v0.2.0": "old"},
            "fail",
            "not greater than the latest release tag v0.2.0",
        ),
        (
            "0.1.0",
            {"v0.0.9": "old", "v0.2.0": "old", "v0.1.5": "old"},
            "fail",
            "not greater than the latest release tag v0.2.0",
        ),
        (
            "0.9.5",
            {"v0.9.0": "old", "v0.10.0": "old"},
            "fail",
            "0.9.5 is not greater than the latest release tag v0.10.0 (0.10.0)",
        ),
        (
            "0.10.0",
            {"v0.9.0": "old", "v0.1.0": "old"},
            "pass",
            "0.10.0 (static) > latest tag v0.9.0",
        ),
    ],
    ids=[
        "lower",
        "equal",
        "equal-on-head-but-lower",
        "latest-by-version",
        "numeric-not-text-order",
        "numeric-greater",
    ],
)
def test_version_must_be_greater_than_the_latest_tag(
    quick: Path, version: str, tags: dict[str, str], status: str, needle: str
) -> None:
    root = quick
    old = set_version(root, version)
    commit_all(root, "later")
    for name, where in tags.items():
        tag(root, name, old if where == "old" else "HEAD")
    r, doc = preflight(root, "--version", version)
    assert r.returncode == (0 if status == "pass" else 1)
    assert_check(doc, "version", status, needle)
    # without --version a version that is not above the newest tag is no candidate at all,
    # unless it is tagged on HEAD (the tag commit of a release): then the rules are strict
    r, doc = preflight(root)
    if status == "pass" or "head" in tags.values():
        assert r.returncode == (0 if status == "pass" else 1)
        assert_check(doc, "version", status, needle)
        assert doc["candidate"] is True
    else:
        assert r.returncode == 0, r.stdout
        assert_check(doc, "version", "skip", "not a release candidate: ")
        assert doc["candidate"] is False


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("version", "tag_name", "where", "status", "needle"),
    [
        ("1.2.0", "v1.2.0", "old", "fail", "1.2.0 is already tagged as v1.2.0"),
        ("1.2.0", "1.2.0", "old", "fail", "1.2.0 is already tagged as 1.2.0"),
        ("1.2.0", "v1.2.0", "head", "pass", "tagged v1.2.0 on HEAD"),
        ("1.2.0", "v1.2", "old", "fail", "1.2.0 is already tagged as v1.2"),
        ("2026.8.17", "2026.08.17", "old", "fail", "2026.8.17 is already tagged as 2026.08.17"),
        ("2026.8.17", "2026.08.16", "old", "pass", "2026.8.17 (static) > latest tag 2026.08.16"),
    ],
    ids=["v-prefix", "bare", "v-prefix-on-head", "short", "calver-zero-padded", "calver-older"],
)
def test_tags_normalise_through_pep440(
    quick: Path, version: str, tag_name: str, where: str, status: str, needle: str
) -> None:
    root = quick
    old = set_version(root, version)
    commit_all(root, "later")
    tag(root, tag_name, old if where == "old" else "HEAD")
    _, doc = preflight(root, "--version", version)
    assert_check(doc, "version", status, needle)
    if status == "fail":  # without --version: released on another commit, named by its tag
        _, doc = preflight(root)
        assert_check(doc, "version", "skip", f"was released on {old[:12]} (tag {tag_name})")


@pytest.mark.e2e
def test_custom_tag_pattern_selects_the_release_tags(project: Path) -> None:
    root = make_quick(project, tag_pattern="^release-(?P<version>.+)$")
    old = head(root)
    commit_all(root, "later")
    # v0.1.0 and v5.0.0 would fail under the default pattern; here they are not release tags
    for name in ("v0.1.0", "v5.0.0", "release-0.0.9"):
        tag(root, name, old)
    r, doc = preflight(root)
    assert r.returncode == 0, r.stdout
    assert_check(doc, "version", "pass", "0.1.0 (static) > latest tag release-0.0.9")

    tag(root, "release-0.2.0", old)
    r, doc = preflight(root, "--version", "0.1.0")
    assert r.returncode == 1
    assert_check(doc, "version", "fail", "not greater than the latest release tag release-0.2.0")


@pytest.mark.e2e
def test_tags_that_name_no_version_are_ignored(quick: Path) -> None:
    root = quick
    old = head(root)
    commit_all(root, "later")
    for name in ("latest", "nightly-2026", "v2.x", "deploy-9.9.9", "3.0-branch"):
        tag(root, name, old)
    r, doc = preflight(root)
    assert r.returncode == 0, r.stdout
    assert_check(doc, "version", "pass", "0.1.0 (static) (no earlier release tag)")


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("version", "latest", "status", "needle"),
    [
        (
            "0.2.0rc1",
            "v0.2.0",
            "fail",
            "pre-release 0.2.0rc1 is not greater than the latest release tag v0.2.0",
        ),
        ("0.2.0b1", "v0.1.0", "pass", "pre-release 0.2.0b1 (static) > latest tag v0.1.0"),
        ("0.2.0.dev3", "v0.1.0", "pass", "dev release 0.2.0.dev3 (static) > latest tag v0.1.0"),
        (
            "0.2.0.dev3",
            "v0.2.0a1",
            "fail",
            "dev release 0.2.0.dev3 is not greater than the latest release tag v0.2.0a1",
        ),
        ("0.2.0", "v0.2.0rc1", "pass", "0.2.0 (static) > latest tag v0.2.0rc1"),
    ],
    ids=["rc-below-final", "beta", "dev", "dev-below-alpha", "final-above-rc"],
)
def test_pre_and_dev_releases_are_named(
    quick: Path, version: str, latest: str, status: str, needle: str
) -> None:
    root = quick
    set_version(root, version)
    tag(root, latest, "HEAD~1")
    _, doc = preflight(root, "--version", version)
    res = assert_check(doc, "version", status, needle)
    assert res["message"].startswith(needle)


# ---- dynamic versions -----------------------------------------------------------------------


def make_dynamic(root: Path, version: str | None) -> None:
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8").replace(
        'version = "0.1.0"\n', 'dynamic = ["version"]\n'
    )
    text += '\n[tool.setuptools.dynamic]\nversion = { attr = "sample.__version__" }\n'
    pyproject.write_text(text, encoding="utf-8")
    if version is not None:
        init = root / "sample" / "__init__.py"
        init.write_text(init.read_text(encoding="utf-8") + f'\n__version__ = "{version}"\n')
        write(root, "CHANGELOG.md", f"# Changelog\n\n## {version}\n\n- Dynamic.\n")
    commit_all(root, "dynamic version")


@pytest.mark.e2e
def test_dynamic_version_is_resolved_and_used_throughout(setuptools_project: Path) -> None:
    root = setuptools_project
    configure(root, release={"disable": {"gate-fast-evidence": NOT_HERE}})
    make_dynamic(root, "0.3.0")
    r, doc = preflight(root)
    assert r.returncode == 0, r.stdout
    assert doc["version"] == "0.3.0"
    assert_check(doc, "version", "pass", "0.3.0 (dynamic, from setuptools.build_meta) (no earlier")
    assert_check(doc, "changelog", "pass", "CHANGELOG.md:3: 0.3.0")
    assert_check(doc, "build", "pass", "sample-0.3.0.tar.gz, sample-0.3.0-py3-none-any.whl")
    assert sorted(p.name for p in (root / "build" / "dist").iterdir()) == [
        "sample-0.3.0-py3-none-any.whl",
        "sample-0.3.0.tar.gz",
    ]
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""


@pytest.mark.e2e
def test_dynamic_version_the_backend_cannot_give_fails_version(setuptools_quick: Path) -> None:
    root = setuptools_quick
    make_dynamic(root, None)  # attr points at a __version__ that does not exist
    r, doc = preflight(root)
    assert r.returncode == 1
    res = assert_check(
        doc, "version", "fail", "build backend 'setuptools.build_meta' failed to give metadata"
    )
    assert "__version__" in res["message"]
    assert "bump" not in res["fix"]
    meta = assert_check(doc, "metadata", "fail", "build backend 'setuptools.build_meta' failed")
    assert "__version__" in meta["excerpt"]
    assert_check(doc, "changelog", "skip", "cannot check: the project's version is unknown")
    assert doc["version"] is None
    assert doc["candidate"] is False


# ---- changelog ------------------------------------------------------------------------------


@pytest.mark.e2e
def test_missing_changelog_fails(quick: Path) -> None:
    root = quick
    (root / "CHANGELOG.md").unlink()
    commit_all(root, "no changelog")
    r, doc = preflight(root)
    assert r.returncode == 1
    assert_check(doc, "changelog", "fail", "no changelog found (CHANGELOG.md/")


@pytest.mark.e2e
def test_changelog_without_an_entry_for_the_version_fails(quick: Path) -> None:
    root = quick
    # near misses: neither 0.10.0 nor 0.1.0rc1 is 0.1.0
    write(root, "CHANGELOG.md", "# Changelog\n\n## 0.10.0\n\n- Later.\n\n## 0.1.0rc1\n\n- Rc.\n")
    commit_all(root, "changelog")
    r, doc = preflight(root)
    assert r.returncode == 1
    assert_check(doc, "changelog", "fail", "CHANGELOG.md has no entry for 0.1.0")


@pytest.mark.e2e
@pytest.mark.parametrize(
    "text",
    [
        "# Changelog\n\n## 0.1.0\n## 0.0.9\n\n- Old.\n",
        "# Changelog\n\n## 0.1.0\n\n\n## 0.0.9\n\n- Old.\n",
        "# Changelog\n\n## 0.1.0\n\n### Added\n\n## 0.0.9\n\n- Old.\n",
    ],
    ids=["next-heading-directly", "blank-lines", "sub-heading-only"],
)
def test_empty_changelog_entry_fails(quick: Path, text: str) -> None:
    root = quick
    write(root, "CHANGELOG.md", text)
    commit_all(root, "changelog")
    r, doc = preflight(root)
    assert r.returncode == 1
    assert_check(doc, "changelog", "fail", "CHANGELOG.md:3: the entry '0.1.0' is empty")


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("text", "heading"),
    [
        ("## [0.1.0] - 2026-01-02\n\n- First.\n", "[0.1.0] - 2026-01-02"),
        ("## v0.1.0\n\n- First.\n", "v0.1.0"),
        ("## Version 0.1.0 (2026-01-02)\n\n- First.\n", "Version 0.1.0 (2026-01-02)"),
        ("0.1.0\n-----\n\n- First.\n", "0.1.0"),
        ("## 0.1.0\n\nUpgrade with:\n```\npip install -U sample\n```\n", "0.1.0"),
        ("## 0.1.0\n\nUpgrade with:\n~~~\npip install -U sample\n~~~\n", "0.1.0"),
    ],
    ids=["keep-a-changelog", "v-prefix", "version-word", "setext", "code-fence", "tilde-fence"],
)
def test_changelog_heading_variants_pass(quick: Path, text: str, heading: str) -> None:
    root = quick
    write(root, "CHANGELOG.md", f"# Changelog\n\n{text}\n## 0.0.9\n\n- Old.\n")
    commit_all(root, "changelog")
    r, doc = preflight(root)
    assert r.returncode == 0, r.stdout
    res = assert_check(doc, "changelog", "pass", "")
    assert res["message"] == f"CHANGELOG.md:3: {heading}"


RST_DASH = """\
Changes
=======

0.1.0 (2026-01-02)
------------------

- First release.

0.0.9
-----

- Old.
"""
RST_TILDE = """\
Changes
=======

Unreleased
~~~~~~~~~~

- Next.

0.1.0
~~~~~

- First release.
"""
RST_OVERLINE = """\
=======
Changes
=======

~~~~~~~~~~
Unreleased
~~~~~~~~~~

- Next.

~~~~~
0.1.0
~~~~~

- First release.
"""
RST_EMPTY = """\
Changes
=======

0.1.0
-----

0.0.9
-----

- Old.
"""


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("text", "status", "needle"),
    [
        (RST_DASH, "pass", "CHANGES.rst:4: 0.1.0 (2026-01-02)"),
        (RST_TILDE, "pass", "CHANGES.rst:9: 0.1.0"),
        (RST_OVERLINE, "pass", "CHANGES.rst:12: 0.1.0"),
        (RST_EMPTY, "fail", "CHANGES.rst:4: the entry '0.1.0' is empty"),
    ],
    ids=["dash-underline", "tilde-underline", "tilde-overline", "empty"],
)
def test_rst_changelog(quick: Path, text: str, status: str, needle: str) -> None:
    root = quick
    (root / "CHANGELOG.md").unlink()
    write(root, "CHANGES.rst", text)
    commit_all(root, "rst changelog")
    _, doc = preflight(root)
    res = assert_check(doc, "changelog", status, needle)
    assert res["message"] == needle


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("configured", "status", "needle"),
    [
        ("docs/changes.md", "pass", "docs/changes.md:3: 0.1.0"),
        ("docs/missing.md", "fail", "no changelog found (docs/missing.md)"),
    ],
)
def test_configured_changelog_path(
    project: Path, configured: str, status: str, needle: str
) -> None:
    root = make_quick(project, changelog=configured)
    # the conventional file has no entry, so a pass can only come from the configured one
    write(root, "CHANGELOG.md", "# Changelog\n\n## 0.0.9\n\n- Old.\n")
    write(root, "docs/changes.md", "# Changes\n\n## 0.1.0\n\n- First release.\n")
    commit_all(root, "changelog in docs")
    _, doc = preflight(root)
    assert_check(doc, "changelog", status, needle)


# ---- clean tree -----------------------------------------------------------------------------


@pytest.mark.e2e
def test_uncommitted_changes_fail_clean_tree(quick: Path) -> None:
    root = quick
    write(root, "notes.txt", "not committed\n")
    write(root, "README.md", "# sample\n\nEdited.\n")
    r, doc = preflight(root)
    assert r.returncode == 1
    res = assert_check(doc, "clean-tree", "fail", "2 uncommitted change(s): ")
    assert "README.md" in res["message"]
    assert "notes.txt" in res["message"]
    assert doc["subject"]["dirty"] is True


@pytest.mark.e2e
def test_many_uncommitted_changes_are_counted(quick: Path) -> None:
    root = quick
    for n in range(7):
        write(root, f"scratch/file{n}.txt", f"{n}\n")
    _, doc = preflight(root)
    res = assert_check(doc, "clean-tree", "fail", "7 uncommitted change(s): scratch/file")
    assert res["message"].endswith(" and 2 more")


@pytest.mark.e2e
def test_own_build_output_does_not_dirty_the_tree(project: Path) -> None:
    root = project
    # build/ is not even git-ignored here: the check itself must leave its output alone
    write(root, ".gitignore", "/.nox/\n")
    configure(root, release={"disable": {"build": NOT_HERE}})
    assert gate_fast(root)["status"] == "pass"
    (root / "build" / ".gitignore").unlink()  # the directory's own ignore file, gone too
    write(root, "build/junk.txt", "stray\n")
    assert "?? build/" in git(root, "status", "--porcelain")
    r, doc = preflight(root)
    assert r.returncode == 0, r.stdout
    assert_check(doc, "clean-tree", "pass", "working tree clean")
    assert_check(doc, "gate-fast-evidence", "pass", "the whole gate fast passed on")
    assert doc["subject"]["dirty"] is False


# ---- build, dist-metadata, wheel-contents ---------------------------------------------------


@pytest.mark.e2e
def test_distributions_are_built_from_the_committed_tree(project: Path) -> None:
    root = project
    write(root, "sample/extra.py", '"""Never committed."""\n')
    init = root / "sample" / "__init__.py"
    init.write_text(init.read_text(encoding="utf-8") + "\nUNCOMMITTED = True\n")
    _, doc = preflight(root)
    assert_check(doc, "clean-tree", "fail", "2 uncommitted change(s)")
    assert_check(doc, "build", "pass", "sample-0.1.0.tar.gz, sample-0.1.0-py3-none-any.whl")
    dist = root / "build" / "dist"
    with zipfile.ZipFile(dist / "sample-0.1.0-py3-none-any.whl") as whl:
        names = whl.namelist()
        assert "sample/__init__.py" in names
        assert "sample/extra.py" not in names
        assert b"UNCOMMITTED" not in whl.read("sample/__init__.py")
    with tarfile.open(dist / "sample-0.1.0.tar.gz") as sdist:
        members = sdist.getnames()
        assert "sample-0.1.0/sample/__init__.py" in members
        assert "sample-0.1.0/sample/extra.py" not in members
    # the worktree used for the build is gone again
    assert git(root, "worktree", "list", "--porcelain").count("worktree ") == 1


@pytest.mark.e2e
def test_uncommitted_version_bump_does_not_match_the_built_files(project: Path) -> None:
    root = project
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace('version = "0.1.0"', 'version = "0.2.0"')
    )
    write(root, "CHANGELOG.md", "# Changelog\n\n## 0.2.0\n\n- Next.\n\n## 0.1.0\n\n- First.\n")
    r, doc = preflight(root)
    assert r.returncode == 1
    assert_check(doc, "version", "pass", "0.2.0 (static)")
    assert_check(doc, "clean-tree", "fail", "2 uncommitted change(s)")
    res = assert_check(doc, "build", "fail", "built files do not match sample 0.2.0: ")
    assert "sample-0.1.0-py3-none-any.whl is sample 0.1.0" in res["message"]
    assert "sample-0.1.0.tar.gz is sample 0.1.0" in res["message"]
    for check_id in ("dist-metadata", "wheel-contents"):
        assert_check(doc, check_id, "skip", "requires build, which did not pass")


@pytest.mark.e2e
def test_broken_build_fails_and_skips_what_needs_the_distributions(
    setuptools_project: Path,
) -> None:
    root = setuptools_project
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8") + '\n[tool.setuptools]\npackages = ["missing_pkg"]\n'
    )
    commit_all(root, "broken packaging")
    r, doc = preflight(root)
    assert r.returncode == 1
    res = assert_check(doc, "build", "fail", "build failed (exit 1)")
    assert "missing_pkg" in res["excerpt"]
    assert str(root) not in res["excerpt"]
    for check_id in ("dist-metadata", "wheel-contents"):
        assert_check(doc, check_id, "skip", "requires build, which did not pass")
    assert_check(doc, "version", "pass", "0.1.0 (static)")


@pytest.mark.e2e
def test_readme_that_does_not_render_fails_dist_metadata(project: Path) -> None:
    root = project
    (root / "README.md").unlink()
    write(root, "README.rst", "sample\n======\n\nA sample.\n\n.. nonexistent-directive::\n\n   x\n")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace('"README.md"', '"README.rst"')
    )
    commit_all(root, "rst readme")
    r, doc = preflight(root)
    assert r.returncode == 1
    assert_check(doc, "build", "pass", "sample-0.1.0")
    res = assert_check(doc, "dist-metadata", "fail", "twine check --strict failed (exit 1)")
    assert 'Unknown directive type "nonexistent-directive"' in res["excerpt"]
    assert str(root) not in res["excerpt"]
    assert_check(doc, "wheel-contents", "pass", "check-wheel-contents")


@pytest.mark.e2e
def test_duplicate_files_in_the_wheel_fail_wheel_contents(project: Path) -> None:
    root = project
    for name in ("a", "b"):
        write(root, f"sample/{name}.py", '"""The same module twice."""\n\nVALUE = 1\n')
    commit_all(root, "duplicate modules")
    r, doc = preflight(root)
    assert r.returncode == 1
    res = assert_check(doc, "wheel-contents", "fail", "check-wheel-contents failed (exit 1)")
    assert "W002" in res["excerpt"]
    assert "sample/a.py" in res["excerpt"]
    assert "sample/b.py" in res["excerpt"]
    assert_check(doc, "dist-metadata", "pass", "twine check --strict")


# ---- gate-fast evidence ---------------------------------------------------------------------


@pytest.mark.e2e
def test_missing_gate_fast_artifact_fails(evidence: Path) -> None:
    root = evidence
    r, doc = preflight(root)
    assert r.returncode == 1
    assert_check(doc, "gate-fast-evidence", "fail", "no gate-fast artifact in build/gate-fast.json")


@pytest.mark.e2e
def test_failing_gate_fast_artifact_fails(evidence_fails: Path) -> None:
    root = evidence_fails
    assert gate_fast(root)["status"] == "fail"
    r, doc = preflight(root)
    assert r.returncode == 1
    assert_check(
        doc, "gate-fast-evidence", "fail", "gate fast did not pass (fail) in build/gate-fast.json"
    )


@pytest.mark.e2e
def test_invalid_gate_fast_artifact_fails(evidence: Path) -> None:
    root = evidence
    write(root, "build/gate-fast.json", '{"schema": "lane-tasks/gate-fast"}\n')
    _, doc = preflight(root)
    assert_check(doc, "gate-fast-evidence", "fail", "gate-fast artifact in build/gate-fast.json")
    assert "is invalid" in result(doc, "gate-fast-evidence")["message"]


@pytest.mark.e2e
def test_another_steps_artifact_is_not_gate_fast_evidence(evidence: Path) -> None:
    root = evidence
    # a valid, passing artifact for HEAD, but doctor's, written where gate fast's belongs
    r = run_cli(root, "doctor", "--format", "json", "--out", "build/gate-fast.json")
    assert "Traceback" not in r.stderr, r.stderr
    doc = json.loads((root / "build" / "gate-fast.json").read_text(encoding="utf-8"))
    validate_artifact(doc)
    assert doc["status"] == "pass"
    assert doc["subject"] == {"commit": head(root), "dirty": False}
    _, doc = preflight(root)
    assert_check(
        doc,
        "gate-fast-evidence",
        "fail",
        "the artifact in build/gate-fast.json is lane-tasks/doctor, not gate fast's",
    )


@pytest.mark.e2e
def test_gate_fast_from_an_earlier_commit_is_stale(evidence: Path) -> None:
    root = evidence
    earlier = head(root)
    assert gate_fast(root)["status"] == "pass"
    write(root, "NOTES.md", "a later commit\n")
    later = commit_all(root, "later")
    r, doc = preflight(root)
    assert r.returncode == 1
    assert_check(
        doc,
        "gate-fast-evidence",
        "fail",
        f"stale: gate fast ran on {earlier[:12]}, HEAD is {later[:12]}",
    )


@pytest.mark.e2e
def test_a_failed_gate_fast_of_an_earlier_commit_is_stale_not_failed(evidence_fails: Path) -> None:
    """An old result says nothing of HEAD: the message is that it is old, not that it failed."""
    root = evidence_fails
    earlier = head(root)
    assert gate_fast(root)["status"] == "fail"
    write(root, "NOTES.md", "a later commit\n")
    later = commit_all(root, "later")
    _, doc = preflight(root)
    assert_check(
        doc,
        "gate-fast-evidence",
        "fail",
        f"stale: gate fast ran on {earlier[:12]}, HEAD is {later[:12]}",
    )


@pytest.mark.e2e
def test_gate_fast_on_a_dirty_tree_is_not_evidence(evidence: Path) -> None:
    root = evidence
    scratch = write(root, "scratch.py", "X = 1\n")
    fast = gate_fast(root)
    assert fast["status"] == "pass"
    assert fast["subject"]["dirty"] is True
    scratch.unlink()
    _, doc = preflight(root)
    assert_check(doc, "clean-tree", "pass", "working tree clean")
    assert_check(doc, "gate-fast-evidence", "fail", "gate fast ran on a dirty tree")


@pytest.mark.e2e
def test_inside_a_run_the_runs_gate_fast_artifact_is_the_evidence(evidence: Path) -> None:
    root = evidence
    run_id = new_run_id()
    assert gate_fast(root, "--run-id", run_id)["status"] == "pass"
    runs = root / "build" / "lanes" / "runs"
    assert (runs / run_id / "gate-fast.json").is_file()

    # another run has no gate-fast artifact, even though build/gate-fast.json passes for HEAD
    assert (root / "build" / "gate-fast.json").is_file()
    other = new_run_id()
    r, doc = preflight(root, "--run-id", other)
    assert r.returncode == 1
    assert_check(doc, "gate-fast-evidence", "fail", f"no gate-fast artifact in run {other}")

    # the run's own copy is read, not build/gate-fast.json (gone: the other run took over the
    # top level and removed the earlier run's files, so it never mixes two runs)
    assert not (root / "build" / "gate-fast.json").exists()
    r, doc = preflight(root, "--run-id", run_id)
    assert r.returncode == 0, r.stdout
    assert_check(
        doc, "gate-fast-evidence", "pass", f"gate fast passed on {head(root)[:12]} (run {run_id})"
    )
    assert (runs / run_id / "release-preflight.json").is_file()


# ---- disabled checks ------------------------------------------------------------------------


@pytest.mark.e2e
def test_disabled_check_is_skipped_with_its_reason(project: Path) -> None:
    root = project
    reason = "gate fast runs in CI, see ci.yml"
    configure(root, release={"disable": {"gate-fast-evidence": reason, "build": NOT_HERE}})
    r, doc = preflight(root)
    assert r.returncode == 0, r.stdout
    assert doc["status"] == "pass"
    assert_check(doc, "gate-fast-evidence", "skip", f"disabled in lanes.toml: {reason}")
    assert_check(doc, "build", "skip", f"disabled in lanes.toml: {NOT_HERE}")
    for check_id in ("dist-metadata", "wheel-contents", "sdist-complete", "installed-wheel"):
        assert_check(doc, check_id, "skip", "requires build, which did not pass")
    assert doc["summary"] == {"pass": 4, "fail": 0, "error": 0, "skip": 9}
    assert f"disabled in lanes.toml: {reason}" in r.stdout  # the text report shows it too


@pytest.mark.e2e
def test_disabled_checks_never_count_as_a_pass(project: Path) -> None:
    root = project
    configure(root, release={"disable": dict.fromkeys(CHECK_IDS, "nothing to release")})
    r, doc = preflight(root)
    assert r.returncode == 1
    assert doc["status"] == "error"
    assert doc["summary"] == {"pass": 0, "fail": 0, "error": 0, "skip": len(CHECK_IDS)}
    assert_check(doc, "metadata", "skip", "disabled in lanes.toml: nothing to release")


@pytest.mark.e2e
def test_disabling_an_unknown_check_is_a_config_error(project: Path) -> None:
    root = project
    with (root / "lanes.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[gate.release.disable]\nchangelogs = "we have none"\n')
    commit_all(root, "bad disable")
    r = run_cli(root, "gate", "release", "--format", "json", "--out", OUT, "--offline")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "lanes.toml:" in lines[0]
    assert "gate.release.disable.changelogs: unknown gate release check" in lines[0]
    assert "(did you mean 'changelog'?)" in lines[0]
    assert not (root / OUT).exists()


# ---- stable mode ----------------------------------------------------------------------------


@pytest.mark.e2e
def test_stable_json_of_a_passing_preflight_is_byte_identical(project: Path) -> None:
    root = project
    configure(root, fast="pass")
    assert gate_fast(root, "--stable-json")["status"] == "pass"
    outputs = []
    for _ in range(2):
        r, doc = preflight(root, "--stable-json")
        assert r.returncode == 0, r.stdout
        assert doc["status"] == "pass"
        assert "run" not in doc
        assert all("duration_s" not in x for x in doc["results"])
        outputs.append((root / OUT).read_bytes())
    assert outputs[0] == outputs[1]


# ---- release candidates ---------------------------------------------------------------------


def bump_only(root: Path, version: str) -> str:
    """Change the static version, nothing else (no changelog section), and commit."""
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    assert 'version = "0.1.0"' in text
    pyproject.write_text(text.replace('version = "0.1.0"', f'version = "{version}"'))
    return commit_all(root, f"version {version}")


@pytest.mark.e2e
def test_between_releases_the_preflight_passes_and_says_not_a_candidate(project: Path) -> None:
    root = project
    released = head(root)
    tag(root, "v0.1.0")
    write(root, "NOTES.md", "work after the release\n")
    commit_all(root, "after the release")
    assert gate_fast(root)["status"] == "pass"
    r, doc = preflight(root)
    assert r.returncode == 0, r.stdout
    assert doc["status"] == "pass"
    why = f"0.1.0 was released on {released[:12]} (tag v0.1.0)"
    assert doc["candidate"] is False
    assert doc["candidate_reason"] == why
    res = assert_check(doc, "version", "skip", f"not a release candidate: {why}")
    assert res["message"] == f"not a release candidate: {why}"
    # every other check ran, and on the released version's own files
    assert {x["id"]: x["status"] for x in doc["results"]} == {**PASSING, "version": "skip"}
    assert_check(doc, "changelog", "pass", "CHANGELOG.md:3: 0.1.0")
    assert_check(doc, "build", "pass", "sample-0.1.0.tar.gz, sample-0.1.0-py3-none-any.whl")
    assert f"not a release candidate: {why}" in r.stdout
    # asked for explicitly, the same commit is held to every rule
    r, doc = preflight(root, "--version", "0.1.0")
    assert r.returncode == 1
    assert doc["candidate"] is True
    assert_check(doc, "version", "fail", f"0.1.0 is already tagged as v0.1.0 on {released[:12]}")


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("version", "tags", "candidate", "reason"),
    [
        ("0.1.0", {}, True, "0.1.0: no release tag yet"),
        ("0.2.0", {"v0.1.0": "old"}, True, "0.2.0 is above the newest release tag v0.1.0"),
        ("0.2.0", {"v0.2.0": "head", "v0.1.0": "old"}, True, "0.2.0 is tagged v0.2.0 on HEAD"),
        ("0.2.0.dev3", {"v0.1.0": "old"}, False, "0.2.0.dev3 is a development version"),
        (
            "0.2.0rc1",
            {"v0.2.0": "old"},
            False,
            "pre-release 0.2.0rc1 is not above the newest release tag v0.2.0 (0.2.0)",
        ),
    ],
    ids=["first", "above", "tag-commit", "dev", "below"],
)
def test_release_candidates(
    quick: Path, version: str, tags: dict[str, str], candidate: bool, reason: str
) -> None:
    root = quick
    old = head(root)
    if version != "0.1.0":
        set_version(root, version)
    for name, where in tags.items():
        tag(root, name, old if where == "old" else "HEAD")
    r, doc = preflight(root)
    assert r.returncode == 0, r.stdout
    assert doc["status"] == "pass"
    assert (doc["candidate"], doc["candidate_reason"]) == (candidate, reason)
    if candidate:
        assert_check(doc, "version", "pass", version)
    else:
        assert_check(doc, "version", "skip", f"not a release candidate: {reason}")


@pytest.mark.e2e
def test_a_dev_version_needs_no_changelog_section(quick: Path) -> None:
    root = quick
    tag(root, "v0.1.0")
    bump_only(root, "0.2.0.dev1")  # the changelog still ends at 0.1.0
    for args, candidate, version_status in (
        ((), False, "skip"),
        (("--version", "0.2.0.dev1"), True, "pass"),
    ):
        r, doc = preflight(root, *args)
        assert r.returncode == 0, r.stdout
        assert doc["candidate"] is candidate
        assert result(doc, "version")["status"] == version_status
        assert_check(
            doc, "changelog", "skip", "0.2.0.dev1 is a development version: it needs no changelog"
        )
    assert_check(doc, "version", "pass", "dev release 0.2.0.dev1 (static) > latest tag v0.1.0")
    # a final version does need one
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("0.2.0.dev1", "0.2.0"))
    commit_all(root, "0.2.0")
    r, doc = preflight(root)
    assert r.returncode == 1
    assert_check(doc, "changelog", "fail", "CHANGELOG.md has no entry for 0.2.0")


FRAGMENT_TOOLS = {
    "towncrier": (
        "pyproject.toml",
        '\n[tool.towncrier]\ndirectory = "changes"\nfilename = "CHANGELOG.md"\n',
        "changes",
        "12.feature.md",
        "towncrier build --version 0.2.0",
    ),
    "towncrier-toml": (
        "towncrier.toml",
        '[tool.towncrier]\nfilename = "CHANGELOG.md"\n',
        "newsfragments",
        "+note.misc",
        "towncrier build --version 0.2.0",
    ),
    "scriv": (
        "pyproject.toml",
        '\n[tool.scriv]\nformat = "md"\nchangelog = "CHANGELOG.md"\n',
        "changelog.d",
        "20260101_120000_dev.md",
        "scriv collect --version 0.2.0",
    ),
    "scriv-directory": (
        None,
        "",
        "changelog.d",
        "20260101_120000_dev.md",
        "scriv collect --version 0.2.0",
    ),
}


@pytest.mark.e2e
@pytest.mark.parametrize("tool", list(FRAGMENT_TOOLS))
def test_changelog_fragments(quick: Path, tool: str) -> None:
    config, text, directory, fragment, collect = FRAGMENT_TOOLS[tool]
    root = quick
    if config is not None:
        with (root / config).open("a", encoding="utf-8") as fh:
            fh.write(text)
    write(root, f"{directory}/README.md", "One file per change.\n")  # not a fragment
    write(root, f"{directory}/_template.rst", "{{ name }}\n")  # nor is the tool's template
    commit_all(root, f"use {tool}")
    tag(root, "v0.1.0")
    # between releases: fragments pend for the next release, and that is fine
    write(root, f"{directory}/{fragment}", "Adds subtraction.\n")
    commit_all(root, "a change with its fragment")
    name = tool.split("-")[0]
    r, doc = preflight(root)
    assert r.returncode == 0, r.stdout
    assert doc["candidate"] is False
    assert_check(
        doc,
        "changelog",
        "pass",
        f"CHANGELOG.md:3: 0.1.0 (1 {name} fragment(s) pending, for the next release)",
    )
    # the release candidate: its section must have been collected, and the fix says how
    bump_only(root, "0.2.0")
    r, doc = preflight(root)
    assert r.returncode == 1
    assert doc["candidate"] is True
    res = assert_check(
        doc,
        "changelog",
        "fail",
        f"CHANGELOG.md has no entry for 0.2.0; 1 {name} fragment(s) pending in {directory}/",
    )
    assert res["fix"].startswith(f"`{collect}` collects the 1 pending fragment(s)")
    # what the collect command does: the section is written, the fragment is consumed
    log = root / "CHANGELOG.md"
    log.write_text(
        log.read_text().replace("## 0.1.0", "## 0.2.0\n\n- Adds subtraction.\n\n## 0.1.0")
    )
    (root / directory / fragment).unlink()
    commit_all(root, "collect 0.2.0")
    r, doc = preflight(root)
    assert r.returncode == 0, r.stdout
    assert_check(doc, "changelog", "pass", "CHANGELOG.md:3: 0.2.0")
    assert "pending" not in result(doc, "changelog")["message"]


@pytest.mark.e2e
def test_every_check_runs_when_the_version_fails(evidenced: Path) -> None:
    root = evidenced  # its gate fast passed (asserted where the template is built)
    r, doc = preflight(root, "--version", "0.2.0")
    assert r.returncode == 1
    res = assert_check(doc, "version", "fail", "--version 0.2.0 but the project's version is 0.1.0")
    assert "bump" not in res["fix"]
    assert {x["id"]: x["status"] for x in doc["results"]} == {**PASSING, "version": "fail"}
    assert doc["version"] == "0.1.0"


def flit_project(tmp_path: Path) -> Path:
    """A flit project whose import package is named `build`, with lane-tasks' artifacts in
    `build/` (the old default): flit refuses, there being two things that could be `build`."""
    from lane_tasks.adopt.init_repo import init_repo

    root = make_git_repo(tmp_path / "pybuild")
    write(
        root,
        "pyproject.toml",
        """
        [build-system]
        requires = ["flit_core>=3.12"]
        build-backend = "flit_core.buildapi"

        [project]
        name = "pybuild-demo"
        dynamic = ["version", "description"]
        readme = "README.md"
        license = "MIT"
        requires-python = ">=3.11"

        [tool.flit.module]
        name = "build"
        """,
    )
    write(root, "README.md", "# pybuild-demo\n\nBuilds things.\n")
    write(root, "CHANGELOG.md", "# Changelog\n\n## 0.1.0\n\n- First release.\n")
    write(root, "src/build/__init__.py", '"""Builds things."""\n\n__version__ = "0.1.0"\n')
    init_repo(root)
    config = tomllib.loads((root / "lanes.toml").read_text(encoding="utf-8"))
    config["project"]["artifacts_dir"] = "build"
    config.setdefault("gate", {})["release"] = {"disable": {"gate-fast-evidence": NOT_HERE}}
    (root / "lanes.toml").write_text(tomli_w.dumps(config), encoding="utf-8")
    commit_all(root, "initial")
    return root


@pytest.mark.e2e
def test_a_build_backend_failure_is_a_metadata_error_with_its_own_message(
    tmp_path: Path,
) -> None:
    pytest.importorskip("flit_core")
    root = flit_project(tmp_path)
    r, doc = preflight(root)
    assert r.returncode == 1
    said = "Multiple files or folders could be module build"
    meta = assert_check(doc, "metadata", "fail", "build backend 'flit_core.buildapi' failed")
    assert meta["message"].endswith(f"{said}: build, src/build")  # paths relative, not /tmp/…
    assert said in meta["excerpt"]
    assert "build backend" in meta["fix"]
    version = assert_check(doc, "version", "fail", "the version cannot be read, a metadata error")
    assert said in version["message"] + version["excerpt"]
    assert "bump" not in version["fix"]
    assert "the version itself is not the problem" in version["fix"]
    assert_check(doc, "changelog", "skip", "cannot check: the project's version is unknown")
    # the committed tree has no build/ directory: flit builds it, and the names are checked
    build = assert_check(doc, "build", "pass", "pybuild_demo-0.1.0.tar.gz")
    assert build["message"].endswith("; version unknown, not compared")
    assert_check(doc, "clean-tree", "pass", "working tree clean")


@pytest.mark.e2e
def test_a_backend_not_installed_here_is_named_with_what_to_install(
    setuptools_project: Path,
) -> None:
    """Offline, the version of a dynamic project is asked of its backend in this environment:
    what the backend needs and is missing is named, never "bump the version"."""
    root = setuptools_project
    py = root / "pyproject.toml"
    text = py.read_text(encoding="utf-8")
    text = text.replace(
        'requires = ["setuptools>=77"]', 'requires = ["setuptools>=77", "no-such-plugin-x>=1"]'
    )
    text = text.replace('version = "0.1.0"', 'dynamic = ["version"]')
    text += '\n[tool.setuptools.dynamic]\nversion = { attr = "sample.__version__" }\n'
    py.write_text(text, encoding="utf-8")
    commit_all(root, "a dynamic version whose backend needs a plugin")
    _, doc = preflight(root)
    version = assert_check(doc, "version", "fail", "needs what is not installed")
    assert "no-such-plugin-x>=1" in version["message"]
    assert version["fix"].startswith("pip install 'no-such-plugin-x>=1'")
    assert "bump" not in version["fix"]
    assert result(doc, "build")["status"] != "skip"  # every other check still runs


@pytest.mark.e2e
def test_a_static_build_requirement_missing_offline_is_named_by_the_build(
    setuptools_project: Path,
) -> None:
    """Offline, build's own dependency check is skipped only when every requirement is here:
    one that is missing still fails the build with its name."""
    root = setuptools_project
    py = root / "pyproject.toml"
    text = py.read_text(encoding="utf-8")
    bumped = text.replace(
        'requires = ["setuptools>=77"]', 'requires = ["setuptools>=77", "no-such-plugin-x>=1"]'
    )
    assert bumped != text
    py.write_text(bumped, encoding="utf-8")
    commit_all(root, "a build requirement that is not installed")
    _, doc = preflight(root)
    build = result(doc, "build")
    assert build["status"] == "fail", build
    assert "no-such-plugin-x>=1" in build["message"] + (build["excerpt"] or ""), build
