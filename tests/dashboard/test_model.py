"""The dashboard answers release questions, on a history built through the product's own
writers (run store, history, release and triage records): one card is one run, a run that
stopped before its controls says so, releases show their decision, override, checklist and
rollback, triage sits on the failed run, failing checks show their first diagnostic line and
link to their artifacts, configured lanes that never ran say "not run", no trend point is
drawn below kpi.min_sample, and times read as a person says them. Then the same page in
headless Chromium at 1280 and 390 px."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from browser import chromium
from helpers import make_project
from history_data import generated

from lane_tasks.config import Config, load_config
from lane_tasks.dashboard.model import build_model, first_failure_line
from lane_tasks.dashboard.render import render_dashboard
from lane_tasks.evidence.history_record import record_run_state, record_step
from lane_tasks.evidence.store import (
    finish_run,
    mark_run_started,
    new_run_id,
    record_artifact,
    run_started,
)
from lane_tasks.kpi.history_exchange import import_files
from lane_tasks.kpi.records import record_rollback, record_triage
from lane_tasks.releases.checklist import build_checklist
from lane_tasks.releases.decision import decide
from lane_tasks.util.durations import elapsed

NOW = datetime.now(UTC).replace(microsecond=0)
HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)>"
RUFF = (
    "warning: some preamble the tool prints first\n"
    "lane_tasks/app.py:3:8: F401 [*] `os` imported but unused\n"
    "Found 1 error.\n"
)
SUBJECT = {"commit": "c" * 40, "dirty": False}


def _step(
    config: Config, run_id: str, step: str, status: str, began: datetime, took: float,
    results: list[dict[str, Any]], lane: str = "startup",
) -> None:  # fmt: skip
    """One finished step, recorded the way `cli` records it: its artifact in the run store,
    its row in the history."""
    full = [
        {"owner": None, "exit_code": None, "excerpt": "", "fix": None, "message": "", **r}
        for r in results
    ]
    doc = {"schema": f"lane-tasks/{step}", "step": step, "status": status,
           "subject": SUBJECT, "results": full}  # fmt: skip
    record_artifact(
        config, run_id, step=step, name=f"{step}.json", text=json.dumps(doc), status=status,
        subject=SUBJECT, lane=lane, started=began,
    )  # fmt: skip
    record_step(
        config, doc, run_id=run_id, source="nox", lane=lane, started_at=began,
        ended_at=began + timedelta(seconds=took), run_started_at=run_started(run_id, began),
    )  # fmt: skip


def _run(config: Config, began: datetime) -> str:
    run_id = new_run_id(began)
    mark_run_started(run_id, began)
    return run_id


def _finish(config: Config, run_id: str, state: str = "complete") -> None:
    finish_run(config, run_id, lane="startup", state=state)
    record_run_state(config, run_id, state, lane="startup")


def build_program(root: Path, out: Path) -> dict[str, Any]:
    """The history the dashboard is asked about, and the dashboard written to `out`."""
    config = load_config(root / "lanes.toml")
    owner = config.release_owners[0]
    # an imported program history: other repositories, KPIs with thin weeks
    import_files(config, [generated().write(root.parent / "program.jsonl")])
    # a passing startup run with its controls, 74 s long
    began = NOW - timedelta(hours=3)
    passed = _run(config, began)
    _step(config, passed, "gate-fast", "pass", began + timedelta(seconds=1), 60,
          [{"id": "ruff", "status": "pass"}])  # fmt: skip
    controls = ("release-confidence-path", "artifact-retention", "release-owner")
    _step(config, passed, "controls", "pass", began + timedelta(seconds=70), 3,
          [{"id": c, "status": "pass", "message": f"{c} ok"} for c in controls])  # fmt: skip
    _finish(config, passed)
    # the latest startup run failed in gate fast and never reached its controls; triaged
    began = NOW - timedelta(minutes=40)
    failed = _run(config, began)
    _step(config, failed, "gate-fast", "fail", began, 12, [
        {"id": "ruff", "status": "fail", "owner": "platform", "exit_code": 1,
         "message": "exited with code 1", "excerpt": RUFF},
        {"id": "pytest", "status": "fail", "message": HOSTILE, "excerpt": HOSTILE},
    ])  # fmt: skip
    _finish(config, failed)
    record_triage(config, run_id=failed, owner="ana", note=f"flaky import {HOSTILE}",
                  now=NOW - timedelta(minutes=10))  # fmt: skip
    # a run stopped with Ctrl-C
    began = NOW - timedelta(days=2)
    stopped = _run(config, began)
    _step(config, stopped, "gate-fast", "error", began, 5,
          [{"id": "pytest", "status": "error", "message": "stopped: interrupted"}])  # fmt: skip
    _finish(config, stopped, state="interrupted")
    # a release: a go with an override (no preflight), its checklist, then its rollback
    decide(config, version="0.1.0", decision="go", owner=owner, reason="ship the fix",
           override_reason="preflight skipped: hotfix for a CVE",
           now=NOW - timedelta(hours=2))  # fmt: skip
    build_checklist(config, version="0.1.0", run_id=passed, allow_incomplete=True,
                    now=NOW - timedelta(hours=2))  # fmt: skip
    record_rollback(config, version="0.1.0", owner=owner, reason="broken wheel on 3.11",
                    now=NOW - timedelta(hours=1))  # fmt: skip
    model = build_model(config, since=None, now=NOW, out=out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_dashboard(model), encoding="utf-8")
    return {"model": model, "passed": passed, "failed": failed, "stopped": stopped}


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = make_project(tmp_path_factory.mktemp("release-dash"))
    out = root / "build" / "dashboard" / "index.html"
    built = build_program(root, out)
    return {**built, "root": root, "out": out, "html": out.read_text(encoding="utf-8")}


def _article(page: str, marker: str) -> str:
    start = page.rindex("<article", 0, page.index(marker))
    return page[start : page.index("</article>", start)]


def test_one_card_is_one_run(program: dict[str, Any]) -> None:
    """The latest run's card shows that run's controls, not an older run's."""
    card = _article(program["html"], 'data-repo="sample" data-lane="startup"')
    assert f'data-run="{program["failed"]}"' in card
    assert 'data-controls="not-reached"' in card and "controls not reached" in card
    assert "of 3 pass" not in card and "data-control=" not in card
    model_card = next(
        lane for lane in program["model"]["repos"][0]["lanes"] if lane["lane"] == "startup"
    )
    assert model_card["run_id"] == program["failed"] and model_card["controls"] is None


def test_failing_check_shows_its_first_diagnostic_line_and_links_its_artifact(
    program: dict[str, Any],
) -> None:
    html, root, failed = program["html"], program["root"], program["failed"]
    row = html[html.index(f'<tr class="r-fail" data-run="{failed}"') :]
    row = row[: row.index("</tr>")]
    assert "lane_tasks/app.py:3:8: F401 [*] `os` imported but unused" in row
    assert "<details><summary>excerpt</summary>" in row
    href = re.search(r'href="([^"]+)">artifact<', row)
    assert href is not None and not href.group(1).startswith(("/", "file:", "http"))
    target = (program["out"].parent / href.group(1)).resolve()
    assert target == (root / "build" / "lanes" / "runs" / failed / "gate-fast.json").resolve()
    assert target.is_file()


def test_first_failure_line_prefers_a_diagnostic() -> None:
    assert first_failure_line(RUFF) == "lane_tasks/app.py:3:8: F401 [*] `os` imported but unused"
    pytest_out = (
        "==== FAILURES ====\n____ test_add ____\n\n    def test_add():\nE   assert 3 == 5\n"
    )
    assert first_failure_line(pytest_out) == "E   assert 3 == 5"
    assert first_failure_line("=====\n\nsomething broke\n") == "something broke"
    assert first_failure_line("", "exited with code 1") == "exited with code 1"


def test_triage_is_shown_on_the_failed_run(program: dict[str, Any]) -> None:
    html, failed = program["html"], program["failed"]
    row = html[html.index(f'data-run="{failed}" data-repo') :]
    row = row[: row.index("</tr>")]
    assert 'data-triage="ana"' in row and "10 minutes ago" in row and "flaky import" in row


def test_interrupted_run_is_interrupted_not_error(program: dict[str, Any]) -> None:
    html, stopped = program["html"], program["stopped"]
    row = html[html.index(f'data-run="{stopped}" data-repo') :]
    row = row[: row.index("</tr>")]
    assert 'data-status="interrupted"' in row and 'data-status="error"' not in row
    assert "2 days ago" in row


def test_releases_show_decision_override_checklist_and_rollback(program: dict[str, Any]) -> None:
    card = _article(program["html"], 'class="release" data-repo="sample" data-version="0.1.0"')
    assert 'data-decision="go"' in card
    assert "preflight skipped: hotfix for a CVE" in card and 'data-override="yes"' in card
    assert "preflight none recorded" in card
    assert "2 hours ago" in card and "1 hour ago" in card
    assert 'data-rollback="yes"' in card and "broken wheel on 3.11" in card
    checklist = re.search(r'href="([^"]+)"[^>]*>checklist<', card)
    assert checklist is not None
    target = (program["out"].parent / checklist.group(1)).resolve()
    assert target == (program["root"] / "release-evidence/releases/0.1.0/checklist.json")
    # an imported repository's release, with its rollback but no link (its files are not here)
    other = _article(program["html"], 'data-repo="acme/app" data-version="1.0.0"')
    assert 'data-rollback="yes"' in other and "href=" not in other


def test_configured_lanes_without_runs_say_not_run(program: dict[str, Any]) -> None:
    html = program["html"]
    for lane in ("scale", "regulated"):
        card = _article(html, f'data-repo="sample" data-lane="{lane}" data-status="not-run"')
        assert "not-run" in card and f"nox -s {lane}" in card


def test_no_trend_point_below_min_sample(program: dict[str, Any]) -> None:
    """Every drawn point has at least kpi.min_sample data points; a KPI whose headline is
    unknown draws none."""
    html, floor = program["html"], 3
    for kpi in program["model"]["kpis"]:
        card = _article(html, f'data-kpi="{kpi["id"]}"')
        samples = [int(n) for n in re.findall(r"<circle[^>]*><title>[^<]*\(sample (\d+)\)", card)]
        assert all(n >= floor for n in samples), (kpi["id"], samples)
        if kpi["status"] == "unknown":
            assert "<circle" not in card, kpi["id"]
    # this week's one first lane run is a sample of 1: no point, and the card says why
    fts = _article(html, 'data-kpi="first-time-success-rate"')
    assert "<circle" not in fts and "kpi.min_sample = 3" in fts


def test_times_are_relative_with_the_utc_time_in_the_title(program: dict[str, Any]) -> None:
    html = program["html"]
    assert "0.0 days" not in html and "days ago" in html
    assert re.search(
        r'<time datetime="[^"]+" title="\d{4}-\d\d-\d\d \d\d:\d\d UTC">3 hours ago<', html
    )
    # durations: the run's own start to its finish (here: when the test finished it), not
    # its last step's 3 s
    run = next(r for r in program["model"]["recent_runs"] if r["run_id"] == program["passed"])
    assert run["duration_s"] >= 3 * 3600 - 60
    row = html[html.index(f'data-run="{program["passed"]}" data-repo') :]
    took = re.search(r'data-label="Took"[^>]*>([^<]+)<', row[: row.index("</tr>")])
    assert took is not None and took.group(1) == elapsed(run["duration_s"])


def test_title_names_the_project_and_everything_is_escaped(program: dict[str, Any]) -> None:
    html = program["html"]
    assert "<title>sample \u00b7 Release confidence" in html
    assert '<span class="project">sample</span>' in html
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html

    bad: list[str] = []

    class Attrs(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            bad.extend(f"{tag} {k}" for k, _ in attrs if k.startswith("on"))

    Attrs().feed(html)
    assert bad == []


WIDTHS = ((1280, 800), (390, 844))


@pytest.mark.chromium
def test_release_dashboard_in_chromium_at_1280_and_390(
    program: dict[str, Any], tmp_path: Path
) -> None:
    """Every section is there and visible, nothing overflows the page sideways, and the
    recent-runs table is not clipped: at 1280 px it fits its container, at 390 px its rows
    reflow into blocks."""
    with chromium() as browser:
        for width, height in WIDTHS:
            page = browser.new_page(viewport={"width": width, "height": height})
            problems: list[str] = []
            page.on("pageerror", lambda e, seen=problems: seen.append(str(e)))
            page.goto(program["out"].as_uri(), wait_until="load")
            for section in ("summary", "lanes", "releases", "kpis", "runs"):
                assert page.locator(f"#{section}").is_visible(), (section, width)
            assert page.locator('#lanes article[data-status="not-run"]').count() == 2
            assert page.locator('#lanes [data-controls="not-reached"]').first.is_visible()
            assert page.locator('#releases [data-override="yes"]').first.is_visible()
            assert page.locator('#releases [data-rollback="yes"]').first.is_visible()
            assert page.locator("#runs [data-triage]").first.is_visible()
            assert page.locator("#runs details").first.is_visible()
            scroll, inner = page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]"
            )
            assert scroll <= inner, f"horizontal overflow at {width}px: {scroll} > {inner}"
            table, box = page.evaluate(
                "(() => { const t = document.querySelector('#runs table');"
                " return [t.scrollWidth, t.parentElement.clientWidth]; })()"
            )
            assert table <= box, f"recent runs clipped at {width}px: {table} > {box}"
            shot = tmp_path / f"dash-{width}.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            assert problems == []
            page.close()
    shots = Path("/tmp")  # for a person to look at, when asked: LANE_TASKS_KEEP_SHOTS=1
    if __import__("os").environ.get("LANE_TASKS_KEEP_SHOTS") == "1":
        for width, _ in WIDTHS:
            shutil.copy(tmp_path / f"dash-{width}.png", shots / f"dash-{width}.png")
