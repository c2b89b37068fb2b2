"""Gradients that flow: what a backward call sent through each node of its graph, from the run."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tracekit import trace as trace_mod
from tracekit.render.graph import flow_steps, graph_svg
from tracekit.run import trace_file
from tracekit.site import build
from tracekit.trace import PAGE_SCHEMA_PATH

jsonschema = pytest.importorskip("jsonschema")
SCHEMA = json.loads(trace_mod.SCHEMA_PATH.read_text())

POLYNOMIAL = """\
import torch
x = torch.tensor(2.0, requires_grad=True)
y = x**2 + 3*x + 1
y.backward(retain_graph=True)
print(x.grad)
y.backward()
print(x.grad)
"""


def run_script(tmp_path: Path, code: str, **kw: object) -> dict:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(code))
    result = trace_file(script, capture=True, **kw)
    jsonschema.validate(result.trace.to_dict(), SCHEMA)
    return result.trace.to_dict()


def graphs_on(trace: dict, number: int) -> list[dict]:
    return [e["graph"] for ln in trace["lines"] if ln["line"] == number for r in ln["records"] for e in r["events"] if e["role"] == "graph"]


def reprs(values: list) -> list:
    return [v["repr"] if v is not None else None for v in values]


def test_each_node_keeps_what_it_received_and_passed_on(tmp_path: Path) -> None:
    t = run_script(tmp_path, POLYNOMIAL)
    (g,) = graphs_on(t, 4)
    by_name = {n["name"]: n for n in g["nodes"]}
    x, pow_, mul = by_name["x"], by_name["PowBackward0"], by_name["MulBackward0"]
    assert reprs(x["received"]) == ["tensor(7.)"] and x["final"]["repr"] == "tensor(7.)"
    assert [(to, v["repr"]) for to, v in pow_["passed"]] == [(x["id"], "tensor(4.)")]
    assert [(to, v["repr"]) for to, v in mul["passed"]] == [(x["id"], "tensor(3.)")]
    assert reprs(by_name["y"]["received"]) == ["tensor(1.)"]
    # every node ran once, from the tensor down to the leaf
    assert sorted(g["flow"]) == [n["id"] for n in g["nodes"]] and g["flow"][0] == 0 and g["flow"][-1] == x["id"]
    # the second pass (retain_graph kept the graph) has its own record; the first is unchanged
    (g2,) = graphs_on(t, 6)
    assert {n["name"]: n for n in g2["nodes"]}["x"]["final"]["repr"] == "tensor(14.)"
    assert x["final"]["repr"] == "tensor(7.)" and len(g["flow"]) == len(g2["flow"]) == 6
    plain = subprocess.run([sys.executable, str(tmp_path / "script.py")], capture_output=True, text=True)
    assert t["stdout"] == plain.stdout == "tensor(7.)\ntensor(14.)\n"


def test_a_graph_marked_for_drawing_only_carries_no_gradients(tmp_path: Path) -> None:
    t = run_script(
        tmp_path,
        """\
        import torch
        w = torch.ones(2, requires_grad=True)
        loss = (w * 3).sum()  # tracekit: graph
        loss.backward()
        """,
        graph_lines=[3],
    )
    (drawn,) = graphs_on(t, 3)
    assert "flow" not in drawn and not any("received" in n for n in drawn["nodes"])
    (ran,) = graphs_on(t, 4)
    assert {n["name"]: n for n in ran["nodes"]}["w"]["final"]["repr"] == "tensor([3., 3.])"


def test_a_cut_graph_keeps_gradients_of_its_drawn_nodes_only(tmp_path: Path) -> None:
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
    (g,) = graphs_on(t, 6)
    ids = {n["id"] for n in g["nodes"]}
    assert len(ids) == 60 and sorted(g["flow"]) == sorted(ids)  # the tensor, the sum and 58 of the products
    assert all(to in ids for n in g["nodes"] for to, _v in n.get("passed", []))


def test_autograd_grad_records_node_gradients_but_sets_no_grad(tmp_path: Path) -> None:
    t = run_script(
        tmp_path,
        """\
        import torch
        w = torch.tensor([1.0, 2.0], requires_grad=True)
        (g,) = torch.autograd.grad((w * w).sum(), [w])
        print(g, w.grad)
        """,
    )
    (graph,) = graphs_on(t, 3)
    mul = {n["name"]: n for n in graph["nodes"]}["MulBackward0"]
    assert [v["repr"] for _to, v in mul["passed"]] == ["tensor([1., 2.])", "tensor([1., 2.])"]
    assert not any("final" in n for n in graph["nodes"])
    assert t["stdout"] == "tensor([2., 4.]) None\n"


def test_a_malformed_gradient_in_a_trace_names_where_it_is() -> None:
    event = {"role": "graph", "text": "y", "value": {"type": "torch.Tensor", "repr": "t"}}
    event["graph"] = {"nodes": [{"id": 0, "name": "y", "passed": [["x", {"type": "T", "repr": "1"}]]}], "edges": [], "text": "y"}
    with pytest.raises(trace_mod.TraceError, match=r"nodes\[0\]\.passed\[0\]: expected \[to, value\]"):
        trace_mod.Record.from_dict({"hit": 0, "events": [event]})


def test_the_drawing_and_the_steps_carry_the_runs_gradients() -> None:
    graph = {
        "nodes": [
            {"id": 0, "name": "y", "received": [{"type": "torch.Tensor", "repr": "tensor(1.)"}]},
            {
                "id": 1,
                "name": "MulBackward0",
                "received": [{"type": "torch.Tensor", "repr": "tensor(1.)"}],
                "passed": [[2, {"type": "torch.Tensor", "repr": "tensor(3.)"}]],
            },
            {
                "id": 2,
                "name": "w",
                "leaf": True,
                "shape": [2, 40],
                "received": [
                    {"type": "torch.Tensor", "repr": "tensor([[" + ", ".join(["3."] * 40) + "],\n        [" + ", ".join(["3."] * 40) + "]])", "shape": [2, 40]}
                ],
                "final": {"type": "torch.Tensor", "repr": "tensor(<b>)"},
            },
        ],
        "edges": [[0, 1], [1, 2]],
        "flow": [0, 1, 2],
        "text": "y → MulBackward0 → w",
    }
    svg = str(graph_svg(graph, "Autograd graph of y"))
    assert '<g class="ag-leaf" data-node="2">' in svg
    assert ">grad [2×40]</text>" in svg and ">.grad &lt;b&gt;</text>" in svg  # too long: the shape; text stays text
    assert '<text class="ag-g" data-from="1" x=' in svg and ">3.</text>" in svg
    assert [s.as_text() for s in flow_steps(graph)] == [
        "y: backward starts with gradient tensor(1.)",
        "MulBackward0 received tensor(1.), passed on tensor(3.) to w",
        "w received tensor([[" + ", ".join(["3."] * 18) + "… (2×40); its .grad is now tensor(<b>)",
    ]


def test_the_page_of_a_backward_line_shows_dy_dx_and_both_contributions(tmp_path: Path) -> None:
    examples = tmp_path / "ex"
    examples.mkdir()
    (examples / "poly.py").write_text(POLYNOMIAL.split("y.backward()\n")[0].replace("retain_graph=True", ""))
    result = build([examples], output=tmp_path / "out", jobs=1)
    assert result.exit_status == 0
    html = (tmp_path / "out" / "poly.html").read_text(encoding="utf-8")
    assert '<li data-node="5"><code>x</code> received <code>tensor(7.)</code>; its <code>.grad</code> is now <code>tensor(7.)</code></li>' in html
    assert "<code>PowBackward0</code> received <code>tensor(1.)</code>, passed on <code>tensor(4.)</code> to <code>x</code>" in html
    assert "<code>MulBackward0</code> received <code>tensor(1.)</code>, passed on <code>tensor(3.)</code> to <code>x</code>" in html
    leaf = re.search(r'<g class="ag-leaf" data-node="5">(.*?)</g>', html)
    assert leaf is not None and re.findall(r">([^<>]+)</text>", leaf.group(1)) == ["x ()", "grad 7.", ".grad 7."]
    labels = dict(re.findall(r'<text class="ag-g" data-from="(\d)"[^>]*>([^<]+)</text>', html))
    assert (labels["3"], labels["4"]) == ("4.", "3.")  # PowBackward0 (2x) and MulBackward0 (3) to x
    assert html.count('<div class="ag-bar" role="group" aria-label="Backward pass of y" hidden>') == 1
    from referencing import Registry, Resource

    page_schema = json.loads(PAGE_SCHEMA_PATH.read_text(encoding="utf-8"))
    registry = Registry().with_resources([(s["$id"], Resource.from_contents(s)) for s in (SCHEMA, page_schema)])
    data = json.loads((tmp_path / "out" / "poly.json").read_text(encoding="utf-8"))
    assert not list(jsonschema.Draft202012Validator(page_schema, registry=registry).iter_errors(data))
