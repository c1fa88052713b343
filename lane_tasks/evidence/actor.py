"""Who ran a lane and on which CI: the actor and CI name a run manifest and the history record.

A run's evidence says who made it, so an audit can tell a laptop run from a CI job and one
person's first run from another's (the first-time-success KPI counts per actor). Both answers
come from the environment: the CI's own variables first, then git's author, then the login.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from lane_tasks.catalog.layout import ACTOR_ENV
from lane_tasks.project.git import git

__all__ = ["actor", "ci_name"]

_CI_VARS = (
    ("GITHUB_ACTIONS", "github-actions"),
    ("GITLAB_CI", "gitlab-ci"),
    ("BUILDKITE", "buildkite"),
    ("CIRCLECI", "circleci"),
    ("JENKINS_URL", "jenkins"),
    ("TF_BUILD", "azure-pipelines"),
    ("BITBUCKET_BUILD_NUMBER", "bitbucket"),
    ("CI", "ci"),
)
_ACTOR_VARS = (
    ACTOR_ENV,
    "GITHUB_ACTOR",
    "GITLAB_USER_LOGIN",
    "BUILDKITE_BUILD_CREATOR_EMAIL",
    "CIRCLE_USERNAME",
    "BUILD_REQUESTEDFOREMAIL",
)


def ci_name(env: Mapping[str, str] | None = None) -> str | None:
    """The CI system running us, or None on a laptop."""
    env = os.environ if env is None else env
    for var, name in _CI_VARS:
        value = env.get(var, "").strip().lower()
        if value and value not in ("0", "false", "no"):
            return name
    return None


def actor(root: Path, env: Mapping[str, str] | None = None) -> str | None:
    """Who ran it: the CI's actor, else git's author e-mail (then name), else the login."""
    env = os.environ if env is None else env
    for var in _ACTOR_VARS:
        if env.get(var, "").strip():
            return env[var].strip()
    return _git_actor(root) or env.get("USER") or env.get("USERNAME") or None


@cache
def _git_actor(root: Path) -> str | None:
    """The author git would record here (its environment variables, then its config)."""
    ident = git(root, "var", "GIT_AUTHOR_IDENT")
    if ident.returncode != 0:
        return None
    name, _, rest = ident.stdout.partition("<")
    email = rest.partition(">")[0].strip()
    return email or name.strip() or None
