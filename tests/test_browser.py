"""Rendered fixture pages in a real browser (Debian's chromium through Playwright).

Pages are written to test-artifacts/pages/ and opened from file://; screenshots go to
test-artifacts/screenshots/ (desktop 1280 and phone 390 wide, light and dark).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from browser_support import ARTIFACTS, BROWSER_MARKS, CHROMIUM, ROOT, SHOTS, Tab, assert_reads_as_a_page, browser  # noqa: F401 (fixture)
from fixtures import CASES, FIGURES, load_case

from tracekit.render import page_json, render_page, write_assets
from tracekit.site import Reporter, build

pytestmark = BROWSER_MARKS


BOOK = {
    "autograd/first_gradient.py": '"""Your First Gradient\n\nWe compute y.\n"""\ny = 2 * 3\n',
    "autograd/descent.py": '"""Descent\n\nFit `w`.\n"""\nw = 1\n',
    "broken.py": '"""Broken"""\nraise ValueError("no")\n',
}


@pytest.fixture(scope="module")
def site() -> Path:
    out = ARTIFACTS / "pages"
    out.mkdir(parents=True, exist_ok=True)
    assets = write_assets(out)
    shutil.copytree(FIGURES, out / "figures", dirs_exist_ok=True)  # as a build writes them
    for name in CASES:
        ex, tr = load_case(name)
        rel = Path(ex.path).with_suffix(".html")
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        root_rel = "../" * (len(rel.parts) - 1)
        (out / rel).write_text(render_page(ex, tr, assets=assets, root_rel=root_rel, json_name=rel.with_suffix(".json").name), encoding="utf-8")
        (out / rel.with_suffix(".json")).write_text(page_json(ex, tr), encoding="utf-8")
    # the index as a build writes it, of a small folder of examples (one of them failing)
    src = ARTIFACTS / "book-src"
    shutil.rmtree(src, ignore_errors=True)
    shutil.rmtree(out / "book", ignore_errors=True)
    for rel, text in BOOK.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(text, encoding="utf-8")
    build([src], output=out / "book", jobs=1, reporter=Reporter(verbosity=-1))
    return out


@pytest.fixture
def tab(browser, site):
    tabs: list[Tab] = []

    def open_(rel: str, **kw) -> Tab:
        t = Tab(browser, (site / rel).as_uri(), **kw)
        tabs.append(t)
        return t

    yield open_
    for t in tabs:
        t.close()


PAGES = ["autograd/first_gradient.html", "autograd/descent.html", "broken.html", "book/index.html", "gallery/image_grid.html", "gallery/plots.html"]


@pytest.mark.parametrize("rel", PAGES)
def test_no_console_errors_and_no_network(tab, rel):
    t = tab(rel)
    t.page.wait_for_timeout(100)
    assert t.errors == []
    assert t.requests and all(u.startswith("file://") for u in t.requests), t.requests
    # the stylesheet and the script were found and applied
    assert t.page.evaluate("document.documentElement.classList.contains('js')") is True
    assert t.page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgba(0, 0, 0, 0)"


def test_clicking_a_listing_line_highlights_its_card(tab):
    t = tab("autograd/first_gradient.html")
    p = t.page
    p.click("#L8 .lt")
    card = p.locator("#line-8")
    assert "is-active" in card.get_attribute("class")
    assert "is-active" in p.locator("#L8").get_attribute("class")
    p.wait_for_function("() => { const r = document.getElementById('line-8').getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight; }")
    # only one card is selected at a time
    p.click("#L15 .lt")
    assert p.locator(".card.is-active").count() == 1
    assert "is-active" in p.locator("#line-15").get_attribute("class")
    assert "is-active" not in (p.locator("#L8").get_attribute("class") or "")


def test_clicking_a_folded_line_opens_its_fold(tab):
    t = tab("autograd/descent.html")  # first_gradient has no fold: its unexplained print is shown
    p = t.page
    assert p.locator("#fold-12").evaluate("d => d.open") is False
    p.click("#L13 .lt")
    assert p.locator("#fold-12").evaluate("d => d.open") is True
    assert "is-active" in p.locator("#f-13").get_attribute("class")
    assert p.locator("#fold-12").inner_text().startswith("2 lines without explanation")


def test_clicking_a_card_highlights_the_listing(tab):
    t = tab("autograd/descent.html")
    p = t.page
    p.click("#line-3 .prose")
    rows = [p.locator(f"#L{n}").get_attribute("class") for n in (3, 4, 5, 6)]
    assert ["is-active" in r for r in rows] == [True, True, True, False]
    assert p.evaluate("location.hash") == "#line-3"


def test_j_and_k_move_between_cards(tab):
    t = tab("autograd/first_gradient.html")
    p = t.page
    p.keyboard.press("j")
    assert p.locator(".card.is-active").get_attribute("id") == "line-1"
    p.keyboard.press("j")
    p.keyboard.press("j")
    assert p.locator(".card.is-active").get_attribute("id") == "line-4"
    p.keyboard.press("k")
    assert p.locator(".card.is-active").get_attribute("id") == "line-3"


def test_stepping_through_hits(tab):
    t = tab("autograd/descent.html")
    p = t.page
    card = p.locator("#line-11")
    stepper = card.locator(".stepper")
    assert stepper.is_visible()
    pos = stepper.locator(".step-pos")
    prev, nxt = stepper.locator('[data-step="-1"]'), stepper.locator('[data-step="1"]')
    visible = card.locator(".hit:visible")
    assert pos.inner_text() == "hit 1 of 5" and prev.is_disabled()
    assert visible.count() == 1 and "tensor(42., grad_fn=<MeanBackward0>)" in visible.inner_text()
    nxt.click()
    assert pos.inner_text() == "hit 2 of 5"
    assert visible.count() == 1 and "tensor(11.9467, grad_fn=<MeanBackward0>)" in visible.inner_text()
    nxt.click()
    assert pos.inner_text() == "hit 3 of 5" and nxt.is_disabled()
    assert "tensor(3.3982, grad_fn=<MeanBackward0>)" in visible.inner_text()
    prev.click()
    assert pos.inner_text() == "hit 2 of 5"
    # the loop header's final value and the later output stay visible
    final = p.locator("#line-10 .st-final")
    assert final.is_visible() and " ".join(final.inner_text().split()).endswith("step = 4")
    assert "step 4: loss 0.2749" in p.locator("#line-16").inner_text()


def test_expand_and_collapse_all(tab):
    t = tab("autograd/first_gradient.html")
    p = t.page
    p.click("[data-action=expand]")
    assert p.evaluate("[...document.querySelectorAll('details.fold')].every(d => d.open)")
    assert p.locator("#f-9").is_visible()
    p.click("[data-action=collapse]")
    assert p.evaluate("[...document.querySelectorAll('details.fold')].every(d => !d.open)")


def test_readable_without_javascript(tab):
    t = tab("autograd/descent.html", js=False)
    p = t.page
    assert p.locator(".toolbar").is_hidden() and p.locator("#line-11 .stepper").is_hidden()
    assert p.locator("#line-11 .hit").first.is_visible()
    p.click("#line-11 .hit-more > summary")
    assert p.locator("#line-11 .hit").nth(2).is_visible()
    assert "tensor(3.3982, grad_fn=<MeanBackward0>)" in p.locator("#line-11").inner_text()
    p.click("#fold-12 > summary")
    assert p.locator("#f-12").is_visible()
    # listing numbers are plain links to the cards
    p.click("#L14 .ln")
    assert p.evaluate("location.hash") == "#line-14"


def test_hostile_value_is_shown_as_text(tab):
    t = tab("autograd/descent.html")
    p = t.page
    assert p.evaluate("window.__pwned === undefined")
    text = p.locator("#line-18").inner_text()
    assert "</script><script>alert(1)</script> & <b>bold</b>" in text
    assert p.locator("#line-18 b").count() == 0


def test_icons_are_svg_not_emoji(tab):
    t = tab("autograd/first_gradient.html")
    p = t.page
    box = p.locator("#line-4 .st-api .st-i svg").bounding_box()
    assert box and box["width"] >= 12 and box["height"] >= 12
    # the 📚 glyph is only present as visually hidden text (for copying), never drawn
    hidden = p.locator("#line-4 .st-api .vh").first
    assert hidden.inner_text().startswith("📚")
    assert hidden.evaluate("e => e.getBoundingClientRect().width") <= 1


@pytest.mark.parametrize("width", [390, 1280])
def test_no_horizontal_page_scroll(tab, width):
    for rel in PAGES:
        t = tab(rel, width=width)
        assert t.page.evaluate("document.documentElement.scrollWidth") <= width, rel


def test_dark_mode(tab):
    light = tab("autograd/first_gradient.html", scheme="light")
    dark = tab("autograd/first_gradient.html", scheme="dark")
    bg = "getComputedStyle(document.body).backgroundColor"
    assert light.page.evaluate(bg) != dark.page.evaluate(bg)


def test_layout_two_panes_on_desktop_one_column_on_phone(tab):
    desk = tab("autograd/first_gradient.html", width=1280)
    pane, cards = desk.page.locator(".listing-pane").bounding_box(), desk.page.locator(".cards").bounding_box()
    assert pane["x"] + pane["width"] <= cards["x"]  # listing on the left
    phone = tab("autograd/first_gradient.html", width=390)
    pane, cards = phone.page.locator(".listing-pane").bounding_box(), phone.page.locator(".cards").bounding_box()
    assert pane["y"] >= cards["y"] + cards["height"]  # listing after the cards


SHOT_PAGES = {
    "first_gradient": "autograd/first_gradient.html",
    "descent": "autograd/descent.html",
    "broken": "broken.html",
    "index": "book/index.html",
    "plots": "gallery/plots.html",
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_screenshots(tab, width, scheme):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, rel in SHOT_PAGES.items():
        t = tab(rel, width=width, scheme=scheme)
        if name == "descent":
            t.page.click("#line-11 [data-step='1']")  # show a stepped card in the picture
            assert " 2 of " in t.page.locator("#line-11 .step-pos").inner_text()  # the card shows the second step
        if name == "plots":  # a full-page picture: load the lazy images first
            t.page.evaluate("document.querySelectorAll('img').forEach(i => { i.loading = 'eager'; })")
            t.page.wait_for_function("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
        t.page.wait_for_timeout(50)
        path = SHOTS / f"{name}-{'desktop' if width > 600 else 'phone'}-{scheme}.png"
        t.page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 10_000
        assert_reads_as_a_page(t)
        assert t.errors == []


@pytest.mark.parametrize("width,scheme", [(1280, "light"), (390, "dark")])
def test_screenshot_of_a_selection(tab, width, scheme):
    """The two panes in use: a listing line clicked, its card highlighted (the mock-up's view)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    t = tab("autograd/first_gradient.html", width=width, scheme=scheme)
    if width > 600:
        t.page.click("#L4 .lt")
    else:
        t.page.click("#line-8 .prose")
        t.page.locator("#line-8").scroll_into_view_if_needed()
    t.page.wait_for_timeout(400)  # smooth scrolling
    path = SHOTS / f"first_gradient-{'desktop' if width > 600 else 'phone'}-{scheme}-selected.png"
    t.page.screenshot(path=str(path))
    assert t.page.locator(".card.is-active").count() == 1 and t.errors == []
    # the picture shows the selected card: it is on the screen
    assert t.page.evaluate(
        "(() => { const r = document.querySelector('.card.is-active').getBoundingClientRect(); return r.height > 0 && r.top < innerHeight && r.bottom > 0; })()"
    )


# ── figures and pictures ─────────────────────────────────────────────────────


def loaded(img) -> dict:
    """Scroll IMG into view (figures load lazily) and wait until it has decoded."""
    img.scroll_into_view_if_needed()
    img.evaluate("i => i.decode().catch(() => null)")
    img.page.wait_for_function("i => i.complete", arg=img.element_handle())
    return img.evaluate(
        "i => ({w: i.naturalWidth, h: i.naturalHeight, aw: +i.getAttribute('width'), ah: +i.getAttribute('height'), box: i.getBoundingClientRect().width})"
    )


@pytest.mark.parametrize("width", [1280, 390])
def test_figures_are_shown_on_their_line_and_fit_the_card(tab, width):
    t = tab("gallery/image_grid.html", width=width)
    p = t.page
    fig = p.locator(".card .fig img")
    assert fig.count() == 1
    info = loaded(fig.first)
    assert info["w"] > 0 and (info["w"], info["h"]) == (info["aw"], info["ah"]) == (640, 300)
    card = fig.first.locator("xpath=ancestor::article[1]")
    assert "plt.show()" in card.locator(".card-h").inner_text()
    inner = card.evaluate("c => { const r = c.getBoundingClientRect(); return [r.left, r.right]; }")
    box = fig.first.evaluate("i => { const r = i.getBoundingClientRect(); return [r.left, r.right]; }")
    assert inner[0] <= box[0] and box[1] <= inner[1]  # inside the card, scaled down on a phone
    assert info["box"] <= 640 and (width > 600 or info["box"] < 390)
    pix = p.locator("img.pix")
    assert pix.count() == 1
    info = loaded(pix.first)
    assert info["w"] == 64 and pix.first.evaluate("i => getComputedStyle(i).imageRendering") == "pixelated"
    tags = pix.first.locator("xpath=ancestor::div[contains(concat(' ', @class, ' '), ' st ')][1]").locator(".tag").all_inner_texts()
    assert tags[:2] == ["shape (8, 8)", "float64"]
    assert p.evaluate("document.documentElement.scrollWidth") <= width
    assert t.errors == []


def test_stepping_to_a_hit_shows_its_figure(tab):
    t = tab("gallery/plots.html")
    p = t.page
    card = p.locator("#line-29")
    first = card.locator(".hit:visible .fig img")
    assert first.count() == 1 and loaded(first.first)["w"] == 256
    src0 = first.first.get_attribute("src")
    card.locator("[data-step='1']").click()
    assert card.locator(".step-pos").inner_text() == "hit 2 of 4"
    second = card.locator(".hit:visible .fig img")
    assert second.count() == 1 and second.first.get_attribute("src") != src0
    assert loaded(second.first)["w"] == 256
    later = card.locator(".state > .figs .fig")
    assert "captured in a later hit" in later.inner_text() and loaded(later.locator("img").first)["w"] == 256
    note = p.locator(".note-limit")
    assert note.is_visible() and "3 figures captured; 1 more were not" in note.inner_text()
    # the decorated def's card steps through its calls
    assert p.locator("#line-17 .step-pos").inner_text() == "call 1 of 4"
    assert t.errors == []
