"""Chapters and books in a real browser, from file:// (and live reload from `tracekit serve`)."""

from __future__ import annotations

import shutil
import textwrap
import threading
import time
from pathlib import Path

import pytest
from browser_support import BROWSER_MARKS, ROOT, SHOTS, Tab, assert_reads_as_a_page, browser  # noqa: F401 (fixture)

from tracekit.config import load_config
from tracekit.site import Reporter, build

pytestmark = BROWSER_MARKS
QUIET = Reporter(verbosity=-1)
# the introduction chapter's listings, in its order
SEED = [
    "numpy_to_pytorch",
    "pytorch_operations",
    "first_gradient",
    "graph_of_a_polynomial",
    "neuron_comparison",
    "one_step_of_learning",
    "learning_rate_regimes",
]

LOOP = '''
"""{title}

A loop.
"""
total = 0
#: Each pass adds `i`.
for i in range({n}):
    total += i
    print(total)
'''


def _site(folder: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (folder / "ex" / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / "ex" / rel).write_text(textwrap.dedent(text).lstrip("\n"))
    (folder / "pyproject.toml").write_text('[tool.tracekit]\nexamples = "ex"\noutput = "out"\ntitle = "Book"\n')
    result = build(config=load_config(pyproject=folder / "pyproject.toml"), reporter=QUIET)
    assert result.exit_status == 0, [o.lines() for o in result.failed]
    return folder / "out"


@pytest.fixture(scope="module")
def seed_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch")
    folder = tmp_path_factory.mktemp("seed")
    (folder / "ex").mkdir()
    for name in SEED:
        shutil.copy(ROOT / "examples" / f"{name}.py", folder / "ex")
    shutil.copy(ROOT / "examples" / "introduction_to_pytorch.md", folder / "ex")
    shutil.copy(ROOT / "examples" / "backward_twice.py", folder / "ex")
    (folder / "pyproject.toml").write_text(
        '[tool.tracekit]\nexamples = "ex"\noutput = "out"\ntitle = "PyTorch, line by line"\norder = ["introduction_to_pytorch.md"]\n'
    )
    result = build(config=load_config(pyproject=folder / "pyproject.toml"), reporter=QUIET)
    assert result.exit_status == 0
    return folder / "out"


@pytest.fixture(scope="module")
def loops_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("loops")
    chapter = "# Two loops\n\n```{listing} a.py\n```\n\nAnd another.\n\n```{listing} b.py\n```\n"
    return _site(folder, {"1-loops.md": chapter, "a.py": LOOP.format(title="Three passes", n=3), "b.py": LOOP.format(title="Four passes", n=4)})


def test_seven_listings_no_duplicate_ids_no_errors(browser, seed_site: Path) -> None:
    tab = Tab(browser, (seed_site / "introduction_to_pytorch.html").as_uri())
    try:
        p = tab.page
        p.wait_for_load_state("networkidle")
        assert tab.errors == []
        assert all(url.startswith("file://") for url in tab.requests)
        dup = p.evaluate(
            "() => { const s = {}, d = []; document.querySelectorAll('[id]').forEach(e => { if (s[e.id]) d.push(e.id); s[e.id] = 1; }); return d; }"
        )
        assert dup == []
        assert p.locator("section.embed").count() == 7
        files = [t.strip() for t in p.locator(".embed-f a").all_inner_texts()]
        assert files == [f"{n}.py" for n in SEED]
        text = " ".join(p.locator("main").inner_text().split())
        assert "[[40.7270, 11.5755, 10.1581]]" in text and "1.6204" in text and "1.7839" in text and "1.0081" in text
    finally:
        tab.close()


def test_listing_clicks_select_in_their_own_listing(browser, seed_site: Path) -> None:
    tab = Tab(browser, (seed_site / "introduction_to_pytorch.html").as_uri())
    try:
        p = tab.page
        p.locator("#x6-listing .row", has_text="binary_cross_entropy").first.click()
        active = p.locator(".card.is-active")
        assert active.count() == 1
        assert active.first.get_attribute("id").startswith("x6-")
        assert "tensor(1.0081, grad_fn=<BinaryCrossEntropyBackward0>)" in " ".join(active.inner_text().split())
        p.locator("#x3-listing .row", has_text="backward").first.click()
        assert p.locator("#x3-listing .card.is-active").count() == 1
        assert p.locator("#x6-listing .card.is-active").count() == 1  # the other listing keeps its selection
        assert "#x3-" in p.url
        assert tab.errors == []
    finally:
        tab.close()


def test_hit_stepping_is_per_listing(browser, loops_site: Path) -> None:
    tab = Tab(browser, (loops_site / "1-loops.html").as_uri())
    try:
        p = tab.page
        first, second = p.locator("#x1-listing .hits").first, p.locator("#x2-listing .hits").first
        assert first.locator(".step-pos").inner_text() == "hit 1 of 3"
        assert second.locator(".step-pos").inner_text() == "hit 1 of 4"
        first.locator('[data-step="1"]').click()
        first.locator('[data-step="1"]').click()
        assert first.locator(".step-pos").inner_text() == "hit 3 of 3"
        assert second.locator(".step-pos").inner_text() == "hit 1 of 4"
        second.locator('[data-step="1"]').click()
        assert second.locator(".step-pos").inner_text() == "hit 2 of 4" and first.get_attribute("data-current") == "3"
        assert tab.errors == []
    finally:
        tab.close()


def test_contents_and_previous_next_resolve(browser, seed_site: Path) -> None:
    tab = Tab(browser, (seed_site / "index.html").as_uri())
    try:
        p = tab.page
        links = p.locator("main.toc a")
        hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
        assert hrefs[:8] == ["introduction_to_pytorch.html"] + [f"{n}.html" for n in SEED]
        p.locator("main.toc a", has_text="Introduction to PyTorch").click()
        p.wait_for_load_state("load")
        assert p.title() == "Introduction to PyTorch"
        assert "Section 1 of 2" in p.locator(".where").inner_text()
        p.locator("a.pager-next").click()
        p.wait_for_load_state("load")
        assert p.url.endswith("/backward_twice.html")
        p.locator("a.pager-prev").click()
        p.wait_for_load_state("load")
        assert p.url.endswith("/introduction_to_pytorch.html")
        p.goto((seed_site / "first_gradient.html").as_uri())
        assert p.locator(".crumbs a", has_text="Introduction to PyTorch").count() == 1
        p.locator("a.pager-next").click()
        p.wait_for_load_state("load")
        assert p.url.endswith("/graph_of_a_polynomial.html")
        p.locator(".toc-box summary").click()
        assert p.locator(".toc-box .toc-here").inner_text() == p.locator("h1").inner_text()
        assert tab.errors == []
    finally:
        tab.close()


def test_notebook_download_exists_and_validates(browser, seed_site: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    tab = Tab(browser, (seed_site / "one_step_of_learning.html").as_uri())
    try:
        href = tab.page.locator("a.dl", has_text="Notebook").get_attribute("href")
        nb = nbformat.read(seed_site / href, as_version=4)
        nbformat.validate(nb)
        outputs = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
        assert "Loss: 1.0081" in outputs
        src = tab.page.locator("a.dl", has_text="one_step_of_learning.py").get_attribute("href")
        assert (seed_site / src).read_bytes() == (ROOT / "examples" / "one_step_of_learning.py").read_bytes()
    finally:
        tab.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 1280, 1920])
def test_chapter_screenshots(browser, seed_site: Path, width: int, scheme: str) -> None:
    for rel in ("introduction_to_pytorch.html", "index.html", "first_gradient.html"):
        tab = Tab(browser, (seed_site / rel).as_uri(), width=width, scheme=scheme)
        try:
            p = tab.page
            p.wait_for_load_state("networkidle")
            overflow = p.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{rel} scrolls sideways by {overflow}px at {width}px"
            out = SHOTS / "book" / f"{Path(rel).stem}-{width}-{scheme}.png"
            out.parent.mkdir(parents=True, exist_ok=True)
            p.screenshot(path=str(out), full_page=rel != "introduction_to_pytorch.html")
            if rel == "introduction_to_pytorch.html":
                p.locator("#x6-listing").scroll_into_view_if_needed()
                p.evaluate("document.querySelector('#x6-listing').scrollIntoView()")
                p.screenshot(path=str(out.with_name(out.stem + "-listing.png")))
                # the picture shows the sixth listing, with its lines
                assert p.evaluate(
                    "(() => { const r = document.querySelector('#x6-listing').getBoundingClientRect(); return r.height > 0 && r.top < innerHeight && r.bottom > 0; })()"
                )
                assert p.locator("#x6-listing .row").count() > 0 and p.locator("#x6-listing").inner_text().strip()
            assert_reads_as_a_page(tab)
            assert tab.errors == []
        finally:
            tab.close()


def test_live_reload_keeps_place_and_shows_a_failed_rebuild(browser, loops_site: Path) -> None:
    from tracekit.livereload import LiveState
    from tracekit.serve import Server

    live = LiveState()
    server = Server(loops_site, port=0, live=live).start()
    try:
        assert "__tracekit__" not in (loops_site / "1-loops.html").read_text()  # never in the built file
        tab = Tab(browser, server.url + "1-loops.html", width=1280, height=500)
        try:
            p = tab.page
            p.evaluate("window.scrollTo(0, 400)")
            time.sleep(1.0)
            p.evaluate("window.__marker = 1")
            live.rebuilt()
            p.wait_for_function("() => window.__marker === undefined", timeout=10_000)  # it reloaded
            p.wait_for_function("() => window.scrollY === 400", timeout=5_000)
            live.rebuilt("examples/a.py: cannot read")
            box = p.locator("#tk-live-error")
            box.wait_for(timeout=5_000)
            assert "cannot read" in box.inner_text() and "out of date" in box.inner_text()
            assert tab.errors == []
        finally:
            tab.close()
    finally:
        server.stop()


def test_serve_watch_rebuilds_then_the_open_page_reloads(browser, tmp_path: Path) -> None:
    from tracekit.livereload import LiveState
    from tracekit.serve import serve

    out = _site(tmp_path, {"a.py": LOOP.format(title="Three passes", n=3)})
    cfg = load_config(pyproject=tmp_path / "pyproject.toml")
    live, stop = LiveState(), threading.Event()
    urls: list[str] = []
    thread = threading.Thread(
        target=serve,
        args=(out,),
        kwargs=dict(port=0, watch=[tmp_path / "ex"], rebuild=lambda: build(config=cfg, reporter=QUIET), echo=urls.append, stop=stop, live=live),
    )
    thread.start()
    try:
        deadline = time.time() + 10
        while not urls and time.time() < deadline:
            time.sleep(0.05)
        url = urls[0].split(" at ")[1].split(" ")[0]
        tab = Tab(browser, url + "a.html")
        try:
            assert tab.page.locator(".step-pos").first.inner_text() == "hit 1 of 3"
            time.sleep(0.8)
            src = tmp_path / "ex" / "a.py"
            src.write_text(src.read_text().replace("range(3)", "range(5)"))
            tab.page.wait_for_function(
                "() => document.querySelector('.step-pos') && document.querySelector('.step-pos').textContent === 'hit 1 of 5'", timeout=20_000
            )
        finally:
            tab.close()
    finally:
        stop.set()
        thread.join(timeout=10)
