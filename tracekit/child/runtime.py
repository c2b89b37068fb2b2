"""The hooks instrumented code calls. Imports only the standard library; torch and numpy are
inspected only when a recorded value is one of theirs (found through ``sys.modules``)."""

from __future__ import annotations

import _warnings
import builtins
import hashlib
import itertools
import re
import sys
import types as _types

from . import apiname, lasthit
from . import autograd as autograd_module
from . import changes as changes_module
from .protocol import DEFAULT_LAST_HIT

TYPE_CHECKING = False  # `typing` is not imported at run time: this module starts every child
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Recorder", "snapshot"]

MAX_REPR = 4000  # characters of a value's repr kept in the trace
MAX_ROWS = 16  # 2-D values up to MAX_ROWS x MAX_ROWS also keep their rows as numbers
MAX_ITEMS = 100  # container elements shown before "..."
MAX_OUTPUT_PER_HIT = 20_000
MAX_OUTPUT_LATER = 4_000
MAX_CONSTRUCTING_DEPTH = 200  # frames looked through for the __init__ of a value whose repr failed
ADDRESS = re.compile(r"0x[0-9a-fA-F]{4,}")
_COUNT = re.compile(r"\((\d+)\)")
# Sphinx roles in docstrings: :func:`x` -> x (:math: is kept, for the page to render as math)
_ROLE = re.compile(r":(?!math:)\w+:`~?([^`<]+?)(?:\s*<[^>]*>)?`")
# a summary that only points elsewhere: "See torch.flatten", "Alias for torch.special.expit."
_POINTER = re.compile(r"^(?:See|Alias for)\s+~?([A-Za-z_][\w.]*[A-Za-z0-9_])(?:\(\))?\.?$")

# tracekit's own source folder: its frames are taken out of the program's tracebacks
_OWN_DIR = __file__[: -len("child/runtime.py")]
# Put first in the warning filters while recording (see _hush)
_IGNORE = ("ignore", None, Warning, None, 0)

# Set by the child when figures are recorded (tracekit.child.figures.Figures.image): called as
# IMAGER(value, marked) for a value that may be an image, returns {"file", "width", "height"}
# or None. Without it (or without PIL) values never carry an image.
IMAGER: Any = None


# ----------------------------------------------------------------------------------------
# Values
# ----------------------------------------------------------------------------------------


_ModuleType = _types.ModuleType
_DOC_TYPES = changes_module.CALLABLE_TYPES


def _doc_subject(f: Any) -> Any:
    """F itself when its attributes can be read without running the program's code, else its type.

    Functions, builtins, classes and C-level callables (numpy's dispatchers, ufuncs) are read
    directly; an object whose class defines __getattr__/__getattribute__ or a __doc__ property
    in Python is described by its class instead, so that recording never runs its code.
    """
    t = type(f)
    if t in _DOC_TYPES or issubclass(t, type):
        return f
    for k in t.__mro__:
        attrs = k.__dict__
        if any(type(attrs.get(n)) is _types.FunctionType for n in ("__getattr__", "__getattribute__")):
            return t
        if any(isinstance(attrs.get(n), property) for n in ("__doc__", "__qualname__", "__module__", "__name__")):
            return t
    return f


def _public_name(f: Any, mod: Any, qn: str) -> str:
    """The name the library documents for F: ``torch.arange`` rather than
    ``torch._VariableFunctionsClass.arange``, ``torch.nn.functional.max_pool2d`` rather than
    ``boolean_dispatch.<locals>.fn``, ``torch.Tensor.flatten`` rather than ``TensorBase.flatten``."""
    if qn.startswith("TensorBase.") and mod is None:
        return "torch.Tensor." + qn[len("TensorBase.") :]
    if type(mod) is not str or mod in ("builtins", "__main__"):
        return qn
    name = getattr(f, "__name__", None)
    hidden = "<locals>" in qn or any(part.startswith("_") and not part.startswith("__") for part in qn.split(".")[:-1])
    if hidden and type(name) is str and name.isidentifier():
        module = sys.modules.get(mod)
        if module is not None and module.__dict__.get(name) is f:
            return f"{mod}.{name}"
    return f"{mod}.{qn}"


def _resolve(dotted: str) -> Any:
    """The object a dotted name in a docstring names, found through imported modules only
    (attributes of modules and classes read from their ``__dict__``: no code runs)."""
    parts = dotted.split(".")
    obj: Any = sys.modules.get(parts[0])
    if obj is None and parts[0] == "Tensor" and "torch" in sys.modules:
        obj = sys.modules["torch"].__dict__.get("Tensor")
    for part in parts[1:]:
        if obj is None:
            return None
        found = None
        if type(obj) is _ModuleType:
            found = obj.__dict__.get(part)
            if found is None:
                found = sys.modules.get(f"{obj.__name__}.{part}")
        elif isinstance(obj, type):
            found = _own_attr(obj, part)
        obj = found
    return obj


def _own_attr(t: type, name: str) -> Any:
    """NAME as the first class in T's MRO defines it (no descriptor is run), else None."""
    for k in t.__mro__:
        if name in k.__dict__:
            return k.__dict__[name]
    return None


def _code_params(function: _types.FunctionType, drop: int) -> list[str]:
    """The positional parameter names of FUNCTION's code, less the first DROP, ``*name`` last."""
    code = function.__code__
    n = code.co_argcount
    names = list(code.co_varnames[:n])[drop:]
    if code.co_flags & 0x04:  # CO_VARARGS
        names.append("*" + code.co_varnames[n + code.co_kwonlyargcount])
    return names


def _param_names(f: Any, sig: str | None) -> list[str] | None:
    """The positional parameter names of callee F, ``*name`` for its ``*args``; None if unknown.

    Python functions are read from their code object (bound methods and classes without their
    ``self``; a module called runs its ``forward``); builtins from the signature their docstring
    or ``__text_signature__`` gives. Nothing of the program runs."""
    t = type(f)
    target: Any = None
    drop = 0
    if t is _types.FunctionType:
        target = f
    elif t is _types.MethodType:
        target, drop = f.__func__, 1
    elif issubclass(t, type):
        target, drop = _own_attr(f, "__init__"), 1
    elif t not in _DOC_TYPES:
        target, drop = _own_attr(t, "forward") or _own_attr(t, "__call__"), 1
    if type(target) is _types.FunctionType:
        names = _code_params(target, drop)
        for _ in range(8):
            # a generic wrapper made with functools.wraps (torch.manual_seed once torch._dynamo is
            # imported, matplotlib's data decorator): the wrapped function's, as inspect.signature says
            inner = target.__dict__.get("__wrapped__")
            if names != ["*args"] or type(inner) is not _types.FunctionType or inner is target:
                break
            target = inner
            names = _code_params(target, drop)
        if names != ["*args"] or type(sig) is not str:
            return names
        # a generic wrapper (torch's boolean_dispatch): its documented signature says more
    text = sig if type(sig) is str else getattr(f, "__text_signature__", None) if t in _DOC_TYPES else None
    if type(text) is not str or "(" not in text:
        return None
    inner = text[text.index("(") + 1 :]
    depth, part, parts = 0, "", []
    for ch in inner:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                break
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(part)
            part = ""
        else:
            part += ch
    parts.append(part)
    out: list[str] = []
    defaults = False
    for p in parts:
        name = p.split("=", 1)[0].split(":", 1)[0].strip()
        if name in ("", "/") or name.startswith("$"):
            continue
        if name == "*" or name.startswith("**"):
            break
        if not (name.lstrip("*").isidentifier()):
            return None
        if "=" in p:
            defaults = True
        elif defaults and not name.startswith("*"):
            return None  # `arange(start=0, end, …)`: overloads in one line, positions are ambiguous
        out.append(name)
        if name.startswith("*"):
            break
    return out


def type_name(t: type) -> str:
    mod = getattr(t, "__module__", None) or "?"
    name = str(getattr(t, "__qualname__", None) or getattr(t, "__name__", "?"))
    if mod in ("builtins", "__main__"):
        return name
    if mod.startswith("torch") and name in ("Tensor", "Parameter"):
        mod = "torch" if name == "Tensor" else "torch.nn"
    return f"{mod}.{name}"


def _cut(text: str, limit: int = MAX_REPR) -> tuple[str, bool]:
    if len(text) <= limit:
        return text, False
    return text[: limit - 1] + "…", True


def _first_sentence(doc: object) -> tuple[str | None, str | None]:
    """(signature, first sentence) from a docstring; torch puts the signature on its first line."""
    if type(doc) is not str:
        return None, None
    # An RST directive or comment (".. note::") is not the summary: torch.mean's comes after one.
    paras = [p.strip() for p in doc.strip().split("\n\n") if p.strip() and not p.lstrip().startswith("..")]
    if not paras:
        return None, None
    sig = None
    first = paras[0]
    if re.match(r"^[\w.]+\(.*\)(\s*->\s*.+)?$", first.replace("\n", " ")) and len(paras) > 1:
        sig = " ".join(first.split())
        first = paras[1]
    text = _ROLE.sub(r"\1", " ".join(first.split()))
    m = re.match(r"(.+?[.!?])(\s|$)", text)
    sent = m.group(1) if m else text
    return sig, _cut(sent, 400)[0]


class _Budget:
    """Character budget for bounded reprs of builtin containers."""

    def __init__(self, n: int) -> None:
        self.n = n


def _brepr(v: Any, budget: _Budget, depth: int = 0) -> str:
    """repr() of builtin containers that stops early instead of building a giant string."""
    t = type(v)
    if budget.n <= 0:
        return "…"
    if t in (list, tuple, set, frozenset) and depth < 6:
        n = len(v)
        if t is set and n == 0:
            return "set()"
        if t is frozenset and n == 0:
            return "frozenset()"
        parts = []
        for i, item in enumerate(v):
            if i >= MAX_ITEMS or budget.n <= 0:
                parts.append("...")
                break
            parts.append(_brepr(item, budget, depth + 1))
        body = ", ".join(parts)
        if t is list:
            out = f"[{body}]"
        elif t is tuple:
            out = f"({body},)" if n == 1 else f"({body})"
        elif t is set:
            out = "{" + body + "}"
        else:
            out = "frozenset({" + body + "})"
    elif t is dict and depth < 6:
        parts = []
        for i, (k, item) in enumerate(v.items()):
            if i >= MAX_ITEMS or budget.n <= 0:
                parts.append("...")
                break
            parts.append(f"{_brepr(k, budget, depth + 1)}: {_brepr(item, budget, depth + 1)}")
        out = "{" + ", ".join(parts) + "}"
    elif t is str and len(v) > MAX_REPR:
        out = repr(v[:MAX_REPR]) + "…"
    elif t is bytes and len(v) > MAX_REPR:
        out = repr(v[:MAX_REPR]) + "…"
    elif t is int and v.bit_length() > 10_000:
        out = f"<int of {v.bit_length()} bits>"
    else:
        out = _leaf_repr(v)
    budget.n -= len(out)
    return out


def _leaf_repr(v: Any) -> str:
    mods = sys.modules
    torch = mods.get("torch")
    t = type(v)
    if torch is not None and issubclass(t, torch.Tensor):
        return _unread_text(t) if changes_module.unread(v) else _tensor_str(torch, v)
    np = mods.get("numpy")
    if np is not None and issubclass(t, (np.ndarray, np.generic)):
        return _unread_text(t) if changes_module.unread(v) else _array_str(np, v)
    if t is _ModuleType:  # a subclass may log attribute access: its own repr is used instead
        return f"<module {v.__name__!r}>"
    return repr(v)


def _tensor_str(torch: Any, t: Any) -> str:
    opts = torch._tensor_str.PRINT_OPTS
    if t.numel() > 10_000 and opts.threshold > 1000:
        saved = opts.threshold
        opts.threshold = 1000
        try:
            return str(t)
        finally:
            opts.threshold = saved
    return str(t)


def _array_str(np: Any, a: Any) -> str:
    if getattr(a, "size", 0) > 10_000 and np.get_printoptions().get("threshold", 1000) > 1000:
        with np.printoptions(threshold=1000):
            return str(a)
    return str(a)


def _number(x: Any) -> Any:
    if type(x) is float and x != x:
        return "nan"
    if type(x) is float and x in (float("inf"), float("-inf")):
        return "inf" if x > 0 else "-inf"
    return x


DIGEST_OVER = 50  # values with more elements carry a digest of their content: the page shows each once
DIGEST_ELEMENTS = 1 << 20  # elements hashed at most (with the shape, the rest is not read)


def _digest(v: Any, d: dict[str, Any], torch: Any, np: Any) -> None:
    """A bounded hash of a big tensor's or array's content (its first DIGEST_ELEMENTS elements,
    dtype and shape), or of a long container's repr: equal digests, unchanged content."""
    h = hashlib.blake2b(digest_size=8)
    h.update(f"{d.get('type')}{d.get('shape')}{d.get('dtype')}{d.get('len')}".encode())
    if torch is not None and isinstance(v, torch.Tensor):
        if v.device.type == "meta" or v.is_sparse:
            return
        flat = _leading(v.detach()).reshape(-1)[:DIGEST_ELEMENTS].cpu()
        try:
            h.update(flat.numpy().tobytes())
        except Exception:  # a dtype numpy lacks (bfloat16), or no numpy
            h.update(repr(flat.tolist()).encode())
    elif np is not None and isinstance(v, np.ndarray):
        if v.dtype.kind == "O":
            return
        h.update(np.ascontiguousarray(_leading(v).reshape(-1)[:DIGEST_ELEMENTS]).tobytes())
    else:
        h.update(str(d.get("repr", "")).encode("utf-8", "replace"))
    d["digest"] = h.hexdigest()


def _leading(v: Any) -> Any:
    """The first rows of V holding about DIGEST_ELEMENTS elements: flattening them copies no more."""
    if v.ndim < 2 or v.shape[0] == 0:
        return v
    row = 1
    for n in v.shape[1:]:
        row *= n
    return v[: max(1, DIGEST_ELEMENTS // max(row, 1))]


def _unread_text(t: type) -> str:
    """What a value recording must not print shows instead of its repr (see changes_module.unread)."""
    return f"<{type_name(t)}: values not read>"


def _unread_facts(v: Any, d: dict[str, Any], level: int, torch: Any, np: Any) -> None:
    """The facts of a subclass recording must not run (see changes_module.unread) that its base class's
    C getters give: dtype and autograd facts, and shape and device unless it dispatches."""
    d["unread"] = True
    t = type(v)
    if torch is not None and issubclass(t, torch.Tensor):
        get = changes_module.tensor_attr
        guards = changes_module.torch_off()
        try:
            if level == changes_module.OWN_CODE:
                d["shape"] = [int(n) for n in get(v, "shape")]
                d["device"] = str(get(v, "device"))
            d["dtype"] = str(get(v, "dtype"))
            d["requires_grad"] = bool(get(v, "requires_grad"))
            fn = get(v, "grad_fn")
            d["grad_fn"] = type(fn).__name__ if fn is not None else None
            d["is_leaf"] = bool(get(v, "is_leaf"))
        finally:
            changes_module.torch_on(guards)
    elif np is not None and issubclass(t, np.ndarray):
        own = np.ndarray.__dict__
        d["shape"] = [int(n) for n in own["shape"].__get__(v)]
        d["dtype"] = str(own["dtype"].__get__(v))


def _facts(v: Any, d: dict[str, Any]) -> None:
    """Shape, dtype, device and autograd facts of tensors and arrays; rows of small 2-D values."""
    mods = sys.modules
    torch = mods.get("torch")
    t = type(v)
    np = mods.get("numpy")
    if (torch is not None and issubclass(t, torch.Tensor)) or (
        np is not None and issubclass(t, (np.ndarray, np.generic))
    ):
        level = changes_module.unread(v)
        if level:
            _unread_facts(v, d, level, torch, np)
            return
    if torch is not None and issubclass(t, torch.Tensor):
        d["shape"] = list(v.shape)
        d["dtype"] = str(v.dtype)
        d["device"] = str(v.device)
        d["requires_grad"] = bool(v.requires_grad)
        d["grad_fn"] = type(v.grad_fn).__name__ if v.grad_fn is not None else None
        d["is_leaf"] = bool(v.is_leaf)
        if (
            v.dim() == 2
            and v.shape[0] <= MAX_ROWS
            and v.shape[1] <= MAX_ROWS
            and not v.is_complex()
            and v.device.type != "meta"
        ):
            d["rows"] = [[_number(x) for x in row] for row in v.detach().cpu().tolist()]
        if v.numel() > DIGEST_OVER:
            _digest(v, d, torch, np)
        return
    if np is not None and issubclass(t, np.ndarray):
        d["shape"] = list(v.shape)
        d["dtype"] = str(v.dtype)
        if v.ndim == 2 and v.shape[0] <= MAX_ROWS and v.shape[1] <= MAX_ROWS and v.dtype.kind in "biuf":
            d["rows"] = [[_number(x) for x in row] for row in v.tolist()]
        if v.size > DIGEST_OVER:
            _digest(v, d, None, np)
        return
    if np is not None and issubclass(t, np.generic):
        d["dtype"] = str(v.dtype)
        return
    if t in (list, tuple, dict, set, frozenset, str, bytes):
        d["len"] = len(v)
        if t is not str and t is not bytes and d["len"] > DIGEST_OVER:
            _digest(v, d, None, None)
    if t in _DOC_TYPES or t is _ModuleType or issubclass(t, type):
        _, doc = _first_sentence(getattr(v, "__doc__", None))
        if doc:
            d["doc"] = doc


def snapshot(v: Any, image: bool = False) -> dict[str, Any]:
    """A JSON-ready record of V as it is now; never raises and never calls bool/==/len on user types.

    A PIL image (and, with IMAGE true, a tensor or array shaped like an image) also gets an
    ``image`` entry: a small PNG written to the figures folder.
    """
    t = type(v)
    d: dict[str, Any] = {"type": type_name(t)}
    try:
        text = _brepr(v, _Budget(MAX_REPR))
        if type(text) is not str:
            raise TypeError(f"__repr__ returned {type(text).__name__}")
        text, cut = _cut(ADDRESS.sub("0x…", text))
        d["repr"] = text
        if cut:
            d["truncated"] = True
    except BaseException as e:  # a user __repr__ may raise anything
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        d["repr"] = f"<{d['type']} object>"
        d["error"] = _cut(f"{type(e).__name__}: {safe_str(e)}", 400)[0]
        if _being_constructed(v):
            d["constructing"] = True
    try:
        _facts(v, d)
    except Exception:
        pass
    imager = IMAGER
    if imager is not None and (image or "PIL.Image" in sys.modules) and "unread" not in d:
        try:
            info = imager(v, image)
            if info is not None:
                d["image"] = info
        except Exception:
            pass
    return d


def _being_constructed(v: Any) -> bool:
    """Is V the ``self`` of an ``__init__`` running on this stack (its repr may read what is not
    set yet: an ``nn.Module``'s ``_modules`` before ``super().__init__()``)?"""
    try:
        f: Any = sys._getframe(1)
        for _ in range(MAX_CONSTRUCTING_DEPTH):
            if f is None:
                break
            code = f.f_code
            if (
                code.co_name == "__init__"
                and code.co_argcount
                and code.co_flags & changes_module.CO_OPTIMIZED
                and not changes_module.reads_own_locals(code)
            ):
                first = f.f_locals.get(code.co_varnames[0], _MISSING)
                changes_module.forget_locals(f)
                if first is v:
                    return True
            f = f.f_back
    except Exception:
        pass
    return False


_MISSING = object()


def safe_str(e: BaseException) -> str:
    try:
        return ADDRESS.sub("0x…", str(e))
    except Exception:
        return "<unprintable>"


# ----------------------------------------------------------------------------------------
# Recording
# ----------------------------------------------------------------------------------------


class _Tee:
    """Stands in for sys.stdout/sys.stderr: passes writes through and attributes them to lines."""

    def __init__(self, real: Any, rec: Recorder, stream: str) -> None:
        self._real = real
        self._rec = rec
        self._stream = stream

    def write(self, s: Any) -> Any:
        n = self._real.write(s)
        if type(s) is str and s:
            self._rec.output(self._stream, s)
        return n

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def __repr__(self) -> str:
        return repr(self._real)

    def __iter__(self) -> Any:
        return iter(self._real)

    # Special methods are looked up on the type, so `with sys.stdout:` needs them here.
    def __enter__(self) -> Any:
        self._real.__enter__()
        return self

    def __exit__(self, *exc: Any) -> Any:
        return self._real.__exit__(*exc)


class Recorder:
    """Holds the statement tables and what the hooks recorded; assembles the trace's lines."""

    def __init__(
        self,
        stmts: list[Any],
        exprs: list[Any],
        filename: str,
        hits: int,
        probes: dict[int, list[str]],
        max_output: int,
        image_lines: Any = (),
        graph_lines: Any = (),
        loops: Any = (),
        last_hit: bool = DEFAULT_LAST_HIT,
    ) -> None:
        self.stmts = stmts
        self.exprs = exprs
        self.filename = filename
        self.hits_limit = hits
        self.probes = probes
        if probes:
            # Imported now, while booting: later imports would put tracekit back in sys.modules.
            from .placeholders import parse_placeholder

            self.parse_placeholder = parse_placeholder
        self.max_output = max_output
        # A prologue folded into its body's first statement shares that statement's counter.
        # LAST_HIT: counters also open on thinned hits past the first N, and loops of a known
        # length open their body's gates for their last iteration (tracekit.child.lasthit).
        self.last_hit = last_hit
        self.hit_counters = [lasthit.Counter(hits) for _ in stmts] if last_hit else []
        self.counters: list[Any] = [c.it for c in self.hit_counters] if last_hit else [itertools.count() for _ in stmts]
        self.windows = (
            lasthit.Windows(self.counters, list(self.counters), [body for _header, body in loops]) if last_hit else None
        )
        self.count_of = [st[4] if len(st) > 4 else i for i, st in enumerate(stmts)]
        self.records: list[list[dict[str, Any]]] = [[] for _ in stmts]
        self.current: dict[tuple[int, int], dict[str, Any]] = {}
        self.exc_counts = [0] * len(stmts)
        self.exc_later: dict[int, list[Any]] = {}
        self.finals: dict[int, list[Any]] = {}
        self.later: dict[int, list[Any]] = {}
        self.later_size: dict[int, int] = {}
        self.past_recording: set[int] = set()  # statements hit more often than recorded
        self.out: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self.out_size = {"stdout": 0, "stderr": 0}
        self.out_exceeded: str | None = None
        self.probe_errors: list[dict[str, Any]] = []
        self.block_results: dict[int, dict[str, str]] = {}  # line → a `#::` block's placeholders
        self.line_stmt: dict[int, int] = {}
        for s, (line, end, kind, *_rest) in enumerate(stmts):
            if kind in ("stmt", "header"):
                for ln in range(line, (end or line) + 1):
                    # later (inner) statements win: a body line maps to its own statement
                    self.line_stmt[ln] = s
        self._getframe = sys._getframe
        self.on_limit: Any = None  # called once when output passes max_output
        # statements on lines marked `# tracekit: image`: their tensor/array values become images
        image_lines = frozenset(image_lines)
        self.image_stmts = frozenset(s for s, st in enumerate(stmts) if st[0] in image_lines)
        # statements on lines marked `# tracekit: graph`: the autograd graph of what they bind or return
        graph_lines = frozenset(graph_lines)
        self.graph_stmts = frozenset(s for s, st in enumerate(stmts) if st[0] in graph_lines)
        self.figures_later: dict[int, list[str]] = {}  # figures captured during unrecorded hits
        self.exit_seen: tuple[Any, ...] | None = None  # (code, innermost line, id) of the last SystemExit
        # callees' canonical names; the child names the examples root, whose definitions are "own"
        self.names = apiname.Namer(filename.rpartition("/")[0] or ".")
        self._quiet_hooks: dict[str, Any] | None = None  # made once, by _quiet

    # hooks ------------------------------------------------------------------------------
    def install(self) -> None:
        b = builtins.__dict__
        b["__tk_c__"] = self.counters
        b["__tk_n__"] = next
        b["__tk_B__"] = BaseException
        b["__tk_R__"] = RecursionError
        b["__tk_s__"] = self.start
        b["__tk_v__"] = self.value
        b["__tk_f__"] = self.callee
        b["__tk_x__"] = self.exception
        b["__tk_h__"] = self.header_exception
        b["__tk_e__"] = self.loop_end
        b["__tk_p__"] = self.probe
        b["__tk_d__"] = self.done
        b["__tk_q__"] = self.block_probe
        b["__tk_L__"] = self.windows.loop if self.windows is not None else _as_is
        # sys.__stdout__ too, so `sys.stdout is sys.__stdout__` holds as it does under python.
        sys.stdout = sys.__stdout__ = _Tee(sys.stdout, self, "stdout")  # type: ignore[misc,assignment]
        sys.stderr = sys.__stderr__ = _Tee(sys.stderr, self, "stderr")  # type: ignore[misc,assignment]

    def start(self, s: int, changes: bool = False) -> bool:
        """Start a recorded hit of S; CHANGES: fingerprint the frame, for done() to list what S changed."""
        rec: dict[str, Any] = {"hit": len(self.records[s]), "events": []}
        if self.last_hit:
            rec["hit"] = hit = self.count(s) - 1
            if hit >= self.hits_limit:
                # past the first N: keep only the latest record (the line's last hit, or the
                # latest thinned one); its output and figures also go with the later hits'
                rec["extra"] = True
                if self.records[s] and self.records[s][-1].get("extra"):
                    self.records[s].pop()
        self.records[s].append(rec)
        frame = self._getframe(1)
        self.current[(s, id(frame))] = rec
        if changes and _alone():
            held = self._hold(frame.f_globals)
            try:
                rec["_before"] = changes_module.fingerprint(frame)
            except Exception:
                pass
            finally:
                self._release(held)
        return True

    def done(self, s: int) -> None:
        """Recorded hit of simple statement S ran to its end: record what it changed."""
        self._changed(s, self._getframe(1))

    def _changed(self, s: int, frame: Any) -> None:
        rec = self.current.get((s, id(frame)))
        self._unwatch(rec)
        fp = rec.pop("_before", None) if rec is not None else None
        if fp is None or rec is None or not _alone():
            return  # another thread may have changed things meanwhile: not this line's doing
        held = self._hold(frame.f_globals)
        try:
            rec["events"] += [(None, ev) for ev in changes_module.changes(fp, frame, snapshot)]
        except Exception:
            pass
        finally:
            self._release(held)

    def value(self, k: int, v: Any) -> Any:
        s, role, _text, _extra = self.exprs[k]
        frame = self._getframe(1)
        rec = self.current.get((s, id(frame)))
        # Skipped: an expression statement's None, and `np.random` on the way to `np.random.rand`.
        if rec is not None and not (role == "expr" and v is None) and not (role == "value" and type(v) is _ModuleType):
            held = self._hold(frame.f_globals)
            try:
                rec["events"].append((k, snapshot(v, s in self.image_stmts)))
                if (s in self.graph_stmts and role in ("bind", "expr", "return")) or (
                    role == "arg"
                    and "_graph_call" in rec
                    and _extra.get("index") == 0
                    and _extra.get("call") == rec["_graph_call"]
                ):
                    self._value_graph(rec, frame, v, _text, role == "arg")
            finally:
                self._release(held)
        return v

    def _value_graph(self, rec: dict[str, Any], frame: Any, v: Any, text: str, flow: bool = False) -> None:
        """The autograd graph of V (or of the first tensor of a sequence V) on this record; FLOW:
        V goes to `torch.autograd.grad`/`backward`, whose gradients are noted too."""
        rec.pop("_graph_call", None)
        torch = sys.modules.get("torch")
        if torch is None:
            return
        try:
            if type(v) in (list, tuple) and v:
                v = v[0]
            if issubclass(type(v), torch.Tensor) and changes_module.tensor_attr(v, "grad_fn") is not None:
                self._graph_event(rec, frame, v, text, flow)
        except Exception:
            pass

    def callee(self, k: int, f: Any) -> Any:
        s = self.exprs[k][0]
        frame = self._getframe(1)
        rec = self.current.get((s, id(frame)))
        if rec is not None:
            held = self._hold(frame.f_globals)
            try:
                rec["events"].append((k, self._describe(f)))
                torch = sys.modules.get("torch")
                if torch is not None:
                    try:
                        self._autograd_call(torch, k, f, rec, frame)
                    except Exception:
                        pass
            finally:
                self._release(held)
        return f

    def _autograd_call(self, torch: Any, k: int, f: Any, rec: dict[str, Any], frame: Any) -> None:
        """`t.backward()`: record t's graph now, before backward frees it; `torch.autograd.grad(…)`
        and `torch.autograd.backward(…)`: record the graph of their first argument when it comes."""
        if type(f) is _types.MethodType:
            if getattr(f, "__func__", None) is torch.Tensor.backward:
                text = self.exprs[k][2]
                self._graph_event(
                    rec, frame, f.__self__, text[: -len(".backward")] if text.endswith(".backward") else text, True
                )
        elif f is torch.autograd.grad or f is torch.autograd.backward:
            rec["_graph_call"] = self.exprs[k][2]

    def _graph_event(self, rec: dict[str, Any], frame: Any, t: Any, label: str, flow: bool = False) -> None:
        fp = rec.get("_before")
        if fp is None:
            fp = changes_module.fingerprint(frame)
        names = {e[3]: path for path, e in fp.entries.items() if e[0] == "t"} if fp is not None else {}
        fns: list[Any] = []
        g = autograd_module.walk(t, label, names, fns=fns)
        if g is not None:
            rec["events"].append((None, {"role": "graph", "text": label, "graph": g, "value": snapshot(t)}))
            if flow:
                self._watch(rec, t, g, fns)

    def _watch(self, rec: dict[str, Any], t: Any, g: dict[str, Any], fns: list[Any]) -> None:
        """Note the gradients the backward call about to run sends through G (see autograd_module.Flow)."""
        self._unwatch(rec)  # a second backward in one statement: the first one is over
        try:
            queue = sys.modules["torch"].autograd.Variable._execution_engine.queue_callback
        except Exception:
            queue = None
        rec["_flow"] = autograd_module.Flow(t, g, fns, self._grad_value, queue)

    @staticmethod
    def _unwatch(rec: dict[str, Any] | None) -> None:
        """The statement of REC ended or raised: its backward's hooks come off if still on."""
        flow = rec.pop("_flow", None) if rec is not None else None
        if flow is not None:
            flow.finish()

    def _describe(self, f: Any) -> dict[str, Any]:
        d: dict[str, Any] = {}
        subject = _doc_subject(f)
        try:
            mod = getattr(subject, "__module__", None)
            qn = getattr(subject, "__qualname__", None) or getattr(subject, "__name__", None)
            if type(qn) is str:
                d["qualname"] = _public_name(subject, mod, qn)
            try:
                api, own = self.names.name(f, subject is f)
            except Exception:
                api, own = None, False
            if own:
                d["own"] = True  # the examples' own definition: no library's API
            elif api:
                d["qualname"] = api
            sig, doc = _first_sentence(getattr(subject, "__doc__", None))
            pointer = _POINTER.match(doc or "")
            if pointer is not None:
                target = _resolve(pointer.group(1))
                if target is not None:
                    _sig, followed = _first_sentence(getattr(target, "__doc__", None))
                    if followed and not _POINTER.match(followed):
                        doc = followed
            if doc:
                d["doc"] = doc
            if sig:
                d["signature"] = sig
            params = _param_names(f, sig)
            if params is not None:
                d["params"] = params
        except Exception:
            pass
        return d

    def exception(self, s: int, frame: Any = None) -> None:
        e = sys.exc_info()[1]
        if e is None:
            return
        self._unwatch(self.current.get((s, id(frame if frame is not None else self._getframe(1)))))
        if issubclass(type(e), GeneratorExit):
            # A generator closed while suspended inside a recorded statement: that hit never
            # ends, and its fingerprint (tensor copies, on the GPU too) must not outlive it.
            rec = self.current.get((s, id(frame if frame is not None else self._getframe(1))))
            if rec is not None:
                rec.pop("_before", None)
            return
        _drop_own_frames(e)
        # The first statement a SystemExit escapes is the innermost: keep that line. Only the
        # exception's id is kept, so no traceback (and no frame's locals) outlives its time.
        if issubclass(type(e), SystemExit) and (self.exit_seen is None or self.exit_seen[2] != id(e)):
            self.exit_seen = (getattr(e, "code", None), self.stmts[s][0], id(e))
        self.exc_counts[s] += 1
        if frame is None:
            frame = self._getframe(1)
        rec = self.current.get((s, id(frame)))
        recorded = rec is not None and rec.get("exception") is None and self._running_recorded(s, rec)
        later = self.exc_later.setdefault(s, [])
        keep_later = (rec is not None and "extra" in rec if recorded else True) and len(later) < self.hits_limit
        if not recorded and not keep_later:
            return  # nothing kept: the message is not read (an exception's __str__ may be the program's)
        held = self._hold(frame.f_globals)
        try:
            info = {"type": type_name(type(e)), "message": _cut(safe_str(e), 2000)[0]}
        finally:
            self._release(held)
        if recorded and rec is not None:
            rec["exception"] = info
            self._changed(s, frame)
        if keep_later:
            later.append(info)

    def header_exception(self, s: int) -> None:
        """An exception left compound statement S: record it if its header raised it."""
        e = sys.exc_info()[1]
        frame = self._getframe(1)
        tb = e.__traceback__ if e is not None else None
        while tb is not None and tb.tb_frame is not frame:
            tb = tb.tb_next
        line, end = self.stmts[s][0], self.stmts[s][1] or self.stmts[s][0]
        if tb is not None and line <= tb.tb_lineno <= end:
            self.exception(s, frame)

    def loop_end(self, s: int, names: tuple[Any, ...]) -> None:
        frame = self._getframe(1)
        ns = changes_module.frame_locals(frame)
        held = self._hold(frame.f_globals)
        try:
            values = [{"name": n, "value": snapshot(ns[n])} for n in names if n in ns]
        finally:
            self._release(held)
        del ns  # the program's objects, which must not outlive the loop here
        finals = self.finals.setdefault(s, [])
        hit = self.count(s) - 1 if self.last_hit else len(finals)
        if hit >= self.hits_limit and finals and finals[-1]["hit"] >= self.hits_limit:
            finals.pop()  # past the first N loop runs, only the latest is kept
        finals.append({"hit": hit, "values": values})

    def uncalled_probes(self) -> None:
        """Placeholders above a def that ran but was never called could not be evaluated: say so."""
        calls: dict[int, int] = {}
        defined: dict[int, int] = {}
        for s, (line, _end, kind, _fn, *_shared) in enumerate(self.stmts):
            if kind == "call":
                calls[line] = calls.get(line, 0) + self.count(s)
            elif kind == "define":
                defined[line] = defined.get(line, 0) + self.count(s)
        for line, _end, kind, _fn, *_shared in self.stmts:
            if kind == "blockend" and line not in self.block_results:
                for placeholder in self.probes.get(-line, ()):
                    err = {
                        "line": line,
                        "placeholder": placeholder,
                        "error": "never evaluated: the block's last statement never completed",
                    }
                    if err not in self.probe_errors:
                        self.probe_errors.append(err)
        for line, n in sorted(defined.items()):
            if n and not calls.get(line):
                for placeholder in self.probes.get(line, ()):
                    err = {
                        "line": line,
                        "placeholder": placeholder,
                        "error": "never evaluated: the function was defined but never called",
                    }
                    if err not in self.probe_errors:
                        self.probe_errors.append(err)

    def probe(self, s: int, passthrough: Any = None) -> Any:
        """Evaluate the prose placeholders of S's line in the running frame; return PASSTHROUGH."""
        frame = self._getframe(1)
        rec = self.current.get((s, id(frame)))
        line = self.stmts[s][0]
        placeholders = self.probes.get(line, ())
        if not placeholders:
            return passthrough
        results = self._evaluate(placeholders, line, frame)
        if rec is not None:
            rec.setdefault("probes", {}).update(results)
        return passthrough

    def block_probe(self, s: int) -> None:
        """Evaluate a `#::` block's placeholders once, the first time its last statement completes."""
        line = self.stmts[s][0]
        if line not in self.block_results:
            self.block_results[line] = self._evaluate(self.probes.get(-line, ()), line, self._getframe(1))

    def _evaluate(self, placeholders: Any, line: int, frame: Any) -> dict[str, str]:
        """The authored {expr:spec} texts PLACEHOLDERS formatted in FRAME; failures go to probe_errors."""
        results: dict[str, str] = {}
        # Evaluating must not change the run: random states are put back afterwards, and the
        # script's code that a placeholder calls runs unrecorded and uncounted.
        randoms = _random_states()
        quiet = self._quiet(frame.f_globals)
        hushed = _hush()
        try:
            for placeholder in placeholders:
                try:
                    results[placeholder] = _format_placeholder(
                        self.parse_placeholder(placeholder), frame.f_globals, frame.f_locals
                    )
                except BaseException as e:
                    if isinstance(e, (KeyboardInterrupt, SystemExit)):
                        raise
                    err = {"line": line, "placeholder": placeholder, "error": f"{type(e).__name__}: {safe_str(e)}"}
                    if err not in self.probe_errors:
                        self.probe_errors.append(err)
        finally:
            changes_module.forget_locals(frame)
            _unhush(hushed)
            self._loud(quiet)
            _restore_random(randoms)
        return results

    def _quiet(self, globs: Any) -> list[tuple[dict[str, Any], str, Any]]:
        """Swap in hooks under which instrumented code counts and records nothing; the old ones.

        Every gate reads a counter that always says "past the recorded hits" (and counts nothing),
        and exceptions are not reported. Hooks copied into the module's globals are swapped too.
        """
        quiet = self._quiet_hooks
        if quiet is None:
            frozen = [itertools.repeat(self.hits_limit)] * len(self.counters)
            quiet = self._quiet_hooks = {"__tk_c__": frozen, "__tk_x__": _ignore, "__tk_h__": _ignore}
        saved = []
        for ns in (builtins.__dict__, globs) if type(globs) is dict else (builtins.__dict__,):
            for name, hook in quiet.items():
                if name in ns:
                    saved.append((ns, name, ns[name]))
                    ns[name] = hook
        return saved

    def _hold(self, globs: Any) -> tuple[Any, ...]:
        """Before recording reads the program's values: warnings hushed (_hush), torch's Python
        overrides off (a subclass's or a mode's: changes_module.torch_off), and the program's code that
        reading still runs (a ``__repr__``) neither counted, recorded nor reported as raising
        (_quiet): under python it never runs there. GLOBS: the script's globals."""
        return _hush(), changes_module.torch_off(), self._quiet(globs)

    def _release(self, held: tuple[Any, ...]) -> None:
        """Undo _hold."""
        hushed, guards, quiet = held
        self._loud(quiet)
        changes_module.torch_on(guards)
        _unhush(hushed)

    def _grad_value(self, g: Any) -> dict[str, Any]:
        """A gradient as a graph node keeps it: its type, repr and shape (a hook runs amid the
        program's backward: see _hold). The script is ``__main__``: its globals are that module's
        (not kept here, which would keep its objects alive at exit, past their finalisers' time)."""
        main = sys.modules.get("__main__")
        held = self._hold(main.__dict__ if type(main) is _ModuleType else None)
        try:
            d = snapshot(g)
        finally:
            self._release(held)
        return {k: d[k] for k in _GRAD_KEYS if k in d}

    @staticmethod
    def _loud(saved: list[tuple[dict[str, Any], str, Any]]) -> None:
        for ns, name, hook in saved:
            ns[name] = hook

    # output -------------------------------------------------------------------------------
    def count(self, s: int) -> int:
        if self.last_hit:
            return self.hit_counters[self.count_of[s]].count()
        m = _COUNT.search(repr(self.counters[self.count_of[s]]))
        return int(m.group(1)) if m else 0

    def _running_recorded(self, s: int, rec: dict[str, Any]) -> bool:
        """Is REC, a recorded hit of S, the hit running now (not an earlier one)?"""
        if s in self.past_recording:
            return False
        n = self.count(s)
        if n > self.hits_limit and not self.last_hit:
            # No recorded hit can be the running one any more: skip reading the counter from now on.
            self.past_recording.add(s)
            return False
        hit: int = rec["hit"]
        return n == hit + 1

    def output(self, stream: str, text: str) -> None:
        # The limit is in bytes, as the supervisor counts what reaches fds 1 and 2.
        size = self.out_size[stream] + (len(text) if text.isascii() else len(text.encode("utf-8", "replace")))
        self.out_size[stream] = size
        if size > self.max_output:
            if self.out_exceeded is None:
                self.out_exceeded = stream
                if self.on_limit is not None:
                    self.on_limit()
            return
        self.out[stream].append(text)
        _line, s, rec = self.locate(self._getframe(1).f_back)  # None past the script (at exit)
        if rec is not None:
            # Sizes are kept as running totals: a chatty line is written to many thousand times.
            used = rec.get("output_size", 0)
            if used < MAX_OUTPUT_PER_HIT:
                rec.setdefault("output", []).append(text)
                rec["output_size"] = used + len(text)
        if s is not None and (rec is None or "extra" in rec):
            used = self.later_size.get(s, 0)
            if used < MAX_OUTPUT_LATER:
                self.later.setdefault(s, []).append(text)
                self.later_size[s] = used + len(text)

    def locate(self, frame: Any) -> tuple[int | None, int | None, dict[str, Any] | None]:
        """(line, statement, record) of the innermost script line FRAME's stack is running.

        The line is the first line of its statement; the record is the hit being recorded, or
        None when this hit is not one of the recorded ones (or the stack is not in the script).
        """
        while frame is not None and frame.f_code.co_filename != self.filename:
            frame = frame.f_back
        if frame is None:
            return None, None, None
        ln = frame.f_lineno
        s = self.line_stmt.get(ln)
        if s is None:
            return ln, None, None
        rec = self.current.get((s, id(frame)))
        if rec is not None and not self._running_recorded(s, rec):
            rec = None
        return self.stmts[s][0], s, rec

    def attach_figure(self, s: int | None, rec: dict[str, Any] | None, name: str) -> None:
        """Show figure file NAME on the record REC of statement S (or among S's later figures)."""
        if rec is not None and "extra" not in rec:
            rec.setdefault("figures", []).append(name)
        elif s is not None:  # a hit past the first N shows its figures with the later ones
            self.figures_later.setdefault(s, []).append(name)

    def current_line(self, frame: Any) -> int | None:
        """The innermost line of the script that FRAME's stack is running."""
        while frame is not None and frame.f_code.co_filename != self.filename:
            frame = frame.f_back
        return frame.f_lineno if frame is not None else None

    # assembly -----------------------------------------------------------------------------
    def lines(self) -> list[dict[str, Any]]:
        """Per source line: hit count, recorded hits with their events, loop-end values."""
        by_line: dict[int, dict[str, Any]] = {}
        primary_rank = {"iterate": 0, "call": 0, "stmt": 1, "header": 1, "bind": 2, "header-item": 3, "loopend": 9}
        for s, (line, end, kind, fn, *_shared) in enumerate(self.stmts):
            entry = by_line.get(line)
            if entry is None:
                entry = by_line[line] = {
                    "line": line,
                    "end_line": end or line,
                    "function": fn,
                    "_rank": 99,
                    "hits": 0,
                    "records": {},
                    "final": [],
                    "output_later": [],
                    "exceptions": 0,
                    "exceptions_later": [],
                    "_figures_later": [],
                }
            if kind == "loopend":
                entry["final"] += self.finals.get(s, [])
                continue
            if kind == "blockend":
                if line in self.block_results:
                    entry["block_probes"] = self.block_results[line]
                continue
            if kind == "define":
                defined = self.count(s)
                if defined:  # only where it says something: a def that ran
                    entry["defined"] = entry.get("defined", 0) + defined
                continue
            entry["end_line"] = max(entry["end_line"], end or line)
            n = self.count(s)
            rank = primary_rank.get(kind, 5)
            if rank < entry["_rank"]:
                entry["_rank"] = rank
                entry["hits"] = n
                entry["function"] = fn
            entry["exceptions"] += self.exc_counts[s]
            entry["exceptions_later"] += self.exc_later.get(s, [])
            entry["output_later"] += self.later.get(s, [])
            entry["_figures_later"] += self.figures_later.get(s, [])
            for rec in self.records[s]:
                merged = entry["records"].setdefault(
                    rec["hit"], {"hit": rec["hit"], "events": [], "output": "", "exception": None, "probes": {}}
                )
                merged["events"] += [self._event(k, v) if k is not None else v for k, v in rec["events"]]
                merged["output"] += ADDRESS.sub("0x…", "".join(rec.get("output", ())))
                if rec.get("exception") and merged["exception"] is None:
                    merged["exception"] = rec["exception"]
                merged["probes"].update(rec.get("probes", {}))
                if rec.get("figures"):
                    merged.setdefault("figures", []).extend(rec["figures"])
                if "extra" in rec:
                    merged.setdefault("_counts", set()).add(n)
        out = []
        for line in sorted(by_line):
            e = by_line[line]
            del e["_rank"]
            later_figures = e.pop("_figures_later")
            if later_figures:  # only present when there are some: older readers never see it
                e["figures_later"] = later_figures
            records = []
            for h in sorted(e["records"]):
                r = e["records"][h]
                counts = r.pop("_counts", None)
                if counts is not None:
                    # Past the first N: the latest hit recorded, kept when it counts the line's own
                    # hits (not a `for` header's runs among its iterations); the last one when
                    # its number is the line's last.
                    if e["hits"] not in counts:
                        continue
                    r["last"] = True
                records.append(r)
            e["records"] = records
            e["output_later"] = ADDRESS.sub("0x…", "".join(e["output_later"]))
            out.append(e)
        return out

    def _event(self, k: int, v: dict[str, Any]) -> dict[str, Any]:
        _s, role, text, extra = self.exprs[k]
        ev: dict[str, Any] = {"role": role, "text": text}
        ev.update(extra)
        if role == "call":
            ev.update(v)
        else:
            ev["value"] = v
        return ev

    def text(self, stream: str) -> str:
        """All a stream printed, with memory addresses normalised so that runs compare equal."""
        return ADDRESS.sub("0x…", "".join(self.out[stream]))


def _hush() -> tuple[Any, ...] | None:
    """Ignore warnings until _unhush: those a repr or an attribute read raises while recording.

    Under python they would be the program's, when (and if) it reads that attribute itself: a
    "once" or "default" warning shown to tracekit would never be shown to the program. The
    filter goes into the filters list in place, without ``catch_warnings``, which tells every
    module's ``__warningregistry__`` that the filters changed (and so shows a "default" warning
    again). An ignored warning still resets a registry whose filters changed since (empties it),
    and makes one where there was none: the script's own (``__main__``'s) is put back as it was.
    Returns what _unhush needs: the list, ``__main__``'s globals and a copy of its registry.
    """
    mods = sys.modules
    w = mods.get("warnings")
    filters = getattr(w, "filters", None) if w is not None else _warnings.filters
    if type(filters) is not list:
        return None
    main = mods.get("__main__")
    g = getattr(main, "__dict__", None)
    if type(g) is not dict:
        g = {}
    reg = g.get("__warningregistry__")
    filters.insert(0, _IGNORE)
    return filters, g, (dict(reg) if type(reg) is dict else None)


def _unhush(hushed: tuple[Any, ...] | None) -> None:
    """Take _hush's filter out again; drop a ``__warningregistry__`` only an ignored warning made."""
    if hushed is None:
        return
    filters, g, before = hushed
    try:
        if filters and filters[0] is _IGNORE:
            del filters[0]
        else:
            for i, f in enumerate(filters):
                if f is _IGNORE:
                    del filters[i]
                    break
        reg = g.get("__warningregistry__")
        if before is None:
            if type(reg) is dict and not (reg.keys() - {"version"}):
                del g["__warningregistry__"]
        elif type(reg) is dict and reg != before:
            reg.clear()
            reg.update(before)
    except Exception:
        pass


def _drop_own_frames(e: BaseException) -> None:
    """Take tracekit's frames (the stdout tee's write, a figure hook) out of E's traceback, so that
    it reads as under python, where the program called the C function those frames stand for."""
    tb = e.__traceback__
    prev = None
    own = _OWN_DIR
    while tb is not None:
        nxt = tb.tb_next
        if tb.tb_frame.f_code.co_filename.startswith(own):
            if prev is None:
                e.__traceback__ = nxt
            else:
                prev.tb_next = nxt
        else:
            prev = tb
        tb = nxt


def _as_is(_loop: int, value: Any) -> Any:
    """`__tk_L__` without the last hit: the loop iterates VALUE itself."""
    return value


def _ignore(*_args: Any) -> None:
    """A hook that does nothing (exceptions inside a placeholder's evaluation are not the run's)."""


def _random_states() -> list[tuple[Any, Any]]:
    """(setter, state) of every random generator a placeholder could draw from: Python's random,
    NumPy's global generator, torch's CPU generator and, once CUDA is in use, its generators."""
    mods = sys.modules
    out: list[tuple[Any, Any]] = []
    try:
        random = mods.get("random")
        if random is not None:
            out.append((random.setstate, random.getstate()))
        nprandom = mods.get("numpy.random")
        if nprandom is not None:
            out.append((nprandom.set_state, nprandom.get_state(legacy=False)))
        torch = mods.get("torch")
        if torch is not None and hasattr(torch, "get_rng_state"):
            out.append((torch.set_rng_state, torch.get_rng_state()))
            cuda = getattr(torch, "cuda", None)
            if cuda is not None and cuda.is_initialized():
                out.append((cuda.set_rng_state_all, cuda.get_rng_state_all()))
    except Exception:
        pass
    return out


def _restore_random(states: list[tuple[Any, Any]]) -> None:
    for setter, state in states:
        try:
            setter(state)
        except Exception:
            pass


_GRAD_KEYS = ("type", "repr", "shape", "truncated", "error", "unread")


def _alone() -> bool:
    """Is the main thread the only Python thread? Only then is what changed during a hit the hit's doing."""
    threading = sys.modules.get("threading")
    try:
        return threading is None or threading.active_count() <= 1
    except Exception:
        return False


def _format_placeholder(parsed: Any, globs: dict[str, Any], locs: Any) -> str:
    """The text of one parsed prose placeholder, evaluated in the frame its line ran in."""
    value = eval(parsed.expr, globs, locs)
    if parsed.conversion == "r":
        value = repr(value)
    elif parsed.conversion == "s":
        value = str(value)
    elif parsed.conversion == "a":
        value = ascii(value)
    try:
        text = format(value, parsed.spec)
    except (ValueError, TypeError) as e:
        # Often prose meant literal braces, e.g. a set or dict written in the text.
        raise ValueError(
            f"format spec {parsed.spec!r} in {{{parsed.source}}}: {e}; to show braces as text write {{{{ and }}}}"
        ) from None
    return ADDRESS.sub("0x…", text)
