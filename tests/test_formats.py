"""Material written for other tools, as its author meant it: Jupytext/VS Code percent files,
Jupyter notebooks, and plain comments shown as typed."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from tests.helpers import page_text
from tracekit import build
from tracekit.prose import as_typed, cell_marker
from tracekit.site.report import Reporter
from tracekit.source import read_example

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


PERCENT = """\
# ---
# jupyter:
#   jupytext:
#     text_representation:
#       format_name: percent
#   kernelspec:
#     name: python3
# title: Steps downhill
# ---

# %% [markdown]
# ## Gradient descent
#
# Each step moves $w$ by $-\\eta g$, where $\\eta$ is the *learning rate*.
#
# | step | what happens |
# |------|--------------|
# | 1    | compute g    |
# | 2    | move w       |

# %%
# %matplotlib inline
import numpy as np

# %% Setting the rate
eta = 0.5
w = np.array([1.0, -2.0])

# %% [raw]
# {{ template text that is not Python }}

#%% [md]
# One step, with $g = w$.
w = w - eta * w
print(w)
"""

GALLERY_TITLES = '''"""
Titled cells
============
"""
# %% The first number
a = 1

# %% The second number
# It is one more than the first.
b = a + 1
'''


def build_pages(tmp_path: Path, files: dict[str, str], err: io.StringIO | None = None) -> dict[str, str]:
    """Build FILES (name → text) in one build; the pages' HTML by name."""
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    reporter = Reporter(out=io.StringIO(), err=err or io.StringIO(), tty=False)
    build([tmp_path / name for name in files], output=tmp_path / "out", jobs=1, reporter=reporter)
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


# ── percent files ────────────────────────────────────────────────────────────


@pytest.fixture(scope="module")
def percent(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], str]:
    err = io.StringIO()
    pages = build_pages(tmp_path_factory.mktemp("percent"), {"percent.py": PERCENT, "titles.py": GALLERY_TITLES}, err)
    return pages, err.getvalue()


def cards(page: str) -> str:
    return page.split('id="cards"', 1)[1].split('class="listing', 1)[0]


def test_markdown_cells_are_markdown(percent: tuple[dict[str, str], str]) -> None:
    page = percent[0]["percent.py"]
    html = section_html(page, "Gradient descent")
    assert '<h2 id="gradient-descent">Gradient descent</h2>' in html
    assert "##" not in page_text(cards(page))
    assert "<mi>η</mi>" in html and "\\eta" not in page_text(html)
    assert "<th>step</th>\n<th>what happens</th>" in html and "<td>move w</td>" in html
    assert "<em>learning rate</em>" in html
    assert "One step, with" in page_text(section_html(page, "One step"))


def test_a_cell_title_is_its_heading(percent: tuple[dict[str, str], str]) -> None:
    html = section_html(percent[0]["percent.py"], "Setting the rate")
    assert '<h2 id="setting-the-rate">Setting the rate</h2>' in html
    assert "eta = 0.5" in page_text(html)


def test_the_jupytext_header_is_the_title_and_never_shown(percent: tuple[dict[str, str], str]) -> None:
    page = percent[0]["percent.py"]
    assert "<title>Steps downhill" in page
    assert "jupytext" not in page and "format_name" not in page and "kernelspec" not in page


def test_a_raw_cell_is_left_out_with_a_warning(percent: tuple[dict[str, str], str]) -> None:
    pages, err = percent
    assert "template text" not in pages["percent.py"]
    assert "percent.py:29: raw cell (lines 29-30) left out: it is neither Python nor prose" in err


def test_a_magic_is_shown_as_written_and_not_run(percent: tuple[dict[str, str], str]) -> None:
    text = page_text(cards(percent[0]["percent.py"]), " ")
    assert "% matplotlib inline IPython magic: not run" in " ".join(text.split())


def test_gallery_cell_titles_are_headings_and_gallery_stays_rst(percent: tuple[dict[str, str], str]) -> None:
    page = percent[0]["titles.py"]
    assert '<h2 id="the-first-number">The first number</h2>' in section_html(page, "The first number")
    second = section_html(page, "The second number")
    assert '<h2 id="the-second-number">The second number</h2>' in second and "<p>It is one more than the first.</p>" in second


def test_bare_cells_keep_sphinx_gallery_rules(tmp_path: Path) -> None:
    (tmp_path / "bare.py").write_text("# %%\n# Some *text*.\nx = 1\n")
    example = read_example(tmp_path / "bare.py", tmp_path)
    assert (example.prose_source, example.markup, [t.text for t in example.texts]) == ("gallery", "rst", ["Some *text*."])


CELLS = """\
# %% [markdown]
# # Cells of our own
#
# Opening words, read as the intro.

# %% [markdown]
# Add two numbers:
# %%
a = 2
a + 3

# %%
# a code cell with no Markdown before it
b = a * 10
b

# %% [markdown] {"slideshow": {"slide_type": "slide"}}
# A closing remark with no code after it.

# %% Tidy up .hidden attributes={"classes": [], "n": "10"}
c = b + 1
"""

STRINGS = """\
# %% [markdown]
# # Strings as cells
#
# The first cell is comments.

# %% [markdown]
rQQQ
Then a cell written as a *string*.
QQQ

# %%
y = 3
y * 2
""".replace("QQQ", "'" * 3)


def first_view(page: str) -> str:
    """The cards' text as the page opens (each statement's closed state left out)."""
    page = re.sub(r'<div class="ls-body">.*?</details>', "</details>", cards(page), flags=re.S)
    return " ".join(page_text(page).split())


@pytest.fixture(scope="module")
def cells(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    root = tmp_path_factory.mktemp("cells")
    notebook = new_notebook(cells=[new_markdown_cell("Add two numbers:"), new_code_cell("a = 2\na + 3")])
    (root / "adding.ipynb").write_text(nbformat.writes(notebook), encoding="utf-8")
    (root / "cells.py").write_text(CELLS, encoding="utf-8")
    (root / "strings.py").write_text(STRINGS, encoding="utf-8")
    build([root], output=root / "out", jobs=1, reporter=Reporter(out=io.StringIO(), err=io.StringIO(), tty=False))
    return {name: (root / "out" / f"{name}.html").read_text() for name in ("adding", "cells", "strings")}


def test_a_markdown_cell_introduces_the_code_cell_after_it(cells: dict[str, str]) -> None:
    page = cells["cells"]
    # each cell's code shows as one block, with its value and changes; none is folded away
    assert "Add two numbers: 4a = 2 5a + 3 Value5 Changed a: 2 8# a code cell with no Markdown before it 9b = a * 10 10b Value20 Changed b: 20" in first_view(
        page
    )
    assert "without explanation" not in page and 'class="fold"' not in page
    # a Markdown cell with no code after it is text alone: no empty code block under it
    assert "cell-code" not in section_html(page, "A closing remark")
    # the same in a notebook
    assert "Add two numbers: 5a = 2 6a + 3 Value5 Changed a: 2" in first_view(cells["adding"])
    assert "without explanation" not in cells["adding"]


def test_jupytext_cell_metadata_is_never_shown(cells: dict[str, str]) -> None:
    page = cells["cells"]
    assert "Tidy up 16c = b + 1 Changed c: 21" in first_view(page)
    assert '<h2 id="tidy-up">Tidy up</h2>' in section_html(page, "Tidy up")
    for metadata in ("slide_type", "classes", ".hidden", "&#34;n&#34;", '"n"'):
        assert metadata not in cards(page)


def test_a_markdown_cell_written_as_a_string_is_text(cells: dict[str, str]) -> None:
    page = cells["strings"]
    # the string is the second cell's text, not the page's docstring: the title is the first cell's
    assert "<title>Strings as cells · strings.py" in page
    assert "Then a cell written as a <em>string</em>." in section_html(page, "Then a cell")
    assert "All state j k next / previous cell Then a cell written as a string. 7y = 3 8y * 2 Value6 Changed y: 3 <aside" in first_view(page)


@pytest.mark.parametrize(
    ("line", "kind", "title"),
    [
        ("# %%", "code", ""),
        ("#%%", "code", ""),
        ("# %% Setting the rate", "code", "Setting the rate"),
        ("# %% [markdown]", "markdown", ""),
        ("# %% [md]", "markdown", ""),
        ('# %% Notes [markdown] tags=["hide"]', "markdown", "Notes"),
        ("# %% [raw]", "raw", ""),
        ('# %% attributes={"classes": [], "n": "10"}', "code", ""),
        ('# %% [markdown] {"key": "value"}', "markdown", ""),
        ('# %% A title {"key": "value"}', "code", "A title"),
        ('# %% Two words .class key="value"', "code", "Two words"),
        ("#" * 30, "code", ""),
    ],
)
def test_cell_markers(line: str, kind: str, title: str) -> None:
    marker = cell_marker(line)
    assert marker is not None and (marker.kind, marker.title) == (kind, title)


@pytest.mark.parametrize("line", ["# %%time", "# %matplotlib inline", "# 100%% sure", "# %"])
def test_not_cell_markers(line: str) -> None:
    assert cell_marker(line) is None


# ── notebooks ────────────────────────────────────────────────────────────────


def write_notebook(path: Path) -> Path:
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    cells = [
        new_markdown_cell("# Counting cells\n\nA small notebook with a *magic* and a shell line."),
        new_code_cell("%matplotlib inline\n!ls\ntotal = 0", outputs=[new_output("stream", name="stdout", text="stale saved output\n")]),
        new_markdown_cell("## Adding up\n\nThe sum of $i^2$ for $i < 4$:"),
        new_code_cell("%%time\nfor i in range(4):\n    total += i * i\nprint(total)"),
    ]
    nbformat.write(new_notebook(cells=cells), path)
    return path


@pytest.fixture(scope="module")
def notebook_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("notebooks")
    write_notebook(root / "counting.ipynb")
    (root / "bad.ipynb").write_text('{"cells": [{"cell_type": "code"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    err = io.StringIO()
    build([root], output=root / "site", jobs=1, reporter=Reporter(out=io.StringIO(), err=err, tty=False))
    return root, err.getvalue()


def test_a_notebook_is_an_example(notebook_site: tuple[Path, str]) -> None:
    page = (notebook_site[0] / "site" / "counting.html").read_text()
    assert "<title>Counting cells · counting.ipynb" in page
    assert "A small notebook with a <em>magic</em> and a shell line." in page
    html = section_html(page, "Adding up")
    assert '<h2 id="adding-up">Adding up</h2>' in html and "<mi>i</mi>" in html
    text = " ".join(page_text(cards(page), " ").split())
    assert "% matplotlib inline IPython magic: not run" in text and "!ls shell command: not run" in text
    assert "%% time IPython magic: not run" in text
    assert "print (total) output = 14" in text  # tracekit's run, not the output saved in the file
    assert "stale saved output" not in page and "Counting cells" not in page_text(page.split('class="listing', 1)[1])


def test_a_notebooks_listing_is_numbered_as_one_script(tmp_path: Path) -> None:
    example = read_example(write_notebook(tmp_path / "counting.ipynb"), tmp_path)
    assert [(ll.number, ll.text) for ll in example.listing] == [
        (1, "# %%"),
        (2, "%matplotlib inline"),
        (3, "!ls"),
        (4, "total = 0"),
        (5, ""),
        (6, "# %% [markdown]"),
        (7, "# ## Adding up"),
        (8, "#"),
        (9, "# The sum of $i^2$ for $i < 4$:"),
        (10, ""),
        (11, "# %%"),
        (12, "%%time"),
        (13, "for i in range(4):"),
        (14, "    total += i * i"),
        (15, "print(total)"),
    ]


def test_an_invalid_notebook_is_an_error_naming_it(notebook_site: tuple[Path, str]) -> None:
    assert "bad.ipynb:1: not a valid notebook (nbformat):" in notebook_site[1]
    assert "counting.ipynb" not in notebook_site[1]


def test_a_notebook_with_bad_json_names_its_line(tmp_path: Path) -> None:
    from tracekit.source import AuthoringError

    (tmp_path / "broken.ipynb").write_text('{\n  "cells": [\n  oops\n}\n')
    with pytest.raises(AuthoringError, match=r"^broken.ipynb:3: not a notebook: invalid JSON"):
        read_example(tmp_path / "broken.ipynb", tmp_path)


def test_the_builds_own_notebooks_are_never_examples(tmp_path: Path) -> None:
    from tracekit.site.discover import discover

    (tmp_path / "one.py").write_text("x = 1\n")
    write_notebook(tmp_path / "two.ipynb")
    for _ in range(2):  # the output is the examples folder: its downloads/ must not be read back
        result = build([tmp_path], output=tmp_path, jobs=1, reporter=Reporter(out=io.StringIO(), err=io.StringIO(), tty=False))
        assert result.exit_status == 0
    assert (tmp_path / "downloads" / "one.ipynb").is_file()
    assert sorted(p.name for p in tmp_path.glob("*.html")) == ["api.html", "index.html", "one.html", "two.html"]
    assert discover(tmp_path, skip=[tmp_path, tmp_path / "downloads"]) == ["one.py", "two.ipynb"]


def test_a_notebook_without_cell_ids_reads_without_a_warning(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    import json
    import warnings

    cells = [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": ["n = 1"]}]
    (tmp_path / "no_ids.ipynb").write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nbformat's MissingIDFieldWarning would raise here
        example = read_example(tmp_path / "no_ids.ipynb", tmp_path)
    assert [ll.text for ll in example.listing] == ["# %%", "n = 1"]
    err = io.StringIO()
    result = build([tmp_path / "no_ids.ipynb"], output=tmp_path / "out", jobs=1, reporter=Reporter(out=io.StringIO(), err=err, tty=False))
    assert result.exit_status == 0
    assert "MissingIDField" not in err.getvalue() + capfd.readouterr().err
    assert json.loads((tmp_path / "out" / "downloads" / "no_ids.ipynb").read_text())["cells"][0]["id"] == "cell-1"


def test_a_missing_picture_in_a_markdown_cell_is_a_warning_naming_its_line(tmp_path: Path) -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "here.png").write_bytes(b"\x89PNG\r\n")
    (tmp_path / "pics.py").write_text(
        '# %% [markdown]\n# ![here](img/here.png) and ![gone](img/gone.png "a title")\n\n'
        '# %% [markdown]\n# <img src="img/also%20gone.png" width="30"> ![web](https://example.org/x.png)\n# %%\nx = 1\n'
    )
    notebook = new_notebook(cells=[new_code_cell("x = 1"), new_markdown_cell("Text.\n\n![gone](gone.png)")])
    (tmp_path / "pics_nb.ipynb").write_text(nbformat.writes(notebook))
    err = io.StringIO()
    build([tmp_path / "pics.py", tmp_path / "pics_nb.ipynb"], output=tmp_path / "out", jobs=1, reporter=Reporter(out=io.StringIO(), err=err, tty=False))
    warned = [line for line in err.getvalue().splitlines() if "picture" in line]
    assert warned == [
        "tracekit: pics.py:2: picture 'img/gone.png' not found beside the example",
        "tracekit: pics.py:5: picture 'img/also gone.png' not found beside the example",
        "tracekit: pics_nb.ipynb:7: cell 2, line 3: picture 'gone.png' not found beside the example",
    ]
