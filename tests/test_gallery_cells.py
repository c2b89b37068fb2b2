"""What a gallery or comments section shows: comments inside its code stay in the card, a cell
holding only a rule makes no card, and commented-out code after a comment's words stays code."""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers import page_text
from tracekit import build
from tracekit.source import read_example

GALLERY = '''"""
Cells
=====

Squares and a root.
"""
import math

# %%
# Squares
# -------
#
# Two squares.

# the first square
a = 3 ** 2
b = 4 ** 2

######################################################################
# ----------
#

# %%
# The root: :math:`\\\\sqrt{a + b}`.
c = math.sqrt(a + b)
print(c)
'''

COMMENTS = """total = 0
for i in range(3):
    # Add the square.
    #total = None
    #print(total)
    total += i * i
print(total)
"""


def build_page(tmp_path: Path, name: str, text: str) -> str:
    (tmp_path / name).write_text(text)
    build([tmp_path / name], output=tmp_path / "out", jobs=1)
    return (tmp_path / "out" / name.replace(".py", ".html")).read_text()


def sections(page: str) -> list[str]:
    return re.findall(r'<article class="card card-section".*?</article>', page, re.S)


def test_comment_inside_a_cell_stays_in_its_card(tmp_path: Path) -> None:
    page = build_page(tmp_path, "cells.py", GALLERY)
    squares = next(s for s in sections(page) if "Two squares." in s)
    text = page_text(squares)
    assert "# the first square" in text
    assert text.index("# the first square") < text.index("a = 3 ** 2") < text.index("b = 4 ** 2")


def test_a_cell_holding_only_a_rule_makes_no_card(tmp_path: Path) -> None:
    page = build_page(tmp_path, "cells.py", GALLERY)
    # the code before the first cell (line 1, `import math`), then the two cells with text
    assert [page_text(s, " ").split(" ")[0] for s in sections(page)] == ["1", "Squares", "The"]
    assert "<hr" not in page.split('class="cards"', 1)[1].split('class="listing', 1)[0]
    texts = read_example(tmp_path / "cells.py", tmp_path).texts
    assert [t.text[:7] for t in texts] == ["Squares", "", "The roo"]


def test_words_then_commented_out_code_split(tmp_path: Path) -> None:
    (tmp_path / "loop.py").write_text(COMMENTS)
    [block] = read_example(tmp_path / "loop.py", tmp_path).texts
    assert (block.line, block.end_line, block.text) == (3, 3, "Add the square.")
    page = build_page(tmp_path, "loop.py", COMMENTS)
    [section] = sections(page)
    text = page_text(section)
    assert text.startswith("Add the square.")
    assert "#total = None" in text and "#print(total)" in text


def test_ref_to_a_label_in_the_same_file_links_to_its_heading() -> None:
    from tracekit.render.markup import render_rst_blocks

    intro, bridge = render_rst_blocks(
        [
            "See :ref:`bridge-label`, :ref:`the bridge <bridge-label>` and :ref:`elsewhere-label`.",
            ".. _bridge-label:\n\nBridge with NumPy\n~~~~~~~~~~~~~~~~~\nText.",
        ]
    )
    assert str(intro) == (
        '<p>See <a class="reference external" href="#bridge-with-numpy">Bridge with NumPy</a>, '
        '<a class="reference external" href="#bridge-with-numpy">the bridge</a> and elsewhere-label.</p>'
    )
    assert intro.warnings == ["reStructuredText: line 1 of the text block: :ref:`elsewhere-label` points outside this file; shown as text, not linked"]
    assert str(bridge) == '<h2 id="bridge-with-numpy">Bridge with NumPy</h2><p>Text.</p>'


def test_a_loop_in_a_section_shows_what_every_hit_printed(tmp_path: Path) -> None:
    page = build_page(tmp_path, "count.py", "# Count to five.\nfor i in range(5):\n    print('step', i)\n")
    [section] = sections(page)
    text = page_text(section, " ")
    assert "output of all 5 hits" in text
    assert "step 0 step 1 step 2 step 3 step 4" in " ".join(text.split())


def test_the_code_before_the_first_cell_is_shown_under_the_intro(tmp_path: Path) -> None:
    text = '"""\nLead\n====\n\nThe code below makes two numbers.\n"""\na = 1\nb = a + 1\n\n# %%\n# Then a third.\nc = b + 1\n'
    page = build_page(tmp_path, "lead.py", text)
    first = sections(page)[0]
    assert 'data-first="1" data-last="2"' in first
    assert "a = 1" in page_text(first) and "b = a + 1" in page_text(first)
    assert '<details class="fold"' not in page


def test_a_cell_of_commented_out_code_is_shown_in_its_card(tmp_path: Path) -> None:
    text = '"""Doc"""\nx = 1\n\n# %%\n# To draw the graph:\n\n#   import torchviz\n#   torchviz.make_dot(x)\n\n# %%\n# Next.\ny = x + 1\n'
    [drawn, _] = read_example(write_file(tmp_path, "viz.py", text), tmp_path).texts
    assert (drawn.code_first, drawn.code_last) == (7, 8)
    page = build_page(tmp_path, "viz.py", text)
    card = next(s for s in sections(page) if "To draw the graph" in s)
    assert "#   torchviz.make_dot(x)" in card and "# torchviz.make_dot(x)" in page_text(card)
    assert '<details class="fold"' not in page


def write_file(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / name).write_text(text)
    return tmp_path / name


def test_a_short_underline_makes_the_heading_once_and_a_warning() -> None:
    from tracekit.render.markup import render_rst_blocks

    [html] = render_rst_blocks(["Attributes of a Tensor\n~~~~~~~~~~~~~~\n\nText."])
    assert str(html) == '<h2 id="attributes-of-a-tensor">Attributes of a Tensor</h2><p>Text.</p>'
    assert html.warnings == ["reStructuredText: line 2 of the text block: Title underline too short; the heading is shown"]


def test_every_link_of_a_page_with_nested_blocks_has_its_target(tmp_path: Path) -> None:
    text = "# Sum the squares.\ntotal = 0\nfor i in range(3):\n    # Add the square.\n    total += i * i\nprint(total)\n"
    page = build_page(tmp_path, "nested.py", text)
    ids = set(re.findall(r' id="([^"]+)"', page))
    targets = set(re.findall(r' href="#([^"]+)"', page))
    assert "line-1" in targets
    assert targets - ids == set()


def test_every_listing_line_links_to_something_on_the_page(tmp_path: Path) -> None:
    page = build_page(tmp_path, "cells.py", GALLERY)
    ids = set(re.findall(r' id="([^"]+)"', page))
    rows = re.findall(r'<span class="row row-(\w+)[^"]*" id="L(\d+)" data-href="#([^"]+)">', page)
    assert len(rows) == 20
    assert [(number, href) for _, number, href in rows if href not in ids] == []
    # the blank line after `import math` (listing line 2) leads to the cell below it
    assert dict((number, href) for _, number, href in rows)["2"] == "line-3"
