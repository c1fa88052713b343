"""The small pieces every dashboard section is built from: defensive readers of the model,
escaping, times and durations, status badges and the section frame.

It exists so the section modules (`sections`, `run_sections`, `charts`) share one answer to
"what does a missing or malformed field look like" and one escaping rule: every reader here
turns a wrong type into None or an empty value, and every string leaves through `_e`. Relative
times are relative to `_NOW`, the model's own `generated_at` set by `render.render_dashboard`,
never to the clock. The names keep their underscore: they are this package's internals, not
API.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from lane_tasks.util.durations import elapsed

# status -> (icon, css class). The icon and the word carry the meaning; colour only repeats it.
_STATUS: dict[str, tuple[str, str]] = {
    "pass": ("\u2713", "pass"),  # check mark
    "fail": ("\u2717", "fail"),  # ballot x
    "error": ("!", "error"),
    "running": ("\u21bb", "running"),  # clockwise arrow
    "interrupted": ("\u25a0", "interrupted"),  # black square
    "skip": ("\u2013", "skip"),  # en dash
    "not-run": ("\u25cb", "notrun"),  # white circle
}
_UNKNOWN_ICON = "?"

_DASH = '<span class="none">\u2014</span>'
_SEP = " \u00b7 "


def _e(value: object) -> str:
    """Escaped for text and for double- or single-quoted attributes; None is empty."""
    return "" if value is None else html.escape(str(value), quote=True)


def _text(value: object) -> str | None:
    """A displayable scalar as text, else None (so missing and malformed look the same)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:g}"
    return None


def _num(value: object) -> float | None:
    """A finite number, else None; bools are not numbers here."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _map(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _maps(value: object) -> list[Mapping[str, Any]]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def _texts(value: object) -> list[str]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        return []
    return [t for t in (_text(item) for item in value) if t is not None]


def _path_text(text: str) -> str:
    """Escaped, with a line-break opportunity after each `/`: a repo name wraps at its parts
    on a phone instead of letter by letter."""
    return "/<wbr>".join(_e(part) for part in text.split("/"))


def _or_dash(value: object) -> str:
    text = _text(value)
    return _DASH if text is None else _e(text)


def _count(value: object) -> str:
    number = _num(value)
    if number is None:
        return "\u2014"
    return f"{int(number):,}" if number == int(number) else f"{number:,.1f}"


_NOW: ContextVar[datetime | None] = ContextVar("dashboard_now", default=None)
"""The model's `generated_at`: relative times are relative to it, never to the clock, so the
same model gives the same bytes."""


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return None


def _when(value: object, *, zone: bool = True) -> str:
    """A `<time>` in UTC to the minute: a lead compares runs across repos, so one zone
    (`zone=False` leaves the suffix to a column heading)."""
    text = _text(value)
    if text is None:
        return _DASH
    moment = _moment(value)
    if moment is None:
        return _e(text)
    suffix = " UTC" if zone else ""
    return f'<time datetime="{_e(moment.isoformat())}">{moment:%Y-%m-%d %H:%M}{suffix}</time>'


def _span(seconds: float) -> str:
    """A stretch of time in the largest unit a person uses, rounded: `3 hours`, `2 days`."""
    seconds = max(seconds, 0.0)
    for limit, size, unit in (
        (3600, 60, "minute"),
        (86400, 3600, "hour"),
        (45 * 86400, 86400, "day"),
        (365 * 86400, 30 * 86400, "month"),
    ):
        if round(seconds / size) * size < limit:
            n = max(round(seconds / size), 1)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    n = max(round(seconds / (365 * 86400)), 1)
    return f"{n} year{'s' if n != 1 else ''}"


def _ago(value: object) -> str:
    """A `<time>` as a person says it (`3 hours ago`, `just now`), relative to the model's
    generation time, with the absolute UTC time in its title; absolute without one."""
    moment, now = _moment(value), _NOW.get()
    if moment is None or now is None:
        return _when(value)
    delta = (now - moment).total_seconds()
    if abs(delta) < 60:
        words = "just now"
    elif delta > 0:
        words = f"{_span(delta)} ago"
    else:
        words = f"in {_span(-delta)}"
    return (
        f'<time datetime="{_e(moment.isoformat())}" title="{moment:%Y-%m-%d %H:%M} UTC">'
        f"{words}</time>"
    )


def _took(value: object) -> str:
    seconds = _num(value)
    return _DASH if seconds is None else _e(elapsed(seconds))


def _sha(value: object) -> str:
    text = _text(value)
    if text is None:
        return _DASH
    return f'<code title="{_e(text)}">{_e(text[:7])}</code>'


def _badge(status: object, extra: str = "") -> str:
    """A status as icon + word in a coloured pill, with the raw status for tests."""
    word = _text(status) or "unknown"
    icon, css = _STATUS.get(word, (_UNKNOWN_ICON, "unknown"))
    return (
        f'<span class="badge s-{css}{extra}" data-status="{_e(word)}">'
        f'<span aria-hidden="true">{icon}</span> {_e(word)}</span>'
    )


def _section(ident: str, title: str, body: str) -> str:
    """One top-level section: its heading labels it, so each is a landmark by its title."""
    return (
        f'<section id="{ident}" aria-labelledby="{ident}-h"><h2 id="{ident}-h">{title}</h2>'
        f"{body}</section>"
    )


def _empty(text: str) -> str:
    return f'<p class="empty">{text}</p>'


def _href(value: object) -> str | None:
    """A link the model made (relative to the dashboard file); anything with a scheme, an
    absolute path or a query is not one of ours and is not linked."""
    text = _text(value)
    if text is None or ":" in text or text.startswith(("/", "\\")) or "?" in text:
        return None
    return text
