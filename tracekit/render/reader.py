"""The reader's first view of a tutorial page, and big values shown once on every page.

A page whose prose comes from gallery blocks, percent cells, notebooks or comment sections opens
as its reader expects: each cell's code as one block, then what the cell printed, drew, ended
with (its last bare expression) and changed, one line per name. Each statement's full state
stays in the page, in a closed ``<details>`` under its code line; a statement that ran more than
once gets the cards' hit pager there (its first hits and its last, recorded in the one run).

What teaches nothing is left out of that first view (it stays in the full state): see
``noise``, documented in docs/authoring.md.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..trace import Line
from .entries import api_entries, error_entry, final_entries, header_code, record_entries
from .values import BIG, content, fmt_shape, text_entry, value_entry, value_text
from .view import Brief, Card, Entry, Figure, Fold, FoldGroup, Hit, HitPager, ListingRow, Section

if TYPE_CHECKING:
    from .page import PageBuilder

MAX_CHANGED = 8  # names listed under a cell; the rest are counted
BRIEF_CHARS = 72  # a changed value's text in the first view, on one line

# ─────────────────────────────────────────────────────────────────────────────
# Library noise: results that teach nothing
# ─────────────────────────────────────────────────────────────────────────────

#: Types whose values are left out of the first view (their module, or the type itself).
NOISE_MODULES = ("matplotlib.",)
NOISE_TYPES = frozenset(
    {
        "NoneType",
        "torch._C.Generator",  # torch.manual_seed(0)
        "torch.utils.hooks.RemovableHandle",  # register_*_hook
        "torch.autograd.grad_mode.no_grad",
        "torch.autograd.grad_mode.enable_grad",
        "torch.autograd.grad_mode.set_grad_enabled",
    }
)
_ARTISTS = re.compile(r"^[\[(]\s*(?:<matplotlib\.[^<>]*>\s*,?\s*)+[\])]$")
_METHOD_CALL = re.compile(r"^\s*([A-Za-z_][\w.]*)\.\w+\(.*\)\s*$", re.S)


def noise(v: Mapping[str, Any] | None, code: str = "", known: Mapping[str, Mapping[str, Any]] | None = None) -> bool:
    """Does value V teach nothing in a first view? None; a value of a type in NOISE_MODULES or
    NOISE_TYPES; a list or tuple of such objects only (``[<matplotlib.lines.Line2D …>]``); and
    one pattern: a method call whose result is the object it was called on (``model.train()``,
    ``.eval()``, ``.to(device)``), known by CODE and the receiver's value in KNOWN."""
    if not v:
        return True
    typ = str(v.get("type") or "")
    text = str(v.get("repr") or "")
    if typ in NOISE_TYPES or typ.startswith(NOISE_MODULES) or text == "None":
        return True
    if typ in ("list", "tuple") and _ARTISTS.match(" ".join(text.split())):
        return True
    m = _METHOD_CALL.match(code)
    if m and known is not None:
        before = known.get(m.group(1))
        if before is not None and before.get("type") == typ and before.get("repr") == text:
            return True
    return False


def _quiet(v: Mapping[str, Any] | None) -> bool:
    """A bound value not worth a line of its own: noise, a module, a function or a class."""
    typ = str((v or {}).get("type") or "")
    return (
        noise(v)
        or typ in ("module", "function", "type", "builtin_function_or_method")
        or str((v or {}).get("repr", "")).startswith("<module ")
    )


# ─────────────────────────────────────────────────────────────────────────────
# Cells
# ─────────────────────────────────────────────────────────────────────────────


class FirstView:
    """Fills in the reader's first view of each cell, in page order."""

    def __init__(self, page: PageBuilder) -> None:
        self.page = page
        self.lines = sorted(page.trace.lines, key=lambda ln: ln.line)
        self.starts = [ln.line for ln in self.lines]
        self.file_line = {ll.number: ll.line for ll in page.listing}
        self.stdout = page.trace.stdout
        self.cursor = 0  # how much of stdout the cells before have shown
        self.known: dict[str, Mapping[str, Any]] = {}  # name → its last value so far
        self.shown = Shown()

    def fill(self, blocks: Iterable[Card | Fold | Section]) -> None:
        for b in blocks:
            if isinstance(b, Section):
                self.cell(b)
            if isinstance(b, (Section, Fold)):
                for g in b.groups:
                    self.pager(g)

    def pager(self, group: FoldGroup) -> None:
        """A statement that ran more than once steps through its recorded hits, as a card does:
        the functions it called above them, what every hit printed and its values after the
        loop below them. Its figures stay the cell's."""
        if group.plain or group.hit_count < 2 or not group.lines:
            return
        it = self.page.item_at.get(group.lines[0].number)
        line = self.page.line_for(it) if it is not None else None
        if it is None or line is None or not line.records:
            return
        records = line.records
        hits = [Hit(r.hit, *record_entries(r, it), probes=dict(r.probes), last=r.last) for r in records]
        page = self.page
        if (
            page.on_error_line(it)
            and page.err is not None
            and not any(t.kind == "exception" for h in hits for t in h.tail)
        ):
            hits[-1].tail.append(error_entry(page.err, expected=page.status == "expected error"))
        unit = "call" if re.match(r"\s*(?:async\s+)?def\b", header_code(it)) else "hit"
        group.pager = HitPager(hits, line.hits, len(records), unit, line.exceptions)
        group.api = api_entries(it, records)
        everything = "".join(r.output for r in records if not r.last) + line.output_later
        if everything and everything != records[0].output:  # as the first view's Output has it, by line
            group.after.append(text_entry("output", f"output of all {line.hits} hits", everything.removesuffix("\n")))
        group.after += final_entries(line, it)

    def span(self, section: Section) -> list[Line]:
        """The trace's lines inside the cell's code, in file order."""
        lines = [self.file_line[c.number] for g in section.groups for c in g.lines if c.number in self.file_line]
        if not lines:
            return []
        return self.lines[bisect_left(self.starts, min(lines)) : bisect_right(self.starts, max(lines))]

    def cell(self, section: Section) -> None:
        section.reader = True
        self.unreached(section)
        lines = self.span(section)
        section.output = self.output(lines)
        section.figures = self.figures(section, lines)
        known = dict(self.known)  # a method returning its receiver compares with the value before the cell
        section.changed, section.more_changed = self.changed(lines)
        if section.output is not None:  # a value the cell printed as it is is shown already
            printed = set(section.output.text.splitlines())
            section.changed = [c for c in section.changed if c.ref or c.text not in printed]
        section.result = self.result(section, known)

    @staticmethod
    def unreached(section: Section) -> None:
        """Every line after one the run never reached is unreached too; the last of each run of
        them says so, for all of them (the first view shows them dimmed, not in closed details)."""
        after, count = False, 0
        for i, g in enumerate(section.groups):
            after = g.unreached = after or g.unreached
            if not after:
                continue
            count += len(g.lines)
            g.note = ""
            if i + 1 == len(section.groups):
                g.note = f"not reached: the run stopped before {'this line' if count == 1 else 'these lines'}"

    def output(self, lines: list[Line]) -> Entry | None:
        """Everything the cell printed: as stdout has it where the lines' outputs are its next
        stretch (a loop printing from two lines interleaves them), else line by line."""
        pieces = ["".join(r.output for r in ln.records if not r.last) + ln.output_later for ln in lines]
        text = "".join(pieces)
        if not text:
            return None
        stretch = self.stdout[self.cursor : self.cursor + len(text)]
        if sorted(stretch.splitlines()) == sorted(text.splitlines()):
            text = stretch
            self.cursor += len(stretch)
        return text_entry("output", "output", text.removesuffix("\n"))

    def figures(self, section: Section, lines: list[Line]) -> list[Figure]:
        """The cell's figures, in the order they were drawn: its statements' and those drawn on the
        lines inside it (a loop's body, a function it defines and calls)."""
        out: list[Figure] = []
        for g in section.groups:
            out += g.figures
            g.figures = []
        figs = self.page.figs
        inside = {ln.line for ln in lines}
        for i, drawn in enumerate(figs.entries):
            if not figs.used[i] and drawn.line in inside:
                taken = figs.take(drawn.file, drawn.line, drawn.hit)
                if taken is not None:
                    out.append(taken)
        out.sort(key=lambda f: f.number if f.number is not None else 0)
        for f in out:
            f.say_hit = False
        return out

    def result(self, section: Section, known: Mapping[str, Mapping[str, Any]]) -> Entry | None:
        """The value of the cell's last statement when it is a bare expression (as a notebook shows it)."""
        last = next((g for g in reversed(section.groups) if not g.plain), None)
        if last is None or not last.lines:
            return None
        it = self.page.item_at.get(last.lines[0].number)
        line = self.page.line_for(it) if it is not None else None
        if it is None or line is None or not line.records:
            return None
        code = " ".join(it.code.split())
        for ev in line.records[0].events:
            if ev.role == "expr" and " ".join(ev.text.split()) == code:
                if noise(ev.value, it.code, known) or noise(ev.value, it.code, self.known):
                    return None
                e = value_entry("result", "", ev.value, it, label="")
                return self.shown.once(e, "", last.lines[0].number) or e
        return None

    def changed(self, lines: list[Line]) -> tuple[list[Brief], int]:
        """What the cell's module-level lines bound or changed, one line per name, last value kept."""
        values: dict[str, tuple[Mapping[str, Any] | None, str, int]] = {}  # name → (value, summary, listing number)
        after_loop: set[str] = set()  # names a loop above left with their values at its end
        for ln in lines:
            if ln.function not in (None, "<module>") or not ln.records:
                continue
            number = self.page.line_map.get(ln.line, ln.line)
            rec = ln.records[-1]
            # a loop body's latest record may be a thinned hit, not its last: the value its loop
            # ended with (read after the loop, on its header's line above) is the later one
            stale = rec.hit + 1 < ln.hits
            for ev in rec.events:
                name = " ".join(ev.text.split())
                if stale and name in after_loop:
                    continue
                if ev.role == "bind" and name != "_" and not _quiet(ev.value):
                    values.pop(name, None)
                    values[name] = (ev.value, "", number)
                elif ev.role == "change":
                    values.pop(name, None)
                    values[name] = (ev.value, ev.summary or "", number)
            for f in ln.final:
                for val in f.get("values") or []:
                    name = str(val.get("name") or "")
                    if name and not _quiet(val.get("value")):
                        values.pop(name, None)
                        values[name] = (val.get("value"), "", number)
                        after_loop.add(name)
        # a dotted name whose root is listed is part of that row (model.fc.weight under model)
        roots = {n for n in values if "." not in n}
        names = [n for n in values if "." not in n or n.split(".", 1)[0] not in roots]
        out: list[Brief] = []
        for name in names:
            v, summary, number = values[name]
            if v is not None:
                self.known[name] = v
            if len(out) == MAX_CHANGED:
                continue
            out.append(self.shown.brief(name, v, summary, number))
        return out, max(0, len(names) - MAX_CHANGED)


def brief_text(v: Mapping[str, Any] | None, summary: str = "") -> tuple[str, str]:
    """A value on one bounded line, and its shape or length."""
    if summary and not v:
        return _short(summary), ""
    v = v or {}
    text = _short(value_text(v))
    detail = ""
    if isinstance(v.get("shape"), list) and v["shape"]:
        detail = fmt_shape(v["shape"])
    elif isinstance(v.get("len"), int) and v.get("type") not in ("str",):
        detail = f"len {v['len']}"
    if summary:
        text = f"{text} ({_short(summary)})"
    return text, detail


def _short(text: str) -> str:
    """TEXT on one line of at most BRIEF_CHARS characters."""
    text = " ".join(text.split())
    return text if len(text) <= BRIEF_CHARS else text[: BRIEF_CHARS - 1].rstrip() + "…"


# ─────────────────────────────────────────────────────────────────────────────
# Big values once
# ─────────────────────────────────────────────────────────────────────────────


class Shown:
    """The big values a page's first view has shown, by content: where each was shown last."""

    def __init__(self) -> None:
        self.where: dict[str, tuple[int, str]] = {}  # content key → (listing number, anchor)

    def seen(self, key: str, size: int) -> tuple[int, str] | None:
        return self.where.get(key) if key and size > BIG else None

    def once(self, e: Entry, name: str, number: int, anchor: str = "") -> Entry | None:
        """E, shown at NUMBER: None the first time (it is shown and remembered), else E
        rewritten as a reference to where it was shown."""
        if not e.key or e.size <= BIG:
            return None
        before = self.where.get(e.key)
        if before is None:
            self.where[e.key] = (number, anchor or f"#f-{number}")
            return None
        at, href = before
        e.text = f"the {e.size}-element {e.noun or 'value'} from line {at}"
        e.ref, e.table, e.image, e.multiline, e.wrap = href, None, None, False, False
        e.tags = [t for t in e.tags if t.kind in ("shape", "len")]
        return e

    def brief(self, name: str, v: Mapping[str, Any] | None, summary: str, number: int) -> Brief:
        size, key, noun = content(v or {})
        before = self.where.get(key) if key and size > BIG else None
        if before is not None:
            at, href = before
            return Brief(name, f"the {size}-element {noun or 'value'} from line {at}", ref=href)
        text, detail = brief_text(v, summary)
        if key and size > BIG:
            self.where[key] = (number, f"#f-{number}")
        return Brief(name, text, detail)


def refer_repeats(blocks: Iterable[Card | Fold | Section]) -> None:
    """On a page of open cards: a big value shown again, unchanged, becomes a reference to the
    line that showed it (only what the page shows before anything is opened counts)."""
    shown = Shown()
    for b in blocks:
        if isinstance(b, Card):
            if b.kind != "code":
                continue
            first = (
                b.state() if not b.multi else b.api + b.derived + (b.hits[0].all if b.hits else []) + b.final + b.later
            )
            for e in first:
                shown.once(e, e.name, b.number, f"#{b.anchor}")
        elif isinstance(b, Section) or (isinstance(b, Fold) and b.open):
            for g in b.groups:
                number = g.lines[0].number if g.lines else b.start
                for e in g.entries:
                    shown.once(e, e.name, number)


def relink(rows: list[ListingRow], code_ids: set[int]) -> None:
    """In the reader's view, a listing line links to its own code line (whose state opens there)."""
    for r in rows:
        if r.number in code_ids:
            r.href = f"#f-{r.number}"
