"""Render an example and its trace into an HTML page and a JSON page.

Data flows one way: ``Example`` + trace → :func:`build_view` (``page``) → ``PageView``
(``view``: plain dataclasses, every string still unescaped, rich text already rendered to
``Markup``) → Jinja2 templates (``html``, autoescape on). Templates hold no logic beyond loops
and ifs. Below ``page``: ``entries`` (events of one hit → state entries), ``values`` (a recorded
value → text, tags, tables, pictures), ``markup`` (Markdown, reStructuredText, math; docstring summaries), ``highlight``
(Pygments), ``text`` (inert, bounded text).

Public API::

    build_view(example, trace) -> PageView
    render_page(example, trace, *, assets, root_rel, json_name) -> str
    page_json(example, trace, *, build=None) -> str
    write_assets(out_dir) -> dict[str, str]
    render_markdown(text, *, probes=None, inline=False) -> Rendered (Markup with headings, warnings)
    render_rst(text) -> Rendered; render_rst_blocks(texts) -> list[Rendered]
    inert(text, limit=MAX_TEXT_CHARS) -> str

Everything a run or an author supplies (values, printed output, prose, file names, titles) is
shown as inert, bounded text: HTML is escaped (Jinja2 autoescape, ``markupsafe.escape`` where
Markup is built here), control characters and text-direction controls are replaced by visible
``<U+XXXX>`` markers (see :func:`inert`), and any single text is cut at ``MAX_TEXT_CHARS`` with
a visible "… (N more characters)" marker. The page JSON keeps everything the trace has.
"""

from .html import page_json, render_page, write_assets
from .markup import Heading, Rendered, render_markdown, render_rst, render_rst_blocks
from .page import build_view, page_status
from .text import MAX_TEXT_CHARS, inert
from .view import Banner, Card, CodeLine, Entry, Figure, Fold, FoldGroup, Hit, ListingRow, PageView, Table, Tag

__all__ = [
    "MAX_TEXT_CHARS",
    "Banner",
    "Card",
    "CodeLine",
    "Entry",
    "Figure",
    "Fold",
    "FoldGroup",
    "Hit",
    "ListingRow",
    "PageView",
    "Table",
    "Tag",
    "build_view",
    "inert",
    "Heading",
    "Rendered",
    "render_markdown",
    "render_rst",
    "render_rst_blocks",
    "page_json",
    "page_status",
    "render_page",
    "write_assets",
]
