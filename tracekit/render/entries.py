"""Execution-state entries of one card, built from a hit's recorded events."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from ..child.apiname import public
from ..source import Item, Note
from ..trace import ErrorInfo, Event, Line, Record
from .graph import flow_steps, graph_svg
from .markup import doc_summary_html, doc_summary_text, render_markdown
from .text import clip
from .values import PRINT_CALLS, is_builtin_call, is_module, is_none, same_value, text_entry, value_entry
from .view import GLYPHS, Entry

# ─────────────────────────────────────────────────────────────────────────────
# Entries from events
# ─────────────────────────────────────────────────────────────────────────────


def _note_key(name: str) -> str:
    return name.split("(", 1)[0].strip()


def _covers(note_names: set[str], text: str, qualname: str) -> bool:
    """Did the author write an API note for this callee (or module)?"""
    cands = {text, qualname, text.rsplit(".", 1)[-1], qualname.rsplit(".", 1)[-1]}
    for key in note_names:
        if key in cands:
            return True
        if key.startswith(".") and (text.endswith(key) or qualname.endswith(key)):
            return True
    return False


def _class_qual(qual: str) -> str:
    """``torch._tensor.Tensor.backward`` → ``Tensor.backward`` (from the first public class on)."""
    parts = qual.split(".")
    for i, part in enumerate(parts[:-1]):
        if part[:1].isupper():
            return ".".join(parts[i:])
    return ""


def _api_name(text: str, qual: str) -> str:
    """``torch.tensor()`` for functions; ``.backward()`` for methods, as the chapter writes them."""
    cls = _class_qual(qual)
    if cls and text != qual and "." in text:
        return "." + qual.rsplit(".", 1)[-1] + "()"
    return (text or qual) + "()"


def _api_detail(text: str, qual: str, signature: str) -> str:
    # the callee's canonical name (the one the API index lists), else as much of it as is public
    base = qual if qual and public(qual) else (_class_qual(qual) or text)
    if signature:
        m = re.match(r"^[\w.]+(?=\()", signature)
        params = signature[m.end() :] if m else signature
        return base + params
    return base if base and base != text else ""


def _api_entry_from_call(ev: Event) -> Entry:
    text = " ".join((ev.text or ev.qualname or "").split())
    qual = ev.qualname or ""
    return Entry(
        kind="api",
        name=_api_name(text, qual),
        text=doc_summary_text(ev.doc or ""),
        rich=doc_summary_html(ev.doc or ""),
        glyph=GLYPHS["api"],
        detail=_api_detail(text, qual, " ".join((ev.signature or "").split())),
    )


def _api_entry_from_module(name: str, v: Mapping[str, Any]) -> Entry:
    doc = str(v.get("doc") or "")
    return Entry(
        kind="api",
        name=name,
        text=doc_summary_text(doc),
        rich=doc_summary_html(doc) if doc else Markup("module"),
        glyph=GLYPHS["api"],
    )


def authored_entry(note: Note, probes: Mapping[str, str] | None) -> Entry:
    kind = "api" if note.icon == "api" else "derived"
    return Entry(
        kind=kind,
        name=note.name,
        text=note.text,
        rich=render_markdown(note.text, probes=probes, inline=True),
        glyph=GLYPHS[kind],
        authored=True,
    )


def exception_matches(raises: str | None, etype: str) -> bool:
    if not raises:
        return False
    want = raises.strip().rsplit(".", 1)[-1]
    return want in ("", "*", "Exception", "BaseException") or etype.rsplit(".", 1)[-1] == want


def record_entries(record: Record, item: Item | None) -> tuple[list[Entry], list[Entry]]:
    """Entries for one recorded hit: (entries in evaluation order, tail: output and exception)."""
    events = record.events
    calls = [e for e in events if e.role == "call"]
    print_texts = {e.text for e in calls if e.qualname in PRINT_CALLS or e.text == "print"}

    # which calls have visible arguments (to name the callee when a line has several)
    arg_calls: list[str] = []
    for e in events:
        if e.role == "arg" and str(e.call) not in print_texts and str(e.call) not in arg_calls:
            arg_calls.append(str(e.call))

    def vkey(ev: Event) -> tuple[str, str, str]:
        v = ev.value or {}
        return (" ".join(ev.text.split()), str(v.get("type")), str(v.get("repr")))

    params_of = {e.text: e.params for e in calls if e.params is not None}
    later_terminal = [
        (i, e.value) for i, e in enumerate(events) if e.role in ("bind", "expr", "return", "yield", "iter")
    ]
    later_args = [(i, vkey(e)) for i, e in enumerate(events) if e.role == "arg" and str(e.call) not in print_texts]

    # On a line marked `image` every array-like value has a picture; where what the line binds or
    # returns has one, the sub-expressions and arguments are shown as numbers only.
    own_picture = any(
        e.role in ("bind", "expr", "return", "yield") and isinstance((e.value or {}).get("image"), Mapping)
        for e in events
    )
    entries: list[Entry] = []
    seen: set[tuple[str, str, str]] = set()
    for idx, ev in enumerate(events):
        role = ev.role
        text = " ".join(ev.text.split())
        v = ev.value
        if role == "call":
            continue
        key = vkey(ev)
        if role in ("value", "result"):
            if role == "result" and is_none(v):
                continue
            if any(i > idx and same_value(v, tv) for i, tv in later_terminal):
                continue  # the bound/returned value shows it
            if any(i > idx and k == key for i, k in later_args):
                continue  # the argument row shows it
            if key in seen:
                continue
            seen.add(key)
            entries.append(value_entry("value", text, v, item, picture=not own_picture))
        elif role == "arg":
            call = ev.call or ""
            if call in print_texts:
                continue
            if ev.keyword:
                label, name = "", ev.keyword
            else:
                label = _param_label(params_of.get(call), int(ev.index or 0))
                name = "" if text == str((v or {}).get("repr")) else text
            of = _call_label(call, events) if len(arg_calls) > 1 and call else ""
            if key in seen and name:
                continue
            seen.add(key)
            entries.append(value_entry("arg", name, v, item, label=label, of=of, picture=not own_picture))
        elif role == "bind":
            if is_module(v):
                continue  # shown as an API note
            if text == "_":
                continue  # a throwaway name (`a, *_ = …`)
            seen.add(key)
            kind, label = _bind_style(item)
            entries.append(value_entry(kind, text, v, item, label=label))
        elif role == "expr":
            if is_none(v):
                continue
            seen.add(key)
            entries.append(value_entry("result", text, v, item, label="result"))
        elif role == "return":
            seen.add(key)
            entries.append(value_entry("return", text, v, item, label="return"))
        elif role == "yield":
            seen.add(key)
            entries.append(value_entry("yield", text, v, item, label="yield"))
        elif role == "test":
            entries.append(value_entry("test", text, v, item, label="test"))
        elif role == "iter":
            entries.append(value_entry("iter", text, v, item, label="iter"))
        elif role == "change":
            entries.append(_change_entry(ev, item))
        elif role == "graph" and ev.graph is not None:
            entries.append(_graph_entry(ev))

    # A name the line changed in place is shown before → after; its rebinding row would repeat it.
    changed = {e.name for e in entries if e.kind == "changed"}
    entries = [e for e in entries if not (e.kind == "result" and e.label == "result" and e.name in changed)]

    tail: list[Entry] = []
    out = record.output
    if out:
        text = out[:-1] if out.endswith("\n") else out
        tail.append(text_entry("output", "output", text))
    exc = record.exception
    if exc:
        etype = str(exc.get("type") or "Exception")
        expected = exception_matches(item.raises if item else None, etype)
        tail.append(
            Entry(
                kind="exception",
                name=etype,
                text=clip(str(exc.get("message") or "")),
                label="expected" if expected else "raised",
                glyph=GLYPHS["exception"],
                expected=expected,
            )
        )
    return entries, tail


def _change_entry(ev: Event, item: Item | None) -> Entry:
    """✎ what a line changed: ``W.grad`` None → tensor(…); a module's summary in words."""
    word = ev.change or "changed"
    if word == "summary":
        return Entry(
            kind="changed",
            name=" ".join(ev.text.split()),
            text=ev.summary or "",
            label="changed",
            glyph=GLYPHS["changed"],
        )
    e = value_entry("changed", " ".join(ev.text.split()), ev.value, item, label=word)
    e.tags = [t for t in e.tags if t.kind in ("shape", "len")]
    if ev.before is not None:
        e.before = value_entry("changed", "", ev.before, item)
    e.detail = ev.summary or ""
    return e


def _graph_entry(ev: Event) -> Entry:
    """The autograd graph walked back from a tensor: an SVG, with the same path as text."""
    graph = ev.graph or {}
    text = str(graph.get("text") or "")
    omitted = graph.get("omitted")
    if isinstance(omitted, int) and omitted > 0:
        text += f" (and {omitted} more node{'s' if omitted != 1 else ''}, not drawn)"
    name = " ".join(ev.text.split())
    return Entry(
        kind="graph",
        name=name,
        text=clip(text),
        label="backward path",
        glyph=GLYPHS["graph"],
        svg=graph_svg(graph, f"Autograd graph of {name}: {text}"),
        steps=flow_steps(graph),
    )


def _param_label(params: list[str] | None, index: int) -> str:
    """A positional argument's label: its parameter's name (``input``), ``*shape`` for one
    gathered by ``*args``, else ``arg N``."""
    if params:
        for i, p in enumerate(params):
            if p.startswith("*"):
                return p if index >= i else params[index]
        if index < len(params):
            return params[index]
    return f"arg {index + 1}"


def _call_label(call: str, events: list[Event]) -> str:
    """How an argument names its call when a line makes several: ``torch.dot()``, and for a
    chained call its last link with its arguments (``.reshape(1, 1, 6, 6)``)."""
    head, dot, attr = call.rpartition(".")
    if not dot or not any(c in head for c in "()[]"):
        return f"{call}()"
    args = [e for e in events if e.role == "arg" and e.call == call]
    texts = [f"{e.keyword}={' '.join(e.text.split())}" if e.keyword else " ".join(e.text.split()) for e in args]
    return clip(f".{attr}({', '.join(texts)})", 60)


_HEADER = re.compile(r"^\s*(?:async\s+)?(def|for|with|except|lambda)\b")
_DEF_LINE = re.compile(r"^\s*(?:async\s+)?(?:def|class)\b")


def header_offset(item: Item | None) -> int:
    """For a decorated ``def``/``class`` item, how many lines its decorators take (0 otherwise):
    the item starts at its first decorator, the trace records the ``def`` line."""
    if item is None or not item.code.lstrip().startswith("@"):
        return 0
    for i, text in enumerate(item.code.split("\n")):
        if _DEF_LINE.match(text):
            return i
    return 0


def header_code(item: Item | None) -> str:
    """The item's code from its ``def``/``class`` line on (decorators left out)."""
    if item is None:
        return ""
    return "\n".join(item.code.split("\n")[header_offset(item) :])


def _bind_style(item: Item | None) -> tuple[str, str]:
    """How a bound name is labelled: a parameter of a ``def`` is an input (⬇ param), a ``for``
    target or an ``as`` name is just named, an assignment's target is the result (⬆ result)."""
    m = _HEADER.match(header_code(item)) if item is not None else None
    if m is None:
        return "result", "result"
    if m.group(1) in ("def", "lambda"):
        return "arg", "param"
    return "result", ""


def error_entry(err: ErrorInfo, *, expected: bool) -> Entry:
    """The trace's top-level error, shown on its line when the line's record lacks it."""
    return Entry(
        kind="exception",
        name=err.type or "Exception",
        text=clip(err.message),
        label="expected" if expected else "raised",
        glyph=GLYPHS["exception"],
        expected=expected,
    )


def _module_binds(record: Record) -> list[tuple[str, Mapping[str, Any]]]:
    return [(e.text, e.value or {}) for e in record.events if e.role == "bind" and is_module(e.value)]


def api_entries(item: Item | None, records: list[Record]) -> list[Entry]:
    """📚 notes the run supplies: module docs for imports, docstring sentences for callees the
    author wrote no note for (builtins such as ``print`` are left out)."""
    authored = [n for n in (item.notes if item else []) if n.icon == "api"]
    names = {_note_key(n.name) for n in authored}
    out: list[Entry] = []
    seen: set[str] = set()
    for rec in records:
        for name, v in _module_binds(rec):
            if name in seen or _covers(names, name, name):
                continue
            seen.add(name)
            out.append(_api_entry_from_module(name, v))
        for ev in rec.events:
            if ev.role != "call":
                continue
            text = ev.text
            qual = ev.qualname or ""
            k = qual or text
            if k in seen or is_builtin_call(ev) or not ev.doc:
                continue
            if _covers(names, text, qual):
                continue
            seen.add(k)
            out.append(_api_entry_from_call(ev))
    return out


def final_entries(line: Line, item: Item | None) -> list[Entry]:
    finals = line.final
    out: list[Entry] = []
    for i, f in enumerate(finals):
        label = "after the loop" if len(finals) == 1 else f"after loop run {int(f.get('hit', i)) + 1}"
        for val in f.get("values") or []:
            out.append(value_entry("final", str(val.get("name") or ""), val.get("value"), item, label=label))
    return out
