"""Site search and the index of the API used: what a build writes, and the search box in a browser from file://."""

from __future__ import annotations

import json
import os
import re
import textwrap
from pathlib import Path

import pytest
from browser_support import CHROMIUM, Tab, axe_violations, browser  # noqa: F401 (fixture)

from tracekit.child.apiname import Namer
from tracekit.config import load_config
from tracekit.site import Reporter, build

QUIET = Reporter(verbosity=-1)
HOSTILE = "<img src=x onerror=\"document.title='pwned'\">"

ZEROS = '''
"""Making arrays

NumPy builds arrays with `np.zeros`.
"""
import numpy as np


def double(x):
    return x * 2


#: An array of zeros, all floating point.
xs = np.zeros(3)
print(len(xs))
ys = double(xs)
'''

LAYERS = '''
"""A linear layer"""
import torch
from torch import nn

layer = nn.Linear(2, 3)
y = layer(torch.ones(1, 2))
y.sum().backward()
'''

CHAPTER = f"""
# The guide

Welcome, reader of quaternions.

## Shapes {HOSTILE}

```{{listing}} zeros.py
```
"""

SUB = '''
"""Deeper down"""
print("below")
'''


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch")
    folder = tmp_path_factory.mktemp("search")
    for rel, text in {"zeros.py": ZEROS, "layers.py": LAYERS, "guide.md": CHAPTER, "more/sub.py": SUB}.items():
        (folder / "ex" / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / "ex" / rel).write_text(textwrap.dedent(text).lstrip("\n"))
    (folder / "pyproject.toml").write_text('[tool.tracekit]\nexamples = "ex"\noutput = "out"\ntitle = "Book"\n')
    result = build(config=load_config(pyproject=folder / "pyproject.toml"), reporter=QUIET)
    assert result.exit_status == 0, [o.lines() for o in result.failed]
    return folder / "out"


def _index(out: Path) -> dict:
    text = (out / "search-index.js").read_text(encoding="utf-8")
    head = "/* tracekit search index */\nwindow.TRACEKIT_SEARCH="
    assert text.startswith(head) and text.endswith(";\n")
    return json.loads(text[len(head) : -2])


def _api_links(out: Path) -> dict[str, list[str]]:
    """api.html's entries: name → the hrefs of the lines that called it."""
    page = (out / "api.html").read_text(encoding="utf-8")
    found = {}
    for name, body in re.findall(r'<li class="api-e" id="api-[^"]+"><code class="api-n">([^<]+)</code>(.*?)</ul>\n</li>', page, re.S):
        found[name] = re.findall(r'<a href="([^"]+#L\d+)">line \d+</a>', body)
    return found


def test_the_api_index_lists_each_call_by_its_canonical_name_with_its_lines(site: Path) -> None:
    assert _api_links(site) == {
        "len": ["zeros.html#L9"],
        "print": ["zeros.html#L9", "more/sub.html#L1"],  # in reading order
        "numpy.zeros": ["zeros.html#L8"],
        "torch.nn.Linear": ["layers.html#L4"],
        "torch.nn.Linear.__call__": ["layers.html#L5"],
        "torch.ones": ["layers.html#L5"],
        "torch.Tensor.sum": ["layers.html#L6"],
        "torch.Tensor.backward": ["layers.html#L6"],
    }  # the example's own `double` is left out
    assert '<a href="api.html">API used</a>' in (site / "index.html").read_text(encoding="utf-8")


def test_api_notes_use_the_canonical_name(site: Path) -> None:
    page = (site / "layers.html").read_text(encoding="utf-8")
    details = re.findall(r'<code class="st-d">([^<(]+)', page)
    assert details == ["torch.nn.Linear", "torch.nn.Linear.__call__", "torch.ones", "torch.Tensor.sum", "torch.Tensor.backward"]


def test_the_search_index_holds_prose_headings_code_and_api_names(site: Path) -> None:
    data = _index(site)
    pages = [p[0] for p in data["pages"]]
    records = {(pages[r[0]], r[1], r[2], r[3], r[4] if len(r) > 4 else "") for r in data["records"]}
    assert ("guide.html", "", 0, "The guide", "") in records  # a title
    assert ("guide.html", "", 3, "Welcome, reader of quaternions.", "") in records
    assert ("guide.html", "shapes-img-src-x-onerror-document-title-pwned", 1, f"Shapes {HOSTILE}", "") in records  # a heading, at its anchor
    assert ("zeros.html", "L8", 3, "An array of zeros, all floating point.", "") in records  # a line's own prose
    assert ("zeros.html", "L8", 4, "xs = np.zeros(3)", "numpy.zeros") in records  # code, with what it called
    assert ("api.html", "api-torch.nn.Linear", 2, "torch.nn.Linear", "torch.nn.Linear") in records
    assert not any(r[3] == "ys = double(xs)" and r[4] for r in records)
    raw = (site / "search-index.js").read_text(encoding="utf-8")
    assert "<" not in raw.split("\n", 1)[1]  # the hostile heading is escaped in the script too


def test_a_callee_is_named_by_its_shortest_public_path(tmp_path: Path) -> None:
    import collections

    numpy = pytest.importorskip("numpy")
    namer = Namer(str(tmp_path))
    assert namer.name(numpy.random.rand, True) == ("numpy.random.rand", False)  # a method of numpy's RandomState
    assert namer.name(numpy.arange(3).sum, True) == ("numpy.ndarray.sum", False)
    assert namer.name(numpy.exp, True) == ("numpy.exp", False)  # a ufunc: an object, not a function
    assert namer.name(collections.OrderedDict, True) == ("collections.OrderedDict", False)
    assert namer.name([].append, True) == ("list.append", False)
    assert namer.name(str.join, True) == ("str.join", False)
    assert namer.name(print, True) == ("print", False)

    class Mine:
        def go(self) -> None: ...

    Mine.__module__ = "__main__"
    assert namer.name(Mine().go, True) == (None, True)
    assert namer.name(Mine, True) == (None, True)


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed")
def test_searching_from_file_url_finds_prose_headings_code_and_api(browser, site: Path) -> None:  # noqa: F811
    tab = Tab(browser, (site / "more" / "sub.html").as_uri(), width=390)
    try:
        p = tab.page
        p.keyboard.press("/")
        assert p.evaluate("document.activeElement.id") == "tk-q"

        def results(query: str) -> list[tuple[str, str]]:
            p.fill("#tk-q", query)
            p.wait_for_function("() => !/Loading/.test(document.getElementById('tk-search-n').textContent)")
            links = p.locator("#tk-results a")
            return [(a.get_attribute("href") or "", " ".join(a.inner_text().split())) for a in links.all()]

        assert results("quaternions")[0][0] == "../guide.html"  # prose
        assert p.locator("#tk-search-n").inner_text() == "1 result"
        assert results("guide")[0] == ("../guide.html", "The guide")  # a title ranks first
        assert results("double(xs)") == [("../zeros.html#L10", "Making arrays line 10 ys = double(xs)")]  # code
        assert results("nn.Linear")[0][0] == "../api.html#api-torch.nn.Linear"  # an API name
        assert ("../layers.html#L4", "A linear layer line 4 layer = nn.Linear(2, 3) calls torch.nn.Linear") in results("nn.Linear")
        hostile = results("shapes onerror")  # a heading
        assert hostile[0][0] == "../guide.html#shapes-img-src-x-onerror-document-title-pwned"
        assert HOSTILE in hostile[0][1]  # shown as the characters written
        assert p.locator("#tk-results img").count() == 0 and p.title() != "pwned"
        assert p.evaluate("document.documentElement.scrollWidth") <= 390
        p.fill("#tk-q", "double(xs)")
        p.keyboard.press("Enter")
        p.wait_for_url("**/zeros.html#L10")
        assert tab.errors == []
        assert all(url.startswith("file://") for url in tab.requests), tab.requests
    finally:
        tab.close()
    for rel in ("index.html", "api.html"):  # the table of contents and the API page, results open, on a phone
        tab = Tab(browser, (site / rel).as_uri(), width=390)
        try:
            tab.page.fill("#tk-q", "linear")
            tab.page.wait_for_selector("#tk-results a")
            assert tab.page.evaluate("document.documentElement.scrollWidth") <= 390
            assert tab.errors == []
            assert axe_violations(tab) == [], rel
        finally:
            tab.close()
