"""Typed access to parsed lanes.toml: every error is one line, `file:line: key: problem`,
with did-you-mean for a near miss; plus the value checks several tables share."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from lane_tasks.config.keys import REQUIRED, allowed_keys
from lane_tasks.config.lines import Locator
from lane_tasks.errors import ConfigError, did_you_mean

ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_DROP_WORDS = ("remove", "drop", "exclude", "override", "replace", "without", "skip")


class Reader:
    """Typed access to the parsed TOML with errors that carry file, line and key."""

    def __init__(self, path: Path, text: str, table: tuple[str, ...] = ()) -> None:
        self.path = path
        self.loc = Locator(text)
        self.table_path = table
        """Where the configuration sits in the file: ("tool", "lane-tasks") in pyproject.toml."""

    def line(self, key: Sequence[str]) -> int | None:
        return self.loc.line([*self.table_path, *key])

    def name(self, key: Sequence[str]) -> str:
        """`key` as the file spells it: `tool.lane-tasks.gate.fast` in pyproject.toml."""
        return ".".join([*self.table_path, *key])

    def error(self, key: Sequence[str], message: str) -> ConfigError:
        return ConfigError(message, path=self.path, line=self.line(key), key=self.name(key) or None)

    def table(self, data: Any, key: Sequence[str]) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.error(key, f"must be a table, not {type_name(data)}")
        return data

    def known(
        self, data: Mapping[str, Any], key: Sequence[str], allowed: Sequence[str] | None = None
    ) -> None:
        """Every key of `data` is one the table at `key` may hold (config_keys.TABLES, the same
        table the shipped JSON Schema is generated from, unless `allowed` is given)."""
        allowed = allowed_keys(key) if allowed is None else allowed
        for k in data:
            if k in allowed:
                continue
            # before did-you-mean: `remove_controls` must not get "did you mean 'controls'"
            if re.split(r"[_-]", k)[0] in _DROP_WORDS:
                hint = " (lanes are additive: a lane cannot drop or override what it inherits)"
            else:
                hint = did_you_mean(k, allowed)
            raise self.error([*key, k], f"unknown key{hint}; allowed: {', '.join(allowed)}")

    def str_(self, data: Mapping[str, Any], key: Sequence[str], default: str | None) -> str | None:
        if key[-1] not in data:
            return default
        v = data[key[-1]]
        if not isinstance(v, str):
            raise self.error(key, f"must be a string, not {type_name(v)}")
        if not v.strip():
            raise self.error(key, "must not be empty")
        return v

    def str_list(self, data: Mapping[str, Any], key: Sequence[str]) -> tuple[str, ...]:
        v = data.get(key[-1], [])
        if not isinstance(v, list) or not all(isinstance(x, str) and x.strip() for x in v):
            raise self.error(key, f"must be a list of non-empty strings, not {type_name(v)}")
        dup = next((x for i, x in enumerate(v) if x in v[:i]), None)
        if dup is not None:
            raise self.error(key, f"'{dup}' is listed twice")
        return tuple(v)

    def int_(
        self,
        data: Mapping[str, Any],
        key: Sequence[str],
        default: int,
        minimum: int,
        maximum: int | None = None,
    ) -> int:
        v = data.get(key[-1], default)
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.error(key, f"must be an integer, not {type_name(v)}")
        if v < minimum:
            raise self.error(key, f"must be at least {minimum}, not {v}")
        if maximum is not None and v > maximum:
            raise self.error(key, f"must be at most {maximum}, not {v}")
        return v


def type_name(v: object) -> str:
    names = {str: "a string", bool: "a boolean", int: "an integer", float: "a float"}
    names |= {list: "an array", dict: "a table"}
    return names.get(type(v), type(v).__name__)


def require_inside(r: Reader, key: list[str], value: str) -> None:
    """Paths in lanes.toml are relative and stay inside the repository."""
    if outside(value):
        raise r.error(key, f"must be a path inside the repository, not '{value}'")


def outside(value: str) -> bool:
    """Whether a path from lanes.toml is absolute, climbs out with `..` or cannot name a file
    at all (a NUL character, which every file system call rejects with ValueError)."""
    p = Path(value)
    return p.is_absolute() or ".." in p.parts or "\x00" in value


def not_in_git_dir(r: Reader, key: list[str], value: str) -> None:
    if any(part.lower() == ".git" for part in Path(value).parts):
        raise r.error(key, f"must not be in git's own directory .git, not '{value}'")


def seconds(r: Reader, table: Mapping[str, Any], key: list[str], default: float) -> float:
    """A timeout: a positive, finite number of seconds. TOML also has nan and inf (a timeout
    that never fires) and integers too large for a float."""
    v = table.get(key[-1], default)
    try:
        seconds = float(v) if not isinstance(v, bool) and isinstance(v, int | float) else math.nan
    except OverflowError:
        seconds = math.inf
    if not 0 < seconds < math.inf:
        raise r.error(key, f"must be a positive number of seconds, not {v!r}")
    return seconds


def disabled(
    r: Reader, table: Mapping[str, Any], key: list[str], known: Iterable[str], what: str
) -> dict[str, str]:
    """`disable = {check-id = "reason"}`: every id known, every reason given (it is shown)."""
    ids = list(known)
    disable = r.table(table.get(key[-1], {}), key)
    out: dict[str, str] = {}
    for check_id, reason in disable.items():
        if check_id not in ids:
            raise r.error(
                [*key, check_id],
                f"unknown {what} check{did_you_mean(check_id, ids)}; checks: {', '.join(ids)}",
            )
        if not isinstance(reason, str) or not reason.strip():
            raise r.error(
                [*key, check_id],
                f"needs the reason as a non-empty string (it is shown in every {what} report)",
            )
        out[check_id] = reason.strip()
    return out


def opt_str(r: Reader, t: Mapping[str, Any], key: Sequence[str]) -> str | None:
    """A string key whose absence (or blankness) a control reports: only its type is checked
    here, so a missing contact or SLO fails the lane with a named gap instead of exit 2."""
    v = t.get(key[-1])
    if v is None:
        return None
    if not isinstance(v, str):
        raise r.error(key, f"must be a string, not {type_name(v)}")
    return v.strip() or None


class TableArray:
    """The entries of an array of tables (`[[drift.waive]]`, `[[deprecations.items]]`), each
    checked as it is reached: a table, no unknown key, every required key a non-empty string
    (config.keys declares both). Entries have no lines of their own in the locator, so every
    error names the array's line and the entry as `key[i].name`."""

    def __init__(
        self,
        r: Reader,
        table: Mapping[str, Any],
        key: Sequence[str],
        *,
        say_type: bool = False,
        why: Mapping[str, str] | None = None,
    ) -> None:
        """`say_type`: an entry that is no table is told what it is; `why` adds a reason to
        the message for a missing required key."""
        self.r, self.key, self.say_type, self.why = r, list(key), say_type, why or {}
        raw = table.get(key[-1], [])
        if not isinstance(raw, list):
            raise r.error(key, f"must be an array of tables, not {type_name(raw)}")
        self.raw: list[Any] = raw
        self.line = r.line(key)
        self.allowed = allowed_keys([*key, "[]"])
        self.required = REQUIRED.get((*key, "[]"), ())

    def bad(self, i: int, name: str, message: str) -> ConfigError:
        key = f"{self.r.name(self.key)}[{i}]{name}"
        return ConfigError(message, path=self.r.path, line=self.line, key=key)

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        for i, entry in enumerate(self.raw):
            if not isinstance(entry, dict):
                shape = "{" + ", ".join(self.required) + "}"
                got = f", not {type_name(entry)}" if self.say_type else ""
                raise self.bad(i, "", f"must be a table {shape}{got}")
            for k in entry:
                if k not in self.allowed:
                    hint = did_you_mean(k, self.allowed)
                    raise self.bad(
                        i, f".{k}", f"unknown key{hint}; allowed: {', '.join(self.allowed)}"
                    )
            for k in self.required:
                v = entry.get(k)
                if not isinstance(v, str) or not v.strip():
                    got = "missing" if v is None else f"not {type_name(v)}"
                    raise self.bad(
                        i, f".{k}", f"needs a non-empty string{self.why.get(k, '')}; {got}"
                    )
            yield i, entry
