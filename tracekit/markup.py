"""Long-form prose: CommonMark + tables + ``$…$``/``$$…$$`` math (as MathML) → safe HTML."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from markupsafe import Markup, escape

#: turns a link target written in the prose into the one the page uses (or returns it unchanged)
LinkMap = Callable[[str], str]


def _math(latex: str, display: bool) -> str:
    from latex2mathml.converter import convert

    try:
        return str(convert(latex, display="block" if display else "inline"))
    except Exception:  # a formula latex2mathml cannot read is shown as its source, never dropped
        return f'<code class="math-src">{escape(latex)}</code>'


@lru_cache(maxsize=1)
def _parser() -> Any:
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    # Raw HTML in prose is shown as text: a page never runs what an author pasted.
    md = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")
    md.use(dollarmath_plugin, allow_space=False, allow_digits=False, double_inline=True, renderer=lambda s, o: _math(s, bool(o.get("display_mode"))))
    return md


def markup(text: str, *, link: LinkMap | None = None) -> Markup:
    """Render Markdown TEXT to safe HTML; LINK rewrites each link target (e.g. ``x.py`` → ``x.html``)."""
    md = _parser()
    env: dict[str, Any] = {}
    tokens = md.parse(text or "", env)
    if link is not None:
        for tok in tokens:
            for child in tok.children or ():
                if child.type == "link_open":
                    href = str(child.attrGet("href") or "")
                    child.attrSet("href", link(href))
    for tok in tokens:
        if tok.type == "table_open":
            tok.attrSet("class", "md-table")
    return Markup(md.renderer.render(tokens, md.options, env))


def plain_words(text: str) -> int:
    """Words a reader reads in Markdown TEXT (markup and math count as their words)."""
    return len([w for w in (text or "").split() if any(c.isalnum() for c in w)])
