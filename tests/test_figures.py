"""Figures and images: matplotlib figures appear on the line that made them; image values become PNGs."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import ROOT as REPO
from helpers import line, run_traced, validate_trace

from tracekit.run import RunResult, figure_files, trace_file


def run(tmp_path: Path, code: str, name: str = "script.py", **kw: object) -> RunResult:
    result: RunResult = run_traced(tmp_path, code, name=name, cwd=tmp_path, **kw)
    assert set(result.figures) == set(figure_files(result.trace))
    return result


def where(trace: dict) -> list[tuple[int | None, int | None]]:
    """(line, hit) of every captured figure, in capture order."""
    return [(f["line"], f["hit"]) for f in trace.get("figures", [])]


def png(data: bytes):
    from PIL import Image

    im = Image.open(io.BytesIO(data))
    im.load()
    return im


@pytest.fixture(autouse=True)
def _needs_matplotlib() -> None:
    pytest.importorskip("matplotlib")
    pytest.importorskip("PIL")


def test_show_captures_every_open_figure_on_its_line(tmp_path: Path) -> None:
    r = run(
        tmp_path,
        """\
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots()
        ax.plot([1, 2, 3], [3, 1, 2])
        ax.set_title("Loss")
        ax.set_xlabel("step")
        ax.set_ylabel("value")
        plt.figure()
        plt.plot([0, 1])
        plt.show()
        print("after show")
        """,
    )
    t = r.trace.to_dict()
    assert t["status"] == "ok" and t["stdout"] == "after show\n" and t["stderr"] == ""
    figs = t["figures"]
    assert where(t) == [(9, 0), (9, 0)]
    assert figs[0]["alt"] == "Loss; x: step; y: value" and figs[1]["alt"] == "Figure 2"
    assert (figs[0]["width"], figs[0]["height"]) == (640, 480)
    assert line(t, 9)["records"][0]["figures"] == [f["file"] for f in figs]
    assert "figures" not in line(t, 3)["records"][0]
    for f in figs:
        assert f["file"] == __import__("hashlib").sha256(r.figures[f["file"]]).hexdigest()[:16] + ".png"
        assert png(r.figures[f["file"]]).size == (640, 480)
    assert figs[0]["file"] != figs[1]["file"]


def test_savefig_captures_that_figure_and_still_saves(tmp_path: Path) -> None:
    r = run(
        tmp_path,
        """\
        import matplotlib.pyplot as plt
        from matplotlib.figure import Figure
        fig, ax = plt.subplots()
        ax.plot([1, 2, 3])
        plt.savefig("a.png")
        other = Figure(figsize=(2, 1))
        other.add_subplot().bar([1, 2], [3, 4])
        other.savefig("b.png")
        other.savefig("c.png")
        """,
    )
    t = r.trace.to_dict()
    assert (tmp_path / "a.png").exists() and (tmp_path / "b.png").exists()
    assert where(t) == [(5, 0), (8, 0)]  # unchanged figures are not captured again (line 9, end)
    assert (t["figures"][1]["width"], t["figures"][1]["height"]) == (200, 100)
    assert line(t, 5)["records"][0]["figures"] == [t["figures"][0]["file"]]
    assert "figures" not in line(t, 9)["records"][0]


def test_a_figure_no_later_line_touches_is_shown_on_its_last_drawing_line(tmp_path: Path) -> None:
    r = run(
        tmp_path,
        """\
        import matplotlib.pyplot as plt
        def draw(ax, data):
            ax.plot(data)
        fig, ax = plt.subplots()
        draw(ax, [1, 3, 2])
        ax.set_title("closed")
        x = 1 + 1
        plt.close(fig)
        fig2, ax2 = plt.subplots()
        ax2.plot([5, 4])
        y = x * 2
        print(y)
        """,
    )
    t = r.trace.to_dict()
    # closed without show: on the title line; never shown, still open at the end: the plot line
    assert where(t) == [(6, 0), (10, 0)]
    assert t["figures"][0]["alt"] == "closed"
    assert line(t, 6)["records"][0]["figures"] == [t["figures"][0]["file"]]
    assert line(t, 10)["records"][0]["figures"] == [t["figures"][1]["file"]]
    assert "figures" not in line(t, 8)["records"][0] and "figures" not in line(t, 12)["records"][0]


def test_drawing_inside_a_function_is_attributed_to_the_line_in_the_function(tmp_path: Path) -> None:
    r = run(
        tmp_path,
        """\
        import matplotlib.pyplot as plt
        def draw(values):
            plt.plot(values)
            return len(values)
        n = draw([1, 2])
        """,
    )
    assert where(r.trace.to_dict()) == [(3, 0)]


def test_a_figure_changed_after_show_is_captured_again_at_the_end(tmp_path: Path) -> None:
    r = run(
        tmp_path,
        """\
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots()
        ax.plot([1, 2])
        plt.show()
        ax.plot([2, 1])
        z = 0
        """,
    )
    t = r.trace.to_dict()
    assert where(t) == [(4, 0), (5, 0)]
    assert t["figures"][0]["file"] != t["figures"][1]["file"]


def test_figures_in_a_loop_beyond_the_recorded_hits_go_to_figures_later(tmp_path: Path) -> None:
    r = run(
        tmp_path,
        """\
        import matplotlib.pyplot as plt
        for i in range(4):
            plt.plot([0, i + 1])
            plt.show()
            plt.close()
        """,
        hits=2,
    )
    t = r.trace.to_dict()
    assert where(t) == [(4, 0), (4, 1), (4, None), (4, None)]
    ln = line(t, 4)
    # the loop's last iteration is recorded too (hit 3, `last`), but a hit past the first N shows
    # its figure with the later ones, as the trace's figure list says (hit None)
    assert [(rec["hit"], rec.get("last", False), rec.get("figures")) for rec in ln["records"]] == [
        (0, False, [t["figures"][0]["file"]]),
        (1, False, [t["figures"][1]["file"]]),
        (3, True, None),
    ]
    assert ln["figures_later"] == [t["figures"][2]["file"], t["figures"][3]["file"]]


def test_figure_files_are_byte_identical_over_two_runs(tmp_path: Path) -> None:
    code = """\
        import matplotlib.pyplot as plt
        import numpy as np
        x = np.linspace(0, 6, 50)
        plt.plot(x, np.sin(x), label="sin")
        plt.legend()
        plt.title("A sine")
        plt.show()
        """
    a = run(tmp_path, code, trace_path=tmp_path / "a.json", figures_dir=tmp_path / "figs_a")
    b = run(tmp_path, code, trace_path=tmp_path / "b.json", figures_dir=tmp_path / "figs_b")
    assert a.figures and a.figures == b.figures
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    assert sorted(p.name for p in (tmp_path / "figs_a").iterdir()) == sorted(a.figures)
    for name, data in a.figures.items():
        assert (tmp_path / "figs_b" / name).read_bytes() == data
        assert b"Software" not in data and b"tEXt" not in data


def test_count_limit_stops_capturing_and_says_so(tmp_path: Path) -> None:
    r = run(
        tmp_path,
        """\
        import matplotlib.pyplot as plt
        for i in range(5):
            plt.figure()
            plt.plot([0, i])
        plt.show()
        """,
        max_figures=3,
    )
    t = r.trace.to_dict()
    assert len(t["figures"]) == 3 and len(r.figures) == 3
    assert t["figure_limit"] == "3 figures captured; 2 more were not"


def test_size_limit_scales_large_figures_down(tmp_path: Path) -> None:
    r = run(
        tmp_path,
        """\
        import matplotlib.pyplot as plt
        big = plt.figure(figsize=(40, 10))
        plt.plot([1, 2])
        plt.show()
        """,
    )
    f = r.trace.to_dict()["figures"][0]
    assert 1990 <= f["width"] <= 2000 and f["height"] <= 500
    assert png(r.figures[f["file"]]).size == (f["width"], f["height"])
    small = run(tmp_path, "import matplotlib.pyplot as plt\nplt.plot([1])\nplt.show()\n", figure_max_size=(320, 320), figure_dpi=200)
    s = small.trace.to_dict()["figures"][0]
    assert (s["width"], s["height"]) == (320, 240)


def test_pil_image_values_become_small_pngs(tmp_path: Path) -> None:
    r = run(
        tmp_path,
        """\
        from PIL import Image
        tiny = Image.new("RGB", (8, 4), (255, 0, 0))
        tiny.putpixel((0, 0), (0, 0, 255))
        shown = tiny
        big = Image.new("L", (600, 300), 128)
        Image.new("RGB", (4, 4)).save("saved.png")
        lazy = Image.open("saved.png")
        print(lazy._im is None)
        """,
    )
    t = r.trace.to_dict()
    assert t["stdout"] == "True\n"  # recording did not load the lazily opened image
    red = [e for e in line(t, 2)["records"][0]["events"] if e["text"] == "tiny"][0]["value"]["image"]
    tiny = [e for e in line(t, 4)["records"][0]["events"] if e["text"] == "shown"][0]["value"]["image"]
    assert red["file"] != tiny["file"]  # a snapshot: the image as it was when the line ran
    assert (tiny["width"], tiny["height"]) == (64, 32)
    im = png(r.figures[tiny["file"]]).convert("RGB")
    assert im.size == (64, 32)
    # nearest neighbour: the blue pixel stays a crisp 8x8 block
    assert im.getpixel((7, 7)) == (0, 0, 255) and im.getpixel((8, 8)) == (255, 0, 0)
    big = [e for e in line(t, 5)["records"][0]["events"] if e["role"] == "bind"][0]["value"]["image"]
    assert (big["width"], big["height"]) == (256, 128)
    lazy = [e for e in line(t, 7)["records"][0]["events"] if e["role"] == "bind"][0]["value"]
    assert "image" not in lazy


def test_arrays_on_lines_marked_image_become_pngs(tmp_path: Path) -> None:
    pytest.importorskip("numpy")
    pytest.importorskip("torch")
    r = run(
        tmp_path,
        """\
        import numpy as np
        import torch
        digit = np.zeros((8, 8)); digit[2:6, 3] = 1.0
        marked = digit * 2 - 0.5
        rgb = np.full((4, 6, 3), 200, dtype=np.uint8)
        chw = torch.stack([torch.ones(4, 4), torch.zeros(4, 4), torch.zeros(4, 4)])
        flat = np.arange(5)
        unmarked = digit
        """,
        image_lines=[4, 5, 6, 7],
    )

    def bound(n: int) -> dict:
        return [e for e in line(r.trace.to_dict(), n)["records"][0]["events"] if e["role"] == "bind"][-1]["value"]

    img = bound(4)["image"]
    assert (img["width"], img["height"]) == (64, 64)
    pixels = png(r.figures[img["file"]])
    assert pixels.mode == "L" and pixels.getpixel((3 * 8, 2 * 8)) == 255 and pixels.getpixel((0, 0)) == 0
    assert bound(4)["rows"]  # the numbers are still there
    assert (bound(5)["image"]["width"], bound(5)["image"]["height"]) == (66, 44)
    assert png(r.figures[bound(5)["image"]["file"]]).getpixel((0, 0)) == (200, 200, 200)
    chw = png(r.figures[[e for e in line(r.trace.to_dict(), 6)["records"][0]["events"] if e["text"] == "chw"][0]["value"]["image"]["file"]])
    assert chw.size == (64, 64) and chw.getpixel((0, 0)) == (255, 0, 0)
    assert "image" not in bound(7) and "image" not in bound(8)


def test_without_pil_images_are_skipped_quietly(tmp_path: Path) -> None:
    pytest.importorskip("numpy")
    r = run(
        tmp_path,
        """\
        import sys
        sys.modules["PIL"] = None
        sys.modules["PIL.Image"] = None
        import numpy as np
        a = np.ones((8, 8))
        print("ok")
        """,
        image_lines=[5],
    )
    assert r.trace.status == "ok" and r.trace.stdout == "ok\n" and r.figures == {}
    assert "image" not in line(r.trace.to_dict(), 5)["records"][0]["events"][-1]["value"]


def test_a_script_without_matplotlib_never_imports_it(tmp_path: Path) -> None:
    r = run(
        tmp_path,
        """\
        import sys
        x = [1, 2, 3]
        print("matplotlib" in sys.modules, "PIL" in sys.modules)
        """,
        image_lines=[2],
    )
    assert r.trace.stdout == "False False\n"
    assert "figures" not in r.trace.to_dict() and "figure_limit" not in r.trace.to_dict() and r.figures == {}


def test_backend_is_non_interactive_and_output_matches_python(tmp_path: Path) -> None:
    script = tmp_path / "prog.py"
    script.write_text(
        textwrap.dedent("""\
        import warnings
        import matplotlib
        import matplotlib.pyplot as plt
        from matplotlib.pyplot import show
        print(matplotlib.get_backend())
        fig, ax = plt.subplots()
        ax.set_title(r"$\\notacommand$")  # drawing this fails: only savefig would notice
        show()
        warnings.warn("once")
        plt.plot([1, 2])
        warnings.warn("once")
        plt.show()
        print(sorted(plt.get_fignums()))
        """)
    )
    env = {k: v for k, v in __import__("os").environ.items() if k not in ("MPLBACKEND", "DISPLAY")}
    plain = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    traced = subprocess.run(
        [sys.executable, "-m", "tracekit", "run", "--trace", str(tmp_path / "t.json"), str(script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert (traced.stdout, traced.stderr, traced.returncode) == (plain.stdout, plain.stderr, plain.returncode)
    assert plain.stdout.splitlines()[0].lower() == "agg"
    t = json.loads((tmp_path / "t.json").read_text())
    assert t["status"] == "ok"
    validate_trace(t)


@pytest.mark.parametrize("name", ["image_grid.py", "training_loop.py"])
def test_examples_show_their_figures(tmp_path: Path, name: str) -> None:
    if name == "training_loop.py":
        pytest.importorskip("torch")
    pytest.importorskip("numpy")
    from tracekit.source import read_example

    ex = read_example(REPO / "examples" / name, REPO / "examples")
    result = trace_file(REPO / "examples" / name, capture=True, cwd=tmp_path, probes=ex.probes, image_lines=[i.line for i in ex.items if i.image], timeout=120)
    t = result.trace.to_dict()
    validate_trace(t)
    assert t["status"] == "ok" and not t.get("placeholder_errors")
    assert len(t["figures"]) == 1
    show_line = [i.line for i in ex.items if i.code.strip() == "plt.show()"][0]
    assert where(t) == [(show_line, 0)]
    if name == "image_grid.py":
        assert t["figures"][0]["alt"].startswith("Ten hand-drawn")
        marked = [i.line for i in ex.items if i.image]
        images = [e["value"]["image"] for e in line(t, marked[0])["records"][0]["events"] if "image" in e.get("value", {})]
        assert images and (images[0]["width"], images[0]["height"]) == (64, 64)
    else:
        assert t["figures"][0]["alt"] == "Training loss; x: step; y: mean squared error"


def test_figures_open_when_the_script_fails_are_still_captured(tmp_path: Path) -> None:
    r = run(
        tmp_path,
        """\
        import matplotlib.pyplot as plt
        plt.plot([1, 2, 3])
        plt.title("before the error")
        raise ValueError("boom")
        """,
    )
    t = r.trace.to_dict()
    assert t["status"] == "error" and t["error"]["type"] == "ValueError"
    assert where(t) == [(3, 0)] and t["figures"][0]["alt"] == "before the error"


def test_run_command_writes_figures_where_asked(tmp_path: Path) -> None:
    script = tmp_path / "fig.py"
    script.write_text("import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.title('rising')\nplt.show()\n")
    done = subprocess.run(
        [sys.executable, "-m", "tracekit", "run", "--trace", "t.json", "--figures", "figs", "fig.py"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    trace = json.loads((tmp_path / "t.json").read_text())
    (figure,) = trace["figures"]
    assert figure["line"] == 4 and figure["alt"] == "rising"
    assert (tmp_path / "figs" / figure["file"]).read_bytes().startswith(b"\x89PNG")


CELLS = '''\
"""
Five figures
============

One figure per cell, shown once at the end.
"""
import matplotlib.pyplot as plt


def draw(values):
    plt.plot(values)


# %%
# First figure.
f1 = plt.figure()
draw([1, 2, 3])

# %%
# Second figure, saved in its own cell.
f2 = plt.figure()
plt.plot([3, 2, 1])
f2.savefig("second.png")

# %%
# Third figure.
f3 = plt.figure()
plt.bar([1, 2], [2, 1])

# %%
# The first figure again, and a fourth.
f1.axes[0].set_title("first, again")
f4 = plt.figure()
plt.plot([0, 0, 1])

# %%
# Fifth figure, then show.
f5 = plt.figure()
plt.plot([5, 5])
plt.show()
print(plt.get_fignums())
'''


def test_each_cell_shows_the_figures_it_changed(tmp_path: Path) -> None:
    import re

    from tracekit import build

    (tmp_path / "ex").mkdir()
    (tmp_path / "ex" / "cells.py").write_text(CELLS)
    build([tmp_path / "ex" / "cells.py"], output=tmp_path / "out", jobs=1)
    t = json.loads((tmp_path / "out" / "cells.json").read_text())
    assert t["status"] == "ok" and t["stdout"] == "[1, 2, 3, 4, 5]\n"  # nothing closed on the script's behalf
    # drawn by a function of the first cell: shown in the cell that called it (line 17);
    # savefig shows the second where it was saved, not again at the cell's end
    assert where(t) == [(17, 0), (23, 0), (28, 0), (32, 0), (34, 0), (40, 0)]
    assert [f["alt"] for f in t["figures"]] == ["Figure 1", "Figure 2", "Figure 3", "first, again", "Figure 4", "Figure 5"]
    assert len({f["file"] for f in t["figures"]}) == 6
    page = (tmp_path / "out" / "cells.html").read_text()
    cards = re.findall(r'<article class="card card-section".*?</article>', page, re.S)
    # the code before the first cell, then the five cells; only the fifth figure is under plt.show()
    assert [c.count('<figure class="fig"') for c in cards] == [0, 1, 1, 1, 2, 1]
    assert page.count('<figure class="fig"') == 6


def test_a_cell_ends_at_the_first_statement_of_the_next(tmp_path: Path) -> None:
    r = run(
        tmp_path,
        """\
        import matplotlib.pyplot as plt
        for i in range(2):
            plt.plot([0, i])
        # %%
        # Show the earlier figure, then a new one.
        plt.show()
        plt.figure()
        plt.plot([1, 0])
        plt.show()
        """,
        cells=[4],
    )
    # the loop's figure is captured when line 6 starts (on its last hit of line 3), so plt.show()
    # on line 6 has nothing left to show; line 9 shows the figure drawn in its own cell
    assert where(r.trace.to_dict()) == [(3, 1), (9, 0)]


def test_without_cells_show_collects_every_changed_figure(tmp_path: Path) -> None:
    r = run(tmp_path, CELLS)
    assert where(r.trace.to_dict()) == [(23, 0), (40, 0), (40, 0), (40, 0), (40, 0)]
