"""Listings in Sphinx and MkDocs sites, in Chromium: recorded values, assets, the host's dark mode, axe-core."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from browser_support import AXE, BROWSER_MARKS, SHOTS, Tab, browser  # noqa: F401 (fixture)
from integrations import mkdocs_build, mkdocs_project, sphinx_build, sphinx_project

pytestmark = BROWSER_MARKS

LIGHT_BG, DARK_BG = "rgb(248, 246, 241)", "rgb(19, 21, 25)"  # tracekit.css's --bg, light and dark


def _axe_on_listings(tab: Tab) -> list[str]:
    """axe-core's WCAG 2 A/AA violations inside the listings (the host theme's own chrome is not ours)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make browser` (npm ci) to install axe-core")
    tab.page.add_script_tag(path=str(AXE))
    return tab.page.evaluate(
        """async () => {
            const r = await axe.run({include: [['.tk-embed']]}, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
            return r.violations.map(v => v.nodes.map(n => v.id + ': ' + n.target.join(' '))).flat();
        }"""
    )


@contextmanager
def _served(folder: Path) -> Iterator[str]:
    """FOLDER over HTTP on the loopback address (MkDocs' search runs a worker, which file:// refuses)."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _check(browser, url: str, *, scheme: str, background: str, shot: str) -> None:  # noqa: F811
    tab = Tab(browser, url, scheme=scheme)
    try:
        p = tab.page
        p.wait_for_load_state("networkidle")
        SHOTS.mkdir(parents=True, exist_ok=True)
        p.screenshot(path=str(SHOTS / f"{shot}.png"))
        assert tab.errors == []
        assert "total is 6" in p.locator(".tk-embed").first.inner_text()
        # the stylesheet and the script loaded, from the site itself
        assert p.evaluate("() => getComputedStyle(document.querySelector('.tk-embed')).backgroundColor") == background
        assert p.evaluate("() => document.documentElement.classList.contains('js')")
        assert p.locator(".tk-embed .toolbar").first.is_visible()
        assert all(r.startswith(("file://", "data:", "http://127.0.0.1:")) for r in tab.requests), tab.requests  # nothing from elsewhere
        # icons resolve within the page: the sprite is there once
        assert p.locator("svg symbol#i-file").count() == 1
        assert _axe_on_listings(tab) == []
    finally:
        tab.close()


@pytest.mark.parametrize(
    ("theme", "scheme", "background"),
    [("alabaster", "dark", LIGHT_BG), ("furo", "dark", DARK_BG), ("pydata_sphinx_theme", "dark", DARK_BG)],
    ids=["alabaster-has-no-dark-mode", "furo-dark", "pydata-dark"],
)
def test_sphinx_themes(browser, tmp_path: Path, theme: str, scheme: str, background: str) -> None:  # noqa: F811
    # pydata-sphinx-theme logs an error of its own unless its default mode is set
    project = sphinx_project(tmp_path, theme, extra='html_context = {"default_mode": "auto"}' if theme == "pydata_sphinx_theme" else "")
    done = sphinx_build(project)
    assert done.returncode == 0, done.stderr
    page = "page.html" if theme == "pydata_sphinx_theme" else "index.html"
    _check(browser, (project / "_build" / "html" / page).as_uri(), scheme=scheme, background=background, shot=f"sphinx-{theme}")


def test_furo_follows_its_own_switch_to_light(browser, tmp_path: Path) -> None:  # noqa: F811
    project = sphinx_project(tmp_path, "furo")
    assert sphinx_build(project).returncode == 0
    tab = Tab(browser, (project / "_build" / "html" / "index.html").as_uri(), scheme="dark")
    try:
        p = tab.page
        bg = "() => getComputedStyle(document.querySelector('.tk-embed')).backgroundColor"
        assert p.evaluate(bg) == DARK_BG
        p.evaluate("() => { document.body.dataset.theme = 'light'; }")
        assert p.evaluate(bg) == LIGHT_BG
    finally:
        tab.close()


@pytest.mark.parametrize(("theme", "background"), [("mkdocs", LIGHT_BG), ("material", DARK_BG)], ids=["mkdocs", "material-slate"])
def test_mkdocs_themes(browser, tmp_path: Path, theme: str, background: str) -> None:  # noqa: F811
    project = mkdocs_project(tmp_path, theme)
    done = mkdocs_build(project)
    assert done.returncode == 0, done.stderr
    with _served(project / "site") as root:
        _check(browser, root + "guide/loop/", scheme="light", background=background, shot=f"mkdocs-{theme}")


@pytest.mark.parametrize(("tool", "theme"), [("sphinx", "furo"), ("mkdocs", "material")], ids=["sphinx-furo", "mkdocs-material"])
def test_a_varied_listing_switches_its_runs(browser, tmp_path: Path, tool: str, theme: str) -> None:  # noqa: F811
    from integrations import STEP, write

    step = STEP.format(log=str(tmp_path / "steps.log"))
    if tool == "sphinx":
        project = sphinx_project(tmp_path, theme)
        write(project, {"examples/step.py": step, "docs/step.rst": "Step\n====\n\n.. tracekit:: ../examples/step.py\n   :vary: lr=0.01,0.1\n"})
        index = project / "docs" / "index.rst"
        index.write_text(index.read_text() + "   step\n")
        assert sphinx_build(project).returncode == 0
        opened = _opened(browser, (project / "_build" / "html" / "step.html").as_uri())
    else:
        project = mkdocs_project(tmp_path, theme)
        write(project, {"examples/step.py": step, "docs/step.md": "# Step\n\n```{listing} ../examples/step.py\n:vary: lr=0.01,0.1\n```\n"})
        assert mkdocs_build(project).returncode == 0
        with _served(project / "site") as root:
            opened = _opened(browser, root + "step/")
    assert opened == ["w is 2.0", "w is 2.98", "w is 2.8", "Showing the run with lr = 0.1.", "#tk1-lr=0.1"]


def _opened(browser, url: str) -> list[str]:  # noqa: F811
    """What the listing's run shows first and after picking lr = 0.01, then 0.1; the status and the fragment."""
    tab = Tab(browser, url)
    try:
        p = tab.page
        p.wait_for_load_state("networkidle")
        box = p.locator(".tk-embed fieldset.vary")
        assert box.is_visible()

        def printed() -> str:
            text = " ".join(p.locator(".tk-embed .tk-vr").inner_text().split())
            return next(m for m in ("w is 2.98", "w is 2.8", "w is 2.0") if m in text)

        seen = [printed()]
        for value in ("0.01", "0.1"):
            box.locator(f"label:has-text('{value}')").first.click()
            seen.append(printed())
        seen += [p.locator(".tk-embed .vary-s").inner_text(), p.evaluate("location.hash")]
        assert tab.errors == []
        assert _axe_on_listings(tab) == []
        return seen
    finally:
        tab.close()
