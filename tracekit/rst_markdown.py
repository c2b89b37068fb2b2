"""reStructuredText text blocks (sphinx-gallery cells, RST comment sections) as Markdown, for
the notebook's Markdown cells.

Notebook viewers read Markdown, so the RST a gallery script is written in is turned into its
Markdown equivalent, as sphinx-gallery's own notebooks do: underlined headings become ``##``
headings (levels in the order their underlines first appear), ``:math:`x``` and ``.. math::``
become ``$x$`` and ``$$ … $$``, other roles their text in code (``:func:`f``` → ```f()```;
``:ref:``/``:doc:`` their title as text), ```text <url>`_`` a Markdown link, admonitions a quoted
paragraph headed by their kind, ``.. code-block::`` and ``::`` literal blocks fenced code.
Directives with no Markdown form (``.. image::``, comments) are left out; their content stays.
"""

from __future__ import annotations

import re

__all__ = ["rst_to_markdown"]

_ROLE = re.compile(r":(?:[\w-]+:)?([\w-]+):`([^`]+)`")
_TITLED = re.compile(r"^(.*?)\s*<([^<>]+)>$", re.S)
_LINK = re.compile(r"`([^`<]+?)\s*<([^<>`]+)>`__?")
_LITERAL = re.compile(r"``([^`]+)``")
_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+:.<>_])\1{2,}\s*$")
_DIRECTIVE = re.compile(r"^(\s*)\.\.\s+([\w-]+)::\s*(.*)$")
_COMMENT = re.compile(r"^(\s*)\.\.(?:\s|$)")
_ADMONITIONS = {
    "note": "Note",
    "warning": "Warning",
    "tip": "Tip",
    "hint": "Hint",
    "important": "Important",
    "caution": "Caution",
    "attention": "Attention",
    "danger": "Danger",
    "error": "Error",
    "seealso": "See also",
}
_CODE = ("code-block", "code", "sourcecode", "literalinclude")


def _role(m: re.Match[str]) -> str:
    role, body = m.group(1), m.group(2)
    if role == "math":
        return f"${body}$"
    titled = _TITLED.match(body)
    text = (titled.group(1) or titled.group(2)) if titled else body
    if role in ("ref", "doc", "term", "numref"):
        return text
    if text.startswith("~"):
        text = text[1:].rsplit(".", 1)[-1]
    text = text.lstrip(".")
    if role in ("func", "meth") and not text.endswith(")"):
        text += "()"
    return f"`{text}`"


def _inline(text: str) -> str:
    """Roles, links and inline literals of one line of running text as Markdown."""
    text = _ROLE.sub(_role, text)
    text = _LINK.sub(lambda m: f"[{m.group(1)}]({m.group(2)})", text)
    return _LITERAL.sub(lambda m: f"`{m.group(1)}`", text)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _body(lines: list[str], start: int, indent: int) -> tuple[list[str], int]:
    """The block indented deeper than INDENT from line START on (blank lines inside kept),
    dedented; and the index after it."""
    while (
        start < len(lines)
        and not lines[start].strip()
        and start + 1 < len(lines)
        and _indent(lines[start + 1]) > indent
    ):
        start += 1
    end = start
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > indent):
        end += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    block = lines[start:end]
    cut = min((_indent(line) for line in block if line.strip()), default=0)
    return [line[cut:] for line in block], end


def rst_to_markdown(text: str) -> str:
    """TEXT, written in reStructuredText, as Markdown."""
    lines = text.split("\n")
    out: list[str] = []
    para: list[str] = []  # running text, converted a paragraph at a time (a role may span lines)
    levels: list[str] = []

    def flush() -> None:
        if para:
            out.extend(_inline("\n".join(para)).split("\n"))
            para.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        # an overline, the title, its underline
        if (
            _UNDERLINE.match(line)
            and i + 2 < len(lines)
            and lines[i + 2].strip() == line.strip()
            and lines[i + 1].strip()
        ):
            i += 1
            line, nxt = lines[i], lines[i + 1]
        if not line.strip():
            flush()
        elif not _UNDERLINE.match(line) and _UNDERLINE.match(nxt) and _indent(line) == 0:
            flush()
            char = nxt.strip()[0]
            if char not in levels:
                levels.append(char)
            out.append("#" * min(levels.index(char) + 2, 6) + " " + _inline(line.strip()))
            i += 2
            continue
        directive = _DIRECTIVE.match(line)
        if (
            directive
            or _COMMENT.match(line)
            or (line.rstrip().endswith("::") and i + 2 < len(lines) and not nxt.strip())
        ):
            flush()
        if directive:
            indent, name, arg = len(directive.group(1)), directive.group(2).lower(), directive.group(3).strip()
            start = i + 1
            while start < len(lines) and lines[start].strip().startswith(":") and _indent(lines[start]) > indent:
                start += 1  # the directive's options (:label:, :caption:, …)
            body, i = _body(lines, start, indent)
            pad = " " * indent
            if name == "math":
                formula = "\n".join(([arg] if arg else []) + body).strip("\n")
                out += [pad + "$$", *(pad + b for b in formula.split("\n")), pad + "$$"]
            elif name in _CODE:
                out += [pad + "```" + (arg if name != "literalinclude" else ""), *(pad + b for b in body), pad + "```"]
            elif name in _ADMONITIONS:
                quoted = [f"**{_ADMONITIONS[name]}**" + (f" {_inline(arg)}" if arg else "")] + (
                    ["", *_inline("\n".join(body)).split("\n")] if body else []
                )
                out += [pad + ("> " + q if q.strip() else ">") for q in quoted]
            else:  # no Markdown form: the directive goes, what it holds stays
                out += [pad + _inline(b) for b in body]
            continue
        if _COMMENT.match(line):  # an RST comment: it and what is indented under it
            _, i = _body(lines, i + 1, _indent(line))
            continue
        if (
            line.rstrip().endswith("::")
            and i + 2 < len(lines)
            and not nxt.strip()
            and _indent(lines[i + 2]) > _indent(line)
        ):
            head = line.rstrip()[:-2].rstrip()
            body, i = _body(lines, i + 2, _indent(line))
            if head.strip():
                out += [_inline(head) + ("" if line.rstrip()[:-2] != head else ":"), ""]
            pad = " " * _indent(line)
            out += [pad + "```", *(pad + b for b in body), pad + "```"]
            continue
        if line.strip():
            para.append(line)
        else:
            out.append("")
        i += 1
    flush()
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip("\n")
