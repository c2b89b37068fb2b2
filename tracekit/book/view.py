"""Book pages: navigation around a page, chapter pages with embedded listings, the table of contents."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from ..render.markup import links, render_markdown, render_rst
from ..render.page import TraceLike, build_view
from ..render.text import FIGURES_DIR
from ..render.urls import site_depth
from ..render.view import PageView
from ..source import Example
from .chapter import Chapter, Embed, Prose, Ref
from .model import Book, Nav, Page

__all__ = [
    "ChapterPart",
    "Link",
    "NavView",
    "chapter_warnings",
    "href_between",
    "nav_view",
    "render_chapter",
    "render_toc",
    "shown_ranges",
    "source_link_map",
]


def markup(text: str, *, link: Callable[[str], str] | None = None, anchors: set[str] | None = None) -> Markup:
    """Book prose (chapters, part intros, the site's description): Markdown where braces are text."""
    return render_markdown(text, placeholders=False, link=link, anchors=anchors)


def href_between(from_page: str, to: str) -> str:
    """A relative link from the page at FROM_PAGE to TO (both relative to the output root)."""
    from ..render.html import relative_href

    return relative_href(posixpath.relpath(to, posixpath.dirname(from_page) or "."))


@dataclass
class Link:
    title: str
    href: str
    label: str = ""


@dataclass
class TocItem:
    title: str
    href: str
    current: bool
    status: str
    minutes: int
    kind: str
    children: list[TocItem] = field(default_factory=list)
    intro: Markup = Markup("")  # the first paragraph of a section's introduction (index only)


@dataclass
class TocPart:
    title: str
    intro: Markup
    items: list[TocItem]
    start: int = 1  # the number of its first section: numbering runs through the book, as "Section n of m" does


@dataclass
class NavView:
    where: str  # "Part 2 · Section 5 of 11"
    minutes: int
    home: Link
    part: str
    up: Link | None
    prev: Link | None
    next: Link | None
    toc: list[TocPart]
    downloads: list[Link]
    root: str = ""  # from the page to the site's root ("", "../"): the search box loads its index there


def _toc(
    book: Book, here: str | None, page_href: Callable[[Page], str], link: Callable[[str], str], depth: int = 0
) -> list[TocPart]:
    with site_depth(depth):
        return _toc_parts(book, here, page_href, link)


def _toc_parts(
    book: Book, here: str | None, page_href: Callable[[Page], str], link: Callable[[str], str]
) -> list[TocPart]:
    parts: list[TocPart] = []
    for part in book.parts:
        items = []
        for p in part.sections:
            kids = [
                TocItem(k.title, page_href(k), k.rel == here, k.status, book.minutes(k), k.kind)
                for k in (book.children(p) if p.kind == "chapter" else [])
            ]
            intro = Markup("")
            if p.intro and here is None:
                first = p.intro.split("\n\n", 1)[0]
                intro = render_rst(first, heading_shift=None) if p.intro_markup == "rst" else markup(first, link=link)
            items.append(TocItem(p.title, page_href(p), p.rel == here, p.status, book.minutes(p), p.kind, kids, intro))
        start = sum(len(done.items) for done in parts) + 1
        parts.append(TocPart(part.title, markup(part.intro, link=link) if part.intro else Markup(""), items, start))
    return parts


def nav_view(book: Book, rel: str, *, site_title: str, downloads: list[tuple[str, str]] = ()) -> NavView:  # type: ignore[assignment]
    """Where the page of REL is, with every link relative to that page. DOWNLOADS: (label, output path)."""
    nav: Nav = book.nav(rel)
    here = nav.page.html

    def href(p: Page) -> str:
        return href_between(here, p.html) if p.html else ""

    def link(p: Page | None, label: str) -> Link | None:
        return Link(p.title, href(p), label) if p is not None and p.html else None

    where = f"Section {nav.section} of {nav.total}"
    if nav.parts_with_titles and nav.part.title:
        where = f"Part {nav.part.number} · {where}"
    if nav.up is not None:  # an embedded example: which of its chapter's listings it is
        siblings = book.children(nav.up)
        where += f" · listing {siblings.index(nav.page) + 1} of {len(siblings)}"
    return NavView(
        where=where,
        minutes=nav.minutes,
        home=Link(site_title, href_between(here, "index.html")),
        part=nav.part.title,
        up=link(nav.up, "Chapter"),
        prev=link(nav.prev, "Previous"),
        next=link(nav.next, "Next"),
        toc=_toc(book, rel, href, source_link_map(book, rel), here.count("/")),
        downloads=[Link(label, href_between(here, target)) for label, target in downloads],
        root="../" * here.count("/"),
    )


_EXTERNAL = re.compile(r"^[a-z][a-z0-9+.\-]*:|^//|^#", re.I)


def source_link_map(book: Book, rel: str, at: str | None = None) -> Callable[[str], str]:
    """Links in the prose of REL: ``x.py`` / ``x.md`` (relative to REL) → their pages, as seen from
    the page AT (default: REL's own page; a chapter shows an embedded example's prose)."""
    here = at or (book.pages[rel].html if rel in book.pages else rel)

    def link(href: str) -> str:
        if not href or _EXTERNAL.match(href):
            return href
        path, hash_, frag = href.partition("#")
        if not path.endswith((".py", ".md")):
            return href
        target = posixpath.normpath(posixpath.join(posixpath.dirname(rel), path))
        page = book.pages.get(target)
        if page is None or not page.html:
            return href
        return href_between(here, page.html) + (hash_ + frag if hash_ else "")

    return link


@dataclass
class ChapterPart:
    kind: str  # "prose" | "listing" | "error"
    html: Markup = Markup("")
    prefix: str = ""
    view: PageView | None = None
    blocks: list[Any] = field(default_factory=list)
    show_listing: bool = True
    show_intro: bool = True
    show_title: bool = True  # False: the host page's own heading is the title (an embed's :hide-title:)
    title: str = ""
    page_href: str = ""
    file_name: str = ""
    caption: Markup = Markup("")
    message: str = ""
    line: int = 0
    varied: Any = None  # the runs of a varied example (render/variants.VariantSet)
    notes: list[tuple[int, str]] = field(
        default_factory=list
    )  # (chapter line, warning) for the build, e.g. a link leading nowhere


def _dead_link(book: Book, ref: Ref) -> str:
    """Why the chapter's link REF to a ``.md``/``.py`` file leads to no page ("" when it does)."""
    if ref.target is None:
        return f"links to {ref.written}, which is outside the examples folder"
    page = book.pages.get(ref.target)
    if page is None or not page.html:
        return (
            f"links to {ref.written}, which is no chapter or example of this book (no such file, a helper, a part "
            f"header or excluded)"
        )
    return ""


def in_ranges(block: Any, ranges: list[tuple[int, int]]) -> bool:
    first = int(getattr(block, "number", None) or getattr(block, "start", 0) or 0)
    last = int(getattr(block, "end_number", None) or getattr(block, "end", first) or first)
    return any(first <= b and last >= a for a, b in ranges)


def shown_ranges(example: Example, lines: list[tuple[int, int]] | None) -> list[tuple[int, int]] | None:
    """`:lines:` ranges, in the file's line numbers, as ranges of the listing's own numbers (what
    the cards carry); a range that selects no listing line is left out. None: no `:lines:`."""
    if not lines:
        return None
    out: list[tuple[int, int]] = []
    for a, b in lines:
        numbers = [ll.number for ll in example.listing if a <= ll.line <= b and ll.text.strip()]
        if numbers:
            out.append((numbers[0], numbers[-1]))
    return out


def chapter_parts(
    chapter: Chapter, book: Book, examples: Mapping[str, tuple[Example, TraceLike] | str], html_rel: str
) -> list[ChapterPart]:
    """The chapter's prose and listings. EXAMPLES: embedded path → (example, trace), or why it cannot be shown."""
    with site_depth(html_rel.count("/")):
        return _chapter_parts(chapter, book, examples, html_rel)


def _chapter_parts(
    chapter: Chapter, book: Book, examples: Mapping[str, tuple[Example, TraceLike] | str], html_rel: str
) -> list[ChapterPart]:
    link = source_link_map(book, chapter.path)
    anchors: set[str] = set()  # heading ids, unique on the page (listing ids start with x<N>-)
    parts: list[ChapterPart] = []
    n = 0
    for part in chapter.parts:
        if isinstance(part, Prose):
            notes = [(ref.line, why) for ref in part.refs if ref.kind == "page" and (why := _dead_link(book, ref))]
            parts.append(
                ChapterPart("prose", markup(part.text, link=link, anchors=anchors), line=part.line, notes=notes)
            )
            continue
        embed: Embed = part
        got = examples.get(embed.target)
        if embed.errors:  # a bad option fails this listing only: the error shows in its place
            message = "; ".join(f"line {line}: {text}" for line, text in embed.errors)
            parts.append(ChapterPart("error", message=message, line=embed.line, file_name=embed.path))
            continue
        if not isinstance(got, tuple):
            parts.append(
                ChapterPart("error", message=got or f"{embed.path}: not found", line=embed.line, file_name=embed.path)
            )
            continue
        n += 1
        example, trace = got
        # its prose's links are the author's, relative to the example's own folder
        from ..render.html import page_variants

        ranges = shown_ranges(example, embed.lines)
        if ranges == []:  # the build names the range (site/book_site.py): nothing of it is shown here
            parts.append(
                ChapterPart(
                    "error",
                    message=f"line {embed.line}: :lines: selects no line of {embed.target}",
                    line=embed.line,
                    file_name=embed.path,
                )
            )
            continue

        def chosen(view: PageView, ranges: Any = ranges) -> list[Any]:
            return [b for b in view.blocks if in_ranges(b, ranges)] if ranges else list(view.blocks)

        with links(source_link_map(book, embed.target, at=html_rel)), site_depth(embed.target.count("/")):
            view = build_view(example, trace)
            fig_root = "../" * html_rel.count("/") + FIGURES_DIR + "/"
            varied = page_variants(
                example, trace, f"x{n}-", fig_root, blocks=chosen, show_listing=not embed.hide_listing
            )
        blocks = chosen(view)
        page = book.pages.get(embed.target)
        parts.append(
            ChapterPart(
                "listing",
                prefix=f"x{n}-",
                view=view,
                blocks=blocks,
                show_listing=not embed.hide_listing,
                show_intro=not embed.hide_intro,
                title=view.title,
                page_href=href_between(html_rel, page.html) if page is not None and page.html else "",
                file_name=view.file_name,
                caption=markup(embed.caption, link=link) if embed.caption else Markup(""),
                line=embed.line,
                varied=varied,
            )
        )
    return parts


def _at(html_rel: str, text: str, link: Callable[[str], str] | None = None) -> Markup:
    """Book prose for the page at HTML_REL, its links checked against that page's place."""
    if not text:
        return Markup("")
    with site_depth(html_rel.count("/")):
        return markup(text, link=link)


def chapter_warnings(path: str, parts: list[ChapterPart]) -> list[str]:
    """What rendering the chapter at PATH warned about (math shown as TeX, prose cut, links to no
    page), by file and line."""
    out: list[str] = []
    for part in parts:
        for markup_ in (part.html, part.caption):
            out += [f"{path}:{part.line}: {w}" for w in getattr(markup_, "warnings", ())]
        out += [f"{path}:{line}: {note}" for line, note in part.notes]
    return out


def render_chapter(
    chapter: Chapter, parts: list[ChapterPart], nav: NavView | None, *, assets: Mapping[str, str], html_rel: str
) -> str:
    """The chapter's HTML page."""
    from ..render.html import asset_href, jinja_env, norm_root

    root = norm_root("../" * html_rel.count("/"))
    return (
        jinja_env()
        .get_template("chapter.html")
        .render(
            chapter=chapter,
            description=_at(html_rel, chapter.description),
            parts=parts,
            nav=nav,
            css=asset_href(assets, root, ".css"),
            js=asset_href(assets, root, ".js"),
            fig_root=root + FIGURES_DIR + "/",
            index_href=root + "index.html",
        )
    )


def render_toc(book: Book, *, title: str, description: str, assets: Mapping[str, str], api_href: str = "") -> str:
    """index.html: the site's title and introduction, then the table of contents (and API_HREF,
    the index of the API the examples called, where the site has one)."""
    from ..render.html import asset_href, jinja_env

    toc = _toc(book, None, lambda p: href_between("index.html", p.html) if p.html else "", lambda h: h)
    counts: dict[str, int] = {}
    for p in book.pages.values():
        if p.kind == "example":
            counts[p.status] = counts.get(p.status, 0) + 1
    order = ["ok", "expected error", "failed", "skipped"]
    summary = [(s, counts[s]) for s in order if s in counts]
    chapters = sum(1 for p in book.pages.values() if p.kind == "chapter")
    return (
        jinja_env()
        .get_template("toc.html")
        .render(
            title=title,
            description=_at("index.html", description, link=source_link_map(book, "index.md")),
            toc=toc,
            sections=len(book.sections),
            chapters=chapters,
            total=sum(counts.values()),
            summary=summary,
            api_href=api_href,
            css=asset_href(assets, "", ".css"),
            js=asset_href(assets, "", ".js"),
        )
    )
