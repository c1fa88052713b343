"""Shell-like command lines split into simple commands, each word with its line.

CI scripts, shell scripts and doc snippets all hold command lines; this module splits them as
a POSIX shell would (continuations, separators, comments, quotes) so that every reader finds
`nox` and `lane-tasks` invocations the same way, and says which words are placeholders rather
than names to check.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Sequence

from lane_tasks.project.nox_command import Token

_GITHUB_EXPR = re.compile(r"\$\{\{.*?\}\}")
_ANGLE = re.compile(r"<[^<>\n]*>")
_SEPARATOR = re.compile(r"^[();<>|&]+$")
_PLACEHOLDER = re.compile(r"[\[\]<>{}$*…]|\.\.\.|^[A-Z][A-Z0-9_]*$")


def _placeholder(word: str) -> bool:
    """`<lane>`, `X`, `NAME`, `...`, `$SESSION`, `${{ matrix.s }}`: not a name to check."""
    return bool(_PLACEHOLDER.search(word))


_NEEDS_SHLEX = re.compile(r"['\"\\#]")
_WORD = re.compile(r"[();<>|&]+|[^\s();<>|&]+")


def _split(text: str) -> list[str]:
    """Words as `shlex` (POSIX, punctuation split off) makes them. A line without quotes,
    escapes or comments splits the same way with one regex, which is what most lines are:
    shlex's per-character loop would cost most of the step on a large docs tree."""
    text = _ANGLE.sub("…", _GITHUB_EXPR.sub("$EXPR", text))
    if not _NEEDS_SHLEX.search(text):
        return _WORD.findall(text)
    lex = shlex.shlex(text, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    try:
        return list(lex)
    except ValueError:  # unbalanced quotes in prose: words are still words
        return text.split()


def commands(
    lines: Iterable[tuple[int, str]], words: Sequence[str] | None = None
) -> list[list[Token]]:
    """Simple commands from shell-like lines: a trailing `\\` continues a command; `;`, `&&`,
    `||`, `|` and the end of a line end one; `#` starts a comment; quotes are removed. With
    `words`, a line that holds none of them (and continues no command) is not split at all."""
    out: list[list[Token]] = []
    cur: list[Token] = []
    more = False
    for n, raw in lines:
        text = raw.rstrip()
        ends_continued = text.endswith("\\")
        if words is not None and not (more or ends_continued or any(w in text for w in words)):
            continue
        more = ends_continued
        for word in _split(text[:-1] if more else text):
            if _SEPARATOR.match(word):
                if cur:
                    out.append(cur)
                cur = []
            else:
                cur.append((word, n))
        if not more and cur:
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out
