"""The book: pages in reading order, grouped in parts, numbered, with previous/next links.

Order: pages (chapters and examples) sort by path with natural sort (``2-x`` before ``10-y``);
``order = [...]`` globs in ``[tool.tracekit]`` come first: a page's rank is the first glob it
matches (unmatched pages come after all of them), then its natural path. Each folder is a part,
ranked by its best page; pages at the top of the examples folder form a part without a header.
A folder's ``README.md`` is its header (first heading: the title; the rest: the intro), not a
chapter. An example embedded in a chapter is listed under that chapter, not as a section.

Reading time: words ÷ 200 plus listing lines ÷ 20 minutes, rounded up, at least 1 minute (a
line of code is read about as slowly as 10 words of prose). A chapter counts its embedded
examples' prose and shown lines too.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import PurePosixPath
from typing import Any

from ..prose import title_from_name

__all__ = ["Book", "Nav", "Page", "Part", "count_words", "natural_key", "part_header", "reading_minutes"]

WORDS_PER_MINUTE = 200
LINES_PER_MINUTE = 20


def natural_key(path: str) -> tuple[Any, ...]:
    """Sort key for PATH: runs of digits compare as numbers, case is ignored."""
    out: list[tuple[Any, ...]] = []
    for part in path.split("/"):
        out.append(tuple((0, int(t), t) if t.isdigit() else (1, 0, t.lower()) for t in re.split(r"(\d+)", part) if t))
    return tuple(out)


def reading_minutes(words: int, lines: int) -> int:
    """Minutes to read WORDS of prose and LINES of code (see the module docstring)."""
    return max(1, math.ceil(words / WORDS_PER_MINUTE + lines / LINES_PER_MINUTE))


def count_words(text: str) -> int:
    """Words a reader reads in Markdown TEXT (a formula counts as its words)."""
    return len([w for w in (text or "").split() if any(c.isalnum() for c in w)])


def part_header(text: str) -> tuple[str, str]:
    """A part's README.md → (title from its first heading, the rest as intro Markdown)."""
    lines = text.replace("\r\n", "\n").split("\n")
    for i, line in enumerate(lines):
        m = re.match(r"^ {0,3}#{1,6}\s+(.+?)\s*#*\s*$", line)
        if m:
            return m.group(1), "\n".join(lines[:i] + lines[i + 1 :]).strip()
    return "", text.strip()


@dataclass
class Page:
    rel: str  # source path relative to the examples folder (.py or .md)
    title: str
    html: str  # page path relative to the output root
    kind: str  # "chapter" | "example"
    status: str = "ok"
    words: int = 0
    lines: int = 0
    intro: str = ""
    intro_markup: str = "markdown"  # "rst" for a sphinx-gallery example's introduction
    embeds: list[str] = field(default_factory=list)  # a chapter's embedded examples, in order


@dataclass
class Part:
    folder: str  # "" for the top of the examples folder
    title: str
    intro: str
    number: int
    sections: list[Page] = field(default_factory=list)


@dataclass
class Nav:
    """Where one page is in the book."""

    page: Page
    section: int  # 1-based; for an embedded example, its chapter's
    total: int
    part: Part
    minutes: int
    prev: Page | None
    next: Page | None
    up: Page | None  # the chapter that embeds this example
    parts_with_titles: bool  # whether the book has more than one part


class Book:
    """Pages in reading order (see the module docstring)."""

    def __init__(
        self, pages: Sequence[Page], *, order: Sequence[str] = (), headers: dict[str, tuple[str, str]] | None = None
    ) -> None:
        headers = headers or {}
        self.pages = {p.rel: p for p in pages}
        embedded: dict[str, str] = {}
        for p in sorted(pages, key=lambda p: self._key(p.rel, order)):
            if p.kind == "chapter":
                for e in p.embeds:
                    if e in self.pages and self.pages[e].kind == "example":
                        embedded.setdefault(e, p.rel)
        self.embedded_in = embedded
        top = [p for p in pages if p.rel not in embedded]
        folders: dict[str, list[Page]] = {}
        for p in sorted(top, key=lambda p: self._key(p.rel, order)):
            folders.setdefault(str(PurePosixPath(p.rel).parent).replace(".", "", 1) if "/" in p.rel else "", []).append(
                p
            )
        ranked = sorted(
            folders, key=lambda f: (min(self._key(p.rel, order)[0] for p in folders[f]), f != "", natural_key(f))
        )
        self.parts: list[Part] = []
        for n, folder in enumerate(ranked, 1):
            title, intro = headers.get(folder, ("", ""))
            if not title and folder:
                title = title_from_name(PurePosixPath(folder).name)
            self.parts.append(Part(folder, title, intro, n, folders[folder]))
        self.sections = [p for part in self.parts for p in part.sections]
        self._part_of = {p.rel: part for part in self.parts for p in part.sections}

    @staticmethod
    def _key(rel: str, order: Sequence[str]) -> tuple[Any, ...]:
        rank = next(
            (i for i, g in enumerate(order) if fnmatchcase(rel, g) or fnmatchcase(rel, g.rstrip("/") + "/*")),
            len(order),
        )
        return (rank, natural_key(rel))

    def children(self, chapter: Page) -> list[Page]:
        """The examples listed under CHAPTER (those it is the first to embed)."""
        return [self.pages[e] for e in dict.fromkeys(chapter.embeds) if self.embedded_in.get(e) == chapter.rel]

    def minutes(self, page: Page) -> int:
        words, lines = page.words, page.lines
        if page.kind == "chapter":
            for e in dict.fromkeys(page.embeds):
                if e in self.pages:
                    words += self.pages[e].words
                    lines += self.pages[e].lines
        return reading_minutes(words, lines)

    def nav(self, rel: str) -> Nav:
        page = self.pages[rel]
        up = self.pages.get(self.embedded_in.get(rel, ""))
        anchor = up or page
        i = self.sections.index(anchor)
        before = self.sections[i - 1] if i > 0 else None
        after = self.sections[i + 1] if i + 1 < len(self.sections) else None
        prev, nxt = before, after
        if up is not None:
            siblings = self.children(up)
            j = siblings.index(page)
            prev = siblings[j - 1] if j > 0 else up
            nxt = siblings[j + 1] if j + 1 < len(siblings) else after
        return Nav(
            page,
            i + 1,
            len(self.sections),
            self._part_of[anchor.rel],
            self.minutes(page),
            prev,
            nxt,
            up,
            len(self.parts) > 1 or bool(self.parts and self.parts[0].title),
        )
