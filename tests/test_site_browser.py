"""The committed site (output/) in a real browser, opened from file:// as a reader would."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from browser_support import BROWSER_MARKS, ROOT, SHOTS, Tab, assert_reads_as_a_page, axe_violations, browser  # noqa: F401 (fixture)

pytestmark = BROWSER_MARKS

# TRACEKIT_TEST_OUTPUT points the tests at another build of the examples (while iterating).
OUTPUT = Path(os.environ.get("TRACEKIT_TEST_OUTPUT", ROOT / "output"))
PAGES = sorted(p.relative_to(OUTPUT).as_posix() for p in OUTPUT.rglob("*.html"))


def open_page(browser, rel: str, **kw) -> Tab:
    return Tab(browser, (OUTPUT / rel).as_uri(), **kw)


def test_the_site_has_every_example_and_an_index() -> None:
    assert "index.html" in PAGES and len(PAGES) >= 10


@pytest.mark.parametrize("rel", PAGES)
def test_page_loads_clean_offline_and_reads_at_desktop_and_phone_width(browser, rel: str) -> None:
    for width in (1280, 390):
        for scheme in ("light", "dark"):
            tab = open_page(browser, rel, width=width, scheme=scheme)
            try:
                tab.page.wait_for_load_state("networkidle")
                assert tab.errors == [], tab.errors
                assert all(url.startswith("file://") for url in tab.requests), tab.requests
                for img in tab.page.locator("img").all():
                    img.scroll_into_view_if_needed()  # images load lazily
                    tab.page.wait_for_function("(i) => i.complete && i.naturalWidth > 0", arg=img.element_handle(), timeout=10_000)
                out = SHOTS / "site" / f"{Path(rel).with_suffix('').as_posix().replace('/', '_')}-{'desktop' if width > 500 else 'phone'}-{scheme}.png"
                out.parent.mkdir(parents=True, exist_ok=True)
                # Chromium cannot capture a page taller than its texture limit (a chapter with
                # five listings is): such a page is captured a screen at a time, as read.
                tall = tab.page.evaluate("document.documentElement.scrollHeight") > 16000
                tab.page.screenshot(path=str(out), full_page=not tall)
                assert_reads_as_a_page(tab)
            finally:
                tab.close()


@pytest.mark.parametrize("rel", PAGES)
def test_no_wcag_violations_light_or_dark(browser, rel: str) -> None:
    for scheme in ("light", "dark"):
        tab = open_page(browser, rel, width=1280, scheme=scheme)
        try:
            violations = axe_violations(tab)
            assert violations == [], (scheme, len(violations), violations[:8])
        finally:
            tab.close()


def test_clicking_a_listing_line_shows_its_state(browser) -> None:
    tab = open_page(browser, "one_step_of_learning.html")
    try:
        p = tab.page
        line = p.locator(".row", has_text="binary_cross_entropy").first
        line.click()
        card = p.locator(".card.is-active")
        assert card.count() == 1
        text = " ".join(card.inner_text().split())
        assert "binary_cross_entropy" in text and "tensor(1.0081, grad_fn=<BinaryCrossEntropyBackward0>)" in text
        assert card.is_visible()
    finally:
        tab.close()


def test_stepping_through_a_training_loop(browser) -> None:
    tab = open_page(browser, "training_loop.html")
    try:
        p = tab.page
        card = p.locator(".card", has_text="for step in range(300)").first
        card.scroll_into_view_if_needed()
        stepper = card.locator(".stepper")
        pos = stepper.locator(".step-pos")
        assert pos.inner_text() == "hit 1 of 300"
        assert "step = 0" in " ".join(card.locator(".hit:visible").inner_text().split())
        stepper.locator('[data-step="1"]').click()
        assert pos.inner_text() == "hit 2 of 300"
        assert "step = 1" in " ".join(card.locator(".hit:visible").inner_text().split())
    finally:
        tab.close()
