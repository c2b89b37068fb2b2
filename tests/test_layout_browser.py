"""Values fit the page: tensors, arrays and tables readable at 1280 px, the width used at 1920 px."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from browser_support import BROWSER_MARKS, SHOTS, Tab, axe_violations, browser  # noqa: F401 (fixture)

from tracekit import build
from tracekit.site.report import Reporter

pytestmark = BROWSER_MARKS

SCRIPT = '''\
"""Values of Every Shape

Comments explain the code below them.
"""
import numpy as np
import torch

# A 1x1x6x6 tensor, like one image with one channel.
image = torch.arange(36.0).reshape(1, 1, 6, 6) / 7
print(image)

# A 20-element array.
steps = np.linspace(0, 1, 20)

# An 8-column table.
table = torch.arange(40.0).reshape(5, 8) * 1.25
'''


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("layout")
    (folder / "values_of_every_shape.py").write_text(SCRIPT, encoding="utf-8")
    build([folder / "values_of_every_shape.py"], output=folder / "out", jobs=1, reporter=Reporter(out=io.StringIO(), err=io.StringIO(), tty=False))
    return folder / "out" / "values_of_every_shape.html"


def test_values_fit_the_card_at_1280_and_the_page_uses_1920(browser, page: Path) -> None:
    for width in (390, 1280, 1920):
        tab = Tab(browser, page.as_uri(), width=width)
        try:
            p = tab.page
            # a comments page opens as cells: the values measured are each statement's full state
            p.evaluate("document.querySelectorAll('details.ls').forEach(d => { d.open = true; })")
            boxes = p.evaluate(
                "() => [...document.querySelectorAll('.card .st-pre, .card .mat-wrap')].map(e => [e.textContent.slice(0, 30), e.scrollWidth, e.clientWidth])"
            )
            assert len(boxes) >= 4
            if width >= 1280:
                assert [b for b in boxes if b[1] > b[2] + 1] == []  # nothing scrolls sideways
            assert p.evaluate("document.documentElement.scrollWidth") <= width
            cards = p.evaluate("document.querySelector('.cards').getBoundingClientRect().width")
            if width == 1920:
                assert cards > 1000  # the cards use the wide screen
            pane = p.evaluate("(() => { const r = document.querySelector('.listing-pane').getBoundingClientRect(); return [r.top, r.height]; })()")
            if width >= 1280:  # the side listing stays in view while the cards scroll
                p.evaluate("window.scrollTo(0, document.body.scrollHeight)")
                p.wait_for_timeout(300)
                top = p.evaluate("document.querySelector('.listing-pane').getBoundingClientRect().top")
                assert 0 <= top < 100 and pane[1] > 100
                assert p.locator(".row.is-inview").count() >= 1  # and marks the lines of the card in view
            out = SHOTS / "layout" / f"values-{width}.png"
            out.parent.mkdir(parents=True, exist_ok=True)
            p.screenshot(path=str(out), full_page=True)
            for scheme in ("light", "dark"):
                tab2 = Tab(browser, page.as_uri(), width=width, scheme=scheme)
                try:
                    assert axe_violations(tab2) == []
                finally:
                    tab2.close()
        finally:
            tab.close()
