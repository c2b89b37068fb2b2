"""A Jupyter notebook (nbformat 4.5 JSON) made from an example and the trace of its run.

Cells follow the source, as its page reads it:

- gallery, percent and comment scripts: after the title cell, one Markdown cell per top-level
  text block (sphinx-gallery cell, Markdown cell, comment section; reStructuredText turned into
  Markdown by rst_markdown.py), one raw cell per percent raw cell, and one code cell for the
  code between two of them. A comment block inside a statement stays a comment in its code;
- a notebook example (``.ipynb``): its own cells, sources, Markdown, magics and metadata as they
  were, with tracekit's run as their outputs;
- ``#:`` authored scripts: the title and intro are the first Markdown cell; every top-level
  statement with prose starts a new code cell, its prose (placeholders filled in from the run,
  as on the page) in a Markdown cell just above. Prose of statements inside a block goes into
  the Markdown cell above the block; a ``#::`` block's text is the Markdown cell above its
  statements. Hidden lines stay in the code, since it needs them; ``#:`` prose lines and the
  module docstring are left out (they are the Markdown).

A code cell's outputs are the run's, as Jupyter would show them: what its lines printed
(``stream``; a function's prints go to the cell that called it when one cell does, and the
cells' text is cut from the run's stdout so prints interleave as they ran), the figures drawn in
it (``display_data``, the figure's PNG), the value of its last statement when that is a bare
expression not ending in ``;`` (``execute_result``), and an exception: a line expected to raise
(``# tracekit: raises=…``) gives its cell Jupyter's ``raises-exception`` tag and the error, so
Run All goes on as the run did; the exception that stopped the run is its cell's error, and the
cells after it were not run. Code cells that ran are numbered in order.

The JSON is written by hand (the tests validate every notebook against nbformat's schema and run
one with nbclient); nbformat is used to read notebooks that are examples (tracekit.ipynb).
"""

from __future__ import annotations

import ast
import base64
import json
import re
from bisect import bisect_right
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..child.jsonio import dumps
from ..child.placeholders import literal_spans, placeholder_spans
from ..directives import DIRECTIVE_RE
from ..ipynb import fill_cell_ids, is_notebook
from ..prose import cell_marker, cell_text_end, jupytext_header
from ..render.text import MAX_VALUE_CHARS, inert
from ..render.urls import allowed
from ..render.values import figure_file
from ..rst_markdown import rst_to_markdown
from ..source import Example

__all__ = ["notebook", "notebook_json"]

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
        out: list[str] = []
        pos = 0
        segment = text[start:end]
        for span in placeholder_spans(segment, strict=False):
            out.append(segment[pos : span.start])
            pos = span.end
            token = segment[span.start : span.end]
            if span.placeholder is None:
                out.append(token[0])
            elif span.placeholder.source not in probes:
                out.append(token)
            else:
                at = start + span.start
                before = text[text.rfind("\n", 0, at) + 1 : at]
                value = str(probes[span.placeholder.source])
                out.append(
                    _as_markdown_text(value, in_code=any(a < at < b for a, b in code), line_start=not before.strip())
                )
        out.append(segment[pos:])
        return "".join(out)

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

    text = _INLINE_LINK.sub(
        lambda m: m.group(0) if allowed(target(m.group(3))) else "]\\(" + m.group(2) + m.group(3), text
    )
    text = _AUTOLINK.sub(lambda m: m.group(0) if allowed(m.group(1)) else "\\<" + m.group(1) + ">", text)
    return _DEFINITION.sub(
        lambda m: m.group(0) if allowed(target(m.group(3))) else m.group(1) + "\\" + m.group(2) + m.group(3), text
    )


def _docstring_span(source: str) -> tuple[int, int] | None:
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return None
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
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


def notebook(example: Example, trace: Mapping[str, Any], source: str, figures: Path | None = None) -> dict[str, Any]:
    """The notebook (as JSON-ready data) for EXAMPLE, its TRACE and its SOURCE text (a notebook
    example's own JSON); FIGURES: the folder holding the run's figure PNGs, if they are shown."""
    if is_notebook(example.path):
        return _from_ipynb(example, trace, source, figures)
    lines = _lines(source)
    if example.prose_source == "authored":
        cells = _authored_cells(example, trace, source, lines)
    else:
        cells = _section_cells(example, source, lines)
    _run_outputs(cells, example, trace, source, figures)
    fill_cell_ids(cells)
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _markdown(text: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": {}, "source": _text(text)}


def _code_cell(lines: list[str], numbers: list[int], span: tuple[int, int]) -> dict[str, Any] | None:
    """A code cell of LINES (script lines NUMBERS, blank ones at either end left out) for the
    script lines SPAN; None when it holds nothing."""
    kept = [(n, text) for n, text in zip(numbers, lines, strict=True)]
    while kept and not kept[-1][1].strip():
        kept.pop()
    while kept and not kept[0][1].strip():
        kept.pop(0)
    if not kept:
        return None
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": [],
        "source": _src([text for _, text in kept]),
        "_span": span,
        "_lines": [n for n, _ in kept],
    }


def _authored_cells(example: Example, trace: Mapping[str, Any], source: str, lines: list[str]) -> list[dict[str, Any]]:
    """The cells of a `#:` script: a code cell per top-level statement with prose, prose above."""
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
    for t in example.texts:  # `#::` blocks: their placeholders are the block's
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
    first_code = next(
        (
            n
            for n in range(1, len(lines) + 1)
            if n not in skip and lines[n - 1].strip() and not _PROSE.match(lines[n - 1])
        ),
        1,
    )
    bounds = sorted({first_code, *[s for s in starts if s >= first_code]})
    cells: list[dict[str, Any]] = [_markdown(_head(example))]
    if prose_at.get(0):
        cells.append(_markdown("\n\n".join(prose_at[0])))
    for k, start in enumerate(bounds):
        end = bounds[k + 1] if k + 1 < len(bounds) else len(lines) + 1
        if start in prose_at and start != 0:
            cells.append(_markdown("\n\n".join(prose_at[start])))
        numbers = [n for n in range(start, end) if n not in skip and not _PROSE.match(lines[n - 1])]
        cell = _code_cell([lines[n - 1] for n in numbers], numbers, (start, end - 1))
        if cell is not None:
            cells.append(cell)
    return cells


def _head(example: Example) -> str:
    """The title cell's Markdown: the title, then the introduction."""
    head = f"# {example.title}"
    if example.intro.strip():
        intro = example.intro.strip()
        head += "\n\n" + _links_as_text(rst_to_markdown(intro) if example.markup == "rst" else intro)
    return head


_COOKIE = re.compile(r"^[ \t\f]*#.*?coding[:=]")


def _section_cells(example: Example, source: str, lines: list[str]) -> list[dict[str, Any]]:
    """The cells of a gallery, percent or comments script: a Markdown cell per top-level text
    block, a raw cell per raw cell, and a code cell for the code between them."""
    skip: set[int] = set()
    doc = _docstring_span(source)
    if doc:
        skip.update(range(doc[0], doc[1] + 1))
    header = jupytext_header(lines)
    if header is not None:
        skip.update(range(header.first, header.last + 1))
    for n, text in enumerate(lines, 1):
        stripped = text.strip()
        if DIRECTIVE_RE.match(stripped) or (n == 1 and stripped.startswith("#!")) or (n <= 2 and _COOKIE.match(text)):
            skip.add(n)  # tracekit's own comments, and what python reads before the code
    inside = _inside_statements(source)
    starts: dict[int, tuple[str, int, str]] = {}  # first line → (kind, its last line, its text)
    for t in example.texts:
        if t.line not in inside and not lines[t.line - 1][:1].isspace():
            starts[t.line] = ("markdown", t.end_line, t.text)
    if example.prose_source == "percent":
        taken = set(starts) | skip | inside
        for n, text in enumerate(lines, 1):
            marker = cell_marker(text.rstrip()) if text.startswith("#") and n not in taken else None
            if marker is None:
                continue
            end = cell_text_end(n, lines)
            if marker.kind == "raw":
                starts[n] = ("raw", end, "\n".join(re.sub(r"^# ?", "", lines[k - 1]) for k in range(n + 1, end + 1)))
            else:  # the Markdown cell that gave the title and intro: the title cell already
                starts[n] = ("markdown", end if marker.kind == "markdown" else n, "")
    cells: list[dict[str, Any]] = [_markdown(_head(example))]

    def code(first: int, last: int) -> None:
        numbers = [n for n in range(first, last + 1) if n not in skip]
        cell = _code_cell([lines[n - 1] for n in numbers], numbers, (first, last))
        if cell is not None:
            cells.append(cell)

    order = sorted(starts)
    code(1, (order[0] if order else len(lines) + 1) - 1)
    for k, at in enumerate(order):
        kind, end, text = starts[at]
        if text.strip() and kind == "raw":
            cells.append({"cell_type": "raw", "metadata": {}, "source": _text(text)})
        elif text.strip():
            cells.append(_markdown(_links_as_text(rst_to_markdown(text) if example.markup == "rst" else text)))
        code(end + 1, order[k + 1] - 1 if k + 1 < len(order) else len(lines))
    return cells


def _inside_statements(source: str) -> set[int]:
    """The lines inside top-level statements (after their first line): no cell starts there."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return set()
    out: set[int] = set()
    for st in body:
        first = min([st.lineno, *(d.lineno for d in getattr(st, "decorator_list", []))])
        out.update(range(first + 1, (st.end_lineno or st.lineno) + 1))
    return out


def _from_ipynb(example: Example, trace: Mapping[str, Any], source: str, figures: Path | None) -> dict[str, Any]:
    """A notebook example's own notebook, its outputs tracekit's run: same cells, sources,
    Markdown and metadata (ids added where the notebook had none)."""
    from ..ipynb import read, script_of

    notebook = read(source.encode("utf-8"))
    script, spans = script_of(notebook.cells)
    data = json.loads(json.dumps(notebook))
    cells: list[dict[str, Any]] = data["cells"]
    for (_, first, last), cell in zip(spans, cells, strict=True):
        cell["source"] = str(cell.get("source") or "").splitlines(keepends=True)
        if cell["cell_type"] == "code":
            cell.update(execution_count=None, outputs=[])
            if last > first and "".join(cell["source"]).strip():
                cell.update(_span=(first + 1, last), _lines=list(range(first + 1, last + 1)))
    _run_outputs(cells, example, trace, script, figures)
    fill_cell_ids(cells)
    data["nbformat_minor"] = max(5, int(data.get("nbformat_minor") or 0))
    return dict(data)


# ── outputs from the run ─────────────────────────────────────────────────────


def _called_lines(source: str) -> dict[int, tuple[str, ...]]:
    """Lines that run only when a function is called: line → the names it is called by (a
    function's name; a method's name and its class's)."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return {}
    out: dict[int, tuple[str, ...]] = {}

    def function(node: ast.FunctionDef | ast.AsyncFunctionDef, names: tuple[str, ...]) -> None:
        for n in range(node.body[0].lineno, (node.end_lineno or node.lineno) + 1):
            out[n] = names

    for st in body:
        if isinstance(st, ast.FunctionDef | ast.AsyncFunctionDef):
            function(st, (st.name,))
        elif isinstance(st, ast.ClassDef):
            for sub in st.body:
                if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef):
                    function(sub, (sub.name, st.name))
    return out


def _run_outputs(
    cells: list[dict[str, Any]], example: Example, trace: Mapping[str, Any], source: str, figures: Path | None
) -> None:
    """Fill in the outputs and execution counts of CELLS' code cells from TRACE (SOURCE: the
    script that ran), as Jupyter would have them after Run All."""
    code = [c for c in cells if c.get("_span")]
    starts = [c["_span"][0] for c in code]

    def cell_at(line: int) -> int | None:
        k = bisect_right(starts, line) - 1
        return k if k >= 0 and line <= code[k]["_span"][1] else None

    tlines = {int(tl["line"]): tl for tl in trace.get("lines") or []}
    called = _called_lines(source)
    callers: dict[str, set[int]] = {}
    for line, tl in tlines.items():
        at = cell_at(line)
        if line in called or at is None:
            continue
        for rec in tl.get("records") or []:
            for ev in rec.get("events") or []:
                if ev.get("role") == "call":
                    callers.setdefault(str(ev.get("text") or "").rsplit(".", 1)[-1].strip(), set()).add(at)

    def home(line: int) -> int | None:
        """The cell whose run printed or drew what LINE did: its own, or the one cell calling it."""
        for name in called.get(line, ()):
            found = sorted(callers.get(name) or ())
            if found:
                return found[0]
        return cell_at(line)

    # what each cell printed and drew: (hit, line, order, kind, what), then later hits' (by line)
    events: list[list[tuple[int, int, int, str, str]]] = [[] for _ in code]
    for line, tl in sorted(tlines.items()):
        at = home(line)
        if at is None:
            continue
        for rec in sorted(tl.get("records") or [], key=lambda r: int(r.get("hit") or 0)):
            hit = int(rec.get("hit") or 0)
            if rec.get("output") and not rec.get("last"):  # a last hit's output is in output_later
                events[at].append((hit, line, 0, "text", str(rec["output"])))
            for f in rec.get("figures") or []:
                events[at].append((hit, line, 1, "figure", str(f)))
    later: list[list[tuple[int, int, int, str, str]]] = [[] for _ in code]
    for line, tl in sorted(tlines.items()):
        at = home(line)
        if at is None:
            continue
        if tl.get("output_later"):
            later[at].append((0, line, 0, "text", str(tl["output_later"])))
        for f in tl.get("figures_later") or []:
            later[at].append((0, line, 1, "figure", str(f)))
    timelines = [sorted(e) + lt for e, lt in zip(events, later, strict=True)]
    texts = ["".join(w for *_, kind, w in tl if kind == "text") for tl in timelines]
    texts = _as_printed(texts, timelines, str(trace.get("stdout") or ""))

    # the exception that stopped the run ends Run All in its cell
    err = trace.get("error")
    stop = len(code)
    fatal: Mapping[str, Any] | None = None
    if isinstance(err, Mapping) and err.get("reason") == "exception" and isinstance(err.get("line"), int):
        at = home(int(err["line"]))
        if at is not None:
            stop, fatal = at + 1, err
    raises = {it.line for it in example.items if it.raises}
    alts = {
        str(f.get("file")): str(f.get("alt") or "Figure") for f in trace.get("figures") or [] if isinstance(f, Mapping)
    }
    statements = _top_statements(source)
    count = 0
    for k, cell in enumerate(code):
        if k >= stop:
            break
        count += 1
        cell["execution_count"] = count
        outputs: list[dict[str, Any]] = []
        text, printed, shown = texts[k], 0, set()
        for *_, kind, what in timelines[k]:
            if kind == "text":
                printed += len(what)
                continue
            png = _figure_png(figures, what)
            if png is None or what in shown:
                continue
            shown.add(what)
            cut = min(printed, len(text))
            if text[:cut]:
                outputs.append(_stream(text[:cut]))
            text, printed = text[cut:], printed - cut
            data = {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": [alts.get(what, "Figure")]}
            outputs.append({"output_type": "display_data", "data": data, "metadata": {}})
        if text:
            outputs.append(_stream(text))
        error = _expected_error(cell, tlines, raises, count)
        if error is None and fatal is not None and k == stop - 1:
            error = _error(cell, count, int(fatal["line"]), fatal)
        value = None if error is not None else _last_value(cell, statements, tlines)
        if value is not None:
            outputs.append(
                {
                    "output_type": "execute_result",
                    "execution_count": count,
                    "metadata": {},
                    "data": {"text/plain": _text(value)},
                }
            )
        if error is not None:
            outputs.append(error)
        cell["outputs"] = outputs
    for cell in code:
        del cell["_span"], cell["_lines"]


def _as_printed(texts: list[str], timelines: list[list[tuple[int, int, int, str, str]]], stdout: str) -> list[str]:
    """Each cell's printed text cut from the run's STDOUT, so that lines printed by functions and
    by the cell's own lines are in the order they ran, when the cells' TEXTS add up to it and
    every piece is in its cell's cut; else TEXTS as they are."""
    if not stdout or sum(map(len, texts)) != len(stdout):
        return texts
    out: list[str] = []
    pos = 0
    for text, timeline in zip(texts, timelines, strict=True):
        cut = stdout[pos : pos + len(text)]
        pos += len(text)
        if any(kind == "text" and what not in cut for *_, kind, what in timeline):
            return texts
        out.append(cut)
    return out


def _stream(text: str) -> dict[str, Any]:
    return {"output_type": "stream", "name": "stdout", "text": _text_keep(text)}


def _figure_png(figures: Path | None, name: str) -> bytes | None:
    """The bytes of figure file NAME in FIGURES, if it is a figure file and there."""
    if figures is None or figure_file(name) is None:
        return None
    try:
        return (figures / name).read_bytes()
    except OSError:
        return None


def _top_statements(source: str) -> list[ast.stmt]:
    try:
        return list(ast.parse(source).body)
    except SyntaxError:
        return []


def _last_value(
    cell: Mapping[str, Any], statements: list[ast.stmt], tlines: Mapping[int, Mapping[str, Any]]
) -> str | None:
    """The repr of the value of CELL's last statement, when it is a bare expression whose value
    Jupyter shows (not None, no trailing ``;``)."""
    numbers = cell["_lines"]
    mine = [st for st in statements if numbers[0] <= st.lineno <= numbers[-1]]
    if not mine or not isinstance(mine[-1], ast.Expr):
        return None
    code = [line.split("#", 1)[0].rstrip() for line in "".join(cell["source"]).split("\n")]
    if [line for line in code if line][-1:] and [line for line in code if line][-1].endswith(";"):
        return None
    recs = (tlines.get(mine[-1].lineno) or {}).get("records") or []
    expr = [e for e in (recs[0].get("events") or []) if e.get("role") == "expr"] if recs else []
    value = expr[-1].get("value") if expr else None
    if not isinstance(value, Mapping) or value.get("repr") is None or value.get("type") == "NoneType":
        return None
    return str(value["repr"])


def _expected_error(
    cell: Mapping[str, Any], tlines: Mapping[int, Mapping[str, Any]], raises: set[int], count: int
) -> dict[str, Any] | None:
    """The error output of the first line of CELL expected to raise that did, tagged so that
    Run All goes on past it."""
    for line in cell["_lines"]:
        if line not in raises:
            continue
        for rec in (tlines.get(line) or {}).get("records") or []:
            if rec.get("exception"):
                cell["metadata"].setdefault("tags", [])
                if "raises-exception" not in cell["metadata"]["tags"]:
                    cell["metadata"]["tags"].append("raises-exception")
                return _error(cell, count, line, rec["exception"])
    return None


def _error(cell: Mapping[str, Any], count: int, line: int, exc: Mapping[str, Any]) -> dict[str, Any]:
    """An error output for exception EXC raised on script LINE of CELL (run as In[COUNT])."""
    ename = str(exc.get("type") or "Exception").rsplit(".", 1)[-1]
    evalue = str(exc.get("message") or "")
    numbers: list[int] = cell["_lines"]
    traceback = [f"{ename}: {evalue}" if evalue else ename]
    if line in numbers:
        at = numbers.index(line)
        traceback[:0] = [
            f"Cell In[{count}], line {at + 1}",
            f"----> {at + 1} {''.join(cell['source']).split(chr(10))[at].strip()}",
        ]
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": traceback}


def _text_keep(text: str) -> list[str]:
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def notebook_json(example: Example, trace: Mapping[str, Any], source: str, figures: Path | None = None) -> str:
    """The notebook as deterministic JSON text."""
    return dumps(notebook(example, trace, source, figures))
