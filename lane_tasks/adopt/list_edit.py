"""Add strings to a list setting of a project's own file, changing no other byte of it.

init edits other tools' configuration only where it can prove the edit: the new text is read
back (tomllib, configparser) and must mean exactly the old one plus the added strings, in the
same order, with every other table, section and value as it was. Where that proof fails (a
setting spelled in a way these small scanners do not follow), the answer is None and init says
what to add by hand instead. Comments, blank lines, quoting, indentation, line endings and the
order of everything stay as the project wrote them: the strings are inserted, nothing rewritten.
"""

from __future__ import annotations

import configparser
import json
import re
import tomllib
from collections.abc import Sequence
from typing import Any

__all__ = ["append_ini_lines", "append_toml_array", "ini_values"]


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _lines(text: str) -> list[tuple[int, str]]:
    """Each line's start offset and its text without the line break."""
    out, pos = [], 0
    for line in text.splitlines(keepends=True):
        out.append((pos, line.rstrip("\r\n")))
        pos += len(line)
    return out


def _ended(text: str, nl: str) -> str:
    return text if not text or text.endswith(("\n", "\r")) else text + nl


# ---- TOML -------------------------------------------------------------------------------------


def _toml_header(table: Sequence[str]) -> re.Pattern[str]:
    part = r"[ \t]*\.[ \t]*".join(
        rf"(?:{re.escape(p)}|\"{re.escape(p)}\"|'{re.escape(p)}')" for p in table
    )
    return re.compile(rf"^[ \t]*\[[ \t]*{part}[ \t]*\][ \t]*(?:#.*)?$")


def _array_end(text: str, start: int) -> tuple[int, int] | None:
    """For the array opening at `start` ('['): the offset of its closing ']' and of the last
    character before it that is neither blank nor comment; None when it does not close."""
    depth, i, last = 0, start, start
    while i < len(text):
        c = text[i]
        if c in "\"'":
            triple = text.startswith(c * 3, i)
            quote = c * 3 if triple else c
            j = i + len(quote)
            while j < len(text) and not text.startswith(quote, j):
                j += 2 if c == '"' and text[j] == "\\" else 1
            if j >= len(text):
                return None
            i = j + len(quote)
            last = i - 1
            continue
        if c == "#":
            while i < len(text) and text[i] not in "\r\n":
                i += 1
            continue
        if c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
            if depth == 0:
                return i, last
        if not c.isspace():
            last = i
        i += 1
    return None


def _toml_insert(text: str, table: Sequence[str], key: str, values: Sequence[str]) -> str | None:
    nl = _newline(text)
    items = [json.dumps(v) for v in values]
    header = _toml_header(table)
    lines = _lines(text)
    at = next((n for n, (_, line) in enumerate(lines) if header.match(line)), None)
    if at is None:  # no such table: a new one at the end of the file
        body = f"{nl}[{'.'.join(table)}]{nl}{key} = [{', '.join(items)}]{nl}"
        return _ended(text, nl) + body
    end = next(
        (n for n in range(at + 1, len(lines)) if lines[n][1].lstrip().startswith("[")), len(lines)
    )
    assign = re.compile(rf"^[ \t]*(?:{key}|\"{key}\"|'{key}')[ \t]*=[ \t]*")
    for n in range(at + 1, end):
        start, line = lines[n]
        m = assign.match(line)
        if m is None:
            continue
        opening = start + m.end()
        if not text.startswith("[", opening):
            return None
        found = _array_end(text, opening)
        if found is None:
            return None
        close, last = found
        if last == opening:  # an empty array
            return text[: opening + 1] + ", ".join(items) + text[close:]
        comma = "" if text[last] == "," else ","
        if "\n" not in text[last:close]:  # on one line: `["a", "b"]`
            tail = ", ".join(items) + ("," if not comma else "")
            return text[: last + 1] + f"{comma} {tail}" + text[last + 1 :]
        # one item a line: after the line of the last item (and its comment), as indented
        eol = text.find("\n", last)
        line_start = text.rfind("\n", 0, last) + 1
        indent = re.match(r"[ \t]*", text[line_start:]).group()  # type: ignore[union-attr]
        trailing = "," if not comma else ""
        block = nl.join([*(f"{indent}{item}," for item in items[:-1]), f"{indent}{items[-1]}"])
        keep = text[last + 1 : eol + 1]
        return text[: last + 1] + comma + keep + block + trailing + nl + text[eol + 1 :]
    start, line = lines[at]
    after = start + len(line)
    return text[:after] + f"{nl}{key} = [{', '.join(items)}]" + text[after:]


def _dig(data: Any, path: Sequence[str]) -> Any:
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def append_toml_array(
    text: str, table: Sequence[str], key: str, values: Sequence[str]
) -> str | None:
    """`text` with `values` appended to the array `key` of `[table]` (the key, or the table
    at the end of the file, added when missing); None when that cannot be done provably."""
    try:
        old = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    have = _dig(old, [*table, key])
    if have is not None and not (isinstance(have, list) and all(isinstance(v, str) for v in have)):
        return None
    where = _dig(old, table)
    if where is not None and not isinstance(where, dict):
        return None
    new = _toml_insert(text, table, key, values)
    if new is None:
        return None
    try:
        got = tomllib.loads(new)
    except tomllib.TOMLDecodeError:
        return None
    expected = old
    node = expected
    for part in table:
        node = node.setdefault(part, {})
    node[key] = [*(have or []), *values]
    return new if got == expected else None


# ---- INI (setup.cfg, tox.ini) -----------------------------------------------------------------


def _ini(text: str) -> dict[str, dict[str, str]] | None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    return {s: dict(parser.items(s, raw=True)) for s in parser.sections()}


def ini_values(value: str | None) -> list[str]:
    """A multi-line option as check-manifest reads it: one entry a line, blanks dropped."""
    return [v for v in (p.strip() for p in (value or "").splitlines()) if v]


def _ini_insert(text: str, section: str, option: str, values: Sequence[str]) -> str:
    nl = _newline(text)
    header = re.compile(rf"^\[{re.escape(section)}\][ \t]*(?:[#;].*)?$")
    lines = _lines(text)
    at = next((n for n, (_, line) in enumerate(lines) if header.match(line)), None)
    if at is None:
        body = nl.join([f"[{section}]", f"{option} =", *(f"    {v}" for v in values)])
        return _ended(text, nl) + nl + body + nl
    end = next((n for n in range(at + 1, len(lines)) if lines[n][1].startswith("[")), len(lines))
    assign = re.compile(rf"^{re.escape(option)}[ \t]*[=:]", re.IGNORECASE)
    key = next((n for n in range(at + 1, end) if assign.match(lines[n][1])), None)
    if key is None:  # the option right below the section header
        start, line = lines[at]
        after = start + len(line)
        block = "".join(f"{nl}    {v}" for v in values)
        return text[:after] + f"{nl}{option} ={block}" + text[after:]
    last, indent = key, "    "
    for n in range(key + 1, end):
        line = lines[n][1]
        if not line.strip():
            continue
        if not line[0].isspace():
            break
        last, indent = n, re.match(r"[ \t]*", line).group()  # type: ignore[union-attr]
    start, line = lines[last]
    after = start + len(line)
    return text[:after] + "".join(f"{nl}{indent}{v}" for v in values) + text[after:]


def append_ini_lines(text: str, section: str, option: str, values: Sequence[str]) -> str | None:
    """`text` with `values` added, one a line, to the multi-line `option` of `[section]` (the
    option, or the section at the end of the file, added when missing); None when that cannot
    be done provably."""
    old = _ini(text)
    if old is None:
        return None
    new = _ini_insert(text, section, option, values)
    got = _ini(new)
    if got is None:
        return None
    before = old.get(section, {}).get(option)
    after = got.get(section, {}).get(option)
    if ini_values(after) != [*ini_values(before), *values]:
        return None
    rest = {s: {k: v for k, v in o.items() if (s, k) != (section, option)} for s, o in got.items()}
    kept = {s: {k: v for k, v in o.items() if (s, k) != (section, option)} for s, o in old.items()}
    kept.setdefault(section, {})
    return new if rest == kept else None
