"""Hostile math and links on every route prose takes to a page, opened in a real browser:
nothing runs, nothing is requested, the TeX an author wrote is shown as text."""

from __future__ import annotations

import io
import re
import textwrap
from pathlib import Path

import pytest
from browser_support import BROWSER_MARKS, Tab, browser  # noqa: F401 (fixture)

from tracekit.config import load_config
from tracekit.site import Reporter, build

pytestmark = BROWSER_MARKS

# a fetch on load (url() in \style), a script, an image with onerror, a javascript: link
SCRIPT = r"\text{<script>alert(1)</script>}"
IMG = r"\mbox{<img src=x onerror=alert(2)>}"
STYLE = r"\style{position:fixed;top:0;left:0;width:100vw;height:100vh;background:url(http://127.0.0.1:9/f.png)}{x}"
HREF = r"\href{javascript:alert(3)}{y}"
EVIL = f"{SCRIPT} {IMG} {STYLE} {HREF} \\class{{nav}}{{z}}"

AUTHORED = f'''
r"""Authored page

An intro with $${EVIL}$$ and $\\tag{{<b>4</b>}} x$.
"""


def scale(x):
    r"""Scale :math:`{SCRIPT}` by :math:`{STYLE}`."""
    return 2 * x


#: # A heading with ${SCRIPT}$
#:
#: Prose with $${IMG}$$ and [a link](javascript:alert(5)).
y = scale(3)
'''

GALLERY = f'''
r"""
Gallery page
============

An intro with :math:`{SCRIPT}` and `a link <JaVa&#x09;ScRiPt:alert(6)>`_ and `data <data:text/html,<b>x</b>>`__.
"""

######################################################################
# A section :math:`{IMG}`
# -----------------------
#
# `one <javascript:alert(7)>`_, `two`_ and vbscript:msgbox(8).
#
# .. _two: javascript:alert(9)
#
# .. math::
#
#    {STYLE} {HREF}

z = 1
'''

CHAPTER = f"""
---
title: A chapter
description: Front matter ${SCRIPT}$
---

# Chapter heading ${IMG}$

Chapter text $${STYLE}$$ and [bad](vbscript:alert(10)).

Bad TeX: $\\notacommand x$.

```{{listing}} a.py
:caption: A caption ${SCRIPT}$
```
"""

README = f"# Part one\n\nThe part's intro $${EVIL}$$ on every page.\n"


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("inert")
    files = {"part/a.py": AUTHORED, "part/b.py": GALLERY, "part/1-chapter.md": CHAPTER, "part/README.md": README}
    for rel, text in files.items():
        (folder / "ex" / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / "ex" / rel).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    description = f"The description $${EVIL}$$"
    (folder / "pyproject.toml").write_text(
        f'[tool.tracekit]\nexamples = "ex"\noutput = "out"\ntitle = "Hostile"\ndescription = \'{description}\'\n'  # a literal string: no escapes
    )
    err = io.StringIO()
    result = build(config=load_config(pyproject=folder / "pyproject.toml"), reporter=Reporter(verbosity=0, err=err, tty=False))
    assert result.exit_status == 0, [o.lines() for o in result.failed]
    return folder / "out", err.getvalue()


PAGES = ["index.html", "part/a.html", "part/b.html", "part/1-chapter.html"]


@pytest.mark.parametrize("rel", PAGES)
def test_hostile_math_and_links_run_and_fetch_nothing(browser, hostile_site: tuple[Path, str], rel: str) -> None:  # noqa: F811
    out, _ = hostile_site
    html = (out / rel).read_text(encoding="utf-8")
    assert html.count("<math") >= 2, rel  # the routes below reached the page as math
    tab = Tab(browser, (out / rel).as_uri())
    dialogs: list[str] = []
    tab.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        p = tab.page
        p.wait_for_load_state("networkidle")
        p.mouse.click(5, 5)  # a covering formula would take this click
        p.wait_for_timeout(100)
        assert dialogs == [] and tab.errors == [], (dialogs, tab.errors)
        assert [u for u in tab.requests if not u.startswith("file://")] == []
        assert [u for u in tab.requests if u.endswith(("/x", "f.png"))] == []
        assert p.evaluate("document.scripts.length") == 1  # the page's own
        assert p.evaluate("document.images.length") == 0
        inside = "math [style], math [class], math [href], math [onerror], math *:not(math, mrow, mi, mn, mo, mtext, mspace, mstyle, mpadded, mfrac)"
        assert p.evaluate(f"document.querySelectorAll({inside!r}).length") == 0
        assert p.evaluate("[...document.querySelectorAll('a[href]')].filter(a => !/^(https?:|mailto:|#|[^:]*$)/i.test(a.getAttribute('href'))).length") == 0
        shown = p.evaluate("[...document.querySelectorAll('math')].map(m => m.textContent).join(' ')")
        assert "<script>alert(1)</script>" in shown, rel
    finally:
        tab.close()


def test_every_route_shows_the_tex_an_author_wrote_as_text(hostile_site: tuple[Path, str]) -> None:
    out, _ = hostile_site
    script, img = "&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img\xa0src=x\xa0onerror=alert(2)&gt;"
    index = (out / "index.html").read_text(encoding="utf-8")
    a = (out / "part/a.html").read_text(encoding="utf-8")
    b = (out / "part/b.html").read_text(encoding="utf-8")
    chapter = (out / "part/1-chapter.html").read_text(encoding="utf-8")
    routes = {
        "site description": index.split("The description", 1)[1],
        "part README on a page": a.split("Part one", 1)[1],
        "gallery intro in the table of contents": index.split("Gallery page", 1)[1],
        "docstring intro": a.split("An intro with", 1)[1],
        "#: heading": a.split("A heading with", 1)[1],
        "#: prose": a.split("Prose with", 1)[1],
        "API note from a docstring": a.split("Scale ", 1)[1],
        "RST :math:": b.split("An intro with", 1)[1],
        "RST heading": b.split("A section", 1)[1],
        "front matter": chapter.split("Front matter", 1)[1],
        "chapter heading": chapter.split("Chapter heading", 1)[1],
        "chapter caption": chapter.split("A caption", 1)[1],
    }
    as_tex = f'<code class="tex">\\text{{{script}}}'  # \style, \href, \class are outside the TeX allowlist
    for route, rest in routes.items():
        shown = rest[:3000]
        assert f"<mtext>{script}</mtext>" in shown or f"<mtext>{img}</mtext>" in shown or as_tex in shown, route
    assert '<code class="tex">\\tag{&lt;b&gt;4&lt;/b&gt;} x</code>' in a
    for page in (index, a, b, chapter):
        assert re.search(r'<a\b[^>]*href="\s*(?:data|vbscript|javascript)', page, re.I) is None


def test_refused_links_are_build_warnings_naming_the_file(hostile_site: tuple[Path, str]) -> None:
    _, err = hostile_site
    assert "part/b.py: docstring: reStructuredText: line 1 of the text block: link target 'JaVa&#x09;ScRiPt:alert(6)' is not allowed" in err
    assert "link target 'javascript:alert(7)' is not allowed" in err and "link target 'javascript:alert(9)' is not allowed" in err
    assert "part/1-chapter.md:5: math '\\\\notacommand x' on line 6 of the text could not be converted to MathML" in err
