"""Material written for other tools, as its author meant it: Jupytext/VS Code percent files,
Jupyter notebooks, and plain comments shown as typed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import page_text
from tracekit import build
from tracekit.prose import as_typed

COMMENTS = """\
import numpy as np

# The model predicts w*x; its error on one point is (w*x - y), and the loss is
# MSE = 1/N * (w*x - y)**2 over the N points
w, x, y = 2.0, np.array([1.0, 2.0]), np.array([2.5, 3.5])
mse = np.mean((w * x - y) ** 2)

# One-hot labels:
# if class 0: [1 0 0]
# if class 1: [0 1 0]
labels = np.eye(3)[:2]

# Plain sentences that were wrapped by the editor at the usual width still flow as one
# paragraph, and `learning_rate` and *this* and [links](https://numpy.org) still work.
learning_rate = 0.1
"""

AUTHORED = """\
#: The *first* weight, in __bold__.
w = 1
"""


def build_pages(tmp_path: Path, files: dict[str, str]) -> dict[str, str]:
    """Build FILES (name → text) in one build; the pages' HTML by name."""
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    build([tmp_path / name for name in files], output=tmp_path / "out", jobs=1)
    return {name: (tmp_path / "out" / re.sub(r"\.\w+$", ".html", name)).read_text() for name in files}


def section_html(page: str, words: str) -> str:
    return next(s for s in re.findall(r'<article class="card card-section".*?</article>', page, re.S) if words in page_text(s))


@pytest.fixture(scope="module")
def comments_page(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return build_pages(tmp_path_factory.mktemp("typed"), {"typed.py": COMMENTS, "authored.py": AUTHORED})


def test_a_formula_in_a_comment_keeps_its_stars(comments_page: dict[str, str]) -> None:
    html = section_html(comments_page["typed.py"], "MSE")
    prose = html.split('class="prose"', 1)[1].split("</div>", 1)[0]
    assert "<p>The model predicts w*x; its error on one point is (w*x - y), and the loss is<br />\nMSE = 1/N * (w*x - y)**2 over the N points</p>" in prose
    assert "<em>" not in prose


def test_line_by_line_comments_keep_their_lines(comments_page: dict[str, str]) -> None:
    html = section_html(comments_page["typed.py"], "One-hot")
    assert "<p>One-hot labels:<br />\nif class 0: [1 0 0]<br />\nif class 1: [0 1 0]</p>" in html


def test_wrapped_comment_prose_flows_and_keeps_code_emphasis_and_links(comments_page: dict[str, str]) -> None:
    html = section_html(comments_page["typed.py"], "Plain sentences")
    assert (
        "<p>Plain sentences that were wrapped by the editor at the usual width still flow as one\n"
        'paragraph, and <code>learning_rate</code> and <em>this</em> and <a href="https://numpy.org">links</a> still work.</p>'
    ) in html


def test_authored_prose_keeps_full_markdown(comments_page: dict[str, str]) -> None:
    assert "The <em>first</em> weight, in <strong>bold</strong>." in comments_page["authored.py"]


@pytest.mark.parametrize(
    ("typed", "markdown"),
    [
        ("MSE = 1/N * (w*x - y)**2", "MSE = 1/N \\* (w\\*x - y)\\*\\*2"),
        ("call __init__ with x_i", "call \\_\\_init\\_\\_ with x\\_i"),
        ("a **bold** word, `a*b_c` and $x_i * y$", "a **bold** word, `a*b_c` and $x_i * y$"),
        ("* a bullet with a*b", "* a bullet with a\\*b"),
        ("short line\nanother short line", "short line  \nanother short line"),
        ("## Heading\ntext under it", "## Heading\ntext under it"),
        ("```\nx = a*b\ny = 2\n```", "```\nx = a*b\ny = 2\n```"),
    ],
)
def test_as_typed_markdown(typed: str, markdown: str) -> None:
    assert as_typed(typed) == markdown
