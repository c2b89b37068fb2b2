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
        assert "ax2.plot(t, y," in line.locator(":scope > summary").inner_text()
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


@pytest.fixture(scope="module")
def loop_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp = tmp_path_factory.mktemp("first-view-loop")
    (tmp / "ex").mkdir()
    (tmp / "ex" / "loop_gallery.py").write_text(SCRIPTS["loop_gallery"], encoding="utf-8")
    assert build([tmp / "ex"], output=tmp / "out", jobs=1).exit_status == 0
    return (Path(tmp) / "out" / "loop_gallery.html").as_uri()


def test_a_loop_line_s_state_steps_to_its_last_hit(browser, loop_url: str) -> None:  # noqa: F811
    t = Tab(browser, loop_url)
    try:
        page = t.page
        page.evaluate("localStorage.clear()")
        page.reload()
        page.wait_for_load_state("load")
        line = page.locator("details.ls", has=page.locator("#f-10"))  # sq = i * i, in the loop
        # the first view does not grow: every pager waits in its line's closed state
        assert not line.evaluate("d => d.open") and page.locator(".hits").count() == 3
        assert page.locator(".hits:visible").count() == 0
        # Enter on the focused code line opens its state, the pager on its first hit
        line.locator(":scope > summary").focus()
        page.keyboard.press("Enter")
        assert line.evaluate("d => d.open")
        pos, shown = line.locator(".step-pos"), line.locator(".hit:visible")
        nxt, prev = line.locator('[data-step="1"]'), line.locator('[data-step="-1"]')
        assert pos.inner_text() == "hit 1 of 300" and prev.is_disabled()
        assert " ".join(shown.inner_text().split()) == "⬆ result : sq = 0"
        nxt.click()
        assert pos.inner_text() == "hit 2 of 300"
        assert " ".join(shown.inner_text().split()) == "⬆ result : sq = 1"
        nxt.click()
        # the last press reaches the loop's last step, recorded in the same run
        nxt.focus()
        page.keyboard.press("Enter")
        assert pos.inner_text() == "hit 300 of 300" and nxt.is_disabled()
        assert " ".join(shown.inner_text().split()) == "⬆ result : sq = 89401"
        assert line.locator(".hits-c").inner_text() == "Ran 300 times · hits 1–3 and 300 of 300 recorded"
        prev.click()
        assert pos.inner_text() == "hit 3 of 300"
        assert " ".join(shown.inner_text().split()) == "⬆ result : sq = 4"
        # stepping is the line's own: the cell stays as it was, the other lines' states closed
        assert page.locator("details.ls[open]").count() == 1
        assert t.errors == []
        assert axe_violations(t) == []
    finally:
        t.close()


def test_a_loop_line_s_hits_without_javascript(browser, loop_url: str) -> None:  # noqa: F811
    t = Tab(browser, loop_url, js=False)
    try:
        page = t.page
        line = page.locator("details.ls", has=page.locator("#f-10"))
        more = line.locator("details.hit-more")
        assert not line.evaluate("d => d.open") and not more.evaluate("d => d.open")
        line.locator(":scope > summary").click()
        # the first hit shows; the others wait in a closed <details>, the last among them
        assert " ".join(line.locator(".hit").first.inner_text().split()) == "HIT 1 OF 300 ⬆ result : sq = 0"
        assert line.locator(".hit:visible").count() == 1
        more.locator("summary").click()
        hits = [" ".join(x.split()) for x in line.locator(".hit").all_inner_texts()]
        assert hits[-1] == "HIT 300 OF 300 ⬆ result : sq = 89401" and len(hits) == 4
        assert line.locator(".stepper").is_hidden()
    finally:
        t.close()
