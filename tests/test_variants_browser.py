"""Switching between an example's recorded runs in a real browser, from file://."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from browser_support import BROWSER_MARKS, Tab, axe_violations, browser  # noqa: F401 (fixture)

from tracekit.site import build

pytestmark = BROWSER_MARKS
ROOT = Path(__file__).resolve().parent.parent
NAMES = ("graph_of_a_polynomial", "learning_rate_regimes")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("vary")
    (root / "ex").mkdir()
    for name in NAMES:
        shutil.copy(ROOT / "examples" / f"{name}.py", root / "ex")
    # the file's lines from the import to the loop, whose cards show each run's w
    chapter = "# Runs\n\nText.\n\n```{listing} learning_rate_regimes.py\n:lines: 7-21\n```\n"
    (root / "ex" / "runs.md").write_text(chapter, encoding="utf-8")
    assert build([root / "ex"], output=root / "out", jobs=2).exit_status == 0
    return root / "out"


def python_says(name: str, old: str, new: str) -> str:
    """What plain python prints running the example with one literal replaced."""
    text = (ROOT / "examples" / f"{name}.py").read_text(encoding="utf-8").replace(old, new, 1)
    env = {"MPLBACKEND": "agg", "PATH": ""}
    return subprocess.run([sys.executable, "-c", text], capture_output=True, text=True, check=True, env=env).stdout


@pytest.fixture
def tab(browser):  # noqa: F811 (the browser fixture)
    tabs: list[Tab] = []

    def open_(url: str, **kw) -> Tab:
        t = Tab(browser, url, **kw)
        tabs.append(t)
        return t

    yield open_
    for t in tabs:
        t.close()


def shown_output(p) -> str:
    """The text of the run shown, as the reader sees it."""
    return p.locator(".tk-vr").inner_text()


def ids(p) -> list[str]:
    return p.evaluate("Array.from(document.querySelectorAll('[id]')).map(e => e.id)")


@pytest.mark.parametrize("lr", ["0.01", "0.3", "0.9", "1.05", "0.1"])
def test_each_learning_rate_shows_what_python_prints_with_it(tab, site, lr):
    t = tab((site / "learning_rate_regimes.html").as_uri())
    p = t.page
    p.click(f"label:has-text('{lr}')")
    expected = python_says("learning_rate_regimes", "lr = 0.1 ", f"lr = {lr} ").strip()
    assert expected in shown_output(p)
    w = re.search(r"w = (\S+) after", expected).group(1)  # type: ignore[union-attr]
    assert f"After 20 steps w = {w}" in " ".join(p.locator(".tk-vr").inner_text().split())
    assert p.locator(f".tk-vr img[alt*='learning rate {lr}']").count() == 1
    assert p.locator("#vary-s").inner_text() == ("" if lr == "0.1" else f"Showing the run with lr = {lr}.")
    assert p.evaluate("location.hash") == ("" if lr == "0.1" else f"#lr={lr}")
    assert [k for k, n in Counter(ids(p)).items() if n > 1] == []
    assert t.errors == []


def test_the_keyboard_moves_between_inputs_and_the_graph_follows(tab, site):
    t = tab((site / "graph_of_a_polynomial.html").as_uri())
    p = t.page
    p.focus("input.vary-r:checked")
    p.keyboard.press("ArrowRight")  # radio groups move and select with the arrows
    assert p.locator("input.vary-r:checked").get_attribute("value") == "4.0"
    expected = python_says("graph_of_a_polynomial", "x0 = 2.0 ", "x0 = 4.0 ").strip()
    assert expected == "x = 4: y = 29, dy/dx = 11" and expected in shown_output(p)
    # the Backward stepper of the run shown reaches x with 2x + 3 = 11
    bar = p.locator(".tk-vr .ag-step[data-step='1']")
    for _ in range(p.locator(".tk-vr .ag-steps > li").count()):
        bar.click()
    assert p.locator(".tk-vr .ag-steps li[aria-current=step]").inner_text() == "x received tensor(11.); its .grad is now tensor(11.)"
    steps = p.locator(".tk-vr .ag-steps > li").all_inner_texts()
    assert "PowBackward0 received tensor(1.), passed on tensor(8.) to x" in steps
    assert "MulBackward0 received tensor(1.), passed on tensor(3.) to x" in steps
    p.focus("input.vary-r:checked")
    p.keyboard.press("ArrowLeft")
    assert p.evaluate("location.hash") == ""
    assert "x = 2: y = 11, dy/dx = 7" in shown_output(p)
    assert t.errors == []
    assert axe_violations(t) == []


def test_a_link_keeps_the_run_and_the_line(tab, site):
    t = tab((site / "learning_rate_regimes.html").as_uri() + "#lr=0.9&L12")
    p = t.page
    assert p.locator("input.vary-r:checked").get_attribute("value") == "0.9"
    assert "lr = 0.9: w = 2.9654" in shown_output(p)
    assert p.locator(".tk-vr #L12").get_attribute("class").split().count("is-active") == 1
    old = tab((site / "learning_rate_regimes.html").as_uri() + "#L12")  # links from before variants
    assert "is-active" in old.page.locator("#L12").get_attribute("class")
    assert old.page.locator("input.vary-r:checked").get_attribute("value") == "0.1"
    assert t.errors == [] and old.errors == []


def test_lines_that_differ_between_runs_are_marked(tab, site):
    p = tab((site / "learning_rate_regimes.html").as_uri()).page
    marked = p.locator(".tk-vr .row:has(.vary-m)").evaluate_all("rows => rows.map(r => r.id)")
    assert "L3" in marked and "L1" not in marked  # `lr = …` differs; the import does not
    assert p.locator(".tk-vr .vary-m").first.get_attribute("title") == "Its values differ between the recorded runs"


def test_without_javascript_the_default_run_shows(tab, site):
    p = tab((site / "learning_rate_regimes.html").as_uri(), js=False).page
    assert p.locator("fieldset.vary").is_hidden()
    assert "lr = 0.1: w = 2.9654" in shown_output(p)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_chapter_switches_its_listing_and_is_clean_at_390px(tab, site, scheme):
    t = tab((site / "runs.html").as_uri(), width=390, height=800, scheme=scheme)
    p = t.page
    p.click("label:has-text('1.05')")
    assert p.evaluate("location.hash") == "#x1-lr=1.05"
    assert "−17.18" in p.locator(".tk-vr").inner_text() or "-17.18" in p.locator(".tk-vr").inner_text()
    assert p.evaluate("document.documentElement.scrollWidth") <= 390
    assert [k for k, n in Counter(ids(p)).items() if n > 1] == []
    assert t.errors == []
    assert axe_violations(t) == []
