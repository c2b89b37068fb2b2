"""The notebook download of a gallery, percent, comments or notebook example: a Markdown cell per
text block, a code cell per block of code, and the run's outputs (printed text, figures, the last
expression's value, expected errors), valid for nbformat and run to the same text by Jupyter."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import nbformat
import pytest

from tracekit import build
from tracekit.site.report import Reporter

GALLERY = '''"""
Three cells
===========

A print, a figure and a value, with :math:`x^2`.
"""

# %%
# Printing
# --------
#
# The sum is printed.

total = sum(range(4))
print("total", total)

# %%
# A figure
# --------
#
# Squares, drawn.

import matplotlib.pyplot as plt

fig, ax = plt.subplots()
ax.plot([0, 1, 2], [0, 1, 4])
ax.set_title("Squares")
plt.show()

# %%
# The value
# ---------
#
# The last expression is the cell's value.

total * 2
'''


def build_notebook(tmp_path: Path, name: str, text: str | bytes) -> tuple[dict, Path]:
    """Build the example NAME holding TEXT; its notebook download (validated) and the output."""
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    (src / name).write_bytes(text.encode() if isinstance(text, str) else text)
    out = tmp_path / "out"
    result = build([src], output=out, jobs=1, reporter=Reporter(out=io.StringIO(), err=io.StringIO(), tty=False))
    assert result.exit_status == 0
    path = out / "downloads" / Path(name).with_suffix(".ipynb")
    nbformat.validate(nbformat.read(path, as_version=4))
    return json.loads(path.read_text(encoding="utf-8")), out


def shape(nb: dict) -> list[tuple[str, list[str]]]:
    return [(c["cell_type"], [o["output_type"] for o in c.get("outputs", [])]) for c in nb["cells"]]


def text(cell: dict) -> str:
    return "".join(cell["source"])


def streams(cell: dict) -> str:
    return "".join("".join(o["text"]) for o in cell["outputs"] if o["output_type"] == "stream")


def test_a_three_cell_gallery_script_is_a_markdown_and_a_code_cell_each(tmp_path: Path) -> None:
    nb, out = build_notebook(tmp_path, "three.py", GALLERY)
    assert shape(nb) == [
        ("markdown", []),
        ("markdown", []),
        ("code", ["stream"]),
        ("markdown", []),
        ("code", ["display_data"]),
        ("markdown", []),
        ("code", ["execute_result"]),
    ]
    cells = nb["cells"]
    assert text(cells[0]) == "# Three cells\n\nA print, a figure and a value, with $x^2$."
    assert text(cells[1]) == "## Printing\n\nThe sum is printed."
    assert text(cells[2]) == 'total = sum(range(4))\nprint("total", total)'
    assert cells[2]["outputs"] == [{"output_type": "stream", "name": "stdout", "text": ["total 6\n"]}]
    assert text(cells[4]).startswith("import matplotlib.pyplot as plt\n") and text(cells[4]).endswith("plt.show()")
    figure = cells[4]["outputs"][0]
    [png] = list((out / "figures").glob("*.png"))
    assert base64.b64decode(figure["data"]["image/png"]) == png.read_bytes()
    assert figure["data"]["text/plain"] == ["Squares"]
    assert text(cells[6]) == "total * 2"
    assert cells[6]["outputs"] == [{"output_type": "execute_result", "execution_count": 3, "metadata": {}, "data": {"text/plain": ["12"]}}]
    assert [c.get("execution_count") for c in cells if c["cell_type"] == "code"] == [1, 2, 3]
    assert "#" * 20 not in "".join(text(c) for c in cells) and "# %%" not in "".join(text(c) for c in cells)


def test_a_cell_expected_to_raise_is_tagged_and_the_cells_after_it_did_not_run(tmp_path: Path) -> None:
    script = (
        '"""Raising"""\n\n# %%\n# First a print.\n\nx = 1\nprint(x + 1)\n\n'
        '# %%\n# It fails, as expected.\n\nx = 2\nint("seven")  # tracekit: raises=ValueError\n\n'
        "# %%\n# Never reached.\n\nprint(x)\n"
    )
    nb, _ = build_notebook(tmp_path, "raising.py", script)
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert [c["metadata"] for c in cells] == [{}, {"tags": ["raises-exception"]}, {}]
    assert [c["execution_count"] for c in cells] == [1, 2, None]
    assert streams(cells[0]) == "2\n" and cells[2]["outputs"] == []
    assert cells[1]["outputs"] == [
        {
            "output_type": "error",
            "ename": "ValueError",
            "evalue": "invalid literal for int() with base 10: 'seven'",
            "traceback": [
                "Cell In[2], line 2",
                '----> 2 int("seven")  # tracekit: raises=ValueError',
                "ValueError: invalid literal for int() with base 10: 'seven'",
            ],
        }
    ]


def test_a_function_s_prints_go_to_the_cell_that_calls_it_in_the_order_they_ran(tmp_path: Path) -> None:
    script = '"""Calls"""\n\n# %%\n# Define.\n\ndef f(n):\n    print("in f", n)\n\n# %%\n# Call.\n\nfor i in range(2):\n    print("loop", i)\n    f(i)\n'
    nb, _ = build_notebook(tmp_path, "calls.py", script)
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert [streams(c) for c in cells] == ["", "loop 0\nin f 0\nloop 1\nin f 1\n"]


def test_comment_sections_and_percent_cells_are_cells(tmp_path: Path) -> None:
    comments = '"""Sections"""\n\n# The first number.\na = 1\n\n# Its double, printed.\nfor _ in range(1):\n    # a comment inside the loop stays code\n    print(a * 2)\n'
    nb, _ = build_notebook(tmp_path, "sections.py", comments)
    assert [(c["cell_type"], text(c)) for c in nb["cells"]] == [
        ("markdown", "# Sections"),
        ("markdown", "The first number."),
        ("code", "a = 1"),
        ("markdown", "Its double, printed."),
        ("code", "for _ in range(1):\n    # a comment inside the loop stays code\n    print(a * 2)"),
    ]
    percent = "# %% [markdown]\n# # Percent\n#\n# Intro.\n\n# %%\nx = 3\n\n# %% [raw]\n# raw text\n\n# %% [markdown]\n# Then **x**:\n\n# %%\nx\n"
    nb, _ = build_notebook(tmp_path, "percent.py", percent)
    assert [(c["cell_type"], text(c), [o["output_type"] for o in c.get("outputs", [])]) for c in nb["cells"]] == [
        ("markdown", "# Percent", []),  # the heading is the page's title; the words under it introduce the first code cell
        ("markdown", "Intro.", []),
        ("code", "x = 3", []),
        ("raw", "raw text", []),
        ("markdown", "Then **x**:", []),
        ("code", "x", ["execute_result"]),
    ]


def notebook_example() -> bytes:
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell

    cells = [
        new_markdown_cell("# Counting\n\nA notebook with a *magic*."),
        new_code_cell("%matplotlib inline\ntotal = 0", outputs=[new_output("stream", name="stdout", text="stale saved output\n")]),
        new_markdown_cell("## Adding up"),
        new_code_cell("%%time\nfor i in range(4):\n    total += i * i\nprint(total)"),
        new_raw_cell("raw, as it was"),
        new_code_cell("total / 2;"),
        new_code_cell("total + 1"),
    ]
    cells[3].metadata["tags"] = ["keep-me"]
    return nbformat.writes(new_notebook(cells=cells)).encode()


def test_a_notebook_example_gets_back_its_own_cells_run(tmp_path: Path) -> None:
    data = notebook_example()
    nb, out = build_notebook(tmp_path, "counting.ipynb", data)
    original = json.loads(data)
    assert [(c["cell_type"], text(c), c["id"]) for c in nb["cells"]] == [(c["cell_type"], text(c), c["id"]) for c in original["cells"]]
    assert [[o["output_type"] for o in c.get("outputs", [])] for c in nb["cells"]] == [[], [], [], ["stream"], [], [], ["execute_result"]]
    assert streams(nb["cells"][3]) == "14\n"  # tracekit's run, not the output saved in the file
    assert nb["cells"][3]["metadata"] == {"tags": ["keep-me"]}
    assert nb["cells"][6]["outputs"][0]["data"] == {"text/plain": ["15"]}
    assert [c.get("execution_count") for c in nb["cells"] if c["cell_type"] == "code"] == [1, 2, 3, 4]
    assert "stale saved output" not in (out / "downloads" / "counting.ipynb").read_text()
    page = (out / "counting.html").read_text()
    assert 'href="downloads/counting.ipynb"' in page and "Notebook (.ipynb)" not in page  # one download: the notebook, run


def test_jupyter_runs_the_notebook_to_the_same_output(tmp_path: Path) -> None:
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    script = (
        GALLERY
        + '\n# %%\n# A function, called from the next cell.\n\ndef f(n):\n    print("in f", n)\n\n# %%\n# Calls.\n\nfor i in range(3):\n    print("loop", i)\n    f(i)\n'
    )
    ours, _ = build_notebook(tmp_path, "three.py", script)
    nb = nbformat.reads(json.dumps(ours), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    nbformat.validate(nb)
    theirs = json.loads(nbformat.writes(nb))
    code = [(a, b) for a, b in zip(ours["cells"], theirs["cells"], strict=True) if a["cell_type"] == "code"]
    assert [streams(b) for _, b in code] == [streams(a) for a, _ in code]
    assert [streams(a) for a, _ in code][-1] == "loop 0\nin f 0\nloop 1\nin f 1\nloop 2\nin f 2\n"
    assert [[o["output_type"] for o in b["outputs"]] for _, b in code] == [[o["output_type"] for o in a["outputs"]] for a, _ in code]
    assert [o["data"]["text/plain"] for a, b in code for o in a["outputs"] + b["outputs"] if o["output_type"] == "execute_result"] == [["12"], ["12"]]


def test_a_notebook_example_s_download_reads_the_notebook_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import traceback

    from tracekit.book import notebook

    reads = []
    real = nbformat.reads

    def counted(*a: object, **k: object) -> object:
        reads.append(any(f.filename == notebook.__file__ for f in traceback.extract_stack()))
        return real(*a, **k)

    data = notebook_example()
    monkeypatch.setattr(nbformat, "reads", counted)
    nb, _ = build_notebook(tmp_path, "counting.ipynb", data)
    assert reads.count(True) == 1  # the download; the run's reads are tracekit.source's and tracekit.run's
    assert [c["id"] for c in nb["cells"]] == [c["id"] for c in json.loads(data)["cells"]]
