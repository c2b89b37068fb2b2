"""The Backward stepper in a real browser: a page built from a real run, opened from file://."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from browser_support import BROWSER_MARKS, Tab, axe_violations, browser  # noqa: F401 (fixture)

from tracekit.site import build

pytestmark = BROWSER_MARKS

SCRIPT = """\
import torch
x = torch.tensor(2.0, requires_grad=True)
y = x**2 + 3*x + 1
#: The backward pass, from y back to x.
y.backward()
print(x.grad)
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("flow")
    (root / "ex").mkdir()
    (root / "ex" / "poly.py").write_text(SCRIPT, encoding="utf-8")
    assert build([root / "ex"], output=root / "out", jobs=1).exit_status == 0
    return root / "out"


def run_steps(site: Path) -> list[tuple[str, str]]:
    """(node name, the gradient it received) in the order the run reached the nodes, from the page's JSON."""
    data = json.loads((site / "poly.json").read_text(encoding="utf-8"))
    (line,) = [ln for ln in data["lines"] if ln["line"] == 5]
    (graph,) = [e["graph"] for e in line["records"][0]["events"] if e["role"] == "graph"]
    nodes = {n["id"]: n for n in graph["nodes"]}
    return [(nodes[i]["name"], nodes[i]["received"][0]["repr"]) for i in graph["flow"]]


@pytest.fixture
def tab(browser, site):  # noqa: F811 (the browser fixture)
    tabs: list[Tab] = []

    def open_(**kw) -> Tab:
        t = Tab(browser, (site / "poly.html").as_uri(), **kw)
        tabs.append(t)
        return t

    yield open_
    for t in tabs:
        t.close()


def test_the_keyboard_walks_the_backward_pass_node_by_node(tab, site):
    steps = run_steps(site)
    assert [name for name, _g in steps][0] == "y" and steps[-1] == ("x", "tensor(7.)") and len(steps) == 6
    t = tab()
    p = t.page
    p.focus(".ag-step[data-step='1']")
    seen = []
    for k, (name, grad) in enumerate(steps, 1):
        p.keyboard.press("Enter")
        on = p.locator(".ag g[data-node].is-on")
        assert on.count() == 1
        texts = on.locator("text").all_text_contents()
        assert texts[0].split(" (")[0] == name and texts[1] == "grad " + grad.removeprefix("tensor(").removesuffix(")")
        item = p.locator(".ag-steps li[aria-current=step]")
        assert item.count() == 1 and item.get_attribute("data-node") == on.get_attribute("data-node")
        assert p.locator(".ag-pos").inner_text() == f"Step {k} of 6: {item.inner_text()}"
        seen.append(item.inner_text())
    assert seen[-1] == "x received tensor(7.); its .grad is now tensor(7.)"
    assert "PowBackward0 received tensor(1.), passed on tensor(4.) to x" in seen
    assert "MulBackward0 received tensor(1.), passed on tensor(3.) to x" in seen
    # the two contributions light up on their edges when their node is reached
    p.keyboard.press("Shift+Tab")
    for _ in range(6 - seen.index("PowBackward0 received tensor(1.), passed on tensor(4.) to x") - 1):
        p.keyboard.press("Enter")
    assert p.locator(".ag-g.is-on").all_text_contents() == ["4."]
    # past the ends nothing moves, and focus stays on the button
    for _ in range(8):
        p.keyboard.press("Enter")
    assert p.locator(".ag-steps li.is-on").count() == 0 and p.locator(".ag .is-on").count() == 0
    assert p.evaluate("document.activeElement.getAttribute('data-step')") == "-1"
    assert p.locator(".ag-step[data-step='-1']").get_attribute("aria-disabled") == "true"
    assert t.errors == []
    assert axe_violations(t) == []


def test_axe_finds_nothing_in_the_middle_of_the_pass_in_dark_mode(tab):
    t = tab(scheme="dark")
    for _ in range(5):
        t.page.click(".ag-step[data-step='1']")
    assert t.page.locator(".ag-steps li.is-on").count() == 1
    assert t.errors == []
    assert axe_violations(t) == []


def test_without_javascript_every_gradient_is_on_the_page(tab):
    t = tab(js=False)
    p = t.page
    assert p.locator(".ag-bar").is_hidden()
    items = p.locator(".ag-steps li")
    assert items.count() == 6 and all(items.nth(i).is_visible() for i in range(6))
    assert p.locator(".ag-leaf text").all_text_contents() == ["x ()", "grad 7.", ".grad 7."]
    assert sorted(p.locator(".ag-g").all_text_contents()) == ["1.", "1.", "1.", "3.", "4."]


@pytest.mark.parametrize("motion, duration", [("reduce", "0s"), ("no-preference", "0.2s")])
def test_highlighting_moves_only_when_motion_is_welcome(browser, site, motion, duration):  # noqa: F811
    ctx = browser.new_context(reduced_motion=motion)
    try:
        p = ctx.new_page()
        p.goto((site / "poly.html").as_uri())
        durations = p.evaluate("getComputedStyle(document.querySelector('.ag rect')).transitionDuration")
        assert durations.split(", ")[0] == duration
    finally:
        ctx.close()


def test_a_phone_wide_page_does_not_scroll_sideways(tab):
    t = tab(width=390, height=800)
    t.page.click(".ag-step[data-step='1']")
    assert t.page.evaluate("document.documentElement.scrollWidth") <= 390
