"""Find a project's changelog and the entry for a version, in Markdown or reStructuredText.

A heading names a version when one of its tokens parses to the same PEP 440 version:
`## [1.2.0] - 2026-01-02`, `v1.2.0`, `Version 2026.08.17` (matches 2026.8.17), an RST title
underlined with `====`. The entry is everything up to the next heading of the same or a higher
level; it must say something. A heading may also say the version is not out yet
(`## 1.2.0 (unreleased)`) and may carry the release date (`2026-01-02`): a release candidate's
must not say the first, and must carry the second when the project dates its other entries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

__all__ = ["CANDIDATES", "Entry", "dates_entries", "find_changelog", "find_entry"]

CANDIDATES = tuple(
    f"{stem}{ext}"
    for stem in ("CHANGELOG", "CHANGES", "NEWS", "HISTORY")
    for ext in (".md", ".rst", ".txt", "")
)
_ATX = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_UNDERLINE = re.compile(r"^([=\-~^*+#`:.'\"_])\1{2,}\s*$")
_TOKEN = re.compile(r"v?(\d+(?:[.\-_+]?[A-Za-z0-9]+)*)", re.I)
_DATE = re.compile(r"(?<!\d)(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})(?!\d)")
_UNRELEASED = re.compile(
    r"\b(?:un-?released|not\s+(?:yet\s+)?released|in\s+(?:development|progress)|upcoming"
    r"|tb[ad]|wip|draft|pending|unpublished)\b",
    re.I,
)


@dataclass(frozen=True)
class Entry:
    line: int
    """1-based line of the heading."""
    heading: str
    body: str

    @property
    def unreleased(self) -> str | None:
        """The words of the heading that say this version is not out yet, if any."""
        m = _UNRELEASED.search(self.heading)
        return m.group(0) if m else None

    @property
    def dated(self) -> bool:
        """Whether the heading carries a date (2026-01-02, 2026/1/2, 02.01.2026)."""
        return _DATE.search(self.heading) is not None

    @property
    def empty(self) -> bool:
        """True when the entry holds only blank lines or sub-headings."""
        return not any(
            ln.strip() and not _ATX.match(ln) and not _UNDERLINE.match(ln)
            for ln in self.body.splitlines()
        )


def find_changelog(root: Path, configured: str | None = None) -> Path | None:
    """The configured changelog, or the first conventional name present (any case)."""
    if configured:
        p = root / configured
        return p if p.is_file() else None
    present = {p.name.upper(): p for p in root.iterdir() if p.is_file()}
    for name in CANDIDATES:
        if name.upper() in present:
            return present[name.upper()]
    return None


def _fence(line: str) -> bool:
    return line.lstrip().startswith(("```", "~~~"))


def _overline(line: str, title: str, under: str) -> bool:
    """An RST overline: an adornment as long as the title, repeated under it."""
    adorn = line.strip()
    return bool(
        _UNDERLINE.match(line)
        and title.strip()
        and under.strip() == adorn
        and len(adorn) >= len(title.strip())
    )


def _headings(lines: list[str]) -> list[tuple[int, int, str]]:
    """(index, level, text) of Markdown ATX/setext and RST underlined headings."""
    out: list[tuple[int, int, str]] = []
    rst_levels: list[str] = []
    in_fence = False
    adornment = -1  # the underline of the heading just found: `~~~~~` there is not a fence
    for i, line in enumerate(lines):
        if i == adornment:
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        after = lines[i + 2] if i + 2 < len(lines) else ""
        if not in_fence and _overline(line, nxt, after):
            continue  # `~~~~~` over a title, not a fence
        if _fence(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        m = _ATX.match(line)
        if m:
            out.append((i, len(m.group(1)), m.group(2)))
            continue
        u = _UNDERLINE.match(nxt)
        # a bare ``` or ~~~ shorter than the line above opens a code fence, it does not
        # underline a title (RST adornments are at least as long as their title)
        short_fence = _fence(nxt) and len(nxt.strip()) < len(line.strip())
        if (
            line.strip()
            and not _UNDERLINE.match(line)
            and u
            and len(nxt.strip()) >= 3
            and not short_fence
        ):
            adornment = i + 1
            char = u.group(1)
            if char not in rst_levels:
                rst_levels.append(char)
            level = {"=": 1, "-": 2}.get(char, 2 + rst_levels.index(char))
            out.append((i, level, line.strip()))
    return out


def _names(heading: str, version: Version) -> bool:
    for tok in _TOKEN.findall(heading):
        try:
            if Version(tok) == version:
                return True
        except InvalidVersion:
            continue
    return False


def _versioned(title: str) -> bool:
    """Whether a heading names some version (a token with a dot that parses, not a date)."""
    undated = _DATE.sub(" ", title)
    for tok in _TOKEN.findall(undated):
        try:
            Version(tok)
        except InvalidVersion:
            continue
        if "." in tok:
            return True
    return False


def dates_entries(text: str, version: Version) -> bool:
    """Whether the changelog dates its entries: most headings of other versions carry a date
    (a changelog with no other version yet says nothing, so it does not)."""
    others = [
        title
        for _, _, title in _headings(text.splitlines())
        if _versioned(title) and not _names(title, version)
    ]
    dated = sum(1 for t in others if _DATE.search(t))
    return bool(others) and dated * 2 > len(others)


def find_entry(text: str, version: Version) -> Entry | None:
    """The entry for `version`, or None when no heading names it."""
    lines = text.splitlines()
    heads = _headings(lines)
    for n, (i, level, title) in enumerate(heads):
        if not _names(title, version):
            continue
        end = len(lines)
        for j, lvl, _ in heads[n + 1 :]:
            if lvl <= level:
                end = j
                break
        start = i + 1
        if start < len(lines) and _UNDERLINE.match(lines[start]):
            start += 1
        body = "\n".join(lines[start:end]).strip()
        return Entry(line=i + 1, heading=title, body=body)
    return None
