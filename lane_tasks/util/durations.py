"""Durations as lanes.toml writes them: `<int><unit>` with units s, m, h, d, w ("15m", "4h").

One small parser so every control that reads an SLO or a window (severity, deprecation,
review cadence) accepts the same spellings and reports the same problem for a bad one.
"""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["UNITS", "elapsed", "format_duration", "parse_duration"]

UNITS: dict[str, timedelta] = {
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}
_DURATION = re.compile(r"^(\d+)([smhdw])$")


def parse_duration(text: str) -> timedelta:
    """`"15m"` -> 15 minutes. Raises ValueError, with the accepted form, for anything else."""
    m = _DURATION.match(text.strip())
    if m is None:
        raise ValueError(
            f"'{text}' is not a duration (write <integer><unit>, unit one of "
            f"{', '.join(UNITS)}: e.g. '15m', '4h', '2d')"
        )
    return int(m.group(1)) * UNITS[m.group(2)]


def format_duration(value: timedelta) -> str:
    """The shortest exact `<int><unit>` spelling (`4h`, not `240m`); seconds as the fallback."""
    seconds = int(value.total_seconds())
    for unit, size in reversed(UNITS.items()):
        n = int(size.total_seconds())
        if seconds and seconds % n == 0:
            return f"{seconds // n}{unit}"
    return f"{seconds}s"


def elapsed(seconds: float) -> str:
    """How long something took, for a person: `0.4 s`, `74 s`, `1 min 14 s`, `2 h 5 min`."""
    seconds = max(0.0, seconds)
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 90:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
