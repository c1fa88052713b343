"""The program dashboard: release confidence across repos and lanes as one static HTML file.

A program lead opens it from disk, a CI artifact or a ticket attachment, so it is one
self-contained file: inline CSS, inline SVG charts, no script, no font, no image, and a
Content-Security-Policy that forbids every fetch, so nothing it shows can leak or go stale.

The model (a JSON-able mapping) is built from the run history elsewhere (`model`); this
module assembles the page: the head with the stylesheet (package data,
static/dashboard.css), then the sections in order, from `sections` (header, summary, KPIs,
releases, footer) and `run_sections` (lanes, recent runs), which draw charts with `charts`
and read the model through `fragments`. Every field is optional and may have the wrong type:
the renderer degrades to "unknown" or "none" rather than failing, because a broken dashboard
hides exactly the bad news it exists to show. Every string from the model is escaped. The
same model gives the same bytes: no clock, no random ids (element ids are derived from
positions).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from lane_tasks.dashboard.fragments import _NOW, _e, _map, _maps, _moment, _text
from lane_tasks.dashboard.run_sections import _lanes, _runs
from lane_tasks.dashboard.sections import _footer, _header, _kpis, _releases, _summary

__all__ = ["render_dashboard"]


@cache
def _stylesheet() -> str:
    """The page's CSS, inlined into every dashboard: package data (static/dashboard.css), so
    the wheel ships it and an editor or a linter reads it as CSS."""
    sheet = resources.files("lane_tasks.dashboard") / "static" / "dashboard.css"
    return sheet.read_text(encoding="utf-8").strip()


def render_dashboard(model: Mapping[str, Any]) -> str:
    """The whole dashboard as one HTML5 document, deterministic for the same model."""
    model = _map(model)
    token = _NOW.set(_moment(model.get("generated_at")))
    try:
        return _document(model)
    finally:
        _NOW.reset(token)


def _document(model: Mapping[str, Any]) -> str:
    repos = _maps(model.get("repos"))
    generated = _text(model.get("generated_at"))
    project = _text(model.get("project"))
    title = (f"{project} \u00b7 " if project else "") + "Release confidence"
    title += f" \u00b7 {generated}" if generated else ""
    css = _stylesheet()
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
        "form-action 'none'\">"
        '<meta name="referrer" content="no-referrer">'
        '<meta name="generator" content="lane-tasks">'
        f"<title>{_e(title)}</title>\n<style>\n{css}\n</style></head>\n<body>"
        f"{_header(model)}\n"
        f'<main class="wrap">\n{_summary(model, repos)}\n{_lanes(repos)}\n{_releases(model)}\n'
        f"{_kpis(model)}\n{_runs(model)}\n</main>\n"
        f"{_footer(model)}\n</body></html>\n"
    )
