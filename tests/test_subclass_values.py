"""Values whose reading would run the program's code: tensor and array subclasses that override
their base are shown by what torch's and numpy's C getters give; a repr recording calls is never
the program's hit, nor its line's exception."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from helpers import line, page_text, run_traced

from tracekit.site import build

SUBCLASSES = """\
    \"\"\"Tensor subclasses.\"\"\"
    import torch

    calls = []


    class W(torch.Tensor):
        @staticmethod
        def __new__(cls, elem):
            return torch.Tensor._make_subclass(cls, elem)

        @classmethod
        def __torch_dispatch__(cls, func, types, args=(), kwargs=None):
            calls.append(str(func))
            raise NotImplementedError(func)


    class Logged(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            calls.append(func.__name__)
            return super().__torch_function__(func, types, args, kwargs or {})


    class Tagged(torch.Tensor):
        def describe(self):
            return "tagged"


    w = W(torch.ones(2, 3))
    print(calls)
    x = torch.ones(2, requires_grad=True).as_subclass(Logged)
    y = x * 2
    calls.clear()
    with torch.no_grad():
        x.add_(1)
    print(calls)
    t = torch.tensor([1.5, 2.5]).as_subclass(Tagged)
    """


@pytest.fixture(scope="module")
def subclass_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    pytest.importorskip("torch")
    tmp = tmp_path_factory.mktemp("subclasses")
    (tmp / "ex").mkdir()
    (tmp / "ex" / "subclasses.py").write_text(textwrap.dedent(SUBCLASSES))
    result = build([tmp / "ex"], output=tmp / "out", jobs=1)
    assert result.exit_status == 0
    page = page_text((tmp / "out" / "subclasses.html").read_text(encoding="utf-8"))
    return page, json.loads((tmp / "out" / "subclasses.json").read_text(encoding="utf-8"))


def _value(trace: dict, number: int, text: str, role: str = "bind") -> dict:
    (event,) = [e for e in line(trace, number)["records"][0]["events"] if e["role"] == role and e["text"] == text]
    return event["value"]


def test_a_dispatch_subclass_line_shows_no_exception_python_never_raised(subclass_page: tuple[str, dict]) -> None:
    text, trace = subclass_page
    assert trace["stdout"] == "[]\n['add_']\n"  # python's: recording ran neither override
    # the listing leaves the docstring out: source line 15 is shown as line 14
    assert "14 raise NotImplementedError(func) this line did not run" in text
    assert "raised" not in text
    assert [(line(trace, n)["hits"], line(trace, n)["exceptions"]) for n in (14, 15)] == [(0, 0), (0, 0)]
    assert "⬆ result: w = <W: values not read> float32" in text


def test_subclass_values_keep_what_the_c_getters_give(subclass_page: tuple[str, dict]) -> None:
    _text, trace = subclass_page
    base = {"dtype": "torch.float32", "grad_fn": None, "is_leaf": True, "requires_grad": False, "unread": True}
    # a __torch_dispatch__ subclass may compute its sizes in Python: no shape, no device
    assert _value(trace, 30, "w") == {"type": "W", "repr": "<W: values not read>", **base}
    logged = {"type": "Logged", "repr": "<Logged: values not read>", "shape": [2], "device": "cpu", **base}
    assert _value(trace, 32, "x") == {**logged, "requires_grad": True, "grad_fn": "AliasBackward0", "is_leaf": False}
    # torch.Tensor.__torch_function__ makes its result the subclass through as_subclass (an alias)
    assert _value(trace, 33, "y") == {**logged, "requires_grad": True, "grad_fn": "AliasBackward0", "is_leaf": False}
    changes = {e["text"]: e for e in line(trace, 36)["records"][0]["events"] if e["role"] == "change"}
    assert sorted(changes) == ["calls", "x"]  # the override ran once, as under python: calls grew
    x = changes["x"]
    assert (x["change"], x["summary"], "before" in x) == ("changed", "changed in place", False)
    # a subclass that only adds a method overrides nothing: its values are read as a tensor's
    tagged = _value(trace, 38, "t")
    assert tagged["repr"] == "Tagged([1.5000, 2.5000])" and tagged["shape"] == [2] and "unread" not in tagged


def test_an_array_subclass_is_not_printed(tmp_path: Path) -> None:
    pytest.importorskip("numpy")
    trace = run_traced(
        tmp_path,
        """\
        import numpy as np
        calls = []
        class Logged(np.ndarray):
            def __array_finalize__(self, obj):
                calls.append("finalize")
            def __getitem__(self, key):
                calls.append("getitem")
                return super().__getitem__(key)
        a = np.arange(6.0).reshape(2, 3).view(Logged)
        print(calls)
        """,
    ).trace.to_dict()
    assert trace["stdout"] == "['finalize']\n"
    assert _value(trace, 9, "a") == {"type": "Logged", "repr": "<Logged: values not read>", "shape": [2, 3], "dtype": "float64", "unread": True}


def test_numpy_and_torch_own_types_are_read(tmp_path: Path) -> None:
    pytest.importorskip("numpy")
    trace = run_traced(
        tmp_path,
        """\
        import numpy as np
        x = np.float64(2.5)
        y = np.arange(4.0).mean()
        n = np.int32(7)
        m = np.matrix([[1, 2]])
        """,
    ).trace.to_dict()
    # numpy's scalar types are C types, whose __module__ is not in their __dict__: still numpy's own
    assert _value(trace, 2, "x") == {"type": "numpy.float64", "repr": "2.5", "dtype": "float64"}
    assert _value(trace, 3, "y") == {"type": "numpy.float64", "repr": "1.5", "dtype": "float64"}
    assert _value(trace, 4, "n")["repr"] == "7" and "unread" not in _value(trace, 4, "n")
    assert _value(trace, 5, "m")["repr"] == "[[1 2]]" and "unread" not in _value(trace, 5, "m")


def test_a_repr_that_raises_is_the_values_failure_not_its_lines(tmp_path: Path) -> None:
    trace = run_traced(
        tmp_path,
        """\
        class Broken:
            def __repr__(self):
                raise ValueError("no repr today")
        b = Broken()
        items = [b]
        """,
    ).trace.to_dict()
    assert _value(trace, 4, "b")["error"] == "ValueError: no repr today"
    assert _value(trace, 5, "items")["error"] == "ValueError: no repr today"
    # python never called __repr__: its line neither ran nor raised
    assert (line(trace, 3)["hits"], line(trace, 3)["exceptions"], line(trace, 3)["records"]) == (0, 0, [])
