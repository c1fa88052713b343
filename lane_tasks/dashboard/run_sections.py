"""The dashboard's two views of runs: the Lanes section (a repo-by-lane matrix of the latest
runs and one card per run with its facts, controls, failing checks and triage) and the Recent
runs table.

They share the run-level pieces (`_failing`, `_triage`, `_control`), so they live together,
apart from the program-level sections in `sections`; `render` places them on the page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lane_tasks.dashboard.fragments import (
    _DASH,
    _SEP,
    _STATUS,
    _UNKNOWN_ICON,
    _ago,
    _badge,
    _e,
    _empty,
    _href,
    _maps,
    _or_dash,
    _path_text,
    _section,
    _sha,
    _text,
    _took,
)

_LANE_ORDER = ("startup", "scale", "regulated")

_NOT_RUN = '<span class="none">not run</span>'


def _lane_names(repos: list[Mapping[str, Any]]) -> list[str]:
    """The lanes present, canonical ones in lane order, then others as they first appear."""
    seen: list[str] = []
    for repo in repos:
        for lane in _maps(repo.get("lanes")):
            name = _text(lane.get("lane"))
            if name and name not in seen:
                seen.append(name)
    canonical = [name for name in _LANE_ORDER if name in seen]
    return canonical + [name for name in seen if name not in _LANE_ORDER]


def _control(item: Mapping[str, Any]) -> str:
    status = _text(item.get("status")) or "unknown"
    icon, css = _STATUS.get(status, (_UNKNOWN_ICON, "unknown"))
    ident = _text(item.get("id")) or "unnamed control"
    message = _text(item.get("message"))
    title = f' title="{_e(message)}"' if message else ""
    loud = " loud" if status in ("fail", "error") else ""
    msg = f'<span class="ctl-msg{loud}">{_e(message)}</span>' if message else ""
    return (
        f'<li class="ctl s-{css}" data-control="{_e(ident)}" data-status="{_e(status)}"{title}>'
        f'<span class="ctl-icon" aria-hidden="true">{icon}</span>'
        f'<span class="ctl-id">{_e(ident)}</span>'
        f'<span class="ctl-status">{_e(status)}</span>{msg}</li>'
    )


def _triage(value: object) -> str:
    """Who triaged a failed run, when, and what they found; nothing for a run nobody did."""
    if not isinstance(value, Mapping):
        return ""
    owner = _text(value.get("owner")) or "someone unnamed"
    note = _text(value.get("note"))
    said = f'<span class="tri-note">{_e(note)}</span>' if note else ""
    return (
        f'<p class="triage" data-triage="{_e(owner)}"><span class="tri-head">Triaged</span> '
        f"by <strong>{_e(owner)}</strong> {_ago(value.get('at'))}{said}</p>"
    )


def _not_run_card(repo: str, lane: Mapping[str, Any], anchor: str) -> str:
    name = _text(lane.get("lane")) or "unnamed lane"
    session = _text(lane.get("session")) or name
    return (
        f'<article class="lane-card lc-notrun" id="{anchor}" data-repo="{_e(repo)}" '
        f'data-lane="{_e(name)}" data-status="not-run">'
        f'<div class="lane-head"><h4>{_e(name)}</h4>{_badge("not-run")}</div>'
        '<p class="ctl-head">Configured in lanes.toml, no run recorded yet</p>'
        f"<p>Run it with <code>nox -s {_e(session)}</code>.</p></article>"
    )


def _lane_card(repo: str, lane: Mapping[str, Any], anchor: str) -> str:
    """One card is one run: its facts, its own controls (or that it never reached them), its
    failing checks and its triage."""
    name = _text(lane.get("lane")) or "unnamed lane"
    status = _text(lane.get("status")) or "unknown"
    if status == "not-run":
        return _not_run_card(repo, lane, anchor)
    recorded = lane.get("controls")
    controls = _maps(recorded)
    passed = sum(1 for c in controls if c.get("status") == "pass")
    run_id = _text(lane.get("run_id"))
    facts = "".join(
        f"<div><dt>{label}</dt><dd>{value}</dd></div>"
        for label, value in (
            ("Run", f"<code>{_e(run_id)}</code>" if run_id else _DASH),
            ("Commit", _sha(lane.get("commit"))),
            ("Version", _or_dash(lane.get("version"))),
            ("Actor", _or_dash(lane.get("actor"))),
            ("Started", _ago(lane.get("started_at"))),
            ("Took", _took(lane.get("duration_s"))),
        )
    )
    if controls:
        grid = (
            f'<p class="ctl-head" data-controls="reached">Controls '
            f"<span>{passed} of {len(controls)} pass</span></p>"
            f'<ul class="ctls">{"".join(_control(c) for c in controls)}</ul>'
        )
    elif status in ("fail", "error", "interrupted", "running") and not isinstance(
        recorded, Sequence
    ):
        why = "still running" if status == "running" else "the run stopped before them"
        grid = (
            '<p class="ctl-head" data-controls="not-reached">Controls '
            f"<span>controls not reached: {why}</span></p>"
        )
    else:
        grid = (
            '<p class="ctl-head" data-controls="none">Controls '
            "<span>none recorded for this run</span></p>"
        )
    failing = _maps(lane.get("failing"))
    checks = (
        f'<p class="ctl-head">Failing checks</p>{_failing(failing)}'
        if failing and status != "pass"
        else ""
    )
    return (
        f'<article class="lane-card lc-{_STATUS.get(status, ("", "unknown"))[1]}" id="{anchor}" '
        f'data-repo="{_e(repo)}" data-lane="{_e(name)}" data-status="{_e(status)}" '
        f'data-run="{_e(run_id)}">'
        f'<div class="lane-head"><h4>{_e(name)}</h4>{_badge(status)}</div>'
        f'<dl class="facts">{facts}</dl>{grid}{checks}{_triage(lane.get("triage"))}</article>'
    )


def _lanes(repos: list[Mapping[str, Any]]) -> str:
    if not repos:
        return _section("lanes", "Lanes", _empty("No lane runs recorded yet."))
    names = _lane_names(repos)
    cols = "".join(f'<th scope="col">{_e(n)}</th>' for n in names)
    rows: list[str] = []
    blocks: list[str] = []
    for r_index, repo in enumerate(repos, 1):
        repo_name = _text(repo.get("repo")) or "unnamed repo"
        lanes = _maps(repo.get("lanes"))
        by_name: dict[str, str] = {}
        cards: list[str] = []
        for l_index, lane in enumerate(lanes, 1):
            anchor = f"r{r_index}-l{l_index}"
            lane_name = _text(lane.get("lane")) or "unnamed lane"
            by_name.setdefault(lane_name, f'<a href="#{anchor}">{_badge(lane.get("status"))}</a>')
            cards.append(_lane_card(repo_name, lane, anchor))
        cells = "".join(f'<td data-lane="{_e(n)}">{by_name.get(n, _NOT_RUN)}</td>' for n in names)
        rows.append(
            f'<tr data-repo="{_e(repo_name)}"><th scope="row">{_path_text(repo_name)}</th>'
            f"{cells}</tr>"
        )
        body = (
            f'<div class="lane-grid">{"".join(cards)}</div>'
            if cards
            else '<p class="empty">No lane runs for this repo.</p>'
        )
        blocks.append(
            f'<article class="repo" id="r{r_index}" data-repo="{_e(repo_name)}">'
            f"<h3>{_e(repo_name)}</h3>{body}</article>"
        )
    matrix = (
        '<div class="scroll" role="region" aria-label="Latest run per repo and lane" tabindex="0">'
        '<table class="matrix"><caption>Latest run per repo and lane</caption>'
        f'<thead><tr><th scope="col">Repo</th>{cols}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )
    return _section("lanes", "Lanes", matrix + "".join(blocks))


def _failing(items: list[Mapping[str, Any]]) -> str:
    """Each failing check with the first line to read, its excerpt behind a `<details>` and
    links to its artifact and full log in the run directory."""
    if not items:
        return _DASH
    rows: list[str] = []
    for item in items:
        where = " \u203a ".join(
            _e(t) for t in (_text(item.get("step")), _text(item.get("check"))) if t
        )
        owner = _text(item.get("owner"))
        message = _text(item.get("message"))
        first = _text(item.get("first_line"))
        detail = [f"owner <strong>{_e(owner)}</strong>"] if owner else []
        detail += [_e(message)] if message and message != first else []
        links = [
            f'<a href="{_e(href)}">{label}</a>'
            for label, href in (
                ("artifact", _href(item.get("artifact"))),
                ("full log", _href(item.get("log"))),
            )
            if href
        ]
        excerpt = _text(item.get("excerpt"))
        more = ""
        if excerpt:
            cut = " (cut: the artifact has all of it)" if item.get("excerpt_cut") is True else ""
            more = (
                f"<details><summary>excerpt{cut}</summary>"
                f'<pre class="excerpt">{_e(excerpt)}</pre></details>'
            )
        rows.append(
            f'<li data-check="{_e(_text(item.get("check")))}">'
            f"{_badge(item.get('status'), ' small')} <strong>{where or 'unnamed'}</strong>"
            + (f'<code class="first">{_e(first)}</code>' if first else "")
            + (f'<span class="fmsg">{_SEP.join(detail)}</span>' if detail else "")
            + (f'<span class="flinks">{_SEP.join(links)}</span>' if links else "")
            + more
            + "</li>"
        )
    return f'<ul class="failing">{"".join(rows)}</ul>'


def _runs(model: Mapping[str, Any]) -> str:
    runs = _maps(model.get("recent_runs"))
    if not runs:
        return _section("runs", "Recent runs", _empty("No runs recorded yet."))
    rows: list[str] = []
    for run in runs:
        status = _text(run.get("status")) or "unknown"
        repo = _text(run.get("repo"))
        lane = _text(run.get("lane"))
        run_id = _text(run.get("run_id"))
        css = _STATUS.get(status, ("", "unknown"))[1]
        rows.append(
            f'<tr class="r-{css}" data-run="{_e(run_id)}" data-repo="{_e(repo)}" '
            f'data-lane="{_e(lane)}" data-status="{_e(status)}">'
            f'<td data-label="Status">{_badge(status)}</td>'
            f'<td data-label="Started" class="nowrap">{_ago(run.get("started_at"))}</td>'
            f'<td data-label="Took" class="nowrap">{_took(run.get("duration_s"))}</td>'
            f'<td data-label="Repo">{_path_text(repo) if repo else _DASH}</td>'
            f'<td data-label="Lane">{_or_dash(lane)}</td>'
            f'<td data-label="Run">{f"<code>{_e(run_id)}</code>" if run_id else _DASH}'
            f'<span class="sub">commit {_sha(run.get("commit"))}</span></td>'
            f'<td data-label="Actor">{_or_dash(run.get("actor"))}</td>'
            f'<td data-label="Failing checks" class="fcell">'
            f"{_failing(_maps(run.get('failing')))}{_triage(run.get('triage'))}</td></tr>"
        )
    table = (
        '<div class="scroll" role="region" aria-label="Recent runs" tabindex="0">'
        f'<table class="runs"><caption>{len(runs)} most recent runs</caption><thead><tr>'
        '<th scope="col">Status</th><th scope="col">Started</th><th scope="col">Took</th>'
        '<th scope="col">Repo</th><th scope="col">Lane</th><th scope="col">Run</th>'
        '<th scope="col">Actor</th><th scope="col">Failing checks</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )
    return _section("runs", "Recent runs", table)
