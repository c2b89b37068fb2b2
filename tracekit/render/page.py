"""The page view builder: an example and its trace become a PageView."""

from __future__ import annotations

import re
import textwrap
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any

from markupsafe import Markup

from ..child.protocol import NOT_RUN_REASONS
from ..prose import as_typed, cell_marker, magic_note
from ..source import Example, Item, ListingLine
from ..trace import ErrorInfo, Line, Record, Trace
from ..trace import Figure as TraceFigure
from .entries import (
    api_entries,
    authored_entry,
    error_entry,
    exception_matches,
    final_entries,
    header_code,
    header_offset,
    record_entries,
)
from .highlight import highlight_lines
from .markup import Rendered, render_markdown, render_rst_blocks
from .reader import FirstView, refer_repeats, relink
from .text import MAX_PROSE_CHARS, MAX_TEXT_CHARS, clip
from .urls import current_depth
from .values import dim, figure_file, plain_mathtext, text_entry
from .view import Banner, Card, CodeLine, Entry, Figure, Fold, FoldGroup, Frame, Hit, ListingRow, PageView, Section

# ─────────────────────────────────────────────────────────────────────────────
# Page view
# ─────────────────────────────────────────────────────────────────────────────


def _explained(item: Item) -> bool:
    if item.hide:
        return False
    if item.kind == "comment":
        return True
    return bool((item.prose or "").strip() or item.notes)


def _comment_text(code: str) -> str:
    s = code.strip()
    s = re.sub(r"^#+\s*", "", s)
    s = re.sub(r"^(?:[─━═]+|[-=*#~]{2,})\s*", "", s)
    s = re.sub(r"\s*(?:[─━═]+|[-=*#~]{2,})$", "", s)
    return s.strip() or code.strip()


def _sanitize_path(path: str) -> str:
    p = str(path or "")
    if not p.startswith("/") and not re.match(r"^[A-Za-z]:[\\/]", p):
        return p
    p = p.replace("\\", "/")
    for marker in ("/site-packages/", "/dist-packages/"):
        if marker in p:
            return p.split(marker, 1)[1]
    m = re.search(r"/lib/python\d+(?:\.\d+)?/(.*)$", p)
    if m:
        return m.group(1)
    return PurePosixPath(p).name


TraceLike = Trace | Mapping[str, Any]


def as_trace(trace: TraceLike) -> Trace:
    """The typed trace: a dict is read (and checked) by Trace.from_dict."""
    return trace if isinstance(trace, Trace) else Trace.from_dict(dict(trace))


def trace_dict(trace: TraceLike) -> Mapping[str, Any]:
    """The trace as JSON-ready data (the page JSON keeps everything the trace has)."""
    return trace.to_dict() if isinstance(trace, Trace) else trace


def page_status(example: Example | None, trace: TraceLike) -> str:
    """ "ok", "expected error" or "failed" (index statuses; "skipped" is the builder's)."""
    tr = as_trace(trace)
    if tr.status == "ok":
        return "ok"
    err = tr.error
    if (
        tr.status == "error"
        and example is not None
        and err is not None
        and err.line is not None
        and err.reason != "placeholder"
    ):
        for it in example.items:
            if it.line <= err.line <= max(it.end_line, it.line) and exception_matches(it.raises, err.type):
                return "expected error"
    return "failed"


def _display_map(example: Example) -> dict[int, int]:
    m: dict[int, int] = {}
    for ll in example.listing:
        if getattr(ll, "hidden", False):
            continue
        m.setdefault(ll.line, ll.number)
    return m


class _FigureIndex:
    """The trace's top-level ``figures``, handed out once each to the places that show them."""

    def __init__(self, figures: list[TraceFigure]) -> None:
        self.entries = figures
        self.used = [False] * len(self.entries)

    def take(self, file: Any, line: int | None, hit: int | None, *, later: bool = False) -> Figure | None:
        name = figure_file(file)
        if name is None:
            return None
        match = None
        for want_place in (True, False):  # the entry captured there; else any with that file
            for i, f in enumerate(self.entries):
                if self.used[i] or f.file != name:
                    continue
                if want_place and (f.line != line or f.hit != (None if later else hit)):
                    continue
                match = i
                break
            if match is not None:
                break
        if match is None:
            return Figure(name, alt="Figure", hit=hit, later=later)
        self.used[match] = True
        return self._figure(match, hit=hit, later=later)

    def _figure(self, i: int, **kw: Any) -> Figure:
        f = self.entries[i]
        return Figure(f.file, dim(f.width), dim(f.height), alt=plain_mathtext(f.alt), number=i + 1, **kw)

    def rest(self, line_map: Mapping[int, int]) -> list[Figure]:
        """Figures no line on the page showed (captured outside the script's lines, or on hidden ones)."""
        out = []
        for i, f in enumerate(self.entries):
            if self.used[i] or figure_file(f.file) is None:
                continue
            self.used[i] = True
            out.append(self._figure(i, line=line_map.get(f.line) if f.line is not None else None))
        return out


def build_view(example: Example, trace: TraceLike) -> PageView:
    """Turn an authored example and its trace into the page's view model."""
    return PageBuilder(example, as_trace(trace)).build()


class PageBuilder:
    """Builds one PageView: cards for explained items, folds for runs of the others, the listing."""

    def __init__(self, example: Example, trace: Trace) -> None:
        self.example = example
        self.trace = trace
        self.listing = [ll for ll in example.listing if not getattr(ll, "hidden", False)]
        shown_numbers = {ll.number for ll in self.listing}
        self.items = [it for it in example.items if not it.hide and it.number in shown_numbers]
        self.line_map = _display_map(example)
        self.by_line: dict[int, Line] = {}
        for line in trace.lines:
            self.by_line.setdefault(line.line, line)
        self.figs = _FigureIndex(trace.figures)
        self.status = page_status(example, trace)
        self.err = trace.error
        self.err_line = self.err.line if self.err is not None else None
        # a failed placeholder does not stop the run
        self.stopped = trace.status != "ok" and not (self.err is not None and self.err.reason == "placeholder")
        self.probe_errors: dict[int, dict[str, str]] = {}
        for pe in trace.placeholder_errors:
            if pe.get("line") is not None:
                self.probe_errors.setdefault(int(pe["line"]), {})[str(pe.get("placeholder"))] = str(
                    pe.get("error") or ""
                )
        hl = highlight_lines("\n".join(clip(ll.text) for ll in self.listing))
        self.hl_by_number = {ll.number: hl[i] for i, ll in enumerate(self.listing)}
        self.explained_start = {it.number: it for it in self.items if _explained(it)}
        self.item_at: dict[int, Item] = {}
        for it in self.items:
            for n in range(it.number, max(it.end_number, it.number) + 1):
                self.item_at.setdefault(n, it)
        self.err_number = self.line_map.get(self.err_line) if self.err_line is not None else None
        # a percent script's magics and shell commands are shown as written, and were not run
        percent = example.prose_source == "percent"
        self.cells = example.prose_source in ("gallery", "percent")  # a code cell's marker is not shown in a block
        self.magic = {ll.number: magic_note(ll.text) for ll in self.listing if percent and magic_note(ll.text)}
        self.has_from_run = False
        self.unexplained = 0
        self.code_ids: set[int] = set()  # listing numbers shown as a code line with id f-N
        self.intro, self.text_html = prose_html(example)
        # text blocks: where each starts, and which listing lines belong to one
        self.text_at = {t.number: (t, self.text_html[i]) for i, t in enumerate(example.texts) if t.number}
        self.text_index = {id(t): i for i, t in enumerate(example.texts)}
        self.taken: tuple[int, set[str]] | None = None  # N, the headings of the intro and the first N text blocks
        # the listing is in file order: a range of lines or numbers is found by bisection, so that
        # the work per text block is its own size, not the file's
        self.listing_lines = [ll.line for ll in self.listing]
        self.listing_numbers = [ll.number for ll in self.listing]
        self.section_of: dict[int, str] = {}
        self.text_lines: set[int] = set()
        for t in example.texts:
            if not t.number:
                continue
            for ll in self.listing_by_line(t.line, t.end_line):
                self.text_lines.add(ll.number)
            if t.text.strip() or t.code_first:  # a cell of code alone shows its code too
                for ll in self.listing_by_line(t.line, max(t.end_line, t.code_last)):
                    self.section_of.setdefault(ll.number, f"line-{t.number}")  # a nested block is part of the outer one

    # ── lookups ──
    def listing_by_line(self, first: int, last: int) -> list[ListingLine]:
        """The listing lines with a file line from FIRST to LAST."""
        return self.listing[bisect_left(self.listing_lines, first) : bisect_right(self.listing_lines, last)]

    def listing_by_number(self, first: int, last: int) -> list[ListingLine]:
        """The listing lines numbered FIRST to LAST."""
        return self.listing[bisect_left(self.listing_numbers, first) : bisect_right(self.listing_numbers, last)]

    def headings_before(self, index: int) -> set[str]:
        """The anchors of the intro's and the first INDEX text blocks' headings (a new set)."""
        # sections come in order: each adds the blocks since the last one to what it gathered
        done, taken = (
            self.taken
            if self.taken is not None and self.taken[0] <= index
            else (0, {h.anchor for h in self.intro.headings})
        )
        for r in self.text_html[done:index]:
            taken.update(h.anchor for h in r.headings)
        self.taken = (index, taken)
        return set(taken)

    def line_for(self, it: Item) -> Line | None:
        """The trace's line for an item: the line it starts on, or, for a decorated ``def`` or
        ``class`` (the item starts at its first decorator), the ``def`` line, which is where the
        trace records the calls; else the first trace line within the item's span."""
        first = it.line + header_offset(it)
        for n in (first, it.line, *range(it.line, max(it.end_line, it.line) + 1)):
            if n in self.by_line:
                return self.by_line[n]
        return None

    def hit_figures(self, rec: Record, line: int) -> list[Figure]:
        out = [self.figs.take(f, line, rec.hit) for f in rec.figures]
        return [f for f in out if f is not None]

    def later_figures(self, line: Line) -> list[Figure]:
        out = [self.figs.take(f, line.line, None, later=True) for f in line.figures_later]
        return [f for f in out if f is not None]

    def code_lines(self, it: Item) -> list[CodeLine]:
        n = max(it.end_number, it.number) - it.number + 1
        code = "\n".join(clip(t) for t in textwrap.dedent(it.code).split("\n"))
        if len(code.split("\n")) == n:
            hls = highlight_lines(code)
            return [CodeLine(it.number + i, hls[i]) for i in range(n)]
        return [CodeLine(k, self.hl_by_number.get(k, Markup(""))) for k in range(it.number, it.number + n)]

    def on_error_line(self, it: Item) -> bool:
        return self.err_line is not None and it.line <= self.err_line <= max(it.end_line, it.line)

    def not_run_reason(self, it: Item, line: Line | None) -> str:
        """Why a line shows no state: "" when it ran (or is a line the trace does not cover)."""
        if line is not None and line.hits > 0:
            return ""
        if self.stopped and self.err_line is not None and it.line > self.err_line:
            return "not reached: the run stopped before this line"
        if line is not None and line.defined:
            return "defined here; never called"
        if line is not None:
            return "this line did not run"
        return ""

    # ── cards ──
    def card(self, it: Item) -> Card:
        line = self.line_for(it)
        records = line.records if line is not None else []
        probes0 = dict(records[0].probes) if records else {}
        rendered = render_markdown(it.prose or "", probes=probes0, errors=self.probe_errors.get(it.line))
        prose: Markup = rendered
        n_from_run = rendered.from_run
        if n_from_run and prose.endswith("</p>"):
            prose = Markup(str(prose)[:-4] + ' <span class="run-tag">from the run</span></p>')
        self.has_from_run = self.has_from_run or n_from_run > 0
        card = Card(
            kind=it.kind,
            number=it.number,
            end_number=max(it.end_number, it.number),
            line=it.line,
            end_line=max(it.end_line, it.line),
            anchor=f"line-{it.number}",
            code=it.code,
            code_lines=self.code_lines(it),
            comment=_comment_text(it.code) if it.kind == "comment" else "",
            prose=prose,
            from_run=n_from_run > 0,
            raises=it.raises,
            is_def=bool(re.match(r"\s*(?:async\s+)?def\b", header_code(it))) if it.kind == "code" else False,
        )
        if it.kind == "comment":
            return card
        card.api = [authored_entry(n, probes0) for n in it.notes if n.icon == "api"] + api_entries(it, records)
        card.derived = [authored_entry(n, probes0) for n in it.notes if n.icon != "api"]
        for rec in records:
            ents, tail = record_entries(rec, it)
            fig_line = line.line if line is not None else it.line
            card.hits.append(Hit(rec.hit, ents, tail, dict(rec.probes), self.hit_figures(rec, fig_line), last=rec.last))
        card.hit_prose = self.hit_prose(it, records, prose)
        if line is not None:
            card.hit_count = line.hits
            card.final = final_entries(line, it)
            if line.output_later:
                later = line.output_later
                card.later.append(text_entry("later", "later output", later[:-1] if later.endswith("\n") else later))
            card.figures_later = self.later_figures(line)
            card.exceptions = line.exceptions
        card.recorded = len(records)
        excs = [t for h in card.hits for t in h.tail if t.kind == "exception"]
        is_err_line = self.err_line is not None and it.line <= self.err_line <= card.end_line
        if any(not e.expected for e in excs) or (is_err_line and self.status == "failed"):
            card.status = "error"
        elif excs or (is_err_line and self.status == "expected error"):
            card.status = "expected"
        reason = self.not_run_reason(it, line)
        if reason:
            card.not_run = reason
            card.status = card.status or "not-run"
        if is_err_line and not excs and self.err is not None:
            # the error escaped the line but the record lacked it: show it anyway
            exc_entry = error_entry(self.err, expected=self.status == "expected error")
            if card.hits:
                card.hits[-1].tail.append(exc_entry)
            else:
                card.hits.append(Hit(0, [], [exc_entry]))
            card.not_run = ""
        return card

    def hit_prose(self, it: Item, records: list[Record], first: Markup) -> list[tuple[int, Markup]]:
        """The prose of a line hit several times, once per recorded hit with that hit's numbers
        (the first hit's is the card's own prose: it shows without JavaScript)."""
        if len(records) < 2 or not any(r.probes for r in records[1:]):
            return []
        out = [(records[0].hit, first)]
        for rec in records[1:]:
            rendered = render_markdown(it.prose or "", probes=dict(rec.probes), errors=self.probe_errors.get(it.line))
            html = Markup(rendered)
            if rendered.from_run and html.endswith("</p>"):
                html = Markup(str(html)[:-4] + ' <span class="run-tag">from the run</span></p>')
            out.append((rec.hit, html))
        return out

    # ── folds ──
    def fold_groups(self, numbers: list[int]) -> list[FoldGroup]:
        groups: list[FoldGroup] = []
        i = 0
        while i < len(numbers):
            n = numbers[i]
            it = self.item_at.get(n)
            if it is not None and it.number == n and it.kind == "code" and not _explained(it):
                end, j = max(it.end_number, it.number), i
                while j < len(numbers) and numbers[j] <= end:  # NUMBERS ascend: the statement's lines lead
                    j += 1
                groups.append(self.statement_group(it, numbers[i:j]))
                i = j
                continue
            note = f"continues line {it.number}" if it is not None and it.number != n else self.magic.get(n, "")
            code_line = CodeLine(n, self.hl_by_number.get(n, Markup("")))
            prev = groups[-1] if groups else None
            if prev is not None and prev.plain and prev.note == note:
                prev.lines.append(code_line)
            else:
                groups.append(FoldGroup([code_line], note=note, plain=True))
            i += 1
        self.code_ids.update(line.number for group in groups for line in group.lines)
        return groups

    def statement_group(self, it: Item, span: list[int]) -> FoldGroup:
        """An unexplained statement inside a fold: its lines and its first hit's state."""
        line = self.line_for(it)
        records = line.records if line is not None else []
        ents: list[Entry] = []
        error = False
        if records:
            e0, t0 = record_entries(records[0], it)
            everything = _all_output(line, records) if line is not None and line.hits > 1 else ""
            if line is not None and everything and everything != records[0].output:
                # what every hit printed, as sphinx-gallery shows a cell's output: a loop's prints
                t0 = [t for t in t0 if t.kind != "output"]
                t0.insert(
                    0,
                    text_entry(
                        "output",
                        f"output of all {line.hits} hits",
                        everything[:-1] if everything.endswith("\n") else everything,
                    ),
                )
            ents = api_entries(it, records[:1]) + e0 + t0
            error = any(t.kind == "exception" and not t.expected for t in t0)
        line_no = line.line if line is not None else it.line
        group_figs = [f for r in records for f in self.hit_figures(r, line_no)] + (
            self.later_figures(line) if line is not None else []
        )
        hits = line.hits if line is not None else 0
        if hits > 1:
            for f in group_figs:  # a fold shows the first hit's state: say which hit a figure is from
                f.say_hit = True
        note = self.not_run_reason(it, line)
        if self.on_error_line(it):
            error = error or self.status == "failed"
            if not any(e.kind == "exception" for e in ents) and self.err is not None:
                ents.append(error_entry(self.err, expected=self.status == "expected error"))
                note = ""
        lines = [CodeLine(k, self.hl_by_number.get(k, Markup(""))) for k in span]
        self.code_ids.update(span)
        return FoldGroup(lines, ents, hits, note, error, figures=group_figs, unreached=note.startswith("not reached"))

    def fold(self, run: list[int]) -> Fold:
        groups = self.fold_groups(run)
        has_error = self.err_number is not None and self.status == "failed" and self.err_number in run
        raised = any(e.kind == "exception" for g in groups for e in g.entries)
        self.unexplained += len(run)
        return Fold(run[0], run[-1], len(run), f"fold-{run[0]}", groups, open=has_error or raised)

    def shows_output(self, it: Item) -> bool:
        """True if an unexplained statement printed or drew something: it is shown, not folded."""
        line = self.line_for(it)
        if line is None:
            return False
        return bool(line.output_later or line.figures_later or any(r.output or r.figures for r in line.records))

    def section(self, number: int) -> Section:
        """A text block with each statement it explains and that statement's state."""
        block, html = self.text_at[number]
        if block.after:
            # a `#::` block: its placeholders, evaluated once after its last statement completed
            line = self.by_line.get(block.after)
            values = line.block_probes if line is not None else {}
            taken = self.headings_before(self.text_index[id(block)])
            html = render_markdown(block.text, probes=values, errors=self.probe_errors.get(block.after), anchors=taken)
            self.has_from_run = self.has_from_run or html.from_run > 0
        # every line of its code, in order: statements with their state, and the comments between
        # them (sphinx-gallery shows those as code too), but not the block's own text or blank lines
        own = range(block.line, block.end_line + 1)
        numbers = [
            ll.number
            for ll in self.listing_by_number(block.number, block.end_number)
            if ll.line not in own and ll.text.strip() and not (self.cells and cell_marker(ll.text))
        ]
        return Section(block.number, block.end_number, f"line-{block.number}", html, self.fold_groups(numbers))

    def blocks(self) -> list[Card | Fold | Section]:
        blocks: list[Card | Fold | Section] = []
        run: list[int] = []
        blank = {ll.number for ll in self.listing if not ll.text.strip()}

        def flush() -> None:
            if run:
                blocks.append(self.fold(list(run)))
                run.clear()

        skip_to = 0
        first_text = min((t.number for t in self.example.texts if t.number), default=0)
        if self.example.prose_source == "gallery" and first_text:
            # sphinx-gallery's first cell: the code after the docstring, which the intro explains
            lead = [ll.number for ll in self.listing if ll.number < first_text and ll.number not in blank]
            if lead:
                blocks.append(Section(lead[0], lead[-1], f"line-{lead[0]}", Markup(""), self.fold_groups(lead)))
                skip_to = lead[-1]
        for ll in self.listing:
            n = ll.number
            if n <= skip_to or n in blank:
                continue  # inside a section or card already shown; blank lines never fold
            if n in self.text_at and n in self.section_of:
                flush()
                section = self.section(n)
                blocks.append(section)
                skip_to = section.end
                continue
            if n in self.text_lines:
                continue  # a cell marker or a text block explaining no code
            it = self.explained_start.get(n)
            if it is not None:
                flush()
                blocks.append(self.card(it))
                skip_to = max(it.end_number, it.number)
                continue
            it = self.item_at.get(n)
            if it is not None and it.number == n and it.kind == "code" and self.shows_output(it):
                flush()
                span = [k for k in range(n, max(it.end_number, n) + 1) if k in self.hl_by_number]
                blocks.append(
                    Section(n, span[-1], f"line-{n}", Markup(""), [self.statement_group(it, span)], kind="shown")
                )
                skip_to = span[-1]
                continue
            run.append(n)
        flush()
        return blocks

    # ── the listing and the run's facts ──
    def listing_rows(self) -> list[ListingRow]:
        """Each listing line and where it links to."""
        rows: list[ListingRow] = []
        for ll in self.listing:
            it = self.item_at.get(ll.number)
            if ll.number in self.section_of:
                href, kind = "#" + self.section_of[ll.number], "explained"
            elif ll.number in self.explained_start:
                href, kind = f"#line-{ll.number}", "explained"
            elif it is not None and _explained(it):
                href, kind = f"#line-{it.number}", "continued"
            else:
                href, kind = f"#f-{ll.number}", "folded"
            err_row = False
            if self.err_number is not None and self.status != "ok":
                eit = self.item_at.get(self.err_number)
                lo, hi = (eit.number, max(eit.end_number, eit.number)) if eit else (self.err_number, self.err_number)
                err_row = lo <= ll.number <= hi
            rows.append(ListingRow(ll.number, self.hl_by_number[ll.number], href, kind, err_row))
        # a blank line or a cell marker is shown nowhere else: it links where the next line does
        # (read from the end, so each row is looked at once), after the last shown line to that one
        shown = [r.kind != "folded" or int(r.href[3:]) in self.code_ids for r in rows]
        last = next((r.href for r, ok in zip(reversed(rows), reversed(shown), strict=True) if ok), "#cards")
        following = last
        for row, ok in zip(reversed(rows), reversed(shown), strict=True):
            if ok:
                following = row.href
            else:
                row.href = following
        return rows

    def meta(self) -> tuple[list[tuple[str, str]], str]:
        """The run's facts (label, text) and the one-line summary of them."""
        m = self.trace.meta
        meta: list[tuple[str, str]] = []
        if m.device:
            meta.append(("device", m.device + (f" ({m.device_name})" if m.device_name else "")))
        for label, value in (("Python", m.python), ("torch", m.torch), ("numpy", m.numpy)):
            if value:
                meta.append((label, value))
        if m.seed is not None:
            meta.append(("seed", str(m.seed)))
        meta.append(("hits recorded per line", str(m.hits)))
        if m.tracekit:
            meta.append(("tracekit", m.tracekit))
        bits = [m.device] if m.device else []
        if m.torch:
            bits.append(f"torch {m.torch}")
        if m.seed is not None:
            bits.append(f"seed {m.seed}")
        return meta, " · ".join(bits)

    def build(self) -> PageView:
        blocks = self.blocks()
        reader = self.example.prose_source != "authored"
        if reader:
            FirstView(self).fill(blocks)
        else:
            refer_repeats(blocks)
        listing = self.listing_rows()
        if reader:
            relink(listing, self.code_ids)
        meta, run_line = self.meta()
        path = self.example.path
        parts = PurePosixPath(path).parts
        return PageView(
            title=self.example.title,
            path=path,
            file_name=parts[-1] if parts else path,
            crumbs=list(parts[:-1]),
            intro=self.intro,
            status=self.status,
            banner=_banner(self.trace, self.status, self.line_map, self.item_at),
            blocks=blocks,
            listing=listing,
            meta=meta,
            run_line=run_line,
            unexplained=self.unexplained,
            has_from_run=self.has_from_run,
            figure_limit=self.trace.figure_limit or "",
            last_hit_note=str((self.trace.last_hit or {}).get("reason") or "")
            if not (self.trace.last_hit or {}).get("recorded", True)
            else "",
            other_figures=self.figs.rest(self.line_map),
            other_output=[text_entry("output", "output", self.trace.stdout_below.removesuffix("\n"))]
            if self.trace.stdout_below
            else [],
            ran=not (self.err is not None and self.err.reason in NOT_RUN_REASONS),
            reader=reader,
        )


def _all_output(line: Line, records: list[Record]) -> str:
    """Everything LINE printed, in order: its recorded hits, then the later ones."""
    return "".join(r.output for r in records if not r.last) + line.output_later


def prose_html(example: Example) -> tuple[Rendered, list[Rendered]]:
    """The intro and each text block of EXAMPLE as HTML, in its markup (RST: one document).

    A page and its build warnings both need this; the rendering is done once per text."""
    # gallery and comments text has no placeholders: braces there are text; `#::` blocks have them
    authored = example.prose_source == "authored"
    typed = example.prose_source == "comments"  # plain comments show as typed (prose.as_typed)
    texts_of = tuple(t.text for t in example.texts)
    intro, texts = _prose_html(example.markup, example.intro or "", texts_of, authored, typed, current_depth())
    return intro, list(texts)


# Room for every example of a build: the book's pages and the search index ask for the same
# texts again after all the pages are written, and RST's docutils is the slow part of a page.
@lru_cache(maxsize=128)
def _prose_html(
    markup: str, intro: str, texts: tuple[str, ...], authored: bool, typed: bool = False, depth: int | None = None
) -> tuple[Rendered, tuple[Rendered, ...]]:
    """The rendering behind prose_html; DEPTH (the page's, for its links) is part of the cache key."""
    if markup == "rst":
        rendered = render_rst_blocks([intro, *texts])
        return rendered[0], tuple(rendered[1:])
    anchors: set[str] = set()
    first = render_markdown(intro, anchors=anchors)
    budget = MAX_PROSE_CHARS - len(intro)  # for the file, as RST's one document has
    rest: list[Rendered] = []
    for text in texts:
        rest.append(
            render_markdown(
                as_typed(text) if typed else text, anchors=anchors, placeholders=authored, limit=max(budget, 0)
            )
        )
        budget -= len(text)
    return first, tuple(rest)


def prose_warnings(example: Example) -> list[str]:
    """What rendering the intro and text blocks warned about, each naming the file and line."""
    intro, texts = prose_html(example)
    out = [f"{example.path}: docstring: {w}" for w in intro.warnings]
    out += [f"{example.path}:{line}: {w}" for line, w in example.warnings]
    for block, html in zip(example.texts, texts, strict=True):
        out += [f"{example.path}:{block.line}: {w}" for w in html.warnings]
    return out


_REASONS = {
    "timeout": "The run took longer than its time limit and was stopped.",
    "crashed": "The Python process running the example crashed.",
    "limit": "The run went over a resource limit and was stopped.",
    "signal": "The Python process running the example was killed by a signal.",
    "output": "The example printed more than its output limit allows, and was stopped.",
    "memory": "The example needed more memory than its limit allows.",
    "syntax": "The file is not valid Python, so nothing ran.",
    "instrument": "tracekit could not instrument this valid Python file; it ran without a trace.",
    "placeholder": "A placeholder in the prose could not be evaluated after its line ran.",
    "exit": "The script ended itself with a non-zero exit status.",
    "authoring": "tracekit could not read this file as an example, so nothing ran.",
    "trace": "What the run recorded could not be read, so only its output is shown.",
    "supervisor": (
        "The example killed or stopped the process that supervised its run, "
        "so tracekit ended everything it had started."
    ),
}


def _banner(trace: Trace, status: str, line_map: dict[int, int], item_at: dict[int, Item]) -> Banner | None:
    if status == "ok":
        return None
    err = trace.error or ErrorInfo("", "", reason="")
    number = line_map.get(err.line) if err.line is not None else None
    href = ""
    if number is not None:
        it = item_at.get(number)
        href = f"#line-{it.number}" if it is not None and _explained(it) else f"#L{number}"
    src = trace.source.path
    frames: list[Frame] = []
    for fr in err.traceback:
        fpath = str(fr.get("path") or "")
        same = bool(src) and (
            fpath == src
            or fpath.endswith("/" + src)
            or PurePosixPath(fpath).name == PurePosixPath(src).name
            and not fpath.startswith("/")
        )
        fnum = line_map.get(int(fr["line"])) if same and fr.get("line") is not None else None
        frames.append(
            Frame(
                path=_sanitize_path(fpath),
                line=int(fr.get("line") or 0),
                function=str(fr.get("function") or ""),
                text=str(fr.get("text") or ""),
                href=f"#L{fnum}" if fnum is not None else "",
                number=fnum,
            )
        )
    # The trace's reason is a code (schema: error.reason); the page says it in words, or not at all
    # where the error's own message says it (an exception).
    reason = _REASONS.get(err.reason, "") or _REASONS.get(trace.status, "")
    if status == "expected error":
        title = f"The run ends with the expected {err.type}" if err.type else "The run ends with the expected error"
        kind = "expected"
    else:
        kind = "failed"
        title = {
            "timeout": "This example timed out",
            "crashed": "This example crashed",
            "limit": "This example hit a limit",
        }.get(trace.status, "This example failed")
    stderr = ""
    if kind == "failed" and not frames and trace.stderr:
        stderr = clip(
            "\n".join(clip(_sanitize_line(x[: MAX_TEXT_CHARS * 2]), 2000) for x in trace.stderr.splitlines()[-20:])
        )
    # Listing lines are numbered as shown (docstring and hidden lines left out); the CLI names file
    # lines. Where the two differ the banner gives both, so a reader can match them.
    file_ref = ""
    if number is not None and err.line is not None and err.line != number:
        file_ref = f"{PurePosixPath(src).name or 'file'}:{err.line}"
    return Banner(
        kind, title, clip(err.type, 500), clip(err.message), number, href, reason, frames, stderr, file_ref=file_ref
    )


def _sanitize_line(line: str) -> str:
    return re.sub(r"(?:/[^\s\"']+)+/((?:site|dist)-packages/)?", lambda m: "…/", line)
