"""Shared pieces of the browser tests: Debian's chromium through Playwright, and a tab that logs."""

from __future__ import annotations

import os

import pytest
from helpers import ROOT

CHROMIUM = "/usr/bin/chromium"

ARTIFACTS = ROOT / "test-artifacts"
SHOTS = ARTIFACTS / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"]

BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed"),
]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Tab:
    """A page plus what it logged and requested."""

    def __init__(self, browser, url: str, *, width: int = 1280, height: int = 900, scheme: str = "light", js: bool = True) -> None:
        self.ctx = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme, java_script_enabled=js)
        self.page = self.ctx.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(url)
        self.page.wait_for_load_state("load")

    def close(self) -> None:
        self.ctx.close()


def assert_reads_as_a_page(tab: Tab) -> None:
    """What a reader sees of any page: a visible, non-empty title with content below it, and nothing scrolling sideways."""
    p = tab.page
    title = p.locator("h1").first
    assert title.is_visible() and title.inner_text().strip(), "the page shows no title"
    box = title.bounding_box()
    assert box is not None and box["height"] > 0
    assert p.evaluate("document.body.scrollHeight") > box["y"] + box["height"], "nothing below the title"
    overflow = p.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"


AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(tab: Tab) -> list[str]:
    """axe-core's WCAG 2 A and AA violations on the tab's page: "rule: selector (summary)" each."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make browser` (npm ci) to install axe-core")
    tab.page.add_script_tag(path=str(AXE))
    result = tab.page.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
            return r.violations.map(v => v.nodes.map(n => v.id + ': ' + n.target.join(' ') + ' (' + (n.failureSummary || '').split('\\n').slice(1, 2).join('').trim() + ')')).flat();
        }"""
    )
    return list(result)
