"""`lane-tasks init` adopts the lanes in another repository, through the real CLI."""

from __future__ import annotations

import tomllib
from pathlib import Path

from conftest import commit_all, make_git_repo, run_cli, run_nox, write


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
        """,
    )
    pkg = "src/proj" if src_layout else "proj"
    write(root, f"{pkg}/__init__.py", '"""proj."""\n')
    write(root, "tests/test_it.py", "def test_it() -> None:\n    assert True\n")
    commit_all(root, "initial")
    return root


def test_init_writes_working_files(tmp_path: Path) -> None:
    root = bare_project(tmp_path)
    r = run_cli(root, "init")
    assert r.returncode == 0, r.stderr
    assert "wrote" in r.stdout
    config = tomllib.loads((root / "lanes.toml").read_text())
    assert set(config["lanes"]) == {"startup", "scale", "regulated"}
    assert config["lanes"]["scale"]["extends"] == "startup"
    assert config["project"]["default_lane"] == "startup"
    checks = config["gate"]["fast"]["checks"]
    assert checks["mypy"]["cmd"] == ["mypy", "proj"]
    assert set(checks) == {"ruff-check", "ruff-format", "mypy", "pytest"}
    assert "/build/" in (root / ".gitignore").read_text()
    assert run_cli(root, "lanes", "validate").returncode == 0
    listed = run_nox(root, "-l")
    assert listed.returncode == 0, listed.stderr
    for session in ("gate-fast", "gate-release", "doctor", "startup", "scale", "regulated"):
        assert f" {session} " in listed.stdout
    commit_all(root, "adopt lane-tasks")
    r = run_nox(root, "-s", "gate-fast", "doctor")
    assert r.returncode == 0, r.stdout + r.stderr


def test_init_detects_src_layout_and_lane(tmp_path: Path) -> None:
    root = bare_project(tmp_path, src_layout=True)
    assert run_cli(root, "init", "--lane", "regulated").returncode == 0
    config = tomllib.loads((root / "lanes.toml").read_text())
    assert config["gate"]["fast"]["checks"]["mypy"]["cmd"] == ["mypy", "src"]
    assert config["project"]["default_lane"] == "regulated"


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    root = bare_project(tmp_path)
    (root / "noxfile.py").write_text("# mine\n")
    r = run_cli(root, "init")
    assert r.returncode == 2
    assert "noxfile.py" in r.stderr and "--force" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert (root / "noxfile.py").read_text() == "# mine\n"
    assert not (root / "lanes.toml").exists()
    r = run_cli(root, "init", "--force")
    assert r.returncode == 0
    assert "register()" in (root / "noxfile.py").read_text()


def test_init_keeps_an_existing_gitignore(tmp_path: Path) -> None:
    root = bare_project(tmp_path)
    (root / ".gitignore").write_text("*.log")
    assert run_cli(root, "init").returncode == 0
    assert (root / ".gitignore").read_text() == "*.log\n/build/\n/.nox/\n"
