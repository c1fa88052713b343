"""The nox front door: one nox invocation loads lanes.toml once, however many steps it runs."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import tomli_w
from helpers import make_project

pytestmark = pytest.mark.e2e

COUNTING_NOX = """
import atexit, runpy, sys
import lane_tasks.config.load as load

parsed = []
original = load.parse_config


def counting(text, path, **kw):
    parsed.append(str(path))
    return original(text, path, **kw)


load.parse_config = counting  # what load_config calls to read the file it opened
out = sys.argv[1]
atexit.register(lambda: open(out, "w", encoding="utf-8").write("\\n".join(parsed)))
sys.argv = ["nox", *sys.argv[2:]]
runpy.run_module("nox", run_name="__main__")
"""


def test_a_lane_of_several_steps_loads_lanes_toml_once(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    config = tomllib.loads((root / "lanes.toml").read_text(encoding="utf-8"))
    config["lanes"]["quick"] = {"steps": ["gate-fast", "doctor"], "controls": [], "kpis": []}
    (root / "lanes.toml").write_text(tomli_w.dumps(config), encoding="utf-8")
    counted = tmp_path / "parsed.txt"
    r = subprocess.run(
        [sys.executable, "-c", COUNTING_NOX, str(counted), "-s", "quick"],
        cwd=root, capture_output=True, text=True, check=False,
    )  # fmt: skip
    # two steps and the lane's controls step ran in this one nox process
    for session in ("gate-fast: success", "doctor: success", "Running session quick"):
        assert session in r.stderr, r.stderr
    loads = counted.read_text(encoding="utf-8").splitlines()
    assert loads == [str(root / "lanes.toml")], loads
