"""The dashboard renderer: escaping, self-containment, the states a lead must not miss, and a
real headless Chromium at laptop and phone widths. These test rendering, not KPI arithmetic:
the models are built here from plausible values."""

from __future__ import annotations

import copy
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from browser import visit

from lane_tasks.dashboard.render import render_dashboard

VOID = {"meta", "br", "hr", "img", "input", "link", "wbr", "col", "area", "base", "source"}
SVG_VOID = {"line", "circle", "polyline", "polygon", "path"}

CONTROLS = {
    "startup": ["release-confidence-path", "artifact-retention", "release-owner"],
    "scale": ["ownership-matrix", "weekly-kpi-review", "compat-policy"],
    "regulated": ["severity-model", "deprecation-windows", "release-checklist-evidence"],
}


def _lane(repo: int, lane: str, status: str) -> dict[str, Any]:
    names = CONTROLS["startup"] + (CONTROLS["scale"] if lane != "startup" else [])
    names += CONTROLS["regulated"] if lane == "regulated" else []
    controls = [
        {"id": name, "status": "pass", "message": f"{name} verified from the run's evidence"}
        for name in names
    ]
    if status == "fail":
        controls[-1] = {
            "id": names[-1],
            "status": "fail",
            "message": "no release checklist for 1.2.0 links the contract index",
        }
    if status == "error":
        controls[1] = {"id": names[1], "status": "error", "message": "run store unreadable"}
    return {
        "lane": lane,
        "run_id": f"20261201T05{repo}000Z-0a1b2c",
        "status": status,
        "started_at": f"2026-12-01T05:{repo}0:00+00:00",
        "commit": f"{repo}f3c9a1b2d4e5f60718293a4b5c6d7e8f9a0b1c"[:40],
        "version": "1.2.0" if lane != "startup" else None,
        "actor": "ana@acme.org",
        "controls": controls,
    }


def _trend(values: list[float | None], unit: str) -> list[dict[str, Any]]:
    def show(v: float | None) -> str:
        if v is None:
            return "unknown"
        return f"{v * 100:.0f}%" if unit == "ratio" else f"{v:g}"

    return [
        {
            "period": f"2026-W{40 + i}",
            "value": v,
            "display": show(v),
            "sample": 0 if v is None else 4,
        }
        for i, v in enumerate(values)
    ]


def make_model(*, runs: int = 12, overdue: bool = False) -> dict[str, Any]:
    """A model shaped like the one built from history: 3 repos x 3 lanes, six KPIs."""
    statuses = {"startup": "pass", "scale": "pass", "regulated": "fail"}
    repos = []
    for i, name in enumerate(["github.com/acme/app", "github.com/acme/billing", "gitlab.com/x/y"]):
        lanes = [_lane(i + 1, lane, statuses[lane] if i != 2 else "error") for lane in statuses]
        if i == 2:
            lanes = lanes[:2]  # this repo does not run the regulated lane
        repos.append({"repo": name, "lanes": lanes})
    kpis = [
        {
            "id": "first-time-success-rate",
            "title": "First-time-success onboarding rate",
            "lanes": ["startup"],
            "status": "known",
            "value": 0.8,
            "display": "80%",
            "unit": "ratio",
            "sample": 20,
            "reason": None,
            "better": "up",
            "direction": "up",
            "trend": _trend([0.5, 0.6, None, 0.7, 0.75, 0.8], "ratio"),
        },
        {
            "id": "median-release-decision-time",
            "title": "Median release decision time",
            "lanes": ["startup"],
            "status": "known",
            "value": 5400.0,
            "display": "1.5 h",
            "unit": "seconds",
            "sample": 9,
            "reason": None,
            "better": "down",
            "direction": "up",
            "trend": _trend([3600, 4000, 5400], "seconds"),
        },
        {
            "id": "failed-release-gate-frequency",
            "title": "Failed release gate frequency",
            "lanes": ["scale", "regulated"],
            "status": "known",
            "value": 0.25,
            "display": "25%",
            "unit": "ratio",
            "sample": 12,
            "reason": None,
            "better": "down",
            "direction": "down",
            "trend": _trend([0.5, 0.4, 0.25], "ratio"),
        },
        {
            "id": "mean-time-to-triage",
            "title": "Mean time to triage first failure",
            "lanes": ["scale"],
            "status": "known",
            "value": 1800.0,
            "display": "30 min",
            "unit": "seconds",
            "sample": 5,
            "reason": None,
            "better": "down",
            "direction": "flat",
            "trend": _trend([1800, 1800], "seconds"),
        },
        {
            "id": "rollback-rate",
            "title": "Rollback rate",
            "lanes": ["regulated"],
            "status": "unknown",
            "value": None,
            "display": "unknown",
            "unit": "ratio",
            "sample": 2,
            "reason": "only 2 gate-release runs since 2026-09-01 (kpi.min_sample = 3)",
            "better": "down",
            "direction": "unknown",
            "trend": _trend([None, 0.0, None], "ratio"),
        },
        {
            "id": "docs-to-adoption-conversion",
            "title": "Docs-to-adoption conversion",
            "lanes": ["regulated"],
            "status": "unknown",
            "value": None,
            "display": "unknown",
            "unit": "per-week",
            "sample": 0,
            "reason": "no adoption events recorded",
            "better": "up",
            "direction": "unknown",
            "trend": [],
        },
    ]
    recent = []
    for n in range(runs):
        status = ["pass", "fail", "pass", "error", "running", "interrupted"][n % 6]
        failing = []
        if status in ("fail", "error"):
            failing = [
                {
                    "step": "gate-fast",
                    "check": "pytest",
                    "status": status,
                    "owner": "platform",
                    "message": "exited with code 1",
                    "first_line": "E   assert 3 == 5",
                    "excerpt": "____ test_add ____\nE   assert 3 == 5\n",
                    "artifact": f"../lanes/runs/r{n}/gate-fast.json",
                },
                {
                    "step": "gate-release",
                    "check": "changelog",
                    "status": "fail",
                    "owner": "release",
                    "message": "no CHANGELOG entry for 1.2.0",
                },
            ]
        recent.append(
            {
                "repo": repos[n % 3]["repo"],
                "run_id": f"20261201T{n % 24:02d}{n % 60:02d}00Z-{n:06x}",
                "lane": [None, "startup", "scale", "regulated"][n % 4],
                "status": status,
                "started_at": f"2026-11-{30 - n % 28:02d}T{n % 24:02d}:00:00+00:00",
                "commit": hashlib.sha1(str(n).encode()).hexdigest(),
                "actor": "ana@acme.org" if n % 2 else "ci-bot",
                "failing": failing,
                "duration_s": 74.0 + n,
                "triage": {"owner": "kim", "at": "2026-11-30T10:00:00+00:00", "note": "flaky"}
                if failing
                else None,
            }
        )
    return {
        "generated_at": "2026-12-01T05:40:00+00:00",
        "tool_version": "0.1.0",
        "history": "build/lanes/history.sqlite",
        "window": {"since": "2026-09-01T00:00:00+00:00", "until": "2026-12-01T05:40:00+00:00"},
        "totals": {"runs": 100000, "repos": 3, "lanes": 3},
        "repos": repos,
        "kpis": kpis,
        "recent_runs": recent,
        "releases": [
            {
                "repo": "github.com/acme/app",
                "version": "1.2.0",
                "decision": {
                    "decision": "go",
                    "owner": "lead",
                    "at": "2026-11-30T09:00:00+00:00",
                    "preflight": "fail",
                    "override_reason": "accepted: flaky test",
                    "reason": "ship it",
                    "path": "release-evidence/releases/1.2.0/decision.json",
                    "href": "../../release-evidence/releases/1.2.0/decision.json",
                },
                "checklist": {
                    "at": "2026-11-30T09:10:00+00:00",
                    "done": 3,
                    "items": 4,
                    "path": "release-evidence/releases/1.2.0/checklist.json",
                },
                "rollback": {
                    "owner": "lead",
                    "at": "2026-11-30T12:00:00+00:00",
                    "reason": "broken wheel",
                },
            }
        ],
        "kpi_review": {
            "reviewed_at": "2026-11-20T10:00:00+00:00" if overdue else "2026-11-28T10:00:00+00:00",
            "reviewer": "kim@acme.org",
            "lane": "scale",
            "age_days": 11.0 if overdue else 3.2,
            "period_days": 7,
            "overdue": overdue,
            "path": "release-evidence/kpi-reviews/20261128T100000Z.json",
        },
    }


class _Tags(HTMLParser):
    """Start/end tag balance, so a malformed fragment fails here and not in a browser."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:]} at {self.getpos()}")
        else:
            self.stack.pop()


def _balanced(page: str) -> None:
    parser = _Tags()
    parser.feed(page)
    parser.close()
    assert parser.problems == []
    assert parser.stack == []


def _card(page: str, attr: str, value: str) -> str:
    """The markup of the <article> with that data attribute (cards do not nest)."""
    start = page.index(f'{attr}="{value}"')
    start = page.rindex("<article", 0, start)
    return page[start : page.index("</article>", start)]


def _hostile(value: Any, payload: str) -> Any:
    """Every string of the model with markup appended: nothing may reach the page unescaped."""
    if isinstance(value, dict):
        return {k: _hostile(v, payload) for k, v in value.items()}
    if isinstance(value, list):
        return [_hostile(v, payload) for v in value]
    if isinstance(value, str):
        return value + payload
    return value


def test_sections_in_order_with_semantic_structure() -> None:
    page = render_dashboard(make_model())
    assert page.startswith("<!doctype html>\n")
    sections = ("summary", "lanes", "releases", "kpis", "runs")
    positions = [page.index(f'<section id="{s}"') for s in sections]
    assert positions == sorted(positions)
    for tag in ("<header", "<main", "<footer", "<caption>", '<th scope="col">', "<h2"):
        assert tag in page
    assert page.count("<h2") == 5
    assert '<meta name="viewport"' in page
    _balanced(page)


def test_every_string_is_escaped() -> None:
    payload = "<script>alert(1)</script><b onmouseover='x'>\"&"
    model = _hostile(make_model(), payload)
    model["repos"][0]["repo"] = "<script>alert('repo')</script>"
    page = render_dashboard(model)
    assert "<script" not in page
    assert "<b " not in page
    assert "&lt;script&gt;alert(&#x27;repo&#x27;)&lt;/script&gt;" in page
    assert "&lt;b onmouseover=&#x27;x&#x27;&gt;&quot;&amp;" in page
    _balanced(page)


def test_no_external_resources() -> None:
    page = render_dashboard(make_model())
    assert "http://" not in page
    assert "https://" not in page
    assert not re.search(r"\bsrc\s*=", page)
    hrefs = re.findall(r"\bhref\s*=\s*[\"']?([^\"'\s>]*)", page)
    assert hrefs
    # in-page anchors, and the run's artifacts and records relative to the page
    assert all(h.startswith("#") or not re.match(r"^(/|[a-z]+:)", h) for h in hrefs), hrefs
    assert "url(" not in page
    assert "@import" not in page
    assert "<script" not in page
    assert "default-src 'none'" in page  # and the browser is told to refuse any fetch


def test_unknown_kpi_shows_reason_and_known_kpi_its_value() -> None:
    page = render_dashboard(make_model())
    unknown = _card(page, "data-kpi", "rollback-rate")
    assert 'data-status="unknown"' in unknown
    assert ">unknown<" in unknown
    assert "only 2 gate-release runs since 2026-09-01 (kpi.min_sample = 3)" in unknown
    known = _card(page, "data-kpi", "failed-release-gate-frequency")
    assert 'data-status="known"' in known
    assert ">25%<" in known
    assert "Why unknown" not in known
    assert 'data-lane="scale"' in known
    assert 'data-lane="regulated"' in known


def test_direction_is_judged_by_better() -> None:
    page = render_dashboard(make_model())
    # lower is better and it went down: good; higher is better and it went up: good
    assert 'data-judgement="good"' in _card(page, "data-kpi", "failed-release-gate-frequency")
    assert 'data-judgement="good"' in _card(page, "data-kpi", "first-time-success-rate")
    # a decision time that went up is worse
    slower = _card(page, "data-kpi", "median-release-decision-time")
    assert 'data-judgement="bad"' in slower
    assert "worse" in slower
    assert 'data-direction="flat"' in _card(page, "data-kpi", "mean-time-to-triage")


def test_trend_chart_has_title_and_gaps_for_missing_periods() -> None:
    page = render_dashboard(make_model())
    card = _card(page, "data-kpi", "first-time-success-rate")
    assert 'role="img"' in card
    assert "<title" in card
    assert "First-time-success onboarding rate: trend per period" in card
    # values 0.5 0.6 _ 0.7 0.75 0.8: two line segments around one gap, every point marked
    assert card.count("<polyline") == 2
    assert card.count('data-gap="2026-W42"') == 1
    assert card.count("<circle") == 5
    assert "2026-W42: no data" in card
    # isolated points (no neighbour) still show, without a line
    lonely = _card(page, "data-kpi", "rollback-rate")
    assert lonely.count("<circle") == 1
    assert "<polyline" not in lonely
    assert "no trend yet" in _card(page, "data-kpi", "docs-to-adoption-conversion")


def test_no_trend_point_below_min_sample() -> None:
    """A week with fewer data points than kpi.min_sample is a gap that says so, not a point
    (the headline is unknown below it too)."""
    model = make_model()
    kpi = model["kpis"][0]  # six weeks of sample 4, one without data
    kpi["min_sample"] = 5
    kpi["trend"][-1]["sample"] = 9
    card = _card(render_dashboard(model), "data-kpi", "first-time-success-rate")
    assert card.count("<circle") == 1  # only the week with 9
    gaps = re.findall(r'data-gap="[^"]+"[^>]*><title>([^<]*)</title>', card)
    assert gaps.count("2026-W41: too little data (sample 4 &lt; kpi.min_sample 5)") == 1
    assert len(gaps) == 5
    assert "2026-W42: no data" in card


def test_lane_cards_show_latest_run_and_controls() -> None:
    page = render_dashboard(make_model())
    card = _card(page, 'data-lane="regulated" data-status', "fail")
    assert 'data-repo="github.com/acme/app"' in card
    assert "20261201T051000Z-0a1b2c" in card
    assert ">1f3c9a1<" in card  # the short sha, the full one in the tooltip
    assert 'title="1f3c9a1b2d4e5f60718293a4b5c6d7e8f9a0b1c' in card
    assert 'data-control="release-checklist-evidence" data-status="fail"' in card
    assert 'title="no release checklist for 1.2.0 links the contract index"' in card
    assert "8 of 9 pass" in card
    # the repo without a regulated run says so in the matrix
    assert "not run" in page


def test_recent_runs_list_their_failing_checks() -> None:
    page = render_dashboard(make_model())
    table = page[page.index('<section id="runs"') :]
    assert "<caption>12 most recent runs</caption>" in table
    row = table[table.index('data-run="20261201T010100Z-000001"') :]
    row = row[: row.index("</tr>")]
    assert 'data-status="fail"' in row
    assert "gate-fast \u203a pytest" in row
    assert "owner <strong>platform</strong>" in row
    assert "exited with code 1" in row
    assert "no CHANGELOG entry for 1.2.0" in row
    passing = table[table.index('data-run="20261201T000000Z-000000"') :]
    assert "failing" not in passing[: passing.index("</tr>")]


@pytest.mark.parametrize(
    ("overdue", "state", "text"),
    [(True, "overdue", "KPI review OVERDUE"), (False, "ok", "KPI review on schedule")],
)
def test_kpi_review_banner(overdue: bool, state: str, text: str) -> None:
    page = render_dashboard(make_model(overdue=overdue))
    summary = page[page.index('<section id="summary"') : page.index('<section id="lanes"')]
    assert f'data-kpi-review="{state}"' in summary
    assert text in summary
    assert "kim@acme.org" in summary
    if overdue:
        assert "4 days overdue" in summary
        assert "11 days ago" in summary and "0.0" not in summary  # to generated_at


def test_no_kpi_review_recorded() -> None:
    model = make_model()
    model["kpi_review"] = None
    page = render_dashboard(model)
    assert 'data-kpi-review="none"' in page
    assert "no kpi review recorded" in page.lower()


@pytest.mark.parametrize(
    "model",
    [
        {},
        {"repos": [], "kpis": [], "recent_runs": [], "kpi_review": None, "window": {}},
        # wrong types everywhere: the renderer degrades, it does not raise
        {
            "generated_at": 5,
            "totals": [],
            "window": "x",
            "repos": [{"repo": None, "lanes": None}, "junk", {"lanes": [{"controls": "x"}]}],
            "kpis": [{"value": "NaN", "trend": [{"value": float("nan")}, 3]}, None],
            "recent_runs": [{"failing": "nope", "status": 7}],
            "kpi_review": {"age_days": "old"},
        },
    ],
)
def test_empty_and_malformed_models_render(model: dict[str, Any]) -> None:
    page = render_dashboard(model)
    for section in ("summary", "lanes", "releases", "kpis", "runs"):
        assert f'<section id="{section}"' in page
    _balanced(page)


def test_empty_model_says_there_is_nothing_yet() -> None:
    page = render_dashboard({})
    assert "No lane runs recorded yet." in page
    assert "No KPIs in this report." in page
    assert "No runs recorded yet." in page
    assert 'data-kpi-review="none"' in page


def test_deterministic_and_compact() -> None:
    model = make_model(runs=500)
    page = render_dashboard(model)
    assert render_dashboard(copy.deepcopy(model)) == page
    assert page[page.index('<section id="runs"') :].count(" data-run=") == 500
    assert len(page.encode()) < 1_000_000


@pytest.mark.chromium
def test_chromium_renders_at_laptop_and_phone_widths(tmp_path: Path) -> None:
    model = make_model(runs=40)
    page_file = tmp_path / "dashboard.html"
    page_file.write_text(render_dashboard(model), encoding="utf-8")

    def check(page: Any, width: int) -> None:
        assert page.locator("#summary [data-kpi-review]").is_visible()
        assert page.locator("#lanes [data-lane] .badge").first.is_visible()
        for kpi in model["kpis"]:
            card = page.locator(f'#kpis [data-kpi="{kpi["id"]}"]')
            assert card.is_visible(), kpi["id"]
            if any(p["value"] is not None for p in kpi["trend"]):
                assert card.locator("svg.chart").is_visible(), kpi["id"]
            else:
                assert card.locator(".no-trend").is_visible(), kpi["id"]
        assert page.locator("#runs table").is_visible()
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if width == 375:
            assert scroll <= inner, f"horizontal overflow at 375px: {scroll} > {inner}"
            # control messages are tooltips on a laptop but visible text on a phone
            message = page.locator('[data-control="release-owner"] .ctl-msg').first
            box = message.bounding_box()
            assert box is not None and box["width"] > 50

    seen = visit(page_file, check, tmp_path)
    assert seen.requests, "the page itself was not requested"
    assert all(u.startswith("file://") for u in seen.requests), seen.requests
    assert seen.problems == []
    assert (tmp_path / "dashboard-1280.png").stat().st_size > 10_000
    assert (tmp_path / "dashboard-375.png").stat().st_size > 10_000


def test_only_relative_links_are_links() -> None:
    """An artifact or record path that is not a relative path (a scheme, an absolute path)
    is shown, never linked: the model's strings are data."""
    model = make_model()
    failing = model["recent_runs"][1]["failing"]
    failing[0]["artifact"] = "javascript:alert(1)"
    failing[1]["artifact"] = "../lanes/runs/20261201T010100Z-000001/gate-release.json"
    failing[1]["log"] = "/etc/passwd"
    model["releases"] = [
        {"repo": "r", "version": "1.0.0", "checklist": {"href": "https://x.invalid/c"}}
    ]
    page = render_dashboard(model)
    hrefs = re.findall(r'\bhref="([^"]*)"', page)
    assert "../lanes/runs/20261201T010100Z-000001/gate-release.json" in hrefs
    assert not [h for h in hrefs if ":" in h or h.startswith("/")], hrefs
