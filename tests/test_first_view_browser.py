"""The reader's first view in Chromium: a code line opens its state, j/k step through cells, the
"All state" toggle is remembered, an old #L link opens its line; axe-core clean, no console errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import BROWSER_MARKS, Tab, axe_violations, browser  # noqa: F401 (fixture)
from test_first_view import SCRIPTS

from tracekit.site import build

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp = tmp_path_factory.mktemp("first-view-browser")
    (tmp / "ex").mkdir()
    (tmp / "ex" / "plots.py").write_text(SCRIPTS["plots"], encoding="utf-8")
    assert build([tmp / "ex"], output=tmp / "out", jobs=1).exit_status == 0
    return (Path(tmp) / "out" / "plots.html").as_uri()


def test_code_lines_open_their_state_and_the_page_steps_by_cell(browser, url: str) -> None:  # noqa: F811
    t = Tab(browser, url)
    try:
        page = t.page
        # file:// pages of one browser share their storage: start from nothing remembered
        page.evaluate("localStorage.clear()")
        page.reload()
        page.wait_for_load_state("load")
        states = page.locator("details.ls")
        assert states.count() == 19 and page.locator("details.ls[open]").count() == 0
        # click a code line: its state opens in place, with the parameter's name as written
        line17 = page.locator("details.ls", has=page.locator("#f-17"))
        line17.locator("summary").click()
        assert line17.evaluate("d => d.open")
        labels = [" ".join(x.split()) for x in line17.locator(".st-l").all_inner_texts()]
        assert "p0" in labels
        # Enter on a focused code line closes it again
        line17.locator("summary").focus()
        page.keyboard.press("Enter")
        assert not line17.evaluate("d => d.open")
        # j / k step through the cells
        page.locator("body").click(position={"x": 5, "y": 5})
        page.keyboard.press("j")
        first = page.locator(".card.is-active").get_attribute("id")
        page.keyboard.press("j")
        second = page.locator(".card.is-active").get_attribute("id")
        assert first != second and second is not None
        page.keyboard.press("k")
        assert page.locator(".card.is-active").get_attribute("id") == first
        # All state opens every statement's state and is remembered
        toggle = page.locator('[data-action="state"]')
        toggle.click()
        assert toggle.get_attribute("aria-pressed") == "true"
        assert page.locator("details.ls[open]").count() == 19
        assert page.evaluate("localStorage.getItem('tracekit.allState')") == "1"
        page.reload()
        page.wait_for_load_state("load")
        assert page.locator("details.ls[open]").count() == 19
        assert t.errors == []
        assert axe_violations(t) == []  # every state open
        page.locator('[data-action="state"]').click()
        assert page.locator("details.ls[open]").count() == 0
        assert page.evaluate("localStorage.getItem('tracekit.allState')") == "0"
    finally:
        t.close()


def test_an_old_line_link_lands_on_the_line_and_opens_it(browser, url: str) -> None:  # noqa: F811
    t = Tab(browser, url + "#L34")
    try:
        line = t.page.locator("details.ls", has=t.page.locator("#f-34"))
        assert line.evaluate("d => d.open")
        assert "ax2.plot(t, y," in line.locator("summary").inner_text()
        assert t.errors == []
    finally:
        t.close()


def test_without_javascript_the_state_is_in_closed_details(browser, url: str) -> None:  # noqa: F811
    t = Tab(browser, url, js=False)
    try:
        page = t.page
        assert page.locator("details.ls").count() == 19 and page.locator("details.ls[open]").count() == 0
        assert page.locator(".toolbar").is_hidden()
        assert page.locator(".cell-out pre").first.inner_text() == "(400,)"
        page.locator("details.ls", has=page.locator("#f-17")).locator("summary").click()
        assert page.locator("details.ls[open]").count() == 1
    finally:
        t.close()


#: a cell whose code runs past line 100 and line 1000 (comment lines in the cell's code cost no run)
LONG = (
    '"""\nA Long Cell\n===========\n"""\n\n# %%\n# Three numbers far apart.\n\na = 1\n'
    + "".join(f"# filler {k}\n" for k in range(120))
    + "c = 3\n"
    + "".join(f"# filler {k}\n" for k in range(900))
    + "b = 2\n"
)


def test_line_numbers_of_any_length_stay_on_one_line(browser, tmp_path: Path) -> None:  # noqa: F811
    (tmp_path / "ex").mkdir()
    (tmp_path / "ex" / "long.py").write_text(LONG, encoding="utf-8")
    assert build([tmp_path / "ex"], output=tmp_path / "out", jobs=1).exit_status == 0
    t = Tab(browser, (tmp_path / "out" / "long.html").as_uri())
    try:
        measure = "sel => [...document.querySelectorAll(sel)].map(e => [e.textContent, e.getBoundingClientRect().height])"
        # the numbers of the cell's statements, each the summary of its closed state (with its mark)
        numbers = t.page.evaluate(measure, "details.ls > summary .fn")
        assert [n for n, _ in numbers] == ["4", "125", "1026"]
        assert {h for _, h in numbers} == {numbers[0][1]}
        plain = t.page.evaluate(measure, ".cl-rows .fn")
        heights = {n: h for n, h in plain if n in ("5", "100", "1000")}
        assert len(heights) == 3 and set(heights.values()) == {numbers[0][1]}
        listing = dict(t.page.evaluate(measure, ".listing .ln"))
        assert listing["1"] == listing["100"] == listing["1026"]
        assert t.errors == []
    finally:
        t.close()
