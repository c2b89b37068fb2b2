"""Recorded values as page text: tags, tables, pictures and value entries."""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..source import Item
from ..trace import Event
from .text import FIGURE_FILE, LONG_LINE_CHARS, MAX_VALUE_CHARS, clip
from .view import GLYPHS, Entry, Figure, Table, Tag

# ─────────────────────────────────────────────────────────────────────────────
# Values
# ─────────────────────────────────────────────────────────────────────────────


def _fmt_num(v: Any) -> str:
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return str(v)
        if v == 0:
            return "0.0"
        if abs(v) < 1e-4 or abs(v) >= 1e8:
            return f"{v:.4e}"
        s = f"{v:.4f}".rstrip("0")
        return s + "0" if s.endswith(".") else s
    return str(v)


def fmt_shape(shape: Iterable[int]) -> str:
    shape = list(shape)
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(str(s) for s in shape) + ")"


def _short_dtype(dtype: str) -> str:
    return dtype.split(".", 1)[1] if dtype.startswith("torch.") else dtype


def _value_tags(v: Mapping[str, Any], brief: bool = False) -> list[Tag]:
    """Facts about a value as small tags; ``brief`` (arguments, sub-expressions) keeps only
    what is not obvious from the repr: a non-scalar shape and the autograd facts."""
    tags: list[Tag] = []
    if "shape" in v and v["shape"] is not None:
        if not brief or len(v["shape"]) > 0:
            tags.append(Tag("shape " + fmt_shape(v["shape"]), "shape"))
    elif "len" in v and v["len"] is not None and not brief:
        tags.append(Tag(f"len {v['len']}", "len"))
    if v.get("dtype") and not brief:
        tags.append(Tag(_short_dtype(str(v["dtype"])), "dtype"))
    if v.get("device") and (not brief or str(v["device"]) != "cpu"):
        tags.append(Tag(str(v["device"]), "device"))
    if v.get("grad_fn"):
        tags.append(Tag(f"grad_fn {v['grad_fn']}", "grad"))
    elif v.get("requires_grad"):
        tags.append(Tag("leaf" if v.get("is_leaf", True) else "requires_grad", "leaf"))
        if v.get("is_leaf", True):
            tags.append(Tag("requires_grad", "grad"))
    if v.get("truncated"):
        tags.append(Tag("cut short", "warn"))
    return tags


def value_text(v: Mapping[str, Any] | None) -> str:
    if not v:
        return ""
    if v.get("constructing") is True:
        return f"{v.get('type') or 'object'} (being constructed)"
    if v.get("error"):
        return f"<repr failed: {v['error']}>"
    text = _ADDRESS.sub("", str(v.get("repr", "")))
    if len(text) > MAX_VALUE_CHARS:
        return clip(text, MAX_VALUE_CHARS)
    return text + ("…" if v.get("truncated") and not text.endswith("…") else "")


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+(?=>)")


def _table(v: Mapping[str, Any], item: Item | None) -> Table | None:
    rows = v.get("rows")
    if not rows or not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        return None
    cells = _repr_cells(str(v.get("repr") or ""), len(rows), [len(r) for r in rows]) or [
        [_fmt_num(c) for c in r] for r in rows
    ]
    ncols = max((len(r) for r in rows), default=0)
    row_labels = item.rows if item is not None and item.rows and len(item.rows) == len(rows) else None
    col_labels = item.cols if item is not None and item.cols and len(item.cols) == ncols else None
    return Table(cells, row_labels, col_labels)


_REPR_ROW = re.compile(r"\[([^\[\]]*)\]")
FIGURE_SPACE = "\u2007"  # as wide as a digit: pads cells so that a column aligns on its decimal point


def _repr_cells(text: str, nrows: int, widths: list[int]) -> list[list[str]] | None:
    """The cells of a 2-D value as its repr printed them (the library's print options: precision,
    sci mode, trailing zeros), each column padded to align on its decimal point; None when the
    repr does not hold exactly NROWS rows of WIDTHS cells."""
    start, end = text.find("[["), text.rfind("]]")
    if start < 0 or end < start:
        return None
    rows = _REPR_ROW.findall(text[start + 1 : end + 1])
    cells = [[c.strip() for c in (r.split(",") if "," in r else r.split())] for r in rows]
    cells = [[c for c in row if c] for row in cells]
    if len(cells) != nrows or [len(r) for r in cells] != widths or any("..." in c for r in cells for c in r):
        return None
    for j in range(max(widths, default=0)):
        column = [row[j] for row in cells if j < len(row)]
        tails = [len(c) - c.index(".") if "." in c and "e" not in c.lower() else 0 for c in column]
        longest = max(tails, default=0)
        for row in cells:
            if j < len(row):
                c = row[j]
                tail = len(c) - c.index(".") if "." in c and "e" not in c.lower() else 0
                row[j] = c + FIGURE_SPACE * (longest - tail)
    return cells


def text_entry(kind: str, name: str, text: str, **kw: Any) -> Entry:
    """An entry for printed output (or other free text): bounded, multi-line or long in a box."""
    text = clip(text)
    return Entry(
        kind=kind,
        name=name,
        text=text,
        multiline="\n" in text or len(text) > LONG_LINE_CHARS,
        wrap=len(text) > LONG_LINE_CHARS,
        **kw,
    )


def figure_file(name: Any) -> str | None:
    """NAME when it is a plain PNG file name (no folders, nothing a URL could misread)."""
    return name if isinstance(name, str) and FIGURE_FILE.match(name) else None


def dim(x: Any) -> int | None:
    return x if isinstance(x, int) and not isinstance(x, bool) and 0 < x <= 100_000 else None


def _value_image(v: Mapping[str, Any], name: str) -> Figure | None:
    img = v.get("image")
    if not isinstance(img, Mapping):
        return None
    file = figure_file(img.get("file"))
    if file is None:
        return None
    what = f"{name} as an image" if name else "the value as an image"
    if v.get("shape") is not None:
        what += " " + "×".join(str(d) for d in v["shape"])
    return Figure(file, dim(img.get("width")), dim(img.get("height")), alt=what)


def value_entry(
    kind: str, name: str, v: Mapping[str, Any] | None, item: Item | None, *, picture: bool = True, **kw: Any
) -> Entry:
    """An entry for a recorded value; PICTURE: show its ``image`` (when it has one)."""
    v = v or {}
    table = _table(v, item)
    text = value_text(v)
    e = Entry(
        kind=kind,
        name=name,
        text=text,
        glyph=GLYPHS.get(kind, ""),
        tags=_value_tags(v, brief=kind in ("arg", "value")),
        table=table,
        multiline="\n" in text,
        **kw,
    )
    e.size, e.key, e.noun = content(v)
    if table is not None:
        e.name = f"{name} ({table.dims})" if name else table.dims
    if v.get("error") and v.get("constructing") is not True:
        # an object still in its __init__ is expected to lack what its repr reads: no warning
        e.tags.append(Tag("repr raised", "warn"))
    e.image = _value_image(v, name) if picture else None
    if e.image is not None:  # a picture always says what it is drawn from: shape and dtype
        have = {t.kind for t in e.tags}
        extra = []
        if "shape" not in have and v.get("shape") is not None:
            extra.append(Tag("shape " + fmt_shape(v["shape"]), "shape"))
        if "dtype" not in have and v.get("dtype"):
            extra.append(Tag(_short_dtype(str(v["dtype"])), "dtype"))
        e.tags = extra + e.tags
    return e


BIG = 50  # a value with more elements than this is shown once while unchanged, then referenced


def content(v: Mapping[str, Any]) -> tuple[int, str, str]:
    """(elements, content key, noun) of a recorded value: the key is the child's digest of its
    content, else its repr where that holds all of it; "" where neither says what it holds."""
    shape = v.get("shape")
    size = 0
    if isinstance(shape, list) and all(isinstance(d, int) for d in shape):
        size = 1
        for d in shape:
            size *= d
    elif isinstance(v.get("len"), int):
        size = int(v["len"])
    typ = str(v.get("type") or "")
    noun = _NOUNS.get(typ, typ.rsplit(".", 1)[-1] or "value")
    digest = v.get("digest")
    if isinstance(digest, str) and digest:
        return size, f"{typ}:{digest}", noun
    text = str(v.get("repr") or "")
    # an unread value's text (its type) says nothing of what it holds
    whole = (
        text
        and not v.get("truncated")
        and not v.get("error")
        and not v.get("unread")
        and "..." not in text
        and "…" not in text
    )
    return size, f"{typ}:{len(text)}:{text}" if whole else "", noun


_NOUNS = {
    "numpy.ndarray": "array",
    "torch.Tensor": "tensor",
    "torch.nn.Parameter": "parameter",
    "list": "list",
    "tuple": "tuple",
    "dict": "dict",
}

_MATH_WORDS = {
    **dict(
        zip(
            (
                "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau "
                "upsilon phi chi psi omega"
            ).split(),
            "αβγδεζηθικλμνξοπρστυφχψω",
            strict=True,
        )
    ),
    "varepsilon": "ε",
    "vartheta": "ϑ",
    "varphi": "φ",
    "Gamma": "Γ",
    "Delta": "Δ",
    "Theta": "Θ",
    "Lambda": "Λ",
    "Xi": "Ξ",
    "Pi": "Π",
    "Sigma": "Σ",
    "Phi": "Φ",
    "Psi": "Ψ",
    "Omega": "Ω",
    "cdot": "·",
    "times": "×",
    "pm": "±",
    "infty": "∞",
    "leq": "≤",
    "geq": "≥",
    "neq": "≠",
    "approx": "≈",
    "to": "→",
    "rightarrow": "→",
    "partial": "∂",
    "nabla": "∇",
    "sum": "Σ",
    "prod": "Π",
    "int": "∫",
    "sqrt": "√",
    "circ": "°",
    "degree": "°",
    "ldots": "…",
    "cdots": "⋯",
}
_SUP = str.maketrans("0123456789+-=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ")
_SUB = str.maketrans("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎")


def plain_mathtext(text: str) -> str:
    """A figure's title or label as text: matplotlib's ``$…$`` mathtext read out
    (``$\\sin(x)$`` → "sin(x)", ``$p_0$`` → "p₀", ``$x^2$`` → "x²"); other text is left as it is."""
    if text.count("$") < 2:
        return text
    parts = re.split(r"(?<!\\)\$", text)
    if len(parts) % 2 == 0:  # an odd dollar sign is a dollar sign
        tail = parts.pop()
        parts[-1] += "$" + tail
    out = [p if i % 2 == 0 else _math_as_text(p) for i, p in enumerate(parts)]
    return "".join(out).replace("\\$", "$")


def _math_as_text(tex: str) -> str:
    t = re.sub(
        r"\\(?:mathrm|mathbf|mathit|mathsf|mathtt|mathcal|text|textrm|textbf|operatorname|boldsymbol)\s*\{([^{}]*)\}",
        r"\1",
        tex,
    )
    t = re.sub(r"\\frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}", lambda m: f"{_group(m.group(1))}/{_group(m.group(2))}", t)
    t = re.sub(r"\\(?:hat|bar|tilde|vec|dot)\s*\{?([A-Za-z])\}?", r"\1", t)
    t = re.sub(r"\\([A-Za-z]+)", lambda m: _MATH_WORDS.get(m.group(1), m.group(1)), t)
    t = re.sub(r"\\[,;:! ]", " ", t).replace("\\{", "{").replace("\\}", "}").replace("\\%", "%")
    t = re.sub(
        r"\^\{([^{}]*)\}|\^(.)", lambda m: _script(m.group(1) if m.group(1) is not None else m.group(2), _SUP, "^"), t
    )
    t = re.sub(
        r"_\{([^{}]*)\}|_(.)", lambda m: _script(m.group(1) if m.group(1) is not None else m.group(2), _SUB, "_"), t
    )
    return " ".join(t.replace("{", "").replace("}", "").split())


def _group(s: str) -> str:
    """A fraction's numerator or denominator: in brackets when it is more than one term."""
    s = s.strip()
    return f"({s})" if re.search(r"[+\-\s]", s) else s


def _script(s: str, table: dict[int, int], mark: str) -> str:
    """A superscript or subscript in Unicode where every character has one, else ``^(…)``."""
    small = s.translate(table)
    if all(c != o or c.isspace() for c, o in zip(small, s, strict=True)) and s:
        return small
    return f"{mark}{s}" if len(s) == 1 else f"{mark}({s})"


def same_value(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    if not a or not b:
        return False
    return a.get("type") == b.get("type") and a.get("repr") == b.get("repr")


def is_none(v: Mapping[str, Any] | None) -> bool:
    return not v or (v.get("type") in ("NoneType", "None", "builtins.NoneType") and v.get("repr") == "None")


def is_module(v: Mapping[str, Any] | None) -> bool:
    return (
        v is not None
        and bool(v)
        and (
            v.get("type") in ("module", "builtins.module", "types.ModuleType")
            or str(v.get("repr", "")).startswith("<module ")
        )
    )


def is_builtin_call(ev: Event) -> bool:
    q = ev.qualname or ""
    t = ev.text
    return q.startswith("builtins.") or (q == t and "." not in q and q in _BUILTINS)


_BUILTINS = {n for n in dir(builtins) if not n.startswith("_")}

PRINT_CALLS = {"print", "builtins.print"}
