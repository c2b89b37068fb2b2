"""Admonitions and display math as a reader sees them in Chromium, light and dark: titled boxes
that pass axe-core's WCAG AA checks, aligned and matrix math laid out, no scrollbar on display
math unless it is wider than the column."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import BROWSER_MARKS, SHOTS, Tab, axe_violations, browser  # noqa: F401 (fixture)
from helpers import ROOT

from tracekit.render.markup import render_markdown, render_rst

pytestmark = BROWSER_MARKS

RST = """\
.. note::
   Gradients add up across calls to ``backward()``.

.. warning::
   See `~torch.Tensor.grad` before the step.

.. tip:: Use :func:`torch.no_grad` for the update.

.. danger::
   Never call ``.item()`` in the loop.

.. admonition:: Why it works

   Because the loss is convex::

      w -= lr * w.grad
"""

MATH = (
    r"""
$$
\begin{aligned} L(w) &= \frac{1}{n} \sum_{i=1}^{n} (w x_i - y_i)^2 \\ &= \text{mean squared error} \end{aligned}
$$

$$
A = \begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}, \quad |x| = \begin{cases} x & \text{if } x \ge 0 \\ -x & \text{otherwise} \end{cases}
$$

$$
"""
    + " + ".join(f"x_{{{i}}}" for i in range(80))
    + "\n$$\n"
)


def _page(tmp_path: Path) -> str:
    body = f'<main class="prose" style="max-width:46rem;margin:1rem auto">{render_rst(RST)}{render_markdown(MATH)}</main>'
    css = (ROOT / "tracekit" / "assets" / "tracekit.css").as_uri()
    page = tmp_path / "page.html"
    page.write_text(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title><link rel="stylesheet" href="{css}"></head><body>{body}</body></html>'
    )
    return page.as_uri()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_admonitions_and_display_math_in_chromium(browser, tmp_path: Path, scheme: str) -> None:  # noqa: F811
    tab = Tab(browser, _page(tmp_path), width=900, height=1300, scheme=scheme)
    try:
        SHOTS.mkdir(parents=True, exist_ok=True)
        tab.page.screenshot(path=str(SHOTS / f"rst-math-{scheme}.png"), full_page=True)
        boxes = tab.page.evaluate(
            """() => [...document.querySelectorAll('.admonition')].map(b => {
                const s = getComputedStyle(b), t = b.querySelector('.admonition-title');
                return [t.textContent, s.backgroundColor !== getComputedStyle(document.body).backgroundColor, parseFloat(s.borderLeftWidth)];
            })"""
        )
        assert boxes == [["Note", True, 4], ["Warning", True, 4], ["Tip", True, 4], ["Danger", True, 4], ["Why it works", True, 4]]
        assert tab.errors == []
        assert axe_violations(tab) == []
        blocks = tab.page.evaluate(
            """() => [...document.querySelectorAll('div.math')].map(d => [
                getComputedStyle(d).overflowY, d.scrollWidth > d.clientWidth, d.scrollHeight <= d.clientHeight])"""
        )
        # never a vertical scroller (the old `overflow-x: auto` alone gave the matrix one); only
        # the 80-term sum scrolls, sideways; the formulas that fit are not clipped
        assert [b[:2] for b in blocks] == [["hidden", False], ["hidden", False], ["hidden", True]]
        assert [b[2] for b in blocks[:2]] == [True, True]
        layout = tab.page.evaluate(
            """() => {
                const [eq1, eq2] = [...document.querySelectorAll('div.math mtable')][0].querySelectorAll('mtr');
                const rel = r => r.querySelectorAll('mtd')[1].querySelector('mo').getBoundingClientRect().left;
                const paren = document.querySelectorAll('div.math')[1].querySelector('mo[form="prefix"]').getBoundingClientRect();
                const table = document.querySelectorAll('div.math')[1].querySelector('mtable').getBoundingClientRect();
                return [Math.abs(rel(eq1) - rel(eq2)), paren.height >= table.height * 0.9];
            }"""
        )
        assert layout[0] < 1  # the two `=` line up
        assert layout[1]  # the parenthesis is as tall as the matrix
    finally:
        tab.close()
