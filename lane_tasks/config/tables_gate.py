"""[gate.fast] (the checks: argv lists, timeouts, env, reports) and [gate.release]."""

from __future__ import annotations

import re
import shlex
import warnings
from collections.abc import Mapping
from typing import Any

from lane_tasks.catalog.checks import RELEASE_CHECKS
from lane_tasks.config.model import LaneSpec
from lane_tasks.config.reader import ID, Reader, disabled, require_inside, seconds, type_name
from lane_tasks.config.settings import (
    DEFAULT_TAG_PATTERN,
    REPORT_FORMATS,
    REPORT_PLACEHOLDER,
    CheckSpec,
    GateFastSettings,
    GateReleaseSettings,
)
from lane_tasks.errors import did_you_mean


def argv(r: Reader, key: list[str], cmd: object) -> tuple[str, ...]:
    """`cmd` as an argv list a process can be given, or the one-line error that says why not."""
    if isinstance(cmd, str):
        raise r.error(key, f"must be an argv list, not a shell string; write {_argv_hint(cmd)}")
    if not isinstance(cmd, list) or not cmd or not all(isinstance(x, str) for x in cmd):
        got = repr(cmd) if isinstance(cmd, list) else type_name(cmd)
        raise r.error(key, f"must be a non-empty list of strings, not {got}")
    if not cmd[0].strip():
        raise r.error(key, "the program name (first element) is empty")
    if any("\x00" in x for x in cmd):
        raise r.error(key, "an argument holds a NUL character, which no argv can")
    return tuple(cmd)


def gate_fast_table(r: Reader, data: Mapping[str, Any]) -> GateFastSettings:
    gate = r.table(data.get("gate", {}), ["gate"])
    r.known(gate, ["gate"])
    fast = r.table(gate.get("fast", {}), ["gate", "fast"])
    r.known(fast, ["gate", "fast"])
    jobs = r.int_(fast, ["gate", "fast", "jobs"], 0, 0)
    cache = fast.get("cache", True)
    if not isinstance(cache, bool):
        raise r.error(["gate", "fast", "cache"], f"must be true or false, not {type_name(cache)}")
    checks_t = r.table(fast.get("checks", {}), ["gate", "fast", "checks"])
    checks: dict[str, CheckSpec] = {}
    for cid, raw in checks_t.items():
        key = ["gate", "fast", "checks", cid]
        if not ID.match(cid):
            raise r.error(key, "check ids use lowercase letters, digits, '-' and '_'")
        t = r.table(raw, key)
        r.known(t, key)
        if "cmd" not in t:
            raise r.error(
                key, 'missing required key \'cmd\' (an argv list such as ["ruff", "check", "."])'
            )
        cmd = t["cmd"]
        shell = t.get("shell", False)
        if not isinstance(shell, bool):
            raise r.error([*key, "shell"], f"must be true or false, not {type_name(shell)}")
        if shell:
            if not isinstance(cmd, str) or not cmd.strip():
                raise r.error([*key, "cmd"], "with shell = true, cmd is one non-empty string")
            cmd = [cmd]
        elif isinstance(cmd, str):
            raise r.error(
                [*key, "cmd"],
                f"must be an argv list, not a shell string; write {_argv_hint(cmd)} "
                "(or set shell = true to run it with /bin/sh, which doctor flags)",
            )
        argv(r, [*key, "cmd"], cmd)
        timeout = seconds(r, t, [*key, "timeout"], 600)
        env = r.table(t.get("env", {}), [*key, "env"])
        for ek, ev in env.items():
            if not ek or "=" in ek or "\x00" in ek:
                raise r.error([*key, "env", ek], "is not an environment variable name")
            if not isinstance(ev, str):
                raise r.error([*key, "env", ek], f"must be a string, not {type_name(ev)}")
            if "\x00" in ev:
                raise r.error([*key, "env", ek], "holds a NUL character, which no environment can")
        cwd = r.str_(t, [*key, "cwd"], None)
        if cwd is not None:
            require_inside(r, [*key, "cwd"], cwd)
        inputs = r.str_list(t, [*key, "inputs"])
        for pattern in inputs:
            require_inside(r, [*key, "inputs"], pattern)
        input_env = r.str_list(t, [*key, "input_env"])
        for name in input_env:
            if "=" in name or "\x00" in name or name != name.strip():
                raise r.error(
                    [*key, "input_env"],
                    f"'{name}' is not an environment variable name (or a NAME_* pattern)",
                )
        report = r.str_(t, [*key, "report"], None)
        if report is not None and report not in REPORT_FORMATS:
            raise r.error(
                [*key, "report"],
                f"unknown report format '{report}'{did_you_mean(report, REPORT_FORMATS)}; "
                f"formats: {', '.join(REPORT_FORMATS)}",
            )
        placed = any(REPORT_PLACEHOLDER in part for part in cmd)
        if report is not None and not placed:
            raise r.error(
                [*key, "cmd"],
                f"report = '{report}' needs {REPORT_PLACEHOLDER} in cmd where the tool is told "
                "where to write it (lane-tasks gives a fresh path in the run's directory)",
            )
        if report is None and placed:
            raise r.error(
                [*key, "cmd"],
                f"{REPORT_PLACEHOLDER} in cmd needs a report key naming its format "
                f"({', '.join(REPORT_FORMATS)})",
            )
        checks[cid] = CheckSpec(
            id=cid,
            cmd=tuple(cmd),
            owner=r.str_(t, [*key, "owner"], None),
            timeout=timeout,
            env=dict(env),
            cwd=cwd,
            description=r.str_(t, [*key, "description"], "") or "",
            inputs=inputs,
            input_env=input_env,
            shell=shell,
            fix=r.str_(t, [*key, "fix"], None),
            report=report,
        )
    return GateFastSettings(checks=checks, jobs=jobs, cache=cache)


def check_gate_has_checks(
    r: Reader, lanes: Mapping[str, LaneSpec], gate_fast: GateFastSettings
) -> None:
    """A lane that runs gate-fast needs a check: a gate with none would pass unchecked."""
    for name, lane in lanes.items():
        if "gate-fast" in lane.steps and not gate_fast.checks:
            raise r.error(
                ["gate", "fast", "checks"],
                f"lane '{name}' runs gate-fast but no [gate.fast.checks.<id>] is defined "
                "(a gate with no checks would pass without checking anything)",
            )


def _argv_hint(cmd: str) -> str:
    try:
        parts = shlex.split(cmd)
    except ValueError:
        parts = cmd.split()
    return "[" + ", ".join(f'"{p}"' for p in parts) + "]"


def gate_release_table(r: Reader, data: Mapping[str, Any]) -> GateReleaseSettings:
    key = ["gate", "release"]
    t = r.table(data.get("gate", {}).get("release", {}), key)
    r.known(t, key)
    pattern = r.str_(t, [*key, "tag_pattern"], DEFAULT_TAG_PATTERN) or DEFAULT_TAG_PATTERN
    try:
        with warnings.catch_warnings():
            # re's FutureWarning ("Possible nested set") printed our own source line on stderr
            warnings.simplefilter("ignore")
            compiled = re.compile(pattern)
    except (re.error, OverflowError, RecursionError) as exc:  # x{99999999999}, deep nesting
        raise r.error([*key, "tag_pattern"], f"not a valid regular expression: {exc}") from None
    if "version" not in compiled.groupindex:
        raise r.error(
            [*key, "tag_pattern"], "needs a named group (?P<version>...) that captures the version"
        )
    changelog = r.str_(t, [*key, "changelog"], None)
    if changelog is not None:
        require_inside(r, [*key, "changelog"], changelog)
    offline = t.get("offline", False)
    if not isinstance(offline, bool):
        raise r.error([*key, "offline"], f"must be true or false, not {type_name(offline)}")
    timeout = seconds(r, t, [*key, "timeout"], 900)
    smoke = argv(r, [*key, "smoke"], t["smoke"]) if "smoke" in t else ()
    reproducible = t.get("reproducible")
    if reproducible is not None and not isinstance(reproducible, bool):
        raise r.error(
            [*key, "reproducible"], f"must be true or false, not {type_name(reproducible)}"
        )
    sdist_exclude = r.str_list(t, [*key, "sdist_exclude"])

    return GateReleaseSettings(
        tag_pattern=pattern,
        changelog=changelog,
        offline=offline,
        timeout=timeout,
        smoke=smoke,
        reproducible=reproducible,
        sdist_exclude=sdist_exclude,
        disabled=disabled(r, t, [*key, "disable"], RELEASE_CHECKS, "gate release"),
    )
