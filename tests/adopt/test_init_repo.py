"""`lane-tasks init` adopts the lanes in a repository as it is, through the real CLI and nox.

The fast tests call the CLI on generated projects (real git, no nox run); the slow ones run nox
on the result, as a user would right after `init`.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import stat
import subprocess
import tomllib
from pathlib import Path

import pytest
import tomli_w
from helpers import commit_all, git, make_git_repo, run_cli, run_nox, write

from lane_tasks.adopt.noxfile import ADOPT_BLOCK, NEW_NOXFILE, adopted


def bare_project(tmp_path: Path, *, src_layout: bool = False) -> Path:
    root = make_git_repo(tmp_path / "proj")
    write(
        root,
        "pyproject.toml",
        """
        [project]
        name = "proj"
        version = "1.0.0"
        requires-python = ">=3.11"

        [tool.ruff]
        line-length = 100

        [tool.mypy]
        strict = true
        """,
    )
    pkg = "src/proj" if src_layout else "proj"
    write(root, f"{pkg}/__init__.py", '"""proj."""\n')
    write(root, "tests/test_it.py", "def test_it() -> None:\n    assert True\n")
    commit_all(root, "initial")
    return root


PROJECT_NOXFILE = '''\
"""The project's own sessions."""

import nox

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = False


@nox.session(venv_backend="none")
def tests(session: nox.Session) -> None:
    session.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider")


@nox.session(venv_backend="none")
def docs(session: nox.Session) -> None:
    session.log("docs")
'''


ADOPTED = PROJECT_NOXFILE.rstrip("\n") + "\n\n\n" + ADOPT_BLOCK


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file outside .git with its bytes and mode: what "changes nothing" compares."""
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mode)
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def test_init_writes_working_files(tmp_path: Path) -> None:
    root = bare_project(tmp_path)
    r = run_cli(root, "init")
    assert r.returncode == 0, r.stderr
    assert "wrote" in r.stdout
    config = tomllib.loads((root / "lanes.toml").read_text())
    assert set(config["lanes"]) == {"startup", "scale", "regulated"}
    assert config["lanes"]["scale"]["extends"] == "startup"
    assert config["project"]["default_lane"] == "startup"
    assert config["project"]["artifacts_dir"] == ".lane-tasks"
    checks = config["gate"]["fast"]["checks"]
    # no `files` in [tool.mypy]: the package; its JUnit report carries its messages
    assert checks["mypy"]["cmd"] == ["mypy", "--junit-xml", "{report}", "proj"]
    assert checks["mypy"]["report"] == "junit"
    assert set(checks) == {"ruff-check", "mypy", "pytest"}  # no [tool.ruff.format]: no format
    assert (root / "noxfile.py").read_text() == NEW_NOXFILE
    assert not (root / ".gitignore").exists()  # the artifacts directory ignores itself
    assert git(root, "check-ignore", "-q", "--no-index", ".lane-tasks/x.json") == ""
    assert git(root, "status", "--porcelain") == "?? lanes.toml\n?? noxfile.py".strip()
    for check in checks:
        assert f"init: gate check '{check}'" in r.stdout
    assert "next: nox -s startup" in r.stdout
    assert run_cli(root, "lanes", "validate").returncode == 0


def test_init_detects_src_layout_and_lane(tmp_path: Path) -> None:
    root = bare_project(tmp_path, src_layout=True)
    assert run_cli(root, "init", "--lane", "regulated").returncode == 0
    config = tomllib.loads((root / "lanes.toml").read_text())
    assert config["gate"]["fast"]["checks"]["mypy"]["cmd"] == [
        "mypy",
        "--junit-xml",
        "{report}",
        "src",
    ]
    assert config["project"]["default_lane"] == "regulated"


def test_init_adds_to_an_existing_noxfile_and_keeps_every_byte_and_mode(tmp_path: Path) -> None:
    root = bare_project(tmp_path)
    nf = write(root, "noxfile.py", PROJECT_NOXFILE)
    nf.chmod(0o755)
    commit_all(root, "own noxfile")
    r = run_cli(root, "init")
    assert r.returncode == 0, r.stderr
    text = nf.read_text()
    assert text == ADOPTED
    assert stat.S_IMODE(nf.stat().st_mode) == 0o755
    assert "nothing of it changed" in r.stdout
    checks = tomllib.loads((root / "lanes.toml").read_text())["gate"]["fast"]["checks"]
    assert checks["nox-tests"]["cmd"] == [
        "{python}", "-m", "nox", "-s", "tests", "--error-on-missing-interpreters",
    ]  # fmt: skip
    assert "pytest" not in checks  # the project's own `tests` session covers the tests


def test_init_twice_changes_nothing(tmp_path: Path) -> None:
    root = bare_project(tmp_path)
    write(root, "noxfile.py", PROJECT_NOXFILE)
    assert run_cli(root, "init").returncode == 0
    before = snapshot(root)
    again = run_cli(root, "init")
    assert again.returncode == 0, again.stderr
    assert "nothing to do" in again.stdout
    assert snapshot(root) == before


def test_init_force_rewrites_lanes_toml_and_never_a_session(tmp_path: Path) -> None:
    root = bare_project(tmp_path)
    write(root, "noxfile.py", PROJECT_NOXFILE)
    write(root, "lanes.toml", '[project]\ndefault_lane = "startup"\n')
    r = run_cli(root, "init", "--force")
    assert r.returncode == 0, r.stderr
    assert (root / "noxfile.py").read_text() == ADOPTED
    assert "gate" in tomllib.loads((root / "lanes.toml").read_text())


def test_init_completes_adoption_with_a_kept_lanes_toml(tmp_path: Path) -> None:
    """A lanes.toml already there is kept; the missing noxfile part is still added."""
    root = bare_project(tmp_path)
    assert run_cli(root, "init").returncode == 0
    (root / "noxfile.py").write_text(PROJECT_NOXFILE)
    lanes = (root / "lanes.toml").read_bytes()
    r = run_cli(root, "init")
    assert r.returncode == 0, r.stderr
    assert f"kept {root / 'lanes.toml'}" in r.stdout
    assert (root / "lanes.toml").read_bytes() == lanes
    assert (root / "noxfile.py").read_text() == ADOPTED


def test_init_for_a_lane_the_kept_lanes_toml_cannot_serve_says_how(tmp_path: Path) -> None:
    root = bare_project(tmp_path)
    assert run_cli(root, "init").returncode == 0
    lanes = root / "lanes.toml"
    data = tomllib.loads(lanes.read_text())
    for table in ("teams", "ownership"):
        data.pop(table, None)
    lanes.write_text(tomli_w.dumps(data))
    before = snapshot(root)
    r = run_cli(root, "init", "--lane", "regulated")
    assert r.returncode == 0, r.stderr
    assert "nothing to do" not in r.stdout
    assert "without [teams]" in r.stdout and "init --lane regulated --force" in r.stdout
    assert snapshot(root) == before
    assert run_cli(root, "init", "--lane", "regulated", "--force").returncode == 0
    assert {"teams", "ownership", "support"} <= set(tomllib.loads(lanes.read_text()))


def test_init_in_a_subdirectory_that_is_no_project_refuses(tmp_path: Path) -> None:
    root = bare_project(tmp_path)
    before = snapshot(root)
    r = run_cli(root / "proj", "init")
    assert r.returncode == 2
    assert "is no Python project" in r.stderr and "project's own directory" in r.stderr
    assert snapshot(root) == before


def test_init_warns_about_a_project_without_pyproject(tmp_path: Path) -> None:
    root = bare_project(tmp_path)
    (root / "pyproject.toml").unlink()
    write(root, "setup.py", "from setuptools import setup\n\nsetup()\n")
    r = run_cli(root, "init")
    assert r.returncode == 0, r.stderr
    assert "init: warning: no pyproject.toml" in r.stdout


def test_init_names_the_tools_to_install_before_the_first_run(tmp_path: Path) -> None:
    """A tool init picked but this environment lacks is said by init, with the pip command,
    not first learnt from gate fast erroring in 0 s."""
    if shutil.which("tox") or importlib.util.find_spec("tox"):
        pytest.skip("tox is installed here; the test needs a tool that is not")
    root = bare_project(tmp_path)
    here = run_cli(root, "init")
    assert here.returncode == 0, here.stderr
    assert "pip install" not in here.stdout, "ruff, mypy and pytest are installed here"
    write(root, "tox.ini", "[tox]\nenv_list = py\n\n[testenv]\ncommands = pytest\n")
    r = run_cli(root, "init", "--force")
    assert r.returncode == 0, r.stderr
    assert "gate check 'tox-py': tox -e py" in r.stdout, "init picks the project's tox env"
    assert "init: gate checks need what is not installed here: tox\n" in r.stdout
    lines = r.stdout.splitlines()
    assert lines.index("next: python -m pip install tox") < lines.index("next: nox -l")


def test_init_renames_our_sessions_when_the_project_has_one_of_their_names(
    tmp_path: Path,
) -> None:
    root = bare_project(tmp_path)
    theirs = '\n\n@nox.session\ndef doctor(session: nox.Session) -> None:\n    session.log("x")\n'
    write(root, "noxfile.py", PROJECT_NOXFILE + theirs)
    r = run_cli(root, "init")
    assert r.returncode == 0, r.stderr
    assert tomllib.loads((root / "lanes.toml").read_text())["nox"]["session_prefix"] == "lanes-"
    assert "your noxfile already has doctor (noxfile.py:" in r.stdout
    assert "next: nox -s lanes-startup" in r.stdout


@pytest.mark.parametrize(
    ("case", "expect"),
    [
        ("syntax", "noxfile.py:3: cannot parse it"),
        ("read-only", "noxfile.py is read-only: make it writable (chmod u+w noxfile.py)"),
        ("no-git", "is not a git repository"),
        ("bad-lanes-toml", "lanes.toml:2: project.artifact_dir: unknown key (did you mean"),
    ],
)
def test_init_refusals_are_one_line_and_write_nothing(
    tmp_path: Path, case: str, expect: str
) -> None:
    root = bare_project(tmp_path)
    if case == "syntax":
        write(root, "noxfile.py", "import nox\n\ndef broken(:\n")
    elif case == "read-only":
        write(root, "noxfile.py", PROJECT_NOXFILE).chmod(0o444)
    elif case == "no-git":
        shutil.rmtree(root / ".git")
    else:
        write(root, "lanes.toml", '[project]\nartifact_dir = "out"\n')
    before = snapshot(root)
    r = run_cli(root, "init")
    assert r.returncode == 2, r.stdout + r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert expect in r.stderr
    assert "Traceback" not in r.stderr
    assert snapshot(root) == before


def test_init_keeps_an_existing_gitignore_untouched(tmp_path: Path) -> None:
    root = bare_project(tmp_path)
    gi = root / ".gitignore"
    gi.write_text("*.log")
    gi.chmod(0o644)
    assert run_cli(root, "init").returncode == 0
    assert gi.read_text() == "*.log"
    assert stat.S_IMODE(gi.stat().st_mode) == 0o644


# ---- end to end: nox on what init wrote ------------------------------------------------------


def _listed(out: str) -> list[str]:
    """`nox -l` lines of sessions, with their selected (*) or skipped (-) mark."""
    return [ln for ln in out.splitlines() if ln[:2] in ("* ", "- ")]


@pytest.mark.e2e
@pytest.mark.slow
def test_adopted_noxfile_keeps_what_a_bare_nox_runs(tmp_path: Path) -> None:
    root = bare_project(tmp_path)
    write(root, "noxfile.py", PROJECT_NOXFILE)
    commit_all(root, "own noxfile")
    before = run_nox(root, "-l")
    assert before.returncode == 0, before.stderr
    assert run_cli(root, "init").returncode == 0
    after = run_nox(root, "-l")
    assert after.returncode == 0, after.stderr
    theirs = [ln for ln in _listed(after.stdout) if ln.split()[1] in ("tests", "docs")]
    assert theirs == _listed(before.stdout)
    ours = [ln for ln in _listed(after.stdout) if ln not in theirs]
    assert ours and all(ln.startswith("- ") for ln in ours)  # none runs by default
    bare = run_nox(root)
    assert bare.returncode == 0, bare.stdout + bare.stderr
    assert "Running session tests" in bare.stderr
    assert "gate-fast" not in bare.stderr and "startup" not in bare.stderr


@pytest.mark.e2e
@pytest.mark.slow
def test_a_clashing_session_is_one_line_whose_hint_works(tmp_path: Path) -> None:
    root = bare_project(tmp_path)
    assert run_cli(root, "init").returncode == 0
    nf = root / "noxfile.py"
    nf.write_text(
        "import nox\n\n\n@nox.session(venv_backend='none')\ndef doctor(session):\n"
        "    session.log('theirs')\n\n\n" + nf.read_text()
    )
    r = run_nox(root, "-l")
    assert r.returncode == 2
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("lane-tasks: error:")]
    assert len(errors) == 1, r.stderr
    assert "noxfile.py:4: session 'doctor' has the name of lane-tasks' step 'doctor'" in errors[0]
    assert 'session_prefix = "lanes-"' in errors[0]
    lanes = root / "lanes.toml"
    lanes.write_text(lanes.read_text().replace("[nox]\n", '[nox]\nsession_prefix = "lanes-"\n'))
    fixed = run_nox(root, "-l")
    assert fixed.returncode == 0, fixed.stderr
    assert "* doctor" in fixed.stdout or "- doctor" in fixed.stdout
    assert "lanes-doctor" in fixed.stdout and "lanes-startup" in fixed.stdout


@pytest.mark.e2e
@pytest.mark.slow
def test_register_without_lanes_toml_says_run_init(tmp_path: Path) -> None:
    root = make_git_repo(tmp_path / "p")
    write(root, "noxfile.py", "from lane_tasks.nox_sessions import register\n\nregister()\n")
    r = run_nox(root, "-l")
    assert r.returncode == 2
    assert "no lanes.toml in" in r.stderr and "run `lane-tasks init` there" in r.stderr
    assert "Traceback" not in r.stderr
    assert run_cli(root, "init").returncode == 0  # the hint, followed: a working state
    assert run_nox(root, "-l").returncode == 0


@pytest.mark.e2e
@pytest.mark.slow
def test_lane_stops_at_a_failed_step_and_shows_controls_when_told_to_go_on(
    tmp_path: Path,
) -> None:
    root = bare_project(tmp_path)
    write(root, "tests/test_it.py", "def test_it() -> None:\n    assert False\n")
    assert run_cli(root, "init").returncode == 0
    commit_all(root, "adopt, with a failing test")
    env = {**os.environ, "NO_COLOR": "1"}
    stop = run_nox(root, "-s", "startup", env=env)
    assert stop.returncode != 0
    assert "Session gate-fast failed" in stop.stderr
    assert "gate-fast failed, so the lane stops here" in stop.stderr
    assert "Session gate-release skipped" in stop.stderr
    runs = root / ".lane-tasks" / "lanes" / "runs"
    before = set(runs.iterdir())
    go_on = run_nox(root, "-s", "startup", "--no-stop-on-first-error", env=env)
    assert go_on.returncode != 0
    assert "Session gate-release skipped" not in go_on.stderr
    assert "verifying its controls although a step failed" in go_on.stderr
    out = go_on.stdout + go_on.stderr
    assert "release-confidence-path" in out  # the controls' verdicts are shown
    (new_run,) = set(runs.iterdir()) - before  # both may begin in the same second
    assert (new_run / "controls.json").is_file()


# ---- what init writes passes the project's own linters ---------------------------------------

LINTERS = {
    "flake8": ["flake8", "--isolated"],  # pycodestyle's defaults: 79 columns, E305, E402
    "black": ["black", "--check", "-q"],
    "black-79": ["black", "--check", "-q", "-l", "79"],
    "isort": ["isort", "--check-only", "-q"],
    "isort-black": ["isort", "--check-only", "-q", "--profile", "black"],
    "ruff": ["ruff", "check", "--isolated", "--select", "E,W,F,I,UP,B,SIM,RUF"],
    "ruff-after-imports-2": [
        "ruff", "check", "--isolated", "--select", "I",
        "--config", "lint.isort.lines-after-imports=2",
    ],
    "ruff-format": ["ruff", "format", "--check", "--isolated"],
}  # fmt: skip


@pytest.mark.e2e
@pytest.mark.parametrize("linter", sorted(LINTERS))
@pytest.mark.parametrize("shape", ["new", "adopted"])
def test_the_noxfile_init_writes_passes_common_linters(
    tmp_path: Path, linter: str, shape: str
) -> None:
    """The project's pre-commit or lint session lints noxfile.py: ours must not turn it red."""
    cmd = LINTERS[linter]
    if shutil.which(cmd[0]) is None:
        pytest.fail(f"{cmd[0]} is a test dependency (pip install -e '.[test]')")

    def lint(text: str, where: str) -> tuple[int, str]:
        d = tmp_path / where
        d.mkdir()
        (d / "noxfile.py").write_text(text)
        r = subprocess.run([*cmd, "noxfile.py"], cwd=d, capture_output=True, text=True)
        return r.returncode, r.stdout + r.stderr

    if shape == "new":
        code, out = lint(NEW_NOXFILE, "new")
        assert code == 0, f"{linter} on the noxfile init writes:\n{out}"
    else:  # the project's own lines may have findings of their own: ours adds none
        assert lint(adopted(PROJECT_NOXFILE), "after") == lint(PROJECT_NOXFILE, "before")


def test_a_crlf_noxfile_gets_its_own_line_endings(tmp_path: Path) -> None:
    root = bare_project(tmp_path)
    crlf = PROJECT_NOXFILE.replace("\n", "\r\n").encode()
    (root / "noxfile.py").write_bytes(crlf)
    assert run_cli(root, "init").returncode == 0
    raw = (root / "noxfile.py").read_bytes()
    assert raw.startswith(crlf)
    assert raw.count(b"\n") == raw.count(b"\r\n")  # not one bare LF added


@pytest.mark.e2e
@pytest.mark.slow
def test_the_adopted_noxfile_runs_its_sessions_where_lane_tasks_is_not_installed(
    tmp_path: Path,
) -> None:
    """A contributor or CI job with only nox installed still runs the project's sessions."""
    root = bare_project(tmp_path)
    write(root, "noxfile.py", PROJECT_NOXFILE)
    assert run_cli(root, "init").returncode == 0
    hide = tmp_path / "without-lane-tasks"
    write(
        hide,
        "sitecustomize.py",
        """
        import sys


        class _NotInstalled:
            def find_spec(self, name, path=None, target=None):
                if name == "lane_tasks" or name.startswith("lane_tasks."):
                    raise ModuleNotFoundError(f"No module named {name!r}", name=name)
                return None


        sys.meta_path.insert(0, _NotInstalled())
        """,
    )
    env = {**os.environ, "PYTHONPATH": str(hide)}
    r = run_nox(root, "-l", env=env)
    assert r.returncode == 0, r.stderr
    assert "* tests" in r.stdout and "startup" not in r.stdout


SINGLE_QUOTED = """
[project]
name = "proj"
version = "1.0.0"
requires-python = ">=3.11"

[tool.ruff.format]
quote-style = "single"

[tool.ruff.lint]
select = ["E", "F", "W", "I", "Q"]
flake8-quotes = { inline-quotes = "single" }

[tool.ruff.lint.isort]
required-imports = ["from __future__ import annotations"]
lines-after-imports = 2
"""


@pytest.mark.parametrize("shape", ["new", "adopted"])
def test_the_noxfile_follows_the_projects_own_ruff_style(tmp_path: Path, shape: str) -> None:
    """Single quotes, a required `from __future__` import, two lines after imports (pypa/build,
    filelock): the file init writes, or its block, passes the project's own ruff."""
    root = bare_project(tmp_path)
    write(root, "pyproject.toml", SINGLE_QUOTED)
    if shape == "adopted":
        write(
            root,
            "noxfile.py",
            """
            from __future__ import annotations

            import nox


            @nox.session(venv_backend='none')
            def tests(session: nox.Session) -> None:
                session.run('python', '-m', 'pytest')
            """,
        )
    commit_all(root, "the project's own style")
    assert run_cli(root, "init").returncode == 0
    for cmd in (["ruff", "check", "noxfile.py"], ["ruff", "format", "--check", "noxfile.py"]):
        r = subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=False)
        assert r.returncode == 0, f"{' '.join(cmd)}:\n{r.stdout}{r.stderr}"
