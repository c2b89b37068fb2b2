"""The hit pager in a real browser: stepping to the last hit, the prose following the hit shown."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from browser_support import BROWSER_MARKS, Tab, browser  # noqa: F401 (fixture)
from test_last_hit import STEPS

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def page_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp = tmp_path_factory.mktemp("steps")
    (tmp / "examples").mkdir()
    (tmp / "examples" / "steps.py").write_text(STEPS)
    subprocess.run([sys.executable, "-m", "tracekit", "build", "-q", "-j", "1", "-o", str(tmp / "out"), str(tmp / "examples")], check=True, cwd=tmp)
    return (Path(tmp) / "out" / "steps.html").as_uri()


def test_stepping_to_the_last_hit_changes_the_prose_numbers(browser, page_url: str) -> None:  # noqa: F811
    t = Tab(browser, page_url)
    try:
        card = t.page.locator(".card-code", has_text="total += step")
        prose = card.locator(".prose")
        pos = card.locator(".step-pos")
        nxt = card.locator('[data-step="1"]')
        assert pos.inner_text() == "hit 1 of 6"
        assert " ".join(prose.inner_text().split()).startswith("After step 1 the total is 0.")
        nxt.click()
        assert " ".join(prose.inner_text().split()).startswith("After step 2 the total is 1.")
        nxt.click()
        nxt.click()
        assert pos.inner_text() == "hit 6 of 6" and nxt.is_disabled()
        assert " ".join(prose.inner_text().split()).startswith("After step 6 the total is 15.")
        assert "total = 15" in " ".join(card.locator(".hit:visible").inner_text().split())
        card.locator('[data-step="-1"]').click()
        assert pos.inner_text() == "hit 3 of 6"
        assert " ".join(prose.inner_text().split()).startswith("After step 3 the total is 3.")
        assert t.errors == []
    finally:
        t.close()


def test_without_javascript_the_first_hit_s_numbers_show(browser, page_url: str) -> None:  # noqa: F811
    t = Tab(browser, page_url, js=False)
    try:
        prose = t.page.locator(".card-code", has_text="total += step").locator(".prose")
        assert " ".join(prose.inner_text().split()).startswith("After step 1 the total is 0.")
    finally:
        t.close()
