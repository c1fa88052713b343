"""Headless Debian Chromium for tests: playwright only as the driver of /usr/bin/chromium
(never `playwright install`, which would download a browser), with the flags this machine's
closed network needs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDTHS = ((1280, 800), (375, 812))
"""A laptop and a phone."""


@dataclass
class Visit:
    """What loading a page did: every request it made, and console errors or page errors."""

    requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@contextmanager
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); .ci/run installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=60_000
        )
        try:
            yield browser
        finally:
            browser.close()


def visit(page_file: Path, check: Callable[[Any, int], None], shots: Path) -> Visit:
    """Open `page_file` at each of WIDTHS, run `check(page, width)`, screenshot into `shots`."""
    seen = Visit()
    with chromium() as browser:
        for width, height in WIDTHS:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.on("request", lambda r: seen.requests.append(r.url))
            page.on(
                "console",
                lambda m: seen.problems.append(m.text) if m.type in ("error", "warning") else None,
            )
            page.on("pageerror", lambda e: seen.problems.append(str(e)))
            page.goto(page_file.as_uri(), wait_until="load")
            check(page, width)
            page.screenshot(path=str(shots / f"dashboard-{width}.png"), full_page=True)
            page.close()
    return seen
