"""The autograd graph of a recorded value as a small static SVG: a layered layout of our own.

Layers come from the longest path from the tensor (node 0); a leaf sits just below its deepest
parent, so that no edge crosses a layer.
Within a layer, nodes keep the order of the walk, centred; edges are straight lines from the
bottom of a node to the top of the next. Good for the 60 nodes a trace keeps at most.

A graph walked for a backward call also carries the gradients that call sent through it: each
node shows what it received (and a leaf its `.grad` afterwards), each edge what went along it,
and `flow_steps` lists the nodes in the order the run reached them, for the stepper and the
text beside the drawing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup, escape

from ..child.autograd import layers
from .view import GradStep

__all__ = ["flow_steps", "graph_svg", "short_value"]

CHAR_W = 7.2  # px per character of the 12px monospace labels
SMALL_W = 6.6  # px per character of the 11px gradient texts
BOX_H = 24
LINE_H = 14  # each gradient line a box adds
GAP_X = 14
GAP_Y = 26
FLOW_GAP_Y = 36  # room for the gradient written on each edge
PAD = 8
MAX_SHORT = 18  # characters of a gradient drawn in the SVG; longer ones show their shape
MAX_STEP_TEXT = 80  # characters of a gradient in the text beside the drawing; longer ones are cut
VALUE_CLASS = ' class="ag-v"'  # a box's gradient lines, below its label
_TENSOR = re.compile(r"tensor\((.*)\)")


def _label(node: Mapping[str, Any]) -> str:
    name = str(node.get("name") or "")
    shape = node.get("shape")
    if node.get("leaf") and isinstance(shape, list):
        return f"{name} ({', '.join(str(n) for n in shape)}{',' if len(shape) == 1 else ''})"
    return name


def short_value(v: Any) -> str:
    """A gradient small enough to draw: `4.` for `tensor(4.)`, `[1., 2.]`; else its shape `[2×3]`."""
    if not isinstance(v, Mapping):
        return "None"
    text = " ".join(str(v.get("repr") or "").split())
    m = _TENSOR.fullmatch(text)
    if m and "=" not in m.group(1):
        text = m.group(1)
    if len(text) <= MAX_SHORT:
        return text
    shape = v.get("shape")
    if isinstance(shape, list) and all(isinstance(n, int) for n in shape):
        return "[" + "×".join(str(n) for n in shape) + "]"
    return text[: MAX_SHORT - 1] + "…"


def _full(v: Any) -> str:
    """A gradient as the text beside the drawing reads it: its repr on one line; a long one cut,
    with its shape (`tensor([[-0.0041], [-0.0011], …` (64×1))."""
    if not isinstance(v, Mapping):
        return "None"
    text = " ".join(str(v.get("repr") or "").split())
    if len(text) <= MAX_STEP_TEXT:
        return text
    shape = v.get("shape")
    dims = (
        f" ({'×'.join(str(n) for n in shape)})"
        if isinstance(shape, list) and all(isinstance(n, int) for n in shape)
        else ""
    )
    return text[: MAX_STEP_TEXT - 1].rstrip(", ") + "…" + dims


def _received(node: Mapping[str, Any], full: bool) -> str:
    got = node.get("received")
    if not isinstance(got, list) or not got:
        return ""
    return (" and " if full else ", ").join(_full(v) if full else short_value(v) for v in got)


def _lines(node: Mapping[str, Any]) -> list[str]:
    """The texts a node's box holds: its label, the gradient it received, a leaf's `.grad`."""
    out = [_label(node)]
    got = _received(node, full=False)
    if got:
        out.append(f"grad {got}")
    if node.get("leaf") and isinstance(node.get("final"), Mapping):
        out.append(f".grad {short_value(node['final'])}")
    return out


def _passed(node: Mapping[str, Any]) -> dict[int, list[Any]]:
    """What NODE passed on, by the node it went to (two edges to one node: both values)."""
    out: dict[int, list[Any]] = {}
    for p in node.get("passed") or []:
        if isinstance(p, list) and len(p) == 2 and isinstance(p[0], int):
            out.setdefault(p[0], []).append(p[1])
    return out


def flow_steps(graph: Mapping[str, Any]) -> list[GradStep]:
    """The nodes of GRAPH in the order its backward call reached them, each with its gradients
    as the run printed them; empty for a graph that no backward call went through."""
    by_id = {n["id"]: n for n in graph.get("nodes") or [] if isinstance(n, Mapping) and isinstance(n.get("id"), int)}
    steps: list[GradStep] = []
    for i in graph.get("flow") or []:
        node = by_id.get(i)
        if node is None:
            continue
        passed = [
            (_full(v), str(by_id[to].get("name") or "")) for to, vs in _passed(node).items() if to in by_id for v in vs
        ]
        steps.append(
            GradStep(
                node=i,
                name=str(node.get("name") or ""),
                received=_received(node, full=True),
                passed=passed,
                final=_full(node["final"]) if node.get("leaf") and isinstance(node.get("final"), Mapping) else "",
                root=i == 0,
            )
        )
    return steps


def _ordered(rows: list[list[int]], edges: list[list[int]]) -> list[list[int]]:
    """Each layer sorted by the mean place of its nodes' parents (fewer crossing edges)."""
    parents: dict[int, list[int]] = {}
    for a, b in edges:
        parents.setdefault(b, []).append(a)
    place: dict[int, float] = {}
    out: list[list[int]] = []
    for row in rows:

        def key(i: int, row: list[int] = row) -> tuple[float, int]:
            known = [place[p] for p in parents.get(i, []) if p in place]
            return (sum(known) / len(known) if known else 0.0, row.index(i))

        row = sorted(row, key=key)
        for j, i in enumerate(row):
            place[i] = (j + 0.5) / len(row)
        out.append(row)
    return out


def _width(lines: list[str]) -> float:
    return max([len(lines[0]) * CHAR_W] + [len(t) * SMALL_W for t in lines[1:]]) + 16


def graph_svg(graph: Mapping[str, Any], title: str) -> Markup:
    """An inline SVG of GRAPH ({nodes, edges, text}); TITLE names it for screen readers. A graph
    a backward call went through also shows its gradients: on the nodes, and along the edges."""
    nodes = [dict(n) for n in graph.get("nodes") or [] if isinstance(n, Mapping) and isinstance(n.get("id"), int)]
    edges = [e for e in graph.get("edges") or [] if isinstance(e, list) and len(e) == 2]
    by_id = {n["id"]: n for n in nodes}
    flowing = bool(graph.get("flow"))
    text = {i: _lines(n) for i, n in by_id.items()}
    rows = _ordered(layers(nodes, edges, leaves_last=False), edges)
    boxes: dict[int, tuple[float, float, float, float]] = {}  # id -> (x, y, width, height)
    widths = [sum(_width(text[i]) for i in row) + GAP_X * (len(row) - 1) for row in rows]
    heights = [BOX_H + LINE_H * max(len(text[i]) - 1 for i in row) for row in rows]
    gap = FLOW_GAP_Y if flowing else GAP_Y
    total_w = max(widths, default=0) + 2 * PAD
    y: float = PAD
    for r, row in enumerate(rows):
        x: float = (total_w - widths[r]) / 2
        for i in row:
            w = _width(text[i])
            boxes[i] = (x, y, w, BOX_H + LINE_H * (len(text[i]) - 1))
            x += w + GAP_X
        y += heights[r] + gap
    total_h = y - gap + PAD if rows else 2 * PAD
    parts = [
        f'<svg class="ag" xmlns="http://www.w3.org/2000/svg" role="img" width="{total_w:.0f}" height="{total_h:.0f}" '
        f'viewBox="0 0 {total_w:.0f} {total_h:.0f}"><title>{escape(title)}</title>'
    ]
    labels: list[str] = []
    for a, b in edges:
        if a in boxes and b in boxes:
            xa, ya, wa, ha = boxes[a]
            xb, yb, wb, _hb = boxes[b]
            x1, y1, x2, y2 = xa + wa / 2, ya + ha, xb + wb / 2, yb
            line = f'<line class="ag-e" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"/>'
            went = _passed(by_id[a]).get(b)
            if went:
                # the gradient sits on the edge's middle, over a halo that keeps it readable
                mx, my = (x1 + x2) / 2, (y1 + y2) / 2 + 4
                label = " + ".join(short_value(v) for v in went)
                parts.append(f'<g class="ag-p" data-from="{a}" data-to="{b}">{line}</g>')
                labels.append(
                    f'<text class="ag-g" data-from="{a}" x="{mx:.1f}" y="{my:.1f}" '
                    f'text-anchor="middle">{escape(label)}</text>'
                )
            else:
                parts.append(line)
    for i, (bx, by, bw, bh) in boxes.items():
        n = by_id[i]
        kind = "ag-root" if i == 0 else ("ag-leaf" if n.get("leaf") else "ag-fn")
        rows_text = "".join(
            f'<text{VALUE_CLASS if k else ""} x="{bx + bw / 2:.1f}" y="{by + BOX_H / 2 + 4 + k * LINE_H:.1f}" '
            f'text-anchor="middle">{escape(t)}</text>'
            for k, t in enumerate(text[i])
        )
        node_attr = f' data-node="{i}"' if flowing else ""
        parts.append(
            f'<g class="{kind}"{node_attr}><rect x="{bx:.1f}" y="{by:.1f}" width="{bw:.1f}" height="{bh:.0f}" '
            f'rx="5"/>{rows_text}</g>'
        )
    parts.extend(labels)
    parts.append("</svg>")
    return Markup("".join(parts))
