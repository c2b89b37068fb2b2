"""The autograd graph behind a tensor, walked from its grad_fn before backward frees it.

Standard library only; the tensor's own attributes (grad_fn, next_functions, variable) are all
it reads, so walking changes nothing in the run.
"""

from __future__ import annotations

TYPE_CHECKING = False  # `typing` is not imported at run time; mypy reads the import below
if TYPE_CHECKING:
    from typing import Any

__all__ = ["MAX_NODES", "walk"]

MAX_NODES = 60  # grad_fn nodes and leaves kept; past it the graph is cut and says how many were left out
MAX_COUNTED = 10_000  # nodes past the limit counted at most


def _shape(t: Any) -> list[int] | None:
    try:
        return [int(n) for n in t.shape]
    except Exception:
        return None


def walk(root: Any, label: str, names: dict[int, str], limit: int = MAX_NODES) -> dict | None:
    """{nodes, edges, text, omitted?} of ROOT's graph; leaves are named from NAMES (id → name).

    Node 0 is ROOT itself, labelled LABEL (its source text). None when ROOT has no grad_fn.
    """
    fn = getattr(root, "grad_fn", None)
    if fn is None:
        return None
    nodes: list[dict] = [{"id": 0, "name": label}]
    shape = _shape(root)
    if shape is not None:
        nodes[0]["shape"] = shape
    edges: list[list[int]] = []
    index: dict[int, int] = {}
    keep: list[Any] = []  # holds the visited nodes so their ids stay theirs during the walk
    omitted = 0

    extra: set[int] = set()

    def node_of(f: Any) -> int | None:
        nonlocal omitted
        key = id(f)
        if key in index:
            return index[key]
        if len(nodes) >= limit:
            # Past the limit, nodes are only counted (up to MAX_COUNTED), to say how many were left out.
            if key not in extra and len(extra) < MAX_COUNTED:
                extra.add(key)
                keep.append(f)
                queue.append(f)
                omitted += 1
            return None
        keep.append(f)
        i = len(nodes)
        index[key] = i
        var = getattr(f, "variable", None) if type(f).__name__ == "AccumulateGrad" else None
        if var is not None:
            entry: dict[str, Any] = {"id": i, "name": names.get(id(var)) or "tensor", "leaf": True}
            s = _shape(var)
            if s is not None:
                entry["shape"] = s
        else:
            entry = {"id": i, "name": type(f).__name__}
        nodes.append(entry)
        queue.append(f)
        return i

    queue: list[Any] = []
    first = node_of(fn)
    if first is not None:
        edges.append([0, first])
    pos = 0
    while pos < len(queue):
        f = queue[pos]
        pos += 1
        src = index.get(id(f))
        try:
            nxt = f.next_functions
        except Exception:
            continue
        for g, _n in nxt:
            if g is None:
                continue
            j = node_of(g)
            if src is not None and j is not None and [src, j] not in edges:
                edges.append([src, j])
    # Leaves in the order the frame names them (W before b), not in the order the walk met them.
    order = {key: i for i, key in enumerate(names.values())}
    leaves = sorted((n for n in nodes if n.get("leaf")), key=lambda n: order.get(n["name"], len(order)))
    slots = sorted(n["id"] for n in leaves)
    remap = {n["id"]: slot for n, slot in zip(leaves, slots, strict=True)}
    for n in nodes:
        n["id"] = remap.get(n["id"], n["id"])
    nodes.sort(key=lambda n: n["id"])
    edges = [[remap.get(a, a), remap.get(b, b)] for a, b in edges]
    out: dict[str, Any] = {"nodes": nodes, "edges": edges, "text": path_text(nodes, edges)}
    if omitted:
        out["omitted"] = omitted
    return out


def layers(nodes: list[dict], edges: list[list[int]], leaves_last: bool = True) -> list[list[int]]:
    """Node ids by layer: the longest path from node 0; with LEAVES_LAST every leaf on the last
    layer (the text's order), else each just below its deepest parent (short edges in a drawing)."""
    depth = {0: 0}
    children: dict[int, list[int]] = {}
    for a, b in edges:
        children.setdefault(a, []).append(b)
    # longest path on a DAG, by relaxing in BFS order until nothing moves (graphs are small)
    for _ in range(len(nodes)):
        moved = False
        for a, b in edges:
            if a in depth and depth.get(b, -1) < depth[a] + 1:
                depth[b] = depth[a] + 1
                moved = True
        if not moved:
            break
    leaves = [n["id"] for n in nodes if n.get("leaf")]
    if leaves_last:
        inner = max((d for i, d in depth.items() if i not in leaves), default=0)
        for i in leaves:
            depth[i] = inner + 1
    out: list[list[int]] = [[] for _ in range(max(depth.values(), default=0) + 1)]
    for n in nodes:
        if n["id"] in depth:
            out[depth[n["id"]]].append(n["id"])
    return [layer for layer in out if layer]


def path_text(nodes: list[dict], edges: list[list[int]]) -> str:
    """`loss → BinaryCrossEntropyBackward0 → SigmoidBackward0 → … → W, b`: layer by layer."""
    names = {n["id"]: n["name"] for n in nodes}
    return " → ".join(", ".join(names[i] for i in layer) for layer in layers(nodes, edges))
