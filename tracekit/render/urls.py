"""The URL policy: which link targets an author's prose may put on a page, for every renderer.

Public API::

    allowed(url, *, image=False, depth=None) -> bool
    site_depth(depth)   context manager: pages rendered within sit DEPTH folders below the site root
    current_depth() -> int | None

Allowed: ``http:``, ``https:`` and ``mailto:`` (not for pictures) addresses, fragments
(``#x``), queries and relative paths. Everything else is refused, whatever its case and
whatever an author hides in it: a scheme is read as a browser reads it, after HTML entities are
decoded (``&colon;``, ``&#x09;``), tabs and line breaks inside are dropped and controls and
spaces around it are stripped; so ``javascript:``, ``vbscript:``, ``data:`` and ``file:`` are
refused in every spelling. A relative path may not leave the site: no absolute path (``/etc``),
no ``//host`` or backslash (browsers read ``\\`` as ``/``), no control character, and, where the
page's place in the site is known, no more ``..`` (``%2e%2e`` too) than the page is deep.

Markdown (render/markup.py, markdown-it's ``validateLink``), reStructuredText (references
after docutils resolves them), chapters and part introductions (both Markdown) and the
notebook's Markdown cells (notebook.py) all ask this module; a refused target is shown as text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from html import unescape
from urllib.parse import unquote

__all__ = ["SCHEMES", "allowed", "current_depth", "site_depth"]

#: the schemes a link may use (lower case); pictures may not use mailto
SCHEMES = frozenset({"http", "https", "mailto"})

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_BROWSER_DROPS = re.compile(r"[\t\n\r]")
_STRIPPED = "".join(map(chr, range(33))) + "\x7f"  # C0 controls and space, as a browser strips them

_DEPTH: ContextVar[int | None] = ContextVar("tracekit_site_depth", default=None)


@contextmanager
def site_depth(depth: int) -> Iterator[None]:
    """Within the block, relative links are checked against a page DEPTH folders below the site root."""
    token = _DEPTH.set(depth)
    try:
        yield
    finally:
        _DEPTH.reset(token)


def current_depth() -> int | None:
    """The depth ``site_depth`` set (None outside it)."""
    return _DEPTH.get()


def _as_browser_reads(url: str) -> str:
    """URL as a browser would take it from an attribute: entities decoded, tabs and line
    breaks dropped, controls and spaces around it stripped."""
    text = unescape(unescape(url))  # twice: `&amp;#58;` is still meant as a colon by whoever wrote it
    return _BROWSER_DROPS.sub("", text).strip(_STRIPPED)


def allowed(url: str, *, image: bool = False, depth: int | None = None) -> bool:
    """Whether URL may be a link's target (IMAGE: a picture's source) on a page DEPTH folders
    below the site root (default: the depth set by ``site_depth``; unknown: ``..`` is not counted)."""
    text = _as_browser_reads(url)
    if _CONTROL.search(text) or "\\" in text:
        return False
    scheme = _SCHEME.match(text)
    if scheme is not None:
        return scheme.group(1).lower() in (SCHEMES - {"mailto"} if image else SCHEMES)
    if text.startswith("/"):  # an absolute path (the disk's root on a file:// page) or //host
        return False
    path = re.split(r"[?#]", text, maxsplit=1)[0]
    if ":" in path.split("/", 1)[0]:  # `a:b` with a scheme a browser would not read: ambiguous
        return False
    limit = _DEPTH.get() if depth is None else depth
    if limit is None:
        return True
    level = 0
    for part in unquote(path).split("/"):
        if part == "..":
            level -= 1
            if level < -limit:
                return False
        elif part not in ("", "."):
            level += 1
    return True
