"""Who owns and decides: [teams], [ownership], [support], [kpi], [history], [release],
[signing]. Gaps a control can name (a missing contact or SLO) are left to the control."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from lane_tasks.catalog import CONTROLS, STEPS
from lane_tasks.config.model import Config
from lane_tasks.config.reader import Reader, not_in_git_dir, opt_str, require_inside
from lane_tasks.config.settings import (
    CHECKLIST_DECISION,
    DEFAULT_SEVERITY_LEVELS,
    ChecklistSettings,
    CheckSpec,
    HistorySettings,
    KpiSettings,
    ReleaseSettings,
    SeverityLevel,
    SigningSettings,
    SupportSettings,
    Team,
    TeamOwnership,
)
from lane_tasks.errors import ConfigError, EnvironmentProblem, did_you_mean
from lane_tasks.util.signing import load_public_key


def teams_ownership_tables(
    r: Reader, data: Mapping[str, Any], checks: Mapping[str, CheckSpec]
) -> tuple[dict[str, Team], TeamOwnership]:
    """[teams.<name>] and [ownership.steps|controls|checks]: every owned id must exist (a typo
    would silently leave the real item unowned); team references are the control's to judge."""
    teams_t = r.table(data.get("teams", {}), ["teams"])
    teams: dict[str, Team] = {}
    for name, raw in teams_t.items():
        key = ["teams", name]
        t = r.table(raw, key)
        r.known(t, key)
        teams[name] = Team(
            name=name,
            contact=opt_str(r, t, [*key, "contact"]),
            description=opt_str(r, t, [*key, "description"]) or "",
        )
    own_t = r.table(data.get("ownership", {}), ["ownership"])
    kinds: dict[str, tuple[str, Iterable[str]]] = {
        "steps": ("step", STEPS),
        "controls": ("control", CONTROLS),
        "checks": ("gate fast check", checks),
    }
    r.known(own_t, ["ownership"])
    owned: dict[str, dict[str, str]] = {}
    for kind, (what, known_ids) in kinds.items():
        key = ["ownership", kind]
        ids = list(known_ids)
        owned[kind] = {}
        for item, team in r.table(own_t.get(kind, {}), key).items():
            if item not in ids:
                raise r.error(
                    [*key, item],
                    f"unknown {what} '{item}'{did_you_mean(item, ids)}; known: {', '.join(ids)}",
                )
            if not isinstance(team, str) or not team.strip():
                raise r.error(
                    [*key, item], f"must be a team name (a non-empty string), not {team!r}"
                )
            owned[kind][item] = team.strip()
    return teams, TeamOwnership(**owned)


def support_table(r: Reader, data: Mapping[str, Any]) -> SupportSettings:
    """[support]: levels (strictest first) and [support.severity.<level>]. Only types and keys
    are checked here; missing levels, bad durations and SLO order are the severity-model
    control's, so the regulated lane fails naming every gap at once."""
    key = ["support"]
    t = r.table(data.get("support", {}), key)
    r.known(t, key)
    levels = r.str_list(t, [*key, "levels"]) if "levels" in t else DEFAULT_SEVERITY_LEVELS
    sev_t = r.table(t.get("severity", {}), [*key, "severity"])
    severity: dict[str, SeverityLevel] = {}
    for name, raw in sev_t.items():
        lkey = [*key, "severity", name]
        lt = r.table(raw, lkey)
        r.known(lt, lkey)
        severity[name] = SeverityLevel(
            name=name,
            ack=opt_str(r, lt, [*lkey, "ack"]),
            resolve=opt_str(r, lt, [*lkey, "resolve"]),
            escalation=opt_str(r, lt, [*lkey, "escalation"]),
            description=opt_str(r, lt, [*lkey, "description"]) or "",
        )
    return SupportSettings(levels=levels, severity=severity)


def kpi_table(r: Reader, data: Mapping[str, Any]) -> KpiSettings:
    key = ["kpi"]
    t = r.table(data.get("kpi", {}), key)
    r.known(t, key)
    return KpiSettings(
        # the control compares ages with timedelta(days=...), which ends at 999999999 days
        review_period_days=r.int_(t, [*key, "review_period_days"], 7, 1, timedelta.max.days),
        reviewers=r.str_list(t, [*key, "reviewers"]),
        min_sample=r.int_(t, [*key, "min_sample"], 3, 1),
    )


def history_table(r: Reader, data: Mapping[str, Any]) -> HistorySettings:
    key = ["history"]
    t = r.table(data.get("history", {}), key)
    r.known(t, key)
    path = r.str_(t, [*key, "path"], None)
    if path is not None:
        require_inside(r, [*key, "path"], path)
        not_in_git_dir(r, [*key, "path"], path)
    return HistorySettings(path=path, repository=r.str_(t, [*key, "repository"], None))


def release_table(r: Reader, data: Mapping[str, Any]) -> ReleaseSettings:
    key = ["release"]
    t = r.table(data.get("release", {}), key)
    r.known(t, key)
    if "checklist" not in t:
        return ReleaseSettings()
    items = r.str_list(t, [*key, "checklist"])
    known = [*STEPS, CHECKLIST_DECISION]
    for item in items:
        if item not in known:
            raise r.error(
                [*key, "checklist"],
                f"unknown checklist item '{item}'{did_you_mean(item, known)}; "
                f"known: {', '.join(known)}",
            )
    if not items:
        raise r.error([*key, "checklist"], "must list at least one item")
    return ReleaseSettings(checklist=ChecklistSettings(items=items))


def check_checklist_steps(r: Reader, config: Config) -> None:
    """A checklist item that is a step the lane with release-checklist-evidence does not run
    could never be done."""
    for lane in config.resolved_lanes():
        if "release-checklist-evidence" not in lane.control_ids():
            continue
        items = config.release_table.checklist.items
        missing = [i for i in items if i in STEPS and i not in lane.step_ids()]
        if missing:
            raise r.error(
                ["release", "checklist"],
                f"item(s) {', '.join(missing)} are steps lane '{lane.name}' does not run, "
                "so its release-checklist-evidence control could never pass",
            )


_PEM_PUBLIC = b"-----BEGIN PUBLIC KEY-----"
_KEY_FILE_MAX = 64 * 1024
"""A PEM public key is a few hundred bytes; a bigger file is not one (and is not read whole)."""


def signing_table(
    r: Reader, data: Mapping[str, Any], root: Path, owners: Sequence[str], kpi: KpiSettings
) -> SigningSettings:
    """[signing.keys]: like [ownership.steps], a table of names; each is a release owner or a
    KPI reviewer (any name when kpi.reviewers is empty), each key a PEM public key file inside
    the repository, no two people sharing one (a signature must name one person)."""
    key = ["signing"]
    t = r.table(data.get("signing", {}), key)
    r.known(t, key)
    keys_t = r.table(t.get("keys", {}), [*key, "keys"])
    people = [*owners, *(x for x in kpi.reviewers if x not in owners)]
    keys: dict[str, str] = {}
    seen: dict[bytes, str] = {}
    for name, value in keys_t.items():
        k = [*key, "keys", name]
        if name not in owners and kpi.reviewers and name not in kpi.reviewers:
            raise r.error(
                k,
                f"'{name}' is neither a release owner nor a KPI reviewer"
                f"{did_you_mean(name, people)}; signers: {', '.join(people) or 'none configured'}",
            )
        if not isinstance(value, str) or not value.strip():
            raise r.error(k, f"must be the path of a public key file (a string), not {value!r}")
        require_inside(r, k, value)
        file = root / value
        try:
            inside, is_file = file.resolve().is_relative_to(root), file.is_file()
            if inside and is_file:  # never open a FIFO or a directory
                with file.open("rb") as fh:
                    pem = fh.read(_KEY_FILE_MAX + 1)
        except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python < 3.13)
            why = getattr(exc, "strerror", None) or str(exc)
            raise r.error(k, f"cannot read the public key {value}: {why}") from None
        if not inside:  # a symlink out of the repository
            raise r.error(k, f"must be a path inside the repository, not '{value}'")
        if not is_file:
            raise r.error(k, f"no public key file {value} in the repository")
        if b"PRIVATE KEY-----" in pem:
            raise r.error(
                k,
                f"{value} is a private key: list the public one (`openssl pkey -in KEY -pubout "
                f"-out {value}`) and keep the private key out of the repository",
            )
        if len(pem) > _KEY_FILE_MAX or _PEM_PUBLIC not in pem:
            raise r.error(
                k,
                f"{value} is not a PEM public key (make one: `openssl genpkey -algorithm "
                f"ed25519 -out KEY && openssl pkey -in KEY -pubout -out {value}`)",
            )
        _ed25519_or_error(r, k, file)
        if (other := seen.get(pem.strip())) is not None:
            raise r.error(k, f"{value} is the same key as '{other}'s: each signer needs their own")
        seen[pem.strip()] = name
        keys[name] = Path(value).as_posix()
    return SigningSettings(keys=keys)


def _ed25519_or_error(r: Reader, key: list[str], file: Path) -> None:
    """An RSA or EC key passes the PEM check; with `cryptography` installed (the sign extra),
    say so at load. Without it the file is checked when a record is verified (exit 3 then)."""

    try:
        load_public_key(file)
    except EnvironmentProblem:
        return
    except ConfigError as exc:
        raise r.error(key, exc.problem) from None
