"""Where prose comes from: authored `#:`, sphinx-gallery cells, plain comment blocks; titles."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tracekit.prose import looks_like_code, title_and_intro
from tracekit.source import AuthoringError, Example, read_example

GALLERY = '''\
"""
`Basics <intro.html>`_ ||
**Tensors** ||
`Autograd <autograd.html>`_

Tensors
=======

Tensors are like ``ndarray``.
"""

import math

######################################################################
# Making data
# -----------
#
# With :math:`\\frac{1}{n}` in it.

data = [1, 2]
print(data)

# %%
# A plain comment in the code stays code.
n = len(data)
# not prose: a comment inside a cell
m = n * 2

# %%
######################################################################
'''


def read(tmp_path: Path, source: str) -> Example:
    path = tmp_path / "example.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return read_example(path, tmp_path)


def test_gallery_cells_become_rst_text_blocks(tmp_path: Path) -> None:
    example = read(tmp_path, GALLERY)
    assert (example.prose_source, example.markup) == ("gallery", "rst")
    assert example.title == "Tensors" and example.intro == "Tensors are like ``ndarray``."
    texts = [(t.line, t.end_line, t.text, t.code_first, t.code_last) for t in example.texts]
    assert texts == [
        (14, 18, "Making data\n-----------\n\nWith :math:`\\frac{1}{n}` in it.", 20, 21),
        (23, 24, "A plain comment in the code stays code.", 25, 27),
        (29, 29, "", 0, 0),
        (30, 30, "", 0, 0),
    ]
    assert [(i.kind, i.line) for i in example.items] == [("code", 12), ("code", 20), ("code", 21), ("code", 25), ("code", 27)]
    # the full listing keeps every line but the docstring
    assert [ln.text for ln in example.listing][:3] == ["import math", "", "#" * 70]


def test_comment_blocks_attach_up_to_a_blank_line_and_stay_in_their_body(tmp_path: Path) -> None:
    example = read(
        tmp_path,
        """\
        import math

        # Two numbers.
        # The **second** is bigger.
        a = 1
        b = 2

        c = 3
        # print(a)
        for i in range(2):
            # Inside the loop.
            d = i
            e = i
        f = 4
        """,
    )
    assert (example.prose_source, example.markup) == ("comments", "markdown")
    texts = [(t.line, t.text, t.code_first, t.code_last) for t in example.texts]
    assert texts == [(3, "Two numbers.\nThe **second** is bigger.", 5, 6), (11, "Inside the loop.", 12, 13)]
    # every item is code: the comments became text, and `# print(a)` is no comment item of its own
    assert [(i.kind, i.line) for i in example.items] == [("code", n) for n in (1, 5, 6, 8, 10, 12, 13, 14)]


def test_directives_force_the_source_and_markup(tmp_path: Path) -> None:
    example = read(tmp_path, "# tracekit: prose=comments markup=rst\n# Some ``text``.\nx = 1\n")
    assert (example.prose_source, example.markup) == ("comments", "rst")
    assert example.options == {}
    with pytest.raises(AuthoringError, match="bad value for prose: 'notes'; expected authored or gallery or percent or comments"):
        read(tmp_path, "# tracekit: prose=notes\nx = 1\n")


def test_authored_files_keep_comment_items(tmp_path: Path) -> None:
    example = read(tmp_path, "#: About x.\nx = 1\n# A comment\ny = 2\n")
    assert example.prose_source == "authored" and example.texts == []
    assert [(i.kind, i.line) for i in example.items] == [("code", 2), ("comment", 3), ("code", 4)]


@pytest.mark.parametrize(
    "text",
    ["x = 1", "print(x)", "import torch", "model.train()", "for i in range(3):\n    pass", "y: int = 2", "return x", "x += 1\nprint(x)"],
)
def test_commented_out_code(text: str) -> None:
    assert looks_like_code(text)


@pytest.mark.parametrize(
    "text",
    ["Setup", "loss", "TODO: later", "Forward pass", "see foo(bar) for details", "1", "x", "Tensors", "``x``", "-----", "a, b", "Note: this is (x)"],
)
def test_prose_that_parses_is_still_prose(text: str) -> None:
    assert not looks_like_code(text)


@pytest.mark.parametrize(
    ("doc", "markup", "title", "intro"),
    [
        ("# Title\n\nBody.", "markdown", "Title", "Body."),
        ("Intro line\n\n## Part", "markdown", "Part", "Intro line"),
        ("Title\n=====\n\nBody.", "rst", "Title", "Body."),
        ("=====\nTitle\n=====\nBody.", "rst", "Title", "Body."),
        ("`Learn <intro.html>`_ ||\n**Tensors** ||\n`Next <n.html>`_\n\nTensors\n=======\nBody.", "rst", "Tensors", "Body."),
        ("Just a first line\nmore.", "markdown", "Just a first line", "more."),
        ("", "rst", "My example", ""),
    ],
)
def test_titles(doc: str, markup: str, title: str, intro: str) -> None:
    assert title_and_intro(doc, "my_example", markup) == (title, intro)


def test_a_commented_script_with_an_rst_docstring_is_read_as_rst(tmp_path: Path) -> None:
    example = read(tmp_path, '"""\nWarm-up\n-------\n\nFits :math:`y = x^2`.\n"""\nimport math\n\n# Uses :func:`math.sqrt`.\nr = math.sqrt(4)\n')
    assert (example.prose_source, example.markup, example.title) == ("comments", "rst", "Warm-up")
    assert example.texts[0].text == "Uses :func:`math.sqrt`."


def test_a_gallery_cell_holding_only_a_rule_is_no_text(tmp_path: Path) -> None:
    example = read(tmp_path, '"""T\n=\n"""\nx = 1\n\n' + "#" * 30 + "\n# --------------\n#\n\ny = 2\n")
    assert [(t.text, t.code_first) for t in example.texts] == [("", 10)]


def test_comments_before_a_gallery_docstring_are_left_out_as_sphinx_gallery_does(tmp_path: Path) -> None:
    header = '# Copyright line of our own\n# Licence: a made-up one\n"""\nA Titled Script\n===============\n"""\n'
    for body in ("x = 1\n", "\n# %%\n# One number.\nx = 1\n"):
        example = read(tmp_path, header + body)
        assert example.title == "A Titled Script"
        assert [ll.text for ll in example.listing if "Copyright" in ll.text or "Licence" in ll.text] == []
        assert all("Copyright" not in t.text for t in example.texts)
