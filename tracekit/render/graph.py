"""The autograd graph of a recorded value as a small static SVG: a layered layout of our own.

Layers come from the longest path from the tensor (node 0); a leaf sits just below its deepest
parent, so that no edge crosses a layer.
Within a layer, nodes keep the order of the walk, centred; edges are straight lines from the
bottom of a node to the top of the next. Good for the 60 nodes a trace keeps at most.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup, escape

from .._autograd import layers

__all__ = ["graph_svg"]

CHAR_W = 7.2  # px per character of the 12px monospace labels
BOX_H = 24
GAP_X = 14
GAP_Y = 26
PAD = 8


def _label(node: Mapping[str, Any]) -> str:
    name = str(node.get("name") or "")
    shape = node.get("shape")
    if node.get("leaf") and isinstance(shape, list):
        return f"{name} ({', '.join(str(n) for n in shape)}{',' if len(shape) == 1 else ''})"
    return name


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


def graph_svg(graph: Mapping[str, Any], title: str) -> Markup:
    """An inline SVG of GRAPH ({nodes, edges, text}); TITLE names it for screen readers."""
    nodes = [dict(n) for n in graph.get("nodes") or [] if isinstance(n, Mapping) and isinstance(n.get("id"), int)]
    edges = [e for e in graph.get("edges") or [] if isinstance(e, list) and len(e) == 2]
    by_id = {n["id"]: n for n in nodes}
    rows = _ordered(layers(nodes, edges, leaves_last=False), edges)
    boxes: dict[int, tuple[float, float, float]] = {}  # id -> (x, y, width)
    widths = [sum(len(_label(by_id[i])) * CHAR_W + 16 for i in row) + GAP_X * (len(row) - 1) for row in rows]
    total_w = max(widths, default=0) + 2 * PAD
    for r, row in enumerate(rows):
        x: float = (total_w - widths[r]) / 2
        y = PAD + r * (BOX_H + GAP_Y)
        for i in row:
            w = len(_label(by_id[i])) * CHAR_W + 16
            boxes[i] = (x, y, w)
            x += w + GAP_X
    total_h = PAD * 2 + len(rows) * BOX_H + max(len(rows) - 1, 0) * GAP_Y
    parts = [
        f'<svg class="ag" xmlns="http://www.w3.org/2000/svg" role="img" width="{total_w:.0f}" height="{total_h:.0f}" '
        f'viewBox="0 0 {total_w:.0f} {total_h:.0f}"><title>{escape(title)}</title>'
    ]
    for a, b in edges:
        if a in boxes and b in boxes:
            xa, ya, wa = boxes[a]
            xb, yb, wb = boxes[b]
            parts.append(f'<line class="ag-e" x1="{xa + wa / 2:.1f}" y1="{ya + BOX_H:.1f}" x2="{xb + wb / 2:.1f}" y2="{yb:.1f}"/>')
    for i, (bx, by, bw) in boxes.items():
        n = by_id[i]
        kind = "ag-root" if i == 0 else ("ag-leaf" if n.get("leaf") else "ag-fn")
        parts.append(
            f'<g class="{kind}"><rect x="{bx:.1f}" y="{by:.1f}" width="{bw:.1f}" height="{BOX_H}" rx="5"/>'
            f'<text x="{bx + bw / 2:.1f}" y="{by + BOX_H / 2 + 4:.1f}" text-anchor="middle">{escape(_label(n))}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
