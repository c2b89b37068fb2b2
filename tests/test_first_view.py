"""The reader's first view of tutorial pages, big values shown once, library noise left out of
the first view, and figure captions and labels as written (docs/authoring.md, "The first view")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import page_text

from tracekit.render.reader import noise
from tracekit.render.values import plain_mathtext
from tracekit.site import build

#: a matplotlib-gallery-style script: a 400-element array plotted twice, mathtext in the figure
PLOTS = r'''"""
Plotting a Sine Twice
=====================

A matplotlib-gallery-style script of our own.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def wave(t, p0):
    return p0 * np.sin(t)


###############################################################################
# Sampling
# --------

t = np.linspace(0.0, 1.0, 400)
y = wave(t, 2.0)
print(y.shape)

###############################################################################
# A first figure
# --------------

fig, ax = plt.subplots()
ax.plot(t, y)
ax.set_title(r"$\sin(t)$ scaled by $p_0$")
ax.set_xlabel("$t$")

###############################################################################
# The same array again
# --------------------

fig2, ax2 = plt.subplots()
ax2.plot(t, y, "o")
same = y
y.sum().round(3)

###############################################################################
# Changed now
# -----------

y = y * 2
y.max()
'''

#: an nn.Module whose layers are built in __init__, switched between modes
NET = r'''"""
A Module Built in ``__init__``
==============================
"""

import torch
from torch import nn

torch.manual_seed(0)

###############################################################################
# The module
# ----------


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 3)
        self.fc2 = nn.Linear(3, 1)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


model = Net()
print(sum(p.numel() for p in model.parameters()))

###############################################################################
# Switching modes
# ---------------

model.eval()

###############################################################################
# Training mode
# -------------

w = torch.zeros(2)
model.train()
'''

#: a `#:` page plotting a 400-element array twice
AUTHORED = r'''"""Plotting one array twice, authored."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

#: Four hundred points.
x = np.linspace(0.0, 1.0, 400)
#: The first plot shows the array.
plt.plot(x, x**2)
#: The second plot of the same array refers to it.
plt.plot(x, x**3)
#: A changed array is shown.
x = x + 1.0
'''

#: a plain-comment lesson
LESSON = r'''"""A Lesson in Comments

Plain comments explain the code below them.
"""

# Make a list of squares.
squares = [n * n for n in range(5)]
print(squares)

# Add one to each.
squares = [s + 1 for s in squares]
squares
'''

#: a gallery section whose loop runs 300 times: its lines step through their hits
LOOP_GALLERY = r'''"""
Three Hundred Steps
===================

A gallery-style script of our own.
"""

total = 0

###############################################################################
# A long loop
# -----------
#
# Each step adds the square of its index.

for i in range(300):
    sq = i * i
    total += sq
print(total)
'''

#: Jupytext percent cells, a loop in the code cell
LOOP_PERCENT = """\
# %% [markdown]
# # Remainders
#
# A loop in a percent cell.

# %%
seen = []
for k in range(50):
    seen.append(k % 7)
seen[-1]
"""

#: a plain-comment section with a while loop: its latest recorded hit is a thinned one
LOOP_COMMENTS = '''"""Counting in Threes

Plain comments explain the code below them.
"""

# Count up in threes past a thousand.
n = 0
while n < 1000:
    n += 3
print(n)
'''

#: a comment lesson whose loop comes before its first comment: it folds, and still steps
LOOP_FOLDED = '''"""Folded Loop

Plain comments explain the code below them.
"""

acc = 0
for j in range(20):
    acc += j

# Show it.
print(acc)
'''

SCRIPTS = {
    "plots": PLOTS,
    "net": NET,
    "authored": AUTHORED,
    "lesson": LESSON,
    "loop_gallery": LOOP_GALLERY,
    "loop_percent": LOOP_PERCENT,
    "loop_comments": LOOP_COMMENTS,
    "loop_folded": LOOP_FOLDED,
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("first-view")
    examples = tmp / "ex"
    examples.mkdir()
    for name, code in SCRIPTS.items():
        (examples / f"{name}.py").write_text(code, encoding="utf-8")
    result = build([examples], output=tmp / "out", jobs=1)
    assert result.exit_status == 0
    return tmp / "out"


def html(site: Path, name: str) -> str:
    return (site / f"{name}.html").read_text(encoding="utf-8")


def _without_bodies(page: str) -> str:
    """PAGE without what its closed statement states hold (the hits' <details> nest inside them)."""
    out, at = [], 0
    for m in re.finditer(r'<div class="ls-body">', page):
        if m.start() < at:
            continue
        depth = 1
        for tag in re.finditer(r"<(/?)details\b", page[m.end() :]):
            depth += -1 if tag.group(1) else 1
            if depth == 0:
                out.append(page[at : m.start()])
                at = m.end() + tag.start()
                break
    return "".join(out) + page[at:]


def first_view(page: str) -> str:
    """The page's text as it opens: every statement's closed state left out."""
    text = page_text(_without_bodies(page))
    return text[text.find("All state") :]


def test_a_gallery_cell_shows_its_code_output_figure_value_and_changes(site: Path) -> None:
    text = first_view(html(site, "plots"))
    assert (
        "Sampling 16t = np.linspace(0.0, 1.0, 400) 17y = wave(t, 2.0) 18print(y.shape) Output(400,) "
        "Changed t: [0. 0.00250627 0.00501253 0.0075188 0.01002506 0.01253133 0.01503759 0.… (400,)"
        "y: [0. 0.00501253 0.01002502 0.01503745 0.02004979 0.025062 0.03007405 0.0… (400,) A first figure"
    ) in text
    # the value of a cell's last bare expression, as a notebook shows it
    assert "36y.sum().round(3) Figure 2 Value367.68 Changed" in text
    assert "43y.max() Value3.365883939231586 Changed y: [0. 0.01002505" in text


def test_the_state_of_every_line_is_in_closed_details(site: Path) -> None:
    page = html(site, "plots")
    assert page.count('<details class="ls">') == 19
    assert '<details class="ls" open>' not in page
    # the full state is there, closed: the argument p0 of wave and the first plot's arguments
    assert '<summary><span class="fl" id="f-17"><span class="fn">17</span>' in page
    assert "⬇ p0 = 2.0" in page_text(page)
    # the listing links each line to its own code line
    assert 'id="L17" data-href="#f-17"' in page


def test_library_noise_is_left_out_of_the_first_view_only(site: Path) -> None:
    plots, net = html(site, "plots"), html(site, "net")
    for page in (plots, net):
        text = first_view(page)
        for noise_text in ("Line2D", "Text(", "Generator object", "<Figure size", "<Axes"):
            assert noise_text not in text
    assert "Line2D" in page_text(plots) and "Text(0.5, 1.0," in page_text(plots)
    text = first_view(net)
    # model.eval() and model.train() return the module itself: no Value row for them
    assert "Switching modes 28model.eval() Training mode 34w = torch.zeros(2) 35model.train() Changed w: tensor([0., 0.]) (2,) net.py" in text
    assert "Value" not in text
    full = page_text(net)
    assert "⬆ result: model.eval() = Net(" in full and "⬆ result: model.train() = Net(" in full
    assert "⬇ param: self = Net (being constructed)" in full and "repr raised" not in full


def test_a_big_value_is_shown_once_then_referenced(site: Path) -> None:
    plots = html(site, "plots")
    assert "Changed same: the 400-element array from line 17" in first_view(plots)
    assert '<a href="#f-17">the 400-element array from line 17</a>' in plots
    text = page_text(html(site, "authored"))
    # on a page of open cards: x is shown on line 7, each plot of it refers there
    assert text.count("⬇ *args: x = the 400-element array from line 7 shape (400,)") == 2
    assert '<a class="st-ref" href="#line-7">the 400-element array from line 7</a>' in html(site, "authored")
    # a changed value is shown again
    assert "⬆ result: x = [1. 1.00250627 1.00501253" in text


def test_authored_pages_keep_their_open_cards(site: Path) -> None:
    page = html(site, "authored")
    assert 'class="ls"' not in page and "All state" not in page and "cell-code" not in page
    assert "Execution state" in page and "j k next / previous line" in page_text(page)


def test_a_comment_lesson_reads_as_cells(site: Path) -> None:
    text = first_view(html(site, "lesson"))
    # what a cell printed as it is is not repeated under Changed
    assert "Make a list of squares. 2squares = [n * n for n in range(5)] 3print(squares) Output[0, 1, 4, 9, 16] Add one to each." in text
    assert "7squares Value[1, 2, 5, 10, 17] Changed squares: [1, 2, 5, 10, 17] len 5" in text


def test_figure_captions_read_mathtext_as_text(site: Path) -> None:
    page = html(site, "plots")
    assert "<figcaption>Figure 1: sin(t) scaled by p₀; x: t</figcaption>" in page
    assert 'alt="sin(t) scaled by p₀; x: t"' in page
    assert "$" not in re.sub(r".*?<figcaption>|</figcaption>.*?(?=<figcaption>|$)", "", page, flags=re.S)


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        (r"$\sin(x)$", "sin(x)"),
        (r"x: $x$; y: $\sin(x)$", "x: x; y: sin(x)"),
        (r"$p_0 \cdot e^{-t}$", "p₀ · e^(-t)"),
        (r"$\frac{1}{2}\alpha$", "1/2α"),
        (r"$\mathrm{loss}_{train}$", "loss_(train)"),
        (r"costs \$5 or $5", "costs $5 or $5"),
        ("no math", "no math"),
    ],
)
def test_plain_mathtext(tex: str, text: str) -> None:
    assert plain_mathtext(tex) == text


def test_the_noise_rule() -> None:
    assert noise({"type": "matplotlib.text.Text", "repr": "Text(0.5, 0, 'step')"})
    assert noise({"type": "list", "repr": "[<matplotlib.lines.Line2D object at 0x…>]"})
    assert noise({"type": "NoneType", "repr": "None"})
    model = {"type": "Net", "repr": "Net()"}
    assert noise(model, "model.train()", {"model": model})
    assert not noise(model, "model.train()", {"model": {"type": "Net", "repr": "Net(other)"}})
    assert not noise({"type": "list", "repr": "[1, 2]"})


#: a gallery script that stops in its first cell, just after opening an empty figure
STOPS = '''"""
Stopping Early
==============
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

# %%
# Start.
x = 1
plt.figure()
raise ValueError("stop")
y = 2
print(y)

# %%
# Later.
z = 3
'''


def test_lines_after_a_failure_look_unreached_and_an_empty_figure_is_left_out(tmp_path: Path) -> None:
    (tmp_path / "ex").mkdir()
    (tmp_path / "ex" / "stops.py").write_text(STOPS, encoding="utf-8")
    assert build([tmp_path / "ex"], output=tmp_path / "out", jobs=1).exit_status == 1
    page = html(tmp_path / "out", "stops")
    text = first_view(page)
    # dimmed and said so in the first view, not only inside closed details
    assert (
        "11y = 2 12print(y) not reached: the run stopped before these lines Changed x: 1 Later. 16z = 3 not reached: the run stopped before this line" in text
    )
    assert page.count('<div class="cl-rows cl-unreached">') == 3  # y = 2, print(y); z = 3
    # the figure opened just before the error has nothing on it: no empty picture
    assert "<figure" not in page and "Figure 1" not in page
    assert not list((tmp_path / "out").glob("**/*.png"))


def _state_of(page: str, code: str) -> str:
    """The closed state of the reader's code line CODE (as the page reads it), as HTML."""
    for m in re.finditer(r'<details class="ls[^"]*"[^>]*>\s*<summary>(.*?)</summary>', page, re.S):
        if page_text(re.sub(r'<span class="fn">\d+</span>', "", m.group(1))) != code:
            continue
        depth, at = 1, m.end()
        for tag in re.finditer(r"<(/?)details\b", page[at:]):
            depth += -1 if tag.group(1) else 1
            if depth == 0:
                return page[at : at + tag.start()]
    raise AssertionError(f"no state under {code!r}")


def test_a_gallery_loop_line_steps_to_its_last_hit(site: Path) -> None:
    page = html(site, "loop_gallery")
    state = _state_of(page, "sq = i * i")
    text = page_text(state)
    assert text.startswith("Ran 300 times · hits 1–3 and 300 of 300 recorded hit 1 of 300 Hit 1 of 300 ⬆ result: sq = 0")
    assert "Hits 2–3 and 300 Hit 2 of 300 ⬆ result: sq = 1 Hit 3 of 300 ⬆ result: sq = 4 Hit 300 of 300 ⬆ result: sq = 89401" in text
    assert "first hit shown" not in page
    # the hits past the first are in a closed <details>: every one of them is there without a script
    assert re.search(r'<details class="hit-more">\s*<summary>Hits 2–3 and 300</summary>.*?data-hit="299"', state, re.S)
    assert '<details class="hit-more" open' not in page
    # the loop variable and the running total: their last hits too, and after the loop
    assert "Hit 300 of 300 ⬆ i = 299" in page_text(_state_of(page, "for i in range(300):"))
    assert "Hit 300 of 300 ⬆ result: total = 8955050" in page_text(_state_of(page, "total += sq"))
    # the first view is what it was: the cell's code, its output, what it changed; no pager
    first = first_view(page)
    assert (
        "Each step adds the square of its index. 9for i in range(300): 10 sq = i * i 11 total += sq 12print(total) Output8955050 Changed i: 299sq: 89401 "
        in first
    )
    assert "Ran 300" not in first and "Hit " not in first


def test_a_percent_cell_loop_steps_to_its_last_hit(site: Path) -> None:
    page = html(site, "loop_percent")
    text = page_text(_state_of(page, "seen.append(k % 7)"))
    # what every hit shares (the method it called) is above the pager
    assert text.startswith("📚 seen.append() = Append object to the end of the list. list.append Ran 50 times · hits 1–3 and 50 of 50 recorded")
    assert "Hit 50 of 50 ⬇ object: k % 7 = 0 ✎ grew: seen = [0, 1, 2, 3, 4, 5, 6, 0," in text and text.endswith(" 6, 0] len 49 → 50len 50")
    assert "Hit 50 of 50 ⬆ k = 49 ⏹ after the loop: k = 49" in page_text(_state_of(page, "for k in range(50):"))
    assert "4 seen.append(k % 7) 5seen[-1] Value0 Changed k: 49seen:" in first_view(page)


def test_a_comment_section_loop_names_its_latest_thinned_hit(site: Path) -> None:
    page = html(site, "loop_comments")
    text = page_text(_state_of(page, "n += 3"))  # 334 hits: recorded on 1-3 and 4, 8, …, 256
    assert text.startswith("Ran 334 times · hits 1–3 and 256 of 334 recorded")
    assert "Hits 2–3 and 256" in text and "Hit 256 of 334 ⬆ result: n = 768" in text
    # the first view's Changed row has the value the loop ended with (1002, as printed), not
    # the latest recorded hit's 768
    first = first_view(page)
    assert "4 n += 3 5print(n) Output1002 loop_comments.py" in first and "768" not in first


def test_a_folded_loop_on_a_reader_s_page_steps_too(site: Path) -> None:
    page = html(site, "loop_folded")
    fold = re.search(r'<details class="fold".*?(?=<article)', page, re.S)
    assert fold is not None
    text = page_text(fold.group(0))
    assert "3 acc += j Ran 20 times · hits 1–3 and 20 of 20 recorded hit 1 of 20 Hit 1 of 20 ⬆ result: acc = 0 Hits 2–3 and 20" in text
    assert text.endswith("Hit 20 of 20 ⬆ result: acc = 190")
    assert "first hit shown" not in page
