"""A Jupyter notebook (nbformat 4.5 JSON) made from an example and the trace of its run.

Cells follow the source: the title and intro are the first Markdown cell; every top-level
statement with prose starts a new code cell, its prose (placeholders filled in from the run, as
on the page) in a Markdown cell just above. Prose of statements inside a block goes into the
Markdown cell above the block; a ``#::`` block's text is the Markdown cell above its statements. Hidden lines stay in the code, since it needs them; ``#:`` prose
lines and the module docstring are left out (they are the Markdown). A cell's outputs are what
its lines printed, in the order they ran (first recorded hits, then later output), and the value
of a last expression statement. A cell with a line that is expected to raise gets Jupyter's
``raises-exception`` tag and the exception as its error output, so Run All goes on as the run did.

The JSON is written by hand (the tests validate every notebook against nbformat's schema);
nbformat itself is used only to read notebooks that are examples (tracekit.ipynb).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from typing import Any

from ._jsonio import dumps
from ._placeholders import literal_spans
from .render.text import MAX_VALUE_CHARS, inert
from .render.urls import allowed
from .source import Example

__all__ = ["notebook", "notebook_json"]

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}\n]+)\}")
_PROSE = re.compile(r"^\s*#:")


_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
_MARKUP_CHARS = re.compile(r"([\\`*_\[\]<>&$!|~])")
_LINE_START = re.compile(r"^([#+=-]|\d+[.)])")


def _as_markdown_text(value: str, *, in_code: bool, line_start: bool) -> str:
    """A value from the run as text in a Markdown cell, never markup: bounded, controls made
    visible, on one line, and (outside a code span) every character that could start markup
    backslash-escaped. In a code span the value is literal already; a backtick would end it."""
    text = inert(value, MAX_VALUE_CHARS).replace("\n", " ")
    if in_code:
        return text.replace("`", "'")
    text = _MARKUP_CHARS.sub(r"\\\1", text)
    return _LINE_START.sub(lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], text) if line_start else text


def _fill(text: str, probes: Mapping[str, str]) -> str:
    """Placeholders outside math and fenced code filled from PROBES (as on the page), as text;
    links the URL policy refuses broken into text."""
    code = [(m.start(), m.end()) for m in _CODE_SPAN.finditer(text)]

    def part(start: int, end: int) -> str:
        def repl(m: re.Match) -> str:
            tok = m.group(0)
            if tok in ("{{", "}}"):
                return tok[0]
            key = m.group(1)
            if key not in probes:
                return tok
            at = start + m.start()
            before = text[text.rfind("\n", 0, at) + 1 : at]
            return _as_markdown_text(str(probes[key]), in_code=any(a < at < b for a, b in code), line_start=not before.strip())

        return _PLACEHOLDER.sub(repl, text[start:end])

    out: list[str] = []
    pos = 0
    for start, end in literal_spans(text, math=True):
        out += [_links_as_text(part(pos, start)), text[start:end]]
        pos = end
    out.append(_links_as_text(part(pos, len(text))))
    return "".join(out)


_INLINE_LINK = re.compile(r"(?<!\\)(\]\()(\s*)(<[^<>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)")
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.\-]{1,31}:[^\s<>]*)>")
_DEFINITION = re.compile(r"^( {0,3})(\[[^\]\n]+\]:[ \t]*)(<[^<>\n]*>|\S+)", re.M)


def _links_as_text(text: str) -> str:
    """Markdown TEXT with every link whose target the URL policy (render/urls.py) refuses broken
    into text, as the page shows it: ``[a](javascript:…)`` becomes ``[a]\\(javascript:…)``."""

    def target(raw: str) -> str:
        return raw[1:-1] if raw.startswith("<") and raw.endswith(">") else raw

    text = _INLINE_LINK.sub(lambda m: m.group(0) if allowed(target(m.group(3))) else "]\\(" + m.group(2) + m.group(3), text)
    text = _AUTOLINK.sub(lambda m: m.group(0) if allowed(m.group(1)) else "\\<" + m.group(1) + ">", text)
    return _DEFINITION.sub(lambda m: m.group(0) if allowed(target(m.group(3))) else m.group(1) + "\\" + m.group(2) + m.group(3), text)


def _docstring_span(source: str) -> tuple[int, int] | None:
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return None
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        return body[0].lineno, body[0].end_lineno or body[0].lineno
    return None


def _lines(source: str) -> list[str]:
    return source.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _src(lines: list[str]) -> list[str]:
    """nbformat's multiline string: a list of lines, each but the last ending in a newline."""
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    while lines and not lines[0].strip():
        lines = lines[1:]
    return [line + "\n" for line in lines[:-1]] + lines[-1:]


def _text(text: str) -> list[str]:
    return _src(text.split("\n"))


def notebook(example: Example, trace: Mapping[str, Any], source: str) -> dict[str, Any]:
    """The notebook (as JSON-ready data) for EXAMPLE, its TRACE and its SOURCE text."""
    lines = _lines(source)
    by_line = {int(tl["line"]): tl for tl in trace.get("lines") or []}
    doc = _docstring_span(source)
    skip = set(range(doc[0], doc[1] + 1)) if doc else set()

    def probes(line: int) -> dict[str, str]:
        recs = (by_line.get(line) or {}).get("records") or []
        return dict(recs[0].get("probes") or {}) if recs else {}

    # cell starts: top-level items with prose, and `#::` blocks (a cell never splits a block)
    starts: list[int] = []
    prose_at: dict[int, list[str]] = {}
    texts = [(it.line, it.number, _fill(it.prose, probes(it.line))) for it in example.items if it.prose.strip()]
    if example.prose_source == "authored":  # `#::` blocks: their placeholders are the block's
        for t in example.texts:
            block = dict((by_line.get(t.after) or {}).get("block_probes") or {})
            texts.append((t.code_first, t.number, _fill(t.text, block)))
    for line, number, text in sorted(texts, key=lambda entry: entry[0]):
        top = line <= len(lines) and not lines[line - 1][:1].isspace()
        if top:
            starts.append(line)
            prose_at.setdefault(line, []).append(text)
        else:
            anchor = max((s for s in starts if s <= line), default=0)
            prose_at.setdefault(anchor, []).append(f"*Line {number}:* {text}")
    first_code = next((n for n in range(1, len(lines) + 1) if n not in skip and lines[n - 1].strip() and not _PROSE.match(lines[n - 1])), 1)
    bounds = sorted({first_code, *[s for s in starts if s >= first_code]})
    cells: list[dict[str, Any]] = []
    head = f"# {example.title}"
    if example.intro.strip():
        head += "\n\n" + _links_as_text(example.intro.strip())
    cells.append({"cell_type": "markdown", "metadata": {}, "source": _text(head)})
    if prose_at.get(0):
        cells.append({"cell_type": "markdown", "metadata": {}, "source": _text("\n\n".join(prose_at[0]))})
    raises = {it.line: it for it in example.items if it.raises}
    for k, start in enumerate(bounds):
        end = bounds[k + 1] if k + 1 < len(bounds) else len(lines) + 1
        if start in prose_at and start != 0:
            cells.append({"cell_type": "markdown", "metadata": {}, "source": _text("\n\n".join(prose_at[start]))})
        code = [lines[n - 1] for n in range(start, end) if n not in skip and not _PROSE.match(lines[n - 1])]
        if not "".join(code).strip():
            continue
        cell: dict[str, Any] = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": _src(code)}
        _outputs(cell, [by_line[n] for n in range(start, end) if n in by_line], raises)
        cells.append(cell)
    for n, c in enumerate(cells, 1):
        c["id"] = f"cell-{n}"
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _outputs(cell: dict[str, Any], tlines: list[Mapping[str, Any]], raises: Mapping[int, Any]) -> None:
    runs: list[tuple[int, int, str]] = []
    later: list[str] = []
    error: dict[str, Any] | None = None
    for tl in tlines:
        for rec in tl.get("records") or []:
            if rec.get("output") and not rec.get("last"):  # a last hit's output is in output_later
                runs.append((int(rec.get("hit") or 0), int(tl["line"]), str(rec["output"])))
            exc = rec.get("exception")
            if exc and int(tl["line"]) in raises and error is None:
                error = {
                    "output_type": "error",
                    "ename": str(exc.get("type") or "Exception").rsplit(".", 1)[-1],
                    "evalue": str(exc.get("message") or ""),
                    "traceback": [],
                }
        if tl.get("output_later"):
            later.append(str(tl["output_later"]))
    text = "".join(t for _, _, t in sorted(runs)) + "".join(later)
    if text:
        cell["outputs"].append({"output_type": "stream", "name": "stdout", "text": _text_keep(text)})
    last = tlines[-1] if tlines else None
    if last is not None and error is None:
        recs = last.get("records") or []
        expr = [e for e in (recs[0].get("events") or []) if e.get("role") == "expr"] if recs else []
        if expr and isinstance(expr[-1].get("value"), Mapping) and expr[-1]["value"].get("repr") is not None:
            cell["outputs"].append(
                {"output_type": "execute_result", "execution_count": None, "metadata": {}, "data": {"text/plain": _text(str(expr[-1]["value"]["repr"]))}}
            )
    if error is not None:
        cell["outputs"].append(error)
        cell["metadata"]["tags"] = ["raises-exception"]


def _text_keep(text: str) -> list[str]:
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def notebook_json(example: Example, trace: Mapping[str, Any], source: str) -> str:
    """The notebook as deterministic JSON text."""
    return dumps(notebook(example, trace, source))
