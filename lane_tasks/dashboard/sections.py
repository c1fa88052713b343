"""The dashboard's program-level sections: the header, the Summary (totals, health of the
latest runs, the KPI review banner), the KPI cards, the Release cards and the footer.

They read the model as a whole rather than one run at a time; the per-run views are in
`run_sections`, the trend charts in `charts`, and `render` puts all of them in page order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lane_tasks.dashboard.charts import _chart, _fmt
from lane_tasks.dashboard.fragments import (
    _DASH,
    _NOW,
    _SEP,
    _ago,
    _badge,
    _count,
    _e,
    _empty,
    _href,
    _map,
    _maps,
    _num,
    _or_dash,
    _path_text,
    _section,
    _span,
    _text,
    _texts,
    _when,
)

_ARROW = {"up": "\u25b2", "down": "\u25bc", "flat": "\u25b6"}


def _header(model: Mapping[str, Any]) -> str:
    version = _text(model.get("tool_version"))
    tool = f"lane-tasks {_e(version)}" if version else "lane-tasks"
    project = _text(model.get("project"))
    heading = (
        f'<span class="project">{_e(project)}</span> release confidence'
        if project
        else "Release confidence"
    )
    links = "".join(
        f'<a href="#{anchor}">{label}</a>'
        for anchor, label in (
            ("summary", "Summary"),
            ("lanes", "Lanes"),
            ("releases", "Releases"),
            ("kpis", "KPIs"),
            ("runs", "Recent runs"),
        )
    )
    return (
        '<header class="top"><div class="wrap top-in">'
        f'<div><p class="eyebrow">{tool}</p><h1>{heading}</h1></div>'
        f'<p class="stamp">Generated {_when(model.get("generated_at"))}</p>'
        f'<nav aria-label="Sections">{links}</nav>'
        "</div></header>"
    )


def _review_banner(value: object) -> str:
    """The weekly KPI review, loud when overdue: it is the one control a lead owns."""
    if not isinstance(value, Mapping):
        return (
            '<div class="banner b-none" data-kpi-review="none">'
            '<span class="banner-icon" aria-hidden="true">?</span><div>'
            '<p class="banner-title">No KPI review recorded</p>'
            "<p>Nobody has reviewed the KPIs yet: record one with "
            "<code>lane-tasks kpi review --reviewer NAME</code>.</p></div></div>"
        )
    overdue = value.get("overdue") is True
    age = _num(value.get("age_days"))
    period = _num(value.get("period_days"))
    facts = [f"last {_ago(value.get('reviewed_at'))}"]
    reviewer = _text(value.get("reviewer"))
    facts.append(f"by <strong>{_e(reviewer)}</strong>" if reviewer else "by an unnamed reviewer")
    lane = _text(value.get("lane"))
    if lane:
        facts.append(f"lane {_e(lane)}")
    if age is not None and _NOW.get() is None:  # no reference time: the model's own age
        facts.append(f"{_span(age * 86400)} ago")
    if period is not None:
        facts.append(f"due every {period:g} days")
    if overdue and age is not None and period is not None and age > period:
        facts.append(f"<strong>{_span((age - period) * 86400)} overdue</strong>")
    path = _text(value.get("path"))
    record = f'<p class="banner-path">Record: <code>{_e(path)}</code></p>' if path else ""
    if overdue:
        css, state, icon, title = "b-overdue", "overdue", "!", "KPI review OVERDUE"
    else:
        css, state, icon, title = "b-ok", "ok", "\u2713", "KPI review on schedule"
    return (
        f'<div class="banner {css}" data-kpi-review="{state}">'
        f'<span class="banner-icon" aria-hidden="true">{icon}</span><div>'
        f'<p class="banner-title">{title}</p>'
        f"<p>{_SEP.join(facts)}</p>{record}</div></div>"
    )


def _latest_statuses(repos: list[Mapping[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for repo in repos:
        for lane in _maps(repo.get("lanes")):
            status = _text(lane.get("status")) or "unknown"
            counts[status] = counts.get(status, 0) + 1
    return counts


def _summary(model: Mapping[str, Any], repos: list[Mapping[str, Any]]) -> str:
    totals = _map(model.get("totals"))
    counts = _latest_statuses(repos)
    lane_runs = sum(n for status, n in counts.items() if status != "not-run")
    passing = counts.get("pass", 0)
    health = (
        " ".join(
            _badge(status, " small") + f'<span class="count">{n}</span>'
            for status, n in sorted(counts.items(), key=lambda kv: _status_rank(kv[0]))
        )
        if counts
        else '<span class="none">no lane runs</span>'
    )
    tiles = "".join(
        f'<div class="tile"><p class="tile-label">{label}</p>'
        f'<p class="tile-value" data-total="{key}">{_count(totals.get(key))}</p></div>'
        for key, label in (("runs", "Runs recorded"), ("repos", "Repos"), ("lanes", "Lanes"))
    )
    tiles += (
        '<div class="tile tile-wide"><p class="tile-label">Latest run per repo and lane</p>'
        f'<p class="tile-value">{passing}<span class="of"> / {lane_runs} passing</span></p>'
        f'<p class="health">{health}</p></div>'
    )
    window = _map(model.get("window"))
    since = _when(window.get("since")) if _text(window.get("since")) else "the first run"
    until = _when(window.get("until")) if _text(window.get("until")) else "now"
    history = _text(model.get("history"))
    source = f"<code>{_e(history)}</code>" if history else _DASH
    return _section(
        "summary",
        "Summary",
        f"{_review_banner(model.get('kpi_review'))}"
        f'<div class="tiles">{tiles}</div>'
        '<dl class="about">'
        f"<div><dt>Generated</dt><dd>{_when(model.get('generated_at'))}</dd></div>"
        f"<div><dt>Window</dt><dd>{since} \u2192 {until}</dd></div>"
        f"<div><dt>Data source</dt><dd>{source}</dd></div>"
        "</dl>",
    )


def _status_rank(status: str) -> int:
    """Bad news first in lists, in a fixed order so output is stable."""
    order = ("fail", "error", "interrupted", "running", "skip", "pass", "not-run")
    return order.index(status) if status in order else len(order)


def _direction(kpi: Mapping[str, Any]) -> str:
    """The last period against the one before, judged good or bad by `better`."""
    direction = _text(kpi.get("direction"))
    better = _text(kpi.get("better"))
    if direction in ("up", "down"):
        if better in ("up", "down"):
            judgement = "good" if direction == better else "bad"
            word = "better" if judgement == "good" else "worse"
        else:
            judgement, word = "neutral", "changed"
        label = f"{_ARROW[direction]} {direction}, {word}"
    elif direction == "flat":
        judgement, label = "neutral", f"{_ARROW['flat']} flat"
    else:
        direction, judgement, label = "unknown", "neutral", "no direction yet"
    return (
        f'<span class="dir d-{judgement}" data-direction="{_e(direction)}" '
        f'data-judgement="{judgement}">{label}</span>'
    )


def _kpi_card(kpi: Mapping[str, Any], anchor: str) -> str:
    ident = _text(kpi.get("id")) or "unnamed-kpi"
    title = _text(kpi.get("title")) or ident
    value = _num(kpi.get("value"))
    known = kpi.get("status") == "known" and value is not None
    status = "known" if known else "unknown"
    why = ""
    if known and value is not None:
        shown = _text(kpi.get("display")) or _fmt(value, _text(kpi.get("unit")))
        main = f'<p class="kpi-value">{_e(shown)}</p>'
    else:
        reason = _text(kpi.get("reason")) or "no reason given"
        main = '<p class="kpi-value unknown">unknown</p>'
        why = f'<p class="reason"><span class="sr">Why unknown: </span>{_e(reason)}</p>'
    lanes = _texts(kpi.get("lanes"))
    chips = (
        "".join(f'<span class="chip" data-lane="{_e(n)}">{_e(n)}</span>' for n in lanes)
        if lanes
        else _DASH
    )
    better = _text(kpi.get("better"))
    hint = {"up": "higher is better", "down": "lower is better"}.get(better or "", "")
    sample = _text(kpi.get("sample"))
    meta = f"<div><dt>Sample</dt><dd>{_e(sample) if sample else _DASH}</dd></div>"
    if hint:
        meta += f"<div><dt>Goal</dt><dd>{hint}</dd></div>"
    meta += f'<div><dt>Lanes</dt><dd class="chips">{chips}</dd></div>'
    return (
        f'<article class="kpi" id="{anchor}" data-kpi="{_e(ident)}" data-status="{status}">'
        f'<h3>{_e(title)}</h3><div class="kpi-main">{main}{_direction(kpi)}</div>'
        f"{why}{_chart(kpi, anchor, title)}"
        f'<dl class="kpi-meta">{meta}</dl></article>'
    )


def _kpis(model: Mapping[str, Any]) -> str:
    kpis = _maps(model.get("kpis"))
    if not kpis:
        return _section("kpis", "KPIs", _empty("No KPIs in this report."))
    cards = "".join(_kpi_card(k, f"kpi-{i}") for i, k in enumerate(kpis, 1))
    return _section("kpis", "KPIs", f'<div class="kpi-grid">{cards}</div>')


def _record_link(record: Mapping[str, Any], label: str) -> str:
    href = _href(record.get("href"))
    path = _text(record.get("path"))
    if href:
        return f'<a href="{_e(href)}" title="{_e(path)}">{label}</a>'
    return f'<span title="{_e(path)}">{label}</span>' if path else label


def _release_card(release: Mapping[str, Any]) -> str:
    """One version: who decided what and when, on what preflight, with which override; its
    checklist; its rollback."""
    repo = _text(release.get("repo")) or "unnamed repo"
    version = _text(release.get("version")) or "unknown version"
    decision = release.get("decision")
    parts: list[str] = []
    if isinstance(decision, Mapping):
        word = _text(decision.get("decision")) or "unknown"
        css = {"go": "pass", "no-go": "fail"}.get(word, "unknown")
        preflight = _text(decision.get("preflight"))
        override = _text(decision.get("override_reason"))
        reason = _text(decision.get("reason"))
        superseded = _num(decision.get("superseded"))
        facts = [
            f"by <strong>{_or_dash(decision.get('owner'))}</strong> {_ago(decision.get('at'))}",
            "preflight " + (_badge(preflight, " small") if preflight else "none recorded"),
        ]
        if superseded:
            facts.append(f"replaces {int(superseded)} earlier decision(s)")
        parts.append(
            f'<div class="rel-row" data-decision="{_e(word)}">'
            f'<span class="badge s-{css}">{_e(word)}</span>'
            f"<span>{_SEP.join(facts)}{_SEP}{_record_link(decision, 'decision record')}</span>"
            + (f'<p class="rel-why">Reason: {_e(reason)}</p>' if reason else "")
            + (
                f'<p class="override" data-override="yes"><strong>Override</strong>: '
                f"{_e(override)}</p>"
                if override
                else ""
            )
            + "</div>"
        )
    else:
        parts.append('<div class="rel-row" data-decision="none">No decision recorded.</div>')
    checklist = release.get("checklist")
    if isinstance(checklist, Mapping):
        done, items = _num(checklist.get("done")), _num(checklist.get("items"))
        count = f"{int(done)} of {int(items)} items done" if done is not None and items else ""
        parts.append(
            f'<div class="rel-row" data-checklist="yes"><span class="rel-k">Checklist</span>'
            f"<span>{_record_link(checklist, 'checklist')} {_ago(checklist.get('at'))}"
            f"{_SEP + count if count else ''}</span></div>"
        )
    else:
        parts.append(
            '<div class="rel-row" data-checklist="none"><span class="rel-k">Checklist</span>'
            '<span class="none">none recorded</span></div>'
        )
    rollback = release.get("rollback")
    if isinstance(rollback, Mapping):
        reason = _text(rollback.get("reason")) or "no reason given"
        parts.append(
            f'<div class="rel-row rollback" data-rollback="yes">'
            f'<span class="rel-k">Rolled back</span>'
            f"<span>by <strong>{_or_dash(rollback.get('owner'))}</strong> "
            f"{_ago(rollback.get('at'))}{_SEP}{_record_link(rollback, 'rollback record')}</span>"
            f'<p class="rel-why">Reason: {_e(reason)}</p></div>'
        )
    return (
        f'<article class="release" data-repo="{_e(repo)}" data-version="{_e(version)}">'
        f'<div class="lane-head"><h3>{_e(version)}</h3>'
        f'<span class="rel-repo">{_path_text(repo)}</span></div>{"".join(parts)}</article>'
    )


def _releases(model: Mapping[str, Any]) -> str:
    releases = _maps(model.get("releases"))
    if not releases:
        return _section(
            "releases",
            "Releases",
            _empty(
                "No release decisions recorded yet: record one with "
                "<code>lane-tasks release decide</code>."
            ),
        )
    cards = "".join(_release_card(r) for r in releases)
    return _section("releases", "Releases", f'<div class="rel-grid">{cards}</div>')


def _footer(model: Mapping[str, Any]) -> str:
    history = _text(model.get("history"))
    source = f" from <code>{_e(history)}</code>" if history else ""
    return (
        '<footer class="foot"><div class="wrap">'
        f"Static report{source}, generated {_when(model.get('generated_at'))}. "
        "Self-contained: no scripts, no network.</div></footer>"
    )
