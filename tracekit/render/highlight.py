"""Per-line syntax highlighting of the listing with Pygments."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from markupsafe import Markup, escape
from pygments.lexers import PythonLexer, get_lexer_by_name
from pygments.token import Comment, Keyword, Name, Number, Operator, String
from pygments.util import ClassNotFound

from .text import visible

# ─────────────────────────────────────────────────────────────────────────────
# Syntax highlighting: per-line HTML from Pygments tokens
# ─────────────────────────────────────────────────────────────────────────────


def _token_class(ttype: Any, prev: str) -> str:
    if ttype in Comment:
        return "c"
    if ttype in String:
        if ttype in String.Interpol or ttype in String.Affix:
            return "si"
        if ttype in String.Doc:
            return "sd"
        return "s"
    if ttype in Number:
        return "m"
    if ttype in Keyword.Constant:
        return "kc"
    if ttype in Keyword:
        return "k"
    if ttype in Operator.Word:
        return "k"
    if ttype in Name.Builtin.Pseudo:
        return "bp"
    if ttype in Name.Builtin:
        return "nb"
    if ttype in Name.Function or ttype in Name.Function.Magic:
        return "nf"
    if ttype in Name.Class:
        return "nc"
    if ttype in Name.Decorator:
        return "nd"
    if ttype in Name.Exception:
        return "ne"
    if ttype in Name:
        if prev == ".":
            return "na"
        return ""
    if ttype in Operator:
        return "o"
    return ""


def highlight_lines(text: str) -> list[Markup]:
    """Highlight Python ``text``; one Markup per line (exactly ``len(text.split('\\n'))``)."""
    return list(_highlighted(text))


# A page, its variants' pages and the book's copy of it highlight the same listing and the
# same code cells again; Pygments' lexing is the largest part of rendering a listing.
@lru_cache(maxsize=1024)
def _highlighted(text: str) -> tuple[Markup, ...]:
    """highlight_lines' work, once per text."""
    lexer = PythonLexer(stripnl=False, ensurenl=False, stripall=False)
    tokens = [(t, v) for t, v in lexer.get_tokens(text) if v]
    lines: list[list[tuple[str, str]]] = [[]]
    for i, (ttype, value) in enumerate(tokens):
        prev = tokens[i - 1][1] if i else ""
        cls = _token_class(ttype, prev)
        for j, part in enumerate(value.split("\n")):
            if j:
                lines.append([])
            if not part:
                continue
            cur = lines[-1]
            if cur and cur[-1][0] == cls:
                cur[-1] = (cls, cur[-1][1] + part)
            else:
                cur.append((cls, part))
    want = len(text.split("\n"))
    while len(lines) < want:
        lines.append([])
    return tuple(
        Markup(
            "".join(
                f'<span class="{c}">{escape(visible(t))}</span>' if c else str(escape(visible(t))) for c, t in parts
            )
        )
        for parts in lines[:want]
    )


def highlight_code(text: str, language: str) -> Markup | None:
    """TEXT in LANGUAGE (a Pygments name: python, bash, json …) as HTML with the listing's token
    classes; None when Pygments does not know the language."""
    try:
        lexer = get_lexer_by_name(language, stripnl=False, ensurenl=False, stripall=False)
    except ClassNotFound:
        return None
    out: list[str] = []
    prev = ""
    for ttype, value in lexer.get_tokens(text):
        if not value:
            continue
        cls = _token_class(ttype, prev)
        shown = escape(visible(value))
        out.append(f'<span class="{cls}">{shown}</span>' if cls else str(shown))
        prev = value
    return Markup("".join(out))
