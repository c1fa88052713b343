"""The code of docs: code blocks, code spans and `$ ` lines of Markdown and RST files.

Docs name sessions and commands in code, not in prose; this module yields each snippet of code
with its line numbers so the docs family can check the commands in it, and finds the sessions a
doc's own example noxfile defines (docs that teach nox run those, not this project's).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

_WORDS = ("nox", "lane-tasks", "lane_tasks")
_LANE_TASKS = frozenset({"lane-tasks", "lane_tasks"})
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")  # any indent: fences nest in list items
_MD_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_RST_SPAN = re.compile(r"``(.+?)``")
_RST_BLOCK = re.compile(r"^\s*\.\. (?:code-block|code|sourcecode|prompt)::")

Snippet = list[tuple[int, str]]
"""Lines of one code block or span, with their line numbers."""


def _prompt(n: int, line: str) -> Iterator[Snippet]:
    stripped = line.lstrip()
    if stripped.startswith("$ "):
        yield [(n, stripped[2:])]


def _markdown(text: str) -> Iterator[Snippet]:
    """Fenced code blocks, code spans and `$ ` command lines of a Markdown file."""
    fence: str | None = None
    block: Snippet = []
    for n, line in enumerate(text.splitlines(), start=1):
        m = _FENCE.match(line)
        if fence is not None:
            close = m is not None and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence)
            if close and not line.strip().strip(fence[0]):
                yield block
                fence, block = None, []
            else:
                block.append((n, line))
            continue
        if m:
            fence, block = m.group(1), []
            continue
        if not any(w in line for w in _WORDS):
            continue
        line = line.replace("\\|", "/")  # an escaped pipe in a table cell is not a shell pipe
        for span in _MD_SPAN.finditer(line):
            yield [(n, span.group(2))]
        yield from _prompt(n, line)
    if block:
        yield block


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _rst(text: str) -> Iterator[Snippet]:
    """Literal blocks (`::`, `.. code-block::`), inline literals and `$ ` lines of an RST file."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        directive = _RST_BLOCK.match(line) is not None
        for span in _RST_SPAN.finditer(line):
            yield [(i + 1, span.group(1))]
        if not directive:
            yield from _prompt(i + 1, line)
        if directive or line.rstrip().endswith("::"):
            base = _indent(line)
            j = i + 1
            while j < len(lines) and (
                not lines[j].strip() or (directive and lines[j].strip().startswith(":"))
            ):
                j += 1
            block: Snippet = []
            while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > base):
                block.append((j + 1, lines[j]))
                j += 1
            if block:
                yield block
                i = j
                continue
        i += 1


DOC_READERS: dict[str, Callable[[str], Iterator[Snippet]]] = {".md": _markdown, ".rst": _rst}
"""By suffix; any other file named by drift.docs is read as Markdown."""

_EXAMPLE_DECORATOR = re.compile(r"^\s*@(?:nox\.)?session\b")
_EXAMPLE_NAME = re.compile(r"""\bname\s*=\s*(['"])(.+?)\1""")
_EXAMPLE_DEF = re.compile(r"^\s*(?:async\s+)?def\s+(\w+)\s*\(\s*(\w*)")
_PYTHON_SUFFIX = re.compile(r"-(?:pypy-?)?\d+(?:\.\d+)*t?$")


def _example_sessions(snippets: Iterable[Snippet]) -> set[str]:
    """Sessions that a doc's own example noxfile code defines: `@nox.session` (its `name=`, else
    the function's name) or a `def X(session…)`. A doc that teaches nox shows them in code and
    then runs them (`nox -s dev`); they are the example's sessions, not this project's."""
    found: set[str] = set()
    for snippet in snippets:
        decorated, named = False, None
        for _, line in snippet:
            if "session" not in line and not decorated:
                continue
            if _EXAMPLE_DECORATOR.match(line):
                decorated = True
            m = _EXAMPLE_NAME.search(line) if decorated else None
            named = m.group(2) if m else named
            d = _EXAMPLE_DEF.match(line)
            if d:
                if decorated or d.group(2) == "session":
                    found.add(named or d.group(1))
                decorated, named = False, None
    return found


def _is_example(name: str, examples: set[str]) -> bool:
    """`dev`, `test-3.12` (its python) or `tests(django='2.0')` of an example session."""
    base = name.split("(", 1)[0]
    return base in examples or _PYTHON_SUFFIX.sub("", base) in examples
