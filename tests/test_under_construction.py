"""Objects under construction: a repr that fails inside the object's own __init__ is no warning."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from helpers import line, page_text, run_traced

from tracekit.site import build

POINT = """\
    \"\"\"Objects under construction.\"\"\"


    class Point:
        def __init__(self, x, y):
            self.check(x)
            self.x = x
            self.y = y

        def check(self, x):
            return x >= 0

        def __repr__(self):
            return f"Point({self.x}, {self.y})"


    class Broken:
        def __repr__(self):
            raise ValueError("no repr today")


    p = Point(1, 2)
    b = Broken()
    """


def _page(tmp_path: Path, code: str) -> str:
    examples = tmp_path / "ex"
    examples.mkdir()
    (examples / "construct.py").write_text(textwrap.dedent(code))
    result = build([examples], output=tmp_path / "out", jobs=1)
    assert result.exit_status == 0
    return page_text((tmp_path / "out" / "construct.html").read_text(encoding="utf-8"))


def test_self_in_init_and_the_methods_it_calls_reads_being_constructed(tmp_path: Path) -> None:
    text = _page(tmp_path, POINT)
    assert "2 def __init__(self, x, y): ⬇ param: self = Point (being constructed) ⬇ param: x = 1" in text
    assert "7 def check(self, x): ⬇ param: self = Point (being constructed) ⬇ param: x = 1" in text
    assert "⬆ result: p = Point(1, 2)" in text
    # Only the finished object whose repr fails keeps the warning, on its own line.
    assert "⬆ result: b = <repr failed: ValueError: no repr today> repr raised" in text
    assert text.count("repr raised") == 1
    # The __repr__ calls recording made are not the program's: under python neither ran, nor raised.
    assert "10 def __repr__(self): defined here; never called" in text
    assert '15 def __repr__(self): defined here; never called 16 raise ValueError("no repr today") this line did not run' in text
    assert text.count("being constructed") == 2


def test_the_trace_marks_only_values_whose_init_is_running(tmp_path: Path) -> None:
    trace = run_traced(tmp_path, POINT).trace.to_dict()
    (self_in_init,) = [e["value"] for e in line(trace, 5)["records"][0]["events"] if e["text"] == "self"]
    assert self_in_init["constructing"] is True
    assert self_in_init["error"] == "AttributeError: 'Point' object has no attribute 'x'"
    (b,) = [e["value"] for e in line(trace, 23)["records"][0]["events"] if e["role"] == "bind"]
    assert b["error"] == "ValueError: no repr today" and "constructing" not in b


def test_an_nn_module_before_super_init_reads_being_constructed(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    text = _page(
        tmp_path,
        """\
        \"\"\"A module with layers built in __init__.\"\"\"
        from torch import nn


        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(2, 1)


        net = Net()
        """,
    )
    assert "5 def __init__(self): ⬇ param: self = Net (being constructed)" in text
    assert "repr raised" not in text and "repr failed" not in text
    assert "⬆ result: net = Net( (fc): Linear(in_features=2, out_features=1, bias=True) )" in text
