"""Text that is safe to publish: escape sequences stripped, secrets redacted, excerpts bounded.

Every artifact's messages and excerpts pass through `scrub` (the artifact envelope) and every
tool's output through `excerpt` or `log_text`; so this sits at the bottom (stdlib only), where
the envelope can use it without depending on the subprocess runner or on lanes.toml.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = [
    "EXCERPT_CHARS",
    "EXCERPT_LINES",
    "OUTPUT_LIMIT",
    "REDACTED",
    "cut_tail",
    "excerpt",
    "log_text",
    "printable",
    "redact",
    "scrub",
    "secret_values",
]

OUTPUT_LIMIT = 256 * 1024
"""Bytes of a tool's output kept in memory (the tail: that is where failures are)."""
EXCERPT_LINES = 40
EXCERPT_CHARS = 8000

_ANSI = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*+[ -/]*+[@-~]"  # CSI (7-bit or C1): colours, cursor, erase
    # OSC, DCS, SOS, PM, APC: a string up to its terminator (hyperlinks, terminal queries)
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d-\x9f])[^\x07\x1b\x9c]*+(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*+[0-~]"  # any other escape, charset switches (`ESC ( 0`) included
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Control characters left once the sequences are gone (BEL, backspace, a lone ESC, C1)."""


def printable(text: str) -> str:
    """`text` with no escape sequence or control character but newline and tab: tool output
    and report text are printed to terminals and CI logs, where a stray `ESC ( 0` or `0x9b`
    would restyle, move the cursor or switch the character set."""
    text = _ANSI.sub("", text).replace("\r\n", "\n")
    if "\r" in text:
        text = "\n".join(part.rsplit("\r", 1)[-1] for part in text.split("\n"))
    return _CONTROL.sub("", text)


_SECRET_NAME = re.compile(
    r"TOKEN|PASSWORD|PASSWD|PASSPHRASE|SECRET|CREDENTIAL|COOKIE|API_?KEY|PRIVATE_?KEY|AUTH"
    r"|_KEY$|^KEY$",
    re.I,
)
# Redaction must be linear in its input: it runs after the check has ended, where no timeout
# bounds it (issue 12 part 10). So every repetition below is possessive or bounded (no
# backtracking into it), and a pattern can only start on a literal (no scan over a run that
# starts again one character later). The name/URL patterns run case-sensitively on an ASCII
# lower-cased copy (same length, so the same positions): a case-insensitive pattern loses
# the engine's first-character skip and costs ten times as much on every input.
_KEYWORDS = (
    r"token|pass(?:word|wd|phrase)|secret|c(?:redential|ookie)"
    r"|a(?:uth(?!or)|pi[_-]?key|ccess[_-]?key)|private[_-]?key"
)
_NAME_TAIL = 64
"""Name characters allowed after the keyword (`password_for_pypi_upload=...`)."""
_COLON = (":", "%3a", "\\u003a")
_SLASH = r"(?:/|\\/|%2f|\\u002f)"
_AT = r"(?:@|%40|\\u0040)"
_LOWER_PATTERNS = (
    # key=value / key: value where the name says secret: the value (group 3)
    re.compile(
        rf"(?:{_KEYWORDS})[\w.-]{{0,{_NAME_TAIL}}}+(\s*+[:=]\s*+|\s++)([\"']?+)([^\s\"',;]{{4,}}+)"
    ),
    re.compile(
        r"(?:authorization|proxy-authorization):\s*+(?:bearer|basic|token|digest)\s++(\S++)"
    ),
    re.compile(r"bearer\s++([a-z0-9._~+/-]{8,}+=*+)"),
    # scheme://user:password@ ...
    re.compile(r":(?<=[a-z0-9+.-]:)//[^/\\\s:@]++:([^/\s@]++)@"),
    # ... also URL-encoded (%3A %2F %40) or JSON-escaped (\/ \u0040)
    re.compile(
        "(?:"
        + "|".join(rf"{re.escape(c)}(?<=[a-z0-9+.-]{re.escape(c)})" for c in _COLON)
        + rf"){_SLASH}{_SLASH}"
        r"(?:[^/\\\s:@%]|%(?!3a|40|2f)|\\(?!u003a|u0040|/|u002f))++"
        r"(?::|%3a|\\u003a)"
        r"((?:[^/\\\s@%]|%(?!40|2f)|\\(?!u0040|/|u002f))++)"
        rf"{_AT}"
    ),
)
_TOKEN_SHAPES = re.compile(
    "|".join(
        # the word boundary is checked after the first character: the engine then skips to
        # the first characters it can start on instead of trying every position
        rf"{first}(?<!\w{first}){rest}"
        for first, rest in (
            ("g", r"h[pousr]_[A-Za-z0-9]{20,}+"),
            ("g", r"ithub_pat_[A-Za-z0-9_]{20,}+"),
            ("g", r"lpat-[A-Za-z0-9_-]{20,}+"),
            ("p", r"ypi-[A-Za-z0-9_-]{20,}+"),
            ("A", r"KIA[0-9A-Z]{16}"),
            ("x", r"ox[abposr]-[A-Za-z0-9-]{10,}+"),
            ("s", r"k-[A-Za-z0-9_-]{20,}+"),
            # a JWT's first part stops before another "-eyJ": two starts never scan one run
            ("e", r"yJ(?:[A-Za-z0-9_]|-(?!eyJ)){10,}+\.[A-Za-z0-9_-]{10,}+\.[A-Za-z0-9_-]{10,}+"),
        )
    )
)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
REDACTED = "***"
_SPACE = re.compile(r"\s")


def secret_values(env: Mapping[str, str] | None = None) -> list[str]:
    """Values of environment variables whose names say they are secret (of `env`, default
    our own environment, which every tool inherits)."""
    env = os.environ if env is None else env
    vals = {v for k, v in env.items() if _SECRET_NAME.search(k) and len(v) >= 4}
    return sorted(vals, key=len, reverse=True)


def scrub(text: str, values: Sequence[str] | None = None) -> str:
    """The values of our secret-named environment variables (or `values`, read from it once
    for many texts) replaced by ***: the last line of defence for every message and excerpt an
    artifact carries, whatever step wrote it."""
    for value in secret_values() if values is None else values:
        text = text.replace(value, REDACTED)
    return text


def redact(text: str, secrets: Sequence[str] = ()) -> str:
    """Replace secret values, `password=…`-style pairs, URL passwords and token-shaped
    strings with ***, in time linear in `len(text)`."""
    for value in secrets:
        text = text.replace(value, REDACTED)
    low = text.translate(_ASCII_LOWER)
    spans = [m.span(m.lastindex or 0) for pat in _LOWER_PATTERNS for m in pat.finditer(low)]
    spans += [m.span() for m in _TOKEN_SHAPES.finditer(text)]
    if not spans:
        return text
    spans.sort()
    out: list[str] = []
    pos = 0
    for start, end in spans:
        if end <= pos:
            continue
        if start > pos:
            out.append(text[pos:start])
            out.append(REDACTED)
        elif not out or out[-1] != REDACTED:
            out.append(REDACTED)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def cut_tail(text: str, limit: int, *, cut: bool = False) -> str:
    """The last `limit` characters of `text`; when that cuts a word, the cut word's remaining
    part becomes "…", so a secret cut at the boundary (whose name or prefix is gone, so no
    pattern would know it) is not leaked. `cut`: `text` itself is already a tail (its first
    word may be a part)."""
    if len(text) <= limit and not cut:
        return text
    tail = text[-limit:]
    if len(text) > limit and text[-limit - 1].isspace():
        return tail
    space = _SPACE.search(tail)
    return "…" + tail[space.start() :] if space else "…"


# \b after the first character (not before it): see _TOKEN_SHAPES
_DURATION = re.compile(r"\d(?<!\w\d)\d*+(?:\.\d++)?+(?:s|ms| seconds?)\b")
_ADDR = re.compile(r"0(?<!\w0)x[0-9a-f]{6,}+\b")


def excerpt(
    output: str,
    *,
    root: Path,
    secrets: Sequence[str] = (),
    stable: bool = False,
    lines: int = EXCERPT_LINES,
) -> str:
    """The last lines of a tool's output, safe to store and stable enough to compare.

    ANSI codes go, the repository path becomes `.`, temp paths become `<tmp>`, secrets are
    redacted; in stable mode durations and memory addresses are normalised as well.
    """
    # Only the tail is shown: redacting more than the bytes a tool's output keeps is waste.
    text = cut_tail(output, OUTPUT_LIMIT)
    text = redact(printable(text), [*secrets, *secret_values()])
    for base in {str(root), str(root.resolve())}:
        text = text.replace(base + os.sep, "").replace(base, ".")
    tmp = re.escape(os.path.realpath(tempfile.gettempdir()))
    text = re.sub(rf"(?:{tmp}|/tmp|/var/folders)/[^\s:'\"]*", "<tmp>", text)
    if stable:
        text = _DURATION.sub("<duration>", text)
        text = _ADDR.sub("0x<addr>", text)
    all_lines = [ln.rstrip() for ln in text.strip("\n").split("\n")]
    kept = _whole(all_lines, lines)
    out = "\n".join(kept).strip("\n")
    if len(out) > EXCERPT_CHARS:
        out = "…\n" + "\n".join(_from_boundary(out[-EXCERPT_CHARS:].split("\n")[1:]))
    return out


def _boundary(line: str) -> bool:
    """Where a tool's next diagnostic starts: after a blank line, or at pytest's and
    ruff's section rules (`____ test_x ____`, `==== short test summary ====`)."""
    return not line.strip() or line.startswith(("___", "===", "---"))


def _whole(lines: list[str], limit: int) -> list[str]:
    """The last `limit` lines, starting where a diagnostic starts: a window that would open
    in the middle of one (ruff's multi-line diagnostics, a pytest traceback) drops that
    diagnostic's tail instead of showing it without its head (the file:line and the rule)."""
    return lines if len(lines) <= limit else _from_boundary(lines[-limit:])


def _from_boundary(window: list[str]) -> list[str]:
    """`window` (a cut tail) from its first diagnostic boundary in the first three quarters."""
    for i, line in enumerate(window[: len(window) * 3 // 4]):
        if _boundary(line):
            start = i + 1 if not line.strip() else i
            if any(ln.strip() for ln in window[start:]):
                return window[start:]
    return window


def log_text(output: str, secrets: Sequence[str] = ()) -> str:
    """A tool's whole captured output as a log to keep beside the artifact: ANSI codes
    stripped and secrets redacted, nothing else changed."""
    text = _ANSI.sub("", output).replace("\r\n", "\n")
    text = _CONTROL.sub(lambda m: "\r" if m[0] == "\r" else "", text)  # `cat`-safe, \r kept
    return redact(text, [*secrets, *secret_values()])
