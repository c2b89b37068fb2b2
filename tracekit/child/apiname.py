"""The canonical public name of a callee, found in the child while the run lasts (standard library only).

A callee is named by the shortest public path that reaches it from an imported module:
``torch.Tensor.backward`` rather than ``torch._tensor.Tensor.backward``, ``torch.nn.Linear`` rather
than ``torch.nn.modules.linear.Linear``, ``numpy.random.rand`` rather than
``numpy.random.mtrand.RandomState.rand``; builtins by their bare name (``print``, ``list.append``).
A method is named after the class that defines it, or the nearest public class below that one
(``torch.Tensor.sum``, not ``torch._C.TensorBase.sum``); calling an instance names its class's
``__call__``. Definitions made by the examples themselves (the script, modules under the examples
root) are "own" and get no name. Lookups read modules' and classes' ``__dict__`` only and try
imported modules only, so naming runs none of the program's code and imports nothing.
"""

from __future__ import annotations

import os
import sys
import types
from typing import Any

_MISSING = object()
_FUNCTIONS = (types.FunctionType, types.BuiltinFunctionType)
_DESCRIPTORS = (
    types.MethodDescriptorType,
    types.WrapperDescriptorType,
    types.ClassMethodDescriptorType,
    types.MethodWrapperType,
)
_PREFIXES = tuple({os.path.join(p, "") for p in (sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix)})


def public(dotted: str) -> bool:
    """No part of DOTTED is private (``_x``); dunders (``__call__``) are public."""
    return not any(p.startswith("_") and not (p.startswith("__") and p.endswith("__")) for p in dotted.split("."))


def _get(obj: Any, name: str) -> Any:
    """NAME in a module's or class's own dictionaries (no descriptor or ``__getattr__`` runs)."""
    if type(obj) is types.ModuleType:
        found = obj.__dict__.get(name, _MISSING)
        if found is _MISSING:
            found = sys.modules.get(f"{obj.__dict__.get('__name__')}.{name}", _MISSING)
        return found
    if issubclass(type(obj), type):
        for k in type.__dict__["__mro__"].__get__(obj):
            if name in k.__dict__:
                found = k.__dict__[name]
                return found.__func__ if isinstance(found, (staticmethod, classmethod)) else found
    return _MISSING


def _lookup(module: str, rest: str) -> Any:
    obj: Any = sys.modules.get(module, _MISSING)
    for part in rest.split("."):
        if obj is _MISSING:
            break
        obj = _get(obj, part)
    return obj


def _same(found: Any, f: Any) -> bool:
    if found is f:
        return True
    # bound methods are made anew on each access; theirs is an identity comparison of self
    return type(found) is type(f) and type(f) in (types.MethodType, types.BuiltinMethodType) and found == f


def _attr(obj: Any, name: str) -> Any:
    try:
        value = getattr(obj, name, None)
    except Exception:
        return None
    return value if type(value) is str else None


class Namer:
    """Names callees for one run; ROOT is the examples root (what is defined under it is "own")."""

    def __init__(self, root: str) -> None:
        self.root = os.path.join(os.path.abspath(root), "")
        self._own: dict[str, bool] = {}

    def own_module(self, module: str | None) -> bool:
        """Is MODULE the script or a module of the examples (not an installed library)?"""
        if module is None or module == "__main__":
            return module == "__main__"
        got = self._own.get(module)
        if got is None:
            m = sys.modules.get(module)
            path = _attr(m, "__file__") if type(m) is types.ModuleType else None
            got = (
                bool(path)
                and os.path.abspath(str(path)).startswith(self.root)
                and not os.path.abspath(str(path)).startswith(_PREFIXES)
            )
            self._own[module] = got
        return got

    def by_path(self, f: Any, module: str | None, qualname: str | None, name: str | None) -> str | None:
        """The shortest public ``module.path`` under a prefix of MODULE that reaches F."""
        if not module:
            return None
        parts = module.split(".")
        tries: list[tuple[str, str]] = []
        for i in range(1, len(parts) + 1):
            prefix = ".".join(parts[:i])
            tries += [(prefix, rest) for rest in (qualname, name) if rest and "<" not in rest]
        tries.sort(key=lambda t: (not public(f"{t[0]}.{t[1]}"), f"{t[0]}.{t[1]}".count("."), len(t[0]) + len(t[1])))
        for prefix, rest in tries:
            if _same(_lookup(prefix, rest), f):
                return rest if prefix == "builtins" else f"{prefix}.{rest}"
        return None

    def class_name(self, cls: type) -> str:
        module, qualname = _attr(cls, "__module__"), _attr(cls, "__qualname__") or "?"
        if module in (None, "builtins"):
            return qualname
        return self.by_path(cls, module, qualname, _attr(cls, "__name__")) or f"{module}.{qualname}"

    def method(self, cls: type, name: str, *, instance: bool = False) -> tuple[str | None, bool]:
        """NAME looked up on CLS: (``Class.name`` of its defining class or the nearest public one
        below it, own). INSTANCE: a call of an instance, named after its most derived library class."""
        mro = type.__dict__["__mro__"].__get__(cls)
        at = next((i for i, k in enumerate(mro) if name in k.__dict__), None)
        if at is None:
            return None, False
        if not instance and self.own_module(_attr(mro[at], "__module__")):
            return None, True
        order = list(mro[: at + 1]) if instance else [mro[j] for j in range(at, -1, -1)]
        fallback = None
        for k in order:
            if self.own_module(_attr(k, "__module__")):
                continue
            cn = self.class_name(k)
            if public(cn):
                return f"{cn}.{name}", False
            fallback = fallback or f"{cn}.{name}"
        return fallback, fallback is None

    def name(self, f: Any, readable: bool) -> tuple[str | None, bool]:
        """(canonical name or None, whether F is the examples' own). READABLE: F's attributes can
        be read without running the program's code (else only its type is looked at)."""
        t = type(f)
        if issubclass(t, type):
            if self.own_module(_attr(f, "__module__")):
                return None, True
            return self.class_name(f), False
        if t in _FUNCTIONS or t is types.MethodType:
            me = getattr(f, "__self__", None)
            module = _attr(f, "__module__")
            if me is None or type(me) is types.ModuleType:  # a function (builtin or not)
                if self.own_module(module):
                    return None, True
                return self.by_path(f, module, _attr(f, "__qualname__"), _attr(f, "__name__")), False
            name = _attr(f, "__name__") or ""
            cls = me if issubclass(type(me), type) else type(me)
            # a module-level alias of a bound method: numpy.random.rand is a method of a RandomState
            found = self.by_path(f, module or _attr(cls, "__module__"), None, name)
            if found is not None:
                return found, False
            return self.method(cls, name)
        if t in _DESCRIPTORS:  # str.join(…), list.append(xs, …)
            owner: Any = getattr(f, "__objclass__", None)
            name = _attr(f, "__name__") or ""
            return self.method(owner, name) if issubclass(type(owner), type) else (None, False)
        if readable:  # a callable object with a name of its own: numpy.exp (a ufunc)
            module = _attr(f, "__module__") or _attr(t, "__module__")
            found = self.by_path(f, module, None, _attr(f, "__name__"))
            if found is not None:
                return found, False
        return self.method(t, "__call__", instance=True)
