"""What a line changed (before → after) and the autograd path, as the trace records them."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tracekit import trace as trace_mod
from tracekit.render.entries import record_entries
from tracekit.render.graph import graph_svg
from tracekit.run import trace_file

jsonschema = pytest.importorskip("jsonschema")
SCHEMA = json.loads(trace_mod.SCHEMA_PATH.read_text())


def run_script(tmp_path: Path, code: str, **kw: object) -> dict:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(code))
    result = trace_file(script, capture=True, **kw)
    jsonschema.validate(result.trace.to_dict(), SCHEMA)
    return result.trace.to_dict()


def changes(trace: dict, number: int, hit: int = 0) -> list[tuple]:
    for ln in trace["lines"]:
        if ln["line"] == number:
            rec = ln["records"][hit]
            return [
                (e["text"], e["change"], (e.get("before") or {}).get("repr"), e["value"]["repr"], e.get("summary"))
                for e in rec["events"]
                if e["role"] == "change"
            ]
    raise AssertionError(f"line {number} not in trace")


def test_in_place_changes_grads_and_containers_are_listed_before_and_after(tmp_path: Path) -> None:
    t = run_script(
        tmp_path,
        """\
        import torch
        W = torch.tensor([[1.0, 2.0]], requires_grad=True)
        loss = (W * W).sum()
        loss.backward()
        with torch.no_grad():
            W -= 0.25 * W.grad
        W.grad.zero_()
        xs = []
        xs.append(3)
        d = {"a": 1}
        d["b"] = 2
        d = {}
        """,
    )
    assert changes(t, 4) == [("W.grad", "created", "None", "tensor([[2., 4.]])", None)]
    assert changes(t, 6) == [("W", "changed", "tensor([[1., 2.]])", "tensor([[0.5000, 1.0000]])", "largest |Δ| 1")]
    assert changes(t, 7) == [("W.grad", "zeroed", "tensor([[2., 4.]])", "tensor([[0., 0.]])", None)]
    assert changes(t, 9) == [("xs", "grew", "[]", "[3]", "len 0 → 1")]
    assert changes(t, 11) == [("d", "grew", "{'a': 1}", "{'a': 1, 'b': 2}", "len 1 → 2")]
    # Rebinding a name is not a change of the object: the line's result shows it.
    assert changes(t, 12) == []
    # Reading .grad of a non-leaf (loss) would print a warning: it is never read.
    assert t["stderr"] == ""


def test_module_parameters_are_named_and_summarised(tmp_path: Path) -> None:
    t = run_script(
        tmp_path,
        """\
        import torch
        import torch.nn as nn
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        model(torch.ones(4, 2)).sum().backward()
        opt.step()
        opt.zero_grad()
        """,
    )
    step = changes(t, 7)
    assert step[0][:2] == ("model", "summary")
    assert step[0][4].startswith("4 parameters changed; largest |Δ| ")
    assert [c[0] for c in step[1:]] == ["model.0.weight", "model.0.bias", "model.1.weight", "model.1.bias"]
    assert all(c[1] == "changed" and c[4].startswith("largest |Δ| ") for c in step[1:])
    zero = changes(t, 8)
    assert zero[0][4] == "4 gradients cleared"
    assert [(c[0], c[1], c[3]) for c in zero[1:]] == [(f"model.{p}.grad", "cleared", "None") for p in ("0.weight", "0.bias", "1.weight", "1.bias")]


def test_only_recorded_hits_list_changes_and_the_run_is_unchanged(tmp_path: Path) -> None:
    code = """\
        import torch
        acc = torch.zeros(2)
        for i in range(5):
            acc += i
        print(acc)
        """
    t = run_script(tmp_path, code, hits=2)
    loop = next(ln for ln in t["lines"] if ln["line"] == 4)
    assert loop["hits"] == 5 and [r["hit"] for r in loop["records"]] == [0, 1, 4]  # the first two and the last
    assert changes(t, 4, 1) == [("acc", "changed", "tensor([0., 0.])", "tensor([1., 1.])", "largest |Δ| 1")]
    assert changes(t, 4, 2) == [("acc", "changed", "tensor([6., 6.])", "tensor([10., 10.])", "largest |Δ| 4")]
    script = tmp_path / "script.py"
    plain = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert t["stdout"] == plain.stdout == "tensor([10., 10.])\n"


def test_backward_records_the_graph_it_walks_before_freeing_it(tmp_path: Path) -> None:
    t = run_script(
        tmp_path,
        """\
        import torch
        W = torch.tensor([[0.5, -0.5]], requires_grad=True)
        b = torch.tensor([0.1], requires_grad=True)
        x = torch.tensor([[1.0], [2.0]])
        loss = torch.sigmoid(W @ x + b).sum()
        loss.backward()
        y = (W * 2).sum()  # tracekit: graph
        g, = torch.autograd.grad((W * 3).sum(), [W])
        """,
        graph_lines=[7],
    )
    graphs = {ln["line"]: [e for r in ln["records"] for e in r["events"] if e["role"] == "graph"] for ln in t["lines"]}
    (g6,) = graphs[6]
    assert g6["text"] == "loss"
    assert g6["graph"]["text"] == "loss → SumBackward0 → SigmoidBackward0 → AddBackward0 → MmBackward0 → W, b"
    leaves = [n for n in g6["graph"]["nodes"] if n.get("leaf")]
    assert [(n["name"], n["shape"]) for n in leaves] == [("W", [1, 2]), ("b", [1])]
    assert graphs[7][0]["graph"]["text"] == "y → SumBackward0 → MulBackward0 → W"
    assert graphs[8][0]["graph"]["text"] == "(W * 3).sum() → SumBackward0 → MulBackward0 → W"


def test_a_graph_past_the_limit_is_cut_and_says_how_much(tmp_path: Path) -> None:
    t = run_script(
        tmp_path,
        """\
        import torch
        x = torch.ones(1, requires_grad=True)
        y = x
        for _ in range(100):
            y = y * 1.01
        y.sum().backward()
        """,
    )
    (ev,) = [e for ln in t["lines"] if ln["line"] == 6 for r in ln["records"] for e in r["events"] if e["role"] == "graph"]
    assert len(ev["graph"]["nodes"]) == 60 and ev["graph"]["omitted"] == 43  # root, sum, 100 products, x: 103 nodes


def test_change_and_graph_entries_read_as_the_chapter_writes_them() -> None:
    rec = trace_mod.Record.from_dict(
        {
            "hit": 0,
            "events": [
                {
                    "role": "change",
                    "text": "W.grad",
                    "change": "created",
                    "before": {"type": "NoneType", "repr": "None"},
                    "value": {"type": "torch.Tensor", "repr": "tensor([0.2741])"},
                },
                {
                    "role": "change",
                    "text": "model",
                    "change": "summary",
                    "summary": "2 parameters changed; largest |Δ| 0.05 in w",
                    "value": {"type": "M", "repr": "M()"},
                },
            ],
        }
    )
    entries, _tail = record_entries(rec, None)
    assert [e.as_text() for e in entries] == ["✎ created: W.grad = None → tensor([0.2741])", "✎ changed: model = 2 parameters changed; largest |Δ| 0.05 in w"]


def test_graph_svg_draws_every_node_in_layers() -> None:
    graph = {
        "nodes": [
            {"id": 0, "name": "loss"},
            {"id": 1, "name": "AddBackward0"},
            {"id": 2, "name": "W", "leaf": True, "shape": [1, 3]},
            {"id": 3, "name": "b<", "leaf": True, "shape": [1]},
        ],
        "edges": [[0, 1], [1, 2], [1, 3]],
        "text": "loss → AddBackward0 → W, b<",
    }
    svg = str(graph_svg(graph, "Autograd graph of loss"))
    assert svg.count("<rect") == 4 and svg.count("<line") == 3
    assert ">W (1, 3)</text>" in svg and ">b&lt; (1,)</text>" in svg
    assert "<title>Autograd graph of loss</title>" in svg


def test_fingerprints_hold_no_reference_that_python_would_not(tmp_path: Path) -> None:
    code = """\
        import sys
        import torch
        class T:
            pass
        def f(x):
            t = T()
            box = [t, x]
            box.append(t)
            print(sys.getrefcount(t), sys.getrefcount(x), sys.getrefcount(box))
        w = torch.zeros(2)
        f(w)
        print(sys.getrefcount(w))
        """
    t = run_script(tmp_path, code)
    plain = subprocess.run([sys.executable, str(tmp_path / "script.py")], capture_output=True, text=True)
    assert t["stdout"] == plain.stdout
    assert changes(t, 8)[0][:2] == ("box", "grew")


def test_a_big_tensor_changed_in_place_shows_its_value_after_and_a_summary(tmp_path: Path) -> None:
    t = run_script(
        tmp_path,
        """\
        import torch
        big = torch.zeros(2000)
        big[0] = 5.0
        """,
    )
    ((name, change, before, after, summary),) = changes(t, 3)
    assert (name, change, before) == ("big", "changed", None)
    assert after.startswith("tensor([5., 0., 0.,")
    assert summary == "changed in place; 2,000 elements, too many to keep the value before"


def test_the_graph_directive_draws_any_grad_fn_value_on_the_page(tmp_path: Path) -> None:
    from tracekit.site import build

    examples = tmp_path / "ex"
    examples.mkdir()
    (examples / "g.py").write_text(
        textwrap.dedent(
            """\
            import torch
            w = torch.ones(2, requires_grad=True)
            #: The loss remembers how it was made.
            loss = (w * 3).sum()  # tracekit: graph
            #: Without the directive, no graph.
            other = (w * 2).sum()
            """
        )
    )
    result = build([examples], output=tmp_path / "out", jobs=1)
    assert result.exit_status == 0
    html = (tmp_path / "out" / "g.html").read_text(encoding="utf-8")
    assert html.count('<svg class="ag"') == 1
    assert "loss → SumBackward0 → MulBackward0 → w" in html


def test_a_line_that_raises_still_lists_what_it_changed(tmp_path: Path) -> None:
    t = run_script(
        tmp_path,
        """\
        def grow(xs):
            xs.append(1)
            raise ValueError("after appending")
        xs = []
        try:
            grow(xs)
        except ValueError:
            pass
        """,
    )
    assert changes(t, 6) == [("xs", "grew", "[]", "[1]", "len 0 → 1")]


def test_changes_are_not_listed_while_other_threads_run(tmp_path: Path) -> None:
    t = run_script(
        tmp_path,
        """\
        import threading
        import time
        seen = []
        def fill():
            for i in range(3):
                seen.append(i)
                time.sleep(0.01)
        worker = threading.Thread(target=fill)
        worker.start()
        time.sleep(0.1)
        worker.join()
        seen.append("main")
        """,
    )
    assert changes(t, 10) == []  # the worker appended while this line slept: not its doing
    assert changes(t, 12) == [("seen", "grew", "[0, 1, 2]", "[0, 1, 2, 'main']", "len 3 → 4")]


def test_a_locals_dict_the_program_holds_is_left_as_python_leaves_it(tmp_path: Path) -> None:
    code = textwrap.dedent(
        """\
        def f(w):
            out = locals()
            del out["w"]
            return out
        print(f(42))
        """
    )
    script = tmp_path / "loc.py"
    script.write_text(code)
    plain = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    traced = trace_file(script, capture=True)
    assert plain.stdout == "{}\n"
    assert traced.trace.stdout == plain.stdout


def test_a_swapped_tensor_is_listed_as_changed_with_its_new_value(tmp_path: Path) -> None:
    t = run_script(
        tmp_path,
        """\
        import torch
        t1 = torch.arange(2)
        t2 = torch.arange(3)
        torch.utils.swap_tensors(t1, t2)
        """,
    )
    assert [(c[0], c[1], c[2], c[3]) for c in changes(t, 4)] == [
        ("t1", "changed", "tensor([0, 1])", "tensor([0, 1, 2])"),
        ("t2", "changed", "tensor([0, 1, 2])", "tensor([0, 1])"),
    ]
