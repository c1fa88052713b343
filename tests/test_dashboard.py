"""`lane-tasks dashboard` end to end: a real project's real lane runs plus an imported program
history, rendered to one self-contained file and opened in headless Chromium."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from browser import visit
from helpers import make_project, run_cli, run_nox
from history_data import generated


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project that ran its startup lane, imported two other repositories' history and
    events, and recorded a KPI review ten days ago (overdue under the weekly period)."""
    base = tmp_path_factory.mktemp("dash")
    root = make_project(base)
    r = run_nox(root, "-s", "startup")
    assert r.returncode == 0, r.stdout + r.stderr
    h = generated()
    assert run_cli(root, "history", "import", str(h.write(base / "h.jsonl"))).returncode == 0
    events = base / "events.jsonl"
    events.write_text("".join(json.dumps(e) + "\n" for e in h.events))
    assert run_cli(root, "events", "import", str(events)).returncode == 0
    review = run_cli(
        root, "kpi", "review", "--reviewer", "lead", "--lane", "startup",
        "--now", "2026-11-20T09:00:00Z",
    )  # fmt: skip
    assert review.returncode == 0, review.stderr
    r = run_cli(
        root, "dashboard", "--out", "build/dashboard/index.html", "--now", "2026-11-30T09:00:00Z"
    )
    assert r.returncode == 0, r.stderr
    assert "3 repositories" in r.stdout
    return root


def page(root: Path) -> str:
    return (root / "build" / "dashboard" / "index.html").read_text(encoding="utf-8")


@pytest.mark.e2e
def test_the_dashboard_shows_the_recorded_history(program: Path) -> None:
    html = page(program)
    runs = json.loads(run_cli(program, "runs", "list", "--format", "json").stdout)
    # the real lane run, by repository and lane, with its controls
    assert 'data-repo="sample"' in html and runs[0]["id"] in html
    for control in ("release-confidence-path", "artifact-retention", "release-owner"):
        assert f'data-control="{control}"' in html
    # one card is one run: the startup card is that run's, with that run's controls
    lane_card = html[
        html.rindex("<article", 0, html.index('data-repo="sample" data-lane="startup"')) :
    ]
    lane_card = lane_card[: lane_card.index("</article>")]
    assert f'data-run="{runs[0]["id"]}"' in lane_card and 'data-controls="reached"' in lane_card
    # the manifest's duration is the run's: from before its first step to after its last
    hist = sqlite3.connect(program / "build" / "lanes" / "history.sqlite")
    first, last = hist.execute(
        "SELECT min(started_at), max(ended_at) FROM steps WHERE run_id = ?", (runs[0]["id"],)
    ).fetchone()
    hist.close()
    steps_span = (datetime.fromisoformat(last) - datetime.fromisoformat(first)).total_seconds()
    assert runs[0]["duration_s"] >= steps_span - 1.0  # the step times are whole seconds
    began = datetime.fromisoformat(runs[0]["started_at"])
    assert (began - datetime.fromisoformat(first)).total_seconds() < 1.0
    # configured lanes that never ran here say so
    assert 'data-repo="sample" data-lane="scale" data-status="not-run"' in html
    # the imported repositories too
    assert 'data-repo="acme/app"' in html and 'data-repo="acme/lib"' in html
    # every KPI, with the value `lane-tasks kpi` computes from the same history
    kpis = json.loads(
        run_cli(program, "kpi", "--all", "--format", "json", "--now", "2026-11-30T09:00:00Z").stdout
    )["kpis"]
    for k in kpis:
        card = re.search(rf'data-kpi="{k["id"]}".*?</article>', html, re.S)
        assert card is not None, k["id"]
        assert k["display"] in card.group(0), (k["id"], k["display"])
    # the review is ten days old: overdue
    assert re.search(r'data-kpi-review="overdue"', html)
    # self-contained and small
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert len(html.encode()) < 2_000_000


@pytest.mark.e2e
@pytest.mark.chromium
def test_the_dashboard_renders_in_chromium(program: Path, tmp_path: Path) -> None:
    def check(p: Any, width: int) -> None:
        assert p.locator("#summary [data-kpi-review]").is_visible()
        assert p.locator('#lanes [data-repo="sample"]').first.is_visible()
        assert p.locator("#kpis [data-kpi]").count() == 6
        for i in range(6):
            assert p.locator("#kpis [data-kpi]").nth(i).is_visible()
        assert p.locator("#runs table").is_visible()
        scroll, inner = p.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll <= inner, f"horizontal overflow at {width}px"

    seen = visit(program / "build" / "dashboard" / "index.html", check, tmp_path)
    assert all(u.startswith("file://") for u in seen.requests), seen.requests
    assert seen.problems == []
