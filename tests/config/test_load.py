"""Finding and reading the configuration: [tool.lane-tasks] in pyproject.toml as the
configuration, found the way ruff finds its own; errors still name the file, line and key; a
configuration file too large to parse is refused at once."""

from __future__ import annotations

import re
import time
import tomllib
from pathlib import Path

import pytest
import tomli_w
from helpers import commit_all, git, make_git_repo, make_project, run_nox, write

from lane_tasks import cli
from lane_tasks.config import MAX_CONFIG_CHARS, find_config, load_config
from lane_tasks.errors import EXIT_OK, EXIT_USAGE, ConfigError
from lane_tasks.evidence.consistency import checks_at


def _to_pyproject(root: Path) -> Path:
    """Move lanes.toml into pyproject.toml's [tool.lane-tasks] and commit."""
    lanes = tomllib.loads((root / "lanes.toml").read_text(encoding="utf-8"))
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(text + "\n" + tomli_w.dumps({"tool": {"lane-tasks": lanes}}))
    (root / "lanes.toml").unlink()
    commit_all(root, "configuration in pyproject.toml")
    return pyproject


@pytest.fixture
def pyproject_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_project(tmp_path)
    _to_pyproject(root)
    monkeypatch.chdir(root)
    return root


def test_pyproject_tool_table_is_the_configuration(
    pyproject_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = pyproject_project
    assert cli.main(["lanes", "validate"]) == EXIT_OK
    assert f"{root / 'pyproject.toml'}: ok (3 lanes" in capsys.readouterr().out
    assert cli.main(["lanes", "show", "scale"]) == EXIT_OK
    assert "drift-check" in capsys.readouterr().out
    assert cli.main(["gate", "fast", "--format", "text"]) == EXIT_OK, capsys.readouterr()
    assert (root / "build" / "gate-fast.json").is_file()
    assert cli.main(["doctor", "--format", "text"]) == EXIT_OK
    assert re.search(r"^\s*PASS\s+lanes-toml-valid\b", capsys.readouterr().out, re.M)
    assert cli.main(["drift", "check", "--format", "text"]) == EXIT_OK


def test_pyproject_tool_table_found_from_a_subdirectory(pyproject_project: Path) -> None:
    sub = pyproject_project / "sample"
    assert find_config(sub) == pyproject_project / "pyproject.toml"


@pytest.mark.e2e
@pytest.mark.slow
def test_nox_sessions_come_from_pyproject_tool_table(pyproject_project: Path) -> None:
    r = run_nox(pyproject_project, "-l")
    assert r.returncode == 0, r.stderr
    assert "startup" in r.stdout and "gate-fast" in r.stdout


def test_pyproject_bad_key_names_file_line_and_key(
    pyproject_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject = pyproject_project / "pyproject.toml"
    lines = pyproject.read_text(encoding="utf-8").splitlines()
    header = lines.index("[tool.lane-tasks.gate.fast.checks.mypy]")
    lines.insert(header + 1, 'cmdd = ["mypy"]')
    pyproject.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert cli.main(["lanes", "validate"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err == (
        f"lane-tasks: error: {pyproject}:{header + 2}: tool.lane-tasks.gate.fast.checks.mypy.cmdd:"
        " unknown key (did you mean 'cmd'?); allowed: cmd, owner, timeout, env, cwd, description,"
        " inputs, input_env, shell, fix, report\n"
    )


def test_pyproject_wrong_type_names_its_line(
    pyproject_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject = pyproject_project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8").replace("keep = 50", 'keep = "fifty"')
    pyproject.write_text(text, encoding="utf-8")
    line = text.splitlines().index('keep = "fifty"') + 1
    assert cli.main(["lanes", "validate"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert re.fullmatch(
        rf"lane-tasks: error: \S*pyproject\.toml:{line}: tool\.lane-tasks\.runs\.keep: "
        r"must be an integer, not a string\n",
        err,
    ), err


def test_lanes_toml_beats_pyproject_tool_table_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Like ruff.toml before pyproject.toml: lanes.toml in the same directory wins, and the
    ignored [tool.lane-tasks] is named on stderr instead of silently doing nothing."""
    root = make_project(tmp_path)
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    write(root, "pyproject.toml", text + '\n[tool.lane-tasks.lanes.other]\nsteps = ["doctor"]\n')
    assert find_config(root) == root / "lanes.toml"
    err = capsys.readouterr().err
    assert "warning:" in err and "[tool.lane-tasks] is ignored" in err


def test_pyproject_without_tool_table_is_skipped_upwards(tmp_path: Path) -> None:
    """A nested package's pyproject.toml without [tool.lane-tasks] does not stop the search
    (ruff skips a pyproject.toml without [tool.ruff] the same way)."""
    root = make_project(tmp_path)
    write(root, "sub/pkg/pyproject.toml", '[project]\nname = "inner"\nversion = "1"\n')
    assert find_config(root / "sub" / "pkg") == root / "lanes.toml"


def test_gate_at_a_commit_reads_the_pyproject_tool_table(pyproject_project: Path) -> None:
    """Evidence is judged against the gate the file actually used configured at that commit."""
    config = load_config()
    head = git(pyproject_project, "rev-parse", "HEAD")
    at = checks_at(config, head)
    assert at is not None and set(at) == set(config.checks)


def test_init_refuses_to_shadow_pyproject_tool_table(
    pyproject_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """init would write a lanes.toml that silently replaces [tool.lane-tasks]: refused, exit 2,
    nothing written."""
    assert cli.main(["init"]) == EXIT_USAGE
    assert "has [tool.lane-tasks]" in capsys.readouterr().err
    assert not (pyproject_project / "lanes.toml").exists()


def test_config_search_stops_at_the_git_repository_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A repository without configuration never runs another project's: a lanes.toml or
    [tool.lane-tasks] above its work tree (a home directory's, a parent checkout's) would run
    that file's commands and clear its artifacts directory outside the repository."""
    outer = tmp_path / "outer"
    write(
        outer,
        "pyproject.toml",
        '[tool.lane-tasks.lanes.quick]\nsteps = ["gate-fast"]\n'
        '[tool.lane-tasks.gate.fast.checks.a]\ncmd = ["{python}", "-c", "pass"]\n',
    )
    inner = make_git_repo(outer / "inner")
    write(inner, "sub/f.txt", "x\n")
    commit_all(inner, "no configuration")
    with pytest.raises(ConfigError, match="git repository root"):
        find_config(inner / "sub")
    monkeypatch.chdir(inner)
    assert cli.main(["gate", "fast"]) == EXIT_USAGE
    assert "no lanes.toml" in capsys.readouterr().err
    assert not (outer / ".lane-tasks").exists() and not (outer / "build").exists()
    assert find_config(outer) == outer / "pyproject.toml"  # outside a repository: as before


def test_huge_lanes_toml_is_refused_quickly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "lanes.toml").write_text(
        '[project]\nname = "' + "a" * (MAX_CONFIG_CHARS + 1) + '"\n', encoding="utf-8"
    )
    start = time.process_time()
    code = cli.main(["--config", str(root / "lanes.toml"), "lanes", "validate"])
    assert time.process_time() - start < 2  # it was 30 s and 2.4 GB for 20 MB
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "lanes.toml" in err and "too large" in err
