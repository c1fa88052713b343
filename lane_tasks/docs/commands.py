"""A step's canonical command as the docs print it: one function the lanes page and the role
quickstarts share, so neither needs the other."""

from __future__ import annotations

from lane_tasks.catalog import STEPS
from lane_tasks.config import Config

__all__ = ["step_command"]


def step_command(config: Config, step_id: str) -> str:
    """The step's canonical command as a person types it: what the step's nox session runs
    (`nox_sessions.step_argv`) without the run-store plumbing (`--config`, `--lane`,
    `--run-id`)."""
    info = STEPS[step_id]
    argv = ["lane-tasks", *info.argv, "--format", "json"]
    if info.stable:
        argv.append("--stable-json")
    return " ".join([*argv, "--out", f"{config.artifacts_dir}/{info.out}"])
