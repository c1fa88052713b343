"""`lane-tasks init`: adopt the lanes in any Python repository, as it is.

Writes a lanes.toml (with tomli-w) whose gate checks are the project's own (gate_detect), adds
the lane sessions to the project's noxfile or writes one (noxfile_adopt), adds what it writes
to the ignore list of the project's check-manifest (check_manifest), and makes the artifacts
directory ignore itself. Everything is decided and checked before anything is
written, so a refusal leaves the repository as it was; running init again changes nothing.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from lane_tasks.adopt.check_manifest import plan_check_manifest
from lane_tasks.adopt.gate_detect import Proposal, propose_checks
from lane_tasks.adopt.governance_scaffold import (
    governance_scaffold,
    merge_tables,
    write_compat_snapshot,
)
from lane_tasks.adopt.noxfile import NoxfilePlan, ProjectSession, plan_noxfile
from lane_tasks.catalog import STEPS
from lane_tasks.catalog.lanes import SEED_LANES
from lane_tasks.compat.snapshot import SnapshotProblem
from lane_tasks.config import (
    ARTIFACTS_DIR,
    CONFIG_NAME,
    PYPROJECT,
    Config,
    config_in,
    load_config,
    parse_config,
)
from lane_tasks.errors import ConfigError, LaneTasksError
from lane_tasks.evidence.artifacts import atomic_write
from lane_tasks.project.git import git, git_config, is_git_repo, self_ignore
from lane_tasks.project.pyproject import read_pyproject

__all__ = ["InitReport", "default_lanes_toml", "init_repo"]

PREFIX = "lanes-"
"""The [nox] session_prefix init sets when the project's noxfile has a session named like ours."""

_HEADER = """\
# lanes.toml: the release-confidence lanes of this repository (see `lane-tasks lanes show <lane>`).
# A lane `extends` another and only adds: its steps, controls and KPIs are inherited.
# Gate checks are argv lists run without a shell; "{python}" is the interpreter running lane-tasks.

"""

LANES: dict[str, dict[str, Any]] = {name: seed.table() for name, seed in SEED_LANES.items()}
"""The seed lanes as init writes them into lanes.toml."""


def _pyproject(root: Path) -> Mapping[str, Any]:
    try:
        return read_pyproject(root)
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read it: {exc}", path=root / "pyproject.toml") from None


@dataclass(frozen=True, kw_only=True)
class _Plan:
    """What init writes, decided before anything is written."""

    text: str
    checks: tuple[Proposal, ...]
    prefix: str
    clash: str | None
    why: tuple[str, ...]
    """The governance scaffold's reasons (teams from CODEOWNERS or the git author …)."""
    governance: tuple[str, ...] = ()
    """The top-level tables the lane's controls read (teams, ownership, support …)."""


def _clash(sessions: tuple[ProjectSession, ...]) -> str | None:
    """The first project session named like one of our steps or lanes."""
    ours = {*STEPS, *LANES}
    return next((f"{s.name} (noxfile.py:{s.line})" for s in sessions if s.name in ours), None)


def _plan(
    root: Path, lane: str, sessions: tuple[ProjectSession, ...], pyproject: Mapping[str, Any]
) -> _Plan:
    owner = git_config(root, "user.email")
    checks = tuple(propose_checks(root, pyproject, sessions))
    clash = _clash(sessions)
    prefix = PREFIX if clash else ""
    data: dict[str, Any] = {
        "project": {
            "release_owners": [owner] if owner else [],
            "evidence_dir": "release-evidence",
            "artifacts_dir": ARTIFACTS_DIR,
            "default_lane": lane,
        },
        "runs": {"keep": 50},
        "history": {"path": f"{ARTIFACTS_DIR}/lanes/history.sqlite"},
        "nox": {"backend": "none", **({"session_prefix": prefix} if prefix else {})},
        "lanes": LANES,
        "gate": {
            "fast": {
                "checks": {
                    c.id: {
                        "cmd": list(c.cmd),
                        "owner": "maintainers",
                        "timeout": c.timeout,
                        **({"report": c.report} if c.report else {}),
                    }
                    for c in checks
                }
            }
        },
    }
    if not owner:
        del data["project"]["release_owners"]
    scaffold = governance_scaffold(root, lane, [c.id for c in checks], lanes=LANES)
    data = merge_tables(data, scaffold.tables)
    return _Plan(
        text=_HEADER + tomli_w.dumps(data),
        checks=checks,
        prefix=prefix,
        clash=clash,
        why=scaffold.why,
        governance=tuple(t for t in scaffold.tables if t != "gate"),
    )


def default_lanes_toml(root: Path, lane: str = "startup") -> str:
    """The lanes.toml text `init` writes for the repository at `root`."""
    try:
        plan = plan_noxfile(root)
    except LaneTasksError:
        plan = None
    return _plan(root, lane, plan.sessions if plan else (), _pyproject(root)).text


@dataclass(frozen=True, kw_only=True)
class InitReport:
    """What init did: files written, files it left as they were (and why), what it chose."""

    written: tuple[Path, ...]
    kept: tuple[tuple[Path, str], ...]
    choices: tuple[str, ...]
    next_commands: tuple[str, ...]
    complete: bool = True
    """False when a kept lanes.toml lacks what the asked-for lane needs."""


def _refuse_early(root: Path) -> None:
    if not root.is_dir():
        raise ConfigError(f"{root} is not a directory")
    if not is_git_repo(root):
        raise ConfigError(
            f"{root} is not a git repository: lane-tasks reads its commits and release tags; "
            "run `git init` there (and commit) first"
        )
    top = git(root, "rev-parse", "--show-toplevel").stdout.strip()
    markers = ("pyproject.toml", "setup.py", "setup.cfg")
    if Path(top).resolve() != root.resolve() and not any((root / m).exists() for m in markers):
        raise ConfigError(
            f"{root} is inside the repository {top} but is no Python project (no "
            f"{', '.join(markers)}): run `lane-tasks init` in the project's own directory"
        )


def init_repo(root: Path, *, lane: str = "startup", force: bool = False) -> InitReport:
    """Adopt the lanes in `root`: lanes.toml (kept unless `force`), the noxfile's lane sessions
    (added, never replacing a line), a self-ignoring artifacts directory."""
    _refuse_early(root)
    lanes_toml = root / CONFIG_NAME
    if not lanes_toml.exists() and config_in(root) is not None:  # pyproject's [tool.lane-tasks]
        raise ConfigError(
            f"{root / PYPROJECT} has [tool.lane-tasks], the configuration of this project: init "
            f"writes {CONFIG_NAME}, which would take its place; edit [tool.lane-tasks] instead "
            "(`lane-tasks lanes validate` checks it)"
        )
    nox_plan: NoxfilePlan = plan_noxfile(root)  # a noxfile that does not parse: refused here
    pyproject = _pyproject(root)
    plan = _plan(root, lane, nox_plan.sessions, pyproject)
    keep_config = lanes_toml.exists() and not force
    if keep_config:
        config = load_config(lanes_toml)  # an invalid one is refused before anything is written
        prefix, artifacts = config.nox_session_prefix, config.artifacts_path()
        if plan.clash and not prefix:
            raise ConfigError(
                f"noxfile.py has a session {plan.clash} named like a lane-tasks step or lane; "
                f'set [nox] session_prefix = "{PREFIX}" in {CONFIG_NAME} (or run '
                "`lane-tasks init --force` to rewrite it with that setting)",
                path=lanes_toml,
            )
    else:
        config = parse_config(plan.text, lanes_toml)  # never write a lanes.toml we would reject
        prefix, artifacts = plan.prefix, root / ARTIFACTS_DIR

    manifest = plan_check_manifest(root, pyproject, _own_files(config, nox_plan))
    written: list[Path] = []
    kept: list[tuple[Path, str]] = []
    complete = True
    if keep_config:
        have = tomllib.loads(lanes_toml.read_text(encoding="utf-8"))
        lacking = [t for t in plan.governance if t not in have]
        why = "exists; `lane-tasks init --force` rewrites it"
        if lacking or lane not in config.lanes:
            complete = False
            tables = ", ".join(f"[{t}]" for t in lacking) or f"a lane '{lane}'"
            why = (
                f"exists, without {tables} that the {lane} lane needs: "
                f"`lane-tasks init --lane {lane} --force` rewrites it with them"
            )
        kept.append((lanes_toml, why))
    else:
        atomic_write(lanes_toml, plan.text)
        written.append(lanes_toml)
    if nox_plan.text is None:
        kept.append((nox_plan.path, "already registers the lane sessions"))
    else:
        atomic_write(nox_plan.path, nox_plan.text)
        written.append(nox_plan.path)
    if manifest is not None and manifest.text is not None:
        atomic_write(manifest.path, manifest.text)
        written.append(manifest.path)
    self_ignore(artifacts)

    choices: list[str] = []
    if not (root / "pyproject.toml").exists():
        choices.append(
            "warning: no pyproject.toml: gate release reads the release metadata from its "
            "[project] table (PEP 621), so the lanes fail until the project has one"
        )
    if not keep_config:
        choices += [f"gate check '{c.id}': {' '.join(c.cmd)}  ({c.why})" for c in plan.checks]
        choices += plan.why
        if plan.clash:
            choices.append(
                f"nox sessions named '{prefix}<step>': your noxfile already has {plan.clash}"
            )
    snapshot = root / config.compat.snapshot
    if config.compat.source == "project" and not (keep_config and snapshot.exists()):
        try:  # compat-policy names the fix when it cannot be written
            choices.append(write_compat_snapshot(config))
            written.append(snapshot)
        except SnapshotProblem as exc:
            choices.append(f"compat snapshot not written: {exc}")
    if nox_plan.action == "add":
        choices.append("noxfile.py: lane sessions added at its end; nothing of it changed")
    if manifest is not None:
        choices.append(manifest.line)
    install, absent = _missing_tools(config, root)
    choices += absent
    added = " ".join(config.shown(p) for p in written)
    next_commands = (
        *([f"python -m pip install {' '.join(install)}"] if install else []),
        "nox -l",
        *([f"git add {added} && git commit -m 'Adopt lane-tasks'"] if written else []),
        *_human_evidence(config, lane),
        f"nox -s {prefix}{lane}",
    )
    return InitReport(
        written=tuple(written),
        kept=tuple(kept),
        choices=tuple(choices),
        next_commands=next_commands,
        complete=complete,
    )


def _own_files(config: Config, nox_plan: NoxfilePlan) -> list[str]:
    """What init writes, or tells the user to commit, that no sdist needs: lanes.toml, the
    compat snapshot, a noxfile init wrote itself, the evidence people record."""
    own = [CONFIG_NAME]
    if nox_plan.action == "create":
        own.append(config.shown(nox_plan.path))
    if config.compat.source == "project" or (config.root / config.compat.snapshot).exists():
        own.append(config.compat.snapshot)
    if Path(config.evidence_dir) != Path():
        own.append(f"{Path(config.evidence_dir).as_posix()}/**")
    return own


def _missing_tools(config: Config, root: Path) -> tuple[list[str], list[str]]:
    """The Python tools the gate checks run that are not installed here (what to `pip
    install` before the first lane run), and a warning for each other missing program, so a
    new user learns it from init, not from gate fast erroring in 0 s."""
    from lane_tasks.steps.gate_commands import missing_tool, pip_distribution  # start-up cost

    install: list[str] = []
    absent: list[str] = []
    for check in config.checks.values():
        why = missing_tool(check, root)
        if why is None:
            continue
        dist = pip_distribution(check)
        if dist is not None:
            if dist not in install:
                install.append(dist)
        else:
            absent.append(f"warning: gate check '{check.id}': {why}; install it before the lane")
    if install:
        absent.insert(0, f"gate checks need what is not installed here: {', '.join(install)}")
    return install, absent


def _human_evidence(config: Config, lane: str) -> tuple[str, ...]:
    """The records only people can make that the lane's first run needs (a KPI review)."""
    if "weekly-kpi-review" not in config.resolve(lane).control_ids():
        return ()
    reviewer = (config.kpi.reviewers or config.release_owners or ("<your name>",))[0]
    reviews = f"{config.evidence_dir}/kpi-reviews"
    return (
        f"lane-tasks kpi review --reviewer {reviewer} --notes 'first review'",
        f"git add {reviews} && git commit -m 'KPI review'",
    )
