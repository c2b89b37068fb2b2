"""The book stage's search index and API page: ``search-index.js`` and ``api.html`` at the site root.

The index keeps one name, not a content hash as the CSS and JS have: every page refers to it, so
a hashed name would rewrite every page whenever any text changed, where a chapter edit now
rewrites that chapter only. Pages load it only when the reader searches.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..book.api_index import API_PAGE, collect_api, render_api
from ..book.model import Book
from ..book.search import INDEX_FILE, search_index
from ..trace import Trace

__all__ = ["API_NAMES", "api_page", "write_search"]

#: api.html, unless an example or chapter has that page: then the next free one
API_NAMES = (API_PAGE, "api-used.html", "tracekit-api.html")


def api_page(book: Book) -> str:
    """The API page's name in BOOK's site: the first of API_NAMES no page of the book has."""
    taken = {p.html for p in book.pages.values()}
    return next((n for n in API_NAMES if n not in taken), "")


def write_search(
    book: Book,
    loaded: Mapping[str, tuple[Any, Trace]],
    chapters: Mapping[str, Any],
    title: str,
    assets: Mapping[str, str],
    put: Callable[[str, bytes], str],
    site: dict[str, str],
) -> str:
    """Write the API page and the search index through PUT (recording them in SITE); return the
    API page's name ("" when every name is taken). CHAPTERS: rel → a ChapterResult."""
    entries = collect_api(book, loaded)
    name = api_page(book)
    if name:
        site[name] = put(name, render_api(entries, title=title, assets=assets).encode("utf-8"))
    parsed = {rel: getattr(r, "chapter", None) for rel, r in chapters.items()}
    site[INDEX_FILE] = put(INDEX_FILE, search_index(book, loaded, parsed, entries if name else [], api_href=name))
    return name
