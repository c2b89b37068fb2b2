"""api.html: every function, method and class the examples called, with each line that called it.

The names are the run's: the child names each callee by its canonical public path
(``tracekit/child/apiname.py``), so ``nn.Linear(2, 3)`` and ``torch.nn.modules.linear.Linear(2, 3)`` are one
entry, ``torch.nn.Linear``. The examples' own functions and classes (the trace marks their calls
``own``) are left out; builtins are in (``print``, ``list.append``).
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..source import Example
from ..trace import Trace
from .model import Book, Page
from .view import href_between

__all__ = ["API_PAGE", "ApiEntry", "Use", "api_anchor", "collect_api", "reading_order", "render_api"]

API_PAGE = "api.html"

_BUILTINS = {n for n in dir(builtins) if not n.startswith("_")}


@dataclass
class Use:
    """The lines of one page that called an entry (display numbers, as the listing shows them)."""

    page: Page
    lines: list[int] = field(default_factory=list)


@dataclass
class ApiEntry:
    name: str
    uses: list[Use] = field(default_factory=list)

    @property
    def package(self) -> str:
        """``torch`` for ``torch.nn.Linear``; builtins (``print``, ``list.append``) are ``builtins``."""
        head = self.name.split(".", 1)[0]
        return "builtins" if head in _BUILTINS else head

    @property
    def count(self) -> int:
        return sum(len(u.lines) for u in self.uses)


def api_anchor(name: str) -> str:
    """The entry's id on api.html (names are dotted identifiers: nothing to escape)."""
    return "api-" + name


def reading_order(book: Book) -> list[Page]:
    """Every page of BOOK in reading order: each section, then the examples its chapter lists."""
    out: list[Page] = []
    for p in book.sections:
        out.append(p)
        if p.kind == "chapter":
            out += book.children(p)
    seen = {p.rel for p in out}
    return out + [p for rel, p in sorted(book.pages.items()) if rel not in seen]


def calls(trace: Trace) -> list[tuple[int, str]]:
    """(original line, canonical name) of every library call the trace recorded."""
    out: list[tuple[int, str]] = []
    for line in trace.lines:
        for rec in line.records:
            for ev in rec.events:
                if ev.role != "call" or ev.extra.get("own"):
                    continue
                name = ev.qualname
                if not name or any(not part.isidentifier() for part in name.split(".")):
                    continue
                if "." not in name and name not in _BUILTINS:
                    continue  # a trace from before calls were marked "own": a bare name is the script's
                out.append((line.line, name))
    return out


def collect_api(book: Book, loaded: Mapping[str, tuple[Example, Trace]]) -> list[ApiEntry]:
    """The API the examples of LOADED (rel → example, trace) called, sorted by name; each entry's
    uses in reading order."""
    entries: dict[str, ApiEntry] = {}
    for page in reading_order(book):
        got = loaded.get(page.rel)
        if page.kind != "example" or got is None or not page.html:
            continue
        example, trace = got
        shown = {ll.line: ll.number for ll in example.listing}
        for line, name in calls(trace):
            number = shown.get(line)
            if number is None:  # a hidden statement: no line to link to
                continue
            entry = entries.setdefault(name, ApiEntry(name))
            if not entry.uses or entry.uses[-1].page is not page:
                entry.uses.append(Use(page))
            if number not in entry.uses[-1].lines:
                entry.uses[-1].lines.append(number)
    for entry in entries.values():
        for use in entry.uses:
            use.lines.sort()
    return [entries[k] for k in sorted(entries, key=lambda n: (n.lower(), n))]


def render_api(entries: list[ApiEntry], *, title: str, assets: Mapping[str, str]) -> str:
    """api.html: the entries grouped by package (builtins first), each linking to its lines."""
    from ..render.html import asset_href, jinja_env

    groups: dict[str, list[ApiEntry]] = {}
    for e in entries:
        groups.setdefault(e.package, []).append(e)
    order = sorted(groups, key=lambda g: (g != "builtins", g.lower()))
    return (
        jinja_env()
        .get_template("api.html")
        .render(
            title=title,
            groups=[(g, groups[g]) for g in order],
            total=len(entries),
            href=lambda page, line=0: href_between(API_PAGE, page.html) + (f"#L{line}" if line else ""),
            anchor=api_anchor,
            css=asset_href(assets, "", ".css"),
            js=asset_href(assets, "", ".js"),
        )
    )
