"""The autograd graph behind a tensor, walked from its grad_fn before backward frees it, and
the gradients one backward call sends through it.

Standard library only; the tensor's own attributes (grad_fn, next_functions, variable) are all
it reads, through torch's C getters (a subclass's Python never runs: see changes.unread), so
walking changes nothing in the run. A Flow puts hooks on the walked nodes for one
backward call and takes them off when it ends; it keeps the gradients as reprs only.
"""

from __future__ import annotations

from .changes import DISPATCHES, tensor_attr, torch_off, torch_on, unread

TYPE_CHECKING = False  # `typing` is not imported at run time; mypy reads the import below
if TYPE_CHECKING:
    from typing import Any

__all__ = ["MAX_NODES", "Flow", "walk"]

MAX_NODES = 60  # grad_fn nodes and leaves kept; past it the graph is cut and says how many were left out
MAX_COUNTED = 10_000  # nodes past the limit counted at most
MAX_GRADS = 16  # gradients kept per node, received and passed on each (a cat of 1,000 tensors has 1,000 edges)


def _shape(t: Any) -> list[int] | None:
    """T's shape, None where reading it could run a subclass's __torch_dispatch__."""
    try:
        return None if unread(t) == DISPATCHES else [int(n) for n in tensor_attr(t, "shape")]
    except Exception:
        return None


def walk(
    root: Any, label: str, names: dict[int, str], limit: int = MAX_NODES, fns: list[Any] | None = None
) -> dict[str, Any] | None:
    """{nodes, edges, text, omitted?} of ROOT's graph; leaves are named from NAMES (id → name).

    Node 0 is ROOT itself, labelled LABEL (its source text). None when ROOT has no grad_fn.
    FNS, when given, receives (id, node) for every grad_fn node kept (for a Flow).
    """
    try:
        fn = tensor_attr(root, "grad_fn")
    except Exception:
        return None
    if fn is None:
        return None
    nodes: list[dict[str, Any]] = [{"id": 0, "name": label}]
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
    if fns is not None:
        fns.extend((remap.get(index[id(f)], index[id(f)]), f) for f in keep if id(f) in index)
    out: dict[str, Any] = {"nodes": nodes, "edges": edges, "text": path_text(nodes, edges)}
    if omitted:
        out["omitted"] = omitted
    return out


class Flow:
    """The gradients one backward call sends through GRAPH (as `walk` made it from ROOT): a post
    hook on each kept node notes, as VALUEs made by SNAP, what the node received
    (`received`), what it passed on to each kept node below it (`passed`: [to, VALUE]) and, for
    leaves, `.grad` once the call is over (`final`); `flow` lists the nodes in the order they ran.

    The hooks come off in `finish`: queued with QUEUE (the engine's `queue_callback`) from the
    first hook that runs, so at the end of that very backward call; the recorder calls it again
    when the statement ends or raises (a backward that failed runs no final callback). The
    hooks change no gradient, and nothing of the run is kept once they are off.
    """

    def __init__(self, root: Any, graph: dict[str, Any], fns: list[Any], snap: Any, queue: Any) -> None:
        self.graph = graph
        self.snap = snap
        self.queue = queue
        self.queued = False
        self.ended = False
        self.order: list[int] = []
        self.nodes = {n["id"]: n for n in graph["nodes"]}
        self.leaves: dict[int, Any] = {}  # id -> AccumulateGrad node: its variable's .grad is read at the end
        self.handles: list[Any] = []
        try:
            slot = int(tensor_attr(root, "output_nr"))
        except Exception:
            slot = 0
        top = next((b for a, b in graph["edges"] if a == 0), None)
        ids = {id(f): i for i, f in fns}
        try:
            for i, f in fns:
                below = [None if g is None else ids.get(id(g)) for g, _n in f.next_functions]
                if self.nodes[i].get("leaf"):
                    self.leaves[i] = f
                self.handles.append(f.register_hook(self._hook(i, below, slot if i == top else None)))
        except Exception:
            self.finish()
            raise

    def _hook(self, i: int, below: list[int | None], slot: int | None) -> Any:
        """The post hook of node I: BELOW are the ids of its next_functions (None: not kept);
        SLOT, for the node under the tensor itself, is which of its outputs that tensor is."""

        def hook(grad_inputs: Any, grad_outputs: Any) -> None:
            if self.ended:
                return
            try:
                if not self.queued and self.queue is not None:
                    self.queued = True
                    self.queue(self._final)
                self.order.append(i)
                node = self.nodes[i]
                node["received"] = [self._value(g) for g in tuple(grad_outputs)[:MAX_GRADS]]
                passed = [
                    [j, self._value(g)]
                    for j, g in zip(below, grad_inputs, strict=False)
                    if j is not None and g is not None
                ]
                if passed:
                    node["passed"] = passed[:MAX_GRADS]
                if slot is not None and slot < len(grad_outputs) and grad_outputs[slot] is not None:
                    self.nodes[0]["received"] = [self._value(grad_outputs[slot])]
            except Exception:
                pass

        return hook

    def _value(self, g: Any) -> dict[str, Any] | None:
        return None if g is None else self.snap(g)

    def _final(self) -> None:
        try:
            self.finish()
        except Exception:
            pass

    def finish(self) -> None:
        """Take the hooks off; note the leaves' `.grad` and the order the nodes ran in."""
        if self.ended:
            return
        self.ended = True
        handles, self.handles = self.handles, []
        for h in handles:
            try:
                h.remove()
            except Exception:
                pass
        leaves, self.leaves = self.leaves, {}
        ran = set(self.order)
        for i, f in leaves.items():
            if i in ran:
                guards = torch_off()  # the engine's final callback: no recording hook around it
                try:
                    grad = tensor_attr(f.variable, "grad")
                except Exception:
                    continue
                finally:
                    torch_on(guards)
                self.nodes[i]["final"] = self._value(grad)
        if self.order:
            self.graph["flow"] = ([0] if "received" in self.nodes[0] else []) + self.order
        self.nodes = {}


def layers(nodes: list[dict[str, Any]], edges: list[list[int]], leaves_last: bool = True) -> list[list[int]]:
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


def path_text(nodes: list[dict[str, Any]], edges: list[list[int]]) -> str:
    """`loss → BinaryCrossEntropyBackward0 → SigmoidBackward0 → … → W, b`: layer by layer."""
    names = {n["id"]: n["name"] for n in nodes}
    return " → ".join(", ".join(names[i] for i in layer) for layer in layers(nodes, edges))
