"""search-index.js: the site's text for the search box, as a script that sets a global.

A script rather than JSON so that a site opened from disk (file://) can load it: browsers refuse
``fetch`` there, not ``<script src>``. It is loaded when the reader first searches. Each record
is a place a result links to: a page's title, a heading (``page.html#anchor``), a paragraph of
prose or a line of code (``page.html#L12``, with the API names that line called), and each entry
of api.html. The tokenising and matching are done in the browser (``tracekit.js``), so the file
holds each text once. Texts are inert (``render.text.inert``) and bounded, and the page inserts
them with ``textContent``; ``<``, ``>`` and ``&`` are escaped in the script as well.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any

from ..render.html import relative_href
from ..render.page import prose_html
from ..render.text import inert
from ..render.urls import site_depth
from ..source import Example
from ..trace import Trace
from .api_index import API_PAGE, ApiEntry, api_anchor, calls, reading_order
from .chapter import Chapter, Prose
from .model import Book
from .view import markup

__all__ = ["INDEX_FILE", "TITLE", "HEADING", "API", "PROSE", "CODE", "plain_blocks", "search_index"]

INDEX_FILE = "search-index.js"
#: the first bytes of the file, by which a build knows it as its own (site.journal.ours)
SIGNATURE = b"/* tracekit search index */\n"

# What a record is; the browser weighs a match by it (tracekit.js: WEIGHTS)
TITLE, HEADING, API, PROSE, CODE = 0, 1, 2, 3, 4

MAX_RECORD_CHARS = 600  # of a paragraph: enough to match on and to show a snippet from

_BLOCKS = {"p", "li", "pre", "blockquote", "dd", "dt", "td", "th", "figcaption", "div"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_PLACEHOLDER = re.compile(r"\{[^{}\n]*\}")


class _Blocks(HTMLParser):
    """Rendered prose → (heading anchor or None, text) blocks; math as its TeX (aria-label)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str | None, str]] = []
        self.text: list[str] = []
        self.heading: str | None = None
        self.skip = 0  # inside <math> (its label was taken) or <template>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if self.skip:
            self.skip += tag not in ("br", "img", "input", "hr", "mspace")
            return
        if tag in _HEADINGS or tag in _BLOCKS:
            self.flush()
            if tag in _HEADINGS:
                self.heading = a.get("id") or ""
        if tag == "span" and "math" in (a.get("class") or "").split():
            self.text.append(" " + (a.get("aria-label") or "") + " ")
            self.skip = 1
        elif tag in ("template", "math"):
            self.skip = 1

    def handle_endtag(self, tag: str) -> None:
        if self.skip:
            self.skip -= 1
            return
        if tag in _HEADINGS or tag in _BLOCKS:
            self.flush()

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.text.append(data)

    def flush(self) -> None:
        text = " ".join("".join(self.text).split())
        if text:
            self.blocks.append((self.heading if self.heading is not None else None, text))
        self.text = []
        self.heading = None


def plain_blocks(html: str) -> list[tuple[str | None, str]]:
    """(anchor of a heading, else None; its plain text) for each block of HTML prose."""
    parser = _Blocks()
    parser.feed(str(html))
    parser.close()
    parser.flush()
    return parser.blocks


class _Index:
    def __init__(self) -> None:
        self.pages: list[list[str]] = []
        self.records: list[list[Any]] = []

    def page(self, href: str, title: str, kind: str) -> int:
        self.pages.append([href, inert(title, 300), kind])
        return len(self.pages) - 1

    def add(self, page: int, anchor: str, kind: int, text: str, api: list[str] | None = None) -> None:
        text = " ".join(text.split())
        if not text and not api:
            return
        rec: list[Any] = [page, anchor, kind, inert(text, MAX_RECORD_CHARS)]
        if api:
            rec.append(" ".join(api))
        self.records.append(rec)

    def prose(self, page: int, html: str, at: str) -> str:
        """Records for rendered prose: headings link to themselves, paragraphs to AT or the
        heading above them. Returns the anchor in force after it."""
        for anchor, text in plain_blocks(html):
            if anchor is not None:
                at = anchor
                self.add(page, anchor, HEADING, text)
            else:
                self.add(page, at, PROSE, text)
        return at


def _example(index: _Index, page: int, example: Example, trace: Trace) -> None:
    intro, texts = prose_html(example)
    index.prose(page, intro, "")
    for block, html in zip(example.texts, texts, strict=True):
        index.prose(page, html, f"L{block.number}" if block.number else "")
    for item in example.items:
        # a line's own prose and notes; their placeholders are values of the run, not words
        for text in [item.prose] + [f"{note.name}: {note.text}" for note in item.notes]:
            if text.strip():
                for _anchor, plain in plain_blocks(markup(_PLACEHOLDER.sub("…", text))):
                    index.add(page, f"L{item.number}", PROSE, plain)
    shown = {ll.line: ll.number for ll in example.listing}
    called: dict[int, list[str]] = {}
    for line, name in calls(trace):
        if line in shown and name not in called.setdefault(shown[line], []):
            called[shown[line]].append(name)
    for ll in example.listing:
        if ll.text.strip():
            index.add(page, f"L{ll.number}", CODE, ll.text.strip(), called.get(ll.number))


def _chapter(index: _Index, page: int, chapter: Chapter) -> None:
    # the anchors the chapter page gives its headings: one set for all its prose, in order
    anchors: set[str] = set()
    at = ""
    if chapter.description:
        at = index.prose(page, markup(chapter.description), at)
    for part in chapter.parts:
        if isinstance(part, Prose):
            at = index.prose(page, markup(part.text, anchors=anchors), at)


def search_index(
    book: Book,
    loaded: Mapping[str, tuple[Example, Trace]],
    chapters: Mapping[str, Chapter | None],
    api: list[ApiEntry],
    *,
    api_href: str = API_PAGE,
) -> bytes:
    """The search index of the site: LOADED examples (rel → example, trace), CHAPTERS (rel → the
    parsed chapter, None when unreadable) and the API index (at API_HREF), pages in reading order."""
    index = _Index()
    for p in reading_order(book):
        if not p.html:
            continue
        got = loaded.get(p.rel)
        chapter = chapters.get(p.rel)
        if p.kind == "example" and got is None:
            continue
        n = index.page(relative_href(p.html), p.title, p.kind)
        index.add(n, "", TITLE, p.title)
        if got is not None:
            with site_depth(p.html.count("/")):  # as its page was rendered: prose_html's cache
                _example(index, n, *got)
        elif chapter is not None:
            _chapter(index, n, chapter)
    if api and api_href:
        n = index.page(api_href, "API used", "api")
        for e in api:
            index.add(n, api_anchor(e.name), API, e.name, [e.name])
    data = json.dumps(
        {"v": 1, "pages": index.pages, "records": index.records}, ensure_ascii=False, separators=(",", ":")
    )
    # a script, not JSON: nothing in it may end it or read as markup if it is ever inlined
    data = (
        data.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
    return SIGNATURE + b"window.TRACEKIT_SEARCH=" + data.encode("utf-8") + b";\n"
