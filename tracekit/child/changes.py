"""What a recorded hit changed: cheap fingerprints before the line, before → after once it ran.

Standard library only; torch is found through ``sys.modules`` when the script imported it.
Before a recorded hit, the names of the running frame are fingerprinted at most two levels
deep: ids, tensor version counters, ``.grad`` identity and version, container lengths. Modules,
classes and functions are never walked, except an ``nn.Module``'s parameters. A before value is
copied only where that is cheap (tensors up to MAX_CLONE elements, containers up to MAX_CLONE
items). After the line, whatever moved becomes a ``change`` event.

Nothing here refers to the program's objects, not even weakly: a weakref is visible to the program
(``torch.utils.swap_tensors`` refuses tensors that have one, ``weakref.getweakrefcount`` counts it).
Every object is remembered by its id and found again after the line by the path that reached it
(name, item, attribute or parameter name); the frame holds it alive for the length of the hit.
"""

from __future__ import annotations

import marshal
import sys
import types as _types

TYPE_CHECKING = False  # `typing` is not imported at run time; mypy reads the import below
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Fingerprints", "fingerprint", "changes"]

MAX_CLONE = 1000  # tensor elements / container items whose before value is copied
MAX_LISTED = 4  # parameters (or gradients) of one module listed before the rest are summarised
MAX_NAMES = 300  # names of one frame looked at
MAX_INNER = 16  # items of a container or attributes of an object looked at (the second level)

#: callables whose attributes (__doc__, __qualname__) can be read without running user code
CALLABLE_TYPES = (
    _types.FunctionType,
    _types.BuiltinFunctionType,
    _types.MethodType,
    _types.MethodWrapperType,
    _types.WrapperDescriptorType,
    _types.MethodDescriptorType,
    _types.ClassMethodDescriptorType,
)
#: never walked for changes: modules, callables, code, frames, generators and classes
_SKIP = (
    _types.ModuleType,
    *CALLABLE_TYPES,
    _types.GeneratorType,
    _types.CoroutineType,
    _types.FrameType,
    _types.CodeType,
    type,
)
_CONTAINERS = (list, dict, set, bytearray)
CO_OPTIMIZED = 0x1

# How much of a tensor or array recording may read (see unread): all of it; what the base class's
# C getters give with torch's Python overrides off; that less the sizes and device, which a
# __torch_dispatch__ subclass may compute in Python (`_make_wrapper_subclass(…, dispatch_sizes_strides_policy=…)`)
READ, OWN_CODE, DISPATCHES = 0, 1, 2
# What a class may define without recording running any of it: construction and class bookkeeping
_INERT = frozenset(
    {
        "__module__",
        "__qualname__",
        "__doc__",
        "__dict__",
        "__weakref__",
        "__slots__",
        "__annotations__",
        "__annotate__",
        "__new__",
        "__init__",
        "__init_subclass__",
        "__class_getitem__",
        "__firstlineno__",
        "__static_attributes__",
        "__orig_bases__",
        "__parameters__",
        "__classcell__",
    }
)
_DATA = (int, float, str, bool, type(None), tuple, frozenset, bytes)


def unread(v: Any) -> int:
    """How much of V recording may read without running code other than torch's or numpy's.

    READ for anything but a tensor or array subclass that overrides something of its base: a
    method, ``__repr__``, ``__torch_function__``, ``__array_function__``, ``__array_finalize__``…
    (OWN_CODE), or a ``__torch_dispatch__`` (DISPATCHES, torch's own subclasses included: every
    operation on them runs Python). Recording prints none of those, copies none and computes
    nothing on them: the program's code would run, and under python it never does.
    """
    t = type(v)
    mods = sys.modules
    torch = mods.get("torch")
    if torch is not None:
        base = torch.__dict__.get("Tensor")
        if t is base:
            return READ
        if base is not None and issubclass(t, base):
            c = torch.__dict__.get("_C")
            harmless = (
                getattr(c, "_disabled_torch_function_impl", None),
                getattr(c, "_disabled_torch_dispatch_impl", None),
            )
            return _overrides(t, base, "torch", harmless)
    np = mods.get("numpy")
    if np is not None:
        for base in (np.ndarray, np.generic):
            if t is not base and issubclass(t, base):
                return _overrides(t, base, "numpy", ())
    return READ


_TYPE_MODULE = type.__dict__["__module__"].__get__  # never a metaclass's property, never the program's code


def _overrides(t: type, base: type, lib: str, harmless: tuple[Any, ...]) -> int:
    """unread() of T, a subclass of BASE from library LIB, read from the classes' own dicts."""
    level = READ
    for k in t.__mro__:
        if k is base:
            break
        d = k.__dict__
        mod = _TYPE_MODULE(k)  # type's own getter: a C type keeps no __module__ in its __dict__
        if type(mod) is str and (mod == lib or mod.startswith(lib + ".")):
            own = d.get("__torch_dispatch__")
            if own is not None and not any(own is h for h in harmless):
                return DISPATCHES  # FakeTensor, DTensor…: their operations run Python too
            continue
        for name, attr in d.items():
            if name in _INERT or type(attr) in _DATA or any(attr is h for h in harmless):
                continue
            if name == "__torch_dispatch__":
                return DISPATCHES
            if name in ("__getattr__", "__getattribute__") or any(name in b.__dict__ for b in base.__mro__):
                level = OWN_CODE
    return level


def torch_off() -> list[Any]:
    """Turn torch's Python overrides off until torch_on: no ``__torch_function__`` or
    ``__torch_dispatch__`` runs, a subclass's or a mode's (``with TorchDispatchMode()``), while
    recording reads values. The guards are torch's C context managers: entering runs no Python."""
    torch = sys.modules.get("torch")
    c = torch.__dict__.get("_C") if torch is not None else None
    if c is None:
        return []
    guards = []
    try:
        for make in (c.DisableTorchFunction, c._DisableTorchDispatch):
            g = make()
            g.__enter__()
            guards.append(g)
    except Exception:
        pass
    return guards


def torch_on(guards: list[Any]) -> None:
    """Undo torch_off."""
    # Runs after every recorded hit: `reversed` is a builtin the program may have deleted or
    # shadowed in builtins (CPython's test_iter does), a slice is not looked up.
    for g in guards[::-1]:
        try:
            g.__exit__(None, None, None)
        except Exception:
            pass


def tensor_attr(t: Any, name: str) -> Any:
    """Tensor T's attribute NAME through torch's C getter (``torch._C.TensorBase``): a subclass's
    property of that name does not run; with torch_off on, neither does a ``__torch_function__``."""
    c = sys.modules["torch"].__dict__["_C"]
    return c.TensorBase.__dict__[name].__get__(t)


class Fingerprints:
    """Fingerprints of one frame's names, keyed by path, holding no reference to the program's
    objects (reference counts, weakref counts and finalisation stay python's): ids only."""

    __slots__ = ("entries", "roots", "modules")

    def __init__(self) -> None:
        # path -> (kind, root, where, a, b, before copy or None); `where` finds the object again
        # after the line (see _locate). Tensors: a = id, b = version; gradients: a = the grad's id
        # or None, b = its version; containers: a = (id, length), b = ids of the items or None.
        self.entries: dict[str, tuple[Any, ...]] = {}
        self.roots: dict[str, int] = {}  # root name -> id of the object it named
        self.modules: dict[str, str] = {}  # parameter path -> module path (for summaries)


# Code that can reach its own frame's locals dict: that dict is left as python left it.
_INTROSPECTION = frozenset(
    {"locals", "vars", "exec", "eval", "dir", "_getframe", "currentframe", "getframeinfo", "stack", "f_locals"}
)


def reads_own_locals(code: Any) -> bool:
    """Can CODE reach its own frame's locals dict (locals(), vars(), frame objects)?"""
    return not _INTROSPECTION.isdisjoint(code.co_names)


def _names(frame: Any) -> dict[str, Any] | None:
    """The frame's names: a function's locals and the globals its code reads, or a module's globals.

    None for class bodies and exec'd namespaces: reading them could run the program's code.
    """
    code = frame.f_code
    if code.co_flags & CO_OPTIMIZED:
        if reads_own_locals(code):
            # Up to 3.12 reading f_locals refreshes the very dict locals() gave the program (a
            # key it deleted comes back): such code is watched through its globals only.
            g = frame.f_globals
            return {n: g[n] for n in code.co_names if n in g}
        loc = frame.f_locals
        ns = dict(loc)
        if type(loc) is dict:
            # Up to 3.12, reading f_locals leaves a dict on the frame that holds every local:
            # emptied again, so that reference counts (and the moment objects are freed) stay
            # python's. (From 3.13 f_locals is a write-through proxy that holds nothing: left alone.)
            loc.clear()
        g = frame.f_globals
        for n in code.co_names:
            if n in g and n not in ns:
                ns[n] = g[n]
        return ns
    if frame.f_locals is frame.f_globals:
        globs: dict[str, Any] = frame.f_globals
        return globs
    return None


def frame_locals(frame: Any) -> dict[str, Any]:
    """A copy of the frame's locals; the frame keeps no dict of them after this (see _names)."""
    loc = frame.f_locals
    ns = dict(loc)
    forget_locals(frame)
    return ns


def forget_locals(frame: Any) -> None:
    """Empty the locals dict reading f_locals left on a function's frame, unless the code reads
    its own locals (then that dict is the program's, left as python leaves it)."""
    code = frame.f_code
    if code.co_flags & CO_OPTIMIZED and not reads_own_locals(code):
        loc = frame.f_locals
        if type(loc) is dict:
            loc.clear()


def _version(torch: Any, t: Any) -> tuple[int, int]:
    """T's version counter and its C++ tensor: ``torch.utils.swap_tensors`` keeps the Python object
    and can keep the counter, but gives the object another tensor underneath."""
    getters = torch.__dict__["_C"].TensorBase.__dict__  # looked up once: this runs per tensor per recorded hit
    try:
        cdata = int(getters["_cdata"].__get__(t))
    except Exception:
        cdata = -1
    try:
        return int(getters["_version"].__get__(t)), cdata
    except Exception:  # inference tensors have no version counter
        return -1, cdata


def _grad_of(t: Any) -> Any:
    """A leaf's (or a retains_grad tensor's) .grad; reading it on other tensors would warn."""
    try:
        if tensor_attr(t, "is_leaf") or tensor_attr(t, "retains_grad"):
            return tensor_attr(t, "grad")
    except Exception:
        pass
    return None


def _clone(torch: Any, t: Any) -> Any:
    try:
        if not unread(t) and t.numel() <= MAX_CLONE and t.layout == torch.strided and t.device.type != "meta":
            return t.detach().clone()
    except Exception:
        pass
    return None


def _add_tensor(
    fp: Fingerprints, torch: Any, path: str, root: str, where: tuple[Any, ...], t: Any, seen: set[Any]
) -> None:
    if id(t) in seen:
        return
    seen.add(id(t))
    fp.entries[path] = ("t", root, where, id(t), _version(torch, t), _clone(torch, t))
    g = _grad_of(t)
    if g is not None or (tensor_attr(t, "requires_grad") and tensor_attr(t, "is_leaf")):
        gid, gv = (id(g), _version(torch, g)) if g is not None else (None, None)
        fp.entries[path + ".grad"] = ("g", root, where, gid, gv, _clone(torch, g) if g is not None else None)


_PRIMITIVE = (int, float, str, bool, type(None), bytes, complex)
_DICT_SLOT = type.__dict__["__dict__"]  # a getset descriptor: what a class's own `__dict__` entry is


def _items_of(c: Any) -> list[Any]:
    """A container's items as python iterates it (dicts: key, value pairs)."""
    if type(c) is dict:
        return list(c.items())
    return list(c)


def _contents(c: Any) -> tuple[Any, Any]:
    """(ids of the items, a copy of them or None): the copy only where every item is a plain
    number, string or None, and kept as marshalled bytes, so that it holds no reference to the
    program's objects (``sys.getrefcount`` of a string in a list stays python's)."""
    if type(c) is bytearray:
        b = bytes(c)
        return b, b
    items = _items_of(c)
    ids: list[Any]
    if type(c) is dict:
        ids = [(id(k), id(v)) for k, v in items]
        safe = all(type(k) in _PRIMITIVE and type(v) in _PRIMITIVE for k, v in items)
    else:
        ids = [id(x) for x in items]
        safe = all(type(x) in _PRIMITIVE for x in items)
    return ids, (marshal.dumps(items) if safe else None)


def _add_container(fp: Fingerprints, path: str, root: str, where: tuple[Any, ...], c: Any, deep: bool) -> None:
    n = len(c)
    ids, copy = _contents(c) if deep and n <= MAX_CLONE else (None, None)
    fp.entries[path] = ("c", root, where, (id(c), n), ids, copy)


def fingerprint(frame: Any) -> Fingerprints | None:
    """Cheap fingerprints of what the frame's names reach, at most two levels deep."""
    ns = _names(frame)
    if ns is None:
        return None
    mods = sys.modules
    torch = mods.get("torch")
    tensor = torch.Tensor if torch is not None else None
    mm = mods.get("torch.nn.modules.module")
    module_t = mm.Module if mm is not None else None
    fp = Fingerprints()
    seen: set[int] = set()
    inner: list[tuple[str, Any]] = []
    for i, (name, v) in enumerate(ns.items()):
        if i >= MAX_NAMES:
            break
        if type(name) is not str or name.startswith("__"):
            continue
        t = type(v)
        if t in _SKIP or issubclass(t, type):
            continue
        if tensor is not None and issubclass(t, tensor):
            fp.roots[name] = id(v)
            _add_tensor(fp, torch, name, name, (name, None, None), v, seen)
        elif t in _CONTAINERS:
            fp.roots[name] = id(v)
            _add_container(fp, name, name, (name, None, None), v, True)
            inner.append((name, v))
        elif module_t is not None and issubclass(t, module_t):
            fp.roots[name] = id(v)
            if id(v) in seen:
                continue
            seen.add(id(v))
            try:
                for pname, p in v.named_parameters():
                    _add_tensor(fp, torch, f"{name}.{pname}", name, (name, "p", pname), p, seen)
                    fp.modules[f"{name}.{pname}"] = name
                    fp.modules[f"{name}.{pname}.grad"] = name
            except Exception:
                pass
        elif _attrs(v) is not None:
            fp.roots[name] = id(v)
            inner.append((name, v))
    # The second level: tensors in small lists and dicts; tensors and containers held by plain objects.
    for name, v in inner:
        if type(v) in _CONTAINERS:
            if type(v) not in (list, dict) or len(v) > MAX_INNER:
                continue
            for k, item in list(v.items()) if type(v) is dict else list(enumerate(v)):
                # a key of the program's class would run its __hash__, __eq__ and __repr__ here
                if tensor is not None and type(k) in _PRIMITIVE and issubclass(type(item), tensor):
                    _add_tensor(fp, torch, f"{name}[{k!r}]", name, (name, "i", k), item, seen)
            continue
        attrs = _attrs(v)
        if attrs is None:
            continue
        for j, (an, av) in enumerate(list(attrs.items())):
            if j >= MAX_INNER:
                break
            if type(an) is not str or an.startswith("_"):
                continue
            at = type(av)
            if tensor is not None and issubclass(at, tensor):
                _add_tensor(fp, torch, f"{name}.{an}", name, (name, "a", an), av, seen)
            elif at in _CONTAINERS and id(av) not in seen:
                seen.add(id(av))
                _add_container(fp, f"{name}.{an}", name, (name, "a", an), av, False)
    return fp


def _attrs(v: Any) -> dict[str, Any] | None:
    """A plain object's instance dict, when reading it runs none of the program's code."""
    t = type(v)
    if t in _SKIP or issubclass(t, type) or t.__module__ == "builtins":
        return None
    for k in t.__mro__:
        attrs = k.__dict__
        if type(attrs.get("__getattribute__")) is _types.FunctionType:
            return None
        if type(attrs.get("__dict__", _DICT_SLOT)) is not _types.GetSetDescriptorType:
            return None  # a `__dict__` property: reading it runs the program's code
    try:
        d = object.__getattribute__(v, "__dict__")
    except Exception:
        return None
    return d if type(d) is dict else None


def _locate(ns: dict[str, Any], where: tuple[Any, ...], params: dict[str, Any]) -> Any:
    """The object at WHERE after the line, None if gone: (name, None, None) a name, (name, "a",
    attribute) a plain object's attribute, (name, "i", key) an item of a small list or dict,
    (name, "p", parameter) a module's parameter (PARAMS caches each module's, looked up once)."""
    name, how, key = where
    v = ns.get(name)
    if how is None or v is None:
        return v
    if how == "a":
        d = _attrs(v)
        return d.get(key) if d is not None else None
    if how == "i":
        t = type(v)
        if t is dict:
            return v.get(key)
        if t is list and type(key) is int and key < len(v):
            return v[key]
        return None
    found = params.get(name)
    if found is None:
        try:
            found = params[name] = dict(v.named_parameters())
        except Exception:
            found = params[name] = {}
    return found.get(key)


# ----------------------------------------------------------------------------------------
# After the line
# ----------------------------------------------------------------------------------------


def _max_delta(torch: Any, before: Any, after: Any) -> float | None:
    try:
        if (
            before is None
            or after is None
            or before.shape != after.shape
            or not (before.is_floating_point() or before.is_complex())
        ):
            return None
        if before.numel() == 0:
            return 0.0
        return float((after.detach() - before).abs().max().item())
    except Exception:
        return None


def _numel(t: Any) -> int:
    try:
        return int(t.numel())
    except Exception:
        return 0


def _detached(t: Any, level: int) -> Any:
    """T without its autograd history, for its snapshot; a subclass recording cannot read (LEVEL, its unread()) as
    is."""
    return t if level else t.detach()


def _equal(copy: Any, t: Any) -> bool:
    """Does tensor T hold what COPY holds (same shape and dtype; NaNs in the same places)?"""
    if unread(t):
        return True  # nothing of it is compared (see unread): the same id and version say the same
    try:
        d = t.detach()
        if copy.shape != d.shape or copy.dtype != d.dtype or copy.device != d.device:
            return False
        return bool(copy.equal(d)) or bool(((copy == d) | ((copy != copy) & (d != d))).all().item())
    except Exception:
        return True


def _is_zero(t: Any, level: int) -> bool:
    """Whether T (LEVEL: its unread()) holds only zeros; never read where recording must not."""
    try:
        return not level and t.numel() > 0 and not bool(t.detach().any().item())
    except Exception:
        return False


def changes(fp: Fingerprints, frame: Any, snapshot: Any) -> list[dict[str, Any]]:
    """The change events: what moved since FP was taken, as {role, text, change, value, before?, summary?}."""
    ns = _names(frame)
    if ns is None:
        return []
    torch = sys.modules.get("torch")
    out: list[dict[str, Any]] = []
    deltas: dict[str, float] = {}
    rebound = {r for r, rid in fp.roots.items() if id(ns.get(r)) != rid}
    params: dict[str, dict[str, Any]] = {}
    for path, (kind, root, where, a, b, copy) in fp.entries.items():
        if root in rebound:
            continue  # the line bound the name anew: its result says so
        ev = None
        if kind == "t":
            obj = _locate(ns, where, params)
            if obj is None or id(obj) != a or _version(torch, obj) == b:
                continue
            level = unread(obj)  # once: each call looks the libraries up and may walk the class's MRO
            ev = {"change": "zeroed" if _is_zero(obj, level) else "changed"}
            after = _detached(obj, level)
            ev["value"] = snapshot(after)
            if level:
                ev["summary"] = "changed in place"
            elif copy is None:
                ev["summary"] = f"changed in place; {_numel(obj):,} elements, too many to keep the value before"
            else:
                ev["before"] = snapshot(copy)
                d = _max_delta(torch, copy, after)
                if d is not None:
                    deltas[path] = d
                    ev["summary"] = f"largest |Δ| {d:.4g}"
        elif kind == "g":
            obj = _locate(ns, where, params)
            if obj is None or id(obj) != fp.entries[path[: -len(".grad")]][3]:
                continue
            g = _grad_of(obj)
            if a is None and g is None:
                continue
            same = g is not None and id(g) == a
            if same and _version(torch, g) == b:
                # The same id and version: the same tensor, unless the old one was freed and a
                # new one took its address; an in-place change moves the version, so different
                # values under the same version are a new tensor.
                if copy is None or _equal(copy, g):
                    continue
                same = False
            if g is None:
                ev = {"change": "cleared", "value": snapshot(None)}
            elif a is None:
                level = unread(g)
                ev = {"change": "zeroed" if _is_zero(g, level) else "created", "value": snapshot(_detached(g, level))}
            else:
                level = unread(g)
                word = "zeroed" if _is_zero(g, level) else ("accumulated" if same else "replaced")
                ev = {"change": word, "value": snapshot(_detached(g, level))}
            if a is None:
                ev["before"] = snapshot(None)
            elif copy is not None:
                ev["before"] = snapshot(copy)
        elif kind == "c":
            obj = _locate(ns, where, params)
            cid, n0 = a
            if obj is None or id(obj) != cid or type(obj) not in _CONTAINERS:
                continue
            n = len(obj)
            if n == n0:
                if b is None or _contents(obj)[0] == b:
                    continue
                ev = {"change": "changed"}
            else:
                ev = {"change": "grew" if n > n0 else "shrank", "summary": f"len {n0} → {n}"}
            ev["value"] = snapshot(obj)
            if copy is not None:
                t = type(obj)
                ev["before"] = snapshot(
                    bytearray(copy) if t is bytearray else (dict if t is dict else t)(marshal.loads(copy))
                )
        if ev is not None:
            out.append({"role": "change", "text": path, **ev})
    return _summarise(out, fp, deltas, snapshot, ns)


def _summarise(
    events: list[dict[str, Any]], fp: Fingerprints, deltas: dict[str, float], snapshot: Any, ns: dict[str, Any]
) -> list[dict[str, Any]]:
    """Per module: a summary ("4 parameters changed; largest |Δ| 0.05 in hidden.weight") and the first few."""
    groups: dict[tuple[str, bool], list[dict[str, Any]]] = {}
    order: list[Any] = []
    for ev in events:
        mod = fp.modules.get(ev["text"])
        if mod is None:
            order.append(ev)
            continue
        key = (mod, ev["text"].endswith(".grad"))
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(ev)
    out: list[dict[str, Any]] = []
    for item in order:
        if isinstance(item, dict):
            out.append(item)
            continue
        mod, grads = item
        evs = groups[item]
        if len(evs) > 1:
            n = len(evs)
            if grads:
                words = {e["change"] for e in evs}
                word = words.pop() if len(words) == 1 else "changed"
                text = f"{n} gradients {word}"
            else:
                text = f"{n} parameters changed"
                known = [(deltas[e["text"]], e["text"]) for e in evs if e["text"] in deltas]
                if known:
                    d, where = max(known)
                    text += f"; largest |Δ| {d:.4g} in {where[len(mod) + 1 :]}"
            out.append(
                {"role": "change", "text": mod, "change": "summary", "summary": text, "value": snapshot(ns.get(mod))}
            )
        out += evs[:MAX_LISTED]
    return out
