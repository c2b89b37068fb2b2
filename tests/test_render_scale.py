"""A page's work grows with its script's length, not with its square.

Not timed: the guard counts the lines of tracekit's own code that run (sys.settrace line events)
while a 200-line and a 2,000-line script are turned into a page view, and while their text
blocks are found. Linear work gives a ratio near 10; a pass that rescans the rest of the file
per statement or per text block gives one near 100. benchmarks/render_scale.py times the real
build.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

import tracekit
from tracekit.child.protocol import SCHEMA_VERSION
from tracekit.prose import CommentLine, Statement, text_blocks
from tracekit.render import build_view
from tracekit.source import read_example

PACKAGE = str(Path(tracekit.__file__ or "").resolve().parent)
SMALL, LARGE = 200, 2000
LINEAR = 15  # the largest ratio of the two counts that still reads as linear


def _script(lines: int, kind: str) -> str:
    """A script of LINES lines: assignments and functions, with prose of KIND every 20 statements."""
    out = ['"""A long script.', "", "Its intro.", '"""', ""]
    i = 0
    while len(out) < lines:
        if i % 20 == 0 and kind == "gallery":
            out += ["#" * 70, f"# Part {i}", "# ---------", "#", f"# About part {i}.", ""]
        elif i % 20 == 0 and kind == "comments":
            out += ["", f"# Now part {i} of the", "# values.", ""]
        elif i % 20 == 0 and kind == "block":
            out += [f"#:: part {i}", f"v{i} = {i}", ""]
        elif i % 20 == 5:
            out += [f"def f{i}(x):", f"    return x + {i}", ""]
        elif kind == "blank":
            out += [f"v{i} = {i} + 1", ""]
        else:
            out.append(f"v{i} = {i} + 1")
        i += 1
    return "\n".join(out[:lines]) + "\n"


def _line_events(work: Callable[[], Any]) -> int:
    """How many lines of tracekit's own code run while WORK runs."""
    count = 0

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        count += event == "line"
        return local

    def calls(frame: FrameType, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename.startswith(PACKAGE) else None

    old = sys.gettrace()
    sys.settrace(calls)
    try:
        work()
    finally:
        sys.settrace(old)
    return count


@pytest.mark.parametrize("kind", ["statements", "blank", "gallery", "comments", "block"])
def test_building_a_page_view_grows_linearly_with_the_script(tmp_path: Path, kind: str) -> None:
    counts = []
    for lines in (SMALL, LARGE):
        script = tmp_path / f"long{lines}.py"
        script.write_text(_script(lines, kind), encoding="utf-8")
        example = read_example(script, tmp_path)
        assert len(example.listing) > lines * 0.9
        counts.append(_line_events(partial(build_view, example, {"schema": SCHEMA_VERSION, "status": "ok"})))
    assert counts[1] / counts[0] <= LINEAR, counts


@pytest.mark.parametrize("source", ["gallery", "comments"])
def test_finding_text_blocks_grows_linearly_with_the_script(source: str) -> None:
    counts = []
    for blocks in (SMALL // 4, LARGE // 4):  # a text line, then three statements, per block
        comments = [CommentLine(4 * k + 1, "# %%" if source == "gallery" else f"# about {k}", 0) for k in range(blocks)]
        statements = [Statement(4 * k + j, 4 * k + j, 0) for k in range(blocks) for j in (2, 3, 4)]
        lines = [f"# about {k}" if j == 0 else "x = 1" for k in range(blocks) for j in range(4)]
        found: list[Any] = []

        def find(found: list[Any] = found, comments: list[CommentLine] = comments, statements: list[Statement] = statements, lines: list[str] = lines) -> None:
            found.extend(text_blocks(source, comments, statements, lines, set()))

        counts.append(_line_events(find))
        assert len(found) == blocks
        assert (found[-1].code_first, found[-1].code_last) == (4 * blocks - 2, 4 * blocks)
    assert counts[1] / counts[0] <= LINEAR, counts


# A build whose page render is slow: the page is rendered 50 times over, after a flag file says
# rendering began (so the signal lands mid-render however busy the machine is).
_SLOW_RENDER = """
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import tracekit.render as render
from tracekit.cli import main

real = render.render_page
flag = Path(sys.argv.pop(1))


def slow(*args, **kwargs):
    flag.touch()
    for _ in range(50):
        real(*args, **kwargs)
    return real(*args, **kwargs)


render.render_page = slow
main()
"""


@pytest.mark.parametrize("signum, status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_while_a_long_page_renders_ends_the_build_at_once(tmp_path: Path, signum: int, status: int) -> None:
    ex, out, flag = tmp_path / "ex", tmp_path / "out", tmp_path / "rendering"
    ex.mkdir()
    (ex / "long.py").write_text(_script(1500, "statements"), encoding="utf-8")
    wrapper = tmp_path / "slow_build.py"
    wrapper.write_text(_SLOW_RENDER, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(Path(PACKAGE).parent))
    proc = subprocess.Popen([sys.executable, str(wrapper), str(flag), "build", str(ex), "-o", str(out)], stderr=subprocess.PIPE, env=env, text=True)
    try:
        deadline = time.monotonic() + 120
        while not flag.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert flag.exists(), proc.communicate()
        time.sleep(0.5)  # well inside the render
        proc.send_signal(signum)
        sent = time.monotonic()
        _, err = proc.communicate(timeout=30)
        waited = time.monotonic() - sent
    finally:
        proc.kill()
    assert proc.returncode == status, err
    assert waited < 5, f"the build took {waited:.1f} s to honour the signal"
    assert "interrupted by" in err and "Traceback" not in err
    left = sorted(p.name for p in out.iterdir())
    assert not [name for name in left if name.endswith((".html", ".json", ".tmp")) and name != ".tracekit-manifest.json"], left
    assert not [name for name in left if name.startswith(".tracekit-journal")], left
