"""The page view model: typed, logic-free records the templates loop over."""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup

# ─────────────────────────────────────────────────────────────────────────────
# View model
# ─────────────────────────────────────────────────────────────────────────────


@dataclass
class Tag:
    """A small fact about a value: shape, dtype, device, leaf, grad_fn, len, truncated."""

    text: str
    kind: str = ""


@dataclass
class Figure:
    """A PNG shown on the page: a captured matplotlib figure, or a value drawn as an image.

    ``file`` is the PNG's name in the output's figures folder (the template puts the path to
    that folder before it); ``number`` is the figure's place among the trace's figures
    (1-based; None for an image value or a figure the trace does not list)."""

    file: str
    width: int | None = None
    height: int | None = None
    alt: str = ""
    number: int | None = None
    hit: int | None = None  # 0-based hit it was captured in (None: not a recorded hit)
    later: bool = False  # captured during a hit after the recorded ones
    line: int | None = None  # display line it was captured on, for figures shown apart from their line
    say_hit: bool = False  # the caption names the hit (where no hit panel around it does)

    @property
    def caption(self) -> str:
        label = f"Figure {self.number}" if self.number is not None else "Figure"
        alt = " ".join((self.alt or "").split())
        text = label if not alt or alt == label else f"{label}: {alt}"
        if self.later:
            text += " (captured in a later hit)"
        elif self.say_hit and self.hit is not None:
            text += f" (hit {self.hit + 1})"
        if self.line is not None:
            text += f" (line {self.line})"
        return text


@dataclass
class Table:
    """A 2-D value as a small table; labels come from the item's rows/cols directives."""

    rows: list[list[str]]
    row_labels: list[str] | None = None
    col_labels: list[str] | None = None

    @property
    def dims(self) -> str:
        return f"{len(self.rows)}×{len(self.rows[0]) if self.rows else 0}"


@dataclass
class GradStep:
    """One node of a backward pass, in the order the run reached it: what it received, what it
    passed on to whom, and for a leaf its `.grad` afterwards (all as the run printed them)."""

    node: int  # the node's id in the graph (the SVG's data-node)
    name: str
    received: str = ""
    passed: list[tuple[str, str]] = field(default_factory=list)  # (gradient, the node it went to)
    final: str = ""  # leaves: .grad when the backward call was over
    root: bool = False  # the tensor backward started from: `received` is the gradient it started with

    def as_text(self) -> str:
        """`PowBackward0 received tensor(1.), passed on tensor(4.) to x`, as the page reads."""
        if self.root:
            return f"{self.name}: backward starts with gradient {self.received}"
        text = f"{self.name} received {self.received or 'nothing'}"
        if self.passed:
            text += ", passed on " + " and ".join(f"{g} to {to}" for g, to in self.passed)
        if self.final:
            text += f"; its .grad is now {self.final}"
        return text


@dataclass
class Entry:
    """One row of an EXECUTION STATE block.

    kind: api | arg | result | value | return | yield | test | iter | derived | output
          | exception | final | later | changed (before → after) | graph (an autograd graph)
    glyph: the chapter's glyph (📚 ⬇ ⬆ →), kept as hidden text so copied text reads like the
           chapter; the visible icon is an inline SVG chosen by ``kind``.
    label: a small word before the name ("arg 1", "result", "after the loop").
    name: what the value is (source text, a callee, a bound name).
    text: the value as it printed (repr, docstring sentence, output) — plain text.
    rich: prose rendered to HTML (docstring sentences, authored notes; ``text`` is its source);
          without it the value is shown as code.
    """

    kind: str
    name: str = ""
    text: str = ""
    label: str = ""
    glyph: str = ""
    rich: Markup | None = None
    tags: list[Tag] = field(default_factory=list)
    table: Table | None = None
    detail: str = ""
    authored: bool = False
    expected: bool = False
    multiline: bool = False
    of: str = ""  # for arguments, when a line makes several calls: the callee ("torch.dot()")
    image: Figure | None = None  # the value drawn as a small picture (``value.image``)
    wrap: bool = False  # one very long line: shown in a scrolling box, wrapped
    before: Entry | None = None  # changed: the value before the line ran (shown "before → after")
    key: str = ""  # the value's content (its digest, or its whole repr): a big value shown again is referenced
    size: int = 0  # how many elements the value has (0: not a container or array)
    noun: str = ""  # what it is in words: "array", "tensor", "list"
    ref: str = ""  # a big value shown before: the link to where (``text`` says "the 400-element array from line 12")
    svg: Markup | None = None  # graph: the autograd graph drawn as an inline SVG
    steps: list[GradStep] = field(default_factory=list)  # graph of a backward call: its nodes in the order they ran

    @property
    def icon(self) -> str:
        return ICONS.get(self.kind, "i-dot")

    def as_text(self) -> str:
        """The entry as the chapter writes it: ``⬆ result: x = tensor(2.)``."""
        head = self.glyph + " " if self.glyph else ""
        label = self.label + (f" of {self.of}" if self.of else "")
        label = f"{label}: " if label and self.name else label
        body = self.text
        if self.table is not None and not body:
            body = "[" + "; ".join(", ".join(r) for r in self.table.rows) + "]"
        if self.before is not None:
            body = f"{self.before.text} → {body}"
        if self.detail and self.kind == "changed":
            body += f" ({self.detail})"
        return f"{head}{label}{self.name} = {body}".replace("  ", " ").strip()


ICONS = {
    "api": "i-api",
    "arg": "i-arg",
    "result": "i-result",
    "return": "i-return",
    "yield": "i-result",
    "value": "i-value",
    "test": "i-test",
    "iter": "i-iter",
    "derived": "i-derived",
    "output": "i-output",
    "later": "i-output",
    "exception": "i-error",
    "final": "i-final",
    "changed": "i-changed",
    "graph": "i-graph",
}

GLYPHS = {
    "api": "📚",
    "arg": "⬇",
    "result": "⬆",
    "return": "⬆",
    "yield": "⬆",
    "derived": "→",
    "final": "⏹",
    "exception": "⚠",
    "changed": "✎",
    "graph": "⤺",
}


@dataclass
class Hit:
    """What one recorded hit of a line did: entries in evaluation order, then its output/exception."""

    index: int  # 0-based hit number
    entries: list[Entry]
    tail: list[Entry]
    probes: dict[str, str] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)  # figures captured during this hit
    last: bool = False  # the latest hit recorded past the first ones: the line's last, or the latest thinned one

    @property
    def number(self) -> str:
        """The 1-based hit number as the page shows it: "65,536"."""
        return f"{self.index + 1:,}"

    @property
    def all(self) -> list[Entry]:
        return self.entries + self.tail

    @property
    def empty(self) -> bool:
        return not (self.entries or self.tail or self.figures)


@dataclass
class HitPager:
    """A line's recorded hits, stepped through one at a time: the first ones and the latest (its
    last, or the latest thinned one) of the one run. A `#:` card and a statement in a reader's
    cell show the same pager (templates/_listing.html, ``hit_pager``)."""

    hits: list[Hit]
    hit_count: int
    recorded: int
    unit: str = "hit"  # "call" for a ``def`` line
    exceptions: int = 0

    @property
    def count_text(self) -> str:
        """The hit count as the page shows it: "70,000"."""
        return f"{self.hit_count:,}"

    @property
    def recorded_note(self) -> str:
        """Which hits were recorded, when not all: "first 3 recorded", "hits 1–3 and 300 of 300 recorded"."""
        if self.recorded >= self.hit_count:
            return ""
        firsts = [h.number for h in self.hits if not h.last]
        lasts = [h.number for h in self.hits if h.last]
        if not lasts:
            return f"first {self.recorded} recorded"
        span = f"{firsts[0]}–{firsts[-1]}" if len(firsts) > 1 else (firsts[0] if firsts else "")
        of = f"{lasts[-1]} of {self.count_text} recorded"
        return f"{self.unit}s {span} and {of}" if span else f"{self.unit} {of}"

    @property
    def more_label(self) -> str:
        """The summary of the folded hits after the first: "Hits 2–3", "Hits 2–3 and 300"."""
        rest = self.hits[1:]
        if not rest:
            return ""
        firsts = [h.number for h in rest if not h.last]
        lasts = [h.number for h in rest if h.last]
        unit = self.unit.capitalize()
        if not firsts:
            return f"{unit} {lasts[0]}"
        head = f"{unit} {firsts[0]}" if len(firsts) == 1 else f"{unit}s {firsts[0]}–{firsts[-1]}"
        return head + (f" and {lasts[0]}" if lasts else "")


@dataclass
class CodeLine:
    number: int
    html: Markup


@dataclass
class Card:
    """An explained item (a statement with prose/notes, or a plain comment line)."""

    kind: str  # "code" | "comment"
    number: int
    end_number: int
    line: int
    end_line: int
    anchor: str
    code: str
    code_lines: list[CodeLine]
    comment: str = ""
    prose: Markup = Markup("")
    from_run: bool = False
    api: list[Entry] = field(default_factory=list)
    derived: list[Entry] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    hit_count: int = 0
    recorded: int = 0
    final: list[Entry] = field(default_factory=list)
    later: list[Entry] = field(default_factory=list)
    exceptions: int = 0
    status: str = ""  # "" | "expected" | "error" | "not-run"
    not_run: str = ""  # why a line has no state ("did not run", "not reached")
    raises: str | None = None
    figures_later: list[Figure] = field(default_factory=list)  # captured during later hits
    is_def: bool = False  # a ``def`` line: its hits are calls
    hit_prose: list[tuple[int, Markup]] = field(default_factory=list)  # (hit, prose with that hit's numbers)

    @property
    def unit(self) -> str:
        return "call" if self.is_def else "hit"

    @property
    def pager(self) -> HitPager:
        """The card's hits as the hit pager shows them."""
        return HitPager(self.hits, self.hit_count, self.recorded, self.unit, self.exceptions)

    @property
    def count_text(self) -> str:
        return self.pager.count_text

    @property
    def recorded_note(self) -> str:
        return self.pager.recorded_note

    @property
    def more_label(self) -> str:
        return self.pager.more_label

    @property
    def multi(self) -> bool:
        return self.hit_count > 1 or len(self.hits) > 1

    @property
    def numbers(self) -> str:
        return str(self.number) if self.end_number == self.number else f"{self.number}–{self.end_number}"

    def state(self, hit: int = 0) -> list[Entry]:
        """EXECUTION STATE in display order for one recorded hit (what a single-hit card shows)."""
        h = self.hits[hit] if hit < len(self.hits) else None
        out = list(self.api)
        if h is not None:
            out += h.entries
        out += self.derived
        if h is not None:
            out += h.tail
        return out

    @property
    def has_state(self) -> bool:
        return bool(
            self.api
            or self.derived
            or any(not h.empty for h in self.hits)
            or self.final
            or self.later
            or self.figures_later
        )

    @property
    def figures(self) -> list[Figure]:
        """Every figure shown on this card, in page order."""
        return [f for h in self.hits for f in h.figures] + self.figures_later


@dataclass
class Brief:
    """One line of what a cell changed, in the reader's first view: ``w: tensor([...]) (2,)``;
    a big value shown before is named with a link instead (``ref``)."""

    name: str
    text: str
    detail: str = ""  # shape or length
    ref: str = ""


@dataclass
class FoldGroup:
    """Inside a fold: one unexplained statement (or a blank/continuation line) with its state."""

    lines: list[CodeLine]
    entries: list[Entry] = field(default_factory=list)
    hit_count: int = 0
    note: str = ""
    error: bool = False
    plain: bool = False  # blank lines or continuation lines: no statement of its own
    figures: list[Figure] = field(default_factory=list)
    unreached: bool = False  # the run stopped before it (a first view dims it and says so)
    # a reader's statement that ran more than once: its state is the hit pager (``entries`` then
    # holds the first hit's state, for what reads only that), with what every hit shares around it
    pager: HitPager | None = None
    api: list[Entry] = field(default_factory=list)  # above the pager: the functions it called
    after: list[Entry] = field(default_factory=list)  # below it: what all the hits printed


@dataclass
class Fold:
    """A run of listing lines without explanation, folded into one row."""

    start: int
    end: int
    count: int
    anchor: str
    groups: list[FoldGroup]
    open: bool = False

    @property
    def summary(self) -> str:
        return f"{self.count} line{'s' if self.count != 1 else ''} without explanation"


@dataclass
class Section:
    """A text block and the statements it explains, each with its state; or, without text, one
    unexplained statement that printed or drew something (shown, never folded)."""

    start: int
    end: int
    anchor: str
    prose: Markup
    groups: list[FoldGroup]
    kind: str = "section"
    # the reader's first view (pages whose prose is not `#:`): the cell's code as one block with
    # each statement's state closed, then what the cell printed, drew, ended with and changed
    reader: bool = False
    output: Entry | None = None
    figures: list[Figure] = field(default_factory=list)
    result: Entry | None = None
    changed: list[Brief] = field(default_factory=list)
    more_changed: int = 0  # names left out of ``changed`` (bounded)


@dataclass
class ListingRow:
    number: int
    html: Markup
    href: str
    kind: str  # "explained" | "continued" | "folded"
    error: bool = False


@dataclass
class Frame:
    path: str
    line: int
    function: str
    text: str
    href: str = ""
    number: int | None = None


@dataclass
class Banner:
    kind: str  # "failed" | "expected"
    title: str
    error_type: str = ""
    message: str = ""
    number: int | None = None
    href: str = ""
    reason: str = ""
    traceback: list[Frame] = field(default_factory=list)
    stderr: str = ""
    file_ref: str = ""  # "name.py:LINE" when the file line differs from the listing's number


@dataclass(frozen=True)
class Pill:
    """A status pill: its CSS kind (also the page's status class), icon and words."""

    kind: str
    icon: str
    text: str


_PILLS = {
    "ok": Pill("ok", "i-ok", "ran without errors"),
    "expected error": Pill("expected", "i-error", "ends with an expected error"),
    "failed": Pill("failed", "i-error", "failed"),
}


@dataclass
class PageView:
    title: str
    path: str
    file_name: str
    crumbs: list[str]
    intro: Markup
    status: str  # ok | expected error | failed
    banner: Banner | None
    blocks: list[Card | Fold | Section]
    listing: list[ListingRow]
    meta: list[tuple[str, str]]
    run_line: str
    unexplained: int
    has_from_run: bool = False
    figure_limit: str = ""  # the trace's figure_limit: why some figures are missing
    last_hit_note: str = ""  # why the last hits of lines hit often are not shown (the runs disagreed)
    other_figures: list[Figure] = field(default_factory=list)  # figures no shown line made
    other_output: list[Entry] = field(default_factory=list)  # what reached fd 1 around sys.stdout: no line is known
    ran: bool = True  # False when the code never started (authoring or syntax error)
    reader: bool = False  # prose from gallery blocks, cells, notebooks or comments: the reader's first view

    @property
    def pill(self) -> Pill:
        """The status pill beside the file name."""
        return _PILLS.get(self.status, _PILLS["failed"])

    @property
    def status_class(self) -> str:
        return self.status.replace(" ", "-")

    @property
    def colophon(self) -> list[tuple[str, str]]:
        """The run's facts the footer names: device, Python, torch, numpy, seed."""
        return [(k, v) for k, v in self.meta if k in ("device", "seed", "Python", "torch", "numpy")]

    @property
    def tracekit_version(self) -> str:
        return next((v for k, v in self.meta if k == "tracekit"), "")

    @property
    def cards(self) -> list[Card]:
        return [b for b in self.blocks if isinstance(b, Card)]

    @property
    def folds(self) -> list[Fold]:
        return [b for b in self.blocks if isinstance(b, Fold)]

    @property
    def sections(self) -> list[Section]:
        return [b for b in self.blocks if isinstance(b, Section)]

    @property
    def figures(self) -> list[Figure]:
        """Every figure and image on the page, in page order."""
        out: list[Figure] = []
        for b in self.blocks:
            groups = b.groups if isinstance(b, (Fold, Section)) else []
            entries = [e for g in groups for e in g.entries]
            if isinstance(b, Card):
                entries = b.api + b.derived + [e for h in b.hits for e in h.all] + b.final + b.later
            out += [e.image for e in entries if e.image is not None]
            out += b.figures if isinstance(b, Card) else [f for g in groups for f in g.figures]
            if isinstance(b, Section):
                out += b.figures
        return out + self.other_figures

    def card(self, number: int) -> Card:
        for c in self.cards:
            if c.number == number:
                return c
        raise KeyError(number)
