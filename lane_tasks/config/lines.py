"""Where a key is in the configuration file: TOML key path -> line number (tomllib gives none)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

PYPROJECT = "pyproject.toml"
TOOL_TABLE = ("tool", "lane-tasks")
"""The configuration may instead be pyproject.toml's [tool.lane-tasks] (see find_config)."""


def config_table(path: Path) -> tuple[str, ...]:
    """Where in `path` the configuration is: [tool.lane-tasks] of a pyproject.toml, else the
    whole file (lanes.toml, or any file given with --config)."""
    return TOOL_TABLE if path.name == PYPROJECT else ()


class Locator:
    """Maps dotted key paths to line numbers in TOML source (tomllib gives none).

    It reads table headers and `key =` lines; arrays and inline tables report the line of
    their key, and a table implied by a header or dotted key (`lane` of `[lane.startup]`) the
    line that first names it. Multi-line strings are skipped, so text in them is not read as
    keys or brackets. Good enough to point a person at the right line; never used for parsing.
    """

    _HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
    _KEY = re.compile(
        r"^\s*((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*="
    )

    def __init__(self, text: str) -> None:
        self.lines: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        depth = 0  # bracket depth of multi-line arrays, whose lines hold no keys
        for n, raw in enumerate(self._blank_multiline_strings(text).splitlines(), start=1):
            if depth == 0:
                header = self._HEADER.match(raw)
                if header:
                    table = self._split(header.group(1))
                    self._add(table, n)
                    continue
                key = self._KEY.match(raw)
                if key:
                    self._add(table + self._split(key.group(1)), n)
                    raw = raw[key.end() :]
            depth = max(0, depth + self._brackets(raw))

    def _add(self, path: tuple[str, ...], n: int) -> None:
        for i in range(1, len(path) + 1):
            self.lines.setdefault(path[:i], n)

    @staticmethod
    def _blank_multiline_strings(text: str) -> str:
        """`text` with each multi-line string replaced by `""` and its newlines (so every line
        keeps its number). `text` is valid TOML: tomllib has parsed it already."""
        out: list[str] = []
        i, n = 0, len(text)
        while i < n:
            c = text[i]
            if c == "#":
                j = text.find("\n", i)
                j = n if j < 0 else j
            elif text.startswith(('"""', "'''"), i):
                quote = text[i : i + 3]
                j = i + 3
                while j < n and not text.startswith(quote, j):
                    j += 2 if quote == '"""' and text[j] == "\\" else 1
                j += 3
                while j < n and text[j] == quote[0]:  # up to two quotes end the content
                    j += 1
                out.append('""' + "\n" * text.count("\n", i, j))
                i = j
                continue
            elif c in "\"'":
                j = i + 1
                while j < n and text[j] != c and text[j] != "\n":
                    j += 2 if c == '"' and text[j] == "\\" else 1
                j += 1
            else:
                j = i + 1
            out.append(text[i:j])
            i = j
        return "".join(out)

    @staticmethod
    def _split(dotted: str) -> tuple[str, ...]:
        parts = re.findall(r"\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_-]+)", dotted)
        return tuple(a or b or c for a, b, c in parts)

    @staticmethod
    def _brackets(s: str) -> int:
        s = re.sub(r"\"(?:\\.|[^\"\\])*\"|'[^']*'|#.*$", "", s)
        return s.count("[") + s.count("{") - s.count("]") - s.count("}")

    def line(self, path: Sequence[str]) -> int | None:
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return None


def key_lines(path: Path) -> Callable[[Sequence[str]], int | None]:
    """The line of a dotted key path in the configuration file (for findings that point at the
    config; below [tool.lane-tasks] in a pyproject.toml); None for a key the file does not
    name."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return lambda _key: None
    table = config_table(path)
    locate = Locator(text).line
    return lambda key: locate([*table, *key])


def key_name(path: Path, key: Sequence[str]) -> str:
    """A dotted key as the configuration file spells it (`tool.lane-tasks.…` in pyproject)."""
    return ".".join([*config_table(path), *key])
