"""The page view builder: an example and its trace become a PageView."""

from __future__ import annotations

import dataclasses
import re
import textwrap
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from markupsafe import Markup

from ..protocol import NOT_RUN_REASONS
from ..source import Example, Item
from .entries import _api_entries, _authored_entry, _error_entry, _exception_matches, _final_entries, _header_code, _header_offset, _record_entries
from .highlight import highlight_lines
from .markdown import _markdown, markdown
from .text import MAX_TEXT_CHARS, _clip
from .values import _dim, _figure_file, _text_entry
from .view import Banner, Card, CodeLine, Entry, Figure, Fold, FoldGroup, Frame, Hit, ListingRow, PageView

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


def page_status(example: Example | None, trace: Mapping[str, Any]) -> str:
    """ "ok", "expected error" or "failed" (index statuses; "skipped" is the builder's)."""
    trace = _trace_dict(trace)
    status = trace.get("status", "ok")
    if status == "ok":
        return "ok"
    err = trace.get("error") or {}
    if status == "error" and example is not None and err.get("line") is not None and err.get("reason") != "placeholder":
        for it in example.items:
            if it.line <= int(err["line"]) <= max(it.end_line, it.line) and _exception_matches(it.raises, str(err.get("type") or "")):
                return "expected error"
    return "failed"


def _display_map(example: Example) -> dict[int, int]:
    m: dict[int, int] = {}
    for ll in example.listing:
        if getattr(ll, "hidden", False):
            continue
        m.setdefault(ll.line, ll.number)
    return m


def _trace_dict(trace: Any) -> Mapping[str, Any]:
    if isinstance(trace, Mapping):
        return trace
    if hasattr(trace, "to_dict"):
        return trace.to_dict()
    if dataclasses.is_dataclass(trace):
        return dataclasses.asdict(trace)
    raise TypeError(f"a trace is a dict, not {type(trace).__name__}")


class _FigureIndex:
    """The trace's top-level ``figures``, handed out once each to the places that show them."""

    def __init__(self, trace: Mapping[str, Any]) -> None:
        self.entries: list[Mapping[str, Any]] = [f for f in trace.get("figures") or [] if isinstance(f, Mapping)]
        self.used = [False] * len(self.entries)

    def take(self, file: Any, line: int | None, hit: int | None, *, later: bool = False) -> Figure | None:
        name = _figure_file(file)
        if name is None:
            return None
        match = None
        for want_place in (True, False):  # the entry captured there; else any with that file
            for i, f in enumerate(self.entries):
                if self.used[i] or f.get("file") != name:
                    continue
                if want_place and (f.get("line") != line or f.get("hit") != (None if later else hit)):
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
        return Figure(str(f["file"]), _dim(f.get("width")), _dim(f.get("height")), alt=str(f.get("alt") or ""), number=i + 1, **kw)

    def rest(self, line_map: Mapping[int, int]) -> list[Figure]:
        """Figures no line on the page showed (captured outside the script's lines, or on hidden ones)."""
        out = []
        for i, f in enumerate(self.entries):
            if self.used[i] or _figure_file(f.get("file")) is None:
                continue
            self.used[i] = True
            line = f.get("line")
            out.append(self._figure(i, line=line_map.get(line) if isinstance(line, int) else None))
        return out


def build_view(example: Example, trace: Mapping[str, Any]) -> PageView:
    """Turn an authored example and its trace into the page's view model."""
    trace = _trace_dict(trace)
    listing = [ll for ll in example.listing if not getattr(ll, "hidden", False)]
    shown_numbers = {ll.number for ll in listing}
    items = [it for it in example.items if not it.hide and it.number in shown_numbers]
    line_map = _display_map(example)

    by_line: dict[int, Mapping[str, Any]] = {}
    for entry in trace.get("lines") or []:
        by_line.setdefault(int(entry["line"]), entry)

    def entry_for(it: Item) -> Mapping[str, Any]:
        """The trace's line for an item: the line it starts on, or, for a decorated ``def`` or
        ``class`` (the item starts at its first decorator), the ``def`` line, which is where the
        trace records the calls; else the first trace line within the item's span."""
        first = it.line + _header_offset(it)
        if first in by_line:
            return by_line[first]
        if it.line in by_line:
            return by_line[it.line]
        for n in range(it.line, max(it.end_line, it.line) + 1):
            if n in by_line:
                return by_line[n]
        return {}

    figs = _FigureIndex(trace)

    def hit_figures(rec: Mapping[str, Any], line: int) -> list[Figure]:
        hit = rec.get("hit")
        out = [figs.take(f, line, hit if isinstance(hit, int) else None) for f in rec.get("figures") or []]
        return [f for f in out if f is not None]

    def later_figures(entry: Mapping[str, Any]) -> list[Figure]:
        line = entry.get("line")
        out = [figs.take(f, line, None, later=True) for f in entry.get("figures_later") or []]
        return [f for f in out if f is not None]

    status = page_status(example, trace)
    err = trace.get("error") or {}
    err_line = err.get("line")
    stopped = trace.get("status", "ok") != "ok" and err.get("reason") != "placeholder"  # a failed placeholder does not stop the run

    probe_errors: dict[int, dict[str, str]] = {}
    for pe in trace.get("placeholder_errors") or []:
        if pe.get("line") is not None:
            probe_errors.setdefault(int(pe["line"]), {})[str(pe.get("placeholder"))] = str(pe.get("error") or "")

    hl = highlight_lines("\n".join(_clip(ll.text) for ll in listing))
    hl_by_number = {ll.number: hl[i] for i, ll in enumerate(listing)}

    explained = [it for it in items if _explained(it)]
    explained_start = {it.number: it for it in explained}
    item_at: dict[int, Item] = {}
    for it in items:
        for n in range(it.number, max(it.end_number, it.number) + 1):
            item_at.setdefault(n, it)

    def code_lines(it: Item) -> list[CodeLine]:
        n = max(it.end_number, it.number) - it.number + 1
        code = "\n".join(_clip(t) for t in textwrap.dedent(it.code).split("\n"))
        texts = code.split("\n")
        if len(texts) == n:
            hls = highlight_lines(code)
            return [CodeLine(it.number + i, hls[i]) for i in range(n)]
        return [CodeLine(k, hl_by_number.get(k, Markup(""))) for k in range(it.number, it.number + n)]

    def not_run_reason(it: Item, entry: Mapping[str, Any]) -> str:
        """Why a line shows no state: "" when it ran (or is a line the trace does not cover)."""
        if entry and int(entry.get("hits") or 0) > 0:
            return ""
        if stopped and err_line is not None and it.line > int(err_line):
            return "not reached: the run stopped before this line"
        if entry and entry.get("defined"):
            return "defined here; never called"
        if entry:
            return "this line did not run"
        return ""

    has_from_run = False

    def make_card(it: Item) -> Card:
        nonlocal has_from_run
        entry = entry_for(it)
        records = list(entry.get("records") or [])
        probes0 = dict((records[0].get("probes") or {}) if records else {})
        prose, n_from_run = _markdown(it.prose or "", probes0, errors=probe_errors.get(it.line))
        if n_from_run and prose.endswith("</p>"):
            prose = Markup(str(prose)[:-4] + ' <span class="run-tag">from the run</span></p>')
        has_from_run = has_from_run or n_from_run > 0
        card = Card(
            kind=it.kind,
            number=it.number,
            end_number=max(it.end_number, it.number),
            line=it.line,
            end_line=max(it.end_line, it.line),
            anchor=f"line-{it.number}",
            code=it.code,
            code_lines=code_lines(it),
            comment=_comment_text(it.code) if it.kind == "comment" else "",
            prose=prose,
            from_run=n_from_run > 0,
            raises=it.raises,
            is_def=bool(re.match(r"\s*(?:async\s+)?def\b", _header_code(it))) if it.kind == "code" else False,
        )
        if it.kind == "comment":
            return card
        card.api = _api_entries(it, records)
        authored_api = [_authored_entry(n, probes0) for n in it.notes if n.icon == "api"]
        card.api = authored_api + card.api
        card.derived = [_authored_entry(n, probes0) for n in it.notes if n.icon != "api"]
        for rec in records:
            ents, tail = _record_entries(rec, it)
            card.hits.append(
                Hit(int(rec.get("hit", len(card.hits))), ents, tail, dict(rec.get("probes") or {}), hit_figures(rec, int(entry.get("line") or it.line)))
            )
        card.hit_count = int(entry.get("hits") or 0)
        card.recorded = len(records)
        card.final = _final_entries(entry, it)
        later = entry.get("output_later") or ""
        if later:
            text = later[:-1] if later.endswith("\n") else later
            card.later.append(_text_entry("later", "later output", text))
        card.figures_later = later_figures(entry)
        card.exceptions = int(entry.get("exceptions") or 0)
        excs = [t for h in card.hits for t in h.tail if t.kind == "exception"]
        is_err_line = err_line is not None and it.line <= int(err_line) <= card.end_line
        if any(not e.expected for e in excs) or (is_err_line and status == "failed"):
            card.status = "error"
        elif excs or (is_err_line and status == "expected error"):
            card.status = "expected"
        reason = not_run_reason(it, entry)
        if reason:
            card.not_run = reason
            card.status = card.status or "not-run"
        if is_err_line and not excs and err:
            # the error escaped the line but the record lacked it: show it anyway
            exc_entry = _error_entry(err, expected=status == "expected error")
            if card.hits:
                card.hits[-1].tail.append(exc_entry)
            else:
                card.hits.append(Hit(0, [], [exc_entry]))
            card.not_run = ""
        return card

    def fold_group(numbers: list[int]) -> list[FoldGroup]:
        groups: list[FoldGroup] = []
        i = 0
        while i < len(numbers):
            n = numbers[i]
            it = item_at.get(n)
            if it is not None and it.number == n and it.kind == "code" and not _explained(it):
                span = [k for k in numbers[i:] if k <= max(it.end_number, it.number)]
                entry = entry_for(it)
                records = list(entry.get("records") or [])
                ents: list[Entry] = []
                error = False
                if records:
                    e0, t0 = _record_entries(records[0], it)
                    ents = _api_entries(it, records[:1]) + e0 + t0
                    error = any(t.kind == "exception" and not t.expected for t in t0)
                line_no = int(entry.get("line") or it.line)
                group_figs = [f for r in records for f in hit_figures(r, line_no)] + later_figures(entry)
                if int(entry.get("hits") or 0) > 1:
                    for f in group_figs:  # a fold shows the first hit's state: say which hit a figure is from
                        f.say_hit = True
                hits = int(entry.get("hits") or 0)
                note = not_run_reason(it, entry)
                if err_line is not None and it.line <= int(err_line) <= max(it.end_line, it.line):
                    error = error or status == "failed"
                    if not any(e.kind == "exception" for e in ents) and err:
                        ents.append(_error_entry(err, expected=status == "expected error"))
                        note = ""
                lines = [CodeLine(k, hl_by_number.get(k, Markup(""))) for k in span]
                groups.append(FoldGroup(lines, ents, hits, note, error, figures=group_figs))
                i += len(span)
                continue
            note = ""
            if it is not None and it.number != n:
                note = f"continues line {it.number}"
            line = CodeLine(n, hl_by_number.get(n, Markup("")))
            prev = groups[-1] if groups else None
            if prev is not None and prev.plain and prev.note == note:
                prev.lines.append(line)
            else:
                groups.append(FoldGroup([line], note=note, plain=True))
            i += 1
        return groups

    err_number = line_map.get(int(err_line)) if err_line is not None else None
    blocks: list[Card | Fold] = []
    run: list[int] = []
    unexplained = 0

    def flush_run() -> None:
        nonlocal unexplained
        if not run:
            return
        groups = fold_group(list(run))
        has_error = err_number is not None and status == "failed" and err_number in run
        raised = any(e.kind == "exception" for g in groups for e in g.entries)
        fold = Fold(run[0], run[-1], len(run), f"fold-{run[0]}", groups, open=has_error or raised)
        blocks.append(fold)
        unexplained += len(run)
        run.clear()

    for ll in listing:
        it = explained_start.get(ll.number)
        if it is not None:
            flush_run()
            blocks.append(make_card(it))
        else:
            run.append(ll.number)
    flush_run()

    # listing rows: where each line links to
    rows: list[ListingRow] = []
    for ll in listing:
        it = item_at.get(ll.number)
        if ll.number in explained_start:
            href, kind = f"#line-{ll.number}", "explained"
        elif it is not None and _explained(it):
            href, kind = f"#line-{it.number}", "continued"
        else:
            href, kind = f"#f-{ll.number}", "folded"
        err_row = False
        if err_number is not None and status != "ok":
            eit = item_at.get(err_number)
            lo, hi = (eit.number, max(eit.end_number, eit.number)) if eit else (err_number, err_number)
            err_row = lo <= ll.number <= hi
        rows.append(ListingRow(ll.number, hl_by_number[ll.number], href, kind, err_row))

    meta_d = trace.get("meta") or {}
    meta: list[tuple[str, str]] = []
    dev = str(meta_d.get("device") or "")
    if dev:
        meta.append(("device", dev + (f" ({meta_d['device_name']})" if meta_d.get("device_name") else "")))
    for key, label in (("python", "Python"), ("torch", "torch"), ("numpy", "numpy")):
        if meta_d.get(key):
            meta.append((label, str(meta_d[key])))
    if meta_d.get("seed") is not None:
        meta.append(("seed", str(meta_d["seed"])))
    if meta_d.get("hits") is not None:
        meta.append(("hits recorded per line", str(meta_d["hits"])))
    if meta_d.get("tracekit"):
        meta.append(("tracekit", str(meta_d["tracekit"])))
    run_bits = [dev] if dev else []
    if meta_d.get("torch"):
        run_bits.append(f"torch {meta_d['torch']}")
    if meta_d.get("seed") is not None:
        run_bits.append(f"seed {meta_d['seed']}")

    path = example.path
    parts = PurePosixPath(path).parts
    view = PageView(
        title=example.title,
        path=path,
        file_name=parts[-1] if parts else path,
        crumbs=list(parts[:-1]),
        intro=markdown(example.intro or ""),
        status=status,
        banner=_banner(trace, status, line_map, item_at),
        blocks=blocks,
        listing=rows,
        meta=meta,
        run_line=" · ".join(run_bits),
        unexplained=unexplained,
        has_from_run=has_from_run,
        figure_limit=str(trace.get("figure_limit") or ""),
        other_figures=figs.rest(line_map),
        ran=str((trace.get("error") or {}).get("reason") or "") not in NOT_RUN_REASONS,
    )
    return view


def _banner(trace: Mapping[str, Any], status: str, line_map: dict[int, int], item_at: dict[int, Item]) -> Banner | None:
    if status == "ok":
        return None
    tstatus = trace.get("status", "error")
    err = trace.get("error") or {}
    etype = str(err.get("type") or "")
    message = str(err.get("message") or "")
    number = line_map.get(int(err["line"])) if err.get("line") is not None else None
    href = ""
    if number is not None:
        it = item_at.get(number)
        href = f"#line-{it.number}" if it is not None and _explained(it) else f"#L{number}"
    src = str((trace.get("source") or {}).get("path") or "")
    frames: list[Frame] = []
    for fr in err.get("traceback") or []:
        fpath = str(fr.get("path") or "")
        same = bool(src) and (fpath == src or fpath.endswith("/" + src) or PurePosixPath(fpath).name == PurePosixPath(src).name and not fpath.startswith("/"))
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
    reasons = {
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
    }
    reason = reasons.get(str(err.get("reason") or ""), "") or reasons.get(tstatus, "")
    if status == "expected error":
        title = f"The run ends with the expected {etype}" if etype else "The run ends with the expected error"
        kind = "expected"
    else:
        kind = "failed"
        title = {
            "timeout": "This example timed out",
            "crashed": "This example crashed",
            "limit": "This example hit a limit",
        }.get(tstatus, "This example failed")
    stderr = ""
    if kind == "failed" and not frames and trace.get("stderr"):
        stderr = _clip("\n".join(_clip(_sanitize_line(x[: MAX_TEXT_CHARS * 2]), 2000) for x in str(trace["stderr"]).splitlines()[-20:]))
    # Listing lines are numbered as shown (docstring and hidden lines left out); the CLI names file
    # lines. Where the two differ the banner gives both, so a reader can match them.
    file_ref = ""
    if number is not None and int(err["line"]) != number:
        file_ref = f"{PurePosixPath(src).name or 'file'}:{int(err['line'])}"
    return Banner(kind, title, _clip(etype, 500), _clip(message), number, href, reason, frames, stderr, file_ref=file_ref)


def _sanitize_line(line: str) -> str:
    return re.sub(r"(?:/[^\s\"']+)+/((?:site|dist)-packages/)?", lambda m: "…/", line)
